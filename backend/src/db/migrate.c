/*
 * migrate.c - upgrade, downgrade, stamp, offline SQL, the version tables.
 */
#include "migrate.h"
#include "fsutil.h"
#include "meta.h"
#include "migrate_internal.h"

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

void db_migrate__vt_names(struct db_migrate_vt_names *t, const char *schema,
                          const struct db_dialect_ops *x)
{
    char s[160], name[64];
    if (db_quote_ident(s, sizeof s, schema))
        snprintf(s, sizeof s, "\"public\"");
    db_quote_ident(name, sizeof name, DB_MIGRATE_TABLE);
    snprintf(t->v, sizeof t->v, "%s.%s", s, name);
    db_quote_ident(name, sizeof name, DB_MIGRATE_HISTORY_TABLE);
    snprintf(t->h, sizeof t->h, "%s.%s", s, name);
    db_quote_ident(name, sizeof name, DB_MIGRATE_DIRTY_TABLE);
    snprintf(t->d, sizeof t->d, "%s.%s", s, name);
    db_quote_ident(name, sizeof name, DB_META_TABLE);
    snprintf(t->m, sizeof t->m, "%s.%s", s, name);
    t->key_table = x && x->key_table_sql ? x->key_table_sql : "";
    t->seq_generated = x && x->integer_pk_is_rowid;
    t->row_version = x ? x->row_version_sql : NULL;
}

/* The names and facts of c's version tables. */
static void conn_names(struct db_migrate_vt_names *t, struct db_conn *c)
{
    db_migrate__vt_names(t, db_conn_schema(c),
                         db_dialect_get(db_conn_dialect(c)));
}

/* tmpl with @V, @H, @D, @M, @K, @R and @X replaced (migrate_internal.h);
 * no other '@' is touched. */
void db_migrate__vt_expand(struct db_buf *out,
                                  const struct db_migrate_vt_names *t,
                                  const char *tmpl)
{
    const char *p = tmpl;
    for (const char *at; (at = strchr(p, '@'));) {
        db_buf_putn(out, p, (size_t)(at - p));
        p = at + 2;
        switch (at[1]) {
        case 'V':
            db_buf_puts(out, t->v);
            break;
        case 'H':
            db_buf_puts(out, t->h);
            break;
        case 'D':
            db_buf_puts(out, t->d);
            break;
        case 'M':
            db_buf_puts(out, t->m);
            break;
        case 'K':
            db_buf_puts(out, t->key_table);
            break;
        case 'R':
            db_buf_puts(out, t->row_version ? t->row_version : "NULL");
            break;
        case 'X':
            if (t->row_version)
                db_buf_puts(out, "NULL");
            else
                db_buf_printf(out,
                              "CAST((SELECT MAX(\"seq\") FROM %s) AS TEXT)",
                              t->h);
            break;
        default:
            db_buf_putn(out, at, 1);
            p = at + 1;
        }
    }
    db_buf_puts(out, p);
}

/* db_query, db_exec and db_query_value on a template of the tool's own. */
int db_migrate__vquery(struct db_conn *c, const char *tmpl, int nparams,
                              const char *const *params, db_row_fn fn,
                              void *ctx, long *changes, struct db_error *err)
{
    struct db_migrate_vt_names t;
    conn_names(&t, c);
    struct db_buf sql = DB_BUF_INIT;
    db_migrate__vt_expand(&sql, &t, tmpl);
    int rc = db_buf_ok(&sql)
                 ? db_query(c, db_buf_str(&sql), nparams, params, fn, ctx,
                            changes, err)
                 : db_error_set(err, DB_ENOMEM, "out of memory");
    db_buf_free(&sql);
    return rc;
}

int db_migrate__vexec(struct db_conn *c, const char *tmpl, struct db_error *err)
{
    struct db_migrate_vt_names t;
    conn_names(&t, c);
    struct db_buf sql = DB_BUF_INIT;
    db_migrate__vt_expand(&sql, &t, tmpl);
    int rc = db_buf_ok(&sql) ? db_exec(c, db_buf_str(&sql), err)
                             : db_error_set(err, DB_ENOMEM, "out of memory");
    db_buf_free(&sql);
    return rc;
}

int db_migrate__vquery_value(struct db_conn *c, const char *tmpl,
                             int nparams, const char *const *params,
                             char *out, size_t n, struct db_error *err)
{
    struct db_migrate_vt_names t;
    conn_names(&t, c);
    struct db_buf sql = DB_BUF_INIT;
    db_migrate__vt_expand(&sql, &t, tmpl);
    int rc = db_buf_ok(&sql)
                 ? db_query_value(c, db_buf_str(&sql), nparams, params, out,
                                  n, err)
                 : db_error_set(err, DB_ENOMEM, "out of memory");
    db_buf_free(&sql);
    return rc;
}

/* Portable DDL: TEXT and INTEGER mean the same on both databases. */
const char *const db_migrate__create_tables[] = {
    "CREATE TABLE IF NOT EXISTS " VT " (\n"
    "    \"revision\" TEXT NOT NULL PRIMARY KEY\n"
    ")@K",
    "CREATE TABLE IF NOT EXISTS " HT " (\n"
    "    \"seq\" INTEGER NOT NULL PRIMARY KEY,\n"
    "    \"revision\" TEXT NOT NULL,\n"
    "    \"operation\" TEXT NOT NULL,\n"
    "    \"applied_at\" TEXT NOT NULL,\n"
    "    \"duration_ms\" INTEGER NOT NULL,\n"
    "    \"checksum\" TEXT NOT NULL\n"
    ")",
    "CREATE TABLE IF NOT EXISTS " MT " " DB_META_COLUMNS,
    "CREATE TABLE IF NOT EXISTS " DT " (\n"
    "    \"revision\" TEXT NOT NULL,\n"
    "    \"operation\" TEXT NOT NULL,\n"
    "    \"since\" TEXT NOT NULL,\n"
    "    \"detail\" TEXT NOT NULL\n"
    ")",
    NULL,
};

const char *db_migrate__history_insert_head(
    const struct db_migrate_vt_names *t)
{
    /* where seq is the rowid, no subquery: the statement is prepared
     * again after every revision's DDL (the schema changed) */
    return t->seq_generated
               ? "INSERT INTO " HT " (\"revision\", \"operation\", "
                 "\"applied_at\", \"duration_ms\", \"checksum\") VALUES ("
               : "INSERT INTO " HT " (\"seq\", \"revision\", \"operation\", "
                 "\"applied_at\", \"duration_ms\", \"checksum\") VALUES "
                 "((SELECT COALESCE(MAX(\"seq\"), 0) + 1 FROM " HT "), ";
}

int db_migrate__insert_history(struct db_conn *c, const char *const p[5],
                               bool commit, struct db_error *err)
{
    struct db_migrate_vt_names t;
    conn_names(&t, c);
    struct db_buf sql = DB_BUF_INIT;
    db_migrate__vt_expand(&sql, &t, db_migrate__history_insert_head(&t));
    db_buf_puts(&sql, "$1, $2, $3, $4, $5)");
    int rc = !db_buf_ok(&sql) ? db_error_nomem(err)
             : commit ? db_query_commit(c, db_buf_str(&sql), 5, p, err)
                      : db_query(c, db_buf_str(&sql), 5, p, NULL, NULL, NULL,
                                 err);
    db_buf_free(&sql);
    return rc;
}

static bool has(const size_t *a, size_t n, size_t x)
{
    for (size_t k = 0; k < n; k++)
        if (a[k] == x)
            return true;
    return false;
}

int db_migrate__head_moves(const struct db_graph *g, const size_t *old,
                           size_t nold, const size_t *now, size_t nnow,
                           db_migrate_head_fn fn, void *ctx)
{
    int rc = 0;
    for (size_t k = 0; rc == 0 && k < nold; k++)
        if (!has(now, nnow, old[k]))
            rc = fn(ctx, g->revs[old[k]].id, false);
    for (size_t k = 0; rc == 0 && k < nnow; k++)
        if (!has(old, nold, now[k]))
            rc = fn(ctx, g->revs[now[k]].id, true);
    return rc;
}

void db_migrate__now_utc(char *out, size_t n)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char sec[32];
    strftime(sec, sizeof sec, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(out, n, "%s.%03ld", sec, ts.tv_nsec / 1000000L);
}

static long elapsed_ms(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (long)(t1.tv_sec - t0->tv_sec) * 1000L +
           (t1.tv_nsec - t0->tv_nsec) / 1000000L;
}

long db_migrate__find_id(const struct db_graph *g, const char *id)
{
    return db_graph_index(g, id);
}

/* Creates the version tables when missing. They are created in order, so
 * the last one present means all are: one lookup on every command instead
 * of four DDL statements (four round trips on PostgreSQL). A database made
 * before app_version_meta was among them gets it from db_meta_set, the
 * first time something is recorded there. */
int db_migrate__ensure_tables(struct db_conn *c, struct db_error *err)
{
    int have = c->driver->table_exists(c, DB_MIGRATE_DIRTY_TABLE, err);
    if (have < 0)
        return have;
    if (have)
        return 0;
    for (size_t i = 0; db_migrate__create_tables[i]; i++) {
        int rc = db_migrate__vexec(c, db_migrate__create_tables[i], err);
        if (rc)
            return rc;
    }
    return 0;
}

struct move_ctx {
    struct db_conn *c;
    struct db_error *err;
};

/* A head that goes is deleted, one that comes inserted. (A linear step
 * whose heads this process wrote last moves the head with one UPDATE in
 * step_once, before the revision runs, and comes here with heads_done.) */
static int move_head(void *ctx, const char *id, bool comes)
{
    struct move_ctx *m = ctx;
    const char *p[] = {id};
    return db_migrate__vquery(
        m->c,
        comes ? "INSERT INTO " VT " (\"revision\") VALUES ($1)"
              : "DELETE FROM " VT " WHERE \"revision\" = $1",
        1, p, NULL, NULL, NULL, m->err);
}

/* The version rows after revision i moves in dir: heads in app_version
 * replaced by the new ones (unless heads_done), one history row, and with
 * commit the transaction's COMMIT along with that row. st->applied is
 * updated. */
static int record(struct db_conn *c, const struct db_graph *g,
                  struct db_migrate_state *st, size_t i,
                  enum db_direction dir, long ms, bool heads_done,
                  bool commit, struct db_error *err)
{
    const struct db_revision *r = &g->revs[i];
    /* the heads are compared only when the caller has not moved them */
    size_t *old = NULL, *now = NULL;
    int rc = 0;
    if (!heads_done &&
        (!(old = calloc(g->n ? g->n : 1, sizeof *old)) ||
         !(now = calloc(g->n ? g->n : 1, sizeof *now)))) {
        rc = db_error_nomem(err);
        goto out;
    }
    size_t nold = 0, nnow = 0;
    if (!heads_done)
        nold = db_graph_current(old, g, st->applied);
    st->applied[i] = dir == DB_UPGRADE;
    if (!heads_done)
        nnow = db_graph_current(now, g, st->applied);
    struct move_ctx m = {c, err};
    rc = db_migrate__head_moves(g, old, nold, now, nnow, move_head, &m);
    if (rc == 0) {
        char at[40], dur[32];
        db_migrate__now_utc(at, sizeof at);
        snprintf(dur, sizeof dur, "%ld", ms);
        const char *p[] = {r->id, dir == DB_UPGRADE ? "up" : "down", at, dur,
                           r->checksum};
        rc = db_migrate__insert_history(c, p, commit, err);
    }
out:
    free(old);
    free(now);
    return rc;
}

/* Runs revision i outside a transaction, bracketed by the dirty marker.
 * Returns 0, 1 (another process did it), or an error. */
static int step_no_tx(struct db_conn *c, const struct db_graph *g,
                      struct db_migrate_state *st, size_t i,
                      enum db_direction dir, long *ms, struct db_error *err)
{
    const struct db_revision *r = &g->revs[i];
    struct db_error ignored;
    const char *op = dir == DB_UPGRADE ? "up" : "down";
    char at[40];
    db_migrate__now_utc(at, sizeof at);
    int rc = db_begin(c, err);
    if (rc)
        return rc;
    char v[8];
    if ((rc = db_migrate__read_heads(st, c, g, err)))
        goto rollback;
    if ((st->applied[i] != 0) == (dir == DB_UPGRADE)) {
        db_rollback(c, &ignored);
        return 1;
    }
    rc = db_migrate__vquery_value(c, "SELECT 1 FROM " DT, 0, NULL, v,
                                  sizeof v, err);
    if (rc == 0) {
        db_rollback(c, &ignored);
        struct db_migrate_state fresh;
        if ((rc = db_migrate_state_read(&fresh, c, g, err)))
            return rc;
        rc = db_migrate__dirty_error(&fresh, g, err);
        db_migrate_state_free(&fresh);
        return rc;
    }
    if (rc != DB_ENOTFOUND)
        goto rollback;
    {
        const char *p[] = {r->id, op, at, "it was interrupted"};
        rc = db_migrate__vquery(
            c,
            "INSERT INTO " DT " (\"revision\", \"operation\", "
            "\"since\", \"detail\") VALUES ($1, $2, $3, $4)",
            4, p, NULL, NULL, NULL, err);
    }
    if (rc || (rc = db_commit(c, err)))
        goto rollback;

    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int nrun = 0;
    bool clean = false;
    rc = db_reset_session(c, err);
    if (rc == 0)
        rc = db_migrate__run_blocks(c, r, dir, &nrun, &clean, err);
    /* failed in a transactional section before anything committed: the
     * revision changed nothing, as if it ran in one transaction */
    if (rc && clean && db_migrate__vexec(c, "DELETE FROM " DT, &ignored) == 0)
        return rc;
    if (rc) {
        char detail[1400];
        char where[1100] = "";
        if (err->file[0])
            snprintf(where, sizeof where, "%s:%d: ", err->file, err->line);
        snprintf(detail, sizeof detail, "%s%s (%d statement%s before it "
                 "succeeded)", where, err->message, nrun,
                 nrun == 1 ? "" : "s");
        const char *p[] = {detail};
        db_migrate__vquery(c, "UPDATE " DT " SET \"detail\" = $1", 1, p, NULL,
                           NULL, NULL, &ignored);
        struct db_migrate_state fresh;
        if (db_migrate_state_read(&fresh, c, g, &ignored) == 0) {
            db_migrate__dirty_error(&fresh, g, err);
            db_error_at(err, r->path, 0);
            db_migrate_state_free(&fresh);
        }
        return DB_EDIRTY;
    }
    *ms = elapsed_ms(&t0);
    if ((rc = db_begin(c, err)) == 0 &&
        (rc = db_migrate__read_heads(st, c, g, err)) == 0 &&
        (rc = record(c, g, st, i, dir, *ms, false, false, err)) == 0 &&
        (rc = db_migrate__vexec(c, "DELETE FROM " DT, err)) == 0 &&
        (rc = db_commit(c, err)) == 0)
        return 0;
    /* Every statement ran, but the record of it did not commit: the
     * marker stays, saying so. */
    db_rollback(c, &ignored);
    {
        char detail[1400];
        snprintf(detail, sizeof detail, "every statement ran, but recording "
                 "it failed: %s", err->message);
        const char *p[] = {detail};
        db_migrate__vquery(c, "UPDATE " DT " SET \"detail\" = $1", 1, p, NULL,
                           NULL, NULL, &ignored);
        struct db_migrate_state fresh;
        if (db_migrate_state_read(&fresh, c, g, &ignored) == 0) {
            if (fresh.dirty)
                rc = db_migrate__dirty_error(&fresh, g, err);
            db_migrate_state_free(&fresh);
        }
        db_error_at(err, r->path, 0);
        return rc;
    }
rollback:
    db_rollback(c, &ignored);
    return rc;
}

/* The next revision to apply or undo given st->applied, or g->n. */
static size_t next_step(const struct db_graph *g,
                        const struct db_migrate_state *st,
                        const unsigned char *set, enum db_direction dir)
{
    if (dir == DB_UPGRADE) {
        for (size_t k = 0; k < g->n; k++)
            if (set[k] && !st->applied[k])
                return k;
    } else {
        for (size_t k = g->n; k-- > 0;)
            if (set[k] && st->applied[k])
                return k;
    }
    return g->n;
}

/* When moving i swaps exactly one head for another (a straight line),
 * their ids go to from/to and it returns 1. */
static int head_swap(const struct db_graph *g, const unsigned char *applied,
                     size_t i, enum db_direction dir, const char **from,
                     const char **to)
{
    const struct db_revision *r = &g->revs[i];
    if (r->ndown != 1)
        return 0;
    size_t p = r->parents[0];
    /* the parent must be a head before an upgrade (no other applied child)
     * and become one after a downgrade: the same test */
    for (size_t j = p + 1; j < g->n; j++)
        if (j != i && applied[j])
            for (size_t k = 0; k < g->revs[j].ndown; k++)
                if (g->revs[j].parents[k] == p)
                    return 0;
    *from = dir == DB_UPGRADE ? g->revs[p].id : r->id;
    *to = dir == DB_UPGRADE ? r->id : g->revs[p].id;
    return 1;
}

/* With enforcement off, a revision must still leave every foreign key
 * pointing somewhere: SQLite's own check, before the commit. */
static int foreign_key_check(struct db_conn *c, const struct db_revision *r,
                             struct db_error *err)
{
    long bad = 0;
    int rc = db_fk_violations(c, &bad, err);
    if (rc)
        return rc;
    if (bad == 0)
        return 0;
    db_error_set(err, DB_ESQL,
                 "revision %s leaves %ld row%s whose foreign key points "
                 "nowhere (%s)", r->id, bad, bad == 1 ? "" : "s",
                 db_dialect_get(c->driver->dialect)->fk_check_sql);
    db_error_at(err, r->path, 0);
    return DB_ESQL;
}

/* One step toward the target, in a transaction (on SQLite it holds the
 * write lock from BEGIN). The heads are read again inside it, unless this
 * process wrote them last (*known): then moving the head is a single
 * UPDATE whose row count proves nobody moved it meanwhile; if somebody
 * did, the heads are read and the step chosen again. Returns 0 (a step
 * done, *done_i set), 1 (nothing left), or an error. */
static int step_once(struct db_conn *c, const struct db_graph *g,
                     struct db_migrate_state *st, const unsigned char *set,
                     enum db_direction dir, bool *known, size_t *done_i,
                     long *ms, bool *fk_off, struct db_error *err)
{
    struct db_error ignored;
    for (;;) {
        /* the session as connect left it, for the revision: on PostgreSQL
         * the reset goes with BEGIN and the step's first statement */
        int rc = db_begin(c, err);
        if (rc)
            return rc;
        if ((rc = db_reset_session(c, err))) {
            db_rollback(c, &ignored);
            return rc;
        }
        bool heads_done = false;
        size_t i = g->n;
        const char *from, *to;
        if (*known && (i = next_step(g, st, set, dir)) < g->n &&
            !db_revision_needs_no_tx(&g->revs[i], dir, c->driver->dialect) &&
            head_swap(g, st->applied, i, dir, &from, &to)) {
            const char *p[] = {to, from};
            long changed = 0;
            rc = db_migrate__vquery(c,
                                    "UPDATE " VT " SET \"revision\" = $1 WHERE "
                                    "\"revision\" = $2",
                                    2, p, NULL, NULL, &changed, err);
            if (rc) {
                db_rollback(c, &ignored);
                return rc;
            }
            heads_done = changed == 1;
        }
        if (!heads_done) {
            *known = false;
            if ((rc = db_migrate__read_heads(st, c, g, err))) {
                db_rollback(c, &ignored);
                return rc;
            }
            i = next_step(g, st, set, dir);
        }
        if (i == g->n) {
            db_rollback(c, &ignored);
            return 1;
        }
        const struct db_revision *r = &g->revs[i];
        /* PRAGMA foreign_keys is a no-op inside a transaction: set it
         * between transactions, then choose the step again. */
        bool want_off = db_dialect_get(c->driver->dialect)->fk_off_sql &&
                        db_revision_needs_fk_off(r, dir, c->driver->dialect);
        if (want_off != *fk_off) {
            db_rollback(c, &ignored);
            *known = false;
            if ((rc = db_fk_enforcement(c, !want_off, err)))
                return rc;
            *fk_off = want_off;
            continue;
        }
        if (db_revision_needs_no_tx(r, dir, c->driver->dialect)) {
            db_rollback(c, &ignored);
            rc = step_no_tx(c, g, st, i, dir, ms, err);
            if (rc == 1)
                continue; /* another process took it: choose again */
            if (rc == 0)
                *done_i = i;
            return rc;
        }
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        rc = db_migrate__run_blocks(c, r, dir, NULL, NULL, err);
        *ms = elapsed_ms(&t0);
        if (rc == 0 && *fk_off)
            rc = foreign_key_check(c, r, err);
        if (rc == 0)
            rc = record(c, g, st, i, dir, *ms, heads_done, true, err);
        if (rc) {
            db_rollback(c, &ignored);
            *known = false;
            db_error_prefix(err, "%s %s", dir == DB_UPGRADE ? "upgrade"
                                                            : "downgrade",
                            r->id);
            /* the server's own hint first, then ours */
            char theirs[sizeof err->hint];
            snprintf(theirs, sizeof theirs, "%s", err->hint);
            db_error_hint(err, "%s%srevision %s was rolled back; nothing of "
                               "it stays. Fix it and run the command again",
                          theirs, theirs[0] ? "; " : "", r->id);
            return rc;
        }
        *known = true;
        *done_i = i;
        return 0;
    }
}

/* One step; a revision that asked for foreign keys off (SQLite) gets them
 * back on afterwards, whatever happened. */
static int step(struct db_conn *c, const struct db_graph *g,
                struct db_migrate_state *st, const unsigned char *set,
                enum db_direction dir, bool *known, size_t *done_i, long *ms,
                struct db_error *err)
{
    bool fk_off = false;
    int rc = step_once(c, g, st, set, dir, known, done_i, ms, &fk_off, err);
    if (fk_off) {
        struct db_error e2;
        int rc2 = db_fk_enforcement(c, 1, &e2);
        if (rc2 && rc == 0) {
            *err = e2;
            rc = rc2;
        }
    }
    return rc;
}

int db_migrate_plan_downgrade(size_t *plan, size_t *n, const struct db_graph *g,
                              const struct db_migrate_state *st,
                              const char *target, struct db_error *err)
{
    *n = 0;
    unsigned char *undo = calloc(g->n ? g->n : 1, 1);
    if (!undo)
        return db_error_nomem(err);
    int rc = db_graph_downgrade_target(undo, g, st->applied, target, err);
    for (size_t i = g->n; rc == 0 && i-- > 0;) {
        if (!undo[i])
            continue;
        if (!g->revs[i].has_downgrade) {
            rc = db_error_set(err, DB_EREFUSED,
                              "revision %s cannot be downgraded: it has no "
                              "'-- +downgrade' section",
                              g->revs[i].id);
            db_error_at(err, g->revs[i].path, 0);
            db_error_hint(err, "add a downgrade section, or restore the "
                               "database from a backup");
            *n = 0;
            break;
        }
        plan[(*n)++] = i;
    }
    free(undo);
    return rc;
}

/* The revisions to move in dir to reach target, into set; *work says
 * whether any of them is not there yet. */
static int plan(unsigned char *set, size_t *plan_buf, bool *work,
                const struct db_graph *g, const struct db_migrate_state *st,
                const char *target, enum db_direction dir,
                struct db_error *err)
{
    int rc;
    memset(set, 0, g->n ? g->n : 1);
    *work = false;
    if (dir == DB_UPGRADE) {
        if ((rc = db_graph_upgrade_target(set, g, st->applied, target, err)))
            return rc;
    } else {
        size_t n;
        if ((rc = db_migrate_plan_downgrade(plan_buf, &n, g, st, target,
                                            err)))
            return rc;
        for (size_t k = 0; k < n; k++)
            set[plan_buf[k]] = 1;
    }
    for (size_t i = 0; i < g->n && !*work; i++)
        *work = set[i] && (dir == DB_UPGRADE) != (bool)st->applied[i];
    return 0;
}

/*
 * Whether the database is already where target asks, read without the
 * lock: one query (the version tables at once) and no lock when there is
 * nothing to do. Each revision commits with its version rows, so what is
 * read is a state some upgrade left. Anything else (work to do, a state
 * to refuse, missing tables, an error) is left to the locked path, which
 * reads everything again under the lock.
 */
bool db_migrate__nothing_to_do(struct db_conn *c, const struct db_graph *g,
                          const char *target, enum db_direction dir,
                          unsigned char *set, size_t *plan_buf)
{
    if (c->in_tx)
        return false;
    struct db_error ignored;
    struct db_migrate_state st = {0};
    bool work = true;
    if (db_migrate_state_read_quick(&st, c, g, &ignored) == 0 && st.tables &&
        db_migrate_check(g, &st, &ignored) == 0 &&
        plan(set, plan_buf, &work, g, &st, target, dir, &ignored) != 0)
        work = true;
    db_migrate_state_free(&st);
    return !work;
}

static int migrate(struct db_conn *c, const struct db_graph *g,
                   const char *target, enum db_direction dir,
                   const struct db_migrate_opts *o, size_t *ndone,
                   struct db_error *err)
{
    struct db_migrate_state st = {0};
    unsigned char *set = calloc(g->n ? g->n : 1, 1);
    size_t *plan_buf = calloc(g->n ? g->n : 1, sizeof *plan_buf);
    int rc = 0, locked = 0;
    if (ndone)
        *ndone = 0;
    if (!set || !plan_buf) {
        rc = db_error_nomem(err);
        goto out;
    }
    if (db_migrate__nothing_to_do(c, g, target, dir, set, plan_buf))
        goto out;
    /* a graph loaded for its headers (db_graph_load_headers) reads its
     * blocks now; it is the caller's heap object, never a constant */
    if ((rc = db_graph_complete((struct db_graph *)g, err)))
        goto out;
    if ((rc = db_lock(c, err)))
        goto out;
    locked = 1;
    bool work = false;
    if ((rc = db_migrate__ensure_tables(c, err)) ||
        (rc = db_migrate_state_read(&st, c, g, err)) ||
        (rc = db_migrate_check(g, &st, err)) ||
        (rc = plan(set, plan_buf, &work, g, &st, target, dir, err)))
        goto out;
    /* Every revision to run is split with this database's rules first:
     * a file it cannot read stops the command before anything runs. */
    for (size_t i = 0; i < g->n; i++)
        if (set[i] && (dir == DB_UPGRADE) != (bool)st.applied[i] &&
            (rc = db_revision_check(&g->revs[i], dir, c->driver->dialect,
                                    err)))
            goto out;
    if (work && o && o->before_change &&
        (rc = o->before_change(o->change_ctx, c, err)))
        goto out;
    bool known = false;
    size_t steps = 0;
    for (;;) {
        size_t i = 0;
        long ms = 0;
        rc = step(c, g, &st, set, dir, &known, &i, &ms, err);
        if (rc == 1) {
            rc = 0;
            break;
        }
        if (rc)
            break;
        steps++;
        if (ndone)
            (*ndone)++;
        if (o && o->progress)
            o->progress(o->ctx, &g->revs[i], dir, ms);
    }
    /* the history as it is now matches the files: the next start-up at
     * this state need not read it (db_migrate_state_read_quick); without
     * the record it reads it, so a failure here costs only that */
    if (rc == 0) {
        struct db_error ignored;
        db_migrate_record_verified(c, g, st.applied, &ignored);
    }
    /* what follows on this connection runs on the session connect made */
    if (steps > 0 || rc) {
        struct db_error e2;
        int rc2 = db_reset_session(c, rc ? &e2 : err);
        if (rc == 0)
            rc = rc2;
    }
out:
    if (locked)
        rc = db_unlock_after(c, rc, err);
    db_migrate_state_free(&st);
    free(set);
    free(plan_buf);
    return rc;
}

int db_migrate_upgrade(struct db_conn *c, const struct db_graph *g,
                       const char *target, const struct db_migrate_opts *o,
                       size_t *ndone, struct db_error *err)
{
    return migrate(c, g, target, DB_UPGRADE, o, ndone, err);
}

int db_migrate_downgrade(struct db_conn *c, const struct db_graph *g,
                         const char *target, const struct db_migrate_opts *o,
                         size_t *ndone, struct db_error *err)
{
    return migrate(c, g, target, DB_DOWNGRADE, o, ndone, err);
}
