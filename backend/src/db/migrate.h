/*
 * migrate.h - plan and apply revisions: upgrade, downgrade, stamp, offline
 * SQL, and the version tables that record where a database is.
 *
 * Version tables (all named app_version*, which reflection ignores):
 *   app_version          the current head(s), one row each
 *   app_version_history  one row per revision applied (up), undone (down)
 *                        or stamped: when, how long, checksum of the file
 *   app_version_dirty    a row while a transaction=false block has failed:
 *                        every command but stamp refuses until it is gone
 *
 * Each revision runs in its own transaction with its version-row updates,
 * so a failure leaves the database at the previous revision. Inside that
 * transaction (SQLite: BEGIN IMMEDIATE, the write lock) the current heads
 * are read again and the next step chosen from them, so processes running
 * upgrade together apply each revision once. The whole command also holds
 * the driver's migration lock where there is one (PostgreSQL).
 *
 * A revision with a transaction=false block for the dialect runs all its
 * statements one by one outside a transaction: the dirty row is written
 * first and removed with the version update when the last one succeeds.
 */
#ifndef DB_MIGRATE_H
#define DB_MIGRATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "driver.h"
#include "error.h"
#include "graph.h"

#define DB_MIGRATE_TABLE "app_version"
#define DB_MIGRATE_HISTORY_TABLE "app_version_history"
#define DB_MIGRATE_DIRTY_TABLE "app_version_dirty"
#define DB_MIGRATE_TEMPLATE "script.sql.in"

/* One row of app_version_history. */
struct db_history_row {
    long seq;
    char revision[DB_REVISION_ID_MAX];
    char operation[8];        /* "up", "down", "stamp" */
    char applied_at[40];      /* UTC, "2026-11-21 20:15:00.123" */
    long duration_ms;
    char checksum[65];
};

/* Where a database is, read against a graph. */
struct db_migrate_state {
    bool tables;              /* the version tables exist */
    size_t *heads;            /* current heads (indexes into the graph) */
    size_t nheads;
    char unknown[DB_REVISION_ID_MAX]; /* a head row with no file, or "" */
    unsigned char *applied;   /* g->n marks */
    struct db_history_row *history;   /* oldest first */
    size_t nhistory, history_cap;
    long *last;               /* g->n: index in history of each revision's
                                 last row, or -1 */
    bool dirty;               /* app_version_dirty has a row */
    char dirty_revision[DB_REVISION_ID_MAX];
    char dirty_operation[8];
    char dirty_detail[1024];
    bool verified;            /* history not read: the record of its last
                                 verification still holds (below) */
};

/* Reads the version tables (absent: nothing applied). Returns 0 or a
 * database error. Free with db_migrate_state_free. */
int db_migrate_state_read(struct db_migrate_state *out, struct db_conn *c,
                          const struct db_graph *g, struct db_error *err);

/*
 * The same, without reading the history when the database's record of
 * its last verification still holds: app_version_meta's
 * DB_MIGRATE_VERIFIED_KEY holds a 64-bit hash of the applied revisions'
 * ids and checksums and of the version rows' mark (each head row's
 * version where the dialect has row versions, else the history's largest
 * seq), written when every applied revision's last history row had its
 * file's checksum. When the heads, the files and the mark hash the same
 * (nothing was recorded since), the history would pass db_migrate_check
 * again: out->verified is set, out->history is empty, and
 * db_migrate_check skips the checksums. Otherwise it is
 * db_migrate_state_read. One query on a database at head.
 */
#define DB_MIGRATE_VERIFIED_KEY "verified_history"
int db_migrate_state_read_quick(struct db_migrate_state *out,
                                struct db_conn *c, const struct db_graph *g,
                                struct db_error *err);

/*
 * Records, in c's open transaction or its own, that the history as it is
 * now matches the applied revisions (applied, g->n marks) and their
 * files: call only after db_migrate_check passed and with the migration
 * lock held.
 */
int db_migrate_record_verified(struct db_conn *c, const struct db_graph *g,
                               const unsigned char *applied,
                               struct db_error *err);

/* NULL-safe; leaves it zeroed. */
void db_migrate_state_free(struct db_migrate_state *st);

/*
 * Refuses a state that commands cannot build on: the dirty marker
 * (DB_EDIRTY, saying how to repair and re-stamp), a head with no revision
 * file (DB_EGRAPH), an applied file edited since (DB_EREFUSED naming the
 * file and both checksums).
 */
int db_migrate_check(const struct db_graph *g,
                     const struct db_migrate_state *st, struct db_error *err);

/* The history row that applied or stamped revision i, or NULL. */
const struct db_history_row *db_migrate_applied_row(
    const struct db_migrate_state *st, const struct db_graph *g, size_t i);

/* Called after each revision is applied or undone. */
typedef void (*db_migrate_progress_fn)(void *ctx, const struct db_revision *r,
                                       enum db_direction dir, long ms);

struct db_migrate_opts {
    db_migrate_progress_fn progress;   /* may be NULL */
    void *ctx;
    /* Called once, under the lock, when there is something to change and
     * before anything is: where a backup is taken. Non-zero stops the
     * command with nothing changed. May be NULL. */
    int (*before_change)(void *ctx, struct db_conn *c, struct db_error *err);
    void *change_ctx;
};

/*
 * Upgrades to target (see db_graph_upgrade_target) under the lock.
 * *ndone (may be NULL) counts revisions this call applied. On failure the
 * failing revision is rolled back, earlier ones stay, and err names the
 * file, the line and the statement, with the database's message.
 */
int db_migrate_upgrade(struct db_conn *c, const struct db_graph *g,
                       const char *target, const struct db_migrate_opts *o,
                       size_t *ndone, struct db_error *err);

/* Downgrades to target (see db_graph_downgrade_target), as upgrade. A
 * revision without a downgrade section is DB_EREFUSED before anything
 * runs. */
int db_migrate_downgrade(struct db_conn *c, const struct db_graph *g,
                         const char *target, const struct db_migrate_opts *o,
                         size_t *ndone, struct db_error *err);

/* The revisions a downgrade would undo, in order, into plan (g->n). */
int db_migrate_plan_downgrade(size_t *plan, size_t *n, const struct db_graph *g,
                              const struct db_migrate_state *st,
                              const char *target, struct db_error *err);

/*
 * Records target ("head", "heads", "base", an id or prefix) as the current
 * head without running any SQL, and clears the dirty marker. One
 * transaction under the lock.
 */
int db_migrate_stamp(struct db_conn *c, const struct db_graph *g,
                     const char *target, struct db_error *err);

/*
 * Offline: appends to out the SQL an upgrade (dir 1) or downgrade (-1)
 * would run for dialect d, version-table statements included, without a
 * database; the version tables are named with their schema (schema on
 * PostgreSQL, "main" on SQLite). range is "TARGET" (from base for
 * upgrade) or "FROM:TARGET"; a downgrade needs FROM. Returns 0 or an
 * error.
 */
int db_migrate_sql(struct db_buf *out, const struct db_graph *g,
                   enum db_dialect d, const char *schema,
                   enum db_direction dir, const char *range,
                   struct db_error *err);

/* <cfg->migrations_dir>/versions into out. */
void db_migrate_versions_dir(char *out, size_t n, const struct db_config *cfg);

/* db_graph_load of cfg's versions directory. */
int db_migrate_load(struct db_graph **out, const struct db_config *cfg,
                    struct db_error *err);

/* A load of cfg's versions directory running on a thread of its own, so
 * that connecting (SQLite reads its schema then) goes on meanwhile. It is
 * db_graph_load_headers: blocks of recorded files stay pending until
 * db_graph_complete (db_migrate_upgrade and db_migrate_downgrade complete
 * the graph themselves once they find work to do). */
struct db_migrate_loading {
    const struct db_config *cfg;   /* borrowed until finish */
    struct db_graph *g;
    struct db_error err;
    int rc;
    bool threaded;
    bool placed;                   /* started on another CPU than the caller's */
    pthread_t thread;
};

/* Starts loading beside the caller, in a thread of its own; loads at once
 * instead when the versions directory is small (the thread would cost
 * more than it saves) or no thread can be started. */
void db_migrate_load_start(struct db_migrate_loading *l,
                           const struct db_config *cfg);

/* Waits for the load started on l; its graph (headers: see above) or
 * error. Call it exactly once after every start. */
int db_migrate_load_finish(struct db_graph **out,
                           struct db_migrate_loading *l,
                           struct db_error *err);

/*
 * Writes a new revision file into cfg's versions directory from
 * <migrations_dir>/script.sql.in (or a built-in template), which may use
 * ${revision}, ${down_revision}, ${message}, ${created}, ${upgrade} and
 * ${downgrade}. id NULL: the next sequential id. nparents 0: the first
 * revision (no down_revision line). up/down: the sections' SQL, or NULL.
 * The path goes to out_path. Returns 0, DB_EUSAGE (no message, bad or
 * taken id) or DB_EIO.
 */
int db_migrate_new_revision(char *out_path, size_t n,
                            const struct db_config *cfg,
                            const struct db_graph *g, const char *id,
                            const char *message, const char *const *parents,
                            size_t nparents, const char *up, const char *down,
                            struct db_error *err);

/*
 * What run_migrations() does in the production phase: under the lock,
 * upgrade to the single head. A database with tables but no version table
 * is refused (DB_EREFUSED) with the stamping steps; an empty versions
 * directory is DB_ENOTFOUND with the baseline steps.
 */
int db_migrate_run(struct db_conn *c, struct db_error *err);

#endif /* DB_MIGRATE_H */
