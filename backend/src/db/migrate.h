/*
 * migrate.h - plan and apply revisions: upgrade, downgrade, stamp, and the
 * version table that records what a database has applied.
 *
 * The version table holds one row per applied revision (not only the
 * heads), with the checksum of the SQL that ran and when. The current
 * revisions of a database are the applied ones none of whose children are
 * applied.
 *
 * Each revision and its version row commit together, in one transaction
 * (sections marked transaction:false run statement by statement; their
 * version row is written after the last one). The whole upgrade or
 * downgrade holds the driver's migration lock when it has one; on SQLite
 * the write lock of each revision's transaction serialises instances, and
 * a revision another instance applied meanwhile is skipped.
 */
#ifndef DB_MIGRATE_H
#define DB_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "driver.h"
#include "error.h"
#include "revision.h"

#define DB_MIGRATE_VERSION_TABLE "schema_version"

/* One row of the version table. */
struct db_applied {
    char id[DB_REVISION_ID_MAX];
    char checksum[65];
    char applied_at[40];
};

/* What a database has applied, set against a graph. */
struct db_migrate_status {
    bool table_exists;          /* the version table is there */
    unsigned char *applied;     /* g->n marks: 1 when applied */
    struct db_applied *rows;    /* every row, oldest first */
    size_t nrows;
    size_t nunknown;            /* rows whose revision is not in the graph */
    size_t nedited;             /* applied revisions whose file changed */
};

/* Called after each revision is applied (direction 1) or undone (-1). */
typedef void (*db_migrate_progress_fn)(void *ctx, const struct db_revision *r,
                                       int direction);

struct db_migrate_opts {
    db_migrate_progress_fn progress;   /* may be NULL */
    void *ctx;
    struct db_buf *sql;   /* non-NULL: change nothing, append the SQL here */
};

/* Reads the version table (absent: nothing applied). Free with
 * db_migrate_status_free. Returns 0 or a database error. */
int db_migrate_status(struct db_migrate_status *out, struct db_conn *c,
                      const struct db_revision_graph *g,
                      struct db_error *err);

/* NULL-safe; leaves it zeroed. */
void db_migrate_status_free(struct db_migrate_status *st);

/*
 * The current revisions: applied, with no applied child, in graph order.
 * out must hold g->n entries. Returns the count (0: at base).
 */
size_t db_migrate_current(size_t *out, const struct db_revision_graph *g,
                          const struct db_migrate_status *st);

/*
 * Refuses a state upgrade cannot build on: a row for a revision that is not
 * in the graph (DB_EGRAPH) or an applied revision whose up SQL changed
 * since (DB_EDIRTY). Returns 0 or that code, naming the first one.
 */
int db_migrate_verify(const struct db_revision_graph *g,
                      const struct db_migrate_status *st,
                      struct db_error *err);

/*
 * The revisions an upgrade to target would apply, in order, into plan
 * (g->n entries); *n their count. target: "head" (the single head; several
 * heads is DB_EGRAPH with the merge hint), "heads", a revision id or unique
 * prefix, or "+N" (the next N). Returns 0, DB_ENOTFOUND, DB_EUSAGE or
 * DB_EGRAPH.
 */
int db_migrate_plan_upgrade(size_t *plan, size_t *n,
                            const struct db_revision_graph *g,
                            const struct db_migrate_status *st,
                            const char *target, struct db_error *err);

/*
 * The revisions a downgrade to target would undo, in order. target: "base"
 * (all), an applied revision id or prefix (undo its applied descendants),
 * or "-N" (the last N). Every one must have a down section (DB_EREFUSED
 * otherwise, naming it).
 */
int db_migrate_plan_downgrade(size_t *plan, size_t *n,
                              const struct db_revision_graph *g,
                              const struct db_migrate_status *st,
                              const char *target, struct db_error *err);

/*
 * Upgrades to target under the migration lock; *napplied (may be NULL)
 * counts the revisions applied by this call. On failure the failing
 * revision is rolled back, the ones before it stay applied, and err names
 * the file and line of the statement. Returns 0 or an error.
 */
int db_migrate_upgrade(struct db_conn *c, const struct db_revision_graph *g,
                       const char *target, const struct db_migrate_opts *o,
                       size_t *napplied, struct db_error *err);

/* Downgrades to target under the migration lock, as upgrade. */
int db_migrate_downgrade(struct db_conn *c, const struct db_revision_graph *g,
                         const char *target, const struct db_migrate_opts *o,
                         size_t *nundone, struct db_error *err);

/*
 * Records target ("base", "head", "heads", an id or prefix) and all its
 * ancestors as applied, and nothing else, without running any SQL. One
 * transaction. Returns 0 or an error.
 */
int db_migrate_stamp(struct db_conn *c, const struct db_revision_graph *g,
                     const char *target, struct db_error *err);

/* <cfg->migrations_dir>/versions into out. */
void db_migrate_versions_dir(char *out, size_t n, const struct db_config *cfg);

/*
 * What run_migrations() does in the production phase: loads the versions
 * directory and upgrades to the single head. No revisions at all is
 * DB_ENOTFOUND with the steps to write the baseline.
 */
int db_migrate_run(struct db_conn *c, struct db_error *err);

#endif /* DB_MIGRATE_H */
