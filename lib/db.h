/*
 * db: a bounded PostgreSQL connection pool shared by a worker's threads,
 * a statement runner and a SERIALIZABLE transaction runner.
 *
 * db knows connections, never tables. It connects lazily, checks a
 * connection on checkout, reconnects after a server restart, rolls back
 * anything left open, and turns SQLSTATEs into a small status enum.
 *
 * Statements are prepared once per connection, keyed by the address of
 * the SQL text: pass `static const char SQL_x[]` constants, never strings
 * built at run time (which would also never be parameterized).
 */
#ifndef BOXOFFICE_DB_H
#define BOXOFFICE_DB_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

struct arena;
struct db_pool;
struct db_conn;

enum db_status {
	DB_OK = 0,
	DB_RETRY,	/* 40001/40P01: serialization failure, deadlock */
	DB_CONFLICT,	/* 23505: unique violation */
	DB_CONSTRAINT,	/* other 23xxx: a check or foreign key said no */
	DB_UNAVAILABLE,	/* no connection, or the server went away */
	DB_ERROR	/* anything else: a bug or a broken query */
};

struct db_pool_stats {
	int size;
	int in_use;
	int waiting;
	uint64_t retries;	/* serialization retries, all time */
	uint64_t reconnects;
	uint64_t gave_up;	/* transactions still colliding after every try */
};

/*
 * A pool of at most `size` connections to `conninfo` (a libpq connection
 * string or URI). No connection is opened here. NULL when out of memory.
 */
struct db_pool *db_pool_new(const char *conninfo, int size);
void db_pool_free(struct db_pool *p);
void db_pool_stats(struct db_pool *p, struct db_pool_stats *out);

/*
 * Check a connection out, waiting up to timeout_ms for a free one, with
 * its release registered on the arena: the connection goes back to the
 * pool when the arena is reset. The connection is open and idle (not in
 * a transaction). NULL when none became free in time or the server
 * cannot be reached: answer 503.
 */
struct db_conn *db_acquire_for(struct db_pool *p, struct arena *a,
			       int timeout_ms);

/*
 * Run one statement with text parameters (NULL element = SQL NULL).
 * On DB_OK, *res (if res != NULL) is the result, cleared with the arena.
 */
enum db_status db_exec(struct db_conn *c, struct arena *a, const char *sql,
		       int nparams, const char *const *params,
		       PGresult **res);

/*
 * Like db_exec, for a read-only statement outside a transaction: when the
 * connection turns out dead (a server restart since it was last used), it
 * reconnects and runs the statement once more.
 */
enum db_status db_query(struct db_conn *c, struct arena *a, const char *sql,
			int nparams, const char *const *params,
			PGresult **res);

/*
 * Run fn inside BEGIN ISOLATION LEVEL SERIALIZABLE ... COMMIT.
 * fn returns DB_OK to commit, DB_RETRY to start over (as when a statement
 * failed with 40001), or any other status to roll back and return it.
 * Serialization failures (in fn or at COMMIT) are retried up to 10 times
 * with jittered exponential backoff; fn must therefore be safe to run
 * again (it may only change the database, and state it resets itself).
 * *attempts (may be NULL) receives the number of runs of fn.
 */
typedef enum db_status (*db_tx_fn)(struct db_conn *c, struct arena *a,
				   void *ctx);
enum db_status db_tx(struct db_conn *c, struct arena *a, db_tx_fn fn,
		     void *ctx, int *attempts);

/*
 * Run a parameterless utility statement (BEGIN, COMMIT, ROLLBACK, SET
 * LOCAL ...) given as a constant; such statements cannot be prepared.
 */
enum db_status db_command(struct db_conn *c, const char *sql);

/*
 * Session advisory lock on `key`, taken before db_tx so that the
 * transaction's snapshot is taken after the wait (see docs/ARCHITECTURE.md).
 * Every successful db_lock must be matched by db_unlock on the same
 * connection; db_release drops any lock left behind.
 */
enum db_status db_lock(struct db_conn *c, struct arena *a, int64_t key);
void db_unlock(struct db_conn *c, struct arena *a, int64_t key);

/*
 * One statement as the whole of a SERIALIZABLE transaction, under the
 * session advisory lock `key` when key > 0 (taken before BEGIN, released
 * after COMMIT), retried like db_tx. Lock, BEGIN, statement, COMMIT and
 * unlock go to the server as one pipeline: one round trip. DB_OK with *res
 * (cleared with the arena), or the status of the last attempt.
 */
enum db_status db_call(struct db_conn *c, struct arena *a, int64_t key,
		       const char *sql, int nparams, const char *const *params,
		       PGresult **res);

/*
 * A statement that took n session advisory locks itself (a SQL function
 * that locks, then reads with fresh snapshots): count them like db_lock's,
 * so that db_release drops them if nobody else does.
 */
void db_locks_taken(struct db_conn *c, int n);

/* Release every session advisory lock the connection holds. */
void db_unlock_all(struct db_conn *c, struct arena *a);

/*
 * A statement's text parameters, built in order, for calls too long to
 * read as an array literal:
 *
 *	db_params_init(&p);
 *	db_param(&p, name);		-- $1, text (NULL = SQL NULL)
 *	db_param_int(&p, seats);	-- $2, its decimal text
 *	db_param_bool(&p, set);		-- $3, "true" or "false"
 *	db_exec(c, a, SQL_x, p.n, p.v, &r);
 *
 * Numbers and flags are kept in the struct, so it must not be copied. A
 * parameter beyond DB_MAX_PARAMS sets `failed` and is dropped.
 */
#define DB_MAX_PARAMS 20

struct db_params {
	int n;
	bool failed;
	const char *v[DB_MAX_PARAMS];
	char text[DB_MAX_PARAMS][24];
};

void db_params_init(struct db_params *p);
void db_param(struct db_params *p, const char *value);
void db_param_int(struct db_params *p, int64_t value);
void db_param_bool(struct db_params *p, bool value);

/* Field accessors: text value ("" for NULL) and NULL test. */
const char *db_val(const PGresult *r, int row, int col);
bool db_null(const PGresult *r, int row, int col);

/* Human-readable status name for logs. */
const char *db_status_name(enum db_status st);

#endif
