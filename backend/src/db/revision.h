/*
 * revision.h - revision files: parse one file, split SQL into statements.
 *
 * A revision is one file migrations/versions/<id>_<slug>.sql:
 *
 *   -- revision: 0002
 *   -- down_revision: 0001          (absent for the first; a merge names
 *   -- message: add phone to users    several, separated by commas)
 *
 *   -- +upgrade
 *   ALTER TABLE "users" ADD COLUMN "phone" TEXT;
 *
 *   -- +downgrade
 *   ALTER TABLE "users" DROP COLUMN "phone";
 *
 * Header lines come before the first section; other comment lines there are
 * ignored. A section marker may add "dialect=sqlite" or "dialect=postgresql"
 * (the block then runs only there) and "transaction=false" (its statements
 * run outside a transaction, each committing on its own; the revision's
 * other blocks then run each in a transaction of its own). A direction
 * may have a block per dialect plus
 * one for every database; they run in file order. A file with no
 * "-- +downgrade" cannot be downgraded; an empty one downgrades doing
 * nothing.
 *
 * The checksum is the SHA-256 of the whole file's bytes.
 */
#ifndef DB_REVISION_H
#define DB_REVISION_H

#include <stdbool.h>
#include <stddef.h>

#include "driver.h"
#include "error.h"

#define DB_REVISION_ID_MAX 64   /* bytes, with the NUL */

enum db_direction {
    DB_UPGRADE = 1,
    DB_DOWNGRADE = -1,
};

struct db_revision_block {
    enum db_direction direction;
    int dialect;        /* 0: every database; else an enum db_dialect */
    bool transaction;   /* false: "transaction=false" */
    bool fk_off;        /* "foreign_keys=off": SQLite runs the revision with
                           foreign-key enforcement off, then checks it */
    char *sql;          /* the text up to the next marker; owned */
    int line;           /* line of sql's first byte in the file */
};

struct db_revision {
    char id[DB_REVISION_ID_MAX];
    char (*down)[DB_REVISION_ID_MAX];  /* parents' ids; owned */
    size_t ndown;                      /* 0: a base; 2 or more: a merge */
    size_t *parents;                   /* indexes of down[] (graph.h) */
    char message[256];
    char *path;                        /* the file, for messages; owned */
    int header_line;                   /* line of "-- revision:" */
    int down_line;                     /* line of "-- down_revision:" */
    struct db_revision_block *blocks;  /* in file order; owned */
    size_t nblocks;
    bool has_downgrade;                /* some "-- +downgrade" block */
    char checksum[65];                 /* hex SHA-256 of the file */
    /* Recorded text whose blocks are not read yet (db_revision_from_head;
     * not owned): blocks is empty until db_revision_complete. */
    const char *pending;
    size_t pending_len;
};

/*
 * Parses one revision file: text is its content, len its length in bytes
 * (the checksum covers all of them). path is kept for messages; its base
 * name must start with the id followed by '_' or '.'. Returns 0, or
 * DB_EPARSE with file and line in err. Free with db_revision_clear.
 */
int db_revision_parse(struct db_revision *out, const char *path,
                      const char *text, size_t len, struct db_error *err);

/*
 * db_revision_parse of text that parsed before, with checksum (64 hex
 * digits) its SHA-256 as recorded then (revcache.h): the same revision,
 * without hashing text again or re-running the splitting checks that
 * passed then. Only for text whose integrity the caller verified.
 */
int db_revision_parse_recorded(struct db_revision *out, const char *path,
                               const char *text, size_t len,
                               const char *checksum, struct db_error *err);

/* A revision's header as a parse found it, kept in the revision record
 * (revcache.h). Strings are not NUL-terminated; down is the parents' ids
 * joined by ',' (empty for a base). */
struct db_revision_head {
    const char *id, *down, *message;
    size_t idlen, downlen, msglen;
    int header_line, down_line;
    bool has_downgrade;
};

/* The head of a parsed revision; down is written into buf (n bytes, at
 * least DB_REVISION_ID_MAX per parent). Returns 0, or -1 when buf is too
 * small. */
int db_revision_head_of(struct db_revision_head *h, const struct db_revision *r,
                        char *buf, size_t n);

/*
 * The revision whose file (path) held text with that recorded head and
 * checksum, without parsing text: its blocks stay pending in text (which
 * must outlive out until db_revision_complete). The head is checked as a
 * parse would (ids, parents, the file name): 0, or -1 when it does not
 * hold (out is then cleared; read the file instead).
 */
int db_revision_from_head(struct db_revision *out, const char *path,
                          const struct db_revision_head *h, const char *text,
                          size_t len, const char *checksum);

/* Reads r's pending blocks (see db_revision_parse_recorded); 0 when none
 * are pending. Returns 0 or DB_ENOMEM. */
int db_revision_complete(struct db_revision *r, struct db_error *err);

/* Reads and parses a file. Returns 0, DB_EIO or DB_EPARSE. */
int db_revision_load(struct db_revision *out, const char *path,
                     struct db_error *err);

/* Frees what a parsed revision owns; NULL-safe; leaves it zeroed. */
void db_revision_clear(struct db_revision *r);

/* Whether r asks for foreign-key enforcement off (SQLite table rebuilds)
 * in that direction and dialect. */
bool db_revision_needs_fk_off(const struct db_revision *r,
                              enum db_direction dir, enum db_dialect d);

/* Whether r runs anything outside a transaction in that direction and
 * dialect. */
bool db_revision_needs_no_tx(const struct db_revision *r,
                             enum db_direction dir, enum db_dialect d);

/*
 * Called for each statement of a script, without its final ';'. line is
 * the 1-based line of the statement's first byte. Return non-zero to stop.
 */
typedef int (*db_statement_fn)(void *ctx, const char *stmt, size_t len,
                               int line);

/*
 * Splits SQL text into statements at ';' as the database's own shell does
 * (psql, sqlite3), outside string literals ('' doubled), quoted identifiers
 * ("" doubled), -- and block comments, and the BEGIN ... END body of
 * CREATE TRIGGER / FUNCTION / PROCEDURE. Per dialect:
 *   PostgreSQL: block comments nest; E'' strings take backslash escapes;
 *     dollar quotes ($$ and $tag$); a ';' inside parentheses does not end
 *     the statement (CREATE RULE ... DO ALSO (INSERT ...; INSERT ...)).
 *   SQLite: a block comment ends at the first close, whatever it opened
 *     inside; identifiers may also be quoted with [] and ``.
 * Statements of nothing but comments and spaces are skipped; the last one
 * needs no ';'. first_line is the line of sql's first byte. Returns 0, what
 * fn returned, or DB_EPARSE for an unterminated quote or comment (err's
 * line says where it starts).
 */
int db_sql_split(const char *sql, enum db_dialect dialect, int first_line,
                 db_statement_fn fn, void *ctx, struct db_error *err);

/*
 * Checks r's blocks for dir that run on d with d's splitting rules: no
 * unterminated quote or comment, no transaction statement (BEGIN, COMMIT,
 * ...). db_revision_parse checks what it can without knowing the database;
 * the migration engine calls this before it runs anything. Returns 0 or
 * DB_EPARSE with file and line in err.
 */
int db_revision_check(const struct db_revision *r, enum db_direction dir,
                      enum db_dialect d, struct db_error *err);

/* "'CREATE TABLE x (...'": the first line of stmt, cut to fit n. */
void db_sql_excerpt(char *out, size_t n, const char *stmt, size_t len);

/* Prefixes err's message with the statement that failed ("statement
 * 'CREATE ...' failed: ") and sets its place to path:line. */
void db_sql_statement_failed(struct db_error *err, const char *path, int line,
                             const char *stmt, size_t len);

#endif /* DB_REVISION_H */
