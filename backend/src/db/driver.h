/*
 * driver.h - the seam between the core and each database (SQLite, PostgreSQL).
 *
 * Only the core (database.c, migrate.c, ...) and the drivers include this.
 * Each driver is one const struct db_driver. Each connection type embeds
 * struct db_conn as its first member and recovers itself with DB_CONTAINER_OF.
 * Ops that a driver lacks are NULL and the core checks before calling.
 *
 * Values are passed and returned as text (NULL for SQL NULL) and are always
 * bound as parameters: $1, $2, ... in the SQL text on both databases.
 */
#ifndef DB_DRIVER_H
#define DB_DRIVER_H

#include <stddef.h>

#include "config.h"
#include "error.h"

#define DB_CONTAINER_OF(ptr, type, member) \
    ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

enum db_dialect {
    DB_DIALECT_SQLITE = 1,
    DB_DIALECT_POSTGRESQL = 2,
};

struct db_driver;
struct db_arena;
struct db_schema;

struct db_conn {
    const struct db_driver *driver;
    const struct db_config *cfg;   /* borrowed; outlives the connection */
    int in_tx;                     /* inside begin/commit */
    int created;                   /* connecting created the database (a
                                      new SQLite file): nothing to back up */
};

/*
 * Called once per result row. vals[i] is NULL for SQL NULL; both arrays are
 * valid only during the call. Return 0 to go on, non-zero to stop (query
 * then returns that value).
 */
typedef int (*db_row_fn)(void *ctx, int ncols, const char *const *vals,
                         const char *const *names);

struct db_driver {
    const char *name;           /* "sqlite", "postgresql" */
    const char *scheme;         /* URL scheme it serves */
    enum db_dialect dialect;
    const char *schema;         /* the schema the app's tables live in
                                   ("main"), or NULL: [database] schema */

    /* Opens a connection for cfg->url. *out is freed with close. */
    int (*connect)(struct db_conn **out, const struct db_config *cfg,
                   struct db_error *err);
    void (*close)(struct db_conn *c);

    /* Runs one or more statements with no parameters and no result. */
    int (*exec)(struct db_conn *c, const char *sql, struct db_error *err);

    /* Runs one statement with text parameters; rows go to fn (may be NULL).
     * *changes (may be NULL) receives the number of rows changed. */
    int (*query)(struct db_conn *c, const char *sql, int nparams,
                 const char *const *params, db_row_fn fn, void *ctx,
                 long *changes, struct db_error *err);

    /* Transactions. begin takes the write lock on SQLite (IMMEDIATE). */
    int (*begin)(struct db_conn *c, struct db_error *err);
    int (*commit)(struct db_conn *c, struct db_error *err);
    int (*rollback)(struct db_conn *c, struct db_error *err);

    /* The migration lock: held across a whole command, between processes.
     * May be NULL where begin's write lock is enough. */
    int (*lock)(struct db_conn *c, struct db_error *err);
    int (*unlock)(struct db_conn *c, struct db_error *err);

    /* Puts the session back as connect left it (search_path, timeouts),
     * whatever a revision SET: each revision starts from the same session,
     * whether it runs alone or after others. May be NULL. */
    int (*reset_session)(struct db_conn *c, struct db_error *err);

    /* Server or library version, e.g. "SQLite 3.40.1". */
    int (*version)(struct db_conn *c, char *out, size_t n,
                   struct db_error *err);

    /* Whether a table exists in the app's schema: 1 yes, 0 no, <0 error. */
    int (*table_exists)(struct db_conn *c, const char *table,
                        struct db_error *err);

    /* Copies the whole database into a new file at path (SQLite: the online
     * backup API; PostgreSQL: pg_dump's custom format). May be NULL. */
    int (*backup)(struct db_conn *c, const char *path, struct db_error *err);

    /* Reads the schema into out, allocating from arena (reflect.h): the
     * ntables tables named by tables, or with tables NULL every table but
     * internal ones. In a fixed number of queries, whatever the count. */
    int (*reflect)(struct db_conn *c, struct db_arena *arena,
                   const char *const *tables, size_t ntables,
                   struct db_schema *out, struct db_error *err);
};

/*
 * The driver for a URL scheme ("sqlite", "postgresql"), loading its module
 * on first use (module.h). Returns 0, DB_ECONFIG (no such driver) or
 * DB_ENOTFOUND (its module cannot be loaded; err says why).
 */
int db_driver_load(const struct db_driver **out, const char *scheme,
                   struct db_error *err);

/* db_driver_load without the reason; NULL if none. */
const struct db_driver *db_driver_find(const char *scheme);

/* The NULL-terminated list of drivers built into the binary. */
extern const struct db_driver *const db_drivers[];

/* Connects with the driver that serves cfg->url. */
int db_connect(struct db_conn **out, const struct db_config *cfg,
               struct db_error *err);

/* NULL-safe close. */
void db_disconnect(struct db_conn *c);

/* Wrappers that check for NULL ops and keep in_tx. */
int db_exec(struct db_conn *c, const char *sql, struct db_error *err);
int db_query(struct db_conn *c, const char *sql, int nparams,
             const char *const *params, db_row_fn fn, void *ctx,
             long *changes, struct db_error *err);
int db_begin(struct db_conn *c, struct db_error *err);
int db_commit(struct db_conn *c, struct db_error *err);
int db_rollback(struct db_conn *c, struct db_error *err);
int db_lock(struct db_conn *c, struct db_error *err);
int db_unlock(struct db_conn *c, struct db_error *err);
/* Releases the lock after work that returned rc: returns rc, or the unlock's
 * own failure when rc was 0 (err keeps the first error). */
int db_unlock_after(struct db_conn *c, int rc, struct db_error *err);

/* Runs a query that returns one value (first column of first row) into out.
 * Returns 0, DB_ENOTFOUND when there is no row, or an error. A NULL value
 * is returned as "". */
int db_query_value(struct db_conn *c, const char *sql, int nparams,
                   const char *const *params, char *out, size_t n,
                   struct db_error *err);

/* The schema c's tables live in: the driver's, or [database] schema. The
 * tool names its own tables with it, so that a revision's session settings
 * (search_path, a TEMP table of the same name) cannot redirect them. */
const char *db_conn_schema(const struct db_conn *c);

/* "schema"."table" with db_conn_schema(c), quoted. Returns 0, or DB_EUSAGE
 * when it does not fit in n. */
int db_qualify(char *out, size_t n, const struct db_conn *c,
               const char *table);

/* Quotes an identifier for SQL: "name", with " doubled. Returns 0, or
 * DB_EUSAGE when it does not fit. Same on both dialects. */
int db_quote_ident(char *out, size_t n, const char *ident);

#endif /* DB_DRIVER_H */
