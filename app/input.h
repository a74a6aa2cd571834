/*
 * input: what every endpoint accepts, in one module (app/input.c): the
 * field readers that record per-field errors for a 422, and the checks of
 * the public bodies as pure functions of a parsed body (no request, no
 * response, no database): the handlers turn their results into HTTP
 * answers; the unit tests and fuzzers call them directly.
 */
#ifndef BOXOFFICE_INPUT_H
#define BOXOFFICE_INPUT_H

#include "../lib/buf.h"
#include "../lib/json.h"
#include "../lib/tok.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;
struct http_req;
struct http_res;
struct json_object;

/* ---- field readers ---------------------------------------------------- */

/* Per-field validation errors, collected into {"field": "code", ...}. */
struct input_fields {
	struct buf b;
	struct jsonw w;
	int n;
	bool oom;	/* a copy failed (recorded as "invalid" too) */
};

void input_fields_init(struct input_fields *f, struct arena *a);
void input_field_error(struct input_fields *f, const char *name,
		       const char *code);
/* Answer 422 validation_failed with the fields; returns 422. */
int input_fields_answer(struct http_res *res, struct input_fields *f);
/* One field's 422 in one call. */
int input_field_answer(struct http_res *res, struct arena *a,
		       const char *name, const char *code);


/*
 * What a reader found. A create reads with INPUT_REQUIRED; an update
 * without, so that an absent field stays as it is.
 */
enum input_in {
	INPUT_ABSENT,	/* not in the body (or null, for a field that is
			 * not INPUT_NULLABLE) */
	INPUT_NULL,	/* null, for an INPUT_NULLABLE field: clear it */
	INPUT_SET,	/* a valid value in *out */
	INPUT_BAD	/* invalid; the error is recorded in the fields */
};

enum {
	INPUT_REQUIRED = 1,	/* absent is an error ("required") */
	INPUT_NONEMPTY = 2,	/* text: empty once trimmed is "required" */
	INPUT_MULTILINE = 4,	/* text: newlines and tabs allowed */
	INPUT_NULLABLE = 8	/* null is a value: INPUT_NULL */
};

/* Text of at most max code points, without control characters; *out is
 * the trimmed copy in the arena. */
enum input_in input_text(struct arena *a, struct json_object *body,
			 struct input_fields *f, const char *key, size_t max,
			 int flags, const char **out);

/* An integer in [min, max]; *text is its decimal text in the arena. */
enum input_in input_int(struct arena *a, struct json_object *body,
			struct input_fields *f, const char *key, int64_t min,
			int64_t max, int flags, int64_t *out,
			const char **text);

/* true or false; *text is "true" or "false". */
enum input_in input_bool(struct json_object *body, struct input_fields *f,
			 const char *key, int flags, bool *out,
			 const char **text);

/*
 * An ISO 8601 date and time with an offset, as
 * "2026-11-28T20:30:00+01:00", "2026-11-28T19:30Z" or with fractions of a
 * second; years 2000-2100, every field in range (no 30 February), so
 * PostgreSQL accepts every string that passes. *out is the string.
 */
enum input_in input_time(struct json_object *body, struct input_fields *f,
			 const char *key, int flags, const char **out);

/* The {id} route capture as a number (the router allows 1-18 digits). */
int64_t input_path_id(const struct http_req *req);

/*
 * Query parameter `name` as an id: NULL *out when absent or empty, else
 * the decimal text. false (error recorded) when it is not a positive
 * integer.
 */
bool input_query_id(const struct http_req *req, struct input_fields *f,
		    const char *name, const char **out);

/* ---- the public bodies ------------------------------------------------ */

/* A visitor's name, in code points. */
#define BOOKING_NAME_MAX 120

/* POST /api/performances/{id}/reservations, once checked. */
struct booking_input {
	const char *name;	/* trimmed, 1-120 code points */
	const char *email;	/* trimmed, valid_email() */
	const char *phone;	/* trimmed, "" or valid_phone() */
	const char *notes;	/* trimmed, "" or up to 1000 code points */
	const char *locale;	/* "it" (the default) or "en" */
	int64_t seats;		/* 1-100 */
};

/*
 * Check a booking body. Returns 0 with *in filled (strings copied into the
 * arena), or the number of invalid fields with *fields_json set to their
 * JSON object, e.g. {"email":"invalid","seats":"required"}, in the order
 * the fields are checked. -1 only when out of memory.
 */
int bookings_validate_body(struct arena *a, struct json_object *body,
			   struct booking_input *in, const char **fields_json);

/*
 * The "token" member of a confirm or cancel body when it is a well-formed
 * token (tok_valid), else NULL. It points into body.
 */
const char *bookings_token_field(struct json_object *body);

/* POST /api/checkins, once checked. */
struct checkin_input {
	char ticket[TOK_LEN + 1];	/* the token out of what was scanned */
	int64_t performance_id;		/* 0 when absent */
	int64_t seats;			/* 0 when absent: admit everyone */
};

enum checkin_check {
	CHECKIN_OK,
	CHECKIN_UNKNOWN_TICKET,	/* no token in "token" (404) */
	CHECKIN_BAD_PERFORMANCE,	/* "performance_id" not an id (422) */
	CHECKIN_BAD_SEATS		/* "seats" not in 1-1000 (422) */
};

/* Check a check-in body; the first problem found wins. */
enum checkin_check checkins_validate_body(struct json_object *body,
					  struct checkin_input *in);

/*
 * The credentials of a login body: both strings present and without NUL,
 * email 1-254 bytes, password 1-1024 bytes. Anything else is answered like
 * a wrong password, so there is no per-field detail.
 */
bool auth_validate_login(struct json_object *body, const char **email,
			 const char **password, size_t *password_len);

#endif
