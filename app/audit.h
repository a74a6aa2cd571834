/*
 * audit: the record of every admin write: who (the signed-in user), what
 * (an action on an entity), which row, the row before and after, when,
 * and the request it came with. The entry is written in the transaction
 * of the write it records, so neither exists without the other.
 *
 * Writes made by SQL functions (sql/005_admin.sql) record themselves
 * through the same SQL function, audit_record(), that audit_write() calls;
 * it strips any password hash, whoever passes the row.
 */
#ifndef BOXOFFICE_AUDIT_H
#define BOXOFFICE_AUDIT_H

#include "../lib/db.h"

struct http_req;

/*
 * Insert one entry for the user and request of req (a guarded route).
 * entity_id is the row's id as decimal text; before_json and after_json
 * are JSON object texts of the row (NULL for none, as before a create or
 * after a delete). Call inside the write's transaction, e.g. from a
 * db_tx callback. Returns the db status of the insert.
 */
enum db_status audit_write(struct db_conn *c, struct http_req *req,
			   const char *action, const char *entity,
			   const char *entity_id, const char *before_json,
			   const char *after_json);

/*
 * Run one data-modifying statement and its audit entry as one
 * SERIALIZABLE transaction (retried as db_tx does). The statement returns
 * no row when it matched nothing (nothing is recorded) or one row whose
 * first columns are: 0 the row's id, 1 the row before as JSON (NULL on
 * create), 2 the row after (NULL on delete); later columns are the
 * caller's. On DB_OK *row is that result, cleared with the arena. Other
 * statuses (DB_CONFLICT for a unique violation, DB_CONSTRAINT for a
 * foreign key, ...) are left to the caller to answer.
 */
/*
 * Append the two parameters every audited SQL function takes last
 * (sql/005_admin.sql): the signed-in user's id and the request id.
 */
void audit_params(struct db_params *p, const struct http_req *req);

enum audit_col {
	AUDIT_ID,	/* the row's id */
	AUDIT_BEFORE,	/* the row before, JSON, or NULL */
	AUDIT_AFTER,	/* the row after, JSON, or NULL */
	AUDIT_DOC	/* the first of the caller's: the document to answer */
};

enum db_status audit_tx(struct db_conn *c, struct http_req *req,
			const char *action, const char *entity,
			const char *sql, int nparams,
			const char *const *params, PGresult **row);

#endif
