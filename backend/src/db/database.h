/*
 * database.h - the phase switch: create_db_and_tables() and friends.
 *
 * The connection carries its config (c->cfg), which says the phase.
 */
#ifndef DB_DATABASE_H
#define DB_DATABASE_H

#include "buf.h"
#include "driver.h"
#include "error.h"
#include "schema.h"

/*
 * Pre-user phase: creates every missing table and index of models in one
 * transaction (running it twice changes nothing). Production phase: calls
 * run_migrations(). Returns 0 or an error with a hint.
 * The same as db_prepare_schema(c, models, NULL, err).
 */
int create_db_and_tables(struct db_conn *c, const struct db_schema *models,
                         struct db_error *err);

/*
 * create_db_and_tables with the DEV_CREATE_TABLES fallback.
 * Pre-user phase, on a database that has a version table (it is under
 * migrations): run_migrations() first, then the additive sync from the
 * models. When the migrations fail and cfg->dev_create_tables is set, the
 * sync runs anyway and *fallback (may be NULL: then there is no fallback)
 * receives the migrations' error, for the caller to print as a warning;
 * refused (DB_EPHASE) when the database records the production phase.
 * Production phase: run_migrations(), then phase=production recorded in
 * app_version_meta; cfg->dev_create_tables is refused (DB_EPHASE).
 * fallback->code is 0 when no fallback happened.
 */
int db_prepare_schema(struct db_conn *c, const struct db_schema *models,
                      struct db_error *fallback, struct db_error *err);

/*
 * Brings the database to the head revision under the migration lock.
 * Returns 0 or an error naming what to do.
 */
int run_migrations(struct db_conn *c, struct db_error *err);

/*
 * Drops every table the models own (only those) and recreates them, in one
 * transaction. Refused in the production phase (DB_EPHASE).
 */
int db_reset(struct db_conn *c, const struct db_schema *models,
             struct db_error *err);

/* The drop-and-create script db_reset runs. */
int db_reset_sql(struct db_buf *out, const struct db_schema *models,
                 enum db_dialect d, struct db_error *err);



#endif /* DB_DATABASE_H */
