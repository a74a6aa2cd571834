/*
 * site: the theatre's own settings and words (company name, tagline,
 * logo, contacts, social links, the texts of the home, about, contacts,
 * accessibility and privacy pages, each in Italian and English), the one
 * Markdown renderer (cmark, raw HTML off) and the per-process copy of
 * what the messages say about the theatre.
 */
#ifndef BOXOFFICE_SITE_H
#define BOXOFFICE_SITE_H

#include "../lib/http.h"

#include <stdbool.h>
#include <stddef.h>

struct arena;
struct db_conn;
struct input_fields;
struct json_object;

/* GET /api/site (public) and PATCH /admin/site (admin, audited). */
int site_get(struct http_req *req, struct http_res *res);
int site_update(struct http_req *req, struct http_res *res);

/*
 * Markdown as HTML (CommonMark, by cmark), in the arena. Raw HTML is
 * dropped and links with a javascript:, vbscript:, file: or data: URL
 * lose their URL (CMARK_OPT_SAFE), so no admin text can carry script.
 * NULL when out of memory.
 */
const char *site_markdown(struct arena *a, const char *md);

/*
 * A text in both languages from body[key]: {"it": "...", "en": "..."}
 * (either may be absent: kept as it is, NULL in out), or, when
 * string_is_both, a plain string for both. Each of at most max code
 * points (flags as input_text's). Errors are recorded as key.it / key.en
 * or key. Returns true when key is in the body and valid.
 */
bool site_lang_text(struct arena *a, struct json_object *body,
		    struct input_fields *f, const char *key, size_t max,
		    int flags, bool string_is_both, const char *out[2]);

/* What the messages say about the theatre (copies in the arena; "" for
 * what is not set). */
struct site_mail {
	const char *company_name;
	const char *contact_email;
	const char *phone;
	const char *address;
};

/*
 * The current values, at most a few seconds old (a per-process copy,
 * refreshed from PostgreSQL when stale if a pooled connection is free at
 * once; else the previous copy). Never fails: all "" when nothing could
 * be read or copied.
 */
void site_mail(struct arena *a, struct site_mail *out);

/*
 * Render the HTML of texts written without it (demo data, rows written
 * by SQL): the site's pages and the shows' descriptions. Called by the
 * housekeeping sweep; cheap when there is nothing to do.
 */
void site_render_missing(struct db_conn *c, struct arena *a);

#endif
