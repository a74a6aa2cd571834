/*
 * app: what every domain module shares: the process-wide context and the
 * route table with its access levels. The request path is
 * app/dispatch.h; the handler toolkit app/request.h.
 */
#ifndef BOXOFFICE_APP_H
#define BOXOFFICE_APP_H

#include "../lib/cfg.h"
#include "../lib/http.h"
#include "../lib/router.h"

#include <stddef.h>
#include <stdint.h>

struct db_pool;

/* Set up once in main() before any thread starts; read-only afterwards. */
struct app {
	struct cfg cfg;
	struct db_pool *pool;
};

extern struct app app;

enum access {
	ACCESS_PUBLIC,
	ACCESS_STAFF,	/* session of a staff or admin user */
	/* The same, checked by the handler's own statement with
	 * auth_statement_session() (the door scan, in one round trip). */
	ACCESS_STAFF_STATEMENT,
	ACCESS_ADMIN,	/* session of an admin user */
	ACCESS_METRICS	/* an admin, or BOXOFFICE_METRICS_TOKEN as a bearer */
};

/* The route table (app/routes.c). */
extern const struct route app_routes[];
extern const size_t app_nroutes;

/* The handlers whose body is not JSON (uploads), with the largest body
 * each takes; every other route's is JSON of at most HTTP_MAX_BODY. */
struct raw_body {
	route_handler handler;
	size_t max;
};
extern const struct raw_body app_raw_bodies[];
extern const size_t app_nraw_bodies;

#endif
