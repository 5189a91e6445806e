/*
 * stamp.c - `app db stamp TARGET`: record where the database is, running
 * no SQL. Also the repair after a failed transaction=false block.
 */
#include <stdio.h>

#include "../db/migrate.h"
#include "cmd.h"

static int exec_stamp(struct cmd_ctx *ctx, int argc, char **argv)
{
    const char *target = argv[argc - 1]; /* exactly one: checked centrally */
    struct db_error err;
    struct db_graph *g;
    if (db_migrate_load(&g, &ctx->cfg, &err))
        return cmd_fail(ctx, "stamp", &err);
    int rc = db_migrate_stamp(ctx->conn, g, target, &err);
    db_graph_free(g);
    if (rc)
        return cmd_fail(ctx, "stamp", &err);
    fprintf(ctx->out, "stamped %s\n", target);
    return CMD_OK;
}

const struct cmd_entry cmd_stamp_entry = {
    .name = "stamp",
    .usage = "TARGET",
    .summary = "record TARGET as the current revision without running SQL",
    .help = "  TARGET              head, heads, base (nothing applied), or a "
            "revision id or prefix\n",
    .flags = CMD_NEEDS_DB | CMD_BACKUP,
    .options = cmd_no_options,
    .min_args = 1,
    .max_args = 1,
    .exec = exec_stamp,
};
