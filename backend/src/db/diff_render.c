/*
 * diff_render.c - operations in words and as SQL for one dialect: the
 * description of each operation, the ALTER strategy (native ALTER, or the
 * dialect's table rebuild) and the SQL of a whole diff or one operation.
 */
#include "diff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"

/* ---- describing ---- */

const char *db_op_kind_name(enum db_op_kind k)
{
    switch (k) {
    case DB_OP_CREATE_TABLE: return "create table";
    case DB_OP_DROP_TABLE: return "drop table";
    case DB_OP_ADD_COLUMN: return "add column";
    case DB_OP_DROP_COLUMN: return "drop column";
    case DB_OP_ALTER_COLUMN: return "alter column";
    case DB_OP_CREATE_INDEX: return "create index";
    case DB_OP_DROP_INDEX: return "drop index";
    case DB_OP_ADD_UNIQUE: return "add unique";
    case DB_OP_DROP_UNIQUE: return "drop unique";
    case DB_OP_ADD_FK: return "add foreign key";
    case DB_OP_DROP_FK: return "drop foreign key";
    case DB_OP_ADD_CHECK: return "add check";
    case DB_OP_DROP_CHECK: return "drop check";
    case DB_OP_ALTER_VALUES: return "alter values";
    }
    return "?";
}

static const struct db_table *op_table(const struct db_op *op)
{
    return op->table ? op->table : op->from;
}

static void put_cols(struct db_buf *out, const char *const *cols)
{
    db_buf_puts(out, "(");
    for (const char *const *c = cols; *c; c++) {
        if (c != cols)
            db_buf_puts(out, ", ");
        db_buf_ident(out, *c);
    }
    db_buf_puts(out, ")");
}

static void put_column_ref(struct db_buf *out, const char *table,
                           const char *column)
{
    db_buf_ident(out, table);
    db_buf_puts(out, ".");
    db_buf_ident(out, column);
}

/* ('a', 'b'), or none */
static void put_values(struct db_buf *out, const char *const *values)
{
    if (!values) {
        db_buf_puts(out, "any value");
        return;
    }
    db_buf_puts(out, "(");
    for (const char *const *v = values; *v; v++) {
        db_buf_puts(out, v == values ? "" : ", ");
        db_buf_literal(out, *v);
    }
    db_buf_puts(out, ")");
}

/* The values of a not in b, as 'x', 'y'; returns how many. */
static size_t put_missing(struct db_buf *out, const char *const *a,
                          const char *const *b)
{
    size_t n = 0;
    for (; a && *a; a++) {
        const char *const *v = b;
        while (*v && strcmp(*v, *a) != 0)
            v++;
        if (*v)
            continue;
        db_buf_puts(out, n++ ? ", " : "");
        db_buf_literal(out, *a);
    }
    return n;
}

static void describe_values(struct db_buf *out, const struct db_op *op)
{
    const char *const *to = op->column->values;
    const char *const *from = op->from_column->values;
    if (!to || !from) {
        db_buf_puts(out, ": ");
        put_values(out, from);
        db_buf_puts(out, " -> ");
        put_values(out, to);
        return;
    }
    struct db_buf list = DB_BUF_INIT;
    const char *sep = ": ";
    if (put_missing(&list, to, from)) {
        db_buf_printf(out, "%sadd %s", sep, db_buf_str(&list));
        sep = ", ";
    }
    db_buf_reset(&list);
    if (put_missing(&list, from, to))
        db_buf_printf(out, "%sremove %s", sep, db_buf_str(&list));
    db_buf_free(&list);
}

static void put_default(struct db_buf *out, const struct db_column *c,
                        enum db_dialect d)
{
    if (c->def.kind == DB_DEFAULT_NONE)
        db_buf_puts(out, "none");
    else
        db_render_default(out, c, d);
}

void db_diff_describe(struct db_buf *out, const struct db_op *op,
                      enum db_dialect d)
{
    const struct db_table *t = op_table(op);
    char name[DB_NAME_MAX];
    db_buf_puts(out, db_op_kind_name(op->kind));
    db_buf_puts(out, " ");
    switch (op->kind) {
    case DB_OP_CREATE_TABLE:
    case DB_OP_DROP_TABLE:
        db_buf_ident(out, t->name);
        break;
    case DB_OP_ADD_COLUMN:
        put_column_ref(out, t->name, op->column->name);
        db_buf_puts(out, " ");
        db_render_type_name(out, op->column);
        if (!op->column->nullable)
            db_buf_puts(out, " NOT NULL");
        if (op->column->def.kind != DB_DEFAULT_NONE) {
            db_buf_puts(out, " DEFAULT ");
            db_render_default(out, op->column, d);
        }
        break;
    case DB_OP_DROP_COLUMN:
        put_column_ref(out, t->name, op->from_column->name);
        break;
    case DB_OP_ALTER_COLUMN: {
        put_column_ref(out, t->name, op->column->name);
        const char *sep = ": ";
        if (op->changes & DB_ALTER_TYPE) {
            db_buf_puts(out, sep);
            db_buf_puts(out, "type ");
            db_render_type_name(out, op->from_column);
            db_buf_puts(out, " -> ");
            db_render_type_name(out, op->column);
            sep = ", ";
        }
        if (op->changes & DB_ALTER_NULLABLE) {
            db_buf_puts(out, sep);
            db_buf_puts(out, op->column->nullable ? "NOT NULL -> NULL"
                                                  : "NULL -> NOT NULL");
            sep = ", ";
        }
        if (op->changes & DB_ALTER_DEFAULT) {
            db_buf_puts(out, sep);
            db_buf_puts(out, "default ");
            put_default(out, op->from_column, d);
            db_buf_puts(out, " -> ");
            put_default(out, op->column, d);
            sep = ", ";
        }
        if (op->changes & DB_ALTER_KEY) {
            db_buf_puts(out, sep);
            db_buf_puts(out, "primary key or identity");
        }
        break;
    }
    case DB_OP_CREATE_INDEX:
    case DB_OP_ADD_UNIQUE:
    case DB_OP_DROP_INDEX:
    case DB_OP_DROP_UNIQUE: {
        const struct db_table *it =
            (op->kind == DB_OP_CREATE_INDEX || op->kind == DB_OP_ADD_UNIQUE)
                ? op->table : op->from;
        db_index_name(name, it, op->index);
        db_buf_ident(out, name);
        db_buf_puts(out, " on ");
        db_buf_ident(out, t->name);
        db_buf_puts(out, " ");
        put_cols(out, op->index->columns);
        break;
    }
    case DB_OP_ADD_CHECK:
    case DB_OP_DROP_CHECK: {
        const struct db_table *ct = op->kind == DB_OP_ADD_CHECK ? op->table
                                                                : op->from;
        db_check_name(name, ct, op->check);
        db_buf_ident(out, name);
        db_buf_puts(out, " on ");
        db_buf_ident(out, t->name);
        db_buf_printf(out, " (%s)", db_render_check_expr(op->check, d));
        break;
    }
    case DB_OP_ALTER_VALUES:
        put_column_ref(out, t->name, op->column->name);
        describe_values(out, op);
        break;
    case DB_OP_ADD_FK:
    case DB_OP_DROP_FK: {
        const struct db_table *ft = op->kind == DB_OP_ADD_FK ? op->table
                                                             : op->from;
        db_fk_name(name, ft, op->fk);
        db_buf_ident(out, name);
        db_buf_puts(out, " ");
        size_t n = db_fk_ncols(op->fk);
        if (n > 1) {
            db_buf_ident(out, t->name);
            db_buf_puts(out, " (");
            for (size_t k = 0; k < n; k++) {
                db_buf_puts(out, k ? ", " : "");
                db_buf_ident(out, db_fk_col(op->fk, k));
            }
            db_buf_puts(out, ") -> ");
            db_buf_ident(out, op->fk->ref_table);
            db_buf_puts(out, " (");
            for (size_t k = 0; k < n; k++) {
                db_buf_puts(out, k ? ", " : "");
                db_buf_ident(out, db_fk_ref_col(op->fk, k));
            }
            db_buf_puts(out, ")");
        } else {
            put_column_ref(out, t->name, db_fk_col(op->fk, 0));
            db_buf_puts(out, " -> ");
            put_column_ref(out, op->fk->ref_table, db_fk_ref_col(op->fk, 0));
        }
        if (op->fk->on_delete != DB_FK_NO_ACTION)
            db_buf_printf(out, " ON DELETE %s",
                          db_fk_action_sql(op->fk->on_delete));
        if (op->fk->on_update != DB_FK_NO_ACTION)
            db_buf_printf(out, " ON UPDATE %s",
                          db_fk_action_sql(op->fk->on_update));
        break;
    }
    }
}

/* ---- the ALTER strategy: native ALTER or the dialect's rebuild ---- */

/* Whether the table (existing on both sides) is rebuilt for dialect x. */
static bool table_rebuilt(const struct db_diff *diff, const char *table,
                          const struct db_dialect_ops *x)
{
    for (size_t i = 0; i < diff->n; i++) {
        const struct db_op *op = &diff->ops[i];
        if (op->table && op->from && strcmp(op->table->name, table) == 0 &&
            x->needs_rebuild(op))
            return true;
    }
    return false;
}

bool db_diff_rebuilds(const struct db_diff *diff, size_t i, enum db_dialect d)
{
    const struct db_dialect_ops *x = db_dialect_get(d);
    const struct db_op *op = &diff->ops[i];
    return x && x->needs_rebuild && op->table && op->from &&
           table_rebuilt(diff, op->table->name, x);
}

bool db_diff_any_rebuild(const struct db_diff *diff, enum db_dialect d)
{
    for (size_t i = 0; i < diff->n; i++)
        if (db_diff_rebuilds(diff, i, d))
            return true;
    return false;
}

bool db_diff_any_online(const struct db_diff *diff, enum db_dialect d)
{
    const struct db_dialect_ops *x = db_dialect_get(d);
    for (size_t i = 0; x && x->render_online && i < diff->n; i++)
        if (!db_diff_rebuilds(diff, i, d) &&
            x->render_online(NULL, &diff->ops[i]))
            return true;
    return false;
}

/* ---- one operation as SQL ---- */

/* The SQL of op when it is not part of a rebuild. */
static void render_plain(struct db_buf *out, const struct db_op *op,
                         enum db_dialect d)
{
    char name[DB_NAME_MAX];
    switch (op->kind) {
    case DB_OP_CREATE_TABLE:
        db_render_create_table(out, op->table, d, 0);
        break;
    case DB_OP_DROP_TABLE:
        db_render_drop_table(out, op->from->name, d, 0);
        break;
    case DB_OP_ADD_COLUMN:
        db_render_alter_table(out, op->table->name);
        db_buf_puts(out, "ADD COLUMN ");
        db_render_column(out, op->table, op->column, d);
        db_buf_puts(out, ";\n");
        break;
    case DB_OP_DROP_COLUMN:
        db_render_alter_table(out, op->from->name);
        db_buf_puts(out, "DROP COLUMN ");
        db_buf_ident(out, op->from_column->name);
        db_buf_puts(out, ";\n");
        break;
    case DB_OP_ALTER_COLUMN: {
        /* a dialect without ALTER COLUMN rebuilds the table instead */
        const struct db_dialect_ops *x = db_dialect_get(d);
        if (x && x->render_alter_column)
            x->render_alter_column(out, op);
        break;
    }
    case DB_OP_CREATE_INDEX:
    case DB_OP_ADD_UNIQUE:
        db_render_create_index(out, op->table, op->index, d, 0);
        break;
    case DB_OP_DROP_INDEX:
    case DB_OP_DROP_UNIQUE:
        db_index_name(name, op->from, op->index);
        db_render_drop_index(out, name, d, 0);
        break;
    case DB_OP_ADD_FK:
        db_render_alter_table(out, op->table->name);
        db_buf_puts(out, "ADD ");
        db_render_fk_constraint(out, op->table, op->fk);
        db_buf_puts(out, ";\n");
        break;
    case DB_OP_DROP_FK:
        db_fk_name(name, op->from, op->fk);
        db_render_alter_table(out, op->from->name);
        db_buf_puts(out, "DROP CONSTRAINT ");
        db_buf_ident(out, name);
        db_buf_puts(out, ";\n");
        break;
    case DB_OP_ADD_CHECK:
        db_render_alter_table(out, op->table->name);
        db_buf_puts(out, "ADD ");
        db_render_check_constraint(out, op->table, op->check, d);
        db_buf_puts(out, ";\n");
        db_render_check_source(out, op->table, op->check, d);
        break;
    case DB_OP_DROP_CHECK:
        db_check_name(name, op->from, op->check);
        db_render_alter_table(out, op->from->name);
        db_buf_puts(out, "DROP CONSTRAINT ");
        db_buf_ident(out, name);
        db_buf_puts(out, ";\n");
        break;
    case DB_OP_ALTER_VALUES:
        if (op->from_column->values) {
            db_values_name(name, op->from, op->from_column);
            db_render_alter_table(out, op->from->name);
            db_buf_puts(out, "DROP CONSTRAINT ");
            db_buf_ident(out, name);
            db_buf_puts(out, ";\n");
        }
        if (op->column->values) {
            db_render_alter_table(out, op->table->name);
            db_buf_puts(out, "ADD ");
            db_render_values_constraint(out, op->table, op->column);
            db_buf_puts(out, ";\n");
        }
        break;
    }
}

static void render_comment(struct db_buf *out, const struct db_op *op,
                           enum db_dialect d)
{
    if (op->destructive)
        db_buf_puts(out, "-- DESTRUCTIVE: ");
    else if (op->needs_empty || op->may_fail)
        db_buf_puts(out, "-- CAUTION: ");
    else
        db_buf_puts(out, "-- ");
    db_diff_describe(out, op, d);
    if (op->why) {
        db_buf_puts(out, " (");
        db_buf_puts(out, op->why);
        db_buf_puts(out, ")");
    }
    db_buf_puts(out, "\n");
}

int db_diff_render(struct db_buf *out, const struct db_diff *diff,
                   enum db_dialect d, unsigned flags, struct db_error *err)
{
    const struct db_dialect_ops *x = db_dialect_get(d);
    bool guard = db_diff_any_rebuild(diff, d);
    if (guard && x->rebuild_prologue)
        db_buf_puts(out, x->rebuild_prologue);
    for (size_t i = 0; i < diff->n; i++) {
        const struct db_op *op = &diff->ops[i];
        if (!db_diff_rebuilds(diff, i, d)) {
            if (flags & DB_DIFF_COMMENTS)
                render_comment(out, op, d);
            if (!(flags & DB_DIFF_ONLINE) || !x->render_online ||
                !x->render_online(out, op))
                render_plain(out, op, d);
            continue;
        }
        /* the table's first op: its comments, then the rebuild */
        size_t first = i;
        while (first > 0 && diff->ops[first - 1].table &&
               diff->ops[first - 1].from &&
               strcmp(diff->ops[first - 1].table->name, op->table->name) == 0)
            first--;
        if (first != i)
            continue; /* done with the table's first op */
        size_t last = i;
        while (last + 1 < diff->n && diff->ops[last + 1].table &&
               diff->ops[last + 1].from &&
               strcmp(diff->ops[last + 1].table->name, op->table->name) == 0)
            last++;
        if (flags & DB_DIFF_COMMENTS)
            for (size_t j = i; j <= last; j++)
                render_comment(out, &diff->ops[j], d);
        if (x->render_rebuild(out, diff, i))
            return db_error_set(err, DB_ENOMEM, "out of memory");
    }
    if (guard && x->rebuild_epilogue)
        db_buf_puts(out, x->rebuild_epilogue);
    if (!db_buf_ok(out))
        return db_error_set(err, DB_ENOMEM, "out of memory");
    return 0;
}

/* Whether the diff adds a column to table, or changes one's type: a guard
 * runs before the revision, on the table as it is, and could not evaluate
 * an expression about such a column. */
static bool reshapes(const struct db_diff *diff, const char *table)
{
    for (size_t i = 0; i < diff->n; i++) {
        const struct db_op *op = &diff->ops[i];
        if (op->table && op->from && strcmp(op->table->name, table) == 0 &&
            (op->kind == DB_OP_ADD_COLUMN ||
             (op->kind == DB_OP_ALTER_COLUMN &&
              (op->changes & DB_ALTER_TYPE))))
            return true;
    }
    return false;
}

bool db_diff_render_guards(struct db_buf *out, const struct db_diff *diff,
                           enum db_dialect d, unsigned flags)
{
    const struct db_dialect_ops *x = db_dialect_get(d);
    bool any = false;
    if (!x->render_guard || !x->render_online)
        return false;
    for (size_t i = 0; i < diff->n; i++) {
        const struct db_op *op = &diff->ops[i];
        if (db_diff_rebuilds(diff, i, d) || !x->render_online(NULL, op) ||
            (op->kind != DB_OP_ALTER_COLUMN && reshapes(diff, op->table->name)))
            continue;
        struct db_buf g = DB_BUF_INIT;
        if (x->render_guard(&g, op)) {
            if (flags & DB_DIFF_COMMENTS) {
                db_buf_puts(out, "-- guard: ");
                db_diff_describe(out, op, d);
                db_buf_puts(out, "\n");
            }
            db_buf_puts(out, db_buf_str(&g));
            any = true;
        }
        if (!db_buf_ok(&g))
            out->oom = true;
        db_buf_free(&g);
    }
    return any;
}

int db_diff_render_op(struct db_buf *out, const struct db_diff *diff,
                      size_t i, enum db_dialect d, struct db_error *err)
{
    const struct db_dialect_ops *x = db_dialect_get(d);
    if (db_diff_rebuilds(diff, i, d)) {
        if (x->rebuild_prologue)
            db_buf_puts(out, x->rebuild_prologue);
        if (x->render_rebuild(out, diff, i))
            return db_error_set(err, DB_ENOMEM, "out of memory");
        if (x->rebuild_epilogue)
            db_buf_puts(out, x->rebuild_epilogue);
    } else {
        render_plain(out, &diff->ops[i], d);
    }
    if (!db_buf_ok(out))
        return db_error_set(err, DB_ENOMEM, "out of memory");
    return 0;
}
