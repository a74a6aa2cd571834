/*
 * audit: audit entries for admin writes made from C.
 */
#include "audit.h"

#include "auth.h"

#include "../lib/http.h"

static const char SQL_AUDIT[] =
	"SELECT audit_record($1::bigint, $2, $3, $4, $5::bigint, $6::jsonb,"
	" $7::jsonb)";

enum db_status audit_write(struct db_conn *c, struct http_req *req,
			   const char *action, const char *entity,
			   const char *entity_id, const char *before_json,
			   const char *after_json)
{
	const struct auth_user *u = auth_user(req);
	const char *params[7] = {u != NULL ? u->id_text : NULL,
				 req->request_id, action, entity, entity_id,
				 before_json, after_json};

	return db_exec(c, req->arena, SQL_AUDIT, 7, params, NULL);
}

void audit_params(struct db_params *p, const struct http_req *req)
{
	const struct auth_user *u = auth_user(req);

	db_param(p, u != NULL ? u->id_text : NULL);
	db_param(p, req->request_id);
}

struct audited {
	struct http_req *req;
	const char *action, *entity, *sql;
	int nparams;
	const char *const *params;
	PGresult *row;
};

static enum db_status audited_tx(struct db_conn *c, struct arena *a,
				 void *ctx)
{
	struct audited *w = ctx;
	enum db_status st;

	st = db_exec(c, a, w->sql, w->nparams, w->params, &w->row);
	if (st != DB_OK || PQntuples(w->row) == 0)
		return st;
	return audit_write(c, w->req, w->action, w->entity,
			   db_val(w->row, 0, AUDIT_ID),
			   db_null(w->row, 0, AUDIT_BEFORE)
				   ? NULL : db_val(w->row, 0, AUDIT_BEFORE),
			   db_null(w->row, 0, AUDIT_AFTER)
				   ? NULL : db_val(w->row, 0, AUDIT_AFTER));
}

enum db_status audit_tx(struct db_conn *c, struct http_req *req,
			const char *action, const char *entity,
			const char *sql, int nparams,
			const char *const *params, PGresult **row)
{
	struct audited w = {req, action, entity, sql, nparams, params, NULL};
	enum db_status st = db_tx(c, req->arena, audited_tx, &w, NULL);

	*row = st == DB_OK ? w.row : NULL;
	return st;
}
