/*
 * outbox: the mailer thread (app/outbox.h), which also runs the
 * housekeeping of app/housekeeping.c every BOXOFFICE_SWEEP_SECONDS.
 */
#include "outbox.h"

#include "app.h"
#include "housekeeping.h"
#include "notices.h"
#include "ops.h"
#include "waitlist_notices.h"

#include "../lib/arena.h"
#include "../lib/buf.h"
#include "../lib/db.h"
#include "../lib/log.h"
#include "../lib/mime.h"
#include "../lib/smtp.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POLL_S 2		/* look for due messages at least this often */
#define MAX_ATTEMPTS 15		/* then give up and mark the message failed */
#define MAX_DELAY_S 3600	/* the longest pause between two attempts */
#define SMTP_TIMEOUT_S 60

static pthread_t thread;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static bool kicked, running;	/* under mu */
/* Set under mu (so a waiting thread cannot miss it) but also read without
 * it, between two messages. */
static atomic_bool stopping;

/*
 * One message at a time, claimed inside a transaction and held by its row
 * lock while it is sent: another process skips it (SKIP LOCKED), and if
 * this one dies mid-send, PostgreSQL ends the transaction as the
 * connection drops and the message is at once free for the next worker.
 * A duplicate needs a crash between the relay's "250 OK" and our COMMIT.
 */
enum { CLAIM_ID, CLAIM_KIND, CLAIM_RECIPIENT, CLAIM_BODY, CLAIM_ATTEMPTS };
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

/* Nothing to send any more: done, with no delivery and no body. */
static const char SQL_SKIPPED[] =
	"UPDATE outbox SET sent_at = now(), body = NULL, secret = NULL,"
	" last_error = 'skipped' WHERE id = $1::bigint";

/* A theatre message, rendered at its first claim (app/notices.c): kept
 * in its row so every attempt sends the same bytes. */
static const char SQL_RENDERED[] =
	"UPDATE outbox SET body = $2 WHERE id = $1::bigint";

/* A message no longer due (a reminder of a booking cancelled since it
 * was queued): never sent, kept as a record. */
static const char SQL_OBSOLETE[] =
	"UPDATE outbox SET failed_at = now(),"
	" last_error = 'not sent: no longer due' WHERE id = $1::bigint";

void outbox_kick(void)
{
	pthread_mutex_lock(&mu);
	kicked = true;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
}

static int deliver(const char *id, const char *recipient, const char *body,
		   char *err, size_t errlen)
{
	char from[256];

	if (strcmp(app.cfg.mail_backend, "file") == 0) {
		char path[4096], tag[MAIL_TAG_MAX + 1];

		housekeeping_mail_tag(tag, sizeof(tag), id);
		if (mail_send_file(app.cfg.mail_dir, tag, body, strlen(body),
				   path, sizeof(path), err, errlen) < 0)
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
			.timeout_s = SMTP_TIMEOUT_S,
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
	struct db_params p;

	for (int k = 0; k < attempts && delay < MAX_DELAY_S; k++)
		delay *= 2;
	if (delay > MAX_DELAY_S)
		delay = MAX_DELAY_S;
	db_params_init(&p);
	db_param(&p, id);
	db_param(&p, err);
	db_param_int(&p, delay);
	db_param_int(&p, MAX_ATTEMPTS);
	log_event(LOG_WARN, NULL, "mail_failed",
		  "message %s (%s), attempt %d: %s; retry in %ld s", id, kind,
		  attempts + 1, err, delay);
	if (db_exec(c, a, SQL_FAILED, p.n, p.v, NULL) != DB_OK)
		log_event(LOG_ERROR, NULL, "outbox_mark_failed",
			  "message %s: could not record the failure", id);
}

/* The body of the claimed row r: as stored, or rendered now and stored
 * for a theatre, reminder or waiting-list message queued without one.
 * NULL when there is none; then *skip says whether there is nothing to
 * send any more (a reminder no longer due, a waiting-list offer that ended
 * before its message went out). */
static const char *claimed_body(struct db_conn *c, struct arena *a,
				PGresult *r, const char *id, const char *kind,
				bool *skip)
{
	const char *params[2] = {id, NULL};
	struct buf b;
	int rc;

	*skip = false;
	if (!db_null(r, 0, CLAIM_BODY))
		return db_val(r, 0, CLAIM_BODY);
	buf_init(&b, a, 16384);
	if (notices_kind(kind))
		rc = notices_render(c, a, id, &b);
	else if (waitlist_kind(kind))
		rc = waitlist_render(c, a, id, &b);
	else
		return NULL;
	/* NOTICES_OBSOLETE and the waiting list's 1 alike. */
	if (rc == 1)
		*skip = true;
	if (rc != 0 || b.failed)
		return NULL;
	params[1] = b.data;
	if (db_exec(c, a, SQL_RENDERED, 2, params, NULL) != DB_OK)
		return NULL;
	return b.data;
}

/* Claim and deliver one message; 1 when there was one, else 0. */
static int deliver_one(struct arena *a)
{
	struct db_conn *c = db_acquire_for(app.pool, a, 2000);
	const char *id, *kind, *body;
	char err[256] = "";
	PGresult *r;
	bool skip;
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
	id = db_val(r, 0, CLAIM_ID);
	kind = db_val(r, 0, CLAIM_KIND);
	attempts = (int)strtol(db_val(r, 0, CLAIM_ATTEMPTS), NULL, 10);
	body = claimed_body(c, a, r, id, kind, &skip);
	if (skip) {
		const char *params[1] = {id};
		bool offer = waitlist_kind(kind);

		if (db_exec(c, a, offer ? SQL_SKIPPED : SQL_OBSOLETE, 1, params,
			    NULL) != DB_OK)
			log_event(LOG_ERROR, NULL, "outbox_mark_failed",
				  "message %s: could not mark it skipped", id);
		else
			log_event(LOG_INFO, NULL, "mail_skipped",
				  "message %s (%s): nothing to send any more",
				  id, kind);
	} else if (body == NULL) {
		snprintf(err, sizeof(err), "no body");
		failed(c, a, id, kind, attempts, err);
	} else if (deliver(id, db_val(r, 0, CLAIM_RECIPIENT), body, err,
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
		while (!kicked && !atomic_load(&stopping) &&
		       pthread_cond_timedwait(&cv, &mu, &until) == 0)
			;
		kicked = false;
		if (atomic_load(&stopping)) {
			pthread_mutex_unlock(&mu);
			break;
		}
		pthread_mutex_unlock(&mu);

		ops_publish_pool();
		while (!atomic_load(&stopping) && deliver_one(a) == 1)
			arena_reset(a);
		arena_reset(a);
		if (time(NULL) - last_sweep >= app.cfg.sweep_s) {
			housekeeping_run(a);
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
	atomic_store(&stopping, true);
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(thread, NULL);
	running = false;
}
