/*
 * cfg: the process configuration, read once from BOXOFFICE_* variables.
 * README.md has the table of variables and defaults; keep them in step.
 */
#ifndef BOXOFFICE_CFG_H
#define BOXOFFICE_CFG_H

#include <stdbool.h>
#include <stddef.h>

struct cfg {
	const char *database_url;
	int pool_size;
	int threads;
	const char *public_url;		/* no trailing slash */
	const char *mail_backend;	/* "smtp" or "file" */
	const char *mail_dir;
	const char *media_dir;		/* uploaded images, served at /media/ */
	const char *mail_from;
	const char *mail_reply_to;	/* "" = no Reply-To */
	const char *smtp_host;
	int smtp_port;
	const char *smtp_user;		/* "" when no AUTH */
	const char *smtp_password;
	bool smtp_starttls;
	int hold_minutes;
	int booking_batch;		/* bookings of a performance per transaction */
	int scan_batch;			/* door scans per transaction */
	int offer_minutes;		/* a waiting-list offer is held */
	int mail_retry_s;		/* first retry delay; doubles */
	const char *timezone;		/* the theatre's, for dates in mail */
	const char *sql_dir;
	const char *log_level;		/* debug, info, warn, error */
	const char *metrics_file;	/* shared counters; "" = private */
	const char *metrics_token;	/* bearer token for scrapers; "" = none */
	int purge_days;			/* personal data kept after a show */
	int sweep_s;			/* housekeeping period */
	int reminder_hours;		/* reminder this long before; 0 = off */
	const char *token_key_file;	/* sealing key of tokens; "" = none */
	/* Abuse caps (docs/OPERATIONS.md, "Hostile visitors"). */
	int pending_net_seats;		/* pending seats of one network, per show */
	int pending_net_percent;	/* ... and at most this % of the house */
	int pending_net_day;		/* unconfirmed bookings of a network a day */
	int mail_per_day;		/* confirmation messages to one address */
	int login_failures;		/* per (account, network) before a delay */
	int login_delay_s;		/* the first delay; doubles, up to 15 min */
	int login_account_failures;	/* per account in an hour: 15 min lock */
	int argon2_concurrency;		/* verifications at once per worker */
	/* Minutes after curtain when a walk-in releases pending holds and
	 * (if the performance allows) absent seats; -1 = never by itself. */
	int door_release_minutes;
};

/* Source of variables: getenv in production, a table in tests. */
typedef const char *(*cfg_getter)(const char *name);

/*
 * Fill c from get(). Returns 0, or -1 with a one-line reason in err
 * (naming the variable, never echoing a secret's value).
 */
int cfg_load(struct cfg *c, cfg_getter get, char *err, size_t errlen);

#endif
