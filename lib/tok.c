/*
 * tok: random tokens, their stored hashes, ticket derivation and the
 * parsing of what a door scanner reads, over libsodium.
 */
#include "tok.h"

#include <sodium.h>
#include <string.h>

#define TOK_BYTES 32

/* Changing this string changes every ticket token ever issued. */
static const char TICKET_DOMAIN[] = "boxoffice ticket token v1";

static int b64url_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/*
 * Decode a valid token into its 32 bytes. The explicit checks come first
 * so validity does not hang on how lenient a libsodium version is about
 * stray characters or non-zero trailing bits.
 */
static bool decode(const char *s, size_t len, unsigned char bin[TOK_BYTES])
{
	const char *end = NULL;
	size_t n = 0;

	if (s == NULL || len != TOK_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (b64url_value(s[i]) < 0)
			return false;
	/* 43 characters carry 258 bits for 256: the last one's low two bits
	 * are padding and must be zero. */
	if ((b64url_value(s[len - 1]) & 3) != 0)
		return false;
	if (sodium_base642bin(bin, TOK_BYTES, s, len, NULL, &n, &end,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    n != TOK_BYTES || end != s + len) {
		sodium_memzero(bin, TOK_BYTES);
		return false;
	}
	return true;
}

static int encode(const unsigned char bin[TOK_BYTES], char out[TOK_LEN + 1])
{
	if (sodium_bin2base64(out, TOK_LEN + 1, bin, TOK_BYTES,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) == NULL)
		return -1;
	return 0;
}

/* A NUL-terminated token's length, without reading far past a long one. */
static size_t toklen(const char *s)
{
	return s == NULL ? 0 : strnlen(s, TOK_LEN + 1);
}

int tok_new(char out[TOK_LEN + 1])
{
	unsigned char bin[TOK_BYTES];
	int rc;

	randombytes_buf(bin, sizeof(bin));
	rc = encode(bin, out);
	sodium_memzero(bin, sizeof(bin));
	return rc;
}

bool tok_valid(const char *s, size_t len)
{
	unsigned char bin[TOK_BYTES];
	bool ok = decode(s, len, bin);

	sodium_memzero(bin, sizeof(bin));
	return ok;
}

int tok_derive_ticket(const char *confirm, char out[TOK_LEN + 1])
{
	unsigned char key[crypto_generichash_BYTES];
	unsigned char in[TOK_BYTES], ticket[TOK_BYTES];
	int rc = -1;

	if (!decode(confirm, toklen(confirm), in))
		return -1;
	/* Hashing the domain string into a key of the recommended size is
	 * cheap enough to do per call and keeps this free of shared state. */
	if (crypto_generichash(key, sizeof(key),
			       (const unsigned char *)TICKET_DOMAIN,
			       sizeof(TICKET_DOMAIN) - 1, NULL, 0) != 0)
		goto out;
	if (crypto_generichash(ticket, sizeof(ticket), in, sizeof(in), key,
			       sizeof(key)) != 0)
		goto out;
	rc = encode(ticket, out);
out:
	sodium_memzero(in, sizeof(in));
	sodium_memzero(ticket, sizeof(ticket));
	return rc;
}

int tok_hash_hex(const char *tok, char out[TOK_HASH_HEX_LEN + 1])
{
	unsigned char bin[TOK_BYTES], hash[crypto_generichash_BYTES];
	int rc = -1;

	if (!decode(tok, toklen(tok), bin))
		return -1;
	if (crypto_generichash(hash, sizeof(hash), bin, sizeof(bin), NULL, 0) !=
	    0)
		goto out;
	out[0] = '\\';
	out[1] = 'x';
	sodium_bin2hex(out + 2, TOK_HASH_HEX_LEN - 1, hash, sizeof(hash));
	rc = 0;
out:
	sodium_memzero(bin, sizeof(bin));
	return rc;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

static bool has_prefix_ci(const char *p, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	if (n < k)
		return false;
	for (size_t i = 0; i < k; i++) {
		char c = p[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != prefix[i])
			return false;
	}
	return true;
}

/* p[0..n) is everything before the token in a scanned URL. */
static bool url_prefix_ok(const char *p, size_t n)
{
	size_t k;

	if (n < 3 || memcmp(p + n - 3, "/t/", 3) != 0)
		return false;
	n -= 3;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f)
			return false;
	if (n == 0)
		return true;
	if (has_prefix_ci(p, n, "https://"))
		k = 8;
	else if (has_prefix_ci(p, n, "http://"))
		k = 7;
	else
		return false;
	/* A host must follow the scheme, whatever it is. */
	return n > k && p[k] != '/';
}

int tok_from_scan(const char *s, size_t len, char out[TOK_LEN + 1])
{
	size_t b = 0, e = len;
	const char *tok;

	if (s == NULL || len > TOK_SCAN_MAX)
		return -1;
	while (b < e && is_space(s[b]))
		b++;
	while (e > b && is_space(s[e - 1]))
		e--;
	if (e - b < TOK_LEN)
		return -1;
	tok = s + e - TOK_LEN;
	if (!tok_valid(tok, TOK_LEN))
		return -1;
	if (e - b > TOK_LEN && !url_prefix_ok(s + b, e - b - TOK_LEN))
		return -1;
	memcpy(out, tok, TOK_LEN);
	out[TOK_LEN] = '\0';
	return 0;
}

bool tok_equal(const char *a, const char *b)
{
	size_t n;

	if (a == NULL || b == NULL)
		return false;
	n = strlen(a);
	if (strlen(b) != n)
		return false;
	return sodium_memcmp(a, b, n) == 0;
}
