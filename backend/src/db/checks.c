/*
 * checks.c - CHECK expressions compared as the databases report them, and
 * an enumeration's values read back from its check.
 *
 * SQLite keeps a CHECK's text as written; PostgreSQL deparses it: it adds
 * parentheses and type casts, and writes IN (...) as = ANY (ARRAY[...]).
 * Both are brought to one normal form: tokens, identifiers unquoted and
 * unquoted words lower-case, string literals kept exactly, casts and
 * parentheses dropped, "= ANY ARRAY [ ... ]" read as "IN ...", "!=" as
 * "<>". Dropping parentheses makes "(a OR b) AND c" and "a OR (b AND c)"
 * alike: a change of grouping alone is not seen where the database keeps
 * no source text (see db_check_same_expr).
 */
#include "schema.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

enum tok_kind { T_WORD, T_QUOTED, T_STRING, T_NUMBER, T_OP, T_OPEN, T_CLOSE,
                T_COMMA, T_LBRACKET, T_RBRACKET, T_CAST };

struct tok {
    enum tok_kind kind;
    char *text;   /* malloc'd; words lower-case, quotes removed */
};

struct toks {
    struct tok *v;
    size_t n, cap;
    int nomem;
};

static void toks_free(struct toks *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i].text);
    free(t->v);
    t->v = NULL;
    t->n = t->cap = 0;
}

static void push(struct toks *t, enum tok_kind kind, const char *s, size_t len)
{
    if (t->nomem)
        return;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        struct tok *p = realloc(t->v, cap * sizeof *p);
        if (!p) {
            t->nomem = 1;
            return;
        }
        t->v = p;
        t->cap = cap;
    }
    char *text = malloc(len + 1);
    if (!text) {
        t->nomem = 1;
        return;
    }
    memcpy(text, s, len);
    text[len] = '\0';
    if (kind == T_WORD)
        for (size_t i = 0; i < len; i++)
            text[i] = (char)tolower((unsigned char)text[i]);
    t->v[t->n].kind = kind;
    t->v[t->n].text = text;
    t->n++;
}

static int word_char(int c)
{
    return isalnum(c) || c == '_' || c == '$' || (c & 0x80);
}

/* A quoted token from p (at the opening quote) into buf, unescaped;
 * returns what follows, or NULL when it does not close. */
static const char *quoted(const char *p, char close, struct db_buf *buf)
{
    db_buf_reset(buf);
    for (p++; *p; p++) {
        if (*p == close) {
            if (close != ']' && p[1] == close) {
                p++;
            } else {
                return p + 1;
            }
        }
        db_buf_putn(buf, p, 1);
    }
    return NULL;
}

/* Splits expr into tokens; a string or identifier left open ends it. */
static void tokenize(struct toks *t, const char *p)
{
    struct db_buf buf = DB_BUF_INIT;
    while (*p && !t->nomem) {
        unsigned char c = (unsigned char)*p;
        if (isspace(c)) {
            p++;
        } else if (c == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
        } else if (c == '/' && p[1] == '*') {
            const char *end = strstr(p + 2, "*/");
            p = end ? end + 2 : p + strlen(p);
        } else if (c == '\'' || c == '"' || c == '`' || c == '[') {
            if (c == '[' && t->n > 0 &&
                (t->v[t->n - 1].kind == T_WORD ||
                 t->v[t->n - 1].kind == T_CLOSE)) {
                /* PostgreSQL's ARRAY[...], not SQLite's [identifier] */
                push(t, T_LBRACKET, "[", 1);
                p++;
                continue;
            }
            char close = c == '[' ? ']' : (char)c;
            const char *q = quoted(p, close, &buf);
            if (!q || !db_buf_ok(&buf))
                break;
            push(t, c == '\'' ? T_STRING : T_QUOTED, db_buf_str(&buf),
                 buf.len);
            p = q;
        } else if (isdigit(c) || (c == '.' && isdigit((unsigned char)p[1]))) {
            const char *s = p;
            while (isalnum((unsigned char)*p) || *p == '.')
                p++;
            push(t, T_NUMBER, s, (size_t)(p - s));
        } else if (word_char(c)) {
            const char *s = p;
            while (word_char((unsigned char)*p))
                p++;
            push(t, T_WORD, s, (size_t)(p - s));
        } else if (c == ':' && p[1] == ':') {
            push(t, T_CAST, "::", 2);
            p += 2;
        } else if (c == '(' || c == ')' || c == ',' || c == ']') {
            enum tok_kind k = c == '(' ? T_OPEN : c == ')' ? T_CLOSE
                              : c == ',' ? T_COMMA : T_RBRACKET;
            push(t, k, p, 1);
            p++;
        } else {
            const char *s = p;
            while (*p && strchr("<>=!+-*/%|&~^@#?:", *p) &&
                   !(p[0] == ':' && p[1] == ':') &&
                   !(p[0] == '-' && p[1] == '-' && p != s) &&
                   !(p[0] == '/' && p[1] == '*'))
                p++;
            if (p == s)
                p++; /* a character no token takes: as one operator */
            push(t, T_OP, s, (size_t)(p - s));
        }
    }
    db_buf_free(&buf);
}

static int is_word(const struct toks *t, size_t i, const char *w)
{
    return i < t->n && t->v[i].kind == T_WORD && strcmp(t->v[i].text, w) == 0;
}

/* Past a type name after "::" at i: one or more words of a multi-word
 * type, a modifier in parentheses, array brackets. */
static size_t skip_type(const struct toks *t, size_t i)
{
    if (i < t->n && (t->v[i].kind == T_WORD || t->v[i].kind == T_QUOTED)) {
        const char *w = t->v[i].text;
        i++;
        if ((strcmp(w, "character") == 0 || strcmp(w, "bit") == 0) &&
            is_word(t, i, "varying"))
            i++;
        else if (strcmp(w, "double") == 0 && is_word(t, i, "precision"))
            i++;
        else if ((strcmp(w, "timestamp") == 0 || strcmp(w, "time") == 0) &&
                 (is_word(t, i, "with") || is_word(t, i, "without")) &&
                 is_word(t, i + 1, "time") && is_word(t, i + 2, "zone"))
            i += 3;
    }
    if (i < t->n && t->v[i].kind == T_OPEN) {
        size_t j = i + 1;
        while (j < t->n && (t->v[j].kind == T_NUMBER ||
                            t->v[j].kind == T_COMMA))
            j++;
        if (j < t->n && t->v[j].kind == T_CLOSE)
            i = j + 1;
    }
    while (i + 1 < t->n && t->v[i].kind == T_LBRACKET &&
           t->v[i + 1].kind == T_RBRACKET)
        i += 2;
    return i;
}

/* The normal form's tokens: casts and parentheses dropped, IN and <>. */
static void normalise(struct toks *t)
{
    size_t o = 0;
    for (size_t i = 0; i < t->n;) {
        struct tok *k = &t->v[i];
        if (k->kind == T_CAST) {
            size_t j = skip_type(t, i + 1);
            for (size_t x = i; x < j; x++)
                free(t->v[x].text);
            i = j;
            continue;
        }
        if (k->kind == T_OPEN || k->kind == T_CLOSE) {
            free(k->text);
            i++;
            continue;
        }
        if (k->kind == T_QUOTED)
            k->kind = T_WORD; /* "status" is status */
        if (k->kind == T_OP && strcmp(k->text, "!=") == 0)
            strcpy(k->text, "<>");
        t->v[o++] = *k;
        i++;
    }
    t->n = o;
    /* = any array [ ... ] -> in ... ; <> all array [ ... ] -> not in ... */
    o = 0;
    for (size_t i = 0; i < t->n;) {
        struct tok *k = &t->v[i];
        int eq = k->kind == T_OP && strcmp(k->text, "=") == 0 &&
                 is_word(t, i + 1, "any");
        int ne = k->kind == T_OP && strcmp(k->text, "<>") == 0 &&
                 is_word(t, i + 1, "all");
        if ((eq || ne) && is_word(t, i + 2, "array") && i + 3 < t->n &&
            t->v[i + 3].kind == T_LBRACKET) {
            size_t end = i + 4;
            while (end < t->n && t->v[end].kind != T_RBRACKET)
                end++;
            if (end < t->n) {
                free(t->v[i + 1].text);
                free(t->v[i + 2].text);
                free(t->v[i + 3].text);
                free(t->v[end].text);
                /* the operator becomes the word "in"; a word "not" before
                 * it takes the slot of "all" */
                char *w = realloc(k->text, 3);
                if (w) {
                    k->text = w;
                    strcpy(k->text, "in");
                }
                k->kind = T_WORD;
                struct tok in = *k;
                if (ne) {
                    t->v[i + 1].kind = T_WORD;
                    t->v[i + 1].text = malloc(4);
                    if (!w || !t->v[i + 1].text) {
                        for (size_t x = i + 4; x < end; x++)
                            free(t->v[x].text);
                        free(in.text);
                        free(t->v[i + 1].text);
                        for (size_t x = end + 1; x < t->n; x++)
                            free(t->v[x].text);
                        t->n = o;
                        t->nomem = 1;
                        return;
                    }
                    strcpy(t->v[i + 1].text, "not");
                    t->v[o++] = t->v[i + 1];
                }
                t->v[o++] = in;
                for (size_t x = i + 4; x < end; x++)
                    t->v[o++] = t->v[x];
                i = end + 1;
                continue;
            }
        }
        t->v[o++] = *k;
        i++;
    }
    t->n = o;
    /* a list of one: IN ('a') is = 'a', NOT IN ('a') is <> 'a', as
     * PostgreSQL writes them */
    o = 0;
    for (size_t i = 0; i < t->n; i++) {
        struct tok *k = &t->v[i];
        if (is_word(t, i, "in") && i + 1 < t->n &&
            (t->v[i + 1].kind == T_STRING || t->v[i + 1].kind == T_NUMBER) &&
            (i + 2 == t->n || t->v[i + 2].kind != T_COMMA)) {
            int neg = o > 0 && t->v[o - 1].kind == T_WORD &&
                      strcmp(t->v[o - 1].text, "not") == 0;
            if (neg)
                free(t->v[--o].text);
            char *w = realloc(k->text, 3);
            if (!w) {
                t->nomem = 1;
            } else {
                k->text = w;
                strcpy(k->text, neg ? "<>" : "=");
                k->kind = T_OP;
            }
        }
        t->v[o++] = *k;
    }
    t->n = o;
}

/* The normal form as one string (malloc'd), or NULL on no memory. */
static char *normal_form(const char *expr)
{
    struct toks t = {0};
    tokenize(&t, expr ? expr : "");
    if (!t.nomem)
        normalise(&t);
    struct db_buf out = DB_BUF_INIT;
    for (size_t i = 0; i < t.n && !t.nomem; i++) {
        if (i)
            db_buf_puts(&out, " ");
        if (t.v[i].kind == T_STRING)
            db_buf_literal(&out, t.v[i].text);
        else
            db_buf_puts(&out, t.v[i].text);
    }
    if (t.n == 0)
        db_buf_puts(&out, "");
    int bad = t.nomem || !db_buf_ok(&out);
    toks_free(&t);
    if (bad) {
        db_buf_free(&out);
        return NULL;
    }
    return out.data; /* owned by the caller */
}

bool db_check_same_expr(const struct db_check *a, const struct db_check *b)
{
    /* a model's check is its own source */
    const char *sa = a->constraint ? a->source : a->expr;
    const char *sb = b->constraint ? b->source : b->expr;
    const char *x = sa && sb ? sa : a->expr;
    const char *y = sa && sb ? sb : b->expr;
    char *nx = normal_form(x), *ny = normal_form(y);
    bool same = nx && ny && strcmp(nx, ny) == 0;
    if (!nx || !ny)
        same = x && y && strcmp(x, y) == 0;
    free(nx);
    free(ny);
    return same;
}

void db_values_free(char **values)
{
    for (char **v = values; v && *v; v++)
        free(*v);
    free(values);
}

int db_values_parse(char ***out, const char *expr, const char *column)
{
    *out = NULL;
    struct toks t = {0};
    tokenize(&t, expr ? expr : "");
    if (!t.nomem)
        normalise(&t);
    int rc = 0;
    if (t.nomem) {
        rc = DB_ENOMEM;
    } else if (t.n == 3 && t.v[0].kind == T_WORD &&
               strcmp(t.v[0].text, column) == 0 && t.v[1].kind == T_OP &&
               strcmp(t.v[1].text, "=") == 0 && t.v[2].kind == T_STRING) {
        /* a single value: column = 'a' */
        char **v = calloc(2, sizeof *v);
        if (!v) {
            rc = DB_ENOMEM;
        } else {
            v[0] = t.v[2].text;
            t.v[2].text = NULL;
            *out = v;
            rc = 1;
        }
    } else if (t.n >= 3 && t.v[0].kind == T_WORD &&
               strcmp(t.v[0].text, column) == 0 && is_word(&t, 1, "in") &&
               t.n % 2 == 1) {
        size_t nv = (t.n - 1) / 2;
        int ok = 1;
        for (size_t i = 2; i < t.n && ok; i++)
            ok = (i % 2 == 0) ? t.v[i].kind == T_STRING
                              : t.v[i].kind == T_COMMA;
        char **v = ok ? calloc(nv + 1, sizeof *v) : NULL;
        if (ok && !v)
            rc = DB_ENOMEM;
        for (size_t i = 0; v && i < nv; i++) {
            v[i] = t.v[2 + 2 * i].text;
            t.v[2 + 2 * i].text = NULL; /* moved */
        }
        if (v) {
            *out = v;
            rc = 1;
        }
    }
    toks_free(&t);
    return rc;
}
