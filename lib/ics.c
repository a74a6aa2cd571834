/*
 * ics: iCalendar writer for one event.
 */
#include "ics.h"

#include "buf.h"

#include <string.h>

/*
 * Append one content line "NAME:value" folded at 75 octets: a CRLF and a
 * space before the octet that would exceed it, never inside a UTF-8
 * sequence. `escape` applies TEXT escaping to the value.
 */
static void line(struct buf *out, const char *name, const char *value,
		 int escape)
{
	char esc[2048];
	size_t n = 0, col;

	for (const char *v = value; *v != '\0' && n + 2 < sizeof(esc); v++) {
		char c = *v;

		if (escape && (c == '\\' || c == ';' || c == ',')) {
			esc[n++] = '\\';
			esc[n++] = c;
		} else if (escape && c == '\n') {
			esc[n++] = '\\';
			esc[n++] = 'n';
		} else if ((unsigned char)c < 0x20 && c != '\t') {
			continue;	/* no control characters in a line */
		} else {
			esc[n++] = c;
		}
	}
	/* A cut in the middle of a UTF-8 sequence by the size limit: drop
	 * the partial sequence. */
	while (n > 0 && ((unsigned char)esc[n - 1] & 0xC0) == 0x80)
		n--;
	if (n > 0 && ((unsigned char)esc[n - 1] & 0xC0) == 0xC0)
		n--;

	buf_puts(out, name);
	buf_putc(out, ':');
	col = strlen(name) + 1;
	for (size_t i = 0; i < n;) {
		size_t len = 1;
		unsigned char c = (unsigned char)esc[i];

		if (c >= 0xF0)
			len = 4;
		else if (c >= 0xE0)
			len = 3;
		else if (c >= 0xC0)
			len = 2;
		if (i + len > n)
			len = n - i;
		if (col + len > 75) {
			buf_append(out, "\r\n ", 3);
			col = 1;
		}
		buf_append(out, esc + i, len);
		col += len;
		i += len;
	}
	buf_append(out, "\r\n", 2);
}

static void stamp(char out[17], time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

void ics_event(struct buf *out, const struct ics_event *ev)
{
	char now[17], start[17], end[17];

	stamp(now, time(NULL));
	stamp(start, ev->start);
	stamp(end, ev->end);
	buf_puts(out, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
		      "PRODID:-//boxoffice//tickets//EN\r\n"
		      "CALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\n"
		      "BEGIN:VEVENT\r\n");
	line(out, "UID", ev->uid, 0);
	line(out, "DTSTAMP", now, 0);
	line(out, "DTSTART", start, 0);
	line(out, "DTEND", end, 0);
	line(out, "SUMMARY", ev->summary, 1);
	if (ev->location != NULL && *ev->location != '\0')
		line(out, "LOCATION", ev->location, 1);
	if (ev->description != NULL && *ev->description != '\0')
		line(out, "DESCRIPTION", ev->description, 1);
	if (ev->url != NULL && *ev->url != '\0')
		line(out, "URL", ev->url, 0);
	buf_puts(out, "END:VEVENT\r\nEND:VCALENDAR\r\n");
}
