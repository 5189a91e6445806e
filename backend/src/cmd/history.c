/*
 * history.c - `app db history [-r A:B] [--verbose]`: the revisions, newest
 * first, each marked applied or pending.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../db/migrate.h"
#include "cmd.h"

static const struct option opts[] = {
    {"rev-range", required_argument, NULL, 'r'},
    {"verbose", no_argument, NULL, 'v'},
    {NULL, 0, NULL, 0},
};

/* -r A:B: B and its ancestors that descend from A (A and B included);
 * either side may be empty (base / every head). */
static int select_range(unsigned char *show, const struct db_graph *g,
                        const char *range, struct db_error *err)
{
    const char *colon = strchr(range, ':');
    if (!colon) {
        db_error_set(err, DB_EUSAGE, "bad range '%s'", range);
        db_error_hint(err, "write -r A:B, -r A: or -r :B");
        return DB_EUSAGE;
    }
    char from[256];
    snprintf(from, sizeof from, "%.*s", (int)(colon - range), range);
    const char *to = colon + 1;
    size_t i;
    int rc;
    if (to[0] && strcmp(to, "heads") != 0 && strcmp(to, "head") != 0) {
        if ((rc = db_graph_find(&i, g, to, err)))
            return rc;
        db_graph_ancestors(show, g, i);
    } else {
        memset(show, 1, g->n);
    }
    if (from[0] && strcmp(from, "base") != 0) {
        unsigned char *desc = calloc(g->n ? g->n : 1, 1);
        if (!desc)
            return db_error_set(err, DB_ENOMEM, "out of memory");
        if ((rc = db_graph_find(&i, g, from, err)) == 0) {
            db_graph_descendants(desc, g, i);
            for (size_t k = 0; k < g->n; k++)
                show[k] = show[k] && desc[k];
        }
        free(desc);
        return rc;
    }
    return 0;
}

static void print_rev(FILE *f, const struct db_graph *g, size_t i,
                      const unsigned char *is_head,
                      const struct db_migrate_state *st, bool verbose)
{
    const struct db_revision *r = &g->revs[i];
    if (r->ndown == 0)
        fputs("<base>", f);
    for (size_t k = 0; k < r->ndown; k++)
        fprintf(f, "%s%s", k ? ", " : "", r->down[k]);
    fprintf(f, " -> %s %s %s", r->id,
            st->applied[i] ? "[applied]" : "[pending]", r->message);
    if (r->ndown > 1)
        fputs(" (merge)", f);
    if (is_head[i])
        fputs(" (head)", f);
    fputc('\n', f);
    if (!verbose)
        return;
    fprintf(f, "    file: %s\n", r->path);
    const struct db_history_row *h = db_migrate_applied_row(st, g, i);
    if (st->applied[i] && h)
        fprintf(f, "    %s: %s UTC (%ld ms)\n",
                h->operation[0] == 's' ? "stamped" : "applied",
                h->applied_at, h->duration_ms);
    if (!r->has_downgrade)
        fputs("    no downgrade section\n", f);
}

static int exec_history(struct cmd_ctx *ctx, const struct cmd_args *args)
{
    bool verbose = cmd_flag(args, 'v');
    const char *range = cmd_value(args, 'r');
    struct db_error err;
    struct db_graph *g = ctx->graph; /* CMD_NEEDS_GRAPH */
    struct db_migrate_state st = {0};
    unsigned char *show = NULL, *is_head = NULL;
    size_t *heads = NULL;
    int rc = 0;
    if ((rc = db_migrate_state_read(&st, ctx->conn, g, &err)))
        goto out;
    show = calloc(g->n ? g->n : 1, 1);
    is_head = calloc(g->n ? g->n : 1, 1);
    heads = calloc(g->n ? g->n : 1, sizeof *heads);
    if (!show || !is_head || !heads) {
        rc = db_error_set(&err, DB_ENOMEM, "out of memory");
        goto out;
    }
    if (range)
        rc = select_range(show, g, range, &err);
    else
        memset(show, 1, g->n);
    if (rc)
        goto out;
    size_t nheads = db_graph_heads(heads, g);
    for (size_t k = 0; k < nheads; k++)
        is_head[heads[k]] = 1;
    if (g->n == 0)
        fprintf(ctx->out, "no revisions in %s\n", g->dir);
    for (size_t i = g->n; i-- > 0;)
        if (show[i])
            print_rev(ctx->out, g, i, is_head, &st, verbose);
    rc = db_migrate_check(g, &st, &err);
out:
    free(show);
    free(is_head);
    free(heads);
    db_migrate_state_free(&st);
    return rc ? cmd_fail(ctx, &err) : CMD_OK;
}

const struct cmd_entry cmd_history_entry = {
    .name = "history",
    .usage = "[-r A:B] [--verbose]",
    .summary = "list the revisions, newest first, marked applied or pending",
    .help = "  -r, --rev-range A:B only B and its ancestors down to A (A: "
            "or :B for open ends)\n"
            "  -v, --verbose       add file, when applied and how long it "
            "took\n",
    .flags = CMD_NEEDS_DB | CMD_NEEDS_GRAPH,
    .options = opts,
    .shortopts = "r:v",
    .min_args = 0,
    .max_args = 0,
    .exec = exec_history,
};
