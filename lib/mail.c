/*
 * mail: MIME rendering (RFC 5322, 2045-2047, 2387) and delivery over SMTP
 * with libesmtp or into a directory of .eml files.
 */
#include "mail.h"

#include "arena.h"
#include "buf.h"

#include <auth-client.h>
#include <libesmtp.h>
#include <sodium.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FOLD_COL	78	/* header lines are folded to this width */
#define EW_BYTES	39	/* 52 base64 chars: a 64-char encoded-word */
#define QP_COL		75	/* + the "=" of a soft break makes 76 */
#define B64_BYTES	57	/* 76 base64 characters a line */
#define FIELD_MAX	200	/* filename, content type, content id */
#define LONG_WORD	60	/* longer ASCII words are encoded, not folded */
#define BOUNDARY_LEN	26

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static const char *errstr(int e, char *b, size_t n)
{
	if (strerror_r(e, b, n) != 0)
		snprintf(b, n, "error %d", e);
	return b;
}

/* ---- addresses ---- */

static bool is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static bool is_ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-';
}

/*
 * A dot-atom local part and a host name. Anything looser would have to be
 * quoted in headers and in the SMTP envelope, and libesmtp pastes the
 * envelope addresses into "MAIL FROM:<%s>" as they are.
 */
static bool addr_valid(const char *s, size_t n)
{
	const char *at = memchr(s, '@', n);
	size_t local, label = 0;

	if (at == NULL)
		return false;
	local = (size_t)(at - s);
	if (local == 0 || local > 64 || n - local - 1 == 0 ||
	    n - local - 1 > 253)
		return false;
	for (size_t i = 0; i < local; i++) {
		if (s[i] == '.') {
			if (i == 0 || i == local - 1 || s[i - 1] == '.')
				return false;
		} else if (!is_atext((unsigned char)s[i])) {
			return false;
		}
	}
	for (size_t i = local + 1; i < n; i++) {
		if (s[i] == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
		} else if (is_ldh((unsigned char)s[i])) {
			if (s[i] == '-' && label == 0)
				return false;
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0 && s[n - 1] != '-';
}

bool mail_address_valid(const char *s)
{
	return s != NULL && addr_valid(s, strlen(s));
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
	return addr_valid(mb->addr, mb->addr_len) ? 0 : -1;
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
		if (!is_atext((unsigned char)s[n]) && s[n] != '.' &&
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
		     int *ninline, int *nattach)
{
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
	struct mailbox from;
	int ninline, nattach;
	char mixed[BOUNDARY_LEN + 1], related[BOUNDARY_LEN + 1];
	char id[33];
	const char *domain;
	struct buf v;

	if (m == NULL || msg_valid(m, &from, &ninline, &nattach) < 0)
		return -1;

	buf_init(&v, a, 128);
	put_mailbox(&v, a, from.name, from.name_len, from.addr, from.addr_len);
	put_header(out, "From", &v);
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

/* ---- SMTP ---- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * What one session saw. libesmtp reports the envelope and message
 * statuses, but not whether AUTH or STARTTLS worked, so those are read
 * off the protocol monitor and the event callback.
 */
struct mail_run {
	const struct mail_smtp *cfg;
	const char *msg;
	size_t len, pos;
	int64_t last_io;	/* ms, monotonic */
	int linepos;		/* of the reply line being read */
	char head[4];		/* its first bytes: "250 " */
	int last_code;		/* of the last complete reply */
	int auth_code;		/* last failed AUTH reply */
	bool connected, auth_sent, auth_pending, auth_ok, tls_sent, tls_ok;
	bool tls_missing, tls_bad, mail_sent, aborted;
};

static int timeout_ms(const struct mail_smtp *cfg)
{
	if (cfg->timeout_s <= 0)
		return 10000;
	return cfg->timeout_s < 3600 ? cfg->timeout_s * 1000 : 3600000;
}

static bool must_abort(const struct mail_run *r)
{
	return (r->cfg->user != NULL && r->cfg->user[0] != '\0' &&
		!r->auth_ok) ||
	       (r->cfg->starttls && !r->tls_ok);
}

/*
 * libesmtp goes on to MAIL FROM when AUTH fails or is not offered (an MTA
 * must accept mail for its own domain). The message source is the last
 * point where we can stop it: failing here with errno set makes libesmtp
 * drop the connection without the final dot, so nothing is delivered.
 */
static const char *message_cb(void **ctx, int *len, void *arg)
{
	struct mail_run *r = arg;
	size_t n;

	(void)ctx;
	if (len == NULL) {
		r->pos = 0;
		return NULL;
	}
	if (must_abort(r)) {
		r->aborted = true;
		errno = EACCES;
		*len = 0;
		return NULL;
	}
	n = r->len - r->pos;
	if (n > (size_t)1 << 20)
		n = (size_t)1 << 20;
	*len = (int)n;
	r->pos += n;
	return r->msg + r->pos - n;
}

static void reply_line(struct mail_run *r)
{
	const char *h = r->head;
	int code;

	if (h[0] < '2' || h[0] > '5' || h[1] < '0' || h[1] > '9' ||
	    h[2] < '0' || h[2] > '9' || h[3] != ' ')
		return;		/* a continuation line, or junk */
	code = (h[0] - '0') * 100 + (h[1] - '0') * 10 + (h[2] - '0');
	r->last_code = code;
	if (!r->auth_pending || code / 100 == 3)
		return;
	r->auth_pending = false;
	if (code / 100 == 2)
		r->auth_ok = true;
	else
		r->auth_code = code;
}

/* Sees commands (credentials too: nothing is kept but the verb) and
 * replies; the message itself is not passed here. */
static void monitor_cb(const char *b, int n, int writing, void *arg)
{
	struct mail_run *r = arg;

	r->last_io = now_ms();
	if (writing == SMTP_CB_WRITING) {
		if (n >= 5 && memcmp(b, "AUTH ", 5) == 0)
			r->auth_sent = r->auth_pending = true;
		else if (n >= 8 && memcmp(b, "STARTTLS", 8) == 0)
			r->tls_sent = true;
		else if (n >= 10 && memcmp(b, "MAIL FROM:", 10) == 0)
			r->mail_sent = true;
		return;
	}
	if (writing != SMTP_CB_READING)
		return;
	for (int i = 0; i < n; i++) {
		if (r->linepos < 4)
			r->head[r->linepos] = b[i];
		if (++r->linepos == 4)
			reply_line(r);
		if (b[i] == '\n')
			r->linepos = 0;
	}
}

/* The certificate events carry an "accept anyway" flag that stays 0. */
static void event_cb(smtp_session_t s, int event, void *arg, ...)
{
	struct mail_run *r = arg;

	(void)s;
	switch (event) {
	case SMTP_EV_CONNECT:
		r->connected = true;
		r->last_io = now_ms();
		break;
	case SMTP_EV_STARTTLS_OK:
		r->tls_ok = true;
		break;
	case SMTP_EV_EXTNA_STARTTLS:
		r->tls_missing = true;
		break;
	case SMTP_EV_WEAK_CIPHER:
	case SMTP_EV_INVALID_PEER_CERTIFICATE:
	case SMTP_EV_NO_PEER_CERTIFICATE:
	case SMTP_EV_WRONG_PEER_CERTIFICATE:
	case SMTP_EV_UNUSABLE_CA_LIST:
	case SMTP_EV_UNUSABLE_CLIENT_CERTIFICATE:
	case SMTP_EV_NO_CLIENT_CERTIFICATE:
		r->tls_bad = true;
		break;
	default:
		break;
	}
}

static int interact_cb(auth_client_request_t req, char **result, int fields,
		       void *arg)
{
	const struct mail_run *r = arg;

	for (int i = 0; i < fields; i++) {
		if (req[i].flags & AUTH_USER)
			result[i] = (char *)r->cfg->user;
		else if (req[i].flags & AUTH_PASS)
			result[i] = (char *)r->cfg->password;
		else if (req[i].flags & AUTH_REALM)
			result[i] = (char *)"";
		else
			return 0;
	}
	return 1;
}

static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	}
	return false;
}

static int connect_timed(const struct addrinfo *ai, int ms)
{
	struct pollfd pfd;
	int fd, e = 0, n;
	socklen_t elen = sizeof(e);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
					   SOCK_CLOEXEC,
		    ai->ai_protocol);
	if (fd < 0)
		return errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
		close(fd);
		return 0;
	}
	if (errno != EINPROGRESS) {
		e = errno;
		close(fd);
		return e;
	}
	pfd.fd = fd;
	pfd.events = POLLOUT;
	do
		n = poll(&pfd, 1, ms);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		e = ETIMEDOUT;
	else if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0)
		e = errno;
	close(fd);
	return e;
}

/*
 * libesmtp connects with a blocking connect(2), which waits minutes for
 * a host that drops SYNs. So try the connection first with our timeout.
 * Loopback answers at once either way and is not probed. AUTH over a
 * plain connection is refused here, before anything is sent, unless the
 * host is loopback.
 */
static int probe(const char *host, int port, int ms,
		 bool plain_auth, char *err, size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	char ps[8], eb[128];
	bool loopback = true;
	int rc, e = ETIMEDOUT;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(ps, sizeof(ps), "%d", port);
	rc = getaddrinfo(host, ps, &hints, &res);
	if (rc != 0) {
		seterr(err, errlen, "resolve failed: %s",
		       rc == EAI_SYSTEM ? errstr(errno, eb, sizeof(eb))
					: gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next)
		if (!is_loopback(ai->ai_addr))
			loopback = false;
	if (loopback) {
		freeaddrinfo(res);
		return 0;
	}
	if (plain_auth) {
		freeaddrinfo(res);
		seterr(err, errlen, "AUTH without STARTTLS refused");
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		e = connect_timed(ai, ms);
		if (e == 0)
			break;
	}
	freeaddrinfo(res);
	if (e != 0) {
		seterr(err, errlen, "connect failed: %s",
		       errstr(e, eb, sizeof(eb)));
		return -1;
	}
	return 0;
}

static bool message_clean(const char *msg, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (msg[i] == '\r') {
			if (i + 1 == len || msg[i + 1] != '\n')
				return false;
			i++;
		} else if (msg[i] == '\n' || msg[i] == '\0') {
			return false;
		}
	}
	return len > 0;
}

static bool host_valid(const char *h)
{
	size_t n = 0;

	for (; h[n] != '\0'; n++)
		if (!is_ldh((unsigned char)h[n]) && h[n] != '.')
			return false;
	return n > 0 && n <= 253;
}

/* "550" or "550 5.1.1": the server's text may quote the address. */
static void status_str(const smtp_status_t *st, char *b, size_t n)
{
	if (st->enh_class > 0)
		snprintf(b, n, "%d %d.%d.%d", st->code, st->enh_class,
			 st->enh_subject, st->enh_detail);
	else
		snprintf(b, n, "%d", st->code);
}

static bool ok2(const smtp_status_t *st)
{
	return st->code >= 200 && st->code <= 299;
}

static bool failed(const smtp_status_t *st)
{
	return st->code >= 400;
}

/* The first thing that went wrong, in protocol order. */
static int verdict(const struct mail_run *r, int started, int smtp_err,
		   smtp_message_t m, smtp_recipient_t rcpt, char *err,
		   size_t errlen)
{
	const smtp_status_t *sender = smtp_reverse_path_status(m);
	const smtp_status_t *recipient = smtp_recipient_status(rcpt);
	const smtp_status_t *message = smtp_message_transfer_status(m);
	bool auth = r->cfg->user != NULL && r->cfg->user[0] != '\0';
	int limit = timeout_ms(r->cfg);
	char b[128];

	if (!r->connected) {
		seterr(err, errlen, "connect failed: %s",
		       smtp_err < 0 ? errstr(-smtp_err, b, sizeof(b))
				    : smtp_strerror(smtp_err, b, sizeof(b)));
		return -1;
	}
	if (r->tls_missing) {
		seterr(err, errlen, "STARTTLS not offered by the server");
		return -1;
	}
	if (r->tls_bad) {
		seterr(err, errlen, "TLS: server certificate not accepted");
		return -1;
	}
	if (r->cfg->starttls && !r->tls_ok && r->tls_sent) {
		if (r->last_code >= 400)
			seterr(err, errlen, "STARTTLS failed: %d",
			       r->last_code);
		else
			seterr(err, errlen, "STARTTLS failed: handshake");
		return -1;
	}
	if (auth && !r->auth_ok && r->auth_sent) {
		seterr(err, errlen, "auth failed: %d", r->auth_code);
		return -1;
	}
	if (auth && !r->auth_ok && r->mail_sent) {
		seterr(err, errlen, "auth not offered by the server");
		return -1;
	}
	if (failed(sender)) {
		status_str(sender, b, sizeof(b));
		seterr(err, errlen, "sender rejected: %s", b);
		return -1;
	}
	if (failed(recipient)) {
		status_str(recipient, b, sizeof(b));
		seterr(err, errlen, "recipient rejected: %s", b);
		return -1;
	}
	if (started && !r->aborted && ok2(recipient) && ok2(message))
		return 0;
	if (failed(message)) {
		status_str(message, b, sizeof(b));
		seterr(err, errlen, "message rejected: %s", b);
		return -1;
	}
	if (smtp_err == SMTP_ERR_DROPPED_CONNECTION &&
	    now_ms() - r->last_io >= limit - 100) {
		seterr(err, errlen, "timed out after %d s", limit / 1000);
		return -1;
	}
	if (r->last_code >= 400) {
		seterr(err, errlen, "server refused: %d", r->last_code);
		return -1;
	}
	seterr(err, errlen, "smtp failed: %s",
	       smtp_err < 0 ? errstr(-smtp_err, b, sizeof(b))
			    : smtp_strerror(smtp_err, b, sizeof(b)));
	return -1;
}

static pthread_once_t auth_once = PTHREAD_ONCE_INIT;

int mail_send_smtp(const struct mail_smtp *cfg, const char *from_addr,
		   const char *to_addr, const char *msg, size_t len, char *err,
		   size_t errlen)
{
	struct mail_run r;
	smtp_session_t s;
	smtp_message_t m;
	smtp_recipient_t rcpt;
	auth_context_t actx = NULL;
	char hostport[300];
	bool auth;
	int limit, started, smtp_err, rc;

	seterr(err, errlen, "%s", "");
	if (cfg == NULL || cfg->host == NULL || !host_valid(cfg->host) ||
	    cfg->port < 1 || cfg->port > 65535) {
		seterr(err, errlen, "bad SMTP host or port");
		return -1;
	}
	if (!mail_address_valid(from_addr) || !mail_address_valid(to_addr)) {
		seterr(err, errlen, "bad envelope address");
		return -1;
	}
	if (msg == NULL || !message_clean(msg, len)) {
		seterr(err, errlen, "message empty or with bare CR or LF");
		return -1;
	}
	auth = cfg->user != NULL && cfg->user[0] != '\0';
	if (auth && cfg->password == NULL) {
		seterr(err, errlen, "SMTP user without password");
		return -1;
	}
	limit = timeout_ms(cfg);
	if (probe(cfg->host, cfg->port, limit, auth && !cfg->starttls, err,
		  errlen) < 0)
		return -1;

	memset(&r, 0, sizeof(r));
	r.cfg = cfg;
	r.msg = msg;
	r.len = len;
	r.last_io = now_ms();
	pthread_once(&auth_once, auth_client_init);
	snprintf(hostport, sizeof(hostport), "%s:%d", cfg->host, cfg->port);

	s = smtp_create_session();
	if (s == NULL) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	m = smtp_add_message(s);
	rcpt = m != NULL ? smtp_add_recipient(m, to_addr) : NULL;
	rc = rcpt != NULL && smtp_set_server(s, hostport) &&
	     smtp_starttls_enable(s, cfg->starttls ? Starttls_REQUIRED
						   : Starttls_DISABLED) &&
	     smtp_set_eventcb(s, event_cb, &r) &&
	     smtp_set_monitorcb(s, monitor_cb, &r, 0) &&
	     smtp_set_reverse_path(m, from_addr) &&
	     smtp_size_set_estimate(m, len) &&
	     smtp_set_messagecb(m, message_cb, &r);
	/* libesmtp's defaults are the RFC 5321 minimums, 2 to 10 minutes. */
	for (int w = Timeout_GREETING; rc && w <= Timeout_DATA2; w++)
		rc = smtp_set_timeout(s, w | Timeout_OVERRIDE_RFC2822_MINIMUM,
				      limit) > 0;
	if (rc && auth) {
		actx = auth_create_context();
		/* "PLAIN" covers PLAIN and LOGIN, which send the password
		 * as it is: fine over TLS or loopback, checked above. */
		rc = actx != NULL &&
		     auth_set_mechanism_flags(actx, AUTH_PLUGIN_PLAIN, 0) &&
		     auth_set_interact_cb(actx, interact_cb, &r) &&
		     smtp_auth_set_context(s, actx);
	}
	if (!rc) {
		smtp_destroy_session(s);
		if (actx != NULL)
			auth_destroy_context(actx);
		seterr(err, errlen, "out of memory");
		return -1;
	}

	started = smtp_start_session(s);
	smtp_err = smtp_errno();
	rc = verdict(&r, started, smtp_err, m, rcpt, err, errlen);
	smtp_destroy_session(s);
	if (actx != NULL)
		auth_destroy_context(actx);
	return rc;
}

/* ---- files ---- */

/* mkdir -p with mode 0700 for what it creates. */
static int make_dirs(const char *dir, char *err, size_t errlen)
{
	char p[PATH_MAX], eb[128];
	size_t n = strlen(dir);
	struct stat st;

	if (n == 0 || n >= sizeof(p)) {
		seterr(err, errlen, "bad mail directory");
		return -1;
	}
	memcpy(p, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST) {
			seterr(err, errlen, "mkdir failed: %s",
			       errstr(errno, eb, sizeof(eb)));
			return -1;
		}
		p[i] = dir[i];
	}
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		seterr(err, errlen, "mail directory is not a directory");
		return -1;
	}
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int mail_send_file(const char *dir, const char *msg, size_t len,
		   char *path_out, size_t path_len, char *err, size_t errlen)
{
	char name[64], stamp[32], rnd[17], path[PATH_MAX], tmp[PATH_MAX];
	char eb[128];
	time_t now = time(NULL);
	struct tm tm;
	int fd, dfd;

	seterr(err, errlen, "%s", "");
	if (dir == NULL || (msg == NULL && len > 0)) {
		seterr(err, errlen, "bad arguments");
		return -1;
	}
	if (make_dirs(dir, err, errlen) < 0)
		return -1;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	rand_hex(rnd, 8);
	snprintf(name, sizeof(name), "%s-%s.eml", stamp, rnd);
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
		    sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name) >=
		    sizeof(tmp) ||
	    (path_out != NULL && strlen(path) >= path_len)) {
		seterr(err, errlen, "path too long");
		return -1;
	}

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0) {
		seterr(err, errlen, "open failed: %s",
		       errstr(errno, eb, sizeof(eb)));
		return -1;
	}
	if (write_all(fd, msg, len) < 0 || fsync(fd) < 0) {
		seterr(err, errlen, "write failed: %s",
		       errstr(errno, eb, sizeof(eb)));
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		seterr(err, errlen, "write failed: %s",
		       errstr(errno, eb, sizeof(eb)));
		unlink(tmp);
		return -1;
	}
	/* The rename itself lasts once the directory is synced. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	if (path_out != NULL)
		memcpy(path_out, path, strlen(path) + 1);
	return 0;
}
