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
#include "mails.h"
#include "outbox.h"
#include "request.h"

#include "../lib/arena.h"
#include "../lib/db.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "../lib/tok.h"
#include "../lib/valid.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
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
	" 'code', r.code, 'source', r.source, 'door_excess', r.door_excess,"  \
	" 'released_seats', r.released_seats,"                               \
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
 * The columns are CSV_HEADER's, in its order. Times in the theatre's
 * zone ($4) with their offset, to the second; sorted by name, the order
 * of a door list. */
enum { CSV_ID };
static const char SQL_RESERVATIONS_CSV[] =
	"SELECT r.id, box_local_iso(r.created_at, $4), " RES_STATUS ","
	" r.name, r.email, r.phone, r.seats, r.seats_admitted, r.locale,"
	" r.notes, box_local_iso(r.confirmed_at, $4),"
	" box_local_iso(r.cancelled_at, $4), box_local_iso(r.expires_at, $4),"
	" r.code"
	" FROM performances p LEFT JOIN reservations r ON " RESERVATION_FILTER
	" WHERE p.id = $1::bigint ORDER BY lower(r.name), r.name, r.id";

static const char *const CSV_HEADER[] = {
	"id", "created_at", "status", "name", "email", "phone", "seats",
	"seats_admitted", "locale", "notes", "confirmed_at", "cancelled_at",
	"expires_at", "code"
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
	const char *params[4];
	struct db_conn *c;
	enum db_status st;
	bool csv_wanted;
	PGresult *r;
	int status;

	params[0] = http_param(req, "id");
	params[3] = app.cfg.timezone;
	if ((status = list_input(req, res, &params[1], &params[2],
				 &csv_wanted)) != 0 ||
	    (status = app_db(req, res, &c)) != 0)
		return status;
	st = db_query(c, req->arena,
		      csv_wanted ? SQL_RESERVATIONS_CSV : SQL_RESERVATIONS,
		      csv_wanted ? 4 : 3, params, &r);
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

/* ---- the box office: the admin's own bookings ------------------------- */

#define STR_(x) #x
#define STR(x) STR_(x)

/* What a message says about a performance, and with a reservation (by
 * id) what it says about the booking: the columns of enum mail_col. */
enum mail_col {
	MAIL_SHOW_TITLE, MAIL_VENUE_NAME, MAIL_VENUE_ADDRESS, MAIL_STARTS_EPOCH,
	MAIL_DURATION, MAIL_LOCAL_START, MAIL_SEQUENCE, MAIL_CANCELLED,
	MAIL_PERFORMANCE_ID, MAIL_RES_ID, MAIL_RES_STATUS, MAIL_RES_NAME,
	MAIL_RES_EMAIL, MAIL_RES_LOCALE, MAIL_RES_SEATS, MAIL_RES_CODE
};

#define MAIL_COLUMNS                                                        \
	"s.title, v.name,"                                                   \
	" v.address || CASE WHEN v.city <> '' THEN ', ' || v.city"           \
	" ELSE '' END,"                                                      \
	" extract(epoch FROM p.starts_at)::bigint,"                          \
	" coalesce(s.duration_minutes, " STR(MAILS_DEFAULT_MINUTES) "),"      \
	" to_char(p.starts_at AT TIME ZONE $2, 'YYYY MM DD HH24:MI ID'),"    \
	" p.schedule_seq, p.status = 'cancelled', p.id"

/* The performance, and a fresh reservation id with its code (the ticket
 * message names both before the reservation exists). */
static const char SQL_NEW_BOOKING_INFO[] =
	"SELECT " MAIL_COLUMNS ", n.id, 'new', '', '', '', 0, box_code(n.id)"
	" FROM performances p JOIN shows s ON s.id = p.show_id"
	" JOIN venues v ON v.id = p.venue_id,"
	" (SELECT nextval(pg_get_serial_sequence('reservations', 'id'))"
	"  AS id) n WHERE p.id = $1::bigint";

static const char SQL_BOOKING_INFO[] =
	"SELECT " MAIL_COLUMNS ", r.id, " RES_STATUS ", r.name, r.email,"
	" r.locale, r.seats, r.code"
	" FROM reservations r JOIN performances p ON p.id = r.performance_id"
	" JOIN shows s ON s.id = p.show_id JOIN venues v ON v.id = p.venue_id"
	" WHERE r.id = $1::bigint";

enum { ADMIN_BOOK_RESULT, ADMIN_BOOK_SEATS_AVAILABLE };
static const char SQL_ADMIN_BOOK[] =
	"SELECT o_result, o_seats_available FROM admin_book($1::bigint,"
	" $2::bigint, $3::integer, $4, $5, $6, $7, $8, $9::boolean,"
	" $10::bytea, $11::bytea, $12::integer, $13, $14, $15::bigint, $16)";

enum { UPDATE_RESULT, UPDATE_SEATS_AVAILABLE, UPDATE_SEATS_ADMITTED };
static const char SQL_ADMIN_UPDATE[] =
	"SELECT o_result, o_seats_available, o_seats_admitted"
	" FROM admin_update_reservation($1::bigint, $2::integer, $3, $4, $5,"
	" $6, $7::bigint, $8)";

enum { ADMIN_RESEND_RESULT };
static const char SQL_ADMIN_RESEND[] =
	"SELECT o_result FROM admin_resend($1::bigint, $2, $3::bytea,"
	" $4::bytea, $5, $6::bigint, $7)";

enum { DOOR_FLAG_RESULT };
static const char SQL_DOOR_FLAG[] =
	"SELECT o_result FROM admin_set_release_absent($1::bigint,"
	" $2::boolean, $3::bigint, $4)";

/* POST /admin/performances/{id}/reservations: admin_book() */
static const struct outcome book_outcomes[] = {
	{"created", 201, NULL, NULL, NULL, NULL},
	{"not_found", 404, "not_found", "no such performance", NULL, NULL},
	{"performance_cancelled", 409, "performance_cancelled",
	 "the performance is cancelled", NULL, NULL},
	{"not_enough_seats", 409, "not_enough_seats",
	 "not enough seats are free", NULL, "seats_available"},
};

/* PATCH /admin/reservations/{id}: admin_update_reservation() */
static const struct outcome update_outcomes[] = {
	{"updated", 200, NULL, NULL, NULL, NULL},
	{"unchanged", 200, NULL, NULL, NULL, NULL},
	{"not_found", 404, "not_found", "no such reservation", NULL, NULL},
	{"not_active", 409, "not_active",
	 "the seats of a cancelled or expired reservation cannot change",
	 NULL, NULL},
	{"performance_cancelled", 409, "performance_cancelled",
	 "the performance is cancelled", NULL, NULL},
	{"not_enough_seats", 409, "not_enough_seats",
	 "not enough seats are free", NULL, "seats_available"},
	{"below_admitted", 409, "checked_in",
	 "more people than that are already in", NULL, "seats_admitted"},
};

/* POST /admin/reservations/{id}/resend: admin_resend() */
static const struct outcome resend_outcomes[] = {
	{"queued", 202, NULL, NULL, NULL, NULL},
	{"not_found", 404, "not_found", "no such reservation", NULL, NULL},
	{"no_email", 409, "no_email", "this reservation has no email address",
	 NULL, NULL},
	{"gone", 409, "cancelled",
	 "this reservation was cancelled or its hold expired", NULL, NULL},
	{"changed", 409, "conflict", "the reservation just changed; try again",
	 NULL, NULL},
};

/* PATCH /admin/performances/{id}/door: admin_set_release_absent() */
static const struct outcome door_outcomes[] = {
	{"updated", 200, NULL, NULL, NULL, NULL},
	{"not_found", 404, "not_found", "no such performance", NULL, NULL},
};

/* The message's view of row r of SQL_[NEW_]BOOKING_INFO. */
static void mail_from_row(struct mails_booking *m, const PGresult *r)
{
	memset(m, 0, sizeof(*m));
	m->show_title = db_val(r, 0, MAIL_SHOW_TITLE);
	m->venue_name = db_val(r, 0, MAIL_VENUE_NAME);
	m->venue_address = db_val(r, 0, MAIL_VENUE_ADDRESS);
	m->starts_at = (time_t)strtoll(db_val(r, 0, MAIL_STARTS_EPOCH), NULL,
				       10);
	m->duration_minutes = (int)strtol(db_val(r, 0, MAIL_DURATION), NULL,
					  10);
	m->local_start = db_val(r, 0, MAIL_LOCAL_START);
	m->sequence = (int)strtol(db_val(r, 0, MAIL_SEQUENCE), NULL, 10);
	m->cancelled = strcmp(db_val(r, 0, MAIL_CANCELLED), "t") == 0;
	m->reservation_id = strtoll(db_val(r, 0, MAIL_RES_ID), NULL, 10);
	m->name = db_val(r, 0, MAIL_RES_NAME);
	m->email = db_val(r, 0, MAIL_RES_EMAIL);
	m->locale = db_val(r, 0, MAIL_RES_LOCALE);
	m->seats = (int)strtol(db_val(r, 0, MAIL_RES_SEATS), NULL, 10);
	m->code = db_val(r, 0, MAIL_RES_CODE);
}

/* Row of sql for id (and the theatre's zone): 0, or the status answered
 * (404 with what, 503). */
static int info_row(struct http_req *req, struct http_res *res,
		    struct db_conn *c, const char *sql, const char *id,
		    const char *what, PGresult **r)
{
	const char *params[2] = {id, app.cfg.timezone};
	enum db_status st = db_query(c, req->arena, sql, 2, params, r);

	if (st != DB_OK)
		return app_db_error(res, st);
	if (PQntuples(*r) != 1)
		return http_error(res, 404, "not_found", what);
	return 0;
}

/* Fresh tokens, their hashes, and the message for m (the ticket when
 * ticket, else the confirmation link) in *mail: 0, or the status
 * answered (500). *ticket_url is the new ticket's page. */
static int new_message(struct http_req *req, struct http_res *res,
		       const struct mails_booking *m, bool ticket,
		       char confirm_hash[TOK_HASH_HEX_LEN + 1],
		       char ticket_hash[TOK_HASH_HEX_LEN + 1],
		       struct buf *mail, const char **ticket_url)
{
	char confirm[TOK_LEN + 1], tt[TOK_LEN + 1];
	int rc;

	buf_init(mail, req->arena, 16384);
	if (tok_new(confirm) < 0 || tok_derive_ticket(confirm, tt) < 0 ||
	    tok_hash_hex(confirm, confirm_hash) < 0 ||
	    tok_hash_hex(tt, ticket_hash) < 0)
		return app_internal_error(res);
	*ticket_url = arena_printf(req->arena, "%s/t/%s", app.cfg.public_url,
				   tt);
	if (m == NULL)
		return *ticket_url == NULL ? app_internal_error(res) : 0;
	rc = ticket ? mails_ticket(req->arena, m, confirm, tt, mail)
		    : mails_confirm(req->arena, m, confirm,
				    app.cfg.hold_minutes, mail);
	if (rc < 0 || mail->failed || *ticket_url == NULL) {
		log_event(LOG_ERROR, req->request_id, "mail_render_failed",
			  "%s for reservation %lld",
			  ticket ? "ticket" : "confirmation",
			  (long long)m->reservation_id);
		return app_internal_error(res);
	}
	return 0;
}

/* The reservation id as the admin sees it, with extra members (a JSON
 * text of members, or NULL) after it: the answer. */
static int reservation_answer(struct http_req *req, struct http_res *res,
			      struct db_conn *c, const char *id, int status,
			      const char *extra)
{
	enum db_status st;
	PGresult *r;

	st = db_query(c, req->arena, SQL_RESERVATION, 1, &id, &r);
	if (st != DB_OK)
		return app_db_error(res, st);
	if (PQntuples(r) != 1)
		return app_internal_error(res);
	buf_printf(&res->body, "{\"reservation\":%s%s%s}",
		   db_val(r, 0, RESERVATION_JSON_TEXT),
		   extra != NULL ? "," : "", extra != NULL ? extra : "");
	return status;
}

/* The contact fields of a create (flags INPUT_REQUIRED on name) or an
 * update, into *name, *email, *phone, *notes (NULL when absent). */
static void contact_input(struct http_req *req, struct json_object *body,
			  struct input_fields *f, int name_flags,
			  const char **name, const char **email,
			  const char **phone, const char **notes)
{
	*name = *email = *phone = *notes = NULL;
	input_text(req->arena, body, f, "name", BOOKING_NAME_MAX,
		   name_flags | INPUT_NONEMPTY, name);
	if (input_text(req->arena, body, f, "email", VALID_EMAIL_MAX, 0,
		       email) == INPUT_SET &&
	    **email != '\0' && !valid_email(*email, strlen(*email)))
		input_field_error(f, "email", "invalid");
	if (input_text(req->arena, body, f, "phone", 40, 0, phone) ==
		    INPUT_SET &&
	    **phone != '\0' && !valid_phone(*phone, strlen(*phone)))
		input_field_error(f, "phone", "invalid");
	input_text(req->arena, body, f, "notes", 1000, INPUT_MULTILINE, notes);
}

/* An admin's booking, once checked. */
struct box_booking {
	const char *name, *email, *phone, *notes, *locale, *seats_text;
	int64_t seats;
	bool confirmed, has_email;
};

/* The body of POST /admin/performances/{id}/reservations: 0 with *b, or
 * the status answered (400, 422). */
static int box_booking_input(struct http_req *req, struct http_res *res,
			     struct box_booking *b)
{
	struct json_object *body;
	struct input_fields f;
	const char *bool_text;
	int status;

	memset(b, 0, sizeof(*b));
	b->confirmed = true;
	if ((status = app_json_body(req, res, &body)) != 0)
		return status;
	input_fields_init(&f, req->arena);
	contact_input(req, body, &f, INPUT_REQUIRED, &b->name, &b->email,
		      &b->phone, &b->notes);
	input_int(req->arena, body, &f, "seats", 1, 100, INPUT_REQUIRED,
		  &b->seats, &b->seats_text);
	input_bool(body, &f, "confirmed", 0, &b->confirmed, &bool_text);
	if (input_text(req->arena, body, &f, "locale", 2, 0, &b->locale) ==
		    INPUT_SET &&
	    strcmp(b->locale, "it") != 0 && strcmp(b->locale, "en") != 0)
		input_field_error(&f, "locale", "invalid");
	b->has_email = b->email != NULL && *b->email != '\0';
	if (!b->has_email)
		b->email = "";
	/* Without an email nobody can follow a confirmation link. */
	if (!b->confirmed && !b->has_email)
		input_field_error(&f, "confirmed", "needs_email");
	if (f.n > 0)
		return input_fields_answer(res, &f);
	if (b->locale == NULL)
		b->locale = "it";
	return 0;
}

/* "ticket": {"url": ...} as members to add to an answer, or NULL. */
static const char *ticket_member(struct arena *a, const char *url)
{
	struct buf e;
	struct jsonw w;

	buf_init(&e, a, 128);
	jsonw_init(&w, &e);
	jsonw_obj(&w);
	jsonw_key(&w, "url");
	jsonw_str(&w, url);
	jsonw_end(&w);
	return e.failed ? NULL : arena_printf(a, "\"ticket\":%s", e.data);
}

int admin_reservations_create(struct http_req *req, struct http_res *res)
{
	const char *ticket_url = NULL, *id;
	char confirm_hash[TOK_HASH_HEX_LEN + 1], ticket_hash[TOK_HASH_HEX_LEN + 1];
	const struct outcome *o;
	struct box_booking b;
	struct mails_booking m;
	struct db_params p;
	struct db_conn *c;
	PGresult *info, *row;
	struct buf mail;
	int64_t perf = input_path_id(req);
	int status;

	if ((status = box_booking_input(req, res, &b)) != 0 ||
	    (status = app_db(req, res, &c)) != 0 ||
	    (status = info_row(req, res, c, SQL_NEW_BOOKING_INFO,
			       http_param(req, "id"), "no such performance",
			       &info)) != 0)
		return status;
	mail_from_row(&m, info);
	m.name = b.name;
	m.email = b.email;
	m.locale = b.locale;
	m.seats = (int)b.seats;
	id = db_val(info, 0, MAIL_RES_ID);
	if ((status = new_message(req, res, b.has_email ? &m : NULL,
				  b.confirmed, confirm_hash, ticket_hash,
				  &mail, &ticket_url)) != 0)
		return status;
	db_params_init(&p);
	db_param(&p, id);
	db_param_int(&p, perf);
	db_param(&p, b.seats_text);
	db_param(&p, b.name);
	db_param(&p, b.email);
	db_param(&p, b.phone);
	db_param(&p, b.notes);
	db_param(&p, b.locale);
	db_param_bool(&p, b.confirmed);
	db_param(&p, confirm_hash);
	db_param(&p, ticket_hash);
	db_param_int(&p, app.cfg.hold_minutes);
	db_param(&p, b.confirmed ? "ticket" : "confirm");
	db_param(&p, b.has_email ? mail.data : NULL);
	audit_params(&p, req);
	if ((status = app_call(req, res, c, perf, SQL_ADMIN_BOOK, &p,
			       &row)) != 0 ||
	    (status = app_outcome(res, OUTCOMES(book_outcomes),
				  db_val(row, 0, ADMIN_BOOK_RESULT),
				  db_val(row, 0, ADMIN_BOOK_SEATS_AVAILABLE),
				  &o)) != 0)
		return status;
	if (b.has_email)
		outbox_kick();
	log_event(LOG_INFO, req->request_id, "admin_booking",
		  "reservation %s: %s seats, %s, by user %s", id, b.seats_text,
		  b.confirmed ? "confirmed" : "pending",
		  auth_user(req)->id_text);
	/* The ticket's link, for the admin to read out on the phone or
	 * print; the admin may see any booking anyway. */
	return reservation_answer(req, res, c, id, o->status,
				  b.confirmed ? ticket_member(req->arena,
							      ticket_url)
					      : NULL);
}

int admin_reservations_update(struct http_req *req, struct http_res *res)
{
	const char *id = http_param(req, "id");
	const char *name, *email, *phone, *notes, *seats_text = NULL;
	const struct outcome *o;
	struct json_object *body;
	struct input_fields f;
	struct db_params p;
	struct db_conn *c;
	int64_t seats, perf = 0;
	PGresult *row;
	int status;

	if ((status = app_json_body(req, res, &body)) != 0)
		return status;
	input_fields_init(&f, req->arena);
	contact_input(req, body, &f, 0, &name, &email, &phone, &notes);
	input_int(req->arena, body, &f, "seats", 1, 100, 0, &seats,
		  &seats_text);
	if (f.n > 0)
		return input_fields_answer(res, &f);
	if ((status = app_db(req, res, &c)) != 0 ||
	    (status = reservation_performance(req, res, c, id, &perf)) != 0)
		return status;
	db_params_init(&p);
	db_param(&p, id);
	db_param(&p, seats_text);
	db_param(&p, name);
	db_param(&p, email);
	db_param(&p, phone);
	db_param(&p, notes);
	audit_params(&p, req);
	if ((status = app_call(req, res, c, perf, SQL_ADMIN_UPDATE, &p,
			       &row)) != 0)
		return status;
	{
		const char *r = db_val(row, 0, UPDATE_RESULT);
		const char *v = strcmp(r, "below_admitted") == 0
					? db_val(row, 0, UPDATE_SEATS_ADMITTED)
					: db_val(row, 0, UPDATE_SEATS_AVAILABLE);

		if ((status = app_outcome(res, OUTCOMES(update_outcomes), r, v,
					  &o)) != 0)
			return status;
	}
	if (strcmp(o->result, "updated") == 0)
		log_event(LOG_INFO, req->request_id, "reservation_updated",
			  "reservation %s by user %s", id,
			  auth_user(req)->id_text);
	return reservation_answer(req, res, c, id, 200, NULL);
}

int admin_reservations_resend(struct http_req *req, struct http_res *res)
{
	const char *id = http_param(req, "id");
	char confirm_hash[TOK_HASH_HEX_LEN + 1], ticket_hash[TOK_HASH_HEX_LEN + 1];
	const char *status_now, *kind, *ticket_url = NULL;
	const struct outcome *o;
	struct mails_booking m;
	struct db_params p;
	struct db_conn *c;
	PGresult *info, *row;
	struct buf mail;
	int64_t perf;
	int status;

	if ((status = app_db(req, res, &c)) != 0 ||
	    (status = info_row(req, res, c, SQL_BOOKING_INFO, id,
			       "no such reservation", &info)) != 0)
		return status;
	mail_from_row(&m, info);
	perf = strtoll(db_val(info, 0, MAIL_PERFORMANCE_ID), NULL, 10);
	status_now = db_val(info, 0, MAIL_RES_STATUS);
	if (*m.email == '\0')
		return http_error(res, 409, "no_email",
				  "this reservation has no email address");
	if (strcmp(status_now, "confirmed") == 0)
		kind = "ticket";
	else if (strcmp(status_now, "pending") == 0)
		kind = "confirm";
	else
		return http_error(res, 409, "cancelled",
				  "this reservation was cancelled or its hold "
				  "expired");
	if ((status = new_message(req, res, &m, strcmp(kind, "ticket") == 0,
				  confirm_hash, ticket_hash, &mail,
				  &ticket_url)) != 0)
		return status;
	db_params_init(&p);
	db_param(&p, id);
	db_param(&p, kind);
	db_param(&p, confirm_hash);
	db_param(&p, ticket_hash);
	db_param(&p, mail.data);
	audit_params(&p, req);
	if ((status = app_call(req, res, c, perf, SQL_ADMIN_RESEND, &p,
			       &row)) != 0 ||
	    (status = app_outcome(res, OUTCOMES(resend_outcomes),
				  db_val(row, 0, ADMIN_RESEND_RESULT), NULL,
				  &o)) != 0)
		return status;
	outbox_kick();
	log_event(LOG_INFO, req->request_id, "reservation_resent",
		  "reservation %s: %s with new links by user %s", id, kind,
		  auth_user(req)->id_text);
	buf_printf(&res->body, "{\"sent\":\"%s\"}", kind);
	return o->status;
}

int admin_performances_door(struct http_req *req, struct http_res *res)
{
	const struct outcome *o;
	struct json_object *body;
	struct input_fields f;
	struct db_params p;
	struct db_conn *c;
	bool value = false;
	const char *bool_text;
	PGresult *row;
	int64_t perf = input_path_id(req);
	int status;

	if ((status = app_json_body(req, res, &body)) != 0)
		return status;
	input_fields_init(&f, req->arena);
	input_bool(body, &f, "release_absent", INPUT_REQUIRED, &value,
		   &bool_text);
	if (f.n > 0)
		return input_fields_answer(res, &f);
	db_params_init(&p);
	db_param_int(&p, perf);
	db_param_bool(&p, value);
	audit_params(&p, req);
	if ((status = app_db(req, res, &c)) != 0 ||
	    (status = app_call(req, res, c, perf, SQL_DOOR_FLAG, &p,
			       &row)) != 0 ||
	    (status = app_outcome(res, OUTCOMES(door_outcomes),
				  db_val(row, 0, DOOR_FLAG_RESULT), NULL,
				  &o)) != 0)
		return status;
	buf_printf(&res->body, "{\"door\":{\"release_absent\":%s}}",
		   value ? "true" : "false");
	return o->status;
}

/* ---- the dashboard ---------------------------------------------------- */

/* $1 the theatre's zone. Coming performances (and those of the last six
 * hours) with their fill; bookings per local day over 28 days; the last
 * past performances with the share of booked seats that came. */
enum { DASHBOARD_JSON };
static const char SQL_DASHBOARD[] =
	"SELECT json_build_object("
	" 'generated_at', now(), 'timezone', $1::text,"
	" 'coming', coalesce((SELECT json_agg(json_build_object("
	"   'id', p.id, 'starts_at', p.starts_at,"
	"   'local_start', box_local_iso(p.starts_at, $1),"
	"   'status', p.status,"
	"   'show', json_build_object('slug', s.slug, 'title', s.title),"
	"   'venue', json_build_object('id', v.id, 'name', v.name),"
	"   'seats', perf_seats_sellable(p),"
	"   'confirmed', k.confirmed, 'pending', k.pending,"
	"   'admitted', k.admitted,"
	"   'free', greatest(perf_seats_available(p), 0))"
	"   ORDER BY p.starts_at, p.id)"
	"  FROM (SELECT * FROM performances"
	"   WHERE starts_at > now() - interval '6 hours'"
	"   AND status = 'scheduled' ORDER BY starts_at LIMIT 20) p"
	"  JOIN shows s ON s.id = p.show_id JOIN venues v ON v.id = p.venue_id"
	"  CROSS JOIN LATERAL (SELECT"
	"   coalesce(sum(seats) FILTER (WHERE status = 'confirmed'), 0)"
	"    AS confirmed,"
	"   coalesce(sum(seats) FILTER (WHERE status = 'pending'"
	"    AND expires_at > now()), 0) AS pending,"
	"   coalesce(sum(seats_admitted) FILTER (WHERE status = 'confirmed'),"
	"    0) AS admitted"
	"   FROM reservations WHERE performance_id = p.id) k), '[]'),"
	" 'per_day', (SELECT json_agg(json_build_object('day', d.day,"
	"   'reservations', coalesce(b.n, 0), 'seats', coalesce(b.seats, 0))"
	"   ORDER BY d.day)"
	"  FROM (SELECT to_char(g, 'YYYY-MM-DD') AS day FROM generate_series("
	"    (now() AT TIME ZONE $1)::date - 27, (now() AT TIME ZONE $1)::date,"
	"    interval '1 day') g) d"
	"  LEFT JOIN (SELECT to_char(created_at AT TIME ZONE $1, 'YYYY-MM-DD')"
	"    AS day, count(*) AS n, sum(seats) AS seats FROM reservations"
	"    WHERE created_at > now() - interval '29 days'"
	"    AND status <> 'expired' GROUP BY 1) b ON b.day = d.day),"
	" 'past', coalesce((SELECT json_agg(json_build_object("
	"   'id', p.id, 'starts_at', p.starts_at,"
	"   'local_start', box_local_iso(p.starts_at, $1),"
	"   'show', json_build_object('slug', s.slug, 'title', s.title),"
	"   'booked', k.booked, 'admitted', k.admitted,"
	"   'no_shows', k.booked - k.admitted,"
	"   'show_up_percent', CASE WHEN k.booked > 0"
	"    THEN round(100.0 * k.admitted / k.booked) END)"
	"   ORDER BY p.starts_at DESC, p.id)"
	"  FROM (SELECT * FROM performances WHERE starts_at <= now()"
	"   AND status = 'scheduled' ORDER BY starts_at DESC LIMIT 10) p"
	"  JOIN shows s ON s.id = p.show_id"
	"  CROSS JOIN LATERAL (SELECT"
	"   coalesce(sum(seats + released_seats) FILTER"
	"    (WHERE status = 'confirmed' OR released_seats > 0), 0) AS booked,"
	"   coalesce(sum(seats_admitted) FILTER (WHERE status = 'confirmed'),"
	"    0) AS admitted"
	"   FROM reservations WHERE performance_id = p.id) k), '[]'))::text";

int admin_dashboard(struct http_req *req, struct http_res *res)
{
	return app_document(req, res, 200, SQL_DASHBOARD, app.cfg.timezone,
			    NULL);
}
