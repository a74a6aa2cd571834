/*
 * metrics: request counters and latency histograms shared by all worker
 * processes of one installation, for a Prometheus scrape.
 *
 * multiwatch runs several processes and a scrape reaches just one of them,
 * so the numbers live in a small file mapped by every process (one slot
 * per process, lock-free atomics). A scrape sums the slots. The slot of a
 * process that died is folded into a "retired" slot by the process that
 * takes it over, so counters never go backwards.
 */
#ifndef BOXOFFICE_METRICS_H
#define BOXOFFICE_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct buf;

#define METRICS_ROUTES 96	/* route indexes 0..94; 95 = no route */
#define METRICS_UNMATCHED (METRICS_ROUTES - 1)

struct metrics_gauges {
	uint64_t pool_size, pool_in_use, pool_waiting;
	uint64_t retries, reconnects;	/* counters, all time */
	uint64_t gave_up;		/* transactions answered 503 busy */
};

/*
 * Map the shared file at path (created if missing), or private memory when
 * path is NULL or "". Claims this process's slot. 0, or -1 (then metrics
 * still work, privately).
 */
int metrics_open(const char *path);

/* Count one answered request. Cheap: a few relaxed atomic adds. */
void metrics_request(int route_index, int status, int64_t duration_us);

/* Publish this process's pool figures (called every few seconds). */
void metrics_publish(const struct metrics_gauges *g);

/*
 * Append the Prometheus text of the summed slots; route_names[i] labels
 * route index i ("GET /api/shows").
 */
void metrics_render(struct buf *out, const char *const *route_names,
		    size_t nroutes);

#endif
