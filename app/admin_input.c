/*
 * admin_input: reading and checking what an admin sends, for every
 * admin_*.c file.
 *
 * The readers tell "absent" from "null" from a value, because a PATCH
 * changes only the fields present in its body and null clears the fields
 * that may be empty. Every error is recorded per field, so one 422 lists
 * everything that is wrong with a form.
 */
#include "admin.h"

#include "../lib/arena.h"
#include "../lib/http.h"
#include "../lib/valid.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <string.h>

void admin_fields_init(struct admin_fields *f, struct arena *a)
{
	buf_init(&f->b, a, 128);
	jsonw_init(&f->w, &f->b);
	jsonw_obj(&f->w);
	f->n = 0;
}

void admin_field_error(struct admin_fields *f, const char *name,
		       const char *code)
{
	jsonw_key(&f->w, name);
	jsonw_str(&f->w, code);
	f->n++;
}

int admin_fields_answer(struct http_res *res, struct admin_fields *f)
{
	jsonw_end(&f->w);
	return http_error_fields(res, 422, "validation_failed",
				 "some fields are not valid", f->b.data);
}

int admin_field_answer(struct http_res *res, struct arena *a,
		       const char *name, const char *code)
{
	struct admin_fields f;

	admin_fields_init(&f, a);
	admin_field_error(&f, name, code);
	return admin_fields_answer(res, &f);
}

/*
 * The member `key`: ADMIN_SET with *v when it has a value, else what an
 * absent or null member means under flags (recording "required").
 */
static enum admin_in member(struct json_object *body, struct admin_fields *f,
			    const char *key, int flags, struct json_object **v)
{
	bool present;

	*v = NULL;
	present = json_object_object_get_ex(body, key, v);
	if (present && *v != NULL)
		return ADMIN_SET;
	if (present && (flags & ADMIN_NULLABLE))
		return ADMIN_NULL;
	if (flags & ADMIN_REQUIRED) {
		admin_field_error(f, key, "required");
		return ADMIN_BAD;
	}
	return ADMIN_ABSENT;
}

enum admin_in admin_text(struct arena *a, struct json_object *body,
			 struct admin_fields *f, const char *key, size_t max,
			 int flags, const char **out)
{
	struct json_object *v;
	enum admin_in in = member(body, f, key, flags, &v);
	const char *start;
	size_t n;

	*out = NULL;
	if (in != ADMIN_SET)
		return in;
	if (!json_object_is_type(v, json_type_string)) {
		admin_field_error(f, key, "not_a_string");
		return ADMIN_BAD;
	}
	switch (valid_text(json_object_get_string(v),
			   (size_t)json_object_get_string_len(v), max,
			   (flags & ADMIN_MULTILINE) != 0, &start, &n)) {
	case VALID_EMPTY:
		if (flags & ADMIN_NONEMPTY) {
			admin_field_error(f, key, "required");
			return ADMIN_BAD;
		}
		break;
	case VALID_TOO_LONG:
		admin_field_error(f, key, "too_long");
		return ADMIN_BAD;
	case VALID_BAD:
		admin_field_error(f, key, "invalid");
		return ADMIN_BAD;
	case VALID_OK:
		break;
	}
	*out = arena_strndup(a, start, n);
	if (*out == NULL) {
		admin_field_error(f, key, "invalid");
		return ADMIN_BAD;
	}
	return ADMIN_SET;
}

enum admin_in admin_int(struct arena *a, struct json_object *body,
			struct admin_fields *f, const char *key, int64_t min,
			int64_t max, int flags, int64_t *out,
			const char **text)
{
	struct json_object *v;
	enum admin_in in = member(body, f, key, flags, &v);

	*text = NULL;
	if (in != ADMIN_SET)
		return in;
	if (jsonr_int(body, key, out) != JSONR_OK) {
		admin_field_error(f, key, "not_an_integer");
		return ADMIN_BAD;
	}
	if (*out < min || *out > max) {
		admin_field_error(f, key, "out_of_range");
		return ADMIN_BAD;
	}
	*text = arena_printf(a, "%" PRId64, *out);
	if (*text == NULL) {
		admin_field_error(f, key, "invalid");
		return ADMIN_BAD;
	}
	return ADMIN_SET;
}

enum admin_in admin_bool(struct json_object *body, struct admin_fields *f,
			 const char *key, int flags, bool *out,
			 const char **text)
{
	struct json_object *v;
	enum admin_in in = member(body, f, key, flags, &v);

	*text = NULL;
	if (in != ADMIN_SET)
		return in;
	if (jsonr_bool(body, key, out) != JSONR_OK) {
		admin_field_error(f, key, "not_a_boolean");
		return ADMIN_BAD;
	}
	*text = *out ? "true" : "false";
	return ADMIN_SET;
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

enum admin_in admin_time(struct json_object *body, struct admin_fields *f,
			 const char *key, int flags, const char **out)
{
	struct json_object *v;
	enum admin_in in = member(body, f, key, flags, &v);
	const char *s;
	size_t len;

	*out = NULL;
	if (in != ADMIN_SET)
		return in;
	if (jsonr_string(body, key, &s, &len) != JSONR_OK) {
		admin_field_error(f, key, "not_a_string");
		return ADMIN_BAD;
	}
	switch (time_check(s, len)) {
	case TIME_INVALID:
		admin_field_error(f, key, "invalid");
		return ADMIN_BAD;
	case TIME_OUT_OF_RANGE:
		admin_field_error(f, key, "out_of_range");
		return ADMIN_BAD;
	case TIME_OK:
		break;
	}
	*out = s;
	return ADMIN_SET;
}

int64_t admin_path_id(const struct http_req *req)
{
	const char *p = http_param(req, "id");
	int64_t v;

	if (p == NULL || !str_to_i64(p, strlen(p), 0, INT64_MAX, &v))
		return 0;
	return v;
}

bool admin_query_id(const struct http_req *req, struct admin_fields *f,
		    const char *name, const char **out)
{
	const char *q = http_query(req, name);
	int64_t v;

	*out = NULL;
	if (q == NULL || *q == '\0')
		return true;
	if (!str_to_i64(q, strlen(q), 1, INT64_MAX, &v)) {
		admin_field_error(f, name, "invalid");
		return false;
	}
	*out = q;
	return true;
}
