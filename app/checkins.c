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
#include "validate.h"

#include "../lib/arena.h"
#include "../lib/db.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "../lib/tok.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

static const char SQL_CHECK_IN[] =
	"SELECT o_result, o_reservation_id, o_checkin_id, o_admitted,"
	" o_remaining FROM check_in($1::bytea, $2::bigint, $3::integer,"
	" $4::bigint)";

/* The ticket as the door sees it: member texts to splice into answers. */
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

struct outcome {
	int status;
	const char *code;
	const char *message;
};

static const struct outcome outcomes[] = {
	{201, "checked_in", "welcome"},
	{404, "unknown_ticket", "this is not one of our tickets"},
	{422, "wrong_performance", "this ticket is for another performance"},
	{422, "cancelled", "this booking or performance was cancelled"},
	{422, "not_confirmed", "this booking was never confirmed"},
	{409, "already_checked_in", "everyone on this ticket is already in"},
	{422, "too_many_seats", "fewer seats are left on this ticket"},
};

int checkins_create(struct http_req *req, struct http_res *res)
{
	struct json_object *body = NULL;
	const struct outcome *o = NULL;
	struct checkin_input in;
	char hash[TOK_HASH_HEX_LEN + 1];
	char perf_s[24] = "", seats_s[16] = "";
	const char *result;
	const char *params[4];
	struct db_conn *c;
	struct jsonw w;
	PGresult *row, *d;
	int st;

	body = app_json_body(req, res);
	if (body == NULL)
		return res->status;
	switch (checkins_validate_body(body, &in)) {
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
	if (tok_hash_hex(in.ticket, hash) < 0)
		return http_error(res, 404, "unknown_ticket",
				  "this is not one of our tickets");
	if (in.performance_id > 0)
		snprintf(perf_s, sizeof(perf_s), "%lld",
			 (long long)in.performance_id);
	if (in.seats > 0)
		snprintf(seats_s, sizeof(seats_s), "%d", (int)in.seats);

	c = app_db(req, res);
	if (c == NULL)
		return res->status;
	params[0] = hash;
	params[1] = perf_s[0] != '\0' ? perf_s : NULL;
	params[2] = seats_s[0] != '\0' ? seats_s : NULL;
	params[3] = auth_user(req)->id_text;
	/* No performance lock: a scan changes no availability, and only two
	 * scans of one ticket conflict (on its row). */
	st = app_call(req, res, c, 0, SQL_CHECK_IN, 4, params, &row);
	if (st != 0)
		return st;

	result = db_val(row, 0, 0);
	for (size_t i = 0; i < sizeof(outcomes) / sizeof(outcomes[0]); i++)
		if (strcmp(outcomes[i].code, result) == 0)
			o = &outcomes[i];
	if (o == NULL)
		return http_error(res, 500, "internal_error", "internal error");
	if (o->status == 404)
		return http_error(res, 404, o->code, o->message);

	{
		const char *id[1] = {db_val(row, 0, 1)};

		st = db_query(c, req->arena, SQL_DESCRIBE, 1, id, &d);
		if (st != DB_OK || PQntuples(d) != 1)
			return app_db_error(res, st);
	}
	log_event(LOG_INFO, req->request_id, "checkin",
		  "reservation %s: %s", db_val(row, 0, 1), result);

	jsonw_init(&w, &res->body);
	jsonw_obj(&w);
	if (o->status != 201) {
		jsonw_key(&w, "error");
		jsonw_obj(&w);
		jsonw_key(&w, "code");
		jsonw_str(&w, o->code);
		jsonw_key(&w, "message");
		jsonw_str(&w, o->message);
	} else {
		jsonw_key(&w, "result");
		jsonw_str(&w, o->code);
		jsonw_key(&w, "seats_admitted");
		jsonw_raw(&w, db_val(row, 0, 3),
			  strlen(db_val(row, 0, 3)));
	}
	jsonw_key(&w, "seats_remaining");
	jsonw_raw(&w, db_val(row, 0, 4), strlen(db_val(row, 0, 4)));
	jsonw_key(&w, "reservation");
	jsonw_raw(&w, db_val(d, 0, 0), strlen(db_val(d, 0, 0)));
	jsonw_key(&w, "performance");
	jsonw_raw(&w, db_val(d, 0, 1), strlen(db_val(d, 0, 1)));
	if (o->status == 201) {
		jsonw_key(&w, "checkin");
		jsonw_obj(&w);
		jsonw_key(&w, "id");
		jsonw_raw(&w, db_val(row, 0, 2),
			  strlen(db_val(row, 0, 2)));
		jsonw_key(&w, "at");
		jsonw_raw(&w, db_val(d, 0, 2), strlen(db_val(d, 0, 2)));
		jsonw_key(&w, "by");
		jsonw_raw(&w, db_val(d, 0, 3), strlen(db_val(d, 0, 3)));
		jsonw_end(&w);
	} else if (!db_null(d, 0, 2)) {
		jsonw_key(&w, "checked_in_at");
		jsonw_raw(&w, db_val(d, 0, 2), strlen(db_val(d, 0, 2)));
		jsonw_key(&w, "checked_in_by");
		jsonw_raw(&w, db_val(d, 0, 3), strlen(db_val(d, 0, 3)));
	}
	if (o->status != 201)
		jsonw_end(&w);
	jsonw_end(&w);
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
