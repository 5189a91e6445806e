/*
 * render.c - DDL per dialect.
 */
#include "render.h"

#include "driver.h"

#include <stdlib.h>
#include <string.h>

void db_render_type(struct db_buf *out, const struct db_column *col,
                    enum db_dialect d)
{
    const struct db_dialect_ops *x = db_dialect_get(d);
    if (col->type == DB_TYPE_NONE_ && col->declared_type)
        db_buf_puts(out, col->declared_type); /* reflected: as it was */
    else if (x)
        x->type_sql(out, col);
}

void db_render_type_name(struct db_buf *out, const struct db_column *col)
{
    struct db_type_spec t = db_column_type(col);
    if (t.type == DB_TYPE_NONE_ && col->declared_type) {
        db_buf_puts(out, col->declared_type);
        return;
    }
    db_buf_puts(out, db_type_name(t.type));
    if (db_type_flags(t.type) & DB_TYPEF_LENGTH)
        db_buf_printf(out, "(%d)", t.length);
    else if (t.precision > 0)
        db_buf_printf(out, "(%d,%d)", t.precision, t.scale);
}

void db_render_default(struct db_buf *out, const struct db_column *col,
                       enum db_dialect d)
{
    const struct db_dialect_ops *x = db_dialect_get(d);
    switch (col->def.kind) {
    case DB_DEFAULT_NONE: break;
    case DB_DEFAULT_STRING: db_buf_literal(out, col->def.value); break;
    case DB_DEFAULT_NUMBER: db_buf_puts(out, col->def.value); break;
    case DB_DEFAULT_BOOL:
        if (x)
            db_buf_puts(out, strcmp(col->def.value, "true") == 0
                                 ? x->true_sql : x->false_sql);
        break;
    case DB_DEFAULT_NOW:
        if (x)
            db_buf_puts(out, x->now_sql);
        break;
    case DB_DEFAULT_TODAY:
        if (x)
            db_buf_puts(out, x->today_sql);
        break;
    case DB_DEFAULT_UUID:
        if (x)
            db_buf_puts(out, x->uuid_sql);
        break;
    }
}

void db_render_pk_columns(struct db_buf *out, const struct db_table *t)
{
    int first = 1;
    for (size_t i = 0; i < t->ncolumns; i++) {
        if (!t->columns[i].primary_key)
            continue;
        if (!first)
            db_buf_puts(out, ", ");
        db_buf_ident(out, t->columns[i].name);
        first = 0;
    }
}

void db_render_alter_table(struct db_buf *out, const char *table)
{
    db_buf_puts(out, "ALTER TABLE ");
    db_buf_ident(out, table);
    db_buf_puts(out, " ");
}

void db_render_column(struct db_buf *out, const struct db_table *t,
                      const struct db_column *col, enum db_dialect d)
{
    db_buf_ident(out, col->name);
    db_buf_puts(out, " ");
    int inline_pk = col->primary_key && db_table_pk_count(t) == 1;
    const struct db_dialect_ops *x = db_dialect_get(d);
    if (inline_pk && col->autoincrement) {
        if (x && x->rowid_type_sql)
            db_buf_puts(out, x->rowid_type_sql);
        else
            db_render_type(out, col, d);
        if (x)
            db_buf_puts(out, x->identity_pk_sql);
        return;
    }
    db_render_type(out, col, d);
    if (inline_pk)
        db_buf_puts(out, " PRIMARY KEY");
    else if (!col->nullable || col->primary_key)
        db_buf_puts(out, " NOT NULL");
    if (col->def.kind != DB_DEFAULT_NONE) {
        db_buf_puts(out, " DEFAULT ");
        db_render_default(out, col, d);
    }
    if (x && x->type_check_sql)
        x->type_check_sql(out, col);
    if (col->values) {
        db_buf_puts(out, " ");
        db_render_values_constraint(out, t, col);
    }
}

void db_render_values_expr(struct db_buf *out, const struct db_column *col)
{
    db_buf_ident(out, col->name);
    db_buf_puts(out, " IN (");
    for (const char *const *v = col->values; *v; v++) {
        if (v != col->values)
            db_buf_puts(out, ", ");
        db_buf_literal(out, *v);
    }
    db_buf_puts(out, ")");
}

void db_render_values_constraint(struct db_buf *out, const struct db_table *t,
                                 const struct db_column *col)
{
    char name[DB_NAME_MAX];
    db_values_name(name, t, col);
    db_buf_puts(out, "CONSTRAINT ");
    db_buf_ident(out, name);
    db_buf_puts(out, " CHECK (");
    db_render_values_expr(out, col);
    db_buf_puts(out, ")");
}

const char *db_render_check_expr(const struct db_check *ck, enum db_dialect d)
{
    if (ck->constraint && ck->source)
        return ck->source; /* reflected: as the models wrote it */
    const struct db_dialect_ops *x = db_dialect_get(d);
    for (const struct db_check_sql *e = ck->dialects; x && e && e->dialect;
         e++)
        if (strcmp(e->dialect, x->name) == 0)
            return e->expr;
    return ck->expr;
}

void db_render_check_constraint(struct db_buf *out, const struct db_table *t,
                                const struct db_check *ck, enum db_dialect d)
{
    char name[DB_NAME_MAX];
    db_check_name(name, t, ck);
    db_buf_puts(out, "CONSTRAINT ");
    db_buf_ident(out, name);
    db_buf_puts(out, " CHECK (");
    db_buf_puts(out, db_render_check_expr(ck, d));
    db_buf_puts(out, ")");
}

void db_render_check_source(struct db_buf *out, const struct db_table *t,
                            const struct db_check *ck, enum db_dialect d)
{
    const struct db_dialect_ops *x = db_dialect_get(d);
    if (!x || !x->check_source_sql)
        return;
    char name[DB_NAME_MAX];
    db_check_name(name, t, ck);
    x->check_source_sql(out, t->name, name, db_render_check_expr(ck, d));
}

void db_render_fk_constraint(struct db_buf *out, const struct db_table *t,
                             const struct db_foreign_key *fk)
{
    char name[DB_NAME_MAX];
    db_fk_name(name, t, fk);
    db_buf_puts(out, "CONSTRAINT ");
    db_buf_ident(out, name);
    db_buf_puts(out, " FOREIGN KEY (");
    size_t n = db_fk_ncols(fk);
    for (size_t i = 0; i < n; i++) {
        db_buf_puts(out, i ? ", " : "");
        db_buf_ident(out, db_fk_col(fk, i));
    }
    db_buf_puts(out, ") REFERENCES ");
    db_buf_ident(out, fk->ref_table);
    db_buf_puts(out, " (");
    for (size_t i = 0; i < n; i++) {
        db_buf_puts(out, i ? ", " : "");
        db_buf_ident(out, db_fk_ref_col(fk, i));
    }
    db_buf_puts(out, ")");
    if (fk->on_delete != DB_FK_NO_ACTION)
        db_buf_printf(out, " ON DELETE %s", db_fk_action_sql(fk->on_delete));
    if (fk->on_update != DB_FK_NO_ACTION)
        db_buf_printf(out, " ON UPDATE %s", db_fk_action_sql(fk->on_update));
}

void db_render_create_table(struct db_buf *out, const struct db_table *t,
                            enum db_dialect d, unsigned flags)
{
    db_render_create_table_as(out, t, t->name, d, flags);
}

void db_render_create_table_as(struct db_buf *out, const struct db_table *t,
                               const char *name, enum db_dialect d,
                               unsigned flags)
{
    db_buf_puts(out, "CREATE TABLE ");
    if (flags & DB_RENDER_IF_NOT_EXISTS)
        db_buf_puts(out, "IF NOT EXISTS ");
    db_buf_ident(out, name);
    db_buf_puts(out, " (\n");
    for (size_t i = 0; i < t->ncolumns; i++) {
        db_buf_puts(out, i ? ",\n    " : "    ");
        db_render_column(out, t, &t->columns[i], d);
    }
    if (db_table_pk_count(t) > 1) {
        db_buf_puts(out, ",\n    PRIMARY KEY (");
        db_render_pk_columns(out, t);
        db_buf_puts(out, ")");
    }
    for (size_t i = 0; i < t->nforeign_keys; i++) {
        db_buf_puts(out, ",\n    ");
        db_render_fk_constraint(out, t, &t->foreign_keys[i]);
    }
    for (size_t i = 0; i < t->nchecks; i++) {
        db_buf_puts(out, ",\n    ");
        db_render_check_constraint(out, t, &t->checks[i], d);
    }
    db_buf_puts(out, "\n);\n");
    if (strcmp(name, t->name) == 0)
        for (size_t i = 0; i < t->nchecks; i++)
            db_render_check_source(out, t, &t->checks[i], d);
}

void db_render_create_index(struct db_buf *out, const struct db_table *t,
                            const struct db_index *ix, enum db_dialect d,
                            unsigned flags)
{
    (void)d;
    char name[DB_NAME_MAX];
    db_index_name(name, t, ix);
    db_buf_puts(out, ix->unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ");
    if (flags & DB_RENDER_IF_NOT_EXISTS)
        db_buf_puts(out, "IF NOT EXISTS ");
    db_buf_ident(out, name);
    db_buf_puts(out, " ON ");
    db_buf_ident(out, t->name);
    db_buf_puts(out, " (");
    for (const char *const *c = ix->columns; *c; c++) {
        if (c != ix->columns)
            db_buf_puts(out, ", ");
        db_buf_ident(out, *c);
    }
    db_buf_puts(out, ");\n");
}

void db_render_drop_table(struct db_buf *out, const char *table,
                          enum db_dialect d, unsigned flags)
{
    (void)d;
    db_buf_puts(out, "DROP TABLE ");
    if (flags & DB_RENDER_IF_EXISTS)
        db_buf_puts(out, "IF EXISTS ");
    db_buf_ident(out, table);
    db_buf_puts(out, ";\n");
}

void db_render_drop_index(struct db_buf *out, const char *index,
                          enum db_dialect d, unsigned flags)
{
    (void)d;
    db_buf_puts(out, "DROP INDEX ");
    if (flags & DB_RENDER_IF_EXISTS)
        db_buf_puts(out, "IF EXISTS ");
    db_buf_ident(out, index);
    db_buf_puts(out, ";\n");
}

int db_render_create_all(struct db_buf *out, const struct db_schema *s,
                         enum db_dialect d, unsigned flags,
                         struct db_error *err)
{
    const struct db_table **order = malloc((s->ntables + 1) * sizeof *order);
    if (!order)
        return db_error_set(err, DB_ENOMEM, "out of memory");
    int rc = db_schema_sorted(order, s, err);
    for (size_t i = 0; rc == 0 && i < s->ntables; i++) {
        db_render_create_table(out, order[i], d, flags);
        for (size_t x = 0; x < order[i]->nindexes; x++)
            db_render_create_index(out, order[i], &order[i]->indexes[x], d,
                                   flags);
    }
    free(order);
    if (rc == 0 && !db_buf_ok(out))
        rc = db_error_set(err, DB_ENOMEM, "out of memory");
    return rc;
}

int db_render_drop_all(struct db_buf *out, const struct db_schema *s,
                       enum db_dialect d, unsigned flags,
                       struct db_error *err)
{
    const struct db_table **order = malloc((s->ntables + 1) * sizeof *order);
    if (!order)
        return db_error_set(err, DB_ENOMEM, "out of memory");
    int rc = db_schema_sorted(order, s, err);
    for (size_t i = s->ntables; rc == 0 && i-- > 0;)
        db_render_drop_table(out, order[i]->name, d, flags);
    free(order);
    if (rc == 0 && !db_buf_ok(out))
        rc = db_error_set(err, DB_ENOMEM, "out of memory");
    return rc;
}
