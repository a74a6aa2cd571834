/*
 * mime: MIME rendering (lib/mime.h).
 */
#include "mime.h"

#include "arena.h"
#include "buf.h"
#include "valid.h"

#include <sodium.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define FOLD_COL	78	/* header lines are folded to this width */
#define EW_BYTES	39	/* 52 base64 chars: a 64-char encoded-word */
#define QP_COL		75	/* + the "=" of a soft break makes 76 */
#define B64_BYTES	57	/* 76 base64 characters a line */
#define FIELD_MAX	200	/* filename, content type, content id */
#define LONG_WORD	60	/* longer ASCII words are encoded, not folded */
#define BOUNDARY_LEN	26

/* ---- addresses ---- */

bool mail_address_valid(const char *s)
{
	return s != NULL && valid_address(s, strlen(s));
}

struct mailbox {
	const char *name;	/* display name as written, maybe quoted */
	size_t name_len;
	const char *addr;
	size_t addr_len;
};

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static void trim(const char **s, size_t *n)
{
	while (*n > 0 && is_wsp(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && is_wsp((*s)[*n - 1]))
		(*n)--;
}

/* "Name <a@b>", "\"N <x>\" <a@b>" or "a@b". The first '<' outside a
 * quoted string opens the address. */
static int parse_mailbox(const char *s, struct mailbox *mb)
{
	size_t n = strlen(s), i;
	bool quoted = false;

	for (i = 0; i < n; i++) {
		if (quoted) {
			if (s[i] == '\\' && i + 1 < n)
				i++;
			else if (s[i] == '"')
				quoted = false;
		} else if (s[i] == '"') {
			quoted = true;
		} else if (s[i] == '<') {
			break;
		}
	}
	if (i == n) {
		mb->name = s;
		mb->name_len = 0;
		mb->addr = s;
		mb->addr_len = n;
		trim(&mb->addr, &mb->addr_len);
	} else {
		const char *gt = strchr(s + i, '>');

		if (gt == NULL)
			return -1;
		for (const char *p = gt + 1; *p != '\0'; p++)
			if (!is_wsp(*p))
				return -1;
		mb->name = s;
		mb->name_len = i;
		trim(&mb->name, &mb->name_len);
		mb->addr = s + i + 1;
		mb->addr_len = (size_t)(gt - mb->addr);
	}
	return valid_address(mb->addr, mb->addr_len) ? 0 : -1;
}

int mail_address(const char *from, char *out, size_t outlen)
{
	struct mailbox mb;

	if (from == NULL || out == NULL || parse_mailbox(from, &mb) < 0 ||
	    mb.addr_len >= outlen)
		return -1;
	memcpy(out, mb.addr, mb.addr_len);
	out[mb.addr_len] = '\0';
	return 0;
}

/* ---- header encoding ---- */

static bool has_crlf(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") != NULL;
}

/* Length of the UTF-8 sequence at s[i], never past n or a bad byte. */
static size_t seq_len(const char *s, size_t i, size_t n)
{
	unsigned char c = (unsigned char)s[i];
	size_t len = c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;

	for (size_t k = 1; k < len; k++)
		if (i + k >= n || ((unsigned char)s[i + k] & 0xC0) != 0x80)
			return k;
	return len;
}

static bool needs_encoding(const char *s, size_t n)
{
	size_t word = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c > 0x7E)
			return true;
		if (c == '=' && i + 1 < n && s[i + 1] == '?')
			return true;
		/* put_header folds at single spaces between words only: a run
		 * of spaces, or one at either end, could leave a line too
		 * long or of white space alone. */
		if (c == ' ' && (i == 0 || i + 1 == n || s[i + 1] == ' '))
			return true;
		word = c == ' ' ? 0 : word + 1;
		if (word > LONG_WORD)
			return true;
	}
	return false;
}

static void encode_words(struct buf *out, const char *s, size_t n)
{
	char enc[80];
	size_t i = 0;

	while (i < n) {
		size_t j = i;

		while (j < n) {
			size_t k = seq_len(s, j, n);

			if (j + k - i > EW_BYTES)
				break;
			j += k;
		}
		if (i > 0)
			buf_putc(out, ' ');
		sodium_bin2base64(enc, sizeof(enc),
				  (const unsigned char *)s + i, j - i,
				  sodium_base64_VARIANT_ORIGINAL);
		buf_printf(out, "=?UTF-8?B?%s?=", enc);
		i = j;
	}
}

void mail_encode_header(struct buf *out, const char *s)
{
	size_t n = strlen(s);

	if (needs_encoding(s, n))
		encode_words(out, s, n);
	else
		buf_append(out, s, n);
}

static void put_quoted(struct buf *out, const char *s, size_t n)
{
	buf_putc(out, '"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			buf_putc(out, '\\');
		buf_putc(out, s[i]);
	}
	buf_putc(out, '"');
}

/* true when s[0..n) holds an RFC 5322 special, which needs quoting. */
static bool has_special(const char *s, size_t n)
{
	static const char specials[] = "()<>[]:;@\\,.\"";

	for (size_t i = 0; i < n; i++)
		if (memchr(specials, s[i], sizeof(specials) - 1) != NULL)
			return true;
	return false;
}

/* true when s[0..n) as a quoted string has no word too long to fold:
 * quoting adds a backslash before each '"' and '\\', and the quotes. */
static bool quoted_fits(const char *s, size_t n)
{
	size_t word = 1;	/* the opening quote */

	for (size_t i = 0; i < n; i++) {
		if (s[i] == ' ')
			word = 0;
		else
			word += s[i] == '"' || s[i] == '\\' ? 2 : 1;
		if (word > LONG_WORD)
			return false;
	}
	return word + 1 <= LONG_WORD;
}

/* A display name: an atom run, a quoted string, or encoded-words. s is
 * not NUL-terminated (a piece of From, or unquote's copy). */
static void put_phrase(struct buf *out, const char *s, size_t n)
{
	if (needs_encoding(s, n) || (has_special(s, n) && !quoted_fits(s, n)))
		encode_words(out, s, n);
	else if (has_special(s, n))
		put_quoted(out, s, n);
	else
		buf_append(out, s, n);
}

/* Undo the quoting of a configured "\"Name\" <a@b>" so the name can be
 * rendered afresh. */
static void unquote(struct arena *a, const char **s, size_t *n)
{
	char *p;
	size_t k = 0;

	if (*n < 2 || (*s)[0] != '"' || (*s)[*n - 1] != '"')
		return;
	p = arena_alloc(a, *n);
	if (p == NULL)
		return;
	for (size_t i = 1; i + 1 < *n; i++) {
		if ((*s)[i] == '\\' && i + 2 < *n)
			i++;
		p[k++] = (*s)[i];
	}
	*s = p;
	*n = k;
}

static void put_mailbox(struct buf *out, struct arena *a, const char *name,
			size_t name_len, const char *addr, size_t addr_len)
{
	trim(&name, &name_len);
	unquote(a, &name, &name_len);
	if (name_len > 0) {
		put_phrase(out, name, name_len);
		buf_puts(out, " <");
		buf_append(out, addr, addr_len);
		buf_putc(out, '>');
	} else {
		buf_append(out, addr, addr_len);
	}
}

/*
 * "Name: value" folded before a space so lines stay within FOLD_COL.
 * Folding only inserts CRLF before an existing space, which unfolding
 * removes again, so it is safe anywhere, even inside a quoted string.
 */
static void put_header(struct buf *out, const char *name,
		       const struct buf *v)
{
	size_t col = strlen(name) + 1;
	const char *p;

	if (v->failed) {
		out->failed = true;
		return;
	}
	buf_puts(out, name);
	buf_putc(out, ':');
	p = v->data;
	for (bool first = true;; first = false) {
		size_t wl = strcspn(p, " ");

		if (!first && wl > 0 && col + 1 + wl > FOLD_COL) {
			buf_puts(out, "\r\n");
			col = 0;
		}
		buf_putc(out, ' ');
		buf_append(out, p, wl);
		col += 1 + wl;
		p += wl;
		if (*p == '\0')
			break;
		p++;
	}
	buf_puts(out, "\r\n");
}

static void put_date(struct buf *out, time_t t)
{
	static const char wday[7][4] = {"Sun", "Mon", "Tue", "Wed",
					"Thu", "Fri", "Sat"};
	static const char mon[12][4] = {"Jan", "Feb", "Mar", "Apr",
					"May", "Jun", "Jul", "Aug",
					"Sep", "Oct", "Nov", "Dec"};
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL) {
		out->failed = true;
		return;
	}
	buf_printf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
		   wday[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon],
		   tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void rand_hex(char *out, size_t nbytes)
{
	unsigned char r[32];

	randombytes_buf(r, nbytes);
	sodium_bin2hex(out, nbytes * 2 + 1, r, nbytes);
}

/* "=_" never occurs in quoted-printable or base64 text, so a boundary
 * starting with it cannot collide with any encoded body; the random part
 * keeps nested boundaries apart. */
static void new_boundary(char out[BOUNDARY_LEN + 1])
{
	out[0] = '=';
	out[1] = '_';
	rand_hex(out + 2, (BOUNDARY_LEN - 2) / 2);
}

/* ---- bodies ---- */

static bool qp_literal(unsigned char c, bool last)
{
	if (c == ' ' || c == '\t')
		return !last;	/* trailing white space would be stripped */
	return c >= 33 && c <= 126 && c != '=';
}

/*
 * Quoted-printable with CRLF hard breaks for the text's LF or CRLF. A '.'
 * or "From " starting a line is encoded too: some relays still mangle
 * those.
 */
static void put_qp(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	size_t col = 0;

	for (; *p != '\0'; p++) {
		bool last, lit;

		if (*p == '\n' || (*p == '\r' && p[1] == '\n')) {
			if (*p == '\r')
				p++;
			buf_puts(out, "\r\n");
			col = 0;
			continue;
		}
		last = p[1] == '\0' || p[1] == '\n' ||
		       (p[1] == '\r' && p[2] == '\n');
		lit = qp_literal(*p, last);
		if (col + (lit ? 1 : 3) > QP_COL) {
			buf_puts(out, "=\r\n");
			col = 0;
		}
		if (col == 0 && (*p == '.' ||
				 strncmp((const char *)p, "From ", 5) == 0))
			lit = false;
		if (lit) {
			buf_putc(out, (char)*p);
			col++;
		} else {
			char e[3] = {'=', hex[*p >> 4], hex[*p & 15]};

			buf_append(out, e, 3);
			col += 3;
		}
	}
}

static void put_base64(struct buf *out, const unsigned char *d, size_t n)
{
	char line[80];

	for (size_t i = 0; i < n; i += B64_BYTES) {
		size_t k = n - i < B64_BYTES ? n - i : B64_BYTES;

		sodium_bin2base64(line, sizeof(line), d + i, k,
				  sodium_base64_VARIANT_ORIGINAL);
		buf_puts(out, line);
		buf_puts(out, "\r\n");
	}
}

static void put_text_part(struct buf *out, const char *subtype,
			  const char *s)
{
	buf_printf(out,
		   "Content-Type: text/%s; charset=utf-8\r\n"
		   "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
		   subtype);
	put_qp(out, s);
}

static void put_multipart_type(struct buf *out, struct arena *a,
			       const char *type, const char *root,
			       const char *boundary)
{
	struct buf v;

	buf_init(&v, a, 128);
	buf_printf(&v, "multipart/%s;", type);
	if (root != NULL)
		buf_printf(&v, " type=\"%s\";", root);
	buf_printf(&v, " boundary=\"%s\"", boundary);
	put_header(out, "Content-Type", &v);
	buf_puts(out, "\r\n");
}

/* The text, or the text and the HTML as alternatives. */
static void put_body(struct buf *out, struct arena *a,
		     const struct mail_msg *m)
{
	char b[BOUNDARY_LEN + 1];

	if (m->html == NULL) {
		put_text_part(out, "plain", m->text);
		return;
	}
	new_boundary(b);
	put_multipart_type(out, a, "alternative", NULL, b);
	buf_printf(out, "--%s\r\n", b);
	put_text_part(out, "plain", m->text);
	/* The CRLF before a delimiter belongs to it, not to the part: with
	 * our own CRLF here the part keeps its last line break. */
	buf_printf(out, "\r\n--%s\r\n", b);
	put_text_part(out, "html", m->html);
	buf_printf(out, "\r\n--%s--\r\n", b);
}

static void put_attachment(struct buf *out, struct arena *a,
			   const struct mail_attachment *at)
{
	size_t fl = strlen(at->filename);
	struct buf v;

	buf_init(&v, a, 128);
	buf_printf(&v, "%s; name=", at->content_type);
	put_quoted(&v, at->filename, fl);
	put_header(out, "Content-Type", &v);
	buf_puts(out, "Content-Transfer-Encoding: base64\r\n");
	if (at->content_id != NULL)
		buf_printf(out, "Content-ID: <%s>\r\n", at->content_id);
	buf_init(&v, a, 128);
	buf_puts(&v, at->content_id != NULL ? "inline; filename="
					    : "attachment; filename=");
	put_quoted(&v, at->filename, fl);
	put_header(out, "Content-Disposition", &v);
	buf_puts(out, "\r\n");
	put_base64(out, at->data, at->len);
}

/* ---- validation ---- */

static bool printable(const char *s, size_t max)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++)
		if ((unsigned char)s[n] < 0x20 || (unsigned char)s[n] > 0x7E)
			return false;
	return n > 0 && n <= max;
}

static bool cid_valid(const char *s)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++)
		if (!valid_atext((unsigned char)s[n]) && s[n] != '.' &&
		    s[n] != '@')
			return false;
	return n > 0 && n <= FIELD_MAX;
}

static bool attachment_valid(const struct mail_attachment *at)
{
	return at->filename != NULL && printable(at->filename, FIELD_MAX) &&
	       at->content_type != NULL &&
	       printable(at->content_type, FIELD_MAX) &&
	       strchr(at->content_type, '/') != NULL &&
	       (at->content_id == NULL || cid_valid(at->content_id)) &&
	       (at->data != NULL || at->len == 0);
}

static bool utf8(const char *s)
{
	return s == NULL || str_utf8_valid(s, strlen(s));
}

static int msg_valid(const struct mail_msg *m, struct mailbox *from,
		     struct mailbox *reply, int *ninline, int *nattach)
{
	memset(reply, 0, sizeof(*reply));
	if (m->reply_to != NULL && *m->reply_to != '\0' &&
	    (has_crlf(m->reply_to) || !utf8(m->reply_to) ||
	     parse_mailbox(m->reply_to, reply) < 0))
		return -1;
	if (m->from == NULL || m->to == NULL || m->subject == NULL ||
	    m->text == NULL)
		return -1;
	if (has_crlf(m->from) || has_crlf(m->to) || has_crlf(m->to_name) ||
	    has_crlf(m->subject))
		return -1;
	if (!utf8(m->from) || !utf8(m->to_name) || !utf8(m->subject) ||
	    !utf8(m->text) || !utf8(m->html))
		return -1;
	if (parse_mailbox(m->from, from) < 0 || !mail_address_valid(m->to))
		return -1;
	if (m->nattachments < 0 ||
	    (m->nattachments > 0 && m->attachments == NULL))
		return -1;
	*ninline = *nattach = 0;
	for (int i = 0; i < m->nattachments; i++) {
		if (!attachment_valid(&m->attachments[i]))
			return -1;
		if (m->attachments[i].content_id != NULL)
			(*ninline)++;
		else
			(*nattach)++;
	}
	return 0;
}

/* ---- the message ---- */

int mail_render(struct buf *out, const struct mail_msg *m)
{
	struct arena *a = out->arena;
	struct mailbox from, reply;
	int ninline, nattach;
	char mixed[BOUNDARY_LEN + 1], related[BOUNDARY_LEN + 1];
	char id[33];
	const char *domain;
	struct buf v;

	if (m == NULL || msg_valid(m, &from, &reply, &ninline, &nattach) < 0)
		return -1;

	buf_init(&v, a, 128);
	put_mailbox(&v, a, from.name, from.name_len, from.addr, from.addr_len);
	put_header(out, "From", &v);
	if (reply.addr != NULL) {
		buf_init(&v, a, 128);
		put_mailbox(&v, a, reply.name, reply.name_len, reply.addr,
			    reply.addr_len);
		put_header(out, "Reply-To", &v);
	}
	buf_init(&v, a, 128);
	put_mailbox(&v, a, m->to_name != NULL ? m->to_name : "",
		    m->to_name != NULL ? strlen(m->to_name) : 0, m->to,
		    strlen(m->to));
	put_header(out, "To", &v);
	buf_init(&v, a, 128);
	mail_encode_header(&v, m->subject);
	put_header(out, "Subject", &v);
	put_date(out, time(NULL));
	rand_hex(id, 16);
	domain = (const char *)memchr(from.addr, '@', from.addr_len) + 1;
	buf_printf(out, "Message-ID: <%s@%.*s>\r\n", id,
		   (int)(from.addr + from.addr_len - domain), domain);
	buf_puts(out, "MIME-Version: 1.0\r\n"
		      "Auto-Submitted: auto-generated\r\n");

	if (nattach > 0) {
		new_boundary(mixed);
		put_multipart_type(out, a, "mixed", NULL, mixed);
		buf_printf(out, "--%s\r\n", mixed);
	}
	if (ninline > 0) {
		new_boundary(related);
		put_multipart_type(out, a, "related",
				   m->html != NULL ? "multipart/alternative"
						   : "text/plain",
				   related);
		buf_printf(out, "--%s\r\n", related);
	}
	put_body(out, a, m);
	if (ninline > 0) {
		for (int i = 0; i < m->nattachments; i++) {
			if (m->attachments[i].content_id == NULL)
				continue;
			buf_printf(out, "\r\n--%s\r\n", related);
			put_attachment(out, a, &m->attachments[i]);
		}
		buf_printf(out, "\r\n--%s--\r\n", related);
	}
	if (nattach > 0) {
		for (int i = 0; i < m->nattachments; i++) {
			if (m->attachments[i].content_id != NULL)
				continue;
			buf_printf(out, "\r\n--%s\r\n", mixed);
			put_attachment(out, a, &m->attachments[i]);
		}
		buf_printf(out, "\r\n--%s--\r\n", mixed);
	}
	/* A text-only message must still end with a line break. */
	if (!out->failed && out->len >= 2 &&
	    memcmp(out->data + out->len - 2, "\r\n", 2) != 0)
		buf_puts(out, "\r\n");
	return out->failed ? -1 : 0;
}

