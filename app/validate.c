/*
 * validate: what the public endpoints accept, apart from their handlers so
 * it can be tested and fuzzed without a database. Field codes and the
 * order of checks are part of the API (docs/API.md): the frontend shows a
 * message per field code.
 */
#include "validate.h"

#include "../lib/arena.h"
#include "../lib/buf.h"
#include "../lib/json.h"
#include "../lib/valid.h"

#include <json-c/json.h>
#include <string.h>

/* Collects per-field validation errors as a JSON object. */
struct fields {
	struct buf b;
	struct jsonw w;
	int n;
};

static void fields_init(struct fields *f, struct arena *a)
{
	buf_init(&f->b, a, 128);
	jsonw_init(&f->w, &f->b);
	jsonw_obj(&f->w);
	f->n = 0;
}

static void field_error(struct fields *f, const char *name, const char *code)
{
	jsonw_key(&f->w, name);
	jsonw_str(&f->w, code);
	f->n++;
}

/*
 * Read string field `key` as text of at most max code points. Returns the
 * trimmed copy, "" when optional and absent, or NULL after recording the
 * field's error. *oom is set when the copy could not be made.
 */
static const char *text_field(struct arena *a, struct json_object *body,
			      struct fields *f, const char *key, size_t max,
			      bool required, bool multiline, bool *oom)
{
	const char *s, *start, *copy;
	size_t len, n;

	switch (jsonr_string(body, key, &s, &len)) {
	case JSONR_MISSING:
		if (required)
			field_error(f, key, "required");
		return required ? NULL : "";
	case JSONR_BAD_TYPE:
		field_error(f, key, "not_a_string");
		return NULL;
	case JSONR_OK:
		break;
	}
	switch (valid_text(s, len, max, multiline, &start, &n)) {
	case VALID_EMPTY:
		if (required)
			field_error(f, key, "required");
		return required ? NULL : "";
	case VALID_TOO_LONG:
		field_error(f, key, "too_long");
		return NULL;
	case VALID_BAD:
		field_error(f, key, "invalid");
		return NULL;
	case VALID_OK:
		break;
	}
	copy = arena_strndup(a, start, n);
	if (copy == NULL)
		*oom = true;
	return copy;
}

int bookings_validate_body(struct arena *a, struct json_object *body,
			   struct booking_input *in, const char **fields_json)
{
	struct fields f;
	bool oom = false;

	memset(in, 0, sizeof(*in));
	*fields_json = NULL;
	fields_init(&f, a);
	in->name = text_field(a, body, &f, "name", 120, true, false, &oom);
	in->email = text_field(a, body, &f, "email", 254, true, false, &oom);
	if (in->email != NULL && !valid_email(in->email, strlen(in->email))) {
		field_error(&f, "email", "invalid");
		in->email = NULL;
	}
	in->phone = text_field(a, body, &f, "phone", 40, false, false, &oom);
	if (in->phone != NULL && *in->phone != '\0' &&
	    !valid_phone(in->phone, strlen(in->phone)))
		field_error(&f, "phone", "invalid");
	in->notes = text_field(a, body, &f, "notes", 1000, false, true, &oom);
	in->locale = text_field(a, body, &f, "locale", 2, false, false, &oom);
	if (in->locale != NULL && *in->locale == '\0')
		in->locale = "it";
	if (in->locale != NULL && strcmp(in->locale, "it") != 0 &&
	    strcmp(in->locale, "en") != 0)
		field_error(&f, "locale", "invalid");
	switch (jsonr_int(body, "seats", &in->seats)) {
	case JSONR_MISSING:
		field_error(&f, "seats", "required");
		break;
	case JSONR_BAD_TYPE:
		field_error(&f, "seats", "not_an_integer");
		break;
	case JSONR_OK:
		if (in->seats < 1 || in->seats > 100)
			field_error(&f, "seats", "out_of_range");
	}
	jsonw_end(&f.w);
	if (oom || f.b.failed)
		return -1;
	if (f.n > 0)
		*fields_json = f.b.data;
	return f.n;
}

const char *bookings_token_field(struct json_object *body)
{
	const char *s;
	size_t len;

	if (jsonr_string(body, "token", &s, &len) != JSONR_OK ||
	    !tok_valid(s, len))
		return NULL;
	return s;
}

enum checkin_check checkins_validate_body(struct json_object *body,
					  struct checkin_input *in)
{
	enum jsonr_status st;
	const char *s;
	size_t len;

	memset(in, 0, sizeof(*in));
	if (jsonr_string(body, "token", &s, &len) != JSONR_OK ||
	    tok_from_scan(s, len, in->ticket) < 0)
		return CHECKIN_UNKNOWN_TICKET;
	st = jsonr_int(body, "performance_id", &in->performance_id);
	if (st == JSONR_BAD_TYPE || (st == JSONR_OK && in->performance_id < 1))
		return CHECKIN_BAD_PERFORMANCE;
	if (st != JSONR_OK)
		in->performance_id = 0;
	st = jsonr_int(body, "seats", &in->seats);
	if (st == JSONR_BAD_TYPE ||
	    (st == JSONR_OK && (in->seats < 1 || in->seats > 1000)))
		return CHECKIN_BAD_SEATS;
	if (st != JSONR_OK)
		in->seats = 0;
	return CHECKIN_OK;
}

bool auth_validate_login(struct json_object *body, const char **email,
			 const char **password, size_t *password_len)
{
	size_t elen, plen;

	/* A NUL ("\u0000") would cut either short on its way to SQL or
	 * libsodium: "a@b.c\u0000x" must not sign in as a@b.c. */
	if (jsonr_string(body, "email", email, &elen) != JSONR_OK ||
	    jsonr_string(body, "password", password, &plen) != JSONR_OK ||
	    elen == 0 || elen > 254 || plen == 0 || plen > 1024 ||
	    memchr(*email, '\0', elen) != NULL ||
	    memchr(*password, '\0', plen) != NULL)
		return false;
	*password_len = plen;
	return true;
}
