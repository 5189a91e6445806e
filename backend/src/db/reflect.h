/*
 * reflect.h - the live database, read back into the models' metadata types.
 *
 * Reflection is normalised so that a database created from the models
 * compares equal to them (see diff.h): declared types map back to enum
 * db_type, defaults to enum db_default_kind, an INTEGER PRIMARY KEY (SQLite)
 * or an identity column (PostgreSQL) to .autoincrement, and every index,
 * unique index and foreign key is named (SQLite's pragmas give foreign keys
 * no name: they get the fk_ convention's). Internal objects are skipped:
 * sqlite_* tables, SQLite's automatic indexes, primary-key indexes.
 *
 * Everything reflected is owned by the returned struct db_reflection and
 * freed at once with db_reflection_free.
 */
#ifndef DB_REFLECT_H
#define DB_REFLECT_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "buf.h"
#include "driver.h"
#include "error.h"
#include "schema.h"

/* The prefix of the migration version tables, ignored unless asked for. */
#define DB_VERSION_TABLE_PREFIX "app_version"

enum {
    /* with only == NULL: keep the version tables (app_version*) too */
    DB_REFLECT_VERSION_TABLES = 1 << 0,
};

struct db_reflection {
    struct db_schema schema;   /* tables ordered by name */
    struct db_arena arena;     /* owns schema and everything it points to */
};

/*
 * Reflects the tables of the connection's database (on PostgreSQL, of
 * cfg->schema). With only != NULL, just the tables that only names (those
 * that exist): the fast path for start-up and check. With only == NULL,
 * every table but internal ones and the version tables. Returns 0,
 * DB_ENOMEM, DB_ESQL, or DB_EUSAGE when the driver cannot reflect.
 * Free *out with db_reflection_free.
 */
int db_reflect(struct db_reflection **out, struct db_conn *c,
               const struct db_schema *only, unsigned flags,
               struct db_error *err);

/* NULL-safe. */
void db_reflection_free(struct db_reflection *r);

/*
 * For drivers: collects tables row by row (rows for one table usually come
 * together) and turns them into arena-owned metadata at the end.
 */
struct db_reflect_builder;

int db_reflect__builder_new(struct db_reflect_builder **out,
                            struct db_arena *arena, struct db_error *err);
void db_reflect__builder_free(struct db_reflect_builder *b);

/* The table named name, added (with no columns) if new. NULL on no memory. */
struct db_reflect_table *db_reflect__table(struct db_reflect_builder *b,
                                           const char *name);
/* The table named name if it was added; NULL otherwise. */
struct db_reflect_table *db_reflect__find(struct db_reflect_builder *b,
                                          const char *name);

/* Appends a copy of col (its strings copied into the arena). */
int db_reflect__add_column(struct db_reflect_table *t,
                           const struct db_column *col);
/* Appends an index with ncols columns (copied). */
int db_reflect__add_index(struct db_reflect_table *t, const char *name,
                          bool unique, const char *const *cols, size_t ncols);
/* Appends a copy of fk; a NULL name gets the fk_ convention's. */
int db_reflect__add_fk(struct db_reflect_table *t,
                       const struct db_foreign_key *fk);

/* Appends a check: its constraint name, the expression as the database
 * reports it and, where the database keeps it, as written (else NULL).
 * Checks named as an enumeration's (ck_<table>_<column>) whose expression
 * is the column IN (values) become the column's .values at the end. */
int db_reflect__add_check(struct db_reflect_table *t, const char *constraint,
                          const char *expr, const char *source);
/* Appends something on the table the models cannot say (struct
 * db_unmanaged: its description, and what writes it again or NULL). */
int db_reflect__add_unmanaged(struct db_reflect_table *t, const char *what,
                              const char *sql, bool clause);

/* Index rows as catalogs list them (one per column, in order, the rows of
 * one index together) gathered into whole indexes. Zero-initialise. */
struct db_reflect_index_rows {
    char index[DB_NAME_MAX * 2];
    char table[DB_NAME_MAX * 2];
    bool unique;
    bool expr;             /* a column is an expression: the index is skipped */
    const char *cols[64];  /* owned copies */
    size_t ncols;
    char *sql;             /* owned; the index's statement when known */
};

/* One row: column NULL for an expression. A new index name adds the one
 * collected before. Returns 0 or DB_ENOMEM. */
int db_reflect__index_row(struct db_reflect_index_rows *r,
                          struct db_reflect_builder *b, const char *table,
                          const char *index, bool unique, const char *column);

/* Adds the index collected so far (after the last row) and empties r; with
 * b NULL it only frees what r holds. Returns 0 or DB_ENOMEM. */
int db_reflect__index_flush(struct db_reflect_index_rows *r,
                            struct db_reflect_builder *b);

/* Foreign-key rows as catalogs list them (one per column, in order, the
 * rows of one key together) gathered into whole keys. Zero-initialise. */
struct db_reflect_fk_rows {
    char table[DB_NAME_MAX * 2];
    char key[DB_NAME_MAX * 2];   /* the catalog's name or id of the key */
    char name[DB_NAME_MAX * 2];  /* "": the fk_ convention's */
    struct db_foreign_key fk;    /* ref_table owned; columns at the flush */
    char *cols[33], *refs[33];   /* owned copies */
    size_t n;
};

/* One row of key (of table) pairing column with ref_column; head gives
 * the key's name (NULL: the convention's), referenced table and actions.
 * A new table or key, or start, adds the key collected before. Returns 0
 * or DB_ENOMEM. */
int db_reflect__fk_row(struct db_reflect_fk_rows *r,
                       struct db_reflect_builder *b, const char *table,
                       const char *key, bool start,
                       const struct db_foreign_key *head, const char *column,
                       const char *ref_column);

/* Adds the key collected so far (after the last row) and empties r; with
 * b NULL it only frees what r holds. Returns 0 or DB_ENOMEM. */
int db_reflect__fk_flush(struct db_reflect_fk_rows *r,
                         struct db_reflect_builder *b);

/* Names as JSON strings, comma-separated, without brackets: the table lists
 * both drivers hand to json_each / json_array_elements_text as $n. */
void db_reflect__json_names(struct db_buf *out, const char *const *names,
                            size_t n);

/* The columns of t added so far, for drivers that complete them. */
struct db_column *db_reflect__columns(struct db_reflect_table *t,
                                      size_t *n);

/* Moves the collected tables, ordered by name, into out (arena-owned). */
int db_reflect__finish(struct db_schema *out, struct db_reflect_builder *b,
                       struct db_error *err);

/*
 * A declared type ("VARCHAR(255)", "character varying(255)", "bigint",
 * "numeric(10,2)", "timestamp with time zone", "DATETIME", ...) into the
 * column's type, length, precision and scale. A type of no alias: with
 * affinity (a database that reads any declared type by SQLite's affinity
 * rules), the type those rules give; without, DB_TYPE_NONE_ with
 * .declared_type pointing at declared (copied by db_reflect__add_column),
 * so that it is reported by its own name rather than misread.
 */
void db_reflect__type(struct db_column *col, const char *declared,
                      bool affinity);

/*
 * A default expression as the database reports it ("'todo'",
 * "'todo'::character varying", "CURRENT_TIMESTAMP", "now()", "0", "true",
 * "CURRENT_DATE", a dialect's uuid_sql) normalised for a column of the
 * given type; strings copied into arena.
 * Returns 1 when the expression is a sequence (nextval(...)), else 0.
 */
int db_reflect__default(struct db_default *out, struct db_arena *arena,
                        const char *expr, enum db_type type);

/*
 * SQLite keeps CHECK constraints only in the CREATE TABLE text: the
 * constraints of sql (sqlite_master.sql) go to fn one by one, with the
 * name of CONSTRAINT name (NULL when unnamed) and the body between the
 * parentheses (a CHECK's expression, a UNIQUE's columns; "" for a
 * column's UNIQUE). Text that does not scan ends it quietly. Returns 0,
 * DB_ENOMEM, or what fn returned when not 0.
 */
enum db_sqlite_constraint { DB_SQLITE_CHECK, DB_SQLITE_UNIQUE };
typedef int (*db_sqlite_constraint_fn)(void *ctx,
                                       enum db_sqlite_constraint kind,
                                       const char *name, const char *body);
int db_sqlite__table_constraints(const char *sql, db_sqlite_constraint_fn fn,
                                 void *ctx);

/* The drivers' reflect ops (struct db_driver.reflect). */
int db_sqlite__reflect(struct db_conn *c, struct db_arena *arena,
                       const char *const *tables, size_t ntables,
                       struct db_schema *out, struct db_error *err);
int db_postgres__reflect(struct db_conn *c, struct db_arena *arena,
                         const char *const *tables, size_t ntables,
                         struct db_schema *out, struct db_error *err);

#endif /* DB_REFLECT_H */
