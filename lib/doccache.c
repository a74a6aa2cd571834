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

#include <libpq-fe.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 512

struct slot {
	char key[DOCCACHE_KEY_MAX];
	uint64_t epoch;
	double valid_until;
	int status;
	char *body;
	size_t len;
};

static struct slot slots[SLOTS];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
/* Guarded by mu; read without it only as a hint (doccache_epoch). */
static _Atomic uint64_t epoch_now = 1;
static atomic_bool enabled;

static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static double now_s(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return INFINITY; /* every copy looks expired */
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

uint64_t doccache_epoch(void)
{
	return atomic_load(&enabled) ? atomic_load(&epoch_now) : 0;
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
	    s->epoch == atomic_load(&epoch_now) && t < s->valid_until &&
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
	if (epoch != atomic_load(&epoch_now) || !atomic_load(&enabled)) {
		(void)pthread_mutex_unlock(&mu);
		free(copy);
		return;
	}
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
		slots[i].len = 0;
		slots[i].key[0] = '\0';
	}
	(void)pthread_mutex_unlock(&mu);
}

/* --- The listener ------------------------------------------------------ */

static struct {
	pthread_t tid;
	bool running;
	int wake[2];		/* doccache_listen_stop writes to wake[1] */
	const char *conninfo;
	char listen_sql[96];
} L = {.wake = {-1, -1}};

/* Wait up to ms for fd (or -1: none) to be readable; false when told to
 * stop. */
static bool wait_readable(int fd, int ms, bool *readable)
{
	struct pollfd p[2] = {{.fd = L.wake[0], .events = POLLIN},
			      {.fd = fd, .events = POLLIN}};
	int n = poll(p, fd >= 0 ? 2 : 1, ms);

	*readable = n > 0 && fd >= 0 && (p[1].revents != 0);
	return !(n > 0 && p[0].revents != 0);
}

static PGconn *listen_connect(void)
{
	/* TCP keepalives: a peer that vanished without a reset is noticed
	 * within ~10 s (the cache is off from then on). */
	const char *const keys[] = {"dbname", "keepalives_idle",
				    "keepalives_interval", "keepalives_count",
				    "application_name", NULL};
	const char *const vals[] = {L.conninfo, "5", "2", "2",
				    "boxoffice-doccache", NULL};
	PGconn *c = PQconnectdbParams(keys, vals, 1);
	PGresult *r;

	if (c == NULL)
		return NULL;
	if (PQstatus(c) != CONNECTION_OK) {
		PQfinish(c);
		return NULL;
	}
	r = PQexec(c, L.listen_sql);
	if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK) {
		PQclear(r);
		PQfinish(c);
		return NULL;
	}
	PQclear(r);
	return c;
}

static void *listen_main(void *arg)
{
	PGconn *c = NULL;
	int backoff_ms = 100;
	bool readable;

	(void)arg;
	for (;;) {
		if (c == NULL) {
			c = listen_connect();
			if (c == NULL) {
				if (!wait_readable(-1, backoff_ms, &readable))
					break;
				if (backoff_ms < 2000)
					backoff_ms *= 2;
				continue;
			}
			backoff_ms = 100;
			/* Listening from here: a new epoch ends whatever
			 * was rendered before. */
			doccache_enable(true);
			log_event(LOG_INFO, NULL, "doccache_listening",
				  "public documents cached until changed");
		}
		if (!wait_readable(PQsocket(c), 10000, &readable))
			break;
		if (!readable)
			continue;
		if (PQconsumeInput(c) == 0 || PQstatus(c) != CONNECTION_OK) {
			doccache_enable(false);
			log_event(LOG_WARN, NULL, "doccache_disconnected",
				  "public documents uncached until reconnected");
			PQfinish(c);
			c = NULL;
			continue;
		}
		{
			PGnotify *n;
			bool any = false;

			while ((n = PQnotifies(c)) != NULL) {
				PQfreemem(n);
				any = true;
			}
			if (any)
				doccache_invalidate();
		}
	}
	doccache_enable(false);
	PQfinish(c);
	return NULL;
}

static bool identifier(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
			return false;
	return true;
}

int doccache_listen_start(const char *conninfo, const char *channel)
{
	if (L.running || conninfo == NULL || !identifier(channel) ||
	    strlen(channel) > 63)
		return -1;
	if (pipe(L.wake) != 0)
		return -1;
	L.conninfo = conninfo;
	(void)snprintf(L.listen_sql, sizeof(L.listen_sql), "LISTEN %s",
		       channel);
	if (pthread_create(&L.tid, NULL, listen_main, NULL) != 0) {
		(void)close(L.wake[0]);
		(void)close(L.wake[1]);
		L.wake[0] = L.wake[1] = -1;
		return -1;
	}
	L.running = true;
	return 0;
}

void doccache_listen_stop(void)
{
	if (!L.running)
		return;
	if (write(L.wake[1], "x", 1) != 1)
		pthread_cancel(L.tid);
	(void)pthread_join(L.tid, NULL);
	(void)close(L.wake[0]);
	(void)close(L.wake[1]);
	L.wake[0] = L.wake[1] = -1;
	L.running = false;
	doccache_enable(false);
}
