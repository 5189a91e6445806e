/*
 * diff.c - `app db diff [--sql] [--all-tables]`: the operations that would
 * bring the database to the models, as lines or as SQL; writes nothing.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "../db/diff.h"
#include "../db/reflect.h"
#include "cmd.h"

static char sign(enum db_op_kind k)
{
    switch (k) {
    case DB_OP_CREATE_TABLE:
    case DB_OP_ADD_COLUMN:
    case DB_OP_CREATE_INDEX:
    case DB_OP_ADD_UNIQUE:
    case DB_OP_ADD_FK:
    case DB_OP_ADD_CHECK:
        return '+';
    case DB_OP_ALTER_COLUMN:
    case DB_OP_ALTER_VALUES:
        return '~';
    default:
        return '-';
    }
}

static const struct option opts[] = {
    {"sql", no_argument, NULL, 's'},
    {"all-tables", no_argument, NULL, 'a'},
    {NULL, 0, NULL, 0},
};

static int exec_diff(struct cmd_ctx *ctx, const struct cmd_args *args)
{
    bool sql = cmd_flag(args, 's'), all = cmd_flag(args, 'a');

    struct db_error err;
    if (db_schema_validate(ctx->models, &err))
        return cmd_fail(ctx, &err);
    struct db_reflection *r;
    struct db_diff diff;
    if (db_diff_live(&diff, &r, ctx->conn, ctx->models, all, &err))
        return cmd_fail(ctx, &err);
    enum db_dialect d = db_conn_dialect(ctx->conn);
    struct db_buf out = DB_BUF_INIT;
    int rc = 0;
    if (sql) {
        rc = db_diff_render(&out, &diff, d, DB_DIFF_COMMENTS, &err);
    } else {
        for (size_t i = 0; i < diff.n; i++) {
            const struct db_op *op = &diff.ops[i];
            db_buf_printf(&out, "%c ", sign(op->kind));
            db_diff_describe(&out, op, d);
            if (op->destructive)
                db_buf_printf(&out, "  [destructive: %s]", op->why);
            else if (op->needs_empty)
                db_buf_printf(&out, "  [%s]", op->why);
            if (db_diff_rebuilds(&diff, i, d))
                db_buf_puts(&out, "  [table rebuild]");
            db_buf_puts(&out, "\n");
        }
    }
    if (rc == 0 && !db_buf_ok(&out))
        rc = db_error_set(&err, DB_ENOMEM, "out of memory");
    if (rc == 0) {
        fputs(db_buf_str(&out), ctx->out);
        if (diff.n == 0)
            fprintf(ctx->err, "no differences: the database matches the "
                              "models\n");
    }
    db_buf_free(&out);
    db_diff_free(&diff);
    db_reflection_free(r);
    return rc ? cmd_fail(ctx, &err) : CMD_OK;
}

const struct cmd_entry cmd_diff_entry = {
    .name = "diff",
    .usage = "[--sql] [--all-tables]",
    .summary = "print what would bring the database to the models; writes "
               "nothing",
    .help = "  --sql               print the SQL (for this database) instead "
            "of one line per\n"
            "                      operation\n"
            "  --all-tables        compare every table of the database, so "
            "tables missing\n"
            "                      from the models show as drops\n",
    .flags = CMD_NEEDS_DB,
    .options = opts,
    .shortopts = "",
    .min_args = 0,
    .max_args = 0,
    .exec = exec_diff,
};
