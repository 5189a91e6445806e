/*
 * migrate_run.c - running one revision's statements, block by block.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate_internal.h"
#include "revision.h"

struct run_ctx {
    struct db_conn *c;
    const struct db_revision *r;
    struct db_error *err;
    int nrun;
    bool mark;   /* outside a transaction: the dirty marker says, before
                    each statement, which one runs (a kill -9 leaves it) */
};

/* The dirty marker's detail before a statement outside a transaction. */
static int mark_progress(struct run_ctx *x, const char *stmt, size_t len,
                         int line)
{
    char excerpt[128], detail[1400];
    db_sql_excerpt(excerpt, sizeof excerpt, stmt, len);
    snprintf(detail, sizeof detail, "it was interrupted at %s:%d (%s), "
             "after %d statement%s had finished; that statement may have "
             "left part of its work (an index built CONCURRENTLY stays, "
             "INVALID)", x->r->path, line, excerpt, x->nrun,
             x->nrun == 1 ? "" : "s");
    const char *p[] = {detail};
    return db_migrate__vquery(x->c, "UPDATE " DT " SET \"detail\" = $1", 1,
                              p, NULL, NULL, NULL, x->err);
}

static int run_statement(void *ctx, const char *stmt, size_t len, int line)
{
    struct run_ctx *x = ctx;
    if (x->mark) {
        int rc = mark_progress(x, stmt, len, line);
        if (rc)
            return rc;
    }
    char *sql = malloc(len + 1);
    if (!sql)
        return db_error_nomem(x->err);
    memcpy(sql, stmt, len);
    sql[len] = '\0';
    int rc = db_exec(x->c, sql, x->err);
    if (rc)
        db_sql_statement_failed(x->err, x->r->path, line, stmt, len);
    free(sql);
    if (rc == 0)
        x->nrun++;
    return rc;
}

/* The dirty marker's detail around a section that runs in a transaction
 * inside a revision that does not: before it (a kill rolls it back) and,
 * inside its transaction, once it is done. */
static int mark_section(struct run_ctx *x, const struct db_revision_block *b,
                        bool done)
{
    char detail[1400];
    snprintf(detail, sizeof detail, "it was interrupted %s the section at "
             "%s:%d, which runs in a transaction%s, after %d statement%s "
             "had finished", done ? "after" : "in", x->r->path, b->line,
             done ? " and committed" : " and was rolled back", x->nrun,
             x->nrun == 1 ? "" : "s");
    const char *p[] = {detail};
    return db_migrate__vquery(x->c, "UPDATE " DT " SET \"detail\" = $1", 1,
                              p, NULL, NULL, NULL, x->err);
}

/* A section without transaction=false, in a revision that has one: in a
 * transaction of its own. */
static int count_statement(void *ctx, const char *stmt, size_t len,
                           int line)
{
    (void)stmt, (void)len, (void)line;
    ++*(int *)ctx;
    return 0;
}

static int run_section_tx(struct run_ctx *x,
                          const struct db_revision_block *b)
{
    struct db_error ignored;
    int before = x->nrun, n = 0;
    int rc = db_sql_split(b->sql, x->c->driver->dialect, b->line,
                          count_statement, &n, x->err);
    if (rc || n == 0)
        return rc;   /* nothing to run: no transaction */
    rc = mark_section(x, b, false);
    if (rc || (rc = db_begin(x->c, x->err)))
        return rc;
    x->mark = false;
    rc = db_sql_split(b->sql, x->c->driver->dialect, b->line, run_statement,
                      x, x->err);
    x->mark = true;
    if (rc == 0)
        rc = mark_section(x, b, true);
    if (rc == 0)
        rc = db_commit(x->c, x->err);
    if (rc) {
        db_rollback(x->c, &ignored);
        x->nrun = before;
    }
    return rc;
}

int db_migrate__run_blocks(struct db_conn *c, const struct db_revision *r,
                           enum db_direction dir, int *nrun, bool *clean,
                           struct db_error *err)
{
    struct run_ctx x = {c, r, err, 0, nrun != NULL};
    int rc = 0;
    if (nrun)
        *nrun = 0;
    if (clean)
        *clean = false;
    bool committed = false;   /* outside a transaction: something has */
    for (size_t b = 0; b < r->nblocks && rc == 0; b++) {
        const struct db_revision_block *blk = &r->blocks[b];
        if (blk->direction != dir ||
            (blk->dialect && blk->dialect != (int)c->driver->dialect))
            continue;
        if (nrun && blk->transaction) {
            rc = run_section_tx(&x, blk);
            if (rc && clean)
                *clean = !committed;
        } else {
            rc = db_sql_split(blk->sql, c->driver->dialect, blk->line,
                              run_statement, &x, err);
        }
        committed = committed || x.nrun > 0;
        if (rc == DB_EPARSE && err && !err->file[0])
            snprintf(err->file, sizeof err->file, "%s", r->path);
    }
    if (nrun)
        *nrun = x.nrun;
    return rc;
}

