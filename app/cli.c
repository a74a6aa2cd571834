/*
 * cli: the command-line commands (app/cli.h). Each runs once and exits,
 * with its own libpq connection rather than the workers' pool.
 */
#include "cli.h"

#include "app.h"
#include "auth.h"

#include "../lib/log.h"
#include "../lib/migrate.h"
#include "../lib/valid.h"

#include <libpq-fe.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { UPSERT_ID, UPSERT_CREATED };
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

static int migrate(void)
{
	PGconn *pg = NULL;
	int n;

	/* The database may still be starting (compose): wait up to 30 s. */
	for (int i = 0; i < 60; i++) {
		pg = PQconnectdb(app.cfg.database_url);
		if (PQstatus(pg) == CONNECTION_OK)
			break;
		PQfinish(pg);
		pg = NULL;
		usleep(500000);
	}
	if (pg == NULL) {
		log_event(LOG_ERROR, NULL, "migrate_failed",
			  "cannot connect to the database");
		return 1;
	}
	n = migrate_run(pg, app.cfg.sql_dir);
	PQfinish(pg);
	if (n < 0)
		return 1;
	log_event(LOG_INFO, NULL, "migrate_done", "%d migration(s) applied", n);
	return 0;
}

/* The route table as JSON lines, for the authorization tests. */
static int routes(void)
{
	/* The metrics route is an admin route that also takes a token; a
	 * route whose statement checks the session is a staff route. */
	static const char *const access[] = {
		[ACCESS_PUBLIC] = "public", [ACCESS_STAFF] = "staff",
		[ACCESS_STAFF_STATEMENT] = "staff", [ACCESS_ADMIN] = "admin",
		[ACCESS_METRICS] = "admin"};

	for (size_t i = 0; i < app_nroutes; i++)
		printf("{\"method\":\"%s\",\"pattern\":\"%s\",\"access\":\"%s\"}\n",
		       router_method_name(app_routes[i].method),
		       app_routes[i].pattern, access[app_routes[i].access]);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: boxoffice user add --email EMAIL "
			"--role staff|admin [--name NAME] [--password-stdin]\n");
	return 2;
}

struct user_args {
	const char *email, *role, *name;
	bool from_stdin;
	char password[1025];
};

/* The options of `user add`, and the password: 0, or the exit status. */
static int user_args(int argc, char **argv, struct user_args *u)
{
	size_t n;

	u->email = u->role = NULL;
	u->name = "";
	u->from_stdin = false;
	if (argc < 1 || strcmp(argv[0], "add") != 0)
		return usage();
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--email") == 0 && i + 1 < argc)
			u->email = argv[++i];
		else if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
			u->role = argv[++i];
		else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
			u->name = argv[++i];
		else if (strcmp(argv[i], "--password-stdin") == 0)
			u->from_stdin = true;
		else
			return usage();
	}
	if (u->email == NULL || u->role == NULL ||
	    (strcmp(u->role, "staff") != 0 && strcmp(u->role, "admin") != 0))
		return usage();
	if (!valid_email(u->email, strlen(u->email))) {
		fprintf(stderr, "boxoffice: not a valid email address\n");
		return 2;
	}
	if (!u->from_stdin) {
		auth_new_password(u->password);
		return 0;
	}
	if (fgets(u->password, sizeof(u->password), stdin) == NULL) {
		fprintf(stderr, "boxoffice: no password on stdin\n");
		return 2;
	}
	n = strcspn(u->password, "\r\n");
	u->password[n] = '\0';
	if (n < 8) {
		fprintf(stderr, "boxoffice: the password needs at "
				"least 8 characters\n");
		return 2;
	}
	return 0;
}

static int user_add(int argc, char **argv)
{
	struct user_args u;
	char hash[crypto_pwhash_STRBYTES];
	const char *params[4];
	PGconn *pg;
	PGresult *r;
	int rc = user_args(argc, argv, &u);

	if (rc != 0)
		return rc;
	rc = 1;
	if (auth_hash_password(u.password, hash) < 0) {
		fprintf(stderr, "boxoffice: out of memory hashing\n");
		return 1;
	}

	pg = PQconnectdb(app.cfg.database_url);
	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "boxoffice: cannot connect to the database\n");
		PQfinish(pg);
		return 1;
	}
	params[0] = u.email;
	params[1] = u.name;
	params[2] = u.role;
	params[3] = hash;
	r = PQexecParams(pg, SQL_USER_UPSERT, 4, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		bool created = strcmp(PQgetvalue(r, 0, UPSERT_CREATED), "t") == 0;

		printf("%s %s user %s\n", created ? "created" : "reset",
		       u.role, u.email);
		if (!u.from_stdin)
			printf("password: %s\n", u.password);
		rc = 0;
	} else {
		fprintf(stderr, "boxoffice: could not save the user (%s)\n",
			PQresultErrorField(r, PG_DIAG_SQLSTATE)
				? PQresultErrorField(r, PG_DIAG_SQLSTATE)
				: "no status");
	}
	PQclear(r);
	PQfinish(pg);
	sodium_memzero(u.password, sizeof(u.password));
	return rc;
}

int cli_run(int argc, char **argv)
{
	if (strcmp(argv[1], "migrate") == 0)
		return migrate();
	if (strcmp(argv[1], "user") == 0)
		return user_add(argc - 2, argv + 2);
	if (strcmp(argv[1], "routes") == 0)
		return routes();
	fprintf(stderr, "usage: boxoffice [migrate | routes | "
			"user add --email E --role staff|admin]\n");
	return 2;
}
