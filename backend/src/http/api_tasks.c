/*
 * api_tasks.c - a user's tasks: list and create under /users/{id}/tasks,
 * read, change and delete at /tasks/{id}. status is checked against the
 * model's values (tasks.status is an enumeration), due_date against the
 * model's column type, project_id against the caller's own projects;
 * public_id is made by the database and only read.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "../db/buf.h"
#include "../db/driver.h"
#include "api_internal.h"

#define TASK_COLS \
    "\"id\", \"user_id\", \"title\", \"description\", \"status\", " \
    "\"created_at\", \"due_date\", \"public_id\", \"project_id\""

void http_api__list_tasks(struct http_api *api, const struct http_request *req,
                          const char *id, const struct caller *me,
                          struct http_response *resp)
{
    static const char *const allowed[] = {"limit", "after", "status", NULL};
    struct page pg;
    if (http_api__check_args(req, allowed, resp) ||
        http_api__parse_page(&pg, req, resp))
        return;
    const char *status = http_api__arg(req, "status");
    if (status && !http_api__value_allowed(api, "tasks", "status", status)) {
        char list[160], msg[200];
        http_api__values_list(list, sizeof list, api, "tasks", "status");
        snprintf(msg, sizeof msg, "status must be one of: %s", list);
        http_api__error_on(resp, 400, msg, "parameter", "status");
        return;
    }
    if (http_api__not_me(id, me, resp))
        return;
    const char *params[] = {id, pg.after, pg.limit_plus1, status};
    struct rows r;
    struct db_error err;
    int rc =
        status ? http_api__query_rows(
                     &r, api, "tasks",
                     "SELECT " TASK_COLS " FROM \"tasks\" WHERE \"user_id\" = "
                     "$1 AND \"id\" > $2 AND \"status\" = $4 ORDER BY \"id\" "
                     "LIMIT $3",
                     4, params, &err)
               : http_api__query_rows(
                     &r, api, "tasks",
                     "SELECT " TASK_COLS " FROM \"tasks\" WHERE \"user_id\" = "
                     "$1 AND \"id\" > $2 ORDER BY \"id\" LIMIT $3",
                     3, params, &err);
    if (rc)
        return http_api__db_failed(api, req, &err, resp);
    http_api__respond_page(resp, &r, pg.limit);
}

/* A body's project_id: none, or one of the caller's projects. Returns 0,
 * or -1 after the response (400, or the database's failure). */
static int check_project(struct http_api *api, const struct http_request *req,
                         const char *project, const struct caller *me,
                         struct http_response *resp)
{
    if (!project)
        return 0;
    struct db_error err;
    int rc = http_api__project_owned(api, project, me->id, &err);
    if (rc == 1)
        return 0;
    if (rc == 0)
        return http_api__bad_value(resp, "project_id",
                                   "must be one of your projects");
    http_api__db_failed(api, req, &err, resp);
    return -1;
}

void http_api__create_task(struct http_api *api, const struct http_request *req,
                           const char *id, const struct caller *me,
                           struct http_response *resp)
{
    struct field f[] = {
        {.name = "title", .kind = F_STRING, .required = 1},
        {.name = "description", .kind = F_STRING_OR_NULL},
        {.name = "status", .kind = F_STRING},
        {.name = "project_id", .kind = F_ID_OR_NULL},
        {.name = "due_date", .kind = F_STRING_OR_NULL},
    };
    if (http_api__no_args(req, resp) || http_api__not_me(id, me, resp))
        return;
    json_t *root = http_api__parse_body(req, f, 5, resp);
    if (!root)
        return;
    const char *title = f[0].value, *descr = f[1].value, *status = f[2].value;
    const char *project = f[3].value, *due = f[4].value;
    if (http_api__check_text(resp, "title", title,
                             http_api__model_length(api, "tasks", "title")) ||
        (status && http_api__check_value(api, resp, "tasks", "status",
                                         "status", status)) ||
        (due && http_api__check_column(resp, api, "tasks", "due_date",
                                       "due_date", due)) ||
        check_project(api, req, project, me, resp)) {
        json_decref(root);
        return;
    }
    /* INSERT ... SELECT FROM users: no row inserted means no such user,
     * decided in the same statement. Without status, the model's default;
     * project_id and due_date cast to the model's column types. */
    const char *params[] = {id, title, descr, project, due, status};
    struct db_buf sql = DB_BUF_INIT;
    db_buf_puts(&sql, "INSERT INTO \"tasks\" (\"user_id\", \"title\", "
                      "\"description\", \"project_id\", \"due_date\"");
    db_buf_puts(&sql, status ? ", \"status\")" : ")");
    db_buf_puts(&sql, " SELECT \"id\", CAST($2 AS TEXT), CAST($3 AS TEXT), ");
    http_api__cast(&sql, api, 4, "tasks", "project_id");
    db_buf_puts(&sql, ", ");
    http_api__cast(&sql, api, 5, "tasks", "due_date");
    db_buf_puts(&sql, status ? ", CAST($6 AS TEXT)" : "");
    db_buf_puts(&sql, " FROM \"users\" WHERE \"id\" = $1 RETURNING "
                      TASK_COLS);
    struct rows r;
    struct db_error err;
    int rc = db_buf_ok(&sql)
                 ? http_api__query_rows(&r, api, "tasks", db_buf_str(&sql),
                                        status ? 6 : 5, params, &err)
                 : db_error_nomem(&err);
    db_buf_free(&sql);
    json_decref(root);
    if (rc)
        return http_api__db_failed(api, req, &err, resp);
    http_api__respond_one(resp, &r, 201, "user not found", "/tasks");
}

void http_api__get_task(struct http_api *api, const struct http_request *req,
                        const char *id, const struct caller *me,
                        struct http_response *resp)
{
    http_api__get_owned(api, req, id, me, "tasks",
                        "SELECT " TASK_COLS " FROM \"tasks\" "
                        "WHERE \"id\" = $1 AND \"user_id\" = $2",
                        "task not found", resp);
}

/* PATCH: status, project_id (null: out of its project), due_date (null
 * clears it); at least one. */
void http_api__update_task(struct http_api *api, const struct http_request *req,
                           const char *id, const struct caller *me,
                           struct http_response *resp)
{
    struct field f[] = {
        {.name = "status", .kind = F_STRING},
        {.name = "project_id", .kind = F_ID_OR_NULL},
        {.name = "due_date", .kind = F_STRING_OR_NULL},
    };
    if (http_api__no_args(req, resp))
        return;
    json_t *root = http_api__parse_body(req, f, 3, resp);
    if (!root)
        return;
    if (!f[0].present && !f[1].present && !f[2].present) {
        http_api__error_on(resp, 400, "nothing to change: give 'status', "
                           "'project_id' or 'due_date' (one or more)", "field",
                           "status");
        json_decref(root);
        return;
    }
    if ((f[0].value && http_api__check_value(api, resp, "tasks", "status",
                                             "status", f[0].value)) ||
        (f[2].value && http_api__check_column(resp, api, "tasks", "due_date",
                                              "due_date", f[2].value)) ||
        check_project(api, req, f[1].value, me, resp)) {
        json_decref(root);
        return;
    }
    /* $4 and $6 say whether project_id and due_date are set: their values
     * $5 and $7 may be null */
    const char *params[] = {id,
                            f[0].value,
                            me->id,
                            f[1].present ? "1" : "0",
                            f[1].value,
                            f[2].present ? "1" : "0",
                            f[2].value};
    struct db_buf sql = DB_BUF_INIT;
    db_buf_puts(&sql, "UPDATE \"tasks\" SET \"status\" = COALESCE(CAST($2 AS "
                      "TEXT), \"status\"), \"project_id\" = CASE WHEN "
                      "CAST($4 AS TEXT) = '1' THEN ");
    http_api__cast(&sql, api, 5, "tasks", "project_id");
    db_buf_puts(&sql, " ELSE \"project_id\" END, \"due_date\" = CASE WHEN "
                      "CAST($6 AS TEXT) = '1' THEN ");
    http_api__cast(&sql, api, 7, "tasks", "due_date");
    db_buf_puts(&sql, " ELSE \"due_date\" END WHERE \"id\" = $1 AND "
                      "\"user_id\" = $3 RETURNING " TASK_COLS);
    struct rows r;
    struct db_error err;
    int rc = db_buf_ok(&sql)
                 ? http_api__query_rows(&r, api, "tasks", db_buf_str(&sql), 7,
                                        params, &err)
                 : db_error_nomem(&err);
    db_buf_free(&sql);
    json_decref(root);
    if (rc)
        return http_api__db_failed(api, req, &err, resp);
    http_api__respond_one(resp, &r, 200, "task not found", NULL);
}

void http_api__delete_task(struct http_api *api, const struct http_request *req,
                           const char *id, const struct caller *me,
                           struct http_response *resp)
{
    http_api__delete_by_id(api, req,
                 "DELETE FROM \"tasks\" WHERE \"id\" = $1 AND \"user_id\" "
                 "= $2",
                 id, me, "task not found", resp);
}
