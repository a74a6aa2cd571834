/* json: the writer's escaping and commas, and the body readers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "../../lib/arena.h"
#include "../../lib/buf.h"
#include "../../lib/json.h"

static void test_writer(void **state)
{
	(void)state;
	struct arena *a = arena_new(0);
	struct buf b;
	struct jsonw w;

	buf_init(&b, a, 8);	/* small: forces growth */
	jsonw_init(&w, &b);
	jsonw_obj(&w);
	jsonw_key(&w, "s");
	jsonw_str(&w, "a\"b\\c\n\x01/é");
	jsonw_key(&w, "n");
	jsonw_int(&w, -9223372036854775807LL - 1);
	jsonw_key(&w, "arr");
	jsonw_arr(&w);
	jsonw_int(&w, 1);
	jsonw_bool(&w, true);
	jsonw_null(&w);
	jsonw_obj(&w);
	jsonw_end(&w);
	jsonw_raw(&w, "{\"x\":1}", 7);
	jsonw_end(&w);
	jsonw_key(&w, "nil");
	jsonw_str(&w, NULL);
	jsonw_end(&w);
	assert_false(b.failed);
	assert_string_equal(b.data,
			    "{\"s\":\"a\\\"b\\\\c\\n\\u0001/é\","
			    "\"n\":-9223372036854775808,"
			    "\"arr\":[1,true,null,{},{\"x\":1}],\"nil\":null}");
	arena_free(a);
}

static void test_writer_depth(void **state)
{
	(void)state;
	struct arena *a = arena_new(0);
	struct buf b;
	struct jsonw w;

	buf_init(&b, a, 8);
	jsonw_init(&w, &b);
	for (int i = 0; i <= JSONW_MAX_DEPTH; i++)
		jsonw_arr(&w);
	assert_true(b.failed);
	buf_init(&b, a, 8);
	jsonw_init(&w, &b);
	jsonw_end(&w);		/* closing what was never opened */
	assert_true(b.failed);
	arena_free(a);
}

static void test_parse(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int ok;
	} cases[] = {
		{"{}", 1},
		{" {\"a\": 1} \n", 1},
		{"[]", 0},
		{"\"str\"", 0},
		{"12", 0},
		{"", 0},
		{"{", 0},
		{"{\"a\":1} x", 0},
		{"{\"a\":1}{}", 0},
		{"{'a':1}", 0},
		{"{\"a\":\"\xff\"}", 0},	/* not UTF-8 */
		{"{\"a\":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]}", 0},
		{"{\"a\":NaN}", 0},
		{"{\"a\":1,}", 0},
	};
	struct arena *a = arena_new(0);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct json_object *o = jsonr_parse_object(
			a, cases[i].text, strlen(cases[i].text));

		if ((o != NULL) != cases[i].ok)
			fail_msg("case %zu: %s", i, cases[i].text);
	}
	/* An embedded NUL is never JSON we accept. */
	assert_null(jsonr_parse_object(a, "{}\0", 3));
	arena_free(a);
}

static void test_fields(void **state)
{
	(void)state;
	struct arena *a = arena_new(0);
	const char *text = "{\"s\":\"hi\",\"i\":3,\"f\":2.0,\"g\":2.5,"
			   "\"b\":true,\"n\":null,\"big\":1e30,"
			   "\"huge\":99999999999999999999}";
	struct json_object *o = jsonr_parse_object(a, text, strlen(text));
	const char *s;
	size_t len;
	int64_t i;
	bool b;

	assert_non_null(o);
	assert_int_equal(jsonr_string(o, "s", &s, &len), JSONR_OK);
	assert_int_equal(len, 2);
	assert_string_equal(s, "hi");
	assert_int_equal(jsonr_string(o, "i", &s, &len), JSONR_BAD_TYPE);
	assert_int_equal(jsonr_string(o, "zz", &s, &len), JSONR_MISSING);
	assert_int_equal(jsonr_string(o, "n", &s, &len), JSONR_MISSING);
	assert_int_equal(jsonr_int(o, "i", &i), JSONR_OK);
	assert_int_equal(i, 3);
	assert_int_equal(jsonr_int(o, "f", &i), JSONR_OK);
	assert_int_equal(i, 2);
	assert_int_equal(jsonr_int(o, "g", &i), JSONR_BAD_TYPE);
	assert_int_equal(jsonr_int(o, "s", &i), JSONR_BAD_TYPE);
	assert_int_equal(jsonr_int(o, "big", &i), JSONR_BAD_TYPE);
	assert_int_equal(jsonr_int(o, "huge", &i), JSONR_BAD_TYPE);
	assert_int_equal(jsonr_bool(o, "b", &b), JSONR_OK);
	assert_true(b);
	assert_int_equal(jsonr_bool(o, "i", &b), JSONR_BAD_TYPE);
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writer),
		cmocka_unit_test(test_writer_depth),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_fields),
	};
	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
