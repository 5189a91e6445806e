/*
 * downgrade.c - `app db downgrade TARGET [--yes] [--sql]`: undo revisions.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../db/migrate.h"
#include "../db/url.h"
#include "cmd.h"

static void report(void *ctx, const struct db_revision *r,
                   enum db_direction dir, long ms)
{
    (void)dir;
    fprintf(ctx, "downgrade %s: %s (%ld ms)\n", r->id, r->message, ms);
}

static const struct option opts[] = {
    {"yes", no_argument, NULL, 'y'},
    {"sql", no_argument, NULL, 's'},
    {NULL, 0, NULL, 0},
};

/* "2 revisions (0003, 0002)" for the question. */
static int describe(char *out, size_t n, size_t *count, struct db_conn *c,
                    const struct db_graph *g, const char *target,
                    struct db_error *err)
{
    struct db_migrate_state st;
    size_t *plan = calloc(g->n ? g->n : 1, sizeof *plan);
    if (!plan)
        return db_error_set(err, DB_ENOMEM, "out of memory");
    int rc = db_migrate_state_read(&st, c, g, err);
    if (rc == 0) {
        rc = db_migrate_check(g, &st, err);
        if (rc == 0)
            rc = db_migrate_plan_downgrade(plan, count, g, &st, target, err);
        db_migrate_state_free(&st);
    }
    if (rc == 0) {
        size_t len = (size_t)snprintf(out, n, "%zu revision%s (", *count,
                                      *count == 1 ? "" : "s");
        for (size_t k = 0; k < *count && len < n; k++)
            len += (size_t)snprintf(out + len, n - len, "%s%s", k ? ", " : "",
                                    g->revs[plan[k]].id);
        if (len < n)
            snprintf(out + len, n - len, ")");
    }
    free(plan);
    return rc;
}

static int exec_downgrade(struct cmd_ctx *ctx, const struct cmd_args *args)
{
    bool sql = cmd_flag(args, 's');
    const char *target = args->argv[0];

    struct db_error err;
    struct db_graph *g = NULL;
    struct db_conn *c = NULL;
    struct db_buf script = DB_BUF_INIT;
    int rc = db_migrate_load(&g, &ctx->cfg, &err);
    if (rc)
        goto out;
    if (sql) {
        enum db_dialect d;
        if ((rc = db_config_dialect(&d, &ctx->cfg, &err)))
            goto out;
        rc = db_migrate_sql(&script, g, d, ctx->cfg.schema, DB_DOWNGRADE,
                            target, &err);
        if (rc == 0)
            fputs(db_buf_str(&script), ctx->out);
        goto out;
    }
    if ((rc = cmd_connect(ctx, &c, &err)))
        goto out;
    char what[1024], masked[2048], question[3200];
    size_t n = 0;
    if ((rc = describe(what, sizeof what, &n, c, g, target, &err)))
        goto out;
    if (n == 0) {
        fprintf(ctx->out, "nothing to downgrade: already at %s\n", target);
        goto out;
    }
    db_url_mask(masked, sizeof masked, ctx->cfg.url);
    snprintf(question, sizeof question,
             "undo %s of %s, with the data they hold", what, masked);
    if (!cmd_confirm(ctx, question)) {
        db_disconnect(c);
        db_graph_free(g);
        return CMD_FAILURE;
    }
    struct db_migrate_opts o = {.progress = report, .ctx = ctx->out,
                                .before_change = cmd_backup_before_change,
                                .change_ctx = ctx};
    rc = db_migrate_downgrade(c, g, target, &o, &n, &err);
out:
    db_buf_free(&script);
    db_disconnect(c);
    db_graph_free(g);
    return rc ? cmd_fail(ctx, &err) : CMD_OK;
}

const struct cmd_entry cmd_downgrade_entry = {
    .name = "downgrade",
    .usage = "[--yes] [--sql] TARGET",
    .summary = "undo applied revisions back to TARGET",
    .help = "  TARGET              -N (the last N), a revision id or prefix "
            "(undo what\n"
            "                      follows it), REV-N, or base (undo all)\n"
            "  -y, --yes           do not ask; needed when stdin is not a "
            "terminal\n"
            "  --sql               print the SQL instead of running it, "
            "without connecting;\n"
            "                      write FROM:TARGET (e.g. head:base)\n",
    /* backup: when something is undone (o above) */
    .flags = CMD_DESTRUCTIVE | CMD_OFFLINE_SQL | CMD_DASH_NUMBERS,
    .options = opts,
    .shortopts = "y",
    .min_args = 1,
    .max_args = 1,
    .missing = "missing TARGET (-1, a revision id, or base)",
    .exec = exec_downgrade,
};
