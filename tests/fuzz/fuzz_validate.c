/*
 * fuzz_validate: what the public endpoints accept (app/input.c), without
 * a database: the booking body, the confirm/cancel token, the check-in
 * body and the login body. Whatever passes must be what the handlers and
 * the SQL functions rely on; whatever fails must come back as a well-formed
 * per-field answer.
 *
 * Input, two ways:
 *	starting with '{': a request body, parsed as the handlers do;
 *	else byte 0 picks member types (bits below) and the rest is split at
 *	0x1E into name, email, phone, notes, locale, seats, token,
 *	performance_id, password: an object built with json-c directly, so
 *	members can hold bytes a parsed body cannot (invalid UTF-8).
 */
#include "fuzz.h"

#include "../../app/input.h"
#include "../../lib/arena.h"
#include "../../lib/buf.h"
#include "../../lib/json.h"
#include "../../lib/tok.h"
#include "../../lib/valid.h"

#include <json-c/json.h>
#include <sodium.h>
#include <stdbool.h>

enum { F_NAME, F_EMAIL, F_PHONE, F_NOTES, F_LOCALE, F_SEATS, F_TOKEN,
       F_PERF, F_PASSWORD, NFIELDS };

static const char *const names[NFIELDS] = {
	"name", "email", "phone", "notes", "locale", "seats", "token",
	"performance_id", "password"};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	return 0;
}

static void put(void *p)
{
	json_object_put(p);
}

/* A number member of kind k: 0 absent, 1 integer, 2 string, 3 double. */
static struct json_object *number(int k, const char *s, size_t len)
{
	switch (k) {
	case 1:
		return json_object_new_int64(strtoll(s, NULL, 10));
	case 2:
		return json_object_new_string_len(s, (int)len);
	case 3:
		return json_object_new_double(strtod(s, NULL));
	default:
		return NULL;
	}
}

static struct json_object *build(struct arena *a, const uint8_t *data,
				 size_t size)
{
	const char *f[NFIELDS];
	size_t len[NFIELDS];
	char *copy = fuzz_split(data + 1, size - 1, '\x1e', NFIELDS, f, len);
	struct json_object *o = json_object_new_object();
	unsigned k = data[0];

	if (o == NULL || arena_defer(a, put, o) < 0)
		abort();
	for (int i = 0; i < NFIELDS; i++) {
		struct json_object *v;

		if (i == F_SEATS)
			v = number((int)(k & 3), f[i], len[i]);
		else if (i == F_PERF)
			v = number((int)(k >> 2 & 3), f[i], len[i]);
		else if (i == F_NAME && (k & 0x10))
			v = NULL;	/* null */
		else if (i == F_EMAIL && (k & 0x20))
			v = json_object_new_int(42);
		else if (i == F_TOKEN && (k & 0x40))
			v = json_object_new_array();
		else if (len[i] == 0 && (k & 0x80))
			continue;	/* absent */
		else
			v = json_object_new_string_len(f[i], (int)len[i]);
		json_object_object_add(o, names[i], v);
	}
	free(copy);
	return o;
}

/* Trimmed text without control characters (but line breaks if multi). */
static bool clean(const char *s, bool multiline)
{
	size_t n = strlen(s);
	const char *start;
	size_t tn;

	return valid_text(s, n, SIZE_MAX, multiline, &start, &tn) ==
		       VALID_OK &&
	       start == s && tn == n;
}

static void booking(struct arena *a, struct json_object *body)
{
	static const char *const codes[] = {
		"required", "not_a_string", "too_long", "invalid",
		"not_an_integer", "out_of_range"};
	struct booking_input in;
	const char *fields = "unset";
	int rc = bookings_validate_body(a, body, &in, &fields);

	FUZZ_CHECK(rc >= 0);
	if (rc == 0) {
		FUZZ_CHECK(fields == NULL);
		FUZZ_CHECK(in.name != NULL && clean(in.name, false));
		FUZZ_CHECK(str_utf8_len(in.name, strlen(in.name)) <= 120);
		FUZZ_CHECK(in.email != NULL &&
			   valid_email(in.email, strlen(in.email)));
		FUZZ_CHECK(in.phone != NULL &&
			   (in.phone[0] == '\0' ||
			    valid_phone(in.phone, strlen(in.phone))));
		FUZZ_CHECK(in.notes != NULL &&
			   (in.notes[0] == '\0' || clean(in.notes, true)));
		FUZZ_CHECK(str_utf8_len(in.notes, strlen(in.notes)) <= 1000);
		FUZZ_CHECK(in.locale != NULL &&
			   (strcmp(in.locale, "it") == 0 ||
			    strcmp(in.locale, "en") == 0));
		FUZZ_CHECK(in.seats >= 1 && in.seats <= 100);
		return;
	}
	/* {"field":"code",...}: one member per failed field. */
	FUZZ_CHECK(fields != NULL && jsonr_valid(fields, strlen(fields), 1));
	{
		struct json_object *o =
			jsonr_parse_object(a, fields, strlen(fields));

		FUZZ_CHECK(o != NULL && json_object_object_length(o) == rc);
		json_object_object_foreach(o, key, val) {
			bool known = false;

			FUZZ_CHECK(json_object_object_get_ex(body, key, NULL) ||
				   strcmp(json_object_get_string(val),
					  "required") == 0);
			for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]);
			     i++)
				known |= strcmp(json_object_get_string(val),
						codes[i]) == 0;
			FUZZ_CHECK(known);
		}
	}
}

static void token(struct json_object *body)
{
	const char *t = bookings_token_field(body);
	char hash[TOK_HASH_HEX_LEN + 1];

	if (t == NULL)
		return;
	FUZZ_CHECK(strlen(t) == TOK_LEN && tok_valid(t, TOK_LEN));
	FUZZ_CHECK(tok_hash_hex(t, hash) == 0);
}

static void checkin(struct json_object *body)
{
	struct checkin_input in;
	char hash[TOK_HASH_HEX_LEN + 1];

	if (checkins_validate_body(body, &in) != CHECKIN_OK)
		return;
	FUZZ_CHECK(strlen(in.ticket) == TOK_LEN);
	FUZZ_CHECK(tok_hash_hex(in.ticket, hash) == 0);
	FUZZ_CHECK(in.performance_id >= 0 && in.seats >= 0 &&
		   in.seats <= 1000);
}

static void login(struct json_object *body)
{
	const char *email = NULL, *password = NULL;
	size_t plen = 0;

	if (!auth_validate_login(body, &email, &password, &plen))
		return;
	FUZZ_CHECK(email != NULL && email[0] != '\0' && strlen(email) <= 254);
	FUZZ_CHECK(password != NULL && plen >= 1 && plen <= 1024 &&
		   strlen(password) == plen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new(0);
	struct json_object *body;

	if (a == NULL)
		abort();
	if (size > 0 && data[0] == '{')
		body = jsonr_parse_object(a, (const char *)data, size);
	else if (size > 0)
		body = build(a, data, size);
	else
		body = NULL;
	if (body != NULL) {
		booking(a, body);
		token(body);
		checkin(body);
		login(body);
	}
	arena_free(a);
	return 0;
}
