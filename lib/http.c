/*
 * http: request parsing and response writing, independent of libfcgi.
 */
#include "http.h"

#include "arena.h"
#include "json.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

const char *http_env(char *const *env, const char *name)
{
	size_t n = strlen(name);

	if (env == NULL)
		return NULL;
	for (; *env != NULL; env++)
		if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

static const struct {
	const char *name;
	enum http_method m;
} methods[] = {
	{"GET", HTTP_GET}, {"HEAD", HTTP_HEAD}, {"POST", HTTP_POST},
	{"PUT", HTTP_PUT}, {"PATCH", HTTP_PATCH}, {"DELETE", HTTP_DELETE},
	{"OPTIONS", HTTP_OPTIONS},
};

static const char *env_or(char *const *env, const char *name,
			  const char *dflt)
{
	const char *v = http_env(env, name);

	return v != NULL ? v : dflt;
}

int http_req_init(struct http_req *req, struct arena *a, char *const *env)
{
	const char *cl, *path;

	memset(req, 0, sizeof(*req));
	req->arena = a;
	req->route_index = -1;
	req->env = env;
	req->method_name = env_or(env, "REQUEST_METHOD", "");
	req->method = HTTP_OTHER;
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(req->method_name, methods[i].name) == 0)
			req->method = methods[i].m;

	/* DOCUMENT_URI is nginx's decoded, dot-segment-free path; fall back
	 * to REQUEST_URI cut at the query for other servers. */
	path = http_env(env, "DOCUMENT_URI");
	if (path == NULL) {
		const char *uri = env_or(env, "REQUEST_URI", "/");
		const char *q = strchr(uri, '?');

		path = q != NULL ? arena_strndup(a, uri, (size_t)(q - uri))
				 : uri;
		if (path == NULL)
			return -1;
	}
	req->path = path;
	req->query = env_or(env, "QUERY_STRING", "");
	req->content_type = env_or(env, "CONTENT_TYPE", "");
	req->request_id = env_or(env, "REQUEST_ID", "-");

	/* libfcgi hands us CONTENT_LENGTH="" on GET. */
	req->content_length = -1;
	cl = http_env(env, "CONTENT_LENGTH");
	if (cl != NULL && *cl != '\0') {
		int64_t v;

		if (str_to_i64(cl, strlen(cl), 0, INT64_MAX, &v))
			req->content_length = v;
	}
	return 0;
}

static void drain(const struct http_io *io)
{
	char tmp[4096];

	while (io->read(io->ctx, tmp, (int)sizeof(tmp)) > 0)
		;
}

int http_read_body(struct http_req *req, const struct http_io *io)
{
	return http_read_body_max(req, io, HTTP_MAX_BODY);
}

int http_read_body_max(struct http_req *req, const struct http_io *io,
		       size_t max)
{
	size_t want, got = 0;
	char *p;

	if (req->content_length <= 0)
		return 0;
	if ((uint64_t)req->content_length > (uint64_t)max) {
		drain(io);
		return 413;
	}
	want = (size_t)req->content_length;
	p = arena_alloc(req->arena, want + 1);
	if (p == NULL) {
		drain(io);
		return 500;
	}
	while (got < want) {
		int n = io->read(io->ctx, p + got, (int)(want - got));

		if (n <= 0)
			return 400;
		got += (size_t)n;
	}
	p[got] = '\0';
	req->body = p;
	req->body_len = got;
	return 0;
}

const char *http_param(const struct http_req *req, const char *name)
{
	for (int i = 0; i < req->nparams; i++)
		if (strcmp(req->params[i].name, name) == 0)
			return req->params[i].value;
	return NULL;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode s[0..n) (percent escapes, '+' as space) into the arena. */
static const char *urldecode(struct arena *a, const char *s, size_t n)
{
	char *out = arena_alloc(a, n + 1), *o = out;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			*o++ = ' ';
		} else if (s[i] == '%') {
			int hi, lo;

			if (n - i < 3)
				return NULL;
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return NULL;
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

const char *http_query(const struct http_req *req, const char *name)
{
	size_t nlen = strlen(name);
	const char *p = req->query;

	while (*p != '\0') {
		const char *end = strchr(p, '&');
		const char *eq;
		size_t len;

		if (end == NULL)
			end = p + strlen(p);
		len = (size_t)(end - p);
		eq = memchr(p, '=', len);
		if (eq == NULL)
			eq = end;
		if ((size_t)(eq - p) == nlen && memcmp(p, name, nlen) == 0) {
			if (eq == end)
				return "";
			return urldecode(req->arena, eq + 1,
					 (size_t)(end - eq - 1));
		}
		p = *end == '&' ? end + 1 : end;
	}
	return NULL;
}

const char *http_cookie(const struct http_req *req, const char *name)
{
	size_t nlen = strlen(name);
	const char *p = http_env(req->env, "HTTP_COOKIE");

	if (p == NULL)
		return NULL;
	while (*p != '\0') {
		const char *end, *eq;

		while (*p == ' ' || *p == ';')
			p++;
		end = strchr(p, ';');
		if (end == NULL)
			end = p + strlen(p);
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq != NULL && (size_t)(eq - p) == nlen &&
		    memcmp(p, name, nlen) == 0) {
			const char *v = eq + 1, *ve = end;

			while (ve > v && ve[-1] == ' ')
				ve--;
			if (ve - v >= 2 && *v == '"' && ve[-1] == '"') {
				v++;
				ve--;
			}
			return arena_strndup(req->arena, v, (size_t)(ve - v));
		}
		p = end;
	}
	return NULL;
}

const char *http_header(const struct http_req *req, const char *name)
{
	char key[128];
	size_t n = strlen(name);

	if (n + 6 > sizeof(key))
		return NULL;
	memcpy(key, "HTTP_", 5);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		key[5 + i] = (char)(c == '-' ? '_' : toupper(c));
	}
	key[5 + n] = '\0';
	return http_env(req->env, key);
}

bool http_content_type_is(const struct http_req *req, const char *type)
{
	size_t n = strlen(type);
	const char *ct = req->content_type;

	if (strncasecmp(ct, type, n) != 0)
		return false;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

void http_res_init(struct http_res *res, struct arena *a)
{
	res->arena = a;
	res->status = 200;
	res->content_type = "application/json";
	buf_init(&res->headers, a, 128);
	buf_init(&res->body, a, 1024);
}

static bool header_safe(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s == '\r' || *s == '\n')
			return false;
	return true;
}

int http_res_header(struct http_res *res, const char *name,
		    const char *value)
{
	if (!header_safe(name) || !header_safe(value) ||
	    strchr(name, ':') != NULL)
		return -1;
	buf_puts(&res->headers, name);
	buf_append(&res->headers, ": ", 2);
	buf_puts(&res->headers, value);
	buf_append(&res->headers, "\r\n", 2);
	return res->headers.failed ? -1 : 0;
}

int http_error_with(struct http_res *res, int status, const char *code,
		    const char *message, const char *key, const char *json)
{
	struct jsonw w;

	res->status = status;
	res->content_type = "application/json";
	res->body.len = 0;
	res->body.failed = false;
	if (res->body.data != NULL)
		res->body.data[0] = '\0';
	jsonw_init(&w, &res->body);
	jsonw_obj(&w);
	jsonw_key(&w, "error");
	jsonw_obj(&w);
	jsonw_key(&w, "code");
	jsonw_str(&w, code);
	jsonw_key(&w, "message");
	jsonw_str(&w, message);
	if (key != NULL && json != NULL) {
		jsonw_key(&w, key);
		jsonw_raw(&w, json, strlen(json));
	}
	jsonw_end(&w);
	jsonw_end(&w);
	return status;
}

int http_error_fields(struct http_res *res, int status, const char *code,
		      const char *message, const char *fields_json)
{
	return http_error_with(res, status, code, message, "fields",
			       fields_json);
}

int http_error(struct http_res *res, int status, const char *code,
	       const char *message)
{
	return http_error_with(res, status, code, message, NULL, NULL);
}

const char *http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

int http_send(const struct http_req *req, struct http_res *res,
	      const struct http_io *io)
{
	struct buf head;
	bool with_body = req->method != HTTP_HEAD && res->status != 204 &&
			 res->status != 304;

	buf_init(&head, res->arena, 256 + res->headers.len);
	buf_printf(&head, "Status: %d %s\r\n", res->status,
		   http_reason(res->status));
	if (res->status != 204 && res->status != 304) {
		buf_printf(&head, "Content-Type: %s\r\n", res->content_type);
		buf_printf(&head, "Content-Length: %zu\r\n", res->body.len);
	}
	buf_append(&head, res->headers.data, res->headers.len);
	buf_append(&head, "\r\n", 2);
	if (head.failed || res->body.failed)
		return -1;
	if (io->write(io->ctx, head.data, (int)head.len) < 0)
		return -1;
	if (with_body && res->body.len > 0 &&
	    io->write(io->ctx, res->body.data, (int)res->body.len) < 0)
		return -1;
	return 0;
}
