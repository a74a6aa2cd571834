/* tok: format, validity, hashes, ticket derivation, scanner input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../lib/tok.h"

/* The tokens of the bytes 0..31 and of 32 zero bytes; the expected hashes
 * and tickets were computed independently (Python hashlib.blake2b). */
#define V42 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh"
#define V V42 "8"
#define Z "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

static const struct {
	const char *tok, *hash, *ticket, *ticket_hash;
} known[] = {
	{Z,
	 "\\x89eb0d6a8a691dae2cd15ed0369931ce0a949ecafa5c3f93f8121833646e15c3",
	 "YS5ylqIojhX1jBVvzwsBGfBEPLQ7wXzsyirqyT6JfT4",
	 "\\xccd3d2f6d5a392e0d263acf3a79a52185bbb387d5de8d2b8eb42f0aee6c444ad"},
	{V,
	 "\\xcb2f5160fc1f7e05a55ef49d340b48da2e5a78099d53393351cd579dd42503d6",
	 "6EPR69UgJFYRAv9TldNyEpruf12ZZwThjr6zw8KTqrs",
	 "\\x141a982e7d1fb882c1ac4f238bf4cc20fd4593b02f4c8bc549be772b8192618a"},
};

static int setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : 0;
}

static void test_new(void **state)
{
	(void)state;
	char a[TOK_LEN + 1], b[TOK_LEN + 1];

	assert_int_equal(tok_new(a), 0);
	assert_int_equal(tok_new(b), 0);
	assert_int_equal(strlen(a), TOK_LEN);
	assert_true(tok_valid(a, strlen(a)));
	assert_string_not_equal(a, b);
	/* Every random token, whatever its last byte, must be one that
	 * tok_valid accepts. */
	for (int i = 0; i < 2000; i++) {
		assert_int_equal(tok_new(a), 0);
		if (strlen(a) != TOK_LEN || !tok_valid(a, TOK_LEN))
			fail_msg("iteration %d: \"%s\"", i, a);
	}
}

static void test_valid(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		bool ok;
	} cases[] = {
		{V, true},
		{Z, true},
		{V42 "E", true},	/* 4: low bits zero */
		{V42 "w", true},	/* 48 */
		{"", false},
		{V42, false},		/* 42 characters */
		{V "A", false},		/* 44 characters */
		{Z Z, false},
		{"+" V42, false},
		{"/" V42, false},
		{V42 "+", false},
		{V42 "=", false},
		{V42 "8=", false},
		{" " V42, false},
		{V42 " ", false},
		{"AAECAwQFBgcICQoLDA0OD REhMUFRYXGBkaGxwdHh8", false},
		{"AAECAwQFBgcICQoLDA0OD.REhMUFRYXGBkaGxwdHh8", false},
		{V42 "9", false},	/* 61: low bits 01 */
		{V42 "-", false},	/* 62 */
		{V42 "_", false},	/* 63 */
		{V42 "B", false},	/* 1 */
		{V42 "\xc3", false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (tok_valid(cases[i].s, strlen(cases[i].s)) != cases[i].ok)
			fail_msg("case %zu: \"%s\"", i, cases[i].s);

	/* An embedded NUL, and a length that disagrees with the string. */
	assert_false(tok_valid(V42 "\0", TOK_LEN));
	assert_false(tok_valid(V, TOK_LEN - 1));
	assert_false(tok_valid(NULL, TOK_LEN));
}

static void test_hash_hex(void **state)
{
	(void)state;
	char h1[TOK_HASH_HEX_LEN + 1], h2[TOK_HASH_HEX_LEN + 1];
	char t[TOK_LEN + 1];

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		assert_int_equal(tok_hash_hex(known[i].tok, h1), 0);
		assert_string_equal(h1, known[i].hash);
	}

	assert_int_equal(tok_new(t), 0);
	assert_int_equal(tok_hash_hex(t, h1), 0);
	assert_int_equal(strlen(h1), TOK_HASH_HEX_LEN);
	assert_memory_equal(h1, "\\x", 2);
	for (size_t i = 2; i < TOK_HASH_HEX_LEN; i++)
		if (strchr("0123456789abcdef", h1[i]) == NULL)
			fail_msg("not lower-case hex at %zu: \"%s\"", i, h1);
	assert_int_equal(tok_hash_hex(t, h2), 0);
	assert_string_equal(h1, h2);
	assert_int_equal(tok_hash_hex(V, h2), 0);
	assert_string_not_equal(h1, h2);

	assert_int_equal(tok_hash_hex(V42, h1), -1);
	assert_int_equal(tok_hash_hex(V "A", h1), -1);
	assert_int_equal(tok_hash_hex(V42 "9", h1), -1);
	assert_int_equal(tok_hash_hex("", h1), -1);
	assert_int_equal(tok_hash_hex(NULL, h1), -1);
}

static void test_derive_ticket(void **state)
{
	(void)state;
	char c[TOK_LEN + 1], t1[TOK_LEN + 1], t2[TOK_LEN + 1];
	char h[TOK_HASH_HEX_LEN + 1];

	/* Pinned: changing the derivation orphans every ticket issued. */
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		assert_int_equal(tok_derive_ticket(known[i].tok, t1), 0);
		assert_string_equal(t1, known[i].ticket);
		assert_int_equal(tok_hash_hex(t1, h), 0);
		assert_string_equal(h, known[i].ticket_hash);
	}

	assert_int_equal(tok_new(c), 0);
	assert_int_equal(tok_derive_ticket(c, t1), 0);
	assert_int_equal(tok_derive_ticket(c, t2), 0);
	assert_string_equal(t1, t2);
	assert_string_not_equal(t1, c);
	assert_true(tok_valid(t1, strlen(t1)));
	assert_int_equal(tok_derive_ticket(t1, t2), 0);
	assert_string_not_equal(t2, c);
	assert_string_not_equal(t2, t1);

	assert_int_equal(tok_derive_ticket(V42, t1), -1);
	assert_int_equal(tok_derive_ticket(V "A", t1), -1);
	assert_int_equal(tok_derive_ticket("+" V42, t1), -1);
	assert_int_equal(tok_derive_ticket("", t1), -1);
	assert_int_equal(tok_derive_ticket(NULL, t1), -1);
}

static void test_from_scan(void **state)
{
	(void)state;
	/* want NULL: refused. A query, fragment or trailing slash is refused
	 * rather than stripped: our QR codes never carry one, so such input
	 * is not one of our tickets. */
	static const struct {
		const char *in, *want;
	} cases[] = {
		{V, V},
		{"  " V "\n", V},
		{"\t" V "\r\n", V},
		{"https://x.example/t/" V, V},
		{"http://127.0.0.1:8080/t/" V, V},
		{"HTTPS://X.EXAMPLE/t/" V, V},
		{"https://x.example/theatre/t/" V, V},
		{" https://x.example/t/" V " \r\n", V},
		{"/t/" V, V},
		{V "/extra", NULL},
		{"https://x/t/" V "?a=1", NULL},
		{"https://x/t/" V "#top", NULL},
		{"https://x/t/" V "/", NULL},
		{"https://x/ticket/" V, NULL},
		{"https://x/T/" V, NULL},
		{"https://x/t//" V, NULL},
		{"ftp://x/t/" V, NULL},
		{"https:///t/" V, NULL},
		{"https://x y/t/" V, NULL},
		{"https://x\x01/t/" V, NULL},
		{"t/" V, NULL},
		{"x" V, NULL},
		{V V, NULL},
		{V " " V, NULL},
		{V42 "9", NULL},
		{"https://x/t/" V42, NULL},
		{"https://x/t/" V42 "9", NULL},
		{"garbage", NULL},
		{"", NULL},
		{" \t\r\n", NULL},
	};
	char out[TOK_LEN + 1];
	char big[TOK_SCAN_MAX + 2];
	size_t head;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;

		memset(out, 0, sizeof(out));
		rc = tok_from_scan(cases[i].in, strlen(cases[i].in), out);
		if (cases[i].want == NULL ? rc != -1
					  : rc != 0 ||
						    strcmp(out, cases[i].want))
			fail_msg("case %zu: \"%s\" -> %d", i, cases[i].in, rc);
	}

	/* Only len bytes are read: the rest of the string does not count. */
	assert_int_equal(tok_from_scan(V "?a=1", TOK_LEN, out), 0);
	assert_string_equal(out, V);
	assert_int_equal(tok_from_scan(NULL, 0, out), -1);

	/* A URL of exactly TOK_SCAN_MAX bytes passes, one more does not. */
	head = TOK_SCAN_MAX - TOK_LEN - strlen("/t/");
	memset(big, 'a', sizeof(big));
	memcpy(big, "https://x.example/", strlen("https://x.example/"));
	memcpy(big + head, "/t/" V, strlen("/t/" V) + 1);
	assert_int_equal(strlen(big), TOK_SCAN_MAX);
	assert_int_equal(tok_from_scan(big, strlen(big), out), 0);
	assert_string_equal(out, V);
	memcpy(big + head + 1, "/t/" V, strlen("/t/" V) + 1);
	assert_int_equal(tok_from_scan(big, strlen(big), out), -1);
	/* Too long even if it is all white space around a bare token. */
	memset(big, ' ', sizeof(big));
	memcpy(big + 1, V, TOK_LEN);
	big[TOK_SCAN_MAX + 1] = '\0';
	assert_int_equal(tok_from_scan(big, TOK_SCAN_MAX, out), 0);
	assert_int_equal(tok_from_scan(big, TOK_SCAN_MAX + 1, out), -1);
}

static void test_equal(void **state)
{
	(void)state;
	static const struct {
		const char *a, *b;
		bool want;
	} cases[] = {
		{V, V, true},
		{"", "", true},
		{V, V42 "E", false},
		{V, "BAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", false},
		{V, V42, false},
		{V42, V, false},
		{V, "", false},
		{"abc", "abd", false},
		{NULL, V, false},
		{V, NULL, false},
		{NULL, NULL, false},
	};
	char copy[TOK_LEN + 1];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (tok_equal(cases[i].a, cases[i].b) != cases[i].want)
			fail_msg("case %zu", i);
	/* Contents, not pointers. */
	memcpy(copy, V, sizeof(copy));
	assert_true(tok_equal(copy, V));
}

/* Sealed tokens: no key, no seal; a key file made once and agreed on;
 * round trip; a fresh nonce each time; tampering and foreign keys fail. */
static void test_seal(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_tok_XXXXXX";
	char path[64], path2[64], err[256];
	char tok[TOK_LEN + 1], out[TOK_LEN + 1];
	char box[TOK_BOX_HEX_LEN + 1], box2[TOK_BOX_HEX_LEN + 1];
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/token.key", dir);
	snprintf(path2, sizeof(path2), "%s/short.key", dir);
	assert_int_equal(tok_new(tok), 0);
	assert_false(tok_seal_ready());
	assert_int_equal(tok_seal(tok, box), -1);
	assert_int_equal(tok_seal_load("", err, sizeof(err)), -1);

	f = fopen(path2, "w");
	assert_non_null(f);
	fputs("too short", f);
	fclose(f);
	assert_int_equal(tok_seal_load(path2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a 32-byte key"));

	assert_int_equal(tok_seal_load(path, err, sizeof(err)), 0);
	assert_true(tok_seal_ready());
	assert_int_equal(tok_seal(tok, box), 0);
	assert_int_equal((int)strlen(box), TOK_BOX_HEX_LEN);
	assert_memory_equal(box, "\\x", 2);
	assert_int_equal(tok_unseal(box, out), 0);
	assert_string_equal(out, tok);
	assert_int_equal(tok_seal(tok, box2), 0);
	assert_string_not_equal(box, box2);
	assert_int_equal(tok_unseal(box2, out), 0);
	assert_string_equal(out, tok);

	/* The same file again (another process): the same key. */
	assert_int_equal(tok_seal_load(path, err, sizeof(err)), 0);
	assert_int_equal(tok_unseal(box, out), 0);

	box[40] = box[40] == 'a' ? 'b' : 'a';
	assert_int_equal(tok_unseal(box, out), -1);
	assert_int_equal(tok_unseal("\\x00", out), -1);
	assert_int_equal(tok_unseal(NULL, out), -1);
	assert_int_equal(tok_seal("not a token", box), -1);

	/* Another key does not open it. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(tok_seal_load(path, err, sizeof(err)), 0);
	assert_int_equal(tok_unseal(box2, out), -1);
	(void)unlink(path);
	(void)unlink(path2);
	(void)rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_hash_hex),
		cmocka_unit_test(test_derive_ticket),
		cmocka_unit_test(test_from_scan),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_seal),
	};
	return cmocka_run_group_tests_name("tok", tests, setup, NULL);
}
