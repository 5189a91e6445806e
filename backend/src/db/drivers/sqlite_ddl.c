/*
 * sqlite_ddl.c - the constraints of a CREATE TABLE statement as SQLite keeps
 * it in sqlite_master.sql: SQLite reports CHECK constraints nowhere else.
 *
 * The text is outside input (any tool may have written the table), so the
 * scanner accepts anything: strings ('...'), quoted identifiers ("...",
 * `...`, [...]) and comments (line and block) are skipped whole, parentheses
 * are balanced, and whatever does not close ends the scan quietly.
 * tests/fuzz/fuzz_sqlite_ddl.c runs it on arbitrary bytes.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../reflect.h"

/* Past a string, quoted identifier or comment starting at p; p itself
 * when none starts there; NULL when one is left open. */
static const char *skip_quoted(const char *p)
{
    char close = 0;
    if (*p == '\'' || *p == '"' || *p == '`')
        close = *p;
    else if (*p == '[')
        close = ']';
    if (close) {
        for (p++; *p; p++)
            if (*p == close) {
                if (close != ']' && p[1] == close)
                    p++;
                else
                    return p + 1;
            }
        return NULL;
    }
    if (p[0] == '-' && p[1] == '-') {
        while (*p && *p != '\n')
            p++;
        return p;
    }
    if (p[0] == '/' && p[1] == '*') {
        const char *end = strstr(p + 2, "*/");
        return end ? end + 2 : NULL;
    }
    return p;
}

static int word_char(int c)
{
    return isalnum(c) || c == '_' || c == '$' || (c & 0x80);
}

/* The matching ')' of the '(' at p, or NULL. */
static const char *close_paren(const char *p)
{
    int depth = 0;
    while (*p) {
        const char *q = skip_quoted(p);
        if (!q)
            return NULL;
        if (q != p) {
            p = q;
            continue;
        }
        if (*p == '(')
            depth++;
        else if (*p == ')' && --depth == 0)
            return p;
        p++;
    }
    return NULL;
}

/* An identifier at p (quoted or bare) into out, unquoted; returns what
 * follows, or NULL when there is none. */
static const char *read_ident(const char *p, char *out, size_t n)
{
    while (isspace((unsigned char)*p))
        p++;
    size_t len = 0;
    if (*p == '"' || *p == '`' || *p == '[') {
        char close = *p == '[' ? ']' : *p;
        const char *end = skip_quoted(p);
        if (!end)
            return NULL;
        for (const char *c = p + 1; c < end - 1; c++) {
            if (*c == close && close != ']' && c + 1 < end - 1 &&
                c[1] == close)
                c++;
            if (len + 1 < n)
                out[len++] = *c;
        }
        out[len] = '\0';
        return end;
    }
    const char *s = p;
    while (word_char((unsigned char)*p)) {
        if (len + 1 < n)
            out[len++] = *p;
        p++;
    }
    out[len] = '\0';
    return p == s ? NULL : p;
}

static int is_kw(const char *w, size_t len, const char *kw)
{
    return strlen(kw) == len && strncasecmp(w, kw, len) == 0;
}

/* Whether kw (upper case) appears in sql as a word, quoted or not. */
static int mentions(const char *sql, const char *kw)
{
    size_t len = strlen(kw);
    for (const char *p = sql; *p; p++)
        if ((*p & ~0x20) == kw[0] &&
            (p == sql || !word_char((unsigned char)p[-1])) &&
            strncasecmp(p, kw, len) == 0 &&
            !word_char((unsigned char)p[len]))
            return 1;
    return 0;
}

int db_sqlite__table_constraints(const char *sql, db_sqlite_constraint_fn fn,
                                 void *ctx)
{
    /* what is reported starts with one of these words: a table without
     * them (most) is not scanned */
    if (!sql || (!mentions(sql, "CHECK") && !mentions(sql, "UNIQUE")))
        return 0;
    /* the column list: the first '(' outside quotes */
    const char *p = sql;
    while (*p && *p != '(') {
        const char *q = skip_quoted(p);
        if (!q)
            return 0;
        p = q == p ? p + 1 : q;
    }
    const char *end = *p ? close_paren(p) : NULL;
    if (!end)
        return 0;
    p++;
    char name[DB_NAME_MAX * 2];
    int named = 0;       /* CONSTRAINT name seen, for the next keyword */
    while (p < end) {
        const char *q = skip_quoted(p);
        if (!q || q > end)
            return 0;
        if (q != p) {
            named = 0; /* a quoted name or a string: not a keyword */
            p = q;
            continue;
        }
        unsigned char c = (unsigned char)*p;
        if (c == '(') {
            const char *close = close_paren(p);
            if (!close || close > end)
                return 0;
            p = close + 1; /* a type's (n), a DEFAULT (expr), ... */
            named = 0;
            continue;
        }
        if (c == ',') {
            named = 0;
            p++;
            continue;
        }
        if (!word_char(c)) {
            p++;
            continue;
        }
        const char *w = p;
        while (p < end && word_char((unsigned char)*p))
            p++;
        size_t len = (size_t)(p - w);
        if (is_kw(w, len, "CONSTRAINT")) {
            const char *after = read_ident(p, name, sizeof name);
            if (!after || after > end)
                return 0;
            p = after;
            named = 1;
            continue;
        }
        if (is_kw(w, len, "CHECK") || is_kw(w, len, "UNIQUE")) {
            int check = is_kw(w, len, "CHECK");
            const char *open = p;
            while (open < end && isspace((unsigned char)*open))
                open++;
            const char *close = NULL;
            if (open < end && *open == '(') {
                close = close_paren(open);
                if (!close || close > end)
                    return 0;
            } else if (check) {
                named = 0;
                continue; /* CHECK without its expression: not SQL */
            }
            /* UNIQUE on a column has no list: the body is empty */
            size_t blen = close ? (size_t)(close - open - 1) : 0;
            char *body = malloc(blen + 1);
            if (!body)
                return DB_ENOMEM;
            if (blen)
                memcpy(body, open + 1, blen);
            body[blen] = '\0';
            int rc = fn(ctx, check ? DB_SQLITE_CHECK : DB_SQLITE_UNIQUE,
                        named ? name : NULL, body);
            free(body);
            if (rc)
                return rc;
            if (close)
                p = close + 1;
            named = 0;
            continue;
        }
        named = 0;
    }
    return 0;
}
