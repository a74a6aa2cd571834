/*
 * fuzz_mime: the mail and calendar writers (lib/mime, lib/ics) on text a
 * visitor or an admin chose: names, show titles, addresses.
 *
 * mail_render either refuses the message or writes one any SMTP server
 * passes unchanged: 7-bit ASCII, CRLF only, lines of at most 998 octets
 * (78 outside addresses and attachment names), no line of the text
 * starting with '.' or "From ", and a quoted-printable text that decodes
 * back to the original. mail_encode_header writes printable ASCII that
 * decodes back to its input, in encoded-words that never split a UTF-8
 * sequence. ics_event writes CRLF lines of at most 75 octets whose
 * unfolded, unescaped values give back the input.
 *
 * Input: byte 0 holds flags (below), the rest is split at NUL into
 * subject, to_name, text, html, from, to, filename, content type,
 * content id, attachment data.
 */
#include "fuzz.h"

#include "../../lib/arena.h"
#include "../../lib/buf.h"
#include "../../lib/ics.h"
#include "../../lib/mime.h"

#include <sodium.h>
#include <stdbool.h>

enum { F_SUBJECT, F_TO_NAME, F_TEXT, F_HTML, F_FROM, F_TO, F_FILENAME,
       F_CTYPE, F_CID, F_DATA, NFIELDS };

#define HAS_HTML	0x01
#define HAS_TO_NAME	0x02
#define HAS_ATTACHMENT	0x04
#define INLINE		0x08
#define OWN_ADDRESSES	0x10	/* else a valid From and To */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	return 0;
}

/* Decode "=?UTF-8?B?...?=" words separated by single spaces. */
static void check_encoded_words(struct arena *a, const char *in,
				const char *out)
{
	size_t n = strlen(in), got = 0;
	unsigned char *dec = arena_alloc(a, n + 1);
	const char *p = out;
	bool utf8 = str_utf8_valid(in, n);

	FUZZ_CHECK(dec != NULL);
	for (;;) {
		const char *end = strchr(p, ' ');
		size_t wl = end != NULL ? (size_t)(end - p) : strlen(p);
		size_t bin = 0;

		FUZZ_CHECK(wl > 12 && wl <= 64);
		FUZZ_CHECK(memcmp(p, "=?UTF-8?B?", 10) == 0);
		FUZZ_CHECK(memcmp(p + wl - 2, "?=", 2) == 0);
		FUZZ_CHECK(sodium_base642bin(dec + got, n - got, p + 10,
					     wl - 12, NULL, &bin, NULL,
					     sodium_base64_VARIANT_ORIGINAL) ==
			   0);
		FUZZ_CHECK(bin > 0);
		if (utf8)
			FUZZ_CHECK(str_utf8_valid((char *)dec + got, bin));
		got += bin;
		if (end == NULL)
			break;
		p = end + 1;
	}
	FUZZ_CHECK(got == n && memcmp(dec, in, n) == 0);
}

static void encode_header(struct arena *a, const char *s)
{
	struct buf b;

	buf_init(&b, a, 16);
	mail_encode_header(&b, s);
	FUZZ_CHECK(!b.failed);
	for (size_t i = 0; i < b.len; i++)
		FUZZ_CHECK(b.data[i] >= 0x20 && b.data[i] < 0x7F);
	if (strcmp(b.data, s) != 0)
		check_encoded_words(a, s, b.data);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* CRLF to LF, the way put_qp reads line ends. */
static size_t unify_newlines(char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
			continue;
		s[o++] = s[i];
	}
	return o;
}

/* The body of a text-only message: quoted-printable that gives back
 * text (plus the line break rendering adds to a text not ending in one,
 * unless it is empty). */
static void check_qp(struct arena *a, const char *body, const char *text)
{
	size_t n = strlen(body), tn = strlen(text), o = 0;
	char *dec = arena_alloc(a, n + 1), *want = arena_strdup(a, text);

	FUZZ_CHECK(dec != NULL && want != NULL);
	for (size_t i = 0; i < n;) {
		if (body[i] == '=') {
			if (i + 2 < n && body[i + 1] == '\r' &&
			    body[i + 2] == '\n') {
				i += 3;
				continue;
			}
			FUZZ_CHECK(i + 2 < n && hexval(body[i + 1]) >= 0 &&
				   hexval(body[i + 2]) >= 0);
			dec[o++] = (char)(hexval(body[i + 1]) << 4 |
					  hexval(body[i + 2]));
			i += 3;
			continue;
		}
		if (body[i] == '\r') {
			FUZZ_CHECK(body[i + 1] == '\n');
			/* Nothing a relay would strip before a line end. */
			FUZZ_CHECK(i == 0 ||
				   (body[i - 1] != ' ' && body[i - 1] != '\t'));
			dec[o++] = '\n';
			i += 2;
			continue;
		}
		FUZZ_CHECK(body[i] == ' ' || body[i] == '\t' ||
			   (body[i] > 0x20 && body[i] < 0x7F));
		dec[o++] = body[i++];
	}
	/* Hard breaks came out as LF, an encoded CR as CR. */
	tn = unify_newlines(want, tn);
	if (tn > 0 && want[tn - 1] != '\n')
		FUZZ_CHECK(o == tn + 1 && dec[tn] == '\n');
	else
		FUZZ_CHECK(o == tn);
	FUZZ_CHECK(memcmp(dec, want, tn) == 0);
}

static void check_message(struct arena *a, const struct buf *b,
			  const struct mail_msg *m)
{
	const char *p = b->data, *body = NULL;
	bool in_body = false;

	FUZZ_CHECK(b->len >= 2 && memcmp(b->data + b->len - 2, "\r\n", 2) == 0);
	for (size_t i = 0; i < b->len; i++) {
		unsigned char c = (unsigned char)b->data[i];

		FUZZ_CHECK(c > 0 && c < 0x80);
		if (c == '\r')
			FUZZ_CHECK(b->data[i + 1] == '\n');
		if (c == '\n')
			FUZZ_CHECK(i > 0 && b->data[i - 1] == '\r');
	}
	while (*p != '\0') {
		const char *eol = strstr(p, "\r\n");
		size_t len = (size_t)(eol - p);

		FUZZ_CHECK(len <= 998);
		/* Only an address or an attachment's name may make a longer
		 * line: they are never split. */
		if (m->nattachments == 0 && memchr(p, '@', len) == NULL)
			FUZZ_CHECK(len <= 78);
		if (in_body && m->html == NULL && m->nattachments == 0)
			FUZZ_CHECK(p[0] != '.' && strncmp(p, "From ", 5) != 0);
		if (!in_body && len == 0) {
			in_body = true;
			body = eol + 2;
		}
		p = eol + 2;
	}
	FUZZ_CHECK(body != NULL);
	if (m->html == NULL && m->nattachments == 0)
		check_qp(a, body, m->text);
}

static void render(struct arena *a, unsigned flags, const char **f)
{
	struct mail_attachment at = {
		.filename = f[F_FILENAME],
		.content_type = f[F_CTYPE],
		.content_id = (flags & INLINE) ? f[F_CID] : NULL,
		.data = f[F_DATA],
		.len = strlen(f[F_DATA]),
	};
	struct mail_msg m = {
		.from = (flags & OWN_ADDRESSES) ? f[F_FROM]
						: "Teatro <boxoffice@example.org>",
		.to = (flags & OWN_ADDRESSES) ? f[F_TO] : "anna@example.org",
		.to_name = (flags & HAS_TO_NAME) ? f[F_TO_NAME] : NULL,
		.subject = f[F_SUBJECT],
		.text = f[F_TEXT],
		.html = (flags & HAS_HTML) ? f[F_HTML] : NULL,
		.attachments = (flags & HAS_ATTACHMENT) ? &at : NULL,
		.nattachments = (flags & HAS_ATTACHMENT) ? 1 : 0,
	};
	struct buf b;

	buf_init(&b, a, 256);
	if (mail_render(&b, &m) == 0)
		check_message(a, &b, &m);
}

/* The value of the content line `name`, unfolded, or NULL. */
static char *ics_value(struct arena *a, const char *doc, const char *name)
{
	const char *p = doc;
	size_t nl = strlen(name);
	struct buf v;

	while (*p != '\0' && !(strncmp(p, name, nl) == 0 && p[nl] == ':'))
		p = strstr(p, "\r\n") + 2;
	if (*p == '\0')
		return NULL;
	buf_init(&v, a, 64);
	p += nl + 1;
	for (;;) {
		const char *eol = strstr(p, "\r\n");

		buf_append(&v, p, (size_t)(eol - p));
		if (eol[2] != ' ')
			break;
		p = eol + 3;
	}
	return v.data;
}

/* What ics_event should keep of s: no control characters but LF and
 * tab, TEXT-escaped, complete sequences within its 2 KiB line buffer. */
static void check_ics_text(struct arena *a, const char *doc,
			   const char *name, const char *s)
{
	char *v = ics_value(a, doc, name);
	struct buf want;

	FUZZ_CHECK(v != NULL);
	buf_init(&want, a, 64);
	for (const char *c = s; *c != '\0'; c++) {
		if (*c == '\\' || *c == ';' || *c == ',') {
			buf_putc(&want, '\\');
			buf_putc(&want, *c);
		} else if (*c == '\n') {
			buf_puts(&want, "\\n");
		} else if ((unsigned char)*c >= 0x20 || *c == '\t') {
			buf_putc(&want, *c);
		}
	}
	if (want.len < 2046 && str_utf8_valid(s, strlen(s)))
		FUZZ_CHECK(strcmp(v, want.data) == 0);
	else
		FUZZ_CHECK(strlen(v) <= want.len &&
			   memcmp(v, want.data, strlen(v)) == 0);
}

static void calendar(struct arena *a, unsigned flags, const char **f)
{
	/* 1970, a show, and beyond what gmtime can convert. */
	static const time_t starts[4] = {0, 1795897800, 253402300799LL,
					 INT64_MAX - 7200};
	struct ics_event ev = {
		.uid = f[F_CID],
		.start = starts[flags >> 5 & 3],
		.end = starts[flags >> 5 & 3] + 7200,
		.summary = f[F_SUBJECT],
		.location = f[F_TO_NAME],
		.description = f[F_TEXT],
		.url = f[F_FROM],
	};
	bool utf8 = true;
	struct buf b;
	const char *p;

	for (int i = 0; i < NFIELDS; i++)
		utf8 = utf8 && str_utf8_valid(f[i], strlen(f[i]));
	buf_init(&b, a, 256);
	ics_event(&b, &ev);
	FUZZ_CHECK(!b.failed);
	for (p = b.data; *p != '\0';) {
		const char *eol = strstr(p, "\r\n");

		FUZZ_CHECK(eol != NULL && eol - p <= 75);
		for (const char *c = p; c < eol; c++)
			FUZZ_CHECK((unsigned char)*c >= 0x20 || *c == '\t');
		/* A fold never splits a UTF-8 sequence. */
		if (utf8)
			FUZZ_CHECK(str_utf8_valid(p, (size_t)(eol - p)));
		p = eol + 2;
	}
	check_ics_text(a, b.data, "SUMMARY", ev.summary);
	if (ev.location[0] != '\0')
		check_ics_text(a, b.data, "LOCATION", ev.location);
	if (ev.description[0] != '\0')
		check_ics_text(a, b.data, "DESCRIPTION", ev.description);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *f[NFIELDS];
	size_t len[NFIELDS];
	struct arena *a;
	char *copy;

	if (size < 1)
		return 0;
	a = arena_new(0);
	if (a == NULL)
		abort();
	copy = fuzz_split(data + 1, size - 1, '\0', NFIELDS, f, len);
	encode_header(a, f[F_SUBJECT]);
	encode_header(a, f[F_TO_NAME]);
	render(a, data[0], f);
	calendar(a, data[0], f);
	free(copy);
	arena_free(a);
	return 0;
}
