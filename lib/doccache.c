/*
 * doccache: see doccache.h.
 *
 * A direct-mapped table of slots under one mutex: a key hashes to one
 * slot, a new key replaces whatever was there. Holding the mutex costs a
 * copy of a few kilobytes, far less than the FastCGI round trip around it.
 */
#include "doccache.h"

#include "buf.h"
#include "log.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 512
#define TOTAL_MAX ((size_t)8 * 1024 * 1024) /* bytes of all bodies together */

struct slot {
	char key[DOCCACHE_KEY_MAX];
	uint64_t epoch;
	double valid_until;
	int status;
	char *body;
	size_t len;
};

static struct slot slots[SLOTS];
static size_t total;		/* guarded by mu */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
/* Guarded by mu; read without it only as a hint (doccache_epoch). */
static _Atomic uint64_t epoch_now = 1;
static atomic_bool enabled;
/* Writes answered by any process of this host (doccache_changed): in a
 * shared file when doccache_share found one, else this process's own. */
static _Atomic uint64_t own_writes;
static _Atomic uint64_t *writes = &own_writes;
/* When the last applied watch query started, in Unix microseconds. */
static _Atomic int64_t checked_us;

static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261U;

	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 16777619U;
	return h;
}

static double now_s(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return INFINITY; /* every copy looks expired */
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double doccache_checked_at(void)
{
	return atomic_load(&enabled) ? (double)atomic_load(&checked_us) / 1e6
				     : 0;
}

static int64_t real_us(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The epoch of the copies: the watcher's changes plus the host's writes,
 * both only ever growing, so the sum changes whenever either does. */
static uint64_t current(void)
{
	return atomic_load(&epoch_now) + atomic_load(writes);
}

uint64_t doccache_epoch(void)
{
	return atomic_load(&enabled) ? current() : 0;
}

void doccache_changed(void)
{
	atomic_fetch_add(writes, 1);
}

int doccache_share(const char *path)
{
	_Atomic uint64_t *m;
	struct stat st;
	int fd;

	if (path == NULL || *path == '\0')
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 ||
	    ((size_t)st.st_size < sizeof(*m) &&
	     ftruncate(fd, (off_t)sizeof(*m)) < 0)) {
		(void)close(fd);
		return -1;
	}
	m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	(void)close(fd);
	if (m == MAP_FAILED)
		return -1;
	writes = m;
	return 0;
}

bool doccache_get(const char *key, struct buf *out, int *status,
		  double *valid_until)
{
	struct slot *s;
	bool hit = false;
	double t;

	if (!atomic_load(&enabled) || strlen(key) >= DOCCACHE_KEY_MAX)
		return false;
	t = now_s();
	s = &slots[hash(key) % SLOTS];
	if (pthread_mutex_lock(&mu) != 0)
		return false;
	if (atomic_load(&enabled) && s->body != NULL &&
	    s->epoch == current() && t < s->valid_until &&
	    strcmp(s->key, key) == 0) {
		buf_append(out, s->body, s->len);
		*status = s->status;
		*valid_until = s->valid_until;
		hit = !out->failed;
	}
	(void)pthread_mutex_unlock(&mu);
	return hit;
}

void doccache_put(const char *key, uint64_t epoch, int status,
		  const char *body, size_t len, double valid_until)
{
	size_t klen = strlen(key);
	struct slot *s;
	char *copy;

	if (epoch == 0 || klen >= DOCCACHE_KEY_MAX || len > DOCCACHE_BODY_MAX ||
	    !(valid_until > now_s()))
		return;
	copy = malloc(len + 1);
	if (copy == NULL)
		return;
	memcpy(copy, body, len);
	copy[len] = '\0';
	s = &slots[hash(key) % SLOTS];
	if (pthread_mutex_lock(&mu) != 0) {
		free(copy);
		return;
	}
	if (epoch != current() || !atomic_load(&enabled) ||
	    total - s->len + len > TOTAL_MAX) {
		(void)pthread_mutex_unlock(&mu);
		free(copy);
		return;
	}
	total = total - s->len + len;
	free(s->body);
	memcpy(s->key, key, klen + 1);
	s->epoch = epoch;
	s->valid_until = valid_until;
	s->status = status;
	s->body = copy;
	s->len = len;
	(void)pthread_mutex_unlock(&mu);
}

void doccache_invalidate(void)
{
	if (pthread_mutex_lock(&mu) == 0) {
		atomic_fetch_add(&epoch_now, 1);
		(void)pthread_mutex_unlock(&mu);
	} else {
		atomic_fetch_add(&epoch_now, 1);
	}
}

void doccache_enable(bool on)
{
	if (pthread_mutex_lock(&mu) != 0) {
		atomic_store(&enabled, false);
		return;
	}
	atomic_fetch_add(&epoch_now, 1);
	atomic_store(&enabled, on);
	(void)pthread_mutex_unlock(&mu);
}

void doccache_clear(void)
{
	if (pthread_mutex_lock(&mu) != 0)
		return;
	atomic_fetch_add(&epoch_now, 1);
	for (int i = 0; i < SLOTS; i++) {
		free(slots[i].body);
		slots[i].body = NULL;
		total -= slots[i].len;
		slots[i].len = 0;
		slots[i].key[0] = '\0';
	}
	(void)pthread_mutex_unlock(&mu);
}

/* --- The watcher ------------------------------------------------------- */

#define FP_MAX 512

/* The one column of the watch query. */
enum { WATCH_ANSWER };

static struct {
	pthread_t tid;
	bool running;
	int wake[2];		/* doccache_watch_stop writes to wake[1] */
	const char *conninfo;
	const char *sql;
	int interval_ms;
} W = {.wake = {-1, -1}};

static int64_t mono_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait up to ms for fd (or -1: none) to be readable; false when told to
 * stop. */
static bool wait_readable(int fd, int ms, bool *readable)
{
	struct pollfd p[2] = {{.fd = W.wake[0], .events = POLLIN},
			      {.fd = fd, .events = POLLIN}};
	int n = poll(p, fd >= 0 ? 2 : 1, ms);

	*readable = n > 0 && fd >= 0 && (p[1].revents != 0);
	return !(n > 0 && p[0].revents != 0);
}

static PGconn *watch_connect(void)
{
	/* TCP keepalives, and the answer awaited at most 1 s (watch_once):
	 * a server that stopped answering turns the cache off. */
	const char *const keys[] = {"dbname", "keepalives_idle",
				    "keepalives_interval", "keepalives_count",
				    "connect_timeout", "application_name",
				    NULL};
	const char *const vals[] = {W.conninfo, "5", "2", "2", "2",
				    "boxoffice-doccache", NULL};
	PGconn *c = PQconnectdbParams(keys, vals, 1);

	if (c != NULL && PQstatus(c) != CONNECTION_OK) {
		PQfinish(c);
		c = NULL;
	}
	return c;
}

/* Until the next query: the interval, but never past the next whole second
 * (+1 ms), so that a check is made right at the start of each second: nginx
 * is given a copy only once the watcher has checked in that second
 * (app/shows.c). */
static int next_wait_ms(void)
{
	int64_t us = real_us();
	int to_second = (int)((1000000 - us % 1000000) / 1000) + 1;

	return to_second < W.interval_ms ? to_second : W.interval_ms;
}

/* Run the watch query: 1 with its answer in fp, 0 on failure or timeout,
 * -1 when told to stop. */
static int watch_once(PGconn *c, char fp[FP_MAX], int64_t *started_us)
{
	int64_t deadline = mono_ms() + 1000;
	bool readable, ok = false;
	PGresult *r;

	*started_us = real_us();
	if (PQsendQuery(c, W.sql) == 0)
		return 0;
	while (PQisBusy(c)) {
		int64_t left = deadline - mono_ms();

		if (left <= 0)
			return 0;
		if (!wait_readable(PQsocket(c), (int)left, &readable))
			return -1;
		if (readable && PQconsumeInput(c) == 0)
			return 0;
	}
	while ((r = PQgetResult(c)) != NULL) {
		if (!ok && PQresultStatus(r) == PGRES_TUPLES_OK &&
		    PQntuples(r) == 1 && PQnfields(r) == 1) {
			const char *v = PQgetvalue(r, 0, WATCH_ANSWER);
			size_t n = strlen(v);

			if (n < FP_MAX) {
				memcpy(fp, v, n + 1);
				ok = true;
			}
		}
		PQclear(r);
	}
	return ok ? 1 : 0;
}

static void *watch_main(void *arg)
{
	PGconn *c = NULL;
	char last[FP_MAX] = "", fp[FP_MAX];
	int backoff_ms = 100, rc;
	int64_t started = 0;
	bool readable;

	(void)arg;
	for (;;) {
		if (c == NULL) {
			c = watch_connect();
			rc = c != NULL ? watch_once(c, last, &started) : 0;
			if (rc < 0)
				break;
			if (rc == 0) {
				PQfinish(c);
				c = NULL;
				if (!wait_readable(-1, backoff_ms, &readable))
					break;
				if (backoff_ms < 2000)
					backoff_ms *= 2;
				continue;
			}
			backoff_ms = 100;
			/* Watching from here: a new epoch ends whatever was
			 * rendered before. */
			atomic_store(&checked_us, started);
			doccache_enable(true);
			log_event(LOG_INFO, NULL, "doccache_watching",
				  "public documents kept until changed");
		}
		if (!wait_readable(-1, next_wait_ms(), &readable))
			break;
		rc = watch_once(c, fp, &started);
		if (rc < 0)
			break;
		if (rc == 0) {
			doccache_enable(false);
			log_event(LOG_WARN, NULL, "doccache_lost",
				  "public documents rendered at every request "
				  "until the database answers again");
			PQfinish(c);
			c = NULL;
			continue;
		}
		if (strcmp(fp, last) != 0) {
			doccache_invalidate();
			memcpy(last, fp, sizeof(last));
		}
		atomic_store(&checked_us, started);
	}
	doccache_enable(false);
	PQfinish(c);
	return NULL;
}

int doccache_watch_start(const char *conninfo, const char *sql,
			 int interval_ms)
{
	if (W.running || conninfo == NULL || sql == NULL || interval_ms < 1)
		return -1;
	if (pipe(W.wake) != 0)
		return -1;
	W.conninfo = conninfo;
	W.sql = sql;
	W.interval_ms = interval_ms;
	if (pthread_create(&W.tid, NULL, watch_main, NULL) != 0) {
		(void)close(W.wake[0]);
		(void)close(W.wake[1]);
		W.wake[0] = W.wake[1] = -1;
		return -1;
	}
	W.running = true;
	return 0;
}

void doccache_watch_stop(void)
{
	if (!W.running)
		return;
	if (write(W.wake[1], "x", 1) == 1)
		(void)pthread_join(W.tid, NULL);
	(void)close(W.wake[0]);
	(void)close(W.wake[1]);
	W.wake[0] = W.wake[1] = -1;
	W.running = false;
	doccache_enable(false);
}
