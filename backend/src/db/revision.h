/*
 * revision.h - revision files: parse, split into statements, build the graph.
 *
 * A revision is one file migrations/versions/<id>_<slug>.sql:
 *
 *   -- revision: 20261121201500
 *   -- down_revision: 20261120093000      ("none" for a base; a merge names
 *   -- message: add the tags table          several, separated by commas)
 *
 *   -- migrate:up
 *   CREATE TABLE "tags" (...);
 *
 *   -- migrate:down
 *   DROP TABLE "tags";
 *
 * Header lines come before "-- migrate:up"; other comment lines there are
 * ignored. A file without "-- migrate:down" cannot be downgraded; an empty
 * down section is a downgrade that runs nothing. Either marker may carry
 * "transaction:false": its statements then run one by one outside a
 * transaction (for CREATE INDEX CONCURRENTLY and the like).
 *
 * The checksum is the SHA-256 of the up section's text: editing the SQL of a
 * revision that was already applied is detected by upgrade.
 */
#ifndef DB_REVISION_H
#define DB_REVISION_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define DB_REVISION_ID_MAX 64   /* bytes, with the NUL */
#define DB_REVISION_DIR "versions"

struct db_revision_section {
    char *sql;          /* the text between its marker and the next; owned */
    int line;           /* line of the first byte of sql in the file */
    bool transaction;   /* false: "transaction:false" on the marker */
};

struct db_revision {
    char id[DB_REVISION_ID_MAX];
    char (*down)[DB_REVISION_ID_MAX];  /* parents' ids; owned */
    size_t ndown;                      /* 0: a base; 2 or more: a merge */
    size_t *parents;                   /* indexes of down[] in the graph */
    char message[256];
    char path[1024];
    struct db_revision_section up;
    struct db_revision_section down_sql;
    bool has_down;                     /* "-- migrate:down" present */
    char checksum[65];                 /* hex SHA-256 of up.sql */
};

/*
 * Every revision of a directory, in topological order: each revision
 * comes after all its parents; between unrelated revisions, the smaller
 * id first. Indexes into revs are stable for the graph's life.
 */
struct db_revision_graph {
    struct db_revision *revs;
    size_t n;
    char dir[1024];
};

/*
 * Parses one revision file's text. path is used for messages and must
 * start (after its directory) with the revision's id followed by '_' or
 * '.'. Returns 0 or DB_EPARSE with file and line in err. On success free
 * with db_revision_clear.
 */
int db_revision_parse(struct db_revision *out, const char *path,
                      const char *text, struct db_error *err);

/* Frees what a parsed revision owns; NULL-safe; leaves it zeroed. */
void db_revision_clear(struct db_revision *r);

/*
 * Called for each statement of a script, without its final ';'. line is
 * the 1-based line of the statement's first byte, counted from the
 * script's first line being first_line. Return non-zero to stop.
 */
typedef int (*db_statement_fn)(void *ctx, const char *stmt, size_t len,
                               int line);

/*
 * Splits SQL text into statements at ';', outside quotes ('', "", E'',
 * $tag$), comments (--, nested block comments) and the BEGIN ... END body
 * of CREATE TRIGGER / FUNCTION / PROCEDURE. Statements with nothing but
 * comments and spaces are skipped; the last one needs no ';'. Returns 0,
 * what fn returned, or DB_EPARSE (an unterminated quote or comment; err's
 * line says where it starts).
 */
int db_sql_split(const char *sql, int first_line, db_statement_fn fn,
                 void *ctx, struct db_error *err);

/*
 * Reads every *.sql file of dir (files starting with '.' or '_' are
 * skipped), parses them and builds the graph: ids unique, every parent
 * present, no cycle. An absent directory is an empty graph. Returns 0,
 * DB_EPARSE, DB_EGRAPH (with the file named) or DB_EIO. Free with
 * db_revision_graph_free.
 */
int db_revision_graph_load(struct db_revision_graph **out, const char *dir,
                           struct db_error *err);

/* NULL-safe. */
void db_revision_graph_free(struct db_revision_graph *g);

/*
 * Finds a revision by id or by a unique prefix of at least 4 characters.
 * Returns its index, or DB_ENOTFOUND / DB_EUSAGE (ambiguous) with err set.
 */
int db_revision_find(size_t *out, const struct db_revision_graph *g,
                     const char *id, struct db_error *err);

/*
 * The heads: revisions no other revision names as parent, in graph order.
 * out must hold g->n entries. Returns the count.
 */
size_t db_revision_heads(size_t *out, const struct db_revision_graph *g);

/*
 * Marks in mark[] (g->n entries, set to 1) index i and all its ancestors.
 * Entries already set are left set.
 */
void db_revision_ancestors(unsigned char *mark,
                           const struct db_revision_graph *g, size_t i);

/*
 * Writes a new revision file into dir from the template text tmpl, which
 * may use ${revision}, ${down_revision}, ${message}, ${created}, ${up} and
 * ${down}. The id is the current UTC time as YYYYMMDDHHMMSS (a later second
 * if taken); the file is <id>_<slug of message>.sql. ndown parents (0 for
 * a base). up/down may be NULL for empty sections. The path written goes
 * to out_path. Returns 0, DB_EUSAGE (empty message) or DB_EIO.
 */
int db_revision_write(char *out_path, size_t n, const char *dir,
                      const char *tmpl, const char *message,
                      const char *const *down, size_t ndown, const char *up,
                      const char *down_sql, struct db_error *err);

/* The template used when migrations/script.sql.in is absent. */
extern const char db_revision_default_template[];

#endif /* DB_REVISION_H */
