/*
 * render.h - SQL for one dialect from metadata.
 *
 * Every function appends complete statements, each ending in ";\n", to out.
 * Identifiers are quoted; default literals come from the model declarations.
 */
#ifndef DB_RENDER_H
#define DB_RENDER_H

#include "buf.h"
#include "dialect.h"
#include "error.h"
#include "schema.h"

enum {
    DB_RENDER_IF_NOT_EXISTS = 1 << 0,  /* CREATE ... IF NOT EXISTS */
    DB_RENDER_IF_EXISTS = 1 << 1,      /* DROP ... IF EXISTS */
};

/* The column's type as the dialect spells it ("VARCHAR(255)"). */
void db_render_type(struct db_buf *out, const struct db_column *col,
                    enum db_dialect d);

/* The column's type in the models' words, whatever the dialect
 * ("VARCHAR(255)", "NUMERIC(10,2)", "JSON"): what messages print. */
void db_render_type_name(struct db_buf *out, const struct db_column *col);

/* The quoted names of t's primary-key columns, comma-separated (for
 * PRIMARY KEY (...)). */
void db_render_pk_columns(struct db_buf *out, const struct db_table *t);

/* "ALTER TABLE "t" ", the start of every ALTER statement. */
void db_render_alter_table(struct db_buf *out, const char *table);

/* One column definition: name, type, NOT NULL, DEFAULT, inline key. */
void db_render_column(struct db_buf *out, const struct db_table *t,
                      const struct db_column *col, enum db_dialect d);

/* The DEFAULT expression alone ("'todo'", "CURRENT_TIMESTAMP"), or nothing. */
void db_render_default(struct db_buf *out, const struct db_column *col,
                       enum db_dialect d);

/* CONSTRAINT "fk_..." FOREIGN KEY (...) REFERENCES ... [ON DELETE ...], as
 * CREATE TABLE and ALTER TABLE ... ADD both write it. */
void db_render_fk_constraint(struct db_buf *out, const struct db_table *t,
                             const struct db_foreign_key *fk);

/* "col" IN ('a', 'b'): an enumeration's expression. */
void db_render_values_expr(struct db_buf *out, const struct db_column *col);

/* CONSTRAINT "ck_t_col" CHECK ("col" IN ('a', 'b')): an enumeration. */
void db_render_values_constraint(struct db_buf *out, const struct db_table *t,
                                 const struct db_column *col);

/* The check's expression for dialect d (its own, or the common one); for a
 * reflected check, its source when the database kept it, else the
 * database's own text. */
const char *db_render_check_expr(const struct db_check *ck, enum db_dialect d);

/* CONSTRAINT "ck_t_name" CHECK (expr), as CREATE TABLE and ALTER TABLE ...
 * ADD both write it. */
void db_render_check_constraint(struct db_buf *out, const struct db_table *t,
                                const struct db_check *ck, enum db_dialect d);

/* What keeps the check's expression as written, where the dialect keeps it
 * apart (PostgreSQL: a comment on the constraint); nothing elsewhere. */
void db_render_check_source(struct db_buf *out, const struct db_table *t,
                            const struct db_check *ck, enum db_dialect d);

void db_render_create_table(struct db_buf *out, const struct db_table *t,
                            enum db_dialect d, unsigned flags);
/* CREATE TABLE under another name (a rebuild's copy), its constraints
 * named as t's. */
void db_render_create_table_as(struct db_buf *out, const struct db_table *t,
                               const char *name, enum db_dialect d,
                               unsigned flags);
void db_render_create_index(struct db_buf *out, const struct db_table *t,
                            const struct db_index *ix, enum db_dialect d,
                            unsigned flags);
void db_render_drop_table(struct db_buf *out, const char *table,
                          enum db_dialect d, unsigned flags);
void db_render_drop_index(struct db_buf *out, const char *index,
                          enum db_dialect d, unsigned flags);

/* Every table (in foreign-key order) and then its indexes. */
int db_render_create_all(struct db_buf *out, const struct db_schema *s,
                         enum db_dialect d, unsigned flags,
                         struct db_error *err);

/* Drops every table of s, dependents first. */
int db_render_drop_all(struct db_buf *out, const struct db_schema *s,
                       enum db_dialect d, unsigned flags,
                       struct db_error *err);

#endif /* DB_RENDER_H */
