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
#include "batch.h"
#include "input.h"
#include "mails.h"
#include "outbox.h"
#include "request.h"

#include "../lib/arena.h"
#include "../lib/db.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "../lib/qr.h"
#include "../lib/tok.h"
#include "../lib/valid.h"

#include <json-c/json.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STR_(x) #x
#define STR(x) STR_(x)

/* The columns of both "info" queries below (INFO_COLUMNS), then the
 * reservation's (SQL_RES_INFO only). */
enum info_col {
	INFO_SHOW_TITLE,
	INFO_VENUE_NAME,
	INFO_VENUE_ADDRESS,
	INFO_STARTS_EPOCH,
	INFO_DURATION,
	INFO_LOCAL_START,
	INFO_PERFORMANCE_JSON,
	INFO_PERFORMANCE_ID,
	INFO_SEQUENCE,
	INFO_CANCELLED,
	INFO_RES_ID,
	INFO_RES_STATUS,
	INFO_RES_NAME,
	INFO_RES_EMAIL,
	INFO_RES_LOCALE,
	INFO_RES_SEATS,
	INFO_RES_ADMITTED,
	INFO_RES_CANCELLED_BY,
	INFO_RES_CODE
};

#define INFO_COLUMNS                                                       \
	"s.title, v.name,"                                                  \
	" v.address || CASE WHEN v.city <> '' THEN ', ' || v.city"          \
	" ELSE '' END,"                                                     \
	" extract(epoch FROM p.starts_at)::bigint,"                         \
	" coalesce(s.duration_minutes, " STR(MAILS_DEFAULT_MINUTES) "),"      \
	" to_char(p.starts_at AT TIME ZONE $2, 'YYYY MM DD HH24:MI ID'),"   \
	" json_build_object('id', p.id, 'starts_at', p.starts_at,"          \
	"  'status', p.status,"                                             \
	"  'show', json_build_object('slug', s.slug, 'title', s.title),"    \
	"  'venue', json_build_object('id', v.id, 'name', v.name,"          \
	"   'address', v.address, 'city', v.city))::text, p.id,"              \
	" p.schedule_seq, p.status = 'cancelled'"

#define INFO_JOINS                                                          \
	" JOIN shows s ON s.id = p.show_id JOIN venues v ON v.id = p.venue_id"

static const char SQL_PERF_INFO[] =
	"SELECT " INFO_COLUMNS " FROM performances p" INFO_JOINS
	" WHERE p.id = $1::bigint AND s.published";

static const char SQL_RES_INFO[] =
	"SELECT " INFO_COLUMNS ", r.id, r.status, r.name, r.email, r.locale,"
	" r.seats, r.seats_admitted, coalesce(r.cancelled_by, ''), r.code"
	" FROM reservations r JOIN performances p ON p.id = r.performance_id"
	INFO_JOINS " WHERE r.confirm_token_hash = $1::bytea";

/* The abuse caps, decided under the locks of the client network and the
 * email before the seat transaction (sql/014_caps_locks.sql). */
enum { CAPS_RESULT, CAPS_PENDING };
static const char SQL_BOOK_CAPS[] =
	"SELECT o_result, o_pending FROM book_caps($1::bigint, $2::integer,"
	" $3, $4, $5::integer, $6::integer, $7::integer, $8::integer)";

enum { CONFIRM_RESULT, CONFIRM_RESERVATION_ID, CONFIRM_SEATS_AVAILABLE };
static const char SQL_CONFIRM[] =
	"SELECT o_result, o_reservation_id, o_seats_available"
	" FROM confirm_reservation_sealed($1::bytea, $2, $3::bytea)";

/* The sealed confirm token of a new booking, for its reminder and the
 * "send me my bookings" list (lib/tok: tok_seal). Written after book()
 * commits, outside the lock: it moves no seat and no trigger looks at it
 * (book() itself does not take it yet). */
enum { CANCEL_RESULT };
static const char SQL_CANCEL[] =
	"SELECT o_result FROM cancel_reservation($1::bytea)";

enum { REDUCE_RESULT, REDUCE_RESERVATION_ID, REDUCE_SEATS };
static const char SQL_REDUCE[] =
	"SELECT o_result, o_reservation_id, o_seats"
	" FROM reduce_reservation($1::bytea, $2::integer)";

enum { RESEND_RESULT };
static const char SQL_RESEND[] =
	"SELECT o_result FROM resend_reservation($1::bytea, $2, $3,"
	" $4::integer, $5::integer)";

/* Messages of one kind a reservation may get, the first included. */
#define RESEND_MAX 4

enum { TICKET_JSON };
static const char SQL_TICKET[] =
	"SELECT json_build_object('status', r.status, 'seats', r.seats,"
	" 'cancelled_by', r.cancelled_by, 'code', r.code,"
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

/* The calendar event of a ticket: the columns of enum info_col. */
static const char SQL_TICKET_INFO[] =
	"SELECT " INFO_COLUMNS ", r.id, r.status, r.name, r.email, r.locale,"
	" r.seats, r.seats_admitted, coalesce(r.cancelled_by, ''), r.code"
	" FROM reservations r JOIN performances p ON p.id = r.performance_id"
	INFO_JOINS " WHERE r.ticket_token_hash = $1::bytea";

static const char SQL_TICKET_EXISTS[] =
	"SELECT 1 FROM reservations WHERE ticket_token_hash = $1::bytea";

/* ---- shared reads --------------------------------------------------- */

struct info {
	struct mails_booking mail;
	const char *performance_json;
	int64_t performance_id;
	const char *status;		/* reservation status */
	const char *cancelled_by;	/* "" unless cancelled */
	int seats_admitted;
};

static void info_from_row(struct info *in, PGresult *r)
{
	memset(in, 0, sizeof(*in));
	in->mail.show_title = db_val(r, 0, INFO_SHOW_TITLE);
	in->mail.venue_name = db_val(r, 0, INFO_VENUE_NAME);
	in->mail.venue_address = db_val(r, 0, INFO_VENUE_ADDRESS);
	in->mail.starts_at =
		(time_t)strtoll(db_val(r, 0, INFO_STARTS_EPOCH), NULL, 10);
	in->mail.duration_minutes =
		(int)strtol(db_val(r, 0, INFO_DURATION), NULL, 10);
	in->mail.local_start = db_val(r, 0, INFO_LOCAL_START);
	in->performance_json = db_val(r, 0, INFO_PERFORMANCE_JSON);
	in->performance_id =
		strtoll(db_val(r, 0, INFO_PERFORMANCE_ID), NULL, 10);
	in->mail.sequence = (int)strtol(db_val(r, 0, INFO_SEQUENCE), NULL, 10);
	in->mail.cancelled = strcmp(db_val(r, 0, INFO_CANCELLED), "t") == 0;
	if (PQnfields(r) > INFO_RES_ID) {
		in->mail.reservation_id =
			strtoll(db_val(r, 0, INFO_RES_ID), NULL, 10);
		in->status = db_val(r, 0, INFO_RES_STATUS);
		in->mail.name = db_val(r, 0, INFO_RES_NAME);
		in->mail.email = db_val(r, 0, INFO_RES_EMAIL);
		in->mail.locale = db_val(r, 0, INFO_RES_LOCALE);
		in->mail.seats =
			(int)strtol(db_val(r, 0, INFO_RES_SEATS), NULL, 10);
		in->seats_admitted =
			(int)strtol(db_val(r, 0, INFO_RES_ADMITTED), NULL, 10);
		in->cancelled_by = db_val(r, 0, INFO_RES_CANCELLED_BY);
		in->mail.code = db_val(r, 0, INFO_RES_CODE);
		if (strcmp(in->status, "cancelled") == 0)
			in->mail.cancelled = true;
	}
}

/*
 * The reservation of the confirm token confirm, and the token's hash: 0
 * with both set, or an answered HTTP status (404 invalid_token, 503).
 * token_reservation() does the same with the body's "token" (400 too):
 * what confirm, cancel and the others start with.
 */
static int token_info(struct http_req *req, struct http_res *res,
		      const char *confirm, char hash[TOK_HASH_HEX_LEN + 1],
		      struct info *in)
{
	const char *params[2] = {hash, app.cfg.timezone};
	struct db_conn *c;
	PGresult *r;
	enum db_status st;
	int status;

	if (confirm == NULL || tok_hash_hex(confirm, hash) < 0)
		return http_error(res, 404, "invalid_token",
				  "this link is not valid");
	if ((status = app_db(req, res, &c)) != 0)
		return status;
	st = db_query(c, req->arena, SQL_RES_INFO, 2, params, &r);
	if (st != DB_OK)
		return app_db_error(res, st);
	if (PQntuples(r) == 0)
		return http_error(res, 404, "invalid_token",
				  "this link is not valid");
	info_from_row(in, r);
	return 0;
}

static int token_reservation(struct http_req *req, struct http_res *res,
			     const char **confirm,
			     char hash[TOK_HASH_HEX_LEN + 1], struct info *in)
{
	struct json_object *body;
	int status;

	if ((status = app_json_body(req, res, &body)) != 0)
		return status;
	*confirm = bookings_token_field(body);
	return token_info(req, res, *confirm, hash, in);
}

/* The error contracts of the three writes (docs/API.md). */

/* POST /api/performances/{id}/reservations: book() */
static const struct outcome book_outcomes[] = {
	{"ok", 201, NULL, NULL, NULL, NULL},
	{"not_found", 404, "not_found", "no such performance", NULL, NULL},
	{"booking_closed", 409, "booking_closed",
	 "booking is closed for this performance", NULL, NULL},
	{"not_enough_seats", 409, "not_enough_seats", "not enough seats left",
	 NULL, "seats_available"},
	{"too_many_seats", 422, "validation_failed",
	 "some fields are not valid", "{\"seats\":\"too_many\"}", NULL},
	{"already_pending", 409, "already_pending",
	 "this address already holds seats for this performance: open the "
	 "link in the email we sent (or ask for it again) to confirm them",
	 NULL, "pending"},
	{"too_many_pending", 429, "too_many_pending",
	 "too many unconfirmed bookings: please confirm the bookings already "
	 "made (open the link in their emails) before booking more",
	 NULL, NULL},
	{"too_many_messages", 429, "too_many_messages",
	 "this address has received too many booking emails today: please "
	 "confirm the bookings already made, or try again tomorrow",
	 NULL, NULL},
};

/* POST /api/reservations/confirm: confirm_reservation() */
static const struct outcome confirm_outcomes[] = {
	{"confirmed", 200, NULL, NULL, NULL, NULL},
	{"already_confirmed", 200, NULL, NULL, NULL, NULL},
	{"invalid_token", 404, "invalid_token", "this link is not valid", NULL,
	 NULL},
	{"cancelled", 409, "cancelled", "this reservation was cancelled", NULL,
	 NULL},
	{"performance_cancelled", 409, "cancelled",
	 "this performance was cancelled", NULL, NULL},
	{"performance_started", 409, "performance_started",
	 "the performance has already begun", NULL, NULL},
	{"booking_closed", 409, "booking_closed",
	 "the hold expired and booking is closed for this performance", NULL,
	 NULL},
	{"not_enough_seats", 409, "not_enough_seats",
	 "the hold expired and the seats are gone", NULL, "seats_available"},
};

/* POST /api/reservations/cancel: cancel_reservation() */
static const struct outcome cancel_outcomes[] = {
	{"cancelled", 200, NULL, NULL, NULL, NULL},
	{"already_cancelled", 200, NULL, NULL, NULL, NULL},
	{"invalid_token", 404, "invalid_token", "this link is not valid", NULL,
	 NULL},
	{"checked_in", 409, "checked_in",
	 "this reservation has already been used at the door", NULL, NULL},
	{"performance_started", 409, "performance_started",
	 "the performance has already begun", NULL, NULL},
};

/* ---- handlers ------------------------------------------------------- */

/* The performance of the {id} capture as a booking needs it: 0 with *in
 * set, or the status answered (404, 503). */
static int perf_info(struct http_req *req, struct http_res *res,
		     struct db_conn *c, struct info *in)
{
	const char *params[2] = {http_param(req, "id"), app.cfg.timezone};
	enum db_status st;
	PGresult *r;

	st = db_query(c, req->arena, SQL_PERF_INFO, 2, params, &r);
	if (st != DB_OK)
		return app_db_error(res, st);
	if (PQntuples(r) == 0)
		return http_error(res, 404, "not_found", "no such performance");
	info_from_row(in, r);
	return 0;
}

/* Fresh confirm and ticket tokens, their hashes, the sealed confirm
 * token ("" without a key) and the confirmation message for them: 0, or
 * the status answered (500). */
static int new_booking(struct http_req *req, struct http_res *res,
		       struct info *in, char confirm_hash[TOK_HASH_HEX_LEN + 1],
		       char ticket_hash[TOK_HASH_HEX_LEN + 1],
		       char box[TOK_BOX_HEX_LEN + 1], struct buf *mail)
{
	char confirm[TOK_LEN + 1], ticket[TOK_LEN + 1];

	if (tok_new(confirm) < 0 || tok_derive_ticket(confirm, ticket) < 0 ||
	    tok_hash_hex(confirm, confirm_hash) < 0 ||
	    tok_hash_hex(ticket, ticket_hash) < 0)
		return app_internal_error(res);
	box[0] = '\0';
	if (tok_seal_ready() && tok_seal(confirm, box) < 0)
		return app_internal_error(res);
	buf_init(mail, req->arena, 4096);
	if (mails_confirm(req->arena, &in->mail, confirm,
			  app.cfg.hold_minutes, mail) < 0 || mail->failed) {
		log_event(LOG_ERROR, req->request_id, "mail_render_failed",
			  "confirmation for performance %lld",
			  (long long)in->performance_id);
		return app_internal_error(res);
	}
	return 0;
}

/* Take the locks of the client network and the email and decide the
 * abuse caps: 0 (the locks are held: release them with db_unlock_all
 * whatever follows), or the status answered. */
static int book_caps(struct http_req *req, struct http_res *res,
		     struct db_conn *c, int64_t perf,
		     const struct booking_input *bi)
{
	const struct outcome *o;
	enum db_status st;
	struct db_params p;
	PGresult *r;

	db_params_init(&p);
	db_param_int(&p, perf);
	db_param_int(&p, bi->seats);
	db_param(&p, bi->email);
	db_param(&p, app_client_net(req));
	db_param_int(&p, app.cfg.pending_net_seats);
	db_param_int(&p, app.cfg.pending_net_percent);
	db_param_int(&p, app.cfg.mail_per_day);
	db_param_int(&p, app.cfg.pending_net_day);
	if (p.failed)
		return app_internal_error(res);
	st = db_exec(c, req->arena, SQL_BOOK_CAPS, p.n, p.v, &r);
	/* Even a failed call may have taken a lock: count both, so the
	 * caller's unlock (or the pool's) releases whatever is held. */
	db_locks_taken(c, 2);
	if (st != DB_OK)
		return app_db_error(res, st);
	if (PQntuples(r) != 1)
		return app_internal_error(res);
	return app_outcome(res, OUTCOMES(book_outcomes),
			   db_val(r, 0, CAPS_RESULT), db_val(r, 0, CAPS_PENDING),
			   &o);
}

/* Bookings of one performance, batched (app/batch.h): book()'s answers. */
enum { BATCH_RESULT, BATCH_RESERVATION_ID, BATCH_SEATS_AVAILABLE,
       BATCH_EXPIRES_AT };
static const struct batch_kind book_kind = {
	"SELECT o_result, o_reservation_id, o_seats_available, o_expires_at"
	" FROM book_batch($1::bigint, $2::integer, $3::jsonb)",
	4, true, &app.cfg.booking_batch};

/* The booking as book_batch() takes it (sql/015_book_batch.sql); NULL
 * when out of memory. */
static const char *booking_json(struct arena *a, const struct booking_input *bi,
				const char *confirm_hash,
				const char *ticket_hash, const char *box,
				const char *mail, const char *client_net)
{
	struct jsonw w;
	struct buf b;

	buf_init(&b, a, 4096);
	jsonw_init(&w, &b);
	jsonw_obj(&w);
	jsonw_key(&w, "seats");
	jsonw_int(&w, bi->seats);
	jsonw_key(&w, "name");
	jsonw_str(&w, bi->name);
	jsonw_key(&w, "email");
	jsonw_str(&w, bi->email);
	jsonw_key(&w, "phone");
	jsonw_str(&w, bi->phone);
	jsonw_key(&w, "notes");
	jsonw_str(&w, bi->notes);
	jsonw_key(&w, "locale");
	jsonw_str(&w, bi->locale);
	jsonw_key(&w, "confirm_hash");
	jsonw_str(&w, confirm_hash);
	jsonw_key(&w, "ticket_hash");
	jsonw_str(&w, ticket_hash);
	jsonw_key(&w, "box");
	jsonw_str(&w, *box != '\0' ? box : NULL);
	jsonw_key(&w, "mail");
	jsonw_str(&w, mail);
	jsonw_key(&w, "client_net");
	jsonw_str(&w, client_net);
	jsonw_end(&w);
	return b.failed ? NULL : b.data;
}

int bookings_create(struct http_req *req, struct http_res *res)
{
	char confirm_hash[TOK_HASH_HEX_LEN + 1], ticket_hash[TOK_HASH_HEX_LEN + 1];
	char box[TOK_BOX_HEX_LEN + 1] = "";
	const struct outcome *o;
	struct json_object *body;
	struct booking_input bi;
	const char *fields;
	struct db_conn *c;
	/* Zeroed: the analyzer cannot see that 0 from a helper means set. */
	struct info in = {0};
	struct batch_job job = {0};
	const char *hold;
	struct buf mail = {0};
	enum db_status st;
	int status;

	if ((status = app_json_body(req, res, &body)) != 0)
		return status;
	status = bookings_validate_body(req->arena, body, &bi, &fields);
	if (status < 0)
		return app_internal_error(res);
	if (status > 0)
		return http_error_fields(res, 422, "validation_failed",
					 "some fields are not valid", fields);
	if ((status = app_db(req, res, &c)) != 0 ||
	    (status = perf_info(req, res, c, &in)) != 0)
		return status;
	in.mail.name = bi.name;
	in.mail.email = bi.email;
	in.mail.locale = bi.locale;
	in.mail.seats = (int)bi.seats;
	status = new_booking(req, res, &in, confirm_hash, ticket_hash, box,
			     &mail);
	if (status != 0)
		return status;

	job.json = booking_json(req->arena, &bi, confirm_hash, ticket_hash,
				box, mail.data, app_client_net(req));
	hold = arena_printf(req->arena, "%d", app.cfg.hold_minutes);
	if (job.json == NULL || hold == NULL)
		return app_internal_error(res);
	if ((status = book_caps(req, res, c, in.performance_id, &bi)) == 0 &&
	    (st = batch_run(&book_kind, c, req->arena, in.performance_id,
			    hold, &job)) != DB_OK) {
		log_event(LOG_ERROR, req->request_id, "transaction_failed",
			  "%s (performance %lld)", db_status_name(st),
			  (long long)in.performance_id);
		status = app_db_error(res, st);
	}
	db_unlock_all(c, req->arena);
	if (status != 0 ||
	    (status = app_outcome(res, OUTCOMES(book_outcomes),
				  job.cols[BATCH_RESULT],
				  job.cols[BATCH_SEATS_AVAILABLE], &o)) != 0)
		return status;
	outbox_kick();
	log_event(LOG_INFO, req->request_id, "reservation_created",
		  "reservation %s, performance %lld, %d seats",
		  job.cols[BATCH_RESERVATION_ID], (long long)in.performance_id,
		  (int)bi.seats);
	buf_printf(&res->body,
		   "{\"reservation\":{\"status\":\"pending\","
		   "\"seats\":%d,\"expires_at\":\"%s\"}}",
		   (int)bi.seats, job.cols[BATCH_EXPIRES_AT]);
	return o->status;
}

/* "reservation": {...} as it is now. */
static void reservation_member(struct jsonw *w, const struct info *in)
{
	jsonw_key(w, "reservation");
	jsonw_obj(w);
	jsonw_key(w, "status");
	jsonw_str(w, in->status);
	if (*in->cancelled_by != '\0') {
		jsonw_key(w, "cancelled_by");
		jsonw_str(w, in->cancelled_by);
	}
	jsonw_key(w, "name");
	jsonw_str(w, in->mail.name);
	jsonw_key(w, "seats");
	jsonw_int(w, in->mail.seats);
	jsonw_key(w, "seats_admitted");
	jsonw_int(w, in->seats_admitted);
	/* The short booking code the door accepts typed (issue 14). */
	jsonw_key(w, "code");
	jsonw_str(w, in->mail.code);
	jsonw_key(w, "locale");
	jsonw_str(w, in->mail.locale);
	jsonw_key(w, "performance");
	jsonw_raw(w, in->performance_json, strlen(in->performance_json));
	jsonw_end(w);
}

/* {"reservation": {...}, "ticket": {...}} for a confirmed reservation. */
static int confirmed_answer(struct http_req *req, struct http_res *res,
			    const struct info *in, const char *confirm)
{
	char ticket[TOK_LEN + 1];
	struct jsonw w;

	if (tok_derive_ticket(confirm, ticket) < 0)
		return app_internal_error(res);
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
	app_ticket_member(&w, req->arena, ticket);
	jsonw_end(&w);
	return 200;
}

/*
 * 409 cancelled for a reservation that is: who cancelled it
 * ("cancelled_by": visitor, theatre, admin) and the reservation as it is,
 * so the page can say which (docs/API.md).
 */
static int cancelled_answer(struct http_res *res, const struct info *in)
{
	bool theatre = strcmp(in->cancelled_by, "theatre") == 0;
	struct jsonw w;

	jsonw_init(&w, &res->body);
	jsonw_obj(&w);
	jsonw_key(&w, "error");
	jsonw_obj(&w);
	jsonw_key(&w, "code");
	jsonw_str(&w, "cancelled");
	jsonw_key(&w, "message");
	jsonw_str(&w, theatre ? "this performance was cancelled"
			      : "this reservation was cancelled");
	jsonw_key(&w, "cancelled_by");
	jsonw_str(&w, in->cancelled_by);
	jsonw_end(&w);
	reservation_member(&w, in);
	jsonw_end(&w);
	return 409;
}

int bookings_confirm(struct http_req *req, struct http_res *res)
{
	const char *confirm = NULL;
	char ticket[TOK_LEN + 1], hash[TOK_HASH_HEX_LEN + 1];
	char box[TOK_BOX_HEX_LEN + 1] = "";
	const struct outcome *o;
	struct db_params p;
	struct db_conn *c;
	struct info in;
	struct buf mail;
	PGresult *row;
	int status = token_reservation(req, res, &confirm, hash, &in);

	if (status != 0)
		return status;
	/* 0 means in was filled (clang-analyzer cannot see that the error
	 * paths of token_reservation never return 0). */
	/* NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage,clang-analyzer-core.NonNullParamChecker) */
	if (strcmp(in.status, "confirmed") == 0)
		return confirmed_answer(req, res, &in, confirm);
	if (strcmp(in.status, "cancelled") == 0)
		return cancelled_answer(res, &in);

	if (tok_derive_ticket(confirm, ticket) < 0)
		return app_internal_error(res);
	buf_init(&mail, req->arena, 16384);
	if (mails_ticket(req->arena, &in.mail, confirm, ticket, &mail) < 0 ||
	    mail.failed) {
		log_event(LOG_ERROR, req->request_id, "mail_render_failed",
			  "ticket for reservation %lld",
			  (long long)in.mail.reservation_id);
		return app_internal_error(res);
	}
	if (tok_seal_ready() && tok_seal(confirm, box) < 0)
		return app_internal_error(res);
	db_params_init(&p);
	db_param(&p, hash);
	db_param(&p, mail.data);
	db_param(&p, tok_seal_ready() ? box : NULL);
	if ((status = app_db(req, res, &c)) != 0 ||
	    (status = app_call(req, res, c, in.performance_id, SQL_CONFIRM,
			       &p, &row)) != 0 ||
	    (status = app_outcome(res, OUTCOMES(confirm_outcomes),
				  db_val(row, 0, CONFIRM_RESULT),
				  db_val(row, 0, CONFIRM_SEATS_AVAILABLE),
				  &o)) != 0)
		return status;
	if (strcmp(o->result, "confirmed") == 0) {
		outbox_kick();
		log_event(LOG_INFO, req->request_id, "reservation_confirmed",
			  "reservation %lld",
			  (long long)in.mail.reservation_id);
	}
	return confirmed_answer(req, res, &in, confirm);
}

int bookings_cancel(struct http_req *req, struct http_res *res)
{
	const char *confirm = NULL;
	char hash[TOK_HASH_HEX_LEN + 1];
	const struct outcome *o;
	struct db_params p;
	struct db_conn *c;
	struct info in;
	PGresult *row;
	int status = token_reservation(req, res, &confirm, hash, &in);

	if (status != 0)
		return status;
	db_params_init(&p);
	db_param(&p, hash);
	/* in was filled: see bookings_confirm. */
	if ((status = app_db(req, res, &c)) != 0 ||
	    /* NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage) */
	    (status = app_call(req, res, c, in.performance_id, SQL_CANCEL, &p,
			       &row)) != 0 ||
	    (status = app_outcome(res, OUTCOMES(cancel_outcomes),
				  db_val(row, 0, CANCEL_RESULT), NULL,
				  &o)) != 0)
		return status;
	if (strcmp(o->result, "cancelled") == 0)
		log_event(LOG_INFO, req->request_id, "reservation_cancelled",
			  "reservation %lld", (long long)in.mail.reservation_id);
	buf_printf(&res->body,
		   "{\"reservation\":{\"status\":\"cancelled\","
		   "\"cancelled_by\":\"%s\",\"seats\":%d}}",
		   strcmp(o->result, "cancelled") == 0 ? "visitor"
						       : in.cancelled_by,
		   in.mail.seats);
	return o->status;
}

/*
 * The row sql returns for the ticket of the {token} route capture (with
 * the time zone as $2 when zoned): 0 with *r set, or the status answered
 * (404 unknown_ticket, 503).
 */
static int ticket_row(struct http_req *req, struct http_res *res,
		      const char *sql, bool zoned, PGresult **r)
{
	const char *t = http_param(req, "token");
	char hash[TOK_HASH_HEX_LEN + 1];
	const char *params[2] = {hash, app.cfg.timezone};
	struct db_conn *c;
	enum db_status st;
	int status;

	if (t == NULL || tok_hash_hex(t, hash) < 0)
		return http_error(res, 404, "unknown_ticket", "no such ticket");
	if ((status = app_db(req, res, &c)) != 0)
		return status;
	st = db_query(c, req->arena, sql, zoned ? 2 : 1, params, r);
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
	int status = ticket_row(req, res, SQL_TICKET, false, &r);

	if (status != 0)
		return status;
	/* PostgreSQL built the ticket object; add the links (which need the
	 * token it never sees) before its closing brace. */
	doc = db_val(r, 0, TICKET_JSON);
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
	int status = ticket_row(req, res, SQL_TICKET_EXISTS, false, &r);

	if (status != 0)
		return status;
	url = arena_printf(req->arena, "%s/t/%s", app.cfg.public_url,
			   http_param(req, "token"));
	if (url == NULL || (svg ? qr_svg(req->arena, url, &res->body)
				: qr_png(req->arena, url, QR_SCALE_SCREEN,
					 &res->body)) < 0)
		return app_internal_error(res);
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

int bookings_event(struct http_req *req, struct http_res *res)
{
	const char *url;
	struct info in;
	PGresult *r = NULL;
	int status = ticket_row(req, res, SQL_TICKET_INFO, true, &r);

	if (status != 0)
		return status;
	info_from_row(&in, r);
	url = arena_printf(req->arena, "%s/t/%s", app.cfg.public_url,
			   http_param(req, "token"));
	if (url == NULL || mails_event(req->arena, &in.mail, url,
				       &res->body) < 0 ||
	    http_res_header(res, "Content-Disposition",
			    "attachment; filename=\"performance.ics\"") < 0)
		return app_internal_error(res);
	res->content_type = in.mail.cancelled ? MAILS_ICS_CANCEL_TYPE
					      : MAILS_ICS_TYPE;
	return 200;
}

/* ---- manage my booking ---------------------------------------------- */

/* POST /api/reservations/seats: reduce_reservation() */
static const struct outcome seats_outcomes[] = {
	{"reduced", 200, NULL, NULL, NULL, NULL},
	{"invalid_token", 404, "invalid_token", "this link is not valid", NULL,
	 NULL},
	{"cancelled", 409, "cancelled", "this reservation was cancelled", NULL,
	 NULL},
	{"performance_cancelled", 409, "cancelled",
	 "this performance was cancelled", NULL, NULL},
	{"expired", 409, "expired", "the hold expired", NULL, NULL},
	{"performance_started", 409, "performance_started",
	 "the performance has already begun", NULL, NULL},
	{"not_lower", 422, "validation_failed", "some fields are not valid",
	 "{\"seats\":\"not_lower\"}", NULL},
	{"below_admitted", 409, "checked_in",
	 "more people than that are already in", NULL, "seats_admitted"},
};

int bookings_seats(struct http_req *req, struct http_res *res)
{
	const char *confirm = NULL, *seats = NULL;
	char hash[TOK_HASH_HEX_LEN + 1];
	const struct outcome *o;
	struct json_object *body;
	struct input_fields f;
	struct db_params p;
	struct db_conn *c;
	struct info in = {0};
	PGresult *row;
	int64_t n;
	int status;

	if ((status = app_json_body(req, res, &body)) != 0)
		return status;
	input_fields_init(&f, req->arena);
	input_int(req->arena, body, &f, "seats", 1, 100, INPUT_REQUIRED, &n,
		  &seats);
	if (f.n != 0)
		return input_fields_answer(res, &f);
	if ((status = token_reservation(req, res, &confirm, hash, &in)) != 0)
		return status;
	db_params_init(&p);
	db_param(&p, hash);
	db_param(&p, seats);
	/* in was filled: see bookings_confirm. */
	if ((status = app_db(req, res, &c)) != 0 ||
	    /* NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage) */
	    (status = app_call(req, res, c, in.performance_id, SQL_REDUCE, &p,
			       &row)) != 0 ||
	    (status = app_outcome(res, OUTCOMES(seats_outcomes),
				  db_val(row, 0, REDUCE_RESULT),
				  db_val(row, 0, REDUCE_SEATS), &o)) != 0)
		return status;
	log_event(LOG_INFO, req->request_id, "reservation_reduced",
		  "reservation %lld: %d -> %s seats",
		  (long long)in.mail.reservation_id, in.mail.seats,
		  db_val(row, 0, REDUCE_SEATS));
	buf_printf(&res->body,
		   "{\"reservation\":{\"status\":\"%s\",\"seats\":%s}}",
		   in.status, db_val(row, 0, REDUCE_SEATS));
	return o->status;
}

/* POST /api/reservations/resend: resend_reservation() */
static const struct outcome resend_outcomes[] = {
	{"queued", 202, NULL, NULL, NULL, NULL},
	{"invalid_token", 404, "invalid_token", "this link is not valid", NULL,
	 NULL},
	{"gone", 409, "cancelled",
	 "this reservation was cancelled or its hold expired", NULL, NULL},
	{"changed", 409, "conflict", "the reservation just changed; try again",
	 NULL, NULL},
	{"too_many", 429, "too_many_resends",
	 "this message has been sent enough times; check the spam folder",
	 NULL, NULL},
};

/* The message to send again for in (the link or the ticket): 0 with
 * *kind set, or the status answered (409, 500). */
static int resend_message(struct http_req *req, struct http_res *res,
			  const struct info *in, const char *confirm,
			  const char **kind, struct buf *mail)
{
	char ticket[TOK_LEN + 1];
	int rc;

	buf_init(mail, req->arena, 16384);
	if (in->status == NULL)
		return app_internal_error(res);
	if (strcmp(in->status, "pending") == 0) {
		*kind = "confirm";
		rc = mails_confirm(req->arena, &in->mail, confirm,
				   app.cfg.hold_minutes, mail);
	} else if (strcmp(in->status, "confirmed") == 0) {
		*kind = "ticket";
		rc = tok_derive_ticket(confirm, ticket) < 0
			     ? -1
			     : mails_ticket(req->arena, &in->mail, confirm,
					    ticket, mail);
	} else {
		return http_error(res, 409, "cancelled",
				  "this reservation was cancelled or its hold "
				  "expired");
	}
	if (rc < 0 || mail->failed) {
		log_event(LOG_ERROR, req->request_id, "mail_render_failed",
			  "%s again for reservation %lld", *kind,
			  (long long)in->mail.reservation_id);
		return app_internal_error(res);
	}
	return 0;
}

/* Resend for the reservation of confirm: the handler's answer. */
static int resend_token(struct http_req *req, struct http_res *res,
			const char *confirm)
{
	const char *kind = NULL;
	char hash[TOK_HASH_HEX_LEN + 1];
	const struct outcome *o;
	struct db_params p;
	struct db_conn *c;
	/* Zeroed: the analyzer cannot see that 0 from a helper means set. */
	struct info in = {0};
	struct buf mail;
	PGresult *row;
	int status = token_info(req, res, confirm, hash, &in);

	if (status != 0 ||
	    /* NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage) */
	    (status = resend_message(req, res, &in, confirm, &kind, &mail)) != 0)
		return status;
	db_params_init(&p);
	db_param(&p, hash);
	db_param(&p, kind);
	db_param(&p, mail.data);
	db_param_int(&p, RESEND_MAX);
	db_param_int(&p, app.cfg.mail_per_day);
	if ((status = app_db(req, res, &c)) != 0 ||
	    (status = app_call(req, res, c, in.performance_id, SQL_RESEND, &p,
			       &row)) != 0 ||
	    (status = app_outcome(res, OUTCOMES(resend_outcomes),
				  db_val(row, 0, RESEND_RESULT), NULL,
				  &o)) != 0)
		return status;
	outbox_kick();
	log_event(LOG_INFO, req->request_id, "reservation_resent",
		  "reservation %lld: %s again",
		  (long long)in.mail.reservation_id, kind);
	buf_printf(&res->body, "{\"sent\":\"%s\"}", kind);
	return o->status;
}

/* The sealed token of the newest running hold of an address on a
 * performance: what "check your email" resends without a token. */
enum { HELD_BOX };
static const char SQL_HELD[] =
	"SELECT confirm_token_box FROM reservations"
	" WHERE performance_id = $1::bigint AND lower(email) = lower($2)"
	" AND status = 'pending' AND expires_at > now()"
	" AND confirm_token_box IS NOT NULL"
	" ORDER BY created_at DESC LIMIT 1";

/*
 * {"performance_id", "email"}: the confirmation link again, from the
 * "check your email" page, which holds no token. Always 202 {"sent":
 * "confirm"} once the body is valid, whether or not such a hold exists
 * and whatever the cap said, so it tells nobody what an address booked.
 */
static int resend_held(struct http_req *req, struct http_res *res,
		       struct json_object *body)
{
	const char *email = NULL, *perf = NULL;
	const char *params[2];
	char confirm[TOK_LEN + 1];
	struct input_fields f;
	struct db_conn *c;
	enum db_status st;
	PGresult *r;
	int64_t id;
	int status;

	input_fields_init(&f, req->arena);
	input_int(req->arena, body, &f, "performance_id", 1, INT64_MAX,
		  INPUT_REQUIRED, &id, &perf);
	if (input_text(req->arena, body, &f, "email", VALID_EMAIL_MAX,
		       INPUT_REQUIRED | INPUT_NONEMPTY, &email) == INPUT_SET &&
	    !valid_email(email, strlen(email)))
		input_field_error(&f, "email", "invalid");
	if (f.n != 0)
		return input_fields_answer(res, &f);
	params[0] = perf;
	params[1] = email;
	if ((status = app_db(req, res, &c)) != 0)
		return status;
	st = db_query(c, req->arena, SQL_HELD, 2, params, &r);
	if (st != DB_OK)
		return app_db_error(res, st);
	if (PQntuples(r) == 1 &&
	    tok_unseal(db_val(r, 0, HELD_BOX), confirm) == 0) {
		status = resend_token(req, res, confirm);
		sodium_memzero(confirm, sizeof(confirm));
		if (status >= 500)
			return status;
		/* Whatever it answered, the same answer. */
		buf_init(&res->body, req->arena, 64);
	}
	buf_puts(&res->body, "{\"sent\":\"confirm\"}");
	return 202;
}

int bookings_resend(struct http_req *req, struct http_res *res)
{
	struct json_object *body;
	int status;

	if ((status = app_json_body(req, res, &body)) != 0)
		return status;
	if (json_object_object_get_ex(body, "token", NULL))
		return resend_token(req, res, bookings_token_field(body));
	return resend_held(req, res, body);
}

/* ---- send me my bookings -------------------------------------------- */

/* At most this many "your bookings" messages to one address a day, and
 * requests of one client network that send one, an hour
 * (docs/ARCHITECTURE.md, "Send me my bookings"). */
#define LOOKUP_PER_ADDRESS_DAY 3
#define LOOKUP_PER_NETWORK_HOUR 10
/* The bookings one message lists, soonest first. */
#define LOOKUP_MAX 20

enum lookup_col {
	LOOKUP_RES_ID,
	LOOKUP_PENDING,
	LOOKUP_BOX,
	LOOKUP_SEATS,
	LOOKUP_SHOW_TITLE,
	LOOKUP_VENUE_NAME,
	LOOKUP_VENUE_ADDRESS,
	LOOKUP_STARTS_EPOCH,
	LOOKUP_DURATION,
	LOOKUP_LOCAL_START,
	LOOKUP_SEQUENCE
};
/* The active bookings of an address: confirmed, or pending with the hold
 * running, of scheduled performances still ahead. */
static const char SQL_LOOKUP[] =
	"SELECT r.id, r.status = 'pending', r.confirm_token_box, r.seats,"
	" s.title, v.name,"
	" v.address || CASE WHEN v.city <> '' THEN ', ' || v.city ELSE '' END,"
	" extract(epoch FROM p.starts_at)::bigint,"
	" coalesce(s.duration_minutes, " STR(MAILS_DEFAULT_MINUTES) "),"
	" to_char(p.starts_at AT TIME ZONE $2, 'YYYY MM DD HH24:MI ID'),"
	" p.schedule_seq"
	" FROM reservations r JOIN performances p ON p.id = r.performance_id"
	INFO_JOINS
	" WHERE lower(r.email) = lower($1) AND p.status = 'scheduled'"
	" AND p.starts_at > now() AND (r.status = 'confirmed'"
	"  OR (r.status = 'pending' AND r.expires_at > now()))"
	" ORDER BY p.starts_at, r.id LIMIT " STR(LOOKUP_MAX);

enum { LIST_RESULT };
static const char SQL_LIST[] =
	"SELECT o_result FROM queue_bookings_list($1, $2, $3, $4::integer,"
	" $5::integer)";

/* The one answer, whatever the address holds and whatever the caps said. */
#define LOOKUP_ANSWER                                                      \
	"{\"status\":\"accepted\",\"message\":\"if this address has active "  \
	"bookings, a message listing them is on its way\"}"

/* The list's entries from the rows of SQL_LOOKUP: 0, or -1. */
static int lookup_items(struct arena *a, PGresult *r, const char *locale,
			struct mails_listed *items)
{
	int n = PQntuples(r);

	for (int i = 0; i < n; i++) {
		struct mails_listed *it = &items[i];
		struct mails_booking *b = &it->booking;
		char *confirm = arena_alloc(a, TOK_LEN + 1);
		char *ticket = arena_alloc(a, TOK_LEN + 1);

		if (confirm == NULL || ticket == NULL)
			return -1;
		memset(it, 0, sizeof(*it));
		b->reservation_id =
			strtoll(db_val(r, i, LOOKUP_RES_ID), NULL, 10);
		b->locale = locale;
		b->name = "";
		b->seats = (int)strtol(db_val(r, i, LOOKUP_SEATS), NULL, 10);
		b->show_title = db_val(r, i, LOOKUP_SHOW_TITLE);
		b->venue_name = db_val(r, i, LOOKUP_VENUE_NAME);
		b->venue_address = db_val(r, i, LOOKUP_VENUE_ADDRESS);
		b->starts_at = (time_t)strtoll(db_val(r, i, LOOKUP_STARTS_EPOCH),
					       NULL, 10);
		b->duration_minutes =
			(int)strtol(db_val(r, i, LOOKUP_DURATION), NULL, 10);
		b->local_start = db_val(r, i, LOOKUP_LOCAL_START);
		b->sequence = (int)strtol(db_val(r, i, LOOKUP_SEQUENCE), NULL,
					  10);
		it->pending = strcmp(db_val(r, i, LOOKUP_PENDING), "t") == 0;
		if (!db_null(r, i, LOOKUP_BOX) &&
		    tok_unseal(db_val(r, i, LOOKUP_BOX), confirm) == 0 &&
		    tok_derive_ticket(confirm, ticket) == 0) {
			it->confirm_token = confirm;
			it->ticket_token = ticket;
		}
	}
	return 0;
}

int bookings_lookup(struct http_req *req, struct http_res *res)
{
	const char *email = NULL, *locale = NULL;
	const char *params[2] = {NULL, app.cfg.timezone};
	struct mails_listed *items;
	struct json_object *body;
	struct input_fields f;
	struct db_params p;
	struct db_conn *c;
	enum db_status st;
	struct buf mail;
	PGresult *r, *row;
	int status, n;

	if ((status = app_json_body(req, res, &body)) != 0)
		return status;
	input_fields_init(&f, req->arena);
	if (input_text(req->arena, body, &f, "email", VALID_EMAIL_MAX,
		       INPUT_REQUIRED | INPUT_NONEMPTY, &email) == INPUT_SET &&
	    !valid_email(email, strlen(email)))
		input_field_error(&f, "email", "invalid");
	if (input_text(req->arena, body, &f, "locale", 2, 0, &locale) ==
		    INPUT_SET &&
	    strcmp(locale, "it") != 0 && strcmp(locale, "en") != 0)
		input_field_error(&f, "locale", "invalid");
	if (f.n != 0)
		return input_fields_answer(res, &f);
	if (locale == NULL)
		locale = "it";
	params[0] = email;
	if ((status = app_db(req, res, &c)) != 0)
		return status;
	st = db_query(c, req->arena, SQL_LOOKUP, 2, params, &r);
	if (st != DB_OK)
		return app_db_error(res, st);
	n = PQntuples(r);
	if (n > 0) {
		items = arena_alloc(req->arena, (size_t)n * sizeof(*items));
		buf_init(&mail, req->arena, 8192);
		if (items == NULL || lookup_items(req->arena, r, locale,
						  items) < 0 ||
		    mails_bookings(req->arena, locale, email, items, (size_t)n,
				   &mail) < 0 || mail.failed) {
			log_event(LOG_ERROR, req->request_id,
				  "mail_render_failed", "bookings list");
			return app_internal_error(res);
		}
		db_params_init(&p);
		db_param(&p, email);
		db_param(&p, app_client_net(req));
		db_param(&p, mail.data);
		db_param_int(&p, LOOKUP_PER_ADDRESS_DAY);
		db_param_int(&p, LOOKUP_PER_NETWORK_HOUR);
		if ((status = app_call(req, res, c, 0, SQL_LIST, &p, &row)) != 0)
			return status;
		if (strcmp(db_val(row, 0, LIST_RESULT), "queued") == 0)
			outbox_kick();
		log_event(LOG_INFO, req->request_id, "bookings_listed",
			  "%d booking(s): %s", n, db_val(row, 0, LIST_RESULT));
	}
	buf_puts(&res->body, LOOKUP_ANSWER);
	return 202;
}
