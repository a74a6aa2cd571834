/*
 * migrate: apply sql/NNN_name.sql files once each, in order.
 *
 * Applied versions are recorded in schema_migrations. Each file runs in
 * its own transaction together with its record, under an advisory lock so
 * that two migrators started at once (compose and a developer) take turns.
 */
#ifndef BOXOFFICE_MIGRATE_H
#define BOXOFFICE_MIGRATE_H

#include <libpq-fe.h>

/*
 * Apply the pending migrations in dir. Returns the number applied, or -1
 * (with the reason logged). The files are trusted: they are the program's
 * own, so they run as plain multi-statement scripts.
 */
int migrate_run(PGconn *pg, const char *dir);

#endif
