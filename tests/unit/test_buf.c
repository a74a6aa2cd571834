/* buf and arena: growth, integers, UTF-8, cleanups. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "../../lib/arena.h"
#include "../../lib/buf.h"

static void test_i64(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		int64_t min, max;
		int ok;
		int64_t want;
	} cases[] = {
		{"0", 0, 10, 1, 0},
		{"10", 0, 10, 1, 10},
		{"11", 0, 10, 0, 0},
		{"-1", 0, 10, 0, 0},
		{"-1", -5, 10, 1, -1},
		{"", 0, 10, 0, 0},
		{"-", -5, 10, 0, 0},
		{"1a", 0, 100, 0, 0},
		{" 1", 0, 100, 0, 0},
		{"+1", 0, 100, 0, 0},
		{"9223372036854775807", 0, INT64_MAX, 1, INT64_MAX},
		{"9223372036854775808", 0, INT64_MAX, 0, 0},
		{"-9223372036854775808", INT64_MIN, 0, 1, INT64_MIN},
		{"-9223372036854775809", INT64_MIN, 0, 0, 0},
		{"00000000000000000001", 0, 10, 0, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t v = 0;
		int ok = str_to_i64(cases[i].s, strlen(cases[i].s),
				    cases[i].min, cases[i].max, &v);

		if (ok != cases[i].ok || (ok && v != cases[i].want))
			fail_msg("case %zu: \"%s\"", i, cases[i].s);
	}
}

static void test_utf8(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		int ok;
		size_t cps;
	} cases[] = {
		{"plain", 1, 5},
		{"caff\xC3\xA8", 1, 5},
		{"\xE2\x82\xAC", 1, 1},
		{"\xF0\x9F\x8E\xAD", 1, 1},
		{"\xC3", 0, 0},
		{"\xC0\xAF", 0, 0},		/* overlong '/' */
		{"\xED\xA0\x80", 0, 0},		/* surrogate */
		{"\xF4\x90\x80\x80", 0, 0},	/* above U+10FFFF */
		{"\xE0\x80\xAF", 0, 0},		/* overlong */
		{"\x80", 0, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i].s);

		if (str_utf8_valid(cases[i].s, n) != cases[i].ok)
			fail_msg("case %zu", i);
		if (cases[i].ok)
			assert_int_equal(str_utf8_len(cases[i].s, n),
					 cases[i].cps);
	}
}

static int cleaned;

static void count(void *p)
{
	cleaned += *(int *)p;
}

static void test_arena(void **state)
{
	(void)state;
	struct arena *a = arena_new(0);
	struct buf b;
	static int one = 1, ten = 10;
	char *big;

	buf_init(&b, a, 1);
	for (int i = 0; i < 1000; i++)
		buf_printf(&b, "%d,", i);
	assert_false(b.failed);
	assert_int_equal(strncmp(b.data, "0,1,2,", 6), 0);
	assert_int_equal(b.len, strlen(b.data));

	big = arena_alloc(a, 1 << 20);	/* a block of its own */
	assert_non_null(big);
	memset(big, 1, 1 << 20);
	assert_int_equal(arena_defer(a, count, &one), 0);
	assert_int_equal(arena_defer(a, count, &ten), 0);
	arena_reset(a);
	assert_int_equal(cleaned, 11);
	assert_int_equal(arena_used(a), 0);
	assert_string_equal(arena_printf(a, "%s-%d", "x", 5), "x-5");
	assert_string_equal(arena_strndup(a, "abcdef", 3), "abc");
	arena_free(a);
	assert_int_equal(cleaned, 11);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_i64),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_arena),
	};
	return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
