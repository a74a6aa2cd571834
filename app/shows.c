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
 * is a 404 like a missing one. The answers, 404s too, are kept: by each
 * worker until the programme changes (lib/doccache.c, watched through
 * programme_fingerprint() of sql/016_read_path.sql) or the clock changes
 * them, and by nginx to the end of the second (X-Accel-Expires). Random
 * slugs and ids are a cheap way to load PostgreSQL, so a miss costs one
 * query per path and change, and a slug that cannot exist (the router
 * lets through [a-z0-9-]{1,80}; shows.slug is stricter) none at all.
 */
#include "shows.h"

#include "app.h"
#include "request.h"

#include "../lib/buf.h"
#include "../lib/db.h"
#include "../lib/doccache.h"
#include "../lib/http.h"
#include "../lib/log.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* The second column of each document statement: until when (Unix time,
 * NULL: until the next change) the document stays as it is by the clock
 * (perf_doc_valid_until, sql/016_read_path.sql). */
#define VALID_UNTIL(perfs)                                                  \
	"(SELECT extract(epoch FROM min(perf_doc_valid_until(p)))::float8"  \
	" FROM " perfs ")"

static const char SQL_SHOWS[] =
	"SELECT coalesce(json_agg(json_build_object("
	"  'slug', s.slug, 'title', s.title, 'subtitle', s.subtitle,"
	SHOW_TEXTS " 'next_performance', np.doc)"
	"  ORDER BY np.starts_at NULLS LAST, s.title), '[]')::text, "
	VALID_UNTIL("performances p JOIN shows s ON s.id = p.show_id"
		    " WHERE s.published AND p.starts_at > now()")
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
	"   WHERE p.show_id = s.id AND p.starts_at > now()), '[]'))::text, "
	VALID_UNTIL("performances p WHERE p.show_id = s.id"
		    " AND p.starts_at > now()")
	" FROM shows s WHERE s.slug = $1 AND s.published";

static const char SQL_PERFORMANCE[] =
	"SELECT json_build_object(" PERFORMANCE_FIELDS ","
	"  'show', json_build_object('slug', s.slug, 'title', s.title,"
	SHOW_TEXTS " 'duration_minutes', s.duration_minutes)"
	" )::text,"
	" extract(epoch FROM perf_doc_valid_until(p))::float8,"
	" p.starts_at > now()"
	" FROM performances p JOIN shows s ON s.id = p.show_id"
	" JOIN venues v ON v.id = p.venue_id"
	" WHERE p.id = $1::bigint AND s.published";

static const char SQL_VENUES[] =
	"SELECT coalesce(json_agg(" VENUE_JSON " ORDER BY v.name, v.id),"
	" '[]')::text, NULL::float8 FROM venues v";

/* What the watcher compares every WATCH_MS (sql/016_read_path.sql). */
static const char SQL_FINGERPRINT[] = "SELECT programme_fingerprint()";
#define WATCH_MS 50

int shows_watch_start(void)
{
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s.doccache",
			 app.cfg.metrics_file);

	/* The host's processes share their count of writes next to the
	 * metrics file (the same per-host file scripts/stack sets). */
	if (*app.cfg.metrics_file == '\0' || n < 0 ||
	    (size_t)n >= sizeof(path) || doccache_share(path) < 0)
		log_event(LOG_WARN, NULL, "doccache_not_shared",
			  "a write shows at once only in its own process");
	return doccache_watch_start(app.cfg.database_url, SQL_FINGERPRINT,
				    WATCH_MS);
}

/* The columns of the document statements above; DOC_WATCHED (only the
 * performance's) is false for a performance that has started, which
 * programme_fingerprint() does not watch: the workers do not keep it. */
enum { DOC_JSON, DOC_VALID_UNTIL, DOC_WATCHED };

/*
 * Render one document: 200 with it (wrapped as {"key": ...}), 404 when
 * the statement found nothing, or the status of a database failure.
 * *valid_until: until when the clock alone leaves it as it is.
 */
static int render(struct http_req *req, struct http_res *res,
		  const char *sql, const char *param, const char *key,
		  double *valid_until, bool *keep)
{
	const char *params[1] = {param};
	struct db_conn *c;
	PGresult *r;
	enum db_status st;
	int answered;

	*valid_until = INFINITY;
	*keep = true;
	if ((answered = app_db(req, res, &c)) != 0)
		return answered;
	st = db_query(c, req->arena, sql, param != NULL ? 1 : 0,
		      param != NULL ? params : NULL, &r);
	if (st != DB_OK)
		return app_db_error(res, st);
	if (PQntuples(r) == 0)
		return http_error(res, 404, "not_found", "no such resource");
	if (!PQgetisnull(r, 0, DOC_VALID_UNTIL)) {
		char *end;
		double t = strtod(db_val(r, 0, DOC_VALID_UNTIL), &end);

		*valid_until = *end == '\0' ? t : 0;
	}
	if (PQnfields(r) > DOC_WATCHED)
		*keep = strcmp(db_val(r, 0, DOC_WATCHED), "t") == 0;
	return app_json_wrap(res, 200, key, db_val(r, 0, DOC_JSON));
}

/*
 * The headers of a public answer that holds every change committed before
 * known_at (Unix time). Clients and proxies may keep it for a second (the
 * API's contract; the site itself fetches with no-store). nginx's
 * microcache follows X-Accel-Expires only (it ignores Cache-Control,
 * snippets/boxoffice-app.conf), which it reads in whole seconds:
 * "@<this second>" keeps the copy to the end of the current second, never
 * longer. It is sent only when known_at is in this second too, so nginx's
 * copy is never more than a second behind the database, and not for a
 * document that changes by the clock before then.
 */
static void public_headers(struct http_res *res, double valid_until,
			   double known_at)
{
	struct timespec ts;
	char v[32];

	if (clock_gettime(CLOCK_REALTIME, &ts) == 0 &&
	    valid_until > (double)ts.tv_sec + 1.0 &&
	    known_at >= (double)ts.tv_sec) {
		(void)snprintf(v, sizeof(v), "@%lld", (long long)ts.tv_sec);
		http_res_header(res, "X-Accel-Expires", v);
	}
	http_res_header(res, "Cache-Control", "public, max-age=1");
}

/* Now, as Unix time. */
static double now_s(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The programme is the same for everyone and holds no personal data.
 * Each worker keeps the rendered documents (lib/doccache.c) until its
 * watcher sees a committed change or the clock changes them, and nginx keeps
 * an answer to the end of the second (docs/ARCHITECTURE.md, "Microcache"),
 * its 404s as well. Booking always checks availability live.
 */
static int public_document(struct http_req *req, struct http_res *res,
			   const char *sql, const char *param, const char *key)
{
	char ck[DOCCACHE_KEY_MAX];
	int n = snprintf(ck, sizeof(ck), "%s/%s", key,
			 param != NULL ? param : "");
	bool cacheable = n > 0 && (size_t)n < sizeof(ck);
	uint64_t epoch = 0;
	double valid_until = INFINITY, known_at = doccache_checked_at();
	bool keep;
	int status;

	/* A visitor who just booked (bo_fresh, set by nginx on the booking
	 * routes) reads past the copies: the watcher may not have seen their
	 * change yet. */
	if (http_cookie(req, "bo_fresh") != NULL)
		cacheable = false;
	if (!cacheable ||
	    !doccache_get(ck, &res->body, &status, &valid_until)) {
		if (cacheable)
			epoch = doccache_epoch(); /* before the query */
		known_at = now_s();
		status = render(req, res, sql, param, key, &valid_until,
				&keep);
		if (epoch != 0 && keep && (status == 200 || status == 404) &&
		    !res->body.failed)
			doccache_put(ck, epoch, status, res->body.data,
				     res->body.len, valid_until);
	}
	if (status == 200 || status == 404)
		public_headers(res, valid_until, known_at);
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
		public_headers(res, INFINITY, INFINITY);
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
