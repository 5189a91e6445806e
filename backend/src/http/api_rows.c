/*
 * api_rows.c - query results as JSON, each value typed by its model column.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../words.h"
#include "../db/driver.h"
#include "../db/buf.h"
#include "../db/migrate.h"
#include "../db/render.h"
#include "api_internal.h"

/* ---- rows to JSON ------------------------------------------------------- */


const struct db_column *http_api__model_column(const struct http_api *api,
                                               const char *table,
                                               const char *column)
{
    const struct db_table *t = db_schema_table(api->models, table);
    return t ? db_table_column(t, column) : NULL;
}

/* The declared length of a column of the models (VARCHAR(n)). */
int http_api__model_length(const struct http_api *api, const char *table,
                                  const char *column)
{
    const struct db_column *c = http_api__model_column(api, table, column);
    return c ? c->length : 0;
}

void http_api__cast(struct db_buf *out, const struct http_api *api, int n,
                    const char *table, const char *column)
{
    const struct db_column *c = http_api__model_column(api, table, column);
    db_buf_printf(out, "CAST($%d AS ", n);
    if (c)
        db_render_type(out, c, db_conn_dialect(api->conn));
    else
        db_buf_puts(out, "TEXT");
    db_buf_puts(out, ")");
}

/*
 * A timestamp as RFC 3339 in UTC, the same from both databases: SQLite's
 * CURRENT_TIMESTAMP "2026-11-21 20:25:04" and PostgreSQL's
 * "2026-11-21 20:25:04.641185+00" become "2026-11-21T20:25:04Z" and
 * "2026-11-21T20:25:04.641185Z". Another offset is kept as "+hh:mm".
 * Text of another shape is returned as it is.
 */
static void rfc3339(char *out, size_t n, const char *in)
{
    size_t len = strlen(in);
    if (len < 19 || len + 8 > n || in[10] != ' ' || in[4] != '-' ||
        in[13] != ':') {
        snprintf(out, n, "%s", in);
        return;
    }
    memcpy(out, in, len + 1);
    out[10] = 'T';
    size_t i = 19;
    if (out[i] == '.')
        for (i++; out[i] >= '0' && out[i] <= '9'; i++)
            ;
    const char *zone = in + i;
    if (!*zone || strcmp(zone, "+00") == 0 || strcmp(zone, "+00:00") == 0 ||
        strcmp(zone, "Z") == 0)
        snprintf(out + i, n - i, "Z");
    else if ((zone[0] == '+' || zone[0] == '-') && strlen(zone) == 3)
        snprintf(out + i, n - i, "%s:00", zone);
}

/*
 * A decimal as text with scale digits after the point: SQLite hands a
 * NUMERIC(10,2) value of 9.5 back as "9.5", PostgreSQL as "9.50"; both
 * become "9.50". Text of another shape is returned as it is.
 */
static void decimal(char *out, size_t n, const char *in, int scale)
{
    size_t len = strlen(in);
    const char *dot = strchr(in, '.');
    int have = dot ? (int)(len - (size_t)(dot - in) - 1) : 0;
    if (scale <= 0 || have >= scale || strpbrk(in, "eE") ||
        len + (size_t)scale + 2 > n) {
        snprintf(out, n, "%s", in);
        return;
    }
    memcpy(out, in, len);
    if (!dot)
        out[len++] = '.';
    for (; have < scale; have++)
        out[len++] = '0';
    out[len] = '\0';
}

static int row_to_json(void *ctx, int ncols, const char *const *vals,
                       const char *const *names)
{
    struct rows *r = ctx;
    json_t *o = json_object();
    for (int i = 0; o && i < ncols; i++) {
        /* typed by the model's column (types.h); text if not a column */
        const struct db_column *c =
            r->table ? db_table_column(r->table, names[i]) : NULL;
        unsigned flags = c ? db_type_flags(c->type) : 0;
        json_t *v;
        if (!vals[i])
            v = json_null();
        else if (flags & DB_TYPEF_INTEGER)
            v = json_integer(strtoll(vals[i], NULL, 10));
        else if (flags & DB_TYPEF_PRECISION) {
            /* exact: a string, with the column's digits after the point */
            char d[160];
            decimal(d, sizeof d, vals[i], c->scale);
            v = json_string(d);
        } else if (flags & DB_TYPEF_JSON) {
            /* the document itself, embedded; text if it is not JSON */
            v = json_loads(vals[i], JSON_DECODE_ANY, NULL);
            if (!v)
                v = json_string(vals[i]);
        } else if (flags & DB_TYPEF_NUMBER)
            v = json_real(strtod(vals[i], NULL));
        else if (flags & DB_TYPEF_BOOLEAN)
            v = json_boolean(vals[i][0] == 't' || vals[i][0] == '1');
        else if (flags & DB_TYPEF_TIME) {
            char t[64];
            rfc3339(t, sizeof t, vals[i]);
            v = json_string(t);
        } else
            v = json_string(vals[i]);
        if (!v || json_object_set_new(o, names[i], v)) {
            json_decref(o);
            o = NULL;
        }
    }
    if (!o || json_array_append_new(r->items, o)) {
        r->oom = 1;
        return 1;
    }
    r->count++;
    return 0;
}

/* Runs sql; rows of the model table land in r (r->items created here),
 * each value typed by its column. */
int http_api__query_rows(struct rows *r, struct http_api *api,
                                const char *table, const char *sql, int n,
                                const char *const *params, struct db_error *err)
{
    r->table = db_schema_table(api->models, table);
    r->items = json_array();
    r->count = 0;
    r->oom = !r->items;
    if (r->oom)
        return db_error_set(err, DB_ENOMEM, "out of memory");
    int rc = db_query(api->conn, sql, n, params, row_to_json, r, NULL, err);
    if (r->oom)
        rc = db_error_set(err, DB_ENOMEM, "out of memory");
    if (rc) {
        json_decref(r->items);
        r->items = NULL;
    }
    return rc;
}

/* Answers the single row of r with status, or 404 with not_found. */
void http_api__respond_one(struct http_response *resp, struct rows *r,
                                  int status, const char *not_found,
                                  const char *loc)
{
    if (r->count == 0) {
        json_decref(r->items);
        http_response_error(resp, 404, not_found);
        return;
    }
    json_t *item = json_incref(json_array_get(r->items, 0));
    json_decref(r->items);
    if (loc && status == 201)
        snprintf(resp->location, sizeof resp->location, "%s/%lld", loc,
                 json_integer_value(json_object_get(item, "id")));
    http_api__respond(resp, status, item);
}

void http_api__get_owned(struct http_api *api, const struct http_request *req,
                         const char *id, const struct caller *me,
                         const char *table, const char *sql,
                         const char *not_found, struct http_response *resp)
{
    if (http_api__no_args(req, resp))
        return;
    const char *params[] = {id, me->id};
    struct rows r;
    struct db_error err;
    if (http_api__query_rows(&r, api, table, sql, 2, params, &err))
        return http_api__db_failed(api, req, &err, resp);
    http_api__respond_one(resp, &r, 200, not_found, NULL);
}

/* A page: the first limit rows of r (which fetched limit + 1), and the
 * cursor for the next page, or null on the last. */
void http_api__respond_page(struct http_response *resp, struct rows *r,
                                   long limit)
{
    json_t *next = json_null();
    if (r->count > limit) {
        json_array_remove(r->items, (size_t)limit);
        json_t *last = json_array_get(r->items, (size_t)limit - 1);
        json_decref(next);
        next = json_integer(json_integer_value(json_object_get(last, "id")));
    }
    http_api__respond(
        resp, 200,
        json_pack("{s:o, s:o}", "items", r->items, "next_after", next));
}
