/*
 * rehearse.c - `upgrade --rehearse`: the pending revisions up, down and up
 * again on a copy or in a transaction rolled back, with what they locked.
 */
#include "rehearse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "driver.h"
#include "flip.h"
#include "meta.h"
#include "migrate.h"
#include "module.h"

static long since_ms(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (long)(t1.tv_sec - t0->tv_sec) * 1000L +
           (t1.tv_nsec - t0->tv_nsec) / 1000000L;
}

/* want: the pending revisions (to "heads"); returns their count. */
static int pending(unsigned char *want, size_t *npending,
                   const struct db_graph *g,
                   const struct db_migrate_state *st, struct db_error *err)
{
    int rc = db_graph_upgrade_target(want, g, st->applied, "heads", err);
    *npending = 0;
    for (size_t i = 0; rc == 0 && i < g->n; i++) {
        if (st->applied[i])
            want[i] = 0;
        if (want[i])
            (*npending)++;
    }
    return rc;
}

struct step_ctx {
    db_rehearse_step_fn fn;
    db_rehearse_stmt_fn stmt;
    void *ctx;
    size_t *nsteps;
};

static void on_step(void *ctx, const struct db_revision *r,
                    enum db_direction dir, long ms)
{
    struct step_ctx *s = ctx;
    (*s->nsteps)++;
    if (s->fn)
        s->fn(s->ctx, r, dir, ms);
}

/* The real migrate functions, on a copy made by the driver's backup
 * (SQLite: its backup API). */
static int rehearse_copy(struct db_conn *c, const struct db_graph *g,
                         struct step_ctx *sc, struct db_error *err)
{
    const struct db_dialect_ops *x = db_dialect_get(c->driver->dialect);
    if (!c->driver->backup)
        return db_error_set(err, DB_EUSAGE, "the %s driver cannot copy the "
                                            "database", c->driver->name);
    const char *tmp = getenv("TMPDIR");
    char dir[1024], path[1100];
    snprintf(dir, sizeof dir, "%s/app-rehearsal.XXXXXX",
             tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(dir))
        return db_error_set(err, DB_EIO, "cannot create a temporary "
                                         "directory in %s",
                            tmp && tmp[0] ? tmp : "/tmp");
    snprintf(path, sizeof path, "%s/rehearsal.db", dir);
    struct db_config *ccfg = malloc(sizeof *ccfg);
    struct db_conn *copy = NULL;
    struct db_migrate_state st = {0};
    unsigned char *want = calloc(g->n ? g->n : 1, 1);
    int rc = 0;
    if (!ccfg || !want) {
        rc = db_error_nomem(err);
        goto out;
    }
    *ccfg = *c->cfg;
    x->copy_url(ccfg->url, sizeof ccfg->url, path);
    if ((rc = c->driver->backup(c, path, err)) ||
        (rc = db_connect(&copy, ccfg, err)) ||
        (rc = db_migrate_state_read(&st, copy, g, err)) ||
        (rc = db_migrate_check(g, &st, err)))
        goto out;
    size_t np;
    if ((rc = pending(want, &np, g, &st, err)))
        goto out;
    struct db_migrate_opts o = {.progress = on_step, .ctx = sc};
    if (np == 0) {
        if ((rc = db_migrate_downgrade(copy, g, "-1", &o, NULL, err)) == 0)
            rc = db_migrate_upgrade(copy, g, "heads", &o, NULL, err);
        goto out;
    }
    for (size_t i = 0; i < g->n && rc == 0; i++) {
        if (!want[i])
            continue;
        const char *id = g->revs[i].id;
        if ((rc = db_migrate_upgrade(copy, g, id, &o, NULL, err)) == 0 &&
            (rc = db_migrate_downgrade(copy, g, "-1", &o, NULL, err)) == 0)
            rc = db_migrate_upgrade(copy, g, id, &o, NULL, err);
    }
out:
    db_disconnect(copy);
    db_migrate_state_free(&st);
    free(want);
    free(ccfg);
    unlink(path);
    for (const char *const *sfx = x->copy_suffixes; sfx && *sfx; sfx++) {
        char f[1200];
        snprintf(f, sizeof f, "%s%s", path, *sfx);
        unlink(f);
    }
    rmdir(dir);
    return rc;
}

/* ---- in a transaction rolled back: what each statement locked -------- */

/* One relation of the dialect's rehearsal_locks_sql. */
struct rel_row {
    char oid[24];
    char name[128];
    char kind[24];
    char filenode[24];
    char modes[200];
};

struct rel_list {
    struct rel_row *v;
    size_t n, cap;
    bool oom;
};

/* The rows counted so far, by oid: a table's count before later
 * statements of the rehearsal changed it. */
struct count {
    char oid[24];
    long rows;
};

struct observer {
    struct db_conn *c;
    const char *sql;            /* rehearsal_locks_sql */
    struct rel_list before;     /* when the revision started */
    struct rel_list prev;       /* after the previous statement */
    struct count *counts;
    size_t ncounts, capcounts;
};

static int collect_rel(void *ctx, int ncols, const char *const *vals,
                       const char *const *names)
{
    (void)names;
    struct rel_list *l = ctx;
    if (ncols < 5)
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 32;
        struct rel_row *v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            l->oom = true;
            return 1;
        }
        l->v = v;
        l->cap = cap;
    }
    struct rel_row *r = &l->v[l->n++];
    snprintf(r->oid, sizeof r->oid, "%s", vals[0] ? vals[0] : "");
    snprintf(r->name, sizeof r->name, "%s", vals[1] ? vals[1] : "");
    snprintf(r->kind, sizeof r->kind, "%s", vals[2] ? vals[2] : "");
    snprintf(r->filenode, sizeof r->filenode, "%s", vals[3] ? vals[3] : "");
    snprintf(r->modes, sizeof r->modes, "%s", vals[4] ? vals[4] : "");
    return 0;
}

static int read_rels(struct observer *ob, struct rel_list *out,
                     struct db_error *err)
{
    out->n = 0;
    out->oom = false;
    const char *p[] = {db_conn_schema(ob->c)};
    int rc = db_query(ob->c, ob->sql, 1, p, collect_rel, out, NULL, err);
    if (out->oom)
        return db_error_nomem(err);
    return rc;
}

static const struct rel_row *find_rel(const struct rel_list *l,
                                      const char *oid)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].oid, oid) == 0)
            return &l->v[i];
    return NULL;
}

/* Whether mode is one of the ','-joined modes. */
static bool has_mode(const char *modes, const char *mode, size_t len)
{
    for (const char *p = modes; p && *p;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == len && strncmp(p, mode, len) == 0)
            return true;
        p = e ? e + 1 : NULL;
    }
    return false;
}

/* The modes of now that were not held before, ", "-joined into out. */
static void new_modes(char *out, size_t n, const char *now, const char *was)
{
    size_t used = 0;
    out[0] = '\0';
    for (const char *p = now; p && *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (!has_mode(was, p, len) && used < n)
            used += (size_t)snprintf(out + used, n - used, "%s%.*s",
                                     used ? ", " : "", (int)len, p);
        p = e ? e + 1 : NULL;
    }
}

/* The rows of table oid name: counted once, the first time it is asked. */
static int table_rows(struct observer *ob, const char *oid, const char *name,
                      long *rows, struct db_error *err)
{
    for (size_t i = 0; i < ob->ncounts; i++)
        if (strcmp(ob->counts[i].oid, oid) == 0) {
            *rows = ob->counts[i].rows;
            return 0;
        }
    char q[300], sql[340], v[32];
    if (db_qualify(q, sizeof q, ob->c, name))
        return db_error_set(err, DB_EUSAGE, "table name too long: %s", name);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", q);
    int rc = db_query_value(ob->c, sql, 0, NULL, v, sizeof v, err);
    if (rc)
        return rc;
    *rows = strtol(v, NULL, 10);
    if (ob->ncounts == ob->capcounts) {
        size_t cap = ob->capcounts ? 2 * ob->capcounts : 8;
        struct count *c = realloc(ob->counts, cap * sizeof *c);
        if (!c)
            return db_error_nomem(err);
        ob->counts = c;
        ob->capcounts = cap;
    }
    snprintf(ob->counts[ob->ncounts].oid, sizeof ob->counts->oid, "%s", oid);
    ob->counts[ob->ncounts++].rows = *rows;
    return 0;
}

/* After a statement: what it did to the relations that existed before the
 * revision, into *rels (malloc'd, *n of them). */
static int observe(struct observer *ob, struct db_rehearsal_rel **rels,
                   size_t *n, struct db_error *err)
{
    struct rel_list now = {0};
    int rc = read_rels(ob, &now, err);
    *rels = NULL;
    *n = 0;
    size_t cap = now.n + ob->prev.n;
    struct db_rehearsal_rel *v = rc == 0 ? calloc(cap ? cap : 1, sizeof *v)
                                         : NULL;
    if (rc == 0 && !v)
        rc = db_error_nomem(err);
    bool counted = false;
    for (size_t i = 0; rc == 0 && i < now.n; i++) {
        const struct rel_row *r = &now.v[i];
        const struct rel_row *was = find_rel(&ob->prev, r->oid);
        if (!find_rel(&ob->before, r->oid) || !was)
            continue;
        struct db_rehearsal_rel x = {.rows = -1};
        snprintf(x.name, sizeof x.name, "%s", r->name);
        snprintf(x.kind, sizeof x.kind, "%s", r->kind);
        new_modes(x.modes, sizeof x.modes, r->modes, was->modes);
        x.rewritten = strcmp(r->filenode, was->filenode) != 0;
        if (!x.modes[0] && !x.rewritten)
            continue;
        if (strcmp(r->kind, "table") == 0 &&
            (x.rewritten || has_mode(x.modes, "AccessExclusiveLock", 19))) {
            rc = table_rows(ob, r->oid, r->name, &x.rows, err);
            counted = true;
        }
        v[(*n)++] = x;
    }
    /* relations gone: dropped (under ACCESS EXCLUSIVE) */
    for (size_t i = 0; rc == 0 && i < ob->prev.n; i++) {
        const struct rel_row *r = &ob->prev.v[i];
        if (!find_rel(&ob->before, r->oid) || find_rel(&now, r->oid))
            continue;
        struct db_rehearsal_rel x = {.rows = -1, .dropped = true};
        snprintf(x.name, sizeof x.name, "%s", r->name);
        snprintf(x.kind, sizeof x.kind, "%s", r->kind);
        if (!has_mode(r->modes, "AccessExclusiveLock", 19))
            snprintf(x.modes, sizeof x.modes, "AccessExclusiveLock");
        /* one of the same name and kind in its place: rebuilt (an index
         * of a table whose column changed type) */
        for (size_t k = 0; k < now.n && x.dropped; k++)
            if (strcmp(now.v[k].name, r->name) == 0 &&
                strcmp(now.v[k].kind, r->kind) == 0 &&
                !find_rel(&ob->prev, now.v[k].oid))
                x.dropped = false, x.rewritten = true;
        for (size_t k = 0; k < ob->ncounts; k++)
            if (strcmp(ob->counts[k].oid, r->oid) == 0)
                x.rows = ob->counts[k].rows;
        v[(*n)++] = x;
    }
    /* counting locked the tables too: the next statement starts from
     * what is held now */
    if (rc == 0 && counted)
        rc = read_rels(ob, &now, err);
    if (rc == 0) {
        free(ob->prev.v);
        ob->prev = now;
        *rels = v;
        return 0;
    }
    free(now.v);
    free(v);
    *n = 0;
    return rc;
}

/* Running one revision's blocks statement by statement. */
struct runner {
    struct db_conn *c;
    const struct db_revision *r;
    bool no_tx_block;                 /* the block is transaction=false */
    db_sql_in_transaction_fn in_tx;   /* its statements' transactional form */
    struct observer *ob;              /* NULL: not observed */
    struct step_ctx *sc;
    struct db_error *err;
};

static int run_statement(void *ctx, const char *stmt, size_t len, int line)
{
    struct runner *x = ctx;
    char *sql = malloc(len + 1), *alt = NULL, live[200] = "";
    if (!sql)
        return db_error_nomem(x->err);
    memcpy(sql, stmt, len);
    sql[len] = '\0';
    int rc = 0;
    if (x->no_tx_block && x->in_tx &&
        x->in_tx(sql, &alt, live, sizeof live) < 0)
        rc = db_error_nomem(x->err);
    if (rc == 0 && (rc = db_exec(x->c, alt ? alt : sql, x->err))) {
        db_sql_statement_failed(x->err, x->r->path, line, stmt, len);
        if (alt)
            db_error_hint(x->err, "rehearsed in a transaction as '%.300s'",
                          alt);
    }
    struct db_rehearsal_rel *rels = NULL;
    size_t nrels = 0;
    if (rc == 0 && x->ob && (rc = observe(x->ob, &rels, &nrels, x->err)))
        db_error_prefix(x->err, "observing the locks of %s line %d",
                        x->r->path, line);
    if (rc == 0 && x->ob && x->sc->stmt) {
        struct db_rehearsal_stmt s = {x->r, line, stmt, len, alt,
                                      alt ? live : "", rels, nrels};
        x->sc->stmt(x->sc->ctx, &s);
    }
    free(rels);
    free(alt);
    free(sql);
    return rc;
}

static int run_blocks(struct runner *x, enum db_direction dir)
{
    struct db_conn *c = x->c;
    const struct db_revision *r = x->r;
    int rc = 0;
    if ((rc = db_reset_session(c, x->err)))
        return rc;
    for (size_t b = 0; b < r->nblocks && rc == 0; b++) {
        const struct db_revision_block *blk = &r->blocks[b];
        if (blk->direction != dir ||
            (blk->dialect && blk->dialect != (int)c->driver->dialect))
            continue;
        x->no_tx_block = !blk->transaction;
        rc = db_sql_split(blk->sql, c->driver->dialect, blk->line,
                          run_statement, x, x->err);
        if (rc == DB_EPARSE && !x->err->file[0])
            snprintf(x->err->file, sizeof x->err->file, "%s", r->path);
    }
    return rc;
}

/* One step of x's revision; observed when ob is not NULL, reported as a
 * step when step is true. */
static int run_timed(struct runner *x, enum db_direction dir,
                     struct observer *ob, bool step)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = 0;
    x->ob = ob;
    if (ob)
        rc = read_rels(ob, &ob->before, x->err);
    if (ob && rc == 0)
        rc = read_rels(ob, &ob->prev, x->err);
    if (rc == 0)
        rc = db_revision_check(x->r, dir, x->c->driver->dialect, x->err);
    if (rc == 0)
        rc = run_blocks(x, dir);
    x->ob = NULL;
    if (rc == 0 && step)
        on_step(x->sc, x->r, dir, since_ms(&t0));
    else if (rc)
        db_error_prefix(x->err, "%s %s",
                        dir == DB_UPGRADE ? "upgrade" : "downgrade",
                        x->r->id);
    return rc;
}

/* Refuses what cannot be rehearsed in the transaction; finds the
 * transactional form of transaction=false sections when some need it. */
static int tx_preflight(struct db_conn *c, const struct db_graph *g,
                        const unsigned char *want,
                        db_sql_in_transaction_fn *in_tx, struct db_error *err)
{
    const struct db_dialect_ops *x = db_dialect_get(c->driver->dialect);
    enum db_dialect d = c->driver->dialect;
    *in_tx = NULL;
    for (size_t i = 0; i < g->n; i++) {
        const struct db_revision *r = &g->revs[i];
        if (!want[i])
            continue;
        if (!r->has_downgrade) {
            db_error_set(err, DB_EREFUSED, "revision %s cannot be "
                                           "rehearsed: it has no "
                                           "'-- +downgrade' section", r->id);
            db_error_at(err, r->path, 0);
            db_error_hint(err, "add a downgrade section");
            return DB_EREFUSED;
        }
        if (!db_revision_needs_no_tx(r, DB_UPGRADE, d) &&
            !db_revision_needs_no_tx(r, DB_DOWNGRADE, d))
            continue;
        if (!x->parser_module || !x->in_transaction_symbol) {
            db_error_set(err, DB_EREFUSED,
                         "revision %s has a transaction=false block, which "
                         "cannot be rehearsed inside the transaction that is "
                         "rolled back", r->id);
            db_error_at(err, r->path, 0);
            db_error_hint(err, "rehearse on a scratch database: restore a "
                               "backup into a new database and run '{db} "
                               "upgrade --rehearse' with DATABASE_URL "
                               "pointing there");
            return DB_EREFUSED;
        }
        if (!*in_tx) {
            void *sym;
            int rc = db_module_symbol(&sym, x->parser_module,
                                      x->in_transaction_symbol, err);
            if (rc) {
                db_error_prefix(err, "revision %s has a transaction=false "
                                     "block, rehearsed in its transactional "
                                     "form by the parser", r->id);
                return rc;
            }
            *in_tx = (db_sql_in_transaction_fn)sym;
        }
    }
    return 0;
}

/*
 * The pending upgrades once, observed, in a transaction of their own that
 * is rolled back: the up, down and up again that follow would otherwise
 * hold every lock already (a transaction keeps its locks to the end). A
 * lock that an earlier revision of the same rehearsal took is not new to
 * a later one. With nothing pending (again_only), the head is downgraded
 * first, not observed.
 */
static int observe_pass(struct db_conn *c, const struct db_graph *g,
                        const unsigned char *want, bool again_only,
                        db_sql_in_transaction_fn in_tx, struct step_ctx *sc,
                        struct observer *ob, struct db_error *err)
{
    struct db_error ignored;
    int rc = db_begin(c, err);
    for (size_t i = 0; i < g->n && rc == 0; i++) {
        if (!want[i])
            continue;
        struct runner x = {c, &g->revs[i], false, in_tx, NULL, sc, err};
        if (again_only)
            rc = run_timed(&x, DB_DOWNGRADE, NULL, false);
        if (rc == 0)
            rc = run_timed(&x, DB_UPGRADE, ob, false);
    }
    if (rc == 0)
        return db_rollback(c, err);
    db_rollback(c, &ignored);
    return rc;
}

/* One transaction on the live database, always rolled back (PostgreSQL's
 * DDL is transactional). */
static int rehearse_tx(struct db_conn *c, const struct db_graph *g,
                       struct step_ctx *sc, struct db_error *err)
{
    const struct db_dialect_ops *dx = db_dialect_get(c->driver->dialect);
    struct db_error ignored;
    struct db_migrate_state st = {0};
    unsigned char *want = calloc(g->n ? g->n : 1, 1);
    size_t *cur = calloc(g->n ? g->n : 1, sizeof *cur);
    struct observer obs = {c, dx->rehearsal_locks_sql, {0}, {0}, NULL, 0, 0};
    struct observer *ob = obs.sql ? &obs : NULL;
    int rc = 0, locked = 0;
    if (!want || !cur) {
        rc = db_error_nomem(err);
        goto out;
    }
    if ((rc = db_lock(c, err)))
        goto out;
    locked = 1;
    size_t np = 0;
    if ((rc = db_migrate_state_read(&st, c, g, err)) ||
        (rc = db_migrate_check(g, &st, err)) ||
        (rc = pending(want, &np, g, &st, err)))
        goto out;
    bool again_only = np == 0;
    if (again_only) {
        /* nothing pending: the current head, down and up again */
        size_t nc = db_graph_current(cur, g, st.applied);
        if (nc == 0) {
            rc = db_error_set(err, DB_ENOTFOUND, "nothing to rehearse: no "
                                                 "revision is pending or "
                                                 "applied");
            goto out;
        }
        want[cur[nc - 1]] = 1;
    }
    db_sql_in_transaction_fn in_tx = NULL;
    if ((rc = tx_preflight(c, g, want, &in_tx, err)))
        goto out;
    if (ob && sc->stmt &&
        (rc = observe_pass(c, g, want, again_only, in_tx, sc, ob, err)))
        goto out;
    if ((rc = db_begin(c, err)))
        goto out;
    for (size_t i = 0; i < g->n && rc == 0; i++) {
        if (!want[i])
            continue;
        struct runner x = {c, &g->revs[i], false, in_tx, NULL, sc, err};
        if (!again_only)
            rc = run_timed(&x, DB_UPGRADE, NULL, true);
        if (rc == 0)
            rc = run_timed(&x, DB_DOWNGRADE, NULL, true);
        if (rc == 0)
            rc = run_timed(&x, DB_UPGRADE, NULL, true);
    }
    /* whatever happened: nothing of the rehearsal stays */
    if (rc == 0)
        rc = db_rollback(c, err);
    else
        db_rollback(c, &ignored);
out:
    if (locked)
        rc = db_unlock_after(c, rc, err);
    db_migrate_state_free(&st);
    free(obs.before.v);
    free(obs.prev.v);
    free(obs.counts);
    free(want);
    free(cur);
    return rc;
}

int db_rehearse(struct db_conn *c, const struct db_graph *g,
                const struct db_rehearse_opts *o, size_t *nsteps,
                struct db_error *err)
{
    size_t count = 0;
    if (nsteps)
        *nsteps = 0;
    if (g->n == 0) {
        db_error_set(err, DB_ENOTFOUND, "%s has no revisions to rehearse",
                     g->dir);
        db_error_hint(err, "write the baseline first: '{db} baseline -m "
                           "baseline'");
        return DB_ENOTFOUND;
    }
    struct step_ctx sc = {o ? o->step : NULL, o ? o->stmt : NULL,
                          o ? o->ctx : NULL, &count};
    int rc = db_dialect_get(c->driver->dialect)->copy_url
                 ? rehearse_copy(c, g, &sc, err)
                 : rehearse_tx(c, g, &sc, err);
    if (nsteps)
        *nsteps = count;
    if (rc) {
        db_error_prefix(err, "rehearsal failed (the live database was not "
                             "changed)");
        return rc;
    }
    char heads[1024];
    db_flip_heads_text(heads, sizeof heads, g);
    return db_meta_set(c, DB_FLIP_REHEARSAL_KEY, heads, err);
}

int db_flip_rehearse(struct db_conn *c, const struct db_graph *g,
                     db_flip_step_fn fn, void *ctx, size_t *nsteps,
                     struct db_error *err)
{
    struct db_rehearse_opts o = {fn, NULL, ctx};
    return db_rehearse(c, g, &o, nsteps, err);
}
