/*
 * ics: a one-event iCalendar (RFC 5545) document, for the "add to
 * calendar" attachment of a ticket.
 */
#ifndef BOXOFFICE_ICS_H
#define BOXOFFICE_ICS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct buf;

struct ics_event {
	const char *uid;	/* globally unique, e.g. "r42@host" */
	time_t start;		/* UTC */
	time_t end;
	const char *summary;	/* UTF-8 */
	const char *location;	/* UTF-8, may be NULL */
	const char *description;	/* UTF-8, may be NULL */
	const char *url;	/* may be NULL */
	int sequence;		/* SEQUENCE: raised by every change */
	/* The theatre's time zone (e.g. "Europe/Rome"), or NULL for UTC
	 * times; with it, DTSTART and DTEND are local times with TZID, and
	 * a VTIMEZONE defines the zone by its UTC offset at the start
	 * (tz_offset_s), which holds for the whole event. */
	const char *tzid;
	int tz_offset_s;
	bool cancel;		/* METHOD:CANCEL, STATUS:CANCELLED */
};

/*
 * Append a VCALENDAR with one VEVENT to out: CRLF line ends, text
 * escaped (\\ ; , newline) and lines folded at 75 octets without
 * splitting a UTF-8 sequence. Times outside 1970-9999 are clamped to it.
 * A cancel is METHOD:CANCEL with STATUS:CANCELLED; a calendar matches it
 * (and an update, with a higher SEQUENCE) to its event by the UID.
 */
void ics_event(struct buf *out, const struct ics_event *ev);

#endif
