/*
 * migrate_internal.h - what the files of the migration engine share: the
 * version tables' names, their SQL templates, and the helpers that run
 * them. Private to backend/src/db/migrate*.c.
 *   migrate.c        version tables, stepping through revisions, upgrade,
 *                    downgrade
 *   migrate_stamp.c  stamp, run_migrations
 *   migrate_state.c  reading the state (heads, history, needs-attention)
 *   migrate_sql.c    offline SQL (--sql)
 *   migrate_files.c  loading and writing revision files
 *   migrate_run.c    running one revision's statements
 */
#ifndef DB_MIGRATE_INTERNAL_H
#define DB_MIGRATE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "driver.h"
#include "error.h"
#include "migrate.h"

/* The version tables in the SQL below: @V, @H and @D become their names
 * qualified with the schema they live in ("main" on SQLite, [database]
 * schema on PostgreSQL), so nothing a revision does to its session
 * (search_path, a TEMP table of the same name) can redirect them; @M is
 * app_version_meta, qualified the same way. @K
 * becomes what the dialect writes after a table that is nothing but its
 * primary key (struct db_dialect_ops key_table_sql). @R becomes the
 * dialect's row version of a head row (row_version_sql, else NULL), and
 * @X the history's largest seq as text where there is no row version
 * (else NULL): what the record of a verified history compares. */
#define VT "@V"
#define HT "@H"
#define DT "@D"
#define MT "@M"               /* app_version_meta (meta.h) */

struct db_migrate_vt_names {
    char v[200], h[200], d[200], m[200];
    const char *key_table;    /* "" or the dialect's key_table_sql */
    const char *row_version;  /* NULL or the dialect's row_version_sql */
    bool seq_generated;       /* a history row left without "seq" gets the
                                 next one (integer_pk_is_rowid) */
};

/* CREATE TABLE IF NOT EXISTS for the four version tables, NULL-ended. */
extern const char *const db_migrate__create_tables[];

/* The names in schema, and the facts of dialect x (NULL: the portable
 * forms). */
void db_migrate__vt_names(struct db_migrate_vt_names *t, const char *schema,
                          const struct db_dialect_ops *x);

/*
 * How app_version changes when revision i moves in dir: the heads before
 * (old, nold) and after (now, nnow) it. Calls fn with each head that goes
 * (comes false), then each that comes (comes true). Stops at and returns
 * fn's first non-zero result.
 */
typedef int (*db_migrate_head_fn)(void *ctx, const char *id, bool comes);
int db_migrate__head_moves(const struct db_graph *g, const size_t *old,
                           size_t nold, const size_t *now, size_t nnow,
                           db_migrate_head_fn fn, void *ctx);

void db_migrate__vt_expand(struct db_buf *out,
                                  const struct db_migrate_vt_names *t,
                                  const char *tmpl);

int db_migrate__vquery(struct db_conn *c, const char *tmpl, int nparams,
                              const char *const *params, db_row_fn fn,
                              void *ctx, long *changes, struct db_error *err);

void db_migrate__now_utc(char *out, size_t n);

/* db_query_value on a template of the tool's own. */
int db_migrate__vquery_value(struct db_conn *c, const char *tmpl, int nparams,
                             const char *const *params, char *out, size_t n,
                             struct db_error *err);

/* db_exec on a template of the tool's own. */
int db_migrate__vexec(struct db_conn *c, const char *tmpl,
                      struct db_error *err);

/* The start of the INSERT of one history row, up to its values:
 * "INSERT INTO <history> (<columns>) VALUES (", with "seq" one more than
 * the largest unless the database generates it (t->seq_generated); the
 * values follow in the order revision, operation, applied_at, duration_ms,
 * checksum. */
const char *db_migrate__history_insert_head(
    const struct db_migrate_vt_names *t);

/* Inserts one history row: p[0] revision, p[1] operation, p[2]
 * applied_at, p[3] duration_ms, p[4] checksum; with commit, the
 * transaction commits with it (db_query_commit: one round trip). */
int db_migrate__insert_history(struct db_conn *c, const char *const p[5],
                               bool commit, struct db_error *err);

/* Creates the version tables when missing. */
int db_migrate__ensure_tables(struct db_conn *c, struct db_error *err);

/* Whether the database is already where target asks in dir, read in one
 * query without the lock (set and plan_buf: g->n each, scratch). False
 * also for anything the locked path must decide. */
bool db_migrate__nothing_to_do(struct db_conn *c, const struct db_graph *g,
                               const char *target, enum db_direction dir,
                               unsigned char *set, size_t *plan_buf);

long db_migrate__find_id(const struct db_graph *g, const char *id);

int db_migrate__read_heads(struct db_migrate_state *st,
                                  struct db_conn *c, const struct db_graph *g,
                                  struct db_error *err);

int db_migrate__dirty_error(const struct db_migrate_state *st,
                                   const struct db_graph *g,
                                   struct db_error *err);

/*
 * Runs every block of r for dir and the connection's dialect, in file
 * order, on the session as connect left it (the caller has called
 * db_reset_session: on PostgreSQL the reset then goes with the step's
 * first statement, in its round trip). With nrun (the revision runs
 * outside a transaction): *nrun counts the statements that finished, and
 * before each one the dirty marker's detail says which runs, so that a
 * process killed there leaves the place it stopped; a block without
 * transaction=false runs in a transaction of its own, and *clean says
 * whether the failure was in such a block before any statement had
 * committed (nothing changed). Returns 0 or the failing statement's error
 * (file and line in err).
 */
int db_migrate__run_blocks(struct db_conn *c, const struct db_revision *r,
                           enum db_direction dir, int *nrun, bool *clean,
                           struct db_error *err);

#endif /* DB_MIGRATE_INTERNAL_H */
