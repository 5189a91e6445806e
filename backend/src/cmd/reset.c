/*
 * reset.c - `app db reset [--yes] [--sql]`: drop the models' tables, recreate.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "../db/database.h"
#include "../db/render.h"
#include "../db/url.h"
#include "cmd.h"

static const struct option opts[] = {
    {"yes", no_argument, NULL, 'y'},
    {"sql", no_argument, NULL, 's'},
    {NULL, 0, NULL, 0},
};

static int exec_reset(struct cmd_ctx *ctx, const struct cmd_args *args)
{
    bool sql = cmd_flag(args, 's');

    struct db_error err;
    struct db_url u;
    if (db_url_parse(&u, ctx->cfg.url, &err))
        return cmd_fail(ctx, &err);
    if (sql) {
        enum db_dialect d;
        if (db_config_dialect(&d, &ctx->cfg, &err))
            return cmd_fail(ctx, &err);
        struct db_buf out = DB_BUF_INIT;
        int rc = db_reset_sql(&out, ctx->models, d, &err);
        if (rc == 0)
            fputs(db_buf_str(&out), ctx->out);
        db_buf_free(&out);
        return rc ? cmd_fail(ctx, &err) : CMD_OK;
    }

    char masked[2048], question[2600];
    db_url_mask(masked, sizeof masked, ctx->cfg.url);
    snprintf(question, sizeof question,
             "drop and recreate the %zu model tables of %s, with all their "
             "rows", ctx->models->ntables, masked);
    if (!cmd_confirm(ctx, question))
        return CMD_FAILURE;

    struct db_conn *conn;
    if (cmd_connect(ctx, &conn, &err))
        return cmd_fail(ctx, &err);
    int rc = db_reset(conn, ctx->models, &err);
    db_disconnect(conn);
    if (rc)
        return cmd_fail(ctx, &err);
    fprintf(ctx->out, "reset %zu tables of %s\n", ctx->models->ntables, masked);
    return CMD_OK;
}

const struct cmd_entry cmd_reset_entry = {
    .name = "reset",
    .usage = "[--yes] [--sql]",
    .summary = "drop the models' tables (only those) and recreate them empty",
    .help = "  -y, --yes           do not ask; needed when stdin is not a "
            "terminal\n"
            "  --sql               print the drop-and-create script instead\n",
    .flags = CMD_DESTRUCTIVE | CMD_PREUSER_ONLY | CMD_OFFLINE_SQL,
    .options = opts,
    .shortopts = "y",
    .min_args = 0,
    .max_args = 0,
    .exec = exec_reset,
};
