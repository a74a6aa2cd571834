/*
 * input: reading and checking what clients send, for every domain: the
 * field readers the admin API uses, and the checks of the public bodies
 * (booking, confirm/cancel token, check-in, login), which use the same
 * readers.
 *
 * The readers tell "absent" from "null" from a value, because a PATCH
 * changes only the fields present in its body and null clears the fields
 * that may be empty. Every error is recorded per field, so one 422 lists
 * everything that is wrong with a form. The body checks are pure
 * functions of a parsed body (no request, no response, no database), so
 * the unit tests and fuzzers (tests/fuzz/fuzz_validate.c) call them
 * directly. Field codes and the order of checks are part of the API
 * (docs/API.md): the frontend shows a message per field code.
 */
#include "input.h"

#include "../lib/arena.h"
#include "../lib/http.h"
#include "../lib/json.h"
#include "../lib/tok.h"
#include "../lib/valid.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <string.h>

void input_fields_init(struct input_fields *f, struct arena *a)
{
	buf_init(&f->b, a, 128);
	jsonw_init(&f->w, &f->b);
	jsonw_obj(&f->w);
	f->n = 0;
	f->oom = false;
}

void input_field_error(struct input_fields *f, const char *name,
		       const char *code)
{
	jsonw_key(&f->w, name);
	jsonw_str(&f->w, code);
	f->n++;
}

int input_fields_answer(struct http_res *res, struct input_fields *f)
{
	jsonw_end(&f->w);
	return http_error_fields(res, 422, "validation_failed",
				 "some fields are not valid", f->b.data);
}

int input_field_answer(struct http_res *res, struct arena *a,
		       const char *name, const char *code)
{
	struct input_fields f;

	input_fields_init(&f, a);
	input_field_error(&f, name, code);
	return input_fields_answer(res, &f);
}

/*
 * The member `key`: INPUT_SET with *v when it has a value, else what an
 * absent or null member means under flags (recording "required").
 */
static enum input_in member(struct json_object *body, struct input_fields *f,
			    const char *key, int flags, struct json_object **v)
{
	bool present;

	*v = NULL;
	present = json_object_object_get_ex(body, key, v);
	if (present && *v != NULL)
		return INPUT_SET;
	if (present && (flags & INPUT_NULLABLE))
		return INPUT_NULL;
	if (flags & INPUT_REQUIRED) {
		input_field_error(f, key, "required");
		return INPUT_BAD;
	}
	return INPUT_ABSENT;
}

enum input_in input_text(struct arena *a, struct json_object *body,
			 struct input_fields *f, const char *key, size_t max,
			 int flags, const char **out)
{
	struct json_object *v;
	enum input_in in = member(body, f, key, flags, &v);
	const char *start;
	size_t n;

	*out = NULL;
	if (in != INPUT_SET)
		return in;
	if (!json_object_is_type(v, json_type_string)) {
		input_field_error(f, key, "not_a_string");
		return INPUT_BAD;
	}
	switch (valid_text(json_object_get_string(v),
			   (size_t)json_object_get_string_len(v), max,
			   (flags & INPUT_MULTILINE) != 0, &start, &n)) {
	case VALID_EMPTY:
		if (flags & INPUT_NONEMPTY) {
			input_field_error(f, key, "required");
			return INPUT_BAD;
		}
		break;
	case VALID_TOO_LONG:
		input_field_error(f, key, "too_long");
		return INPUT_BAD;
	case VALID_BAD:
		input_field_error(f, key, "invalid");
		return INPUT_BAD;
	case VALID_OK:
		break;
	}
	*out = arena_strndup(a, start, n);
	if (*out == NULL) {
		f->oom = true;
		input_field_error(f, key, "invalid");
		return INPUT_BAD;
	}
	return INPUT_SET;
}

enum input_in input_int(struct arena *a, struct json_object *body,
			struct input_fields *f, const char *key, int64_t min,
			int64_t max, int flags, int64_t *out,
			const char **text)
{
	struct json_object *v;
	enum input_in in = member(body, f, key, flags, &v);

	*text = NULL;
	if (in != INPUT_SET)
		return in;
	if (jsonr_int(body, key, out) != JSONR_OK) {
		input_field_error(f, key, "not_an_integer");
		return INPUT_BAD;
	}
	if (*out < min || *out > max) {
		input_field_error(f, key, "out_of_range");
		return INPUT_BAD;
	}
	*text = arena_printf(a, "%" PRId64, *out);
	if (*text == NULL) {
		input_field_error(f, key, "invalid");
		return INPUT_BAD;
	}
	return INPUT_SET;
}

enum input_in input_bool(struct json_object *body, struct input_fields *f,
			 const char *key, int flags, bool *out,
			 const char **text)
{
	struct json_object *v;
	enum input_in in = member(body, f, key, flags, &v);

	*text = NULL;
	if (in != INPUT_SET)
		return in;
	if (jsonr_bool(body, key, out) != JSONR_OK) {
		input_field_error(f, key, "not_a_boolean");
		return INPUT_BAD;
	}
	*text = *out ? "true" : "false";
	return INPUT_SET;
}

/* n decimal digits at s as a number, or -1. */
static int num(const char *s, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int days_in_month(int year, int month)
{
	static const int days[] = {31, 28, 31, 30, 31, 30,
				   31, 31, 30, 31, 30, 31};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

enum time_check { TIME_OK, TIME_INVALID, TIME_OUT_OF_RANGE };

/*
 * YYYY-MM-DDTHH:MM[:SS[.1-6 digits]] then Z or +HH, +HHMM, +HH:MM (or -).
 * Bounded by len; the fixed positions are checked before they are read.
 */
static enum time_check time_check(const char *s, size_t len)
{
	int year, month, day, hour, minute, second = 0, oh = 0, om = 0;
	size_t i = 16;

	if (len < 17 || len > 40 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':')
		return TIME_INVALID;
	year = num(s, 4);
	month = num(s + 5, 2);
	day = num(s + 8, 2);
	hour = num(s + 11, 2);
	minute = num(s + 14, 2);
	if (s[i] == ':') {
		if (len < i + 3 || (second = num(s + i + 1, 2)) < 0)
			return TIME_INVALID;
		i += 3;
		if (i < len && s[i] == '.') {
			size_t k = 0;

			while (i + 1 + k < len && s[i + 1 + k] >= '0' &&
			       s[i + 1 + k] <= '9')
				k++;
			if (k == 0 || k > 6)
				return TIME_INVALID;
			i += 1 + k;
		}
	}
	/* Without an offset, whose 20:30 would it be? */
	if (i >= len)
		return TIME_INVALID;
	if (s[i] == 'Z' || s[i] == 'z') {
		i++;
	} else if (s[i] == '+' || s[i] == '-') {
		size_t rest = len - i - 1;
		const char *z = s + i + 1;

		if (rest == 2) {
			oh = num(z, 2);
		} else if (rest == 4) {
			oh = num(z, 2);
			om = num(z + 2, 2);
		} else if (rest == 5 && z[2] == ':') {
			oh = num(z, 2);
			om = num(z + 3, 2);
		} else {
			return TIME_INVALID;
		}
		i = len;
	}
	if (i != len || year < 0 || month < 1 || month > 12 || day < 1 ||
	    hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 ||
	    second > 59 || oh < 0 || oh > 14 || om < 0 || om > 59)
		return TIME_INVALID;
	if (day > days_in_month(year, month))
		return TIME_INVALID;
	if (year < 2000 || year > 2100)
		return TIME_OUT_OF_RANGE;
	return TIME_OK;
}

enum input_in input_time(struct json_object *body, struct input_fields *f,
			 const char *key, int flags, const char **out)
{
	struct json_object *v;
	enum input_in in = member(body, f, key, flags, &v);
	const char *s;
	size_t len;

	*out = NULL;
	if (in != INPUT_SET)
		return in;
	if (jsonr_string(body, key, &s, &len) != JSONR_OK) {
		input_field_error(f, key, "not_a_string");
		return INPUT_BAD;
	}
	switch (time_check(s, len)) {
	case TIME_INVALID:
		input_field_error(f, key, "invalid");
		return INPUT_BAD;
	case TIME_OUT_OF_RANGE:
		input_field_error(f, key, "out_of_range");
		return INPUT_BAD;
	case TIME_OK:
		break;
	}
	*out = s;
	return INPUT_SET;
}

int64_t input_path_id(const struct http_req *req)
{
	const char *p = http_param(req, "id");
	int64_t v;

	if (p == NULL || !str_to_i64(p, strlen(p), 0, INT64_MAX, &v))
		return 0;
	return v;
}

bool input_query_id(const struct http_req *req, struct input_fields *f,
		    const char *name, const char **out)
{
	const char *q = http_query(req, name);
	int64_t v;

	*out = NULL;
	if (q == NULL || *q == '\0')
		return true;
	if (!str_to_i64(q, strlen(q), 1, INT64_MAX, &v)) {
		input_field_error(f, name, "invalid");
		return false;
	}
	*out = q;
	return true;
}

/* ---- the public bodies ---------------------------------------------- */

/* An optional text member: "" when absent, NULL when bad. */
static const char *optional_text(struct arena *a, struct json_object *body,
				 struct input_fields *f, const char *key,
				 size_t max, int flags)
{
	const char *s;

	switch (input_text(a, body, f, key, max, flags, &s)) {
	case INPUT_SET:
		return s;
	case INPUT_ABSENT:
	case INPUT_NULL:
		return "";
	case INPUT_BAD:
		break;
	}
	return NULL;
}

int bookings_validate_body(struct arena *a, struct json_object *body,
			   struct booking_input *in, const char **fields_json)
{
	const int required = INPUT_REQUIRED | INPUT_NONEMPTY;
	struct input_fields f;

	memset(in, 0, sizeof(*in));
	*fields_json = NULL;
	input_fields_init(&f, a);
	input_text(a, body, &f, "name", BOOKING_NAME_MAX, required, &in->name);
	if (input_text(a, body, &f, "email", VALID_EMAIL_MAX, required,
		       &in->email) == INPUT_SET &&
	    !valid_email(in->email, strlen(in->email))) {
		input_field_error(&f, "email", "invalid");
		in->email = NULL;
	}
	in->phone = optional_text(a, body, &f, "phone", 40, 0);
	if (in->phone != NULL && *in->phone != '\0' &&
	    !valid_phone(in->phone, strlen(in->phone)))
		input_field_error(&f, "phone", "invalid");
	in->notes = optional_text(a, body, &f, "notes", 1000, INPUT_MULTILINE);
	in->locale = optional_text(a, body, &f, "locale", 2, 0);
	if (in->locale != NULL && *in->locale == '\0')
		in->locale = "it";
	if (in->locale != NULL && strcmp(in->locale, "it") != 0 &&
	    strcmp(in->locale, "en") != 0)
		input_field_error(&f, "locale", "invalid");
	switch (jsonr_int(body, "seats", &in->seats)) {
	case JSONR_MISSING:
		input_field_error(&f, "seats", "required");
		break;
	case JSONR_BAD_TYPE:
		input_field_error(&f, "seats", "not_an_integer");
		break;
	case JSONR_OK:
		if (in->seats < 1 || in->seats > 100)
			input_field_error(&f, "seats", "out_of_range");
	}
	jsonw_end(&f.w);
	if (f.oom || f.b.failed)
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
	    elen == 0 || elen > VALID_EMAIL_MAX || plen == 0 || plen > 1024 ||
	    memchr(*email, '\0', elen) != NULL ||
	    memchr(*password, '\0', plen) != NULL)
		return false;
	*password_len = plen;
	return true;
}
