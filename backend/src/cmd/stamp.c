/*
 * stamp.c - `app db stamp [--no-verify] TARGET`: record where the database
 * is, running no SQL, after proving that its schema is the one the
 * revisions up to TARGET build. Also the repair after a failed
 * transaction=false block.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "../db/flip.h"
#include "../db/migrate.h"
#include "cmd.h"

static const struct option opts[] = {
    {"no-verify", no_argument, NULL, 'n'},
    {"create-database", no_argument, NULL, 'c'}, /* seen by the dispatcher */
    {NULL, 0, NULL, 0},
};

static int exec_stamp(struct cmd_ctx *ctx, const struct cmd_args *args)
{
    bool verify = !cmd_flag(args, 'n');
    const char *target = args->argv[0]; /* exactly one: checked centrally */
    struct db_error err;
    struct db_graph *g;
    if (db_migrate_load(&g, &ctx->cfg, &err))
        return cmd_fail(ctx, &err);
    if (!verify)
        cmd_error(ctx, "warning: --no-verify: stamping %s without "
                                "checking that the schema matches it",
                  target);
    struct db_buf report = DB_BUF_INIT;
    int rc = db_flip_stamp(&report, ctx->conn, g, target, verify, &err);
    db_graph_free(g);
    if (rc == DB_EDRIFT)
        fprintf(ctx->out, "-- what the live database lacks or has in "
                          "excess, as the SQL that would fix it:\n%s",
                db_buf_str(&report));
    db_buf_free(&report);
    if (rc)
        return cmd_fail(ctx, &err);
    fprintf(ctx->out, "stamped %s\n", target);
    return CMD_OK;
}

const struct cmd_entry cmd_stamp_entry = {
    .name = "stamp",
    .usage = "[--no-verify] [--create-database] TARGET",
    .summary = "record TARGET as the current revision without running SQL, "
               "once the schema is proved to match",
    .help = "  TARGET              head, heads, base (nothing applied), or a "
            "revision id or prefix\n"
            "  --no-verify         skip building the revisions in a scratch "
            "database and\n"
            "                      comparing it with the live schema\n"
            "  --create-database   production phase: create the SQLite file "
            "when it does not\n"
            "                      exist (its directory must); never done "
            "otherwise\n",
    .flags = CMD_NEEDS_DB | CMD_BACKUP,
    .options = opts,
    .shortopts = "",
    .min_args = 1,
    .max_args = 1,
    .exec = exec_stamp,
};
