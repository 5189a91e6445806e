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
