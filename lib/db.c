/*
 * db: connection pool, statements, transactions.
 *
 * Locking: the pool mutex guards only the free list and counters. A
 * checked-out connection belongs to one thread, so all libpq calls happen
 * outside the mutex.
 */
#include "db.h"

#include "arena.h"
#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STMT_CACHE 128	/* more than the application's SQL constants */
#define TX_MAX_ATTEMPTS 10

struct stmt {
	const char *sql;	/* identity: the address of a constant */
	char name[12];
};

struct db_conn {
	PGconn *pg;
	struct db_pool *pool;
	struct db_conn *next;	/* free list */
	int nlocks;		/* session advisory locks held */
	int nstmts;
	struct stmt stmts[STMT_CACHE];
};

struct db_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *conninfo;
	int size;
	int in_use;
	int waiting;
	struct db_conn *free;
	struct db_conn *conns;
	atomic_uint_fast64_t retries;
	atomic_uint_fast64_t gave_up;
	atomic_uint_fast64_t reconnects;
};

struct db_pool *db_pool_new(const char *conninfo, int size)
{
	struct db_pool *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->conninfo = strdup(conninfo);
	p->conns = calloc((size_t)size, sizeof(*p->conns));
	if (p->conninfo == NULL || p->conns == NULL ||
	    pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p->conninfo);
		free(p->conns);
		free(p);
		return NULL;
	}
	if (pthread_cond_init(&p->cv, NULL) != 0) {
		pthread_mutex_destroy(&p->mu);
		free(p->conninfo);
		free(p->conns);
		free(p);
		return NULL;
	}
	p->size = size;
	for (int i = size - 1; i >= 0; i--) {
		p->conns[i].pool = p;
		p->conns[i].next = p->free;
		p->free = &p->conns[i];
	}
	atomic_init(&p->retries, 0);
	atomic_init(&p->gave_up, 0);
	atomic_init(&p->reconnects, 0);
	return p;
}

void db_pool_free(struct db_pool *p)
{
	if (p == NULL)
		return;
	for (int i = 0; i < p->size; i++)
		if (p->conns[i].pg != NULL)
			PQfinish(p->conns[i].pg);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p->conninfo);
	free(p->conns);
	free(p);
}

void db_pool_stats(struct db_pool *p, struct db_pool_stats *out)
{
	pthread_mutex_lock(&p->mu);
	out->size = p->size;
	out->in_use = p->in_use;
	out->waiting = p->waiting;
	pthread_mutex_unlock(&p->mu);
	out->retries = atomic_load(&p->retries);
	out->reconnects = atomic_load(&p->reconnects);
	out->gave_up = atomic_load(&p->gave_up);
}

static void drop(struct db_conn *c)
{
	if (c->pg != NULL)
		PQfinish(c->pg);
	c->pg = NULL;
	c->nstmts = 0;
	c->nlocks = 0;
}

static const char PG_OPTIONS[] =
	"-c TimeZone=UTC -c statement_timeout=10000 "
	"-c idle_in_transaction_session_timeout=30000";

/*
 * Open the connection. Our options are appended after the caller's
 * conninfo (expand_dbname), so the session always speaks UTC and no
 * statement can hang a worker thread forever.
 */
static int connect_conn(struct db_pool *p, struct db_conn *c)
{
	static const char *const keys[] = {
		"dbname", "connect_timeout", "application_name", "options",
		NULL
	};
	const char *vals[] = {p->conninfo, "2", "boxoffice", PG_OPTIONS, NULL};

	drop(c);
	c->pg = PQconnectdbParams(keys, vals, 1);
	if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK) {
		log_event(LOG_WARN, NULL, "db_connect_failed", "%s",
			  c->pg != NULL ? PQerrorMessage(c->pg) : "out of memory");
		drop(c);
		return -1;
	}
	atomic_fetch_add(&p->reconnects, 1);
	return 0;
}

static void put_back(struct db_pool *p, struct db_conn *c)
{
	pthread_mutex_lock(&p->mu);
	c->next = p->free;
	p->free = c;
	p->in_use--;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* Check a connection out (db_acquire_for); paired with one db_release. */
static struct db_conn *db_acquire(struct db_pool *p, int timeout_ms)
{
	struct timespec deadline;
	struct db_conn *c;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}

	pthread_mutex_lock(&p->mu);
	while (p->free == NULL) {
		int rc;

		p->waiting++;
		rc = pthread_cond_timedwait(&p->cv, &p->mu, &deadline);
		p->waiting--;
		if (rc == ETIMEDOUT && p->free == NULL) {
			pthread_mutex_unlock(&p->mu);
			log_event(LOG_WARN, NULL, "db_pool_timeout",
				  "no free connection in %d ms", timeout_ms);
			return NULL;
		}
	}
	c = p->free;
	p->free = c->next;
	p->in_use++;
	pthread_mutex_unlock(&p->mu);

	if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK) {
		if (connect_conn(p, c) < 0) {
			put_back(p, c);
			return NULL;
		}
	}
	if (PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
		/* Someone released it mid-transaction; never hand that on. */
		drop(c);
		if (connect_conn(p, c) < 0) {
			put_back(p, c);
			return NULL;
		}
	}
	return c;
}

static void db_release(struct db_pool *p, struct db_conn *c)
{
	if (c == NULL)
		return;
	if (c->pg != NULL) {
		if (PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
			PGresult *r = PQexec(c->pg, "ROLLBACK");

			if (PQresultStatus(r) != PGRES_COMMAND_OK)
				drop(c);
			PQclear(r);
		}
	}
	if (c->pg != NULL && c->nlocks != 0) {
		/* A lock must never outlive its request: drop them all, or
		 * the connection if even that fails. */
		PGresult *r = PQexec(c->pg, "SELECT pg_advisory_unlock_all()");

		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			drop(c);
		PQclear(r);
		c->nlocks = 0;
	}
	put_back(p, c);
}

static void release_deferred(void *c)
{
	struct db_conn *conn = c;

	db_release(conn->pool, conn);
}

struct db_conn *db_acquire_for(struct db_pool *p, struct arena *a,
			       int timeout_ms)
{
	struct db_conn *c = db_acquire(p, timeout_ms);

	if (c != NULL && arena_defer(a, release_deferred, c) < 0)
		return NULL;	/* arena_defer already released it */
	return c;
}

static void clear_result(void *r)
{
	PQclear(r);
}

static enum db_status classify(struct db_conn *c, const PGresult *r)
{
	const char *state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE)
				      : NULL;

	if (PQstatus(c->pg) == CONNECTION_BAD)
		return DB_UNAVAILABLE;
	if (state == NULL)
		return DB_ERROR;
	if (!strcmp(state, "40001") || !strcmp(state, "40P01"))
		return DB_RETRY;
	if (!strcmp(state, "23505"))
		return DB_CONFLICT;
	if (!strncmp(state, "23", 2))
		return DB_CONSTRAINT;
	/* 08: connection exceptions; 57P0x: the server is shutting down. */
	if (!strncmp(state, "08", 2) || !strncmp(state, "57P", 3))
		return DB_UNAVAILABLE;
	return DB_ERROR;
}

/* The prepared statement for sql on c, preparing it on first use.
 * NULL when the cache is full (run unprepared) or on failure (*st set). */
static const char *prepared(struct db_conn *c, const char *sql, int nparams,
			    enum db_status *st)
{
	PGresult *r;
	struct stmt *s;

	for (int i = 0; i < c->nstmts; i++)
		if (c->stmts[i].sql == sql)
			return c->stmts[i].name;
	if (c->nstmts == STMT_CACHE)
		return NULL;
	s = &c->stmts[c->nstmts];
	snprintf(s->name, sizeof(s->name), "s%d", c->nstmts);
	r = PQprepare(c->pg, s->name, sql, nparams, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		*st = classify(c, r);
		log_event(LOG_ERROR, NULL, "db_prepare_failed", "sqlstate %s",
			  r != NULL && PQresultErrorField(r, PG_DIAG_SQLSTATE)
				  ? PQresultErrorField(r, PG_DIAG_SQLSTATE)
				  : "none");
		PQclear(r);
		return NULL;
	}
	PQclear(r);
	s->sql = sql;
	c->nstmts++;
	return s->name;
}

enum db_status db_exec(struct db_conn *c, struct arena *a, const char *sql,
		       int nparams, const char *const *params,
		       PGresult **res)
{
	enum db_status st = DB_OK;
	const char *name;
	PGresult *r;
	ExecStatusType es;

	if (res != NULL)
		*res = NULL;
	if (c->pg == NULL)
		return DB_UNAVAILABLE;
	name = prepared(c, sql, nparams, &st);
	if (st != DB_OK)
		return st;
	if (name != NULL)
		r = PQexecPrepared(c->pg, name, nparams, params, NULL, NULL, 0);
	else
		r = PQexecParams(c->pg, sql, nparams, NULL, params, NULL, NULL,
				 0);
	es = PQresultStatus(r);
	if (es == PGRES_COMMAND_OK || es == PGRES_TUPLES_OK) {
		if (arena_defer(a, clear_result, r) < 0)
			return DB_ERROR;
		if (res != NULL)
			*res = r;
		return DB_OK;
	}
	st = classify(c, r);
	if (st == DB_ERROR || st == DB_UNAVAILABLE) {
		/* SQLSTATE and constraint only: messages can quote values,
		 * and values can be personal data. */
		const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE)
				      : NULL;
		log_event(st == DB_ERROR ? LOG_ERROR : LOG_WARN, NULL,
			  "db_statement_failed", "sqlstate %s (%s)",
			  state ? state : "none", db_status_name(st));
	}
	PQclear(r);
	return st;
}

/* Reopen a connection found dead; 0 when it is usable again. */
static int reconnect(struct db_conn *c)
{
	log_event(LOG_WARN, NULL, "db_reconnect",
		  "connection lost, reconnecting");
	return connect_conn(c->pool, c);
}

enum db_status db_query(struct db_conn *c, struct arena *a, const char *sql,
			int nparams, const char *const *params,
			PGresult **res)
{
	enum db_status st = db_exec(c, a, sql, nparams, params, res);

	/* Safe to repeat: the statement reads, and outside a transaction a
	 * dead connection cannot have left anything half done. */
	if (st == DB_UNAVAILABLE && reconnect(c) == 0)
		st = db_exec(c, a, sql, nparams, params, res);
	return st;
}

static enum db_status simple(struct db_conn *c, const char *sql)
{
	PGresult *r = PQexec(c->pg, sql);
	enum db_status st = PQresultStatus(r) == PGRES_COMMAND_OK
				    ? DB_OK
				    : classify(c, r);

	PQclear(r);
	return st;
}

enum db_status db_command(struct db_conn *c, const char *sql)
{
	return c->pg != NULL ? simple(c, sql) : DB_UNAVAILABLE;
}

/* Sleep a random time in [0, min(100, 2 << attempt)) ms: spread the
 * retries of transactions that collided, so they do not collide again. */
static void backoff(int attempt)
{
	static _Thread_local unsigned seed;
	long cap_ms = attempt >= 6 ? 100 : 2L << attempt;
	struct timespec ts;

	if (seed == 0)
		seed = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)&seed;
	seed = seed * 1103515245U + 12345U;
	ts.tv_sec = 0;
	ts.tv_nsec = (long)((seed >> 8) % (unsigned long)(cap_ms * 1000)) *
		     1000L;
	nanosleep(&ts, NULL);
}

enum db_status db_tx(struct db_conn *c, struct arena *a, db_tx_fn fn,
		     void *ctx, int *attempts)
{
	enum db_status st = DB_RETRY;
	int n;

	for (n = 0; n < TX_MAX_ATTEMPTS; n++) {
		if (c->pg == NULL && reconnect(c) < 0) {
			st = DB_UNAVAILABLE;
			break;
		}
		st = simple(c, "BEGIN ISOLATION LEVEL SERIALIZABLE");
		if (st == DB_UNAVAILABLE && n == 0 && reconnect(c) == 0)
			st = simple(c, "BEGIN ISOLATION LEVEL SERIALIZABLE");
		if (st != DB_OK)
			break;
		st = fn(c, a, ctx);
		if (st == DB_OK) {
			/* COMMIT of a failed transaction "succeeds" as a
			 * rollback: refuse to call that a commit. */
			if (PQtransactionStatus(c->pg) != PQTRANS_INTRANS)
				st = DB_ERROR;
			else
				st = simple(c, "COMMIT");
		}
		if (c->pg != NULL &&
		    PQtransactionStatus(c->pg) != PQTRANS_IDLE &&
		    simple(c, "ROLLBACK") != DB_OK)
			drop(c);
		if (st != DB_RETRY)
			break;
		atomic_fetch_add(&c->pool->retries, 1);
		backoff(n);
	}
	if (attempts != NULL)
		*attempts = n < TX_MAX_ATTEMPTS ? n + 1 : n;
	if (st == DB_RETRY) {
		atomic_fetch_add(&c->pool->gave_up, 1);
		log_event(LOG_WARN, NULL, "db_tx_gave_up",
			  "serialization failures on %d attempts", n);
	}
	return st;
}

static const char SQL_LOCK[] = "SELECT pg_advisory_lock($1::bigint)";
static const char SQL_UNLOCK[] = "SELECT pg_advisory_unlock($1::bigint)";
static const char SQL_UNLOCK_ALL[] = "SELECT pg_advisory_unlock_all()";

enum db_status db_lock(struct db_conn *c, struct arena *a, int64_t key)
{
	char buf[24];
	const char *params[1] = {buf};
	enum db_status st;

	snprintf(buf, sizeof(buf), "%" PRId64, key);
	st = db_exec(c, a, SQL_LOCK, 1, params, NULL);
	if (st == DB_OK)
		c->nlocks++;
	return st;
}

void db_unlock(struct db_conn *c, struct arena *a, int64_t key)
{
	char buf[24];
	const char *params[1] = {buf};

	snprintf(buf, sizeof(buf), "%" PRId64, key);
	if (c->nlocks > 0 &&
	    db_exec(c, a, SQL_UNLOCK, 1, params, NULL) == DB_OK)
		c->nlocks--;
	/* On failure nlocks stays > 0 and db_release unlocks all. */
}

/*
 * db_call: lock, BEGIN, the statement, COMMIT and unlock sent as one
 * pipeline, so the whole transaction costs one round trip, and the lock is
 * released by the server right after the commit instead of a round trip
 * later. The server runs them in order, so the transaction's snapshot is
 * still taken after the lock was granted.
 *
 * Statements between two sync points form one implicit transaction, so
 * the lock has a sync point of its own: BEGIN must open the next
 * transaction, not join the lock's. When a step fails, PostgreSQL skips
 * the rest up to the next sync point (PGRES_PIPELINE_ABORTED): the caller
 * then rolls back and, if the lock was taken but not released, releases
 * it. A failed lock (only a statement timeout or a lost connection can
 * fail it) does not stop the transaction after its sync point, which is
 * then merely unqueued, and correct under SERIALIZABLE all the same: its
 * own outcome is the answer.
 */
enum step { STEP_LOCK, STEP_SYNC_LOCK, STEP_BEGIN, STEP_STMT, STEP_COMMIT,
	    STEP_UNLOCK, STEP_SYNC, STEPS };

struct pipeline {
	enum db_status st;	/* of the first transaction step that failed */
	bool sent_nothing;	/* the connection failed before any step ran */
	bool locked;		/* the lock step succeeded ... */
	bool unlocked;		/* ... and so did the unlock step */
	PGresult *stmt;		/* the statement's result when it succeeded */
};

static int send_step(PGconn *pg, enum step s, const char *name,
		     const char *sql, int nparams, const char *const *params,
		     const char *const *key)
{
	switch (s) {
	case STEP_LOCK:
		return PQsendQueryParams(pg, SQL_LOCK, 1, NULL, key, NULL, NULL,
					 0);
	case STEP_BEGIN:
		return PQsendQueryParams(pg, "BEGIN ISOLATION LEVEL SERIALIZABLE",
					 0, NULL, NULL, NULL, NULL, 0);
	case STEP_STMT:
		return name != NULL
			       ? PQsendQueryPrepared(pg, name, nparams, params,
						     NULL, NULL, 0)
			       : PQsendQueryParams(pg, sql, nparams, NULL,
						   params, NULL, NULL, 0);
	case STEP_COMMIT:
		return PQsendQueryParams(pg, "COMMIT", 0, NULL, NULL, NULL, NULL,
					 0);
	case STEP_UNLOCK:
		return PQsendQueryParams(pg, SQL_UNLOCK, 1, NULL, key, NULL,
					 NULL, 0);
	case STEP_SYNC_LOCK:
	case STEP_SYNC:
		return PQpipelineSync(pg);
	case STEPS:
		break;
	}
	return 0;
}

/* Read the result of step s into out. */
static void read_step(struct db_conn *c, enum step s, struct pipeline *out)
{
	PGresult *r = PQgetResult(c->pg);
	ExecStatusType es = PQresultStatus(r);
	bool ok = es == PGRES_COMMAND_OK || es == PGRES_TUPLES_OK;

	if (s == STEP_SYNC_LOCK || s == STEP_SYNC) {
		/* A sync point's result has no NULL after it. */
		if (es != PGRES_PIPELINE_SYNC && out->st == DB_OK)
			out->st = classify(c, r);
		PQclear(r);
		return;
	}
	if (ok || classify(c, r) != DB_UNAVAILABLE)
		out->sent_nothing = false;
	if (s == STEP_LOCK)
		out->locked = ok;
	else if (s == STEP_UNLOCK)
		out->unlocked = ok;
	else if (!ok && out->st == DB_OK)
		out->st = es == PGRES_PIPELINE_ABORTED ? DB_ERROR
						       : classify(c, r);
	if (s == STEP_STMT && ok)
		out->stmt = r;
	else
		PQclear(r);
	/* Each query's results end with NULL. */
	while ((r = PQgetResult(c->pg)) != NULL)
		PQclear(r);
}

static void pipeline_once(struct db_conn *c, int64_t key, const char *name,
			  const char *sql, int nparams,
			  const char *const *params, struct pipeline *out)
{
	bool sent[STEPS] = {false};
	char keytext[24];
	const char *key_param[1] = {keytext};
	bool ok = true;

	*out = (struct pipeline){DB_OK, true, false, false, NULL};
	snprintf(keytext, sizeof(keytext), "%" PRId64, key);
	if (!PQenterPipelineMode(c->pg)) {
		out->st = DB_UNAVAILABLE;
		return;
	}
	for (int s = 0; s < STEPS && ok; s++) {
		if (key <= 0 && (s == STEP_LOCK || s == STEP_SYNC_LOCK ||
				 s == STEP_UNLOCK))
			continue;
		ok = send_step(c->pg, (enum step)s, name, sql, nparams, params,
			       key_param) == 1;
		sent[s] = ok;
	}
	if (!ok) {
		out->st = classify(c, NULL);
		/* Nothing can be read back reliably: the connection goes. */
		drop(c);
		return;
	}
	for (int s = 0; s < STEPS; s++)
		if (sent[s])
			read_step(c, (enum step)s, out);
	if (PQstatus(c->pg) == CONNECTION_BAD || !PQexitPipelineMode(c->pg)) {
		if (out->st == DB_OK)
			out->st = DB_UNAVAILABLE;
		PQclear(out->stmt);
		out->stmt = NULL;
		drop(c);
	}
}

enum db_status db_call(struct db_conn *c, struct arena *a, int64_t key,
		       const char *sql, int nparams, const char *const *params,
		       PGresult **res)
{
	enum db_status st = DB_RETRY;
	bool stale_retry = true;
	struct pipeline pl;
	int n;

	*res = NULL;
	for (n = 0; n < TX_MAX_ATTEMPTS; n++) {
		const char *name;

		if (c->pg == NULL && reconnect(c) < 0) {
			st = DB_UNAVAILABLE;
			break;
		}
		st = DB_OK;
		name = prepared(c, sql, nparams, &st);
		if (st == DB_OK)
			pipeline_once(c, key, name, sql, nparams, params, &pl);
		else
			pl = (struct pipeline){st, true, false, false, NULL};
		st = pl.st;
		if (c->pg != NULL &&
		    PQtransactionStatus(c->pg) != PQTRANS_IDLE &&
		    simple(c, "ROLLBACK") != DB_OK)
			drop(c);
		if (c->pg != NULL && pl.locked && !pl.unlocked) {
			c->nlocks++;	/* held: released here or by db_release */
			db_unlock(c, a, key);
		}
		if (st == DB_OK) {
			if (arena_defer(a, clear_result, pl.stmt) < 0)
				return DB_ERROR;
			*res = pl.stmt;
			return DB_OK;
		}
		PQclear(pl.stmt);
		/* A stale pooled connection (a server restart since its last
		 * use) failed before anything ran: once more on a new one. */
		if (st == DB_UNAVAILABLE && pl.sent_nothing && stale_retry) {
			stale_retry = false;
			drop(c);
			n--;
			continue;
		}
		if (st != DB_RETRY)
			break;
		atomic_fetch_add(&c->pool->retries, 1);
		backoff(n);
	}
	if (st == DB_RETRY) {
		atomic_fetch_add(&c->pool->gave_up, 1);
		log_event(LOG_WARN, NULL, "db_tx_gave_up",
			  "serialization failures on %d attempts", n);
	}
	return st;
}

void db_locks_taken(struct db_conn *c, int n)
{
	c->nlocks += n;
}

void db_unlock_all(struct db_conn *c, struct arena *a)
{
	if (c->nlocks > 0 &&
	    db_exec(c, a, SQL_UNLOCK_ALL, 0, NULL, NULL) == DB_OK)
		c->nlocks = 0;
	/* On failure nlocks stays > 0 and db_release tries again. */
}

void db_params_init(struct db_params *p)
{
	p->n = 0;
	p->failed = false;
}

void db_param(struct db_params *p, const char *value)
{
	if (p->n >= DB_MAX_PARAMS) {
		p->failed = true;
		return;
	}
	p->v[p->n++] = value;
}

void db_param_int(struct db_params *p, int64_t value)
{
	if (p->n >= DB_MAX_PARAMS) {
		p->failed = true;
		return;
	}
	snprintf(p->text[p->n], sizeof(p->text[p->n]), "%lld",
		 (long long)value);
	p->v[p->n] = p->text[p->n];
	p->n++;
}

void db_param_bool(struct db_params *p, bool value)
{
	db_param(p, value ? "true" : "false");
}

const char *db_val(const PGresult *r, int row, int col)
{
	return PQgetvalue(r, row, col);
}

bool db_null(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) != 0;
}

const char *db_status_name(enum db_status st)
{
	switch (st) {
	case DB_OK: return "ok";
	case DB_RETRY: return "retry";
	case DB_CONFLICT: return "conflict";
	case DB_CONSTRAINT: return "constraint";
	case DB_UNAVAILABLE: return "unavailable";
	case DB_ERROR: return "error";
	}
	return "unknown";
}
