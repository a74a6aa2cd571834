/*
 * tok: bearer tokens (confirm links, tickets, sessions, CSRF).
 *
 * A token is 32 random bytes from libsodium written as base64url without
 * padding: 43 characters, safe in URLs, paths and JSON without escaping.
 * The database only ever stores a BLAKE2b-256 hash of a token, so a leaked
 * table reveals no usable token.
 *
 * A reservation has two: the confirm token (in the email link) and the
 * ticket token (in the QR). The ticket token is derived from the confirm
 * token with a keyed hash, so confirming twice hands out the same ticket
 * without storing it, and a ticket seen at the door does not give away the
 * confirm token (which can cancel the booking).
 *
 * All functions are thread-safe; sodium_init() must have been called.
 */
#ifndef BOXOFFICE_TOK_H
#define BOXOFFICE_TOK_H

#include <stdbool.h>
#include <stddef.h>

#define TOK_LEN		 43   /* characters, without the NUL */
#define TOK_HASH_HEX_LEN 66   /* "\\x" + 64 hex digits, without the NUL */
#define TOK_SCAN_MAX	 1024 /* longest input tok_from_scan() looks at */

/*
 * A fresh random token, NUL-terminated, in out. Also the one to use for
 * session ids and CSRF tokens. Returns 0, or -1 if libsodium fails.
 */
int tok_new(char out[TOK_LEN + 1]);

/*
 * true when s[0..len) is exactly TOK_LEN base64url characters that decode
 * to 32 bytes, with the unused low bits of the last character zero (so
 * each 32 bytes have exactly one spelling and one hash).
 */
bool tok_valid(const char *s, size_t len);

/*
 * The ticket token belonging to the NUL-terminated confirm token: keyed
 * BLAKE2b-256 of its 32 bytes under a fixed domain-separation key. The same
 * confirm token always gives the same ticket token. Returns 0, or -1 when
 * confirm is not a valid token.
 */
int tok_derive_ticket(const char *confirm, char out[TOK_LEN + 1]);

/*
 * The value to store or look up for the NUL-terminated token tok:
 * BLAKE2b-256 over its 32 decoded bytes, written as "\x" and 64 lower-case
 * hex digits, a bytea literal PostgreSQL accepts as a text parameter.
 * Returns 0, or -1 when tok is not a valid token.
 */
int tok_hash_hex(const char *tok, char out[TOK_HASH_HEX_LEN + 1]);

/*
 * The ticket token in what a door scanner (or a person typing) sent:
 * s[0..len) with surrounding ASCII whitespace trimmed must be either a bare
 * token, or a URL ending in "/t/<token>" with nothing after it — no query,
 * fragment or trailing slash, since the QR codes we print carry none. A URL
 * is "/t/<token>" alone or starts with http:// or https:// and holds only
 * printable ASCII; its host is not checked (the token is the credential).
 * Input longer than TOK_SCAN_MAX is refused. Writes the token, NUL-
 * terminated, to out and returns 0, or returns -1.
 */
int tok_from_scan(const char *s, size_t len, char out[TOK_LEN + 1]);

/*
 * Constant-time comparison of two NUL-terminated strings (the time depends
 * on their lengths only). false when the lengths differ or either is NULL.
 */
bool tok_equal(const char *a, const char *b);

/*
 * Sealed tokens: a confirm token kept recoverable for the messages that
 * need a reservation's links later (a reminder, "send me my bookings"),
 * encrypted with libsodium's secretbox under a key that never enters the
 * database. A sealed token is "\\x" and the hex of a fresh 24-byte nonce
 * followed by the ciphertext (16 + 32 bytes): a bytea literal, like the
 * hashes.
 */
#define TOK_BOX_HEX_LEN (2 + 2 * (24 + 16 + 32))

/*
 * Use the 32-byte key in the file at path, creating it (random, mode
 * 0600) when it does not exist; several processes starting at once agree
 * on one key. Call once, before any thread seals. 0, or -1 with a reason
 * in err (the key is never in it).
 */
int tok_seal_load(const char *path, char *err, size_t errlen);

/* true once tok_seal_load succeeded. */
bool tok_seal_ready(void);

/* Seal the NUL-terminated token tok: 0, or -1 (no key, invalid token). */
int tok_seal(const char *tok, char out[TOK_BOX_HEX_LEN + 1]);

/* The token sealed in the bytea literal box_hex: 0, or -1 (no key, not
 * sealed under it, malformed). */
int tok_unseal(const char *box_hex, char out[TOK_LEN + 1]);

#endif
