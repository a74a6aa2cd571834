/*
 * waitlist: the waiting list of a sold-out performance (docs/API.md,
 * "Waiting list"; the rule in docs/ARCHITECTURE.md). The offers are made
 * by sql/012_waitlist.sql in every transaction that frees seats; this
 * module joins, confirms, leaves and accepts, and shows the list to
 * admins; app/waitlist_notices.h does the rest (messages rendered at the
 * outbox's claim, housekeeping, metrics).
 */
#ifndef BOXOFFICE_WAITLIST_H
#define BOXOFFICE_WAITLIST_H

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

#endif
