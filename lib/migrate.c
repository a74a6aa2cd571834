/*
 * migrate: the migrations runner.
 */
#include "migrate.h"

#include "log.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILES 1000

/* true when name looks like "001_schema.sql". */
static int migrate_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n < 9 || n > 120 || strcmp(name + n - 4, ".sql") != 0)
		return 0;
	for (int i = 0; i < 3; i++)
		if (!isdigit((unsigned char)name[i]))
			return 0;
	if (name[3] != '_')
		return 0;
	for (size_t i = 4; i < n - 4; i++)
		if (!islower((unsigned char)name[i]) &&
		    !isdigit((unsigned char)name[i]) && name[i] != '_')
			return 0;
	return 1;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int ok(PGresult *r, const char *what)
{
	ExecStatusType st = PQresultStatus(r);
	int good = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

	if (!good)
		log_event(LOG_ERROR, NULL, "migrate_failed", "%s: %s", what,
			  PQresultErrorMessage(r));
	PQclear(r);
	return good;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		data = malloc((size_t)n + 1);
		if (data != NULL && fread(data, 1, (size_t)n, f) != (size_t)n) {
			free(data);
			data = NULL;
		} else if (data != NULL) {
			data[n] = '\0';
		}
	}
	fclose(f);
	return data;
}

static int applied(PGconn *pg, const char *version)
{
	const char *params[1] = {version};
	PGresult *r = PQexecParams(
		pg, "SELECT 1 FROM schema_migrations WHERE version = $1", 1,
		NULL, params, NULL, NULL, 0);
	int yes = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;

	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		yes = -1;
	PQclear(r);
	return yes;
}

static int apply(PGconn *pg, const char *dir, const char *name)
{
	char path[4096];
	char *sql;
	const char *params[1] = {name};
	int good;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	sql = slurp(path);
	if (sql == NULL) {
		log_event(LOG_ERROR, NULL, "migrate_failed", "cannot read %s",
			  path);
		return -1;
	}
	good = ok(PQexec(pg, "BEGIN"), "BEGIN") && ok(PQexec(pg, sql), name) &&
	       ok(PQexecParams(pg,
			       "INSERT INTO schema_migrations (version) "
			       "VALUES ($1)",
			       1, NULL, params, NULL, NULL, 0),
		  "record") &&
	       ok(PQexec(pg, "COMMIT"), "COMMIT");
	free(sql);
	if (!good) {
		PQclear(PQexec(pg, "ROLLBACK"));
		return -1;
	}
	log_event(LOG_INFO, NULL, "migrate_applied", "%s", name);
	return 0;
}

int migrate_run(PGconn *pg, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *names[MAX_FILES];
	int n = 0, done = 0, rc = 0;

	if (d == NULL) {
		log_event(LOG_ERROR, NULL, "migrate_failed",
			  "cannot open directory %s", dir);
		return -1;
	}
	while ((e = readdir(d)) != NULL && n < MAX_FILES)
		if (migrate_name_ok(e->d_name) &&
		    (names[n] = strdup(e->d_name)) != NULL)
			n++;
	closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]), cmp);

	if (!ok(PQexec(pg, "SELECT pg_advisory_lock(-7316001)"), "lock") ||
	    !ok(PQexec(pg, "CREATE TABLE IF NOT EXISTS schema_migrations ("
			   " version text PRIMARY KEY,"
			   " applied_at timestamptz NOT NULL DEFAULT now())"),
		"schema_migrations"))
		rc = -1;
	for (int i = 0; i < n && rc == 0; i++) {
		int a = applied(pg, names[i]);

		if (a < 0 || (a == 0 && apply(pg, dir, names[i]) < 0))
			rc = -1;
		else if (a == 0)
			done++;
	}
	PQclear(PQexec(pg, "SELECT pg_advisory_unlock_all()"));
	for (int i = 0; i < n; i++)
		free(names[i]);
	return rc < 0 ? -1 : done;
}
