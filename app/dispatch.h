/*
 * dispatch: the request entry point. main.c calls it once per request.
 */
#ifndef BOXOFFICE_DISPATCH_H
#define BOXOFFICE_DISPATCH_H

#include "../lib/http.h"

/*
 * Handle one request end to end: read the body, route, check access,
 * call the handler, fill res (status, headers, body). Always returns the
 * status in res->status; never fails to produce a response.
 */
void app_dispatch(struct http_req *req, struct http_res *res,
		  const struct http_io *io);

#endif
