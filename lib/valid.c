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

bool valid_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static bool is_ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-';
}

/*
 * A dot-atom local part and a host name. Anything looser would have to be
 * quoted in headers and in the SMTP envelope, and libesmtp pastes the
 * envelope addresses into "MAIL FROM:<%s>" as they are.
 */
bool valid_address(const char *s, size_t n)
{
	const char *at = memchr(s, '@', n);
	size_t local, label = 0;

	if (at == NULL)
		return false;
	local = (size_t)(at - s);
	if (local == 0 || local > 64 || n - local - 1 == 0 ||
	    n - local - 1 > 253)
		return false;
	for (size_t i = 0; i < local; i++) {
		if (s[i] == '.') {
			if (i == 0 || i == local - 1 || s[i - 1] == '.')
				return false;
		} else if (!valid_atext((unsigned char)s[i])) {
			return false;
		}
	}
	for (size_t i = local + 1; i < n; i++) {
		if (s[i] == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
		} else if (is_ldh((unsigned char)s[i])) {
			if (s[i] == '-' && label == 0)
				return false;
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0 && s[n - 1] != '-';
}

bool valid_email(const char *s, size_t len)
{
	const char *at = memchr(s, '@', len);

	/* What a visitor may give: an address mail can carry, whose domain
	 * has a dot ("a@localhost" is not one to send a ticket to). */
	return len <= VALID_EMAIL_MAX && valid_address(s, len) &&
	       memchr(at + 1, '.', len - (size_t)(at - s) - 1) != NULL;
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
