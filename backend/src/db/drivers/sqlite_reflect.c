/*
 * sqlite_reflect.c - SQLite's schema in three queries, whatever the number
 * of tables: sqlite_master joined with the table-valued pragmas table_info,
 * index_list + index_info, and foreign_key_list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdbool.h>

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
    struct db_reflect_index_rows ix;   /* the index being collected */
    struct db_buf unparsed;   /* JSON array of indexes left to the pragma */
    struct db_reflect_fk_rows fk;      /* the foreign key being collected */
    struct db_reflect_table *ddl_table;   /* whose CREATE TABLE is read */
};

static const char *val(const char *v)
{
    return v ? v : "";
}

/* The table names as a JSON array, for json_each($1). */
static void json_names(struct db_buf *out, const char *const *tables,
                       size_t n)
{
    db_buf_puts(out, "[");
    db_reflect__json_names(out, tables, n);
    db_buf_puts(out, "]");
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
    db_reflect__type(&col, val(v[2]), true);
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

static int on_index(void *ctx, int ncols, const char *const *v,
                    const char *const *names)
{
    (void)ncols;
    (void)names;
    struct ctx *x = ctx;
    if (db_reflect__index_row(&x->ix, x->b, v[0], v[1], atoi(val(v[2])) != 0,
                              v[3]))
        return x->rc = DB_ENOMEM;
    if (!x->ix.sql && v[4] && !(x->ix.sql = strdup(v[4])))
        return x->rc = DB_ENOMEM;
    return 0;
}

/* ---- CREATE [UNIQUE] INDEX [IF NOT EXISTS] name ON table (cols) ---- */

static const char *skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

/* A keyword (case-insensitive, whole word); returns what follows or NULL. */
static const char *keyword(const char *p, const char *kw)
{
    p = skip_space(p);
    size_t n = strlen(kw);
    if (strncasecmp(p, kw, n) != 0)
        return NULL;
    char c = p[n];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || c == '_')
        return NULL;
    return p + n;
}

/* An identifier, quoted ("", [], ``) or bare, into out (unquoted). */
static const char *ident(const char *p, char *out, size_t n)
{
    p = skip_space(p);
    size_t len = 0;
    char close = *p == '"' ? '"' : *p == '[' ? ']' : *p == '`' ? '`' : 0;
    if (close) {
        for (p++; *p; p++) {
            if (*p == close) {
                if (close != ']' && p[1] == close)
                    p++;
                else
                    break;
            }
            if (len + 1 < n)
                out[len++] = *p;
        }
        if (*p != close)
            return NULL;
        p++;
    } else {
        while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
               (*p >= '0' && *p <= '9') || *p == '_' || (*p & 0x80)) {
            if (len + 1 < n)
                out[len++] = *p;
            p++;
        }
        if (len == 0)
            return NULL;
    }
    out[len] = '\0';
    return p;
}

/* The columns of an index's SQL into x->ix.cols; false when it is not a list
 * of plain columns (expressions), or on no memory. */
static bool parse_index(struct ctx *x, const char *sql, bool *unique,
                        bool *partial)
{
    *partial = false;
    char word[DB_NAME_MAX * 2], skip[DB_NAME_MAX * 2];
    const char *p = keyword(sql, "CREATE"), *q;
    if (!p)
        return false;
    *unique = (q = keyword(p, "UNIQUE")) != NULL;
    if (q)
        p = q;
    if (!(p = keyword(p, "INDEX")))
        return false;
    if ((q = keyword(p, "IF")) && (q = keyword(q, "NOT")) &&
        (q = keyword(q, "EXISTS")))
        p = q;
    if (!(p = ident(p, word, sizeof word)))
        return false;
    if (*p == '.' && !(p = ident(p + 1, word, sizeof word)))
        return false; /* schema.name */
    if (!(p = keyword(p, "ON")) || !(p = ident(p, word, sizeof word)))
        return false;
    p = skip_space(p);
    if (*p++ != '(')
        return false;
    for (;;) {
        if (!(p = ident(p, word, sizeof word)))
            break;
        if ((q = keyword(p, "COLLATE")) && (q = ident(q, skip, sizeof skip)))
            p = q;
        if ((q = keyword(p, "ASC")) || (q = keyword(p, "DESC")))
            p = q;
        p = skip_space(p);
        if ((*p != ',' && *p != ')') ||
            x->ix.ncols >= sizeof x->ix.cols / sizeof x->ix.cols[0])
            break;
        char *c = strdup(word);
        if (!c)
            break;
        x->ix.cols[x->ix.ncols++] = c;
        if (*p++ == ')') {
            *partial = keyword(p, "WHERE") != NULL;
            return true;
        }
    }
    db_reflect__index_flush(&x->ix, NULL);
    return false;
}

/* One index row from sqlite_master: table, name, sql. */
static int on_index_sql(void *ctx, int ncols, const char *const *v,
                        const char *const *names)
{
    (void)ncols;
    (void)names;
    struct ctx *x = ctx;
    struct db_reflect_table *t = db_reflect__find(x->b, v[0]);
    if (!t)
        return 0;
    bool unique = false, partial = false;
    if (parse_index(x, v[2], &unique, &partial) && partial) {
        /* WHERE: the models have no partial indexes */
        db_reflect__index_flush(&x->ix, NULL);
        char what[DB_NAME_MAX * 2 + 64];
        snprintf(what, sizeof what, "%sindex \"%s\" with a WHERE clause",
                 unique ? "unique " : "", v[1]);
        return db_reflect__add_unmanaged(t, what, v[2], false)
                   ? (x->rc = DB_ENOMEM) : 0;
    }
    if (!x->ix.ncols) {
        /* left to pragma_index_info: its name into the JSON list */
        const char *one[1] = {v[1]};
        db_buf_puts(&x->unparsed, x->unparsed.len ? "," : "[");
        db_reflect__json_names(&x->unparsed, one, 1);
        return db_buf_ok(&x->unparsed) ? 0 : (x->rc = DB_ENOMEM);
    }
    int rc = db_reflect__add_index(t, v[1], unique, x->ix.cols, x->ix.ncols);
    db_reflect__index_flush(&x->ix, NULL);
    return rc ? (x->rc = DB_ENOMEM) : 0;
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

/* One row per column of a key, the rows of a key together (id, seq). */
static int on_fk(void *ctx, int ncols, const char *const *v,
                 const char *const *names)
{
    (void)ncols;
    (void)names;
    struct ctx *x = ctx;
    /* the catalog names no key: the fk_ convention's name; a key to the
     * referenced table's primary key names no columns */
    const struct db_foreign_key head = {
        .ref_table = val(v[3]),
        .on_update = action(v[6]),
        .on_delete = action(v[7]),
    };
    if (db_reflect__fk_row(&x->fk, x->b, v[0], val(v[1]),
                           atoi(val(v[2])) == 0, &head, v[4], v[5]))
        return x->rc = DB_ENOMEM;
    return 0;
}

/* Whether an unnamed CHECK is the one a column's type writes for itself
 * (JSON's json_valid): part of the type, not a constraint. */
static bool type_check(struct db_reflect_table *t, const char *body)
{
    size_t n;
    const struct db_column *cols = db_reflect__columns(t, &n);
    for (size_t i = 0; i < n; i++) {
        struct db_buf want = DB_BUF_INIT, have = DB_BUF_INIT;
        db_sqlite_dialect.type_check_sql(&want, &cols[i]);
        db_buf_printf(&have, " CHECK (%s)", body);
        bool same = db_buf_ok(&want) && db_buf_ok(&have) && want.len &&
                    strcmp(db_buf_str(&want), db_buf_str(&have)) == 0;
        db_buf_free(&want);
        db_buf_free(&have);
        if (same)
            return true;
    }
    return false;
}

/* One constraint of a CREATE TABLE text (sqlite_ddl.c). */
static int on_constraint(void *ctx, enum db_sqlite_constraint kind,
                         const char *name, const char *body)
{
    struct ctx *x = ctx;
    struct db_reflect_table *t = x->ddl_table;
    if (kind == DB_SQLITE_CHECK && name && strncmp(name, "ck_", 3) == 0)
        /* SQLite keeps the text as written: it is its own source */
        return db_reflect__add_check(t, name, body, body);
    if (kind == DB_SQLITE_CHECK && !name && type_check(t, body))
        return 0;
    struct db_buf what = DB_BUF_INIT, clause = DB_BUF_INIT;
    db_buf_puts(&what, kind == DB_SQLITE_CHECK ? "check" : "unique constraint");
    if (name)
        db_buf_printf(&what, " \"%s\"", name);
    if (body[0])
        db_buf_printf(&what, " (%.200s)", body);
    /* written again as a table constraint by a rebuild; a column's UNIQUE
     * (no column list) cannot be */
    if (name) {
        db_buf_puts(&clause, "CONSTRAINT ");
        db_buf_ident(&clause, name);
        db_buf_puts(&clause, " ");
    }
    db_buf_printf(&clause, "%s (%s)",
                  kind == DB_SQLITE_CHECK ? "CHECK" : "UNIQUE", body);
    int rc = db_buf_ok(&what) && db_buf_ok(&clause)
                 ? db_reflect__add_unmanaged(t, db_buf_str(&what),
                                             body[0] ? db_buf_str(&clause)
                                                     : NULL,
                                             true)
                 : DB_ENOMEM;
    db_buf_free(&what);
    db_buf_free(&clause);
    return rc;
}

/* One table's CREATE TABLE text: name, sql. */
static int on_table_sql(void *ctx, int ncols, const char *const *v,
                        const char *const *names)
{
    (void)ncols;
    (void)names;
    struct ctx *x = ctx;
    x->ddl_table = db_reflect__find(x->b, v[0]);
    if (!x->ddl_table)
        return 0;
    int rc = db_sqlite__table_constraints(v[1], on_constraint, x);
    return rc ? (x->rc = DB_ENOMEM) : 0;
}

int db_sqlite__reflect(struct db_conn *c, struct db_arena *arena,
                       const char *const *tables, size_t ntables,
                       struct db_schema *out, struct db_error *err)
{
    /* main's tables only: a TEMP table of the same name (a revision may
     * make one) is not the schema */
    static const char *const q_columns[2] = {
        "SELECT m.name, p.name, p.type, p.\"notnull\", p.dflt_value, p.pk "
        "FROM main.sqlite_master AS m, pragma_table_info(m.name, 'main') "
        "AS p WHERE " FILTER_ALL,
        "SELECT m.name, p.name, p.type, p.\"notnull\", p.dflt_value, p.pk "
        "FROM main.sqlite_master AS m, pragma_table_info(m.name, 'main') "
        "AS p WHERE " FILTER_SOME,
    };
    /* indexes made by CREATE INDEX have their SQL (automatic ones have
     * none); their columns are read from it, or, for what the parser does
     * not take, from pragma_index_info in one more query */
    static const char *const q_indexes[2] = {
        "SELECT i.tbl_name, i.name, i.sql FROM main.sqlite_master AS i "
        "WHERE i.type = 'index' AND i.sql IS NOT NULL AND i.tbl_name IN "
        "(SELECT m.name FROM main.sqlite_master AS m WHERE " FILTER_ALL ")",
        "SELECT i.tbl_name, i.name, i.sql FROM main.sqlite_master AS i "
        "WHERE i.type = 'index' AND i.sql IS NOT NULL AND i.tbl_name IN "
        "(SELECT m.name FROM main.sqlite_master AS m WHERE " FILTER_SOME ")",
    };
    static const char *const q_index_info =
        "SELECT i.tbl_name, i.name, substr(i.sql, 1, 14) = 'CREATE UNIQUE ', "
        "ii.name, i.sql FROM main.sqlite_master AS i, pragma_index_info(i.name, "
        "'main') AS ii WHERE i.type = 'index' AND i.name IN (SELECT value "
        "FROM json_each($1)) ORDER BY i.name, ii.seqno";
    static const char *const q_fks[2] = {
        "SELECT m.name, f.id, f.seq, f.\"table\", f.\"from\", f.\"to\", "
        "f.on_update, f.on_delete FROM main.sqlite_master AS m, "
        "pragma_foreign_key_list(m.name, 'main') AS f WHERE " FILTER_ALL,
        "SELECT m.name, f.id, f.seq, f.\"table\", f.\"from\", f.\"to\", "
        "f.on_update, f.on_delete FROM main.sqlite_master AS m, "
        "pragma_foreign_key_list(m.name, 'main') AS f WHERE " FILTER_SOME,
    };
    static const char *const q_tables[2] = {
        "SELECT m.name, m.sql FROM main.sqlite_master AS m WHERE " FILTER_ALL,
        "SELECT m.name, m.sql FROM main.sqlite_master AS m WHERE " FILTER_SOME,
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
        rc = db_query(c, q_indexes[some], some, params, on_index_sql, &x,
                      NULL, err);
    if (rc == 0 && x.unparsed.len > 0) {
        db_buf_puts(&x.unparsed, "]");
        const char *names[1] = {db_buf_str(&x.unparsed)};
        rc = db_query(c, q_index_info, 1, names, on_index, &x, NULL, err);
        if (rc == 0 && db_reflect__index_flush(&x.ix, x.b))
            rc = DB_ENOMEM;
    }
    db_reflect__index_flush(&x.ix, NULL); /* frees what an interrupted scan left */
    db_buf_free(&x.unparsed);
    if (rc == 0)
        rc = db_query(c, q_fks[some], some, params, on_fk, &x, NULL, err);
    /* adds the last key, or (after a failure) frees what the scan left */
    if (db_reflect__fk_flush(&x.fk, rc == 0 ? x.b : NULL))
        rc = DB_ENOMEM;
    if (rc == 0)
        rc = db_query(c, q_tables[some], some, params, on_table_sql, &x, NULL,
                      err);
    if (rc == DB_ENOMEM || x.rc)
        rc = db_error_set(err, DB_ENOMEM, "out of memory");
    if (rc == 0)
        rc = db_reflect__finish(out, x.b, err);
    db_reflect__builder_free(x.b);
    db_buf_free(&json);
    return rc;
}
