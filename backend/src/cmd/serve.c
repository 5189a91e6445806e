/*
 * serve.c - `app serve`: bring the schema up, then serve the JSON API.
 *
 * Start-up runs create_db_and_tables() first and refuses to listen when it
 * fails, so new code never serves an old schema. SIGTERM and SIGINT stop
 * accepting, let requests in flight finish, remove the pidfile and close
 * the database (the dispatcher closes it after exec returns).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../db/database.h"
#include "../http/api.h"
#include "../http/pidfile.h"
#include "../http/server.h"
#include "cmd.h"

#define MAX_THREADS 64

struct serve_opts {
    const char *bind;
    int port;
    const char *pidfile;
    int threads;
};

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

static int parse_int(int *out, const char *s, long min, long max)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!s[0] || *end || v < min || v > max)
        return -1;
    *out = (int)v;
    return 0;
}

static int parse_port(int *out, const char *s)
{
    return parse_int(out, s, 0, 65535);
}

static int serve(struct cmd_ctx *ctx, const struct serve_opts *o,
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

    struct http_api api = {
        .conn = ctx->conn,
        .cfg = &ctx->cfg,
        .models = ctx->models,
        .ready = 1,
        .log = log_line,
        .log_ctx = ctx->err,
    };
    /* One connection per server thread: the first is the command's. */
    struct db_conn *conns[MAX_THREADS] = {ctx->conn};
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

static int exec_serve(struct cmd_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        {"port", required_argument, NULL, 'p'},
        {"bind", required_argument, NULL, 'b'},
        {"pidfile", required_argument, NULL, 'P'},
        {"threads", required_argument, NULL, 't'},
        {NULL, 0, NULL, 0},
    };
    struct serve_opts o = {
        .bind = ctx->cfg.server_bind,
        .port = ctx->cfg.server_port,
        .pidfile = ctx->cfg.server_pidfile,
        .threads = 1,
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        switch (ch) {
        case 'p':
            if (parse_port(&o.port, optarg))
                return cmd_usage(ctx, "serve", "bad --port '%s': expected 0 "
                                               "(any free port) to 65535",
                                 optarg);
            break;
        case 'b':
            if (!optarg[0])
                return cmd_usage(ctx, "serve", "--bind needs an address");
            o.bind = optarg;
            break;
        case 'P':
            if (!optarg[0])
                return cmd_usage(ctx, "serve", "--pidfile needs a file");
            o.pidfile = optarg;
            break;
        case 't':
            if (parse_int(&o.threads, optarg, 1, MAX_THREADS))
                return cmd_usage(ctx, "serve", "bad --threads '%s': expected "
                                               "1 to %d", optarg, MAX_THREADS);
            break;
        default:
            return cmd_bad_option(ctx, "serve", argv);
        }
    }
    if (optind < argc)
        return cmd_usage(ctx, "serve", "unexpected argument '%s'",
                         argv[optind]);

    /* Blocked before any thread starts, so every thread inherits the mask
     * and the signals reach only sigwait below. */
    sigset_t stop_signals, old;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, &old);
    int status = serve(ctx, &o, &stop_signals);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return status;
}

const struct cmd_entry cmd_serve_entry = {
    .name = "serve",
    .usage = "[--port N] [--bind ADDR] [--pidfile FILE] [--threads N]",
    .summary = "create or migrate the schema, then serve the JSON API",
    .help = "  --port N            listen on port N (0: any free port; "
            "default [server] port, 8000)\n"
            "  --bind ADDR         listen on this IPv4 or IPv6 address "
            "(default [server] bind, 127.0.0.1)\n"
            "  --pidfile FILE      write the pid here while serving "
            "(default [server] pidfile, var/app.pid)\n"
            "  --threads N         serve with N threads, each with its own "
            "database connection (default 1)\n"
            "\n  SIGTERM or SIGINT: stop accepting, finish requests in "
            "flight, remove the pidfile, exit 0.\n",
    .flags = CMD_NEEDS_DB,
    .exec = exec_serve,
};
