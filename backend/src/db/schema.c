/*
 * schema.c - metadata helpers: lookup, naming convention, validation, order.
 */
#include "schema.h"

#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct db_table *db_schema_table(const struct db_schema *s,
                                       const char *name)
{
    for (size_t i = 0; i < s->ntables; i++)
        if (strcmp(s->tables[i]->name, name) == 0)
            return s->tables[i];
    return NULL;
}

const struct db_column *db_table_column(const struct db_table *t,
                                        const char *name)
{
    for (size_t i = 0; i < t->ncolumns; i++)
        if (strcmp(t->columns[i].name, name) == 0)
            return &t->columns[i];
    return NULL;
}

struct db_type_spec db_column_type(const struct db_column *c)
{
    struct db_type_spec t = {.type = c->type};
    unsigned f = db_type_flags(c->type);
    if (f & DB_TYPEF_LENGTH)
        t.length = c->length;
    if (f & DB_TYPEF_PRECISION) {
        t.precision = c->precision;
        t.scale = c->scale;
    }
    return t;
}

bool db_default_is_expression(enum db_default_kind k)
{
    return k == DB_DEFAULT_NOW || k == DB_DEFAULT_TODAY ||
           k == DB_DEFAULT_UUID;
}

size_t db_table_pk_count(const struct db_table *t)
{
    size_t n = 0;
    for (size_t i = 0; i < t->ncolumns; i++)
        n += t->columns[i].primary_key;
    return n;
}

size_t db_cols_count(const char *const *cols)
{
    size_t n = 0;
    while (cols && cols[n])
        n++;
    return n;
}

/* FNV-1a, for shortening long names deterministically. */
static unsigned long name_hash(const char *s)
{
    unsigned long h = 2166136261UL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h = (h * 16777619UL) & 0xffffffffUL;
    }
    return h;
}

static void fit_name(char out[DB_NAME_MAX], const char *full)
{
    size_t len = strlen(full);
    if (len < DB_NAME_MAX) {
        memcpy(out, full, len + 1);
        return;
    }
    /* 54 bytes of the name, "_", 8 hex digits: 63 bytes. */
    snprintf(out, DB_NAME_MAX, "%.54s_%08lx", full, name_hash(full));
}

void db_index_name(char out[DB_NAME_MAX], const struct db_table *t,
                   const struct db_index *ix)
{
    if (ix->name) {
        fit_name(out, ix->name);
        return;
    }
    char full[1024];
    size_t len = (size_t)snprintf(full, sizeof full, "%s_%s",
                                  ix->unique ? "uq" : "ix", t->name);
    for (const char *const *c = ix->columns; c && *c && len < sizeof full;
         c++)
        len += (size_t)snprintf(full + len, sizeof full - len, "_%s", *c);
    fit_name(out, full);
}

void db_fk_name(char out[DB_NAME_MAX], const struct db_table *t,
                const struct db_foreign_key *fk)
{
    if (fk->name) {
        fit_name(out, fk->name);
        return;
    }
    char full[1024];
    size_t len = (size_t)snprintf(full, sizeof full, "fk_%s", t->name);
    for (size_t i = 0; i < db_fk_ncols(fk) && len < sizeof full; i++)
        len += (size_t)snprintf(full + len, sizeof full - len, "_%s",
                                db_fk_col(fk, i) ? db_fk_col(fk, i) : "");
    if (len < sizeof full)
        snprintf(full + len, sizeof full - len, "_%s",
                 fk->ref_table ? fk->ref_table : "");
    fit_name(out, full);
}

size_t db_fk_ncols(const struct db_foreign_key *fk)
{
    return fk->columns ? db_cols_count(fk->columns) : 1;
}

const char *db_fk_col(const struct db_foreign_key *fk, size_t i)
{
    return fk->columns ? fk->columns[i] : fk->column;
}

const char *db_fk_ref_col(const struct db_foreign_key *fk, size_t i)
{
    if (fk->ref_columns) {
        size_t n = db_cols_count(fk->ref_columns);
        return i < n ? fk->ref_columns[i] : NULL;
    }
    return i == 0 ? fk->ref_column : NULL;
}

void db_check_name(char out[DB_NAME_MAX], const struct db_table *t,
                   const struct db_check *ck)
{
    if (ck->constraint) {
        fit_name(out, ck->constraint);
        return;
    }
    char full[1024];
    snprintf(full, sizeof full, "ck_%s_%s", t->name, ck->name);
    fit_name(out, full);
}

void db_values_name(char out[DB_NAME_MAX], const struct db_table *t,
                    const struct db_column *col)
{
    char full[1024];
    snprintf(full, sizeof full, "ck_%s_%s", t->name, col->name);
    fit_name(out, full);
}

static bool has_value(const char *const *list, const char *v)
{
    for (; list && *list; list++)
        if (strcmp(*list, v) == 0)
            return true;
    return false;
}

bool db_values_same(const char *const *a, const char *const *b)
{
    if (db_cols_count(a) != db_cols_count(b))
        return false;
    for (const char *const *v = a; v && *v; v++)
        if (!has_value(b, *v))
            return false;
    for (const char *const *v = b; v && *v; v++)
        if (!has_value(a, *v))
            return false;
    return true;
}

const char *db_fk_action_sql(enum db_fk_action a)
{
    switch (a) {
    case DB_FK_CASCADE: return "CASCADE";
    case DB_FK_SET_NULL: return "SET NULL";
    case DB_FK_SET_DEFAULT: return "SET DEFAULT";
    case DB_FK_RESTRICT: return "RESTRICT";
    case DB_FK_NO_ACTION: break;
    }
    return "NO ACTION";
}

static int bad(struct db_error *err, const struct db_table *t, const char *fmt,
               const char *a, const char *b)
{
    char what[600];
    snprintf(what, sizeof what, fmt, a, b);
    db_error_set(err, DB_EUSAGE, "model '%s': %s", t && t->name ? t->name : "?",
                 what);
    db_error_hint(err, "fix the declaration in backend/src/models/");
    return DB_EUSAGE;
}

static int digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* "YYYY-MM-DD" with a month and day in range. */
static int is_date(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4) ||
        !digits(s + 5, 2) || !digits(s + 8, 2))
        return 0;
    int m = atoi(s + 5), d = atoi(s + 8);
    return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

/* 8-4-4-4-12 hexadecimal digits. */
static int is_uuid(const char *s)
{
    if (strlen(s) != 36)
        return 0;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return 0;
        } else if (!strchr("0123456789abcdefABCDEF", s[i])) {
            return 0;
        }
    }
    return 1;
}

/* The column's type sizes and default, for its type. */
static int check_type(const struct db_table *t, const struct db_column *col,
                      struct db_error *err)
{
    unsigned f = db_type_flags(col->type);
    if ((f & DB_TYPEF_LENGTH) && col->length <= 0)
        return bad(err, t, "column '%s' is %s without .length", col->name,
                   db_type_name(col->type));
    if (f & DB_TYPEF_PRECISION) {
        if (col->precision < 0 || col->precision > DB_NUMERIC_PRECISION_MAX)
            return bad(err, t, "column '%s': %s .precision must be from 1 "
                               "to 1000 (the number of digits; 0: any)",
                       col->name, db_type_name(col->type));
        if (col->scale < 0 || col->scale > col->precision)
            return bad(err, t, "column '%s': .scale must be from 0 to "
                               ".precision%s", col->name, "");
    } else if (col->precision || col->scale) {
        return bad(err, t, "column '%s': .precision and .scale are for "
                           "NUMERIC, not %s", col->name,
                   db_type_name(col->type));
    }
    const struct db_default *d = &col->def;
    if (d->kind == DB_DEFAULT_UUID && !(f & DB_TYPEF_UUID))
        return bad(err, t, "column '%s': DB_DEFAULT_RANDOM_UUID is for UUID "
                           "columns, not %s", col->name,
                   db_type_name(col->type));
    if (d->kind == DB_DEFAULT_TODAY && !(f & (DB_TYPEF_DATE | DB_TYPEF_TIME)))
        return bad(err, t, "column '%s': DB_DEFAULT_CURRENT_DATE is for DATE "
                           "and TIMESTAMP columns, not %s", col->name,
                   db_type_name(col->type));
    if (d->kind == DB_DEFAULT_STRING && !d->value)
        return bad(err, t, "column '%s': a string default without a value%s",
                   col->name, "");
    if (d->kind == DB_DEFAULT_STRING && (f & DB_TYPEF_DATE) &&
        !is_date(d->value))
        return bad(err, t, "column '%s': the default '%s' is not a date "
                           "(YYYY-MM-DD)", col->name, d->value);
    if (d->kind == DB_DEFAULT_STRING && (f & DB_TYPEF_JSON)) {
        struct db_buf canon = DB_BUF_INIT;
        int rc = db_json_canonical(&canon, d->value);
        db_buf_free(&canon);
        if (rc == -2)
            return db_error_set(err, DB_ENOMEM, "out of memory");
        if (rc)
            return bad(err, t, "column '%s': the default '%s' is not JSON",
                       col->name, d->value);
    }
    if (d->kind == DB_DEFAULT_STRING && (f & DB_TYPEF_UUID) &&
        !is_uuid(d->value))
        return bad(err, t, "column '%s': the default '%s' is not a UUID "
                           "(8-4-4-4-12 hex digits)", col->name, d->value);
    return 0;
}

static int cmp_table_name(const void *a, const void *b)
{
    const struct db_table *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

static const struct db_table *find_sorted(const struct db_table **by_name,
                                          size_t n, const char *name)
{
    struct db_table key = {.name = name};
    const struct db_table *k = &key;
    const struct db_table **hit =
        bsearch(&k, by_name, n, sizeof *by_name, cmp_table_name);
    return hit ? *hit : NULL;
}

static int validate(const struct db_schema *s, const struct db_table **by_name,
                    struct db_error *err)
{
    for (size_t i = 0; i < s->ntables; i++) {
        const struct db_table *t = s->tables[i];
        if (!t->name || !t->name[0])
            return bad(err, t, "a table has no name%s%s", "", "");
        if (strlen(t->name) >= DB_NAME_MAX)
            return bad(err, t, "table name longer than 63 bytes%s%s", "", "");
        if (t->ncolumns == 0)
            return bad(err, t, "no columns%s%s", "", "");
        size_t npk = 0;
        for (size_t c = 0; c < t->ncolumns; c++) {
            const struct db_column *col = &t->columns[c];
            if (!col->name || !col->name[0])
                return bad(err, t, "a column has no name%s%s", "", "");
            if (strlen(col->name) >= DB_NAME_MAX)
                return bad(err, t, "column '%s' name longer than 63 bytes%s",
                           col->name, "");
            for (size_t d = 0; d < c; d++)
                if (strcmp(t->columns[d].name, col->name) == 0)
                    return bad(err, t, "column '%s' declared twice%s",
                               col->name, "");
            if (!db_type_valid((int)col->type))
                return bad(err, t, "column '%s' has no type%s", col->name, "");
            int rc = check_type(t, col, err);
            if (rc)
                return rc;
            if (col->autoincrement &&
                (!(db_type_flags(col->type) & DB_TYPEF_INTEGER) ||
                 !col->primary_key))
                return bad(err, t, "column '%s': autoincrement needs an "
                                   "INTEGER primary key%s", col->name, "");
            if (col->values) {
                if (col->type != DB_TYPE_TEXT && col->type != DB_TYPE_VARCHAR)
                    return bad(err, t, "column '%s': .values needs TEXT or "
                                       "VARCHAR, not %s", col->name,
                               db_type_name(col->type));
                if (!col->values[0])
                    return bad(err, t, "column '%s': .values is empty%s",
                               col->name, "");
                for (const char *const *v = col->values; *v; v++) {
                    for (const char *const *w = col->values; w < v; w++)
                        if (strcmp(*v, *w) == 0)
                            return bad(err, t, "column '%s': value '%s' "
                                               "listed twice", col->name, *v);
                    if (col->type == DB_TYPE_VARCHAR &&
                        strlen(*v) > (size_t)col->length)
                        return bad(err, t, "column '%s': value '%s' is "
                                           "longer than .length", col->name,
                                   *v);
                }
                if (col->def.kind == DB_DEFAULT_STRING &&
                    !has_value(col->values, col->def.value))
                    return bad(err, t, "column '%s': the default '%s' is not "
                                       "one of .values", col->name,
                               col->def.value);
            }
            if (col->primary_key)
                npk++;
        }
        for (size_t k = 0; k < t->nchecks; k++) {
            const struct db_check *ck = &t->checks[k];
            if (!ck->name || !ck->name[0])
                return bad(err, t, "a check has no .name%s%s", "", "");
            if (!ck->expr || !ck->expr[0])
                return bad(err, t, "check '%s' has no .expr%s", ck->name, "");
            if (db_table_column(t, ck->name))
                return bad(err, t, "check '%s' has a column's name (its "
                                   "constraint would be the name an "
                                   "enumeration takes): rename the check%s",
                           ck->name, "");
            for (size_t j = 0; j < k; j++)
                if (strcmp(t->checks[j].name, ck->name) == 0)
                    return bad(err, t, "check '%s' declared twice%s",
                               ck->name, "");
        }
        for (size_t c = 0; c < t->ncolumns; c++)
            if (t->columns[c].autoincrement && npk > 1)
                return bad(err, t, "column '%s': autoincrement in a composite "
                                   "primary key%s", t->columns[c].name, "");
        for (size_t x = 0; x < t->nindexes; x++) {
            const struct db_index *ix = &t->indexes[x];
            if (db_cols_count(ix->columns) == 0)
                return bad(err, t, "an index has no columns%s%s", "", "");
            for (const char *const *cn = ix->columns; *cn; cn++)
                if (!db_table_column(t, *cn))
                    return bad(err, t, "index on unknown column '%s'%s", *cn,
                               "");
        }
        for (size_t f = 0; f < t->nforeign_keys; f++) {
            const struct db_foreign_key *fk = &t->foreign_keys[f];
            if ((fk->columns == NULL) != (fk->ref_columns == NULL))
                return bad(err, t, "a foreign key has .columns without "
                                   ".ref_columns or the other way round%s%s",
                           "", "");
            if (fk->columns &&
                (db_cols_count(fk->columns) == 0 ||
                 db_cols_count(fk->columns) !=
                     db_cols_count(fk->ref_columns)))
                return bad(err, t, "a foreign key's .columns and "
                                   ".ref_columns differ in length%s%s",
                           "", "");
            const struct db_table *rt =
                fk->ref_table ? find_sorted(by_name, s->ntables, fk->ref_table)
                              : NULL;
            for (size_t i = 0; i < db_fk_ncols(fk); i++) {
                const char *c = db_fk_col(fk, i);
                if (!c || !db_table_column(t, c))
                    return bad(err, t, "foreign key on unknown column '%s'%s",
                               c ? c : "(null)", "");
                if (!rt)
                    return bad(err, t, "foreign key to unknown table '%s'%s",
                               fk->ref_table ? fk->ref_table : "(null)", "");
                const char *rc = db_fk_ref_col(fk, i);
                if (!rc || !db_table_column(rt, rc))
                    return bad(err, t, "foreign key to unknown column "
                                       "'%s.%s'", rt->name, rc ? rc : "");
            }
        }
    }
    return 0;
}

/* Names are checked against a sorted copy, so a schema of thousands of
 * tables validates in O(n log n). */
int db_schema_validate(const struct db_schema *s, struct db_error *err)
{
    for (size_t i = 0; i < s->ntables; i++)
        if (!s->tables[i]->name || !s->tables[i]->name[0])
            return bad(err, s->tables[i], "a table has no name%s%s", "", "");
    const struct db_table **by_name =
        malloc((s->ntables ? s->ntables : 1) * sizeof *by_name);
    if (!by_name)
        return db_error_set(err, DB_ENOMEM, "out of memory");
    memcpy(by_name, s->tables, s->ntables * sizeof *by_name);
    qsort(by_name, s->ntables, sizeof *by_name, cmp_table_name);
    int rc = 0;
    for (size_t i = 1; i < s->ntables && rc == 0; i++)
        if (strcmp(by_name[i - 1]->name, by_name[i]->name) == 0)
            rc = bad(err, by_name[i], "declared twice%s%s", "", "");
    if (rc == 0)
        rc = validate(s, by_name, err);
    free(by_name);
    return rc;
}

int db_schema_sorted(const struct db_table **out, const struct db_schema *s,
                     struct db_error *err)
{
    size_t n = s->ntables, done = 0;
    char *placed = calloc(n ? n : 1, 1);
    if (!placed)
        return db_error_set(err, DB_ENOMEM, "out of memory");
    while (done < n) {
        size_t before = done;
        for (size_t i = 0; i < n; i++) {
            if (placed[i])
                continue;
            const struct db_table *t = s->tables[i];
            int ready = 1;
            for (size_t f = 0; f < t->nforeign_keys && ready; f++) {
                const char *ref = t->foreign_keys[f].ref_table;
                if (strcmp(ref, t->name) == 0)
                    continue;
                for (size_t j = 0; j < n; j++)
                    if (!placed[j] && strcmp(s->tables[j]->name, ref) == 0)
                        ready = 0;
            }
            if (ready) {
                placed[i] = 1;
                out[done++] = t;
            }
        }
        if (done == before) {
            free(placed);
            return db_error_set(err, DB_EUSAGE,
                                "the models' foreign keys form a cycle");
        }
    }
    free(placed);
    return 0;
}
