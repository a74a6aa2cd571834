/*
 * batch: bookings of one performance combined into one transaction.
 *
 * A hot performance is serialized by its advisory lock: one lock, BEGIN,
 * statement and COMMIT per booking. Within a worker process, the bookings
 * of a performance that arrive while another of its bookings is running
 * queue up; the next one to run takes them all (up to
 * BOXOFFICE_BOOKING_BATCH) and runs them as one book_batch() call under
 * one lock, in arrival order (sql/015_book_batch.sql). Each request still
 * gets its own reservation and its own answer; a serialization failure
 * retries the whole batch.
 */
#ifndef BOXOFFICE_BATCH_H
#define BOXOFFICE_BATCH_H

#include "../lib/db.h"

#include <stdint.h>

struct arena;

/* One booking's arguments and, once batch_book returns DB_OK, its answer:
 * the columns of book() as text, allocated in the caller's arena. */
struct batch_booking {
	const char *json;	/* {"seats", "name", ...}: see book_batch() */
	const char *result;
	const char *reservation_id;
	const char *seats_available;	/* "" when NULL */
	const char *expires_at;		/* "" when NULL */
};

/*
 * Book b on performance perf, alone or in a batch with the concurrent
 * bookings of perf in this process, using connection c (the caller's,
 * which may run the batch for the others). Returns DB_OK with b's answer
 * filled, or the status of the transaction that carried it.
 */
enum db_status batch_book(struct db_conn *c, struct arena *a, int64_t perf,
			  struct batch_booking *b);

#endif
