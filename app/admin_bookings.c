/*
 * admin_bookings: a performance's reservations as the admin sees them
 * (JSON, or a CSV download), an admin's status change of a reservation,
 * and undoing a check-in.
 *
 * A reservation's `status` here is what it means now: a pending hold
 * whose time has run out is "expired" even before the sweep marks it so,
 * the same rule availability uses (sql/002_availability.sql).
 *
 * The CSV is written here from plain rows (RFC 4180: CRLF line ends,
 * quotes doubled, fields with a comma, quote, CR or LF quoted), after a
 * UTF-8 byte order mark so that spreadsheet programs read "Zoë" as UTF-8.
 * People open it in a spreadsheet, so a cell that would start a formula
 * (=, +, -, @, TAB, CR) gets a leading apostrophe.
 *
 * Status changes run admin_set_reservation_status() (sql/005_admin.sql)
 * under the performance's lock, like a visitor's confirmation, so the
 * capacity rule holds against a rush of bookings.
 */
#include "admin.h"

#include "app.h"
#include "audit.h"
#include "auth.h"
#include "input.h"
#include "request.h"

#include "../lib/arena.h"
#include "../lib/db.h"
#include "../lib/log.h"
#include "../lib/valid.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#define RES_STATUS                                                          \
	"(CASE WHEN r.status = 'pending' AND r.expires_at <= now()"          \
	" THEN 'expired' ELSE r.status END)"

#define USER_LABEL(col)                                                     \
	"(SELECT coalesce(nullif(u.name, ''), u.email) FROM users u"        \
	" WHERE u.id = " col ")"

#define CHECKIN_JSON                                                        \
	"json_build_object('id', k.id, 'seats', k.seats, 'at', k.at,"        \
	" 'by', " USER_LABEL("k.by_user") ", 'undone_at', k.undone_at,"      \
	" 'undone_by', " USER_LABEL("k.undone_by") ")"

#define RESERVATION_JSON                                                    \
	"json_build_object('id', r.id, 'performance_id', r.performance_id,"  \
	" 'name', r.name, 'email', r.email, 'phone', r.phone,"               \
	" 'notes', r.notes, 'locale', r.locale, 'seats', r.seats,"           \
	" 'seats_admitted', r.seats_admitted, 'status', " RES_STATUS ","     \
	" 'created_at', r.created_at, 'confirmed_at', r.confirmed_at,"       \
	" 'cancelled_at', r.cancelled_at, 'expires_at', r.expires_at,"       \
	" 'purged_at', r.purged_at,"                                         \
	" 'checkins', coalesce((SELECT json_agg(" CHECKIN_JSON               \
	"  ORDER BY k.at, k.id) FROM checkins k"                             \
	"  WHERE k.reservation_id = r.id), '[]'))"

/* $1 performance, $2 status or NULL, $3 ILIKE pattern or NULL. */
#define RESERVATION_FILTER                                                  \
	"r.performance_id = p.id"                                            \
	" AND ($2::text IS NULL OR " RES_STATUS " = $2)"                     \
	" AND ($3::text IS NULL OR r.name ILIKE $3 OR r.email ILIKE $3"      \
	"  OR r.phone ILIKE $3)"

enum { RESERVATIONS_JSON };
static const char SQL_RESERVATIONS[] =
	"SELECT json_build_object('performance', json_build_object("
	"  'id', p.id, 'starts_at', p.starts_at, 'status', p.status,"
	"  'show', json_build_object('id', s.id, 'slug', s.slug,"
	"   'title', s.title),"
	"  'venue', json_build_object('id', v.id, 'name', v.name),"
	"  'availability', perf_availability(p)),"
	" 'reservations', coalesce((SELECT json_agg(" RESERVATION_JSON
	"  ORDER BY r.created_at, r.id) FROM reservations r"
	"  WHERE " RESERVATION_FILTER "), '[]'))::text"
	" FROM performances p JOIN shows s ON s.id = p.show_id"
	" JOIN venues v ON v.id = p.venue_id WHERE p.id = $1::bigint";

/* No row: no such performance; one row with a NULL id: no reservation.
 * The columns are CSV_HEADER's, in its order. */
enum { CSV_ID };
static const char SQL_RESERVATIONS_CSV[] =
	"SELECT r.id, to_json(r.created_at)#>>'{}', " RES_STATUS ","
	" r.name, r.email, r.phone, r.seats, r.seats_admitted, r.locale,"
	" r.notes, to_json(r.confirmed_at)#>>'{}',"
	" to_json(r.cancelled_at)#>>'{}', to_json(r.expires_at)#>>'{}'"
	" FROM performances p LEFT JOIN reservations r ON " RESERVATION_FILTER
	" WHERE p.id = $1::bigint ORDER BY r.created_at, r.id";

static const char *const CSV_HEADER[] = {
	"id", "created_at", "status", "name", "email", "phone", "seats",
	"seats_admitted", "locale", "notes", "confirmed_at", "cancelled_at",
	"expires_at"
};

enum { RESERVATION_PERFORMANCE_ID };
static const char SQL_RESERVATION_PERFORMANCE[] =
	"SELECT performance_id FROM reservations WHERE id = $1::bigint";

enum { RESERVATION_JSON_TEXT };
static const char SQL_RESERVATION[] =
	"SELECT " RESERVATION_JSON "::text FROM reservations r"
	" WHERE r.id = $1::bigint";

enum { SET_STATUS_RESULT, SET_STATUS_SEATS_AVAILABLE };
static const char SQL_SET_STATUS[] =
	"SELECT o_result, o_seats_available FROM admin_set_reservation_status("
	"$1::bigint, $2, $3::bigint, $4)";

enum { UNDO_RESULT, UNDO_RESERVATION_ID };
static const char SQL_UNDO[] =
	"SELECT o_result, o_reservation_id FROM admin_undo_check_in("
	"$1::bigint, $2::bigint, $3)";

enum { UNDONE_JSON };
static const char SQL_UNDONE[] =
	"SELECT json_build_object('checkin', (SELECT " CHECKIN_JSON
	"  FROM checkins k WHERE k.id = $1::bigint),"
	" 'reservation', " RESERVATION_JSON ")::text"
	" FROM reservations r WHERE r.id = $2::bigint";

static const char *const STATUSES[] = {"pending", "confirmed", "cancelled",
				       "expired"};
#define NSTATUSES (sizeof(STATUSES) / sizeof(STATUSES[0]))

/* POST /admin/reservations/{id}/status: admin_set_reservation_status() */
static const struct outcome status_outcomes[] = {
	{"confirmed", 200, NULL, NULL, NULL, NULL},
	{"cancelled", 200, NULL, NULL, NULL, NULL},
	{"unchanged", 200, NULL, NULL, NULL, NULL},
	{"not_found", 404, "not_found", "no such reservation", NULL, NULL},
	{"not_enough_seats", 409, "not_enough_seats",
	 "the hold expired and the seats are gone", NULL, "seats_available"},
	{"checked_in", 409, "checked_in",
	 "someone on this reservation has been admitted; undo the check-in "
	 "first", NULL, NULL},
	{"reservation_cancelled", 409, "cancelled",
	 "a cancelled reservation cannot be confirmed; book again", NULL, NULL},
	{"performance_cancelled", 409, "performance_cancelled",
	 "the performance is cancelled", NULL, NULL},
};

/* POST /admin/checkins/{id}/undo: admin_undo_check_in() */
static const struct outcome undo_outcomes[] = {
	{"undone", 200, NULL, NULL, NULL, NULL},
	{"not_found", 404, "not_found", "no such check-in", NULL, NULL},
	{"already_undone", 409, "already_undone",
	 "this check-in was already undone", NULL, NULL},
};

/* ---- list and CSV --------------------------------------------------- */

/* '%' text '%' with the LIKE wildcards and the escape character escaped:
 * a search for "50%" finds "50%", not everything starting with "50". */
static const char *like_pattern(struct arena *a, const char *s, size_t n)
{
	char *out = arena_alloc(a, 2 * n + 3), *o = out;

	if (out == NULL)
		return NULL;
	*o++ = '%';
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' || s[i] == '_' || s[i] == '\\')
			*o++ = '\\';
		*o++ = s[i];
	}
	*o++ = '%';
	*o = '\0';
	return out;
}

/* One field, RFC 4180-quoted when it must be, formula-safe. */
static void csv_field(struct buf *b, const char *s)
{
	bool formula = s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;
	bool quote = strpbrk(s, ",\"\r\n") != NULL;
	const char *run = s;

	if (quote)
		buf_putc(b, '"');
	if (formula)
		buf_putc(b, '\'');
	for (const char *p = s; *p != '\0'; p++) {
		if (*p != '"')
			continue;
		buf_append(b, run, (size_t)(p - run + 1));
		buf_putc(b, '"');
		run = p + 1;
	}
	buf_puts(b, run);
	if (quote)
		buf_putc(b, '"');
}

static int csv(struct http_req *req, struct http_res *res, PGresult *r)
{
	const size_t ncols = sizeof(CSV_HEADER) / sizeof(CSV_HEADER[0]);
	const char *name;

	if (PQntuples(r) == 0)
		return http_error(res, 404, "not_found", "no such performance");
	name = arena_printf(req->arena,
			    "attachment; filename=\"reservations-%s.csv\"",
			    http_param(req, "id"));
	if (name == NULL ||
	    http_res_header(res, "Content-Disposition", name) < 0)
		return app_internal_error(res);
	res->content_type = "text/csv; charset=utf-8";
	buf_puts(&res->body, "\xEF\xBB\xBF");
	for (size_t k = 0; k < ncols; k++) {
		if (k > 0)
			buf_putc(&res->body, ',');
		csv_field(&res->body, CSV_HEADER[k]);
	}
	buf_puts(&res->body, "\r\n");
	for (int i = 0; i < PQntuples(r); i++) {
		if (db_null(r, i, CSV_ID))
			continue;	/* the performance has none */
		for (size_t k = 0; k < ncols; k++) {
			if (k > 0)
				buf_putc(&res->body, ',');
			csv_field(&res->body, db_val(r, i, (int)k));
		}
		buf_puts(&res->body, "\r\n");
	}
	return 200;
}

/* The list's query parameters checked: 0, or the status answered (422).
 * *status and *pattern are NULL when not filtering. */
static int list_input(struct http_req *req, struct http_res *res,
		      const char **status, const char **pattern, bool *csv_out)
{
	const char *q = http_query(req, "q");
	const char *format = http_query(req, "format");
	struct input_fields f;
	const char *start;
	size_t n;

	*status = http_query(req, "status");
	*pattern = NULL;
	*csv_out = false;
	input_fields_init(&f, req->arena);
	if (*status != NULL && **status != '\0') {
		bool known = false;

		for (size_t i = 0; i < NSTATUSES; i++)
			known = known || strcmp(*status, STATUSES[i]) == 0;
		if (!known)
			input_field_error(&f, "status", "invalid");
	} else {
		*status = NULL;
	}
	if (q != NULL) {
		switch (valid_text(q, strlen(q), 100, false, &start, &n)) {
		case VALID_OK:
			*pattern = like_pattern(req->arena, start, n);
			break;
		case VALID_EMPTY:
			break;
		case VALID_TOO_LONG:
			input_field_error(&f, "q", "too_long");
			break;
		case VALID_BAD:
			input_field_error(&f, "q", "invalid");
			break;
		}
	}
	if (format != NULL && strcmp(format, "csv") == 0)
		*csv_out = true;
	else if (format != NULL && *format != '\0' &&
		 strcmp(format, "json") != 0)
		input_field_error(&f, "format", "invalid");
	return f.n > 0 ? input_fields_answer(res, &f) : 0;
}

int admin_reservations_list(struct http_req *req, struct http_res *res)
{
	const char *params[3];
	struct db_conn *c;
	enum db_status st;
	bool csv_wanted;
	PGresult *r;
	int status;

	params[0] = http_param(req, "id");
	if ((status = list_input(req, res, &params[1], &params[2],
				 &csv_wanted)) != 0 ||
	    (status = app_db(req, res, &c)) != 0)
		return status;
	st = db_query(c, req->arena,
		      csv_wanted ? SQL_RESERVATIONS_CSV : SQL_RESERVATIONS, 3,
		      params, &r);
	if (st != DB_OK)
		return app_db_error(res, st);
	if (csv_wanted)
		return csv(req, res, r);
	if (PQntuples(r) == 0)
		return http_error(res, 404, "not_found", "no such performance");
	buf_puts(&res->body, db_val(r, 0, RESERVATIONS_JSON));
	return 200;
}

/* ---- status --------------------------------------------------------- */

/* The performance of reservation id in *perf: 0, or the status answered
 * (404, 503). */
static int reservation_performance(struct http_req *req,
				   struct http_res *res, struct db_conn *c,
				   const char *id, int64_t *perf)
{
	const char *params[1] = {id};
	enum db_status st;
	const char *v;
	PGresult *r;

	st = db_query(c, req->arena, SQL_RESERVATION_PERFORMANCE, 1, params,
		      &r);
	if (st != DB_OK)
		return app_db_error(res, st);
	v = PQntuples(r) > 0 ? db_val(r, 0, RESERVATION_PERFORMANCE_ID) : "";
	if (PQntuples(r) == 0 || !str_to_i64(v, strlen(v), 1, INT64_MAX, perf))
		return http_error(res, 404, "not_found", "no such reservation");
	return 0;
}

int admin_reservations_status(struct http_req *req, struct http_res *res)
{
	const char *id = http_param(req, "id");
	const struct outcome *o;
	struct json_object *body;
	struct input_fields f;
	const char *want;
	struct db_params p;
	struct db_conn *c;
	enum db_status st;
	PGresult *r, *row;
	int64_t perf = 0;
	int status;

	if ((status = app_json_body(req, res, &body)) != 0)
		return status;
	input_fields_init(&f, req->arena);
	if (input_text(req->arena, body, &f, "status", 20,
		       INPUT_REQUIRED | INPUT_NONEMPTY, &want) == INPUT_SET &&
	    strcmp(want, "confirmed") != 0 && strcmp(want, "cancelled") != 0)
		input_field_error(&f, "status", "invalid");
	if (f.n > 0)
		return input_fields_answer(res, &f);
	if ((status = app_db(req, res, &c)) != 0 ||
	    (status = reservation_performance(req, res, c, id, &perf)) != 0)
		return status;
	db_params_init(&p);
	db_param(&p, id);
	db_param(&p, want);
	audit_params(&p, req);
	if ((status = app_call(req, res, c, perf, SQL_SET_STATUS, &p,
			       &row)) != 0 ||
	    (status = app_outcome(res, OUTCOMES(status_outcomes),
				  db_val(row, 0, SET_STATUS_RESULT),
				  db_val(row, 0, SET_STATUS_SEATS_AVAILABLE),
				  &o)) != 0)
		return status;
	if (strcmp(o->result, "unchanged") != 0)
		log_event(LOG_INFO, req->request_id, "reservation_status",
			  "reservation %s %s by user %s", id, o->result,
			  auth_user(req)->id_text);
	st = db_query(c, req->arena, SQL_RESERVATION, 1, &id, &r);
	if (st != DB_OK)
		return app_db_error(res, st);
	if (PQntuples(r) != 1)
		return app_internal_error(res);
	return app_json_wrap(res, 200, "reservation",
			     db_val(r, 0, RESERVATION_JSON_TEXT));
}

/* ---- check-ins ------------------------------------------------------ */

int admin_checkins_undo(struct http_req *req, struct http_res *res)
{
	const struct outcome *o;
	const char *undone[2];
	struct db_params p;
	struct db_conn *c;
	enum db_status st;
	PGresult *row, *r;
	int status;

	db_params_init(&p);
	db_param(&p, http_param(req, "id"));
	audit_params(&p, req);
	/* No performance lock: like a scan, an undo changes no availability,
	 * and the check-in's row lock orders it against a scan. */
	if ((status = app_db(req, res, &c)) != 0 ||
	    (status = app_call(req, res, c, 0, SQL_UNDO, &p, &row)) != 0 ||
	    (status = app_outcome(res, OUTCOMES(undo_outcomes),
				  db_val(row, 0, UNDO_RESULT), NULL, &o)) != 0)
		return status;
	undone[0] = http_param(req, "id");
	undone[1] = db_val(row, 0, UNDO_RESERVATION_ID);
	log_event(LOG_INFO, req->request_id, "checkin_undone",
		  "check-in %s of reservation %s by user %s", undone[0],
		  undone[1], auth_user(req)->id_text);
	st = db_query(c, req->arena, SQL_UNDONE, 2, undone, &r);
	if (st != DB_OK)
		return app_db_error(res, st);
	if (PQntuples(r) != 1)
		return app_internal_error(res);
	buf_puts(&res->body, db_val(r, 0, UNDONE_JSON));
	return o->status;
}
