/*
 * api_internal.h - what the files of the JSON API share: responses and
 * the route table (api.c), rows typed by the models (api_rows.c), input
 * checks (api_input.c) and bearer-token authentication (api_auth.c).
 * Private to backend/src/http/api*.c.
 */
#ifndef HTTP_API_INTERNAL_H
#define HTTP_API_INTERNAL_H

#include <jansson.h>
#include <stddef.h>

#include "../db/error.h"
#include "../db/schema.h"
#include "api.h"

#define STATUS_LIST "todo, doing, done"

enum field_kind { F_STRING, F_STRING_OR_NULL, F_OBJECT };

struct field {
    const char *name;
    enum field_kind kind;
    int required;
    const char *value;    /* out: the string, NULL when absent or null */
    json_t *object;       /* out, F_OBJECT: the object (borrowed from the
                             parsed root), NULL when absent */
};

/* The columns a user is answered with (never the password's hash). */
#define USER_COLS \
    "\"id\", \"email\", \"name\", \"created_at\", \"settings\""

struct page {
    long limit;
    char limit_plus1[24];   /* fetched: one more tells if a next page exists */
    char after[24];
};

/* Who is calling: filled from the token for every route but the public
 * ones. */
struct caller {
    char id[24];       /* users.id */
    char session[24];  /* sessions.id */
};

struct rows {
    json_t *items;               /* array of objects */
    int count;
    int oom;
    const struct db_table *table; /* the model the rows come from */
};

/* PATCH /users/{id}: the caller's name and settings (api_users.c). */
void http_api__update_user(struct http_api *api,
                           const struct http_request *req, const char *id,
                           const struct caller *me,
                           struct http_response *resp);

int http_api__authenticate(struct http_api *api,
                                  const struct http_request *req,
                                  struct caller *me, struct http_response *resp);

json_t *http_api__parse_body(const struct http_request *req,
                                    struct field *f, size_t nf,
                                    struct http_response *resp);

int http_api__bad_value(struct http_response *resp, const char *field,
                               const char *what);

int http_api__check_text(struct http_response *resp, const char *field,
                                const char *v, int max);

int http_api__status_valid(const char *v);

int http_api__check_status(struct http_response *resp, const char *field,
                                  const char *v);

int http_api__check_args(const struct http_request *req,
                                const char *const *allowed,
                                struct http_response *resp);

const char *http_api__arg(const struct http_request *req,
                                 const char *name);

int http_api__parse_page(struct page *pg, const struct http_request *req,
                                struct http_response *resp);

int http_api__no_args(const struct http_request *req,
                             struct http_response *resp);

void http_api__respond(struct http_response *resp, int status,
                              json_t *obj);

void http_api__error_on(struct http_response *resp, int status,
                               const char *message, const char *key,
                               const char *value);

void http_api__log_db_error(struct http_api *api,
                                   const struct http_request *req,
                                   const struct db_error *err);

void http_api__db_failed(struct http_api *api,
                                const struct http_request *req,
                                const struct db_error *err,
                                struct http_response *resp);

int http_api__model_length(const struct http_api *api, const char *table,
                                  const char *column);

/* "CAST($n AS type)" with the type of the model's column as the
 * connection's database spells it: a parameter typed by the model. */
struct db_buf;
void http_api__cast(struct db_buf *out, const struct http_api *api, int n,
                    const char *table, const char *column);

/* A value for a column of the models, checked against the column's type:
 * a calendar date (YYYY-MM-DD), a UUID, an integer of the column's width,
 * a decimal of its precision and scale, text of at most its length. 0, or
 * -1 after a 400 naming field. */
int http_api__check_column(struct http_response *resp,
                           const struct http_api *api, const char *table,
                           const char *column, const char *field,
                           const char *v);

int http_api__query_rows(struct rows *r, struct http_api *api,
                                const char *table, const char *sql, int n,
                                const char *const *params, struct db_error *err);

void http_api__respond_one(struct http_response *resp, struct rows *r,
                                  int status, const char *not_found,
                                  const char *loc);

void http_api__respond_page(struct http_response *resp, struct rows *r,
                                   long limit);

#endif /* HTTP_API_INTERNAL_H */
