/*
 * batch: bookings of one performance combined into one transaction
 * (batch.h; docs/ARCHITECTURE.md, "Past one booking per transaction").
 *
 * Per performance being booked in this process there is a queue. A
 * request appends itself; whoever finds the queue idle runs it: takes up
 * to BOXOFFICE_BOOKING_BATCH queued bookings, its own among them, runs
 * them as one transaction, hands each its answer and wakes the others.
 * Bookings that arrived meanwhile are run by the next of them to wake.
 * Nobody waits for anything but a running batch, and a batch waits only
 * for its performance's lock, whose holder waits for nothing: no cycle.
 *
 * A waiting request's slot lives on its own stack and its answer in its
 * own arena; the runner writes them while the owner sleeps, and both sides
 * touch them only under `mu` (or, for the runner, between taking the slot
 * out of the queue and marking it done), so the owner never sees half an
 * answer and the runner never touches a slot after its owner may return.
 */
#include "batch.h"

#include "app.h"

#include "../lib/arena.h"
#include "../lib/buf.h"
#include "../lib/db.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

/* Performances being booked at once in one process; beyond that a booking
 * runs alone, as it would with batching off. */
#define QUEUES 64

struct slot {
	struct slot *next;
	struct batch_booking *b;
	struct arena *arena;	/* the owner's: the answer is copied here */
	enum db_status st;
	bool done;
};

struct queue {
	int64_t perf;		/* 0: free */
	struct slot *head, *tail;
	int users;		/* slots queued or running */
	bool running;
	pthread_cond_t cv;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct queue queues[QUEUES];

static void init_queues(void)
{
	for (int i = 0; i < QUEUES; i++)
		pthread_cond_init(&queues[i].cv, NULL);
}

enum { BATCH_RESULT, BATCH_RESERVATION_ID, BATCH_SEATS_AVAILABLE,
       BATCH_EXPIRES_AT };
static const char SQL_BOOK_BATCH[] =
	"SELECT o_result, o_reservation_id, o_seats_available, o_expires_at"
	" FROM book_batch($1::bigint, $2::integer, $3::jsonb)";

struct run {
	const char *params[3];
	PGresult *r;
};

/* A copy of column col of row i in the slot owner's arena; NULL when out
 * of memory. */
static const char *answer(struct slot *s, const PGresult *r, int i, int col)
{
	return arena_strdup(s->arena, PQgetisnull(r, i, col)
					      ? ""
					      : PQgetvalue(r, i, col));
}

/* Run the n bookings of the list first (ending in NULL) as one
 * transaction on c, and fill in each slot's answer and status. */
static void run_batch(struct db_conn *c, struct arena *a, int64_t perf,
		      struct slot *first, int n)
{
	struct run run = {{NULL, NULL, NULL}, NULL};
	enum db_status st;
	struct buf json;
	int i = 0;

	buf_init(&json, a, 4096);
	buf_putc(&json, '[');
	for (struct slot *s = first; s != NULL; s = s->next) {
		if (s != first)
			buf_putc(&json, ',');
		buf_puts(&json, s->b->json);
	}
	buf_putc(&json, ']');
	run.params[0] = arena_printf(a, "%lld", (long long)perf);
	run.params[1] = arena_printf(a, "%d", app.cfg.hold_minutes);
	run.params[2] = json.data;
	if (json.failed || run.params[0] == NULL || run.params[1] == NULL) {
		st = DB_ERROR;
	} else {
		st = db_call(c, a, perf, SQL_BOOK_BATCH, 3, run.params, &run.r);
	}
	if (st == DB_OK && PQntuples(run.r) != n)
		st = DB_ERROR;
	for (struct slot *s = first; s != NULL; s = s->next, i++) {
		struct batch_booking *b = s->b;

		s->st = st;
		if (st != DB_OK)
			continue;
		b->result = answer(s, run.r, i, BATCH_RESULT);
		b->reservation_id = answer(s, run.r, i, BATCH_RESERVATION_ID);
		b->seats_available = answer(s, run.r, i, BATCH_SEATS_AVAILABLE);
		b->expires_at = answer(s, run.r, i, BATCH_EXPIRES_AT);
		if (b->result == NULL || b->reservation_id == NULL ||
		    b->seats_available == NULL || b->expires_at == NULL)
			s->st = DB_ERROR;
	}
}

/* The queue of perf, or a free one claimed for it; NULL when all are in
 * use. Called with mu held. */
static struct queue *queue_of(int64_t perf)
{
	struct queue *free_q = NULL;

	for (int i = 0; i < QUEUES; i++) {
		if (queues[i].perf == perf)
			return &queues[i];
		if (free_q == NULL && queues[i].users == 0)
			free_q = &queues[i];
	}
	if (free_q != NULL)
		free_q->perf = perf;
	return free_q;
}

enum db_status batch_book(struct db_conn *c, struct arena *a, int64_t perf,
			  struct batch_booking *b)
{
	struct slot me = {NULL, b, a, DB_OK, false};
	struct queue *q;

	if (app.cfg.booking_batch <= 1 || pthread_once(&once, init_queues) != 0)
		goto alone;
	pthread_mutex_lock(&mu);
	if ((q = queue_of(perf)) == NULL) {
		pthread_mutex_unlock(&mu);
		goto alone;
	}
	if (q->tail != NULL)
		q->tail->next = &me;
	else
		q->head = &me;
	q->tail = &me;
	q->users++;
	while (!me.done) {
		struct slot *first, *last;
		int n = 1;

		if (q->running) {
			pthread_cond_wait(&q->cv, &mu);
			continue;
		}
		/* Take up to booking_batch slots from the head; ours is among
		 * them, or in a later batch this thread runs too. */
		first = last = q->head;
		while (n < app.cfg.booking_batch && last->next != NULL) {
			last = last->next;
			n++;
		}
		q->head = last->next;
		if (q->head == NULL)
			q->tail = NULL;
		last->next = NULL;
		q->running = true;
		pthread_mutex_unlock(&mu);

		run_batch(c, a, perf, first, n);

		pthread_mutex_lock(&mu);
		for (struct slot *s = first, *next; s != NULL; s = next) {
			next = s->next;
			s->done = true;	/* its owner may return from here on */
		}
		q->users -= n;
		q->running = false;
		if (q->users == 0)
			q->perf = 0;
		pthread_cond_broadcast(&q->cv);
	}
	pthread_mutex_unlock(&mu);
	return me.st;

alone:
	run_batch(c, a, perf, &me, 1);
	return me.st;
}
