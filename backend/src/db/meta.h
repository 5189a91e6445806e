/*
 * meta.h - what the database remembers about itself: its phase.
 *
 * A small key/value table, app_version_meta, beside the version tables.
 * Stamping for the flip records phase=production there, so a machine whose
 * INI still says pre-user cannot reset a database that was flipped.
 */
#ifndef DB_META_H
#define DB_META_H

#include <stddef.h>

#include "driver.h"
#include "error.h"

#define DB_META_TABLE "app_version_meta"

/* Its columns, as CREATE TABLE writes them after the name. */
#define DB_META_COLUMNS \
    "(\"key\" VARCHAR(64) NOT NULL PRIMARY KEY, \"value\" TEXT NOT NULL)"

/* Reads key into out. DB_ENOTFOUND when the table or the key is absent. */
int db_meta_get(struct db_conn *c, const char *key, char *out, size_t n,
                struct db_error *err);

/* Creates the table if needed and sets key = value. */
int db_meta_set(struct db_conn *c, const char *key, const char *value,
                struct db_error *err);

/* The phase the database records, DB_PHASE_PREUSER when none is recorded. */
int db_meta_phase(enum db_phase *out, struct db_conn *c, struct db_error *err);

/* The refusal for destructive work outside the pre-user phase. Returns 0
 * when allowed, DB_EPHASE (with message and hint) when not. */
int db_check_preuser(const struct db_config *cfg, const char *what,
                     struct db_error *err);

/*
 * The guard for destructive work (reset): refused when the config says
 * production, or when the database records production. Returns 0 when
 * allowed, DB_EPHASE (naming what set the phase) when not.
 */
int db_guard_preuser(struct db_conn *c, const char *what,
                     struct db_error *err);

#endif /* DB_META_H */
