/*
 * backup.c - `app db backup`: a timestamped copy of the database.
 */
#include <stdio.h>

#include "../db/backup.h"
#include "cmd.h"

static int exec_backup(struct cmd_ctx *ctx, int argc, char **argv)
{
    (void)argc; /* no options or arguments: checked by the dispatcher */
    (void)argv;
    char path[2048];
    struct db_error err;
    if (db_backup(path, sizeof path, ctx->conn, ctx->cfg.backup_dir, &err))
        return cmd_fail(ctx, "backup", &err);
    fprintf(ctx->out, "%s\n", path);
    return CMD_OK;
}

const struct cmd_entry cmd_backup_entry = {
    .name = "backup",
    .usage = "",
    .summary = "copy the database into [migrations] backup_dir; prints the path",
    .flags = CMD_NEEDS_DB,
    .options = cmd_no_options,
    .exec = exec_backup,
};
