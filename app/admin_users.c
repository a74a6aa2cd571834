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
 * Writes for audit_tx(): id, before, after, then the document.
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
				       "reservation", "checkin", "user"};
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

int admin_users_create(struct http_req *req, struct http_res *res)
{
	struct json_object *body = app_json_body(req, res);
	const char *email, *name, *role;
	char pw[21], hash[crypto_pwhash_STRBYTES];
	struct admin_fields f;
	struct db_conn *c;
	PGresult *row;
	int st;

	if (body == NULL)
		return res->status;
	admin_fields_init(&f, req->arena);
	if (admin_text(req->arena, body, &f, "email", 254,
		       ADMIN_REQUIRED | ADMIN_NONEMPTY, &email) == ADMIN_SET &&
	    !valid_email(email, strlen(email)))
		admin_field_error(&f, "email", "invalid");
	admin_text(req->arena, body, &f, "name", 120, 0, &name);
	if (admin_text(req->arena, body, &f, "role", 10,
		       ADMIN_REQUIRED | ADMIN_NONEMPTY, &role) == ADMIN_SET &&
	    strcmp(role, "staff") != 0 && strcmp(role, "admin") != 0)
		admin_field_error(&f, "role", "invalid");
	if (f.n > 0)
		return admin_fields_answer(res, &f);

	c = app_db(req, res);
	if (c == NULL)
		return res->status;
	if (new_password(pw, hash) < 0)
		return http_error(res, 500, "internal_error", "internal error");
	{
		const char *params[4] = {email, name, role, hash};

		st = audit_tx(c, req, "create", "user", SQL_USER_CREATE, 4,
			      params, &row);
	}
	sodium_memzero(hash, sizeof(hash));
	if (st == DB_OK && PQntuples(row) == 1) {
		log_event(LOG_INFO, req->request_id, "user_created",
			  "user %s (%s) by user %s", db_val(row, 0, 0), role,
			  auth_user(req)->id_text);
		st = with_password(res, 201, db_val(row, 0, 3), pw);
	} else if (st == DB_OK || st == DB_CONFLICT) {
		st = http_error_fields(res, 409, "conflict",
				       "a user with this email exists",
				       "{\"email\":\"taken\"}");
	} else {
		st = app_db_error(res, st);
	}
	sodium_memzero(pw, sizeof(pw));
	return st;
}

int admin_users_password(struct http_req *req, struct http_res *res)
{
	char pw[21], hash[crypto_pwhash_STRBYTES];
	struct db_conn *c;
	PGresult *row;
	int st;

	c = app_db(req, res);
	if (c == NULL)
		return res->status;
	if (new_password(pw, hash) < 0)
		return http_error(res, 500, "internal_error", "internal error");
	{
		const char *params[2] = {http_param(req, "id"), hash};

		st = audit_tx(c, req, "reset_password", "user",
			      SQL_USER_PASSWORD, 2, params, &row);
	}
	sodium_memzero(hash, sizeof(hash));
	if (st == DB_OK && PQntuples(row) == 1) {
		log_event(LOG_INFO, req->request_id, "user_password_reset",
			  "user %s by user %s", db_val(row, 0, 0),
			  auth_user(req)->id_text);
		st = with_password(res, 200, db_val(row, 0, 3), pw);
	} else if (st == DB_OK) {
		st = http_error(res, 404, "not_found", "no such user");
	} else {
		st = app_db_error(res, st);
	}
	sodium_memzero(pw, sizeof(pw));
	return st;
}

static int set_active(struct http_req *req, struct http_res *res,
		      bool active)
{
	const char *params[2] = {http_param(req, "id"),
				 active ? "true" : "false"};
	struct db_conn *c;
	PGresult *row;
	int st;

	if (!active && admin_path_id(req) == auth_user(req)->id)
		return http_error(res, 409, "self",
				  "you cannot deactivate your own account");
	c = app_db(req, res);
	if (c == NULL)
		return res->status;
	st = audit_tx(c, req, active ? "activate" : "deactivate", "user",
		      SQL_USER_ACTIVE, 2, params, &row);
	if (st != DB_OK)
		return app_db_error(res, st);
	if (PQntuples(row) == 0)
		return http_error(res, 404, "not_found", "no such user");
	log_event(LOG_INFO, req->request_id,
		  active ? "user_activated" : "user_deactivated",
		  "user %s by user %s", db_val(row, 0, 0),
		  auth_user(req)->id_text);
	return app_json_wrap(res, 200, "user", db_val(row, 0, 3));
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
	struct admin_fields f;
	struct db_conn *c;
	PGresult *r;
	int64_t n;
	int st;

	admin_fields_init(&f, req->arena);
	if (entity != NULL && *entity != '\0') {
		bool known = false;

		for (size_t i = 0; i < NENTITIES; i++)
			known = known || strcmp(entity, ENTITIES[i]) == 0;
		if (!known)
			admin_field_error(&f, "entity", "invalid");
	} else {
		entity = NULL;
	}
	admin_query_id(req, &f, "entity_id", &entity_id);
	if (limit_s != NULL && *limit_s != '\0') {
		if (!str_to_i64(limit_s, strlen(limit_s), 1, 500, &n))
			admin_field_error(&f, "limit", "out_of_range");
		limit = limit_s;
	}
	if (f.n > 0)
		return admin_fields_answer(res, &f);

	c = app_db(req, res);
	if (c == NULL)
		return res->status;
	{
		const char *params[3] = {entity, entity_id, limit};

		st = db_query(c, req->arena, SQL_AUDIT, 3, params, &r);
	}
	if (st != DB_OK)
		return app_db_error(res, st);
	return app_json_wrap(res, 200, "entries", db_val(r, 0, 0));
}
