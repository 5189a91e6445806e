/*
 * autogen.h - a revision's upgrade and downgrade from the diff between the
 * models and the live database (`app db revision --autogenerate`).
 *
 * upgrade = diff(models, reflect(db)), downgrade = diff(reflect(db),
 * models), each rendered for SQLite and for PostgreSQL. When the two
 * dialects' SQL is the same it is one block for every database; otherwise
 * the text is two blocks, "-- +upgrade dialect=sqlite" and
 * "-- +upgrade dialect=postgresql" (likewise for +downgrade); a SQLite
 * block that rebuilds a table adds "foreign_keys=off". Every
 * operation has a comment above it; destructive ones (drop table or
 * column, type narrowing, NOT NULL on an existing column) start with
 * "-- DESTRUCTIVE:".
 */
#ifndef DB_AUTOGEN_H
#define DB_AUTOGEN_H

#include <stddef.h>

#include "config.h"
#include "driver.h"
#include "error.h"
#include "graph.h"
#include "schema.h"

enum {
    /* compare every table of the database: tables missing from the models
     * are dropped (default: only the models' tables) */
    DB_AUTOGEN_ALL_TABLES = 1 << 0,
};

struct db_autogen {
    char *upgrade;        /* the text for ${upgrade}; owned */
    char *downgrade;      /* the text for ${downgrade}; owned */
    size_t nops;          /* operations of the upgrade; 0: nothing to do */
    size_t ndestructive;  /* of which destructive */
};

#define DB_AUTOGEN_INIT {NULL, NULL, 0, 0}

/*
 * Compares models with c's database and fills out. Refuses (DB_EREFUSED)
 * a database that is not at the head of g (revisions pending: their
 * changes would be written twice); g may be NULL to skip that check.
 * Returns 0, DB_EREFUSED, or a database/memory error. Free with
 * db_autogen_free, also after a failure.
 */
int db_autogen(struct db_autogen *out, struct db_conn *c,
               const struct db_graph *g, const struct db_schema *models,
               unsigned flags, struct db_error *err);

/* db_autogen on a connection opened with cfg for the call. */
int db_autogen_cfg(struct db_autogen *out, const struct db_config *cfg,
                   const struct db_graph *g, const struct db_schema *models,
                   unsigned flags, struct db_error *err);

/*
 * The same for two schemas: upgrade turns current into target, downgrade
 * turns it back. live is the dialect whose operations nops counts. Used for
 * the baseline (current empty). Free with db_autogen_free.
 */
int db_autogen_schemas(struct db_autogen *out, const struct db_schema *target,
                       const struct db_schema *current, enum db_dialect live,
                       struct db_error *err);

/* NULL-safe; leaves it empty. */
void db_autogen_free(struct db_autogen *a);

#endif /* DB_AUTOGEN_H */
