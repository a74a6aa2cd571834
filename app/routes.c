/*
 * routes: every URL the application answers, in one table. The dispatcher
 * enforces `access` before calling a handler, and the tests walk this
 * table to check every guarded route is guarded.
 */
#include "app.h"

#include "health.h"
#include "shows.h"

const struct route app_routes[] = {
	{HTTP_GET, "/api/health", health_get, ACCESS_PUBLIC},
	{HTTP_GET, "/api/shows", shows_list, ACCESS_PUBLIC},
	{HTTP_GET, "/api/shows/{slug}", shows_get, ACCESS_PUBLIC},
	{HTTP_GET, "/api/performances/{id}", shows_performance, ACCESS_PUBLIC},
	{HTTP_GET, "/api/venues", shows_venues, ACCESS_PUBLIC},
};

const size_t app_nroutes = sizeof(app_routes) / sizeof(app_routes[0]);
