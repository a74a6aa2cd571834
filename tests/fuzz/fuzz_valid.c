/*
 * fuzz_valid: the input predicates of lib/valid and lib/buf against
 * reference checks written another way (Unicode's table of well-formed
 * UTF-8, a POSIX regular expression for email, strtoll for integers).
 *
 * Input: two control bytes, then the text.
 *	byte 0: bits 0-2 pick min, bits 3-5 max of str_to_i64; bit 6 is
 *	        valid_text's multiline
 *	byte 1: bits 0-2 pick valid_text's max code points
 */
#include "fuzz.h"

#include "../../lib/buf.h"
#include "../../lib/valid.h"

#include <errno.h>
#include <regex.h>
#include <stdbool.h>

static regex_t email_re;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* RFC 5321 dot-atom local part @ at least two LDH labels. */
	if (regcomp(&email_re,
		    "^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
		    "(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
		    "@([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\\.)+"
		    "[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$",
		    REG_EXTENDED | REG_NOSUB) != 0)
		abort();
	return 0;
}

/* Unicode 15, table 3-7: the well-formed byte sequences. */
static size_t ref_utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	unsigned char lo = 0x80, hi = 0xBF;
	size_t len;

	if (c <= 0x7F)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4;
	else
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t k = 2; k < len; k++)
		if (p[k] < 0x80 || p[k] > 0xBF)
			return 0;
	return len;
}

/* Code points of s[0..n), or -1 when it is not well-formed UTF-8. */
static long ref_utf8(const char *s, size_t n, uint32_t *cps)
{
	const unsigned char *p = (const unsigned char *)s;
	long count = 0;

	for (size_t i = 0; i < n;) {
		size_t len = ref_utf8_seq(p + i, n - i);
		uint32_t cp;

		if (len == 0)
			return -1;
		cp = len == 1 ? p[i] : (uint32_t)(p[i] & (0x7F >> len));
		for (size_t k = 1; k < len; k++)
			cp = cp << 6 | (p[i + k] & 0x3F);
		if (cps != NULL)
			cps[count] = cp;
		count++;
		i += len;
	}
	return count;
}

static bool ref_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static enum valid_text ref_text(const char *s, size_t len, size_t max,
				bool multiline, size_t *b, size_t *e)
{
	uint32_t *cps = malloc((len + 1) * sizeof(*cps));
	long n = ref_utf8(s, len, cps);
	enum valid_text r = VALID_OK;

	if (n < 0)
		r = VALID_BAD;
	for (long i = 0; r == VALID_OK && i < n; i++) {
		uint32_t c = cps[i];
		bool ws = c == '\n' || c == '\t' || c == '\r';

		if ((c < 0x20 && !(multiline && ws)) ||
		    (c >= 0x7F && c <= 0x9F))
			r = VALID_BAD;
	}
	free(cps);
	if (r != VALID_OK)
		return r;
	*b = 0;
	*e = len;
	while (*b < *e && ref_space(s[*b]))
		(*b)++;
	while (*e > *b && ref_space(s[*e - 1]))
		(*e)--;
	if (*b == *e)
		return VALID_EMPTY;
	if ((size_t)ref_utf8(s + *b, *e - *b, NULL) > max)
		return VALID_TOO_LONG;
	return VALID_OK;
}

static bool ref_email(const char *s, size_t len)
{
	const char *at, *label;
	char *z;
	bool ok;

	if (len > 254 || memchr(s, '\0', len) != NULL)
		return false;
	at = memchr(s, '@', len);
	if (at == NULL || at - s > 64)
		return false;
	label = at + 1;
	for (const char *p = label; p <= s + len; p++) {
		if (p == s + len || *p == '.') {
			if (p - label > 63)
				return false;
			label = p + 1;
		}
	}
	z = strndup(s, len);
	ok = regexec(&email_re, z, 0, NULL, 0) == 0;
	free(z);
	return ok;
}

static bool ref_phone(const char *s, size_t len)
{
	size_t digits = 0;

	if (len < 3 || len > 40)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (memchr(" +()-./", s[i], 7) == NULL)
			return false;
	}
	return digits >= 3;
}

/* str_to_i64 takes at most 19 digits (leading zeros count). */
static bool ref_i64(const char *s, size_t len, int64_t min, int64_t max,
		    int64_t *out)
{
	size_t i = len > 0 && s[0] == '-' ? 1 : 0;
	long long v;
	char *z, *end;

	if (len - i == 0 || len - i > 19)
		return false;
	for (size_t k = i; k < len; k++)
		if (s[k] < '0' || s[k] > '9')
			return false;
	z = strndup(s, len);
	errno = 0;
	v = strtoll(z, &end, 10);
	FUZZ_CHECK(*end == '\0');
	free(z);
	if (errno == ERANGE || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static const int64_t bounds[8] = {INT64_MIN, -1000, -1, 0, 1, 100, 65535,
				  INT64_MAX};
static const size_t maxes[8] = {0, 1, 2, 7, 40, 120, 254, 1000};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data + 2, *start = NULL;
	size_t len, n = 0, b = 0, e = 0;
	int64_t min, max, got = 0, want = 0;
	bool multiline;
	size_t maxcp;
	enum valid_text vt, rt;
	long cps;

	if (size < 2)
		return 0;
	len = size - 2;
	min = bounds[data[0] & 7];
	max = bounds[(data[0] >> 3) & 7];
	multiline = (data[0] & 0x40) != 0;
	maxcp = maxes[data[1] & 7];

	cps = ref_utf8(s, len, NULL);
	FUZZ_CHECK(str_utf8_valid(s, len) == (cps >= 0));
	if (cps >= 0)
		FUZZ_CHECK(str_utf8_len(s, len) == (size_t)cps);

	vt = valid_text(s, len, maxcp, multiline, &start, &n);
	rt = ref_text(s, len, maxcp, multiline, &b, &e);
	FUZZ_CHECK(vt == rt);
	if (vt != VALID_BAD)
		FUZZ_CHECK(start == s + b && n == e - b);

	FUZZ_CHECK(valid_email(s, len) == ref_email(s, len));
	FUZZ_CHECK(valid_phone(s, len) == ref_phone(s, len));

	{
		bool ok = str_to_i64(s, len, min, max, &got);

		FUZZ_CHECK(ok == ref_i64(s, len, min, max, &want));
		if (ok)
			FUZZ_CHECK(got == want && got >= min && got <= max);
	}
	return 0;
}
