/* db: the parameter builder (the pool and the runners need a server and
 * are tested through the HTTP suite). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "../../lib/db.h"

static void test_params(void **state)
{
	struct db_params p;

	(void)state;
	db_params_init(&p);
	db_param(&p, "anna");
	db_param(&p, NULL);
	db_param_int(&p, 42);
	db_param_int(&p, -9007199254740993LL);
	db_param_bool(&p, true);
	db_param_bool(&p, false);
	assert_int_equal(p.n, 6);
	assert_false(p.failed);
	assert_string_equal(p.v[0], "anna");
	assert_null(p.v[1]);
	assert_string_equal(p.v[2], "42");
	assert_string_equal(p.v[3], "-9007199254740993");
	assert_string_equal(p.v[4], "true");
	assert_string_equal(p.v[5], "false");
}

static void test_params_full(void **state)
{
	struct db_params p;

	(void)state;
	db_params_init(&p);
	for (int i = 0; i < DB_MAX_PARAMS; i++)
		db_param_int(&p, i);
	assert_int_equal(p.n, DB_MAX_PARAMS);
	assert_false(p.failed);
	/* One too many: dropped and remembered, never written past the end. */
	db_param(&p, "x");
	db_param_int(&p, 1);
	assert_int_equal(p.n, DB_MAX_PARAMS);
	assert_true(p.failed);
	for (int i = 0; i < DB_MAX_PARAMS; i++) {
		char want[16];

		snprintf(want, sizeof(want), "%d", i);
		assert_string_equal(p.v[i], want);
	}
	db_params_init(&p);
	assert_int_equal(p.n, 0);
	assert_false(p.failed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_params_full),
	};

	return cmocka_run_group_tests_name("db", tests, NULL, NULL);
}
