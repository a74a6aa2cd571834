/*
 * http: one HTTP request and its response, over any byte stream.
 *
 * The request is parsed from FastCGI parameters ("NAME=value" strings, as
 * libfcgi's envp) and a body reader; the response is written as a CGI
 * response ("Status: ..." header block, then the body) through a writer.
 * Keeping libfcgi behind struct http_io lets the unit tests and fuzzers
 * drive this code with plain memory.
 */
#ifndef BOXOFFICE_HTTP_H
#define BOXOFFICE_HTTP_H

#include "buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;

#define HTTP_MAX_BODY 16384	/* 16 KiB */
#define HTTP_MAX_PARAMS 4

struct http_io {
	/* Read up to n bytes; returns bytes read, 0 at end, -1 on error. */
	int (*read)(void *ctx, char *buf, int n);
	/* Write n bytes; returns n, or -1 on error (client went away). */
	int (*write)(void *ctx, const char *buf, int n);
	void *ctx;
};

enum http_method {
	HTTP_GET, HTTP_HEAD, HTTP_POST, HTTP_PUT, HTTP_PATCH, HTTP_DELETE,
	HTTP_OPTIONS, HTTP_OTHER
};

struct http_param {
	const char *name;
	const char *value;
};

struct http_req {
	struct arena *arena;
	char *const *env;		/* FastCGI params, NULL-terminated */
	enum http_method method;
	const char *method_name;
	const char *path;		/* decoded, normalized by nginx */
	const char *query;		/* raw query string, "" when none */
	const char *content_type;	/* "" when none */
	const char *request_id;		/* from nginx, or made up */
	int64_t content_length;		/* -1 when absent */
	const char *body;		/* NUL-terminated copy, NULL if none */
	size_t body_len;
	struct http_param params[HTTP_MAX_PARAMS];	/* route captures */
	int nparams;
	const char *route;		/* matched pattern, for logs */
	int route_index;		/* its index in the table, or -1 */
	void *user;			/* the application's, per request */
	void *db;			/* the application's pooled connection */
};

struct http_res {
	struct arena *arena;
	int status;
	const char *content_type;
	struct buf headers;		/* extra "Name: value\r\n" lines */
	struct buf body;
};

/* Value of FastCGI parameter `name`, or NULL. */
const char *http_env(char *const *env, const char *name);

/*
 * Fill req from env. Never fails on bad input (unknown method becomes
 * HTTP_OTHER, missing fields empty); returns -1 only when out of memory.
 */
int http_req_init(struct http_req *req, struct arena *a, char *const *env);

/*
 * Read the body announced by CONTENT_LENGTH into req->body.
 * Returns 0, or the HTTP status to answer: 413 when it is larger than
 * HTTP_MAX_BODY (the bytes are drained so a kept connection stays usable),
 * 400 when the stream ends early, 500 when out of memory.
 */
int http_read_body(struct http_req *req, const struct http_io *io);

/* The same with another limit than HTTP_MAX_BODY (uploads). */
int http_read_body_max(struct http_req *req, const struct http_io *io,
		       size_t max);

/* Route capture `name`, or NULL. */
const char *http_param(const struct http_req *req, const char *name);

/*
 * Query-string parameter `name`, percent- and '+'-decoded into the arena.
 * NULL when absent or malformed (bad escape, embedded NUL).
 */
const char *http_query(const struct http_req *req, const char *name);

/* Cookie `name` from HTTP_COOKIE, or NULL. */
const char *http_cookie(const struct http_req *req, const char *name);

/* Request header, e.g. http_header(req, "X-CSRF-Token"), or NULL. */
const char *http_header(const struct http_req *req, const char *name);

/* true when the media type (before any ';') equals `type`, any case. */
bool http_content_type_is(const struct http_req *req, const char *type);

void http_res_init(struct http_res *res, struct arena *a);

/* Add a header line; -1 if name or value would break the header block. */
int http_res_header(struct http_res *res, const char *name,
		    const char *value);

/*
 * Set a JSON error body {"error":{"code","message"}} and return status,
 * so a handler can `return http_error(res, 404, "not_found", "...");`.
 * `fields`, when not NULL, is a JSON object text added as "fields".
 */
int http_error(struct http_res *res, int status, const char *code,
	       const char *message);
int http_error_fields(struct http_res *res, int status, const char *code,
		      const char *message, const char *fields_json);
/* The general form: one extra member `key` with JSON text `json` (e.g.
 * "seats_available", "3") inside the error object; key NULL for none. */
int http_error_with(struct http_res *res, int status, const char *code,
		    const char *message, const char *key, const char *json);

/* Standard reason phrase for a status code. */
const char *http_reason(int status);

/*
 * Write the response: status line, Content-Type, Content-Length, extra
 * headers, body (omitted for HEAD). Returns 0, -1 if the client is gone.
 */
int http_send(const struct http_req *req, struct http_res *res,
	      const struct http_io *io);

#endif
