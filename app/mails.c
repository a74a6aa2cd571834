/*
 * mails: message texts and their MIME rendering.
 *
 * Links: the confirm token travels in the URL fragment ("/confirm#<t>"),
 * which browsers never send to a server, so it cannot end up in an access
 * log or a Referer header; the confirmation page reads it and POSTs it.
 * The ticket URL "/t/<ticket token>" is also the QR payload.
 */
#include "mails.h"

#include "app.h"
#include "site.h"

#include "../lib/arena.h"
#include "../lib/buf.h"
#include "../lib/ics.h"
#include "../lib/mime.h"
#include "../lib/qr.h"

#include <stdio.h>
#include <string.h>

static const char *const days_it[] = {"lunedì", "martedì", "mercoledì",
				      "giovedì", "venerdì", "sabato",
				      "domenica"};
static const char *const days_en[] = {"Monday", "Tuesday", "Wednesday",
				      "Thursday", "Friday", "Saturday",
				      "Sunday"};
static const char *const months_it[] = {
	"gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno",
	"luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"};
static const char *const months_en[] = {
	"January", "February", "March", "April", "May", "June",
	"July", "August", "September", "October", "November", "December"};

const char *mails_date(struct arena *a, const char *locale,
		       const char *local_start)
{
	int y, mo, d, dow;
	char hm[6];
	bool it = strcmp(locale, "en") != 0;

	/* PostgreSQL's to_char(..., 'YYYY MM DD HH24:MI ID'): small numbers,
	 * and the count of fields is checked. */
	if (sscanf(local_start, "%d %d %d %5s %d", /* NOLINT(cert-err34-c) */
		   &y, &mo, &d, hm, &dow) != 5 ||
	    mo < 1 || mo > 12 || dow < 1 || dow > 7)
		return local_start;
	return arena_printf(a, "%s %d %s %d, %s",
			    it ? days_it[dow - 1] : days_en[dow - 1], d,
			    it ? months_it[mo - 1] : months_en[mo - 1], y, hm);
}

/* HTML-escape s into b. */
static void html(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '&': buf_puts(b, "&amp;"); break;
		case '"': buf_puts(b, "&quot;"); break;
		case '\'': buf_puts(b, "&#39;"); break;
		default: buf_putc(b, *s);
		}
	}
}

static void html_open(struct buf *b, const char *lang, const char *title)
{
	buf_printf(b, "<!doctype html><html lang=\"%s\"><head><meta "
		      "charset=\"utf-8\"><title>", lang);
	html(b, title);
	buf_puts(b, "</title></head><body style=\"font-family:sans-serif;"
		    "max-width:36em;margin:auto;line-height:1.5\">");
}

static void html_para(struct buf *b, const char *text)
{
	buf_puts(b, "<p>");
	html(b, text);
	buf_puts(b, "</p>");
}

static void html_link(struct buf *b, const char *url, const char *label)
{
	buf_puts(b, "<p><a href=\"");
	html(b, url);
	buf_puts(b, "\" style=\"display:inline-block;padding:.6em 1.2em;"
		    "background:#7a1f2b;color:#fff;text-decoration:none;"
		    "border-radius:4px\">");
	html(b, label);
	buf_puts(b, "</a></p>");
}

/* "name" <address>, the name quoted for any character. NULL on OOM. */
static const char *mailbox(struct arena *a, const char *name,
			   const char *addr)
{
	struct buf b;

	buf_init(&b, a, 128);
	buf_putc(&b, '"');
	for (; *name != '\0'; name++) {
		if (*name == '"' || *name == '\\')
			buf_putc(&b, '\\');
		buf_putc(&b, *name);
	}
	buf_printf(&b, "\" <%s>", addr);
	return b.failed ? NULL : b.data;
}

/*
 * Who the message is from and to. The sender's name is the company's
 * (site settings) unless BOXOFFICE_MAIL_FROM names one itself; Reply-To
 * is BOXOFFICE_MAIL_REPLY_TO, else the site's contact address.
 */
static void envelope(struct arena *a, struct mail_msg *m,
		     const struct mails_booking *b)
{
	struct site_mail s;
	char addr[256];

	site_mail(a, &s);
	memset(m, 0, sizeof(*m));
	m->from = app.cfg.mail_from;
	if (strchr(app.cfg.mail_from, '<') == NULL && *s.company_name != '\0' &&
	    mail_address(app.cfg.mail_from, addr, sizeof(addr)) == 0) {
		const char *from = mailbox(a, s.company_name, addr);

		if (from != NULL)
			m->from = from;
	}
	m->reply_to = app.cfg.mail_reply_to;
	if (*m->reply_to == '\0' && *s.contact_email != '\0') {
		const char *r = *s.company_name != '\0'
					? mailbox(a, s.company_name,
						  s.contact_email)
					: s.contact_email;

		m->reply_to = r != NULL ? r : "";
	}
	m->to = b->email;
	m->to_name = b->name;
}

/* The theatre's own contacts, " · " between them: "" when none is set. */
static const char *contacts(struct arena *a, const struct site_mail *s)
{
	const char *sep = *s->contact_email != '\0' && *s->phone != '\0'
				  ? " \u00b7 " : "";

	return arena_printf(a, "%s%s%s", s->contact_email, sep, s->phone);
}

/*
 * The end of every message: the company, the venue and its address, and
 * how to reach the theatre (replying, when there is a reply-to; else the
 * website, but never in the first, unconfirmed message, whose only link
 * is the confirmation link: site is false there), and its contacts.
 */
static void footer(struct arena *a, struct buf *text, struct buf *htm,
		   const struct mails_booking *b, bool it, bool site)
{
	struct site_mail s;
	const char *where = arena_printf(a, "%s, %s", b->venue_name,
					 b->venue_address);
	const char *contact, *reach;

	site_mail(a, &s);
	reach = contacts(a, &s);
	contact =
		*app.cfg.mail_reply_to != '\0' || *s.contact_email != '\0'
			? (it ? "Per scrivere al teatro rispondi a questo "
				"messaggio."
			      : "To write to the theatre, reply to this "
				"message.")
		: site ? arena_printf(a, it ? "Il teatro: %s" : "The theatre: %s",
				      app.cfg.public_url)
		       : "";

	if (where == NULL || contact == NULL || reach == NULL) {
		text->failed = true;
		return;
	}
	buf_puts(text, "\n-- \n");
	if (*s.company_name != '\0')
		buf_printf(text, "%s\n", s.company_name);
	buf_printf(text, "%s\n%s%s", where, contact,
		   *contact != '\0' ? "\n" : "");
	if (*reach != '\0')
		buf_printf(text, "%s\n", reach);
	buf_puts(htm, "<hr><p style=\"color:#555;font-size:90%\">");
	if (*s.company_name != '\0') {
		html(htm, s.company_name);
		buf_puts(htm, "<br>");
	}
	html(htm, where);
	if (*contact != '\0') {
		buf_puts(htm, "<br>");
		html(htm, contact);
	}
	if (*reach != '\0') {
		buf_puts(htm, "<br>");
		html(htm, reach);
	}
	buf_puts(htm, "</p>");
}

static const char *seats_text(struct arena *a, bool it, int seats)
{
	if (it)
		return seats == 1 ? "1 posto" : arena_printf(a, "%d posti", seats);
	return seats == 1 ? "1 seat" : arena_printf(a, "%d seats", seats);
}

int mails_confirm(struct arena *a, const struct mails_booking *b,
		  const char *confirm_token, int hold_minutes,
		  struct buf *out)
{
	bool it = strcmp(b->locale, "en") != 0;
	const char *url = arena_printf(a, "%s/confirm#%s", app.cfg.public_url,
				       confirm_token);
	const char *when = mails_date(a, b->locale, b->local_start);
	const char *seats = seats_text(a, it, b->seats);
	const char *subject, *greeting, *what, *ask, *button, *ignore;
	struct buf text, htm;
	struct mail_msg m;

	if (url == NULL || when == NULL || seats == NULL)
		return -1;
	if (it) {
		subject = arena_printf(a, "Conferma la prenotazione: %s",
				       b->show_title);
		greeting = "Buongiorno,";
		what = arena_printf(a, "è stata chiesta una prenotazione di "
				    "%s per «%s», %s, %s, a questo indirizzo.",
				    seats, b->show_title, when, b->venue_name);
		ask = arena_printf(a, "Per confermare apri questo link entro "
				      "%d minuti: dopo, i posti tornano "
				      "disponibili.", hold_minutes);
		button = "Conferma la prenotazione";
		ignore = "Se non hai prenotato tu, ignora questo messaggio.";
	} else {
		subject = arena_printf(a, "Confirm your booking: %s",
				       b->show_title);
		greeting = "Hello,";
		what = arena_printf(a, "a booking of %s for \"%s\", %s, %s "
				    "was made for this address.",
				    seats, b->show_title, when, b->venue_name);
		ask = arena_printf(a, "To confirm, open this link within %d "
				      "minutes; after that the seats are "
				      "released.", hold_minutes);
		button = "Confirm the booking";
		ignore = "If you did not make this booking, ignore this message.";
	}
	if (subject == NULL || what == NULL || ask == NULL)
		return -1;
	buf_init(&text, a, 1024);
	buf_printf(&text, "%s\n\n%s\n\n%s\n\n%s\n\n%s\n", greeting, what, ask,
		   url, ignore);
	buf_init(&htm, a, 2048);
	html_open(&htm, it ? "it" : "en", subject);
	html_para(&htm, greeting);
	html_para(&htm, what);
	html_para(&htm, ask);
	html_link(&htm, url, button);
	html_para(&htm, ignore);
	footer(a, &text, &htm, b, it, false);
	buf_puts(&htm, "</body></html>\n");
	if (text.failed || htm.failed)
		return -1;

	/* Unconfirmed: the address may not be the visitor's, so no name of
	 * theirs goes to it, not even in To: (docs/ARCHITECTURE.md). */
	envelope(a, &m, b);
	m.to_name = NULL;
	m.subject = subject;
	m.text = text.data;
	m.html = htm.data;
	return mail_render(out, &m);
}

/* Days from 1970-01-01 to the civil date y-m-d (proleptic Gregorian). */
static long days_from_civil(long y, int m, int d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/*
 * The theatre's UTC offset at the start, in seconds: local_start (as
 * PostgreSQL wrote it in BOXOFFICE_TIMEZONE) less the UTC start, both to
 * the minute. false when local_start cannot be read.
 */
static bool start_offset(const struct mails_booking *b, int *offset_s)
{
	int y, mo, d, hh, mi, dow;
	long long local, utc = (long long)b->starts_at;

	if (sscanf(b->local_start, "%d %d %d %d:%d %d", /* NOLINT(cert-err34-c) */
		   &y, &mo, &d, &hh, &mi, &dow) != 6 ||
	    mo < 1 || mo > 12 || d < 1 || d > 31 || hh > 23 || mi > 59)
		return false;
	local = (long long)days_from_civil(y, mo, d) * 86400 +
		(long long)hh * 3600 + (long long)mi * 60;
	utc -= ((utc % 60) + 60) % 60;
	if (local - utc > 86399 || utc - local > 86399)
		return false;
	/* Zones are whole quarter hours off UTC; a start with seconds may
	 * round to the next minute in starts_at but not in local_start. */
	*offset_s = (int)((local - utc + (local >= utc ? 450 : -450)) / 900 * 900);
	return true;
}

int mails_event(struct arena *a, const struct mails_booking *b,
		const char *ticket_url, struct buf *out)
{
	bool it = strcmp(b->locale, "en") != 0;
	const char *seats = seats_text(a, it, b->seats);
	struct ics_event ev;

	if (seats == NULL)
		return -1;
	memset(&ev, 0, sizeof(ev));
	ev.uid = arena_printf(a, "reservation-%lld@boxoffice",
			      (long long)b->reservation_id);
	ev.start = b->starts_at;
	ev.end = b->starts_at + (time_t)b->duration_minutes * 60;
	ev.summary = b->show_title;
	ev.location = arena_printf(a, "%s, %s", b->venue_name,
				   b->venue_address);
	ev.description = ticket_url == NULL
				 ? seats
				 : arena_printf(a, "%s\n%s", seats, ticket_url);
	ev.url = ticket_url;
	ev.sequence = b->sequence;
	ev.cancel = b->cancelled;
	/* In the theatre's time zone, as the visitor reads it on the page. */
	if (start_offset(b, &ev.tz_offset_s))
		ev.tzid = app.cfg.timezone;
	if (ev.uid == NULL || ev.location == NULL || ev.description == NULL)
		return -1;
	ics_event(out, &ev);
	return out->failed ? -1 : 0;
}

/* The words of the ticket message. */
struct ticket_words {
	const char *subject, *greeting, *what, *show, *cancel;
};

static int ticket_words(struct arena *a, const struct mails_booking *b,
			bool it, struct ticket_words *w)
{
	const char *when = mails_date(a, b->locale, b->local_start);
	const char *seats = seats_text(a, it, b->seats);

	if (when == NULL || seats == NULL)
		return -1;
	if (it) {
		w->subject = arena_printf(a, "Il tuo biglietto: %s",
					  b->show_title);
		w->greeting = arena_printf(a, "Buongiorno %s,", b->name);
		w->what = arena_printf(a, "la prenotazione è confermata: %s "
					  "per «%s», %s, %s.", seats,
				       b->show_title, when, b->venue_name);
		w->show = "All'ingresso mostra questo codice QR (anche dal "
			  "telefono). Vale per tutto il gruppo.";
		w->cancel = "Non puoi venire? Annulla qui, così i posti "
			    "tornano disponibili:";
	} else {
		w->subject = arena_printf(a, "Your ticket: %s", b->show_title);
		w->greeting = arena_printf(a, "Hello %s,", b->name);
		w->what = arena_printf(a, "your booking is confirmed: %s for "
					  "\"%s\", %s, %s.", seats,
				       b->show_title, when, b->venue_name);
		w->show = "Show this QR code at the door (a phone screen is "
			  "fine). It admits your whole party.";
		w->cancel = "Cannot come? Cancel here so the seats can go to "
			    "someone else:";
	}
	return w->subject != NULL && w->greeting != NULL && w->what != NULL
		       ? 0 : -1;
}

/* The HTML part of the ticket message. */
static void ticket_html(struct buf *htm, bool it, const struct ticket_words *w,
			const char *ticket, const char *manage,
			struct buf *text, const struct mails_booking *b)
{
	html_open(htm, it ? "it" : "en", w->subject);
	html_para(htm, w->greeting);
	html_para(htm, w->what);
	html_para(htm, w->show);
	buf_puts(htm, "<p><img src=\"cid:ticket-qr\" width=\"240\" "
		      "height=\"240\" alt=\"QR\"></p>");
	if (b->code != NULL && *b->code != '\0') {
		buf_puts(htm, "<p>");
		html(htm, it ? "Codice di prenotazione: " : "Booking code: ");
		buf_puts(htm, "<strong style=\"font-size:1.4em;"
			      "letter-spacing:.15em\">");
		html(htm, b->code);
		buf_puts(htm, "</strong></p>");
	}
	html_link(htm, ticket, it ? "Apri il biglietto" : "Open the ticket");
	html_para(htm, w->cancel);
	buf_puts(htm, "<p><a href=\"");
	html(htm, manage);
	buf_puts(htm, "\">");
	html(htm, it ? "Gestisci la prenotazione" : "Manage the booking");
	buf_puts(htm, "</a></p>");
	footer(htm->arena, text, htm, b, it, true);
	buf_puts(htm, "</body></html>\n");
}

int mails_ticket(struct arena *a, const struct mails_booking *b,
		 const char *confirm_token, const char *ticket_token,
		 struct buf *out)
{
	bool it = strcmp(b->locale, "en") != 0;
	const char *ticket = arena_printf(a, "%s/t/%s", app.cfg.public_url,
					  ticket_token);
	const char *manage = arena_printf(a, "%s/confirm#%s",
					  app.cfg.public_url, confirm_token);
	struct buf text, htm, png, ics;
	struct mail_attachment att[2];
	struct ticket_words w;
	struct mail_msg m;

	if (ticket == NULL || manage == NULL ||
	    ticket_words(a, b, it, &w) < 0)
		return -1;
	buf_init(&png, a, 4096);
	buf_init(&ics, a, 1024);
	if (qr_png(a, ticket, QR_SCALE_MAIL, &png) < 0 ||
	    mails_event(a, b, ticket, &ics) < 0)
		return -1;
	buf_init(&text, a, 1024);
	buf_printf(&text, "%s\n\n%s\n\n%s\n%s\n", w.greeting, w.what, w.show,
		   ticket);
	if (b->code != NULL && *b->code != '\0')
		buf_printf(&text, "%s%s\n",
			   it ? "Codice di prenotazione: " : "Booking code: ",
			   b->code);
	buf_printf(&text, "\n%s\n%s\n", w.cancel, manage);
	buf_init(&htm, a, 2048);
	ticket_html(&htm, it, &w, ticket, manage, &text, b);
	if (text.failed || htm.failed)
		return -1;

	att[0] = (struct mail_attachment){"ticket.png", "image/png",
					  "ticket-qr", png.data, png.len};
	att[1] = (struct mail_attachment){
		"performance.ics", MAILS_ICS_TYPE, NULL, ics.data, ics.len};
	envelope(a, &m, b);
	m.subject = w.subject;
	m.text = text.data;
	m.html = htm.data;
	m.attachments = att;
	m.nattachments = 2;
	return mail_render(out, &m);
}

/* ---- the theatre's messages ---------------------------------------- */

/* The words of a theatre message. */
struct notice_words {
	const char *subject, *greeting, *what, *extra, *sorry, *button;
};

/* Render a theatre message: words, a link, the event. */
static int notice(struct arena *a, const struct mails_booking *b, bool it,
		  const struct notice_words *w, const char *url,
		  struct buf *out)
{
	struct buf text, htm, ics;
	struct mail_attachment att[1];
	struct mail_msg m;

	if (w->subject == NULL || w->greeting == NULL || w->what == NULL)
		return -1;
	buf_init(&ics, a, 1024);
	if (mails_event(a, b, NULL, &ics) < 0)
		return -1;
	buf_init(&text, a, 1024);
	buf_printf(&text, "%s\n\n%s\n\n", w->greeting, w->what);
	if (w->extra != NULL && *w->extra != '\0')
		buf_printf(&text, "%s\n\n", w->extra);
	buf_printf(&text, "%s\n\n%s\n%s\n", w->sorry, w->button, url);
	buf_init(&htm, a, 2048);
	html_open(&htm, it ? "it" : "en", w->subject);
	html_para(&htm, w->greeting);
	html_para(&htm, w->what);
	if (w->extra != NULL && *w->extra != '\0')
		html_para(&htm, w->extra);
	html_para(&htm, w->sorry);
	html_link(&htm, url, w->button);
	footer(a, &text, &htm, b, it, true);
	buf_puts(&htm, "</body></html>\n");
	if (text.failed || htm.failed)
		return -1;
	att[0] = (struct mail_attachment){
		"performance.ics",
		b->cancelled ? MAILS_ICS_CANCEL_TYPE : MAILS_ICS_TYPE, NULL,
		ics.data, ics.len};
	envelope(a, &m, b);
	m.subject = w->subject;
	m.text = text.data;
	m.html = htm.data;
	m.attachments = att;
	m.nattachments = 1;
	return mail_render(out, &m);
}

int mails_performance_cancelled(struct arena *a, const struct mails_booking *b,
				const char *message, struct buf *out)
{
	bool it = strcmp(b->locale, "en") != 0;
	const char *when = mails_date(a, b->locale, b->local_start);
	const char *seats = seats_text(a, it, b->seats);
	struct notice_words w;

	if (when == NULL || seats == NULL)
		return -1;
	w.extra = message;
	if (it) {
		w.subject = arena_printf(a, "Spettacolo annullato: %s",
					 b->show_title);
		w.greeting = arena_printf(a, "Buongiorno %s,", b->name);
		w.what = arena_printf(a, "il teatro ha annullato la "
					 "rappresentazione di «%s» di %s, %s. "
					 "La tua prenotazione (%s) è annullata: "
					 "non devi fare nulla.", b->show_title,
				      when, b->venue_name, seats);
		w.sorry = "Ci scusiamo per il disagio. Speriamo di vederti a "
			  "un'altra rappresentazione.";
		w.button = "Vedi il programma";
	} else {
		w.subject = arena_printf(a, "Performance cancelled: %s",
					 b->show_title);
		w.greeting = arena_printf(a, "Hello %s,", b->name);
		w.what = arena_printf(a, "the theatre has cancelled the "
					 "performance of \"%s\" on %s, %s. Your "
					 "booking (%s) is cancelled: there is "
					 "nothing you need to do.",
				      b->show_title, when, b->venue_name, seats);
		w.sorry = "We are sorry for the trouble, and hope to see you "
			  "at another performance.";
		w.button = "See the programme";
	}
	return notice(a, b, it, &w, arena_printf(a, "%s/", app.cfg.public_url),
		      out);
}

int mails_performance_moved(struct arena *a, const struct mails_booking *b,
			    const char *show_slug, struct buf *out)
{
	bool it = strcmp(b->locale, "en") != 0;
	const char *when = mails_date(a, b->locale, b->local_start);
	const char *seats = seats_text(a, it, b->seats);
	struct notice_words w;

	if (when == NULL || seats == NULL)
		return -1;
	w.extra = NULL;
	if (it) {
		w.subject = arena_printf(a, "Cambio di programma: %s",
					 b->show_title);
		w.greeting = arena_printf(a, "Buongiorno %s,", b->name);
		w.what = arena_printf(a, "la rappresentazione di «%s» è "
					 "spostata: ora è %s, %s, %s. La tua "
					 "prenotazione (%s) resta valida, con "
					 "lo stesso biglietto.", b->show_title,
				      when, b->venue_name, b->venue_address,
				      seats);
		w.sorry = "L'evento allegato aggiorna quello nel tuo "
			  "calendario. Se non puoi più venire, annulla dal "
			  "link del biglietto: i posti andranno ad altri.";
		w.button = "Vedi lo spettacolo";
	} else {
		w.subject = arena_printf(a, "Change of plan: %s",
					 b->show_title);
		w.greeting = arena_printf(a, "Hello %s,", b->name);
		w.what = arena_printf(a, "the performance of \"%s\" has moved: "
					 "it is now on %s, %s, %s. Your booking "
					 "(%s) stays valid, with the same "
					 "ticket.", b->show_title, when,
				      b->venue_name, b->venue_address, seats);
		w.sorry = "The attached event updates the one in your "
			  "calendar. If you can no longer come, cancel from "
			  "your ticket's link so the seats can go to others.";
		w.button = "See the show";
	}
	return notice(a, b, it, &w,
		      arena_printf(a, "%s/shows/%s", app.cfg.public_url,
				   show_slug),
		      out);
}

/* ---- reminders and the list of one's bookings ----------------------- */

/* The words of a reminder. */
struct reminder_words {
	const char *subject, *greeting, *what, *show, *cancel, *nolink;
};

static int reminder_words(struct arena *a, const struct mails_booking *b,
			  bool it, struct reminder_words *w)
{
	const char *when = mails_date(a, b->locale, b->local_start);
	const char *seats = seats_text(a, it, b->seats);

	if (when == NULL || seats == NULL)
		return -1;
	if (it) {
		w->subject = arena_printf(a, "Promemoria: %s, %s",
					  b->show_title, when);
		w->greeting = arena_printf(a, "Buongiorno %s,", b->name);
		w->what = arena_printf(a, "ti aspettiamo: «%s», %s, %s, %s. "
					  "Hai prenotato %s.", b->show_title,
				       when, b->venue_name, b->venue_address,
				       seats);
		w->show = "All'ingresso mostra questo codice QR (anche dal "
			  "telefono). Vale per tutto il gruppo.";
		w->cancel = "Non puoi più venire? Un clic e i posti tornano "
			    "disponibili per altri:";
		w->nolink = "Il biglietto con il codice QR è nel messaggio di "
			    "conferma che hai ricevuto.";
	} else {
		w->subject = arena_printf(a, "Reminder: %s, %s", b->show_title,
					  when);
		w->greeting = arena_printf(a, "Hello %s,", b->name);
		w->what = arena_printf(a, "we look forward to seeing you: "
					  "\"%s\", %s, %s, %s. You booked %s.",
				       b->show_title, when, b->venue_name,
				       b->venue_address, seats);
		w->show = "Show this QR code at the door (a phone screen is "
			  "fine). It admits your whole party.";
		w->cancel = "Can no longer come? One click and the seats go "
			    "back to others:";
		w->nolink = "Your ticket with its QR code is in the "
			    "confirmation message you received.";
	}
	return w->subject != NULL && w->greeting != NULL && w->what != NULL
		       ? 0 : -1;
}

/* The reminder's links part (ticket, QR, "I can't come"), or where the
 * ticket is when there are no links (ticket NULL). */
static void reminder_links(struct buf *text, struct buf *htm, bool it,
			   const struct reminder_words *w, const char *ticket,
			   const char *cant)
{
	if (ticket == NULL) {
		buf_printf(text, "%s\n", w->nolink);
		html_para(htm, w->nolink);
		return;
	}
	buf_printf(text, "%s\n%s\n\n%s\n%s\n", w->show, ticket, w->cancel,
		   cant);
	html_para(htm, w->show);
	buf_puts(htm, "<p><img src=\"cid:ticket-qr\" width=\"240\" "
		      "height=\"240\" alt=\"QR\"></p>");
	html_link(htm, ticket, it ? "Apri il biglietto" : "Open the ticket");
	html_para(htm, w->cancel);
	buf_puts(htm, "<p><a href=\"");
	html(htm, cant);
	buf_puts(htm, "\">");
	html(htm, it ? "Non posso venire" : "I can't come");
	buf_puts(htm, "</a></p>");
}

int mails_reminder(struct arena *a, const struct mails_booking *b,
		   const char *confirm_token, const char *ticket_token,
		   struct buf *out)
{
	bool it = strcmp(b->locale, "en") != 0;
	bool links = confirm_token != NULL && ticket_token != NULL;
	const char *ticket = links ? arena_printf(a, "%s/t/%s",
						  app.cfg.public_url,
						  ticket_token) : NULL;
	const char *cant = links ? arena_printf(a, "%s/confirm?cant-come#%s",
						app.cfg.public_url,
						confirm_token) : NULL;
	struct buf text, htm, png, ics;
	struct mail_attachment att[2];
	struct reminder_words w;
	struct mail_msg m;
	int k = 0;

	if ((links && (ticket == NULL || cant == NULL)) ||
	    reminder_words(a, b, it, &w) < 0)
		return -1;
	buf_init(&png, a, 4096);
	buf_init(&ics, a, 1024);
	if ((links && qr_png(a, ticket, QR_SCALE_MAIL, &png) < 0) ||
	    mails_event(a, b, ticket, &ics) < 0)
		return -1;
	buf_init(&text, a, 1024);
	buf_init(&htm, a, 2048);
	html_open(&htm, it ? "it" : "en", w.subject);
	html_para(&htm, w.greeting);
	html_para(&htm, w.what);
	buf_printf(&text, "%s\n\n%s\n\n", w.greeting, w.what);
	reminder_links(&text, &htm, it, &w, ticket, cant);
	footer(a, &text, &htm, b, it, true);
	buf_puts(&htm, "</body></html>\n");
	if (text.failed || htm.failed)
		return -1;
	if (links)
		att[k++] = (struct mail_attachment){"ticket.png", "image/png",
						    "ticket-qr", png.data,
						    png.len};
	att[k++] = (struct mail_attachment){"performance.ics", MAILS_ICS_TYPE,
					    NULL, ics.data, ics.len};
	envelope(a, &m, b);
	m.subject = w.subject;
	m.text = text.data;
	m.html = htm.data;
	m.attachments = att;
	m.nattachments = k;
	return mail_render(out, &m);
}

/* One entry of the list, in text and HTML: 0, or -1. */
static int listed(struct arena *a, const char *locale, bool it,
		  const struct mails_listed *item, struct buf *text,
		  struct buf *htm)
{
	const struct mails_booking *b = &item->booking;
	const char *when = mails_date(a, locale, b->local_start);
	const char *seats = seats_text(a, it, b->seats);
	const char *line, *url = NULL, *manage = NULL, *label;

	if (when == NULL || seats == NULL)
		return -1;
	line = arena_printf(a, "«%s», %s, %s: %s%s", b->show_title, when,
			    b->venue_name, seats,
			    !item->pending ? ""
			    : it	   ? " (da confermare)"
					   : " (to be confirmed)");
	if (item->confirm_token == NULL) {
		label = it ? "il biglietto è nel messaggio di conferma"
			   : "the ticket is in the confirmation message";
	} else if (item->pending) {
		url = arena_printf(a, "%s/confirm#%s", app.cfg.public_url,
				   item->confirm_token);
		label = it ? "Conferma" : "Confirm";
	} else {
		url = arena_printf(a, "%s/t/%s", app.cfg.public_url,
				   item->ticket_token);
		manage = arena_printf(a, "%s/confirm#%s", app.cfg.public_url,
				      item->confirm_token);
		label = it ? "Biglietto" : "Ticket";
	}
	if (line == NULL || (item->confirm_token != NULL && url == NULL) ||
	    (item->confirm_token != NULL && !item->pending && manage == NULL))
		return -1;
	buf_printf(text, "- %s\n  %s%s%s\n", line, label,
		   url != NULL ? ": " : "", url != NULL ? url : "");
	html_para(htm, line);
	if (url != NULL)
		html_link(htm, url, label);
	else
		html_para(htm, label);
	if (manage != NULL) {
		buf_printf(text, "  %s: %s\n", it ? "Gestisci" : "Manage",
			   manage);
		buf_puts(htm, "<p><a href=\"");
		html(htm, manage);
		buf_puts(htm, "\">");
		html(htm, it ? "Gestisci la prenotazione" : "Manage the booking");
		buf_puts(htm, "</a></p>");
	}
	return 0;
}

int mails_bookings(struct arena *a, const char *locale, const char *email,
		   const struct mails_listed *items, size_t n, struct buf *out)
{
	bool it = strcmp(locale, "en") != 0;
	const char *subject = it ? "Le tue prenotazioni" : "Your bookings";
	const char *intro = it ? "Ecco le prenotazioni attive di questo "
				 "indirizzo:"
			       : "These are the active bookings of this "
				 "address:";
	const char *ignore = it ? "Se non hai chiesto tu questo elenco, "
				  "ignora questo messaggio."
				: "If you did not ask for this list, ignore "
				  "this message.";
	struct mails_booking who;
	struct buf text, htm;
	struct mail_msg m;

	if (n == 0)
		return -1;
	buf_init(&text, a, 2048);
	buf_init(&htm, a, 4096);
	html_open(&htm, it ? "it" : "en", subject);
	buf_printf(&text, "%s\n\n%s\n\n", it ? "Buongiorno," : "Hello,", intro);
	html_para(&htm, it ? "Buongiorno," : "Hello,");
	html_para(&htm, intro);
	for (size_t i = 0; i < n; i++)
		if (listed(a, locale, it, &items[i], &text, &htm) < 0)
			return -1;
	buf_printf(&text, "\n%s\n", ignore);
	html_para(&htm, ignore);
	footer(a, &text, &htm, &items[0].booking, it, true);
	buf_puts(&htm, "</body></html>\n");
	if (text.failed || htm.failed)
		return -1;
	/* Asked for by anyone who typed the address: no name in To:. */
	who = items[0].booking;
	who.email = email;
	envelope(a, &m, &who);
	m.to_name = NULL;
	m.subject = subject;
	m.text = text.data;
	m.html = htm.data;
	return mail_render(out, &m);
}

/* ---- the waiting list ------------------------------------------------ */

/* A message with words, an optional button and the footer, no
 * attachment. to_name false for an unverified address. */
static int simple(struct arena *a, const struct mails_booking *b, bool it,
		  const char *subject, const char *const *paras, size_t n,
		  const char *url, const char *button, bool to_name,
		  bool site, struct buf *out)
{
	struct buf text, htm;
	struct mail_msg m;

	if (subject == NULL || url == NULL)
		return -1;
	buf_init(&text, a, 1024);
	buf_init(&htm, a, 2048);
	html_open(&htm, it ? "it" : "en", subject);
	for (size_t i = 0; i < n; i++) {
		if (paras[i] == NULL)
			return -1;
		if (*paras[i] == '\0')
			continue;
		buf_printf(&text, "%s\n\n", paras[i]);
		html_para(&htm, paras[i]);
	}
	buf_printf(&text, "%s\n%s\n", button, url);
	html_link(&htm, url, button);
	footer(a, &text, &htm, b, it, site);
	buf_puts(&htm, "</body></html>\n");
	if (text.failed || htm.failed)
		return -1;
	envelope(a, &m, b);
	if (!to_name)
		m.to_name = NULL;
	m.subject = subject;
	m.text = text.data;
	m.html = htm.data;
	return mail_render(out, &m);
}

int mails_waitlist_confirm(struct arena *a, const struct mails_booking *b,
			   const char *token, int hold_minutes, int min_seats,
			   struct buf *out)
{
	bool it = strcmp(b->locale, "en") != 0;
	const char *when = mails_date(a, b->locale, b->local_start);
	const char *seats = seats_text(a, it, b->seats);
	const char *least = min_seats < b->seats
				    ? arena_printf(a, it ? " (o almeno %d)"
							 : " (or at least %d)",
						   min_seats)
				    : "";
	const char *p[4];

	if (when == NULL || seats == NULL || least == NULL)
		return -1;
	if (it) {
		p[0] = "Buongiorno,";
		p[1] = arena_printf(a, "è stato chiesto di mettere questo "
				       "indirizzo in lista d'attesa per %s%s "
				       "per «%s», %s, %s.", seats, least,
				    b->show_title, when, b->venue_name);
		p[2] = arena_printf(a, "Per entrare in lista apri questo link "
				       "entro %d minuti: conta l'ordine delle "
				       "conferme. Se tornano posti, te li "
				       "offriamo per email.", hold_minutes);
		p[3] = "Se non sei stato tu, ignora questo messaggio.";
		return simple(a, b, it,
			      arena_printf(a, "Conferma la lista d'attesa: %s",
					   b->show_title),
			      p, 4,
			      arena_printf(a, "%s/waitlist#%s",
					   app.cfg.public_url, token),
			      "Entra in lista d'attesa", false, false, out);
	}
	p[0] = "Hello,";
	p[1] = arena_printf(a, "this address was put on the waiting list for "
			       "%s%s for \"%s\", %s, %s.", seats, least,
			    b->show_title, when, b->venue_name);
	p[2] = arena_printf(a, "To join the list, open this link within %d "
			       "minutes: the order of confirmation counts. If "
			       "seats come back, we offer them by email.",
			    hold_minutes);
	p[3] = "If this was not you, ignore this message.";
	return simple(a, b, it,
		      arena_printf(a, "Confirm the waiting list: %s",
				   b->show_title),
		      p, 4,
		      arena_printf(a, "%s/waitlist#%s", app.cfg.public_url,
				   token),
		      "Join the waiting list", false, false, out);
}

int mails_waitlist_offer(struct arena *a, const struct mails_booking *b,
			 const char *token, const char *until,
			 struct buf *out)
{
	bool it = strcmp(b->locale, "en") != 0;
	const char *when = mails_date(a, b->locale, b->local_start);
	const char *seats = seats_text(a, it, b->seats);
	const char *url = arena_printf(a, "%s/offer#%s", app.cfg.public_url,
				       token);
	const char *p[3];

	if (when == NULL || seats == NULL)
		return -1;
	if (it) {
		p[0] = arena_printf(a, "Buongiorno %s,", b->name);
		p[1] = arena_printf(a, "sono tornati dei posti per «%s», %s, "
				       "%s: teniamo %s per te fino alle %s.",
				    b->show_title, when, b->venue_name, seats,
				    until);
		p[2] = "Per prenderli basta un clic sul link: ricevi subito il "
		       "biglietto. Se non ti servono più, non fare nulla: "
		       "alla scadenza passano al prossimo in lista.";
		return simple(a, b, it,
			      arena_printf(a, "Posti per te: %s",
					   b->show_title),
			      p, 3, url, "Prendi i posti", true, true, out);
	}
	p[0] = arena_printf(a, "Hello %s,", b->name);
	p[1] = arena_printf(a, "seats came back for \"%s\", %s, %s: we are "
			       "holding %s for you until %s.",
			    b->show_title, when, b->venue_name, seats, until);
	p[2] = "One click on the link takes them, and the ticket comes at "
	       "once. If you no longer need them, do nothing: when the time "
	       "is up they go to the next in line.";
	return simple(a, b, it,
		      arena_printf(a, "Seats for you: %s", b->show_title), p,
		      3, url, "Take the seats", true, true, out);
}

int mails_waitlist_closed(struct arena *a, const struct mails_booking *b,
			  bool cancelled, const char *message,
			  const char *show_slug, struct buf *out)
{
	bool it = strcmp(b->locale, "en") != 0;
	const char *when = mails_date(a, b->locale, b->local_start);
	const char *p[4];

	if (when == NULL)
		return -1;
	p[0] = arena_printf(a, it ? "Buongiorno %s," : "Hello %s,", b->name);
	p[2] = cancelled && message != NULL ? message : "";
	if (cancelled) {
		p[1] = arena_printf(a, it ? "il teatro ha annullato la "
					    "rappresentazione di «%s» di %s, "
					    "%s: la lista d'attesa è chiusa."
					  : "the theatre has cancelled the "
					    "performance of \"%s\" on %s, %s: "
					    "the waiting list is closed.",
				    b->show_title, when, b->venue_name);
		p[3] = it ? "Ci scusiamo per il disagio. Speriamo di vederti a "
			    "un'altra rappresentazione."
			  : "We are sorry for the trouble, and hope to see you "
			    "at another performance.";
	} else {
		p[1] = arena_printf(a, it ? "la lista d'attesa per «%s», %s, "
					    "è chiusa: non sono tornati posti "
					    "per te."
					  : "the waiting list for \"%s\", %s, "
					    "is closed: no seats came back for "
					    "you.",
				    b->show_title, when);
		p[3] = it ? "Grazie di aver aspettato. Speriamo di vederti a "
			    "un'altra rappresentazione."
			  : "Thank you for waiting. We hope to see you at "
			    "another performance.";
	}
	return simple(a, b, it,
		      arena_printf(a, it ? (cancelled ? "Spettacolo annullato: %s"
						      : "Lista d'attesa chiusa: %s")
					 : (cancelled ? "Performance cancelled: %s"
						      : "Waiting list closed: %s"),
				   b->show_title),
		      p, 4,
		      cancelled ? arena_printf(a, "%s/", app.cfg.public_url)
				: arena_printf(a, "%s/shows/%s",
					       app.cfg.public_url, show_slug),
		      it ? (cancelled ? "Vedi il programma" : "Vedi lo spettacolo")
			 : (cancelled ? "See the programme" : "See the show"),
		      true, true, out);
}
