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

/* A REINDEX's params as parsed, put back before the tree is freed. */
struct saved_params {
    PgQuery__ReindexStmt *stmt;
    PgQuery__Node **params;
    size_t n;
};

/* Turns off the CONCURRENTLY of one parsed statement: 1 when it had one,
 * -1 when out of memory. REINDEX's is a DefElem of its params (given any
 * number of times): the statement gets a list without them for the
 * deparser, its own list kept in *saved. */
static int drop_concurrently(PgQuery__Node *node, struct saved_params *saved)
{
    if (!node)
        return 0;
    switch (node->node_case) {
    case PG_QUERY__NODE__NODE_INDEX_STMT:
        if (!node->index_stmt->concurrent)
            return 0;
        node->index_stmt->concurrent = 0;
        return 1;
    case PG_QUERY__NODE__NODE_DROP_STMT:
        if (!node->drop_stmt->concurrent)
            return 0;
        node->drop_stmt->concurrent = 0;
        return 1;
    case PG_QUERY__NODE__NODE_REINDEX_STMT: {
        PgQuery__ReindexStmt *r = node->reindex_stmt;
        PgQuery__Node **keep = malloc((r->n_params ? r->n_params : 1) *
                                      sizeof *keep);
        if (!keep)
            return -1;
        size_t n = 0;
        for (size_t i = 0; i < r->n_params; i++) {
            PgQuery__Node *p = r->params[i];
            if (!(p && p->node_case == PG_QUERY__NODE__NODE_DEF_ELEM &&
                  p->def_elem->defname &&
                  strcmp(p->def_elem->defname, "concurrently") == 0))
                keep[n++] = p;
        }
        if (n == r->n_params) {
            free(keep);
            return 0;
        }
        *saved = (struct saved_params){r, r->params, r->n_params};
        r->params = keep;
        r->n_params = n;
        return 1;
    }
    default:
        return 0;
    }
}

/*
 * The form of sql that runs inside a transaction, for a rehearsal that
 * rolls back: CREATE INDEX, DROP INDEX and REINDEX without CONCURRENTLY,
 * from PostgreSQL's parse tree deparsed (never by editing the text).
 * Returns 0 when sql runs as it is (*out NULL; SQL the parser rejects
 * too, so that the server says why), 1 with *out (malloc'd) and live
 * saying what the live form does instead, or -1 when out of memory.
 */
int db_pg_in_transaction(const char *sql, char **out, char *live, size_t n)
{
    *out = NULL;
    live[0] = '\0';
    PgQueryProtobufParseResult r = pg_query_parse_protobuf(sql);
    if (r.error) {
        pg_query_free_protobuf_parse_result(r);
        return 0;
    }
    PgQuery__ParseResult *tree = pg_query__parse_result__unpack(
        NULL, r.parse_tree.len, (const uint8_t *)r.parse_tree.data);
    pg_query_free_protobuf_parse_result(r);
    if (!tree)
        return -1;
    struct saved_params *saved = calloc(tree->n_stmts ? tree->n_stmts : 1,
                                        sizeof *saved);
    int changed = 0, rc = saved ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < tree->n_stmts; i++) {
        int d = tree->stmts[i] ? drop_concurrently(tree->stmts[i]->stmt,
                                                   &saved[i])
                               : 0;
        if (d < 0)
            rc = -1;
        changed |= d > 0;
    }
    if (rc == 0 && changed) {
        size_t len = pg_query__parse_result__get_packed_size(tree);
        uint8_t *buf = malloc(len ? len : 1);
        if (!buf) {
            rc = -1;
        } else {
            pg_query__parse_result__pack(tree, buf);
            PgQueryProtobuf pb = {len, (char *)buf};
            PgQueryDeparseResult d = pg_query_deparse_protobuf(pb);
            if (!d.error && d.query && (*out = strdup(d.query))) {
                snprintf(live, n, "the live form, CONCURRENTLY, takes "
                                  "ShareUpdateExclusiveLock: writes go on");
                rc = 1;
            } else {
                rc = d.error ? 0 : -1;
            }
            pg_query_free_deparse_result(d);
            free(buf);
        }
    }
    /* the REINDEX params as parsed go back, to be freed with the rest */
    for (size_t i = 0; saved && i < tree->n_stmts; i++)
        if (saved[i].stmt) {
            free(saved[i].stmt->params);
            saved[i].stmt->params = saved[i].params;
            saved[i].stmt->n_params = saved[i].n;
        }
    free(saved);
    pg_query__parse_result__free_unpacked(tree, NULL);
    return rc;
}
