/*
 * valid: input predicates.
 */
#include "valid.h"

#include "buf.h"

#include <string.h>

static bool space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

enum valid_text valid_text(const char *s, size_t len, size_t max,
			   bool multiline, const char **start, size_t *n)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!str_utf8_valid(s, len))
		return VALID_BAD;
	for (size_t i = 0; i < len; i++) {
		if (p[i] == 0x7F)
			return VALID_BAD;
		if (p[i] < 0x20 &&
		    !(multiline && (p[i] == '\n' || p[i] == '\t' ||
				    p[i] == '\r')))
			return VALID_BAD;
		/* C1 controls, U+0080..U+009F, encoded as C2 80..C2 9F. */
		if (p[i] == 0xC2 && i + 1 < len && p[i + 1] < 0xA0)
			return VALID_BAD;
	}
	while (len > 0 && space(*s)) {
		s++;
		len--;
	}
	while (len > 0 && space(s[len - 1]))
		len--;
	*start = s;
	*n = len;
	if (len == 0)
		return VALID_EMPTY;
	if (str_utf8_len(s, len) > max)
		return VALID_TOO_LONG;
	return VALID_OK;
}

static bool atext(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || strchr("!#$%&'*+-/=?^_`{|}~", c);
}

bool valid_email(const char *s, size_t len)
{
	const char *at = memchr(s, '@', len);
	size_t local, label = 0, labels = 0;

	if (len > VALID_EMAIL_MAX || at == NULL || memchr(s, '\0', len) != NULL)
		return false;
	local = (size_t)(at - s);
	if (local == 0 || local > 64 || s[0] == '.' || s[local - 1] == '.')
		return false;
	for (size_t i = 0; i < local; i++) {
		if (s[i] == '.' && s[i + 1] == '.')
			return false;
		if (s[i] != '.' && !atext(s[i]))
			return false;
	}
	for (size_t i = local + 1; i <= len; i++) {
		char c = '.';	/* the end closes the last label */

		if (i < len)
			c = s[i];

		if (c == '.') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return false;
			labels++;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || c == '-') {
			if (label == 0 && c == '-')
				return false;
			label++;
		} else {
			return false;
		}
	}
	return labels >= 2;
}

bool valid_phone(const char *s, size_t len)
{
	size_t digits = 0;

	if (len < 3 || len > 40)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (!strchr(" +()-./", s[i]) || s[i] == '\0')
			return false;
	}
	return digits >= 3;
}
