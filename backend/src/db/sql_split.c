/*
 * sql_split.c - the statement splitter: SQL text into statements, by each
 * dialect's rules for quotes, comments and bodies (db/dialect.h), with the
 * line each statement starts on.
 */
#include "revision.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static int is_word_start(int ch)
{
    return isalpha(ch) || ch == '_';
}

static int is_word_char(int ch)
{
    return isalnum(ch) || ch == '_' || ch == '$';
}

static int word_is(const char *w, size_t n, const char *kw)
{
    return strlen(kw) == n && strncasecmp(w, kw, n) == 0;
}

static int unterminated(struct db_error *err, const char *what, int line)
{
    db_error_set(err, DB_EPARSE, "unterminated %s", what);
    db_error_at(err, "", line);
    db_error_hint(err, "close it; a quote or comment runs to the end of the "
                       "section");
    return DB_EPARSE;
}

/* A quoted run from p (at the opening quote) to one past its closing
 * quote: a doubled closing quote stands for itself, and with backslash a
 * backslash escapes the next byte. Returns NULL when it runs to the end. */
static const char *skip_quoted(const char *p, char close, int backslash,
                               int *line)
{
    p++;
    for (;;) {
        if (*p == '\0')
            return NULL;
        if (*p == '\n')
            ++*line;
        if (backslash && *p == '\\' && p[1]) {
            if (p[1] == '\n')
                ++*line;
            p += 2;
            continue;
        }
        if (*p == close) {
            if (p[1] == close) {
                p += 2;
                continue;
            }
            return p + 1;
        }
        p++;
    }
}

int db_sql_split(const char *sql, enum db_dialect dialect, int first_line,
                 db_statement_fn fn, void *ctx, struct db_error *err)
{
    /* PostgreSQL (psql's rules): block comments nest, E'' strings take
     * backslashes, $tag$ quotes, and ';' inside parentheses does not end
     * the statement. SQLite (the sqlite3 shell's): a block comment ends at
     * the first close, identifiers may also be quoted with [] and ``. */
    const struct db_split_rules *rules = db_dialect_split_rules(dialect);
    const char *p = sql;
    int line = first_line;
    const char *start = NULL;  /* first byte of the statement's content */
    const char *last = NULL;   /* one past its last content byte */
    int start_line = 0;
    int nwords = 0, block = 0, depth = 0, parens = 0;

    for (;;) {
        char ch = *p;
        if (ch == '\0' || (ch == ';' && depth == 0 && parens == 0)) {
            if (start) {
                int rc = fn(ctx, start, (size_t)(last - start), start_line);
                if (rc)
                    return rc;
            }
            if (ch == '\0')
                return 0;
            p++;
            start = last = NULL;
            nwords = block = depth = parens = 0;
            continue;
        }
        if (ch == '\n') {
            line++;
            p++;
            continue;
        }
        if (isspace((unsigned char)ch)) {
            p++;
            continue;
        }
        if (ch == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
            continue;
        }
        /* psql meta-commands run to the end of their line. pg_dump writes
         * \restrict and \unrestrict around its scripts: they only limit
         * psql's own meta-commands, which the tool never runs, so they
         * are skipped; any other is refused. */
        if (rules->psql_meta && ch == '\\' && !start) {
            const char *w = p + 1;
            size_t n = strcspn(w, " \t\r\n");
            if (!word_is(w, n, "restrict") && !word_is(w, n, "unrestrict")) {
                db_error_set(err, DB_EPARSE, "psql meta-command '\\%.*s' in "
                             "a revision file", (int)(n > 30 ? 30 : n), w);
                db_error_at(err, "", line);
                db_error_hint(err, "the migration tool runs SQL statements "
                                   "only; remove the line or write it as SQL");
                return DB_EPARSE;
            }
            while (*p && *p != '\n')
                p++;
            continue;
        }
        if (ch == '/' && p[1] == '*') {
            int at = line, nest = 1;
            p += 2;
            while (*p && nest > 0) {
                if (*p == '\n')
                    line++;
                if (rules->nested_comments && p[0] == '/' && p[1] == '*') {
                    nest++;
                    p += 2;
                } else if (p[0] == '*' && p[1] == '/') {
                    nest--;
                    p += 2;
                } else {
                    p++;
                }
            }
            if (nest > 0)
                return unterminated(err, "block comment", at);
            continue;
        }
        /* Content from here on. */
        if (!start) {
            start = p;
            start_line = line;
        }
        if (ch == '\'' || ch == '"' ||
            (rules->bracket_idents && (ch == '`' || ch == '['))) {
            int at = line;
            int backslash = rules->e_strings && ch == '\'' && p > sql &&
                            (p[-1] == 'E' || p[-1] == 'e') &&
                            (p - 1 == sql || !is_word_char((unsigned char)p[-2]));
            const char *q = skip_quoted(p, ch == '[' ? ']' : ch, backslash,
                                        &line);
            if (!q)
                return unterminated(err, ch == '\'' ? "string"
                                                    : "quoted identifier",
                                    at);
            p = last = q;
            continue;
        }
        if (rules->dollar_quotes && ch == '$' &&
            (p[1] == '$' || is_word_start((unsigned char)p[1]))) {
            const char *t = p + 1;
            while (isalnum((unsigned char)*t) || *t == '_')
                t++;
            if (*t == '$') {
                size_t taglen = (size_t)(t - p) + 1;
                int at = line;
                const char *q = t + 1;
                for (;;) {
                    if (*q == '\0')
                        return unterminated(err, "dollar-quoted string", at);
                    if (*q == '\n')
                        line++;
                    if (*q == '$' && strncmp(q, p, taglen) == 0)
                        break;
                    q++;
                }
                p = q + taglen;
                last = p;
                continue;
            }
        }
        if (is_word_start((unsigned char)ch)) {
            const char *w = p;
            while (is_word_char((unsigned char)*p))
                p++;
            size_t n = (size_t)(p - w);
            nwords++;
            if (nwords == 1 && !word_is(w, n, "CREATE"))
                nwords = 100; /* not a CREATE: no block bodies */
            if (nwords <= 6 && (word_is(w, n, "TRIGGER") ||
                                word_is(w, n, "FUNCTION") ||
                                word_is(w, n, "PROCEDURE")))
                block = 1;
            if (block && (word_is(w, n, "BEGIN") || word_is(w, n, "CASE")))
                depth++;
            else if (block && word_is(w, n, "END") && depth > 0)
                depth--;
            last = p;
            continue;
        }
        if (rules->paren_groups && ch == '(')
            parens++;
        else if (rules->paren_groups && ch == ')' && parens > 0)
            parens--;
        p++; /* an operator, a digit, or ';' inside a body or parentheses */
        last = p;
    }
}

void db_sql_excerpt(char *out, size_t n, const char *stmt, size_t len)
{
    size_t k = 0;
    while (k < len && stmt[k] != '\n')
        k++;
    int cut = k < len;
    if (k > 60) {
        k = 60;
        cut = 1;
    }
    snprintf(out, n, "%.*s%s", (int)k, stmt, cut ? " ..." : "");
}

void db_sql_statement_failed(struct db_error *err, const char *path, int line,
                             const char *stmt, size_t len)
{
    char excerpt[128], msg[sizeof err->message];
    db_sql_excerpt(excerpt, sizeof excerpt, stmt, len);
    snprintf(msg, sizeof msg, "%s", err->message);
    snprintf(err->message, sizeof err->message, "statement '%s' failed: %s",
             excerpt, msg);
    db_error_at(err, path, line);
}
