/*
 * batch: concurrent requests of one kind combined into one transaction.
 *
 * Bookings: a hot performance is serialized by its advisory lock, one
 * lock, BEGIN, statement and COMMIT per booking. Door scans: one BEGIN,
 * statement, COMMIT and WAL flush per scan. Within a worker process, the
 * requests of a kind (and key: the performance of a booking) that arrive
 * while another of them is running queue up; the next one to run takes
 * them all (up to the kind's limit) and runs them as one call of the
 * kind's statement, in arrival order (sql/015_book_batch.sql,
 * sql/019_door_scan_session.sql). Each request still gets its own row and
 * its own answer; a serialization failure retries the whole batch.
 */
#ifndef BOXOFFICE_BATCH_H
#define BOXOFFICE_BATCH_H

#include "../lib/db.h"

#include <stdbool.h>
#include <stdint.h>

struct arena;

/* What is batched, and how. */
struct batch_kind {
	/* $1 the key, $2 the caller's argument, $3 a JSON array of the jobs'
	 * arguments; one row of ncols columns per job, in order. */
	const char *sql;
	int ncols;
	bool lock;		/* under the key's performance lock (db_call) */
	const int *max;		/* jobs per transaction; 1 = one each */
};

/* One request's part. cols, once batch_run returns DB_OK: the texts of
 * its row ("" for NULL), allocated in the caller's arena. */
struct batch_job {
	const char *json;	/* one element of $3 */
	const char **cols;
};

/*
 * Run job j of kind k with key and arg, alone or in a batch with the
 * concurrent jobs of the same kind, key and arg in this process, using
 * connection c (the caller's, which may run the batch for the others).
 * Returns DB_OK with j's columns, or the status of the transaction that
 * carried it.
 */
enum db_status batch_run(const struct batch_kind *k, struct db_conn *c,
			 struct arena *a, int64_t key, const char *arg,
			 struct batch_job *j);

#endif
