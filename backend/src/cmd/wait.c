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

static int exec_wait(struct cmd_ctx *ctx, int argc, char **argv)
{
    int seconds = db_config_wait_seconds(&ctx->cfg);
    int ch;
    while ((ch = getopt_long(argc, argv, "s:", opts, NULL)) != -1) {
        if (ch != 's')
            return cmd_bad_option(ctx, "wait", argv);
        char *end;
        long v = strtol(optarg, &end, 10);
        if (end == optarg || *end || v < 0 || v > 86400)
            return cmd_usage(ctx, "wait", "bad --seconds '%s'; accepted: a "
                                          "whole number from 0 to 86400",
                             optarg);
        seconds = (int)v;
    }

    struct db_conn *conn;
    struct db_error err;
    int attempts = 0;
    double start = now_seconds();
    if (db_connect_wait(&conn, &ctx->cfg, seconds, &attempts, &err))
        return cmd_fail(ctx, "wait", &err);
    char version[256] = "", masked[2048];
    if (db_version(conn, version, sizeof version, &err)) {
        db_disconnect(conn);
        return cmd_fail(ctx, "wait", &err);
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
