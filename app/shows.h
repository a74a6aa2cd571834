/* shows: the public programme: shows, performances, venues (read only). */
#ifndef BOXOFFICE_SHOWS_H
#define BOXOFFICE_SHOWS_H

struct http_req;
struct http_res;

int shows_list(struct http_req *req, struct http_res *res);
int shows_get(struct http_req *req, struct http_res *res);
int shows_performance(struct http_req *req, struct http_res *res);
int shows_venues(struct http_req *req, struct http_res *res);

#endif
