/* cfg: defaults, overrides and every rejected value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "../../lib/cfg.h"

static const char *const *vars;	/* "NAME", "value", ..., NULL */

static const char *get(const char *name)
{
	for (const char *const *v = vars; v != NULL && *v != NULL; v += 2)
		if (strcmp(v[0], name) == 0)
			return v[1];
	return NULL;
}

static void test_defaults(void **state)
{
	(void)state;
	struct cfg c;
	char err[128];

	vars = NULL;
	assert_int_equal(cfg_load(&c, get, err, sizeof(err)), 0);
	assert_string_equal(c.database_url, "dbname=boxoffice");
	assert_int_equal(c.pool_size, 8);
	assert_int_equal(c.threads, 16);
	assert_int_equal(c.hold_minutes, 30);
	assert_int_equal(c.offer_minutes, 30);
	assert_int_equal(c.smtp_port, 25);
	assert_false(c.smtp_starttls);
	assert_string_equal(c.mail_backend, "smtp");
	assert_string_equal(c.public_url, "http://127.0.0.1:8080");
	assert_int_equal(c.pending_net_seats, 30);
	assert_int_equal(c.pending_net_percent, 25);
	assert_int_equal(c.pending_net_day, 100);
	assert_int_equal(c.mail_per_day, 5);
	assert_int_equal(c.login_failures, 5);
	assert_int_equal(c.login_delay_s, 60);
	assert_int_equal(c.login_account_failures, 100);
	assert_int_equal(c.argon2_concurrency, 2);
	assert_int_equal(c.scan_batch, 16);
	assert_string_equal(c.mail_reply_to, "");
}

static void test_overrides(void **state)
{
	(void)state;
	static const char *const v[] = {
		"BOXOFFICE_DATABASE_URL", "host=/tmp dbname=x",
		"BOXOFFICE_POOL_SIZE", "3",
		"BOXOFFICE_THREADS", "64",
		"BOXOFFICE_HOLD_MINUTES", "1",
		"BOXOFFICE_OFFER_MINUTES", "45",
		"BOXOFFICE_SCAN_BATCH", "1",
		"BOXOFFICE_SMTP_STARTTLS", "on",
		"BOXOFFICE_MAIL_BACKEND", "file",
		"BOXOFFICE_PUBLIC_URL", "https://tickets.example.org",
		"BOXOFFICE_MAIL_REPLY_TO", "Teatro del Ponte <info@teatro.example>",
		"BOXOFFICE_POOL_SIZE_TYPO", "x",
		"BOXOFFICE_PENDING_SEATS_PER_NETWORK", "1000",
		"BOXOFFICE_MAIL_PER_RECIPIENT_DAY", "2",
		"BOXOFFICE_LOGIN_DELAY_SECONDS", "5",
		NULL};
	struct cfg c;
	char err[128];

	vars = v;
	assert_int_equal(cfg_load(&c, get, err, sizeof(err)), 0);
	assert_string_equal(c.database_url, "host=/tmp dbname=x");
	assert_int_equal(c.pool_size, 3);
	assert_int_equal(c.threads, 64);
	assert_int_equal(c.hold_minutes, 1);
	assert_int_equal(c.offer_minutes, 45);
	assert_int_equal(c.scan_batch, 1);
	assert_true(c.smtp_starttls);
	assert_string_equal(c.mail_backend, "file");
	assert_int_equal(c.pending_net_seats, 1000);
	assert_int_equal(c.mail_per_day, 2);
	assert_int_equal(c.login_delay_s, 5);
	assert_string_equal(c.mail_reply_to,
			    "Teatro del Ponte <info@teatro.example>");
}

static void test_rejects(void **state)
{
	(void)state;
	static const struct {
		const char *name, *value, *mentions;
	} cases[] = {
		{"BOXOFFICE_POOL_SIZE", "0", "BOXOFFICE_POOL_SIZE"},
		{"BOXOFFICE_POOL_SIZE", "ten", "BOXOFFICE_POOL_SIZE"},
		{"BOXOFFICE_POOL_SIZE", "8 ", "BOXOFFICE_POOL_SIZE"},
		{"BOXOFFICE_THREADS", "-4", "BOXOFFICE_THREADS"},
		{"BOXOFFICE_THREADS", "99999999999", "BOXOFFICE_THREADS"},
		{"BOXOFFICE_SMTP_PORT", "70000", "BOXOFFICE_SMTP_PORT"},
		{"BOXOFFICE_HOLD_MINUTES", "0", "BOXOFFICE_HOLD_MINUTES"},
		{"BOXOFFICE_OFFER_MINUTES", "0", "BOXOFFICE_OFFER_MINUTES"},
		{"BOXOFFICE_OFFER_MINUTES", "10081", "BOXOFFICE_OFFER_MINUTES"},
		{"BOXOFFICE_SCAN_BATCH", "0", "BOXOFFICE_SCAN_BATCH"},
		{"BOXOFFICE_SCAN_BATCH", "257", "BOXOFFICE_SCAN_BATCH"},
		{"BOXOFFICE_SMTP_STARTTLS", "maybe", "BOXOFFICE_SMTP_STARTTLS"},
		{"BOXOFFICE_MAIL_BACKEND", "carrier-pigeon", "BOXOFFICE_MAIL_BACKEND"},
		{"BOXOFFICE_PUBLIC_URL", "ftp://x", "BOXOFFICE_PUBLIC_URL"},
		{"BOXOFFICE_MAIL_REPLY_TO", "not an address", "BOXOFFICE_MAIL_REPLY_TO"},
		{"BOXOFFICE_MAIL_REPLY_TO", "Name <a@>", "BOXOFFICE_MAIL_REPLY_TO"},
		{"BOXOFFICE_PUBLIC_URL", "http://x/", "BOXOFFICE_PUBLIC_URL"},
		{"BOXOFFICE_LOG_LEVEL", "loud", "BOXOFFICE_LOG_LEVEL"},
		{"BOXOFFICE_PENDING_PERCENT_PER_NETWORK", "101",
		 "BOXOFFICE_PENDING_PERCENT_PER_NETWORK"},
		{"BOXOFFICE_MAIL_PER_RECIPIENT_DAY", "0",
		 "BOXOFFICE_MAIL_PER_RECIPIENT_DAY"},
		{"BOXOFFICE_LOGIN_DELAY_SECONDS", "901",
		 "BOXOFFICE_LOGIN_DELAY_SECONDS"},
		{"BOXOFFICE_ARGON2_CONCURRENCY", "0",
		 "BOXOFFICE_ARGON2_CONCURRENCY"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *v[] = {cases[i].name, cases[i].value, NULL};
		struct cfg c;
		char err[128] = "";

		vars = v;
		if (cfg_load(&c, get, err, sizeof(err)) != -1)
			fail_msg("case %zu: %s=%s accepted", i, cases[i].name,
				 cases[i].value);
		assert_non_null(strstr(err, cases[i].mentions));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_rejects),
	};
	return cmocka_run_group_tests_name("cfg", tests, NULL, NULL);
}
