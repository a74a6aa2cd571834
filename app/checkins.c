/*
 * checkins: the door.
 *
 * A scan is one statement, door_scan_session() (sql/019), in a
 * SERIALIZABLE transaction that db_call() sends as one round trip: it
 * checks the staff session and the CSRF token (the dispatcher's rules,
 * ACCESS_STAFF_STATEMENT), locks the reservation row, so that two scanners
 * on one ticket take turns and the second sees what the first admitted,
 * and describes the ticket for the big result screen: who, how many,
 * which performance, and when and by whom if already admitted.
 */
#include "checkins.h"

#include "app.h"
#include "auth.h"
#include "batch.h"
#include "input.h"
#include "request.h"

#include "../lib/arena.h"
#include "../lib/db.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "../lib/tok.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

/* door_scan_batch() (sql/019_door_scan_session.sql) checks each scan's
 * session, decides and describes: the admission's columns, then the
 * ticket as the door sees it, as member texts to splice into answers.
 * Scans of one performance are batched (app/batch.h); none takes the
 * performance lock: a scan changes no availability, and only two scans of
 * one ticket conflict (on its row; sql/017_door_scan.sql). */
enum { CHECK_IN_SESSION_STALE, CHECK_IN_RESULT, CHECK_IN_RESERVATION_ID,
       CHECK_IN_ID, CHECK_IN_ADMITTED, CHECK_IN_REMAINING, CHECK_IN_EXCESS,
       CHECK_IN_REPLAYED, DESCRIBE_RESERVATION, DESCRIBE_PERFORMANCE,
       DESCRIBE_AT, DESCRIBE_BY, CHECK_IN_COLUMNS };
static const struct batch_kind scan_kind = {
	"SELECT o_session_stale, o_result, o_reservation_id, o_checkin_id,"
	" o_admitted, o_remaining, o_excess, o_replayed, o_reservation,"
	" o_performance, o_at, o_by"
	" FROM door_scan_batch($1::bigint, $2::interval, $3::jsonb)",
	CHECK_IN_COLUMNS, false, &app.cfg.scan_batch};

static const char SQL_PERFORMANCE_CHECKINS[] =
	"SELECT json_build_object("
	" 'performance', json_build_object('id', p.id, 'starts_at', p.starts_at,"
	"  'status', p.status,"
	"  'show', json_build_object('slug', s.slug, 'title', s.title),"
	"  'venue', json_build_object('id', v.id, 'name', v.name)),"
	" 'expected_seats', coalesce(sum(r.seats) FILTER"
	"   (WHERE r.status = 'confirmed'), 0),"
	" 'arrived_seats', coalesce(sum(r.seats_admitted) FILTER"
	"   (WHERE r.status = 'confirmed'), 0),"
	" 'expected_reservations', count(r.id) FILTER"
	"   (WHERE r.status = 'confirmed'),"
	" 'arrived_reservations', count(r.id) FILTER"
	"   (WHERE r.status = 'confirmed' AND r.seats_admitted > 0),"
	" 'waitlist', waitlist_door(p.id),"
	" 'reservations', coalesce(json_agg(json_build_object('id', r.id,"
	"   'name', r.name, 'seats', r.seats, 'seats_admitted',"
	"   r.seats_admitted, 'status', r.status) ORDER BY r.name, r.id)"
	"   FILTER (WHERE r.id IS NOT NULL), '[]'))::text"
	" FROM performances p JOIN shows s ON s.id = p.show_id"
	" JOIN venues v ON v.id = p.venue_id"
	" LEFT JOIN reservations r ON r.performance_id = p.id"
	"  AND r.status IN ('confirmed', 'pending')"
	" WHERE p.id = $1::bigint"
	" GROUP BY p.id, s.id, v.id";

static const char SQL_STAFF_PERFORMANCES[] =
	"SELECT coalesce(json_agg(json_build_object('id', p.id,"
	"  'starts_at', p.starts_at, 'status', p.status,"
	"  'show', json_build_object('slug', s.slug, 'title', s.title),"
	"  'venue', json_build_object('id', v.id, 'name', v.name))"
	"  ORDER BY p.starts_at), '[]')::text"
	" FROM (SELECT * FROM performances"
	"  WHERE starts_at > now() - interval '12 hours'"
	"  ORDER BY starts_at LIMIT 50) p"
	" JOIN shows s ON s.id = p.show_id JOIN venues v ON v.id = p.venue_id";

/* POST /api/checkins: check_in(). Every answer but 404 describes the
 * ticket, so this table is read with outcome_find() and answered below. */
static const struct outcome checkin_outcomes[] = {
	{"checked_in", 201, "checked_in", "welcome", NULL, NULL},
	{"excess", 200, "excess",
	 "admitted offline beyond the ticket's seats", NULL, NULL},
	/* The session, checked by the same statement (the guard's). */
	{"unauthorized", 401, "unauthorized", "please sign in", NULL, NULL},
	{"csrf_failed", 403, "csrf_failed",
	 "missing or wrong X-CSRF-Token header", NULL, NULL},
	{"unknown_ticket", 404, "unknown_ticket",
	 "this is not one of our tickets", NULL, NULL},
	{"unknown_code", 404, "unknown_ticket",
	 "no booking of this performance has this code", NULL, NULL},
	{"client_id_reused", 409, "client_id_reused",
	 "this client_id was used for another ticket", NULL, NULL},
	{"wrong_performance", 422, "wrong_performance",
	 "this ticket is for another performance", NULL, NULL},
	{"performance_cancelled", 422, "performance_cancelled",
	 "this performance was cancelled", NULL, NULL},
	{"cancelled", 422, "cancelled", "this booking was cancelled", NULL,
	 NULL},
	{"not_confirmed", 422, "not_confirmed",
	 "this booking was never confirmed", NULL, NULL},
	{"already_checked_in", 409, "already_checked_in",
	 "everyone on this ticket is already in", NULL, NULL},
	{"too_many_seats", 422, "too_many_seats",
	 "fewer seats are left on this ticket", NULL, NULL},
};

/* The text of a column, for splicing into a JSON answer. */
static void raw(struct jsonw *w, const char *key, const char *const *cols,
		int col)
{
	jsonw_key(w, key);
	jsonw_raw(w, cols[col], strlen(cols[col]));
}

/* The answer to a scan: the outcome o of the columns of its row ("" for
 * NULL: no column that can be NULL is ever empty). */
static int answer(struct http_res *res, const struct outcome *o,
		  const char *const *cols)
{
	bool ok = o->status >= 200 && o->status < 300;
	struct jsonw w;

	jsonw_init(&w, &res->body);
	jsonw_obj(&w);
	if (!ok) {
		jsonw_key(&w, "error");
		jsonw_obj(&w);
		jsonw_key(&w, "code");
		jsonw_str(&w, o->code);
		jsonw_key(&w, "message");
		jsonw_str(&w, o->message);
	} else {
		jsonw_key(&w, "result");
		jsonw_str(&w, o->code);
		raw(&w, "seats_admitted", cols, CHECK_IN_ADMITTED);
		raw(&w, "excess", cols, CHECK_IN_EXCESS);
		jsonw_key(&w, "replayed");
		jsonw_bool(&w, strcmp(cols[CHECK_IN_REPLAYED], "t") == 0);
	}
	raw(&w, "seats_remaining", cols, CHECK_IN_REMAINING);
	raw(&w, "reservation", cols, DESCRIBE_RESERVATION);
	raw(&w, "performance", cols, DESCRIBE_PERFORMANCE);
	if (ok && *cols[CHECK_IN_ID] == '\0') {
		jsonw_key(&w, "checkin");
		jsonw_null(&w);
	} else if (ok) {
		jsonw_key(&w, "checkin");
		jsonw_obj(&w);
		raw(&w, "id", cols, CHECK_IN_ID);
		raw(&w, "at", cols, DESCRIBE_AT);
		raw(&w, "by", cols, DESCRIBE_BY);
		jsonw_end(&w);
	} else if (*cols[DESCRIBE_AT] != '\0') {
		raw(&w, "checked_in_at", cols, DESCRIBE_AT);
		raw(&w, "checked_in_by", cols, DESCRIBE_BY);
	}
	if (!ok)
		jsonw_end(&w);
	jsonw_end(&w);
	return o->status;
}

/* What a scan asks for, once checked. */
struct scan {
	struct checkin_input in;	/* the ticket, performance, seats */
	char hash[TOK_HASH_HEX_LEN + 1];	/* the ticket's, or "" */
	const char *code;		/* normalized, or NULL */
	const char *client_id;		/* or NULL */
	bool offline;
};

/*
 * The short code as typed: spaces and dashes dropped, upper-cased; NULL
 * unless 6-8 characters of the code alphabet remain (sql/011: no 0, O,
 * 1, I, L).
 */
static const char *code_normal(struct arena *a, const char *s, size_t len)
{
	static const char alphabet[] = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
	char *out = arena_alloc(a, 9);
	size_t n = 0;

	if (out == NULL || len > 64)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];

		if (ch == ' ' || ch == '-' || ch == '\t')
			continue;
		if (ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 'a' + 'A');
		if (ch == '\0' || strchr(alphabet, ch) == NULL || n == 8)
			return NULL;
		out[n++] = ch;
	}
	if (n < 6)
		return NULL;
	out[n] = '\0';
	return out;
}

/* A client id: 8-64 of [A-Za-z0-9_-] (a UUID qualifies). */
static bool client_id_valid(const char *s, size_t len)
{
	if (len < 8 || len > 64)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-'))
			return false;
	return true;
}

/* The seats and performance of a code scan (the token path reads them in
 * checkins_validate_body): 0, or the status answered. */
static int code_input(struct http_req *req, struct http_res *res,
		      struct json_object *body, struct scan *sc,
		      const char *s, size_t len)
{
	enum jsonr_status st;

	memset(&sc->in, 0, sizeof(sc->in));
	st = jsonr_int(body, "performance_id", &sc->in.performance_id);
	if (st != JSONR_OK || sc->in.performance_id < 1)
		return http_error_fields(res, 422, "validation_failed",
					 "a code needs the performance_id",
					 "{\"performance_id\":\"required\"}");
	st = jsonr_int(body, "seats", &sc->in.seats);
	if (st == JSONR_BAD_TYPE ||
	    (st == JSONR_OK && (sc->in.seats < 1 || sc->in.seats > 1000)))
		return http_error_fields(res, 422, "validation_failed",
					 "seats must be a positive integer",
					 "{\"seats\":\"out_of_range\"}");
	if (st != JSONR_OK)
		sc->in.seats = 0;
	sc->code = code_normal(req->arena, s, len);
	if (sc->code == NULL)
		return http_error(res, 404, "unknown_ticket",
				  "no booking of this performance has this "
				  "code");
	return 0;
}

/* The body checked: 0 with *sc, or the status answered. */
static int scan_input(struct http_req *req, struct http_res *res,
		      struct scan *sc)
{
	struct json_object *body;
	enum jsonr_status st;
	const char *s;
	size_t len;
	int status;

	memset(sc, 0, sizeof(*sc));
	if ((status = app_json_body(req, res, &body)) != 0)
		return status;
	st = jsonr_string(body, "client_id", &s, &len);
	if (st == JSONR_BAD_TYPE || (st == JSONR_OK && !client_id_valid(s, len)))
		return http_error_fields(res, 422, "validation_failed",
					 "client_id must be 8-64 letters, "
					 "digits, - or _",
					 "{\"client_id\":\"invalid\"}");
	if (st == JSONR_OK)
		sc->client_id = arena_strndup(req->arena, s, len);
	st = jsonr_bool(body, "offline", &sc->offline);
	if (st == JSONR_BAD_TYPE)
		return http_error_fields(res, 422, "validation_failed",
					 "offline must be true or false",
					 "{\"offline\":\"invalid\"}");
	if (st != JSONR_OK)
		sc->offline = false;
	if (jsonr_string(body, "token", &s, &len) == JSONR_MISSING &&
	    jsonr_string(body, "code", &s, &len) == JSONR_OK)
		return code_input(req, res, body, sc, s, len);

	switch (checkins_validate_body(body, &sc->in)) {
	case CHECKIN_UNKNOWN_TICKET:
		return http_error(res, 404, "unknown_ticket",
				  "this is not one of our tickets");
	case CHECKIN_BAD_PERFORMANCE:
		return http_error_fields(res, 422, "validation_failed",
					 "performance_id must be an id",
					 "{\"performance_id\":\"invalid\"}");
	case CHECKIN_BAD_SEATS:
		return http_error_fields(res, 422, "validation_failed",
					 "seats must be a positive integer",
					 "{\"seats\":\"out_of_range\"}");
	case CHECKIN_OK:
		break;
	}
	if (tok_hash_hex(sc->in.ticket, sc->hash) < 0)
		return http_error(res, 404, "unknown_ticket",
				  "this is not one of our tickets");
	return 0;
}

/* The scan as door_scan_batch() takes it, with the session the guard
 * left to the statement; NULL when out of memory. */
static const char *scan_json(struct http_req *req, const struct scan *sc,
			     const char *session, const char *csrf)
{
	struct jsonw w;
	struct buf b;

	buf_init(&b, req->arena, 512);
	jsonw_init(&w, &b);
	jsonw_obj(&w);
	jsonw_key(&w, "session");
	jsonw_str(&w, session);
	jsonw_key(&w, "csrf");
	jsonw_str(&w, csrf);
	jsonw_key(&w, "ticket_hash");
	jsonw_str(&w, sc->code == NULL ? sc->hash : NULL);
	jsonw_key(&w, "code");
	jsonw_str(&w, sc->code);
	jsonw_key(&w, "seats");
	if (sc->in.seats > 0)
		jsonw_int(&w, sc->in.seats);
	else
		jsonw_null(&w);
	jsonw_key(&w, "client_id");
	jsonw_str(&w, sc->client_id);
	jsonw_key(&w, "offline");
	jsonw_bool(&w, sc->offline);
	jsonw_end(&w);
	return b.failed ? NULL : b.data;
}

int checkins_create(struct http_req *req, struct http_res *res)
{
	const char *session, *csrf, *idle;
	const struct outcome *o;
	struct http_res invalid;
	struct batch_job job = {0};
	struct scan sc;
	struct db_conn *c;
	enum db_status st;
	int status, guard;

	http_res_init(&invalid, req->arena);
	if ((status = scan_input(req, &invalid, &sc)) != 0) {
		/* A body the scan cannot use: the session and the CSRF token
		 * are checked first, as on every guarded route. */
		if ((guard = auth_statement_guard(req, res)) != 0)
			return guard;
		*res = invalid;
		return status;
	}
	if (auth_statement_session(req, &session, &csrf, &idle) < 0 ||
	    (job.json = scan_json(req, &sc, session, csrf)) == NULL)
		return app_internal_error(res);
	if ((status = app_db(req, res, &c)) != 0)
		return status;
	st = batch_run(&scan_kind, c, req->arena, sc.in.performance_id, idle,
		       &job);
	if (st != DB_OK) {
		log_event(LOG_ERROR, req->request_id, "transaction_failed",
			  "%s (door scan)", db_status_name(st));
		return app_db_error(res, st);
	}
	o = outcome_find(OUTCOMES(checkin_outcomes), job.cols[CHECK_IN_RESULT]);
	if (o == NULL)
		return app_internal_error(res);
	auth_statement_touch(req, c, session,
			     strcmp(job.cols[CHECK_IN_SESSION_STALE], "t") == 0);
	if (o->status == 401 || o->status == 403 || o->status == 404 ||
	    strcmp(o->result, "client_id_reused") == 0)
		return http_error(res, o->status, o->code, o->message);

	log_event(LOG_INFO, req->request_id, "checkin", "reservation %s: %s%s",
		  job.cols[CHECK_IN_RESERVATION_ID], o->result,
		  strcmp(job.cols[CHECK_IN_REPLAYED], "t") == 0 ? " (replayed)"
								 : "");
	return answer(res, o, job.cols);
}

enum { UNDO_RESULT, UNDO_RESERVATION_ID };

/* The reservation as door_scan() describes it, after an undo. */
enum { UNDONE_RESERVATION };
static const char SQL_UNDONE[] =
	"SELECT json_build_object('name', r.name, 'seats', r.seats,"
	"  'seats_admitted', r.seats_admitted, 'status', r.status,"
	"  'cancelled_by', r.cancelled_by, 'code', r.code, 'notes', r.notes,"
	"  'source', r.source, 'door_excess', r.door_excess)::text"
	" FROM reservations r WHERE r.id = $1::bigint";
static const char SQL_UNDO[] =
	"SELECT o_result, o_reservation_id FROM admin_undo_check_in("
	"$1::bigint, $2::bigint, $3)";

/* POST /api/checkins/{id}/undo: admin_undo_check_in() */
static const struct outcome undo_outcomes[] = {
	{"undone", 200, NULL, NULL, NULL, NULL},
	{"not_found", 404, "not_found", "no such check-in", NULL, NULL},
	{"already_undone", 409, "already_undone",
	 "this check-in was already undone", NULL, NULL},
};

/* The door's own undo of an admission made by mistake: the same audited
 * function as the admin's, answered with the ticket as the door sees it. */
int checkins_undo(struct http_req *req, struct http_res *res)
{
	const struct outcome *o;
	const char *id[1];
	struct db_params p;
	struct db_conn *c;
	enum db_status st;
	PGresult *row, *d;
	int status;

	db_params_init(&p);
	db_param(&p, http_param(req, "id"));
	db_param(&p, auth_user(req)->id_text);
	db_param(&p, req->request_id);
	if ((status = app_db(req, res, &c)) != 0 ||
	    (status = app_call(req, res, c, 0, SQL_UNDO, &p, &row)) != 0 ||
	    (status = app_outcome(res, OUTCOMES(undo_outcomes),
				  db_val(row, 0, UNDO_RESULT), NULL, &o)) != 0)
		return status;
	id[0] = db_val(row, 0, UNDO_RESERVATION_ID);
	log_event(LOG_INFO, req->request_id, "checkin_undone",
		  "check-in %s of reservation %s at the door by user %s",
		  http_param(req, "id"), id[0], auth_user(req)->id_text);
	st = db_query(c, req->arena, SQL_UNDONE, 1, id, &d);
	if (st != DB_OK)
		return app_db_error(res, st);
	if (PQntuples(d) != 1)
		return app_internal_error(res);
	buf_printf(&res->body, "{\"undone\":true,\"reservation\":%s}",
		   db_val(d, 0, UNDONE_RESERVATION));
	return o->status;
}

int checkins_performance(struct http_req *req, struct http_res *res)
{
	return app_document(req, res, 200, SQL_PERFORMANCE_CHECKINS,
			    http_param(req, "id"), NULL);
}

int checkins_performances(struct http_req *req, struct http_res *res)
{
	return app_document(req, res, 200, SQL_STAFF_PERFORMANCES, NULL,
			    "performances");
}
