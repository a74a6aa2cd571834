/*
 * admin_programme: venues, shows and performances, as the admin sees and
 * changes them.
 *
 * Reads are one statement each returning the whole JSON document, built by
 * PostgreSQL, like the public shows.c; the shapes are the *_JSON macros
 * below. Venue and show writes are one data-modifying statement each, run
 * with their audit entry by audit_tx(): the statement hands back the row
 * before and after. Performance writes change what can be sold, so they
 * are SQL functions (sql/005_admin.sql) run by app_call() under the
 * performance's advisory lock, like a booking, and audit themselves.
 *
 * A PATCH changes only the fields in its body: absent fields are NULL
 * parameters that coalesce() keeps, and the fields that null may clear
 * (image_url, duration_minutes, the booking window) come with a "set"
 * flag. No SQL is ever assembled at run time.
 */
#include "admin.h"

#include "app.h"
#include "audit.h"
#include "auth.h"
#include "input.h"
#include "outbox.h"
#include "request.h"
#include "site.h"

#include "../lib/arena.h"
#include "../lib/buf.h"
#include "../lib/db.h"
#include "../lib/log.h"

#include <json-c/json.h>
#include <string.h>

/* ---- documents ------------------------------------------------------ */

#define VENUE_JSON                                                          \
	"json_build_object('id', v.id, 'name', v.name,"                      \
	" 'address', v.address, 'city', v.city,"                             \
	" 'default_capacity', v.default_capacity,"                           \
	" 'performances', (SELECT count(*) FROM performances p"              \
	"  WHERE p.venue_id = v.id),"                                        \
	" 'created_at', v.created_at, 'updated_at', v.updated_at)"

#define SHOW_JSON                                                           \
	"json_build_object('id', s.id, 'slug', s.slug, 'title', s.title,"    \
	" 'subtitle', s.subtitle, 'description', s.description,"             \
	" 'subtitle_en', s.subtitle_en, 'description_en', s.description_en," \
	" 'texts', json_build_object("                                       \
	"  'subtitle', json_build_object('it', s.subtitle, 'en', s.subtitle_en)," \
	"  'description', json_build_object('it', s.description,"           \
	"   'en', s.description_en)),"                                        \
	" 'description_html', s.description_html,"                           \
	" 'image', s.image_id,"                                              \
	" 'image_media', (SELECT media_json(m) FROM media m"                 \
	"  WHERE m.id = s.image_id),"                                        \
	" 'image_url', s.image_url, 'duration_minutes', s.duration_minutes," \
	" 'published', s.published,"                                         \
	" 'performances', (SELECT count(*) FROM performances p"              \
	"  WHERE p.show_id = s.id),"                                         \
	" 'created_at', s.created_at, 'updated_at', s.updated_at)"

/* Pending counts only holds that have not expired, as availability does;
 * a lapsed hold not yet swept counts as expired. */
#define PERFORMANCE_COUNTS                                                  \
	"(SELECT json_build_object("                                         \
	"  'pending', count(*) FILTER (WHERE r.status = 'pending'"           \
	"   AND r.expires_at > now()),"                                      \
	"  'confirmed', count(*) FILTER (WHERE r.status = 'confirmed'),"     \
	"  'cancelled', count(*) FILTER (WHERE r.status = 'cancelled'),"     \
	"  'expired', count(*) FILTER (WHERE r.status = 'expired'"           \
	"   OR (r.status = 'pending' AND r.expires_at <= now())),"           \
	"  'seats_pending', coalesce(sum(r.seats) FILTER"                    \
	"   (WHERE r.status = 'pending' AND r.expires_at > now()), 0),"      \
	"  'seats_confirmed', coalesce(sum(r.seats) FILTER"                  \
	"   (WHERE r.status = 'confirmed'), 0),"                             \
	"  'seats_admitted', coalesce(sum(r.seats_admitted), 0))"            \
	" FROM reservations r WHERE r.performance_id = p.id)"

#define PERFORMANCE_JSON                                                    \
	"json_build_object('id', p.id, 'status', p.status,"                  \
	" 'starts_at', p.starts_at,"                                         \
	" 'show', json_build_object('id', s.id, 'slug', s.slug,"             \
	"  'title', s.title, 'published', s.published),"                     \
	" 'venue', json_build_object('id', v.id, 'name', v.name),"           \
	" 'capacity', p.capacity, 'occupied_manual', p.occupied_manual,"     \
	" 'extra_seats', p.extra_seats,"                                     \
	" 'booking_opens_at', p.booking_opens_at,"                           \
	" 'booking_closes_at', p.booking_closes_at,"                         \
	" 'max_seats_per_reservation', p.max_seats_per_reservation,"         \
	" 'seats_sellable', perf_seats_sellable(p),"                         \
	" 'seats_taken', perf_seats_taken(p.id),"                            \
	" 'availability', perf_availability(p),"                             \
	" 'counts', " PERFORMANCE_COUNTS ","                                 \
	" 'waitlist', waitlist_counts(p.id),"                                \
	" 'created_at', p.created_at, 'updated_at', p.updated_at)"

#define PERFORMANCE_FROM                                                    \
	" FROM performances p JOIN shows s ON s.id = p.show_id"              \
	" JOIN venues v ON v.id = p.venue_id"

/* ---- statements ----------------------------------------------------- */

static const char SQL_VENUES[] =
	"SELECT coalesce(json_agg(" VENUE_JSON " ORDER BY v.name, v.id),"
	" '[]')::text FROM venues v";

static const char SQL_VENUE[] =
	"SELECT " VENUE_JSON "::text FROM venues v WHERE v.id = $1::bigint";

/* Writes for audit_tx(): enum audit_col (audit.h). */
static const char SQL_VENUE_CREATE[] =
	"WITH v AS (INSERT INTO venues (name, address, city, default_capacity)"
	"  VALUES ($1, coalesce($2, ''), coalesce($3, ''), $4::integer)"
	"  RETURNING *)"
	" SELECT v.id, NULL, to_jsonb(v)::text, " VENUE_JSON "::text FROM v";

static const char SQL_VENUE_UPDATE[] =
	"WITH o AS (SELECT * FROM venues WHERE id = $1::bigint),"
	" v AS (UPDATE venues x SET name = coalesce($2, x.name),"
	"  address = coalesce($3, x.address), city = coalesce($4, x.city),"
	"  default_capacity = CASE WHEN $5::boolean THEN $6::integer"
	"   ELSE x.default_capacity END,"
	"  updated_at = now() FROM o WHERE x.id = o.id RETURNING x.*)"
	" SELECT v.id, to_jsonb(o)::text, to_jsonb(v)::text, "
	VENUE_JSON "::text FROM o, v";

/* A venue with performances fails the foreign key: DB_CONSTRAINT. */
static const char SQL_VENUE_DELETE[] =
	"WITH v AS (DELETE FROM venues WHERE id = $1::bigint RETURNING *)"
	" SELECT v.id, to_jsonb(v)::text, NULL FROM v";

static const char SQL_SHOWS[] =
	"SELECT coalesce(json_agg(" SHOW_JSON " ORDER BY s.title, s.id),"
	" '[]')::text FROM shows s";

static const char SQL_SHOW[] =
	"SELECT " SHOW_JSON "::text FROM shows s WHERE s.id = $1::bigint";

static const char SQL_SHOW_CREATE[] =
	"WITH s AS (INSERT INTO shows (slug, title, subtitle, description,"
	"  image_url, duration_minutes, published, subtitle_en, description_en,"
	"  description_html, image_id)"
	"  VALUES ($1, $2, coalesce($3, ''), coalesce($4, ''), $5,"
	"  $6::integer, coalesce($7::boolean, false), coalesce($8, ''),"
	"  coalesce($9, ''), $10::jsonb, $11::bigint) RETURNING *)"
	" SELECT s.id, NULL, to_jsonb(s)::text, " SHOW_JSON "::text FROM s";

static const char SQL_SHOW_UPDATE[] =
	"WITH o AS (SELECT * FROM shows WHERE id = $1::bigint),"
	" s AS (UPDATE shows x SET slug = coalesce($2, x.slug),"
	"  title = coalesce($3, x.title),"
	"  subtitle = coalesce($4, x.subtitle),"
	"  description = coalesce($5, x.description),"
	"  image_url = CASE WHEN $6::boolean THEN $7 ELSE x.image_url END,"
	"  duration_minutes = CASE WHEN $8::boolean THEN $9::integer"
	"   ELSE x.duration_minutes END,"
	"  published = coalesce($10::boolean, x.published),"
	"  subtitle_en = coalesce($11, x.subtitle_en),"
	"  description_en = coalesce($12, x.description_en),"
	"  description_html = CASE WHEN x.description_html IS NULL THEN NULL"
	"   ELSE x.description_html || coalesce($13::jsonb, '{}') END,"
	"  image_id = CASE WHEN $14::boolean THEN $15::bigint"
	"   ELSE x.image_id END,"
	"  updated_at = now() FROM o WHERE x.id = o.id RETURNING x.*)"
	" SELECT s.id, to_jsonb(o)::text, to_jsonb(s)::text, "
	SHOW_JSON "::text FROM o, s";

static const char SQL_SHOW_DELETE[] =
	"WITH s AS (DELETE FROM shows WHERE id = $1::bigint RETURNING *)"
	" SELECT s.id, to_jsonb(s)::text, NULL FROM s";

static const char SQL_PERFORMANCES[] =
	"SELECT coalesce(json_agg(" PERFORMANCE_JSON
	" ORDER BY p.starts_at, p.id), '[]')::text" PERFORMANCE_FROM
	" WHERE $1::bigint IS NULL OR p.show_id = $1::bigint";

static const char SQL_PERFORMANCE[] =
	"SELECT " PERFORMANCE_JSON "::text" PERFORMANCE_FROM
	" WHERE p.id = $1::bigint";

enum { PERF_RESULT, PERF_ID };
static const char SQL_PERFORMANCE_CREATE[] =
	"SELECT o_result, o_id FROM admin_create_performance($1::bigint,"
	" $2::bigint, $3::timestamptz, $4::integer, $5::integer, $6::integer,"
	" $7::timestamptz, $8::timestamptz, $9::integer, $10::bigint, $11)";

/* The capacity a new performance gets when its body has none. */
enum { VENUE_CAPACITY };
static const char SQL_VENUE_CAPACITY[] =
	"SELECT default_capacity FROM venues WHERE id = $1::bigint";

enum { SERIES_RESULT, SERIES_COUNT, SERIES_IDS };
static const char SQL_SERIES[] =
	"SELECT o_result, o_count, o_ids::text FROM admin_create_series("
	"$1::bigint, $2::bigint, $3::integer[], $4::time, $5::date, $6::date,"
	" $7, $8::integer, $9::integer, $10::integer, $11::integer,"
	" $12::bigint, $13)";

static const char SQL_PERFORMANCES_BY_ID[] =
	"SELECT coalesce(json_agg(" PERFORMANCE_JSON
	" ORDER BY p.starts_at, p.id), '[]')::text" PERFORMANCE_FROM
	" WHERE p.id = ANY ($1::bigint[])";

enum { DUP_RESULT, DUP_ID };
static const char SQL_DUPLICATE[] =
	"SELECT o_result, o_id FROM admin_duplicate_performance($1::bigint,"
	" $2::timestamptz, $3::bigint, $4)";

enum { DELETE_RESULT };
static const char SQL_PERFORMANCE_DELETE[] =
	"SELECT o_result FROM admin_delete_performance($1::bigint, $2::bigint,"
	" $3)";

enum { PERF_UPDATE_RESULT, PERF_SEATS_TAKEN, PERF_UPDATE_NOTIFIED };
static const char SQL_PERFORMANCE_UPDATE[] =
	"SELECT o_result, o_seats_taken, o_notified FROM admin_update_performance("
	"$1::bigint, $2::bigint, $3::bigint, $4::timestamptz, $5::integer,"
	" $6::integer, $7::integer, $8::boolean, $9::timestamptz, $10::boolean,"
	" $11::timestamptz, $12::integer, $13::boolean, $14::bigint, $15)";

enum { PERF_CANCEL_RESULT, PERF_CANCEL_NOTIFIED, PERF_CANCEL_SEATS };
static const char SQL_PERFORMANCE_CANCEL[] =
	"SELECT o_result, o_notified, o_seats FROM admin_cancel_performance("
	"$1::bigint, $2, $3::bigint, $4)";

/* ---- shared --------------------------------------------------------- */

/* The answer to an audit_tx() write of a venue or a show. */
static int written(struct http_req *req, struct http_res *res,
		   enum db_status st, PGresult *row, int status,
		   const char *key, const char *event)
{
	if (st != DB_OK)
		return app_db_error(res, st);
	if (PQntuples(row) == 0)
		return http_error(res, 404, "not_found", "no such resource");
	log_event(LOG_INFO, req->request_id, event, "%s %s by user %s", key,
		  db_val(row, 0, AUDIT_ID), auth_user(req)->id_text);
	if (status == 204)
		return 204;
	return app_json_wrap(res, status, key, db_val(row, 0, AUDIT_DOC));
}

/* DELETE of a venue or a show: 204, 404, or 409 in_use. */
static int delete_row(struct http_req *req, struct http_res *res,
		      const char *sql, const char *entity, const char *event)
{
	const char *params[1] = {http_param(req, "id")};
	struct db_conn *c;
	enum db_status st;
	PGresult *row;
	int status;

	if ((status = app_db(req, res, &c)) != 0)
		return status;
	st = audit_tx(c, req, "delete", entity, sql, 1, params, &row);
	if (st == DB_CONSTRAINT)
		return http_error(res, 409, "in_use",
				  "it still has performances");
	return written(req, res, st, row, 204, entity, event);
}

/*
 * The start of every write with a body: the body read and checked by
 * check (venue_input, show_input, perf_input) into in, then the request's
 * connection. 0, or the status answered (400, 422, 503).
 */
/* (Callers zero in and c: the analyzer cannot see that 0 means set.) */
static int write_input(struct http_req *req, struct http_res *res,
		       bool (*check)(struct arena *, struct json_object *,
				     struct input_fields *, bool, void *),
		       bool create, void *in, struct db_conn **c)
{
	struct json_object *body;
	struct input_fields f;
	int status;

	if ((status = app_json_body(req, res, &body)) != 0)
		return status;
	input_fields_init(&f, req->arena);
	if (!check(req->arena, body, &f, create, in))
		return input_fields_answer(res, &f);
	return app_db(req, res, c);
}

/*
 * Add "notified" (the messages the write queued) to a {"performance": ...}
 * answer that app_document wrote. Returns status.
 */
static int with_notified(struct http_res *res, int status, const char *n)
{
	if (status >= 300 || res->body.len == 0 ||
	    res->body.data[res->body.len - 1] != '}')
		return status;
	res->body.len--;
	buf_printf(&res->body, ",\"notified\":%s}", n);
	return status;
}

/* ---- venues --------------------------------------------------------- */

struct venue_in {
	const char *name, *address, *city, *capacity;
	enum input_in capacity_in;
};

static bool venue_input(struct arena *a, struct json_object *body,
			struct input_fields *f, bool create, void *out)
{
	struct venue_in *in = out;
	int req = create ? INPUT_REQUIRED : 0;
	int64_t n;

	input_text(a, body, f, "name", 200, req | INPUT_NONEMPTY, &in->name);
	input_text(a, body, f, "address", 300, 0, &in->address);
	input_text(a, body, f, "city", 100, 0, &in->city);
	in->capacity_in = input_int(a, body, f, "default_capacity", 0, 100000,
				    INPUT_NULLABLE, &n, &in->capacity);
	return f->n == 0;
}

int admin_venues_list(struct http_req *req, struct http_res *res)
{
	return app_document(req, res, 200, SQL_VENUES, NULL, "venues");
}

int admin_venues_get(struct http_req *req, struct http_res *res)
{
	return app_document(req, res, 200, SQL_VENUE, http_param(req, "id"),
			    "venue");
}

static int venue_write(struct http_req *req, struct http_res *res,
		       bool create)
{
	struct venue_in in = {0};
	struct db_conn *c = NULL;
	enum db_status st;
	PGresult *row;
	int status;

	if ((status = write_input(req, res, venue_input, create, &in, &c)) != 0)
		return status;
	if (create) {
		const char *params[4] = {in.name, in.address, in.city,
					 in.capacity};

		st = audit_tx(c, req, "create", "venue", SQL_VENUE_CREATE, 4,
			      params, &row);
		return written(req, res, st, row, 201, "venue",
			       "venue_created");
	}
	{
		const char *params[6] = {
			http_param(req, "id"), in.name, in.address, in.city,
			in.capacity_in == INPUT_ABSENT ? "false" : "true",
			in.capacity};

		st = audit_tx(c, req, "update", "venue", SQL_VENUE_UPDATE, 6,
			      params, &row);
	}
	return written(req, res, st, row, 200, "venue", "venue_updated");
}

int admin_venues_create(struct http_req *req, struct http_res *res)
{
	return venue_write(req, res, true);
}

int admin_venues_update(struct http_req *req, struct http_res *res)
{
	return venue_write(req, res, false);
}

int admin_venues_delete(struct http_req *req, struct http_res *res)
{
	return delete_row(req, res, SQL_VENUE_DELETE, "venue",
			  "venue_deleted");
}

/* ---- shows ---------------------------------------------------------- */

/* ^[a-z0-9]+(-[a-z0-9]+)*$, at most 80 bytes: what the schema checks. */
static bool slug_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 80 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		bool alnum = (s[i] >= 'a' && s[i] <= 'z') ||
			     (s[i] >= '0' && s[i] <= '9');

		if (!alnum && (s[i] != '-' || s[i + 1] == '-'))
			return false;
	}
	return true;
}

/* An absolute http(s) URL or a site path, in printable ASCII with nothing
 * that could end an HTML attribute or a CSS url(). */
static bool image_url_valid(const char *s)
{
	if (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0 &&
	    !(s[0] == '/' && s[1] != '/'))
		return false;
	for (; *s != '\0'; s++)
		if (*s <= ' ' || *s >= 0x7F || strchr("\"'<>\\`()", *s))
			return false;
	return true;
}

struct show_in {
	const char *slug, *title, *subtitle, *description, *image_url;
	const char *duration, *published;
	const char *subtitle_en, *description_en;
	const char *html;	/* {"it": html, "en": html} of what is set */
	const char *image;	/* a media id */
	enum input_in image_in, duration_in, media_in;
};

/*
 * subtitle or description: a string is the Italian text (what every
 * client wrote before texts had languages), {"it", "en"} either or both.
 */
static void show_lang_input(struct arena *a, struct json_object *body,
			    struct input_fields *f, const char *key,
			    size_t max, int flags, const char **it,
			    const char **en)
{
	struct json_object *v;
	const char *t[2];

	*it = *en = NULL;
	if (json_object_object_get_ex(body, key, &v) &&
	    json_object_is_type(v, json_type_object)) {
		if (site_lang_text(a, body, f, key, max, flags, false, t)) {
			*it = t[0];
			*en = t[1];
		}
		return;
	}
	input_text(a, body, f, key, max, flags, it);
}

/* The HTML of the descriptions the body sets, as a JSON object. */
static const char *show_html(struct arena *a, const struct show_in *in)
{
	struct buf b;
	struct jsonw w;

	if (in->description == NULL && in->description_en == NULL)
		return NULL;
	buf_init(&b, a, 1024);
	jsonw_init(&w, &b);
	jsonw_obj(&w);
	if (in->description != NULL) {
		jsonw_key(&w, "it");
		jsonw_str(&w, site_markdown(a, in->description));
	}
	if (in->description_en != NULL) {
		jsonw_key(&w, "en");
		jsonw_str(&w, site_markdown(a, in->description_en));
	}
	jsonw_end(&w);
	return b.failed ? NULL : b.data;
}

static bool show_input(struct arena *a, struct json_object *body,
		       struct input_fields *f, bool create, void *out)
{
	struct show_in *in = out;
	int req = create ? INPUT_REQUIRED : 0;
	int64_t n;
	bool b;

	if (input_text(a, body, f, "slug", 80, req | INPUT_NONEMPTY,
		       &in->slug) == INPUT_SET &&
	    !slug_valid(in->slug))
		input_field_error(f, "slug", "invalid");
	input_text(a, body, f, "title", 200, req | INPUT_NONEMPTY, &in->title);
	show_lang_input(a, body, f, "subtitle", 300, 0, &in->subtitle,
			&in->subtitle_en);
	show_lang_input(a, body, f, "description", 20000, INPUT_MULTILINE,
			&in->description, &in->description_en);
	in->media_in = input_int(a, body, f, "image", 1, INT64_MAX - 1,
				 INPUT_NULLABLE, &n, &in->image);
	in->html = show_html(a, in);
	in->image_in = input_text(a, body, f, "image_url", 500, INPUT_NULLABLE,
				  &in->image_url);
	if (in->image_in == INPUT_SET && *in->image_url == '\0') {
		in->image_in = INPUT_NULL;	/* "" clears, like null */
		in->image_url = NULL;
	} else if (in->image_in == INPUT_SET && !image_url_valid(in->image_url))
		input_field_error(f, "image_url", "invalid");
	in->duration_in = input_int(a, body, f, "duration_minutes", 1, 1440,
				    INPUT_NULLABLE, &n, &in->duration);
	input_bool(body, f, "published", 0, &b, &in->published);
	return f->n == 0;
}

int admin_shows_list(struct http_req *req, struct http_res *res)
{
	return app_document(req, res, 200, SQL_SHOWS, NULL, "shows");
}

int admin_shows_get(struct http_req *req, struct http_res *res)
{
	return app_document(req, res, 200, SQL_SHOW, http_param(req, "id"),
			    "show");
}

static int show_write(struct http_req *req, struct http_res *res,
		      bool create)
{
	struct show_in in = {0};
	struct db_params p;
	struct db_conn *c = NULL;
	enum db_status st;
	PGresult *row;
	int status;

	if ((status = write_input(req, res, show_input, create, &in, &c)) != 0)
		return status;
	db_params_init(&p);
	if (!create)
		db_param(&p, http_param(req, "id"));		/* $1 */
	db_param(&p, in.slug);
	db_param(&p, in.title);
	db_param(&p, in.subtitle);
	db_param(&p, in.description);
	if (!create)
		db_param_bool(&p, in.image_in != INPUT_ABSENT);	/* set? */
	db_param(&p, in.image_url);
	if (!create)
		db_param_bool(&p, in.duration_in != INPUT_ABSENT);
	db_param(&p, in.duration);
	db_param(&p, in.published);
	db_param(&p, in.subtitle_en);
	db_param(&p, in.description_en);
	if (create) {
		/* Both languages: a new show has no other HTML to keep. */
		const char *d[2] = {in.description, in.description_en};

		in.description = d[0] != NULL ? d[0] : "";
		in.description_en = d[1] != NULL ? d[1] : "";
		in.html = show_html(req->arena, &in);
	}
	db_param(&p, in.html);
	if (!create)
		db_param_bool(&p, in.media_in == INPUT_SET ||
				      in.media_in == INPUT_NULL);
	db_param(&p, in.image);
	if (create)
		st = audit_tx(c, req, "create", "show", SQL_SHOW_CREATE, p.n,
			      p.v, &row);
	else
		st = audit_tx(c, req, "update", "show", SQL_SHOW_UPDATE, p.n,
			      p.v, &row);
	if (st == DB_CONFLICT)
		return http_error_fields(res, 409, "conflict",
					 "another show has this slug",
					 "{\"slug\":\"taken\"}");
	if (st == DB_CONSTRAINT)
		return input_field_answer(res, req->arena, "image", "unknown");
	return written(req, res, st, row, create ? 201 : 200, "show",
		       create ? "show_created" : "show_updated");
}

int admin_shows_create(struct http_req *req, struct http_res *res)
{
	return show_write(req, res, true);
}

int admin_shows_update(struct http_req *req, struct http_res *res)
{
	return show_write(req, res, false);
}

int admin_shows_delete(struct http_req *req, struct http_res *res)
{
	return delete_row(req, res, SQL_SHOW_DELETE, "show", "show_deleted");
}

/* ---- performances --------------------------------------------------- */

struct perf_in {
	const char *show, *venue, *starts, *capacity, *occupied, *extra;
	const char *opens, *closes, *max, *force;
	enum input_in opens_in, closes_in;
};

static bool perf_input(struct arena *a, struct json_object *body,
		       struct input_fields *f, bool create, void *out)
{
	struct perf_in *in = out;
	int req = create ? INPUT_REQUIRED : 0;
	int64_t capacity = 0, occupied = 0, extra = 0, n;
	bool force;

	input_int(a, body, f, "show_id", 1, INT64_MAX - 1, req, &n, &in->show);
	input_int(a, body, f, "venue_id", 1, INT64_MAX - 1, req, &n,
		  &in->venue);
	input_time(body, f, "starts_at", req, &in->starts);
	/* A new performance's capacity defaults to its venue's: without a
	 * venue there is none to take. */
	if (input_int(a, body, f, "capacity", 0, 100000, 0, &capacity,
		      &in->capacity) == INPUT_ABSENT &&
	    create && in->venue == NULL)
		input_field_error(f, "capacity", "required");
	input_int(a, body, f, "occupied_manual", 0, 100000, 0, &occupied,
		  &in->occupied);
	input_int(a, body, f, "extra_seats", 0, 100000, 0, &extra, &in->extra);
	in->opens_in = input_time(body, f, "booking_opens_at", INPUT_NULLABLE,
				  &in->opens);
	in->closes_in = input_time(body, f, "booking_closes_at",
				   INPUT_NULLABLE, &in->closes);
	input_int(a, body, f, "max_seats_per_reservation", 1, 100, 0, &n,
		  &in->max);
	in->force = NULL;
	if (!create)
		input_bool(body, f, "force", 0, &force, &in->force);
	/* A new performance has nothing taken: fewer than no seats to sell
	 * is a typing error. Updates meet the same rule in SQL, with what
	 * is taken. */
	if (create && f->n == 0 && in->capacity != NULL &&
	    occupied > capacity + extra)
		input_field_error(f, "occupied_manual", "out_of_range");
	return f->n == 0;
}

/* The field errors both performance writes answer. */
#define PERF_FIELD_OUTCOMES                                                 \
	{"unknown_show", 422, "validation_failed",                          \
	 "some fields are not valid", "{\"show_id\":\"unknown\"}", NULL},     \
	{"unknown_venue", 422, "validation_failed",                         \
	 "some fields are not valid", "{\"venue_id\":\"unknown\"}", NULL},    \
	{"bad_window", 422, "validation_failed", "some fields are not valid", \
	 "{\"booking_closes_at\":\"before_opens\"}", NULL}

/* POST /admin/performances: admin_create_performance() */
static const struct outcome create_outcomes[] = {
	{"created", 201, NULL, NULL, NULL, NULL},
	PERF_FIELD_OUTCOMES,
};

/* PATCH /admin/performances/{id}: admin_update_performance() */
static const struct outcome update_outcomes[] = {
	{"updated", 200, NULL, NULL, NULL, NULL},
	{"not_found", 404, "not_found", "no such performance", NULL, NULL},
	PERF_FIELD_OUTCOMES,
	{"capacity_below_taken", 409, "capacity_below_taken",
	 "fewer seats than are already taken; send \"force\": true to do it "
	 "anyway", NULL, "seats_taken"},
};

/* POST /admin/performances/{id}/cancel: admin_cancel_performance() */
static const struct outcome cancel_outcomes[] = {
	{"cancelled", 200, NULL, NULL, NULL, NULL},
	{"already_cancelled", 200, NULL, NULL, NULL, NULL},
	{"not_found", 404, "not_found", "no such performance", NULL, NULL},
};

/* The fields of a performance write, $2.. of SQL_PERFORMANCE_CREATE/UPDATE
 * up to the booking window's end: the update's "set" flags only with
 * update. */
static void perf_params(struct db_params *p, const struct perf_in *in,
			bool update)
{
	db_param(p, in->show);
	db_param(p, in->venue);
	db_param(p, in->starts);
	db_param(p, in->capacity);
	db_param(p, in->occupied);
	db_param(p, in->extra);
	if (update)
		db_param_bool(p, in->opens_in != INPUT_ABSENT);
	db_param(p, in->opens);
	if (update)
		db_param_bool(p, in->closes_in != INPUT_ABSENT);
	db_param(p, in->closes);
	db_param(p, in->max);
}

int admin_performances_list(struct http_req *req, struct http_res *res)
{
	struct input_fields f;
	const char *show;
	struct db_conn *c;
	enum db_status st;
	PGresult *r;
	int status;

	input_fields_init(&f, req->arena);
	if (!input_query_id(req, &f, "show_id", &show))
		return input_fields_answer(res, &f);
	if ((status = app_db(req, res, &c)) != 0)
		return status;
	st = db_query(c, req->arena, SQL_PERFORMANCES, 1, &show, &r);
	if (st != DB_OK)
		return app_db_error(res, st);
	return app_json_wrap(res, 200, "performances",
			     db_val(r, 0, APP_DOC_JSON));
}

int admin_performances_get(struct http_req *req, struct http_res *res)
{
	return app_document(req, res, 200, SQL_PERFORMANCE,
			    http_param(req, "id"), "performance");
}

/* No capacity in the body: the venue's default, or 422 capacity
 * required when it has none (an unknown venue is the SQL's answer). */
static int venue_capacity(struct http_req *req, struct http_res *res,
			  struct db_conn *c, struct perf_in *in)
{
	enum db_status st;
	PGresult *r;

	st = db_query(c, req->arena, SQL_VENUE_CAPACITY, 1, &in->venue, &r);
	if (st != DB_OK)
		return app_db_error(res, st);
	if (PQntuples(r) == 1 && db_null(r, 0, VENUE_CAPACITY))
		return input_field_answer(res, req->arena, "capacity",
					  "required");
	in->capacity = PQntuples(r) == 1 ? db_val(r, 0, VENUE_CAPACITY) : "0";
	return 0;
}

int admin_performances_create(struct http_req *req, struct http_res *res)
{
	const struct outcome *o;
	struct perf_in in = {0};
	struct db_params p;
	struct db_conn *c = NULL;
	PGresult *row;
	int status;

	if ((status = write_input(req, res, perf_input, true, &in, &c)) != 0 ||
	    (in.capacity == NULL &&
	     (status = venue_capacity(req, res, c, &in)) != 0))
		return status;
	db_params_init(&p);
	perf_params(&p, &in, false);
	audit_params(&p, req);
	/* No lock: nobody can book a performance that does not exist yet. */
	if ((status = app_call(req, res, c, 0, SQL_PERFORMANCE_CREATE, &p,
			       &row)) != 0 ||
	    (status = app_outcome(res, OUTCOMES(create_outcomes),
				  db_val(row, 0, PERF_RESULT), NULL, &o)) != 0)
		return status;
	log_event(LOG_INFO, req->request_id, "performance_created",
		  "performance %s by user %s", db_val(row, 0, PERF_ID),
		  auth_user(req)->id_text);
	return app_document(req, res, o->status, SQL_PERFORMANCE,
			    db_val(row, 0, PERF_ID), "performance");
}

int admin_performances_update(struct http_req *req, struct http_res *res)
{
	const struct outcome *o;
	struct perf_in in = {0};
	struct db_params p;
	struct db_conn *c = NULL;
	PGresult *row;
	int status;

	if ((status = write_input(req, res, perf_input, false, &in, &c)) != 0)
		return status;
	db_params_init(&p);
	db_param(&p, http_param(req, "id"));
	perf_params(&p, &in, true);
	db_param(&p, in.force);
	audit_params(&p, req);
	if ((status = app_call(req, res, c, input_path_id(req),
			       SQL_PERFORMANCE_UPDATE, &p, &row)) != 0 ||
	    (status = app_outcome(res, OUTCOMES(update_outcomes),
				  db_val(row, 0, PERF_UPDATE_RESULT),
				  db_val(row, 0, PERF_SEATS_TAKEN), &o)) != 0)
		return status;
	if (strcmp(db_val(row, 0, PERF_UPDATE_NOTIFIED), "0") != 0)
		outbox_kick();
	log_event(LOG_INFO, req->request_id, "performance_updated",
		  "performance %s by user %s, %s told", http_param(req, "id"),
		  auth_user(req)->id_text, db_val(row, 0, PERF_UPDATE_NOTIFIED));
	return with_notified(res, app_document(req, res, o->status,
					       SQL_PERFORMANCE,
					       http_param(req, "id"),
					       "performance"),
			     db_val(row, 0, PERF_UPDATE_NOTIFIED));
}

/*
 * The optional body of a cancellation: {"message": "..."} for the people
 * told. 0 with *message set (NULL when there is none), or the status
 * answered (400, 422).
 */
static int cancel_input(struct http_req *req, struct http_res *res,
			const char **message)
{
	struct json_object *body;
	struct input_fields f;
	int status;

	*message = NULL;
	if (req->body == NULL || req->body_len == 0)
		return 0;
	if ((status = app_json_body(req, res, &body)) != 0)
		return status;
	input_fields_init(&f, req->arena);
	input_text(req->arena, body, &f, "message", 2000, INPUT_MULTILINE,
		   message);
	return f.n == 0 ? 0 : input_fields_answer(res, &f);
}

int admin_performances_cancel(struct http_req *req, struct http_res *res)
{
	const struct outcome *o;
	const char *message = NULL;
	struct db_params p;
	struct db_conn *c;
	PGresult *row;
	int status;

	if ((status = cancel_input(req, res, &message)) != 0)
		return status;
	db_params_init(&p);
	db_param(&p, http_param(req, "id"));
	db_param(&p, message);
	audit_params(&p, req);
	if ((status = app_db(req, res, &c)) != 0 ||
	    (status = app_call(req, res, c, input_path_id(req),
			       SQL_PERFORMANCE_CANCEL, &p, &row)) != 0 ||
	    (status = app_outcome(res, OUTCOMES(cancel_outcomes),
				  db_val(row, 0, PERF_CANCEL_RESULT), NULL,
				  &o)) != 0)
		return status;
	if (strcmp(o->result, "cancelled") == 0) {
		outbox_kick();
		log_event(LOG_INFO, req->request_id, "performance_cancelled",
			  "performance %s by user %s: %s reservations, %s "
			  "seats told", http_param(req, "id"),
			  auth_user(req)->id_text,
			  db_val(row, 0, PERF_CANCEL_NOTIFIED),
			  db_val(row, 0, PERF_CANCEL_SEATS));
	}
	return with_notified(res, app_document(req, res, o->status,
					       SQL_PERFORMANCE,
					       http_param(req, "id"),
					       "performance"),
			     db_val(row, 0, PERF_CANCEL_NOTIFIED));
}

/* ---- scheduling in bulk --------------------------------------------- */

/* "HH:MM", 00:00-23:59. */
static bool clock_valid(const char *s)
{
	return strlen(s) == 5 && s[2] == ':' && s[0] >= '0' && s[0] <= '2' &&
	       s[1] >= '0' && s[1] <= '9' && s[3] >= '0' && s[3] <= '5' &&
	       s[4] >= '0' && s[4] <= '9' && (s[0] < '2' || s[1] <= '3');
}

/* "YYYY-MM-DD", years 2000-2100, a day the month has. */
static bool date_valid(const char *s)
{
	static const int days[12] = {31, 29, 31, 30, 31, 30,
				     31, 31, 30, 31, 30, 31};
	int y, m, d;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 2000 || y > 2100 || m < 1 || m > 12 || d < 1 ||
	    d > days[m - 1])
		return false;
	return m != 2 || d < 29 || (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
}

struct series_in {
	const char *show, *venue, *days, *time, *from, *to;
	const char *capacity, *occupied, *extra, *max;
};

/* days_of_week: [1..7] (ISO, 1 = Monday), each once, as "{1,3,5}". */
static void days_input(struct arena *a, struct json_object *body,
		       struct input_fields *f, struct series_in *in)
{
	struct json_object *v;
	bool seen[8] = {false};
	struct buf b;
	size_t n;

	if (!json_object_object_get_ex(body, "days_of_week", &v) || v == NULL) {
		input_field_error(f, "days_of_week", "required");
		return;
	}
	if (!json_object_is_type(v, json_type_array) ||
	    (n = json_object_array_length(v)) == 0 || n > 7) {
		input_field_error(f, "days_of_week", "invalid");
		return;
	}
	buf_init(&b, a, 32);
	buf_putc(&b, '{');
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(v, i);
		int day = e != NULL && json_object_is_type(e, json_type_int)
				  ? json_object_get_int(e) : 0;

		if (day < 1 || day > 7 || seen[day]) {
			input_field_error(f, "days_of_week", "invalid");
			return;
		}
		seen[day] = true;
		buf_printf(&b, "%s%d", i ? "," : "", day);
	}
	buf_putc(&b, '}');
	in->days = b.failed ? NULL : b.data;
}

static bool series_input(struct arena *a, struct json_object *body,
			 struct input_fields *f, bool create, void *out)
{
	struct series_in *in = out;
	int64_t n;

	(void)create;
	input_int(a, body, f, "show_id", 1, INT64_MAX - 1, INPUT_REQUIRED, &n,
		  &in->show);
	input_int(a, body, f, "venue_id", 1, INT64_MAX - 1, INPUT_REQUIRED, &n,
		  &in->venue);
	days_input(a, body, f, in);
	if (input_text(a, body, f, "time", 5, INPUT_REQUIRED, &in->time) ==
		    INPUT_SET && !clock_valid(in->time))
		input_field_error(f, "time", "invalid");
	if (input_text(a, body, f, "from", 10, INPUT_REQUIRED, &in->from) ==
		    INPUT_SET && !date_valid(in->from))
		input_field_error(f, "from", "invalid");
	if (input_text(a, body, f, "to", 10, INPUT_REQUIRED, &in->to) ==
		    INPUT_SET && !date_valid(in->to))
		input_field_error(f, "to", "invalid");
	input_int(a, body, f, "capacity", 0, 100000, 0, &n, &in->capacity);
	input_int(a, body, f, "occupied_manual", 0, 100000, 0, &n,
		  &in->occupied);
	input_int(a, body, f, "extra_seats", 0, 100000, 0, &n, &in->extra);
	input_int(a, body, f, "max_seats_per_reservation", 1, 100, 0, &n,
		  &in->max);
	return f->n == 0;
}

/* POST /admin/performances/series: admin_create_series() */
static const struct outcome series_outcomes[] = {
	{"created", 201, NULL, NULL, NULL, NULL},
	{"unknown_show", 422, "validation_failed", "some fields are not valid",
	 "{\"show_id\":\"unknown\"}", NULL},
	{"unknown_venue", 422, "validation_failed", "some fields are not valid",
	 "{\"venue_id\":\"unknown\"}", NULL},
	{"no_capacity", 422, "validation_failed",
	 "the venue has no default capacity: give one",
	 "{\"capacity\":\"required\"}", NULL},
	{"bad_occupied", 422, "validation_failed", "some fields are not valid",
	 "{\"occupied_manual\":\"out_of_range\"}", NULL},
	{"bad_range", 422, "validation_failed",
	 "the range must end after it starts, within 400 days",
	 "{\"to\":\"before_from\"}", NULL},
	{"none", 422, "validation_failed", "no day of the range is one of those",
	 "{\"days_of_week\":\"no_dates\"}", NULL},
	{"too_many", 422, "validation_failed", "at most 200 at once",
	 "{\"to\":\"too_many\"}", NULL},
};

int admin_performances_series(struct http_req *req, struct http_res *res)
{
	const struct outcome *o;
	struct series_in in = {0};
	struct db_params p;
	struct db_conn *c = NULL;
	PGresult *row;
	int status;

	if ((status = write_input(req, res, series_input, true, &in, &c)) != 0)
		return status;
	db_params_init(&p);
	db_param(&p, in.show);
	db_param(&p, in.venue);
	db_param(&p, in.days);
	db_param(&p, in.time);
	db_param(&p, in.from);
	db_param(&p, in.to);
	db_param(&p, app.cfg.timezone);
	db_param(&p, in.capacity);
	db_param(&p, in.occupied);
	db_param(&p, in.extra);
	db_param(&p, in.max);
	audit_params(&p, req);
	/* No lock: nobody can book performances that do not exist yet. */
	if ((status = app_call(req, res, c, 0, SQL_SERIES, &p, &row)) != 0 ||
	    (status = app_outcome(res, OUTCOMES(series_outcomes),
				  db_val(row, 0, SERIES_RESULT), NULL, &o)) != 0)
		return status;
	log_event(LOG_INFO, req->request_id, "performances_created",
		  "%s performances by user %s", db_val(row, 0, SERIES_COUNT),
		  auth_user(req)->id_text);
	return app_document(req, res, 201, SQL_PERFORMANCES_BY_ID,
			    db_val(row, 0, SERIES_IDS), "performances");
}

/* POST /admin/performances/{id}/duplicate: admin_duplicate_performance() */
static const struct outcome duplicate_outcomes[] = {
	{"created", 201, NULL, NULL, NULL, NULL},
	{"not_found", 404, "not_found", "no such performance", NULL, NULL},
};

int admin_performances_duplicate(struct http_req *req, struct http_res *res)
{
	const struct outcome *o;
	struct json_object *body;
	struct input_fields f;
	const char *starts = NULL;
	struct db_params p;
	struct db_conn *c;
	PGresult *row;
	int status;

	if ((status = app_json_body(req, res, &body)) != 0)
		return status;
	input_fields_init(&f, req->arena);
	input_time(body, &f, "starts_at", INPUT_REQUIRED, &starts);
	if (f.n != 0)
		return input_fields_answer(res, &f);
	db_params_init(&p);
	db_param(&p, http_param(req, "id"));
	db_param(&p, starts);
	audit_params(&p, req);
	if ((status = app_db(req, res, &c)) != 0 ||
	    (status = app_call(req, res, c, 0, SQL_DUPLICATE, &p, &row)) != 0 ||
	    (status = app_outcome(res, OUTCOMES(duplicate_outcomes),
				  db_val(row, 0, DUP_RESULT), NULL, &o)) != 0)
		return status;
	log_event(LOG_INFO, req->request_id, "performance_created",
		  "performance %s (a copy of %s) by user %s",
		  db_val(row, 0, DUP_ID), http_param(req, "id"),
		  auth_user(req)->id_text);
	return app_document(req, res, o->status, SQL_PERFORMANCE,
			    db_val(row, 0, DUP_ID), "performance");
}

/* DELETE /admin/performances/{id}: admin_delete_performance() */
static const struct outcome delete_outcomes[] = {
	{"deleted", 204, NULL, NULL, NULL, NULL},
	{"not_found", 404, "not_found", "no such performance", NULL, NULL},
	{"has_reservations", 409, "has_reservations",
	 "it has bookings: cancel it instead", NULL, NULL},
};

int admin_performances_delete(struct http_req *req, struct http_res *res)
{
	const struct outcome *o;
	struct db_params p;
	struct db_conn *c;
	PGresult *row;
	int status;

	db_params_init(&p);
	db_param(&p, http_param(req, "id"));
	audit_params(&p, req);
	/* Under the performance's lock: a booking cannot slip in between
	 * the check and the delete. */
	if ((status = app_db(req, res, &c)) != 0 ||
	    (status = app_call(req, res, c, input_path_id(req),
			       SQL_PERFORMANCE_DELETE, &p, &row)) != 0 ||
	    (status = app_outcome(res, OUTCOMES(delete_outcomes),
				  db_val(row, 0, DELETE_RESULT), NULL, &o)) != 0)
		return status;
	log_event(LOG_INFO, req->request_id, "performance_deleted",
		  "performance %s by user %s", http_param(req, "id"),
		  auth_user(req)->id_text);
	return 204;
}
