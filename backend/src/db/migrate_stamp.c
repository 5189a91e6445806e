/*
 * migrate_stamp.c - stamp, and what run_migrations() does in the production
 * phase.
 */
#include "migrate.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate_internal.h"

/* ---- stamp -------------------------------------------------------------- */

int db_migrate_stamp(struct db_conn *c, const struct db_graph *g,
                     const char *target, struct db_error *err)
{
    struct db_error ignored;
    struct db_migrate_state st = {0};
    unsigned char *want = calloc(g->n ? g->n : 1, 1);
    unsigned char *none = calloc(g->n ? g->n : 1, 1);
    int rc = 0, locked = 0;
    if (!want || !none) {
        rc = db_error_nomem(err);
        goto out;
    }
    if (strcmp(target, "base") != 0 &&
        (rc = db_graph_upgrade_target(want, g, none, target, err)))
        goto out;
    if ((rc = db_lock(c, err)))
        goto out;
    locked = 1;
    if ((rc = db_migrate__ensure_tables(c, err)) ||
        (rc = db_migrate_state_read(&st, c, g, err)) ||
        (rc = db_begin(c, err)))
        goto out;
    rc = db_migrate__vexec(c, "DELETE FROM " VT, err);
    if (rc == 0)
        rc = db_migrate__vexec(c, "DELETE FROM " DT, err);
    size_t nheads = db_graph_current(st.heads, g, want);
    for (size_t h = 0; h < nheads && rc == 0; h++) {
        const char *p[] = {g->revs[st.heads[h]].id};
        rc = db_migrate__vquery(c,
                                "INSERT INTO " VT " (\"revision\") VALUES ($1)",
                                1, p, NULL, NULL, NULL, err);
    }
    char at[40];
    db_migrate__now_utc(at, sizeof at);
    for (size_t i = 0; i < g->n && rc == 0; i++) {
        if (!want[i])
            continue;
        const struct db_history_row *row = db_migrate_applied_row(&st, g, i);
        if (st.applied[i] && row &&
            strcmp(row->checksum, g->revs[i].checksum) == 0)
            continue; /* already recorded as it is */
        const char *p[] = {g->revs[i].id, "stamp", at, "0",
                           g->revs[i].checksum};
        rc = db_migrate__insert_history(c, p, false, err);
    }
    /* every revision in want has its file's checksum last now */
    if (rc == 0)
        rc = db_migrate_record_verified(c, g, want, err);
    if (rc == 0)
        rc = db_commit(c, err);
    if (rc)
        db_rollback(c, &ignored);
out:
    if (locked)
        rc = db_unlock_after(c, rc, err);
    db_migrate_state_free(&st);
    free(want);
    free(none);
    return rc;
}

/* ---- run_migrations ----------------------------------------------------- */

/* Tables other than the version tables: the dialect's catalog query. */
static int count_other_tables(long *out, struct db_conn *c,
                              struct db_error *err)
{
    const char *sql = db_dialect_get(c->driver->dialect)->other_tables_sql;
    char v[32];
    const char *params[] = {db_conn_schema(c)};
    int rc = db_query_value(c, sql, 1, params, v, sizeof v, err);
    if (rc == 0)
        *out = strtol(v, NULL, 10);
    return rc;
}

int db_migrate_run(struct db_conn *c, struct db_error *err)
{
    struct db_graph *g;
    int rc = db_migrate_load(&g, c->cfg, err);
    if (rc)
        return rc;
    if (g->n == 0) {
        db_error_set(err, DB_ENOTFOUND,
                     "phase is production but %s has no revisions", g->dir);
        db_error_hint(err, "write the baseline revision and stamp the "
                           "database (MIGRATION_STRATEGY.md), or set [app] "
                           "phase = pre-user in %s", c->cfg->phase_source);
        db_graph_free(g);
        return DB_ENOTFOUND;
    }
    /* At head already (the usual start-up): one query, no lock. */
    unsigned char *set = calloc(g->n, 1);
    size_t *plan_buf = calloc(g->n, sizeof *plan_buf);
    bool done = set && plan_buf &&
                db_migrate__nothing_to_do(c, g, "head", DB_UPGRADE, set, plan_buf);
    free(set);
    free(plan_buf);
    if (done) {
        db_graph_free(g);
        return 0;
    }
    /* Count the other tables first, then look for the version table: a
     * process upgrading at the same moment commits the version table
     * before any revision's tables, so tables seen here imply a version
     * table visible to the next query, and nothing is refused by a race. */
    long others = 0;
    int has = 0;
    if ((rc = count_other_tables(&others, c, err)) == 0)
        has = c->driver->table_exists(c, DB_MIGRATE_TABLE, err);
    if (rc == 0 && has == 0 && others > 0) {
        db_error_set(err, DB_EREFUSED,
                     "the database has %ld table%s but no version table: "
                     "it was not created by these revisions", others,
                     others == 1 ? "" : "s");
        db_error_hint(err, "if its schema is the baseline revision's, record "
                           "that with '{db} stamp <baseline id>' (see "
                           "MIGRATION_STRATEGY.md), then start again");
        rc = DB_EREFUSED;
    } else if (has < 0) {
        rc = has;
    } else if (rc == 0) {
        rc = db_migrate_upgrade(c, g, "head", NULL, NULL, err);
    }
    db_graph_free(g);
    return rc;
}
