/*
 * shows: the public read API.
 *
 * Each endpoint is one statement that returns the whole JSON document,
 * built by PostgreSQL: one round trip, no row-by-row copying in C, and the
 * JSON shape sits right here next to the query. Availability comes from
 * perf_availability() (sql/002_availability.sql), the single definition
 * of "seats available" that the booking path checks too.
 *
 * Only published shows are visible; a performance of an unpublished show
 * is a 404 like a missing one. The answers may be cached for one second
 * (Cache-Control: public, max-age=1), 404s too: random slugs and ids are
 * a cheap way to load PostgreSQL, so a miss costs at most one query a
 * second per path, and a slug that cannot exist (the router lets through
 * [a-z0-9-]{1,80}; shows.slug is stricter) none at all.
 */
#include "shows.h"

#include "app.h"
#include "request.h"

#include "../lib/buf.h"
#include "../lib/db.h"

#include <string.h>

/* Fields of a venue and of a performance, shared by several documents. */
#define VENUE_JSON                                                          \
	"json_build_object('id', v.id, 'name', v.name, 'address', v.address," \
	" 'city', v.city)"

#define PERFORMANCE_FIELDS                                                  \
	"'id', p.id, 'starts_at', p.starts_at, 'status', p.status,"         \
	" 'venue', " VENUE_JSON ","                                          \
	" 'booking_opens_at', p.booking_opens_at,"                           \
	" 'booking_closes_at', coalesce(p.booking_closes_at, p.starts_at),"  \
	" 'max_seats_per_reservation', p.max_seats_per_reservation,"         \
	" 'availability', perf_availability(p)"

/* A show's texts in each language, a missing one taken from the other
 * language and marked (show_texts(), sql/013_site.sql), and its image:
 * the uploaded one (with both srcsets), or the older image_url. */
#define SHOW_TEXTS                                                          \
	" 'texts', json_build_object('it', show_texts(s, 'it'),"             \
	"  'en', show_texts(s, 'en')),"                                      \
	" 'image', (SELECT media_json(m) FROM media m WHERE m.id = s.image_id)," \
	" 'image_url', coalesce((SELECT media_json(m) ->> 'url' FROM media m" \
	"  WHERE m.id = s.image_id), s.image_url),"

static const char SQL_SHOWS[] =
	"SELECT coalesce(json_agg(json_build_object("
	"  'slug', s.slug, 'title', s.title, 'subtitle', s.subtitle,"
	SHOW_TEXTS " 'next_performance', np.doc)"
	"  ORDER BY np.starts_at NULLS LAST, s.title), '[]')::text"
	" FROM shows s"
	" LEFT JOIN LATERAL ("
	"  SELECT p.starts_at, json_build_object('id', p.id,"
	"   'starts_at', p.starts_at,"
	"   'venue', json_build_object('id', v.id, 'name', v.name),"
	"   'availability', perf_availability(p)) AS doc"
	"  FROM performances p JOIN venues v ON v.id = p.venue_id"
	"  WHERE p.show_id = s.id AND p.starts_at > now()"
	"   AND p.status = 'scheduled'"
	"  ORDER BY p.starts_at LIMIT 1) np ON true"
	" WHERE s.published";

static const char SQL_SHOW[] =
	"SELECT json_build_object("
	"  'slug', s.slug, 'title', s.title, 'subtitle', s.subtitle,"
	"  'description', s.description," SHOW_TEXTS
	"  'duration_minutes', s.duration_minutes,"
	"  'performances', coalesce((SELECT json_agg(json_build_object("
	PERFORMANCE_FIELDS ") ORDER BY p.starts_at)"
	"   FROM performances p JOIN venues v ON v.id = p.venue_id"
	"   WHERE p.show_id = s.id AND p.starts_at > now()), '[]'))::text"
	" FROM shows s WHERE s.slug = $1 AND s.published";

static const char SQL_PERFORMANCE[] =
	"SELECT json_build_object(" PERFORMANCE_FIELDS ","
	"  'show', json_build_object('slug', s.slug, 'title', s.title,"
	SHOW_TEXTS " 'duration_minutes', s.duration_minutes)"
	" )::text"
	" FROM performances p JOIN shows s ON s.id = p.show_id"
	" JOIN venues v ON v.id = p.venue_id"
	" WHERE p.id = $1::bigint AND s.published";

static const char SQL_VENUES[] =
	"SELECT coalesce(json_agg(" VENUE_JSON " ORDER BY v.name, v.id),"
	" '[]')::text FROM venues v";

/*
 * The programme is the same for everyone and holds no personal data:
 * nginx may serve it for a second (docs/ARCHITECTURE.md, "Microcache"),
 * its 404s as well. Booking always checks availability live.
 */
static int public_document(struct http_req *req, struct http_res *res,
			   const char *sql, const char *param, const char *key)
{
	int status = app_document(req, res, 200, sql, param, key);

	if (status == 200 || status == 404)
		http_res_header(res, "Cache-Control", "public, max-age=1");
	return status;
}

/* The shape of shows.slug (sql/001_schema.sql): words of [a-z0-9]
 * joined by single hyphens. */
static bool slug_can_exist(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	return n > 0 && s[0] != '-' && s[n - 1] != '-' &&
	       strstr(s, "--") == NULL;
}

int shows_list(struct http_req *req, struct http_res *res)
{
	return public_document(req, res, SQL_SHOWS, NULL, "shows");
}

int shows_get(struct http_req *req, struct http_res *res)
{
	if (!slug_can_exist(http_param(req, "slug"))) {
		http_res_header(res, "Cache-Control", "public, max-age=1");
		return http_error(res, 404, "not_found", "no such resource");
	}
	return public_document(req, res, SQL_SHOW, http_param(req, "slug"),
			    "show");
}

int shows_performance(struct http_req *req, struct http_res *res)
{
	return public_document(req, res, SQL_PERFORMANCE, http_param(req, "id"),
			    "performance");
}

int shows_venues(struct http_req *req, struct http_res *res)
{
	return public_document(req, res, SQL_VENUES, NULL, "venues");
}
