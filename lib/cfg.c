/*
 * cfg: BOXOFFICE_* environment to struct cfg, with defaults and ranges.
 */
#include "cfg.h"

#include "buf.h"
#include "mime.h"

#include <stdio.h>
#include <string.h>

static const char *str(cfg_getter get, const char *name, const char *dflt)
{
	const char *v = get(name);

	return v != NULL && *v != '\0' ? v : dflt;
}

static int num(cfg_getter get, const char *name, int dflt, int min, int max,
	       int *out, char *err, size_t errlen)
{
	const char *v = get(name);
	int64_t n;

	if (v == NULL || *v == '\0') {
		*out = dflt;
		return 0;
	}
	if (!str_to_i64(v, strlen(v), min, max, &n)) {
		snprintf(err, errlen, "%s must be an integer from %d to %d",
			 name, min, max);
		return -1;
	}
	*out = (int)n;
	return 0;
}

static int flag(cfg_getter get, const char *name, bool dflt, bool *out,
		char *err, size_t errlen)
{
	const char *v = get(name);

	if (v == NULL || *v == '\0')
		*out = dflt;
	else if (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "on") ||
		 !strcmp(v, "yes"))
		*out = true;
	else if (!strcmp(v, "0") || !strcmp(v, "false") ||
		 !strcmp(v, "off") || !strcmp(v, "no"))
		*out = false;
	else {
		snprintf(err, errlen, "%s must be on or off", name);
		return -1;
	}
	return 0;
}

/* The abuse caps and throttles (docs/OPERATIONS.md, "Hostile visitors"). */
static int abuse(cfg_getter get, struct cfg *c, char *err, size_t errlen)
{
	return num(get, "BOXOFFICE_PENDING_SEATS_PER_NETWORK", 30, 1, 100000,
		   &c->pending_net_seats, err, errlen) < 0 ||
	       num(get, "BOXOFFICE_PENDING_PERCENT_PER_NETWORK", 25, 1, 100,
		   &c->pending_net_percent, err, errlen) < 0 ||
	       num(get, "BOXOFFICE_PENDING_BOOKINGS_PER_NETWORK_DAY", 100, 1,
		   10000000, &c->pending_net_day, err, errlen) < 0 ||
	       num(get, "BOXOFFICE_MAIL_PER_RECIPIENT_DAY", 5, 1, 100000,
		   &c->mail_per_day, err, errlen) < 0 ||
	       num(get, "BOXOFFICE_LOGIN_FAILURES", 5, 1, 1000,
		   &c->login_failures, err, errlen) < 0 ||
	       num(get, "BOXOFFICE_LOGIN_DELAY_SECONDS", 60, 1, 900,
		   &c->login_delay_s, err, errlen) < 0 ||
	       num(get, "BOXOFFICE_LOGIN_ACCOUNT_FAILURES", 100, 1, 1000000,
		   &c->login_account_failures, err, errlen) < 0 ||
	       num(get, "BOXOFFICE_ARGON2_CONCURRENCY", 2, 1, 64,
		   &c->argon2_concurrency, err, errlen) < 0
		       ? -1
		       : 0;
}

/* Reminders, and the key that lets them carry the ticket's links. */
static int reminders(cfg_getter get, struct cfg *c, char *err, size_t errlen)
{
	c->token_key_file = str(get, "BOXOFFICE_TOKEN_KEY_FILE", "");
	return num(get, "BOXOFFICE_REMINDER_HOURS", 24, 0, 24 * 60,
		   &c->reminder_hours, err, errlen);
}

/* How seats are held, offered, batched and released. */
static int seats(cfg_getter get, struct cfg *c, char *err, size_t errlen)
{
	return num(get, "BOXOFFICE_HOLD_MINUTES", 30, 1, 7 * 24 * 60,
		   &c->hold_minutes, err, errlen) < 0 ||
	       num(get, "BOXOFFICE_BOOKING_BATCH", 32, 1, 256,
		   &c->booking_batch, err, errlen) < 0 ||
	       num(get, "BOXOFFICE_SCAN_BATCH", 16, 1, 256,
		   &c->scan_batch, err, errlen) < 0 ||
	       num(get, "BOXOFFICE_OFFER_MINUTES", 30, 1, 7 * 24 * 60,
		   &c->offer_minutes, err, errlen) < 0 ||
	       num(get, "BOXOFFICE_DOOR_RELEASE_MINUTES", 10, -1, 24 * 60,
		   &c->door_release_minutes, err, errlen) < 0
		       ? -1
		       : 0;
}

int cfg_load(struct cfg *c, cfg_getter get, char *err, size_t errlen)
{
	size_t ulen;

	memset(c, 0, sizeof(*c));
	c->database_url = str(get, "BOXOFFICE_DATABASE_URL",
			      "dbname=boxoffice");
	c->public_url = str(get, "BOXOFFICE_PUBLIC_URL",
			    "http://127.0.0.1:8080");
	c->mail_backend = str(get, "BOXOFFICE_MAIL_BACKEND", "smtp");
	c->mail_dir = str(get, "BOXOFFICE_MAIL_DIR", "var/mail");
	c->media_dir = str(get, "BOXOFFICE_MEDIA_DIR", "var/media");
	c->mail_from = str(get, "BOXOFFICE_MAIL_FROM",
			   "boxoffice@localhost");
	c->mail_reply_to = str(get, "BOXOFFICE_MAIL_REPLY_TO", "");
	c->smtp_host = str(get, "BOXOFFICE_SMTP_HOST", "127.0.0.1");
	c->smtp_user = str(get, "BOXOFFICE_SMTP_USER", "");
	c->smtp_password = str(get, "BOXOFFICE_SMTP_PASSWORD", "");
	c->sql_dir = str(get, "BOXOFFICE_SQL_DIR", "sql");
	c->log_level = str(get, "BOXOFFICE_LOG_LEVEL", "info");
	c->timezone = str(get, "BOXOFFICE_TIMEZONE", "Europe/Rome");
	c->metrics_file = str(get, "BOXOFFICE_METRICS_FILE", "");
	c->metrics_token = str(get, "BOXOFFICE_METRICS_TOKEN", "");

	if (num(get, "BOXOFFICE_POOL_SIZE", 8, 1, 500, &c->pool_size, err,
		errlen) < 0 ||
	    num(get, "BOXOFFICE_THREADS", 16, 1, 1024, &c->threads, err,
		errlen) < 0 ||
	    num(get, "BOXOFFICE_SMTP_PORT", 25, 1, 65535, &c->smtp_port, err,
		errlen) < 0 ||
	    seats(get, c, err, errlen) < 0 ||
	    num(get, "BOXOFFICE_PURGE_DAYS", 180, 1, 36500, &c->purge_days,
		err, errlen) < 0 ||
	    num(get, "BOXOFFICE_SWEEP_SECONDS", 30, 1, 3600, &c->sweep_s, err,
		errlen) < 0 ||
	    num(get, "BOXOFFICE_MAIL_RETRY_SECONDS", 30, 1, 3600,
		&c->mail_retry_s, err, errlen) < 0 ||
	    reminders(get, c, err, errlen) < 0 ||
	    abuse(get, c, err, errlen) < 0 ||
	    flag(get, "BOXOFFICE_SMTP_STARTTLS", false, &c->smtp_starttls,
		 err, errlen) < 0)
		return -1;

	if (strcmp(c->mail_backend, "smtp") != 0 &&
	    strcmp(c->mail_backend, "file") != 0) {
		snprintf(err, errlen, "BOXOFFICE_MAIL_BACKEND must be smtp or file");
		return -1;
	}
	if (*c->mail_reply_to != '\0') {
		char addr[256];

		if (mail_address(c->mail_reply_to, addr, sizeof(addr)) < 0) {
			snprintf(err, errlen, "BOXOFFICE_MAIL_REPLY_TO must be an "
					      "address (\"Name <a@b>\" or a@b)");
			return -1;
		}
	}
	if (strncmp(c->public_url, "http://", 7) != 0 &&
	    strncmp(c->public_url, "https://", 8) != 0) {
		snprintf(err, errlen,
			 "BOXOFFICE_PUBLIC_URL must start with http:// or https://");
		return -1;
	}
	ulen = strlen(c->public_url);
	if (c->public_url[ulen - 1] == '/') {
		snprintf(err, errlen,
			 "BOXOFFICE_PUBLIC_URL must not end with '/'");
		return -1;
	}
	if (strcmp(c->log_level, "debug") != 0 &&
	    strcmp(c->log_level, "info") != 0 &&
	    strcmp(c->log_level, "warn") != 0 &&
	    strcmp(c->log_level, "error") != 0) {
		snprintf(err, errlen,
			 "BOXOFFICE_LOG_LEVEL must be debug, info, warn or error");
		return -1;
	}
	return 0;
}
