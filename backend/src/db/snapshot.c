/*
 * snapshot.c - the reviewed schema file, built from the revisions.
 */
#include "snapshot.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flip.h"
#include "reflect.h"
#include "render.h"

void db_snapshot_path(char *out, size_t n, const struct db_config *cfg)
{
    snprintf(out, n, "%s/schema.sql",
             cfg->migrations_dir[0] ? cfg->migrations_dir : "migrations");
}

static int by_name(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");
}

static int index_cmp(const void *a, const void *b)
{
    return by_name(((const struct db_index *)a)->name,
                   ((const struct db_index *)b)->name);
}

static int fk_cmp(const void *a, const void *b)
{
    return by_name(((const struct db_foreign_key *)a)->name,
                   ((const struct db_foreign_key *)b)->name);
}

/* A copy of s whose indexes and foreign keys are in name order (each
 * database reflects them in its own order). Free with free_canonical. */
struct canonical {
    struct db_schema schema;
    struct db_table *tables;
    const struct db_table **ptrs;
    struct db_index **ix;
    struct db_foreign_key **fk;
    size_t n;
};

static void free_canonical(struct canonical *k)
{
    for (size_t i = 0; i < k->n; i++) {
        if (k->ix)
            free(k->ix[i]);
        if (k->fk)
            free(k->fk[i]);
    }
    free(k->ix);
    free(k->fk);
    free(k->tables);
    free(k->ptrs);
}

static int canonical(struct canonical *k, const struct db_schema *s)
{
    memset(k, 0, sizeof *k);
    size_t n = s->ntables ? s->ntables : 1;
    k->tables = calloc(n, sizeof *k->tables);
    k->ptrs = calloc(n, sizeof *k->ptrs);
    k->ix = calloc(n, sizeof *k->ix);
    k->fk = calloc(n, sizeof *k->fk);
    if (!k->tables || !k->ptrs || !k->ix || !k->fk)
        return -1;
    k->n = s->ntables;
    for (size_t i = 0; i < s->ntables; i++) {
        const struct db_table *t = s->tables[i];
        k->tables[i] = *t;
        k->ix[i] = calloc(t->nindexes ? t->nindexes : 1, sizeof **k->ix);
        k->fk[i] = calloc(t->nforeign_keys ? t->nforeign_keys : 1,
                          sizeof **k->fk);
        if (!k->ix[i] || !k->fk[i])
            return -1;
        if (t->nindexes)
            memcpy(k->ix[i], t->indexes, t->nindexes * sizeof **k->ix);
        if (t->nforeign_keys)
            memcpy(k->fk[i], t->foreign_keys,
                   t->nforeign_keys * sizeof **k->fk);
        qsort(k->ix[i], t->nindexes, sizeof **k->ix, index_cmp);
        qsort(k->fk[i], t->nforeign_keys, sizeof **k->fk, fk_cmp);
        k->tables[i].indexes = k->ix[i];
        k->tables[i].foreign_keys = k->fk[i];
        k->ptrs[i] = &k->tables[i];
    }
    k->schema.tables = k->ptrs;
    k->schema.ntables = s->ntables;
    return 0;
}

int db_snapshot_render(struct db_buf *out, size_t *ntables, struct db_conn *c,
                       const struct db_graph *g, struct db_error *err)
{
    size_t *h = calloc(g->n ? g->n : 1, sizeof *h);
    if (!h)
        return db_error_set(err, DB_ENOMEM, "out of memory");
    size_t nh = db_graph_heads(h, g);
    db_buf_puts(out, "-- The schema the revisions produce at ");
    if (nh == 0)
        db_buf_puts(out, "base (no revisions)");
    for (size_t k = 0; k < nh; k++)
        db_buf_printf(out, "%s%s", k ? ", " : "head ", g->revs[h[k]].id);
    free(h);
    db_buf_printf(out, ", built on %s, for every database.\n"
                  "-- Written by 'app db snapshot' and 'app db revision'; "
                  "do not edit:\n"
                  "-- 'app db check --snapshot' fails when it is stale.\n",
                  db_dialect_name(db_conn_dialect(c)));
    struct db_reflection *r = NULL;
    int rc = 0;
    if (g->n > 0 && (rc = db_flip_scratch(&r, c, g, "heads", err)))
        return rc;
    struct db_schema empty = {0};
    struct canonical k;
    if (canonical(&k, r ? &r->schema : &empty))
        rc = db_error_set(err, DB_ENOMEM, "out of memory");
    if (ntables)
        *ntables = k.schema.ntables;
    for (size_t i = 0; db_dialects[i] && rc == 0; i++) {
        db_buf_printf(out, "\n-- dialect: %s\n", db_dialects[i]->name);
        rc = db_render_create_all(out, &k.schema, db_dialects[i]->id, 0, err);
    }
    free_canonical(&k);
    db_reflection_free(r);
    if (rc == 0 && !db_buf_ok(out))
        rc = db_error_set(err, DB_ENOMEM, "out of memory");
    return rc;
}

int db_snapshot_write(char *path, size_t n, size_t *ntables,
                      struct db_conn *c, const struct db_graph *g,
                      struct db_error *err)
{
    db_snapshot_path(path, n, c->cfg);
    struct db_buf text = DB_BUF_INIT;
    int rc = db_snapshot_render(&text, ntables, c, g, err);
    if (rc) {
        db_buf_free(&text);
        return rc;
    }
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    size_t len = text.len;
    bool ok = f && fwrite(db_buf_str(&text), 1, len, f) == len;
    if (f && fclose(f) != 0)
        ok = false;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        rc = db_error_set(err, DB_EIO, "cannot write %s", path);
        db_error_hint(err, "check that %s exists and is writable",
                      c->cfg->migrations_dir[0] ? c->cfg->migrations_dir
                                                : "migrations");
    }
    db_buf_free(&text);
    return rc;
}

/* The whole file at path into *out (NUL-terminated, malloc'ed). Returns 0,
 * DB_ENOTFOUND (no such file), DB_EIO or DB_ENOMEM, with err set. */
static int read_all(char **out, const char *path, struct db_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f && errno == ENOENT)
        return DB_ENOTFOUND;
    if (!f) {
        db_error_set(err, DB_EIO, "cannot read %s: %s", path,
                     strerror(errno));
        db_error_hint(err, "make it a readable file, or remove it and "
                           "write it again with '{db} snapshot'");
        return DB_EIO;
    }
    struct db_buf b = DB_BUF_INIT;
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        db_buf_putn(&b, chunk, got);
    int failed = ferror(f) ? errno : 0;
    fclose(f);
    if (failed) {
        db_buf_free(&b);
        db_error_set(err, DB_EIO, "cannot read %s: %s", path,
                     strerror(failed));
        db_error_hint(err, "make it a readable file, or remove it and "
                           "write it again with '{db} snapshot'");
        return DB_EIO;
    }
    *out = db_buf_ok(&b) ? strdup(b.len ? db_buf_str(&b) : "") : NULL;
    db_buf_free(&b);
    return *out ? 0 : db_error_nomem(err);
}

int db_snapshot_check(struct db_conn *c, const struct db_graph *g,
                      struct db_error *err)
{
    char path[1100];
    db_snapshot_path(path, sizeof path, c->cfg);
    struct db_buf want = DB_BUF_INIT;
    int rc = db_snapshot_render(&want, NULL, c, g, err);
    if (rc) {
        db_buf_free(&want);
        return rc;
    }
    char *have;
    rc = read_all(&have, path, err);
    if (rc == DB_ENOTFOUND) {
        rc = db_error_set(err, DB_EDRIFT, "%s is missing", path);
        db_error_hint(err, "write it with '{db} snapshot' and commit it");
    } else if (rc == 0 && strcmp(have, db_buf_str(&want)) != 0) {
        const char *a = have, *b = db_buf_str(&want);
        int line = 1;
        while (*a && *a == *b) {
            if (*a == '\n')
                line++;
            a++;
            b++;
        }
        rc = db_error_set(err, DB_EDRIFT, "the schema snapshot is stale: the "
                          "revisions produce something else from this line "
                          "on");
        db_error_at(err, path, line);
        db_error_hint(err, "rewrite it with '{db} snapshot', review the "
                           "diff and commit it");
    }
    free(have);
    db_buf_free(&want);
    return rc;
}
