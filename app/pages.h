/*
 * pages: server-rendered parts of the public pages (a show's <head> and
 * <main>, the footer), included by nginx into the built pages, and
 * /sitemap.xml, /robots.txt.
 */
#ifndef BOXOFFICE_PAGES_H
#define BOXOFFICE_PAGES_H

struct http_req;
struct http_res;

int pages_show_head(struct http_req *req, struct http_res *res);
int pages_show_main(struct http_req *req, struct http_res *res);
int pages_site_main(struct http_req *req, struct http_res *res);
int pages_footer(struct http_req *req, struct http_res *res);
int pages_sitemap(struct http_req *req, struct http_res *res);
int pages_robots(struct http_req *req, struct http_res *res);

#endif
