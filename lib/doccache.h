/*
 * doccache: a worker process's copies of rendered public documents, kept
 * until the data they were rendered from changes.
 *
 * A watcher thread holds its own PostgreSQL connection and runs one
 * query every interval, a fingerprint of the tables the documents are
 * built from (programme_fingerprint(), sql/016_read_path.sql); when the
 * answer changes, every copy ends (a new "epoch"). It sees committed data
 * only, so a copy outlives a change by at most one interval. A copy also
 * ends at its own valid_until, the next moment its content changes by the
 * clock alone (a hold expiring, booking opening or closing, a performance
 * starting).
 *
 * While the watcher has no answer (no connection, or none within a
 * second) nothing is served from the cache and nothing is stored: a change
 * it could not see never leaves an old copy.
 *
 * The cache is bounded (a fixed table of 512 slots, at most 256 KiB a
 * body and 8 MiB in all), so random keys cannot grow the process.
 */
#ifndef BOXOFFICE_DOCCACHE_H
#define BOXOFFICE_DOCCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

/* Longest key and body kept; longer ones are simply not cached. */
#define DOCCACHE_KEY_MAX 128
#define DOCCACHE_BODY_MAX ((size_t)256 * 1024)

/*
 * The current epoch, to pass to doccache_put for a document rendered
 * after this call; 0 when the cache is off (not listening): do not store.
 * Read it BEFORE running the query, so that a change committed while the
 * query runs ends the copy.
 */
uint64_t doccache_epoch(void);

/*
 * Append the copy of `key` to out and set *status and *valid_until when
 * there is a valid one (same epoch, now < valid_until); false otherwise.
 */
bool doccache_get(const char *key, struct buf *out, int *status,
		  double *valid_until);

/*
 * Keep body as the copy of key, rendered at `epoch`, valid until the Unix
 * time valid_until (INFINITY: until the next change). Does nothing when
 * epoch is no longer current, or the key or body is too long.
 */
void doccache_put(const char *key, uint64_t epoch, int status,
		  const char *body, size_t len, double valid_until);

/*
 * When the last watch query whose answer is applied started (Unix time):
 * a copy served now holds every change committed before then. 0 when the
 * cache is off. Read it before doccache_get.
 */
double doccache_checked_at(void);

/*
 * A write was answered by this process (any request but GET and HEAD):
 * end every copy of every process of this host that shares the counter,
 * before the answer leaves, so that the writer's next read is fresh
 * wherever it lands. Other hosts see it at their watcher's next query.
 */
void doccache_changed(void);

/*
 * Share doccache_changed's counter with the other processes of this host
 * through the file at path (created if missing; a few bytes). 0 or -1
 * (then only this process's writes count at once).
 */
int doccache_share(const char *path);

/* End every copy (the watched answer changed). */
void doccache_invalidate(void);

/* Turn the cache on (with a new epoch) or off; the watcher does this. */
void doccache_enable(bool on);

/* Drop every copy and free their memory (tests, shutdown). */
void doccache_clear(void);

/*
 * Start the watcher thread: connect to conninfo, run sql (a constant
 * returning one text value) every interval_ms, end every copy when its
 * answer changes; reconnect, with the cache off meanwhile, when the
 * connection fails or the answer takes over a second. 0 or -1.
 */
int doccache_watch_start(const char *conninfo, const char *sql,
			 int interval_ms);

/* Stop the watcher thread and turn the cache off. */
void doccache_watch_stop(void);

#endif
