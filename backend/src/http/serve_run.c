/*
 * serve_run.c - the body of `app serve`, in the http module: bring the
 * schema up, start the server, wait for SIGTERM/SIGINT, drain, clean up.
 * cmd/serve.c parses the options and loads this through db_module_symbol.
 *
 * Under systemd (Type=notify), readiness is sent with sd_notify once the
 * schema step has succeeded and the socket listens, and STOPPING=1 when a
 * stop signal arrives. Without NOTIFY_SOCKET, sd_notify does nothing.
 */
#include "serve_run.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "../db/database.h"
#include "api.h"
#include "auth.h"
#include "pidfile.h"
#include "server.h"

static void log_line(void *ctx, const char *line)
{
    FILE *f = ctx;
    fprintf(f, "app serve: %s\n", line);
    fflush(f);
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 +
           (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/*
 * One line per start-up step, unless [server] log = off. They are kept
 * until the server listens and written then, so that a start-up that
 * fails says one thing: its error.
 */
struct steps {
    char line[4][160];
    int n;
};

static void step(struct steps *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void step(struct steps *st, const char *fmt, ...)
{
    if (st->n == (int)(sizeof st->line / sizeof st->line[0]))
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->line[st->n++], sizeof st->line[0], fmt, ap);
    va_end(ap);
}

static void steps_write(const struct http_serve_env *env, struct steps *st)
{
    for (int i = 0;
         i < st->n && env->settings->server_log != APP_SERVER_LOG_OFF;
         i++)
        fprintf(env->err, "app serve: start-up: %s\n", st->line[i]);
    fflush(env->err);
    st->n = 0;
}

/* Colour only on a terminal, and never with NO_COLOR set (no-color.org). */
static int use_color(FILE *f)
{
    const char *no = getenv("NO_COLOR");
    return isatty(fileno(f)) && !(no && no[0]);
}

/* Closes the connections opened beyond the command's own (conns[0]). */
static void close_extra(struct db_conn **conns, int n)
{
    for (int i = 1; i < n; i++)
        db_disconnect(conns[i]);
}

int http_serve_run(const struct http_serve_env *env,
                   const struct http_serve_opts *o,
                   const sigset_t *stop_signals)
{
    struct db_error err, fallback;
    struct steps steps = {.n = 0};
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (db_prepare_schema(env->conn, env->models, &fallback, &err))
        return env->fail(env->ctx, &err);
    step(&steps, "schema ready (%s phase) in %.0f ms",
         db_phase_name(env->cfg->phase), ms_since(&t0));
    if (fallback.code) {
        char line[sizeof fallback.message + 128];
        snprintf(line, sizeof line, "warning: DEV_CREATE_TABLES=true: the "
                                    "migrations failed, so the tables were "
                                    "created from the models instead: %s",
                 fallback.message);
        env->warn(env->ctx, line);
    }

    /* libsodium, the [auth] limits, and the dummy hash verified against
     * when a log-in names an unknown email. */
    struct http_auth auth;
    if (http_auth_init(&auth, env->settings, 1, &err))
        return env->fail(env->ctx, &err);
    struct http_api api = {
        .conn = env->conn,
        .cfg = env->cfg,
        .models = env->models,
        .ready = 1,
        .auth = &auth,
        .log = log_line,
        .log_ctx = env->err,
    };
    /* One connection per server thread, the first the command's; where
     * the engine runs one write at a time, one more that every write goes
     * through (pool.h), first. */
    struct db_conn *conns[HTTP_SERVE_MAX_THREADS + 1] = {env->conn};
    int writer = o->threads > 1 && env->conn->driver->serial_writes;
    int nconns = 1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (; nconns < o->threads + writer; nconns++)
        if (db_connect(&conns[nconns], env->cfg, &err)) {
            close_extra(conns, nconns);
            return env->fail(env->ctx, &err);
        }
    if (nconns > 1)
        step(&steps, "%d more database connections in %.0f ms", nconns - 1,
             ms_since(&t0));
    struct http_server_options so = {
        .bind = o->bind,
        .port = o->port,
        .threads = (unsigned)o->threads,
        .conns = conns,
        .writer_slot = writer,
        .reuse_port = o->reuse_port,
        .log_requests = env->settings->server_log >= APP_SERVER_LOG_REQUESTS,
        .log_debug = env->settings->server_log >= APP_SERVER_LOG_DEBUG,
        .color = use_color(env->err),
    };
    struct http_server *srv;
    if (http_server_start(&srv, &api, &so, &err)) {
        close_extra(conns, nconns);
        return env->fail(env->ctx, &err);
    }
    if ((o->reuse_port ? http_pidfile_take_over(o->pidfile, &err)
                       : http_pidfile_write(o->pidfile, &err))) {
        http_server_stop(srv);
        close_extra(conns, nconns);
        return env->fail(env->ctx, &err);
    }
    step(&steps, "listening on port %d", http_server_port(srv));
    steps_write(env, &steps);
    int v6 = strchr(o->bind, ':') != NULL;
    fprintf(env->out, "app serve: listening on http://%s%s%s:%d (%s phase, "
                      "pid %ld, pidfile %s, %d thread%s)\n",
            v6 ? "[" : "", o->bind, v6 ? "]" : "", http_server_port(srv),
            db_phase_name(env->cfg->phase), (long)getpid(), o->pidfile,
            o->threads, o->threads == 1 ? "" : "s");
    fflush(env->out);
    /* READY=1: the schema step succeeded and the socket listens. */
    if (sd_notifyf(0, "READY=1\nMAINPID=%ld\nSTATUS=listening on port %d",
                   (long)getpid(), http_server_port(srv)) > 0) {
        step(&steps, "readiness sent to systemd");
        steps_write(env, &steps);
    }

    int sig = 0;
    sigwait(stop_signals, &sig);
    sd_notify(0, "STOPPING=1");
    fprintf(env->out, "app serve: %s received; finishing requests in flight\n",
            sig == SIGINT ? "SIGINT" : "SIGTERM");
    fflush(env->out);
    int cut = http_server_stop(srv);
    close_extra(conns, nconns);
    http_pidfile_remove(o->pidfile);
    if (cut) {
        char line[80];
        snprintf(line, sizeof line, "%d request(s) cut off at the drain "
                                    "deadline", cut);
        env->warn(env->ctx, line);
    }
    fprintf(env->out, "app serve: stopped\n");
    return 0;
}

