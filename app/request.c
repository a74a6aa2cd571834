/*
 * request: the handler toolkit (app/request.h). Everything here follows
 * the one answer convention: 0 to carry on, or the HTTP status answered.
 */
#include "request.h"

#include "app.h"

#include "../lib/arena.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "../lib/net.h"

#include <libpq-fe.h>

#include <string.h>

/* How long a request waits for a pooled connection before a 503. */
#define DB_WAIT_MS 5000

int app_json_body(struct http_req *req, struct http_res *res,
		  struct json_object **body)
{
	*body = NULL;
	if (req->body != NULL)
		*body = jsonr_parse_object(req->arena, req->body,
					   req->body_len);
	if (*body == NULL)
		return http_error(res, 400, "invalid_json",
				  "the body must be a JSON object");
	return 0;
}

struct db_conn *app_db_wait(struct http_req *req, int timeout_ms)
{
	/* One connection per request, however many parts of it ask: two
	 * would let busy threads each hold one and wait for a second, until
	 * the pool starves. Released with the arena. */
	if (req->db == NULL)
		req->db = db_acquire_for(app.pool, req->arena, timeout_ms);
	return req->db;
}

int app_db(struct http_req *req, struct http_res *res, struct db_conn **c)
{
	*c = app_db_wait(req, DB_WAIT_MS);
	if (*c == NULL)
		return app_db_error(res, DB_UNAVAILABLE);
	return 0;
}

const char *app_client_net(struct http_req *req)
{
	char net[NET_CLIENT_LEN];

	if (net_client(http_env(req->env, "REMOTE_ADDR"), net) < 0)
		return NULL;
	return arena_strdup(req->arena, net);
}

int app_db_error(struct http_res *res, enum db_status st)
{
	if (st == DB_UNAVAILABLE)
		return http_error(res, 503, "unavailable",
				  "the database is not available, try again shortly");
	if (st == DB_RETRY) {
		/* Still colliding after every retry: nothing was written, and
		 * the same request a moment later normally goes through. */
		http_res_header(res, "Retry-After", "1");
		return http_error(res, 503, "busy",
				  "too many requests at once, please try again "
				  "in a moment");
	}
	return app_internal_error(res);
}

int app_internal_error(struct http_res *res)
{
	return http_error(res, 500, "internal_error", "internal error");
}

int app_document(struct http_req *req, struct http_res *res, int status,
		 const char *sql, const char *param, const char *key)
{
	const char *params[1] = {param};
	struct db_conn *c;
	PGresult *r;
	enum db_status st;
	int answered;

	if ((answered = app_db(req, res, &c)) != 0)
		return answered;
	st = db_query(c, req->arena, sql, param != NULL ? 1 : 0,
		      param != NULL ? params : NULL, &r);
	if (st != DB_OK)
		return app_db_error(res, st);
	if (PQntuples(r) == 0)
		return http_error(res, 404, "not_found", "no such resource");
	if (key == NULL) {
		buf_puts(&res->body, db_val(r, 0, APP_DOC_JSON));
		return status;
	}
	return app_json_wrap(res, status, key, db_val(r, 0, APP_DOC_JSON));
}

void app_ticket_member(struct jsonw *w, struct arena *a, const char *ticket)
{
	jsonw_key(w, "ticket");
	jsonw_obj(w);
	jsonw_key(w, "url");
	jsonw_str(w, arena_printf(a, "%s/t/%s", app.cfg.public_url, ticket));
	jsonw_key(w, "qr_svg");
	jsonw_str(w, arena_printf(a, "/api/tickets/%s/qr.svg", ticket));
	jsonw_key(w, "qr_png");
	jsonw_str(w, arena_printf(a, "/api/tickets/%s/qr.png", ticket));
	jsonw_end(w);
}

int app_json_wrap(struct http_res *res, int status, const char *key,
		  const char *json)
{
	buf_printf(&res->body, "{\"%s\":%s}", key, json);
	return status;
}

int app_call(struct http_req *req, struct http_res *res, struct db_conn *c,
	     int64_t perf, const char *sql, const struct db_params *p,
	     PGresult **row)
{
	enum db_status st;

	if (p->failed)
		return app_internal_error(res);
	st = db_call(c, req->arena, perf, sql, p->n, p->v, row);
	if (st != DB_OK) {
		log_event(LOG_ERROR, req->request_id, "transaction_failed",
			  "%s (performance %lld)", db_status_name(st),
			  (long long)perf);
		return app_db_error(res, st);
	}
	if (PQntuples(*row) != 1)
		return app_internal_error(res);
	return 0;
}

const struct outcome *outcome_find(const struct outcome *t, size_t n,
				   const char *result)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].result, result) == 0)
			return &t[i];
	return NULL;
}

int app_outcome(struct http_res *res, const struct outcome *t, size_t n,
		const char *result, const char *member_value,
		const struct outcome **o)
{
	*o = outcome_find(t, n, result);
	if (*o == NULL)
		return app_internal_error(res);
	if ((*o)->status >= 200 && (*o)->status < 300)
		return 0;
	if ((*o)->fields != NULL)
		return http_error_fields(res, (*o)->status, (*o)->code,
					 (*o)->message, (*o)->fields);
	if ((*o)->member != NULL)
		return http_error_with(res, (*o)->status, (*o)->code,
				       (*o)->message, (*o)->member,
				       member_value);
	return http_error(res, (*o)->status, (*o)->code, (*o)->message);
}
