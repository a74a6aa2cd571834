/*
 * site: the theatre's settings and words, in one row (site_settings,
 * sql/013_site.sql), read by the public pages, the messages and the
 * ticket, written by an admin.
 *
 * Texts are Markdown. cmark renders them when they are written (PATCH
 * here, shows in admin_programme.c) and the HTML is stored beside the
 * source, so reading is one statement and the read path renders nothing.
 * cmark runs with CMARK_OPT_SAFE: raw HTML blocks and inline HTML come
 * out as "<!-- raw HTML omitted -->" and javascript:/vbscript:/file:/data:
 * links lose their URL, so an admin text cannot carry script (the site's
 * CSP would refuse inline script anyway).
 *
 * The messages are rendered in request threads with no statement of
 * their own to spare, so each process keeps a copy of the few fields
 * they need, refreshed when a message is rendered and the copy is more
 * than MAIL_COPY_S seconds old, only if a pooled connection is free at
 * that moment (a rush never waits for it).
 */
#include "site.h"

#include "app.h"
#include "audit.h"
#include "auth.h"
#include "input.h"
#include "request.h"

#include "../lib/arena.h"
#include "../lib/buf.h"
#include "../lib/db.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "../lib/valid.h"

#include <cmark.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAIL_COPY_S 2
#define TEXT_MAX 20000
#define SOCIAL_MAX 12

/* The page texts, in the order the admin UI shows them. */
static const char *const pages[] = {"home", "about", "contacts",
				    "accessibility", "privacy"};
#define NPAGES (sizeof(pages) / sizeof(pages[0]))

static const char *const langs[2] = {"it", "en"};

/* ---- statements ----------------------------------------------------- */

static const char SQL_DOCUMENT[] = "SELECT site_document()::text";

/* enum audit_col; the document is read after the commit. */
static const char SQL_UPDATE[] =
	"WITH o AS (SELECT * FROM site_settings WHERE id),"
	" s AS (UPDATE site_settings x SET"
	"  company_name = coalesce($1, x.company_name),"
	"  tagline = x.tagline || coalesce($2::jsonb, '{}'),"
	"  logo_id = CASE WHEN $3::boolean THEN $4::bigint ELSE x.logo_id END,"
	"  theme_color = coalesce($5, x.theme_color),"
	"  contact_email = coalesce($6, x.contact_email),"
	"  phone = coalesce($7, x.phone),"
	"  address = coalesce($8, x.address),"
	"  social = coalesce($9::jsonb, x.social),"
	"  texts = x.texts || (SELECT coalesce(jsonb_object_agg(e.key,"
	"   coalesce(x.texts -> e.key, '{}') || e.value), '{}')"
	"   FROM jsonb_each(coalesce($10::jsonb, '{}')) e),"
	"  texts_html = coalesce(x.texts_html, '{}') ||"
	"   (SELECT coalesce(jsonb_object_agg(e.key,"
	"   coalesce(x.texts_html -> e.key, '{}') || e.value), '{}')"
	"   FROM jsonb_each(coalesce($11::jsonb, '{}')) e),"
	"  updated_at = now() FROM o WHERE x.id RETURNING x.*)"
	" SELECT 1, (to_jsonb(o) - 'texts_html')::text,"
	"  (to_jsonb(s) - 'texts_html')::text FROM o, s";

enum { MAIL_NAME, MAIL_EMAIL, MAIL_PHONE, MAIL_ADDRESS };
static const char SQL_MAIL[] =
	"SELECT company_name, contact_email, phone, address FROM site_settings";

enum { MISSING_TEXTS };
static const char SQL_SITE_MISSING[] =
	"SELECT texts::text FROM site_settings WHERE texts_html IS NULL";

static const char SQL_SITE_RENDERED[] =
	"UPDATE site_settings SET texts_html = $1::jsonb"
	" WHERE texts_html IS NULL";

enum { SHOW_ID, SHOW_DESC_IT, SHOW_DESC_EN };
static const char SQL_SHOWS_MISSING[] =
	"SELECT id, description, description_en FROM shows"
	" WHERE description_html IS NULL LIMIT 100";

static const char SQL_SHOW_RENDERED[] =
	"UPDATE shows SET description_html = jsonb_build_object('it', $2::text,"
	" 'en', $3::text) WHERE id = $1::bigint AND description_html IS NULL";

/* ---- Markdown ------------------------------------------------------- */

const char *site_markdown(struct arena *a, const char *md)
{
	char *html;
	const char *copy;

	if (md == NULL)
		md = "";
	html = cmark_markdown_to_html(md, strlen(md),
				      CMARK_OPT_SAFE | CMARK_OPT_SMART);
	if (html == NULL)
		return NULL;
	copy = arena_strndup(a, html, strlen(html));
	free(html);
	return copy;
}

/* One language's text from a {"it", "en"} object: false on error. */
static bool lang_one(struct arena *a, struct json_object *obj,
		     struct input_fields *f, const char *key, int lang,
		     size_t max, int flags, const char **out)
{
	struct json_object *v;
	const char *start;
	size_t n;
	const char *name = arena_printf(a, "%s.%s", key, langs[lang]);

	*out = NULL;
	if (!json_object_object_get_ex(obj, langs[lang], &v) || v == NULL)
		return true;
	if (name == NULL || !json_object_is_type(v, json_type_string)) {
		input_field_error(f, name != NULL ? name : key, "not_a_string");
		return false;
	}
	switch (valid_text(json_object_get_string(v),
			   (size_t)json_object_get_string_len(v), max,
			   (flags & INPUT_MULTILINE) != 0, &start, &n)) {
	case VALID_TOO_LONG:
		input_field_error(f, name, "too_long");
		return false;
	case VALID_BAD:
		input_field_error(f, name, "invalid");
		return false;
	case VALID_EMPTY:
	case VALID_OK:
		break;
	}
	*out = arena_strndup(a, start, n);
	if (*out == NULL) {
		input_field_error(f, name, "invalid");
		return false;
	}
	return true;
}

bool site_lang_text(struct arena *a, struct json_object *body,
		    struct input_fields *f, const char *key, size_t max,
		    int flags, bool string_is_both, const char *out[2])
{
	struct json_object *v;
	bool ok;

	out[0] = out[1] = NULL;
	if (!json_object_object_get_ex(body, key, &v) || v == NULL)
		return false;
	if (string_is_both && json_object_is_type(v, json_type_string)) {
		if (input_text(a, body, f, key, max, flags, &out[0]) !=
		    INPUT_SET)
			return false;
		out[1] = out[0];
		return true;
	}
	if (!json_object_is_type(v, json_type_object)) {
		input_field_error(f, key, "not_an_object");
		return false;
	}
	ok = lang_one(a, v, f, key, 0, max, flags, &out[0]);
	ok = lang_one(a, v, f, key, 1, max, flags, &out[1]) && ok;
	return ok && (out[0] != NULL || out[1] != NULL);
}

/* ---- GET /api/site -------------------------------------------------- */

/*
 * The settings, with the facts the privacy page states from the
 * configuration itself (so the page cannot say something the purge does
 * not do). Public for a second, like the programme.
 */
int site_get(struct http_req *req, struct http_res *res)
{
	struct db_conn *c;
	enum db_status st;
	const char *doc;
	size_t n;
	PGresult *r;
	int status;

	if ((status = app_db(req, res, &c)) != 0)
		return status;
	st = db_query(c, req->arena, SQL_DOCUMENT, 0, NULL, &r);
	if (st != DB_OK)
		return app_db_error(res, st);
	if (PQntuples(r) != 1)
		return app_internal_error(res);
	doc = db_val(r, 0, APP_DOC_JSON);
	n = strlen(doc);
	if (n < 2 || doc[n - 1] != '}')
		return app_internal_error(res);
	buf_puts(&res->body, "{\"site\":");
	buf_append(&res->body, doc, n - 1);
	buf_printf(&res->body,
		   ",\"purge_days\":%d,\"hold_minutes\":%d,"
		   "\"offer_minutes\":%d}}",
		   app.cfg.purge_days, app.cfg.hold_minutes,
		   app.cfg.offer_minutes);
	http_res_header(res, "Cache-Control", "public, max-age=1");
	return 200;
}

/* ---- PATCH /admin/site ---------------------------------------------- */

struct site_in {
	const char *name, *color, *email, *phone, *address, *logo;
	enum input_in logo_in;
	const char *tagline;	/* JSON object text, or NULL */
	const char *social;	/* JSON array text, or NULL */
	const char *texts;	/* {"page": {"it": md, ...}}, or NULL */
	const char *html;	/* the same, rendered */
};

/* #rrggbb, lower-cased in place (the arena's copy). */
static bool color_valid(char *s)
{
	if (strlen(s) != 7 || s[0] != '#')
		return false;
	for (int i = 1; i < 7; i++) {
		if (s[i] >= 'A' && s[i] <= 'F')
			s[i] = (char)(s[i] - 'A' + 'a');
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return true;
}

/* An absolute http(s) URL in printable ASCII, nothing that could end an
 * attribute. */
static bool url_valid(const char *s)
{
	if (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0)
		return false;
	for (; *s != '\0'; s++)
		if (*s <= ' ' || *s >= 0x7F || strchr("\"'<>\\`", *s))
			return false;
	return true;
}

/* social: [{"name": "...", "url": "https://..."}], at most SOCIAL_MAX. */
static void social_input(struct arena *a, struct json_object *body,
			 struct input_fields *f, struct site_in *in)
{
	struct json_object *v;
	struct buf b;
	struct jsonw w;
	size_t n;

	if (!json_object_object_get_ex(body, "social", &v) || v == NULL)
		return;
	if (!json_object_is_type(v, json_type_array) ||
	    (n = json_object_array_length(v)) > SOCIAL_MAX) {
		input_field_error(f, "social", "invalid");
		return;
	}
	buf_init(&b, a, 256);
	jsonw_init(&w, &b);
	jsonw_arr(&w);
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(v, i);
		struct input_fields one;
		const char *name = NULL, *url = NULL;

		input_fields_init(&one, a);
		if (e == NULL || !json_object_is_type(e, json_type_object) ||
		    input_text(a, e, &one, "name", 40, INPUT_REQUIRED |
			       INPUT_NONEMPTY, &name) != INPUT_SET ||
		    input_text(a, e, &one, "url", 500, INPUT_REQUIRED |
			       INPUT_NONEMPTY, &url) != INPUT_SET ||
		    !url_valid(url)) {
			input_field_error(f, "social", "invalid");
			return;
		}
		jsonw_obj(&w);
		jsonw_key(&w, "name");
		jsonw_str(&w, name);
		jsonw_key(&w, "url");
		jsonw_str(&w, url);
		jsonw_end(&w);
	}
	jsonw_end(&w);
	in->social = b.failed ? NULL : b.data;
	if (b.failed)
		input_field_error(f, "social", "invalid");
}

/* The page texts of the body, as Markdown and as HTML. */
static void texts_input(struct arena *a, struct json_object *body,
			struct input_fields *f, struct site_in *in)
{
	struct buf tb, hb;
	struct jsonw tw, hw;
	bool any = false;

	buf_init(&tb, a, 1024);
	buf_init(&hb, a, 2048);
	jsonw_init(&tw, &tb);
	jsonw_init(&hw, &hb);
	jsonw_obj(&tw);
	jsonw_obj(&hw);
	for (size_t i = 0; i < NPAGES; i++) {
		const char *t[2];

		if (!site_lang_text(a, body, f, pages[i], TEXT_MAX,
				    INPUT_MULTILINE, false, t))
			continue;
		any = true;
		jsonw_key(&tw, pages[i]);
		jsonw_obj(&tw);
		jsonw_key(&hw, pages[i]);
		jsonw_obj(&hw);
		for (int l = 0; l < 2; l++) {
			if (t[l] == NULL)
				continue;
			jsonw_key(&tw, langs[l]);
			jsonw_str(&tw, t[l]);
			jsonw_key(&hw, langs[l]);
			jsonw_str(&hw, site_markdown(a, t[l]));
		}
		jsonw_end(&tw);
		jsonw_end(&hw);
	}
	jsonw_end(&tw);
	jsonw_end(&hw);
	if (tb.failed || hb.failed)
		input_field_error(f, "texts", "invalid");
	else if (any) {
		in->texts = tb.data;
		in->html = hb.data;
	}
}

static void tagline_input(struct arena *a, struct json_object *body,
			  struct input_fields *f, struct site_in *in)
{
	const char *t[2];
	struct buf b;
	struct jsonw w;

	if (!site_lang_text(a, body, f, "tagline", 300, 0, true, t))
		return;
	buf_init(&b, a, 256);
	jsonw_init(&w, &b);
	jsonw_obj(&w);
	for (int l = 0; l < 2; l++) {
		if (t[l] == NULL)
			continue;
		jsonw_key(&w, langs[l]);
		jsonw_str(&w, t[l]);
	}
	jsonw_end(&w);
	in->tagline = b.failed ? NULL : b.data;
}

static bool site_input(struct arena *a, struct json_object *body,
		       struct input_fields *f, struct site_in *in)
{
	int64_t n;
	char *color;

	input_text(a, body, f, "company_name", 200, 0, &in->name);
	tagline_input(a, body, f, in);
	in->logo_in = input_int(a, body, f, "logo", 1, INT64_MAX - 1,
				INPUT_NULLABLE, &n, &in->logo);
	if (input_text(a, body, f, "theme_color", 7, 0, &in->color) ==
	    INPUT_SET) {
		color = (char *)in->color;
		if (!color_valid(color))
			input_field_error(f, "theme_color", "invalid");
	}
	if (input_text(a, body, f, "contact_email", VALID_EMAIL_MAX, 0,
		       &in->email) == INPUT_SET &&
	    *in->email != '\0' && !valid_email(in->email, strlen(in->email)))
		input_field_error(f, "contact_email", "invalid");
	if (input_text(a, body, f, "phone", 40, 0, &in->phone) == INPUT_SET &&
	    *in->phone != '\0' && !valid_phone(in->phone, strlen(in->phone)))
		input_field_error(f, "phone", "invalid");
	input_text(a, body, f, "address", 300, 0, &in->address);
	social_input(a, body, f, in);
	texts_input(a, body, f, in);
	return f->n == 0;
}

/* The copy the messages use is out of date after a write. */
static void mail_copy_stale(void);

int site_update(struct http_req *req, struct http_res *res)
{
	struct site_in in;
	struct json_object *body;
	struct input_fields f;
	struct db_params p;
	struct db_conn *c;
	enum db_status st;
	PGresult *row;
	int status;

	memset(&in, 0, sizeof(in));
	if ((status = app_json_body(req, res, &body)) != 0)
		return status;
	input_fields_init(&f, req->arena);
	if (!site_input(req->arena, body, &f, &in))
		return input_fields_answer(res, &f);
	if ((status = app_db(req, res, &c)) != 0)
		return status;
	db_params_init(&p);
	db_param(&p, in.name);
	db_param(&p, in.tagline);
	db_param_bool(&p, in.logo_in == INPUT_SET || in.logo_in == INPUT_NULL);
	db_param(&p, in.logo);
	db_param(&p, in.color);
	db_param(&p, in.email);
	db_param(&p, in.phone);
	db_param(&p, in.address);
	db_param(&p, in.social);
	db_param(&p, in.texts);
	db_param(&p, in.html);
	st = audit_tx(c, req, "update", "site", SQL_UPDATE, p.n, p.v, &row);
	if (st == DB_CONSTRAINT)
		return input_field_answer(res, req->arena, "logo", "unknown");
	if (st != DB_OK)
		return app_db_error(res, st);
	mail_copy_stale();
	log_event(LOG_INFO, req->request_id, "site_updated", "by user %s",
		  auth_user(req)->id_text);
	return app_document(req, res, 200, SQL_DOCUMENT, NULL, "site");
}

/* ---- the messages' copy --------------------------------------------- */

static pthread_mutex_t mail_mu = PTHREAD_MUTEX_INITIALIZER;
static char *mail_vals[4];	/* enum MAIL_*, malloc'd, or NULL */
static time_t mail_loaded;	/* 0: never, or stale */
static bool mail_refreshing;

static void mail_copy_stale(void)
{
	pthread_mutex_lock(&mail_mu);
	mail_loaded = 0;
	pthread_mutex_unlock(&mail_mu);
}

/* Read the row on a connection that is free now; nothing if none is. */
static void mail_refresh(void)
{
	struct arena *a = arena_new(4096);
	struct db_conn *c = a != NULL ? db_acquire_for(app.pool, a, 0) : NULL;
	char *vals[4] = {NULL, NULL, NULL, NULL};
	bool ok = false;
	PGresult *r;

	if (c != NULL && db_query(c, a, SQL_MAIL, 0, NULL, &r) == DB_OK &&
	    PQntuples(r) == 1) {
		ok = true;
		for (int i = 0; i < 4; i++)
			ok = (vals[i] = strdup(db_val(r, 0, i))) != NULL && ok;
	}
	pthread_mutex_lock(&mail_mu);
	if (ok) {
		for (int i = 0; i < 4; i++) {
			free(mail_vals[i]);
			mail_vals[i] = vals[i];
			vals[i] = NULL;
		}
		mail_loaded = time(NULL);
	}
	mail_refreshing = false;
	pthread_mutex_unlock(&mail_mu);
	for (int i = 0; i < 4; i++)
		free(vals[i]);
	if (a != NULL)
		arena_free(a);
}

void site_mail(struct arena *a, struct site_mail *out)
{
	const char **fields[4] = {&out->company_name, &out->contact_email,
				  &out->phone, &out->address};
	bool refresh;

	pthread_mutex_lock(&mail_mu);
	refresh = !mail_refreshing && time(NULL) - mail_loaded >= MAIL_COPY_S;
	if (refresh)
		mail_refreshing = true;
	pthread_mutex_unlock(&mail_mu);
	if (refresh)
		mail_refresh();
	pthread_mutex_lock(&mail_mu);
	for (int i = 0; i < 4; i++) {
		const char *v = mail_vals[i] != NULL
					? arena_strndup(a, mail_vals[i],
							strlen(mail_vals[i]))
					: NULL;

		*fields[i] = v != NULL ? v : "";
	}
	pthread_mutex_unlock(&mail_mu);
}

/* ---- HTML of texts written without it ------------------------------- */

/* {"page": {"it": md, "en": md}} -> the same with HTML, or NULL. */
static const char *render_texts(struct arena *a, const char *texts)
{
	struct json_object *o = jsonr_parse_object(a, texts, strlen(texts));
	struct buf b;
	struct jsonw w;

	if (o == NULL)
		return NULL;
	buf_init(&b, a, 2048);
	jsonw_init(&w, &b);
	jsonw_obj(&w);
	json_object_object_foreach(o, page, langv) {
		if (!json_object_is_type(langv, json_type_object))
			continue;
		jsonw_key(&w, page);
		jsonw_obj(&w);
		json_object_object_foreach(langv, l, md) {
			if (!json_object_is_type(md, json_type_string))
				continue;
			jsonw_key(&w, l);
			jsonw_str(&w, site_markdown(a,
						    json_object_get_string(md)));
		}
		jsonw_end(&w);
	}
	jsonw_end(&w);
	return b.failed ? NULL : b.data;
}

void site_render_missing(struct db_conn *c, struct arena *a)
{
	PGresult *r;

	if (db_query(c, a, SQL_SITE_MISSING, 0, NULL, &r) == DB_OK &&
	    PQntuples(r) == 1) {
		const char *html = render_texts(a, db_val(r, 0, MISSING_TEXTS));

		if (html != NULL)
			(void)db_exec(c, a, SQL_SITE_RENDERED, 1, &html, NULL);
	}
	if (db_query(c, a, SQL_SHOWS_MISSING, 0, NULL, &r) != DB_OK)
		return;
	for (int i = 0; i < PQntuples(r); i++) {
		const char *params[3] = {
			db_val(r, i, SHOW_ID),
			site_markdown(a, db_val(r, i, SHOW_DESC_IT)),
			site_markdown(a, db_val(r, i, SHOW_DESC_EN))};

		if (params[1] != NULL && params[2] != NULL)
			(void)db_exec(c, a, SQL_SHOW_RENDERED, 3, params,
				      NULL);
	}
}
