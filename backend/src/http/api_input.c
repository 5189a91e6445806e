/*
 * api_input.c - request bodies, query strings and their checks: one 400
 * with the field and the reason for each bad input.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../words.h"
#include "../db/driver.h"
#include "../db/migrate.h"
#include "api_internal.h"
#include "auth.h"

/* ---- input -------------------------------------------------------------- */

static int has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}



/*
 * Parses the body as one JSON object with exactly these fields (no others,
 * the required ones present, each of its kind). Returns the parsed root,
 * which owns the field values, or NULL after filling resp with the 4xx.
 */
json_t *http_api__parse_body(const struct http_request *req,
                                    struct field *f, size_t nf,
                                    struct http_response *resp)
{
    if (req->content_type) {
        size_t n = strlen("application/json");
        if (strncasecmp(req->content_type, "application/json", n) != 0 ||
            (req->content_type[n] && req->content_type[n] != ';' &&
             req->content_type[n] != ' ')) {
            http_response_error(resp, 415, "Content-Type must be "
                                           "application/json");
            return NULL;
        }
    }
    if (!req->body || req->body_len == 0) {
        http_response_error(resp, 400, "a JSON object body is required");
        return NULL;
    }
    json_error_t jerr;
    json_t *root = json_loadb(req->body, req->body_len,
                              JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        http_api__respond(resp, 400,
                          json_pack("{s:s, s:s, s:i, s:i}", "error",
                                    "invalid JSON", "detail", jerr.text, "line",
                                    jerr.line, "column", jerr.column));
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        http_response_error(resp, 400, "the body must be a JSON object");
        return NULL;
    }
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value) {
        size_t i = 0;
        while (i < nf && strcmp(f[i].name, key) != 0)
            i++;
        if (i == nf) {
            char msg[160];
            snprintf(msg, sizeof msg, "unknown field '%.100s'", key);
            http_api__error_on(resp, 400, msg, "field", key);
            json_decref(root);
            return NULL;
        }
    }
    for (size_t i = 0; i < nf; i++) {
        json_t *v = json_object_get(root, f[i].name);
        char msg[160];
        f[i].value = NULL;
        f[i].present = 0;
        f[i].object = NULL;
        if (!v) {
            if (!f[i].required)
                continue;
            snprintf(msg, sizeof msg, "missing field '%s'", f[i].name);
            http_api__error_on(resp, 400, msg, "field", f[i].name);
            json_decref(root);
            return NULL;
        }
        f[i].present = 1;
        if (json_is_null(v) && (f[i].kind == F_STRING_OR_NULL ||
                                f[i].kind == F_ID_OR_NULL))
            continue;
        if (f[i].kind == F_OBJECT) {
            if (!json_is_object(v)) {
                snprintf(msg, sizeof msg, "field '%s' must be a JSON object",
                         f[i].name);
                http_api__error_on(resp, 400, msg, "field", f[i].name);
                json_decref(root);
                return NULL;
            }
            f[i].object = v;
            continue;
        }
        if (f[i].kind == F_ID_OR_NULL) {
            if (!json_is_integer(v) || json_integer_value(v) < 1) {
                snprintf(msg, sizeof msg, "field '%s' must be an id (a "
                                          "whole number from 1) or null",
                         f[i].name);
                http_api__error_on(resp, 400, msg, "field", f[i].name);
                json_decref(root);
                return NULL;
            }
            snprintf(f[i].num, sizeof f[i].num, "%lld",
                     (long long)json_integer_value(v));
            f[i].value = f[i].num;
            continue;
        }
        if (!json_is_string(v)) {
            snprintf(msg, sizeof msg, "field '%s' must be a string%s",
                     f[i].name, f[i].kind == F_STRING_OR_NULL ? " or null"
                                                              : "");
            http_api__error_on(resp, 400, msg, "field", f[i].name);
            json_decref(root);
            return NULL;
        }
        f[i].value = json_string_value(v);
    }
    return root;
}

/* A value check failed: 400 naming the field. Returns -1. */
int http_api__bad_value(struct http_response *resp, const char *field,
                               const char *what)
{
    char msg[200];
    snprintf(msg, sizeof msg, "field '%s' %s", field, what);
    http_api__error_on(resp, 400, msg, "field", field);
    return -1;
}

/* Text of 1..max characters, no control characters. */
int http_api__check_text(struct http_response *resp, const char *field,
                                const char *v, int max)
{
    char what[80];
    if (!v[0])
        return http_api__bad_value(resp, field, "must not be empty");
    if (http_utf8_chars(v) > max) {
        snprintf(what, sizeof what, "must be at most %d characters", max);
        return http_api__bad_value(resp, field, what);
    }
    if (has_control(v))
        return http_api__bad_value(resp, field,
                                   "must not contain control characters");
    return 0;
}

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return n > 0;
}

/* YYYY-MM-DD, a day that exists. */
static int valid_date(const char *s)
{
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || !all_digits(s, 4) ||
        !all_digits(s + 5, 2) || !all_digits(s + 8, 2))
        return 0;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > days[m - 1])
        return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return !(m == 2 && d == 29 && !leap);
}

static int valid_uuid(const char *s)
{
    if (strlen(s) != 36)
        return 0;
    for (int i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !strchr("0123456789abcdefABCDEF", s[i]))
            return 0;
    }
    return 1;
}

/* [-]digits within bits. */
static int valid_integer(const char *s, int bits)
{
    const char *p = s + (*s == '-');
    if (!all_digits(p, strlen(p)) || strlen(p) > 19)
        return 0;
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno)
        return 0;
    long long max = bits == 16 ? 32767LL : bits == 32 ? 2147483647LL
                                                      : 9223372036854775807LL;
    return v <= max && v >= -max - 1;
}

/* [-]digits[.digits] with at most precision - scale digits before the
 * point and scale after (precision 0: any). */
static int valid_decimal(const char *s, int precision, int scale)
{
    const char *p = s + (*s == '-');
    const char *dot = strchr(p, '.');
    size_t whole = dot ? (size_t)(dot - p) : strlen(p);
    size_t frac = dot ? strlen(dot + 1) : 0;
    if (!all_digits(p, whole) || (dot && !all_digits(dot + 1, frac)))
        return 0;
    if (precision == 0)
        return whole + frac <= 1000;
    return whole <= (size_t)(precision - scale) && frac <= (size_t)scale;
}

int http_api__check_column(struct http_response *resp,
                           const struct http_api *api, const char *table,
                           const char *column, const char *field,
                           const char *v)
{
    const struct db_column *c = http_api__model_column(api, table, column);
    if (!c)
        return 0;
    unsigned f = db_type_flags(c->type);
    char what[120];
    if (f & DB_TYPEF_DATE) {
        if (!valid_date(v))
            return http_api__bad_value(resp, field,
                                       "must be a date like 2026-01-31");
    } else if (f & DB_TYPEF_UUID) {
        if (!valid_uuid(v))
            return http_api__bad_value(resp, field, "must be a UUID");
    } else if (f & DB_TYPEF_INTEGER) {
        if (!valid_integer(v, db_type_bits(c->type))) {
            snprintf(what, sizeof what, "must be a %d-bit integer",
                     db_type_bits(c->type));
            return http_api__bad_value(resp, field, what);
        }
    } else if (f & DB_TYPEF_PRECISION) {
        if (!valid_decimal(v, c->precision, c->scale)) {
            snprintf(what, sizeof what, "must be a decimal number with at "
                     "most %d digits before the point and %d after",
                     c->precision - c->scale, c->scale);
            return http_api__bad_value(resp, field, what);
        }
    } else if (f & DB_TYPEF_LENGTH) {
        return http_api__check_text(resp, field, v, c->length);
    }
    return 0;
}

/* The model's values of table.column, or NULL. */
static const char *const *model_values(const struct http_api *api,
                                       const char *table, const char *column)
{
    const struct db_column *c = http_api__model_column(api, table, column);
    return c ? c->values : NULL;
}

void http_api__values_list(char *out, size_t n, const struct http_api *api,
                           const char *table, const char *column)
{
    size_t len = 0;
    out[0] = '\0';
    for (const char *const *v = model_values(api, table, column);
         v && *v && len < n; v++)
        len += (size_t)snprintf(out + len, n - len, "%s%s",
                                len ? ", " : "", *v);
}

int http_api__value_allowed(const struct http_api *api, const char *table,
                            const char *column, const char *v)
{
    const char *const *values = model_values(api, table, column);
    if (!values)
        return 1;
    for (; *values; values++)
        if (strcmp(v, *values) == 0)
            return 1;
    return 0;
}

int http_api__check_value(const struct http_api *api,
                          struct http_response *resp, const char *table,
                          const char *column, const char *field,
                          const char *v)
{
    if (http_api__value_allowed(api, table, column, v))
        return 0;
    char list[160], what[190];
    http_api__values_list(list, sizeof list, api, table, column);
    snprintf(what, sizeof what, "must be one of: %s", list);
    return http_api__bad_value(resp, field, what);
}

/* Rejects query parameters not in allowed (NULL-terminated). */
int http_api__check_args(const struct http_request *req,
                                const char *const *allowed,
                                struct http_response *resp)
{
    for (size_t i = 0; i < req->nargs; i++) {
        size_t j = 0;
        while (allowed[j] && strcmp(allowed[j], req->args[i].name) != 0)
            j++;
        if (!allowed[j]) {
            char msg[160];
            snprintf(msg, sizeof msg, "unknown query parameter '%.100s'",
                     req->args[i].name);
            http_api__error_on(resp, 400, msg, "parameter", req->args[i].name);
            return -1;
        }
    }
    return 0;
}

const char *http_api__arg(const struct http_request *req,
                                 const char *name)
{
    for (size_t i = 0; i < req->nargs; i++)
        if (strcmp(req->args[i].name, name) == 0)
            return req->args[i].value;
    return NULL;
}

/* Decimal digits only, in [min, max]. */
static int parse_num(long long *out, const char *s, long long min,
                     long long max)
{
    if (!s || !s[0] || strlen(s) > 18)
        return -1;
    long long v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
    }
    if (v < min || v > max)
        return -1;
    *out = v;
    return 0;
}


int http_api__parse_page(struct page *pg, const struct http_request *req,
                                struct http_response *resp)
{
    long long limit = HTTP_PAGE_DEFAULT, after = 0;
    const char *l = http_api__arg(req, "limit"),
               *a = http_api__arg(req, "after");
    if (l && parse_num(&limit, l, 1, HTTP_PAGE_MAX)) {
        char msg[100];
        snprintf(msg, sizeof msg, "limit must be an integer from 1 to %d",
                 HTTP_PAGE_MAX);
        http_api__error_on(resp, 400, msg, "parameter", "limit");
        return -1;
    }
    if (a && parse_num(&after, a, 0, 999999999999999999LL)) {
        http_api__error_on(resp, 400,
                           "after must be a non-negative integer (the "
                           "next_after of the previous page)",
                           "parameter", "after");
        return -1;
    }
    pg->limit = (long)limit;
    snprintf(pg->limit_plus1, sizeof pg->limit_plus1, "%lld", limit + 1);
    snprintf(pg->after, sizeof pg->after, "%lld", after);
    return 0;
}

int http_api__no_args(const struct http_request *req,
                             struct http_response *resp)
{
    static const char *const none[] = {NULL};
    return http_api__check_args(req, none, resp);
}
