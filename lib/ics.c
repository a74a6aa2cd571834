/*
 * ics: iCalendar writer for one event.
 */
#include "ics.h"

#include "buf.h"

#include <stdio.h>
#include <string.h>

/* Bytes of the UTF-8 sequence a lead byte starts (1 for anything else). */
static size_t utf8_seq_len(char lead)
{
	unsigned char c = (unsigned char)lead;

	return c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
}

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
	const char *v;

	for (v = value; *v != '\0' && n + 2 < sizeof(esc); v++) {
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
	 * the partial sequence (only then: a complete last character is
	 * kept). */
	if (*v != '\0') {
		size_t k = n;

		while (k > 0 && n - k < 3 &&
		       ((unsigned char)esc[k - 1] & 0xC0) == 0x80)
			k--;
		if (k > 0 && n - (k - 1) < utf8_seq_len(esc[k - 1]))
			n = k - 1;
	}

	buf_puts(out, name);
	buf_putc(out, ':');
	col = strlen(name) + 1;
	for (size_t i = 0; i < n;) {
		size_t len = utf8_seq_len(esc[i]);

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

/* Last second of 9999: a DATE-TIME has four digits for the year. */
#define ICS_MAX_TIME ((time_t)253402300799)

static void stamp(char out[17], time_t t)
{
	struct tm tm;

	/* Clamped, so gmtime_r cannot fail and the text always fits: an
	 * unconverted or five-digit year left out[] unterminated. */
	if (t < 0)
		t = 0;
	if (t > ICS_MAX_TIME)
		t = ICS_MAX_TIME;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm) != 16)
		memcpy(out, "19700101T000000Z", 17);
}

/* t shifted by offset_s, as a local DATE-TIME without "Z". */
static void local_stamp(char out[17], time_t t, int offset_s)
{
	/* A day's margin each way keeps the shifted time within the range
	 * stamp() writes. */
	if (t < 86400)
		t = 86400;
	if (t > ICS_MAX_TIME - 86400)
		t = ICS_MAX_TIME - 86400;
	stamp(out, t + offset_s);
	out[15] = '\0';
}

/* "+0100", "-0330": an offset of at most a day either way. */
static void offset_text(char out[6], int s)
{
	int a = s < 0 ? -s : s;

	if (a > 86399)
		a = 0;
	snprintf(out, 6, "%c%02d%02d", s < 0 ? '-' : '+', a / 3600,
		 a / 60 % 60);
}

/* The zone of the event's times, defined by its offset at the start. */
static void vtimezone(struct buf *out, const struct ics_event *ev)
{
	char off[6];

	offset_text(off, ev->tz_offset_s);
	buf_puts(out, "BEGIN:VTIMEZONE\r\n");
	line(out, "TZID", ev->tzid, 1);
	buf_printf(out, "BEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n"
			"TZOFFSETFROM:%s\r\nTZOFFSETTO:%s\r\n"
			"END:STANDARD\r\nEND:VTIMEZONE\r\n", off, off);
}

/* name;TZID=zone:value (the zone escaped as a parameter value: quoted
 * when it holds ":;,"; '"' and controls cannot occur in a zone name). */
static void zoned(struct buf *out, const char *name, const char *tzid,
		  const char *value)
{
	bool quote = strpbrk(tzid, ":;,") != NULL;

	buf_printf(out, "%s;TZID=%s", name, quote ? "\"" : "");
	for (const char *p = tzid; *p != '\0'; p++)
		if (*p != '"' && (unsigned char)*p >= 0x20)
			buf_putc(out, *p);
	buf_printf(out, "%s:%s\r\n", quote ? "\"" : "", value);
}

void ics_event(struct buf *out, const struct ics_event *ev)
{
	char now[17], start[17], end[17];
	bool tz = ev->tzid != NULL && *ev->tzid != '\0';

	stamp(now, time(NULL));
	if (tz) {
		local_stamp(start, ev->start, ev->tz_offset_s);
		local_stamp(end, ev->end, ev->tz_offset_s);
	} else {
		stamp(start, ev->start);
		stamp(end, ev->end);
	}
	buf_puts(out, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
		      "PRODID:-//boxoffice//tickets//EN\r\n"
		      "CALSCALE:GREGORIAN\r\n");
	buf_puts(out, ev->cancel ? "METHOD:CANCEL\r\n" : "METHOD:PUBLISH\r\n");
	if (tz)
		vtimezone(out, ev);
	buf_puts(out, "BEGIN:VEVENT\r\n");
	line(out, "UID", ev->uid, 0);
	buf_printf(out, "SEQUENCE:%d\r\n", ev->sequence < 0 ? 0 : ev->sequence);
	if (ev->cancel)
		buf_puts(out, "STATUS:CANCELLED\r\n");
	line(out, "DTSTAMP", now, 0);
	if (tz) {
		zoned(out, "DTSTART", ev->tzid, start);
		zoned(out, "DTEND", ev->tzid, end);
	} else {
		line(out, "DTSTART", start, 0);
		line(out, "DTEND", end, 0);
	}
	line(out, "SUMMARY", ev->summary, 1);
	if (ev->location != NULL && *ev->location != '\0')
		line(out, "LOCATION", ev->location, 1);
	if (ev->description != NULL && *ev->description != '\0')
		line(out, "DESCRIPTION", ev->description, 1);
	if (ev->url != NULL && *ev->url != '\0')
		line(out, "URL", ev->url, 0);
	buf_puts(out, "END:VEVENT\r\nEND:VCALENDAR\r\n");
}
