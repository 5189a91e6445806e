/*
 * snapshot.c - `app db snapshot`: writes migrations/schema.sql, the
 * canonical DDL of the schema the revisions produce at head, for every
 * database (snapshot.h).
 */
#include <stdio.h>

#include "../db/migrate.h"
#include "../db/snapshot.h"
#include "cmd.h"

static int exec_snapshot(struct cmd_ctx *ctx, const struct cmd_args *args)
{
    (void)args; /* no options or arguments: checked by the dispatcher */
    struct db_error err;
    struct db_graph *g = NULL;
    char path[1100];
    size_t ntables = 0;
    int rc = db_migrate_load(&g, &ctx->cfg, &err);
    if (rc == 0)
        rc = db_snapshot_write(path, sizeof path, &ntables, ctx->conn, g,
                               &err);
    db_graph_free(g);
    if (rc)
        return cmd_fail(ctx, &err);
    fprintf(ctx->out, "%s: %zu table%s\n", path, ntables,
            ntables == 1 ? "" : "s");
    return CMD_OK;
}

const struct cmd_entry cmd_snapshot_entry = {
    .name = "snapshot",
    .usage = "",
    .summary = "write migrations/schema.sql: the schema the revisions "
               "produce, for every database",
    .help = "Builds the revisions up to every head in a scratch database "
            "beside the\n"
            "configured one (the live data is not touched), and writes its "
            "tables and\n"
            "indexes as SQL for each database in a stable order. 'app db "
            "revision'\n"
            "rewrites the file when it exists; 'app db check --snapshot' "
            "exits 1 when\n"
            "it is stale.\n",
    .flags = CMD_NEEDS_DB,
    .options = cmd_no_options,
    .min_args = 0,
    .max_args = 0,
    .exec = exec_snapshot,
};
