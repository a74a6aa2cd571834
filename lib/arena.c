/*
 * arena: bump allocator over a chain of blocks plus a cleanup stack.
 *
 * The first block is kept across arena_reset(); larger requests get blocks
 * of their own, freed at reset. Cleanups are a singly linked stack allocated
 * from the arena itself, so registering one costs no malloc.
 *
 * Under AddressSanitizer the free part of every block is poisoned and each
 * allocation is followed by a poisoned gap, so reading or writing past an
 * arena allocation is reported like a heap overflow (one block is a single
 * malloc, which ASan alone would see as one object).
 */
#include "arena.h"

#include <stdalign.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ASAN 1
#endif
#endif

#ifdef ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define REDZONE 16
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define REDZONE 0
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

struct block {
	struct block *next;
	size_t size;
	size_t used;
	alignas(max_align_t) unsigned char data[];
};

struct cleanup {
	struct cleanup *next;
	void (*fn)(void *);
	void *p;
};

struct arena {
	struct block *head;	/* current block; the first block is last */
	struct cleanup *cleanups;
	size_t total;
};

#define ALIGN (alignof(max_align_t))

static struct block *block_new(size_t size)
{
	struct block *b;

	if (size > SIZE_MAX - sizeof(*b))
		return NULL;
	b = malloc(sizeof(*b) + size);
	if (b == NULL)
		return NULL;
	b->next = NULL;
	b->size = size;
	b->used = 0;
	POISON(b->data, size);
	return b;
}

static void block_free(struct block *b)
{
	UNPOISON(b->data, b->size);
	free(b);
}

struct arena *arena_new(size_t hint)
{
	struct arena *a = malloc(sizeof(*a));

	if (a == NULL)
		return NULL;
	a->head = block_new(hint < 1024 ? 1024 : hint);
	if (a->head == NULL) {
		free(a);
		return NULL;
	}
	a->cleanups = NULL;
	a->total = 0;
	return a;
}

static void run_cleanups(struct arena *a)
{
	/* A cleanup may not allocate from the arena: take the list first. */
	struct cleanup *c = a->cleanups;

	a->cleanups = NULL;
	for (; c != NULL; c = c->next)
		c->fn(c->p);
}

void arena_reset(struct arena *a)
{
	if (a == NULL)
		return;
	run_cleanups(a);
	while (a->head->next != NULL) {
		struct block *b = a->head;

		a->head = b->next;
		block_free(b);
	}
	a->head->used = 0;
	POISON(a->head->data, a->head->size);
	a->total = 0;
}

void arena_free(struct arena *a)
{
	if (a == NULL)
		return;
	arena_reset(a);
	block_free(a->head);
	free(a);
}

void *arena_alloc(struct arena *a, size_t n)
{
	struct block *b = a->head;
	size_t off = (b->used + ALIGN - 1) & ~(ALIGN - 1);

	if (n == 0)
		n = 1;
	if (off > b->size || n > b->size - off) {
		/* Big requests get their own block, so they do not waste the
		 * rest of a standard one. */
		size_t size = n > 4096 ? n : 4096;
		struct block *nb = block_new(size);

		if (nb == NULL)
			return NULL;
		nb->next = a->head;
		a->head = nb;
		b = nb;
		off = 0;
	}
	/* used may pass size by the red zone: the next call then takes a
	 * new block, as off > size. */
	b->used = off + n + REDZONE;
	a->total += n;
	UNPOISON(b->data + off, n);
	return b->data + off;
}

void *arena_calloc(struct arena *a, size_t n)
{
	void *p = arena_alloc(a, n);

	if (p != NULL)
		memset(p, 0, n);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p;

	if (n == SIZE_MAX)
		return NULL;
	p = arena_alloc(a, n + 1);
	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

static char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;
	char *p;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return NULL;
	p = arena_alloc(a, (size_t)n + 1);
	if (p == NULL)
		return NULL;
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = arena_vprintf(a, fmt, ap);
	va_end(ap);
	return p;
}

int arena_defer(struct arena *a, void (*fn)(void *), void *p)
{
	struct cleanup *c = arena_alloc(a, sizeof(*c));

	if (c == NULL) {
		fn(p);
		return -1;
	}
	c->fn = fn;
	c->p = p;
	c->next = a->cleanups;
	a->cleanups = c;
	return 0;
}

size_t arena_used(const struct arena *a)
{
	return a->total;
}
