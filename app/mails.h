/*
 * mails: the words of the messages visitors receive, in Italian and
 * English, rendered to complete MIME messages for the outbox.
 */
#ifndef BOXOFFICE_MAILS_H
#define BOXOFFICE_MAILS_H

#include <stdint.h>
#include <time.h>

struct arena;
struct buf;

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
};

/* The date of a performance in words: "sabato 28 novembre 2026, 20:30". */
const char *mails_date(struct arena *a, const char *locale,
		       const char *local_start);

/* The "please confirm" message with the link carrying the confirm token. */
int mails_confirm(struct arena *a, const struct mails_booking *b,
		  const char *confirm_token, int hold_minutes,
		  struct buf *out);

/* The ticket: QR inline, the ticket link, the manage link, an .ics. */
int mails_ticket(struct arena *a, const struct mails_booking *b,
		 const char *confirm_token, const char *ticket_token,
		 struct buf *out);

#endif
