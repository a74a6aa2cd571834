/*
 * pages: the parts of the public pages that must be right before any
 * script runs, rendered by the worker from the same data as the API.
 *
 * The built pages stay static files (vite hashes their scripts); nginx
 * fills them with server-side includes (nginx/snippets/frontend.conf):
 * a show page asks for its <head> (title, description, canonical URL,
 * hreflang, Open Graph and Twitter tags with the poster, one schema.org
 * Event per upcoming performance as JSON-LD) and its <main>, and every
 * public page for its footer, so crawlers, link previews and the first
 * paint see the show and the company, not a spinner. The scripts then
 * enhance the same markup. Each fragment is one statement, public for a
 * second like the programme (the microcache keeps it), and the URL says
 * the language: /shows/<slug> is Italian, /en/shows/<slug> English.
 * /sitemap.xml and /robots.txt come from here too.
 */
#include "pages.h"

#include "app.h"
#include "mails.h"
#include "request.h"

#include "../lib/arena.h"
#include "../lib/buf.h"
#include "../lib/db.h"
#include "../lib/json.h"

#include <json-c/json.h>
#include <string.h>

static const char SQL_PAGE_SHOW[] =
	"SELECT page_show($1, $2, $3, $4, $5)::text";

enum { FOOT_NAME, FOOT_ADDRESS, FOOT_EMAIL, FOOT_PHONE };
static const char SQL_FOOTER[] =
	"SELECT company_name, address, contact_email, phone FROM site_settings";

static const char SQL_SITE_PAGE[] =
	"SELECT json_build_object('site', site_document(),"
	" 'programme', page_programme('it', $1))::text";

enum { MAP_PATH, MAP_LASTMOD };
static const char SQL_SITEMAP[] = "SELECT path, lastmod FROM page_sitemap()";

/* ---- small writers -------------------------------------------------- */

static void esc(struct buf *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '&': buf_puts(b, "&amp;"); break;
		case '"': buf_puts(b, "&quot;"); break;
		case '\'': buf_puts(b, "&#39;"); break;
		default: buf_putc(b, *s);
		}
	}
}

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

static struct json_object *obj(struct json_object *o, const char *key)
{
	struct json_object *v;

	return o != NULL && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* <meta property|name="k" content="v">, v escaped. */
static void meta(struct buf *b, const char *attr, const char *k,
		 const char *v)
{
	buf_printf(b, "<meta %s=\"%s\" content=\"", attr, k);
	esc(b, v);
	buf_puts(b, "\">\n");
}

/* Markdown source as one plain line of at most max bytes (cut at a UTF-8
 * character), for descriptions in meta tags. */
static const char *plain(struct arena *a, const char *md, size_t max)
{
	struct buf b;
	bool space = false;

	buf_init(&b, a, 256);
	for (; *md != '\0' && b.len < max; md++) {
		unsigned char c = (unsigned char)*md;

		if (strchr("*_`#>[]", c) != NULL)
			continue;
		if (c == '\n' || c == '\t' || c == ' ') {
			space = b.len > 0;
			continue;
		}
		if (space)
			buf_putc(&b, ' ');
		space = false;
		buf_putc(&b, (char)c);
	}
	while (b.len > 0 && ((unsigned char)b.data[b.len - 1] & 0xC0) == 0x80)
		b.len--;	/* never half a character */
	if (b.len > 0 && ((unsigned char)b.data[b.len - 1] & 0x80) != 0 &&
	    *md != '\0')
		b.len--;
	buf_putc(&b, '\0');
	return b.failed ? "" : b.data;
}

static bool english(const struct http_req *req)
{
	return strstr(req->path, "/en/shows/") != NULL;
}

/* The page's answer: an HTML fragment, public for a second. */
static int fragment(struct http_res *res, int status)
{
	res->content_type = "text/html; charset=utf-8";
	http_res_header(res, "Cache-Control", "public, max-age=1");
	return status;
}

/* The show document (page_show()) for the request's slug and language:
 * 0 with *doc set (NULL when there is no such published show), or the
 * status answered. */
static int show_doc(struct http_req *req, struct http_res *res,
		    struct json_object **doc)
{
	const char *slug = http_param(req, "slug");
	bool en = english(req);
	const char *path = arena_printf(req->arena, "%s/shows/%s",
					en ? "/en" : "", slug);
	const char *params[5] = {slug, en ? "en" : "it", app.cfg.timezone,
				 app.cfg.public_url, path};
	struct db_conn *c;
	enum db_status st;
	PGresult *r;
	int status;

	*doc = NULL;
	if (path == NULL)
		return app_internal_error(res);
	if ((status = app_db(req, res, &c)) != 0)
		return status;
	st = db_query(c, req->arena, SQL_PAGE_SHOW, 5, params, &r);
	if (st != DB_OK)
		return app_db_error(res, st);
	if (PQntuples(r) == 1 && !db_null(r, 0, APP_DOC_JSON)) {
		const char *j = db_val(r, 0, APP_DOC_JSON);

		*doc = jsonr_parse_object(req->arena, j, strlen(j));
		if (*doc == NULL)
			return app_internal_error(res);
	}
	return 0;
}

/* ---- the show's <head> ---------------------------------------------- */

static void alternates(struct buf *b, const char *slug)
{
	buf_printf(b, "<link rel=\"alternate\" hreflang=\"it\" href=\"%s/shows/",
		   app.cfg.public_url);
	esc(b, slug);
	buf_printf(b, "\">\n<link rel=\"alternate\" hreflang=\"en\" "
		      "href=\"%s/en/shows/", app.cfg.public_url);
	esc(b, slug);
	buf_printf(b, "\">\n<link rel=\"alternate\" hreflang=\"x-default\" "
		      "href=\"%s/shows/", app.cfg.public_url);
	esc(b, slug);
	buf_puts(b, "\">\n");
}

/* JSON-LD inside <script>: no "<", ">" or "&" may appear as such (a
 * "</script" would end the element, a "<!--" change how it is parsed),
 * so they are written as \u escapes, the same string to a JSON parser. */
static void jsonld(struct buf *b, struct json_object *ld)
{
	const char *j = json_object_to_json_string_ext(ld, JSON_C_TO_STRING_PLAIN);

	buf_puts(b, "<script type=\"application/ld+json\">");
	for (; j != NULL && *j != '\0'; j++) {
		if (*j == '<')
			buf_puts(b, "\\u003c");
		else if (*j == '>')
			buf_puts(b, "\\u003e");
		else if (*j == '&')
			buf_puts(b, "\\u0026");
		else
			buf_putc(b, *j);
	}
	buf_puts(b, "</script>\n");
}

int pages_show_head(struct http_req *req, struct http_res *res)
{
	struct json_object *doc, *texts, *img;
	const char *title, *desc, *url, *poster = NULL;
	bool en = english(req);
	int status;

	if ((status = show_doc(req, res, &doc)) != 0)
		return status;
	if (doc == NULL) {
		buf_printf(&res->body, "<title>%s</title>\n<meta name=\"robots\" "
				       "content=\"noindex\">\n",
			   en ? "Show not found" : "Spettacolo non trovato");
		return fragment(res, 200);
	}
	texts = obj(doc, "texts");
	title = *str(doc, "company_name") != '\0'
			? arena_printf(req->arena, "%s \u00b7 %s", str(doc, "title"),
				       str(doc, "company_name"))
			: str(doc, "title");
	desc = plain(req->arena,
		     arena_printf(req->arena, "%s%s%s", str(texts, "subtitle"),
				  *str(texts, "subtitle") != '\0' ? ". " : "",
				  str(texts, "description")),
		     300);
	url = arena_printf(req->arena, "%s%s/shows/%s", app.cfg.public_url,
			   en ? "/en" : "", str(doc, "slug"));
	if ((img = obj(doc, "image")) != NULL)
		poster = arena_printf(req->arena, "%s%s", app.cfg.public_url,
				      str(img, "url"));
	if (title == NULL || desc == NULL || url == NULL)
		return app_internal_error(res);
	buf_puts(&res->body, "<title>");
	esc(&res->body, title);
	buf_puts(&res->body, "</title>\n");
	meta(&res->body, "name", "description", desc);
	buf_puts(&res->body, "<link rel=\"canonical\" href=\"");
	esc(&res->body, url);
	buf_puts(&res->body, "\">\n");
	alternates(&res->body, str(doc, "slug"));
	meta(&res->body, "property", "og:type", "website");
	meta(&res->body, "property", "og:title", str(doc, "title"));
	meta(&res->body, "property", "og:description", desc);
	meta(&res->body, "property", "og:url", url);
	meta(&res->body, "property", "og:site_name", str(doc, "company_name"));
	meta(&res->body, "property", "og:locale", en ? "en_GB" : "it_IT");
	meta(&res->body, "name", "twitter:card",
	     poster != NULL ? "summary_large_image" : "summary");
	meta(&res->body, "name", "twitter:title", str(doc, "title"));
	meta(&res->body, "name", "twitter:description", desc);
	if (poster != NULL) {
		meta(&res->body, "property", "og:image", poster);
		buf_printf(&res->body, "<meta property=\"og:image:width\" "
				       "content=\"%d\">\n<meta property=\""
				       "og:image:height\" content=\"%d\">\n",
			   json_object_get_int(obj(img, "width")),
			   json_object_get_int(obj(img, "height")));
		meta(&res->body, "name", "twitter:image", poster);
	}
	jsonld(&res->body, obj(doc, "jsonld"));
	return fragment(res, 200);
}

/* ---- the show's <main> ---------------------------------------------- */

static const char *const states_it[] = {
	"available", "Disponibile", "few_left", "Ultimi posti", "sold_out",
	"Esaurito", "closed", "Prenotazioni chiuse", "cancelled", "Annullato"};
static const char *const states_en[] = {
	"available", "Available", "few_left", "Few seats left", "sold_out",
	"Sold out", "closed", "Booking closed", "cancelled", "Cancelled"};

static const char *state_text(const char *state, bool en)
{
	const char *const *t = en ? states_en : states_it;

	for (size_t i = 0; i < sizeof(states_it) / sizeof(states_it[0]); i += 2)
		if (strcmp(state, t[i]) == 0)
			return t[i + 1];
	return state;
}

static void poster_html(struct buf *b, struct json_object *doc)
{
	struct json_object *img = obj(doc, "image");
	const char *sizes = "(min-width: 48rem) 640px, 100vw";

	if (img == NULL) {
		buf_puts(b, "<div class=\"poster poster--text\" "
			    "aria-hidden=\"true\">");
		esc(b, str(doc, "title"));
		buf_puts(b, "</div>");
		return;
	}
	buf_puts(b, "<picture><source type=\"image/webp\" srcset=\"");
	esc(b, str(img, "srcset_webp"));
	buf_printf(b, "\" sizes=\"%s\"><img class=\"poster\" src=\"", sizes);
	esc(b, str(img, "url"));
	buf_puts(b, "\" srcset=\"");
	esc(b, str(img, "srcset_jpeg"));
	buf_printf(b, "\" sizes=\"%s\" alt=\"\" width=\"640\" height=\"360\" "
		      "decoding=\"async\"></picture>", sizes);
}

static void perf_html(struct arena *a, struct buf *b, struct json_object *p,
		      bool en)
{
	const char *state = str(p, "state");
	bool open = strcmp(state, "available") == 0 ||
		    strcmp(state, "few_left") == 0;
	int64_t id = json_object_get_int64(obj(p, "id"));

	buf_printf(b, "<li class=\"perf%s\" id=\"perf-%lld\"><div "
		      "class=\"perf__info\"><span class=\"perf__when\">",
		   open ? "" : " perf--off", (long long)id);
	esc(b, mails_date(a, en ? "en" : "it", str(p, "local_start")));
	buf_puts(b, "</span><span class=\"perf__where\">");
	esc(b, str(p, "venue"));
	buf_printf(b, "</span><span class=\"perf__state\"><span class=\"badge "
		      "badge--%s\">", strcmp(state, "") != 0 ? state : "closed");
	esc(b, state_text(state, en));
	buf_puts(b, "</span></span></div>");
	if (open)
		buf_printf(b, "<div class=\"perf__action\"><a class=\"btn\" "
			      "href=\"/book/%lld\">%s</a></div>", (long long)id,
			   en ? "Book" : "Prenota");
	buf_puts(b, "</li>");
}

int pages_show_main(struct http_req *req, struct http_res *res)
{
	struct json_object *doc, *texts, *perfs;
	bool en = english(req);
	struct buf *b = &res->body;
	int status;
	size_t n;

	if ((status = show_doc(req, res, &doc)) != 0)
		return status;
	if (doc == NULL) {
		buf_printf(b, "<h1>%s</h1>", en ? "Show not found"
						: "Spettacolo non trovato");
		return fragment(res, 200);
	}
	texts = obj(doc, "texts");
	buf_printf(b, "<p class=\"crumbs\"><a href=\"/#programme\">%s</a></p>"
		      "<article aria-labelledby=\"show-title\"><div "
		      "class=\"show-head\">",
		   en ? "Back to the programme" : "Torna al programma");
	poster_html(b, doc);
	buf_puts(b, "<div class=\"show-head__text\"><h1 id=\"show-title\">");
	esc(b, str(doc, "title"));
	buf_puts(b, "</h1>");
	if (*str(texts, "subtitle") != '\0') {
		buf_puts(b, "<p class=\"show-head__author\">");
		esc(b, str(texts, "subtitle"));
		buf_puts(b, "</p>");
	}
	if (json_object_get_boolean(obj(texts, "fallback")))
		buf_printf(b, "<p class=\"muted fallback-note\">%s</p>",
			   en ? "This text is only available in Italian."
			      : "Testo disponibile solo in inglese.");
	/* cmark's output (raw HTML off), rendered when it was written. */
	buf_printf(b, "<div class=\"show-head__description\" lang=\"%s\">%s"
		      "</div></div></div>", str(texts, "description_lang"),
		   str(texts, "description_html"));
	buf_printf(b, "<section aria-labelledby=\"perfs-title\"><h2 "
		      "id=\"perfs-title\">%s</h2><div id=\"perf-list\">",
		   en ? "Performances" : "Repliche");
	perfs = obj(doc, "performances");
	n = perfs != NULL ? json_object_array_length(perfs) : 0;
	if (n == 0)
		buf_printf(b, "<p>%s</p>",
			   en ? "No performances are scheduled for this show."
			      : "Nessuna replica in programma per questo "
				"spettacolo.");
	else {
		buf_puts(b, "<ul class=\"perfs\">");
		for (size_t i = 0; i < n; i++)
			perf_html(req->arena, b,
				  json_object_array_get_idx(perfs, i), en);
		buf_puts(b, "</ul>");
	}
	buf_puts(b, "</div></section></article>");
	return fragment(res, 200);
}

/* ---- the home page and the company pages ---------------------------- */

/* One show of the programme, as the home page's script draws it. */
static void card_html(struct arena *a, struct buf *b, struct json_object *s)
{
	struct json_object *texts = obj(s, "texts"), *next = obj(s, "next");
	const char *slug = str(s, "slug");

	buf_puts(b, "<li><article class=\"show-card\" aria-labelledby=\"show-");
	esc(b, slug);
	buf_puts(b, "\">");
	poster_html(b, s);
	buf_puts(b, "<div class=\"show-card__body\"><h3 id=\"show-");
	esc(b, slug);
	buf_puts(b, "\"><a href=\"/shows/");
	esc(b, slug);
	buf_puts(b, "\">");
	esc(b, str(s, "title"));
	buf_puts(b, "</a></h3>");
	if (*str(texts, "subtitle") != '\0') {
		buf_puts(b, "<p class=\"show-card__author\">");
		esc(b, str(texts, "subtitle"));
		buf_puts(b, "</p>");
	}
	if (next != NULL) {
		buf_puts(b, "<p class=\"show-card__next\"><span class=\"muted\">"
			    "Prossima replica</span> <strong>");
		esc(b, mails_date(a, "it", str(next, "local_start")));
		buf_printf(b, "</strong> <span class=\"badge badge--%s\">%s</span>"
			      "</p>", str(next, "state"),
			   state_text(str(next, "state"), false));
	} else
		buf_puts(b, "<p class=\"show-card__next muted\">Nessuna replica "
			    "in programma</p>");
	buf_puts(b, "<a class=\"btn btn--secondary\" href=\"/shows/");
	esc(b, slug);
	buf_puts(b, "\" aria-label=\"Date e prenotazioni: ");
	esc(b, str(s, "title"));
	buf_puts(b, "\">Date e prenotazioni</a></div></article></li>");
}

static const char *site_html(struct json_object *site, const char *page)
{
	return str(obj(obj(site, "html"), page), "it");
}

static void home_html(struct arena *a, struct buf *b, struct json_object *site,
		      struct json_object *shows)
{
	size_t n = shows != NULL ? json_object_array_length(shows) : 0;

	buf_puts(b, "<section class=\"hero\" aria-labelledby=\"company\"><h1 "
		    "id=\"company\">");
	esc(b, str(site, "company_name"));
	buf_puts(b, "</h1><p class=\"hero__tagline\">");
	esc(b, str(obj(site, "tagline"), "it"));
	/* cmark's output (raw HTML off), rendered when it was written. */
	buf_printf(b, "</p><div class=\"hero__text\">%s</div></section>"
		      "<section id=\"programme\" aria-labelledby=\""
		      "programme-title\" tabindex=\"-1\"><h2 id=\""
		      "programme-title\">In programma</h2>",
		   site_html(site, "home"));
	if (n == 0)
		buf_puts(b, "<p>Nessuno spettacolo in programma al momento.</p>");
	else {
		buf_puts(b, "<ul class=\"shows\">");
		for (size_t i = 0; i < n; i++)
			card_html(a, b, json_object_array_get_idx(shows, i));
		buf_puts(b, "</ul>");
	}
	buf_puts(b, "</section>");
}

static void company_html(struct buf *b, struct json_object *site,
			 const char *page)
{
	static const char *const titles[] = {
		"about", "Chi siamo", "contacts", "Contatti e come arrivare",
		"accessibility", "Accessibilit\u00e0"};
	const char *title = "";

	for (size_t i = 0; i < sizeof(titles) / sizeof(titles[0]); i += 2)
		if (strcmp(page, titles[i]) == 0)
			title = titles[i + 1];
	buf_printf(b, "<article class=\"prose\" aria-labelledby=\"page-title\">"
		      "<h1 id=\"page-title\" tabindex=\"-1\">%s</h1><div "
		      "class=\"site-text\">%s</div></article>", title,
		   site_html(site, page));
}

int pages_site_main(struct http_req *req, struct http_res *res)
{
	const char *page = http_param(req, "slug");
	struct json_object *doc, *site, *shows;
	struct db_conn *c;
	enum db_status st;
	PGresult *r;
	int status;

	if (strcmp(page, "home") != 0 && strcmp(page, "about") != 0 &&
	    strcmp(page, "contacts") != 0 && strcmp(page, "accessibility") != 0)
		return fragment(res, 404);
	if ((status = app_db(req, res, &c)) != 0)
		return status;
	st = db_query(c, req->arena, SQL_SITE_PAGE, 1, &app.cfg.timezone, &r);
	if (st != DB_OK)
		return app_db_error(res, st);
	if (PQntuples(r) != 1)
		return app_internal_error(res);
	doc = jsonr_parse_object(req->arena, db_val(r, 0, APP_DOC_JSON),
				 strlen(db_val(r, 0, APP_DOC_JSON)));
	site = obj(doc, "site");
	shows = obj(doc, "programme");
	if (site == NULL)
		return app_internal_error(res);
	if (strcmp(page, "home") == 0)
		home_html(req->arena, &res->body, site, shows);
	else
		company_html(&res->body, site, page);
	return fragment(res, 200);
}

/* ---- every public page's footer ------------------------------------- */

int pages_footer(struct http_req *req, struct http_res *res)
{
	struct buf *b = &res->body;
	struct db_conn *c;
	enum db_status st;
	PGresult *r;
	int status;

	if ((status = app_db(req, res, &c)) != 0)
		return status;
	st = db_query(c, req->arena, SQL_FOOTER, 0, NULL, &r);
	if (st != DB_OK)
		return app_db_error(res, st);
	if (PQntuples(r) != 1)
		return app_internal_error(res);
	/* The same markup the scripts draw (frontend/src/lib/layout.js), in
	 * Italian; they redraw it in the visitor's language. */
	buf_puts(b, "<div class=\"site-footer__inner\"><p "
		    "class=\"site-footer__name\">");
	esc(b, db_val(r, 0, FOOT_NAME));
	buf_puts(b, "</p><p>");
	esc(b, db_val(r, 0, FOOT_ADDRESS));
	buf_puts(b, "</p>");
	if (*db_val(r, 0, FOOT_EMAIL) != '\0' || *db_val(r, 0, FOOT_PHONE)) {
		buf_puts(b, "<p>");
		esc(b, db_val(r, 0, FOOT_EMAIL));
		if (*db_val(r, 0, FOOT_EMAIL) != '\0' &&
		    *db_val(r, 0, FOOT_PHONE) != '\0')
			buf_puts(b, " \u00b7 ");
		esc(b, db_val(r, 0, FOOT_PHONE));
		buf_puts(b, "</p>");
	}
	buf_puts(b, "<nav class=\"site-footer__links\" aria-label=\"Il "
		    "teatro\"><a href=\"/about\">Chi siamo</a> \u00b7 <a "
		    "href=\"/contacts\">Contatti e come arrivare</a> \u00b7 "
		    "<a href=\"/accessibility\">Accessibilit\u00e0</a></nav>"
		    "<p class=\"muted\">Usiamo i tuoi dati solo per la "
		    "prenotazione; li cancelliamo alcuni mesi dopo lo "
		    "spettacolo. <a href=\"/privacy\">Informativa sulla "
		    "privacy</a></p></div>");
	return fragment(res, 200);
}

/* ---- /sitemap.xml, /robots.txt -------------------------------------- */

int pages_sitemap(struct http_req *req, struct http_res *res)
{
	struct buf *b = &res->body;
	struct db_conn *c;
	enum db_status st;
	PGresult *r;
	int status;

	if ((status = app_db(req, res, &c)) != 0)
		return status;
	st = db_query(c, req->arena, SQL_SITEMAP, 0, NULL, &r);
	if (st != DB_OK)
		return app_db_error(res, st);
	buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset "
		    "xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
	for (int i = 0; i < PQntuples(r); i++) {
		buf_puts(b, "<url><loc>");
		esc(b, app.cfg.public_url);
		esc(b, db_val(r, i, MAP_PATH));
		buf_printf(b, "</loc><lastmod>%s</lastmod></url>\n",
			   db_val(r, i, MAP_LASTMOD));
	}
	buf_puts(b, "</urlset>\n");
	res->content_type = "application/xml; charset=utf-8";
	http_res_header(res, "Cache-Control", "public, max-age=60");
	return 200;
}

int pages_robots(struct http_req *req, struct http_res *res)
{
	(void)req;
	buf_printf(&res->body,
		   "User-agent: *\nDisallow: /confirm\nDisallow: /t/\n"
		   "Disallow: /checkin/\nDisallow: /manage/\n"
		   "Disallow: /api/\nDisallow: /admin/\n\nSitemap: %s/sitemap.xml\n",
		   app.cfg.public_url);
	res->content_type = "text/plain; charset=utf-8";
	http_res_header(res, "Cache-Control", "public, max-age=60");
	return 200;
}
