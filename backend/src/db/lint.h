/*
 * lint.h - what a revision does to a live database, before it runs.
 *
 * The upgrade sections of a revision that run on a dialect with a parser
 * (driver.h: parser_module; PostgreSQL's is libpg_query, the server's own
 * grammar) are split into statements, each parsed into the database's parse
 * tree, and every rule of the table below looks at the nodes: an index
 * built without CONCURRENTLY, a column type change that rewrites the table,
 * a foreign key validated under lock, a rename that breaks the code still
 * serving, and so on. Sections for a dialect without a parser (SQLite) are
 * not linted.
 *
 * "Existing table" means one the file does not create: a table created
 * earlier in the same file is empty, and nothing serves from it yet.
 *
 * A comment line "-- lint: ignore RULE reason" directly above a statement
 * (one per rule, several lines allowed) silences that rule's finding on
 * that statement; the reason is required and kept in the report.
 */
#ifndef DB_LINT_H
#define DB_LINT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "error.h"
#include "revision.h"

enum db_lint_severity {
    DB_LINT_WARNING = 1,
    DB_LINT_ERROR = 2,
};

struct db_lint_ctx;
struct db_lint_stmt;

struct db_lint_rule {
    const char *id;                   /* "create-index-not-concurrent" */
    enum db_lint_severity severity;
    /* Looks at one parsed statement (NULL: the engine reports the rule). */
    void (*check)(struct db_lint_ctx *ctx, const struct db_lint_stmt *st);
    const char *effect;               /* what happens on a live database */
    const char *recipe;               /* the safe way */
};

/* The rule table, in a fixed order; *n gets its length. */
const struct db_lint_rule *db_lint_rules(size_t *n);

/* A rule by id; NULL if none. */
const struct db_lint_rule *db_lint_rule_find(const char *id);

/* "error" / "warning"; db_lint_severity_parse returns 0 or DB_EUSAGE. */
const char *db_lint_severity_name(enum db_lint_severity s);
int db_lint_severity_parse(enum db_lint_severity *out, const char *text);

struct db_lint_finding {
    const struct db_lint_rule *rule;
    char *file;       /* owned */
    int line;         /* the statement's first line */
    char *subject;    /* what it is about ("index on \"t\""); owned */
    char *reason;     /* the ignore comment's reason, NULL if not silenced */
};

struct db_lint_report {
    struct db_lint_finding *v;
    size_t n, cap;
    size_t nfiles;    /* revisions linted */
    size_t nstmts;    /* statements parsed */
};

struct db_lint_opts {
    /* The session's lock_timeout when a revision starts (the configured
     * [database] lock_timeout), 0 for none. */
    int lock_timeout_ms;
};

/*
 * Lints r's upgrade sections for every dialect with a parser, appending
 * findings to rep in file order. Loads the parser's module on first use.
 * Returns 0 (findings or not), DB_EPARSE when a section cannot be split,
 * DB_ENOTFOUND when the parser's module cannot be loaded, or DB_ENOMEM.
 */
int db_lint_revision(struct db_lint_report *rep, const struct db_revision *r,
                     const struct db_lint_opts *opts, struct db_error *err);

/* Findings not silenced at severity at_least or above. */
size_t db_lint_count(const struct db_lint_report *rep,
                     enum db_lint_severity at_least);

/* Findings silenced by an ignore comment. */
size_t db_lint_ignored(const struct db_lint_report *rep);

/*
 * Appends one finding as one line with its newline:
 *   FILE:LINE: SEVERITY RULE: SUBJECT: EFFECT; fix: RECIPE
 *   FILE:LINE: ignored RULE: SUBJECT (reason: REASON)
 */
void db_lint_format(struct db_buf *out, const struct db_lint_finding *f);

/* Appends the summary line with its newline: "lint: 2 revisions, 9
 * statements: 1 error, 0 warnings, 1 ignored". */
void db_lint_summary(struct db_buf *out, const struct db_lint_report *rep);

/* Frees what rep owns; leaves it empty. */
void db_lint_report_free(struct db_lint_report *rep);

#endif /* DB_LINT_H */
