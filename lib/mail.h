/*
 * mail: render MIME messages and hand them to an SMTP server or a
 * directory of .eml files.
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
 * No function here logs, and error strings never contain an address, a
 * credential or message content: callers may log them as they are.
 */
#ifndef BOXOFFICE_MAIL_H
#define BOXOFFICE_MAIL_H

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
 * Headers: From, To, Subject, Date (now, UTC), Message-ID (random, at the
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

/* true when s is an address mail_render and mail_send_smtp accept. */
bool mail_address_valid(const char *s);

struct mail_smtp {
	const char *host;	/* name or IPv4 address; no IPv6 literal */
	int port;
	const char *user;	/* "" or NULL: no AUTH */
	const char *password;
	bool starttls;		/* require STARTTLS with a valid certificate */
	int timeout_s;		/* per network operation; <= 0 means 10 */
};

/*
 * Deliver msg[0..len) (a complete message with CRLF line ends, e.g. from
 * mail_render) to to_addr over SMTP, with from_addr as the envelope
 * sender. One libesmtp session per call, so threads may call it at once.
 *
 * With starttls the session fails unless STARTTLS succeeds and the
 * server certificate verifies for cfg->host (libesmtp trusts the system
 * CAs, or ~/.authenticate/ca.pem and ~/.authenticate/ca/ when present).
 * Without it the connection stays plain even if the server offers
 * STARTTLS. With a user, AUTH must succeed or the message is not sent;
 * AUTH over a plain connection is only allowed to a loopback host.
 *
 * Every wait on the server is bounded by timeout_s. libesmtp's own
 * connect() has no timeout, so for a host that is not loopback a probe
 * connection (closed at once) is made first with the timeout.
 *
 * The message is sent as it is: libesmtp would add Date, From and
 * Message-Id only if they were missing, and mail_render writes all three.
 * A message with a bare CR or LF is refused (a lenient server could read
 * "\n.\r\n" as the end of the data).
 *
 * The process must ignore SIGPIPE (main does): libesmtp writes to the
 * socket with write(2).
 *
 * Returns 0 when the server accepted the recipient and the message (2xx),
 * else -1 with a short reason in err, e.g. "connect failed: Connection
 * refused", "recipient rejected: 550 5.1.1", "message rejected: 451".
 */
int mail_send_smtp(const struct mail_smtp *cfg, const char *from_addr,
		   const char *to_addr, const char *msg, size_t len, char *err,
		   size_t errlen);

/*
 * Write msg[0..len) to dir/<yyyymmddThhmmss UTC>-<16 hex>.eml, creating
 * dir (and missing parents) with mode 0700. The data goes to a hidden
 * temporary file first, is fsynced and renamed, so a reader never sees a
 * half file. path_out (may be NULL) receives the final path. Returns 0,
 * or -1 with a reason in err.
 */
int mail_send_file(const char *dir, const char *msg, size_t len,
		   char *path_out, size_t path_len, char *err, size_t errlen);

#endif
