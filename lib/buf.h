/*
 * buf: a growable byte string in an arena, plus small bounded string
 * helpers. Appends never fail loudly: on out-of-memory the buffer turns
 * `failed` and ignores further appends, and the writer checks once at the
 * end (like a stream's error flag).
 */
#ifndef BOXOFFICE_BUF_H
#define BOXOFFICE_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;

struct buf {
	struct arena *arena;
	char *data;		/* always NUL-terminated when not failed */
	size_t len;
	size_t cap;
	bool failed;
};

void buf_init(struct buf *b, struct arena *a, size_t cap);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Parse a whole decimal integer in [min, max]: no sign other than a
 * leading '-', no spaces, no trailing bytes. false when it is not one.
 */
bool str_to_i64(const char *s, size_t len, int64_t min, int64_t max,
		int64_t *out);

/* true when s[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
bool str_utf8_valid(const char *s, size_t len);

/* Number of code points in well-formed UTF-8 s[0..len). */
size_t str_utf8_len(const char *s, size_t len);

#endif
