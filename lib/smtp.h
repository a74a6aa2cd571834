/*
 * smtp: hand a rendered message (lib/mime) to an SMTP relay with libesmtp,
 * or, for local use (BOXOFFICE_MAIL_BACKEND=file), write it as an .eml
 * file into a directory.
 *
 * No function here logs, and error strings never contain an address, a
 * credential or message content: callers may log them as they are. The
 * functions use the mail_ prefix: libesmtp owns smtp_*.
 */
#ifndef BOXOFFICE_SMTP_H
#define BOXOFFICE_SMTP_H

#include <stdbool.h>
#include <stddef.h>

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
 * Write msg[0..len) to dir/<yyyymmddThhmmss UTC>-<tag>.eml, or, with tag
 * NULL, dir/<yyyymmddThhmmss UTC>-<16 hex>.eml, creating dir (and missing
 * parents) with mode 0700. A tag (1..MAIL_TAG_MAX of [A-Za-z0-9_]) names
 * what the message belongs to, so that mail_remove_tagged() can find it
 * again; writing the same tag twice in one second replaces the file. The
 * data goes to a hidden temporary file first, is fsynced and renamed, so a
 * reader never sees a half file. path_out (may be NULL) receives the final
 * path. Returns 0, or -1 with a reason in err.
 */
enum { MAIL_TAG_MAX = 32 };
int mail_send_file(const char *dir, const char *tag, const char *msg,
		   size_t len, char *path_out, size_t path_len, char *err,
		   size_t errlen);

/*
 * Remove every file of dir written by mail_send_file() with a tag for
 * which doomed(tag, ctx) is true; *removed (may be NULL) counts them. A
 * missing dir has nothing to remove. Returns 0, or -1 with a reason in
 * err when dir cannot be read or a file cannot be removed (the others
 * still are).
 */
int mail_remove_tagged(const char *dir,
		       bool (*doomed)(const char *tag, void *ctx), void *ctx,
		       int *removed, char *err, size_t errlen);

#endif
