/*
 * api_projects.c - a user's projects: list and create under
 * /users/{id}/projects, read and delete at /projects/{id}. Another user's
 * projects answer 404, as unknown ones do. Names are unique per user (the
 * model's composite unique index): a second project of the same name is
 * 409. Deleting a project leaves its tasks without a project (the
 * model's ON DELETE SET NULL).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../db/driver.h"
#include "api_internal.h"

#define PROJECT_COLS "\"id\", \"user_id\", \"name\", \"created_at\""

static int take_count(void *ctx, int ncols, const char *const *vals,
                      const char *const *names)
{
    (void)names;
    int *n = ctx;
    if (ncols > 0 && vals[0])
        *n = (int)strtol(vals[0], NULL, 10);
    return 0;
}

int http_api__project_owned(struct http_api *api, const char *project,
                            const char *user, struct db_error *err)
{
    const char *params[] = {project, user};
    int n = 0;
    int rc = db_query(api->conn,
                      "SELECT count(*) FROM \"projects\" WHERE \"id\" = "
                      "CAST($1 AS INTEGER) AND \"user_id\" = CAST($2 AS "
                      "INTEGER)",
                      2, params, take_count, &n, NULL, err);
    if (rc)
        return rc;
    return n > 0;
}

void http_api__list_projects(struct http_api *api,
                             const struct http_request *req, const char *id,
                             const struct caller *me,
                             struct http_response *resp)
{
    static const char *const allowed[] = {"limit", "after", NULL};
    struct page pg;
    if (http_api__check_args(req, allowed, resp) ||
        http_api__parse_page(&pg, req, resp) ||
        http_api__not_me(id, me, resp))
        return;
    const char *params[] = {id, pg.after, pg.limit_plus1};
    struct rows r;
    struct db_error err;
    if (http_api__query_rows(&r, api, "projects",
                             "SELECT " PROJECT_COLS " FROM \"projects\" "
                             "WHERE \"user_id\" = $1 AND \"id\" > $2 ORDER "
                             "BY \"id\" LIMIT $3",
                             3, params, &err))
        return http_api__db_failed(api, req, &err, resp);
    http_api__respond_page(resp, &r, pg.limit);
}

void http_api__create_project(struct http_api *api,
                              const struct http_request *req, const char *id,
                              const struct caller *me,
                              struct http_response *resp)
{
    struct field f[] = {
        {.name = "name", .kind = F_STRING, .required = 1},
    };
    if (http_api__no_args(req, resp) || http_api__not_me(id, me, resp))
        return;
    json_t *root = http_api__parse_body(req, f, 1, resp);
    if (!root)
        return;
    if (http_api__check_text(resp, "name", f[0].value,
                             http_api__model_length(api, "projects",
                                                    "name"))) {
        json_decref(root);
        return;
    }
    /* the composite unique index decides a taken name in the statement */
    const char *params[] = {id, f[0].value};
    struct rows r;
    struct db_error err;
    int rc = http_api__query_rows(
        &r, api, "projects",
        "INSERT INTO \"projects\" (\"user_id\", \"name\") SELECT \"id\", "
        "CAST($2 AS TEXT) FROM \"users\" WHERE \"id\" = $1 ON CONFLICT "
        "(\"user_id\", \"name\") DO NOTHING RETURNING " PROJECT_COLS,
        2, params, &err);
    json_decref(root);
    if (rc)
        return http_api__db_failed(api, req, &err, resp);
    if (r.count == 0) {
        json_decref(r.items);
        http_api__error_on(resp, 409, "you already have a project of this "
                                      "name", "field", "name");
        return;
    }
    http_api__respond_one(resp, &r, 201, "", "/projects");
}

void http_api__get_project(struct http_api *api,
                           const struct http_request *req, const char *id,
                           const struct caller *me,
                           struct http_response *resp)
{
    http_api__get_owned(api, req, id, me, "projects",
                        "SELECT " PROJECT_COLS " FROM \"projects\" "
                        "WHERE \"id\" = $1 AND \"user_id\" = $2",
                        "project not found", resp);
}

void http_api__delete_project(struct http_api *api,
                              const struct http_request *req, const char *id,
                              const struct caller *me,
                              struct http_response *resp)
{
    http_api__delete_by_id(api, req,
                           "DELETE FROM \"projects\" WHERE \"id\" = $1 AND "
                           "\"user_id\" = $2",
                           id, me, "project not found", resp);
}
