/*
 * pgparse.c - PostgreSQL's own parser (libpg_query), for the linter.
 *
 * Built as the module pgparse.so (libpg_query is a few megabytes that only
 * `app db lint` and the commands that lint need), loaded on first use
 * through the dialect's parser_module/parser_symbol (driver.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pg_query.h>

/* Defined here, declared where it is looked up (lint.c) by its type. */
int db_pg_parse_json(const char *sql, char **json, char *msg, size_t n,
                     int *position);

/*
 * Parses sql (NUL-terminated) into PostgreSQL's parse tree as JSON. Returns
 * 0 with *json (malloc'd, the caller frees it), 1 for SQL PostgreSQL does
 * not accept (msg says why, *position is its 1-based byte offset, 0 if
 * unknown), or -1 when out of memory.
 */
int db_pg_parse_json(const char *sql, char **json, char *msg, size_t n,
                     int *position)
{
    *json = NULL;
    *position = 0;
    PgQueryParseResult r = pg_query_parse(sql);
    int rc = 0;
    if (r.error) {
        snprintf(msg, n, "%s", r.error->message ? r.error->message
                                                : "syntax error");
        *position = r.error->cursorpos;
        rc = 1;
    } else {
        *json = strdup(r.parse_tree ? r.parse_tree : "{}");
        if (!*json)
            rc = -1;
    }
    pg_query_free_parse_result(r);
    return rc;
}

/* ---- the rehearsal: a statement's transactional form ---- */

#include <pg_query/pg_query.pb-c.h>

/* Defined here, declared where it is looked up (rehearse.c) by its type. */
int db_pg_in_transaction(const char *sql, char **out, char *live, size_t n);

/* A REINDEX parameter that asks for CONCURRENTLY (given any number of
 * times, with or without a value). */
static int concurrently_param(const PgQuery__Node *p)
{
    return p && p->node_case == PG_QUERY__NODE__NODE_DEF_ELEM &&
           p->def_elem->defname &&
           strcmp(p->def_elem->defname, "concurrently") == 0;
}

/* Whether a parsed statement runs CONCURRENTLY. */
static int concurrent(const PgQuery__Node *node)
{
    if (!node)
        return 0;
    switch (node->node_case) {
    case PG_QUERY__NODE__NODE_INDEX_STMT:
        return node->index_stmt->concurrent;
    case PG_QUERY__NODE__NODE_DROP_STMT:
        return node->drop_stmt->concurrent;
    case PG_QUERY__NODE__NODE_REINDEX_STMT:
        for (size_t i = 0; i < node->reindex_stmt->n_params; i++)
            if (concurrently_param(node->reindex_stmt->params[i]))
                return 1;
        return 0;
    default:
        return 0;
    }
}

/* The statements of sql that run CONCURRENTLY: -1 when sql does not
 * parse (or out of memory: then *oom is set). */
static int count_concurrent(const char *sql, PgQuery__ParseResult **tree,
                            int *oom)
{
    *tree = NULL;
    PgQueryProtobufParseResult r = pg_query_parse_protobuf(sql);
    if (r.error) {
        pg_query_free_protobuf_parse_result(r);
        return -1;
    }
    *tree = pg_query__parse_result__unpack(NULL, r.parse_tree.len,
                                           (const uint8_t *)r.parse_tree.data);
    pg_query_free_protobuf_parse_result(r);
    if (!*tree) {
        *oom = 1;
        return -1;
    }
    int k = 0;
    for (size_t i = 0; i < (*tree)->n_stmts; i++)
        if ((*tree)->stmts[i] && concurrent((*tree)->stmts[i]->stmt))
            k++;
    return k;
}

/* Text to cut out of sql: [start, end), replaced by text (malloc'd; NULL
 * for nothing). */
struct cut {
    int start, end;
    char *text;
};

struct cuts {
    struct cut *v;
    size_t n, cap;
    const char *sql;
    PgQuery__ScanToken **tok;
    size_t ntok;
};

static int is_token(const struct cuts *c, size_t i, int token)
{
    return i < c->ntok && c->tok[i]->token == (PgQuery__Token)token;
}

/* The end of a cut that ends at end: the white space after it goes too,
 * up to the next token. */
static int past_space(const struct cuts *c, int end)
{
    while (c->sql[end] == ' ' || c->sql[end] == '\t' || c->sql[end] == '\n' ||
           c->sql[end] == '\r' || c->sql[end] == '\f' || c->sql[end] == '\v')
        end++;
    return end;
}

/* 0, or -1 when out of memory (text is freed either way on failure). */
static int add_cut(struct cuts *c, int start, int end, char *text)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 4;
        struct cut *v = realloc(c->v, cap * sizeof *v);
        if (!v) {
            free(text);
            return -1;
        }
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n++] = (struct cut){start, end, text};
    return 0;
}

/* The token that starts at byte at, or ntok. */
static size_t token_at(const struct cuts *c, int at)
{
    for (size_t i = 0; i < c->ntok; i++)
        if (c->tok[i]->start == at)
            return i;
    return c->ntok;
}

/* Whether byte at starts one of the REINDEX's CONCURRENTLY parameters. */
static int concurrently_at(const PgQuery__ReindexStmt *r, int at)
{
    for (size_t i = 0; i < r->n_params; i++)
        if (concurrently_param(r->params[i]) &&
            r->params[i]->def_elem->location == at)
            return 1;
    return 0;
}

/*
 * A REINDEX's parenthesized options without its CONCURRENTLY ones: the
 * list from its '(' (token open) to the matching ')' is replaced by the
 * options kept, each as written, or by nothing when none is left. 0, 1
 * when the tokens do not make such a list, -1 when out of memory.
 */
static int cut_options(struct cuts *c, const PgQuery__ReindexStmt *r,
                       size_t open)
{
    /* each option kept, as written, and ", " or "(" before it */
    char *text = malloc(3 * strlen(c->sql) + 3);
    if (!text)
        return -1;
    size_t tn = 0, first = open + 1;
    int depth = 0, kept = 0;
    for (size_t i = open + 1; i < c->ntok; i++) {
        int close = depth == 0 && is_token(c, i, PG_QUERY__TOKEN__ASCII_41);
        if (is_token(c, i, PG_QUERY__TOKEN__ASCII_40))
            depth++;
        else if (!close && is_token(c, i, PG_QUERY__TOKEN__ASCII_41))
            depth--;
        if (!close && !(depth == 0 && is_token(c, i, PG_QUERY__TOKEN__ASCII_44)))
            continue;
        /* tokens first..i-1 are one option */
        if (i > first && !concurrently_at(r, c->tok[first]->start)) {
            int a = c->tok[first]->start, b = c->tok[i - 1]->end;
            tn += (size_t)sprintf(text + tn, "%s%.*s", kept ? ", " : "(",
                                  b - a, c->sql + a);
            kept++;
        }
        first = i + 1;
        if (close) {
            int end = c->tok[i]->end;
            if (kept) {
                text[tn++] = ')';
                text[tn] = '\0';
            } else {
                free(text);
                text = NULL;
                end = past_space(c, end);
            }
            return add_cut(c, c->tok[open]->start, end, text);
        }
    }
    free(text);
    return 1;
}

/* The cuts of one statement that runs CONCURRENTLY, whose text starts at
 * byte from and ends before byte to: 0, 1 when its tokens are not where
 * the parse tree says, -1 when out of memory. */
static int cut_statement(struct cuts *c, const PgQuery__Node *node, int from,
                         int to)
{
    if (node->node_case != PG_QUERY__NODE__NODE_REINDEX_STMT) {
        /* CREATE INDEX / DROP INDEX: the first CONCURRENTLY keyword */
        for (size_t i = 0; i < c->ntok; i++)
            if (c->tok[i]->start >= from && c->tok[i]->start < to &&
                is_token(c, i, PG_QUERY__TOKEN__CONCURRENTLY))
                return add_cut(c, c->tok[i]->start,
                               past_space(c, c->tok[i]->end), NULL);
        return 1;
    }
    const PgQuery__ReindexStmt *r = node->reindex_stmt;
    size_t list = c->ntok;   /* the '(' of its options, once cut */
    for (size_t p = 0; p < r->n_params; p++) {
        if (!concurrently_param(r->params[p]))
            continue;
        size_t i = token_at(c, r->params[p]->def_elem->location);
        if (i == c->ntok || i == 0)
            return 1;
        if (!is_token(c, i - 1, PG_QUERY__TOKEN__ASCII_40) &&
            !is_token(c, i - 1, PG_QUERY__TOKEN__ASCII_44)) {
            /* REINDEX INDEX CONCURRENTLY name */
            if (!is_token(c, i, PG_QUERY__TOKEN__CONCURRENTLY))
                return 1;
            if (add_cut(c, c->tok[i]->start, past_space(c, c->tok[i]->end),
                        NULL))
                return -1;
            continue;
        }
        /* in the option list: back to its '(' */
        size_t open = i - 1;
        for (int depth = 0; open > 0; open--) {
            if (is_token(c, open, PG_QUERY__TOKEN__ASCII_41))
                depth++;
            else if (is_token(c, open, PG_QUERY__TOKEN__ASCII_40) &&
                     depth-- == 0)
                break;
        }
        if (!is_token(c, open, PG_QUERY__TOKEN__ASCII_40) ||
            (list != c->ntok && open != list))
            return 1;
        if (open == list)
            continue;
        int rc = cut_options(c, r, open);
        if (rc)
            return rc;
        list = open;
    }
    return 0;
}

static int by_start(const void *a, const void *b)
{
    const struct cut *x = a, *y = b;
    return (x->start > y->start) - (x->start < y->start);
}

/* sql with the cuts made, in *out (malloc'd): 0, 1 when two cuts
 * overlap, -1 when out of memory. */
static int apply_cuts(struct cuts *c, char **out)
{
    qsort(c->v, c->n, sizeof c->v[0], by_start);
    size_t need = strlen(c->sql) + 1;
    for (size_t i = 0; i < c->n; i++) {
        if (i > 0 && c->v[i].start < c->v[i - 1].end)
            return 1;
        need += c->v[i].text ? strlen(c->v[i].text) : 0;
    }
    char *o = malloc(need), *w = o;
    if (!o)
        return -1;
    int at = 0;
    for (size_t i = 0; i < c->n; i++) {
        memcpy(w, c->sql + at, (size_t)(c->v[i].start - at));
        w += c->v[i].start - at;
        if (c->v[i].text)
            w = stpcpy(w, c->v[i].text);
        at = c->v[i].end;
    }
    strcpy(w, c->sql + at);
    *out = o;
    return 0;
}

/* sql with the cuts of its statements that run CONCURRENTLY (in tree)
 * made, in *form (malloc'd), the tokens from PostgreSQL's scanner: 0, 1
 * when the tokens are not where the tree says, -1 when out of memory. */
static int cut_form(const char *sql, const PgQuery__ParseResult *tree,
                    char **form)
{
    PgQueryScanResult s = pg_query_scan(sql);
    PgQuery__ScanResult *scan =
        s.error ? NULL
                : pg_query__scan_result__unpack(NULL, s.pbuf.len,
                                                (const uint8_t *)s.pbuf.data);
    int rc = s.error ? 1 : scan ? 0 : -1;
    pg_query_free_scan_result(s);
    if (rc)
        return rc;
    struct cuts c = {.sql = sql, .tok = scan->tokens, .ntok = scan->n_tokens};
    int len = (int)strlen(sql);
    for (size_t i = 0; rc == 0 && i < tree->n_stmts; i++) {
        const PgQuery__RawStmt *st = tree->stmts[i];
        if (st && concurrent(st->stmt))
            rc = cut_statement(&c, st->stmt, st->stmt_location,
                               st->stmt_len ? st->stmt_location + st->stmt_len
                                            : len);
    }
    if (rc == 0)
        rc = apply_cuts(&c, form);
    for (size_t i = 0; i < c.n; i++)
        free(c.v[i].text);
    free(c.v);
    pg_query__scan_result__free_unpacked(scan, NULL);
    return rc;
}

/*
 * The form of sql that runs inside a transaction, for a rehearsal that
 * rolls back: CREATE INDEX, DROP INDEX and REINDEX without CONCURRENTLY.
 * PostgreSQL's parser says which statements have it and where; its
 * scanner's tokens say which bytes to take out (the CONCURRENTLY keyword,
 * or the option in REINDEX's list), and the rest stays as written, so
 * that quoted names keep their quotes. The result is parsed again and
 * must have no CONCURRENTLY left. Returns 0 when sql runs as it is (*out
 * NULL; SQL the parser rejects too, so that the server says why, and any
 * form that would not parse back as meant), 1 with *out (malloc'd) and
 * live saying what the live form does instead, or -1 when out of memory.
 */
int db_pg_in_transaction(const char *sql, char **out, char *live, size_t n)
{
    *out = NULL;
    live[0] = '\0';
    int oom = 0;
    PgQuery__ParseResult *tree;
    char *form = NULL;
    int rc = count_concurrent(sql, &tree, &oom) > 0 ? cut_form(sql, tree, &form)
                                                    : 1;
    size_t nstmts = tree ? tree->n_stmts : 0;
    if (tree)
        pg_query__parse_result__free_unpacked(tree, NULL);
    if (rc == 0) {
        /* it must parse back, as many statements, none CONCURRENTLY */
        PgQuery__ParseResult *again;
        if (count_concurrent(form, &again, &oom) != 0 ||
            again->n_stmts != nstmts)
            rc = 1;
        if (again)
            pg_query__parse_result__free_unpacked(again, NULL);
    }
    if (rc || oom) {
        free(form);
        return rc < 0 || oom ? -1 : 0;
    }
    *out = form;
    snprintf(live, n, "the live form, CONCURRENTLY, takes "
                      "ShareUpdateExclusiveLock: writes go on");
    return 1;
}
