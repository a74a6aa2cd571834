/*
 * bookings: reservations from the visitor's side: book, confirm, cancel,
 * and the ticket with its QR code and calendar file.
 */
#ifndef BOXOFFICE_BOOKINGS_H
#define BOXOFFICE_BOOKINGS_H

struct http_req;
struct http_res;

int bookings_create(struct http_req *req, struct http_res *res);
int bookings_confirm(struct http_req *req, struct http_res *res);
int bookings_cancel(struct http_req *req, struct http_res *res);
/* Manage my booking: give back seats; the link or the ticket again. */
int bookings_seats(struct http_req *req, struct http_res *res);
int bookings_resend(struct http_req *req, struct http_res *res);
int bookings_ticket(struct http_req *req, struct http_res *res);
int bookings_qr_svg(struct http_req *req, struct http_res *res);
int bookings_qr_png(struct http_req *req, struct http_res *res);
/* GET /api/tickets/{token}/event.ics: the ticket email's calendar file. */
int bookings_event(struct http_req *req, struct http_res *res);
/* POST /api/bookings/lookup: "send me my bookings", always 202. */
int bookings_lookup(struct http_req *req, struct http_res *res);

#endif
