/*
 * prepare.c - `app db prepare`: bring the schema up as start-up does.
 */
#include <stdio.h>

#include "../db/database.h"
#include "cmd.h"

static int exec_prepare(struct cmd_ctx *ctx, const struct cmd_args *args)
{
    (void)args; /* no options or arguments: checked by the dispatcher */
    struct db_error err, fallback;
    if (db_prepare_schema(ctx->conn, ctx->models, &fallback, &err))
        return cmd_fail(ctx, &err);
    if (fallback.code)
        cmd_error(ctx, "warning: DEV_CREATE_TABLES=true: the "
                                  "migrations failed, so the tables were "
                                  "created from the models instead: %s",
                  fallback.message);
    fprintf(ctx->out, "schema ready (%s phase)\n", db_phase_name(ctx->cfg.phase));
    return CMD_OK;
}

const struct cmd_entry cmd_prepare_entry = {
    .name = "prepare",
    .usage = "",
    .summary = "bring the schema up as start-up does: create-all (pre-user) "
               "or upgrade to head (production)",
    .flags = CMD_NEEDS_DB,
    .options = cmd_no_options,
    .exec = exec_prepare,
};
