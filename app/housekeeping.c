/*
 * housekeeping: expired holds, the personal-data purge and idle login
 * throttle rows
 * (app/housekeeping.h).
 */
#include "housekeeping.h"

#include "app.h"

#include "../lib/arena.h"
#include "../lib/db.h"
#include "../lib/log.h"

#include <string.h>

/* Personal data of reservations whose performance is long past: emptied,
 * while the counts (seats, status, times) stay for the statistics. */
enum { PURGE_COUNT };
static const char SQL_PURGE[] =
	"WITH r AS (UPDATE reservations SET name = '', email = '', phone = '',"
	"  client_net = NULL,"
	"  notes = '', purged_at = now(), updated_at = now()"
	"  WHERE purged_at IS NULL AND performance_id IN (SELECT id"
	"   FROM performances WHERE starts_at < now()"
	"   - make_interval(days => $1::integer))"
	"  RETURNING id),"
	" o AS (UPDATE outbox SET recipient = '', body = NULL"
	"  WHERE reservation_id IN (SELECT id FROM r))"
	" SELECT count(*) FROM r";

static const char SQL_EXPIRE_HOLDS[] =
	"UPDATE reservations SET status = 'expired', updated_at = now()"
	" WHERE id IN (SELECT id FROM reservations"
	"  WHERE status = 'pending' AND expires_at <= now()"
	"  LIMIT 500 FOR UPDATE SKIP LOCKED)";

/* The client network of a reservation matters while its hold runs and
 * for the daily cap of its network (sql/008): kept a day, no longer. */
static const char SQL_FORGET_CLIENTS[] =
	"UPDATE reservations SET client_net = NULL"
	" WHERE client_net IS NOT NULL AND created_at < now() - interval '1 day'"
	" AND expires_at < now()";

/* Login throttle rows idle for 30 days (no failure, no sign-in, no lock):
 * client networks are personal data, kept only while they matter. */
static const char SQL_FORGET_NETWORKS[] =
	"DELETE FROM login_throttle"
	" WHERE greatest(last_failed_at, last_ok_at, locked_until)"
	"  < now() - interval '30 days'";

static enum db_status expire_tx(struct db_conn *c, struct arena *a,
				void *ctx)
{
	(void)ctx;
	return db_exec(c, a, SQL_EXPIRE_HOLDS, 0, NULL, NULL);
}

void housekeeping_run(struct arena *a)
{
	struct db_conn *c = db_acquire_for(app.pool, a, 2000);
	struct db_params p;
	PGresult *r;

	if (c == NULL)
		return;
	(void)db_tx(c, a, expire_tx, NULL, NULL);
	(void)db_exec(c, a, SQL_FORGET_NETWORKS, 0, NULL, NULL);
	(void)db_exec(c, a, SQL_FORGET_CLIENTS, 0, NULL, NULL);
	db_params_init(&p);
	db_param_int(&p, app.cfg.purge_days);
	if (db_query(c, a, SQL_PURGE, p.n, p.v, &r) == DB_OK &&
	    strcmp(db_val(r, 0, PURGE_COUNT), "0") != 0)
		log_event(LOG_INFO, NULL, "personal_data_purged",
			  "personal data of %s past reservation(s) removed",
			  db_val(r, 0, PURGE_COUNT));
}

