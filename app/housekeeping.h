/*
 * housekeeping: the periodic work every worker does, coordinated through
 * PostgreSQL (no broker): marking lapsed holds expired (bookkeeping only:
 * a hold stops counting by time, docs/ARCHITECTURE.md) and emptying the
 * personal data of reservations BOXOFFICE_PURGE_DAYS after their
 * performance. The outbox thread calls it every BOXOFFICE_SWEEP_SECONDS.
 */
#ifndef BOXOFFICE_HOUSEKEEPING_H
#define BOXOFFICE_HOUSEKEEPING_H

struct arena;

#include <stddef.h>

/* One round of housekeeping, with a pooled connection (none free within
 * 2 s: skipped until the next round). Uses a; the caller resets it. */
void housekeeping_run(struct arena *a);

/*
 * The tag (lib/smtp.h, mail_send_file) under which the file mail backend
 * writes the message with this outbox id: the purge of the reservation's
 * personal data finds and removes the file by it. n >= MAIL_TAG_MAX + 1.
 */
void housekeeping_mail_tag(char *tag, size_t n, const char *outbox_id);

#endif
