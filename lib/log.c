/*
 * log: JSON-lines logging to stderr.
 */
#include "log.h"


#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static enum log_level min_level = LOG_INFO;

static const char *const names[] = {"debug", "info", "warn", "error"};

void log_init(const char *min)
{
	for (int i = 0; i < 4; i++)
		if (min != NULL && strcmp(min, names[i]) == 0)
			min_level = (enum log_level)i;
}

/* A fixed-size line builder: logging must work when malloc does not. */
struct line {
	char data[2048];
	size_t len;
};

static void put(struct line *l, const char *s, size_t n)
{
	size_t room = sizeof(l->data) - 2 - l->len;	/* keep "}\n" */

	if (n > room)
		n = room;
	memcpy(l->data + l->len, s, n);
	l->len += n;
}

static void puts_(struct line *l, const char *s)
{
	put(l, s, strlen(s));
}

static void put_escaped(struct line *l, const char *s)
{
	char tmp[16];

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			tmp[0] = '\\';
			tmp[1] = (char)c;
			put(l, tmp, 2);
		} else if (c < 0x20) {
			snprintf(tmp, sizeof(tmp), "\\u%04x", c);
			put(l, tmp, 6);
		} else {
			put(l, s, 1);
		}
	}
}

static void begin(struct line *l, enum log_level level, const char *rid)
{
	struct timespec ts;
	struct tm tm;
	char tmp[96];

	l->len = 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(tmp, sizeof(tmp), "{\"ts\":\"%Y-%m-%dT%H:%M:%S", &tm);
	puts_(l, tmp);
	snprintf(tmp, sizeof(tmp), ".%03ldZ\",\"level\":\"%s\",\"pid\":%ld",
		 ts.tv_nsec / 1000000, names[level], (long)getpid());
	puts_(l, tmp);
	if (rid != NULL) {
		puts_(l, ",\"rid\":\"");
		put_escaped(l, rid);
		puts_(l, "\"");
	}
}

static void finish(struct line *l)
{
	l->data[l->len++] = '}';
	l->data[l->len++] = '\n';
	/* One write per line; a short write to stderr is not worth a loop
	 * that could interleave with other writers. */
	if (write(STDERR_FILENO, l->data, l->len) < 0)
		return;
}

void log_event(enum log_level level, const char *rid, const char *event,
	       const char *fmt, ...)
{
	struct line l;
	char msg[1024];
	va_list ap;

	if (level < min_level)
		return;
	begin(&l, level, rid);
	puts_(&l, ",\"event\":\"");
	put_escaped(&l, event);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	puts_(&l, "\",\"msg\":\"");
	put_escaped(&l, msg);
	puts_(&l, "\"");
	finish(&l);
}

void log_request(const char *rid, const char *method, const char *route,
		 int status, int64_t duration_us)
{
	struct line l;
	char tmp[96];

	if (LOG_INFO < min_level)
		return;
	begin(&l, LOG_INFO, rid);
	puts_(&l, ",\"event\":\"request\",\"method\":\"");
	put_escaped(&l, method);
	puts_(&l, "\",\"route\":\"");
	put_escaped(&l, route);
	snprintf(tmp, sizeof(tmp), "\",\"status\":%d,\"duration_ms\":%.3f",
		 status, (double)duration_us / 1000.0);
	puts_(&l, tmp);
	finish(&l);
}
