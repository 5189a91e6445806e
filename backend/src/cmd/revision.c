/*
 * revision.c - `app db revision -m MSG [--rev-id ID] [--head REV]`: a new
 * revision file from migrations/script.sql.in, on top of the head.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../db/autogen.h"
#include "../db/lint.h"
#include "../db/migrate.h"
#include "../db/snapshot.h"
#include "cmd.h"

static const struct option opts[] = {
    {"message", required_argument, NULL, 'm'},
    {"rev-id", required_argument, NULL, 'i'},
    {"head", required_argument, NULL, 'H'},
    {"autogenerate", no_argument, NULL, 'a'},
    {NULL, 0, NULL, 0},
};

/* Prints the findings of the revision autogenerate wrote at path. A
 * revision that cannot be linted is still written: a warning line. */
static void lint_written(struct cmd_ctx *ctx, const char *path)
{
    struct db_revision r;
    struct db_lint_report rep = {0};
    struct db_lint_opts o = {.lock_timeout_ms = ctx->cfg.lock_timeout_ms};
    struct db_error err;
    int rc = db_revision_load(&r, path, &err);
    if (rc == 0) {
        rc = db_lint_revision(&rep, &r, &o, &err);
        db_revision_clear(&r);
    }
    if (rc) {
        char line[3072];
        db_error_format(line, sizeof line, &err);
        cmd_error(ctx, "warning: written but not linted: %s",
                  line);
        db_lint_report_free(&rep);
        return;
    }
    struct db_buf out = DB_BUF_INIT;
    for (size_t i = 0; i < rep.n; i++)
        db_lint_format(&out, &rep.v[i]);
    db_lint_summary(&out, &rep);
    app_fputs_spelled(db_buf_str(&out), ctx->out);
    db_buf_free(&out);
    db_lint_report_free(&rep);
}

/* Rewrites migrations/schema.sql when the project keeps one. A snapshot
 * that cannot be rebuilt leaves the revision written: a warning line
 * ('app db check --snapshot' then fails until it is fixed). */
static void rewrite_snapshot(struct cmd_ctx *ctx)
{
    char path[1100];
    db_snapshot_path(path, sizeof path, &ctx->cfg);
    if (access(path, F_OK) != 0)
        return;
    struct db_error err;
    struct db_graph *g = NULL;
    struct db_conn *c = NULL;
    size_t ntables = 0;
    int rc = db_migrate_load(&g, &ctx->cfg, &err);
    if (rc == 0)
        rc = cmd_connect(ctx, &c, &err);
    if (rc == 0)
        rc = db_snapshot_write(path, sizeof path, &ntables, c, g, &err);
    db_disconnect(c);
    db_graph_free(g);
    if (rc == 0) {
        fprintf(ctx->out, "%s: %zu table%s\n", path, ntables,
                ntables == 1 ? "" : "s");
        return;
    }
    char line[3072];
    db_error_format(line, sizeof line, &err);
    cmd_error(ctx, "warning: %s not rewritten: %s", path, line);
}

static int exec_revision(struct cmd_ctx *ctx, const struct cmd_args *args)
{
    const char *message = cmd_value(args, 'm'), *head = cmd_value(args, 'H'),
               *id = cmd_value(args, 'i');
    int autogen = cmd_flag(args, 'a');
    if (!message)
        return cmd_usage(ctx, "missing -m MESSAGE");

    struct db_error err;
    struct db_graph *g;
    if (db_migrate_load(&g, &ctx->cfg, &err))
        return cmd_fail(ctx, &err);
    int rc = 0;
    const char *parent[1];
    size_t nparents = 0;
    size_t *heads = calloc(g->n ? g->n : 1, sizeof *heads);
    if (!heads) {
        rc = db_error_set(&err, DB_ENOMEM, "out of memory");
        goto out;
    }
    if (head) {
        size_t i;
        if ((rc = db_graph_find(&i, g, head, &err)))
            goto out;
        parent[nparents++] = g->revs[i].id;
    } else {
        size_t n = db_graph_heads(heads, g);
        if (n > 1) {
            rc = db_error_set(&err, DB_EGRAPH,
                              "the revisions have %zu heads; a new revision "
                              "follows one", n);
            db_error_hint(&err, "merge them first ('app db merge -m MSG "
                                "heads'), or choose one with --head REV");
            goto out;
        }
        if (n == 1)
            parent[nparents++] = g->revs[heads[0]].id;
    }
    struct db_autogen ag = DB_AUTOGEN_INIT;
    if (autogen && (rc = db_autogen_cfg(&ag, &ctx->cfg, g, ctx->models, 0,
                                        &err)) == 0 && ag.nops == 0) {
        fprintf(ctx->out, "no changes: the database matches the models; no "
                          "revision written\n");
        db_autogen_free(&ag);
        goto out;
    }
    char path[2048];
    if (rc == 0)
        rc = db_migrate_new_revision(path, sizeof path, &ctx->cfg, g, id,
                                     message, parent, nparents, ag.upgrade,
                                     ag.downgrade, &err);
    db_autogen_free(&ag);
    if (rc == 0)
        fprintf(ctx->out, "%s\n", path);
    if (rc == 0 && autogen)
        lint_written(ctx, path);
    if (rc == 0)
        rewrite_snapshot(ctx);
out:
    free(heads);
    db_graph_free(g);
    return rc ? cmd_fail(ctx, &err) : CMD_OK;
}

const struct cmd_entry cmd_revision_entry = {
    .name = "revision",
    .usage = "-m MESSAGE [--autogenerate] [--rev-id ID] [--head REV]",
    .summary = "write a new revision file on top of the head; print its path",
    .help = "  -m, --message TEXT  what the revision does (also names the "
            "file)\n"
            "  --rev-id ID         its id (default: the next number, 0001, "
            "0002, ...)\n"
            "  --autogenerate      fill it from the differences between the "
            "models and the\n"
            "                      database (which must be at the head), and "
            "print what\n"
            "                      'app db lint' finds in it\n"
            "  --head REV          its parent (default: the single head; "
            "none for the first)\n"
            "migrations/schema.sql, when it exists, is rewritten ('app db "
            "snapshot').\n",
    .flags = 0,
    .options = opts,
    .shortopts = "m:",
    .min_args = 0,
    .max_args = 0,
    .exec = exec_revision,
};
