/*
 * api_internal.h - what the files of the JSON API share: responses and
 * the route table (api.c), rows typed by the models (api_rows.c), input
 * checks (api_input.c), bearer-token authentication (api_auth.c), and the
 * handlers of tasks (api_tasks.c) and projects (api_projects.c).
 * Private to backend/src/http/api*.c.
 */
#ifndef HTTP_API_INTERNAL_H
#define HTTP_API_INTERNAL_H

#include <jansson.h>
#include <stddef.h>

#include "../db/error.h"
#include "../db/schema.h"
#include "api.h"

enum field_kind {
    F_STRING,
    F_STRING_OR_NULL,
    F_ID_OR_NULL,         /* a whole number from 1 up, or null */
    F_OBJECT,             /* a JSON object */
};

struct field {
    const char *name;
    enum field_kind kind;
    int required;
    const char *value;    /* out: the string, NULL when absent or null */
    int present;          /* out: the field was in the body (null too) */
    char num[24];         /* out: F_ID_OR_NULL's digits (value points here) */
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

/* The handlers' shape: id is the path's {id} ("0" when none), me the
 * authenticated caller. */
typedef void (*handler_fn)(struct http_api *api,
                           const struct http_request *req, const char *id,
                           const struct caller *me,
                           struct http_response *resp);

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

/* The allowed values of the model's table.column (an enumeration), as
 * "a, b, c" into out; "" when the column has none. */
void http_api__values_list(char *out, size_t n, const struct http_api *api,
                           const char *table, const char *column);

/* Whether v is one of the allowed values of table.column in the models
 * (any value when the column is no enumeration). */
int http_api__value_allowed(const struct http_api *api, const char *table,
                            const char *column, const char *v);

/* A body field holding a value of table.column: 0, or -1 after the 400
 * "field 'x' must be one of: ...". */
int http_api__check_value(const struct http_api *api,
                          struct http_response *resp, const char *table,
                          const char *column, const char *field,
                          const char *v);

/* Whether project id belongs to user: 1 yes, 0 no (or no such project),
 * or the database's error code (err filled). */
int http_api__project_owned(struct http_api *api, const char *project,
                            const char *user, struct db_error *err);

/* The task handlers (api_tasks.c), of type handler_fn. */
void http_api__list_tasks(struct http_api *api,
                          const struct http_request *req, const char *id,
                          const struct caller *me,
                          struct http_response *resp);
void http_api__create_task(struct http_api *api,
                           const struct http_request *req, const char *id,
                           const struct caller *me,
                           struct http_response *resp);
void http_api__get_task(struct http_api *api, const struct http_request *req,
                        const char *id, const struct caller *me,
                        struct http_response *resp);
void http_api__update_task(struct http_api *api,
                           const struct http_request *req, const char *id,
                           const struct caller *me,
                           struct http_response *resp);
void http_api__delete_task(struct http_api *api,
                           const struct http_request *req, const char *id,
                           const struct caller *me,
                           struct http_response *resp);

/* The project handlers (api_projects.c). */
void http_api__list_projects(struct http_api *api,
                             const struct http_request *req, const char *id,
                             const struct caller *me,
                             struct http_response *resp);
void http_api__create_project(struct http_api *api,
                              const struct http_request *req, const char *id,
                              const struct caller *me,
                              struct http_response *resp);
void http_api__get_project(struct http_api *api,
                           const struct http_request *req, const char *id,
                           const struct caller *me,
                           struct http_response *resp);
void http_api__delete_project(struct http_api *api,
                              const struct http_request *req, const char *id,
                              const struct caller *me,
                              struct http_response *resp);

/* Another user's id answers as an unknown one: 404, so ids are not
 * probed. Returns 1 after the 404, 0 for the caller's own id. */
int http_api__not_me(const char *id, const struct caller *me,
                     struct http_response *resp);

/* DELETE ... WHERE id = $1 AND the caller ($2) owns it: 204, or 404 with
 * not_found. */
void http_api__delete_by_id(struct http_api *api,
                            const struct http_request *req, const char *sql,
                            const char *id, const struct caller *me,
                            const char *not_found,
                            struct http_response *resp);

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

/* Clears a response's headers (Allow, Location, WWW-Authenticate,
 * Retry-After), as a new answer starts; the status and body are the
 * caller's. */
void http_api__reset_headers(struct http_response *resp);

/* The models' column table.column, or NULL. */
const struct db_column *http_api__model_column(const struct http_api *api,
                                               const char *table,
                                               const char *column);

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

/* GET of one row of table the caller owns: sql takes $1 the row's id and
 * $2 the caller's; 404 with not_found when there is none. */
void http_api__get_owned(struct http_api *api, const struct http_request *req,
                         const char *id, const struct caller *me,
                         const char *table, const char *sql,
                         const char *not_found, struct http_response *resp);

void http_api__respond_page(struct http_response *resp, struct rows *r,
                                   long limit);

#endif /* HTTP_API_INTERNAL_H */
