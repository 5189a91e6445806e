/*
 * rehearse.h - `upgrade --rehearse`: the pending revisions run where the
 * live database keeps nothing of them, and what each statement locked.
 *
 * Where the dialect copies the database (SQLite: the online backup API
 * into a temporary file), the real migration functions run on the copy.
 * Elsewhere (PostgreSQL) everything runs in one transaction on the live
 * database, under the migration lock, always rolled back; inside it the
 * server shows what a statement did:
 *
 *   - the locks it took (the dialect's rehearsal_locks_sql: the session's
 *     granted lock modes per relation), new since the previous statement,
 *     on relations that existed before the revision;
 *   - whether it rewrote a table (its data moved to a new file);
 *   - for a table it took ACCESS EXCLUSIVE on or rewrote, its row count.
 *
 * That is observed on each revision's first upgrade, statement by
 * statement; the downgrade and the upgrade again only check that they run.
 *
 * A transaction=false section cannot run in the rolled-back transaction as
 * it is written: each of its statements runs in its transactional form,
 * from the dialect's parser (PostgreSQL: CREATE INDEX, DROP INDEX and
 * REINDEX with the bytes of their CONCURRENTLY taken out, found by
 * PostgreSQL's parser and scanner). The report says so: the live form
 * takes the lighter lock.
 */
#ifndef DB_REHEARSE_H
#define DB_REHEARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "graph.h"
#include "revision.h"

struct db_conn;

/* A relation that existed before the revision, as a statement left it. */
struct db_rehearsal_rel {
    char name[128];
    char kind[24];       /* "table", "index", "sequence", ... */
    char modes[200];     /* lock modes newly taken, ", "-joined; "" none */
    bool rewritten;      /* its data went to a new file */
    bool dropped;        /* it no longer exists */
    long rows;           /* a table locked ACCESS EXCLUSIVE or rewritten:
                            its rows; -1 otherwise */
};

/* One statement of a revision's first upgrade in the rehearsal. */
struct db_rehearsal_stmt {
    const struct db_revision *r;
    int line;                 /* in r->path */
    const char *sql;          /* as written, len bytes */
    size_t len;
    const char *ran;          /* the transactional form run instead; NULL */
    const char *live;         /* then what the live form does; else "" */
    const struct db_rehearsal_rel *rels;   /* those it touched */
    size_t nrels;
};

typedef void (*db_rehearse_step_fn)(void *ctx, const struct db_revision *r,
                                    enum db_direction dir, long ms);
typedef void (*db_rehearse_stmt_fn)(void *ctx,
                                    const struct db_rehearsal_stmt *s);

struct db_rehearse_opts {
    db_rehearse_step_fn step;   /* after each step; may be NULL */
    db_rehearse_stmt_fn stmt;   /* after each observed statement (only
                                   where the dialect observes); may be NULL */
    void *ctx;
};

/*
 * Rehearses the pending revisions: each one upgraded, downgraded and
 * upgraded again (with nothing pending, the current head downgraded and
 * upgraded). On success the only change to the live database:
 * app_version_meta's rehearsal_ok = the heads of g ("0002"; several joined
 * with ','). *nsteps (may be NULL) counts steps. Returns 0, DB_ENOTFOUND
 * (no revisions, or the parser module a transaction=false section needs),
 * DB_EREFUSED (a revision without a downgrade, or a transaction=false
 * section where the dialect has no transactional form), or the error of
 * the step that failed.
 */
int db_rehearse(struct db_conn *c, const struct db_graph *g,
                const struct db_rehearse_opts *o, size_t *nsteps,
                struct db_error *err);

#endif /* DB_REHEARSE_H */
