/*
 * current.c - `app db current [--verbose]`: the database's head revisions.
 *
 * One id per line (nothing at base), for scripts; --verbose adds the
 * message and when it was applied.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "../db/migrate.h"
#include "cmd.h"

static const struct option opts[] = {
    {"verbose", no_argument, NULL, 'v'},
    {NULL, 0, NULL, 0},
};

static int exec_current(struct cmd_ctx *ctx, const struct cmd_args *args)
{
    bool verbose = cmd_flag(args, 'v');
    struct db_error err;
    struct db_graph *g = ctx->graph; /* CMD_NEEDS_GRAPH */
    struct db_migrate_state st = {0};
    /* the ids alone need no history when its last verification holds */
    int rc = verbose ? db_migrate_state_read(&st, ctx->conn, g, &err)
                     : db_migrate_state_read_quick(&st, ctx->conn, g, &err);
    if (rc == 0)
        rc = db_migrate_check(g, &st, &err);
    if (rc == 0) {
        for (size_t k = 0; k < st.nheads; k++) {
            const struct db_revision *r = &g->revs[st.heads[k]];
            const struct db_history_row *h =
                db_migrate_applied_row(&st, g, st.heads[k]);
            if (verbose)
                fprintf(ctx->out, "%s  %s  (%s %s UTC)\n", r->id, r->message,
                        h && h->operation[0] == 's' ? "stamped" : "applied",
                        h ? h->applied_at : "?");
            else
                fprintf(ctx->out, "%s\n", r->id);
        }
        if (verbose && st.nheads == 0)
            fprintf(ctx->out, "base (no revision applied)\n");
    }
    db_migrate_state_free(&st);
    return rc ? cmd_fail(ctx, &err) : CMD_OK;
}

const struct cmd_entry cmd_current_entry = {
    .name = "current",
    .usage = "[--verbose]",
    .summary = "print the database's current revision ids, one per line",
    .help = "  -v, --verbose       add each one's message and when it was "
            "applied\n",
    .flags = CMD_NEEDS_DB | CMD_NEEDS_GRAPH | CMD_GRAPH_HEADERS,
    .options = opts,
    .shortopts = "v",
    .min_args = 0,
    .max_args = 0,
    .exec = exec_current,
};
