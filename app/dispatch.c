/*
 * dispatch: the one path every request takes, from parsed request to
 * response. Method, path, body size, content type and (later) session and
 * CSRF are checked here once, so handlers only do their own work.
 */
#include "app.h"
#include "auth.h"

#include "../lib/arena.h"
#include "../lib/db.h"
#include "../lib/json.h"
#include "../lib/log.h"

#include <libpq-fe.h>

#include <string.h>

static int route_and_call(struct http_req *req, struct http_res *res,
			  const struct http_io *io)
{
	const struct route *r = NULL;
	char allow[64];
	int status;

	/* Read (or drain) the body first: an unread body would break the
	 * kept FastCGI connection, whatever we answer. */
	status = http_read_body(req, io);
	if (status == 413)
		return http_error(res, 413, "payload_too_large",
				  "request body is larger than 16 KiB");
	if (status != 0)
		return http_error(res, status, "bad_request",
				  "request body could not be read");

	switch (router_match(app_routes, app_nroutes, req, &r, allow,
			     sizeof(allow))) {
	case ROUTER_NOT_FOUND:
		req->route = "-";
		return http_error(res, 404, "not_found", "no such resource");
	case ROUTER_BAD_METHOD:
		req->route = "-";
		http_res_header(res, "Allow", allow);
		return http_error(res, 405, "method_not_allowed",
				  "method not allowed on this resource");
	case ROUTER_FOUND:
		break;
	}

	if ((req->method == HTTP_POST || req->method == HTTP_PUT ||
	     req->method == HTTP_PATCH) &&
	    req->body_len > 0 && !http_content_type_is(req, "application/json"))
		return http_error(res, 415, "unsupported_media_type",
				  "send the body as application/json");

	status = auth_guard(req, res, r);
	if (status != 0)
		return status;
	return r->handler(req, res);
}

void app_dispatch(struct http_req *req, struct http_res *res,
		  const struct http_io *io)
{
	int status = route_and_call(req, res, io);

	if (status < 200 || status > 599) {
		log_event(LOG_ERROR, req->request_id, "bad_status",
			  "handler for %s returned %d", req->route, status);
		status = http_error(res, 500, "internal_error",
				    "internal error");
	}
	if (res->body.failed)
		status = http_error(res, 500, "internal_error",
				    "out of memory");
	res->status = status;
	if (status >= 400 && res->body.len == 0)
		http_error(res, status, "error", http_reason(status));
	/* Personal data travels in API responses: never let a proxy or a
	 * shared browser cache keep them. Handlers may set their own. */
	if (strstr(res->headers.data, "Cache-Control:") == NULL)
		http_res_header(res, "Cache-Control", "no-store");
}

struct json_object *app_json_body(struct http_req *req, struct http_res *res)
{
	struct json_object *o = NULL;

	if (req->body != NULL)
		o = jsonr_parse_object(req->arena, req->body, req->body_len);
	if (o == NULL)
		http_error(res, 400, "invalid_json",
			   "the body must be a JSON object");
	return o;
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

struct db_conn *app_db(struct http_req *req, struct http_res *res)
{
	struct db_conn *c = app_db_wait(req, 5000);

	if (c == NULL)
		http_error(res, 503, "unavailable",
			   "the database is not available, try again shortly");
	return c;
}

int app_db_error(struct http_res *res, int st)
{
	if (st == DB_UNAVAILABLE)
		return http_error(res, 503, "unavailable",
				  "the database is not available, try again shortly");
	return http_error(res, 500, "internal_error", "internal error");
}

int app_document(struct http_req *req, struct http_res *res, int status,
		 const char *sql, const char *param, const char *key)
{
	struct db_conn *c = app_db(req, res);
	const char *params[1] = {param};
	PGresult *r;
	int st;

	if (c == NULL)
		return res->status;
	st = db_query(c, req->arena, sql, param != NULL ? 1 : 0,
		      param != NULL ? params : NULL, &r);
	if (st != DB_OK)
		return app_db_error(res, st);
	if (PQntuples(r) == 0)
		return http_error(res, 404, "not_found", "no such resource");
	if (key == NULL) {
		res->status = status;
		buf_puts(&res->body, db_val(r, 0, 0));
		return status;
	}
	return app_json_wrap(res, status, key, db_val(r, 0, 0));
}

int app_json_wrap(struct http_res *res, int status, const char *key,
		  const char *json)
{
	buf_printf(&res->body, "{\"%s\":%s}", key, json);
	return status;
}

int app_admin_page(struct http_req *req, struct http_res *res)
{
	const char *accept = http_env(req->env, "HTTP_ACCEPT");

	/* A person typing /admin gets the admin UI; a program gets JSON. */
	if (accept != NULL && strstr(accept, "text/html") != NULL) {
		http_res_header(res, "Location", "/manage/");
		buf_puts(&res->body, "{\"location\":\"/manage/\"}");
		return 302;
	}
	return http_error(res, 404, "not_found",
			  "the admin API is under /admin/<resource>");
}

struct call {
	const char *sql;
	int nparams;
	const char *const *params;
	PGresult *row;
};

static enum db_status call_tx(struct db_conn *c, struct arena *a, void *ctx)
{
	struct call *call = ctx;

	return db_exec(c, a, call->sql, call->nparams, call->params,
		       &call->row);
}

int app_call(struct http_req *req, struct http_res *res, struct db_conn *c,
	     int64_t perf, const char *sql, int nparams,
	     const char *const *params, PGresult **row)
{
	struct call call = {sql, nparams, params, NULL};
	int st;

	/* The lock sits outside the retry loop: one lock, one unlock. */
	if (perf > 0 && (st = db_lock(c, req->arena, perf)) != DB_OK)
		return app_db_error(res, st);
	st = db_tx(c, req->arena, call_tx, &call, NULL);
	if (perf > 0)
		db_unlock(c, req->arena, perf);
	if (st != DB_OK) {
		log_event(LOG_ERROR, req->request_id, "transaction_failed",
			  "%s (performance %lld)", db_status_name(st),
			  (long long)perf);
		return app_db_error(res, st);
	}
	if (PQntuples(call.row) != 1)
		return http_error(res, 500, "internal_error", "internal error");
	*row = call.row;
	return 0;
}
