/*
 * auth: staff and admin accounts, sessions and the guards the dispatcher
 * applies to every non-public route.
 */
#ifndef BOXOFFICE_AUTH_H
#define BOXOFFICE_AUTH_H

#include <stdbool.h>
#include <stdint.h>

struct db_conn;
struct http_req;
struct http_res;
struct route;

/* The signed-in user of a request (req->user), valid for the request. */
struct auth_user {
	int64_t id;
	const char *id_text;
	const char *email;
	const char *name;
	const char *role;	/* "staff" or "admin" */
	const char *csrf_token;
};

/* Prepare what login needs (a dummy hash for unknown users). 0 or -1. */
int auth_init(void);

/*
 * The guard: resolve the session cookie, check the role the route needs
 * and, for unsafe methods, the CSRF header. 0 to go on (req->user set),
 * or the error status already written to res (401, 403, 503).
 */
int auth_guard(struct http_req *req, struct http_res *res,
	       const struct route *r);

/*
 * For an ACCESS_STAFF_STATEMENT route, whose own statement resolves the
 * session and checks the CSRF token (the door scan: one round trip): the
 * session's hash as bytea text, the X-CSRF-Token header (NULL when absent
 * or not a token) and the idle limit as interval text, valid for the
 * request. 0, or -1 (out of memory).
 */
int auth_statement_session(struct http_req *req, const char **hash,
			   const char **csrf, const char **idle);

/* The dispatcher's staff guard run now, for such a route that answers
 * without its statement (a body it cannot use): 0, or the status written
 * to res, as auth_guard(). */
int auth_statement_guard(struct http_req *req, struct http_res *res);

/* After such a statement said whether the session's last_seen_at is
 * stale: if so, refresh it (hash from auth_statement_session), best
 * effort, outside the statement's transaction. */
void auth_statement_touch(struct http_req *req, struct db_conn *c,
			  const char *hash, bool stale);

/* The user of a guarded request. */
const struct auth_user *auth_user(const struct http_req *req);

int auth_login(struct http_req *req, struct http_res *res);
int auth_logout(struct http_req *req, struct http_res *res);
int auth_me(struct http_req *req, struct http_res *res);

/*
 * Hash a password for storage (Argon2id, libsodium's interactive limits).
 * 0 or -1; out holds crypto_pwhash_STRBYTES.
 */
int auth_hash_password(const char *password, char *out);

/* A new random password for a person to type: 20 characters. */
void auth_new_password(char out[21]);

#endif
