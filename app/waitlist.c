/*
 * waitlist: the waiting list (app/waitlist.h).
 *
 * The seat decisions are SQL functions (sql/012_waitlist.sql), each run
 * as one SERIALIZABLE statement under the performance's lock like every
 * booking (app_call). The offers themselves are made by triggers in the
 * transactions that free seats, wherever those run; their messages are
 * queued there with a secret and no body, and rendered here when the
 * outbox first claims them.
 *
 * Tokens: an entry's token (its confirmation link, also the leave link)
 * is minted here like a booking's; an offer's token is the secret the
 * SQL made, which becomes the confirm token of the offer's reservation,
 * so an accepted offer is an ordinary booking with an ordinary ticket.
 */
#include "waitlist.h"
#include "waitlist_notices.h"

#include "app.h"
#include "audit.h"
#include "input.h"
#include "mails.h"
#include "outbox.h"
#include "request.h"

#include "../lib/arena.h"
#include "../lib/buf.h"
#include "../lib/db.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "../lib/tok.h"
#include "../lib/valid.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SQL_PERF[] =
	"SELECT " WAITLIST_PERF_COLUMNS " FROM performances p" WAITLIST_PERF_JOINS
	" WHERE p.id = $1::bigint AND s.published";

/* The entry of a token: its performance (PERF_ID) and id. */
enum { ENTRY_PERF, ENTRY_ID };
static const char SQL_ENTRY_OF[] =
	"SELECT performance_id, id FROM waitlist_entries"
	" WHERE token_hash = $1::bytea";

/* An entry as the visitor sees it. */
enum { ENTRY_DOC };
static const char SQL_ENTRY_DOC[] =
	"SELECT json_build_object('id', e.id, 'state', e.state,"
	" 'position', waitlist_position(e), 'seats', e.seats,"
	" 'min_seats', e.min_seats, 'name', e.name, 'locale', e.locale,"
	" 'closed_reason', e.closed_reason, 'expires_at', e.expires_at,"
	" 'offer', (SELECT json_build_object('seats', r.seats,"
	"   'status', r.status, 'expires_at', r.expires_at)"
	"   FROM reservations r WHERE r.id = e.offer_reservation_id),"
	" 'performance', json_build_object('id', p.id, 'starts_at',"
	"  p.starts_at, 'status', p.status,"
	"  'availability', perf_availability(p),"
	"  'show', json_build_object('slug', s.slug, 'title', s.title),"
	"  'venue', json_build_object('id', v.id, 'name', v.name,"
	"   'address', v.address, 'city', v.city)))::text"
	" FROM waitlist_entries e JOIN performances p ON p.id = e.performance_id"
	WAITLIST_PERF_JOINS " WHERE e.id = $1::bigint";

/* The confirmation messages of the waiting list to one address today:
 * read before the join's transaction (see waitlist_join() in the SQL). */
enum { MAILS_TODAY_COUNT };
static const char SQL_MAILS_TODAY[] =
	"SELECT count(*) FROM outbox WHERE lower(recipient) = lower($1)"
	" AND kind = 'waitlist_confirm' AND created_at > now() - interval '1 day'";

enum { JOIN_RESULT, JOIN_ENTRY_ID, JOIN_SEATS_AVAILABLE, JOIN_EXPIRES_AT };
static const char SQL_JOIN[] =
	"SELECT o_result, o_entry_id, o_seats_available,"
	" to_json(o_expires_at)#>>'{}'"
	" FROM waitlist_join($1::bigint, $2::integer, $3::integer, $4, $5, $6,"
	" $7::bytea, $8::integer, $9, $10, $11::integer, $12::integer)";

enum { STEP_RESULT, STEP_ENTRY_ID };
static const char SQL_CONFIRM[] =
	"SELECT o_result, o_entry_id FROM waitlist_confirm($1::bytea)";
static const char SQL_LEAVE[] =
	"SELECT o_result, o_entry_id FROM waitlist_leave($1::bytea)";

/* The offer of a token, as the ticket message needs it. */
enum offer_col {
	OFFER_RES_ID = PERF_NCOLS,
	OFFER_STATUS,
	OFFER_NAME,
	OFFER_EMAIL,
	OFFER_LOCALE,
	OFFER_SEATS,
	OFFER_PERFORMANCE_JSON
};
static const char SQL_OFFER[] =
	"SELECT " WAITLIST_PERF_COLUMNS ", r.id, r.status, r.name, r.email, r.locale,"
	" r.seats, json_build_object('id', p.id, 'starts_at', p.starts_at,"
	"  'status', p.status,"
	"  'show', json_build_object('slug', s.slug, 'title', s.title),"
	"  'venue', json_build_object('id', v.id, 'name', v.name,"
	"   'address', v.address, 'city', v.city))::text"
	" FROM reservations r JOIN performances p ON p.id = r.performance_id"
	WAITLIST_PERF_JOINS " WHERE r.confirm_token_hash = $1::bytea"
	" AND r.waitlist_entry_id IS NOT NULL";

enum { ACCEPT_RESULT, ACCEPT_RESERVATION_ID };
static const char SQL_ACCEPT[] =
	"SELECT o_result, o_reservation_id FROM waitlist_accept($1::bytea, $2)";

/* The admin's list: counts, then the entries in line order (waiting
 * ones by position, the rest after, newest last). */
static const char SQL_ADMIN_LIST[] =
	"SELECT json_build_object("
	" 'performance', json_build_object('id', p.id, 'starts_at', p.starts_at,"
	"  'status', p.status, 'availability', perf_availability(p)),"
	" 'counts', waitlist_counts(p.id),"
	" 'entries', coalesce((SELECT json_agg(json_build_object("
	"   'id', e.id, 'state', e.state, 'position', waitlist_position(e),"
	"   'name', e.name, 'email', e.email, 'locale', e.locale,"
	"   'seats', e.seats, 'min_seats', e.min_seats,"
	"   'closed_reason', e.closed_reason, 'offers', e.offers,"
	"   'created_at', e.created_at, 'confirmed_at', e.confirmed_at,"
	"   'offer', (SELECT json_build_object('reservation_id', r.id,"
	"     'seats', r.seats, 'status', r.status, 'expires_at', r.expires_at)"
	"     FROM reservations r WHERE r.id = e.offer_reservation_id))"
	"   ORDER BY e.state <> 'waiting', e.confirmed_at NULLS LAST, e.id)"
	"   FROM waitlist_entries e WHERE e.performance_id = p.id), '[]'))::text"
	" FROM performances p WHERE p.id = $1::bigint";

enum { ADMIN_ENTRY_PERF };
static const char SQL_ADMIN_ENTRY[] =
	"SELECT performance_id FROM waitlist_entries WHERE id = $1::bigint";

enum { ADMIN_OFFER_RESULT, ADMIN_OFFER_RESERVATION, ADMIN_OFFER_AVAILABLE };
static const char SQL_ADMIN_OFFER[] =
	"SELECT o_result, o_reservation_id, o_seats_available"
	" FROM waitlist_admin_offer($1::bigint, $2::integer, $3::bigint, $4)";

/* ---- outcome tables (docs/API.md, "Waiting list") -------------------- */

/* POST /api/performances/{id}/waitlist: waitlist_join() */
static const struct outcome join_outcomes[] = {
	{"ok", 201, NULL, NULL, NULL, NULL},
	{"not_found", 404, "not_found", "no such performance", NULL, NULL},
	{"booking_closed", 409, "booking_closed",
	 "booking is closed for this performance", NULL, NULL},
	{"too_many_seats", 422, "validation_failed",
	 "some fields are not valid", "{\"seats\":\"too_many\"}", NULL},
	{"seats_available", 409, "seats_available",
	 "there are seats for this party: book them instead", NULL,
	 "seats_available"},
	{"already_waiting", 409, "already_waiting",
	 "this address is already on the waiting list of this performance",
	 NULL, NULL},
	{"too_many_pending", 429, "too_many_pending",
	 "too many unconfirmed waiting-list entries: please confirm the ones "
	 "already made (open the link in their emails)", NULL, NULL},
};

/* POST /api/waitlist/confirm: waitlist_confirm() */
static const struct outcome confirm_outcomes[] = {
	{"confirmed", 200, NULL, NULL, NULL, NULL},
	{"already_confirmed", 200, NULL, NULL, NULL, NULL},
	{"over", 200, NULL, NULL, NULL, NULL},
	{"invalid_token", 404, "invalid_token", "this link is not valid", NULL,
	 NULL},
	{"expired", 409, "expired",
	 "the link expired: join the waiting list again", NULL, NULL},
	{"booking_closed", 409, "booking_closed",
	 "booking is closed for this performance", NULL, NULL},
};

/* POST /api/waitlist/leave: waitlist_leave() */
static const struct outcome leave_outcomes[] = {
	{"left", 200, NULL, NULL, NULL, NULL},
	{"already_left", 200, NULL, NULL, NULL, NULL},
	{"invalid_token", 404, "invalid_token", "this link is not valid", NULL,
	 NULL},
	{"over", 409, "over",
	 "this entry is no longer on the list (accepted, expired or closed)",
	 NULL, NULL},
};

/* POST /api/waitlist/accept: waitlist_accept() */
static const struct outcome accept_outcomes[] = {
	{"accepted", 200, NULL, NULL, NULL, NULL},
	{"already_accepted", 200, NULL, NULL, NULL, NULL},
	{"invalid_token", 404, "invalid_token", "this link is not valid", NULL,
	 NULL},
	{"offer_expired", 409, "offer_expired",
	 "the offer expired and its seats went to the next in line", NULL,
	 NULL},
	{"cancelled", 409, "cancelled", "this offer was given back", NULL,
	 NULL},
	{"performance_cancelled", 409, "cancelled",
	 "this performance was cancelled", NULL, NULL},
	{"performance_started", 409, "performance_started",
	 "the performance has already begun", NULL, NULL},
};

/* POST /admin/waitlist/{id}/offer: waitlist_admin_offer() */
static const struct outcome admin_offer_outcomes[] = {
	{"offered", 201, NULL, NULL, NULL, NULL},
	{"not_found", 404, "not_found", "no such waiting-list entry", NULL,
	 NULL},
	{"not_waiting", 409, "not_waiting",
	 "this entry is not waiting (offered, accepted, left or closed)", NULL,
	 NULL},
	{"booking_closed", 409, "booking_closed",
	 "booking is closed for this performance", NULL, NULL},
	{"not_enough_seats", 409, "not_enough_seats", "not enough seats left",
	 NULL, "seats_available"},
};

/* ---- shared ---------------------------------------------------------- */

/* The body's token and its hash: 0, or the status answered (400, 404). */
static int body_token(struct http_req *req, struct http_res *res,
		      const char **token, char hash[TOK_HASH_HEX_LEN + 1])
{
	struct json_object *body;
	int status;

	if ((status = app_json_body(req, res, &body)) != 0)
		return status;
	*token = bookings_token_field(body);
	if (*token == NULL || tok_hash_hex(*token, hash) < 0)
		return http_error(res, 404, "invalid_token",
				  "this link is not valid");
	return 0;
}

/* Answer {"entry": {...}} for entry id with status. */
static int entry_answer(struct http_req *req, struct http_res *res,
			int status, const char *id)
{
	return app_document(req, res, status, SQL_ENTRY_DOC, id, "entry");
}

/* ---- join ------------------------------------------------------------ */

struct join_input {
	const char *name, *email, *locale, *seats, *min_seats;
	int64_t nseats, nmin;
};

/* Check the body: 0 with *in set, or the status answered (422). */
static int join_input(struct http_req *req, struct http_res *res,
		      struct json_object *body, struct join_input *in)
{
	const int required = INPUT_REQUIRED | INPUT_NONEMPTY;
	struct input_fields f;

	memset(in, 0, sizeof(*in));
	in->locale = "it";
	input_fields_init(&f, req->arena);
	input_text(req->arena, body, &f, "name", BOOKING_NAME_MAX, required,
		   &in->name);
	if (input_text(req->arena, body, &f, "email", VALID_EMAIL_MAX,
		       required, &in->email) == INPUT_SET &&
	    !valid_email(in->email, strlen(in->email)))
		input_field_error(&f, "email", "invalid");
	if (input_text(req->arena, body, &f, "locale", 2, 0, &in->locale) ==
		    INPUT_SET &&
	    strcmp(in->locale, "it") != 0 && strcmp(in->locale, "en") != 0)
		input_field_error(&f, "locale", "invalid");
	if (in->locale == NULL || *in->locale == '\0')
		in->locale = "it";
	if (input_int(req->arena, body, &f, "seats", 1, 100, INPUT_REQUIRED,
		      &in->nseats, &in->seats) == INPUT_SET) {
		switch (input_int(req->arena, body, &f, "min_seats", 1, 100, 0,
				  &in->nmin, &in->min_seats)) {
		case INPUT_SET:
			if (in->nmin > in->nseats)
				input_field_error(&f, "min_seats",
						  "above_seats");
			break;
		case INPUT_ABSENT:
		case INPUT_NULL:
			in->nmin = in->nseats;
			in->min_seats = in->seats;
			break;
		case INPUT_BAD:
			break;
		}
	}
	if (f.n != 0)
		return input_fields_answer(res, &f);
	return 0;
}

/* The daily cap on confirmations to one address: 0, or the status
 * answered (429 too_many_messages, 503). */
static int mail_cap(struct http_req *req, struct http_res *res,
		    struct db_conn *c, const char *email)
{
	enum db_status st;
	PGresult *r;

	st = db_query(c, req->arena, SQL_MAILS_TODAY, 1, &email, &r);
	if (st != DB_OK)
		return app_db_error(res, st);
	if (strtol(db_val(r, 0, MAILS_TODAY_COUNT), NULL, 10) >=
	    app.cfg.mail_per_day)
		return http_error(res, 429, "too_many_messages",
				  "this address has received too many "
				  "waiting-list emails today: please confirm "
				  "the ones already sent, or try again "
				  "tomorrow");
	return 0;
}

int waitlist_join(struct http_req *req, struct http_res *res)
{
	const char *id = http_param(req, "id");
	const char *params[2] = {id, app.cfg.timezone};
	char token[TOK_LEN + 1], hash[TOK_HASH_HEX_LEN + 1];
	const struct outcome *o;
	struct json_object *body;
	struct join_input in;
	struct mails_booking m;
	struct db_params p;
	struct db_conn *c;
	struct buf mail;
	enum db_status st;
	PGresult *r, *row;
	int status;

	if ((status = app_json_body(req, res, &body)) != 0 ||
	    (status = join_input(req, res, body, &in)) != 0 ||
	    (status = app_db(req, res, &c)) != 0)
		return status;
	st = db_query(c, req->arena, SQL_PERF, 2, params, &r);
	if (st != DB_OK)
		return app_db_error(res, st);
	if (PQntuples(r) == 0)
		return http_error(res, 404, "not_found", "no such performance");
	waitlist_perf_mail(&m, r);
	m.email = in.email;
	m.name = in.name;
	m.locale = in.locale;
	m.seats = (int)in.nseats;

	if ((status = mail_cap(req, res, c, in.email)) != 0)
		return status;
	if (tok_new(token) < 0 || tok_hash_hex(token, hash) < 0)
		return app_internal_error(res);
	buf_init(&mail, req->arena, 4096);
	if (mails_waitlist_confirm(req->arena, &m, token, app.cfg.hold_minutes,
				   (int)in.nmin, &mail) < 0 ||
	    mail.failed) {
		log_event(LOG_ERROR, req->request_id, "mail_render_failed",
			  "waiting-list confirmation for performance %s", id);
		return app_internal_error(res);
	}
	db_params_init(&p);
	db_param(&p, id);
	db_param(&p, in.seats);
	db_param(&p, in.min_seats);
	db_param(&p, in.name);
	db_param(&p, in.email);
	db_param(&p, in.locale);
	db_param(&p, hash);
	db_param_int(&p, app.cfg.hold_minutes);
	db_param(&p, mail.data);
	db_param(&p, app_client_net(req));
	db_param_int(&p, app.cfg.pending_net_seats);
	db_param_int(&p, app.cfg.pending_net_percent);
	if ((status = app_call(req, res, c,
			       strtoll(db_val(r, 0, PERF_ID), NULL, 10),
			       SQL_JOIN, &p, &row)) != 0 ||
	    (status = app_outcome(res, OUTCOMES(join_outcomes),
				  db_val(row, 0, JOIN_RESULT),
				  db_val(row, 0, JOIN_SEATS_AVAILABLE),
				  &o)) != 0)
		return status;
	outbox_kick();
	log_event(LOG_INFO, req->request_id, "waitlist_joined",
		  "entry %s, performance %s, %s seats (at least %s)",
		  db_val(row, 0, JOIN_ENTRY_ID), id, in.seats, in.min_seats);
	buf_printf(&res->body,
		   "{\"entry\":{\"state\":\"unconfirmed\",\"seats\":%s,"
		   "\"min_seats\":%s,\"expires_at\":\"%s\"}}",
		   in.seats, in.min_seats, db_val(row, 0, JOIN_EXPIRES_AT));
	return o->status;
}

/* ---- confirm, leave -------------------------------------------------- */

/* Run one of the entry's steps (SQL_CONFIRM, SQL_LEAVE) under its
 * performance's lock and answer with the entry. */
static int entry_step(struct http_req *req, struct http_res *res,
		      const char *sql, const struct outcome *t, size_t n,
		      const char *event)
{
	char hash[TOK_HASH_HEX_LEN + 1];
	const char *token = NULL, *h = hash;
	const struct outcome *o;
	struct db_params p;
	struct db_conn *c;
	enum db_status st;
	PGresult *r, *row;
	int status;

	if ((status = body_token(req, res, &token, hash)) != 0 ||
	    (status = app_db(req, res, &c)) != 0)
		return status;
	st = db_query(c, req->arena, SQL_ENTRY_OF, 1, &h, &r);
	if (st != DB_OK)
		return app_db_error(res, st);
	if (PQntuples(r) == 0)
		return http_error(res, 404, "invalid_token",
				  "this link is not valid");
	db_params_init(&p);
	db_param(&p, hash);
	if ((status = app_call(req, res, c,
			       strtoll(db_val(r, 0, ENTRY_PERF), NULL, 10),
			       sql, &p, &row)) != 0 ||
	    (status = app_outcome(res, t, n, db_val(row, 0, STEP_RESULT), NULL,
				  &o)) != 0)
		return status;
	outbox_kick();
	log_event(LOG_INFO, req->request_id, event, "entry %s: %s",
		  db_val(r, 0, ENTRY_ID), o->result);
	return entry_answer(req, res, o->status, db_val(r, 0, ENTRY_ID));
}

int waitlist_confirm(struct http_req *req, struct http_res *res)
{
	return entry_step(req, res, SQL_CONFIRM, OUTCOMES(confirm_outcomes),
			  "waitlist_confirmed");
}

int waitlist_leave(struct http_req *req, struct http_res *res)
{
	return entry_step(req, res, SQL_LEAVE, OUTCOMES(leave_outcomes),
			  "waitlist_left");
}

/* ---- accept ---------------------------------------------------------- */

/* {"reservation": {...}, "ticket": {...}}, as a confirmed booking's. */
static int accepted_answer(struct http_req *req, struct http_res *res,
			   PGresult *r, const char *ticket)
{
	struct jsonw w;
	const char *perf = db_val(r, 0, OFFER_PERFORMANCE_JSON);

	jsonw_init(&w, &res->body);
	jsonw_obj(&w);
	jsonw_key(&w, "reservation");
	jsonw_obj(&w);
	jsonw_key(&w, "status");
	jsonw_str(&w, "confirmed");
	jsonw_key(&w, "name");
	jsonw_str(&w, db_val(r, 0, OFFER_NAME));
	jsonw_key(&w, "seats");
	jsonw_int(&w, strtol(db_val(r, 0, OFFER_SEATS), NULL, 10));
	jsonw_key(&w, "seats_admitted");
	jsonw_int(&w, 0);
	jsonw_key(&w, "locale");
	jsonw_str(&w, db_val(r, 0, OFFER_LOCALE));
	jsonw_key(&w, "performance");
	jsonw_raw(&w, perf, strlen(perf));
	jsonw_end(&w);
	app_ticket_member(&w, req->arena, ticket);
	jsonw_end(&w);
	return 200;
}

int waitlist_accept(struct http_req *req, struct http_res *res)
{
	char hash[TOK_HASH_HEX_LEN + 1], ticket[TOK_LEN + 1];
	const char *token = NULL;
	const char *params[2] = {hash, app.cfg.timezone};
	const struct outcome *o;
	struct mails_booking m;
	struct db_params p;
	struct db_conn *c;
	struct buf mail;
	enum db_status st;
	PGresult *r, *row;
	int status;

	if ((status = body_token(req, res, &token, hash)) != 0 ||
	    (status = app_db(req, res, &c)) != 0)
		return status;
	st = db_query(c, req->arena, SQL_OFFER, 2, params, &r);
	if (st != DB_OK)
		return app_db_error(res, st);
	if (PQntuples(r) == 0)
		return http_error(res, 404, "invalid_token",
				  "this link is not valid");
	if (tok_derive_ticket(token, ticket) < 0)
		return app_internal_error(res);
	if (strcmp(db_val(r, 0, OFFER_STATUS), "confirmed") == 0)
		return accepted_answer(req, res, r, ticket);
	waitlist_perf_mail(&m, r);
	m.reservation_id = strtoll(db_val(r, 0, OFFER_RES_ID), NULL, 10);
	m.name = db_val(r, 0, OFFER_NAME);
	m.email = db_val(r, 0, OFFER_EMAIL);
	m.locale = db_val(r, 0, OFFER_LOCALE);
	m.seats = (int)strtol(db_val(r, 0, OFFER_SEATS), NULL, 10);
	buf_init(&mail, req->arena, 16384);
	if (mails_ticket(req->arena, &m, token, ticket, &mail) < 0 ||
	    mail.failed) {
		log_event(LOG_ERROR, req->request_id, "mail_render_failed",
			  "ticket for offer %lld", (long long)m.reservation_id);
		return app_internal_error(res);
	}
	db_params_init(&p);
	db_param(&p, hash);
	db_param(&p, mail.data);
	if ((status = app_call(req, res, c,
			       strtoll(db_val(r, 0, PERF_ID), NULL, 10),
			       SQL_ACCEPT, &p, &row)) != 0 ||
	    (status = app_outcome(res, OUTCOMES(accept_outcomes),
				  db_val(row, 0, ACCEPT_RESULT), NULL,
				  &o)) != 0)
		return status;
	if (strcmp(o->result, "accepted") == 0) {
		outbox_kick();
		log_event(LOG_INFO, req->request_id, "waitlist_accepted",
			  "offer %lld", (long long)m.reservation_id);
	}
	return accepted_answer(req, res, r, ticket);
}

/* ---- admin ----------------------------------------------------------- */

int waitlist_admin_list(struct http_req *req, struct http_res *res)
{
	return app_document(req, res, 200, SQL_ADMIN_LIST, http_param(req, "id"),
			    NULL);
}

int waitlist_admin_offer(struct http_req *req, struct http_res *res)
{
	const char *id = http_param(req, "id");
	const char *seats = NULL;
	const struct outcome *o;
	struct json_object *body;
	struct input_fields f;
	struct db_params p;
	struct db_conn *c;
	enum db_status st;
	PGresult *r, *row;
	int64_t n;
	int status;

	if ((status = app_json_body(req, res, &body)) != 0)
		return status;
	input_fields_init(&f, req->arena);
	(void)input_int(req->arena, body, &f, "seats", 1, 100, 0, &n, &seats);
	if (f.n != 0)
		return input_fields_answer(res, &f);
	if ((status = app_db(req, res, &c)) != 0)
		return status;
	st = db_query(c, req->arena, SQL_ADMIN_ENTRY, 1, &id, &r);
	if (st != DB_OK)
		return app_db_error(res, st);
	if (PQntuples(r) == 0)
		return http_error(res, 404, "not_found",
				  "no such waiting-list entry");
	db_params_init(&p);
	db_param(&p, id);
	db_param(&p, seats);
	audit_params(&p, req);
	if ((status = app_call(req, res, c,
			       strtoll(db_val(r, 0, ADMIN_ENTRY_PERF), NULL,
				       10),
			       SQL_ADMIN_OFFER, &p, &row)) != 0 ||
	    (status = app_outcome(res, OUTCOMES(admin_offer_outcomes),
				  db_val(row, 0, ADMIN_OFFER_RESULT),
				  db_val(row, 0, ADMIN_OFFER_AVAILABLE),
				  &o)) != 0)
		return status;
	outbox_kick();
	log_event(LOG_INFO, req->request_id, "waitlist_admin_offer",
		  "entry %s offered (reservation %s)", id,
		  db_val(row, 0, ADMIN_OFFER_RESERVATION));
	return entry_answer(req, res, o->status, id);
}
