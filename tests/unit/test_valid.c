/* valid and ics: input predicates and the calendar writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "../../lib/arena.h"
#include "../../lib/buf.h"
#include "../../lib/ics.h"
#include "../../lib/valid.h"

static void test_text(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		size_t max;
		bool multiline;
		enum valid_text want;
		const char *trimmed;
	} cases[] = {
		{"Anna", 120, false, VALID_OK, "Anna"},
		{"  Anna Rossi \t", 120, false, VALID_BAD, NULL},
		{"  Anna Rossi  ", 120, false, VALID_OK, "Anna Rossi"},
		{"", 120, false, VALID_EMPTY, NULL},
		{"   ", 120, false, VALID_EMPTY, NULL},
		{"Niccolò", 7, false, VALID_OK, "Niccolò"},
		{"Niccolòx", 7, false, VALID_TOO_LONG, NULL},
		{"a\nb", 120, false, VALID_BAD, NULL},
		{"a\nb", 120, true, VALID_OK, "a\nb"},
		{"a\x01" "b", 120, true, VALID_BAD, NULL},
		{"a\x7f", 120, false, VALID_BAD, NULL},
		{"a\xc2\x85", 120, true, VALID_BAD, NULL},	/* NEL */
		{"\xff", 120, false, VALID_BAD, NULL},
		{"🎭 Teatro", 120, false, VALID_OK, "🎭 Teatro"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *start = NULL;
		size_t n = 0;
		enum valid_text got = valid_text(cases[i].s,
						 strlen(cases[i].s),
						 cases[i].max,
						 cases[i].multiline, &start, &n);

		if (got != cases[i].want)
			fail_msg("case %zu: got %d", i, got);
		if (cases[i].trimmed != NULL) {
			assert_int_equal(n, strlen(cases[i].trimmed));
			assert_memory_equal(start, cases[i].trimmed, n);
		}
	}
}

static void test_email(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		bool ok;
	} cases[] = {
		{"anna@example.org", true},
		{"anna.rossi+teatro@mail.example.co.uk", true},
		{"a@b.it", true},
		{"anna@localhost", false},
		{"anna", false},
		{"@example.org", false},
		{"anna@", false},
		{"an na@example.org", false},
		{".anna@example.org", false},
		{"anna.@example.org", false},
		{"an..na@example.org", false},
		{"anna@example..org", false},
		{"anna@-example.org", false},
		{"anna@example-.org", false},
		{"anna@exa_mple.org", false},
		{"anna@b@example.org", false},
		{"\"anna\"@example.org", false},
		{"anna@example.org\n", false},
		{"annà@example.org", false},
		{"x@0123456789012345678901234567890123456789012345678901234567890123.org", false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (valid_email(cases[i].s, strlen(cases[i].s)) != cases[i].ok)
			fail_msg("case %zu: %s", i, cases[i].s);
}

/* The one address syntax (what mail carries) and the visitor's rule on
 * top of it: every visitor address is an address; not every address is
 * a visitor's (a@localhost is a fine sender). */
static void test_address(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		bool address, email;
	} cases[] = {
		{"anna@example.org", true, true},
		{"boxoffice@localhost", true, false},
		{"a@b", true, false},
		{"anna@example.org.", false, false},
		{"anna@.example.org", false, false},
		{"anna@example-", false, false},
		{"anna@exa_mple.org", false, false},
		{"an..na@example.org", false, false},
		{"\"anna\"@example.org", false, false},
		{"anna", false, false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i].s);

		if (valid_address(cases[i].s, n) != cases[i].address)
			fail_msg("case %zu (address): %s", i, cases[i].s);
		if (valid_email(cases[i].s, n) != cases[i].email)
			fail_msg("case %zu (email): %s", i, cases[i].s);
	}
}

static void test_phone(void **state)
{
	(void)state;
	assert_true(valid_phone("+39 051 123456", 14));
	assert_true(valid_phone("(051) 12-34.56", 14));
	assert_false(valid_phone("12", 2));
	assert_false(valid_phone("call me", 7));
	assert_false(valid_phone("+++", 3));
	assert_false(valid_phone("12345678901234567890123456789012345678901", 41));
}

static void test_ics(void **state)
{
	(void)state;
	struct arena *a = arena_new(0);
	struct buf b;
	struct ics_event ev = {
		.uid = "reservation-1@boxoffice",
		.start = 1795897800,	/* 2026-11-28T20:30:00Z */
		.end = 1795897800 + 7200,
		.summary = "Sei personaggi in cerca d'autore; prima, seconda",
		.location = "Teatro del Ponte, Via del Ponte 12, Bologna",
		.description = "2 posti\nhttps://example.org/t/abc — una "
			       "descrizione abbastanza lunga da dover essere "
			       "piegata su più righe ààààààààààààààààà",
		.url = "https://example.org/t/abc",
	};
	const char *p;

	buf_init(&b, a, 64);
	ics_event(&b, &ev);
	assert_false(b.failed);
	assert_non_null(strstr(b.data, "BEGIN:VCALENDAR\r\n"));
	assert_non_null(strstr(b.data, "DTSTART:20261128T203000Z\r\n"));
	assert_non_null(strstr(b.data, "DTEND:20261128T223000Z\r\n"));
	assert_non_null(strstr(b.data, "SUMMARY:Sei personaggi in cerca "
				       "d'autore\\; prima\\, seconda\r\n"));
	assert_non_null(strstr(b.data, "2 posti\\nhttps"));
	assert_non_null(strstr(b.data, "END:VCALENDAR\r\n"));
	/* Every line at most 75 octets, CRLF only, folds start with a space,
	 * and no fold splits a UTF-8 sequence. */
	p = b.data;
	while (*p != '\0') {
		const char *eol = strstr(p, "\r\n");

		assert_non_null(eol);
		assert_true(eol - p <= 75);
		assert_null(memchr(p, '\n', (size_t)(eol - p)));
		assert_true(((unsigned char)eol[2] & 0xC0) != 0x80 ||
			    eol[2] == '\0');
		if (eol[2] == ' ')
			assert_true(((unsigned char)eol[3] & 0xC0) != 0x80);
		p = eol + 2;
	}
	assert_true(str_utf8_valid(b.data, b.len));
	arena_free(a);
}

/* In the theatre's zone: local times with TZID and the VTIMEZONE that
 * defines it; extreme times stay within range. */
static void test_ics_zoned(void **state)
{
	(void)state;
	static const struct {
		time_t start;
		int offset;
		const char *want;
	} cases[] = {
		{1795897800, 3600, "DTSTART;TZID=Europe/Rome:20261128T213000\r\n"},
		{1795897800, 3600, "DTEND;TZID=Europe/Rome:20261128T233000\r\n"},
		{1795897800, 3600, "TZOFFSETTO:+0100\r\n"},
		{1781551800, 7200, "DTSTART;TZID=Europe/Rome:20260615T213000\r\n"},
		{1781551800, 7200, "TZOFFSETFROM:+0200\r\n"},
		{1781551800, -12600, "TZOFFSETTO:-0330\r\n"},
		{1781551800, 90000, "TZOFFSETTO:+0000\r\n"},
		{INT64_MAX, 3600, "DTSTART;TZID=Europe/Rome:99991231T"},
		{-1, -3600, "DTSTART;TZID=Europe/Rome:19700101T230000\r\n"},
	};
	struct arena *a = arena_new(0);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ics_event ev = {
			.uid = "r1@boxoffice",
			.start = cases[i].start,
			.end = cases[i].start > INT64_MAX - 7200
				       ? cases[i].start
				       : cases[i].start + 7200,
			.summary = "x",
			.tzid = "Europe/Rome",
			.tz_offset_s = cases[i].offset,
		};
		struct buf b;

		buf_init(&b, a, 64);
		ics_event(&b, &ev);
		assert_false(b.failed);
		assert_non_null(strstr(b.data, "BEGIN:VTIMEZONE\r\nTZID:Europe/Rome\r\n"));
		if (strstr(b.data, cases[i].want) == NULL)
			fail_msg("case %zu: no %s in\n%s", i, cases[i].want,
				 b.data);
	}
	arena_free(a);
}

/* Found by fuzz_mime: text ending in a non-ASCII character lost it, and a
 * time gmtime cannot convert (or a five-digit year) left the stamp
 * unterminated. */
static void test_ics_edges(void **state)
{
	(void)state;
	static const struct {
		time_t start;
		const char *summary, *want;
	} cases[] = {
		{1795897800, "Caffè", "SUMMARY:Caffè\r\n"},
		{1795897800, "Teatro “Nuovo”", "SUMMARY:Teatro “Nuovo”\r\n"},
		{1795897800, "🎭", "SUMMARY:🎭\r\n"},
		{253402300799, "x", "DTSTART:99991231T235959Z\r\n"},
		{253402300799 + 7200, "x", "DTSTART:99991231T235959Z\r\n"},
		{INT64_MAX, "x", "DTSTART:99991231T235959Z\r\n"},
		{-1, "x", "DTSTART:19700101T000000Z\r\n"},
	};
	struct arena *a = arena_new(0);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ics_event ev = {
			.uid = "r1@boxoffice",
			.start = cases[i].start,
			.end = cases[i].start,
			.summary = cases[i].summary,
		};
		struct buf b;

		buf_init(&b, a, 64);
		ics_event(&b, &ev);
		assert_false(b.failed);
		if (strstr(b.data, cases[i].want) == NULL)
			fail_msg("case %zu: no %s in\n%s", i, cases[i].want,
				 b.data);
	}
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_email),
		cmocka_unit_test(test_address),
		cmocka_unit_test(test_phone),
		cmocka_unit_test(test_ics),
		cmocka_unit_test(test_ics_edges),
		cmocka_unit_test(test_ics_zoned),
	};
	return cmocka_run_group_tests_name("valid", tests, NULL, NULL);
}
