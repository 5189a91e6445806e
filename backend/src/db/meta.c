/*
 * meta.c - the database's own record of its phase.
 */
#include "meta.h"

#include <stdio.h>
#include <string.h>


/* SQL with the meta table's qualified name where tmpl has "%s". */
static int meta_sql(char *out, size_t n, struct db_conn *c, const char *tmpl,
                    struct db_error *err)
{
    char name[400];
    if (db_qualify(name, sizeof name, c, DB_META_TABLE) ||
        (size_t)snprintf(out, n, tmpl, name) >= n)
        return db_error_set(err, DB_ECONFIG, "bad [database] schema '%s'",
                            db_conn_schema(c));
    return 0;
}

int db_meta_get(struct db_conn *c, const char *key, char *out, size_t n,
                struct db_error *err)
{
    int rc = c->driver->table_exists(c, DB_META_TABLE, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return DB_ENOTFOUND;
    char sql[600];
    if ((rc = meta_sql(sql, sizeof sql, c, "SELECT \"value\" FROM %s "
                                           "WHERE \"key\" = $1", err)))
        return rc;
    const char *params[] = {key};
    return db_query_value(c, sql, 1, params, out, n, err);
}

int db_meta_set(struct db_conn *c, const char *key, const char *value,
                struct db_error *err)
{
    int rc = c->driver->table_exists(c, DB_META_TABLE, err);
    if (rc < 0)
        return rc;
    char sql[600];
    if (rc == 0) {
        if ((rc = meta_sql(sql, sizeof sql, c,
                           "CREATE TABLE IF NOT EXISTS %s " DB_META_COLUMNS,
                           err)))
            return rc;
        rc = db_exec(c, sql, err);
        /* Several instances starting at once: PostgreSQL's IF NOT EXISTS
         * can still lose the race in its catalog (unique_violation or
         * duplicate_table); the table exists then, which is all we need. */
        if (rc && !db_error_lost_create_race(c, err))
            return rc;
    }
    if ((rc = meta_sql(sql, sizeof sql, c,
                       "INSERT INTO %s (\"key\", \"value\") VALUES ($1, $2) "
                       "ON CONFLICT (\"key\") DO UPDATE SET \"value\" = "
                       "excluded.\"value\"", err)))
        return rc;
    const char *params[] = {key, value};
    return db_query(c, sql, 2, params, NULL, NULL, NULL, err);
}

int db_meta_phase(enum db_phase *out, struct db_conn *c, struct db_error *err)
{
    char v[32];
    *out = DB_PHASE_PREUSER;
    int rc = db_meta_get(c, "phase", v, sizeof v, err);
    if (rc == DB_ENOTFOUND)
        return 0;
    if (rc)
        return rc;
    if (db_phase_parse(out, v))
        return db_error_set(err, DB_ECONFIG,
                            "the database records an unknown phase '%s' in %s",
                            v, DB_META_TABLE);
    return 0;
}

int db_check_preuser(const struct db_config *cfg, const char *what,
                     struct db_error *err)
{
    if (cfg->phase != DB_PHASE_PRODUCTION)
        return 0;
    db_error_set(err, DB_EPHASE,
                 "%s is refused in the production phase (set by %s)", what,
                 cfg->phase_source);
    db_error_hint(err, "production data is changed only by revisions: see "
                       "MIGRATION_STRATEGY.md");
    return DB_EPHASE;
}

int db_guard_preuser(struct db_conn *c, const char *what,
                     struct db_error *err)
{
    int rc = db_check_preuser(c->cfg, what, err);
    if (rc)
        return rc;
    enum db_phase recorded;
    if ((rc = db_meta_phase(&recorded, c, err)))
        return rc;
    if (recorded != DB_PHASE_PRODUCTION)
        return 0;
    db_error_set(err, DB_EPHASE,
                 "%s is refused: this database was flipped to the production "
                 "phase (recorded in its %s table), although %s says %s",
                 what, DB_META_TABLE, c->cfg->phase_source,
                 db_phase_name(c->cfg->phase));
    db_error_hint(err, "production data is changed only by revisions: see "
                       "MIGRATION_STRATEGY.md");
    return DB_EPHASE;
}
