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
	const char *mail_from;
	const char *mail_reply_to;	/* "" = no Reply-To */
	const char *smtp_host;
	int smtp_port;
	const char *smtp_user;		/* "" when no AUTH */
	const char *smtp_password;
	bool smtp_starttls;
	int hold_minutes;
	int mail_retry_s;		/* first retry delay; doubles */
	const char *timezone;		/* the theatre's, for dates in mail */
	const char *sql_dir;
	const char *log_level;		/* debug, info, warn, error */
	const char *metrics_file;	/* shared counters; "" = private */
	const char *metrics_token;	/* bearer token for scrapers; "" = none */
	int purge_days;			/* personal data kept after a show */
	int sweep_s;			/* housekeeping period */
};

/* Source of variables: getenv in production, a table in tests. */
typedef const char *(*cfg_getter)(const char *name);

/*
 * Fill c from get(). Returns 0, or -1 with a one-line reason in err
 * (naming the variable, never echoing a secret's value).
 */
int cfg_load(struct cfg *c, cfg_getter get, char *err, size_t errlen);

#endif
