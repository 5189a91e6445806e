/*
 * wait.c - `app db wait [--seconds N]`: wait until the database accepts
 * connections, retrying with backoff for [database] wait_seconds.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../db/connect_wait.h"
#include "../db/url.h"
#include "cmd.h"

static const struct option opts[] = {
    {"seconds", required_argument, NULL, 's'},
    {NULL, 0, NULL, 0},
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int exec_wait(struct cmd_ctx *ctx, const struct cmd_args *args)
{
    int seconds = db_config_wait_seconds(&ctx->cfg);
    for (int i = 0; i < args->nopts; i++) { /* each --seconds, in order */
        const char *val = args->opts[i].value;
        char *end;
        long v = strtol(val, &end, 10);
        if (end == val || *end || v < 0 || v > 86400)
            return cmd_usage(ctx, "bad --seconds '%s'; accepted: a "
                                  "whole number from 0 to 86400", val);
        seconds = (int)v;
    }

    struct db_conn *conn;
    struct db_error err;
    int attempts = 0;
    double start = now_seconds();
    if (db_connect_wait(&conn, &ctx->cfg, seconds, &attempts, &err))
        return cmd_fail(ctx, &err);
    char version[256] = "", masked[2048];
    if (db_version(conn, version, sizeof version, &err)) {
        db_disconnect(conn);
        return cmd_fail(ctx, &err);
    }
    db_disconnect(conn);
    db_url_mask(masked, sizeof masked, ctx->cfg.url);
    fprintf(ctx->out, "database ready: %s (%s) after %.1f s, %d attempt%s\n",
            masked[0] ? masked : "(libpq environment)", version,
            now_seconds() - start, attempts, attempts == 1 ? "" : "s");
    return CMD_OK;
}

const struct cmd_entry cmd_wait_entry = {
    .name = "wait",
    .usage = "[--seconds N]",
    .summary = "wait until the database accepts connections (with backoff)",
    .help = "  -s, --seconds N     wait up to N seconds (default: [database] "
            "wait_seconds,\n"
            "                      else 0 in pre-user and 30 in production)\n",
    .flags = 0,
    .options = opts,
    .shortopts = "s:",
    .min_args = 0,
    .max_args = 0,
    .exec = exec_wait,
};
