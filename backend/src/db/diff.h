/*
 * diff.h - two metadata sets compared into operations, rendered per dialect.
 *
 * db_diff_schemas(target, current) lists what turns current into target:
 * create-all is diff(models, empty), check and autogenerate are
 * diff(models, reflect(db)), and the downgrade of a change is the diff the
 * other way round. Operations come in an order that applies cleanly: new
 * tables (foreign-key order) with their indexes; then per existing table
 * drops of foreign keys, indexes and columns, added and altered columns,
 * added foreign keys and indexes; last, dropped tables (dependents first).
 *
 * Comparison is normalised: a primary key is never nullable; SQLite's
 * INTEGER PRIMARY KEY is always the rowid (autoincrement or not); numbers
 * compare by value; indexes match by name, foreign keys by what they join.
 *
 * On SQLite what ALTER TABLE cannot do (alter a column, add or drop a
 * foreign key, add a column with a non-constant default or NOT NULL
 * without a default, drop a key column) is rendered as SQLite's table
 * rebuild: CREATE TABLE "_new_t", INSERT INTO ... SELECT, DROP TABLE,
 * ALTER TABLE ... RENAME, the indexes again, the foreign key check. It
 * must run with foreign-key enforcement off (SQLite's procedure, steps 1
 * and 12), as db_diff_apply does: with enforcement on, dropping the old
 * table would fire the ON DELETE actions of the tables that reference it.
 * So the script guards itself with a temporary table "_rebuild_guard"
 * whose CHECK constraints fail the statement (and so the transaction)
 * when enforcement is on while a referenced table is rebuilt, when the
 * table has triggers (DROP TABLE would take them; the models do not know
 * them), and when PRAGMA foreign_key_check finds rows after a rebuild.
 * The rename runs with legacy_alter_table on, so views naming the table
 * survive it.
 *
 * The operations point into the two schemas: a struct db_diff is valid
 * while both are.
 */
#ifndef DB_DIFF_H
#define DB_DIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "driver.h"
#include "error.h"
#include "schema.h"

enum db_op_kind {
    DB_OP_CREATE_TABLE = 1,
    DB_OP_DROP_TABLE,
    DB_OP_ADD_COLUMN,
    DB_OP_DROP_COLUMN,
    DB_OP_ALTER_COLUMN,
    DB_OP_CREATE_INDEX,
    DB_OP_DROP_INDEX,
    DB_OP_ADD_UNIQUE,
    DB_OP_DROP_UNIQUE,
    DB_OP_ADD_FK,
    DB_OP_DROP_FK,
    DB_OP_ADD_CHECK,
    DB_OP_DROP_CHECK,
    DB_OP_ALTER_VALUES,   /* an enumeration's values (column, from_column) */
};

/* What an alter-column operation changes. */
enum {
    DB_ALTER_TYPE = 1 << 0,
    DB_ALTER_NULLABLE = 1 << 1,
    DB_ALTER_DEFAULT = 1 << 2,
    DB_ALTER_KEY = 1 << 3,        /* primary key or autoincrement */
};

struct db_op {
    enum db_op_kind kind;
    const struct db_table *table;        /* as it should be; NULL: drop table */
    const struct db_table *from;         /* as it is; NULL: create table */
    const struct db_column *column;      /* add, alter: the column wanted */
    const struct db_column *from_column; /* drop, alter: the column now */
    const struct db_index *index;        /* create: wanted; drop: now */
    const struct db_foreign_key *fk;     /* add: wanted; drop: now */
    const struct db_check *check;        /* add: wanted; drop: now */
    unsigned changes;                    /* alter: DB_ALTER_* */
    bool destructive;   /* loses data: drop table/column, narrowing, ... */
    bool needs_empty;   /* fails if the table has rows (NOT NULL, no default) */
    bool may_fail;      /* fails, changing nothing, if rows break a new
                           constraint (a check, an enumeration's values):
                           db_diff_violations counts them */
    const char *why;    /* static text: why destructive or needs_empty */
};

struct db_diff {
    struct db_op *ops;
    size_t n, cap;
    const struct db_schema *target;   /* the two schemas compared */
    const struct db_schema *current;
};

#define DB_DIFF_INIT {NULL, 0, 0, NULL, NULL}

enum {
    DB_DIFF_COMMENTS = 1 << 0,  /* a comment above each op, louder above
                                   destructive ones */
    DB_DIFF_ONLINE = 1 << 1,    /* the dialect's online forms where it has
                                   them (driver.h: render_online) */
};

/*
 * Fills out with the operations turning current into target, normalised
 * for dialect d. Returns 0, DB_ENOMEM, or DB_EUSAGE (foreign-key cycle).
 * Free with db_diff_free.
 */
int db_diff_schemas(struct db_diff *out, const struct db_schema *target,
                    const struct db_schema *current, enum db_dialect d,
                    struct db_error *err);

/*
 * db_diff_schemas for schemas read from a database of dialect reflected
 * and rendered for d (autogenerate writes every dialect's SQL from one
 * database): where reflected's integer primary key is the rowid, an
 * autoincrement key carries no width there, so keys of any integer width
 * compare equal for d too.
 */
int db_diff_schemas_from(struct db_diff *out, const struct db_schema *target,
                         const struct db_schema *current, enum db_dialect d,
                         enum db_dialect reflected, struct db_error *err);

/* NULL-safe; leaves d empty. */
void db_diff_free(struct db_diff *d);

/* Whether any operation is destructive. */
bool db_diff_destructive(const struct db_diff *d);

/* One human line for an operation, without newline:
 * `add column "tasks"."priority" INTEGER NOT NULL DEFAULT 0`. */
void db_diff_describe(struct db_buf *out, const struct db_op *op,
                      enum db_dialect d);

/* "create table", "drop column", ... */
const char *db_op_kind_name(enum db_op_kind k);

/* Whether op i is done by rebuilding its table (SQLite only). */
bool db_diff_rebuilds(const struct db_diff *diff, size_t i,
                      enum db_dialect d);

/* Whether DB_DIFF_ONLINE writes some operation in an online form (the
 * section then carries the dialect's online_option). */
bool db_diff_any_online(const struct db_diff *diff, enum db_dialect d);

/* The dialect's guards (driver.h: render_guard) for the operations
 * written in online forms, with a comment above each when DB_DIFF_COMMENTS
 * is in flags; whether it wrote any. A guard runs before the revision, so
 * a check on a table whose columns the diff adds or retypes has none (its
 * validation alone decides). */
bool db_diff_render_guards(struct db_buf *out, const struct db_diff *diff,
                           enum db_dialect d, unsigned flags);

/* Whether any operation is done by a rebuild. */
bool db_diff_any_rebuild(const struct db_diff *diff, enum db_dialect d);

/*
 * The SQL of every operation, in order, for dialect d; a table rebuilt on
 * SQLite appears once. Returns 0 or DB_ENOMEM.
 */
int db_diff_render(struct db_buf *out, const struct db_diff *diff,
                   enum db_dialect d, unsigned flags, struct db_error *err);

/*
 * The SQL that does operation i alone; for an operation done by a rebuild,
 * the whole rebuild of its table. Returns 0 or DB_ENOMEM.
 */
int db_diff_render_op(struct db_buf *out, const struct db_diff *diff,
                      size_t i, enum db_dialect d, struct db_error *err);

struct db_reflection;

/*
 * For an operation that adds a constraint (a check, an enumeration or
 * fewer of its values): the number of rows of c's table that break it,
 * into *out; 0 for other operations. Returns 0 or the database's error.
 */
int db_diff_violations(long *out, struct db_conn *c, const struct db_op *op,
                       struct db_error *err);

/*
 * What turns c's database into the models: reflects the models' tables
 * (all_tables: every table of the database, so those missing from the
 * models show as drops) into *r and diffs models against it for c's
 * dialect. Returns 0 (free both with db_diff_free and
 * db_reflection_free), DB_ENOMEM or the database's error (*r is NULL and
 * out empty).
 */
int db_diff_live(struct db_diff *out, struct db_reflection **r,
                 struct db_conn *c, const struct db_schema *models,
                 bool all_tables, struct db_error *err);

/*
 * Applies the diff on c in one transaction (c must not be inside one).
 * On SQLite with a rebuild, foreign-key enforcement is off around the
 * transaction and PRAGMA foreign_key_check must come back empty before
 * the commit. Returns 0, or the failing statement's error (nothing is
 * changed).
 */
int db_diff_apply(struct db_conn *c, const struct db_diff *diff,
                  struct db_error *err);

/*
 * Runs a rendered script in the transaction the caller holds, then checks
 * foreign keys on SQLite. For callers that reflect and diff inside their
 * own transaction.
 */
int db_diff__exec_checked(struct db_conn *c, const char *sql,
                          struct db_error *err);

#endif /* DB_DIFF_H */
