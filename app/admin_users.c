/*
 * admin_users: staff and admin accounts, and the audit log.
 *
 * Passwords are generated here (auth_new_password), shown once in the
 * response that created them, and stored only as an Argon2id hash. The
 * hash is computed before the transaction starts, so a retried
 * transaction never hashes twice and holds no lock while it works. No
 * response, log line or audit entry ever carries a hash.
 *
 * Deactivating a user also deletes their sessions in the same statement:
 * they are signed out everywhere at once. Resetting a password does too,
 * since a reset is what one does when a password may be known to someone
 * else. An admin cannot deactivate themself, so there is always one
 * active admin left to undo a mistake.
 */
#include "admin.h"

#include "app.h"
#include "audit.h"
#include "auth.h"
#include "input.h"
#include "request.h"

#include "../lib/arena.h"
#include "../lib/db.h"
#include "../lib/log.h"
#include "../lib/valid.h"

#include <json-c/json.h>
#include <sodium.h>
#include <string.h>

#define USER_JSON                                                           \
	"json_build_object('id', u.id, 'email', u.email, 'name', u.name,"    \
	" 'role', u.role, 'active', u.active,"                               \
	" 'locked_until', CASE WHEN u.locked_until > now()"                  \
	"  THEN u.locked_until END,"                                         \
	" 'last_login_at', u.last_login_at,"                                 \
	" 'created_at', u.created_at, 'updated_at', u.updated_at)"

/* The row for the audit log: never the hash (audit_record() drops it
 * too). */
#define USER_ROW(t) "(to_jsonb(" t ") - 'password_hash')::text"

static const char SQL_USERS[] =
	"SELECT coalesce(json_agg(" USER_JSON " ORDER BY lower(u.email), u.id),"
	" '[]')::text FROM users u";

/*
 * Writes for audit_tx(): enum audit_col (audit.h).
 *
 * A taken email gives no row rather than a unique violation, whose
 * error PostgreSQL would write to its own log with the address in it.
 */
static const char SQL_USER_CREATE[] =
	"WITH u AS (INSERT INTO users (email, name, role, password_hash)"
	"  VALUES ($1, coalesce($2, ''), $3, $4)"
	"  ON CONFLICT ((lower(email))) DO NOTHING RETURNING *)"
	" SELECT u.id, NULL, " USER_ROW("u") ", " USER_JSON "::text FROM u";

static const char SQL_USER_PASSWORD[] =
	"WITH o AS (SELECT * FROM users WHERE id = $1::bigint),"
	" u AS (UPDATE users x SET password_hash = $2, failed_logins = 0,"
	"  locked_until = NULL, updated_at = now() FROM o WHERE x.id = o.id"
	"  RETURNING x.*),"
	" s AS (DELETE FROM sessions WHERE user_id IN (SELECT id FROM u))"
	" SELECT u.id, " USER_ROW("o") ", " USER_ROW("u") ", "
	USER_JSON "::text FROM o, u";

static const char SQL_USER_ACTIVE[] =
	"WITH o AS (SELECT * FROM users WHERE id = $1::bigint),"
	" u AS (UPDATE users x SET active = $2::boolean, updated_at = now()"
	"  FROM o WHERE x.id = o.id RETURNING x.*),"
	" s AS (DELETE FROM sessions WHERE NOT $2::boolean"
	"  AND user_id IN (SELECT id FROM u))"
	" SELECT u.id, " USER_ROW("o") ", " USER_ROW("u") ", "
	USER_JSON "::text FROM o, u";

static const char SQL_AUDIT[] =
	"SELECT coalesce(json_agg(json_build_object('id', a.id, 'at', a.at,"
	"  'user_id', a.user_id, 'user_email', u.email, 'action', a.action,"
	"  'entity', a.entity, 'entity_id', a.entity_id, 'before', a.before,"
	"  'after', a.after, 'request_id', a.request_id)"
	"  ORDER BY a.at DESC, a.id DESC), '[]')::text"
	" FROM (SELECT * FROM audit_log"
	"  WHERE ($1::text IS NULL OR entity = $1)"
	"  AND ($2::bigint IS NULL OR entity_id = $2::bigint)"
	"  ORDER BY at DESC, id DESC LIMIT $3::integer) a"
	" LEFT JOIN users u ON u.id = a.user_id";

static const char *const ENTITIES[] = {"venue", "show", "performance",
				       "reservation", "checkin", "user",
				       "site", "media"};
#define NENTITIES (sizeof(ENTITIES) / sizeof(ENTITIES[0]))

/* {"user": <doc>, "password": "<shown once>"} */
static int with_password(struct http_res *res, int status, const char *doc,
			 const char *password)
{
	struct jsonw w;

	jsonw_init(&w, &res->body);
	jsonw_obj(&w);
	jsonw_key(&w, "user");
	jsonw_raw(&w, doc, strlen(doc));
	jsonw_key(&w, "password");
	jsonw_str(&w, password);
	jsonw_end(&w);
	return status;
}

/* A new password and its hash; -1 when hashing failed (out of memory). */
static int new_password(char pw[21], char hash[crypto_pwhash_STRBYTES])
{
	auth_new_password(pw);
	return auth_hash_password(pw, hash);
}

int admin_users_list(struct http_req *req, struct http_res *res)
{
	return app_document(req, res, 200, SQL_USERS, NULL, "users");
}

/* The body of a new user checked: 0, or the status answered (422). */
static int user_input(struct http_req *req, struct http_res *res,
		      struct json_object *body, const char **email,
		      const char **name, const char **role)
{
	const int required = INPUT_REQUIRED | INPUT_NONEMPTY;
	struct input_fields f;

	input_fields_init(&f, req->arena);
	if (input_text(req->arena, body, &f, "email", VALID_EMAIL_MAX,
		       required, email) == INPUT_SET &&
	    !valid_email(*email, strlen(*email)))
		input_field_error(&f, "email", "invalid");
	input_text(req->arena, body, &f, "name", BOOKING_NAME_MAX, 0, name);
	if (input_text(req->arena, body, &f, "role", 10, required, role) ==
		    INPUT_SET &&
	    strcmp(*role, "staff") != 0 && strcmp(*role, "admin") != 0)
		input_field_error(&f, "role", "invalid");
	return f.n > 0 ? input_fields_answer(res, &f) : 0;
}

int admin_users_create(struct http_req *req, struct http_res *res)
{
	const char *email, *name, *role;
	char pw[21], hash[crypto_pwhash_STRBYTES];
	struct json_object *body;
	struct db_conn *c;
	enum db_status st;
	PGresult *row;
	int status;

	if ((status = app_json_body(req, res, &body)) != 0 ||
	    (status = user_input(req, res, body, &email, &name, &role)) != 0 ||
	    (status = app_db(req, res, &c)) != 0)
		return status;
	if (new_password(pw, hash) < 0)
		return app_internal_error(res);
	{
		const char *params[4] = {email, name, role, hash};

		st = audit_tx(c, req, "create", "user", SQL_USER_CREATE, 4,
			      params, &row);
	}
	sodium_memzero(hash, sizeof(hash));
	if (st == DB_OK && PQntuples(row) == 1) {
		log_event(LOG_INFO, req->request_id, "user_created",
			  "user %s (%s) by user %s", db_val(row, 0, AUDIT_ID),
			  role, auth_user(req)->id_text);
		status = with_password(res, 201, db_val(row, 0, AUDIT_DOC), pw);
	} else if (st == DB_OK || st == DB_CONFLICT) {
		status = http_error_fields(res, 409, "conflict",
					   "a user with this email exists",
					   "{\"email\":\"taken\"}");
	} else {
		status = app_db_error(res, st);
	}
	sodium_memzero(pw, sizeof(pw));
	return status;
}

int admin_users_password(struct http_req *req, struct http_res *res)
{
	char pw[21], hash[crypto_pwhash_STRBYTES];
	struct db_conn *c;
	enum db_status st;
	PGresult *row;
	int status;

	if ((status = app_db(req, res, &c)) != 0)
		return status;
	if (new_password(pw, hash) < 0)
		return app_internal_error(res);
	{
		const char *params[2] = {http_param(req, "id"), hash};

		st = audit_tx(c, req, "reset_password", "user",
			      SQL_USER_PASSWORD, 2, params, &row);
	}
	sodium_memzero(hash, sizeof(hash));
	if (st == DB_OK && PQntuples(row) == 1) {
		log_event(LOG_INFO, req->request_id, "user_password_reset",
			  "user %s by user %s", db_val(row, 0, AUDIT_ID),
			  auth_user(req)->id_text);
		status = with_password(res, 200, db_val(row, 0, AUDIT_DOC), pw);
	} else if (st == DB_OK) {
		status = http_error(res, 404, "not_found", "no such user");
	} else {
		status = app_db_error(res, st);
	}
	sodium_memzero(pw, sizeof(pw));
	return status;
}

static int set_active(struct http_req *req, struct http_res *res,
		      bool active)
{
	const char *params[2] = {http_param(req, "id"),
				 active ? "true" : "false"};
	struct db_conn *c;
	enum db_status st;
	PGresult *row;
	int status;

	if (!active && input_path_id(req) == auth_user(req)->id)
		return http_error(res, 409, "self",
				  "you cannot deactivate your own account");
	if ((status = app_db(req, res, &c)) != 0)
		return status;
	st = audit_tx(c, req, active ? "activate" : "deactivate", "user",
		      SQL_USER_ACTIVE, 2, params, &row);
	if (st != DB_OK)
		return app_db_error(res, st);
	if (PQntuples(row) == 0)
		return http_error(res, 404, "not_found", "no such user");
	log_event(LOG_INFO, req->request_id,
		  active ? "user_activated" : "user_deactivated",
		  "user %s by user %s", db_val(row, 0, AUDIT_ID),
		  auth_user(req)->id_text);
	return app_json_wrap(res, 200, "user", db_val(row, 0, AUDIT_DOC));
}

int admin_users_deactivate(struct http_req *req, struct http_res *res)
{
	return set_active(req, res, false);
}

int admin_users_activate(struct http_req *req, struct http_res *res)
{
	return set_active(req, res, true);
}

int admin_audit_list(struct http_req *req, struct http_res *res)
{
	const char *entity = http_query(req, "entity");
	const char *limit_s = http_query(req, "limit");
	const char *entity_id, *limit = "100";
	struct input_fields f;
	struct db_conn *c;
	enum db_status st;
	PGresult *r;
	int64_t n;
	int status;

	input_fields_init(&f, req->arena);
	if (entity != NULL && *entity != '\0') {
		bool known = false;

		for (size_t i = 0; i < NENTITIES; i++)
			known = known || strcmp(entity, ENTITIES[i]) == 0;
		if (!known)
			input_field_error(&f, "entity", "invalid");
	} else {
		entity = NULL;
	}
	input_query_id(req, &f, "entity_id", &entity_id);
	if (limit_s != NULL && *limit_s != '\0') {
		if (!str_to_i64(limit_s, strlen(limit_s), 1, 500, &n))
			input_field_error(&f, "limit", "out_of_range");
		limit = limit_s;
	}
	if (f.n > 0)
		return input_fields_answer(res, &f);

	if ((status = app_db(req, res, &c)) != 0)
		return status;
	{
		const char *params[3] = {entity, entity_id, limit};

		st = db_query(c, req->arena, SQL_AUDIT, 3, params, &r);
	}
	if (st != DB_OK)
		return app_db_error(res, st);
	return app_json_wrap(res, 200, "entries", db_val(r, 0, APP_DOC_JSON));
}
