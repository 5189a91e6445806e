/*
 * create_all.c - `app db create-all [--sql]`: tables and indexes from the models.
 */
#include <getopt.h>
#include <stdbool.h>

#include "../db/database.h"
#include "../db/render.h"
#include "../db/url.h"
#include "cmd.h"

static const struct option opts[] = {
    {"sql", no_argument, NULL, 's'},
    {NULL, 0, NULL, 0},
};

static int exec_create_all(struct cmd_ctx *ctx, const struct cmd_args *args)
{
    bool sql = cmd_flag(args, 's');

    struct db_error err;
    if (sql) {
        /* Rendered for the configured database's dialect, without connecting. */
        enum db_dialect d;
        if (db_config_dialect(&d, &ctx->cfg, &err))
            return cmd_fail(ctx, &err);
        struct db_buf out = DB_BUF_INIT;
        int rc = db_schema_validate(ctx->models, &err);
        if (rc == 0)
            rc = db_render_create_all(&out, ctx->models, d,
                                      DB_RENDER_IF_NOT_EXISTS, &err);
        if (rc == 0)
            fputs(db_buf_str(&out), ctx->out);
        db_buf_free(&out);
        return rc ? cmd_fail(ctx, &err) : CMD_OK;
    }

    struct db_conn *conn;
    if (cmd_connect(ctx, &conn, &err))
        return cmd_fail(ctx, &err);
    int rc = create_db_and_tables(conn, ctx->models, &err);
    db_disconnect(conn);
    if (rc)
        return cmd_fail(ctx, &err);
    fprintf(ctx->out, "created any missing tables and indexes of %zu models\n",
            ctx->models->ntables);
    return CMD_OK;
}

const struct cmd_entry cmd_create_all_entry = {
    .name = "create-all",
    .usage = "[--sql]",
    .summary = "create every missing table and index from the models",
    .help = "  --sql               print the DDL instead of running it\n",
    .flags = CMD_OFFLINE_SQL,
    .options = opts,
    .shortopts = "",
    .min_args = 0,
    .max_args = 0,
    .exec = exec_create_all,
};
