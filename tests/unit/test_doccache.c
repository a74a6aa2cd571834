/* doccache: copies end with the epoch, at valid_until, when off; bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../lib/arena.h"
#include "../../lib/buf.h"
#include "../../lib/doccache.h"

static struct arena *a;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The copy of key as a string, or NULL. */
static const char *get(const char *key, int *status)
{
	struct buf b;
	double until = 0;

	buf_init(&b, a, 16);
	if (!doccache_get(key, &b, status, &until))
		return NULL;
	return b.data;
}

static int setup(void **state)
{
	(void)state;
	a = arena_new(4096);
	doccache_clear();
	doccache_enable(true);
	return a == NULL;
}

static int teardown(void **state)
{
	(void)state;
	doccache_enable(false);
	doccache_clear();
	arena_free(a);
	return 0;
}

static void test_put_get(void **state)
{
	int status = 0;
	uint64_t e = doccache_epoch();

	(void)state;
	assert_true(e != 0);
	assert_null(get("show/x", &status));
	doccache_put("show/x", e, 200, "{\"a\":1}", 7, INFINITY);
	doccache_put("show/y", e, 404, "{\"e\":2}", 7, INFINITY);
	assert_string_equal(get("show/x", &status), "{\"a\":1}");
	assert_int_equal(status, 200);
	assert_string_equal(get("show/y", &status), "{\"e\":2}");
	assert_int_equal(status, 404);
	assert_null(get("show/z", &status));
	/* A new copy replaces the old one. */
	doccache_put("show/x", e, 200, "{\"a\":3}", 7, INFINITY);
	assert_string_equal(get("show/x", &status), "{\"a\":3}");
}

static void test_invalidate(void **state)
{
	int status;
	uint64_t e = doccache_epoch();

	(void)state;
	doccache_put("perf/1", e, 200, "old", 3, INFINITY);
	assert_non_null(get("perf/1", &status));
	doccache_invalidate();
	assert_null(get("perf/1", &status));
	/* Rendered before the change, stored after it: not kept. */
	doccache_put("perf/1", e, 200, "old", 3, INFINITY);
	assert_null(get("perf/1", &status));
	assert_true(doccache_epoch() != e);
	doccache_put("perf/1", doccache_epoch(), 200, "new", 3, INFINITY);
	assert_string_equal(get("perf/1", &status), "new");
	/* A write answered by a process of the host ends them too. */
	doccache_changed();
	assert_null(get("perf/1", &status));
}

static void test_valid_until(void **state)
{
	int status;
	uint64_t e = doccache_epoch();

	(void)state;
	doccache_put("perf/2", e, 200, "soon", 4, now_s() + 0.2);
	assert_string_equal(get("perf/2", &status), "soon");
	nanosleep(&(struct timespec){.tv_nsec = 300 * 1000 * 1000}, NULL);
	assert_null(get("perf/2", &status));
	/* Already past: never stored. */
	doccache_put("perf/3", e, 200, "past", 4, now_s() - 1);
	assert_null(get("perf/3", &status));
}

static void test_off(void **state)
{
	int status;
	uint64_t e = doccache_epoch();

	(void)state;
	doccache_put("perf/4", e, 200, "x", 1, INFINITY);
	doccache_enable(false);
	assert_int_equal(doccache_epoch(), 0);
	assert_null(get("perf/4", &status));
	doccache_put("perf/4", 0, 200, "y", 1, INFINITY);
	/* On again: a new epoch, nothing of before survives. */
	doccache_enable(true);
	assert_null(get("perf/4", &status));
}

static void test_bounds(void **state)
{
	int status;
	uint64_t e = doccache_epoch();
	char key[DOCCACHE_KEY_MAX + 8];
	char *big = malloc(DOCCACHE_BODY_MAX + 1);

	(void)state;
	assert_non_null(big);
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	doccache_put(key, e, 200, "x", 1, INFINITY);
	assert_null(get(key, &status));
	memset(big, 'b', DOCCACHE_BODY_MAX + 1);
	doccache_put("big", e, 200, big, DOCCACHE_BODY_MAX + 1, INFINITY);
	assert_null(get("big", &status));
	free(big);
	/* Many keys: the table stays bounded, the latest copies are there. */
	for (int i = 0; i < 5000; i++) {
		char k[32];

		snprintf(k, sizeof(k), "perf/%d", i);
		doccache_put(k, e, 200, k, strlen(k), INFINITY);
	}
	assert_string_equal(get("perf/4999", &status), "perf/4999");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalidate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_valid_until, setup, teardown),
		cmocka_unit_test_setup_teardown(test_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
	};
	return cmocka_run_group_tests_name("doccache", tests, NULL, NULL);
}
