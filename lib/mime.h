/*
 * mime: render complete MIME messages (RFC 5322, 2045-2047, 2387) for the
 * outbox; lib/smtp delivers them.
 *
 * Rendering and delivery are separate on purpose: the outbox stores the
 * rendered text, so a retry sends the very bytes (Message-ID, Date and
 * boundaries included) that the first attempt tried to send.
 *
 * Everything rendered is 7-bit ASCII with CRLF line ends, so it passes any
 * SMTP server unchanged. Header inputs containing CR or LF are refused
 * rather than cleaned: a stray line break there is an injection attempt or
 * a bug upstream, and neither should turn into a mail.
 *
 * No function here logs. The functions share the mail_ prefix with
 * lib/smtp (libesmtp owns smtp_*).
 */
#ifndef BOXOFFICE_MIME_H
#define BOXOFFICE_MIME_H

#include <stdbool.h>
#include <stddef.h>

struct arena;
struct buf;

struct mail_attachment {
	const char *filename;	  /* printable ASCII, e.g. "ticket.png" */
	const char *content_type; /* "image/png", "text/calendar; ..." */
	const char *content_id;	  /* inline part for cid: URLs, or NULL */
	const void *data;
	size_t len;
};

struct mail_msg {
	const char *from;	/* "Name <a@b>" or "a@b"; name may be UTF-8 */
	const char *reply_to;	/* the same forms, or NULL or "" for none */
	const char *to;		/* bare address */
	const char *to_name;	/* UTF-8 display name, or NULL */
	const char *subject;	/* UTF-8 */
	const char *text;	/* UTF-8 plain text; LF or CRLF line ends */
	const char *html;	/* UTF-8 HTML, or NULL */
	const struct mail_attachment *attachments;
	int nattachments;
};

/*
 * Append a complete RFC 5322 message for m to out (initialised by the
 * caller; temporary buffers come from out's arena).
 *
 * Headers: From, Reply-To (when set), To, Subject, Date (now, UTC), Message-ID (random, at the
 * domain of the From address), MIME-Version, Auto-Submitted. The body is
 * text/plain alone, or multipart/alternative with the HTML; parts with a
 * content_id go with it into multipart/related, the other attachments
 * into an outer multipart/mixed. Text is quoted-printable UTF-8,
 * attachments base64. Lines are at most 78 characters, unless an address
 * alone is longer.
 *
 * Addresses must be plain ASCII dot-atoms ("a.b+c@example.org"); quoted
 * local parts, address literals and SMTPUTF8 are refused. A content_type
 * must not carry a name parameter: one is added from filename.
 *
 * Returns 0, or -1 when an input is invalid (CR/LF in a header field, an
 * address that is not one, text that is not UTF-8, a NULL subject or
 * text) or memory ran out; out then holds a partial message.
 */
int mail_render(struct buf *out, const struct mail_msg *m);

/*
 * Append header text s (UTF-8) to out: as it is when it is printable
 * ASCII, else as RFC 2047 "=?UTF-8?B?...?=" encoded-words separated by
 * spaces, each at most 64 characters (so "Subject: " plus one word fits
 * 76 columns) and never splitting a UTF-8 sequence. Printable ASCII is
 * encoded too when it contains "=?" (it would read as an encoded-word),
 * a word too long to fold, or spaces other than single ones between
 * words (a fold there could leave a line too long or blank).
 */
void mail_encode_header(struct buf *out, const char *s);

/*
 * Copy the bare address of a From value ("Name <a@b>", "\"N, x\" <a@b>"
 * or "a@b") into out. Returns 0, or -1 when there is no valid address or
 * it does not fit in outlen.
 */
int mail_address(const char *from, char *out, size_t outlen);

/* true when s is an address mail_render and mail_send_smtp accept:
 * valid_address() of lib/valid. */
bool mail_address_valid(const char *s);

#endif
