/*
 * ops: GET /admin/metrics, Prometheus text format 0.0.4.
 *
 * Request counters and latencies come from the shared metrics slots of all
 * worker processes (lib/metrics); the business gauges (outbox, holds) are
 * read from PostgreSQL at scrape time, so every worker answers the same.
 */
#include "ops.h"

#include "app.h"
#include "waitlist_notices.h"
#include "request.h"

#include "../lib/arena.h"
#include "../lib/db.h"
#include "../lib/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *route_names[METRICS_ROUTES];

enum { GAUGE_OUTBOX_PENDING, GAUGE_OUTBOX_FAILED, GAUGE_HOLDS,
       GAUGE_HOLD_SEATS };
static const char SQL_GAUGES[] =
	"SELECT"
	" (SELECT count(*) FROM outbox WHERE sent_at IS NULL"
	"   AND failed_at IS NULL),"
	" (SELECT count(*) FROM outbox WHERE failed_at IS NOT NULL),"
	" (SELECT count(*) FROM reservations WHERE status = 'pending'"
	"   AND expires_at > now()),"
	" (SELECT coalesce(sum(seats), 0) FROM reservations"
	"   WHERE status = 'pending' AND expires_at > now())";

int ops_init(void)
{
	for (size_t i = 0; i < app_nroutes && i < METRICS_UNMATCHED; i++) {
		size_t n = strlen(app_routes[i].pattern) + 9;
		char *s = malloc(n);

		/* Lives as long as the process: freed by exit. */
		if (s == NULL)
			return -1;
		snprintf(s, n, "%s %s", router_method_name(app_routes[i].method),
			 app_routes[i].pattern);
		route_names[i] = s;
	}
	return 0;
}

void ops_publish_pool(void)
{
	struct db_pool_stats s;
	struct metrics_gauges g;

	db_pool_stats(app.pool, &s);
	g.pool_size = (uint64_t)s.size;
	g.pool_in_use = (uint64_t)s.in_use;
	g.pool_waiting = (uint64_t)s.waiting;
	g.retries = s.retries;
	g.reconnects = s.reconnects;
	g.gave_up = s.gave_up;
	metrics_publish(&g);
}

int ops_metrics(struct http_req *req, struct http_res *res)
{
	struct db_conn *c;
	PGresult *r;

	ops_publish_pool();
	metrics_render(&res->body, route_names,
		       app_nroutes < METRICS_UNMATCHED ? app_nroutes
						       : METRICS_UNMATCHED);
	c = app_db_wait(req, 1000);
	if (c != NULL && db_query(c, req->arena, SQL_GAUGES, 0, NULL, &r) ==
				 DB_OK) {
		buf_printf(&res->body,
			   "# HELP boxoffice_outbox_messages Mail not yet "
			   "delivered.\n"
			   "# TYPE boxoffice_outbox_messages gauge\n"
			   "boxoffice_outbox_messages{state=\"pending\"} %s\n"
			   "boxoffice_outbox_messages{state=\"failed\"} %s\n"
			   "# HELP boxoffice_holds_active Pending reservations "
			   "whose hold has not expired.\n"
			   "# TYPE boxoffice_holds_active gauge\n"
			   "boxoffice_holds_active %s\n"
			   "# HELP boxoffice_holds_seats Seats held by them.\n"
			   "# TYPE boxoffice_holds_seats gauge\n"
			   "boxoffice_holds_seats %s\n",
			   db_val(r, 0, GAUGE_OUTBOX_PENDING),
			   db_val(r, 0, GAUGE_OUTBOX_FAILED),
			   db_val(r, 0, GAUGE_HOLDS),
			   db_val(r, 0, GAUGE_HOLD_SEATS));
		waitlist_metrics(c, req->arena, &res->body);
	}
	buf_printf(&res->body,
		   "# HELP boxoffice_database_up Whether PostgreSQL answered "
		   "this scrape.\n# TYPE boxoffice_database_up gauge\n"
		   "boxoffice_database_up %d\n", c != NULL ? 1 : 0);
	res->content_type = "text/plain; version=0.0.4; charset=utf-8";
	return 200;
}
