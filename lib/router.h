/*
 * router: match a method and a path against a table of routes.
 *
 * Patterns are literal segments and captures:
 *	{id}     1-18 decimal digits (so "/performances/abc" is a 404)
 *	{slug}   1-80 of [a-z0-9-]
 *	{token}  1-128 of [A-Za-z0-9_-] (base64url)
 *	{name}   any other name: 1-200 bytes without '/'
 * A pattern may end in a literal file name after a capture, e.g.
 * "/api/tickets/{token}/qr.svg".
 */
#ifndef BOXOFFICE_ROUTER_H
#define BOXOFFICE_ROUTER_H

#include "http.h"

#include <stddef.h>

struct http_req;
struct http_res;

typedef int (*route_handler)(struct http_req *req, struct http_res *res);

struct route {
	enum http_method method;
	const char *pattern;
	route_handler handler;
	int access;		/* the application's meaning */
};

enum router_result { ROUTER_FOUND, ROUTER_NOT_FOUND, ROUTER_BAD_METHOD };

/*
 * Find the route for req->method and req->path. On ROUTER_FOUND, *out is
 * the route and req->params holds its captures (copied into req->arena).
 * On ROUTER_BAD_METHOD, allow receives the methods the path does take,
 * comma-separated ("GET, POST"). HEAD matches GET routes.
 */
enum router_result router_match(const struct route *table, size_t n,
				struct http_req *req, const struct route **out,
				char *allow, size_t allow_len);

/* The method's name as in an Allow header. */
const char *router_method_name(enum http_method m);

#endif
