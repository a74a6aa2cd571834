/*
 * json: a streaming writer (jsonw_) into a struct buf, and reading helpers
 * (jsonr_) over json-c for request bodies.
 *
 * The writer tracks commas itself, so callers only say what comes next:
 *
 *	jsonw_obj(&w);
 *	jsonw_key(&w, "seats"); jsonw_int(&w, 2);
 *	jsonw_key(&w, "state"); jsonw_str(&w, "available");
 *	jsonw_end(&w);
 *
 * Nesting deeper than JSONW_MAX_DEPTH marks the buffer failed.
 */
#ifndef BOXOFFICE_JSON_H
#define BOXOFFICE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;
struct buf;
struct json_object;

#define JSONW_MAX_DEPTH 16

struct jsonw {
	struct buf *b;
	int depth;
	bool first[JSONW_MAX_DEPTH + 1];
	char closer[JSONW_MAX_DEPTH + 1];
};

void jsonw_init(struct jsonw *w, struct buf *b);
void jsonw_obj(struct jsonw *w);
void jsonw_arr(struct jsonw *w);
void jsonw_end(struct jsonw *w);		/* closes the innermost obj/arr */
void jsonw_key(struct jsonw *w, const char *key);
void jsonw_str(struct jsonw *w, const char *s);	/* NULL writes null */
void jsonw_strn(struct jsonw *w, const char *s, size_t n);
void jsonw_int(struct jsonw *w, int64_t v);
void jsonw_bool(struct jsonw *w, bool v);
void jsonw_null(struct jsonw *w);
/* Insert already-valid JSON text (e.g. built by PostgreSQL) as a value. */
void jsonw_raw(struct jsonw *w, const char *json, size_t n);

/* Append s[0..n) to b as the inside of a JSON string (no quotes). */
void jsonw_escape(struct buf *b, const char *s, size_t n);

/* true when p[0..n) is one JSON value (RFC 8259), nested at most
 * max_depth deep, in valid UTF-8, with nothing but white space around. */
bool jsonr_valid(const char *p, size_t n, int max_depth);

/*
 * Parse a request body. The result must be a JSON object; it is owned by
 * the arena (json_object_put at reset). NULL when the text is not valid
 * UTF-8 JSON, is nested deeper than 16 levels, or is not an object.
 */
struct json_object *jsonr_parse_object(struct arena *a, const char *p,
				       size_t n);

/*
 * Field readers. Each returns JSONR_OK, JSONR_MISSING (absent or null), or
 * JSONR_BAD_TYPE. String results point into the json_object and live as
 * long as it does.
 */
enum jsonr_status { JSONR_OK, JSONR_MISSING, JSONR_BAD_TYPE };

enum jsonr_status jsonr_string(struct json_object *obj, const char *key,
			       const char **s, size_t *len);
enum jsonr_status jsonr_int(struct json_object *obj, const char *key,
			    int64_t *out);
enum jsonr_status jsonr_bool(struct json_object *obj, const char *key,
			     bool *out);

#endif
