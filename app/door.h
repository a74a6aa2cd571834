/*
 * door: what the door needs around the scanner: the night's guest list
 * with live counters (also the offline scanner's copy), walk-ins sold and
 * admitted at the door, and releasing unused seats at curtain time.
 */
#ifndef BOXOFFICE_DOOR_H
#define BOXOFFICE_DOOR_H

struct http_req;
struct http_res;

int door_guests(struct http_req *req, struct http_res *res);
int door_walkins(struct http_req *req, struct http_res *res);
int door_release(struct http_req *req, struct http_res *res);

#endif
