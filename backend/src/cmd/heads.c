/*
 * heads.c - `app db heads [--verbose]`: the revisions nothing follows.
 *
 * One id per line; more than one line means branches to merge.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "../db/migrate.h"
#include "cmd.h"

static const struct option opts[] = {
    {"verbose", no_argument, NULL, 'v'},
    {NULL, 0, NULL, 0},
};

static int exec_heads(struct cmd_ctx *ctx, const struct cmd_args *args)
{
    bool verbose = cmd_flag(args, 'v');
    struct db_error err;
    struct db_graph *g = ctx->graph; /* CMD_NEEDS_GRAPH */
    size_t *heads = calloc(g->n ? g->n : 1, sizeof *heads);
    if (!heads) {
        db_error_set(&err, DB_ENOMEM, "out of memory");
        return cmd_fail(ctx, &err);
    }
    size_t n = db_graph_heads(heads, g);
    for (size_t k = 0; k < n; k++) {
        const struct db_revision *r = &g->revs[heads[k]];
        if (verbose)
            fprintf(ctx->out, "%s  %s  (%s)\n", r->id, r->message, r->path);
        else
            fprintf(ctx->out, "%s\n", r->id);
    }
    free(heads);
    return CMD_OK;
}

const struct cmd_entry cmd_heads_entry = {
    .name = "heads",
    .usage = "[--verbose]",
    .summary = "print the head revision ids (more than one: branches to "
               "merge)",
    .help = "  -v, --verbose       add each head's message and file\n",
    .flags = CMD_NEEDS_GRAPH,
    .options = opts,
    .shortopts = "v",
    .min_args = 0,
    .max_args = 0,
    .exec = exec_heads,
};
