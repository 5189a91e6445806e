/*
 * database.c - create_db_and_tables(), run_migrations(), reset.
 */
#include "database.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate.h"
#include "meta.h"
#include "render.h"
#include "sync.h"

static int exec_script_tx(struct db_conn *c, const char *sql,
                          struct db_error *err)
{
    int rc = db_begin(c, err);
    if (rc)
        return rc;
    rc = db_exec(c, sql, err);
    if (rc) {
        struct db_error ignored;
        db_rollback(c, &ignored);
        return rc;
    }
    return db_commit(c, err);
}

int create_db_and_tables(struct db_conn *c, const struct db_schema *models,
                         struct db_error *err)
{
    return db_prepare_schema(c, models, NULL, err);
}

/* Records phase=production in app_version_meta unless it is already. */
static int record_production(struct db_conn *c, struct db_error *err)
{
    enum db_phase recorded;
    int rc = db_meta_phase(&recorded, c, err);
    if (rc == 0 && recorded != DB_PHASE_PRODUCTION)
        rc = db_meta_set(c, "phase", "production", err);
    return rc;
}

static int refuse_dev_create_tables(const char *why, const char *source,
                                    struct db_error *err)
{
    db_error_set(err, DB_EPHASE, "DEV_CREATE_TABLES=true is refused in the "
                                 "production phase (%s %s)", why, source);
    db_error_hint(err, "unset DEV_CREATE_TABLES: production schema changes "
                       "come only from revisions");
    return DB_EPHASE;
}

int db_prepare_schema(struct db_conn *c, const struct db_schema *models,
                      struct db_error *fallback, struct db_error *err)
{
    const struct db_config *cfg = c->cfg;
    if (fallback)
        db_error_clear(fallback);
    if (cfg->phase == DB_PHASE_PRODUCTION) {
        if (cfg->dev_create_tables)
            return refuse_dev_create_tables("set by", cfg->phase_source, err);
        int rc = run_migrations(c, err);
        if (rc == 0)
            rc = db_sync_check(c, models, err); /* a revision is missing */
        if (rc == 0 && (rc = record_production(c, err)))
            db_error_prefix(err, "recording the phase in %s", DB_META_TABLE);
        return rc;
    }

    /* A database under migrations gets its revisions first. */
    int rc = c->driver->table_exists(c, DB_MIGRATE_TABLE, err);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        if (cfg->dev_create_tables) {
            enum db_phase recorded;
            if ((rc = db_meta_phase(&recorded, c, err)))
                return rc;
            if (recorded == DB_PHASE_PRODUCTION)
                return refuse_dev_create_tables("recorded by the database's",
                                                DB_META_TABLE, err);
        }
        rc = run_migrations(c, err);
        if (rc == DB_ENOTFOUND)
            rc = 0; /* no revisions: nothing to run before the sync */
        if (rc && (!cfg->dev_create_tables || !fallback)) {
            db_error_prefix(err, "migrations failed");
            db_error_hint(err, "fix the revision or the database; in the "
                               "pre-user phase DEV_CREATE_TABLES=true falls "
                               "back to create-all");
            return rc;
        }
        if (rc) {
            *fallback = *err;
            db_error_clear(err);
        }
    }

    /* additive model edits applied, destructive ones refused (sync.h) */
    rc = db_sync_models(c, models, err);
    if (rc && rc != DB_EDRIFT)
        db_error_prefix(err, "create_db_and_tables");
    return rc;
}

int run_migrations(struct db_conn *c, struct db_error *err)
{
    return db_migrate_run(c, err);
}


int db_reset_sql(struct db_buf *out, const struct db_schema *models,
                 enum db_dialect d, struct db_error *err)
{
    int rc = db_schema_validate(models, err);
    if (rc == 0)
        rc = db_render_drop_all(out, models, d, DB_RENDER_IF_EXISTS, err);
    if (rc == 0)
        rc = db_render_create_all(out, models, d, 0, err);
    return rc;
}

int db_reset(struct db_conn *c, const struct db_schema *models,
             struct db_error *err)
{
    int rc = db_guard_preuser(c, "reset", err);
    if (rc)
        return rc;
    struct db_buf sql = DB_BUF_INIT;
    rc = db_reset_sql(&sql, models, c->driver->dialect, err);
    if (rc == 0)
        rc = exec_script_tx(c, db_buf_str(&sql), err);
    db_buf_free(&sql);
    return rc;
}

