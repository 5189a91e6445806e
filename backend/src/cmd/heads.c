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

static int exec_heads(struct cmd_ctx *ctx, int argc, char **argv)
{
    bool verbose = false;
    int ch;
    while ((ch = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
        if (ch == 'v')
            verbose = true;
        else
            return cmd_bad_option(ctx, "heads", argv);
    }
    struct db_error err;
    struct db_graph *g;
    if (db_migrate_load(&g, &ctx->cfg, &err))
        return cmd_fail(ctx, "heads", &err);
    size_t *heads = calloc(g->n ? g->n : 1, sizeof *heads);
    if (!heads) {
        db_graph_free(g);
        db_error_set(&err, DB_ENOMEM, "out of memory");
        return cmd_fail(ctx, "heads", &err);
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
    db_graph_free(g);
    return CMD_OK;
}

const struct cmd_entry cmd_heads_entry = {
    .name = "heads",
    .usage = "[--verbose]",
    .summary = "print the head revision ids (more than one: branches to "
               "merge)",
    .help = "  -v, --verbose       add each head's message and file\n",
    .flags = 0,
    .options = opts,
    .shortopts = "v",
    .min_args = 0,
    .max_args = 0,
    .exec = exec_heads,
};
