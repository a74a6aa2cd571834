/* shows: the public programme: shows, performances, venues (read only). */
#ifndef BOXOFFICE_SHOWS_H
#define BOXOFFICE_SHOWS_H

struct http_req;
struct http_res;

int shows_list(struct http_req *req, struct http_res *res);
int shows_get(struct http_req *req, struct http_res *res);
int shows_performance(struct http_req *req, struct http_res *res);
int shows_venues(struct http_req *req, struct http_res *res);

/*
 * Start this process's watch of the programme (lib/doccache.h): the
 * rendered documents are kept until the programme's fingerprint changes
 * or a process of this host answers a write.
 * 0 or -1 (then every document is rendered at every request).
 */
int shows_watch_start(void);

#endif
