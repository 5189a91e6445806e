/*
 * check.c - `app db check [--all-tables]`: does the database match the
 * models? Exit 0 when it does, 1 with each difference and the SQL that
 * would fix it.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../db/diff.h"
#include "../db/migrate.h"
#include "../db/reflect.h"
#include "../db/snapshot.h"
#include "cmd.h"

static const struct option opts[] = {
    {"all-tables", no_argument, NULL, 'a'},
    {"snapshot", no_argument, NULL, 's'},
    {NULL, 0, NULL, 0},
};

/* --snapshot: migrations/schema.sql against what the revisions produce. */
static int check_snapshot(struct cmd_ctx *ctx)
{
    struct db_error err;
    struct db_graph *g = NULL;
    int rc = db_migrate_load(&g, &ctx->cfg, &err);
    if (rc == 0)
        rc = db_snapshot_check(ctx->conn, g, &err);
    db_graph_free(g);
    if (rc)
        return cmd_fail(ctx, &err);
    char path[1100];
    db_snapshot_path(path, sizeof path, &ctx->cfg);
    fprintf(ctx->out, "%s matches the revisions\n", path);
    return CMD_OK;
}

/* What the database has that the models cannot say: told, never changed. */
static void print_unmanaged(struct cmd_ctx *ctx, const struct db_schema *s)
{
    for (size_t i = 0; i < s->ntables; i++) {
        const struct db_table *t = s->tables[i];
        for (size_t k = 0; k < t->nunmanaged; k++)
            fprintf(ctx->out, "-- unmanaged (not in the models, left "
                              "alone): \"%s\": %s\n", t->name,
                    t->unmanaged[k].what);
    }
}

static int exec_check(struct cmd_ctx *ctx, const struct cmd_args *args)
{
    bool all = cmd_flag(args, 'a'), snapshot = cmd_flag(args, 's');
    if (snapshot && all)
        return cmd_usage(ctx, "--snapshot compares the schema file, not the "
                              "tables: no --all-tables");
    if (snapshot)
        return check_snapshot(ctx);
    struct db_error err;
    int rc = db_schema_validate(ctx->models, &err);
    if (rc)
        return cmd_fail(ctx, &err);
    struct db_reflection *r;
    struct db_diff diff;
    if (db_diff_live(&diff, &r, ctx->conn, ctx->models, all, &err))
        return cmd_fail(ctx, &err);
    enum db_dialect d = db_conn_dialect(ctx->conn);
    print_unmanaged(ctx, &r->schema);
    if (diff.n == 0) {
        fprintf(ctx->out, "the database matches the models (%zu tables)\n",
                ctx->models->ntables);
        db_diff_free(&diff);
        db_reflection_free(r);
        return CMD_OK;
    }

    fprintf(ctx->out, "-- the database differs from the models: %zu "
                      "difference%s\n", diff.n, diff.n == 1 ? "" : "s");
    struct db_buf buf = DB_BUF_INIT;
    for (size_t i = 0; i < diff.n && rc == 0; i++) {
        const struct db_op *op = &diff.ops[i];
        db_buf_reset(&buf);
        db_buf_puts(&buf, "\n-- ");
        if (op->destructive)
            db_buf_puts(&buf, "DESTRUCTIVE: ");
        db_diff_describe(&buf, op, d);
        if (op->why)
            db_buf_printf(&buf, " (%s)", op->why);
        /* a new constraint: how many rows break it now */
        long breaking = 0;
        if (op->may_fail &&
            (rc = db_diff_violations(&breaking, ctx->conn, op, &err)) != 0)
            break;
        if (breaking)
            db_buf_printf(&buf, " [%ld row%s break%s it]", breaking,
                          breaking == 1 ? "" : "s", breaking == 1 ? "s" : "");
        db_buf_puts(&buf, "\n");
        /* a table SQLite rebuilds: the rebuild once, at its first op */
        bool shown = false;
        if (db_diff_rebuilds(&diff, i, d))
            for (size_t j = 0; j < i && !shown; j++)
                shown = db_diff_rebuilds(&diff, j, d) &&
                        strcmp(diff.ops[j].table->name, op->table->name) == 0;
        if (shown) {
            db_buf_puts(&buf, "--   (done by the rebuild of ");
            db_buf_ident(&buf, op->table->name);
            db_buf_puts(&buf, " above)\n");
        } else {
            rc = db_diff_render_op(&buf, &diff, i, d, &err);
        }
        fputs(db_buf_str(&buf), ctx->out);
    }
    db_buf_free(&buf);
    db_diff_free(&diff);
    db_reflection_free(r);
    if (rc)
        return cmd_fail(ctx, &err);
    cmd_error(ctx, "the database differs from the models; in the "
                            "pre-user phase restart the app (or run 'app db "
                            "reset'), in production write a revision: 'app "
                            "db revision --autogenerate -m MSG'");
    return CMD_FAILURE;
}

const struct cmd_entry cmd_check_entry = {
    .name = "check",
    .usage = "[--all-tables] | --snapshot",
    .summary = "exit 0 if the database matches the models, 1 listing the "
               "differences as SQL",
    .help = "  --all-tables        compare every table of the database, so "
            "tables missing\n"
            "                      from the models show as drops (default: "
            "the models' tables)\n"
            "  --snapshot          instead: exit 0 if migrations/schema.sql "
            "is what the\n"
            "                      revisions produce ('app db snapshot' "
            "writes it), 1 if not\n",
    .flags = CMD_NEEDS_DB,
    .options = opts,
    .shortopts = "",
    .min_args = 0,
    .max_args = 0,
    .exec = exec_check,
};
