/* health: liveness and database reachability for nginx, compose, ops. */
#ifndef BOXOFFICE_HEALTH_H
#define BOXOFFICE_HEALTH_H

struct http_req;
struct http_res;

int health_get(struct http_req *req, struct http_res *res);

#endif
