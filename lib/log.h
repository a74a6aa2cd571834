/*
 * log: JSON lines on stderr, one write(2) per line so lines from the
 * threads and processes sharing the file never interleave.
 *
 * Every line carries the request id when there is one. Callers must never
 * pass a token, password, email address or phone number: log ids and
 * counts instead.
 */
#ifndef BOXOFFICE_LOG_H
#define BOXOFFICE_LOG_H

#include <stdint.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Lines below `min` are dropped. Call once, before threads start. */
void log_init(const char *min_level);

/*
 * {"ts":..,"level":..,"pid":..,"rid":..,"event":..,"msg":..}
 * rid may be NULL; msg is printf-formatted and JSON-escaped; lines longer
 * than 2 KiB are cut.
 */
void log_event(enum log_level level, const char *rid, const char *event,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* One line per request (the access log of the application). */
void log_request(const char *rid, const char *method, const char *route,
		 int status, int64_t duration_us);

#endif
