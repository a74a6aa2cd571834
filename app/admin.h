/*
 * admin: the admin API under /admin/ (docs/API.md, "Admin"): the
 * programme (venues, shows, performances), reservations and check-ins,
 * users and the audit log. Every route is ACCESS_ADMIN; every write is
 * audited (app/audit.h).
 *
 * The handlers live in admin_programme.c, admin_bookings.c and
 * admin_users.c; the input readers they share, in input.c.
 */
#ifndef BOXOFFICE_ADMIN_H
#define BOXOFFICE_ADMIN_H

struct http_req;
struct http_res;

/* admin_programme.c */
int admin_venues_list(struct http_req *req, struct http_res *res);
int admin_venues_create(struct http_req *req, struct http_res *res);
int admin_venues_get(struct http_req *req, struct http_res *res);
int admin_venues_update(struct http_req *req, struct http_res *res);
int admin_venues_delete(struct http_req *req, struct http_res *res);
int admin_shows_list(struct http_req *req, struct http_res *res);
int admin_shows_create(struct http_req *req, struct http_res *res);
int admin_shows_get(struct http_req *req, struct http_res *res);
int admin_shows_update(struct http_req *req, struct http_res *res);
int admin_shows_delete(struct http_req *req, struct http_res *res);
int admin_performances_list(struct http_req *req, struct http_res *res);
int admin_performances_create(struct http_req *req, struct http_res *res);
int admin_performances_get(struct http_req *req, struct http_res *res);
int admin_performances_update(struct http_req *req, struct http_res *res);
int admin_performances_cancel(struct http_req *req, struct http_res *res);
int admin_performances_series(struct http_req *req, struct http_res *res);
int admin_performances_duplicate(struct http_req *req, struct http_res *res);
int admin_performances_delete(struct http_req *req, struct http_res *res);

/* admin_bookings.c */
int admin_reservations_list(struct http_req *req, struct http_res *res);
int admin_reservations_status(struct http_req *req, struct http_res *res);
int admin_checkins_undo(struct http_req *req, struct http_res *res);
/* The box office (issue 14): bookings the admin makes and changes, the
 * door's per-performance setting, the dashboard. */
int admin_reservations_create(struct http_req *req, struct http_res *res);
int admin_reservations_update(struct http_req *req, struct http_res *res);
int admin_reservations_resend(struct http_req *req, struct http_res *res);
int admin_performances_door(struct http_req *req, struct http_res *res);
int admin_dashboard(struct http_req *req, struct http_res *res);

/* admin_users.c */
int admin_users_list(struct http_req *req, struct http_res *res);
int admin_users_create(struct http_req *req, struct http_res *res);
int admin_users_password(struct http_req *req, struct http_res *res);
int admin_users_deactivate(struct http_req *req, struct http_res *res);
int admin_users_activate(struct http_req *req, struct http_res *res);
int admin_audit_list(struct http_req *req, struct http_res *res);

#endif
