/*
 * arena: per-request memory.
 *
 * A request owns one arena. Everything that lives as long as the request is
 * allocated from it, and outside resources (PGresult, json_object, ...) are
 * registered on it with arena_defer(), so a handler may return from anywhere
 * and arena_reset()/arena_free() releases it all, newest first.
 */
#ifndef BOXOFFICE_ARENA_H
#define BOXOFFICE_ARENA_H

#include <stddef.h>

struct arena;

/* A new arena whose first block holds `hint` bytes. NULL when out of memory. */
struct arena *arena_new(size_t hint);

/* Run the deferred cleanups (newest first) and free everything. NULL is ok. */
void arena_free(struct arena *a);

/*
 * Like arena_free() but keeps the first block, so a worker thread can reuse
 * one arena for every request without touching malloc on the hot path.
 */
void arena_reset(struct arena *a);

/* n bytes aligned for any type; NULL when out of memory. Never freed alone. */
void *arena_alloc(struct arena *a, size_t n);
void *arena_calloc(struct arena *a, size_t n);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_printf(struct arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Call fn(p) when the arena is reset or freed. Returns -1 when out of
 * memory, in which case fn(p) has already been called: the caller never
 * has to clean up twice.
 */
int arena_defer(struct arena *a, void (*fn)(void *), void *p);

/* Bytes handed out since the last reset (for tests and metrics). */
size_t arena_used(const struct arena *a);

#endif
