/*
 * postgres_reflect.c - PostgreSQL's schema in four catalog queries,
 * whatever the number of tables (one when none of them exists): columns
 * (pg_attribute, pg_attrdef, identity), indexes (pg_index, not those
 * behind primary keys or constraints), foreign keys and the other
 * constraints (pg_constraint: checks with the comment keeping their text
 * as written), all in the app's schema.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>

#include "../buf.h"
#include "../driver.h"
#include "../reflect.h"

/*
 * $1: the schema; $2 (with a list): the table names as a JSON array.
 *
 * The planner's time is most of what these queries cost on a schema of
 * a few hundred tables (create-all reflects twice before it creates
 * anything), and it grows with the number of relations joined. So the
 * schema and the names are InitPlans (computed once, outside the join
 * search) that the index on (relname, relnamespace) takes directly, and
 * names read by key (a referenced table, a column by number, a default)
 * are scalar subqueries. A name longer than 63 bytes (NAMEDATALEN - 1)
 * matches no table, as it would not as text; it is left out of the
 * array rather than truncated by the cast to name.
 */
#define FILTER_ALL                                                         \
    "t.relnamespace = (SELECT s.oid FROM pg_catalog.pg_namespace s "       \
    "WHERE s.nspname = $1) AND t.relkind IN ('r', 'p')"
#define FILTER_SOME FILTER_ALL                                             \
    " AND t.relname = ANY (ARRAY(SELECT j.name "                           \
    "FROM pg_catalog.json_array_elements_text($2::json) AS j(name) "       \
    "WHERE pg_catalog.octet_length(j.name) < 64)::name[])"

/* the default looked up only for a column that has one (atthasdef), the
 * primary key joined once per table (a table has at most one): per
 * column, each was a subplan run on every row */
#define Q_COLUMNS(filter)                                                  \
    "SELECT t.relname, a.attname, "                                        \
    "pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull, "      \
    "CASE WHEN a.atthasdef THEN "                                          \
    "(SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid) "                  \
    "FROM pg_catalog.pg_attrdef d "                                        \
    "WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum) END, "           \
    "a.attidentity <> '', "                                                \
    "COALESCE(a.attnum = ANY (pk.indkey), false) "                         \
    "FROM pg_catalog.pg_class t "                                          \
    "LEFT JOIN pg_catalog.pg_index pk ON pk.indrelid = t.oid "             \
    "AND pk.indisprimary "                                                 \
    "JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid "                \
    "AND a.attnum > 0 AND NOT a.attisdropped "                             \
    "WHERE " filter " ORDER BY t.relname, a.attnum"

/* a column of an expression (attnum 0) has no name: NULL */
#define Q_INDEXES(filter)                                                  \
    "SELECT t.relname, ic.relname, x.indisunique, "                        \
    "(SELECT a.attname FROM pg_catalog.pg_attribute a "                    \
    "WHERE a.attrelid = t.oid AND a.attnum = k.attnum AND k.attnum > 0) "  \
    "FROM pg_catalog.pg_class t "                                          \
    "JOIN pg_catalog.pg_index x ON x.indrelid = t.oid "                    \
    "JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid "                \
    "CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY "         \
    "AS k(attnum, ord) "                                                   \
    "WHERE " filter " AND NOT x.indisprimary AND x.indpred IS NULL "       \
    "AND NOT EXISTS (SELECT 1 "                                            \
    "FROM pg_catalog.pg_constraint c WHERE c.conindid = x.indexrelid "     \
    "AND c.conrelid = t.oid) "                                             \
    "ORDER BY t.relname, ic.relname, k.ord"

/* checks, unique and exclusion constraints, and partial indexes ('i'):
 * the checks named ck_... are the models'; the rest is reported as
 * unmanaged */
#define Q_CONSTRAINTS(filter)                                              \
    "SELECT t.relname, c.conname, c.contype, "                             \
    "pg_catalog.pg_get_constraintdef(c.oid), "                             \
    "pg_catalog.obj_description(c.oid, 'pg_constraint') "                  \
    "FROM pg_catalog.pg_constraint c "                                     \
    "JOIN pg_catalog.pg_class t ON t.oid = c.conrelid "                    \
    "WHERE c.contype IN ('c', 'u', 'x') AND " filter                       \
    " UNION ALL "                                                          \
    "SELECT t.relname, ic.relname, 'i', "                                  \
    "pg_catalog.pg_get_indexdef(x.indexrelid), NULL "                      \
    "FROM pg_catalog.pg_index x "                                          \
    "JOIN pg_catalog.pg_class t ON t.oid = x.indrelid "                    \
    "JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid "                \
    "WHERE x.indpred IS NOT NULL AND " filter                              \
    " ORDER BY 1, 2"

/* unnest() of two arrays is ROWS FROM syntax: it takes no schema */
#define Q_FKS(filter)                                                      \
    "SELECT t.relname, c.conname, k.ord, "                                 \
    "(SELECT rt.relname FROM pg_catalog.pg_class rt "                      \
    "WHERE rt.oid = c.confrelid), "                                        \
    "(SELECT a.attname FROM pg_catalog.pg_attribute a "                    \
    "WHERE a.attrelid = c.conrelid AND a.attnum = k.att), "                \
    "(SELECT ra.attname FROM pg_catalog.pg_attribute ra "                  \
    "WHERE ra.attrelid = c.confrelid AND ra.attnum = k.ratt), "            \
    "c.confupdtype, c.confdeltype "                                        \
    "FROM pg_catalog.pg_class t "                                          \
    "JOIN pg_catalog.pg_constraint c ON c.conrelid = t.oid "               \
    "CROSS JOIN LATERAL unnest(c.conkey, c.confkey) WITH ORDINALITY "      \
    "AS k(att, ratt, ord) "                                                \
    "WHERE c.contype = 'f' AND " filter                                    \
    " ORDER BY t.relname, c.conname, k.ord"

struct ctx {
    struct db_reflect_builder *b;
    struct db_arena *arena;
    int rc;
    size_t columns;                    /* rows of the columns query */
    struct db_reflect_index_rows ix;   /* the index being collected */
    struct db_reflect_fk_rows fk;      /* the foreign key being collected */
};

static const char *val(const char *v)
{
    return v ? v : "";
}

static int on_column(void *ctx, int ncols, const char *const *v,
                     const char *const *names)
{
    (void)ncols;
    (void)names;
    struct ctx *x = ctx;
    x->columns++;
    struct db_reflect_table *t = db_reflect__table(x->b, v[0]);
    if (!t)
        return x->rc = DB_ENOMEM;
    struct db_column col = {.name = v[1]};
    db_reflect__type(&col, val(v[2]), false);
    col.primary_key = strcmp(val(v[6]), "t") == 0;
    col.nullable = strcmp(val(v[3]), "t") != 0 && !col.primary_key;
    /* an identity column, or a serial's nextval() default */
    int seq = db_reflect__default(&col.def, x->arena, v[4], col.type);
    col.autoincrement = strcmp(val(v[5]), "t") == 0 || seq;
    if (seq)
        col.def.kind = DB_DEFAULT_NONE;
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
    if (db_reflect__index_row(&x->ix, x->b, v[0], v[1],
                              strcmp(val(v[2]), "t") == 0, v[3]))
        return x->rc = DB_ENOMEM;
    return 0;
}

/* pg_constraint.confupdtype / confdeltype */
static enum db_fk_action action(const char *s)
{
    switch (s ? s[0] : 'a') {
    case 'c':
        return DB_FK_CASCADE;
    case 'n':
        return DB_FK_SET_NULL;
    case 'd':
        return DB_FK_SET_DEFAULT;
    case 'r':
        return DB_FK_RESTRICT;
    default:
        return DB_FK_NO_ACTION;
    }
}

/* One row per column of a key, in order (k.ord). */
static int on_fk(void *ctx, int ncols, const char *const *v,
                 const char *const *names)
{
    (void)ncols;
    (void)names;
    struct ctx *x = ctx;
    const struct db_foreign_key head = {
        .name = val(v[1]),
        .ref_table = val(v[3]),
        .on_update = action(v[6]),
        .on_delete = action(v[7]),
    };
    if (db_reflect__fk_row(&x->fk, x->b, v[0], val(v[1]), false, &head,
                           v[4], v[5]))
        return x->rc = DB_ENOMEM;
    return 0;
}

/* "CHECK (expr)" or "CHECK (expr) NOT VALID" -> expr (in place). */
static char *check_body(char *def)
{
    const char *prefix = "CHECK (";
    if (strncmp(def, prefix, strlen(prefix)) != 0)
        return def;
    char *body = def + strlen(prefix);
    char *end = strrchr(body, ')');
    if (end)
        *end = '\0';
    return body;
}

/* One constraint or partial index: table, name, contype, definition,
 * comment. */
static int on_constraint(void *ctx, int ncols, const char *const *v,
                         const char *const *names)
{
    (void)ncols;
    (void)names;
    struct ctx *x = ctx;
    struct db_reflect_table *t = db_reflect__find(x->b, v[0]);
    if (!t)
        return 0;
    const char *kind = val(v[2]);
    char *def = strdup(val(v[3]));
    if (!def)
        return x->rc = DB_ENOMEM;
    int rc;
    if (kind[0] == 'c' && strncmp(v[1], "ck_", 3) == 0) {
        rc = db_reflect__add_check(t, v[1], check_body(def), v[4]);
    } else {
        struct db_buf what = DB_BUF_INIT;
        db_buf_printf(&what, "%s \"%s\" %.300s",
                      kind[0] == 'c' ? "check" : kind[0] == 'u'
                          ? "unique constraint" : kind[0] == 'x'
                          ? "exclusion constraint" : "partial index",
                      v[1], def);
        rc = db_buf_ok(&what) ? db_reflect__add_unmanaged(t, db_buf_str(&what), NULL,
                                                   false)
                              : DB_ENOMEM;
        db_buf_free(&what);
    }
    free(def);
    return rc ? (x->rc = DB_ENOMEM) : 0;
}

/* The table names as a JSON array, for json_array_elements_text($2). */
static void json_names(struct db_buf *out, const char *const *tables,
                       size_t n)
{
    db_buf_puts(out, "[");
    db_reflect__json_names(out, tables, n);
    db_buf_puts(out, "]");
}

int db_postgres__reflect(struct db_conn *c, struct db_arena *arena,
                         const char *const *tables, size_t ntables,
                         struct db_schema *out, struct db_error *err)
{
    static const char *const q_columns[2] = {Q_COLUMNS(FILTER_ALL),
                                             Q_COLUMNS(FILTER_SOME)};
    static const char *const q_indexes[2] = {Q_INDEXES(FILTER_ALL),
                                             Q_INDEXES(FILTER_SOME)};
    static const char *const q_fks[2] = {Q_FKS(FILTER_ALL),
                                         Q_FKS(FILTER_SOME)};
    static const char *const q_constraints[2] = {
        Q_CONSTRAINTS(FILTER_ALL), Q_CONSTRAINTS(FILTER_SOME)};
    int some = tables != NULL;
    struct db_buf json = DB_BUF_INIT;
    if (some)
        json_names(&json, tables, ntables);
    else
        db_buf_puts(&json, "[]");
    if (!db_buf_ok(&json))
        return db_error_set(err, DB_ENOMEM, "out of memory");
    const char *params[2] = {c->cfg->schema, db_buf_str(&json)};
    int nparams = some ? 2 : 1;

    struct ctx x = {.arena = arena};
    int rc = db_reflect__builder_new(&x.b, arena, err);
    if (rc == 0)
        rc = db_query(c, q_columns[some], nparams, params, on_column, &x,
                      NULL, err);
    /* The other queries only add to the tables the columns query found
     * (a row of any other table is passed over), so on a schema without
     * them (create-all's, twice) they have nothing to add. */
    bool any = x.columns > 0;
    if (rc == 0 && any)
        rc = db_query(c, q_indexes[some], nparams, params, on_index, &x,
                      NULL, err);
    if (rc == 0 && db_reflect__index_flush(&x.ix, x.b))
        rc = DB_ENOMEM;
    db_reflect__index_flush(&x.ix, NULL); /* frees what an interrupted scan left */
    if (rc == 0 && any)
        rc = db_query(c, q_fks[some], nparams, params, on_fk, &x, NULL, err);
    /* adds the last key, or (after a failure) frees what the scan left */
    if (db_reflect__fk_flush(&x.fk, rc == 0 ? x.b : NULL))
        rc = DB_ENOMEM;
    if (rc == 0 && any)
        rc = db_query(c, q_constraints[some], nparams, params, on_constraint,
                      &x, NULL, err);
    if (rc == DB_ENOMEM || x.rc)
        rc = db_error_set(err, DB_ENOMEM, "out of memory");
    if (rc == 0)
        rc = db_reflect__finish(out, x.b, err);
    db_reflect__builder_free(x.b);
    db_buf_free(&json);
    return rc;
}
