/*
 * merge.c - `app db merge -m MESSAGE REV REV... | heads`: a revision that
 * joins branches, with no SQL of its own.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../db/migrate.h"
#include "cmd.h"

static const struct option opts[] = {
    {"message", required_argument, NULL, 'm'},
    {NULL, 0, NULL, 0},
};

static int exec_merge(struct cmd_ctx *ctx, const struct cmd_args *args)
{
    const char *message = cmd_value(args, 'm');
    if (!message)
        return cmd_usage(ctx, "missing -m MESSAGE");

    struct db_error err;
    struct db_graph *g;
    if (db_migrate_load(&g, &ctx->cfg, &err))
        return cmd_fail(ctx, &err);
    int rc = 0;
    size_t n = 0;
    size_t *idx = calloc(g->n ? g->n : 1, sizeof *idx);
    const char **ids = calloc(g->n ? g->n : 1, sizeof *ids);
    if (!idx || !ids) {
        rc = db_error_set(&err, DB_ENOMEM, "out of memory");
        goto out;
    }
    if (!(args->argc == 1 && strcmp(args->argv[0], "heads") == 0)) {
        for (int a = 0; a < args->argc; a++) {
            size_t i;
            if ((rc = db_graph_find(&i, g, args->argv[a], &err)))
                goto out;
            for (size_t k = 0; k < n; k++)
                if (idx[k] == i) {
                    rc = db_error_set(&err, DB_EUSAGE,
                                      "revision '%s' is named twice",
                                      g->revs[i].id);
                    goto out;
                }
            idx[n++] = i;
        }
    } else {
        n = db_graph_heads(idx, g);
    }
    if (n < 2) {
        rc = db_error_set(&err, DB_EUSAGE,
                          "nothing to merge: %zu head%s", n,
                          n == 1 ? "" : "s");
        db_error_hint(&err, "merge joins two or more branches; 'app db "
                            "heads' lists them");
        goto out;
    }
    /* Merging a revision with its own ancestor would make a cycle-free
     * but pointless edge: refuse it. */
    unsigned char *anc = calloc(g->n, 1);
    if (!anc) {
        rc = db_error_set(&err, DB_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t k = 0; k < n && rc == 0; k++) {
        for (size_t j = 0; j < g->n; j++)
            anc[j] = 0;
        db_graph_ancestors(anc, g, idx[k]);
        for (size_t m = 0; m < n; m++)
            if (m != k && anc[idx[m]]) {
                rc = db_error_set(&err, DB_EUSAGE,
                                  "'%s' is an ancestor of '%s'; they are on "
                                  "one branch", g->revs[idx[m]].id,
                                  g->revs[idx[k]].id);
                db_error_hint(&err, "name the heads of different branches");
                break;
            }
    }
    free(anc);
    if (rc)
        goto out;
    for (size_t k = 0; k < n; k++)
        ids[k] = g->revs[idx[k]].id;
    char path[2048];
    rc = db_migrate_new_revision(path, sizeof path, &ctx->cfg, g, NULL,
                                 message, ids, n, NULL, NULL, &err);
    if (rc == 0)
        fprintf(ctx->out, "%s\n", path);
out:
    free(idx);
    free(ids);
    db_graph_free(g);
    return rc ? cmd_fail(ctx, &err) : CMD_OK;
}

const struct cmd_entry cmd_merge_entry = {
    .name = "merge",
    .usage = "-m MESSAGE REV REV... | heads",
    .summary = "write a revision that joins branches: REV REV... or heads",
    .help = "  -m, --message TEXT  what the merge is for\n"
            "  REV REV...          the revisions to join; 'heads': every "
            "head\n",
    .flags = 0,
    .options = opts,
    .shortopts = "m:",
    .min_args = 1,
    .max_args = -1,
    .exec = exec_merge,
};
