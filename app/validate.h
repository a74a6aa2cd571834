/*
 * validate: the input checks of the public endpoints, as pure functions of
 * a parsed body: no request, no response, no database. The handlers turn
 * their results into HTTP answers; the fuzzers (tests/fuzz/fuzz_validate.c)
 * call them directly on arbitrary bodies.
 */
#ifndef BOXOFFICE_VALIDATE_H
#define BOXOFFICE_VALIDATE_H

#include "../lib/tok.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;
struct json_object;

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
