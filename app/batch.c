/*
 * batch: concurrent requests combined into one transaction (batch.h;
 * docs/ARCHITECTURE.md, "Past one booking per transaction").
 *
 * Per kind and key (a performance being booked, the door's scans) in this
 * process there is a queue. A request appends itself; whoever finds the
 * queue idle runs it: takes up to the kind's limit of queued jobs, its own
 * among them, runs them as one transaction, hands each its answer and
 * wakes the others. Jobs that arrived meanwhile are run by the next of
 * them to wake. Nobody waits for anything but a running batch, and a
 * batch waits only for its performance's lock (or none), whose holder
 * waits for nothing: no cycle.
 *
 * A waiting request's slot lives on its own stack and its answer in its
 * own arena; the runner writes them while the owner sleeps, and both sides
 * touch them only under `mu` (or, for the runner, between taking the slot
 * out of the queue and marking it done), so the owner never sees half an
 * answer and the runner never touches a slot after its owner may return.
 */
#include "batch.h"

#include "../lib/arena.h"
#include "../lib/buf.h"
#include "../lib/db.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* Queues (kinds and keys) in use at once in one process; beyond that a
 * job runs alone, as it would with batching off. */
#define QUEUES 64
/* The longest argument a queue keeps (a number, an interval). */
#define ARG_MAX 32

struct slot {
	struct slot *next;
	struct batch_job *j;
	struct arena *arena;	/* the owner's: the answer is copied here */
	enum db_status st;
	bool done;
};

struct queue {
	const struct batch_kind *kind;	/* NULL: free */
	int64_t key;
	char arg[ARG_MAX];
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

/* A copy of column col of row i in the slot owner's arena; NULL when out
 * of memory. */
static const char *answer(struct slot *s, const PGresult *r, int i, int col)
{
	return arena_strdup(s->arena, PQgetisnull(r, i, col)
					      ? ""
					      : PQgetvalue(r, i, col));
}

/* Hand row i of r to slot s: DB_OK, or DB_ERROR when out of memory. */
static enum db_status hand(const struct batch_kind *k, struct slot *s,
			   const PGresult *r, int i)
{
	const char **cols = arena_alloc(s->arena, sizeof(*cols) *
						  (size_t)k->ncols);

	if (cols == NULL)
		return DB_ERROR;
	for (int col = 0; col < k->ncols; col++)
		if ((cols[col] = answer(s, r, i, col)) == NULL)
			return DB_ERROR;
	s->j->cols = cols;
	return DB_OK;
}

/* Run the n jobs of the list first (ending in NULL) as one transaction on
 * c, and fill in each slot's answer and status. */
static void run_batch(const struct batch_kind *k, struct db_conn *c,
		      struct arena *a, int64_t key, const char *arg,
		      struct slot *first, int n)
{
	const char *params[3] = {NULL, arg, NULL};
	PGresult *r = NULL;
	enum db_status st;
	struct buf json;
	int i = 0;

	buf_init(&json, a, 4096);
	buf_putc(&json, '[');
	for (struct slot *s = first; s != NULL; s = s->next) {
		if (s != first)
			buf_putc(&json, ',');
		buf_puts(&json, s->j->json);
	}
	buf_putc(&json, ']');
	params[0] = arena_printf(a, "%lld", (long long)key);
	params[2] = json.data;
	if (json.failed || params[0] == NULL)
		st = DB_ERROR;
	else
		st = db_call(c, a, k->lock ? key : 0, k->sql, 3, params, &r);
	if (st == DB_OK && (PQntuples(r) != n || PQnfields(r) != k->ncols))
		st = DB_ERROR;
	for (struct slot *s = first; s != NULL; s = s->next, i++)
		s->st = st == DB_OK ? hand(k, s, r, i) : st;
}

/* The queue of kind k, key and arg, or a free one claimed for them; NULL
 * when all are in use or arg is too long to keep. Called with mu held. */
static struct queue *queue_of(const struct batch_kind *k, int64_t key,
			      const char *arg)
{
	struct queue *free_q = NULL;
	size_t len = strlen(arg);

	if (len >= ARG_MAX)
		return NULL;
	for (int i = 0; i < QUEUES; i++) {
		if (queues[i].kind == k && queues[i].key == key &&
		    strcmp(queues[i].arg, arg) == 0)
			return &queues[i];
		if (free_q == NULL && queues[i].users == 0)
			free_q = &queues[i];
	}
	if (free_q != NULL) {
		free_q->kind = k;
		free_q->key = key;
		memcpy(free_q->arg, arg, len + 1);
	}
	return free_q;
}

enum db_status batch_run(const struct batch_kind *k, struct db_conn *c,
			 struct arena *a, int64_t key, const char *arg,
			 struct batch_job *j)
{
	struct slot me = {NULL, j, a, DB_OK, false};
	struct queue *q;

	if (*k->max <= 1 || pthread_once(&once, init_queues) != 0)
		goto alone;
	pthread_mutex_lock(&mu);
	if ((q = queue_of(k, key, arg)) == NULL) {
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
		/* Take up to the kind's limit of slots from the head; ours is among
		 * them, or in a later batch this thread runs too. */
		first = last = q->head;
		while (n < *k->max && last->next != NULL) {
			last = last->next;
			n++;
		}
		q->head = last->next;
		if (q->head == NULL)
			q->tail = NULL;
		last->next = NULL;
		q->running = true;
		pthread_mutex_unlock(&mu);

		run_batch(k, c, a, key, arg, first, n);

		pthread_mutex_lock(&mu);
		for (struct slot *s = first, *next; s != NULL; s = next) {
			next = s->next;
			s->done = true;	/* its owner may return from here on */
		}
		q->users -= n;
		q->running = false;
		if (q->users == 0)
			q->kind = NULL;
		pthread_cond_broadcast(&q->cv);
	}
	pthread_mutex_unlock(&mu);
	return me.st;

alone:
	run_batch(k, c, a, key, arg, &me, 1);
	return me.st;
}
