/*
 * valid: predicates for user-supplied text. All take (ptr, len) and never
 * read outside it; none allocates.
 */
#ifndef BOXOFFICE_VALID_H
#define BOXOFFICE_VALID_H

#include <stdbool.h>
#include <stddef.h>

enum valid_text {
	VALID_OK,
	VALID_EMPTY,		/* nothing but white space */
	VALID_TOO_LONG,		/* more than max code points */
	VALID_BAD		/* not UTF-8, or control characters */
};

/*
 * Check text of at most max code points, well-formed UTF-8, without
 * control characters (newlines and tabs allowed only if multiline).
 * start and n receive the text without surrounding white space.
 */
enum valid_text valid_text(const char *s, size_t len, size_t max,
			   bool multiline, const char **start, size_t *n);

/*
 * The one email address syntax: ASCII, a dot-atom local part of 1-64
 * atext/dot characters (no leading, trailing or double dots), '@', and a
 * host name of 1-253 bytes in LDH labels of 1-63 (no leading or trailing
 * '-'). Anything looser would have to be quoted in headers and in the
 * SMTP envelope. lib/mime accepts exactly these.
 */
bool valid_address(const char *s, size_t len);

/* An RFC 5322 atext character (what a dot-atom is made of, dots apart). */
bool valid_atext(unsigned char c);

/*
 * A visitor's email address: valid_address(), at most 254 bytes, and a
 * domain of at least two labels.
 */
#define VALID_EMAIL_MAX 254
bool valid_email(const char *s, size_t len);

/* A phone number: 3-40 of digits, spaces and + ( ) - . / */
bool valid_phone(const char *s, size_t len);

#endif
