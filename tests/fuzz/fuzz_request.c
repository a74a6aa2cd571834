/*
 * fuzz_request: the request layer as a worker runs it, from the FastCGI
 * parameters nginx sends to the bytes written back, against the real route
 * table (app/routes.c), without a database: http_req_init, http_read_body
 * through an in-memory struct http_io, router_match, the query, cookie
 * and header lookups, the dispatcher's early answers, and http_send.
 *
 * Input: "NAME=value" lines (the FastCGI parameters, e.g. REQUEST_METHOD,
 * DOCUMENT_URI, QUERY_STRING, HTTP_COOKIE, CONTENT_LENGTH), an empty line,
 * then the body.
 */
#include "fuzz.h"

#include "../../app/app.h"
#include "../../lib/arena.h"
#include "../../lib/buf.h"
#include "../../lib/json.h"

#include <stdbool.h>

#define MAX_ENV 64

/* What app/main.c defines for the handlers; only the configuration is
 * read on the way to a handler. */
struct app app;

static const char *no_env(const char *name)
{
	(void)name;
	return NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[128];

	(void)argc;
	(void)argv;
	if (cfg_load(&app.cfg, no_env, err, sizeof(err)) < 0)
		abort();
	return 0;
}

/* The request body, handed out in uneven pieces as a socket would. */
struct stream {
	const char *in;
	size_t len, pos;
	struct buf out;
};

static int stream_read(void *ctx, char *buf, int n)
{
	struct stream *s = ctx;
	size_t k = s->len - s->pos;

	FUZZ_CHECK(n > 0);
	if (k > (size_t)n)
		k = (size_t)n;
	if (k > 1 + s->pos % 509)
		k = 1 + s->pos % 509;
	memcpy(buf, s->in + s->pos, k);
	s->pos += k;
	return (int)k;
}

static int stream_write(void *ctx, const char *buf, int n)
{
	struct stream *s = ctx;

	FUZZ_CHECK(n >= 0);
	buf_append(&s->out, buf, (size_t)n);
	return n;
}

static bool all_of(const char *s, const char *set)
{
	return s[0] != '\0' && s[strspn(s, set)] == '\0';
}

#define DIGITS "0123456789"
#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

static void check_params(const struct http_req *req)
{
	const char *v;

	FUZZ_CHECK(req->nparams >= 0 && req->nparams <= HTTP_MAX_PARAMS);
	for (int i = 0; i < req->nparams; i++)
		FUZZ_CHECK(req->params[i].value[0] != '\0' &&
			   strchr(req->params[i].value, '/') == NULL);
	v = http_param(req, "id");
	if (v != NULL)
		FUZZ_CHECK(strlen(v) <= 18 && all_of(v, DIGITS));
	v = http_param(req, "slug");
	if (v != NULL)
		FUZZ_CHECK(strlen(v) <= 80 && all_of(v, LOWER DIGITS "-"));
	v = http_param(req, "token");
	if (v != NULL)
		FUZZ_CHECK(strlen(v) <= 128 &&
			   all_of(v, LOWER UPPER DIGITS "-_"));
}

static void lookups(struct http_req *req)
{
	static const char *const qnames[] = {
		"q", "status", "from", "to", "limit", "offset", "performance",
		"show", "id", "token", "a", ""};
	static const char *const headers[] = {
		"X-CSRF-Token", "Accept", "Authorization", "Content-Type",
		"x-request-id", "",
		("A-header-name-far-longer-than-any-that-could-ever-be-looked-"
		 "up-by-the-application-so-the-key-buffer-is-too-small-xxxxxx")};
	size_t qlen = strlen(req->query);
	const char *v;

	for (size_t i = 0; i < sizeof(qnames) / sizeof(qnames[0]); i++) {
		v = http_query(req, qnames[i]);
		if (v != NULL)
			FUZZ_CHECK(strlen(v) <= qlen);
	}
	/* The first name in the query string, whatever it is. */
	{
		size_t n = strcspn(req->query, "=&");
		char *name = arena_strndup(req->arena, req->query, n);

		FUZZ_CHECK(name != NULL);
		v = http_query(req, name);
		if (v != NULL)
			FUZZ_CHECK(strlen(v) <= qlen);
	}
	v = http_cookie(req, "bo_session");
	if (v != NULL) {
		const char *all = http_env(req->env, "HTTP_COOKIE");

		FUZZ_CHECK(all != NULL && strlen(v) <= strlen(all));
		FUZZ_CHECK(strchr(v, ';') == NULL);
	}
	(void)http_cookie(req, "");
	for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++)
		(void)http_header(req, headers[i]);
	FUZZ_CHECK(http_header(req, headers[6]) == NULL);
	(void)http_content_type_is(req, "application/json");
}

/* The dispatcher's answers before any handler, then the response. */
static void respond(struct http_req *req, struct stream *s, int read_status,
		    enum router_result rr, const char *allow)
{
	struct http_res res;
	const char *cookie = http_cookie(req, "bo_session");
	const char *head_end;
	size_t head_len;
	struct jsonw w;
	int status;

	http_res_init(&res, req->arena);
	if (read_status != 0) {
		status = http_error(&res, read_status, "bad_request", "body");
	} else if (rr == ROUTER_NOT_FOUND) {
		status = http_error(&res, 404, "not_found", "no such resource");
	} else if (rr == ROUTER_BAD_METHOD) {
		FUZZ_CHECK(http_res_header(&res, "Allow", allow) == 0);
		status = http_error(&res, 405, "method_not_allowed", "no");
	} else {
		/* A stand-in handler echoing what it was given. */
		status = req->method == HTTP_POST ? 201 : 200;
		jsonw_init(&w, &res.body);
		jsonw_obj(&w);
		jsonw_key(&w, "route");
		jsonw_str(&w, req->route);
		for (int i = 0; i < req->nparams; i++) {
			jsonw_key(&w, req->params[i].name);
			jsonw_str(&w, req->params[i].value);
		}
		jsonw_key(&w, "query");
		jsonw_str(&w, req->query);
		jsonw_key(&w, "body");
		jsonw_strn(&w, req->body != NULL ? req->body : "",
			   req->body_len);
		jsonw_end(&w);
	}
	res.status = status;
	/* A header from the client's bytes: refused if it would break the
	 * header block. */
	if (cookie != NULL)
		FUZZ_CHECK((http_res_header(&res, "X-Echo", cookie) == 0) ==
			   (strpbrk(cookie, "\r\n") == NULL));
	FUZZ_CHECK(http_res_header(&res, "Bad:Name", "x") < 0);

	buf_init(&s->out, req->arena, 256);
	FUZZ_CHECK(http_send(req, &res, &(struct http_io){stream_read,
							  stream_write, s}) ==
		   0);
	FUZZ_CHECK(!s->out.failed);
	FUZZ_CHECK(strncmp(s->out.data, "Status: ", 8) == 0);
	head_end = strstr(s->out.data, "\r\n\r\n");
	FUZZ_CHECK(head_end != NULL);
	head_len = (size_t)(head_end - s->out.data) + 4;
	for (size_t i = 0; i < head_len; i++) {
		if (s->out.data[i] == '\n')
			FUZZ_CHECK(i > 0 && s->out.data[i - 1] == '\r');
		if (s->out.data[i] == '\r')
			FUZZ_CHECK(s->out.data[i + 1] == '\n');
	}
	if (req->method == HTTP_HEAD)
		FUZZ_CHECK(s->out.len == head_len);
	else
		FUZZ_CHECK(s->out.len == head_len + res.body.len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *p, *end;
	char *env[MAX_ENV + 1];
	int nenv = 0;
	struct arena *a = arena_new(0);
	struct http_req req;
	struct stream s = {0};
	const struct route *r = NULL;
	enum router_result rr;
	char allow[64];
	int st;

	if (copy == NULL || a == NULL)
		abort();
	memcpy(copy, data, size);
	copy[size] = '\0';
	/* Parameters up to the first empty line; the body after it. */
	end = copy + size;
	for (p = copy; p < end && *p != '\n' && nenv < MAX_ENV;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));

		env[nenv++] = p;
		if (nl == NULL) {
			p = end;
			break;
		}
		*nl = '\0';
		p = nl + 1;
	}
	env[nenv] = NULL;
	if (p < end && *p == '\n')
		p++;
	s.in = p;
	s.len = (size_t)(end - p);

	FUZZ_CHECK(http_req_init(&req, a, env) == 0);
	FUZZ_CHECK(req.path != NULL && req.query != NULL &&
		   req.content_type != NULL && req.method_name != NULL);
	FUZZ_CHECK(req.content_length >= -1);

	st = http_read_body(&req, &(struct http_io){stream_read, stream_write,
						    &s});
	FUZZ_CHECK(st == 0 || st == 400 || st == 413);
	if (st == 0 && req.content_length > 0) {
		FUZZ_CHECK(req.body_len == (size_t)req.content_length);
		FUZZ_CHECK(req.body[req.body_len] == '\0');
		FUZZ_CHECK(memcmp(req.body, s.in, req.body_len) == 0);
	}
	if (st == 413)
		FUZZ_CHECK(s.pos == s.len);	/* drained */

	rr = router_match(app_routes, app_nroutes, &req, &r, allow,
			  sizeof(allow));
	FUZZ_CHECK(strlen(allow) < sizeof(allow));
	if (rr == ROUTER_FOUND) {
		FUZZ_CHECK(r >= app_routes && r < app_routes + app_nroutes);
		FUZZ_CHECK(req.route_index == (int)(r - app_routes));
		FUZZ_CHECK(r->method == req.method ||
			   (req.method == HTTP_HEAD && r->method == HTTP_GET));
		check_params(&req);
	} else {
		FUZZ_CHECK(req.route_index == -1);
		FUZZ_CHECK((rr == ROUTER_BAD_METHOD) == (allow[0] != '\0'));
	}
	lookups(&req);
	respond(&req, &s, st, rr, allow);

	arena_free(a);
	free(copy);
	return 0;
}
