/*
 * notices: the messages of the theatre's own changes (a cancelled or a
 * moved performance) and the reminders, which the statement that decides
 * them queues with no body, one per reservation; the outbox renders each
 * here when it first claims it.
 */
#ifndef BOXOFFICE_NOTICES_H
#define BOXOFFICE_NOTICES_H

#include <stdbool.h>

struct arena;
struct buf;
struct db_conn;

/* notices_render(): the message is no longer due (a reminder of a
 * reservation cancelled meanwhile); the outbox drops it unsent. */
#define NOTICES_OBSOLETE 1

/* true for the outbox kinds this module renders. */
bool notices_kind(const char *kind);

/*
 * Render the message of outbox row id (a notices_kind()) from its
 * reservation and performance, as they are now, into out (initialised
 * by the caller). 0, NOTICES_OBSOLETE, or -1 (no such row or
 * reservation, a database error, or a message that cannot be rendered).
 */
int notices_render(struct db_conn *c, struct arena *a, const char *id,
		   struct buf *out);

#endif
