/*
 * backup.c - `app db backup`: a timestamped copy of the database.
 */
#include <stdio.h>

#include "../db/backup.h"
#include "cmd.h"

static int exec_backup(struct cmd_ctx *ctx, const struct cmd_args *args)
{
    (void)args; /* no options or arguments: checked by the dispatcher */
    char path[2048];
    struct db_error err;
    struct db_conn *c = NULL;
    /* A database that does not exist is not created to be copied. */
    ctx->cfg.create = DB_CREATE_NO;
    int rc = cmd_connect(ctx, &c, &err);
    if (rc == DB_ENOTFOUND)
        db_error_hint(&err, "nothing to back up");
    if (rc == 0)
        rc = db_backup(path, sizeof path, c, ctx->cfg.backup_dir, &err);
    db_disconnect(c);
    if (rc)
        return cmd_fail(ctx, &err);
    fprintf(ctx->out, "%s\n", path);
    return CMD_OK;
}

const struct cmd_entry cmd_backup_entry = {
    .name = "backup",
    .usage = "",
    .summary = "copy the database into [migrations] backup_dir; prints the path",
    .flags = 0, /* connects itself: never creates the database */
    .options = cmd_no_options,
    .exec = exec_backup,
};
