/*
 * notices: rendering the theatre's messages and the reminders
 * (app/notices.h).
 *
 * Why at the first claim rather than before the transaction like the
 * visitor's messages: the statement that cancels or moves a performance
 * is the one that knows which reservations it changed, and none of their
 * tokens is known to anyone, so there is nothing to prepare. The outbox
 * stores what is rendered in the row it holds, so every retry sends the
 * same bytes; and a reservation purged meanwhile renders with the empty
 * name it now has.
 */
#include "notices.h"

#include "app.h"
#include "mails.h"

#include "../lib/arena.h"
#include "../lib/buf.h"
#include "../lib/db.h"
#include "../lib/log.h"
#include "../lib/tok.h"

#include <stdlib.h>
#include <string.h>

#define STR_(x) #x
#define STR(x) STR_(x)

enum notice_col {
	NOTICE_KIND,
	NOTICE_SEQUENCE,
	NOTICE_RES_ID,
	NOTICE_NAME,
	NOTICE_EMAIL,
	NOTICE_LOCALE,
	NOTICE_SEATS,
	NOTICE_SHOW_TITLE,
	NOTICE_SHOW_SLUG,
	NOTICE_VENUE_NAME,
	NOTICE_VENUE_ADDRESS,
	NOTICE_STARTS_EPOCH,
	NOTICE_DURATION,
	NOTICE_LOCAL_START,
	NOTICE_MESSAGE,
	NOTICE_BOX,
	NOTICE_DUE
};
static const char SQL_NOTICE[] =
	"SELECT o.kind, coalesce(o.sequence, p.schedule_seq), r.id, r.name,"
	" o.recipient, r.locale, r.seats, s.title, s.slug, v.name,"
	" v.address || CASE WHEN v.city <> '' THEN ', ' || v.city ELSE '' END,"
	" extract(epoch FROM p.starts_at)::bigint,"
	" coalesce(s.duration_minutes, " STR(MAILS_DEFAULT_MINUTES) "),"
	" to_char(p.starts_at AT TIME ZONE $2, 'YYYY MM DD HH24:MI ID'),"
	" p.cancel_message, r.confirm_token_box,"
	" r.status = 'confirmed' AND p.status = 'scheduled'"
	"  AND p.starts_at > now()"
	" FROM outbox o JOIN reservations r ON r.id = o.reservation_id"
	" JOIN performances p ON p.id = r.performance_id"
	" JOIN shows s ON s.id = p.show_id JOIN venues v ON v.id = p.venue_id"
	" WHERE o.id = $1::bigint";

bool notices_kind(const char *kind)
{
	return strcmp(kind, "performance_cancelled") == 0 ||
	       strcmp(kind, "performance_moved") == 0 ||
	       strcmp(kind, "reminder") == 0;
}

/*
 * A reminder: only while its reservation is confirmed and its
 * performance still ahead (a cancellation between the sweep and the
 * claim makes it obsolete). The links come from the sealed confirm token;
 * without it (no key, an older reservation) the reminder has none.
 */
static int reminder(struct arena *a, const struct mails_booking *b,
		    PGresult *r, struct buf *out)
{
	char confirm[TOK_LEN + 1], ticket[TOK_LEN + 1];
	bool links;

	if (strcmp(db_val(r, 0, NOTICE_DUE), "t") != 0)
		return NOTICES_OBSOLETE;
	links = !db_null(r, 0, NOTICE_BOX) &&
		tok_unseal(db_val(r, 0, NOTICE_BOX), confirm) == 0 &&
		tok_derive_ticket(confirm, ticket) == 0;
	if (!links && !db_null(r, 0, NOTICE_BOX))
		log_event(LOG_WARN, NULL, "token_not_unsealed",
			  "reminder of reservation %lld goes without links",
			  (long long)b->reservation_id);
	return mails_reminder(a, b, links ? confirm : NULL,
			      links ? ticket : NULL, out);
}

int notices_render(struct db_conn *c, struct arena *a, const char *id,
		   struct buf *out)
{
	const char *params[2] = {id, app.cfg.timezone};
	struct mails_booking b;
	PGresult *r;

	if (db_exec(c, a, SQL_NOTICE, 2, params, &r) != DB_OK ||
	    PQntuples(r) == 0)
		return -1;
	memset(&b, 0, sizeof(b));
	b.reservation_id = strtoll(db_val(r, 0, NOTICE_RES_ID), NULL, 10);
	b.name = db_val(r, 0, NOTICE_NAME);
	b.email = db_val(r, 0, NOTICE_EMAIL);
	b.locale = db_val(r, 0, NOTICE_LOCALE);
	b.seats = (int)strtol(db_val(r, 0, NOTICE_SEATS), NULL, 10);
	b.show_title = db_val(r, 0, NOTICE_SHOW_TITLE);
	b.venue_name = db_val(r, 0, NOTICE_VENUE_NAME);
	b.venue_address = db_val(r, 0, NOTICE_VENUE_ADDRESS);
	b.starts_at = (time_t)strtoll(db_val(r, 0, NOTICE_STARTS_EPOCH), NULL,
				      10);
	b.duration_minutes = (int)strtol(db_val(r, 0, NOTICE_DURATION), NULL,
					 10);
	b.local_start = db_val(r, 0, NOTICE_LOCAL_START);
	b.sequence = (int)strtol(db_val(r, 0, NOTICE_SEQUENCE), NULL, 10);
	if (strcmp(db_val(r, 0, NOTICE_KIND), "reminder") == 0)
		return reminder(a, &b, r, out);
	if (strcmp(db_val(r, 0, NOTICE_KIND), "performance_cancelled") == 0) {
		b.cancelled = true;
		return mails_performance_cancelled(
			a, &b, db_val(r, 0, NOTICE_MESSAGE), out);
	}
	return mails_performance_moved(a, &b, db_val(r, 0, NOTICE_SHOW_SLUG),
				       out);
}
