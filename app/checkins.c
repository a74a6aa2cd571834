/*
 * checkins: the door.
 *
 * A scan is one SERIALIZABLE transaction around check_in()
 * (sql/004_checkins.sql), which locks the reservation row: two scanners on
 * one ticket take turns, and the second sees what the first admitted. The
 * answer then describes the ticket for the big result screen: who, how
 * many, which performance, and when and by whom if already admitted.
 */
#include "checkins.h"

#include "app.h"
#include "auth.h"
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

enum { CHECK_IN_RESULT, CHECK_IN_RESERVATION_ID, CHECK_IN_ID,
       CHECK_IN_ADMITTED, CHECK_IN_REMAINING };
static const char SQL_CHECK_IN[] =
	"SELECT o_result, o_reservation_id, o_checkin_id, o_admitted,"
	" o_remaining FROM check_in($1::bytea, $2::bigint, $3::integer,"
	" $4::bigint)";

/* The ticket as the door sees it: member texts to splice into answers. */
enum { DESCRIBE_RESERVATION, DESCRIBE_PERFORMANCE, DESCRIBE_AT, DESCRIBE_BY };
static const char SQL_DESCRIBE[] =
	"SELECT json_build_object('name', r.name, 'seats', r.seats,"
	"  'seats_admitted', r.seats_admitted, 'status', r.status)::text,"
	" json_build_object('id', p.id, 'starts_at', p.starts_at,"
	"  'status', p.status,"
	"  'show', json_build_object('slug', s.slug, 'title', s.title))::text,"
	" to_json(c.at)::text,"
	" to_json(coalesce(nullif(u.name, ''), u.email, ''))::text"
	" FROM reservations r JOIN performances p ON p.id = r.performance_id"
	" JOIN shows s ON s.id = p.show_id"
	" LEFT JOIN LATERAL (SELECT at, by_user FROM checkins"
	"  WHERE reservation_id = r.id AND undone_at IS NULL"
	"  ORDER BY at DESC LIMIT 1) c ON true"
	" LEFT JOIN users u ON u.id = c.by_user"
	" WHERE r.id = $1::bigint";

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
	{"unknown_ticket", 404, "unknown_ticket",
	 "this is not one of our tickets", NULL, NULL},
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
static void raw(struct jsonw *w, const char *key, const PGresult *r, int col)
{
	const char *v = db_val(r, 0, col);

	jsonw_key(w, key);
	jsonw_raw(w, v, strlen(v));
}

/* The answer to a scan: the outcome o of row, the ticket described by d. */
static int answer(struct http_res *res, const struct outcome *o,
		  const PGresult *row, const PGresult *d)
{
	bool ok = o->status == 201;
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
		raw(&w, "seats_admitted", row, CHECK_IN_ADMITTED);
	}
	raw(&w, "seats_remaining", row, CHECK_IN_REMAINING);
	raw(&w, "reservation", d, DESCRIBE_RESERVATION);
	raw(&w, "performance", d, DESCRIBE_PERFORMANCE);
	if (ok) {
		jsonw_key(&w, "checkin");
		jsonw_obj(&w);
		raw(&w, "id", row, CHECK_IN_ID);
		raw(&w, "at", d, DESCRIBE_AT);
		raw(&w, "by", d, DESCRIBE_BY);
		jsonw_end(&w);
	} else if (!db_null(d, 0, DESCRIBE_AT)) {
		raw(&w, "checked_in_at", d, DESCRIBE_AT);
		raw(&w, "checked_in_by", d, DESCRIBE_BY);
	}
	if (!ok)
		jsonw_end(&w);
	jsonw_end(&w);
	return o->status;
}

/* The body checked: 0 with *in and the ticket's hash, or the status
 * answered. */
static int scan_input(struct http_req *req, struct http_res *res,
		      struct checkin_input *in,
		      char hash[TOK_HASH_HEX_LEN + 1])
{
	struct json_object *body;
	int status;

	if ((status = app_json_body(req, res, &body)) != 0)
		return status;
	switch (checkins_validate_body(body, in)) {
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
	if (tok_hash_hex(in->ticket, hash) < 0)
		return http_error(res, 404, "unknown_ticket",
				  "this is not one of our tickets");
	return 0;
}

int checkins_create(struct http_req *req, struct http_res *res)
{
	const struct outcome *o;
	struct checkin_input in;
	char hash[TOK_HASH_HEX_LEN + 1];
	const char *id[1];
	struct db_params p;
	struct db_conn *c;
	PGresult *row, *d;
	enum db_status st;
	int status;

	if ((status = scan_input(req, res, &in, hash)) != 0 ||
	    (status = app_db(req, res, &c)) != 0)
		return status;
	db_params_init(&p);
	db_param(&p, hash);
	if (in.performance_id > 0)
		db_param_int(&p, in.performance_id);
	else
		db_param(&p, NULL);
	if (in.seats > 0)
		db_param_int(&p, in.seats);
	else
		db_param(&p, NULL);
	db_param(&p, auth_user(req)->id_text);
	/* No performance lock: a scan changes no availability, and only two
	 * scans of one ticket conflict (on its row). */
	if ((status = app_call(req, res, c, 0, SQL_CHECK_IN, &p, &row)) != 0)
		return status;
	o = outcome_find(OUTCOMES(checkin_outcomes),
			 db_val(row, 0, CHECK_IN_RESULT));
	if (o == NULL)
		return app_internal_error(res);
	if (o->status == 404)
		return http_error(res, 404, o->code, o->message);

	id[0] = db_val(row, 0, CHECK_IN_RESERVATION_ID);
	st = db_query(c, req->arena, SQL_DESCRIBE, 1, id, &d);
	if (st != DB_OK)
		return app_db_error(res, st);
	if (PQntuples(d) != 1)
		return app_internal_error(res);
	log_event(LOG_INFO, req->request_id, "checkin", "reservation %s: %s",
		  id[0], o->result);
	return answer(res, o, row, d);
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
