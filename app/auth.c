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
 * verification, so the answer takes about as long in every case. After
 * MAX_FAILURES wrong passwords an account is locked for LOCK_MINUTES.
 */
#include "auth.h"

#include "app.h"
#include "validate.h"

#include "../lib/arena.h"
#include "../lib/db.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "../lib/tok.h"
#include "../lib/valid.h"

#include <json-c/json.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COOKIE "bo_session"
#define IDLE "4 hours"
#define ABSOLUTE_S 43200	/* 12 hours, also the cookie's Max-Age */
#define MAX_FAILURES 5
#define LOCK_MINUTES 15

/* Verified when the email is unknown, so that case costs the same. */
static char dummy_hash[crypto_pwhash_STRBYTES];

static const char SQL_USER_BY_EMAIL[] =
	"SELECT id, password_hash, role, name, email,"
	" active AND (locked_until IS NULL OR locked_until <= now())"
	" FROM users WHERE lower(email) = lower($1)";

static const char SQL_LOGIN_FAILED[] =
	"UPDATE users SET failed_logins = failed_logins + 1,"
	" locked_until = CASE WHEN failed_logins + 1 >= $2::integer"
	"  THEN now() + make_interval(mins => $3::integer) ELSE locked_until END,"
	" updated_at = now()"
	" WHERE id = $1::bigint RETURNING failed_logins";

static const char SQL_LOGIN_OK[] =
	"WITH u AS (UPDATE users SET failed_logins = 0, locked_until = NULL,"
	"  last_login_at = now() WHERE id = $1::bigint RETURNING id)"
	" INSERT INTO sessions (id_hash, user_id, csrf_token, expires_at)"
	" SELECT $2::bytea, u.id, $3, now() + make_interval(secs => $4::integer)"
	" FROM u";

/* Resolve a session; the second column says whether last_seen_at is
 * old enough to be worth refreshing (at most once a minute). */
static const char SQL_SESSION[] =
	"SELECT u.id, u.email, u.name, u.role, s.csrf_token,"
	" s.last_seen_at < now() - interval '1 minute'"
	" FROM sessions s JOIN users u ON u.id = s.user_id"
	" WHERE s.id_hash = $1::bytea AND s.expires_at > now()"
	" AND s.last_seen_at > now() - interval '" IDLE "' AND u.active";

static const char SQL_SESSION_TOUCH[] =
	"UPDATE sessions SET last_seen_at = now() WHERE id_hash = $1::bytea";

static const char SQL_LOGOUT[] =
	"DELETE FROM sessions WHERE id_hash = $1::bytea";

static const char SQL_USER_UPSERT[] =
	"INSERT INTO users (email, name, role, password_hash)"
	" VALUES ($1, $2, $3, $4)"
	" ON CONFLICT ((lower(email))) DO UPDATE SET"
	"  password_hash = excluded.password_hash, role = excluded.role,"
	"  name = CASE WHEN excluded.name <> '' THEN excluded.name"
	"   ELSE users.name END,"
	"  active = true, failed_logins = 0, locked_until = NULL,"
	"  updated_at = now()"
	" RETURNING id, (xmax = 0)";

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

/* The session of the request's cookie, or NULL. *st is set on db errors. */
static struct auth_user *session(struct http_req *req, struct http_res *res,
				 char hash[TOK_HASH_HEX_LEN + 1], int *st)
{
	const char *cookie = http_cookie(req, COOKIE);
	const char *params[1] = {hash};
	struct auth_user *u;
	struct db_conn *c;
	PGresult *r;

	*st = 0;
	if (cookie == NULL || !tok_valid(cookie, strlen(cookie)) ||
	    tok_hash_hex(cookie, hash) < 0)
		return NULL;
	c = app_db(req, res);
	if (c == NULL) {
		*st = res->status;
		return NULL;
	}
	if (db_query(c, req->arena, SQL_SESSION, 1, params, &r) != DB_OK) {
		*st = app_db_error(res, DB_UNAVAILABLE);
		return NULL;
	}
	if (PQntuples(r) == 0)
		return NULL;
	u = arena_calloc(req->arena, sizeof(*u));
	if (u == NULL)
		return NULL;
	u->id_text = db_val(r, 0, 0);
	u->id = strtoll(u->id_text, NULL, 10);
	u->email = db_val(r, 0, 1);
	u->name = db_val(r, 0, 2);
	u->role = db_val(r, 0, 3);
	u->csrf_token = db_val(r, 0, 4);
	if (strcmp(db_val(r, 0, 5), "t") == 0)
		(void)db_exec(c, req->arena, SQL_SESSION_TOUCH, 1, params, NULL);
	return u;
}

int auth_guard(struct http_req *req, struct http_res *res,
	       const struct route *r)
{
	char hash[TOK_HASH_HEX_LEN + 1];
	struct auth_user *u;
	const char *csrf;
	int st;

	if (r->access == ACCESS_PUBLIC)
		return 0;
	if (r->access == ACCESS_METRICS && app.cfg.metrics_token[0] != '\0') {
		const char *h = http_env(req->env, "HTTP_AUTHORIZATION");

		/* A scraper's token: no session, no CSRF (GET only). */
		if (h != NULL && strncmp(h, "Bearer ", 7) == 0 &&
		    tok_equal(h + 7, app.cfg.metrics_token))
			return 0;
	}
	u = session(req, res, hash, &st);
	if (st != 0)
		return st;
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

static int set_cookie(struct http_res *res, const char *value, int max_age)
{
	bool https = strncmp(app.cfg.public_url, "https://", 8) == 0;
	const char *v = arena_printf(
		res->arena, "%s=%s; Path=/; HttpOnly; SameSite=Strict; "
			    "Max-Age=%d%s",
		COOKIE, value, max_age, https ? "; Secure" : "");

	return v != NULL ? http_res_header(res, "Set-Cookie", v) : -1;
}

static int invalid_credentials(struct http_res *res)
{
	return http_error(res, 401, "invalid_credentials",
			  "wrong email or password (after 5 failed attempts "
			  "an account is locked for 15 minutes)");
}

int auth_login(struct http_req *req, struct http_res *res)
{
	struct json_object *body = NULL;
	const char *email, *password, *hash_stored = dummy_hash;
	char sid[TOK_LEN + 1], sid_hash[TOK_HASH_HEX_LEN + 1], csrf[TOK_LEN + 1];
	char ttl[16], maxf[8], lockm[8];
	size_t plen;
	bool usable = false;
	struct db_conn *c;
	struct jsonw w;
	PGresult *r;
	int st;

	body = app_json_body(req, res);
	if (body == NULL)
		return res->status;
	if (!auth_validate_login(body, &email, &password, &plen))
		return invalid_credentials(res);

	c = app_db(req, res);
	if (c == NULL)
		return res->status;
	{
		const char *params[1] = {email};

		st = db_query(c, req->arena, SQL_USER_BY_EMAIL, 1, params, &r);
		if (st != DB_OK)
			return app_db_error(res, st);
	}
	if (PQntuples(r) == 1) {
		hash_stored = db_val(r, 0, 1);
		usable = strcmp(db_val(r, 0, 5), "t") == 0;
	}
	/* Always one verification, whatever the case. */
	if (crypto_pwhash_str_verify(hash_stored, password, plen) != 0 ||
	    PQntuples(r) != 1) {
		if (PQntuples(r) == 1) {
			const char *params[3] = {db_val(r, 0, 0), maxf, lockm};

			snprintf(maxf, sizeof(maxf), "%d", MAX_FAILURES);
			snprintf(lockm, sizeof(lockm), "%d", LOCK_MINUTES);
			(void)db_exec(c, req->arena, SQL_LOGIN_FAILED, 3, params,
				      NULL);
			log_event(LOG_WARN, req->request_id, "login_failed",
				  "user %s", db_val(r, 0, 0));
		} else {
			log_event(LOG_WARN, req->request_id, "login_failed",
				  "unknown user");
		}
		return invalid_credentials(res);
	}
	if (!usable) {
		log_event(LOG_WARN, req->request_id, "login_refused",
			  "user %s is locked or deactivated", db_val(r, 0, 0));
		return invalid_credentials(res);
	}

	if (tok_new(sid) < 0 || tok_new(csrf) < 0 ||
	    tok_hash_hex(sid, sid_hash) < 0)
		return http_error(res, 500, "internal_error", "internal error");
	snprintf(ttl, sizeof(ttl), "%d", ABSOLUTE_S);
	{
		const char *params[4] = {db_val(r, 0, 0), sid_hash, csrf, ttl};

		st = db_exec(c, req->arena, SQL_LOGIN_OK, 4, params, NULL);
		if (st != DB_OK)
			return app_db_error(res, st);
	}
	if (set_cookie(res, sid, ABSOLUTE_S) < 0)
		return http_error(res, 500, "internal_error", "internal error");
	log_event(LOG_INFO, req->request_id, "login", "user %s",
		  db_val(r, 0, 0));
	jsonw_init(&w, &res->body);
	jsonw_obj(&w);
	user_json(&w, db_val(r, 0, 0), db_val(r, 0, 4), db_val(r, 0, 3),
		  db_val(r, 0, 2));
	jsonw_key(&w, "csrf_token");
	jsonw_str(&w, csrf);
	jsonw_end(&w);
	return 200;
}

int auth_logout(struct http_req *req, struct http_res *res)
{
	const char *cookie = http_cookie(req, COOKIE);
	char hash[TOK_HASH_HEX_LEN + 1];
	const char *params[1] = {hash};
	struct db_conn *c;

	/* The guard has checked the cookie: it is a valid token. */
	if (cookie == NULL || tok_hash_hex(cookie, hash) < 0)
		return http_error(res, 401, "unauthorized", "please sign in");
	c = app_db(req, res);
	if (c == NULL)
		return res->status;
	if (db_exec(c, req->arena, SQL_LOGOUT, 1, params, NULL) != DB_OK)
		return app_db_error(res, DB_UNAVAILABLE);
	set_cookie(res, "", 0);
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

/* ---- command line ---------------------------------------------------- */

static int usage(void)
{
	fprintf(stderr, "usage: boxoffice user add --email EMAIL "
			"--role staff|admin [--name NAME] [--password-stdin]\n");
	return 2;
}

int auth_cli_user(int argc, char **argv)
{
	const char *email = NULL, *role = NULL, *name = "";
	bool from_stdin = false;
	char password[1025], hash[crypto_pwhash_STRBYTES];
	const char *params[4];
	PGconn *pg;
	PGresult *r;
	int rc = 1;

	if (argc < 1 || strcmp(argv[0], "add") != 0)
		return usage();
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--email") == 0 && i + 1 < argc)
			email = argv[++i];
		else if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
			role = argv[++i];
		else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
			name = argv[++i];
		else if (strcmp(argv[i], "--password-stdin") == 0)
			from_stdin = true;
		else
			return usage();
	}
	if (email == NULL || role == NULL ||
	    (strcmp(role, "staff") != 0 && strcmp(role, "admin") != 0))
		return usage();
	if (!valid_email(email, strlen(email))) {
		fprintf(stderr, "boxoffice: not a valid email address\n");
		return 2;
	}
	if (from_stdin) {
		size_t n;

		if (fgets(password, sizeof(password), stdin) == NULL) {
			fprintf(stderr, "boxoffice: no password on stdin\n");
			return 2;
		}
		n = strcspn(password, "\r\n");
		password[n] = '\0';
		if (n < 8) {
			fprintf(stderr, "boxoffice: the password needs at "
					"least 8 characters\n");
			return 2;
		}
	} else {
		auth_new_password(password);
	}
	if (auth_hash_password(password, hash) < 0) {
		fprintf(stderr, "boxoffice: out of memory hashing\n");
		return 1;
	}

	pg = PQconnectdb(app.cfg.database_url);
	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "boxoffice: cannot connect to the database\n");
		PQfinish(pg);
		return 1;
	}
	params[0] = email;
	params[1] = name;
	params[2] = role;
	params[3] = hash;
	r = PQexecParams(pg, SQL_USER_UPSERT, 4, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		bool created = strcmp(PQgetvalue(r, 0, 1), "t") == 0;

		printf("%s %s user %s\n", created ? "created" : "reset", role,
		       email);
		if (!from_stdin)
			printf("password: %s\n", password);
		rc = 0;
	} else {
		fprintf(stderr, "boxoffice: could not save the user (%s)\n",
			PQresultErrorField(r, PG_DIAG_SQLSTATE)
				? PQresultErrorField(r, PG_DIAG_SQLSTATE)
				: "no status");
	}
	PQclear(r);
	PQfinish(pg);
	sodium_memzero(password, sizeof(password));
	return rc;
}
