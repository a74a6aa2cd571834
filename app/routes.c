/*
 * routes: every URL the application answers, in one table. The dispatcher
 * enforces `access` before calling a handler, and the tests walk this
 * table to check every guarded route is guarded.
 */
#include "app.h"

#include "admin.h"
#include "auth.h"
#include "bookings.h"
#include "checkins.h"
#include "door.h"
#include "ops.h"
#include "pages.h"
#include "health.h"
#include "media.h"
#include "shows.h"
#include "waitlist.h"
#include "site.h"

#include <string.h>

/* GET /admin as a page: a person typing /admin gets the admin UI; a
 * program gets JSON. */
static int admin_page(struct http_req *req, struct http_res *res)
{
	const char *accept = http_env(req->env, "HTTP_ACCEPT");

	if (accept != NULL && strstr(accept, "text/html") != NULL) {
		http_res_header(res, "Location", "/manage/");
		buf_puts(&res->body, "{\"location\":\"/manage/\"}");
		return 302;
	}
	return http_error(res, 404, "not_found",
			  "the admin API is under /admin/<resource>");
}

const struct route app_routes[] = {
	{HTTP_GET, "/api/health", health_get, ACCESS_PUBLIC},
	{HTTP_GET, "/api/shows", shows_list, ACCESS_PUBLIC},
	{HTTP_GET, "/api/site", site_get, ACCESS_PUBLIC},
	{HTTP_GET, "/api/shows/{slug}", shows_get, ACCESS_PUBLIC},
	{HTTP_GET, "/api/performances/{id}", shows_performance, ACCESS_PUBLIC},
	{HTTP_GET, "/api/venues", shows_venues, ACCESS_PUBLIC},
	/* Fragments nginx includes into the built pages (app/pages.c). */
	{HTTP_GET, "/api/pages/head/shows/{slug}", pages_show_head,
	 ACCESS_PUBLIC},
	{HTTP_GET, "/api/pages/head/en/shows/{slug}", pages_show_head,
	 ACCESS_PUBLIC},
	{HTTP_GET, "/api/pages/main/shows/{slug}", pages_show_main,
	 ACCESS_PUBLIC},
	{HTTP_GET, "/api/pages/main/en/shows/{slug}", pages_show_main,
	 ACCESS_PUBLIC},
	{HTTP_GET, "/api/pages/main/site/{slug}", pages_site_main,
	 ACCESS_PUBLIC},
	{HTTP_GET, "/api/pages/footer", pages_footer, ACCESS_PUBLIC},
	{HTTP_GET, "/sitemap.xml", pages_sitemap, ACCESS_PUBLIC},
	{HTTP_GET, "/robots.txt", pages_robots, ACCESS_PUBLIC},
	{HTTP_POST, "/api/performances/{id}/reservations", bookings_create,
	 ACCESS_PUBLIC},
	{HTTP_POST, "/api/reservations/confirm", bookings_confirm, ACCESS_PUBLIC},
	{HTTP_POST, "/api/reservations/cancel", bookings_cancel, ACCESS_PUBLIC},
	{HTTP_POST, "/api/reservations/seats", bookings_seats, ACCESS_PUBLIC},
	{HTTP_POST, "/api/reservations/resend", bookings_resend, ACCESS_PUBLIC},
	{HTTP_POST, "/api/bookings/lookup", bookings_lookup, ACCESS_PUBLIC},
	{HTTP_POST, "/api/performances/{id}/waitlist", waitlist_join,
	 ACCESS_PUBLIC},
	{HTTP_POST, "/api/waitlist/confirm", waitlist_confirm, ACCESS_PUBLIC},
	{HTTP_POST, "/api/waitlist/leave", waitlist_leave, ACCESS_PUBLIC},
	{HTTP_POST, "/api/waitlist/accept", waitlist_accept, ACCESS_PUBLIC},
	{HTTP_GET, "/api/tickets/{token}", bookings_ticket, ACCESS_PUBLIC},
	{HTTP_GET, "/api/tickets/{token}/qr.svg", bookings_qr_svg, ACCESS_PUBLIC},
	{HTTP_GET, "/api/tickets/{token}/qr.png", bookings_qr_png, ACCESS_PUBLIC},
	{HTTP_GET, "/api/tickets/{token}/event.ics", bookings_event,
	 ACCESS_PUBLIC},

	{HTTP_POST, "/api/auth/login", auth_login, ACCESS_PUBLIC},
	{HTTP_POST, "/api/auth/logout", auth_logout, ACCESS_STAFF},
	{HTTP_GET, "/api/auth/me", auth_me, ACCESS_STAFF},

	{HTTP_POST, "/api/checkins", checkins_create,
	 ACCESS_STAFF_STATEMENT},
	{HTTP_POST, "/api/checkins/{id}/undo", checkins_undo, ACCESS_STAFF},
	{HTTP_GET, "/api/performances/{id}/checkins", checkins_performance,
	 ACCESS_STAFF},
	{HTTP_GET, "/api/staff/performances", checkins_performances,
	 ACCESS_STAFF},
	{HTTP_GET, "/api/performances/{id}/guests", door_guests, ACCESS_STAFF},
	{HTTP_POST, "/api/performances/{id}/walkins", door_walkins,
	 ACCESS_STAFF},
	{HTTP_POST, "/api/performances/{id}/release", door_release,
	 ACCESS_STAFF},

	{HTTP_GET, "/admin", admin_page, ACCESS_PUBLIC},
	{HTTP_GET, "/admin/", admin_page, ACCESS_PUBLIC},
	{HTTP_GET, "/admin/metrics", ops_metrics, ACCESS_METRICS},

	{HTTP_GET, "/admin/venues", admin_venues_list, ACCESS_ADMIN},
	{HTTP_POST, "/admin/venues", admin_venues_create, ACCESS_ADMIN},
	{HTTP_GET, "/admin/venues/{id}", admin_venues_get, ACCESS_ADMIN},
	{HTTP_PATCH, "/admin/venues/{id}", admin_venues_update, ACCESS_ADMIN},
	{HTTP_DELETE, "/admin/venues/{id}", admin_venues_delete, ACCESS_ADMIN},
	{HTTP_GET, "/admin/shows", admin_shows_list, ACCESS_ADMIN},
	{HTTP_POST, "/admin/shows", admin_shows_create, ACCESS_ADMIN},
	{HTTP_GET, "/admin/shows/{id}", admin_shows_get, ACCESS_ADMIN},
	{HTTP_PATCH, "/admin/shows/{id}", admin_shows_update, ACCESS_ADMIN},
	{HTTP_DELETE, "/admin/shows/{id}", admin_shows_delete, ACCESS_ADMIN},
	{HTTP_GET, "/admin/performances", admin_performances_list,
	 ACCESS_ADMIN},
	{HTTP_POST, "/admin/performances", admin_performances_create,
	 ACCESS_ADMIN},
	{HTTP_GET, "/admin/performances/{id}", admin_performances_get,
	 ACCESS_ADMIN},
	{HTTP_PATCH, "/admin/performances/{id}", admin_performances_update,
	 ACCESS_ADMIN},
	{HTTP_POST, "/admin/performances/{id}/cancel",
	 admin_performances_cancel, ACCESS_ADMIN},
	{HTTP_POST, "/admin/performances/series", admin_performances_series,
	 ACCESS_ADMIN},
	{HTTP_POST, "/admin/performances/{id}/duplicate",
	 admin_performances_duplicate, ACCESS_ADMIN},
	{HTTP_DELETE, "/admin/performances/{id}", admin_performances_delete,
	 ACCESS_ADMIN},
	{HTTP_GET, "/admin/performances/{id}/reservations",
	 admin_reservations_list, ACCESS_ADMIN},
	{HTTP_GET, "/admin/performances/{id}/waitlist", waitlist_admin_list,
	 ACCESS_ADMIN},
	{HTTP_POST, "/admin/waitlist/{id}/offer", waitlist_admin_offer,
	 ACCESS_ADMIN},
	{HTTP_POST, "/admin/reservations/{id}/status",
	 admin_reservations_status, ACCESS_ADMIN},
	{HTTP_POST, "/admin/checkins/{id}/undo", admin_checkins_undo,
	 ACCESS_ADMIN},
	{HTTP_POST, "/admin/performances/{id}/reservations",
	 admin_reservations_create, ACCESS_ADMIN},
	{HTTP_PATCH, "/admin/reservations/{id}", admin_reservations_update,
	 ACCESS_ADMIN},
	{HTTP_POST, "/admin/reservations/{id}/resend",
	 admin_reservations_resend, ACCESS_ADMIN},
	{HTTP_PATCH, "/admin/performances/{id}/door", admin_performances_door,
	 ACCESS_ADMIN},
	{HTTP_GET, "/admin/dashboard", admin_dashboard, ACCESS_ADMIN},
	{HTTP_GET, "/admin/users", admin_users_list, ACCESS_ADMIN},
	{HTTP_POST, "/admin/users", admin_users_create, ACCESS_ADMIN},
	{HTTP_POST, "/admin/users/{id}/password", admin_users_password,
	 ACCESS_ADMIN},
	{HTTP_POST, "/admin/users/{id}/deactivate", admin_users_deactivate,
	 ACCESS_ADMIN},
	{HTTP_POST, "/admin/users/{id}/activate", admin_users_activate,
	 ACCESS_ADMIN},
	{HTTP_GET, "/admin/audit", admin_audit_list, ACCESS_ADMIN},
	{HTTP_PATCH, "/admin/site", site_update, ACCESS_ADMIN},
	{HTTP_GET, "/admin/media", media_list, ACCESS_ADMIN},
	{HTTP_POST, "/admin/media", media_upload, ACCESS_ADMIN},
};

const size_t app_nroutes = sizeof(app_routes) / sizeof(app_routes[0]);

const struct raw_body app_raw_bodies[] = {
	{media_upload, MEDIA_MAX_BYTES},
};

const size_t app_nraw_bodies =
	sizeof(app_raw_bodies) / sizeof(app_raw_bodies[0]);
