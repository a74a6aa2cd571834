/*
 * mails: the words of the messages visitors receive, in Italian and
 * English, rendered to complete MIME messages for the outbox.
 */
#ifndef BOXOFFICE_MAILS_H
#define BOXOFFICE_MAILS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct arena;
struct buf;

/* A show without a duration lasts this long in its calendar event. */
#define MAILS_DEFAULT_MINUTES 120

/* What a message says about a booking (all UTF-8, all required). */
struct mails_booking {
	int64_t reservation_id;
	const char *name;
	const char *email;
	const char *locale;	/* "it" or "en" */
	int seats;
	const char *show_title;
	const char *venue_name;
	const char *venue_address;	/* "Via ..., City" */
	time_t starts_at;
	int duration_minutes;
	/* Local start time as "YYYY MM DD HH:MI D" (D = ISO weekday). */
	const char *local_start;
	/* The calendar event's SEQUENCE (the performance's schedule_seq),
	 * and whether the event is cancelled (METHOD:CANCEL). */
	int sequence;
	bool cancelled;
	/* The short booking code the door also accepts (sql/011), shown
	 * next to the QR of the ticket; NULL or "" for none. */
	const char *code;
};

/* The date of a performance in words: "sabato 28 novembre 2026, 20:30". */
const char *mails_date(struct arena *a, const char *locale,
		       const char *local_start);

/*
 * The "please confirm" message with the link carrying the confirm token.
 * It goes to an address nobody has verified yet, so it quotes nothing the
 * visitor typed (no name, no notes: the form must not be a way to mail
 * any text under the theatre's name) and its only link is the
 * confirmation link.
 */
int mails_confirm(struct arena *a, const struct mails_booking *b,
		  const char *confirm_token, int hold_minutes,
		  struct buf *out);

/* The content type of the calendar file, in the mail and on the web. */
#define MAILS_ICS_TYPE "text/calendar; charset=utf-8; method=PUBLISH"
#define MAILS_ICS_CANCEL_TYPE "text/calendar; charset=utf-8; method=CANCEL"

/*
 * The calendar file of a confirmed booking (lib/ics), the one source of
 * it: attached to the ticket email and served at
 * /api/tickets/{token}/event.ics, so both give the same event (same UID).
 * ticket_url is the ticket page's URL, or NULL in the messages that
 * hold no token. The UID is the reservation's; b->sequence and
 * b->cancelled make it an update or a cancel of that same event.
 * 0, or -1 when out of memory.
 */
int mails_event(struct arena *a, const struct mails_booking *b,
		const char *ticket_url, struct buf *out);

/* The ticket: QR inline, the ticket link, the manage link, an .ics. */
int mails_ticket(struct arena *a, const struct mails_booking *b,
		 const char *confirm_token, const char *ticket_token,
		 struct buf *out);

/*
 * The theatre's messages, rendered by app/notices when the outbox first
 * claims them; they hold no token. The cancellation carries the admin's
 * message (may be empty), an apology, the programme's link and a
 * METHOD:CANCEL event; the move the new date, time and place and the
 * updated event (same UID, b->sequence higher).
 */
int mails_performance_cancelled(struct arena *a, const struct mails_booking *b,
				const char *message, struct buf *out);
int mails_performance_moved(struct arena *a, const struct mails_booking *b,
			    const char *show_slug, struct buf *out);

/*
 * The reminder before the performance (BOXOFFICE_REMINDER_HOURS): when,
 * where, the ticket link and QR, and the "I can't come" link
 * (/confirm?cant-come#<confirm token>). Without tokens (a reservation
 * whose sealed token is unknown) it says where the ticket is instead.
 */
int mails_reminder(struct arena *a, const struct mails_booking *b,
		   const char *confirm_token, const char *ticket_token,
		   struct buf *out);

/* One booking in "send me my bookings": tokens NULL when unknown. */
struct mails_listed {
	struct mails_booking booking;
	bool pending;
	const char *confirm_token;
	const char *ticket_token;
};

/*
 * "Send me my bookings": one message to email listing items[0..n) (n >
 * 0) with their links, in locale. The address was typed by whoever asked,
 * so no name goes in To:.
 */
int mails_bookings(struct arena *a, const char *locale, const char *email,
		   const struct mails_listed *items, size_t n,
		   struct buf *out);

/*
 * The waiting list's messages (app/waitlist.c). b->seats is the party
 * size asked for (confirm, closed) or offered (offer).
 *
 * The confirmation of a new entry goes to an unverified address, so,
 * like mails_confirm, it quotes nothing the visitor typed; its only link
 * is /waitlist#<token>. min_seats < b->seats says "or at least".
 */
int mails_waitlist_confirm(struct arena *a, const struct mails_booking *b,
			   const char *token, int hold_minutes, int min_seats,
			   struct buf *out);

/* The offer: seats held until `until` (local "HH:MI", and the date in
 * b->local_start's day), one-click link /offer#<token>. */
int mails_waitlist_offer(struct arena *a, const struct mails_booking *b,
			 const char *token, const char *until,
			 struct buf *out);

/* The list is closed: cancelled (the theatre's apology and message) or
 * closed (booking closed or the performance began: no seats came back).
 * No token. */
int mails_waitlist_closed(struct arena *a, const struct mails_booking *b,
			  bool cancelled, const char *message,
			  const char *show_slug, struct buf *out);

#endif
