/*
 * health: GET /api/health. 200 when a pooled connection answers SELECT 1,
 * 503 otherwise. A dead pooled connection is reopened on the way (see
 * db_query), so the answer turns back to 200 as soon as PostgreSQL does.
 */
#include "health.h"

#include "app.h"
#include "request.h"

#include "../lib/db.h"

static const char SQL_PING[] = "SELECT 1";

int health_get(struct http_req *req, struct http_res *res)
{
	struct db_conn *c = app_db_wait(req, 1000);

	if (c != NULL && db_query(c, req->arena, SQL_PING, 0, NULL, NULL) ==
				 DB_OK) {
		buf_puts(&res->body, "{\"status\":\"ok\",\"database\":\"ok\"}");
		return 200;
	}
	buf_puts(&res->body,
		 "{\"status\":\"degraded\",\"database\":\"unavailable\"}");
	return 503;
}
