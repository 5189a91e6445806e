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

    /* Whether the connection is still usable, without a round trip: 0 when
     * the server has closed it (restarted, pg_terminate_backend), 1 when
     * nothing says otherwise. May be NULL (an embedded database). */
    int (*alive)(struct db_conn *c);
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

/* 1 while c is usable, 0 once its server has closed it (see the alive op;
 * a driver without one is always alive). */
int db_conn_alive(struct db_conn *c);

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

/* Quotes an identifier for SQL: "name", with " doubled. Returns 0, or
 * DB_EUSAGE when it does not fit. Same on both dialects. */
int db_quote_ident(char *out, size_t n, const char *ident);

#endif /* DB_DRIVER_H */
