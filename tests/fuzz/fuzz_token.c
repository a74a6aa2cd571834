/*
 * fuzz_token: lib/tok on arbitrary input. Validity is checked against
 * libsodium's own base64 decoder (a valid token is exactly the canonical
 * spelling of 32 bytes), the scanner against a regular expression of what
 * the door accepts, and the hashes against a direct BLAKE2b.
 *
 * Input: the bytes as they are (a token, a URL, anything).
 */
#include "fuzz.h"

#include "../../lib/tok.h"

#include <regex.h>
#include <sodium.h>
#include <stdbool.h>

static regex_t scan_re;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	/* A bare token, "/t/<token>", or an http(s) URL with a host ending
	 * in it: printable ASCII only. The last character's low two bits are
	 * padding and must be zero. */
	if (regcomp(&scan_re,
		    "^(/t/|[Hh][Tt][Tt][Pp][Ss]?://[!-.0-~][!-~]*/t/)?"
		    "[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$",
		    REG_EXTENDED | REG_NOSUB) != 0)
		abort();
	return 0;
}

/* The token spelling of s[0..len) is canonical 32 bytes. */
static bool ref_valid(const char *s, size_t len, unsigned char bin[32])
{
	char again[TOK_LEN + 1];
	size_t n = 0;

	if (len != TOK_LEN || memchr(s, '\0', len) != NULL)
		return false;
	if (sodium_base642bin(bin, 32, s, len, NULL, &n, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    n != 32)
		return false;
	sodium_bin2base64(again, sizeof(again), bin, 32,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return memcmp(again, s, TOK_LEN) == 0;
}

static bool is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static bool ref_scan(const char *s, size_t len, const char **tok)
{
	size_t b = 0, e = len;
	char *z;
	bool ok;

	if (len > TOK_SCAN_MAX)
		return false;
	while (b < e && is_space(s[b]))
		b++;
	while (e > b && is_space(s[e - 1]))
		e--;
	if (memchr(s + b, '\0', e - b) != NULL)
		return false;
	z = strndup(s + b, e - b);
	ok = regexec(&scan_re, z, 0, NULL, 0) == 0;
	free(z);
	if (ok)
		*tok = s + e - TOK_LEN;
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char *z = strndup(s, size);	/* up to the first NUL */
	size_t zlen = strlen(z);
	unsigned char bin[32];
	char out[TOK_LEN + 1], out2[TOK_LEN + 1];
	char hex[TOK_HASH_HEX_LEN + 1];
	const char *want = NULL;
	bool valid = ref_valid(z, zlen, bin);

	FUZZ_CHECK(tok_valid(s, size) == ref_valid(s, size, bin));
	FUZZ_CHECK(tok_valid(z, zlen) == valid);
	if (valid)
		ref_valid(z, zlen, bin);

	memset(hex, 'X', sizeof(hex));
	FUZZ_CHECK((tok_hash_hex(z, hex) == 0) == valid);
	if (valid) {
		unsigned char h[32];
		char want_hex[65];

		crypto_generichash(h, sizeof(h), bin, sizeof(bin), NULL, 0);
		sodium_bin2hex(want_hex, sizeof(want_hex), h, sizeof(h));
		FUZZ_CHECK(hex[0] == '\\' && hex[1] == 'x');
		FUZZ_CHECK(memcmp(hex + 2, want_hex, 65) == 0);
	}

	FUZZ_CHECK((tok_derive_ticket(z, out) == 0) == valid);
	if (valid) {
		FUZZ_CHECK(tok_valid(out, strlen(out)));
		FUZZ_CHECK(strcmp(out, z) != 0);
		FUZZ_CHECK(tok_derive_ticket(z, out2) == 0);
		FUZZ_CHECK(strcmp(out, out2) == 0);
	}

	memset(out, 'X', sizeof(out));
	if (tok_from_scan(s, size, out) == 0) {
		FUZZ_CHECK(ref_scan(s, size, &want));
		FUZZ_CHECK(out[TOK_LEN] == '\0' &&
			   memcmp(out, want, TOK_LEN) == 0);
		FUZZ_CHECK(tok_valid(out, TOK_LEN));
	} else {
		FUZZ_CHECK(!ref_scan(s, size, &want));
	}
	FUZZ_CHECK(tok_from_scan(NULL, size, out) < 0);

	FUZZ_CHECK(tok_equal(z, z));
	FUZZ_CHECK(!tok_equal(z, NULL) && !tok_equal(NULL, z));
	{
		size_t half = zlen / 2;
		char *a = strndup(z, half), *b = strdup(z + half);

		FUZZ_CHECK(tok_equal(a, b) == (strcmp(a, b) == 0));
		free(a);
		free(b);
	}
	free(z);
	return 0;
}
