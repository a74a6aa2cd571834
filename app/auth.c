/*
 * auth: accounts, login, sessions, CSRF.
 *
 * Sessions: the cookie holds a random id (a token, like the booking ones);
 * the database holds only its BLAKE2b hash, with a CSRF token, the time of
 * last use and an absolute expiry. A session ends after IDLE without use or
 * at ABSOLUTE after login. The cookie is HttpOnly and SameSite=Strict, and
 * Secure when the public URL is https.
 *
 * Login answers the same 401 for an unknown email, a wrong password, a
 * deactivated user and a locked account, and always runs one Argon2id
 * verification, so the answer takes about as long in every case.
 *
 * Throttling (docs/ARCHITECTURE.md, "Login throttling"; login_failure() in
 * sql/008_abuse_caps.sql): failures count per (account, client network);
 * after BOXOFFICE_LOGIN_FAILURES of them that pair is refused for a delay
 * that doubles with each lock, up to 15 minutes, and a lock is never
 * extended while active. Another network is not affected: the door staff
 * still sign in while somebody guesses their password elsewhere. Only far
 * more failures (BOXOFFICE_LOGIN_ACCOUNT_FAILURES in an hour, from many
 * networks) lock the account itself, for 15 minutes, and not even then
 * for a network it signed in from in the last KNOWN_NETWORK.
 *
 * Argon2id takes 64 MiB: at most BOXOFFICE_ARGON2_CONCURRENCY
 * verifications run at once in a worker; a login waits ARGON2_WAIT_MS for
 * a turn, then is answered 503 busy.
 */
#include "auth.h"

#include "app.h"
#include "input.h"
#include "request.h"

#include "../lib/arena.h"
#include "../lib/db.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "../lib/tok.h"

#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define COOKIE "bo_session"
#define IDLE "4 hours"
#define ABSOLUTE_S 43200	/* 12 hours, also the cookie's Max-Age */
#define ARGON2_WAIT_MS 2000
#define KNOWN_NETWORK "30 days"	/* exempt from the account-wide lock */

/* Verified when the email is unknown, so that case costs the same. */
static char dummy_hash[crypto_pwhash_STRBYTES];

enum { LOGIN_ID, LOGIN_HASH, LOGIN_ROLE, LOGIN_NAME, LOGIN_EMAIL,
       LOGIN_USABLE };
/* Usable: active; the account not locked, or $2 (the client network) a
 * network it signed in from in the last 30 days; and the (account,
 * network) pair not locked. */
static const char SQL_USER_BY_EMAIL[] =
	"SELECT id, password_hash, role, name, email,"
	" active AND (locked_until IS NULL OR locked_until <= now()"
	"  OR EXISTS (SELECT 1 FROM login_throttle t WHERE t.user_id = users.id"
	"   AND t.client_net = $2"
	"   AND t.last_ok_at > now() - interval '" KNOWN_NETWORK "'))"
	" AND NOT EXISTS (SELECT 1 FROM login_throttle t"
	"  WHERE t.user_id = users.id AND t.client_net = $2"
	"  AND t.locked_until > now())"
	" FROM users WHERE lower(email) = lower($1)";

static const char SQL_LOGIN_FAILED[] =
	"SELECT login_failure($1::bigint, $2, $3::integer, $4::integer,"
	" $5::integer)";

/* A success forgets the failures of its network (not the others': a
 * network guessing elsewhere stays throttled) and marks it known. */
static const char SQL_LOGIN_OK[] =
	"WITH u AS (UPDATE users SET failed_logins = 0, failures_since = NULL,"
	"  last_login_at = now() WHERE id = $1::bigint RETURNING id),"
	" t AS (INSERT INTO login_throttle (user_id, client_net, last_ok_at)"
	"  VALUES ($1::bigint, $5, now()) ON CONFLICT (user_id, client_net)"
	"  DO UPDATE SET failures = 0, last_failed_at = NULL,"
	"  locked_until = NULL, last_ok_at = now())"
	" INSERT INTO sessions (id_hash, user_id, csrf_token, expires_at)"
	" SELECT $2::bytea, u.id, $3, now() + make_interval(secs => $4::integer)"
	" FROM u";

/* The Argon2id verifications running in this process. */
static pthread_mutex_t argon2_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t argon2_cv = PTHREAD_COND_INITIALIZER;
static int argon2_running;

/* Wait at most ARGON2_WAIT_MS for a turn: true with one taken. */
static bool argon2_enter(void)
{
	struct timespec until;
	bool ok = true;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ARGON2_WAIT_MS / 1000;
	until.tv_nsec += (long)(ARGON2_WAIT_MS % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&argon2_mu);
	while (argon2_running >= app.cfg.argon2_concurrency && ok)
		ok = pthread_cond_timedwait(&argon2_cv, &argon2_mu, &until) !=
		     ETIMEDOUT;
	if (argon2_running < app.cfg.argon2_concurrency) {
		argon2_running++;
		ok = true;
	} else {
		ok = false;
	}
	pthread_mutex_unlock(&argon2_mu);
	return ok;
}

/* A turn a request holds; given back once, by argon2_leave. */
struct argon2_turn {
	bool held;
};

static void argon2_leave(void *p)
{
	struct argon2_turn *t = p;

	if (!t->held)
		return;
	t->held = false;
	pthread_mutex_lock(&argon2_mu);
	argon2_running--;
	pthread_cond_signal(&argon2_cv);
	pthread_mutex_unlock(&argon2_mu);
}

/*
 * A turn for one Argon2id verification in *t, taken before the request
 * holds a pooled connection (a login waiting for a turn must not keep one
 * from others). The caller gives it back with argon2_leave(*t) as soon as
 * the verification is done; the arena gives it back on any other path.
 * 0, or the status answered (503 busy when none came within
 * ARGON2_WAIT_MS, 500).
 */
static int argon2_turn(struct http_req *req, struct http_res *res,
		       struct argon2_turn **t)
{
	*t = arena_calloc(req->arena, sizeof(**t));
	if (*t == NULL)
		return app_internal_error(res);
	if (!argon2_enter()) {
		log_event(LOG_WARN, req->request_id, "login_busy",
			  "no Argon2id turn within %d ms", ARGON2_WAIT_MS);
		http_res_header(res, "Retry-After", "2");
		return http_error(res, 503, "busy",
				  "too many sign-ins at once, please try again "
				  "in a moment");
	}
	(*t)->held = true;
	/* On failure arena_defer has already given the turn back. */
	if (arena_defer(req->arena, argon2_leave, *t) < 0)
		return app_internal_error(res);
	return 0;
}

/* Resolve a session; the second column says whether last_seen_at is
 * old enough to be worth refreshing (at most once a minute). */
enum { SESSION_USER_ID, SESSION_EMAIL, SESSION_NAME, SESSION_ROLE,
       SESSION_CSRF, SESSION_STALE };
static const char SQL_SESSION[] =
	"SELECT user_id, email, name, role, csrf_token, stale"
	" FROM live_session($1::bytea, $2::interval)";

static const char SQL_SESSION_TOUCH[] =
	"UPDATE sessions SET last_seen_at = now() WHERE id_hash = $1::bytea";

static const char SQL_LOGOUT[] =
	"DELETE FROM sessions WHERE id_hash = $1::bytea";

int auth_hash_password(const char *password, char *out)
{
	return crypto_pwhash_str(out, password, strlen(password),
				 crypto_pwhash_OPSLIMIT_INTERACTIVE,
				 crypto_pwhash_MEMLIMIT_INTERACTIVE);
}

void auth_new_password(char out[21])
{
	char t[TOK_LEN + 1];

	/* tok_new cannot fail once sodium is initialised; on the impossible
	 * failure fall back to fresh random bytes hex-encoded. */
	if (tok_new(t) < 0) {
		unsigned char raw[10];

		randombytes_buf(raw, sizeof(raw));
		sodium_bin2hex(t, sizeof(t), raw, sizeof(raw));
	}
	memcpy(out, t, 20);
	out[20] = '\0';
}

int auth_init(void)
{
	char pw[21];

	auth_new_password(pw);
	return auth_hash_password(pw, dummy_hash);
}

const struct auth_user *auth_user(const struct http_req *req)
{
	return req->user;
}

static bool unsafe(const struct http_req *req)
{
	return req->method == HTTP_POST || req->method == HTTP_PUT ||
	       req->method == HTTP_PATCH || req->method == HTTP_DELETE;
}

/* The session of the request's cookie in *u (NULL for none): 0, or the
 * status answered (503). */
static int session(struct http_req *req, struct http_res *res,
		   struct auth_user **u)
{
	const char *cookie = http_cookie(req, COOKIE);
	char hash[TOK_HASH_HEX_LEN + 1];
	const char *params[2] = {hash, IDLE};
	struct db_conn *c;
	PGresult *r;
	int status;

	*u = NULL;
	if (cookie == NULL || !tok_valid(cookie, strlen(cookie)) ||
	    tok_hash_hex(cookie, hash) < 0)
		return 0;
	if ((status = app_db(req, res, &c)) != 0)
		return status;
	/* Any failure here is answered as the database being away. */
	if (db_query(c, req->arena, SQL_SESSION, 2, params, &r) != DB_OK)
		return app_db_error(res, DB_UNAVAILABLE);
	if (PQntuples(r) == 0)
		return 0;
	*u = arena_calloc(req->arena, sizeof(**u));
	if (*u == NULL)
		return 0;
	(*u)->id_text = db_val(r, 0, SESSION_USER_ID);
	(*u)->id = strtoll((*u)->id_text, NULL, 10);
	(*u)->email = db_val(r, 0, SESSION_EMAIL);
	(*u)->name = db_val(r, 0, SESSION_NAME);
	(*u)->role = db_val(r, 0, SESSION_ROLE);
	(*u)->csrf_token = db_val(r, 0, SESSION_CSRF);
	if (strcmp(db_val(r, 0, SESSION_STALE), "t") == 0)
		(void)db_exec(c, req->arena, SQL_SESSION_TOUCH, 1, params, NULL);
	return 0;
}

int auth_statement_guard(struct http_req *req, struct http_res *res)
{
	static const struct route staff = {.access = ACCESS_STAFF};

	return auth_guard(req, res, &staff);
}

int auth_statement_session(struct http_req *req, const char **hash,
			   const char **csrf, const char **idle)
{
	const char *cookie = http_cookie(req, COOKIE);
	const char *h = http_header(req, "X-CSRF-Token");
	char *out = arena_alloc(req->arena, TOK_HASH_HEX_LEN + 1);

	/* The guard has checked the cookie: it is a valid token. */
	if (out == NULL || cookie == NULL || tok_hash_hex(cookie, out) < 0)
		return -1;
	*hash = out;
	/* Anything but a token is as wrong as a wrong one. */
	*csrf = h != NULL && tok_valid(h, strlen(h)) ? h : NULL;
	*idle = IDLE;
	return 0;
}

void auth_statement_touch(struct http_req *req, struct db_conn *c,
			  const char *hash, bool stale)
{
	const char *params[1] = {hash};

	/* Best effort, as in session(): the next request tries again. */
	if (stale)
		(void)db_exec(c, req->arena, SQL_SESSION_TOUCH, 1, params,
			      NULL);
}

int auth_guard(struct http_req *req, struct http_res *res,
	       const struct route *r)
{
	struct auth_user *u;
	const char *csrf;
	int status;

	if (r->access == ACCESS_PUBLIC)
		return 0;
	if (r->access == ACCESS_METRICS && app.cfg.metrics_token[0] != '\0') {
		const char *h = http_env(req->env, "HTTP_AUTHORIZATION");

		/* A scraper's token: no session, no CSRF (GET only). */
		if (h != NULL && strncmp(h, "Bearer ", 7) == 0 &&
		    tok_equal(h + 7, app.cfg.metrics_token))
			return 0;
	}
	if (r->access == ACCESS_STAFF_STATEMENT) {
		/* The handler's statement resolves the session and checks the
		 * CSRF token (auth_statement_session); no cookie, no query. */
		const char *cookie = http_cookie(req, COOKIE);

		if (cookie == NULL || !tok_valid(cookie, strlen(cookie)))
			return http_error(res, 401, "unauthorized",
					  "please sign in");
		return 0;
	}
	if ((status = session(req, res, &u)) != 0)
		return status;
	if (u == NULL)
		return http_error(res, 401, "unauthorized", "please sign in");
	if ((r->access == ACCESS_ADMIN || r->access == ACCESS_METRICS) &&
	    strcmp(u->role, "admin") != 0)
		return http_error(res, 403, "forbidden",
				  "this needs an administrator");
	if (unsafe(req)) {
		csrf = http_header(req, "X-CSRF-Token");
		if (csrf == NULL || !tok_equal(csrf, u->csrf_token))
			return http_error(res, 403, "csrf_failed",
					  "missing or wrong X-CSRF-Token header");
	}
	req->user = u;
	return 0;
}

static void user_json(struct jsonw *w, const char *id, const char *email,
		      const char *name, const char *role)
{
	jsonw_key(w, "user");
	jsonw_obj(w);
	jsonw_key(w, "id");
	jsonw_raw(w, id, strlen(id));
	jsonw_key(w, "email");
	jsonw_str(w, email);
	jsonw_key(w, "name");
	jsonw_str(w, name);
	jsonw_key(w, "role");
	jsonw_str(w, role);
	jsonw_end(w);
}

/* Add the session cookie header; false when out of memory. */
static bool set_cookie(struct http_res *res, const char *value, int max_age)
{
	bool https = strncmp(app.cfg.public_url, "https://", 8) == 0;
	const char *v = arena_printf(
		res->arena, "%s=%s; Path=/; HttpOnly; SameSite=Strict; "
			    "Max-Age=%d%s",
		COOKIE, value, max_age, https ? "; Secure" : "");

	return v != NULL && http_res_header(res, "Set-Cookie", v) == 0;
}

static int invalid_credentials(struct http_res *res)
{
	return http_error(res, 401, "invalid_credentials",
			  "wrong email or password (after repeated failures, "
			  "sign-in from your network is paused for a few "
			  "minutes)");
}

/* A wrong password for a known (r) or unknown user: count the failure
 * towards the lockout, and answer 401. */
static int login_failed(struct http_req *req, struct http_res *res,
			struct db_conn *c, const PGresult *r, const char *net)
{
	struct db_params p;

	if (PQntuples(r) != 1) {
		log_event(LOG_WARN, req->request_id, "login_failed",
			  "unknown user");
		return invalid_credentials(res);
	}
	db_params_init(&p);
	db_param(&p, db_val(r, 0, LOGIN_ID));
	/* Without a client address the failures still count, as one
	 * network of their own. */
	db_param(&p, net != NULL ? net : "unknown");
	db_param_int(&p, app.cfg.login_failures);
	db_param_int(&p, app.cfg.login_delay_s);
	db_param_int(&p, app.cfg.login_account_failures);
	(void)db_exec(c, req->arena, SQL_LOGIN_FAILED, p.n, p.v, NULL);
	log_event(LOG_WARN, req->request_id, "login_failed", "user %s",
		  db_val(r, 0, LOGIN_ID));
	return invalid_credentials(res);
}

/* A new session for the user of r: cookie set, body written. */
static int login_ok(struct http_req *req, struct http_res *res,
		    struct db_conn *c, const PGresult *r, const char *net)
{
	char sid[TOK_LEN + 1], sid_hash[TOK_HASH_HEX_LEN + 1], csrf[TOK_LEN + 1];
	struct db_params p;
	enum db_status st;
	struct jsonw w;

	if (tok_new(sid) < 0 || tok_new(csrf) < 0 ||
	    tok_hash_hex(sid, sid_hash) < 0)
		return app_internal_error(res);
	db_params_init(&p);
	db_param(&p, db_val(r, 0, LOGIN_ID));
	db_param(&p, sid_hash);
	db_param(&p, csrf);
	db_param_int(&p, ABSOLUTE_S);
	db_param(&p, net != NULL ? net : "unknown");
	st = db_exec(c, req->arena, SQL_LOGIN_OK, p.n, p.v, NULL);
	if (st != DB_OK)
		return app_db_error(res, st);
	if (!set_cookie(res, sid, ABSOLUTE_S))
		return app_internal_error(res);
	log_event(LOG_INFO, req->request_id, "login", "user %s",
		  db_val(r, 0, LOGIN_ID));
	jsonw_init(&w, &res->body);
	jsonw_obj(&w);
	user_json(&w, db_val(r, 0, LOGIN_ID), db_val(r, 0, LOGIN_EMAIL),
		  db_val(r, 0, LOGIN_NAME), db_val(r, 0, LOGIN_ROLE));
	jsonw_key(&w, "csrf_token");
	jsonw_str(&w, csrf);
	jsonw_end(&w);
	return 200;
}

int auth_login(struct http_req *req, struct http_res *res)
{
	const char *email, *password, *hash_stored = dummy_hash;
	const char *net = app_client_net(req);
	struct json_object *body;
	const char *params[2];
	struct argon2_turn *turn;
	bool usable = false;
	int bad;
	struct db_conn *c;
	enum db_status st;
	PGresult *r;
	size_t plen;
	int status;

	if ((status = app_json_body(req, res, &body)) != 0)
		return status;
	if (!auth_validate_login(body, &email, &password, &plen))
		return invalid_credentials(res);
	if ((status = argon2_turn(req, res, &turn)) != 0 ||
	    (status = app_db(req, res, &c)) != 0)
		return status;
	params[0] = email;
	params[1] = net != NULL ? net : "unknown";
	st = db_query(c, req->arena, SQL_USER_BY_EMAIL, 2, params, &r);
	if (st != DB_OK)
		return app_db_error(res, st);
	if (PQntuples(r) == 1) {
		hash_stored = db_val(r, 0, LOGIN_HASH);
		usable = strcmp(db_val(r, 0, LOGIN_USABLE), "t") == 0;
	}
	/* Always one verification, whatever the case (a throttled pair too:
	 * its answer must not say whether the account exists). */
	bad = crypto_pwhash_str_verify(hash_stored, password, plen);
	argon2_leave(turn);
	if (bad != 0 || PQntuples(r) != 1)
		return login_failed(req, res, c, r, net);
	if (!usable) {
		log_event(LOG_WARN, req->request_id, "login_refused",
			  "user %s is locked or deactivated",
			  db_val(r, 0, LOGIN_ID));
		return invalid_credentials(res);
	}
	return login_ok(req, res, c, r, net);
}

int auth_logout(struct http_req *req, struct http_res *res)
{
	const char *cookie = http_cookie(req, COOKIE);
	char hash[TOK_HASH_HEX_LEN + 1];
	const char *params[1] = {hash};
	struct db_conn *c;
	int status;

	/* The guard has checked the cookie: it is a valid token. */
	if (cookie == NULL || tok_hash_hex(cookie, hash) < 0)
		return http_error(res, 401, "unauthorized", "please sign in");
	if ((status = app_db(req, res, &c)) != 0)
		return status;
	/* Any failure here is answered as the database being away. */
	if (db_exec(c, req->arena, SQL_LOGOUT, 1, params, NULL) != DB_OK)
		return app_db_error(res, DB_UNAVAILABLE);
	/* Clearing the cookie is best effort: the session is gone. */
	(void)set_cookie(res, "", 0);
	log_event(LOG_INFO, req->request_id, "logout", "user %s",
		  auth_user(req)->id_text);
	return 204;
}

int auth_me(struct http_req *req, struct http_res *res)
{
	const struct auth_user *u = auth_user(req);
	struct jsonw w;

	jsonw_init(&w, &res->body);
	jsonw_obj(&w);
	user_json(&w, u->id_text, u->email, u->name, u->role);
	jsonw_key(&w, "csrf_token");
	jsonw_str(&w, u->csrf_token);
	jsonw_end(&w);
	return 200;
}
