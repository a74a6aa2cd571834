/*
 * waitlist_notices: the waiting list outside a request (app/waitlist.h
 * has the handlers): the messages sql/012_waitlist.sql queues without a
 * body (an offer, a closed list), rendered when the outbox first claims
 * them; the housekeeping round; the metrics lines. And what both halves
 * read about a performance for a message.
 */
#ifndef BOXOFFICE_WAITLIST_NOTICES_H
#define BOXOFFICE_WAITLIST_NOTICES_H

#include "mails.h"

#include <libpq-fe.h>
#include <stdbool.h>

struct arena;
struct buf;
struct db_conn;

#define WAITLIST_STR_(x) #x
#define WAITLIST_STR(x) WAITLIST_STR_(x)

/* What every message needs about a performance p (with s and v joined by
 * WAITLIST_PERF_JOINS, the time zone as $2): the columns of enum
 * waitlist_perf_col, first in the row. */
#define WAITLIST_PERF_COLUMNS                                               \
	"s.title, s.slug, v.name,"                                          \
	" v.address || CASE WHEN v.city <> '' THEN ', ' || v.city"          \
	" ELSE '' END,"                                                     \
	" extract(epoch FROM p.starts_at)::bigint,"                         \
	" coalesce(s.duration_minutes, "                                    \
	WAITLIST_STR(MAILS_DEFAULT_MINUTES) "),"                            \
	" to_char(p.starts_at AT TIME ZONE $2, 'YYYY MM DD HH24:MI ID'),"   \
	" p.id, p.schedule_seq, p.cancel_message"

#define WAITLIST_PERF_JOINS                                                 \
	" JOIN shows s ON s.id = p.show_id JOIN venues v ON v.id = p.venue_id"

enum waitlist_perf_col {
	PERF_TITLE,
	PERF_SLUG,
	PERF_VENUE,
	PERF_ADDRESS,
	PERF_STARTS_EPOCH,
	PERF_DURATION,
	PERF_LOCAL_START,
	PERF_ID,
	PERF_SEQUENCE,
	PERF_MESSAGE,
	PERF_NCOLS
};

/* The message fields of row 0 of r, which starts with
 * WAITLIST_PERF_COLUMNS; the rest of *m zeroed. Strings point into r. */
void waitlist_perf_mail(struct mails_booking *m, PGresult *r);

/* true for the outbox kinds waitlist_render() renders. */
bool waitlist_kind(const char *kind);

/*
 * Render outbox row id (a waitlist_kind() queued without a body) into out
 * (initialised by the caller), inside the outbox's claim transaction on
 * c. For an offer this also turns the row's secret into the offer's
 * token hashes and erases it. 0 rendered; 1 nothing to send any more
 * (the offer ended before its message went out); -1 error.
 */
int waitlist_render(struct db_conn *c, struct arena *a, const char *id,
		    struct buf *out);

/* The waiting list's lines of GET /admin/metrics (Prometheus text):
 * entries in line and ever, offers made, accepted, expired. Appends
 * nothing when the query fails. */
void waitlist_metrics(struct db_conn *c, struct arena *a, struct buf *out);

/*
 * Housekeeping: write BOXOFFICE_OFFER_MINUTES where the SQL reads it,
 * purge the personal data of lists long past (BOXOFFICE_PURGE_DAYS), and
 * close the lists of performances that began or closed booking.
 */
void waitlist_sweep(struct db_conn *c, struct arena *a);

#endif
