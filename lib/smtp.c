/*
 * smtp: delivery over SMTP with libesmtp, or into a directory of .eml
 * files (lib/smtp.h).
 */
#include "smtp.h"

#include "mime.h"

#include <auth-client.h>
#include <libesmtp.h>
#include <sodium.h>

#include <dirent.h>
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
		if (!((h[n] >= 'a' && h[n] <= 'z') || (h[n] >= 'A' && h[n] <= 'Z') ||
		      (h[n] >= '0' && h[n] <= '9') || h[n] == '-' ||
		      h[n] == '.'))
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

/* The arguments of mail_send_smtp checked: 0, or -1 with the reason. */
static int args_valid(const struct mail_smtp *cfg, const char *from_addr,
		      const char *to_addr, const char *msg, size_t len,
		      char *err, size_t errlen)
{
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
	if (cfg->user != NULL && cfg->user[0] != '\0' &&
	    cfg->password == NULL) {
		seterr(err, errlen, "SMTP user without password");
		return -1;
	}
	return 0;
}

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

	if (args_valid(cfg, from_addr, to_addr, msg, len, err, errlen) < 0)
		return -1;
	auth = cfg->user != NULL && cfg->user[0] != '\0';
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

/* A tag mail_send_file() accepts: 1..MAIL_TAG_MAX of [A-Za-z0-9_]. */
static bool tag_ok(const char *tag, size_t len)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
				 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";

	return len >= 1 && len <= MAIL_TAG_MAX && strspn(tag, ok) >= len;
}

int mail_send_file(const char *dir, const char *tag, const char *msg,
		   size_t len, char *path_out, size_t path_len, char *err,
		   size_t errlen)
{
	char name[80], stamp[32], rnd[17], path[PATH_MAX], tmp[PATH_MAX];
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
	if (tag != NULL && !tag_ok(tag, strlen(tag))) {
		seterr(err, errlen, "bad tag");
		return -1;
	}
	if (tag == NULL) {
		unsigned char r[8];

		randombytes_buf(r, sizeof(r));
		sodium_bin2hex(rnd, sizeof(rnd), r, sizeof(r));
		tag = rnd;
	}
	snprintf(name, sizeof(name), "%s-%s.eml", stamp, tag);
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

/* The tag of a mail_send_file() name "<15-char stamp>-<tag>.eml", copied
 * into tag[MAIL_TAG_MAX + 1]; false for any other name. */
static bool name_tag(const char *name, char *tag)
{
	size_t n = strlen(name), len;

	if (n < 15 + 1 + 1 + 4 || name[8] != 'T' || name[15] != '-' ||
	    strcmp(name + n - 4, ".eml") != 0)
		return false;
	len = n - 16 - 4;
	if (!tag_ok(name + 16, len))
		return false;
	memcpy(tag, name + 16, len);
	tag[len] = '\0';
	return true;
}

int mail_remove_tagged(const char *dir,
		       bool (*doomed)(const char *tag, void *ctx), void *ctx,
		       int *removed, char *err, size_t errlen)
{
	char tag[MAIL_TAG_MAX + 1], eb[128];
	struct dirent *e;
	int rc = 0, n = 0;
	DIR *d;

	seterr(err, errlen, "%s", "");
	if (removed != NULL)
		*removed = 0;
	d = opendir(dir);
	if (d == NULL) {
		if (errno == ENOENT)
			return 0;
		seterr(err, errlen, "opendir failed: %s",
		       errstr(errno, eb, sizeof(eb)));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (!name_tag(e->d_name, tag) || !doomed(tag, ctx))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0) {
			n++;
		} else if (errno != ENOENT) {
			seterr(err, errlen, "unlink failed: %s",
			       errstr(errno, eb, sizeof(eb)));
			rc = -1;
		}
	}
	closedir(d);
	if (removed != NULL)
		*removed = n;
	return rc;
}
