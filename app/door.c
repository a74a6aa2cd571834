/*
 * door: the guest list, walk-ins and curtain-time release (sql/011).
 *
 * The guest list is one document built by PostgreSQL: tonight's
 * reservations (confirmed, live holds, cancelled, so the door can say
 * which) sorted by name, each with its short code, notes and the hex of
 * its ticket's hash. The hash is what the offline scanner keeps instead
 * of tokens: it computes the same BLAKE2b-256 of a scanned token and
 * looks it up, and a stolen phone holds nothing that opens the door
 * (docs/ARCHITECTURE.md, "The door offline").
 *
 * A walk-in is a booking and an admission in one SERIALIZABLE call of
 * door_walk_in() under the performance's lock, exactly like a visitor's
 * booking, so walk-ins and an online rush never oversell together.
 */
#include "door.h"

#include "app.h"
#include "auth.h"
#include "input.h"
#include "request.h"

#include "../lib/arena.h"
#include "../lib/db.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "../lib/tok.h"
#include "../lib/valid.h"

#include <json-c/json.h>
#include <string.h>

/* $1 performance, $2 ILIKE pattern or NULL, $3 the query as typed,
 * $4 release minutes or NULL. */
enum { GUESTS_JSON };
static const char SQL_GUESTS[] =
	"SELECT json_build_object("
	" 'performance', json_build_object('id', p.id,"
	"  'starts_at', p.starts_at, 'status', p.status,"
	"  'show', json_build_object('slug', s.slug, 'title', s.title),"
	"  'venue', json_build_object('id', v.id, 'name', v.name),"
	"  'release_absent', p.release_absent, 'released_at', p.released_at,"
	"  'release_at', p.starts_at + make_interval(mins => $4::integer)),"
	" 'counters', (SELECT json_build_object("
	"   'capacity', p.capacity, 'occupied_manual', p.occupied_manual,"
	"   'extra_seats', p.extra_seats,"
	"   'expected', coalesce(sum(r.seats) FILTER"
	"     (WHERE r.status = 'confirmed'), 0),"
	"   'admitted', coalesce(sum(r.seats_admitted) FILTER"
	"     (WHERE r.status = 'confirmed'), 0),"
	"   'held', coalesce(sum(r.seats) FILTER (WHERE r.status = 'pending'"
	"     AND r.expires_at > now()), 0),"
	"   'free', greatest(perf_seats_available(p), 0),"
	"   'no_shows', CASE WHEN now() >= p.starts_at THEN"
	"     coalesce(sum(r.seats - r.seats_admitted) FILTER"
	"     (WHERE r.status = 'confirmed'), 0) ELSE 0 END,"
	"   'walk_ins', coalesce(sum(r.seats) FILTER"
	"     (WHERE r.source = 'door' AND r.status = 'confirmed'), 0),"
	"   'excess', coalesce(sum(r.door_excess), 0))"
	"  FROM reservations r WHERE r.performance_id = p.id),"
	" 'waitlist', waitlist_door(p.id),"
	" 'guests', coalesce((SELECT json_agg(json_build_object('id', r.id,"
	"   'name', r.name, 'seats', r.seats, 'seats_admitted',"
	"   r.seats_admitted, 'notes', r.notes, 'code', r.code,"
	"   'status', CASE WHEN r.status = 'pending' AND r.expires_at <= now()"
	"    THEN 'expired' ELSE r.status END,"
	"   'cancelled_by', r.cancelled_by, 'source', r.source,"
	"   'door_excess', r.door_excess, 'released_seats', r.released_seats,"
	"   'ticket_hash', encode(r.ticket_token_hash, 'hex'))"
	"   ORDER BY lower(r.name), r.id) FROM reservations r"
	"  WHERE r.performance_id = p.id"
	"   AND (r.status IN ('confirmed', 'cancelled')"
	"    OR (r.status = 'pending' AND r.expires_at > now()))"
	"   AND ($2::text IS NULL OR r.name ILIKE $2 OR r.email ILIKE $2"
	"    OR (length(box_code_normal($3)) >= 2"
	"     AND r.code LIKE box_code_normal($3) || '%'))), '[]'))::text"
	" FROM performances p JOIN shows s ON s.id = p.show_id"
	" JOIN venues v ON v.id = p.venue_id WHERE p.id = $1::bigint";

enum { WALK_IN_RESULT, WALK_IN_RESERVATION_ID, WALK_IN_CHECKIN_ID,
       WALK_IN_CODE, WALK_IN_SEATS_AVAILABLE };
static const char SQL_WALK_IN[] =
	"SELECT o_result, o_reservation_id, o_checkin_id, o_code,"
	" o_seats_available FROM door_walk_in($1::bigint, $2::integer, $3,"
	" $4::bytea, $5::bytea, $6::integer, $7::bigint, $8)";

enum { RELEASE_RESULT, RELEASE_HOLDS, RELEASE_ABSENT };
static const char SQL_RELEASE[] =
	"SELECT o_result, o_holds, o_absent FROM door_release($1::bigint,"
	" $2::bigint, $3)";

/* POST /api/performances/{id}/walkins: door_walk_in() */
static const struct outcome walk_in_outcomes[] = {
	{"admitted", 201, NULL, NULL, NULL, NULL},
	{"not_found", 404, "not_found", "no such performance", NULL, NULL},
	{"performance_cancelled", 409, "performance_cancelled",
	 "this performance was cancelled", NULL, NULL},
	{"not_enough_seats", 409, "not_enough_seats",
	 "not enough seats are free", NULL, "seats_available"},
};

/* POST /api/performances/{id}/release: door_release() */
static const struct outcome release_outcomes[] = {
	{"released", 200, NULL, NULL, NULL, NULL},
	{"not_found", 404, "not_found", "no such performance", NULL, NULL},
	{"performance_cancelled", 409, "performance_cancelled",
	 "this performance was cancelled", NULL, NULL},
	{"not_started", 409, "not_started",
	 "seats are released only once the performance has begun", NULL,
	 NULL},
};

/* '%' s '%' with LIKE's wildcards escaped (as the admin's search). */
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

int door_guests(struct http_req *req, struct http_res *res)
{
	const char *q = http_query(req, "q");
	const char *params[4] = {http_param(req, "id"), NULL, NULL, NULL};
	const char *start;
	struct db_conn *c;
	enum db_status st;
	PGresult *r;
	size_t n;
	int status;

	if (q != NULL) {
		switch (valid_text(q, strlen(q), 100, false, &start, &n)) {
		case VALID_OK:
			params[1] = like_pattern(req->arena, start, n);
			params[2] = arena_strndup(req->arena, start, n);
			if (params[1] == NULL || params[2] == NULL)
				return app_internal_error(res);
			break;
		case VALID_EMPTY:
			break;
		case VALID_TOO_LONG:
			return input_field_answer(res, req->arena, "q",
						  "too_long");
		case VALID_BAD:
			return input_field_answer(res, req->arena, "q",
						  "invalid");
		}
	}
	params[3] = arena_printf(req->arena, "%d",
				 app.cfg.door_release_minutes < 0
					 ? 0 : app.cfg.door_release_minutes);
	if (params[3] == NULL)
		return app_internal_error(res);
	if (app.cfg.door_release_minutes < 0)
		params[3] = NULL;
	if ((status = app_db(req, res, &c)) != 0)
		return status;
	st = db_query(c, req->arena, SQL_GUESTS, 4, params, &r);
	if (st != DB_OK)
		return app_db_error(res, st);
	if (PQntuples(r) == 0)
		return http_error(res, 404, "not_found", "no such performance");
	buf_puts(&res->body, db_val(r, 0, GUESTS_JSON));
	return 200;
}

/* Tokens a walk-in's reservation must have (the schema wants both hashes)
 * and nobody will ever see: the door's code names it. 0, or -1. */
static int unused_tokens(char confirm_hash[TOK_HASH_HEX_LEN + 1],
			 char ticket_hash[TOK_HASH_HEX_LEN + 1])
{
	char confirm[TOK_LEN + 1], ticket[TOK_LEN + 1];

	if (tok_new(confirm) < 0 || tok_derive_ticket(confirm, ticket) < 0 ||
	    tok_hash_hex(confirm, confirm_hash) < 0 ||
	    tok_hash_hex(ticket, ticket_hash) < 0)
		return -1;
	return 0;
}

int door_walkins(struct http_req *req, struct http_res *res)
{
	int64_t perf = input_path_id(req), seats;
	char confirm_hash[TOK_HASH_HEX_LEN + 1], ticket_hash[TOK_HASH_HEX_LEN + 1];
	const char *seats_text = NULL, *name = NULL;
	const struct outcome *o;
	struct json_object *body;
	struct input_fields f;
	struct db_params p;
	struct db_conn *c;
	PGresult *row;
	int status;

	if ((status = app_json_body(req, res, &body)) != 0)
		return status;
	input_fields_init(&f, req->arena);
	input_int(req->arena, body, &f, "seats", 1, 100, INPUT_REQUIRED,
		  &seats, &seats_text);
	input_text(req->arena, body, &f, "name", BOOKING_NAME_MAX, 0, &name);
	if (f.n > 0)
		return input_fields_answer(res, &f);
	if (unused_tokens(confirm_hash, ticket_hash) < 0)
		return app_internal_error(res);
	db_params_init(&p);
	db_param_int(&p, perf);
	db_param(&p, seats_text);
	db_param(&p, name);
	db_param(&p, confirm_hash);
	db_param(&p, ticket_hash);
	if (app.cfg.door_release_minutes >= 0)
		db_param_int(&p, app.cfg.door_release_minutes);
	else
		db_param(&p, NULL);
	db_param(&p, auth_user(req)->id_text);
	db_param(&p, req->request_id);
	if ((status = app_db(req, res, &c)) != 0 ||
	    (status = app_call(req, res, c, perf, SQL_WALK_IN, &p, &row)) != 0 ||
	    (status = app_outcome(res, OUTCOMES(walk_in_outcomes),
				  db_val(row, 0, WALK_IN_RESULT),
				  db_val(row, 0, WALK_IN_SEATS_AVAILABLE),
				  &o)) != 0)
		return status;
	log_event(LOG_INFO, req->request_id, "walk_in",
		  "reservation %s: %s seats at the door by user %s",
		  db_val(row, 0, WALK_IN_RESERVATION_ID), seats_text,
		  auth_user(req)->id_text);
	buf_printf(&res->body,
		   "{\"reservation\":{\"id\":%s,\"code\":\"%s\",\"seats\":%s,"
		   "\"seats_admitted\":%s,\"status\":\"confirmed\","
		   "\"source\":\"door\",\"name\":",
		   db_val(row, 0, WALK_IN_RESERVATION_ID),
		   db_val(row, 0, WALK_IN_CODE), seats_text, seats_text);
	{
		struct jsonw w;

		jsonw_init(&w, &res->body);
		jsonw_str(&w, name != NULL ? name : "");
	}
	buf_printf(&res->body,
		   "},\"checkin\":{\"id\":%s},\"seats_available\":%s}",
		   db_val(row, 0, WALK_IN_CHECKIN_ID),
		   db_val(row, 0, WALK_IN_SEATS_AVAILABLE));
	return o->status;
}

int door_release(struct http_req *req, struct http_res *res)
{
	int64_t perf = input_path_id(req);
	const struct outcome *o;
	struct db_params p;
	struct db_conn *c;
	PGresult *row;
	int status;

	db_params_init(&p);
	db_param_int(&p, perf);
	db_param(&p, auth_user(req)->id_text);
	db_param(&p, req->request_id);
	if ((status = app_db(req, res, &c)) != 0 ||
	    (status = app_call(req, res, c, perf, SQL_RELEASE, &p, &row)) != 0 ||
	    (status = app_outcome(res, OUTCOMES(release_outcomes),
				  db_val(row, 0, RELEASE_RESULT), NULL,
				  &o)) != 0)
		return status;
	log_event(LOG_INFO, req->request_id, "seats_released",
		  "performance %lld: %s held, %s absent by user %s",
		  (long long)perf, db_val(row, 0, RELEASE_HOLDS),
		  db_val(row, 0, RELEASE_ABSENT), auth_user(req)->id_text);
	buf_printf(&res->body, "{\"released\":{\"holds\":%s,\"absent\":%s}}",
		   db_val(row, 0, RELEASE_HOLDS),
		   db_val(row, 0, RELEASE_ABSENT));
	return o->status;
}
