/*
 * fuzz_json: lib/json on arbitrary bytes.
 *
 * The reader: jsonr_valid (our strict RFC 8259 check) must never accept
 * what json-c in strict mode refuses, jsonr_parse_object must agree with
 * it, and the field readers must hold up on whatever object comes out.
 * The writer: the bytes escaped as a JSON string, in an object and an
 * array, must be valid JSON and, when they are UTF-8, read back equal.
 *
 * Input: the bytes as they are.
 */
#include "fuzz.h"

#include "../../lib/arena.h"
#include "../../lib/buf.h"
#include "../../lib/json.h"

#include <json-c/json.h>
#include <stdbool.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/*
 * json-c, strict, on p[0..n): true with the first value in *out (NULL for
 * null; the caller puts it). The terminating NUL goes in too: without it
 * json-c cannot tell a top-level number has ended and asks for more.
 */
static bool jsonc_parse(const char *p, size_t n, int depth,
			struct json_object **out)
{
	struct json_tokener *tok = json_tokener_new_ex(depth);
	char *z = malloc(n + 1);
	struct json_object *o;
	bool ok;

	if (tok == NULL || z == NULL)
		abort();
	memcpy(z, p, n);
	z[n] = '\0';
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
				    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, z, (int)n + 1);
	ok = json_tokener_get_error(tok) == json_tokener_success;
	if (!ok) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	free(z);
	*out = o;
	return ok;
}

/* Every reader on every member, and on members that are not there. */
static void read_all(struct json_object *obj)
{
	static const char *const keys[] = {"name", "seats", "token", "", "x"};
	const char *s;
	size_t len;
	int64_t v;
	bool b;

	json_object_object_foreach(obj, key, val) {
		enum jsonr_status st = jsonr_string(obj, key, &s, &len);

		FUZZ_CHECK(st == (val == NULL ? JSONR_MISSING
				  : json_object_is_type(val, json_type_string)
					  ? JSONR_OK
					  : JSONR_BAD_TYPE));
		if (st == JSONR_OK)
			FUZZ_CHECK(s[len] == '\0' && str_utf8_valid(s, len));
		st = jsonr_int(obj, key, &v);
		if (st == JSONR_OK)
			FUZZ_CHECK(v > INT64_MIN && v < INT64_MAX);
		(void)jsonr_bool(obj, key, &b);
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		(void)jsonr_string(obj, keys[i], &s, &len);
		(void)jsonr_int(obj, keys[i], &v);
		(void)jsonr_bool(obj, keys[i], &b);
	}
}

static void reader(struct arena *a, const char *p, size_t n)
{
	bool valid = jsonr_valid(p, n, 16);
	struct json_object *obj = jsonr_parse_object(a, p, n);

	if (valid) {
		/* json-c counts its depth from 1 at the top value. */
		struct json_object *o;

		/* json-c stops at the end of the first value; only white
		 * space may follow, which our check allowed. */
		FUZZ_CHECK(jsonc_parse(p, n, 17, &o));
		FUZZ_CHECK((obj != NULL) ==
			   json_object_is_type(o, json_type_object));
		json_object_put(o);
	} else {
		FUZZ_CHECK(obj == NULL);
	}
	if (obj != NULL)
		read_all(obj);
	FUZZ_CHECK(!jsonr_valid(p, n, 0) || (n > 0 && p[0] != '{'));
}

static void writer(struct arena *a, const char *p, size_t n)
{
	bool utf8 = str_utf8_valid(p, n);
	struct buf b;
	struct jsonw w;

	/* The string alone: no control bytes, no bare quote or backslash. */
	buf_init(&b, a, 16);
	jsonw_escape(&b, p, n);
	FUZZ_CHECK(!b.failed);
	for (size_t i = 0; i < b.len; i++) {
		unsigned char c = (unsigned char)b.data[i];

		FUZZ_CHECK(c >= 0x20);
		if (c == '\\')
			i++;
		else
			FUZZ_CHECK(c != '"');
	}

	buf_init(&b, a, 16);
	jsonw_init(&w, &b);
	jsonw_strn(&w, p, n);
	FUZZ_CHECK(!b.failed);
	FUZZ_CHECK(jsonr_valid(b.data, b.len, 1) == utf8);
	if (utf8) {
		struct json_object *o;

		FUZZ_CHECK(jsonc_parse(b.data, b.len, 1, &o));
		FUZZ_CHECK(json_object_is_type(o, json_type_string));
		FUZZ_CHECK((size_t)json_object_get_string_len(o) == n);
		FUZZ_CHECK(memcmp(json_object_get_string(o), p, n) == 0);
		json_object_put(o);
	}

	/* In containers, as key and value, with commas to get right. */
	buf_init(&b, a, 16);
	jsonw_init(&w, &b);
	jsonw_obj(&w);
	jsonw_key(&w, "k");
	jsonw_strn(&w, p, n);
	jsonw_key(&w, "a");
	jsonw_arr(&w);
	jsonw_strn(&w, p, n);
	jsonw_int(&w, (int64_t)n - 1000);
	jsonw_bool(&w, n % 2 == 0);
	jsonw_null(&w);
	jsonw_obj(&w);
	jsonw_end(&w);
	jsonw_end(&w);
	jsonw_end(&w);
	FUZZ_CHECK(!b.failed && w.depth == 0);
	FUZZ_CHECK(jsonr_valid(b.data, b.len, 16) == utf8);
	if (utf8) {
		struct json_object *o = jsonr_parse_object(a, b.data, b.len);
		const char *s;
		size_t len;

		FUZZ_CHECK(o != NULL);
		FUZZ_CHECK(jsonr_string(o, "k", &s, &len) == JSONR_OK);
		FUZZ_CHECK(len == n && memcmp(s, p, n) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new(0);
	const char *p = (const char *)data;

	if (a == NULL)
		abort();
	reader(a, p, size);
	writer(a, p, size);
	arena_free(a);
	return 0;
}
