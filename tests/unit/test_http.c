/* http: request parsing (query, cookies, headers, body limit) and the
 * response writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/arena.h"
#include "../../lib/http.h"

/* A memory stream standing in for libfcgi's. */
struct mem {
	const char *in;
	size_t in_len, in_pos;
	int chunk;		/* max bytes per read, to exercise loops */
	char out[65536];
	size_t out_len;
};

static int mem_read(void *ctx, char *buf, int n)
{
	struct mem *m = ctx;
	size_t left = m->in_len - m->in_pos;
	size_t k = (size_t)n < left ? (size_t)n : left;

	if (m->chunk > 0 && k > (size_t)m->chunk)
		k = (size_t)m->chunk;
	memcpy(buf, m->in + m->in_pos, k);
	m->in_pos += k;
	return (int)k;
}

static int mem_write(void *ctx, const char *buf, int n)
{
	struct mem *m = ctx;

	if (m->out_len + (size_t)n >= sizeof(m->out))
		return -1;
	memcpy(m->out + m->out_len, buf, (size_t)n);
	m->out_len += (size_t)n;
	m->out[m->out_len] = '\0';
	return n;
}

static void test_query(void **state)
{
	(void)state;
	static const struct {
		const char *qs, *name, *want;
	} cases[] = {
		{"a=1&b=2", "a", "1"},
		{"a=1&b=2", "b", "2"},
		{"a=1&b=2", "c", NULL},
		{"q=hello+world", "q", "hello world"},
		{"q=caf%C3%A9", "q", "caf\xC3\xA9"},
		{"q=%2", "q", NULL},
		{"q=%zz", "q", NULL},
		{"q=%00", "q", NULL},
		{"flag&x=1", "flag", ""},
		{"ab=1&a=2", "a", "2"},
		{"", "a", NULL},
		{"&&a=&", "a", ""},
		{"format=csv", "format", "csv"},
	};
	struct arena *a = arena_new(0);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *env[] = {arena_printf(a, "QUERY_STRING=%s", cases[i].qs),
			       NULL};
		struct http_req req;
		const char *got;

		assert_int_equal(http_req_init(&req, a, env), 0);
		got = http_query(&req, cases[i].name);
		if (cases[i].want == NULL)
			assert_null(got);
		else
			assert_string_equal(got, cases[i].want);
	}
	arena_free(a);
}

static void test_cookie(void **state)
{
	(void)state;
	static const struct {
		const char *header, *name, *want;
	} cases[] = {
		{"sid=abc", "sid", "abc"},
		{"a=1; sid=abc; b=2", "sid", "abc"},
		{"a=1;sid=abc", "sid", "abc"},
		{"xsid=1; sid=2", "sid", "2"},
		{"sid=\"quoted\"", "sid", "quoted"},
		{"sid=", "sid", ""},
		{"other=1", "sid", NULL},
		{"sid", "sid", NULL},
		{";;;", "sid", NULL},
	};
	struct arena *a = arena_new(0);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *env[] = {arena_printf(a, "HTTP_COOKIE=%s",
					    cases[i].header),
			       NULL};
		struct http_req req;
		const char *got;

		assert_int_equal(http_req_init(&req, a, env), 0);
		got = http_cookie(&req, cases[i].name);
		if (cases[i].want == NULL)
			assert_null(got);
		else
			assert_string_equal(got, cases[i].want);
	}
	arena_free(a);
}

static void test_request_fields(void **state)
{
	(void)state;
	struct arena *a = arena_new(0);
	char *env[] = {"REQUEST_METHOD=POST",
		       "REQUEST_URI=/api/x?y=1",
		       "CONTENT_TYPE=application/json; charset=utf-8",
		       "CONTENT_LENGTH=",
		       "HTTP_X_CSRF_TOKEN=t0k",
		       "REQUEST_ID=r1",
		       NULL};
	struct http_req req;

	assert_int_equal(http_req_init(&req, a, env), 0);
	assert_int_equal(req.method, HTTP_POST);
	assert_string_equal(req.path, "/api/x");
	assert_int_equal(req.content_length, -1);
	assert_string_equal(req.request_id, "r1");
	assert_string_equal(http_header(&req, "X-CSRF-Token"), "t0k");
	assert_null(http_header(&req, "X-Other"));
	assert_true(http_content_type_is(&req, "application/json"));
	assert_false(http_content_type_is(&req, "application/js"));
	assert_false(http_content_type_is(&req, "text/plain"));
	arena_free(a);
}

static void test_body(void **state)
{
	(void)state;
	static const struct {
		const char *length;
		size_t available;	/* bytes the stream really has */
		int want;
	} cases[] = {
		{"0", 0, 0},
		{"5", 5, 0},
		{"16384", 16384, 0},
		{"16385", 16385, 413},
		{"102400", 102400, 413},
		{"10", 4, 400},		/* stream ends early */
		{"abc", 3, 0},		/* unparseable length: no body */
		{"99999999999999999999", 0, 0},
	};
	struct arena *a = arena_new(0);
	char *data = malloc(200000);

	memset(data, 'x', 200000);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mem m = {.in = data, .in_len = cases[i].available,
				.chunk = 1000};
		struct http_io io = {mem_read, mem_write, &m};
		char *env[] = {arena_printf(a, "CONTENT_LENGTH=%s",
					    cases[i].length),
			       NULL};
		struct http_req req;

		assert_int_equal(http_req_init(&req, a, env), 0);
		assert_int_equal(http_read_body(&req, &io), cases[i].want);
		if (cases[i].want == 0 && req.body != NULL)
			assert_int_equal(req.body_len, cases[i].available);
		if (cases[i].want == 413)	/* drained for keep-alive */
			assert_int_equal(m.in_pos, m.in_len);
		arena_reset(a);
	}
	free(data);
	arena_free(a);
}

static void test_send(void **state)
{
	(void)state;
	struct arena *a = arena_new(0);
	char *get[] = {"REQUEST_METHOD=GET", NULL};
	char *head[] = {"REQUEST_METHOD=HEAD", NULL};
	struct http_req req;
	struct http_res res;
	struct mem m = {0};
	struct http_io io = {mem_read, mem_write, &m};

	assert_int_equal(http_req_init(&req, a, get), 0);
	http_res_init(&res, a);
	assert_int_equal(http_error(&res, 404, "not_found", "no \"such\""), 404);
	assert_int_equal(http_res_header(&res, "Allow", "GET"), 0);
	assert_int_equal(http_res_header(&res, "X-Evil", "a\r\nSet-Cookie: x"), -1);
	assert_int_equal(http_send(&req, &res, &io), 0);
	assert_non_null(strstr(m.out, "Status: 404 Not Found\r\n"));
	assert_non_null(strstr(m.out, "Content-Type: application/json\r\n"));
	assert_non_null(strstr(m.out, "Allow: GET\r\n"));
	assert_null(strstr(m.out, "X-Evil"));
	assert_non_null(strstr(m.out, "\r\n\r\n{\"error\":{\"code\":\"not_found\","
				      "\"message\":\"no \\\"such\\\"\"}}"));

	/* HEAD: same headers, no body. */
	m.out_len = 0;
	assert_int_equal(http_req_init(&req, a, head), 0);
	assert_int_equal(http_send(&req, &res, &io), 0);
	assert_non_null(strstr(m.out, "Content-Length: "));
	assert_null(strstr(m.out, "{"));
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_cookie),
		cmocka_unit_test(test_request_fields),
		cmocka_unit_test(test_body),
		cmocka_unit_test(test_send),
	};
	return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
