/* checkins: the door: scan a ticket, admit its party, count arrivals. */
#ifndef BOXOFFICE_CHECKINS_H
#define BOXOFFICE_CHECKINS_H

struct http_req;
struct http_res;

int checkins_create(struct http_req *req, struct http_res *res);
/* POST /api/checkins/{id}/undo: the door's undo (audited). */
int checkins_undo(struct http_req *req, struct http_res *res);
int checkins_performance(struct http_req *req, struct http_res *res);
int checkins_performances(struct http_req *req, struct http_res *res);

#endif
