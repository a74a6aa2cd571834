/*
 * app: what every domain module shares: the process-wide context, access
 * levels of the route table, and the request entry point.
 */
#ifndef BOXOFFICE_APP_H
#define BOXOFFICE_APP_H

#include "../lib/cfg.h"
#include "../lib/http.h"
#include "../lib/router.h"

#include <stddef.h>
#include <stdint.h>

struct db_pool;
struct db_conn;
struct pg_result;
struct json_object;

/* Set up once in main() before any thread starts; read-only afterwards. */
struct app {
	struct cfg cfg;
	struct db_pool *pool;
};

extern struct app app;

enum access {
	ACCESS_PUBLIC,
	ACCESS_STAFF,	/* session of a staff or admin user */
	ACCESS_ADMIN,	/* session of an admin user */
	ACCESS_METRICS	/* an admin, or BOXOFFICE_METRICS_TOKEN as a bearer */
};

/* The route table (app/routes.c). */
extern const struct route app_routes[];
extern const size_t app_nroutes;

/*
 * Handle one request end to end: read the body, route, check access,
 * call the handler, fill res (status, headers, body). Always returns the
 * status in res->status; never fails to produce a response.
 */
void app_dispatch(struct http_req *req, struct http_res *res,
		  const struct http_io *io);

/* The body as a JSON object (owned by the arena), or NULL after answering
 * 400 invalid_json. */
struct json_object *app_json_body(struct http_req *req, struct http_res *res);

/*
 * The request's pooled connection (the same one for every call within a
 * request), released with the arena. NULL after setting a 503 error on
 * res: `if (!c) return res->status;`.
 */
struct db_conn *app_db(struct http_req *req, struct http_res *res);

/* The same, waiting at most timeout_ms; NULL without touching a response. */
struct db_conn *app_db_wait(struct http_req *req, int timeout_ms);

/* Map a failed db status to a response: 503 for unavailable, else 500. */
int app_db_error(struct http_res *res, int st);

/*
 * Run one statement (normally a SQL function call) as the whole of a
 * SERIALIZABLE transaction, retried on serialization failures. With
 * perf > 0 it runs under that performance's advisory lock, taken before
 * BEGIN (docs/ARCHITECTURE.md): every seat-changing write does this.
 * 0 with *row set (cleared with the arena), or an answered HTTP status.
 */
int app_call(struct http_req *req, struct http_res *res, struct db_conn *c,
	     int64_t perf, const char *sql, int nparams,
	     const char *const *params, struct pg_result **row);

/* GET /admin as a page: redirect browsers to the admin UI. */
int app_admin_page(struct http_req *req, struct http_res *res);

/*
 * Run sql (a statement with one text parameter, or none when param is
 * NULL) that returns one JSON text, and answer with status and
 * {"<key>": <json>} (or the JSON itself when key is NULL); 404 not_found
 * when it returns no row. Returns the status.
 */
int app_document(struct http_req *req, struct http_res *res, int status,
		 const char *sql, const char *param, const char *key);

/* Write a JSON object {"<key>": <json>} as the body, with status. */
int app_json_wrap(struct http_res *res, int status, const char *key,
		  const char *json);

#endif
