/*
 * bookings: the visitor's booking flow.
 *
 * Every seat-changing write follows one pattern (docs/ARCHITECTURE.md):
 *
 *	read what the message needs  (outside any transaction)
 *	render the message           (it holds a raw token; CPU only)
 *	pg_advisory_lock(performance)
 *	SERIALIZABLE: SELECT <one SQL function>   (retried on 40001/40P01)
 *	pg_advisory_unlock(performance)
 *	wake the outbox
 *
 * The SQL functions (sql/003_booking.sql) decide and write; this file
 * validates input, turns their result codes into HTTP answers and never
 * lets a token reach a log or a response other than its owner's.
 */
#include "bookings.h"

#include "app.h"
#include "mails.h"
#include "outbox.h"
#include "validate.h"

#include "../lib/arena.h"
#include "../lib/db.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "../lib/qr.h"
#include "../lib/tok.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

/* Columns 0-7 of both "info" queries below, in this order. */
#define INFO_COLUMNS                                                       \
	"s.title, v.name,"                                                  \
	" v.address || CASE WHEN v.city <> '' THEN ', ' || v.city"          \
	" ELSE '' END,"                                                     \
	" extract(epoch FROM p.starts_at)::bigint,"                         \
	" coalesce(s.duration_minutes, 120),"                               \
	" to_char(p.starts_at AT TIME ZONE $2, 'YYYY MM DD HH24:MI ID'),"   \
	" json_build_object('id', p.id, 'starts_at', p.starts_at,"          \
	"  'status', p.status,"                                             \
	"  'show', json_build_object('slug', s.slug, 'title', s.title),"    \
	"  'venue', json_build_object('id', v.id, 'name', v.name,"          \
	"   'address', v.address, 'city', v.city))::text, p.id"

#define INFO_JOINS                                                          \
	" JOIN shows s ON s.id = p.show_id JOIN venues v ON v.id = p.venue_id"

static const char SQL_PERF_INFO[] =
	"SELECT " INFO_COLUMNS " FROM performances p" INFO_JOINS
	" WHERE p.id = $1::bigint AND s.published";

/* Columns 8.. : the reservation. */
static const char SQL_RES_INFO[] =
	"SELECT " INFO_COLUMNS ", r.id, r.status, r.name, r.email, r.locale,"
	" r.seats, r.seats_admitted"
	" FROM reservations r JOIN performances p ON p.id = r.performance_id"
	INFO_JOINS " WHERE r.confirm_token_hash = $1::bytea";

static const char SQL_BOOK[] =
	"SELECT o_result, o_reservation_id, o_seats_available,"
	" to_json(o_expires_at)#>>'{}'"
	" FROM book($1::bigint, $2::integer, $3, $4, $5, $6, $7, $8::bytea,"
	" $9::bytea, $10::integer, $11)";

static const char SQL_CONFIRM[] =
	"SELECT o_result, o_reservation_id, o_seats_available"
	" FROM confirm_reservation($1::bytea, $2)";

static const char SQL_CANCEL[] =
	"SELECT o_result FROM cancel_reservation($1::bytea)";

static const char SQL_TICKET[] =
	"SELECT json_build_object('status', r.status, 'seats', r.seats,"
	" 'seats_admitted', r.seats_admitted,"
	" 'checked_in_at', (SELECT max(c.at) FROM checkins c"
	"   WHERE c.reservation_id = r.id AND c.undone_at IS NULL),"
	" 'performance', json_build_object('id', p.id, 'starts_at',"
	"   p.starts_at, 'status', p.status),"
	" 'show', json_build_object('slug', s.slug, 'title', s.title),"
	" 'venue', json_build_object('id', v.id, 'name', v.name,"
	"   'address', v.address, 'city', v.city))::text"
	" FROM reservations r JOIN performances p ON p.id = r.performance_id"
	INFO_JOINS " WHERE r.ticket_token_hash = $1::bytea";

static const char SQL_TICKET_EXISTS[] =
	"SELECT 1 FROM reservations WHERE ticket_token_hash = $1::bytea";

/* ---- input ------------------------------------------------------------ */

/* ---- shared reads --------------------------------------------------- */

struct info {
	struct mails_booking mail;
	const char *performance_json;
	int64_t performance_id;
	const char *status;		/* reservation status */
	int seats_admitted;
};

static void info_from_row(struct info *in, PGresult *r)
{
	memset(in, 0, sizeof(*in));
	in->mail.show_title = db_val(r, 0, 0);
	in->mail.venue_name = db_val(r, 0, 1);
	in->mail.venue_address = db_val(r, 0, 2);
	in->mail.starts_at = (time_t)strtoll(db_val(r, 0, 3), NULL, 10);
	in->mail.duration_minutes = (int)strtol(db_val(r, 0, 4), NULL, 10);
	in->mail.local_start = db_val(r, 0, 5);
	in->performance_json = db_val(r, 0, 6);
	in->performance_id = strtoll(db_val(r, 0, 7), NULL, 10);
	if (PQnfields(r) > 8) {
		in->mail.reservation_id = strtoll(db_val(r, 0, 8), NULL, 10);
		in->status = db_val(r, 0, 9);
		in->mail.name = db_val(r, 0, 10);
		in->mail.email = db_val(r, 0, 11);
		in->mail.locale = db_val(r, 0, 12);
		in->mail.seats = (int)strtol(db_val(r, 0, 13), NULL, 10);
		in->seats_admitted = (int)strtol(db_val(r, 0, 14), NULL, 10);
	}
}

/*
 * What confirm and cancel start with: the body's confirm token, its hash,
 * and the reservation it belongs to. 0 with all three set, or an answered
 * HTTP status (400, 404 invalid_token, 503).
 */
static int token_reservation(struct http_req *req, struct http_res *res,
			     const char **confirm,
			     char hash[TOK_HASH_HEX_LEN + 1], struct info *in)
{
	struct json_object *body = app_json_body(req, res);
	const char *params[2] = {hash, app.cfg.timezone};
	struct db_conn *c;
	PGresult *r;
	int st;

	if (body == NULL)
		return res->status;
	*confirm = bookings_token_field(body);
	if (*confirm == NULL || tok_hash_hex(*confirm, hash) < 0)
		return http_error(res, 404, "invalid_token",
				  "this link is not valid");
	c = app_db(req, res);
	if (c == NULL)
		return res->status;
	st = db_query(c, req->arena, SQL_RES_INFO, 2, params, &r);
	if (st != DB_OK)
		return app_db_error(res, st);
	if (PQntuples(r) == 0)
		return http_error(res, 404, "invalid_token",
				  "this link is not valid");
	info_from_row(in, r);
	return 0;
}

static int seats_error(struct http_res *res, const char *message,
		       const char *available)
{
	return http_error_with(res, 409, "not_enough_seats", message,
			       "seats_available", available);
}

/* ---- handlers ------------------------------------------------------- */

int bookings_create(struct http_req *req, struct http_res *res)
{
	const char *perf_id = http_param(req, "id");
	struct json_object *body = app_json_body(req, res);
	struct booking_input bi;
	const char *fields;
	char confirm[TOK_LEN + 1], ticket[TOK_LEN + 1];
	char confirm_hash[TOK_HASH_HEX_LEN + 1], ticket_hash[TOK_HASH_HEX_LEN + 1];
	char seats_s[16], hold_s[16];
	struct info in;
	struct db_conn *c;
	struct buf mail;
	PGresult *r;
	const char *result;
	int st;

	if (body == NULL)
		return res->status;
	st = bookings_validate_body(req->arena, body, &bi, &fields);
	if (st < 0)
		return http_error(res, 500, "internal_error", "internal error");
	if (st > 0)
		return http_error_fields(res, 422, "validation_failed",
					 "some fields are not valid", fields);

	c = app_db(req, res);
	if (c == NULL)
		return res->status;
	{
		const char *params[2] = {perf_id, app.cfg.timezone};

		st = db_query(c, req->arena, SQL_PERF_INFO, 2, params, &r);
		if (st != DB_OK)
			return app_db_error(res, st);
		if (PQntuples(r) == 0)
			return http_error(res, 404, "not_found",
					  "no such performance");
		info_from_row(&in, r);
	}

	if (tok_new(confirm) < 0 || tok_derive_ticket(confirm, ticket) < 0 ||
	    tok_hash_hex(confirm, confirm_hash) < 0 ||
	    tok_hash_hex(ticket, ticket_hash) < 0)
		return http_error(res, 500, "internal_error", "internal error");
	in.mail.name = bi.name;
	in.mail.email = bi.email;
	in.mail.locale = bi.locale;
	in.mail.seats = (int)bi.seats;
	buf_init(&mail, req->arena, 4096);
	if (mails_confirm(req->arena, &in.mail, confirm, app.cfg.hold_minutes,
			  &mail) < 0 || mail.failed) {
		log_event(LOG_ERROR, req->request_id, "mail_render_failed",
			  "confirmation for performance %lld",
			  (long long)in.performance_id);
		return http_error(res, 500, "internal_error", "internal error");
	}

	snprintf(seats_s, sizeof(seats_s), "%d", (int)bi.seats);
	snprintf(hold_s, sizeof(hold_s), "%d", app.cfg.hold_minutes);
	{
		const char *params[11] = {perf_id, seats_s, bi.name, bi.email,
					  bi.phone, bi.notes, bi.locale,
					  confirm_hash, ticket_hash, hold_s,
					  mail.data};

		st = app_call(req, res, c, in.performance_id, SQL_BOOK, 11,
			      params, &r);
		if (st != 0)
			return st;
	}
	result = db_val(r, 0, 0);
	if (strcmp(result, "ok") == 0) {
		outbox_kick();
		log_event(LOG_INFO, req->request_id, "reservation_created",
			  "reservation %s, performance %lld, %d seats",
			  db_val(r, 0, 1), (long long)in.performance_id,
			  (int)bi.seats);
		buf_printf(&res->body,
			   "{\"reservation\":{\"status\":\"pending\","
			   "\"seats\":%d,\"expires_at\":\"%s\"}}",
			   (int)bi.seats, db_val(r, 0, 3));
		return 201;
	}
	if (strcmp(result, "not_enough_seats") == 0)
		return seats_error(res, "not enough seats left",
				   db_val(r, 0, 2));
	if (strcmp(result, "booking_closed") == 0)
		return http_error(res, 409, "booking_closed",
				  "booking is closed for this performance");
	if (strcmp(result, "too_many_seats") == 0)
		return http_error_fields(res, 422, "validation_failed",
					 "some fields are not valid",
					 "{\"seats\":\"too_many\"}");
	return http_error(res, 404, "not_found", "no such performance");
}

/* {"reservation": {...}, "ticket": {...}} for a confirmed reservation. */
static int confirmed_answer(struct http_req *req, struct http_res *res,
			    const struct info *in, const char *confirm)
{
	char ticket[TOK_LEN + 1];
	struct jsonw w;

	if (tok_derive_ticket(confirm, ticket) < 0)
		return http_error(res, 500, "internal_error", "internal error");
	jsonw_init(&w, &res->body);
	jsonw_obj(&w);
	jsonw_key(&w, "reservation");
	jsonw_obj(&w);
	jsonw_key(&w, "status");
	jsonw_str(&w, "confirmed");
	jsonw_key(&w, "name");
	jsonw_str(&w, in->mail.name);
	jsonw_key(&w, "seats");
	jsonw_int(&w, in->mail.seats);
	jsonw_key(&w, "seats_admitted");
	jsonw_int(&w, in->seats_admitted);
	jsonw_key(&w, "locale");
	jsonw_str(&w, in->mail.locale);
	jsonw_key(&w, "performance");
	jsonw_raw(&w, in->performance_json, strlen(in->performance_json));
	jsonw_end(&w);
	jsonw_key(&w, "ticket");
	jsonw_obj(&w);
	jsonw_key(&w, "url");
	jsonw_str(&w, arena_printf(req->arena, "%s/t/%s", app.cfg.public_url,
				   ticket));
	jsonw_key(&w, "qr_svg");
	jsonw_str(&w, arena_printf(req->arena, "/api/tickets/%s/qr.svg",
				   ticket));
	jsonw_key(&w, "qr_png");
	jsonw_str(&w, arena_printf(req->arena, "/api/tickets/%s/qr.png",
				   ticket));
	jsonw_end(&w);
	jsonw_end(&w);
	return 200;
}

int bookings_confirm(struct http_req *req, struct http_res *res)
{
	const char *confirm = NULL, *result;
	char ticket[TOK_LEN + 1], hash[TOK_HASH_HEX_LEN + 1];
	struct info in;
	struct buf mail;
	PGresult *row;
	int st = token_reservation(req, res, &confirm, hash, &in);

	if (st != 0)
		return st;
	/* 0 means in was filled (clang-analyzer cannot see that the error
	 * paths of reservation_info never return 0). */
	/* NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage,clang-analyzer-core.NonNullParamChecker) */
	if (strcmp(in.status, "confirmed") == 0)
		return confirmed_answer(req, res, &in, confirm);
	if (strcmp(in.status, "cancelled") == 0)
		return http_error(res, 409, "cancelled",
				  "this reservation was cancelled");

	if (tok_derive_ticket(confirm, ticket) < 0)
		return http_error(res, 500, "internal_error", "internal error");
	buf_init(&mail, req->arena, 16384);
	if (mails_ticket(req->arena, &in.mail, confirm, ticket, &mail) < 0 ||
	    mail.failed) {
		log_event(LOG_ERROR, req->request_id, "mail_render_failed",
			  "ticket for reservation %lld",
			  (long long)in.mail.reservation_id);
		return http_error(res, 500, "internal_error", "internal error");
	}
	{
		const char *params[2] = {hash, mail.data};

		st = app_call(req, res, app_db(req, res), in.performance_id,
			      SQL_CONFIRM, 2, params, &row);
		if (st != 0)
			return st;
	}
	result = db_val(row, 0, 0);
	if (strcmp(result, "confirmed") == 0) {
		outbox_kick();
		log_event(LOG_INFO, req->request_id, "reservation_confirmed",
			  "reservation %lld",
			  (long long)in.mail.reservation_id);
		return confirmed_answer(req, res, &in, confirm);
	}
	if (strcmp(result, "already_confirmed") == 0)
		return confirmed_answer(req, res, &in, confirm);
	if (strcmp(result, "not_enough_seats") == 0)
		return seats_error(res,
				   "the hold expired and the seats are gone",
				   db_val(row, 0, 2));
	if (strcmp(result, "cancelled") == 0 ||
	    strcmp(result, "performance_cancelled") == 0)
		return http_error(res, 409, "cancelled",
				  strcmp(result, "cancelled") == 0
					  ? "this reservation was cancelled"
					  : "this performance was cancelled");
	if (strcmp(result, "performance_started") == 0)
		return http_error(res, 409, "performance_started",
				  "the performance has already begun");
	return http_error(res, 404, "invalid_token", "this link is not valid");
}

int bookings_cancel(struct http_req *req, struct http_res *res)
{
	const char *confirm = NULL, *result;
	char hash[TOK_HASH_HEX_LEN + 1];
	struct info in;
	PGresult *row;
	int st = token_reservation(req, res, &confirm, hash, &in);

	if (st != 0)
		return st;
	{
		const char *params[1] = {hash};

		/* in was filled: see bookings_confirm. */
		/* NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage) */
		st = app_call(req, res, app_db(req, res), in.performance_id,
			      SQL_CANCEL, 1, params, &row);
		if (st != 0)
			return st;
	}
	result = db_val(row, 0, 0);
	if (strcmp(result, "cancelled") == 0 ||
	    strcmp(result, "already_cancelled") == 0) {
		if (strcmp(result, "cancelled") == 0)
			log_event(LOG_INFO, req->request_id,
				  "reservation_cancelled", "reservation %lld",
				  (long long)in.mail.reservation_id);
		buf_printf(&res->body,
			   "{\"reservation\":{\"status\":\"cancelled\","
			   "\"seats\":%d}}", in.mail.seats);
		return 200;
	}
	if (strcmp(result, "checked_in") == 0)
		return http_error(res, 409, "checked_in",
				  "this reservation has already been used at "
				  "the door");
	if (strcmp(result, "performance_started") == 0)
		return http_error(res, 409, "performance_started",
				  "the performance has already begun");
	return http_error(res, 404, "invalid_token", "this link is not valid");
}

/*
 * The row sql returns for the ticket of the {token} route capture: 0 with
 * *r set, or an answered status (404 unknown_ticket, 503).
 */
static int ticket_row(struct http_req *req, struct http_res *res,
		      const char *sql, PGresult **r)
{
	const char *t = http_param(req, "token");
	char hash[TOK_HASH_HEX_LEN + 1];
	const char *params[1] = {hash};
	struct db_conn *c;
	int st;

	if (t == NULL || tok_hash_hex(t, hash) < 0)
		return http_error(res, 404, "unknown_ticket", "no such ticket");
	c = app_db(req, res);
	if (c == NULL)
		return res->status;
	st = db_query(c, req->arena, sql, 1, params, r);
	if (st != DB_OK)
		return app_db_error(res, st);
	if (PQntuples(*r) == 0)
		return http_error(res, 404, "unknown_ticket", "no such ticket");
	return 0;
}

int bookings_ticket(struct http_req *req, struct http_res *res)
{
	const char *t = http_param(req, "token");
	const char *doc;
	PGresult *r = NULL;
	int st = ticket_row(req, res, SQL_TICKET, &r);

	if (st != 0)
		return st;
	/* PostgreSQL built the ticket object; add the links (which need the
	 * token it never sees) before its closing brace. */
	doc = db_val(r, 0, 0);
	buf_puts(&res->body, "{\"ticket\":");
	buf_append(&res->body, doc, strlen(doc) - 1);
	buf_puts(&res->body, ",\"url\":\"");
	jsonw_escape(&res->body, app.cfg.public_url,
		     strlen(app.cfg.public_url));
	buf_printf(&res->body, "/t/%s\",\"qr_svg\":\"/api/tickets/%s/qr.svg\","
			       "\"qr_png\":\"/api/tickets/%s/qr.png\"}}",
		   t, t, t);
	return 200;
}

static int qr(struct http_req *req, struct http_res *res, bool svg)
{
	const char *url;
	PGresult *r = NULL;
	int st = ticket_row(req, res, SQL_TICKET_EXISTS, &r);

	if (st != 0)
		return st;
	url = arena_printf(req->arena, "%s/t/%s", app.cfg.public_url,
			   http_param(req, "token"));
	if (url == NULL || (svg ? qr_svg(req->arena, url, &res->body)
				: qr_png(req->arena, url, 10, &res->body)) < 0)
		return http_error(res, 500, "internal_error", "internal error");
	res->content_type = svg ? "image/svg+xml" : "image/png";
	/* The image never changes for a token; it is the ticket itself, so
	 * only the visitor's own browser may keep it. */
	http_res_header(res, "Cache-Control", "private, max-age=86400");
	return 200;
}

int bookings_qr_svg(struct http_req *req, struct http_res *res)
{
	return qr(req, res, true);
}

int bookings_qr_png(struct http_req *req, struct http_res *res)
{
	return qr(req, res, false);
}
