/*
 * router: a linear scan over a small table. The table is tens of routes;
 * a scan with early rejection on the first differing byte is faster than
 * anything fancier at that size, and obviously correct.
 */
#include "router.h"

#include "arena.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool char_ok(const char *kind, size_t klen, char c)
{
	if (klen == 2 && memcmp(kind, "id", 2) == 0)
		return c >= '0' && c <= '9';
	if (klen == 4 && memcmp(kind, "slug", 4) == 0)
		return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		       c == '-';
	if (klen == 5 && memcmp(kind, "token", 5) == 0)
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		       (c >= '0' && c <= '9') || c == '-' || c == '_';
	return c != '/';
}

static size_t max_len(const char *kind, size_t klen)
{
	if (klen == 2 && memcmp(kind, "id", 2) == 0)
		return 18;
	if (klen == 4 && memcmp(kind, "slug", 4) == 0)
		return 80;
	if (klen == 5 && memcmp(kind, "token", 5) == 0)
		return 128;
	return 200;
}

/*
 * Match path against pattern. Captures are recorded as (name, start, len)
 * without copying; the caller copies only for the route it picks.
 */
struct capture {
	const char *name;
	size_t name_len;
	const char *value;
	size_t len;
};

static bool match(const char *pat, const char *path, struct capture *caps,
		  int *ncaps)
{
	*ncaps = 0;
	while (*pat != '\0') {
		if (*pat == '{') {
			const char *close = strchr(pat, '}');
			const char *kind = pat + 1;
			size_t klen, n = 0, limit;

			if (close == NULL || *ncaps == HTTP_MAX_PARAMS)
				return false;
			klen = (size_t)(close - kind);
			limit = max_len(kind, klen);
			/* A capture runs to the next '/' or to the literal
			 * that follows it in the pattern ("{token}/qr.svg"). */
			while (path[n] != '\0' && path[n] != '/' &&
			       char_ok(kind, klen, path[n]))
				n++;
			if (n == 0 || n > limit)
				return false;
			caps[*ncaps] = (struct capture){kind, klen, path, n};
			(*ncaps)++;
			path += n;
			pat = close + 1;
		} else {
			if (*pat != *path)
				return false;
			pat++;
			path++;
		}
	}
	return *path == '\0';
}

const char *router_method_name(enum http_method m)
{
	switch (m) {
	case HTTP_GET: return "GET";
	case HTTP_HEAD: return "HEAD";
	case HTTP_POST: return "POST";
	case HTTP_PUT: return "PUT";
	case HTTP_PATCH: return "PATCH";
	case HTTP_DELETE: return "DELETE";
	case HTTP_OPTIONS: return "OPTIONS";
	default: return "OTHER";
	}
}

static void allow_add(char *allow, size_t allow_len, const char *name)
{
	size_t used = strlen(allow);
	size_t need = strlen(name) + (used > 0 ? 2 : 0);

	if (strstr(allow, name) != NULL || used + need + 1 > allow_len)
		return;
	snprintf(allow + used, allow_len - used, "%s%s", used > 0 ? ", " : "",
		 name);
}

enum router_result router_match(const struct route *table, size_t n,
				struct http_req *req, const struct route **out,
				char *allow, size_t allow_len)
{
	struct capture caps[HTTP_MAX_PARAMS];
	enum http_method want = req->method == HTTP_HEAD ? HTTP_GET
							 : req->method;
	bool path_known = false;
	int ncaps;

	if (allow_len > 0)
		allow[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const struct route *r = &table[i];

		if (!match(r->pattern, req->path, caps, &ncaps))
			continue;
		if (r->method != want) {
			path_known = true;
			allow_add(allow, allow_len,
				  router_method_name(r->method));
			if (r->method == HTTP_GET)
				allow_add(allow, allow_len, "HEAD");
			continue;
		}
		req->nparams = 0;
		for (int k = 0; k < ncaps; k++) {
			char *name = arena_strndup(req->arena, caps[k].name,
						   caps[k].name_len);
			char *val = arena_strndup(req->arena, caps[k].value,
						  caps[k].len);

			if (name == NULL || val == NULL)
				return ROUTER_NOT_FOUND;
			req->params[k] = (struct http_param){name, val};
			req->nparams++;
		}
		req->route = r->pattern;
		req->route_index = (int)i;
		*out = r;
		return ROUTER_FOUND;
	}
	return path_known ? ROUTER_BAD_METHOD : ROUTER_NOT_FOUND;
}
