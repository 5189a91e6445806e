/*
 * flip.h - the move from create-all to versioned upgrades: the baseline
 * revision, the verified stamp, the upgrade rehearsal and the transition
 * checklist.
 *
 * Scratch databases: what a set of revisions produces is built where it
 * cannot touch the live data, then reflected. SQLite: an in-memory
 * database. PostgreSQL: a temporary schema (app_scratch_<pid>_<n>) in the
 * configured database, dropped afterwards whatever happened.
 */
#ifndef DB_FLIP_H
#define DB_FLIP_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "driver.h"
#include "error.h"
#include "graph.h"
#include "reflect.h"
#include "schema.h"

/* app_version_meta key: the head(s) the last successful rehearsal ran. */
#define DB_FLIP_REHEARSAL_KEY "rehearsal_ok"

/*
 * Writes the baseline revision (the first one, 0001) from models: the
 * revision an empty database needs to become the models' schema. Its path
 * goes to out_path. Returns 0, DB_EEXISTS when cfg's versions directory
 * already has revisions (the message names them), DB_EUSAGE (no message,
 * invalid models) or DB_EIO.
 */
int db_flip_baseline(char *out_path, size_t n, const struct db_config *cfg,
                     const struct db_schema *models, const char *message,
                     struct db_error *err);

/*
 * Builds the schema the revisions of g up to target ("head", "heads", an
 * id or prefix) produce, in a scratch database beside c's (see above), and
 * reflects it into *out (free with db_reflection_free). Returns 0 or the
 * error of the revision that failed there; the live database is not
 * touched.
 */
int db_flip_scratch(struct db_reflection **out, struct db_conn *c,
                    const struct db_graph *g, const char *target,
                    struct db_error *err);

/*
 * Whether c's live schema is the one the revisions up to target produce.
 * Returns 0 when it is; DB_EDRIFT when it is not, with *report (may be
 * NULL) listing each difference as the SQL that would make the live
 * database match; or an error. *ndiff (may be NULL) gets the count.
 */
int db_flip_verify(struct db_buf *report, size_t *ndiff, struct db_conn *c,
                   const struct db_graph *g, const char *target,
                   struct db_error *err);

/*
 * Stamps target as db_migrate_stamp does, after db_flip_verify when verify
 * is true ("base" is never verified). A non-base stamp while the config
 * says production also records phase=production in app_version_meta.
 * Returns 0, DB_EDRIFT (nothing stamped; *report lists the differences)
 * or an error.
 */
int db_flip_stamp(struct db_buf *report, struct db_conn *c,
                  const struct db_graph *g, const char *target, bool verify,
                  struct db_error *err);

/* The heads of g joined with ',' (what rehearsal_ok records). */
void db_flip_heads_text(char *out, size_t n, const struct db_graph *g);

/* Called for each rehearsal step. */
typedef void (*db_flip_step_fn)(void *ctx, const struct db_revision *r,
                                enum db_direction dir, long ms);

/*
 * db_rehearse (rehearse.h) with only the steps reported: the pending
 * revisions each upgraded, downgraded and upgraded again, on a copy
 * (SQLite) or in one transaction rolled back (PostgreSQL). On success the
 * only change to the live database: app_version_meta's rehearsal_ok = the
 * heads of g. Returns what db_rehearse returns.
 */
int db_flip_rehearse(struct db_conn *c, const struct db_graph *g,
                     db_flip_step_fn fn, void *ctx, size_t *nsteps,
                     struct db_error *err);

/* The transition checklist, in order. */
enum db_flip_item_id {
    DB_FLIP_DATA = 0,        /* the model tables hold rows */
    DB_FLIP_BASELINE,        /* a base revision exists */
    DB_FLIP_BASELINE_LIVE,   /* the revisions (up to the current one, else
                                the baseline) build the live schema */
    DB_FLIP_STAMPED,         /* the version table has a head */
    DB_FLIP_NO_DRIFT,        /* diff(models, live) is empty */
    DB_FLIP_PHASE,           /* the config says production */
    DB_FLIP_DEPLOY,          /* deploy runs 'app db prepare', production */
    DB_FLIP_REHEARSAL,       /* rehearsal_ok = the heads */
    DB_FLIP_LINT,            /* no lint error in the revisions (lint.h) */
    DB_FLIP_NITEMS,
};

struct db_flip_item {
    const char *name;        /* "data", "baseline", ... (static) */
    const char *title;       /* one line for people (static) */
    bool ok;
    char detail[1024];       /* what was found */
    char fix[512];           /* the command that fixes it; "" when ok */
};

/* How the application deploys, as its front end found out: the script (its
 * path as given, for the words) and whether it runs the schema step at
 * start: -1 the script is not there, 0 it does not, 1 it does. */
struct db_flip_deploy {
    const char *script;
    int runs_schema_step;
};

/*
 * Runs every item against c's database, cfg's repository (c->cfg) and the
 * deploy as described. A failing item is not an error: items[i].ok says.
 * Returns 0, or an error that stopped the checklist (e.g. no connection).
 */
int db_flip_checklist(struct db_flip_item items[DB_FLIP_NITEMS],
                      struct db_conn *c, const struct db_schema *models,
                      const struct db_flip_deploy *deploy,
                      struct db_error *err);

#endif /* DB_FLIP_H */
