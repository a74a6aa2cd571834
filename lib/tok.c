/*
 * tok: random tokens, their stored hashes, ticket derivation and the
 * parsing of what a door scanner reads, over libsodium.
 */
#include "tok.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

/* ---- sealed tokens -------------------------------------------------- */

static unsigned char seal_key[crypto_secretbox_KEYBYTES];
static bool seal_loaded;

static int read_key(const char *path, unsigned char key[crypto_secretbox_KEYBYTES])
{
	unsigned char extra;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, key, crypto_secretbox_KEYBYTES);
	/* Exactly the key and nothing after it. */
	if (n != (ssize_t)crypto_secretbox_KEYBYTES || read(fd, &extra, 1) != 0) {
		(void)close(fd);
		return -1;
	}
	return close(fd);
}

/* A new key file at path, written whole under a temporary name and then
 * linked into place, so a process never reads half a key; when another
 * process linked first, its key stands. 0 (created or already there), or
 * -1. */
static int create_key(const char *path)
{
	unsigned char key[crypto_secretbox_KEYBYTES];
	char tmp[4096];
	int fd, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid()) >=
	    (int)sizeof(tmp))
		return -1;
	crypto_secretbox_keygen(key);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (write(fd, key, sizeof(key)) != (ssize_t)sizeof(key) ||
	    fsync(fd) != 0)
		rc = -1;
	if (close(fd) != 0)
		rc = -1;
	sodium_memzero(key, sizeof(key));
	if (rc == 0 && link(tmp, path) != 0 && errno != EEXIST)
		rc = -1;
	(void)unlink(tmp);
	return rc;
}

int tok_seal_load(const char *path, char *err, size_t errlen)
{
	if (path == NULL || *path == '\0') {
		snprintf(err, errlen, "no key file");
		return -1;
	}
	if (access(path, F_OK) != 0 && create_key(path) < 0) {
		snprintf(err, errlen, "cannot create the key file %s: %s", path,
			 strerror(errno));
		return -1;
	}
	if (read_key(path, seal_key) < 0) {
		snprintf(err, errlen, "the key file %s is not a 32-byte key",
			 path);
		return -1;
	}
	seal_loaded = true;
	return 0;
}

bool tok_seal_ready(void)
{
	return seal_loaded;
}

int tok_seal(const char *tok, char out[TOK_BOX_HEX_LEN + 1])
{
	unsigned char bin[TOK_BYTES];
	unsigned char box[crypto_secretbox_NONCEBYTES +
			  crypto_secretbox_MACBYTES + TOK_BYTES];

	if (!seal_loaded || tok == NULL || !decode(tok, strlen(tok), bin))
		return -1;
	randombytes_buf(box, crypto_secretbox_NONCEBYTES);
	if (crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, bin,
				  TOK_BYTES, box, seal_key) != 0) {
		sodium_memzero(bin, sizeof(bin));
		return -1;
	}
	sodium_memzero(bin, sizeof(bin));
	out[0] = '\\';
	out[1] = 'x';
	sodium_bin2hex(out + 2, TOK_BOX_HEX_LEN - 1, box, sizeof(box));
	return 0;
}

int tok_unseal(const char *box_hex, char out[TOK_LEN + 1])
{
	unsigned char bin[TOK_BYTES];
	unsigned char box[crypto_secretbox_NONCEBYTES +
			  crypto_secretbox_MACBYTES + TOK_BYTES];
	size_t n = 0;
	int rc;

	if (!seal_loaded || box_hex == NULL || strlen(box_hex) != TOK_BOX_HEX_LEN ||
	    box_hex[0] != '\\' || box_hex[1] != 'x' ||
	    sodium_hex2bin(box, sizeof(box), box_hex + 2, TOK_BOX_HEX_LEN - 2,
			   NULL, &n, NULL) != 0 ||
	    n != sizeof(box))
		return -1;
	if (crypto_secretbox_open_easy(bin, box + crypto_secretbox_NONCEBYTES,
				       sizeof(box) - crypto_secretbox_NONCEBYTES,
				       box, seal_key) != 0)
		return -1;
	rc = encode(bin, out);
	sodium_memzero(bin, sizeof(bin));
	return rc;
}
