/*
 * reflect.c - reflection core: the driver op, filtering, normalisation.
 */
#include "reflect.h"

#include <stdio.h>

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct db_reflect_table {
    struct db_reflect_builder *b;
    const char *name;
    struct db_column *cols;
    size_t ncols, capcols;
    struct db_index *ixs;
    size_t nixs, capixs;
    struct db_foreign_key *fks;
    size_t nfks, capfks;
    struct db_check *cks;
    size_t ncks, capcks;
    struct db_unmanaged *unmanaged;
    size_t nun, capun;
};

struct db_reflect_builder {
    struct db_arena *arena;
    struct db_reflect_table *tables;
    size_t n, cap;
    size_t last;   /* index of the table found last: rows come grouped */
    size_t *slots; /* open addressing by name: index + 1, 0 = empty */
    size_t nslots; /* a power of two, at least twice n */
};

static size_t name_hash(const char *s)
{
    size_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* Puts table i into the slots. */
static void slot_put(struct db_reflect_builder *b, size_t i)
{
    size_t mask = b->nslots - 1;
    size_t h = name_hash(b->tables[i].name) & mask;
    while (b->slots[h])
        h = (h + 1) & mask;
    b->slots[h] = i + 1;
}

static int slots_grow(struct db_reflect_builder *b)
{
    size_t n = b->nslots ? b->nslots * 2 : 64;
    size_t *slots = calloc(n, sizeof *slots);
    if (!slots)
        return DB_ENOMEM;
    free(b->slots);
    b->slots = slots;
    b->nslots = n;
    for (size_t i = 0; i < b->n; i++)
        slot_put(b, i);
    return 0;
}

int db_reflect__builder_new(struct db_reflect_builder **out,
                            struct db_arena *arena, struct db_error *err)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return db_error_set(err, DB_ENOMEM, "out of memory");
    (*out)->arena = arena;
    return 0;
}

void db_reflect__builder_free(struct db_reflect_builder *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++) {
        free(b->tables[i].cols);
        free(b->tables[i].ixs);
        free(b->tables[i].fks);
        free(b->tables[i].cks);
        free(b->tables[i].unmanaged);
    }
    free(b->tables);
    free(b->slots);
    free(b);
}

struct db_reflect_table *db_reflect__find(struct db_reflect_builder *b,
                                          const char *name)
{
    if (b->last < b->n && strcmp(b->tables[b->last].name, name) == 0)
        return &b->tables[b->last];
    if (!b->nslots)
        return NULL;
    size_t mask = b->nslots - 1;
    for (size_t h = name_hash(name) & mask; b->slots[h]; h = (h + 1) & mask)
        if (strcmp(b->tables[b->slots[h] - 1].name, name) == 0) {
            b->last = b->slots[h] - 1;
            return &b->tables[b->last];
        }
    return NULL;
}

struct db_reflect_table *db_reflect__table(struct db_reflect_builder *b,
                                           const char *name)
{
    struct db_reflect_table *t = db_reflect__find(b, name);
    if (t)
        return t;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        struct db_reflect_table *p = realloc(b->tables, cap * sizeof *p);
        if (!p)
            return NULL;
        /* the tables moved: callers look them up again per row */
        b->tables = p;
        b->cap = cap;
    }
    t = &b->tables[b->n];
    memset(t, 0, sizeof *t);
    t->b = b;
    t->name = db_arena_strdup(b->arena, name);
    if (!t->name)
        return NULL;
    b->last = b->n++;
    if (b->n * 2 > b->nslots) {
        if (slots_grow(b)) {
            b->n--;
            return NULL;
        }
    } else {
        slot_put(b, b->last);
    }
    return t;
}

/* Grows a vector of elem-sized items to hold one more. */
static int grow(void **items, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 8;
    void *p = realloc(*items, c * elem);
    if (!p)
        return DB_ENOMEM;
    *items = p;
    *cap = c;
    return 0;
}

int db_reflect__add_column(struct db_reflect_table *t,
                           const struct db_column *col)
{
    if (grow((void **)&t->cols, &t->capcols, t->ncols, sizeof *t->cols))
        return DB_ENOMEM;
    struct db_column *c = &t->cols[t->ncols++];
    *c = *col;
    c->name = db_arena_strdup(t->b->arena, col->name);
    c->def.value = db_arena_strdup(t->b->arena, col->def.value);
    c->declared_type = db_arena_strdup(t->b->arena, col->declared_type);
    return db_arena_ok(t->b->arena) ? 0 : DB_ENOMEM;
}

struct db_column *db_reflect__columns(struct db_reflect_table *t, size_t *n)
{
    *n = t->ncols;
    return t->cols;
}

int db_reflect__add_index(struct db_reflect_table *t, const char *name,
                          bool unique, const char *const *cols, size_t ncols)
{
    if (grow((void **)&t->ixs, &t->capixs, t->nixs, sizeof *t->ixs))
        return DB_ENOMEM;
    struct db_arena *a = t->b->arena;
    const char **list = db_arena_alloc(a, (ncols + 1) * sizeof *list);
    if (!list)
        return DB_ENOMEM;
    for (size_t i = 0; i < ncols; i++)
        list[i] = db_arena_strdup(a, cols[i]);
    struct db_index *ix = &t->ixs[t->nixs++];
    ix->name = db_arena_strdup(a, name);
    ix->columns = list;
    ix->unique = unique;
    return db_arena_ok(a) ? 0 : DB_ENOMEM;
}

int db_reflect__add_fk(struct db_reflect_table *t,
                       const struct db_foreign_key *fk)
{
    if (grow((void **)&t->fks, &t->capfks, t->nfks, sizeof *t->fks))
        return DB_ENOMEM;
    struct db_arena *a = t->b->arena;
    struct db_foreign_key *f = &t->fks[t->nfks++];
    *f = *fk;
    f->column = db_arena_strdup(a, db_fk_col(fk, 0) ? db_fk_col(fk, 0) : "");
    f->ref_table = db_arena_strdup(a, fk->ref_table);
    f->ref_column = db_arena_strdup(a, db_fk_ref_col(fk, 0)
                                           ? db_fk_ref_col(fk, 0) : "");
    f->columns = f->ref_columns = NULL;
    if (fk->columns && db_cols_count(fk->columns) > 1) {
        const char *const *src[2] = {fk->columns, fk->ref_columns};
        const char **dst[2];
        size_t n = db_cols_count(fk->columns);
        for (int k = 0; k < 2; k++) {
            dst[k] = db_arena_alloc(a, (n + 1) * sizeof *dst[k]);
            if (!dst[k])
                return DB_ENOMEM;
            for (size_t i = 0; i < n; i++)
                dst[k][i] = db_arena_strdup(a, src[k] && i <
                                                   db_cols_count(src[k])
                                                   ? src[k][i] : "");
            dst[k][n] = NULL;
        }
        f->columns = dst[0];
        f->ref_columns = dst[1];
    }
    if (fk->name) {
        f->name = db_arena_strdup(a, fk->name);
    } else {
        struct db_table tmp = {.name = t->name};
        char name[DB_NAME_MAX];
        db_fk_name(name, &tmp, f);
        f->name = db_arena_strdup(a, name);
    }
    return db_arena_ok(a) ? 0 : DB_ENOMEM;
}

int db_reflect__add_check(struct db_reflect_table *t, const char *constraint,
                          const char *expr, const char *source)
{
    if (grow((void **)&t->cks, &t->capcks, t->ncks, sizeof *t->cks))
        return DB_ENOMEM;
    struct db_arena *a = t->b->arena;
    struct db_check *ck = &t->cks[t->ncks++];
    memset(ck, 0, sizeof *ck);
    ck->constraint = db_arena_strdup(a, constraint);
    ck->name = ck->constraint;
    ck->expr = db_arena_strdup(a, expr ? expr : "");
    ck->source = source ? db_arena_strdup(a, source) : NULL;
    return db_arena_ok(a) ? 0 : DB_ENOMEM;
}

int db_reflect__add_unmanaged(struct db_reflect_table *t, const char *what,
                              const char *sql, bool clause)
{
    if (grow((void **)&t->unmanaged, &t->capun, t->nun,
             sizeof *t->unmanaged))
        return DB_ENOMEM;
    struct db_unmanaged *u = &t->unmanaged[t->nun++];
    u->what = db_arena_strdup(t->b->arena, what);
    u->sql = sql ? db_arena_strdup(t->b->arena, sql) : NULL;
    u->clause = clause;
    return db_arena_ok(t->b->arena) ? 0 : DB_ENOMEM;
}

/* The checks that are enumerations (ck_<table>_<column> = column IN
 * (values) on a text column) become the columns' values. */
static int take_enumerations(struct db_reflect_table *rt)
{
    struct db_table tmp = {.name = rt->name};
    char name[DB_NAME_MAX];
    size_t o = 0;
    for (size_t i = 0; i < rt->ncks; i++) {
        struct db_check *ck = &rt->cks[i];
        struct db_column *col = NULL;
        for (size_t c = 0; c < rt->ncols && !col; c++) {
            struct db_column *cc = &rt->cols[c];
            if (cc->values || (cc->type != DB_TYPE_TEXT &&
                               cc->type != DB_TYPE_VARCHAR))
                continue;
            db_values_name(name, &tmp, cc);
            if (strcmp(name, ck->constraint) == 0)
                col = cc;
        }
        char **values = NULL;
        int rc = col ? db_values_parse(&values, ck->expr, col->name) : 0;
        if (rc < 0)
            return DB_ENOMEM;
        if (rc == 1) {
            size_t n = db_cols_count((const char *const *)values);
            const char **list =
                db_arena_alloc(rt->b->arena, (n + 1) * sizeof *list);
            for (size_t v = 0; list && v < n; v++)
                list[v] = db_arena_strdup(rt->b->arena, values[v]);
            if (list)
                list[n] = NULL;
            db_values_free(values);
            if (!list || !db_arena_ok(rt->b->arena))
                return DB_ENOMEM;
            col->values = list;
            continue;
        }
        rt->cks[o++] = *ck;
    }
    rt->ncks = o;
    return 0;
}

static int by_name(const void *a, const void *b)
{
    const struct db_table *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

int db_reflect__finish(struct db_schema *out, struct db_reflect_builder *b,
                       struct db_error *err)
{
    struct db_arena *a = b->arena;
    struct db_table **list = db_arena_alloc(a, (b->n + 1) * sizeof *list);
    struct db_table *tables = db_arena_alloc(a, (b->n + 1) * sizeof *tables);
    if (!list || !tables)
        return db_error_set(err, DB_ENOMEM, "out of memory");
    for (size_t i = 0; i < b->n; i++) {
        struct db_reflect_table *rt = &b->tables[i];
        struct db_table *t = &tables[i];
        t->name = rt->name;
        t->ncolumns = rt->ncols;
        t->indexes = db_arena_memdup(a, rt->ixs, rt->nixs * sizeof *rt->ixs);
        t->nindexes = rt->nixs;
        if (take_enumerations(rt))
            return db_error_set(err, DB_ENOMEM, "out of memory");
        t->columns = db_arena_memdup(a, rt->cols, rt->ncols * sizeof *rt->cols);
        t->foreign_keys =
            db_arena_memdup(a, rt->fks, rt->nfks * sizeof *rt->fks);
        t->nforeign_keys = rt->nfks;
        t->checks = db_arena_memdup(a, rt->cks, rt->ncks * sizeof *rt->cks);
        t->nchecks = rt->ncks;
        t->unmanaged =
            db_arena_memdup(a, rt->unmanaged, rt->nun * sizeof *rt->unmanaged);
        t->nunmanaged = rt->nun;
        list[i] = t;
    }
    if (!db_arena_ok(a))
        return db_error_set(err, DB_ENOMEM, "out of memory");
    qsort(list, b->n, sizeof *list, by_name);
    out->tables = (const struct db_table *const *)list;
    out->ntables = b->n;
    return 0;
}

/* ---- normalisation ---- */

static void lower_trim(char *out, size_t n, const char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t len = 0;
    for (; *s && len + 1 < n; s++)
        out[len++] = (char)tolower((unsigned char)*s);
    while (len > 0 && isspace((unsigned char)out[len - 1]))
        len--;
    out[len] = '\0';
}

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

void db_reflect__type(struct db_column *col, const char *declared,
                      bool affinity)
{
    char t[128];
    lower_trim(t, sizeof t, declared ? declared : "");
    struct db_type_spec s;
    col->declared_type = NULL;
    if (db_type_from_alias(&s, t)) {
        /* one of ours */
    } else if (!affinity) {
        memset(&s, 0, sizeof s);
        col->declared_type = declared ? declared : "";
    } else {
        /* SQLite's affinity rules, in its order. */
        if (strstr(t, "int"))
            s.type = DB_TYPE_INTEGER;
        else if (strstr(t, "char") || strstr(t, "clob") || strstr(t, "text"))
            s.type = DB_TYPE_TEXT;
        else if (strstr(t, "blob"))
            s.type = DB_TYPE_BLOB;
        else
            s.type = DB_TYPE_REAL;
    }
    col->type = s.type;
    col->length = s.length;
    col->precision = s.precision;
    col->scale = s.scale;
}

/* Strips "(...)" around the whole text and a trailing "::type" cast. */
static void strip_expr(char *s)
{
    for (;;) {
        size_t len = strlen(s);
        /* a cast outside quotes: the last "::" after the last quote */
        char *q = strrchr(s, '\'');
        char *cast = strstr(q ? q : s, "::");
        if (cast) {
            *cast = '\0';
            continue;
        }
        if (len >= 2 && s[0] == '(' && s[len - 1] == ')') {
            int depth = 0, whole = 1;
            for (size_t i = 0; i < len - 1; i++) {
                depth += s[i] == '(' ? 1 : s[i] == ')' ? -1 : 0;
                if (depth == 0) {
                    whole = 0;
                    break;
                }
            }
            if (whole) {
                memmove(s, s + 1, len - 2);
                s[len - 2] = '\0';
                continue;
            }
        }
        return;
    }
}

static int is_number(const char *s)
{
    if (!*s)
        return 0;
    char *end;
    strtod(s, &end);
    return *end == '\0';
}

/* s lower-cased, without whitespace and outer parentheses, into out:
 * how two spellings of one expression compare. */
static void squeeze(char *out, size_t n, const char *s)
{
    size_t w = 0;
    for (; *s && w + 1 < n; s++)
        if (!isspace((unsigned char)*s))
            out[w++] = (char)tolower((unsigned char)*s);
    out[w] = '\0';
    while (w >= 2 && out[0] == '(' && out[w - 1] == ')') {
        int depth = 0, whole = 1;
        for (size_t i = 0; i < w - 1 && whole; i++) {
            depth += out[i] == '(' ? 1 : out[i] == ')' ? -1 : 0;
            whole = depth > 0;
        }
        if (!whole)
            break;
        memmove(out, out + 1, w - 2);
        out[w -= 2] = '\0';
    }
}

/* Every dialect's expression for a new UUID, squeezed once: a default
 * is compared with them for each column reflected. */
#define UUID_EXPRS_MAX 8
static char uuid_exprs[UUID_EXPRS_MAX][512];
static size_t n_uuid_exprs;
static pthread_once_t uuid_exprs_once = PTHREAD_ONCE_INIT;

static void squeeze_uuid_exprs(void)
{
    for (const struct db_dialect_ops *const *d = db_dialects;
         *d && n_uuid_exprs < UUID_EXPRS_MAX; d++)
        if ((*d)->uuid_sql)
            squeeze(uuid_exprs[n_uuid_exprs++], sizeof uuid_exprs[0],
                    (*d)->uuid_sql);
}

/* Whether expr is some dialect's expression for a new UUID. */
static int is_uuid_expr(const char *expr)
{
    pthread_once(&uuid_exprs_once, squeeze_uuid_exprs);
    char a[512];
    squeeze(a, sizeof a, expr);
    for (size_t i = 0; i < n_uuid_exprs; i++)
        if (strcmp(a, uuid_exprs[i]) == 0)
            return 1;
    return 0;
}

int db_reflect__default(struct db_default *out, struct db_arena *arena,
                        const char *expr, enum db_type type)
{
    out->kind = DB_DEFAULT_NONE;
    out->value = NULL;
    if (!expr)
        return 0;
    size_t n = strlen(expr);
    char *s = malloc(n + 1);
    if (!s)
        return 0;
    memcpy(s, expr, n + 1);
    /* trim */
    char *p = s;
    while (isspace((unsigned char)*p))
        p++;
    memmove(s, p, strlen(p) + 1);
    for (n = strlen(s); n > 0 && isspace((unsigned char)s[n - 1]); n--)
        s[n - 1] = '\0';
    strip_expr(s);
    char low[64];
    lower_trim(low, sizeof low, s);
    int seq = 0;
    if (!*s || strcmp(low, "null") == 0) {
        /* no default */
    } else if (starts(low, "nextval(")) {
        seq = 1;
    } else if (strcmp(low, "current_timestamp") == 0 ||
               strcmp(low, "now()") == 0 ||
               strcmp(low, "current_timestamp()") == 0 ||
               strcmp(low, "localtimestamp") == 0 ||
               strcmp(low, "transaction_timestamp()") == 0 ||
               strcmp(low, "datetime('now')") == 0 ||
               strcmp(low, "datetime(current_timestamp)") == 0) {
        out->kind = DB_DEFAULT_NOW;
    } else if (strcmp(low, "current_date") == 0 ||
               strcmp(low, "date('now')") == 0) {
        out->kind = DB_DEFAULT_TODAY;
    } else if (is_uuid_expr(s)) {
        out->kind = DB_DEFAULT_UUID;
    } else if (strcmp(low, "true") == 0 || strcmp(low, "false") == 0) {
        out->kind = DB_DEFAULT_BOOL;
        out->value = low[0] == 't' ? "true" : "false";
    } else {
        char *text = s;
        int quoted = s[0] == '\'';
        if (quoted) {
            /* 'it''s' -> it's */
            size_t w = 0;
            for (size_t r = 1; s[r]; r++) {
                if (s[r] == '\'') {
                    if (s[r + 1] != '\'')
                        break;
                    r++;
                }
                s[w++] = s[r];
            }
            s[w] = '\0';
        }
        if ((db_type_flags(type) & DB_TYPEF_BOOLEAN) && (is_number(text) ||
                                        strcmp(text, "true") == 0 ||
                                        strcmp(text, "false") == 0 ||
                                        strcmp(text, "t") == 0 ||
                                        strcmp(text, "f") == 0)) {
            int t = is_number(text) ? strtod(text, NULL) != 0
                                    : text[0] == 't';
            out->kind = DB_DEFAULT_BOOL;
            out->value = t ? "true" : "false";
        } else if (is_number(text) &&
                   (!quoted || (db_type_flags(type) & DB_TYPEF_NUMBER))) {
            out->kind = DB_DEFAULT_NUMBER;
            out->value = db_arena_strdup(arena, text);
        } else if (quoted) {
            out->kind = DB_DEFAULT_STRING;
            out->value = db_arena_strdup(arena, text);
        } else {
            /* another expression: kept verbatim (rendered unquoted) */
            out->kind = DB_DEFAULT_NUMBER;
            out->value = db_arena_strdup(arena, text);
        }
    }
    free(s);
    return seq;
}

/* ---- the entry point ---- */

static int is_version_table(const char *name)
{
    return strncmp(name, DB_VERSION_TABLE_PREFIX,
                   strlen(DB_VERSION_TABLE_PREFIX)) == 0;
}

int db_reflect(struct db_reflection **out, struct db_conn *c,
               const struct db_schema *only, unsigned flags,
               struct db_error *err)
{
    *out = NULL;
    if (!c->driver->reflect)
        return db_error_set(err, DB_EUSAGE,
                            "the %s driver cannot reflect a schema",
                            c->driver->name);
    struct db_reflection *r = calloc(1, sizeof *r);
    if (!r)
        return db_error_set(err, DB_ENOMEM, "out of memory");
    const char **names = NULL;
    size_t nnames = 0;
    if (only) {
        names = malloc((only->ntables + 1) * sizeof *names);
        if (!names) {
            free(r);
            return db_error_set(err, DB_ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < only->ntables; i++)
            names[nnames++] = only->tables[i]->name;
        names[nnames] = NULL;
    }
    int rc = c->driver->reflect(c, &r->arena, only ? names : NULL, nnames,
                                &r->schema, err);
    free(names);
    if (rc) {
        db_error_prefix(err, "reflect");
        db_reflection_free(r);
        return rc;
    }
    if (!only && !(flags & DB_REFLECT_VERSION_TABLES)) {
        const struct db_table **t =
            (const struct db_table **)(void *)r->schema.tables;
        size_t w = 0;
        for (size_t i = 0; i < r->schema.ntables; i++)
            if (!is_version_table(t[i]->name))
                t[w++] = t[i];
        r->schema.ntables = w;
    }
    *out = r;
    return 0;
}

void db_reflection_free(struct db_reflection *r)
{
    if (!r)
        return;
    db_arena_free(&r->arena);
    free(r);
}

int db_reflect__index_flush(struct db_reflect_index_rows *r,
                            struct db_reflect_builder *b)
{
    int rc = 0;
    if (b && r->index[0]) {
        struct db_reflect_table *t = db_reflect__find(b, r->table);
        char what[DB_NAME_MAX * 2 + 64];
        snprintf(what, sizeof what, "%sindex \"%s\" on an expression",
                 r->unique ? "unique " : "", r->index);
        if (t && r->expr)
            rc = db_reflect__add_unmanaged(t, what, r->sql, false);
        else if (t)
            rc = db_reflect__add_index(t, r->index, r->unique, r->cols,
                                       r->ncols);
    }
    for (size_t i = 0; i < r->ncols; i++)
        free((void *)r->cols[i]);
    free(r->sql);
    r->sql = NULL;
    r->ncols = 0;
    r->index[0] = '\0';
    r->expr = false;
    return rc ? DB_ENOMEM : 0;
}

int db_reflect__index_row(struct db_reflect_index_rows *r,
                          struct db_reflect_builder *b, const char *table,
                          const char *index, bool unique, const char *column)
{
    if (strcmp(r->index, index) != 0 || strcmp(r->table, table) != 0) {
        if (db_reflect__index_flush(r, b))
            return DB_ENOMEM;
        snprintf(r->index, sizeof r->index, "%s", index);
        snprintf(r->table, sizeof r->table, "%s", table);
        r->unique = unique;
    }
    if (!column) {
        r->expr = true; /* an expression index: not expressible in models */
        return 0;
    }
    if (r->ncols < sizeof r->cols / sizeof r->cols[0]) {
        char *c = strdup(column);
        if (!c)
            return DB_ENOMEM;
        r->cols[r->ncols++] = c;
    }
    return 0;
}

void db_reflect__json_names(struct db_buf *out, const char *const *names,
                            size_t n)
{
    for (size_t i = 0; i < n; i++) {
        db_buf_puts(out, i ? ",\"" : "\"");
        for (const char *p = names[i]; *p; p++) {
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
}

int db_reflect__fk_flush(struct db_reflect_fk_rows *r,
                         struct db_reflect_builder *b)
{
    int rc = 0;
    struct db_reflect_table *t =
        b && r->n ? db_reflect__find(b, r->table) : NULL;
    if (t) {
        r->cols[r->n] = r->refs[r->n] = NULL;
        r->fk.name = r->name[0] ? r->name : NULL;
        r->fk.column = r->cols[0];
        r->fk.ref_column = r->refs[0];
        r->fk.columns = r->n > 1 ? (const char *const *)r->cols : NULL;
        r->fk.ref_columns = r->n > 1 ? (const char *const *)r->refs : NULL;
        rc = db_reflect__add_fk(t, &r->fk);
    }
    for (size_t i = 0; i < r->n; i++) {
        free(r->cols[i]);
        free(r->refs[i]);
    }
    free((void *)r->fk.ref_table);
    memset(r, 0, sizeof *r);
    return rc ? DB_ENOMEM : 0;
}

int db_reflect__fk_row(struct db_reflect_fk_rows *r,
                       struct db_reflect_builder *b, const char *table,
                       const char *key, bool start,
                       const struct db_foreign_key *head, const char *column,
                       const char *ref_column)
{
    if (start || strcmp(r->table, table) != 0 || strcmp(r->key, key) != 0) {
        if (db_reflect__fk_flush(r, b))
            return DB_ENOMEM;
        snprintf(r->table, sizeof r->table, "%s", table);
        snprintf(r->key, sizeof r->key, "%s", key);
        snprintf(r->name, sizeof r->name, "%s", head->name ? head->name : "");
        r->fk.ref_table = strdup(head->ref_table ? head->ref_table : "");
        r->fk.on_update = head->on_update;
        r->fk.on_delete = head->on_delete;
        if (!r->fk.ref_table)
            return DB_ENOMEM;
    }
    if (r->n + 1 >= sizeof r->cols / sizeof r->cols[0])
        return 0; /* more columns than a key of the models may have */
    r->cols[r->n] = strdup(column ? column : "");
    r->refs[r->n] = strdup(ref_column ? ref_column : "");
    r->n++;
    if (!r->cols[r->n - 1] || !r->refs[r->n - 1])
        return DB_ENOMEM;
    return 0;
}
