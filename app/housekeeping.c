/*
 * housekeeping: expired holds, reminders, the personal-data purge and
 * idle login throttle rows
 * (app/housekeeping.h).
 */
#include "housekeeping.h"

#include "app.h"
#include "waitlist_notices.h"
#include "site.h"

#include "../lib/arena.h"
#include "../lib/db.h"
#include "../lib/log.h"
#include "../lib/smtp.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Personal data of reservations whose performance is long past: emptied,
 * while the counts (seats, status, times) stay for the statistics. The
 * ids of their messages (ascending, comma separated) name the copies the
 * file mail backend kept. */
enum { PURGE_COUNT, PURGE_MESSAGES };
static const char SQL_PURGE[] =
	"WITH r AS (UPDATE reservations SET name = '', email = '', phone = '',"
	"  client_net = NULL, confirm_token_box = NULL,"
	"  notes = '', purged_at = now(), updated_at = now()"
	"  WHERE purged_at IS NULL AND performance_id IN (SELECT id"
	"   FROM performances WHERE starts_at < now()"
	"   - make_interval(days => $1::integer))"
	"  RETURNING id),"
	" o AS (UPDATE outbox SET recipient = '', body = NULL"
	"  WHERE reservation_id IN (SELECT id FROM r) RETURNING id)"
	" SELECT (SELECT count(*) FROM r),"
	"  (SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '') FROM o)";

/* Expired holds are marked one performance at a time, under its lock
 * like every seat change: marking a hold expired frees its seats, and
 * the same transaction offers them to the waiting list
 * (sql/012_waitlist.sql). */
enum { DUE_PERF };
static const char SQL_DUE_PERFS[] =
	"SELECT DISTINCT performance_id FROM reservations"
	" WHERE status = 'pending' AND expires_at <= now() LIMIT 100";

static const char SQL_EXPIRE_HOLDS[] =
	"SELECT perf_expire_holds($1::bigint)";

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

/* The reminders now due (sql/010_reminders.sql): marked and queued in
 * one statement, so exactly once whatever runs beside it. A batch at a
 * time; the next sweep takes the rest. */
enum { REMIND_COUNT };
static const char SQL_REMIND[] =
	"SELECT queue_reminders($1::integer, 500)";

/* "Send me my bookings": the address and the asking network matter for
 * the caps (a day, an hour); then they go, like the other personal data
 * the outbox holds once a message is out. */
static const char SQL_FORGET_LISTS[] =
	"UPDATE outbox SET recipient = '', client_net = NULL, body = NULL"
	" WHERE kind = 'bookings' AND recipient <> ''"
	" AND created_at < now() - interval '2 days'"
	" AND (sent_at IS NOT NULL OR failed_at IS NOT NULL)";

static void remind(struct db_conn *c, struct arena *a)
{
	struct db_params p;
	PGresult *r;

	if (app.cfg.reminder_hours == 0)
		return;
	db_params_init(&p);
	db_param_int(&p, app.cfg.reminder_hours);
	if (db_query(c, a, SQL_REMIND, p.n, p.v, &r) != DB_OK)
		return;
	/* The outbox thread that runs this sweep sends them next. */
	if (strcmp(db_val(r, 0, REMIND_COUNT), "0") != 0)
		log_event(LOG_INFO, NULL, "reminders_queued",
			  "%s reminder(s) queued", db_val(r, 0, REMIND_COUNT));
}

static enum db_status expire_tx(struct db_conn *c, struct arena *a,
				void *ctx)
{
	const char *const *perf = ctx;

	return db_exec(c, a, SQL_EXPIRE_HOLDS, 1, perf, NULL);
}

static void expire_holds(struct db_conn *c, struct arena *a)
{
	PGresult *r;

	if (db_query(c, a, SQL_DUE_PERFS, 0, NULL, &r) != DB_OK)
		return;
	for (int i = 0; i < PQntuples(r); i++) {
		const char *perf = db_val(r, i, DUE_PERF);
		int64_t key = strtoll(perf, NULL, 10);

		if (db_lock(c, a, key) != DB_OK)
			return;
		(void)db_tx(c, a, expire_tx, &perf, NULL);
		db_unlock(c, a, key);
	}
}

void housekeeping_mail_tag(char *tag, size_t n, const char *outbox_id)
{
	snprintf(tag, n, "o%s", outbox_id);
}

struct doomed_ids {
	const long long *ids;
	size_t n;
};

static int cmp_ll(const void *x, const void *y)
{
	long long a = *(const long long *)x, b = *(const long long *)y;

	return (a > b) - (a < b);
}

/* Is tag that of one of the purged messages? */
static bool doomed(const char *tag, void *ctx)
{
	const struct doomed_ids *d = ctx;
	char *end;
	long long id;

	if (tag[0] != 'o' || tag[1] < '0' || tag[1] > '9')
		return false;
	id = strtoll(tag + 1, &end, 10);
	return *end == '\0' &&
	       bsearch(&id, d->ids, d->n, sizeof(*d->ids), cmp_ll) != NULL;
}

/* Remove the file backend's copies of the messages in list ("1,5,9",
 * ascending). 0, or -1 (logged). */
static int remove_mail_files(struct arena *a, const char *list)
{
	struct doomed_ids d = {NULL, 0};
	long long *ids;
	size_t cap = 1;
	char err[256];
	int removed;

	if (list[0] == '\0' || strcmp(app.cfg.mail_backend, "file") != 0)
		return 0;
	for (const char *p = list; *p != '\0'; p++)
		cap += *p == ',';
	ids = arena_alloc(a, cap * sizeof(*ids));
	if (ids == NULL)
		return -1;
	for (const char *p = list; *p != '\0' && d.n < cap;) {
		char *end;

		ids[d.n++] = strtoll(p, &end, 10);
		p = *end == ',' ? end + 1 : end;
	}
	d.ids = ids;
	if (mail_remove_tagged(app.cfg.mail_dir, doomed, &d, &removed, err,
			       sizeof(err)) < 0) {
		log_event(LOG_ERROR, NULL, "mail_files_not_removed",
			  "removing purged messages' files: %s", err);
		return -1;
	}
	if (removed > 0)
		log_event(LOG_INFO, NULL, "mail_files_removed",
			  "%d file(s) of purged messages removed", removed);
	return 0;
}

/* The purge, in one transaction: the files go before the COMMIT, so a
 * crash in between leaves data to purge again, never an orphaned copy. A
 * file that cannot be removed (logged) does not hold the purge back. */
static void purge(struct db_conn *c, struct arena *a)
{
	struct db_params p;
	PGresult *r;

	db_params_init(&p);
	db_param_int(&p, app.cfg.purge_days);
	if (db_command(c, "BEGIN") != DB_OK)
		return;
	if (db_query(c, a, SQL_PURGE, p.n, p.v, &r) != DB_OK) {
		(void)db_command(c, "ROLLBACK");
		return;
	}
	(void)remove_mail_files(a, db_val(r, 0, PURGE_MESSAGES));
	if (db_command(c, "COMMIT") != DB_OK)
		return;
	if (strcmp(db_val(r, 0, PURGE_COUNT), "0") != 0)
		log_event(LOG_INFO, NULL, "personal_data_purged",
			  "personal data of %s past reservation(s) removed",
			  db_val(r, 0, PURGE_COUNT));
}

void housekeeping_run(struct arena *a)
{
	struct db_conn *c = db_acquire_for(app.pool, a, 2000);

	if (c == NULL)
		return;
	expire_holds(c, a);
	waitlist_sweep(c, a);
	(void)db_exec(c, a, SQL_FORGET_NETWORKS, 0, NULL, NULL);
	(void)db_exec(c, a, SQL_FORGET_CLIENTS, 0, NULL, NULL);
	(void)db_exec(c, a, SQL_FORGET_LISTS, 0, NULL, NULL);
	remind(c, a);
	purge(c, a);
	site_render_missing(c, a);
}
