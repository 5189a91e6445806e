/*
 * migrate_state.c - what the version tables say: the heads, the history,
 * a revision that needs attention.
 */
#include "migrate.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "meta.h"
#include "migrate_internal.h"
#include "revcache.h"

/* ---- reading the state -------------------------------------------------- */

/* snprintf(dst, cap, "%s", src ? src : "") without a format to parse:
 * every history row goes through it on every start-up. */
static void copy_val(char *dst, size_t cap, const char *src)
{
    size_t len = src ? strlen(src) : 0;
    if (len >= cap)
        len = cap - 1;
    if (len)
        memcpy(dst, src, len);
    dst[len] = '\0';
}

struct heads_ctx {
    const struct db_graph *g;
    struct db_migrate_state *st;
};

static int take_head(void *ctx, int ncols, const char *const *vals,
                     const char *const *names)
{
    (void)names;
    struct heads_ctx *h = ctx;
    if (ncols < 1 || !vals[0])
        return 0;
    long i = db_migrate__find_id(h->g, vals[0]);
    if (i < 0) {
        snprintf(h->st->unknown, sizeof h->st->unknown, "%s", vals[0]);
        return 0;
    }
    h->st->heads[h->st->nheads++] = (size_t)i;
    return 0;
}

/* Reads app_version into st->heads and st->applied. */
int db_migrate__read_heads(struct db_migrate_state *st,
                                  struct db_conn *c, const struct db_graph *g,
                                  struct db_error *err)
{
    st->nheads = 0;
    st->unknown[0] = '\0';
    struct heads_ctx h = {g, st};
    /* at most g->n distinct known heads: the primary key keeps rows unique */
    int rc = db_migrate__vquery(c, "SELECT \"revision\" FROM " VT, 0, NULL,
                                take_head, &h, NULL, err);
    if (rc)
        return rc;
    db_graph_applied(st->applied, g, st->heads, st->nheads);
    return 0;
}

static int take_history(void *ctx, int ncols, const char *const *vals,
                        const char *const *names)
{
    (void)names;
    struct db_migrate_state *st = ctx;
    if (ncols < 6)
        return 0;
    if (st->nhistory == st->history_cap) {
        size_t cap = st->history_cap ? st->history_cap * 2 : 64;
        struct db_history_row *p = realloc(st->history, cap * sizeof *p);
        if (!p)
            return DB_ENOMEM;
        st->history = p;
        st->history_cap = cap;
    }
    struct db_history_row *p = st->history;
    struct db_history_row *r = &p[st->nhistory++];
    r->seq = vals[0] ? strtol(vals[0], NULL, 10) : 0;
    copy_val(r->revision, sizeof r->revision, vals[1]);
    copy_val(r->operation, sizeof r->operation, vals[2]);
    copy_val(r->applied_at, sizeof r->applied_at, vals[3]);
    r->duration_ms = vals[4] ? strtol(vals[4], NULL, 10) : 0;
    copy_val(r->checksum, sizeof r->checksum, vals[5]);
    return 0;
}

static int take_dirty(void *ctx, int ncols, const char *const *vals,
                      const char *const *names)
{
    (void)names;
    struct db_migrate_state *st = ctx;
    if (ncols < 3)
        return 0;
    st->dirty = true;
    snprintf(st->dirty_revision, sizeof st->dirty_revision, "%s",
             vals[0] ? vals[0] : "");
    snprintf(st->dirty_operation, sizeof st->dirty_operation, "%s",
             vals[1] ? vals[1] : "");
    snprintf(st->dirty_detail, sizeof st->dirty_detail, "%s",
             vals[2] ? vals[2] : "");
    return 1;
}

/* The three version tables in one statement (one round trip): the kind
 * of row ('d' dirty, 'h' history, 'v' a head), then the columns. Without
 * ORDER BY (a sort of the whole history on every start-up): the history
 * comes in seq order from a scan of its primary key, and is sorted here
 * when it does not. Fails when a table is missing. */
static const char state_sql[] =
    "SELECT 'd', 0, \"revision\", \"operation\", \"detail\", NULL, NULL "
    "FROM " DT " UNION ALL "
    "SELECT 'h', \"seq\", \"revision\", \"operation\", \"applied_at\", "
    "CAST(\"duration_ms\" AS TEXT), \"checksum\" FROM " HT " UNION ALL "
    "SELECT 'v', 0, \"revision\", NULL, NULL, NULL, NULL FROM " VT;

static int cmp_seq(const void *a, const void *b)
{
    long x = ((const struct db_history_row *)a)->seq;
    long y = ((const struct db_history_row *)b)->seq;
    return (x > y) - (x < y);
}

static void sort_history(struct db_migrate_state *st)
{
    for (size_t k = 1; k < st->nhistory; k++)
        if (st->history[k - 1].seq > st->history[k].seq) {
            qsort(st->history, st->nhistory, sizeof *st->history, cmp_seq);
            return;
        }
}

/* What the record of a verified history compares besides the applied
 * revisions' checksums: the history's largest seq ('x' row) where the
 * dialect has no row version, and each head row's version ('v' rows). */
struct verified_marks {
    char seq[32];
    unsigned long long rows; /* the heads' versions, folded (any order) */
};

static void fold_mark_row(struct verified_marks *m, const char *const *vals)
{
    if (vals[0][0] == 'x')
        copy_val(m->seq, sizeof m->seq, vals[1]);
    else if (vals[0][0] == 'v' && vals[2]) {
        char b[200];
        int n = snprintf(b, sizeof b, "%s%c%s", vals[2], '\0',
                         vals[1] ? vals[1] : "");
        if (n > 0)
            m->rows ^= db_revcache_check(b, (size_t)n < sizeof b
                                                ? (size_t)n
                                                : sizeof b - 1);
    }
}

struct state_ctx {
    struct heads_ctx h;
    struct db_migrate_state *st;
    struct verified_marks marks; /* of quick_sql's rows */
    char value[64];              /* the record, when has_value */
    bool has_value;
};

static int take_state_row(void *ctx, int ncols, const char *const *vals,
                          const char *const *names)
{
    struct state_ctx *x = ctx;
    if (ncols < 7 || !vals[0])
        return 0;
    switch (vals[0][0]) {
    case 'v':
        fold_mark_row(&x->marks, vals);
        return take_head(&x->h, 1, vals + 2, names);
    case 'h':
        return take_history(x->st, 6, vals + 1, names);
    case 'd':
        if (!x->st->dirty)
            take_dirty(x->st, 3, vals + 2, names);
        return 0;
    case 'm':
        if (vals[1] && vals[2] &&
            strcmp(vals[1], DB_MIGRATE_VERIFIED_KEY) == 0) {
            copy_val(x->value, sizeof x->value, vals[2]);
            x->has_value = true;
        }
        return 0;
    case 'x':
        fold_mark_row(&x->marks, vals);
        return 0;
    }
    return 0;
}

/* The whole state in one query; 0, or an error when a table is missing
 * (or anything else failed): then nothing of it is kept. */
static int read_at_once(struct db_migrate_state *st, struct db_conn *c,
                        const struct db_graph *g, struct db_error *err)
{
    struct state_ctx x = {{g, st}, st, {"", 0}, "", false};
    int rc = db_migrate__vquery(c, state_sql, 0, NULL, take_state_row, &x,
                                NULL, err);
    if (rc == 0) {
        st->tables = true;
        sort_history(st);
        db_graph_applied(st->applied, g, st->heads, st->nheads);
        return 0;
    }
    st->nheads = 0;
    st->unknown[0] = '\0';
    free(st->history);
    st->history = NULL;
    st->nhistory = st->history_cap = 0;
    st->dirty = false;
    st->dirty_revision[0] = st->dirty_operation[0] = st->dirty_detail[0] =
        '\0';
    return rc == DB_ENOMEM ? db_error_nomem(err) : rc;
}

int db_migrate_state_read(struct db_migrate_state *out, struct db_conn *c,
                          const struct db_graph *g, struct db_error *err)
{
    memset(out, 0, sizeof *out);
    out->heads = calloc(g->n ? g->n : 1, sizeof *out->heads);
    out->applied = calloc(g->n ? g->n : 1, 1);
    out->last = malloc((g->n ? g->n : 1) * sizeof *out->last);
    if (!out->heads || !out->applied || !out->last) {
        db_migrate_state_free(out);
        return db_error_nomem(err);
    }
    for (size_t i = 0; i < g->n; i++)
        out->last[i] = -1;
    int rc;
    /* Outside a transaction a failed statement costs nothing: try the
     * one-query read first; missing tables make it fail, and the tables
     * are then looked up one by one. */
    if (!c->in_tx) {
        struct db_error first;
        rc = read_at_once(out, c, g, &first);
        if (rc == DB_ENOMEM) {
            if (err)
                *err = first;
            goto fail;
        }
        if (rc == 0)
            goto done;
    }
    rc = c->driver->table_exists(c, DB_MIGRATE_TABLE, err);
    if (rc < 0)
        goto fail;
    out->tables = rc == 1;
    rc = 0;
    if (!out->tables)
        return 0;
    if ((rc = db_migrate__read_heads(out, c, g, err)))
        goto fail;
    rc = db_migrate__vquery(
        c,
        "SELECT \"seq\", \"revision\", \"operation\", "
        "\"applied_at\", \"duration_ms\", \"checksum\" FROM " HT
        " ORDER BY \"seq\"",
        0, NULL, take_history, out, NULL, err);
    if (rc == DB_ENOMEM)
        rc = db_error_nomem(err);
    if (rc)
        goto fail;
    rc = db_migrate__vquery(
        c, "SELECT \"revision\", \"operation\", \"detail\" FROM " DT, 0, NULL,
        take_dirty, out, NULL, err);
    if (rc < 0)
        goto fail;
done:
    for (size_t k = 0; k < out->nhistory; k++) {
        long i = db_migrate__find_id(g, out->history[k].revision);
        if (i >= 0)
            out->last[i] = (long)k;
    }
    return 0;
fail:
    db_migrate_state_free(out);
    return rc;
}

/* ---- the record of a verified history ----------------------------------- */

/* "<seq> <hash>": the history's largest seq (0 where the dialect has row
 * versions) and a 64-bit hash of the applied revisions' ids and checksums,
 * in graph order, and of the head rows' versions. */
static int verified_value(char *out, size_t n, const struct db_graph *g,
                          const unsigned char *applied,
                          const struct verified_marks *m)
{
    struct db_buf b = DB_BUF_INIT;
    for (size_t i = 0; i < g->n; i++)
        if (applied[i]) {
            db_buf_putn(&b, g->revs[i].id, strlen(g->revs[i].id) + 1);
            db_buf_putn(&b, g->revs[i].checksum,
                        strlen(g->revs[i].checksum) + 1);
        }
    if (!db_buf_ok(&b)) {
        db_buf_free(&b);
        return DB_ENOMEM;
    }
    snprintf(out, n, "%s %016llx", m->seq[0] ? m->seq : "0",
             (unsigned long long)(db_revcache_check(b.data ? b.data : "",
                                                    b.len) ^
                                  m->rows));
    db_buf_free(&b);
    return 0;
}

/* The rows the record of a verified history is made from, in the
 * columns of state_sql: each head with its row version ('v'), and the
 * history's largest seq where there are no row versions ('x'). */
#define HEAD_ROWS                                                          \
    "SELECT 'v', @R, \"revision\", NULL, NULL, NULL, NULL FROM " VT
#define SEQ_ROW "SELECT 'x', @X, NULL, NULL, NULL, NULL, NULL"

/* The marker, the heads, the tool's records (app_version_meta, a few
 * rows: all of them, no index to plan) and the seq row: one statement, no
 * history row. */
static const char quick_sql[] =
    "SELECT 'd', NULL, \"revision\", \"operation\", \"detail\", NULL, NULL "
    "FROM " DT " UNION ALL " HEAD_ROWS " UNION ALL "
    "SELECT 'm', \"key\", \"value\", NULL, NULL, NULL, NULL FROM " MT
    " UNION ALL " SEQ_ROW;

/* What the record is written from: the heads and the seq row alone (a
 * database made before app_version_meta existed gets it from
 * db_meta_set). */
static const char marks_sql[] = HEAD_ROWS " UNION ALL " SEQ_ROW;

int db_migrate_state_read_quick(struct db_migrate_state *out,
                                struct db_conn *c, const struct db_graph *g,
                                struct db_error *err)
{
    if (c->in_tx)
        return db_migrate_state_read(out, c, g, err);
    memset(out, 0, sizeof *out);
    out->heads = calloc(g->n ? g->n : 1, sizeof *out->heads);
    out->applied = calloc(g->n ? g->n : 1, 1);
    if (!out->heads || !out->applied) {
        db_migrate_state_free(out);
        return db_error_nomem(err);
    }
    struct state_ctx x = {{g, out}, out, {"", 0}, "", false};
    struct db_error ignored;
    /* fails where a table is missing (app_version_meta before anything
     * recorded a verification): the whole read then */
    int rc = db_migrate__vquery(c, quick_sql, 0, NULL, take_state_row, &x,
                                NULL, &ignored);
    char want[64];
    if (rc == 0 && x.has_value && !out->dirty && !out->unknown[0]) {
        db_graph_applied(out->applied, g, out->heads, out->nheads);
        if (verified_value(want, sizeof want, g, out->applied, &x.marks) ==
                0 &&
            strcmp(want, x.value) == 0) {
            out->tables = true;
            out->verified = true;
            return 0;
        }
    }
    db_migrate_state_free(out);
    return db_migrate_state_read(out, c, g, err);
}

static int take_marks(void *ctx, int ncols, const char *const *vals,
                      const char *const *names)
{
    (void)names;
    if (ncols >= 3 && vals[0])
        fold_mark_row(ctx, vals); /* 'v' and 'x' rows only */
    return 0;
}

int db_migrate_record_verified(struct db_conn *c, const struct db_graph *g,
                               const unsigned char *applied,
                               struct db_error *err)
{
    bool own = !c->in_tx;
    int rc = own ? db_begin(c, err) : 0;
    struct verified_marks m = {"", 0};
    char value[64];
    if (rc == 0)
        rc = db_migrate__vquery(c, marks_sql, 0, NULL, take_marks, &m, NULL,
                                err);
    if (rc == 0 && verified_value(value, sizeof value, g, applied, &m))
        rc = db_error_nomem(err);
    if (rc == 0)
        rc = db_meta_set(c, DB_MIGRATE_VERIFIED_KEY, value, err);
    if (own) {
        struct db_error ignored;
        if (rc == 0)
            rc = db_commit(c, err);
        else
            db_rollback(c, &ignored);
    }
    return rc;
}

void db_migrate_state_free(struct db_migrate_state *st)
{
    if (!st)
        return;
    free(st->heads);
    free(st->applied);
    free(st->history);
    free(st->last);
    memset(st, 0, sizeof *st);
}

const struct db_history_row *db_migrate_applied_row(
    const struct db_migrate_state *st, const struct db_graph *g, size_t i)
{
    if (st->last) {
        long k = i < g->n ? st->last[i] : -1;
        if (k < 0 || (size_t)k >= st->nhistory ||
            strcmp(st->history[k].operation, "down") == 0)
            return NULL;
        return &st->history[k];
    }
    for (size_t k = st->nhistory; k-- > 0;) {
        const struct db_history_row *r = &st->history[k];
        if (strcmp(r->revision, g->revs[i].id) != 0)
            continue;
        if (strcmp(r->operation, "down") == 0)
            return NULL;
        return r;
    }
    return NULL;
}

int db_migrate__dirty_error(const struct db_migrate_state *st,
                                   const struct db_graph *g,
                                   struct db_error *err)
{
    db_error_set(err, DB_EDIRTY,
                 "the database needs attention: the %s of revision %s ran "
                 "outside a transaction and did not finish: %s",
                 strcmp(st->dirty_operation, "down") == 0 ? "downgrade"
                                                          : "upgrade",
                 st->dirty_revision, st->dirty_detail);
    long i = db_migrate__find_id(g, st->dirty_revision);
    if (i >= 0)
        db_error_at(err, g->revs[i].path, 0);
    const char *before = "base";
    if (i >= 0 && g->revs[i].ndown == 1)
        before = g->revs[i].down[0];
    if (strcmp(st->dirty_operation, "down") == 0)
        db_error_hint(err, "finish or undo its statements by hand, then "
                           "record the result: '{db} stamp %s' if it is "
                           "fully undone, '{db} stamp %s' if not undone",
                      before, st->dirty_revision);
    else
        db_error_hint(err, "finish or undo its statements by hand, then "
                           "record the result: '{db} stamp %s' if it is "
                           "fully applied, '{db} stamp %s' if undone",
                      st->dirty_revision, before);
    return DB_EDIRTY;
}

int db_migrate_check(const struct db_graph *g,
                     const struct db_migrate_state *st, struct db_error *err)
{
    if (st->dirty)
        return db_migrate__dirty_error(st, g, err);
    if (st->unknown[0]) {
        db_error_set(err, DB_EGRAPH,
                     "the database is at revision '%s', which has no file in "
                     "%s", st->unknown, g->dir);
        db_error_hint(err, "run the code that has that revision, or restore "
                           "its file");
        return DB_EGRAPH;
    }
    for (size_t i = 0; i < g->n && !st->verified; i++) {
        if (!st->applied[i])
            continue;
        const struct db_history_row *r = db_migrate_applied_row(st, g, i);
        if (r && strcmp(r->checksum, g->revs[i].checksum) != 0) {
            db_error_set(err, DB_EREFUSED,
                         "revision %s was edited after it was applied: the "
                         "file's checksum is %s, the applied one was %s",
                         g->revs[i].id, g->revs[i].checksum, r->checksum);
            db_error_at(err, g->revs[i].path, 0);
            db_error_hint(err, "restore the file as it was applied and put "
                               "the change in a new revision ('{db} "
                               "revision -m ...')");
            return DB_EREFUSED;
        }
    }
    return 0;
}
