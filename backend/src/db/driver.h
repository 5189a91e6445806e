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

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "dialect.h"
#include "error.h"

#define DB_CONTAINER_OF(ptr, type, member) \
    ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

struct db_driver;
struct db_arena;
struct db_schema;
struct db_buf;
struct db_column;
struct db_op;
struct db_conn;
struct db_diff;

/*
 * What one SQL dialect writes, whatever the connection: each driver
 * provides one const struct db_dialect_ops, found by db_dialect_get() even
 * when the driver's module is not loaded (offline --sql, baselines for
 * every dialect). Facts are fields; policy and spelling are ops.
 */
struct db_dialect_ops {
    enum db_dialect id;
    const char *name;            /* "sqlite", "postgresql" */

    /* Boolean literals and the portable expressions of DEFAULT clauses:
     * the current time, the current date, a new random (v4) UUID as the
     * column's type holds it. */
    const char *true_sql;
    const char *false_sql;
    const char *now_sql;
    const char *today_sql;
    const char *uuid_sql;

    /* How the diff compares: an INTEGER PRIMARY KEY is the rowid, generated
     * whether declared autoincrement or not; foreign keys keep their names
     * (and so are compared by name too). */
    bool integer_pk_is_rowid;
    bool keeps_fk_names;

    /* Appends the column's type as the dialect writes it ("VARCHAR(255)",
     * "BIGINT"); every type of types.h. */
    void (*type_sql)(struct db_buf *out, const struct db_column *col);

    /* Appends the CHECK that a type carries on this dialect, after the
     * column's type in CREATE TABLE and ADD COLUMN (" CHECK
     * (json_valid(...))"), or nothing; NULL: no type carries one. */
    void (*type_check_sql)(struct db_buf *out, const struct db_column *col);

    /*
     * The ALTER strategy. needs_rebuild: whether op, on an existing table,
     * is beyond ALTER TABLE, so the whole table is rebuilt (NULL: never).
     * render_rebuild appends the rebuild of diff->ops[i]'s table with
     * every change the diff makes to it; returns 0 or DB_ENOMEM. A script
     * with rebuilds starts with rebuild_prologue and ends with
     * rebuild_epilogue (NULL: nothing), and a revision section holding one
     * carries the option rebuild_option ("foreign_keys=off"; NULL: none).
     * render_alter_column appends the ALTER TABLE statements of an
     * alter-column op (NULL where such ops are always rebuilt).
     */
    bool (*needs_rebuild)(const struct db_op *op);
    int (*render_rebuild)(struct db_buf *out, const struct db_diff *diff,
                          size_t i);
    const char *rebuild_prologue;
    const char *rebuild_epilogue;
    const char *rebuild_option;
    void (*render_alter_column)(struct db_buf *out, const struct db_op *op);

    /*
     * The schema-change protocol around a change that rebuilds tables
     * (NULL where none is needed): fk_off_sql turns foreign-key
     * enforcement off before the transaction and fk_on_sql back on after
     * it; fk_check_sql lists the rows that break a foreign key, checked
     * before the commit; fk_violation_hint says how to find them.
     */
    const char *fk_off_sql;
    const char *fk_on_sql;
    const char *fk_check_sql;
    const char *fk_violation_hint;

    /* The schema the app's tables live in ("main"), or NULL: [database]
     * schema. The tool names its own tables with it. */
    const char *schema;

    /* Counts the tables of schema $1 other than the version tables
     * (app_version*) and the database's own. */
    const char *other_tables_sql;

    /* SQLSTATEs that mean another session created the same object first
     * (CREATE ... IF NOT EXISTS racing in the catalog); NULL-terminated. */
    const char *const *create_race_sqlstates;

    /* An autoincrement primary key, inline in CREATE TABLE: the column's
     * type, or rowid_type_sql where the key must be spelled so whatever
     * its width ("INTEGER"; NULL: the type), then identity_pk_sql. */
    const char *rowid_type_sql;
    const char *identity_pk_sql;

    /* How statements are split (dialect.h). */
    struct db_split_rules split;

    /* Backups: the file extension, and whether the name comes from the
     * database file's (else "database"). */
    const char *backup_ext;
    bool backup_named_by_file;

    /*
     * A scratch database beside the live one, for verified stamps and
     * rehearsals. scratch_config turns a copy of the live configuration
     * into one for a new, empty database (SQLite: in memory; PostgreSQL: a
     * schema of its own); scratch_drop removes it afterwards through the
     * live connection (NULL: nothing to remove).
     */
    void (*scratch_config)(struct db_config *cfg);
    int (*scratch_drop)(struct db_conn *live, const struct db_config *cfg,
                        struct db_error *err);

    /*
     * Rehearsals. With copy_url, on a copy of the database taken with the
     * driver's backup into the file path: copy_url writes the copy's URL,
     * and the files path + each of copy_suffixes are removed after. NULL:
     * in one transaction on the live database, always rolled back.
     */
    void (*copy_url)(char *out, size_t n, const char *path);
    const char *const *copy_suffixes;
    const char *rehearsal_where;   /* where it runs, for people to read */

    /*
     * The linter (lint.h): the module and symbol of a parser of this
     * dialect's SQL, a db_sql_parse_fn giving the database's own parse tree
     * as JSON. NULL: its sections are not linted.
     */
    const char *parser_module;
    const char *parser_symbol;
};

/*
 * A dialect's parser: sql (NUL-terminated) to its parse tree as JSON.
 * Returns 0 with *json (malloc'd), 1 for SQL the database does not accept
 * (msg says why, *position is the 1-based byte offset or 0), -1 when out of
 * memory.
 */
typedef int (*db_sql_parse_fn)(const char *sql, char **json, char *msg,
                               size_t n, int *position);

extern const struct db_dialect_ops db_sqlite_dialect;
extern const struct db_dialect_ops db_postgres_dialect;

/* The dialect's operations; NULL for an unknown value. */
const struct db_dialect_ops *db_dialect_get(enum db_dialect d);

/* The dialect named name ("sqlite", "postgresql": the URL schemes as
 * db_url_parse spells them); NULL if none. */
const struct db_dialect_ops *db_dialect_by_name(const char *name);

/* The dialect of cfg's database URL, without connecting or loading a
 * module (offline --sql). Returns 0 or DB_ECONFIG (a bad URL). */
int db_config_dialect(enum db_dialect *out, const struct db_config *cfg,
                      struct db_error *err);

/* Every dialect, NULL-terminated, in a fixed order (sqlite, postgresql). */
extern const struct db_dialect_ops *const db_dialects[];

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
/* The connection's dialect. */
enum db_dialect db_conn_dialect(const struct db_conn *c);
/* The server or library version ("SQLite 3.40.1"). */
int db_version(struct db_conn *c, char *out, size_t n, struct db_error *err);
/* Whether a table exists in the app's schema: 1 yes, 0 no, <0 error. */
int db_table_exists(struct db_conn *c, const char *table,
                    struct db_error *err);
/* Releases the lock after work that returned rc: returns rc, or the unlock's
 * own failure when rc was 0 (err keeps the first error). */
int db_unlock_after(struct db_conn *c, int rc, struct db_error *err);

/* The schema-change protocol of c's dialect (struct db_dialect_ops):
 * enforcement off (on = 0) or on, and the count of rows that break a
 * foreign key; 0 and nothing done (*out = 0) where the dialect needs none. */
int db_fk_enforcement(struct db_conn *c, int on, struct db_error *err);
int db_fk_violations(struct db_conn *c, long *out, struct db_error *err);

/* Whether e, from CREATE ... IF NOT EXISTS on c, means another session
 * created the object first (the object exists: all a caller needs). */
int db_error_lost_create_race(const struct db_conn *c,
                              const struct db_error *e);

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
