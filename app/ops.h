/* ops: what operators look at: the Prometheus metrics endpoint. */
#ifndef BOXOFFICE_OPS_H
#define BOXOFFICE_OPS_H

/* Label the routes for metrics; call once before threads start. 0 or -1. */
int ops_init(void);

/* Publish this process's pool figures to the shared metrics. */
void ops_publish_pool(void);

struct http_req;
struct http_res;

int ops_metrics(struct http_req *req, struct http_res *res);

#endif
