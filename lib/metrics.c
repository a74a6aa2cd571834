/*
 * metrics: shared-memory counters.
 */
#include "metrics.h"

#include "buf.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SLOTS 64		/* slot 0 keeps what retired processes counted */
#define MAGIC 0x626f7832U	/* "box2": bump when the layout changes */

static const int statuses[] = {200, 201, 204, 302, 400, 401, 403, 404, 405,
			       409, 413, 415, 422, 429, 500, 502, 503, 0};
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]))	/* 0 = other */

/* Upper bounds of the latency buckets, in microseconds; then +Inf. */
static const int64_t bounds_us[] = {1000, 2500, 5000, 10000, 25000, 50000,
				    100000, 250000, 500000, 1000000, 2500000};
#define NBUCKET (sizeof(bounds_us) / sizeof(bounds_us[0]) + 1)

struct slot {
	atomic_int pid;
	atomic_uint_fast64_t count[METRICS_ROUTES][NSTATUS];
	atomic_uint_fast64_t bucket[METRICS_ROUTES][NBUCKET];
	atomic_uint_fast64_t sum_us[METRICS_ROUTES];
	atomic_uint_fast64_t gauge[6];	/* struct metrics_gauges order */
};

struct shared {
	atomic_uint magic;
	struct slot slot[SLOTS];
};

static struct shared *shm;
static struct slot *mine;

static struct shared *map(const char *path)
{
	struct shared *s;
	struct stat st;
	int fd;

	if (path == NULL || *path == '\0')
		goto private;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		goto fail;
	if (fstat(fd, &st) < 0 ||
	    ((size_t)st.st_size < sizeof(*s) &&
	     ftruncate(fd, (off_t)sizeof(*s)) < 0)) {
		close(fd);
		goto fail;
	}
	s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (s == MAP_FAILED)
		goto fail;
	/* A new file is all zeros: just stamp it (the first to do so wins;
	 * no clearing, which could wipe a slot another process has just
	 * claimed). A file left by another layout is cleared, as after a
	 * reboot; that only happens on an upgrade. */
	{
		unsigned seen = 0;

		if (!atomic_compare_exchange_strong(&s->magic, &seen, MAGIC) &&
		    seen != MAGIC) {
			memset(s->slot, 0, sizeof(s->slot));
			atomic_store(&s->magic, MAGIC);
		}
	}
	return s;
fail:
	log_event(LOG_WARN, NULL, "metrics_private",
		  "cannot map %s: %s; metrics cover this process only", path,
		  strerror(errno));
private:
	s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return s == MAP_FAILED ? NULL : s;
}

static bool alive(int pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* Add a dead process's counts to the retired slot and clear them. */
static void retire(struct slot *from)
{
	struct slot *to = &shm->slot[0];

	for (int r = 0; r < METRICS_ROUTES; r++) {
		for (size_t k = 0; k < NSTATUS; k++)
			atomic_fetch_add(&to->count[r][k],
					 atomic_exchange(&from->count[r][k], 0));
		for (size_t k = 0; k < NBUCKET; k++)
			atomic_fetch_add(&to->bucket[r][k],
					 atomic_exchange(&from->bucket[r][k], 0));
		atomic_fetch_add(&to->sum_us[r],
				 atomic_exchange(&from->sum_us[r], 0));
	}
	/* Retries, reconnects and give-ups are counters too; pool gauges
	 * are not. */
	for (int g = 3; g < 6; g++)
		atomic_fetch_add(&to->gauge[g],
				 atomic_exchange(&from->gauge[g], 0));
	for (int g = 0; g < 3; g++)
		atomic_store(&from->gauge[g], 0);
}

int metrics_open(const char *path)
{
	int me = (int)getpid();

	shm = map(path);
	if (shm == NULL)
		return -1;
	for (int i = 1; i < SLOTS; i++) {
		struct slot *s = &shm->slot[i];
		int owner = atomic_load(&s->pid);

		if (owner == me || (owner != 0 && alive(owner)))
			continue;
		if (atomic_compare_exchange_strong(&s->pid, &owner, me)) {
			if (owner != 0)
				retire(s);
			mine = s;
			return 0;
		}
	}
	/* More processes than slots: count in the retired slot. */
	mine = &shm->slot[0];
	return 0;
}

void metrics_request(int route, int status, int64_t us)
{
	size_t k = 0, b = 0;

	if (mine == NULL)
		return;
	if (route < 0 || route >= METRICS_ROUTES)
		route = METRICS_UNMATCHED;
	while (statuses[k] != 0 && statuses[k] != status)
		k++;
	while (b < NBUCKET - 1 && us > bounds_us[b])
		b++;
	atomic_fetch_add_explicit(&mine->count[route][k], 1,
				  memory_order_relaxed);
	atomic_fetch_add_explicit(&mine->bucket[route][b], 1,
				  memory_order_relaxed);
	atomic_fetch_add_explicit(&mine->sum_us[route],
				  us > 0 ? (uint64_t)us : 0,
				  memory_order_relaxed);
}

void metrics_publish(const struct metrics_gauges *g)
{
	if (mine == NULL)
		return;
	atomic_store(&mine->gauge[0], g->pool_size);
	atomic_store(&mine->gauge[1], g->pool_in_use);
	atomic_store(&mine->gauge[2], g->pool_waiting);
	atomic_store(&mine->gauge[3], g->retries);
	atomic_store(&mine->gauge[4], g->reconnects);
	atomic_store(&mine->gauge[5], g->gave_up);
}

/* Slots that count: the retired one and those of live processes. */
static bool counted(int i)
{
	return i == 0 || alive(atomic_load(&shm->slot[i].pid));
}

static uint64_t sum_gauge(int g)
{
	uint64_t n = 0;

	for (int i = 0; i < SLOTS; i++)
		if (counted(i))
			n += atomic_load(&shm->slot[i].gauge[g]);
	return n;
}

static void label(struct buf *out, const char *const *names, size_t n,
		  int route)
{
	buf_puts(out, "route=\"");
	buf_puts(out, route < (int)n ? names[route] : "unmatched");
	buf_putc(out, '"');
}

/* boxoffice_requests_total, by route and status. */
static void render_counts(struct buf *out, const char *const *names,
			  size_t n)
{
	buf_puts(out, "# HELP boxoffice_requests_total Requests answered by "
		      "the workers, by route and status.\n"
		      "# TYPE boxoffice_requests_total counter\n");
	for (int r = 0; r < METRICS_ROUTES; r++) {
		for (size_t k = 0; k < NSTATUS; k++) {
			uint64_t v = 0;

			for (int i = 0; i < SLOTS; i++)
				if (counted(i))
					v += atomic_load(&shm->slot[i].count[r][k]);
			if (v == 0)
				continue;
			buf_puts(out, "boxoffice_requests_total{");
			label(out, names, n, r);
			if (statuses[k] != 0)
				buf_printf(out, ",status=\"%d\"} %llu\n",
					   statuses[k], (unsigned long long)v);
			else
				buf_printf(out, ",status=\"other\"} %llu\n",
					   (unsigned long long)v);
		}
	}
}

/* boxoffice_request_duration_seconds, a histogram by route. */
static void render_durations(struct buf *out, const char *const *names,
			     size_t n)
{
	buf_puts(out, "# HELP boxoffice_request_duration_seconds Time from "
		      "request to response in the worker.\n"
		      "# TYPE boxoffice_request_duration_seconds histogram\n");
	for (int r = 0; r < METRICS_ROUTES; r++) {
		uint64_t cum = 0, sum = 0, b[NBUCKET] = {0};

		for (int i = 0; i < SLOTS; i++) {
			if (!counted(i))
				continue;
			for (size_t k = 0; k < NBUCKET; k++)
				b[k] += atomic_load(&shm->slot[i].bucket[r][k]);
			sum += atomic_load(&shm->slot[i].sum_us[r]);
		}
		for (size_t k = 0; k < NBUCKET; k++)
			cum += b[k];
		if (cum == 0)
			continue;
		cum = 0;
		for (size_t k = 0; k < NBUCKET; k++) {
			cum += b[k];
			buf_puts(out, "boxoffice_request_duration_seconds_bucket{");
			label(out, names, n, r);
			if (k < NBUCKET - 1)
				buf_printf(out, ",le=\"%g\"} %llu\n",
					   (double)bounds_us[k] / 1e6,
					   (unsigned long long)cum);
			else
				buf_printf(out, ",le=\"+Inf\"} %llu\n",
					   (unsigned long long)cum);
		}
		buf_puts(out, "boxoffice_request_duration_seconds_sum{");
		label(out, names, n, r);
		buf_printf(out, "} %.6f\n", (double)sum / 1e6);
		buf_puts(out, "boxoffice_request_duration_seconds_count{");
		label(out, names, n, r);
		buf_printf(out, "} %llu\n", (unsigned long long)cum);
	}
}

void metrics_render(struct buf *out, const char *const *names, size_t n)
{
	int workers = 0;

	if (shm == NULL)
		return;
	for (int i = 1; i < SLOTS; i++)
		if (atomic_load(&shm->slot[i].pid) != 0 && counted(i))
			workers++;

	render_counts(out, names, n);
	render_durations(out, names, n);

	buf_printf(out,
		   "# HELP boxoffice_workers Worker processes alive.\n"
		   "# TYPE boxoffice_workers gauge\nboxoffice_workers %d\n"
		   "# HELP boxoffice_db_pool_connections Pooled PostgreSQL "
		   "connections, summed over workers.\n"
		   "# TYPE boxoffice_db_pool_connections gauge\n"
		   "boxoffice_db_pool_connections{state=\"max\"} %llu\n"
		   "boxoffice_db_pool_connections{state=\"in_use\"} %llu\n"
		   "# HELP boxoffice_db_pool_waiting Threads waiting for a "
		   "pooled connection.\n"
		   "# TYPE boxoffice_db_pool_waiting gauge\n"
		   "boxoffice_db_pool_waiting %llu\n"
		   "# HELP boxoffice_db_serialization_retries_total "
		   "Transactions run again after 40001/40P01.\n"
		   "# TYPE boxoffice_db_serialization_retries_total counter\n"
		   "boxoffice_db_serialization_retries_total %llu\n"
		   "# HELP boxoffice_db_connects_total Connections opened "
		   "(first use and reconnects).\n"
		   "# TYPE boxoffice_db_connects_total counter\n"
		   "boxoffice_db_connects_total %llu\n"
		   "# HELP boxoffice_db_busy_total Transactions that were "
		   "still colliding after every retry (answered 503 busy).\n"
		   "# TYPE boxoffice_db_busy_total counter\n"
		   "boxoffice_db_busy_total %llu\n",
		   workers, (unsigned long long)sum_gauge(0),
		   (unsigned long long)sum_gauge(1),
		   (unsigned long long)sum_gauge(2),
		   (unsigned long long)sum_gauge(3),
		   (unsigned long long)sum_gauge(4),
		   (unsigned long long)sum_gauge(5));
}
