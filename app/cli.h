/*
 * cli: the command-line commands of the boxoffice program, apart from
 * serving (docs/OPERATIONS.md):
 *
 *   boxoffice migrate     apply pending sql/NNN_*.sql migrations
 *   boxoffice routes      the route table as JSON lines (for the tests)
 *   boxoffice user add --email E --role staff|admin [--name N]
 *                         [--password-stdin]
 *                         create a user or, if the email exists, reset
 *                         its password, role and lockout; prints a
 *                         generated password once
 */
#ifndef BOXOFFICE_CLI_H
#define BOXOFFICE_CLI_H

/* Run the command argv[1..] (argc >= 2) with app.cfg loaded; returns the
 * process's exit status (2 for a usage error). */
int cli_run(int argc, char **argv);

#endif
