/*
 * waitlist_notices: what the waiting list does outside a request
 * (app/waitlist_notices.h): the messages the SQL queues without a body,
 * rendered at the outbox's first claim; the housekeeping round; the
 * metrics lines. Apart from app/waitlist.c so that the outbox and the
 * housekeeping can call it without an include cycle (the handlers wake
 * the outbox).
 */
#include "waitlist_notices.h"

#include "app.h"
#include "mails.h"

#include "../lib/arena.h"
#include "../lib/buf.h"
#include "../lib/db.h"
#include "../lib/log.h"
#include "../lib/tok.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* The message fields of a row holding PERF_COLUMNS. */
void waitlist_perf_mail(struct mails_booking *m, PGresult *r)
{
	memset(m, 0, sizeof(*m));
	m->show_title = db_val(r, 0, PERF_TITLE);
	m->venue_name = db_val(r, 0, PERF_VENUE);
	m->venue_address = db_val(r, 0, PERF_ADDRESS);
	m->starts_at = (time_t)strtoll(db_val(r, 0, PERF_STARTS_EPOCH), NULL,
				       10);
	m->duration_minutes = (int)strtol(db_val(r, 0, PERF_DURATION), NULL,
					  10);
	m->local_start = db_val(r, 0, PERF_LOCAL_START);
	m->sequence = (int)strtol(db_val(r, 0, PERF_SEQUENCE), NULL, 10);
}

/* ---- messages rendered at the first claim ---------------------------- */

bool waitlist_kind(const char *kind)
{
	return strcmp(kind, "waitlist_offer") == 0 ||
	       strcmp(kind, "waitlist_closed") == 0;
}

/* The claimed row: its kind, the entry and (for an offer) the offer. */
enum render_col {
	RENDER_KIND = PERF_NCOLS,
	RENDER_SECRET,
	RENDER_NAME,
	RENDER_EMAIL,
	RENDER_LOCALE,
	RENDER_ENTRY_SEATS,
	RENDER_CLOSED_REASON,
	RENDER_RES_ID,
	RENDER_RES_LIVE,
	RENDER_RES_SEATS,
	RENDER_UNTIL
};
static const char SQL_RENDER[] =
	"SELECT " WAITLIST_PERF_COLUMNS ", o.kind, encode(o.secret, 'base64'),"
	" e.name, o.recipient, e.locale, e.seats, coalesce(e.closed_reason, ''),"
	" r.id, r.status = 'pending' AND r.expires_at > now(), r.seats,"
	" to_char(r.expires_at AT TIME ZONE $2, 'HH24:MI')"
	" FROM outbox o JOIN waitlist_entries e ON e.id = o.waitlist_entry_id"
	" JOIN performances p ON p.id = e.performance_id" WAITLIST_PERF_JOINS
	" LEFT JOIN reservations r ON r.id = o.reservation_id"
	" WHERE o.id = $1::bigint";

/* The offer's token is known now: its hashes replace the placeholders,
 * and the secret goes (the body, which holds the token, is erased once
 * sent, like every message's). */
static const char SQL_OFFER_TOKENS[] =
	"UPDATE reservations SET confirm_token_hash = $2::bytea,"
	" ticket_token_hash = $3::bytea WHERE id = $1::bigint";
static const char SQL_FORGET_SECRET[] =
	"UPDATE outbox SET secret = NULL WHERE id = $1::bigint";

/* The token whose 32 bytes are the base64 (standard, padded, as
 * PostgreSQL's encode() writes it) secret s. 0, or -1. */
static int secret_token(const char *s, char out[TOK_LEN + 1])
{
	unsigned char bin[32];
	size_t n = 0;

	if (sodium_base642bin(bin, sizeof(bin), s, strlen(s), "\n", &n, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    n != sizeof(bin) ||
	    sodium_bin2base64(out, TOK_LEN + 1, bin, sizeof(bin),
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) ==
		    NULL)
		return -1;
	sodium_memzero(bin, sizeof(bin));
	return 0;
}

static int render_offer(struct db_conn *c, struct arena *a, const char *id,
			PGresult *r, struct mails_booking *m, struct buf *out)
{
	char token[TOK_LEN + 1], ticket[TOK_LEN + 1];
	char hash[TOK_HASH_HEX_LEN + 1], thash[TOK_HASH_HEX_LEN + 1];
	const char *params[3];

	if (db_null(r, 0, RENDER_RES_ID) ||
	    strcmp(db_val(r, 0, RENDER_RES_LIVE), "t") != 0)
		return 1;
	if (db_null(r, 0, RENDER_SECRET) ||
	    secret_token(db_val(r, 0, RENDER_SECRET), token) < 0 ||
	    tok_derive_ticket(token, ticket) < 0 ||
	    tok_hash_hex(token, hash) < 0 || tok_hash_hex(ticket, thash) < 0)
		return -1;
	params[0] = db_val(r, 0, RENDER_RES_ID);
	params[1] = hash;
	params[2] = thash;
	if (db_exec(c, a, SQL_OFFER_TOKENS, 3, params, NULL) != DB_OK ||
	    db_exec(c, a, SQL_FORGET_SECRET, 1, &id, NULL) != DB_OK)
		return -1;
	m->reservation_id = strtoll(db_val(r, 0, RENDER_RES_ID), NULL, 10);
	m->seats = (int)strtol(db_val(r, 0, RENDER_RES_SEATS), NULL, 10);
	return mails_waitlist_offer(a, m, token, db_val(r, 0, RENDER_UNTIL),
				    out) < 0
		       ? -1
		       : 0;
}

int waitlist_render(struct db_conn *c, struct arena *a, const char *id,
		    struct buf *out)
{
	const char *params[2] = {id, app.cfg.timezone};
	struct mails_booking m;
	PGresult *r;

	if (db_exec(c, a, SQL_RENDER, 2, params, &r) != DB_OK ||
	    PQntuples(r) == 0)
		return -1;
	waitlist_perf_mail(&m, r);
	m.name = db_val(r, 0, RENDER_NAME);
	m.email = db_val(r, 0, RENDER_EMAIL);
	m.locale = db_val(r, 0, RENDER_LOCALE);
	m.seats = (int)strtol(db_val(r, 0, RENDER_ENTRY_SEATS), NULL, 10);
	if (strcmp(db_val(r, 0, RENDER_KIND), "waitlist_offer") == 0)
		return render_offer(c, a, id, r, &m, out);
	return mails_waitlist_closed(
		       a, &m,
		       strcmp(db_val(r, 0, RENDER_CLOSED_REASON), "cancelled") ==
			       0,
		       db_val(r, 0, PERF_MESSAGE), db_val(r, 0, PERF_SLUG),
		       out) < 0
		       ? -1
		       : 0;
}

/* ---- metrics --------------------------------------------------------- */

enum { MET_WAITING, MET_ENTRIES, MET_OFFERS, MET_ACCEPTED, MET_EXPIRED };
static const char SQL_METRICS[] =
	"SELECT (SELECT count(*) FROM waitlist_entries WHERE state = 'waiting'),"
	" (SELECT count(*) FROM waitlist_entries WHERE state <> 'unconfirmed'),"
	" count(*), count(*) FILTER (WHERE confirmed_at IS NOT NULL),"
	" count(*) FILTER (WHERE status = 'expired')"
	" FROM reservations WHERE waitlist_entry_id IS NOT NULL";

void waitlist_metrics(struct db_conn *c, struct arena *a, struct buf *out)
{
	PGresult *r;

	if (db_query(c, a, SQL_METRICS, 0, NULL, &r) != DB_OK)
		return;
	buf_printf(out,
		   "# HELP boxoffice_waitlist_waiting Waiting-list entries in "
		   "line now.\n"
		   "# TYPE boxoffice_waitlist_waiting gauge\n"
		   "boxoffice_waitlist_waiting %s\n"
		   "# HELP boxoffice_waitlist_entries_total Waiting-list entries "
		   "confirmed, ever.\n"
		   "# TYPE boxoffice_waitlist_entries_total counter\n"
		   "boxoffice_waitlist_entries_total %s\n"
		   "# HELP boxoffice_waitlist_offers_total Offers made, and what "
		   "became of them.\n"
		   "# TYPE boxoffice_waitlist_offers_total counter\n"
		   "boxoffice_waitlist_offers_total{outcome=\"made\"} %s\n"
		   "boxoffice_waitlist_offers_total{outcome=\"accepted\"} %s\n"
		   "boxoffice_waitlist_offers_total{outcome=\"expired\"} %s\n",
		   db_val(r, 0, MET_WAITING), db_val(r, 0, MET_ENTRIES),
		   db_val(r, 0, MET_OFFERS), db_val(r, 0, MET_ACCEPTED),
		   db_val(r, 0, MET_EXPIRED));
}

/* ---- housekeeping ---------------------------------------------------- */

static const char SQL_SETTINGS[] =
	"UPDATE waitlist_settings SET offer_minutes = $1::integer"
	" WHERE offer_minutes <> $1::integer";

/* Personal data of the lists of performances long past, with the
 * reservations' (app/housekeeping.c); the counts stay. */
static const char SQL_PURGE[] =
	"WITH e AS (UPDATE waitlist_entries SET name = '', email = '',"
	"  client_net = NULL, purged_at = now(), updated_at = now()"
	"  WHERE purged_at IS NULL AND performance_id IN (SELECT id"
	"   FROM performances WHERE starts_at < now()"
	"   - make_interval(days => $1::integer))"
	"  RETURNING id)"
	" UPDATE outbox SET recipient = '', body = NULL, secret = NULL"
	" WHERE waitlist_entry_id IN (SELECT id FROM e)";

enum { CLOSE_TOLD };
static const char SQL_CLOSE_DUE[] = "SELECT waitlist_close_due()";

static enum db_status close_tx(struct db_conn *c, struct arena *a, void *ctx)
{
	PGresult **r = ctx;

	return db_exec(c, a, SQL_CLOSE_DUE, 0, NULL, r);
}

void waitlist_sweep(struct db_conn *c, struct arena *a)
{
	struct db_params p;
	PGresult *r = NULL;

	db_params_init(&p);
	db_param_int(&p, app.cfg.offer_minutes);
	if (db_exec(c, a, SQL_SETTINGS, p.n, p.v, NULL) != DB_OK)
		log_event(LOG_WARN, NULL, "waitlist_settings",
			  "BOXOFFICE_OFFER_MINUTES not written");
	db_params_init(&p);
	db_param_int(&p, app.cfg.purge_days);
	if (db_exec(c, a, SQL_PURGE, p.n, p.v, NULL) != DB_OK)
		log_event(LOG_WARN, NULL, "waitlist_purge",
			  "waiting-list personal data not purged this round");
	if (db_tx(c, a, close_tx, &r, NULL) == DB_OK && r != NULL &&
	    strcmp(db_val(r, 0, CLOSE_TOLD), "0") != 0) {
		log_event(LOG_INFO, NULL, "waitlist_closed",
			  "%s waiting-list entries told their list closed",
			  db_val(r, 0, CLOSE_TOLD));
			}
}
