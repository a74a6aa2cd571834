/*
 * request: the toolkit a handler uses once the dispatcher has called it:
 * the JSON body, the request's pooled connection, one-statement
 * transactions, JSON documents built by PostgreSQL, and outcome tables
 * that turn a SQL function's result code into an HTTP answer.
 *
 * The answer convention (docs/ARCHITECTURE.md, "Answering"): a helper that
 * may answer the request returns an int, 0 to carry on (its out parameter
 * set), or the HTTP status it answered (res filled), which the handler
 * returns as it is:
 *
 *	if ((status = app_db(req, res, &c)) != 0)
 *		return status;
 *
 * A handler itself returns the HTTP status of its answer.
 */
#ifndef BOXOFFICE_REQUEST_H
#define BOXOFFICE_REQUEST_H

#include "../lib/db.h"
#include "../lib/http.h"

#include <stddef.h>
#include <stdint.h>

struct json_object;

/* The body as a JSON object (owned by the arena) in *body: 0, or the
 * status answered (400 invalid_json). */
int app_json_body(struct http_req *req, struct http_res *res,
		  struct json_object **body);

/*
 * The request's pooled connection in *c (the same one for every call
 * within a request), released with the arena: 0, or the status answered
 * (503 when none is free within 5 s).
 */
int app_db(struct http_req *req, struct http_res *res, struct db_conn **c);

/* The same, waiting at most timeout_ms; NULL without touching a response
 * (health and metrics answer a missing database themselves). */
struct db_conn *app_db_wait(struct http_req *req, int timeout_ms);

/*
 * The client network of the request (lib/net: an IPv4 address, an IPv6
 * /64) from REMOTE_ADDR, which nginx sets to the client it trusts; in
 * the arena, or NULL when the address is missing or not numeric.
 */
const char *app_client_net(struct http_req *req);

/* Answer a failed db status (never DB_OK): 503 unavailable for
 * DB_UNAVAILABLE, 503 busy with Retry-After for DB_RETRY (a transaction
 * that collided on every attempt), else 500. Returns the status answered. */
int app_db_error(struct http_res *res, enum db_status st);

/* Answer 500 internal_error (a bug, or out of memory). Returns 500. */
int app_internal_error(struct http_res *res);

/*
 * Run one statement (normally a SQL function call) as the whole of a
 * SERIALIZABLE transaction, retried on serialization failures. With
 * perf > 0 it runs under that performance's advisory lock, taken before
 * BEGIN (docs/ARCHITECTURE.md): every seat-changing write does this.
 * 0 with *row set to its one row (cleared with the arena), or the status
 * answered.
 */
int app_call(struct http_req *req, struct http_res *res, struct db_conn *c,
	     int64_t perf, const char *sql, const struct db_params *p,
	     PGresult **row);

/*
 * Run sql (a statement with one text parameter, or none when param is
 * NULL) that returns one JSON text in its first column, and answer with
 * status and {"<key>": <json>} (or the JSON itself when key is NULL);
 * 404 not_found when it returns no row. Returns the status answered.
 */
int app_document(struct http_req *req, struct http_res *res, int status,
		 const char *sql, const char *param, const char *key);

/* The one column of the statements app_document runs. */
enum { APP_DOC_JSON };

struct jsonw;

/* "ticket": {"url", "qr_svg", "qr_png"}, the links of a confirmed
 * reservation's ticket token, as every confirmed answer carries them. */
void app_ticket_member(struct jsonw *w, struct arena *a, const char *ticket);

/* Write a JSON object {"<key>": <json>} as the body. Returns status. */
int app_json_wrap(struct http_res *res, int status, const char *key,
		  const char *json);

/*
 * One row of an endpoint's outcome table: what the HTTP answer is for one
 * result code of its SQL function. A 2xx row is a success the handler
 * answers itself; any other row is an error answered from the table:
 * {"error": {"code", "message"}} plus, when `fields` is set, that JSON
 * object as "fields", or when `member` is set, that member with the value
 * the handler passes (a number from the row, e.g. "seats_available").
 * The tables are the endpoints' error contracts; tests/shape checks each
 * against docs/API.md.
 */
struct outcome {
	const char *result;	/* the SQL function's o_result */
	int status;
	const char *code;	/* the error code (NULL for a success) */
	const char *message;
	const char *fields;	/* JSON object of field errors, or NULL */
	const char *member;	/* extra error member, or NULL */
};

#define OUTCOMES(t) (t), (sizeof(t) / sizeof((t)[0]))

/* The row of t for result, or NULL. */
const struct outcome *outcome_find(const struct outcome *t, size_t n,
				   const char *result);

/*
 * Look result up in t: 0 with *o set for a success row (the handler
 * answers), or the status answered: the row's error (with member_value
 * for its member), or 500 for a result the table does not know.
 */
int app_outcome(struct http_res *res, const struct outcome *t, size_t n,
		const char *result, const char *member_value,
		const struct outcome **o);

#endif
