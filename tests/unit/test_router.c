/* router: matching, captures, 404 vs 405 and the Allow header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "../../lib/arena.h"
#include "../../lib/router.h"

static int h(struct http_req *req, struct http_res *res)
{
	(void)req;
	(void)res;
	return 200;
}

static const struct route table[] = {
	{HTTP_GET, "/api/shows", h, 0},
	{HTTP_GET, "/api/shows/{slug}", h, 0},
	{HTTP_GET, "/api/performances/{id}", h, 0},
	{HTTP_POST, "/api/performances/{id}/reservations", h, 0},
	{HTTP_GET, "/api/tickets/{token}", h, 0},
	{HTTP_GET, "/api/tickets/{token}/qr.svg", h, 0},
	{HTTP_POST, "/api/checkins", h, 0},
	{HTTP_DELETE, "/admin/venues/{id}", h, 0},
	{HTTP_PUT, "/admin/venues/{id}", h, 0},
};

static const struct {
	const char *method, *path;
	enum router_result want;
	const char *pattern;	/* matched route, or Allow for 405 */
	const char *capture;	/* value of the first capture */
} cases[] = {
	{"GET", "/api/shows", ROUTER_FOUND, "/api/shows", NULL},
	{"HEAD", "/api/shows", ROUTER_FOUND, "/api/shows", NULL},
	{"GET", "/api/shows/", ROUTER_NOT_FOUND, NULL, NULL},
	{"GET", "/api/shows/la-locandiera", ROUTER_FOUND, "/api/shows/{slug}", "la-locandiera"},
	{"GET", "/api/shows/La-Locandiera", ROUTER_NOT_FOUND, NULL, NULL},
	{"GET", "/api/shows/a/b", ROUTER_NOT_FOUND, NULL, NULL},
	{"GET", "/api/performances/42", ROUTER_FOUND, "/api/performances/{id}", "42"},
	{"GET", "/api/performances/abc", ROUTER_NOT_FOUND, NULL, NULL},
	{"GET", "/api/performances/-1", ROUTER_NOT_FOUND, NULL, NULL},
	{"GET", "/api/performances/1234567890123456789", ROUTER_NOT_FOUND, NULL, NULL},
	{"GET", "/api/performances/123456789012345678", ROUTER_FOUND, "/api/performances/{id}", "123456789012345678"},
	{"POST", "/api/performances/7/reservations", ROUTER_FOUND, "/api/performances/{id}/reservations", "7"},
	{"GET", "/api/performances/7/reservations", ROUTER_BAD_METHOD, "POST", NULL},
	{"DELETE", "/api/shows", ROUTER_BAD_METHOD, "GET, HEAD", NULL},
	{"GET", "/api/tickets/AbC-_09", ROUTER_FOUND, "/api/tickets/{token}", "AbC-_09"},
	{"GET", "/api/tickets/AbC.09", ROUTER_NOT_FOUND, NULL, NULL},
	{"GET", "/api/tickets/xyz/qr.svg", ROUTER_FOUND, "/api/tickets/{token}/qr.svg", "xyz"},
	{"GET", "/api/tickets/xyz/qr.gif", ROUTER_NOT_FOUND, NULL, NULL},
	{"PATCH", "/admin/venues/3", ROUTER_BAD_METHOD, "DELETE, PUT", NULL},
	{"BREW", "/api/checkins", ROUTER_BAD_METHOD, "POST", NULL},
	{"GET", "", ROUTER_NOT_FOUND, NULL, NULL},
	{"GET", "/", ROUTER_NOT_FOUND, NULL, NULL},
};

static void test_cases(void **state)
{
	(void)state;
	struct arena *a = arena_new(0);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *env[] = {NULL, NULL, NULL};
		struct http_req req;
		const struct route *r = NULL;
		char allow[64];
		enum router_result got;

		env[0] = arena_printf(a, "REQUEST_METHOD=%s", cases[i].method);
		env[1] = arena_printf(a, "DOCUMENT_URI=%s", cases[i].path);
		assert_int_equal(http_req_init(&req, a, env), 0);
		got = router_match(table, sizeof(table) / sizeof(table[0]),
				   &req, &r, allow, sizeof(allow));
		if (got != cases[i].want)
			fail_msg("case %zu %s %s: got %d", i, cases[i].method,
				 cases[i].path, got);
		if (got == ROUTER_FOUND) {
			assert_string_equal(r->pattern, cases[i].pattern);
			if (cases[i].capture) {
				assert_int_equal(req.nparams, 1);
				assert_string_equal(req.params[0].value,
						    cases[i].capture);
			} else {
				assert_int_equal(req.nparams, 0);
			}
		} else if (got == ROUTER_BAD_METHOD) {
			assert_string_equal(allow, cases[i].pattern);
		}
		arena_reset(a);
	}
	arena_free(a);
}

static void test_param_lookup(void **state)
{
	(void)state;
	struct arena *a = arena_new(0);
	char *env[] = {"REQUEST_METHOD=GET",
		       "DOCUMENT_URI=/api/performances/99", NULL};
	struct http_req req;
	const struct route *r;
	char allow[8];

	assert_int_equal(http_req_init(&req, a, env), 0);
	assert_int_equal(router_match(table, 9, &req, &r, allow, sizeof(allow)),
			 ROUTER_FOUND);
	assert_string_equal(http_param(&req, "id"), "99");
	assert_null(http_param(&req, "slug"));
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_param_lookup),
	};
	return cmocka_run_group_tests_name("router", tests, NULL, NULL);
}
