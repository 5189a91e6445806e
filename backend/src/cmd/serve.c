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
#include <stdlib.h>

#include "../db/module.h"
#include "../http/serve_run.h"
#include "cmd.h"

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

/* How the server reports through the command. */
static int serve_fail(void *ctx, const struct db_error *err)
{
    return cmd_fail(ctx, err);
}

static void serve_warn(void *ctx, const char *line)
{
    cmd_error(ctx, "%s", line);
}

static const struct option opts[] = {
    {"port", required_argument, NULL, 'p'},
    {"bind", required_argument, NULL, 'b'},
    {"pidfile", required_argument, NULL, 'P'},
    {"threads", required_argument, NULL, 't'},
    {"reuse-port", no_argument, NULL, 'r'},
    {NULL, 0, NULL, 0},
};

static int exec_serve(struct cmd_ctx *ctx, const struct cmd_args *args)
{
    struct http_serve_opts o = {
        .bind = ctx->settings.server_bind,
        .port = ctx->settings.server_port,
        .pidfile = ctx->settings.server_pidfile,
        .threads = 1,
    };
    /* the values in the order given, then the positional arguments */
    for (int i = 0; i < args->nopts; i++) {
        const char *val = args->opts[i].value;
        switch (args->opts[i].val) {
        case 'p':
            if (parse_port(&o.port, val))
                return cmd_usage(ctx, "bad --port '%s': expected 0 "
                                               "(any free port) to 65535",
                                 val);
            break;
        case 'b':
            if (!val[0])
                return cmd_usage(ctx, "--bind needs an address");
            o.bind = val;
            break;
        case 'P':
            if (!val[0])
                return cmd_usage(ctx, "--pidfile needs a file");
            o.pidfile = val;
            break;
        case 't':
            if (parse_int(&o.threads, val, 1, HTTP_SERVE_MAX_THREADS))
                return cmd_usage(ctx, "bad --threads '%s': expected "
                                               "1 to %d", val, HTTP_SERVE_MAX_THREADS);
            break;
        case 'r':
            o.reuse_port = 1;
            break;
        }
    }
    if (args->argc > 0)
        return cmd_usage(ctx, "unexpected argument '%s'", args->argv[0]);

    /* Blocked before any thread starts, so every thread inherits the mask
     * and the signals reach only sigwait below. */
    sigset_t stop_signals, old;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, &old);
    void *fn;
    struct db_error err;
    int status;
    if (db_module_symbol(&fn, "http", "http_serve_run", &err))
        status = cmd_fail(ctx, &err);
    else {
        const struct http_serve_env env = {
            .conn = ctx->conn,
            .cfg = &ctx->cfg,
            .settings = &ctx->settings,
            .models = ctx->models,
            .out = ctx->out,
            .err = ctx->err,
            .fail = serve_fail,
            .warn = serve_warn,
            .ctx = ctx,
        };
        status = ((http_serve_run_fn)fn)(&env, &o, &stop_signals);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return status;
}

const struct cmd_entry cmd_serve_entry = {
    .name = "serve",
    .usage = "[--port N] [--bind ADDR] [--pidfile FILE] [--threads N] "
             "[--reuse-port]",
    .summary = "create or migrate the schema, then serve the JSON API",
    .help = "  --port N            listen on port N (0: any free port; "
            "default [server] port, 8000)\n"
            "  --bind ADDR         listen on this IPv4 or IPv6 address "
            "(default [server] bind, 127.0.0.1)\n"
            "  --pidfile FILE      write the pid here while serving "
            "(default [server] pidfile, var/app.pid)\n"
            "  --threads N         serve with N threads, each with its own "
            "database connection (default 1)\n"
            "  --reuse-port        share the port with another app serve "
            "started with it,\n"
            "                      and take over its pidfile (SO_REUSEPORT: "
            "how make deploy\n"
            "                      starts the new process before stopping "
            "the old one)\n"
            "\n  SIGTERM or SIGINT: stop accepting, finish requests in "
            "flight, remove the pidfile, exit 0.\n",
    .flags = CMD_NEEDS_DB,
    .options = opts,
    .shortopts = NULL, /* --port without a value: "unknown or incomplete" */
    .min_args = 0,
    .max_args = -1, /* after the values, in exec: a bad --port first */
    .exec = exec_serve,
};
