/*
 * main: the boxoffice program.
 *
 *   boxoffice            FastCGI worker; the listening socket is fd 0
 *                        (spawn-fcgi); multiwatch runs several of these.
 *   boxoffice <command>  migrate, routes, user add: app/cli.c.
 *
 * A worker runs BOXOFFICE_THREADS threads, each on its own FCGX_Request in
 * an FCGX_Accept_r loop (no accept mutex: libfcgi on Linux needs none, and
 * one would deadlock with kept connections). The threads share one
 * PostgreSQL pool. The main thread only waits for SIGTERM/SIGINT, then
 * stops the idle threads and lets the busy ones finish their request.
 * Any of SIGTERM, SIGQUIT, SIGINT, SIGHUP, SIGUSR1 stops it so.
 */
#include "app.h"
#include "auth.h"
#include "cli.h"
#include "dispatch.h"
#include "media.h"
#include "ops.h"
#include "outbox.h"
#include "shows.h"

#include "../lib/arena.h"
#include "../lib/db.h"
#include "../lib/doccache.h"
#include "../lib/log.h"
#include "../lib/metrics.h"
#include "../lib/tok.h"

#include <errno.h>
#include <fcgiapp.h>
#include <pthread.h>
#include <sodium.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct app app;

/* The signal that wakes an idle thread out of accept()/read(). */
#define SIG_WAKE SIGUSR2

struct worker {
	pthread_t tid;
	atomic_bool busy;
	atomic_bool done;
};

static atomic_bool stopping;

static int fcgi_read(void *ctx, char *buf, int n)
{
	FCGX_Request *fr = ctx;

	return FCGX_GetStr(buf, n, fr->in);
}

static int fcgi_write(void *ctx, const char *buf, int n)
{
	FCGX_Request *fr = ctx;

	return FCGX_PutStr(buf, n, fr->out);
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void handle(FCGX_Request *fr, struct arena *a)
{
	struct http_io io = {fcgi_read, fcgi_write, fr};
	struct http_req req;
	struct http_res res;
	int64_t t0 = now_us();

	if (http_req_init(&req, a, fr->envp) < 0) {
		static const char oom[] = "Status: 503 Service Unavailable\r\n"
					  "Content-Type: application/json\r\n\r\n"
					  "{\"error\":{\"code\":\"unavailable\","
					  "\"message\":\"out of memory\"}}";
		FCGX_PutStr(oom, (int)sizeof(oom) - 1, fr->out);
		return;
	}
	http_res_init(&res, a);
	app_dispatch(&req, &res, &io);
	/* A client that went away is not our error: nothing to do. */
	(void)http_send(&req, &res, &io);
	{
		int64_t us = now_us() - t0;

		metrics_request(req.route_index, res.status, us);
		log_request(req.request_id, req.method_name,
			    req.route != NULL ? req.route : "-", res.status,
			    us);
	}
}

static void set_wake_blocked(bool blocked)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIG_WAKE);
	pthread_sigmask(blocked ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct arena *a = arena_new((size_t)32 * 1024);
	FCGX_Request fr;

	if (a == NULL || FCGX_InitRequest(&fr, 0, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		log_event(LOG_ERROR, NULL, "worker_init_failed",
			  "cannot set up a worker thread");
		arena_free(a);
		atomic_store(&w->done, true);
		return NULL;
	}
	while (!atomic_load(&stopping)) {
		int rc;

		/* SIG_WAKE may interrupt us only while we wait for a
		 * request, never while we read one or answer it. */
		set_wake_blocked(false);
		rc = FCGX_Accept_r(&fr);
		set_wake_blocked(true);
		if (rc < 0) {
			if (rc != -EINTR && !atomic_load(&stopping)) {
				log_event(LOG_ERROR, NULL, "accept_failed",
					  "FCGX_Accept_r: %d", rc);
				/* Avoid spinning on a broken socket. */
				usleep(100000);
			}
			continue;
		}
		atomic_store(&w->busy, true);
		handle(&fr, a);
		/* Finish outside any lock: it may wait for nginx. */
		FCGX_Finish_r(&fr);
		arena_reset(a);
		atomic_store(&w->busy, false);
	}
	FCGX_Free(&fr, 1);
	arena_free(a);
	atomic_store(&w->done, true);
	return NULL;
}

static void on_wake(int sig)
{
	(void)sig;
}

/*
 * Only the main thread takes the stop signals; threads inherit the mask,
 * and also start with SIG_WAKE blocked. Every signal multiwatch may use
 * to end its children means "finish, then exit": Debian's multiwatch
 * forwards SIGQUIT on shutdown whatever -s says, and the default action
 * of SIGQUIT would drop the requests in flight. *stopset is the set the
 * main thread waits for.
 */
static void set_signals(sigset_t *stopset)
{
	struct sigaction sa;

	/* No SA_RESTART: the point is to interrupt accept(). */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_wake;
	sigemptyset(&sa.sa_mask);
	sigaction(SIG_WAKE, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	sigemptyset(stopset);
	sigaddset(stopset, SIGTERM);
	sigaddset(stopset, SIGINT);
	sigaddset(stopset, SIGHUP);
	sigaddset(stopset, SIGQUIT);
	sigaddset(stopset, SIGUSR1);
	sigaddset(stopset, SIG_WAKE);
	pthread_sigmask(SIG_BLOCK, stopset, NULL);
	sigdelset(stopset, SIG_WAKE);
}

/*
 * Wake idle threads until all are done; busy ones finish first. A thread
 * may be just about to block when we signal it, so keep signalling; give
 * up after 30 s.
 */
static void stop_workers(struct worker *workers, int started)
{
	for (int tries = 0; tries < 600; tries++) {
		int left = 0;

		for (int i = 0; i < started; i++) {
			if (atomic_load(&workers[i].done))
				continue;
			left++;
			if (!atomic_load(&workers[i].busy))
				pthread_kill(workers[i].tid, SIG_WAKE);
		}
		if (left == 0)
			break;
		usleep(50000);
	}
	for (int i = 0; i < started; i++) {
		if (!atomic_load(&workers[i].done)) {
			/* A request stuck for 30 s: do not free what it uses. */
			log_event(LOG_ERROR, NULL, "worker_stop_timeout",
				  "thread %d still busy, exiting anyway", i);
			_exit(1);
		}
		pthread_join(workers[i].tid, NULL);
	}
}

static int serve(void)
{
	sigset_t stopset;
	struct worker *workers;
	int sig, n = app.cfg.threads, started = 0;

	if (FCGX_Init() != 0) {
		log_event(LOG_ERROR, NULL, "startup_failed", "FCGX_Init failed");
		return 1;
	}
	set_signals(&stopset);
	/* Before the request threads: they read what it sets up. */
	if (shows_watch_start() < 0)
		log_event(LOG_ERROR, NULL, "doccache_not_started",
			  "public documents are rendered at every request");
	workers = calloc((size_t)n, sizeof(*workers));
	if (workers == NULL)
		return 1;
	for (int i = 0; i < n; i++) {
		atomic_init(&workers[i].busy, false);
		atomic_init(&workers[i].done, false);
		if (pthread_create(&workers[i].tid, NULL, worker_main,
				   &workers[i]) != 0)
			break;
		started++;
	}
	if (started == 0) {
		log_event(LOG_ERROR, NULL, "startup_failed", "no thread started");
		free(workers);
		return 1;
	}
	if (outbox_start() < 0)
		log_event(LOG_ERROR, NULL, "outbox_not_started",
			  "mail will only go out from other workers");
	log_event(LOG_INFO, NULL, "worker_started", "%d threads, pool %d",
		  started, app.cfg.pool_size);

	if (sigwait(&stopset, &sig) != 0)
		sig = SIGTERM;

	atomic_store(&stopping, true);
	log_event(LOG_INFO, NULL, "worker_stopping",
		  "signal %d: finishing in-flight requests", sig);
	stop_workers(workers, started);
	doccache_watch_stop();
	outbox_stop();
	log_event(LOG_INFO, NULL, "worker_stopped", "bye");
	free(workers);
	return 0;
}

static const char *env(const char *name)
{
	return getenv(name);
}

int main(int argc, char **argv)
{
	char err[256];
	int rc;

	if (cfg_load(&app.cfg, env, err, sizeof(err)) < 0) {
		fprintf(stderr, "boxoffice: configuration: %s\n", err);
		return 2;
	}
	log_init(app.cfg.log_level);
	if (sodium_init() < 0) {
		log_event(LOG_ERROR, NULL, "startup_failed", "sodium_init");
		return 1;
	}

	if (argc > 1)
		return cli_run(argc, argv);
	/* The key that seals confirm tokens for reminders and "send me my
	 * bookings" (docs/ARCHITECTURE.md, "Tokens"): without one those
	 * messages carry no link; a key file named but unusable is an error. */
	if (*app.cfg.token_key_file == '\0')
		log_event(LOG_WARN, NULL, "token_key_off",
			  "BOXOFFICE_TOKEN_KEY_FILE not set: reminders and "
			  "booking lists go out without links");
	else if (tok_seal_load(app.cfg.token_key_file, err, sizeof(err)) < 0) {
		log_event(LOG_ERROR, NULL, "startup_failed", "%s", err);
		return 1;
	}
	if (metrics_open(app.cfg.metrics_file) < 0)
		log_event(LOG_WARN, NULL, "metrics_off", "no memory for metrics");
	if (ops_init() < 0 || auth_init() < 0) {
		log_event(LOG_ERROR, NULL, "startup_failed", "auth_init");
		return 1;
	}

	/* libvips before any thread: uploads (app/media.c). */
	if (media_init(argv[0]) < 0)
		return 1;
	app.pool = db_pool_new(app.cfg.database_url, app.cfg.pool_size);
	if (app.pool == NULL) {
		log_event(LOG_ERROR, NULL, "startup_failed", "out of memory");
		return 1;
	}
	rc = serve();
	db_pool_free(app.pool);
	return rc;
}
