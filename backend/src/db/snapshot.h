/*
 * snapshot.h - migrations/schema.sql: the schema the revisions produce.
 *
 * The revisions up to every head are built in a scratch database beside
 * the configured one (flip.h), reflected, and rendered as canonical DDL for
 * every dialect in a fixed order (tables by name in foreign-key order, then
 * their indexes), so that a change to the schema shows in review as a
 * diff of one file, and CI can tell when the file no longer matches.
 *
 * The build runs on the configured database's engine, whose name heads the
 * file: the same SQL can mean different schemas on each (an unnamed
 * foreign key, INTEGER PRIMARY KEY), so a snapshot is written and checked
 * on one engine, the one production runs.
 */
#ifndef DB_SNAPSHOT_H
#define DB_SNAPSHOT_H

#include <stddef.h>

#include "buf.h"
#include "config.h"
#include "driver.h"
#include "error.h"
#include "graph.h"

/* <[migrations] dir>/schema.sql */
void db_snapshot_path(char *out, size_t n, const struct db_config *cfg);

/*
 * Appends the snapshot of g's revisions to out, built beside c. *ntables
 * (may be NULL) gets the number of tables. Returns 0 or the error of the
 * revision that does not build.
 */
int db_snapshot_render(struct db_buf *out, size_t *ntables, struct db_conn *c,
                       const struct db_graph *g, struct db_error *err);

/* Writes the snapshot to its path (replacing the file whole). Returns 0,
 * DB_EIO or an error of db_snapshot_render. */
int db_snapshot_write(char *path, size_t n, size_t *ntables,
                      struct db_conn *c, const struct db_graph *g,
                      struct db_error *err);

/*
 * Compares the file with what the revisions produce now. Returns 0 when it
 * is the same; DB_EDRIFT when it differs or is missing (err says where:
 * the file and the first line that differs); or an error.
 */
int db_snapshot_check(struct db_conn *c, const struct db_graph *g,
                      struct db_error *err);

#endif /* DB_SNAPSHOT_H */
