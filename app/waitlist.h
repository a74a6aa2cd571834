/*
 * waitlist: the waiting list of a sold-out performance (docs/API.md,
 * "Waiting list"; the rule in docs/ARCHITECTURE.md). The offers are made
 * by sql/012_waitlist.sql in every transaction that frees seats; this
 * module joins, confirms, leaves and accepts, shows the list to admins,
 * renders the messages the SQL queues without a body, and closes the
 * lists of performances that began or closed booking.
 */
#ifndef BOXOFFICE_WAITLIST_H
#define BOXOFFICE_WAITLIST_H

#include <stdbool.h>

struct arena;
struct buf;
struct db_conn;
struct http_req;
struct http_res;

/* POST /api/performances/{id}/waitlist */
int waitlist_join(struct http_req *req, struct http_res *res);
/* POST /api/waitlist/confirm, /leave, /accept */
int waitlist_confirm(struct http_req *req, struct http_res *res);
int waitlist_leave(struct http_req *req, struct http_res *res);
int waitlist_accept(struct http_req *req, struct http_res *res);
/* GET /admin/performances/{id}/waitlist */
int waitlist_admin_list(struct http_req *req, struct http_res *res);
/* POST /admin/waitlist/{id}/offer */
int waitlist_admin_offer(struct http_req *req, struct http_res *res);

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
