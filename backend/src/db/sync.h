/*
 * sync.h - the pre-user start-up: bring the database to the models.
 *
 * The models are compared with the live database (only the models'
 * tables are reflected, so this costs about a millisecond on SQLite).
 * Additive and harmless differences (new tables, columns and indexes,
 * relaxed NOT NULL, changed defaults, dropped indexes, new foreign keys,
 * enumeration values added, checks dropped) are applied in one
 * transaction, on SQLite through the table rebuild where ALTER TABLE
 * cannot. A new constraint (a check, an enumeration, values removed) is
 * applied when no row breaks it: the rows are counted first. A
 * difference that would lose data (a dropped column, a type change, NOT
 * NULL on an existing column, a NOT NULL column without default on a
 * table with rows) or that rows break changes nothing and is reported
 * with the command that resets the database. Tables no
 * longer in the models are left alone: the app does not own them any more.
 */
#ifndef DB_SYNC_H
#define DB_SYNC_H

#include "driver.h"
#include "error.h"
#include "schema.h"

/*
 * Applies the additive differences between models and c's database.
 * Returns 0, DB_EDRIFT (destructive differences: message lists them, hint
 * names the reset command), DB_EUSAGE (invalid models) or the database's
 * error (nothing changed).
 */
int db_sync_models(struct db_conn *c, const struct db_schema *models,
                   struct db_error *err);

/*
 * The production start-up's last step: after the revisions ran, the
 * database must match the models. Returns 0, DB_EDRIFT (the message lists
 * the differences; the hint names the command that writes the missing
 * revision) or a database error. Changes nothing.
 */
int db_sync_check(struct db_conn *c, const struct db_schema *models,
                  struct db_error *err);

#endif /* DB_SYNC_H */
