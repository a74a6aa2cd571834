/*
 * admin: the admin API under /admin/ (docs/API.md, "Admin"): the
 * programme (venues, shows, performances), reservations and check-ins,
 * users and the audit log. Every route is ACCESS_ADMIN; every write is
 * audited (app/audit.h).
 *
 * The handlers live in admin_programme.c, admin_bookings.c and
 * admin_users.c; the input readers they share, in admin_input.c.
 */
#ifndef BOXOFFICE_ADMIN_H
#define BOXOFFICE_ADMIN_H

#include "../lib/buf.h"
#include "../lib/json.h"

#include <stdbool.h>
#include <stdint.h>

struct arena;
struct http_req;
struct http_res;
struct json_object;

/* admin_programme.c */
int admin_venues_list(struct http_req *req, struct http_res *res);
int admin_venues_create(struct http_req *req, struct http_res *res);
int admin_venues_get(struct http_req *req, struct http_res *res);
int admin_venues_update(struct http_req *req, struct http_res *res);
int admin_venues_delete(struct http_req *req, struct http_res *res);
int admin_shows_list(struct http_req *req, struct http_res *res);
int admin_shows_create(struct http_req *req, struct http_res *res);
int admin_shows_get(struct http_req *req, struct http_res *res);
int admin_shows_update(struct http_req *req, struct http_res *res);
int admin_shows_delete(struct http_req *req, struct http_res *res);
int admin_performances_list(struct http_req *req, struct http_res *res);
int admin_performances_create(struct http_req *req, struct http_res *res);
int admin_performances_get(struct http_req *req, struct http_res *res);
int admin_performances_update(struct http_req *req, struct http_res *res);
int admin_performances_cancel(struct http_req *req, struct http_res *res);

/* admin_bookings.c */
int admin_reservations_list(struct http_req *req, struct http_res *res);
int admin_reservations_status(struct http_req *req, struct http_res *res);
int admin_checkins_undo(struct http_req *req, struct http_res *res);

/* admin_users.c */
int admin_users_list(struct http_req *req, struct http_res *res);
int admin_users_create(struct http_req *req, struct http_res *res);
int admin_users_password(struct http_req *req, struct http_res *res);
int admin_users_deactivate(struct http_req *req, struct http_res *res);
int admin_users_activate(struct http_req *req, struct http_res *res);
int admin_audit_list(struct http_req *req, struct http_res *res);

/* ---- shared by the admin_*.c files only (admin_input.c) ------------- */

/* Per-field validation errors, collected into {"field": "code", ...}. */
struct admin_fields {
	struct buf b;
	struct jsonw w;
	int n;
};

void admin_fields_init(struct admin_fields *f, struct arena *a);
void admin_field_error(struct admin_fields *f, const char *name,
		       const char *code);
/* Answer 422 validation_failed with the fields; returns 422. */
int admin_fields_answer(struct http_res *res, struct admin_fields *f);
/* One field's 422 in one call. */
int admin_field_answer(struct http_res *res, struct arena *a,
		       const char *name, const char *code);


/*
 * What a reader found. A create reads with ADMIN_REQUIRED; an update
 * without, so that an absent field stays as it is.
 */
enum admin_in {
	ADMIN_ABSENT,	/* not in the body (or null, for a field that is
			 * not ADMIN_NULLABLE) */
	ADMIN_NULL,	/* null, for an ADMIN_NULLABLE field: clear it */
	ADMIN_SET,	/* a valid value in *out */
	ADMIN_BAD	/* invalid; the error is recorded in the fields */
};

enum {
	ADMIN_REQUIRED = 1,	/* absent is an error ("required") */
	ADMIN_NONEMPTY = 2,	/* text: empty once trimmed is "required" */
	ADMIN_MULTILINE = 4,	/* text: newlines and tabs allowed */
	ADMIN_NULLABLE = 8	/* null is a value: ADMIN_NULL */
};

/* Text of at most max code points, without control characters; *out is
 * the trimmed copy in the arena. */
enum admin_in admin_text(struct arena *a, struct json_object *body,
			 struct admin_fields *f, const char *key, size_t max,
			 int flags, const char **out);

/* An integer in [min, max]; *text is its decimal text in the arena. */
enum admin_in admin_int(struct arena *a, struct json_object *body,
			struct admin_fields *f, const char *key, int64_t min,
			int64_t max, int flags, int64_t *out,
			const char **text);

/* true or false; *text is "true" or "false". */
enum admin_in admin_bool(struct json_object *body, struct admin_fields *f,
			 const char *key, int flags, bool *out,
			 const char **text);

/*
 * An ISO 8601 date and time with an offset, as
 * "2026-11-28T20:30:00+01:00", "2026-11-28T19:30Z" or with fractions of a
 * second; years 2000-2100, every field in range (no 30 February), so
 * PostgreSQL accepts every string that passes. *out is the string.
 */
enum admin_in admin_time(struct json_object *body, struct admin_fields *f,
			 const char *key, int flags, const char **out);

/* The {id} route capture as a number (the router allows 1-18 digits). */
int64_t admin_path_id(const struct http_req *req);

/*
 * Query parameter `name` as an id: NULL *out when absent or empty, else
 * the decimal text. false (error recorded) when it is not a positive
 * integer.
 */
bool admin_query_id(const struct http_req *req, struct admin_fields *f,
		    const char *name, const char **out);

#endif
