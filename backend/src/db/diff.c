/*
 * diff.c - metadata x metadata -> operations, and applying them
 * (diff_render.c writes them as words and SQL).
 */
#include "diff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "reflect.h"
#include "render.h"

/* ---- tables by name: a hash over a schema, for large schemas ---- */

struct name_index {
    const struct db_schema *s;
    size_t *slots;   /* index + 1; 0 = empty */
    size_t mask;
};

static size_t name_hash(const char *p)
{
    size_t h = 2166136261u;
    for (; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h;
}

static int index_build(struct name_index *ix, const struct db_schema *s)
{
    size_t n = 16;
    while (n < s->ntables * 2)
        n *= 2;
    ix->s = s;
    ix->mask = n - 1;
    ix->slots = calloc(n, sizeof *ix->slots);
    if (!ix->slots)
        return DB_ENOMEM;
    for (size_t i = 0; i < s->ntables; i++) {
        size_t h = name_hash(s->tables[i]->name) & ix->mask;
        while (ix->slots[h])
            h = (h + 1) & ix->mask;
        ix->slots[h] = i + 1;
    }
    return 0;
}

static const struct db_table *index_find(const struct name_index *ix,
                                         const char *name)
{
    for (size_t h = name_hash(name) & ix->mask; ix->slots[h];
         h = (h + 1) & ix->mask) {
        const struct db_table *t = ix->s->tables[ix->slots[h] - 1];
        if (strcmp(t->name, name) == 0)
            return t;
    }
    return NULL;
}

/* ---- building the list ---- */

static struct db_op *push(struct db_diff *d, enum db_op_kind kind,
                          const struct db_table *table,
                          const struct db_table *from)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        struct db_op *p = realloc(d->ops, cap * sizeof *p);
        if (!p)
            return NULL;
        d->ops = p;
        d->cap = cap;
    }
    struct db_op *op = &d->ops[d->n++];
    memset(op, 0, sizeof *op);
    op->kind = kind;
    op->table = table;
    op->from = from;
    return op;
}

void db_diff_free(struct db_diff *d)
{
    if (!d)
        return;
    free(d->ops);
    d->ops = NULL;
    d->n = d->cap = 0;
}

bool db_diff_destructive(const struct db_diff *d)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->ops[i].destructive)
            return true;
    return false;
}

static bool is_number(const char *s, double *out)
{
    if (!s || !*s)
        return false;
    char *end;
    *out = strtod(s, &end);
    return *end == '\0';
}

static bool same_default(const struct db_column *a, const struct db_column *b)
{
    if (a->def.kind != b->def.kind)
        return false;
    switch (a->def.kind) {
    case DB_DEFAULT_NONE:
    case DB_DEFAULT_NOW:
    case DB_DEFAULT_TODAY:
    case DB_DEFAULT_UUID:
        return true;
    case DB_DEFAULT_NUMBER: {
        double x, y;
        if (is_number(a->def.value, &x) && is_number(b->def.value, &y))
            return x == y;
        break;
    }
    case DB_DEFAULT_STRING: {
        const char *x = a->def.value ? a->def.value : "",
                   *y = b->def.value ? b->def.value : "";
        unsigned f = db_type_flags(a->type) | db_type_flags(b->type);
        /* PostgreSQL keeps a uuid in lower case, a jsonb in its own
         * order and spacing */
        if (f & DB_TYPEF_UUID)
            return strcasecmp(x, y) == 0;
        if (f & DB_TYPEF_JSON)
            return db_json_equal(x, y);
        break;
    }
    case DB_DEFAULT_BOOL:
        break;
    }
    return strcmp(a->def.value ? a->def.value : "",
                  b->def.value ? b->def.value : "") == 0;
}

/* Whether the column is the rowid on SQLite (INTEGER PRIMARY KEY). */
static bool rowid(const struct db_table *t, const struct db_column *c)
{
    return c->primary_key && (db_type_flags(c->type) & DB_TYPEF_INTEGER) &&
           db_table_pk_count(t) == 1;
}

static unsigned column_changes(const struct db_table *ta,
                               const struct db_column *a,
                               const struct db_table *tb,
                               const struct db_column *b, enum db_dialect d,
                               enum db_dialect reflected)
{
    unsigned ch = 0;
    struct db_type_spec sa = db_column_type(a), sb = db_column_type(b);
    bool an = a->nullable && !a->primary_key;
    bool bn = b->nullable && !b->primary_key;
    if (an != bn)
        ch |= DB_ALTER_NULLABLE;
    bool aauto = a->autoincrement, bauto = b->autoincrement;
    const struct db_dialect_ops *x = db_dialect_get(d);
    bool same_type = db_type_same(&sa, &sb);
    /* types of the database's own that the models cannot say: by name */
    if (same_type && (a->declared_type || b->declared_type))
        same_type = a->declared_type && b->declared_type &&
                    strcmp(a->declared_type, b->declared_type) == 0;
    if (x && x->integer_pk_is_rowid) {
        aauto = rowid(ta, a);
        bauto = rowid(tb, b);
        /* the rowid is 64-bit whatever the width declared: an
         * autoincrement key of any integer width is the same column */
        if (aauto && bauto && (a->autoincrement || b->autoincrement))
            same_type = true;
    }
    const struct db_dialect_ops *r = db_dialect_get(reflected);
    if (r && r->integer_pk_is_rowid && rowid(ta, a) && rowid(tb, b) &&
        a->autoincrement && b->autoincrement)
        same_type = true;
    if (!same_type)
        ch |= DB_ALTER_TYPE;
    /* an identity column has no default of its own */
    if (!(aauto && bauto) && !same_default(a, b))
        ch |= DB_ALTER_DEFAULT;
    if (a->primary_key != b->primary_key || aauto != bauto)
        ch |= DB_ALTER_KEY;
    return ch;
}

/* Widening keeps every value (types.h: VARCHAR(n) -> VARCHAR(m >= n) or
 * TEXT, SMALLINT -> INTEGER -> BIGINT, NUMERIC to more digits). */
static bool widening(const struct db_column *to, const struct db_column *from)
{
    struct db_type_spec f = db_column_type(from), t = db_column_type(to);
    return db_type_widens(&f, &t);
}

static bool same_cols(const char *const *a, const char *const *b)
{
    for (; *a && *b; a++, b++)
        if (strcmp(*a, *b) != 0)
            return false;
    return !*a && !*b;
}

static const struct db_index *find_index(const struct db_table *t,
                                         const char *name)
{
    char n[DB_NAME_MAX];
    for (size_t i = 0; i < t->nindexes; i++) {
        db_index_name(n, t, &t->indexes[i]);
        if (strcmp(n, name) == 0)
            return &t->indexes[i];
    }
    return NULL;
}

/* Whether table in has an index called name just like ix. */
static bool has_index(const struct db_table *in, const char *name,
                      const struct db_index *ix)
{
    const struct db_index *other = find_index(in, name);
    return other && other->unique == ix->unique &&
           same_cols(other->columns, ix->columns);
}

static bool fk_joins(const struct db_foreign_key *a,
                     const struct db_foreign_key *b)
{
    size_t n = db_fk_ncols(a);
    if (n != db_fk_ncols(b) || strcmp(a->ref_table, b->ref_table) != 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        const char *ac = db_fk_col(a, i), *bc = db_fk_col(b, i);
        const char *ar = db_fk_ref_col(a, i), *br = db_fk_ref_col(b, i);
        if (!ac || !bc || !ar || !br || strcmp(ac, bc) != 0 ||
            strcmp(ar, br) != 0)
            return false;
    }
    return true;
}

static const struct db_check *find_check(const struct db_table *t,
                                         const char *name)
{
    char n[DB_NAME_MAX];
    for (size_t i = 0; i < t->nchecks; i++) {
        db_check_name(n, t, &t->checks[i]);
        if (strcmp(n, name) == 0)
            return &t->checks[i];
    }
    return NULL;
}

/* Whether the check of table a is in table b, saying the same on d. */
static bool has_check(const struct db_table *a, const struct db_check *ck,
                      const struct db_table *b, enum db_dialect d)
{
    char name[DB_NAME_MAX];
    db_check_name(name, a, ck);
    const struct db_check *other = find_check(b, name);
    if (!other)
        return false;
    struct db_check x = *ck, y = *other;
    if (!x.constraint)
        x.expr = db_render_check_expr(ck, d);   /* the dialect's own */
    if (!y.constraint)
        y.expr = db_render_check_expr(other, d);
    return db_check_same_expr(&x, &y);
}

/* Whether list holds every value of sub. */
static bool values_cover(const char *const *list, const char *const *sub)
{
    for (; sub && *sub; sub++) {
        const char *const *v = list;
        while (v && *v && strcmp(*v, *sub) != 0)
            v++;
        if (!v || !*v)
            return false;
    }
    return true;
}

static bool fk_same(const struct db_table *ta, const struct db_foreign_key *a,
                    const struct db_table *tb, const struct db_foreign_key *b,
                    enum db_dialect d)
{
    if (!fk_joins(a, b) || a->on_delete != b->on_delete ||
        a->on_update != b->on_update)
        return false;
    const struct db_dialect_ops *x = db_dialect_get(d);
    if (x && !x->keeps_fk_names)
        return true; /* SQLite keeps no names for foreign keys */
    char na[DB_NAME_MAX], nb[DB_NAME_MAX];
    db_fk_name(na, ta, a);
    db_fk_name(nb, tb, b);
    return strcmp(na, nb) == 0;
}

static int nomem(struct db_diff *out, struct db_error *err)
{
    db_diff_free(out);
    return db_error_set(err, DB_ENOMEM, "out of memory");
}

#define PUSH(kind, t, f)                       \
    do {                                       \
        if (!(op = push(out, (kind), (t), (f)))) \
            return nomem(out, err);            \
    } while (0)

static int diff_table(struct db_diff *out, const struct db_table *t,
                      const struct db_table *f, enum db_dialect d,
                      enum db_dialect reflected, struct db_error *err)
{
    struct db_op *op;
    char name[DB_NAME_MAX];

    /* foreign keys gone or changed */
    for (size_t i = 0; i < f->nforeign_keys; i++) {
        const struct db_foreign_key *fk = &f->foreign_keys[i];
        bool keep = false;
        for (size_t j = 0; j < t->nforeign_keys && !keep; j++)
            keep = fk_same(t, &t->foreign_keys[j], f, fk, d);
        if (!keep) {
            PUSH(DB_OP_DROP_FK, t, f);
            op->fk = fk;
        }
    }
    /* checks gone or changed */
    for (size_t i = 0; i < f->nchecks; i++) {
        if (has_check(f, &f->checks[i], t, d))
            continue;
        PUSH(DB_OP_DROP_CHECK, t, f);
        op->check = &f->checks[i];
        op->why = "additive: no row is refused by it any more";
    }
    /* indexes gone or changed */
    for (size_t i = 0; i < f->nindexes; i++) {
        const struct db_index *ix = &f->indexes[i];
        db_index_name(name, f, ix);
        if (has_index(t, name, ix))
            continue;
        PUSH(ix->unique ? DB_OP_DROP_UNIQUE : DB_OP_DROP_INDEX, t, f);
        op->index = ix;
    }
    /* columns gone */
    for (size_t i = 0; i < f->ncolumns; i++) {
        const struct db_column *c = &f->columns[i];
        if (db_table_column(t, c->name))
            continue;
        PUSH(DB_OP_DROP_COLUMN, t, f);
        op->from_column = c;
        op->destructive = true;
        op->why = "drops the column and its data";
    }
    /* columns added */
    for (size_t i = 0; i < t->ncolumns; i++) {
        const struct db_column *c = &t->columns[i];
        if (db_table_column(f, c->name))
            continue;
        PUSH(DB_OP_ADD_COLUMN, t, f);
        op->column = c;
        if (!c->nullable && c->def.kind == DB_DEFAULT_NONE &&
            !c->autoincrement) {
            op->needs_empty = true;
            op->why = "NOT NULL without a default: fails if the table has "
                      "rows";
        }
    }
    /* columns altered */
    for (size_t i = 0; i < t->ncolumns; i++) {
        const struct db_column *c = &t->columns[i];
        const struct db_column *fc = db_table_column(f, c->name);
        if (!fc)
            continue;
        unsigned ch = column_changes(t, c, f, fc, d, reflected);
        if (!ch)
            continue;
        PUSH(DB_OP_ALTER_COLUMN, t, f);
        op->column = c;
        op->from_column = fc;
        op->changes = ch;
        if ((ch & DB_ALTER_TYPE) && !widening(c, fc)) {
            op->destructive = true;
            op->why = "changes the type: values may not convert";
        } else if ((ch & DB_ALTER_NULLABLE) && !(c->nullable &&
                                                 !c->primary_key)) {
            op->destructive = true;
            op->why = "NOT NULL on an existing column: fails if it holds "
                      "NULLs";
        } else if (ch & DB_ALTER_KEY) {
            op->destructive = true;
            op->why = "changes the primary key";
        }
    }
    /* enumerations: values added, removed, a column becoming one or
     * ceasing to be one */
    for (size_t i = 0; i < t->ncolumns; i++) {
        const struct db_column *c = &t->columns[i];
        const struct db_column *fc = db_table_column(f, c->name);
        if (!fc || (!c->values && !fc->values) ||
            (c->values && fc->values && db_values_same(c->values,
                                                       fc->values)))
            continue;
        PUSH(DB_OP_ALTER_VALUES, t, f);
        op->column = c;
        op->from_column = fc;
        if (!c->values) {
            op->why = "additive: any value is allowed again";
        } else if (!fc->values) {
            op->may_fail = true;
            op->why = "fails, changing nothing, if rows hold other values";
        } else if (!values_cover(c->values, fc->values)) {
            op->destructive = true;
            op->may_fail = true;
            op->why = "destructive when rows hold a removed value: the "
                      "change fails until they hold another";
        } else {
            op->why = "additive: every row stays valid";
        }
    }
    /* foreign keys added */
    for (size_t i = 0; i < t->nforeign_keys; i++) {
        const struct db_foreign_key *fk = &t->foreign_keys[i];
        bool have = false;
        for (size_t j = 0; j < f->nforeign_keys && !have; j++)
            have = fk_same(t, fk, f, &f->foreign_keys[j], d);
        if (!have) {
            PUSH(DB_OP_ADD_FK, t, f);
            op->fk = fk;
        }
    }
    /* indexes added or changed */
    for (size_t i = 0; i < t->nindexes; i++) {
        const struct db_index *ix = &t->indexes[i];
        db_index_name(name, t, ix);
        if (has_index(f, name, ix))
            continue;
        PUSH(ix->unique ? DB_OP_ADD_UNIQUE : DB_OP_CREATE_INDEX, t, f);
        op->index = ix;
    }
    /* checks added or changed */
    for (size_t i = 0; i < t->nchecks; i++) {
        if (has_check(t, &t->checks[i], f, d))
            continue;
        PUSH(DB_OP_ADD_CHECK, t, f);
        op->check = &t->checks[i];
        op->may_fail = true;
        op->why = "fails, changing nothing, if rows break it";
    }
    return 0;
}

int db_diff_schemas(struct db_diff *out, const struct db_schema *target,
                    const struct db_schema *current, enum db_dialect d,
                    struct db_error *err)
{
    return db_diff_schemas_from(out, target, current, d, d, err);
}

int db_diff_schemas_from(struct db_diff *out, const struct db_schema *target,
                         const struct db_schema *current, enum db_dialect d,
                         enum db_dialect reflected, struct db_error *err)
{
    out->ops = NULL;
    out->n = out->cap = 0;
    out->target = target;
    out->current = current;
    size_t nt = target->ntables, nc = current->ntables;
    struct name_index tix = {0}, cix = {0};
    const struct db_table **torder = malloc((nt + 1) * sizeof *torder);
    const struct db_table **corder = malloc((nc + 1) * sizeof *corder);
    int rc = 0;
    if (!torder || !corder || index_build(&tix, target) ||
        index_build(&cix, current)) {
        rc = db_error_set(err, DB_ENOMEM, "out of memory");
        goto done;
    }
    /* foreign-key order matters only for tables created or dropped */
    size_t creates = 0, drops = 0;
    for (size_t i = 0; i < nt; i++)
        creates += !index_find(&cix, target->tables[i]->name);
    for (size_t i = 0; i < nc; i++)
        drops += !index_find(&tix, current->tables[i]->name);
    if (creates) {
        rc = db_schema_sorted(torder, target, err);
        if (rc)
            goto done;
    } else {
        for (size_t i = 0; i < nt; i++)
            torder[i] = target->tables[i];
    }
    if (!drops || db_schema_sorted(corder, current, NULL) != 0)
        for (size_t i = 0; i < nc; i++) /* no drops, or a live cycle */
            corder[i] = current->tables[i];
    struct db_op *op;
    /* new tables and their indexes */
    for (size_t i = 0; creates && i < nt; i++) {
        const struct db_table *t = torder[i];
        if (index_find(&cix, t->name))
            continue;
        if (!(op = push(out, DB_OP_CREATE_TABLE, t, NULL))) {
            rc = nomem(out, err);
            goto done;
        }
        for (size_t x = 0; x < t->nindexes; x++) {
            const struct db_index *ix = &t->indexes[x];
            if (!(op = push(out, ix->unique ? DB_OP_ADD_UNIQUE
                                            : DB_OP_CREATE_INDEX, t, NULL))) {
                rc = nomem(out, err);
                goto done;
            }
            op->index = ix;
        }
    }
    /* tables on both sides */
    for (size_t i = 0; rc == 0 && i < nt; i++) {
        const struct db_table *f = index_find(&cix, torder[i]->name);
        if (f)
            rc = diff_table(out, torder[i], f, d, reflected, err);
    }
    /* tables gone, dependents first */
    for (size_t i = nc; rc == 0 && drops && i-- > 0;) {
        const struct db_table *f = corder[i];
        if (index_find(&tix, f->name))
            continue;
        if (!(op = push(out, DB_OP_DROP_TABLE, NULL, f))) {
            rc = nomem(out, err);
            goto done;
        }
        op->destructive = true;
        op->why = "drops the table and its rows";
    }
done:
    free(tix.slots);
    free(cix.slots);
    free(torder);
    free(corder);
    if (rc)
        db_diff_free(out);
    return rc;
}

/* ---- applying ---- */

struct count_ctx {
    long n;
};

static int on_count(void *ctx, int ncols, const char *const *vals,
                    const char *const *names)
{
    (void)names;
    struct count_ctx *x = ctx;
    if (ncols > 0 && vals[0])
        x->n = strtol(vals[0], NULL, 10);
    return 0;
}

int db_diff_violations(long *out, struct db_conn *c, const struct db_op *op,
                       struct db_error *err)
{
    *out = 0;
    struct db_buf sql = DB_BUF_INIT;
    enum db_dialect d = c->driver->dialect;
    const struct db_column *col = op->column;
    if (op->kind == DB_OP_ADD_CHECK) {
        db_buf_puts(&sql, "SELECT count(*) FROM ");
        db_buf_ident(&sql, op->table->name);
        db_buf_printf(&sql, " WHERE NOT (%s)",
                      db_render_check_expr(op->check, d));
    } else if (op->kind == DB_OP_ALTER_VALUES && col->values) {
        /* the values are the models' own, written as the DDL writes them */
        db_buf_puts(&sql, "SELECT count(*) FROM ");
        db_buf_ident(&sql, op->table->name);
        db_buf_puts(&sql, " WHERE ");
        db_buf_ident(&sql, col->name);
        db_buf_puts(&sql, " NOT IN (");
        for (const char *const *v = col->values; *v; v++) {
            db_buf_puts(&sql, v == col->values ? "" : ", ");
            db_buf_literal(&sql, *v);
        }
        db_buf_puts(&sql, ")");
    } else {
        return 0;
    }
    if (!db_buf_ok(&sql)) {
        db_buf_free(&sql);
        return db_error_set(err, DB_ENOMEM, "out of memory");
    }
    struct count_ctx x = {0};
    int rc = db_query(c, db_buf_str(&sql), 0, NULL, on_count, &x, NULL, err);
    db_buf_free(&sql);
    if (rc == 0)
        *out = x.n;
    return rc;
}

int db_diff_live(struct db_diff *out, struct db_reflection **r,
                 struct db_conn *c, const struct db_schema *models,
                 bool all_tables, struct db_error *err)
{
    *out = (struct db_diff)DB_DIFF_INIT;
    int rc = db_reflect(r, c, all_tables ? NULL : models, 0, err);
    if (rc == 0)
        rc = db_diff_schemas(out, models, &(*r)->schema, c->driver->dialect,
                             err);
    if (rc) {
        db_diff_free(out);
        db_reflection_free(*r);
        *r = NULL;
    }
    return rc;
}

int db_diff__exec_checked(struct db_conn *c, const char *sql,
                          struct db_error *err)
{
    int rc = db_exec(c, sql, err);
    if (rc)
        return rc;
    long bad = 0;
    rc = db_fk_violations(c, &bad, err);
    if (rc == 0 && bad > 0) {
        db_error_set(err, DB_ESQL, "%ld row%s would break a foreign key "
                                   "after the change", bad,
                     bad == 1 ? "" : "s");
        const struct db_dialect_ops *x = db_dialect_get(c->driver->dialect);
        if (x && x->fk_violation_hint)
            db_error_hint(err, "%s", x->fk_violation_hint);
        rc = DB_ESQL;
    }
    return rc;
}

int db_diff_apply(struct db_conn *c, const struct db_diff *diff,
                  struct db_error *err)
{
    enum db_dialect d = c->driver->dialect;
    struct db_buf sql = DB_BUF_INIT;
    int rc = db_diff_render(&sql, diff, d, 0, err);
    if (rc) {
        db_buf_free(&sql);
        return rc;
    }
    bool fk_off = db_diff_any_rebuild(diff, d);
    if (fk_off && (rc = db_fk_enforcement(c, 0, err))) {
        db_buf_free(&sql);
        return rc;
    }
    rc = db_begin(c, err);
    if (rc == 0) {
        rc = db_diff__exec_checked(c, db_buf_str(&sql), err);
        if (rc) {
            struct db_error ignored;
            db_rollback(c, &ignored);
        } else {
            rc = db_commit(c, err);
        }
    }
    if (fk_off) {
        struct db_error ignored;
        db_fk_enforcement(c, 1, rc ? &ignored : err);
    }
    db_buf_free(&sql);
    return rc;
}
