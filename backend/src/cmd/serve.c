/*
 * serve.c - `app serve`: bring the schema up, then serve.
 */
#include <getopt.h>
#include <stdio.h>

#include "../db/database.h"
#include "cmd.h"

static int exec_serve(struct cmd_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        {NULL, 0, NULL, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1)
        return cmd_bad_option(ctx, "serve", argv);

    struct db_error err;
    if (create_db_and_tables(ctx->conn, ctx->models, &err))
        return cmd_fail(ctx, "serve", &err);
    fprintf(ctx->out, "schema ready (%s phase); no HTTP service in this build\n",
            db_phase_name(ctx->cfg.phase));
    return CMD_OK;
}

const struct cmd_entry cmd_serve_entry = {
    .name = "serve",
    .usage = "",
    .summary = "create or migrate the schema, then serve the JSON API",
    .flags = CMD_NEEDS_DB,
    .exec = exec_serve,
};
