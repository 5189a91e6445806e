/*
 * api_users.c - PATCH /users/{id}: the caller changes their own name and
 * settings (a JSON object stored as given, in the column's JSON type).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../db/buf.h"
#include "../db/driver.h"
#include "api_internal.h"

void http_api__update_user(struct http_api *api,
                           const struct http_request *req, const char *id,
                           const struct caller *me,
                           struct http_response *resp)
{
    struct field f[] = {
        {.name = "name", .kind = F_STRING},
        {.name = "settings", .kind = F_OBJECT},
    };
    if (http_api__no_args(req, resp))
        return;
    if (strcmp(id, me->id) != 0) {
        /* another user's id answers as an unknown one */
        http_response_error(resp, 404, "user not found");
        return;
    }
    json_t *root = http_api__parse_body(req, f, 2, resp);
    if (!root)
        return;
    const char *name = f[0].value;
    if (!name && !f[1].object) {
        json_decref(root);
        http_api__error_on(resp, 400, "nothing to change: give name, "
                           "settings or both", "field", "name");
        return;
    }
    if (name && http_api__check_column(resp, api, "users", "name", "name",
                                       name)) {
        json_decref(root);
        return;
    }
    char *settings = f[1].object ? json_dumps(f[1].object, JSON_COMPACT)
                                 : NULL;
    struct rows r;
    struct db_error err;
    int rc;
    if (f[1].object && !settings) {
        rc = db_error_set(&err, DB_ENOMEM, "out of memory");
    } else {
        const char *params[] = {id, name, settings};
        struct db_buf sql = DB_BUF_INIT;
        db_buf_puts(&sql, "UPDATE \"users\" SET \"name\" = COALESCE(CAST($2 "
                          "AS TEXT), \"name\"), \"settings\" = COALESCE(");
        http_api__cast(&sql, api, 3, "users", "settings");
        db_buf_puts(&sql, ", \"settings\") WHERE \"id\" = $1 RETURNING "
                          USER_COLS);
        rc = db_buf_ok(&sql)
                 ? http_api__query_rows(&r, api, "users", db_buf_str(&sql),
                                        3, params, &err)
                 : db_error_set(&err, DB_ENOMEM, "out of memory");
        db_buf_free(&sql);
    }
    free(settings);
    json_decref(root);
    if (rc)
        return http_api__db_failed(api, req, &err, resp);
    http_api__respond_one(resp, &r, 200, "user not found", NULL);
}
