/*
 * outbox: delivery of queued mail by one background thread in every
 * worker process; the same thread runs the periodic housekeeping
 * (app/housekeeping.h).
 *
 * Messages are written to the outbox table in the same transaction as the
 * change they report; this thread delivers them. Processes coordinate only
 * through PostgreSQL: a message is claimed with FOR UPDATE SKIP LOCKED and
 * its row stays locked while it is sent, so two processes never send it at
 * once, and one that dies mid-send frees it at once (its transaction ends
 * with its connection).
 */
#ifndef BOXOFFICE_OUTBOX_H
#define BOXOFFICE_OUTBOX_H

/* Start the thread; 0 or -1. */
int outbox_start(void);

/* Deliver soon: a message was just committed. Cheap, never blocks long. */
void outbox_kick(void);

/* Finish the message in hand, then stop the thread. */
void outbox_stop(void);

#endif
