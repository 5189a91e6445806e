/*
 * sqlite_reflect.c - SQLite's schema in three queries, whatever the number
 * of tables: sqlite_master joined with the table-valued pragmas table_info,
 * index_list + index_info, and foreign_key_list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../buf.h"
#include "../driver.h"
#include "../reflect.h"

/* Which tables: every table of the app's, or those named in $1 (JSON). */
#define FILTER_ALL "m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
#define FILTER_SOME "m.type = 'table' AND m.name IN (SELECT value FROM json_each($1))"

struct ctx {
    struct db_reflect_builder *b;
    struct db_arena *arena;
    int rc;
    /* columns: the table whose rows came last and its primary-key count */
    char table[DB_NAME_MAX * 2];
    int npk;
    /* indexes: the index being collected */
    char index[DB_NAME_MAX * 2];
    char ixtable[DB_NAME_MAX * 2];
    bool unique;
    const char *cols[64];
    size_t ncols;
    bool expr;
};

static const char *val(const char *v)
{
    return v ? v : "";
}

/* An INTEGER PRIMARY KEY is the rowid: autoincrement, unless the key has
 * several columns. */
static void finish_table(struct ctx *x)
{
    if (!x->table[0] || x->npk <= 1)
        return;
    struct db_reflect_table *t = db_reflect__find(x->b, x->table);
    size_t n;
    struct db_column *cols = t ? db_reflect__columns(t, &n) : NULL;
    for (size_t i = 0; cols && i < n; i++)
        cols[i].autoincrement = false;
}

static int on_column(void *ctx, int ncols, const char *const *v,
                     const char *const *names)
{
    (void)ncols;
    (void)names;
    struct ctx *x = ctx;
    if (strcmp(x->table, v[0]) != 0) {
        finish_table(x);
        snprintf(x->table, sizeof x->table, "%s", v[0]);
        x->npk = 0;
    }
    struct db_reflect_table *t = db_reflect__table(x->b, v[0]);
    if (!t)
        return x->rc = DB_ENOMEM;
    struct db_column col = {.name = v[1]};
    db_reflect__type(&col.type, &col.length, val(v[2]));
    int pk = atoi(val(v[5]));
    col.primary_key = pk > 0;
    col.nullable = atoi(val(v[3])) == 0 && !col.primary_key;
    col.autoincrement = col.primary_key && strcasecmp(val(v[2]), "INTEGER") == 0;
    x->npk += col.primary_key;
    db_reflect__default(&col.def, x->arena, v[4], col.type);
    if (db_reflect__add_column(t, &col))
        return x->rc = DB_ENOMEM;
    return 0;
}

static int flush_index(struct ctx *x)
{
    if (!x->index[0])
        return 0;
    int rc = 0;
    if (!x->expr) {
        struct db_reflect_table *t = db_reflect__find(x->b, x->ixtable);
        if (t)
            rc = db_reflect__add_index(t, x->index, x->unique, x->cols,
                                       x->ncols);
    }
    for (size_t i = 0; i < x->ncols; i++)
        free((void *)x->cols[i]);
    x->ncols = 0;
    x->index[0] = '\0';
    x->expr = false;
    return rc;
}

static int on_index(void *ctx, int ncols, const char *const *v,
                    const char *const *names)
{
    (void)ncols;
    (void)names;
    struct ctx *x = ctx;
    if (strcmp(x->index, v[1]) != 0 || strcmp(x->ixtable, v[0]) != 0) {
        if (flush_index(x))
            return x->rc = DB_ENOMEM;
        snprintf(x->index, sizeof x->index, "%s", v[1]);
        snprintf(x->ixtable, sizeof x->ixtable, "%s", v[0]);
        x->unique = atoi(val(v[2])) != 0;
    }
    if (!v[3]) {
        x->expr = true; /* an expression index: not expressible in models */
        return 0;
    }
    if (x->ncols < sizeof x->cols / sizeof x->cols[0]) {
        char *c = strdup(v[3]);
        if (!c)
            return x->rc = DB_ENOMEM;
        x->cols[x->ncols++] = c;
    }
    return 0;
}

static enum db_fk_action action(const char *s)
{
    if (!s)
        return DB_FK_NO_ACTION;
    if (strcasecmp(s, "CASCADE") == 0)
        return DB_FK_CASCADE;
    if (strcasecmp(s, "SET NULL") == 0)
        return DB_FK_SET_NULL;
    if (strcasecmp(s, "SET DEFAULT") == 0)
        return DB_FK_SET_DEFAULT;
    if (strcasecmp(s, "RESTRICT") == 0)
        return DB_FK_RESTRICT;
    return DB_FK_NO_ACTION;
}

static int on_fk(void *ctx, int ncols, const char *const *v,
                 const char *const *names)
{
    (void)ncols;
    (void)names;
    struct ctx *x = ctx;
    if (atoi(val(v[2])) != 0)
        return 0; /* composite keys: the first column stands for the key */
    struct db_reflect_table *t = db_reflect__find(x->b, v[0]);
    if (!t)
        return 0;
    struct db_foreign_key fk = {
        .column = val(v[4]),
        .ref_table = val(v[3]),
        .ref_column = val(v[5]),
        .on_update = action(v[6]),
        .on_delete = action(v[7]),
    };
    if (db_reflect__add_fk(t, &fk))
        return x->rc = DB_ENOMEM;
    return 0;
}

/* The table names as a JSON array, for json_each($1). */
static void json_names(struct db_buf *out, const char *const *tables,
                       size_t n)
{
    db_buf_puts(out, "[");
    for (size_t i = 0; i < n; i++) {
        db_buf_puts(out, i ? ",\"" : "\"");
        for (const char *p = tables[i]; *p; p++) {
            unsigned char ch = (unsigned char)*p;
            if (ch == '"' || ch == '\\')
                db_buf_printf(out, "\\%c", ch);
            else if (ch < 0x20)
                db_buf_printf(out, "\\u%04x", ch);
            else
                db_buf_putn(out, p, 1);
        }
        db_buf_puts(out, "\"");
    }
    db_buf_puts(out, "]");
}

int db_sqlite__reflect(struct db_conn *c, struct db_arena *arena,
                       const char *const *tables, size_t ntables,
                       struct db_schema *out, struct db_error *err)
{
    static const char *const q_columns[2] = {
        "SELECT m.name, p.name, p.type, p.\"notnull\", p.dflt_value, p.pk "
        "FROM sqlite_master AS m, pragma_table_info(m.name) AS p WHERE "
        FILTER_ALL " ORDER BY m.name, p.cid",
        "SELECT m.name, p.name, p.type, p.\"notnull\", p.dflt_value, p.pk "
        "FROM sqlite_master AS m, pragma_table_info(m.name) AS p WHERE "
        FILTER_SOME " ORDER BY m.name, p.cid",
    };
    static const char *const q_indexes[2] = {
        "SELECT m.name, il.name, il.\"unique\", ii.name FROM sqlite_master "
        "AS m, pragma_index_list(m.name) AS il, pragma_index_info(il.name) "
        "AS ii WHERE " FILTER_ALL " AND il.origin = 'c' "
        "ORDER BY m.name, il.name, ii.seqno",
        "SELECT m.name, il.name, il.\"unique\", ii.name FROM sqlite_master "
        "AS m, pragma_index_list(m.name) AS il, pragma_index_info(il.name) "
        "AS ii WHERE " FILTER_SOME " AND il.origin = 'c' "
        "ORDER BY m.name, il.name, ii.seqno",
    };
    static const char *const q_fks[2] = {
        "SELECT m.name, f.id, f.seq, f.\"table\", f.\"from\", f.\"to\", "
        "f.on_update, f.on_delete FROM sqlite_master AS m, "
        "pragma_foreign_key_list(m.name) AS f WHERE " FILTER_ALL
        " ORDER BY m.name, f.id, f.seq",
        "SELECT m.name, f.id, f.seq, f.\"table\", f.\"from\", f.\"to\", "
        "f.on_update, f.on_delete FROM sqlite_master AS m, "
        "pragma_foreign_key_list(m.name) AS f WHERE " FILTER_SOME
        " ORDER BY m.name, f.id, f.seq",
    };
    int some = tables != NULL;
    struct db_buf json = DB_BUF_INIT;
    if (some)
        json_names(&json, tables, ntables);
    if (!db_buf_ok(&json))
        return db_error_set(err, DB_ENOMEM, "out of memory");
    const char *params[1] = {db_buf_str(&json)};

    struct ctx x = {.arena = arena};
    int rc = db_reflect__builder_new(&x.b, arena, err);
    if (rc == 0)
        rc = db_query(c, q_columns[some], some, params, on_column, &x, NULL,
                      err);
    if (rc == 0)
        finish_table(&x);
    if (rc == 0)
        rc = db_query(c, q_indexes[some], some, params, on_index, &x, NULL,
                      err);
    if (rc == 0 && flush_index(&x))
        rc = DB_ENOMEM;
    flush_index(&x); /* frees what an interrupted scan left */
    if (rc == 0)
        rc = db_query(c, q_fks[some], some, params, on_fk, &x, NULL, err);
    if (rc == DB_ENOMEM || x.rc)
        rc = db_error_set(err, DB_ENOMEM, "out of memory");
    if (rc == 0)
        rc = db_reflect__finish(out, x.b, err);
    db_reflect__builder_free(x.b);
    db_buf_free(&json);
    return rc;
}
