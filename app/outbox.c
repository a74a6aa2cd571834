/*
 * outbox: the mailer thread.
 */
#include "outbox.h"

#include "app.h"
#include "ops.h"

#include "../lib/arena.h"
#include "../lib/db.h"
#include "../lib/log.h"
#include "../lib/mail.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POLL_S 2		/* look for due messages at least this often */
#define MAX_ATTEMPTS 15		/* then give up and mark the message failed */

static pthread_t thread;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static bool kicked, stopping, running;

/*
 * One message at a time, claimed inside a transaction and held by its row
 * lock while it is sent: another process skips it (SKIP LOCKED), and if
 * this one dies mid-send, PostgreSQL ends the transaction as the
 * connection drops and the message is at once free for the next worker.
 * A duplicate needs a crash between the relay's "250 OK" and our COMMIT.
 */
static const char SQL_CLAIM[] =
	"SELECT id, kind, recipient, body, attempts FROM outbox"
	" WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now()"
	" ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED";

/* Delivered: forget the body, which holds a raw token. */
static const char SQL_SENT[] =
	"UPDATE outbox SET sent_at = now(), body = NULL, last_error = NULL,"
	" attempts = attempts + 1 WHERE id = $1::bigint";

static const char SQL_FAILED[] =
	"UPDATE outbox SET attempts = attempts + 1, last_error = $2,"
	" next_attempt_at = now() + make_interval(secs => $3::integer),"
	" failed_at = CASE WHEN attempts + 1 >= $4::integer THEN now() END"
	" WHERE id = $1::bigint";

/* Personal data of reservations whose performance is long past: emptied,
 * while the counts (seats, status, times) stay for the statistics. */
static const char SQL_PURGE[] =
	"WITH r AS (UPDATE reservations SET name = '', email = '', phone = '',"
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

void outbox_kick(void)
{
	pthread_mutex_lock(&mu);
	kicked = true;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
}

static int deliver(const char *recipient, const char *body, char *err,
		   size_t errlen)
{
	char from[256];

	if (strcmp(app.cfg.mail_backend, "file") == 0) {
		char path[4096];

		if (mail_send_file(app.cfg.mail_dir, body, strlen(body), path,
				   sizeof(path), err, errlen) < 0)
			return -1;
		log_event(LOG_INFO, NULL, "mail_written",
			  "message written to %s", path);
		return 0;
	}
	if (mail_address(app.cfg.mail_from, from, sizeof(from)) < 0) {
		snprintf(err, errlen, "BOXOFFICE_MAIL_FROM has no address");
		return -1;
	}
	{
		struct mail_smtp smtp = {
			.host = app.cfg.smtp_host,
			.port = app.cfg.smtp_port,
			.user = app.cfg.smtp_user,
			.password = app.cfg.smtp_password,
			.starttls = app.cfg.smtp_starttls,
			/* Long enough for a content-scanning relay to say 250:
			 * giving up earlier would mean a duplicate on retry. */
			.timeout_s = 60,
		};

		return mail_send_smtp(&smtp, from, recipient, body,
				      strlen(body), err, errlen);
	}
}

/* Record a failed attempt: back off retry_s, 2x, 4x ... capped at an hour. */
static void failed(struct db_conn *c, struct arena *a, const char *id,
		   const char *kind, int attempts, const char *err)
{
	long delay = app.cfg.mail_retry_s;
	char delay_s[24], max_s[16];
	const char *params[4] = {id, err, delay_s, max_s};

	for (int k = 0; k < attempts && delay < 3600; k++)
		delay *= 2;
	if (delay > 3600)
		delay = 3600;
	snprintf(delay_s, sizeof(delay_s), "%ld", delay);
	snprintf(max_s, sizeof(max_s), "%d", MAX_ATTEMPTS);
	log_event(LOG_WARN, NULL, "mail_failed",
		  "message %s (%s), attempt %d: %s; retry in %ld s", id, kind,
		  attempts + 1, err, delay);
	if (db_exec(c, a, SQL_FAILED, 4, params, NULL) != DB_OK)
		log_event(LOG_ERROR, NULL, "outbox_mark_failed",
			  "message %s: could not record the failure", id);
}

/* Claim and deliver one message; 1 when there was one, else 0. */
static int deliver_one(struct arena *a)
{
	struct db_conn *c = db_acquire_for(app.pool, a, 2000);
	const char *id, *kind;
	char err[256] = "";
	PGresult *r;
	int attempts;

	if (c == NULL || db_command(c, "BEGIN") != DB_OK)
		return 0;
	/* A slow relay may take longer than our usual idle limit. */
	if (db_command(c, "SET LOCAL idle_in_transaction_session_timeout = "
			  "'10min'") != DB_OK ||
	    db_query(c, a, SQL_CLAIM, 0, NULL, &r) != DB_OK ||
	    PQntuples(r) == 0) {
		(void)db_command(c, "ROLLBACK");
		return 0;
	}
	id = db_val(r, 0, 0);
	kind = db_val(r, 0, 1);
	attempts = (int)strtol(db_val(r, 0, 4), NULL, 10);
	if (db_null(r, 0, 3)) {
		snprintf(err, sizeof(err), "no body");
		failed(c, a, id, kind, attempts, err);
	} else if (deliver(db_val(r, 0, 2), db_val(r, 0, 3), err,
			   sizeof(err)) == 0) {
		const char *params[1] = {id};

		if (db_exec(c, a, SQL_SENT, 1, params, NULL) != DB_OK)
			log_event(LOG_ERROR, NULL, "outbox_mark_failed",
				  "message %s sent but not marked", id);
		else
			log_event(LOG_INFO, NULL, "mail_sent",
				  "message %s (%s) delivered", id, kind);
	} else {
		failed(c, a, id, kind, attempts, err);
	}
	if (db_command(c, "COMMIT") != DB_OK)
		log_event(LOG_ERROR, NULL, "outbox_commit_failed",
			  "message %s: outcome not recorded", id);
	return 1;
}

static enum db_status expire_tx(struct db_conn *c, struct arena *a,
				void *ctx)
{
	(void)ctx;
	return db_exec(c, a, SQL_EXPIRE_HOLDS, 0, NULL, NULL);
}

static void sweep(struct arena *a)
{
	struct db_conn *c = db_acquire_for(app.pool, a, 2000);
	char days[16];
	const char *params[1] = {days};
	PGresult *r;

	if (c == NULL)
		return;
	(void)db_tx(c, a, expire_tx, NULL, NULL);
	snprintf(days, sizeof(days), "%d", app.cfg.purge_days);
	if (db_query(c, a, SQL_PURGE, 1, params, &r) == DB_OK &&
	    strcmp(db_val(r, 0, 0), "0") != 0)
		log_event(LOG_INFO, NULL, "personal_data_purged",
			  "personal data of %s past reservation(s) removed",
			  db_val(r, 0, 0));
}

static void *outbox_main(void *arg)
{
	struct arena *a = arena_new((size_t)64 * 1024);
	time_t last_sweep = 0;

	(void)arg;
	if (a == NULL)
		return NULL;
	for (;;) {
		struct timespec until;

		pthread_mutex_lock(&mu);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += POLL_S;
		while (!kicked && !stopping &&
		       pthread_cond_timedwait(&cv, &mu, &until) == 0)
			;
		kicked = false;
		if (stopping) {
			pthread_mutex_unlock(&mu);
			break;
		}
		pthread_mutex_unlock(&mu);

		ops_publish_pool();
		while (!stopping && deliver_one(a) == 1)
			arena_reset(a);
		arena_reset(a);
		if (time(NULL) - last_sweep >= app.cfg.sweep_s) {
			sweep(a);
			arena_reset(a);
			last_sweep = time(NULL);
		}
	}
	arena_free(a);
	return NULL;
}

int outbox_start(void)
{
	if (pthread_create(&thread, NULL, outbox_main, NULL) != 0)
		return -1;
	running = true;
	return 0;
}

void outbox_stop(void)
{
	if (!running)
		return;
	pthread_mutex_lock(&mu);
	stopping = true;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(thread, NULL);
	running = false;
}
