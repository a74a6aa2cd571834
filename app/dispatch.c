/*
 * dispatch: the one path every request takes, from parsed request to
 * response. Body size, path, method, content type, session, role and
 * CSRF are checked here once, so handlers only do their own work; what a
 * handler uses once called is app/request.h.
 */
#include "dispatch.h"

#include "app.h"
#include "auth.h"

#include "../lib/doccache.h"
#include "../lib/log.h"

#include <string.h>

/* The largest body of route r: 0 when it takes JSON (HTTP_MAX_BODY). */
static size_t raw_body_max(const struct route *r)
{
	for (size_t i = 0; r != NULL && i < app_nraw_bodies; i++)
		if (app_raw_bodies[i].handler == r->handler)
			return app_raw_bodies[i].max;
	return 0;
}

static int route_and_call(struct http_req *req, struct http_res *res,
			  const struct http_io *io)
{
	const struct route *r = NULL;
	char allow[64];
	int status;
	enum router_result match = router_match(app_routes, app_nroutes, req,
						&r, allow, sizeof(allow));
	size_t raw = match == ROUTER_FOUND ? raw_body_max(r) : 0;
	size_t max = raw > 0 ? raw : HTTP_MAX_BODY;

	/* Read (or drain) the body first: an unread body would break the
	 * kept FastCGI connection, whatever we answer. Only the route knows
	 * its limit (an upload's is larger). */
	status = http_read_body_max(req, io, max);
	if (status == 413)
		return http_error(res, 413, "payload_too_large",
				  max == HTTP_MAX_BODY
					  ? "request body is larger than 16 KiB"
					  : "request body is larger than allowed");
	if (status != 0)
		return http_error(res, status, "bad_request",
				  "request body could not be read");

	switch (match) {
	case ROUTER_NOT_FOUND:
		req->route = "-";
		return http_error(res, 404, "not_found", "no such resource");
	case ROUTER_BAD_METHOD:
		req->route = "-";
		http_res_header(res, "Allow", allow);
		return http_error(res, 405, "method_not_allowed",
				  "method not allowed on this resource");
	case ROUTER_FOUND:
		break;
	}

	if ((req->method == HTTP_POST || req->method == HTTP_PUT ||
	     req->method == HTTP_PATCH) && raw == 0 &&
	    req->body_len > 0 && !http_content_type_is(req, "application/json"))
		return http_error(res, 415, "unsupported_media_type",
				  "send the body as application/json");

	status = auth_guard(req, res, r);
	if (status != 0)
		return status;
	return r->handler(req, res);
}

void app_dispatch(struct http_req *req, struct http_res *res,
		  const struct http_io *io)
{
	int status = route_and_call(req, res, io);

	/* Whatever a write changed, the next read shows it
	 * (lib/doccache.h). A refused write (4xx, 5xx) committed nothing:
	 * it must not empty every worker's cache, or failed logins and
	 * malformed bookings at the generic rate limit would keep the
	 * programme uncached. */
	if (req->method != HTTP_GET && req->method != HTTP_HEAD &&
	    status >= 200 && status < 400)
		doccache_changed();

	if (status < 200 || status > 599) {
		log_event(LOG_ERROR, req->request_id, "bad_status",
			  "handler for %s returned %d", req->route, status);
		status = http_error(res, 500, "internal_error",
				    "internal error");
	}
	if (res->body.failed)
		status = http_error(res, 500, "internal_error",
				    "out of memory");
	res->status = status;
	if (status >= 400 && res->body.len == 0)
		http_error(res, status, "error", http_reason(status));
	/* The theatre's time zone (BOXOFFICE_TIMEZONE): the pages show
	 * every time in it, whatever the device's (frontend/src/lib/api.js). */
	http_res_header(res, "X-Time-Zone", app.cfg.timezone);
	/* Personal data travels in API responses: never let a proxy or a
	 * shared browser cache keep them. Handlers may set their own. */
	if (strstr(res->headers.data, "Cache-Control:") == NULL)
		http_res_header(res, "Cache-Control", "no-store");
}
