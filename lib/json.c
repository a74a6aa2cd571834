/*
 * json: writer over struct buf, readers over json-c.
 */
#include "json.h"

#include "arena.h"
#include "buf.h"

#include <ctype.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

void jsonw_init(struct jsonw *w, struct buf *b)
{
	w->b = b;
	w->depth = 0;
	w->first[0] = true;
	w->closer[0] = '\0';
}

/* Separator before a value: a comma unless first in its container. Values
 * that follow a key never get one (the key wrote it). */
static void before_value(struct jsonw *w)
{
	if (w->depth > 0 && w->closer[w->depth] == ']') {
		if (!w->first[w->depth])
			buf_putc(w->b, ',');
		w->first[w->depth] = false;
	}
}

static void open_container(struct jsonw *w, char o, char c)
{
	before_value(w);
	if (w->depth >= JSONW_MAX_DEPTH) {
		w->b->failed = true;
		return;
	}
	buf_putc(w->b, o);
	w->depth++;
	w->first[w->depth] = true;
	w->closer[w->depth] = c;
}

void jsonw_obj(struct jsonw *w)
{
	open_container(w, '{', '}');
}

void jsonw_arr(struct jsonw *w)
{
	open_container(w, '[', ']');
}

void jsonw_end(struct jsonw *w)
{
	if (w->depth == 0) {
		w->b->failed = true;
		return;
	}
	buf_putc(w->b, w->closer[w->depth]);
	w->depth--;
}

void jsonw_escape(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6];
		size_t elen = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		buf_append(b, s + run, i - run);
		run = i + 1;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			elen = 6;
		}
		buf_append(b, esc, elen);
	}
	buf_append(b, s + run, n - run);
}

void jsonw_key(struct jsonw *w, const char *key)
{
	if (!w->first[w->depth])
		buf_putc(w->b, ',');
	w->first[w->depth] = false;
	buf_putc(w->b, '"');
	jsonw_escape(w->b, key, strlen(key));
	buf_append(w->b, "\":", 2);
}

void jsonw_strn(struct jsonw *w, const char *s, size_t n)
{
	before_value(w);
	buf_putc(w->b, '"');
	jsonw_escape(w->b, s, n);
	buf_putc(w->b, '"');
}

void jsonw_str(struct jsonw *w, const char *s)
{
	if (s == NULL)
		jsonw_null(w);
	else
		jsonw_strn(w, s, strlen(s));
}

void jsonw_int(struct jsonw *w, int64_t v)
{
	before_value(w);
	buf_printf(w->b, "%" PRId64, v);
}

void jsonw_bool(struct jsonw *w, bool v)
{
	before_value(w);
	buf_puts(w->b, v ? "true" : "false");
}

void jsonw_null(struct jsonw *w)
{
	before_value(w);
	buf_puts(w->b, "null");
}

void jsonw_raw(struct jsonw *w, const char *json, size_t n)
{
	before_value(w);
	buf_append(w->b, json, n);
}

static void put_json(void *p)
{
	json_object_put(p);
}

/*
 * A strict RFC 8259 syntax check, run before json-c: json-c 0.16 accepts
 * single-quoted strings even in strict mode, and we answer 400 to anything
 * that is not JSON. Bounded: depth-limited recursion over (p, n).
 */
struct scan {
	const char *p;
	size_t n, i;
};

static void ws(struct scan *s)
{
	while (s->i < s->n && strchr(" \t\r\n", s->p[s->i]) != NULL &&
	       s->p[s->i] != '\0')
		s->i++;
}

static bool lit(struct scan *s, const char *word)
{
	size_t k = strlen(word);

	if (s->n - s->i < k || memcmp(s->p + s->i, word, k) != 0)
		return false;
	s->i += k;
	return true;
}

static bool digits(struct scan *s)
{
	size_t start = s->i;

	while (s->i < s->n && s->p[s->i] >= '0' && s->p[s->i] <= '9')
		s->i++;
	return s->i > start;
}

static bool number(struct scan *s)
{
	if (s->i < s->n && s->p[s->i] == '-')
		s->i++;
	if (s->i < s->n && s->p[s->i] == '0')
		s->i++;
	else if (!digits(s))
		return false;
	if (s->i < s->n && s->p[s->i] == '.') {
		s->i++;
		if (!digits(s))
			return false;
	}
	if (s->i < s->n && (s->p[s->i] == 'e' || s->p[s->i] == 'E')) {
		s->i++;
		if (s->i < s->n && (s->p[s->i] == '+' || s->p[s->i] == '-'))
			s->i++;
		if (!digits(s))
			return false;
	}
	return true;
}

static bool string(struct scan *s)
{
	s->i++;	/* the opening quote */
	while (s->i < s->n) {
		unsigned char c = (unsigned char)s->p[s->i++];

		if (c == '"')
			return true;
		if (c < 0x20)
			return false;
		if (c == '\\') {
			if (s->i >= s->n)
				return false;
			c = (unsigned char)s->p[s->i++];
			if (c == 'u') {
				for (int k = 0; k < 4; k++, s->i++)
					if (s->i >= s->n ||
					    !isxdigit((unsigned char)s->p[s->i]))
						return false;
			} else if (strchr("\"\\/bfnrt", c) == NULL || c == 0) {
				return false;
			}
		}
	}
	return false;
}

/* Recursive, but never deeper than the max_depth jsonr_valid was given. */
static bool value(struct scan *s, int depth) /* NOLINT(misc-no-recursion) */
{
	char c;

	ws(s);
	if (s->i >= s->n)
		return false;
	c = s->p[s->i];
	if (c == '{' || c == '[') {
		char close = c == '{' ? '}' : ']';

		if (depth == 0)
			return false;
		s->i++;
		ws(s);
		if (s->i < s->n && s->p[s->i] == close) {
			s->i++;
			return true;
		}
		for (;;) {
			if (c == '{') {
				ws(s);
				if (s->i >= s->n || s->p[s->i] != '"' ||
				    !string(s))
					return false;
				ws(s);
				if (s->i >= s->n || s->p[s->i++] != ':')
					return false;
			}
			if (!value(s, depth - 1))
				return false;
			ws(s);
			if (s->i >= s->n)
				return false;
			if (s->p[s->i] == close) {
				s->i++;
				return true;
			}
			if (s->p[s->i++] != ',')
				return false;
		}
	}
	if (c == '"')
		return string(s);
	if (c == '-' || (c >= '0' && c <= '9'))
		return number(s);
	return lit(s, "true") || lit(s, "false") || lit(s, "null");
}

bool jsonr_valid(const char *p, size_t n, int max_depth)
{
	struct scan s = {p, n, 0};

	if (!str_utf8_valid(p, n) || !value(&s, max_depth))
		return false;
	ws(&s);
	return s.i == n;
}

struct json_object *jsonr_parse_object(struct arena *a, const char *p,
				       size_t n)
{
	struct json_tokener *tok;
	struct json_object *obj;
	enum json_tokener_error err;

	if (n > INT32_MAX || !jsonr_valid(p, n, 16))
		return NULL;
	tok = json_tokener_new_ex(16);
	if (tok == NULL)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
				    JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, p, (int)n);
	err = json_tokener_get_error(tok);
	/* Trailing bytes after the value: json-c stops at the value's end. */
	if (obj != NULL && err == json_tokener_success &&
	    json_tokener_get_parse_end(tok) != n) {
		size_t end = json_tokener_get_parse_end(tok);

		for (; end < n; end++)
			if (!strchr(" \t\r\n", p[end]))
				break;
		if (end != n) {
			json_object_put(obj);
			obj = NULL;
		}
	}
	json_tokener_free(tok);
	if (obj == NULL || err != json_tokener_success)
		return NULL;
	if (arena_defer(a, put_json, obj) < 0)
		return NULL;
	if (!json_object_is_type(obj, json_type_object))
		return NULL;
	return obj;
}

static enum jsonr_status field(struct json_object *obj, const char *key,
			       enum json_type type, struct json_object **v)
{
	if (!json_object_object_get_ex(obj, key, v) || *v == NULL)
		return JSONR_MISSING;
	return json_object_is_type(*v, type) ? JSONR_OK : JSONR_BAD_TYPE;
}

enum jsonr_status jsonr_string(struct json_object *obj, const char *key,
			       const char **s, size_t *len)
{
	struct json_object *v;
	enum jsonr_status st = field(obj, key, json_type_string, &v);

	if (st != JSONR_OK)
		return st;
	*s = json_object_get_string(v);
	*len = (size_t)json_object_get_string_len(v);
	return JSONR_OK;
}

enum jsonr_status jsonr_int(struct json_object *obj, const char *key,
			    int64_t *out)
{
	struct json_object *v;
	enum jsonr_status st = field(obj, key, json_type_int, &v);

	if (st == JSONR_BAD_TYPE && json_object_is_type(v, json_type_double)) {
		/* 2.0 is an integer to a person; 2.5 is not. */
		double d = json_object_get_double(v);

		if (d == floor(d) && fabs(d) < 1e15) {
			*out = (int64_t)d;
			return JSONR_OK;
		}
	}
	if (st != JSONR_OK)
		return st;
	*out = json_object_get_int64(v);
	/* json-c clamps out-of-range numbers to INT64_MIN/MAX. */
	if (*out == INT64_MAX || *out == INT64_MIN)
		return JSONR_BAD_TYPE;
	return JSONR_OK;
}

enum jsonr_status jsonr_bool(struct json_object *obj, const char *key,
			     bool *out)
{
	struct json_object *v;
	enum jsonr_status st = field(obj, key, json_type_boolean, &v);

	if (st == JSONR_OK)
		*out = json_object_get_boolean(v);
	return st;
}
