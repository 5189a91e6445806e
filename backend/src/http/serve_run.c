/*
 * serve_run.c - the body of `app serve`, in the http module: bring the
 * schema up, start the server, wait for SIGTERM/SIGINT, drain, clean up.
 * cmd/serve.c parses the options and loads this through db_module_symbol.
 */
#include "serve_run.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Closes the connections opened beyond the command's own (conns[0]). */
static void close_extra(struct db_conn **conns, int n)
{
    for (int i = 1; i < n; i++)
        db_disconnect(conns[i]);
}

int http_serve_run(struct cmd_ctx *ctx, const struct http_serve_opts *o,
                   const sigset_t *stop_signals)
{
    struct db_error err, fallback;
    if (db_prepare_schema(ctx->conn, ctx->models, &fallback, &err))
        return cmd_fail(ctx, "serve", &err);
    if (fallback.code)
        cmd_error(ctx, "serve", "warning: DEV_CREATE_TABLES=true: the "
                                "migrations failed, so the tables were "
                                "created from the models instead: %s",
                  fallback.message);

    /* libsodium, the [auth] limits, and the dummy hash verified against
     * when a log-in names an unknown email. */
    struct http_auth auth;
    if (http_auth_init(&auth, &ctx->cfg, 1, &err))
        return cmd_fail(ctx, "serve", &err);
    struct http_api api = {
        .conn = ctx->conn,
        .cfg = &ctx->cfg,
        .models = ctx->models,
        .ready = 1,
        .auth = &auth,
        .log = log_line,
        .log_ctx = ctx->err,
    };
    /* One connection per server thread: the first is the command's. */
    struct db_conn *conns[HTTP_SERVE_MAX_THREADS] = {ctx->conn};
    int nconns = 1;
    for (; nconns < o->threads; nconns++)
        if (db_connect(&conns[nconns], &ctx->cfg, &err)) {
            close_extra(conns, nconns);
            return cmd_fail(ctx, "serve", &err);
        }
    struct http_server_options so = {
        .bind = o->bind,
        .port = o->port,
        .threads = (unsigned)o->threads,
        .conns = conns,
    };
    struct http_server *srv;
    if (http_server_start(&srv, &api, &so, &err)) {
        close_extra(conns, nconns);
        return cmd_fail(ctx, "serve", &err);
    }
    if (http_pidfile_write(o->pidfile, &err)) {
        http_server_stop(srv);
        close_extra(conns, nconns);
        return cmd_fail(ctx, "serve", &err);
    }
    int v6 = strchr(o->bind, ':') != NULL;
    fprintf(ctx->out, "app serve: listening on http://%s%s%s:%d (%s phase, "
                      "pid %ld, pidfile %s, %d thread%s)\n",
            v6 ? "[" : "", o->bind, v6 ? "]" : "", http_server_port(srv),
            db_phase_name(ctx->cfg.phase), (long)getpid(), o->pidfile,
            o->threads, o->threads == 1 ? "" : "s");
    fflush(ctx->out);

    int sig = 0;
    sigwait(stop_signals, &sig);
    fprintf(ctx->out, "app serve: %s received; finishing requests in flight\n",
            sig == SIGINT ? "SIGINT" : "SIGTERM");
    fflush(ctx->out);
    int cut = http_server_stop(srv);
    close_extra(conns, nconns);
    http_pidfile_remove(o->pidfile);
    if (cut)
        cmd_error(ctx, "serve", "%d request(s) cut off at the drain deadline",
                  cut);
    fprintf(ctx->out, "app serve: stopped\n");
    return CMD_OK;
}

