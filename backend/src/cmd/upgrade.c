/*
 * upgrade.c - `app db upgrade [TARGET] [--sql]`: apply pending revisions.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "../db/flip.h"
#include "../db/migrate.h"
#include "../db/url.h"
#include "cmd.h"

static const struct option opts[] = {
    {"sql", no_argument, NULL, 's'},
    {"rehearse", no_argument, NULL, 'r'},
    {"create-database", no_argument, NULL, 'c'}, /* seen by the dispatcher */
    {NULL, 0, NULL, 0},
};

static void report(void *ctx, const struct db_revision *r,
                   enum db_direction dir, long ms)
{
    (void)dir;
    fprintf(ctx, "upgrade %s: %s (%ld ms)\n", r->id, r->message, ms);
}

static void report_rehearsal(void *ctx, const struct db_revision *r,
                             enum db_direction dir, long ms)
{
    fprintf(ctx, "rehearse %s %s: %s (%ld ms)\n",
            dir == DB_UPGRADE ? "upgrade" : "downgrade", r->id, r->message,
            ms);
}

/* --rehearse: every pending revision up, down and up again on a copy. */
static int rehearse(struct cmd_ctx *ctx)
{
    struct db_error err;
    struct db_graph *g = NULL;
    struct db_conn *c = NULL;
    size_t n = 0;
    int rc = db_migrate_load(&g, &ctx->cfg, &err);
    if (rc == 0)
        rc = cmd_connect(ctx, &c, &err);
    if (rc == 0) {
        fprintf(ctx->out, "rehearsing on %s; the live database is not "
                          "changed\n",
                db_dialect_get(db_conn_dialect(c))->rehearsal_where);
        rc = db_flip_rehearse(c, g, report_rehearsal, ctx->out, &n, &err);
    }
    if (rc == 0)
        fprintf(ctx->out, "rehearsal passed: %zu step%s; recorded in "
                          "app_version_meta (rehearsal_ok)\n",
                n, n == 1 ? "" : "s");
    db_disconnect(c);
    db_graph_free(g);
    return rc ? cmd_fail(ctx, &err) : CMD_OK;
}

static int exec_upgrade(struct cmd_ctx *ctx, const struct cmd_args *args)
{
    bool sql = cmd_flag(args, 's'), rehearsal = cmd_flag(args, 'r');
    const char *target = args->argc > 0 ? args->argv[0] : "head";
    if (rehearsal && (sql || args->argc > 0))
        return cmd_usage(ctx, "--rehearse runs every pending "
                                         "revision: it takes no TARGET and "
                                         "no --sql");
    if (rehearsal)
        return rehearse(ctx);

    struct db_error err;
    struct db_graph *g = NULL;
    struct db_conn *c = NULL;
    struct db_buf script = DB_BUF_INIT;
    int rc = db_migrate_load(&g, &ctx->cfg, &err);
    if (rc)
        goto out;
    if (sql) {
        enum db_dialect d;
        if ((rc = db_config_dialect(&d, &ctx->cfg, &err)) == 0 &&
            (rc = db_migrate_sql(&script, g, d, ctx->cfg.schema, DB_UPGRADE,
                                 target, &err)) == 0)
            fputs(db_buf_str(&script), ctx->out);
        goto out;
    }
    if ((rc = cmd_connect(ctx, &c, &err)))
        goto out;
    struct db_migrate_opts o = {.progress = report, .ctx = ctx->out,
                                .before_change = cmd_backup_before_change,
                                .change_ctx = ctx};
    size_t n = 0;
    rc = db_migrate_upgrade(c, g, target, &o, &n, &err);
    if (rc == 0 && n == 0)
        fprintf(ctx->out, "nothing to upgrade: already at %s\n", target);
out:
    db_buf_free(&script);
    db_disconnect(c);
    db_graph_free(g);
    return rc ? cmd_fail(ctx, &err) : CMD_OK;
}

const struct cmd_entry cmd_upgrade_entry = {
    .name = "upgrade",
    .usage = "[--sql] [--create-database] [TARGET] | --rehearse",
    .summary = "apply pending revisions up to TARGET (default: head)",
    .help = "  TARGET              head (the single head; the default), heads "
            "(every branch),\n"
            "                      a revision id or unique prefix, +N (the "
            "next N), REV+N\n"
            "  --sql               print the SQL instead of running it, "
            "without connecting;\n"
            "                      starts from base, or write "
            "FROM:TARGET\n"
            "  --rehearse          upgrade, downgrade and upgrade every "
            "pending revision on a\n"
            "                      copy (SQLite) or in a transaction rolled "
            "back (PostgreSQL);\n"
            "                      the live database only records that it "
            "passed\n"
            "  --create-database   production phase: create the SQLite file "
            "when it does not\n"
            "                      exist (its directory must); never done "
            "otherwise\n",
    .flags = CMD_OFFLINE_SQL, /* backup: only when there is something to
                                 apply (o above) */
    .options = opts,
    .shortopts = "",
    .min_args = 0,
    .max_args = 1,
    .exec = exec_upgrade,
};
