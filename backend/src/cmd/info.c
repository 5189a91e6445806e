/*
 * info.c - `app db info`: dialect, masked URL, phase, tables, versions.
 */
#include <stdio.h>

#include "../db/database.h"
#include "../db/render.h"
#include "../db/url.h"
#include "cmd.h"

static int exec_info(struct cmd_ctx *ctx, const struct cmd_args *args)
{
    (void)args; /* no options or arguments: checked by the dispatcher */
    struct db_conn *c = ctx->conn;
    struct db_error err;
    char masked[2048], version[256] = "";
    db_url_mask(masked, sizeof masked, ctx->cfg.url);
    if (db_version(c, version, sizeof version, &err))
        return cmd_fail(ctx, &err);

    fprintf(ctx->out, "dialect:  %s\n", db_dialect_name(db_conn_dialect(c)));
    fprintf(ctx->out, "url:      %s\n", masked[0] ? masked : "(libpq environment)");
    fprintf(ctx->out, "phase:    %s (%s)\n", db_phase_name(ctx->cfg.phase),
            ctx->cfg.phase_source);
    fprintf(ctx->out, "server:   %s\n", version);
    fprintf(ctx->out, "tables:\n");
    for (size_t i = 0; i < ctx->models->ntables; i++) {
        const char *name = ctx->models->tables[i]->name;
        long rows = 0;
        int rc = db_table_rows(&rows, c, name, &err);
        if (rc == DB_ENOTFOUND)
            fprintf(ctx->out, "  %-20s missing\n", name);
        else if (rc)
            return cmd_fail(ctx, &err);
        else
            fprintf(ctx->out, "  %-20s %ld rows\n", name, rows);
    }
    return CMD_OK;
}

const struct cmd_entry cmd_info_entry = {
    .name = "info",
    .usage = "",
    .summary = "show dialect, URL (password masked), phase and table row counts",
    .flags = CMD_NEEDS_DB,
    .options = cmd_no_options,
    .min_args = 0,
    .max_args = 0,
    .exec = exec_info,
};
