/*
 * api.c - the route table, responses, and the handlers of health, accounts
 * and users (tasks: api_tasks.c; projects: api_projects.c): validate, run
 * one prepared statement, answer JSON.
 *
 * Every value reaches the database as a bound parameter ($1, $2, ...); the
 * SQL texts below are constants and read the same on SQLite and PostgreSQL
 * (RETURNING, ON CONFLICT DO NOTHING, LIMIT and CAST are common to both).
 */
#include "api.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../db/driver.h"
#include "../words.h"
#include "../db/migrate.h"
#include "../db/buf.h"
#include "api_internal.h"
#include "router.h"


static const char oom_body[] = "{\"error\":\"out of memory\"}";

/* ---- responses ---------------------------------------------------------- */

/* Takes ownership of obj (may be NULL for no body). */
void http_api__respond(struct http_response *resp, int status,
                              json_t *obj)
{
    free(resp->body);
    resp->body = NULL;
    resp->status = status;
    if (!obj)
        return;
    resp->body = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(obj);
    if (!resp->body) {
        resp->status = 500;
        resp->body = strdup(oom_body);
    }
}

void http_response_error(struct http_response *resp, int status,
                         const char *message)
{
    http_api__respond(resp, status, json_pack("{s:s}", "error", message));
}

/* {"error": message, key: value} for the input to blame. */
void http_api__error_on(struct http_response *resp, int status,
                               const char *message, const char *key,
                               const char *value)
{
    http_api__respond(resp, status,
                      json_pack("{s:s, s:s}", "error", message, key, value));
}

void http_response_free(struct http_response *resp)
{
    if (!resp)
        return;
    free(resp->body);
    resp->body = NULL;
}

void http_api__log_db_error(struct http_api *api,
                                   const struct http_request *req,
                                   const struct db_error *err)
{
    if (!api->log)
        return;
    char line[2048], msg[1600], spelled[1600];
    /* The server's detail may quote the failing row, and so a password
     * hash or a token's hash: the log keeps what failed, not the values. */
    struct db_error e = *err;
    if (e.detail_at > 0)
        snprintf(e.message + e.detail_at, sizeof e.message - (size_t)e.detail_at,
                 " (the server's detail is not logged: it may quote row "
                 "values)");
    db_error_format(msg, sizeof msg, &e);
    app_spell(spelled, sizeof spelled, msg); /* the fix in the CLI's words */
    snprintf(line, sizeof line, "%s %s: %s", req->method, req->path, spelled);
    api->log(api->log_ctx, line);
}

/* A database failure: logged in full, answered without detail. */
void http_api__db_failed(struct http_api *api,
                                const struct http_request *req,
                                const struct db_error *err,
                                struct http_response *resp)
{
    http_api__log_db_error(api, req, err);
    if (err->code == DB_ELOCKED)
        http_response_error(resp, 503, "database busy; retry");
    else if (err->code == DB_ECONNECT)
        /* the connection was lost: the server re-establishes it */
        http_response_error(resp, 503, "database unavailable");
    else
        http_response_error(resp, 500, "internal error");
}

/* ---- handlers ----------------------------------------------------------- */

/* Collects the first column of each row as JSON strings. */
static int take_string(void *ctx, int ncols, const char *const *vals,
                       const char *const *names)
{
    (void)names;
    json_t *a = ctx;
    if (ncols < 1 || !vals[0])
        return 0;
    return json_array_append_new(a, json_string(vals[0])) ? DB_ENOMEM : 0;
}

/*
 * The database's current revision from the version table: a string for one
 * head, an array for several, null when there is no version table (the
 * pre-user phase). *problem is set when migrations need attention.
 */
static int read_revision(json_t **out, const char **problem,
                         struct http_api *api, struct db_error *err)
{
    struct db_conn *c = api->conn;
    *out = json_null();
    int rc = db_table_exists(c, DB_MIGRATE_TABLE, err);
    if (rc <= 0)
        return rc;
    json_t *heads = json_array();
    if (!heads)
        return db_error_set(err, DB_ENOMEM, "out of memory");
    char name[400], sql[500];
    db_qualify(name, sizeof name, c, DB_MIGRATE_TABLE);
    snprintf(sql, sizeof sql, "SELECT \"revision\" FROM %s ORDER BY "
                              "\"revision\"", name);
    rc = db_query(c, sql, 0, NULL, take_string, heads, NULL, err);
    if (rc == 0 && db_table_exists(c, DB_MIGRATE_DIRTY_TABLE,
                                           err) == 1) {
        char v[8];
        db_qualify(name, sizeof name, c, DB_MIGRATE_DIRTY_TABLE);
        snprintf(sql, sizeof sql, "SELECT 1 FROM %s", name);
        int d = db_query_value(c, sql, 0, NULL, v, sizeof v, err);
        if (d == 0)
            *problem = "a migration failed part-way; the database needs "
                       "attention (app db status)";
        else if (d != DB_ENOTFOUND)
            rc = d;
    }
    if (rc) {
        json_decref(heads);
        return rc;
    }
    if (json_array_size(heads) == 1) {
        *out = json_incref(json_array_get(heads, 0));
        json_decref(heads);
    } else if (json_array_size(heads) > 1) {
        *out = heads;
    } else {
        json_decref(heads);
    }
    return 0;
}

static void get_health(struct http_api *api, const struct http_request *req,
                       const char *id, const struct caller *me,
                       struct http_response *resp)
{
    (void)id;
    (void)me;
    if (http_api__no_args(req, resp))
        return;
    const char *phase = db_phase_name(api->cfg->phase);
    const char *problem = !api->ready  ? "schema not ready"
                          : !api->conn ? "database unavailable"
                                       : NULL;
    char msg[200];
    struct db_error err;
    for (size_t i = 0; !problem && api->models && i < api->models->ntables;
         i++) {
        const char *t = api->models->tables[i]->name;
        int rc = db_table_exists(api->conn, t, &err);
        if (rc < 0) {
            http_api__log_db_error(api, req, &err);
            problem = "database unavailable";
        } else if (rc == 0) {
            snprintf(msg, sizeof msg, "schema not ready: table '%.100s' is "
                                      "missing", t);
            problem = msg;
        }
    }
    json_t *revision = json_null();
    if (!problem && read_revision(&revision, &problem, api, &err)) {
        http_api__log_db_error(api, req, &err);
        problem = "database unavailable";
    }
    json_t *o = json_pack("{s:s, s:s, s:o}", "status",
                          problem ? "unavailable" : "ok", "phase", phase,
                          "revision", revision);
    if (o && problem)
        json_object_set_new(o, "error", json_string(problem));
    http_api__respond(resp, problem ? 503 : 200, o);
}

/* Lists nothing but the caller's own record: the listing of every account
 * is gone. The paging parameters keep working. */
static void list_users(struct http_api *api, const struct http_request *req,
                       const char *id, const struct caller *me,
                       struct http_response *resp)
{
    (void)id;
    static const char *const allowed[] = {"limit", "after", NULL};
    struct page pg;
    if (http_api__check_args(req, allowed, resp) ||
        http_api__parse_page(&pg, req, resp))
        return;
    const char *params[] = {pg.after, pg.limit_plus1, me->id};
    struct rows r;
    struct db_error err;
    if (http_api__query_rows(&r, api, "users",
                             "SELECT " USER_COLS
                             " FROM \"users\" WHERE \"id\" > $1 "
                             "AND \"id\" = $3 ORDER BY \"id\" LIMIT $2",
                             3, params, &err))
        return http_api__db_failed(api, req, &err, resp);
    http_api__respond_page(resp, &r, pg.limit);
}

/* A new account: the email and name checked as before, the password's
 * length against [auth], stored only as its Argon2id hash. */
static void signup(struct http_api *api, const struct http_request *req,
                   const char *id, const struct caller *me,
                   struct http_response *resp)
{
    (void)id;
    (void)me;
    struct field f[] = {
        {.name = "email", .kind = F_STRING, .required = 1},
        {.name = "name", .kind = F_STRING, .required = 1},
        {.name = "password", .kind = F_STRING, .required = 1},
    };
    if (http_api__no_args(req, resp))
        return;
    json_t *root = http_api__parse_body(req, f, 3, resp);
    if (!root)
        return;
    const char *email = f[0].value, *name = f[1].value;
    const char *password = f[2].value;
    char why[80];
    if (http_api__check_text(resp, "email", email,
                             http_api__model_length(api, "users", "email")) ||
        http_api__check_text(resp, "name", name,
                             http_api__model_length(api, "users", "name"))) {
        json_decref(root);
        return;
    }
    const char *at = strchr(email, '@');
    if (!at || at == email || !at[1] || strchr(at + 1, '@') ||
        strchr(email, ' ')) {
        http_api__bad_value(resp, "email",
                            "must be an address like name@example.org");
        json_decref(root);
        return;
    }
    if (http_auth_password_check(api->auth, password, why, sizeof why)) {
        http_api__bad_value(resp, "password", why);
        json_decref(root);
        return;
    }
    char hash[HTTP_AUTH_PWHASH_MAX];
    struct db_error err;
    if (http_auth_hash_password(hash, api->auth, password, &err)) {
        json_decref(root);
        return http_api__db_failed(api, req, &err, resp);
    }
    const char *params[] = {email, name, hash};
    struct rows r;
    int rc = http_api__query_rows(
        &r, api, "users",
        "INSERT INTO \"users\" (\"email\", \"name\", "
        "\"password_hash\") VALUES ($1, $2, $3) ON CONFLICT "
        "(\"email\") DO NOTHING RETURNING " USER_COLS,
        3, params, &err);
    json_decref(root);
    if (rc)
        return http_api__db_failed(api, req, &err, resp);
    if (r.count == 0) {
        json_decref(r.items);
        http_api__error_on(resp, 409, "a user with this email already exists",
                           "field", "email");
        return;
    }
    http_api__respond_one(resp, &r, 201, "", "/users");
}

struct login_row {
    char id[24];
    char hash[HTTP_AUTH_PWHASH_MAX];  /* "" when the user has none */
    int found;
};

static int take_login(void *ctx, int ncols, const char *const *vals,
                      const char *const *names)
{
    (void)names;
    struct login_row *r = ctx;
    if (ncols < 2 || !vals[0])
        return 0;
    snprintf(r->id, sizeof r->id, "%s", vals[0]);
    snprintf(r->hash, sizeof r->hash, "%s", vals[1] ? vals[1] : "");
    r->found = 1;
    return 0;
}

/*
 * Too many failures for this email within [auth] failure_window: the
 * max_failures-th most recent failure is still in the window. Returns the
 * seconds until it leaves it (Retry-After), 0 when not locked, or -1 with
 * resp filled on a database error.
 */
static long locked_for(struct http_api *api, const struct http_request *req,
                       const char *email, time_t now,
                       struct http_response *resp)
{
    const struct http_auth *a = api->auth;
    char cutoff[24], skip[24], v[32];
    snprintf(cutoff, sizeof cutoff, "%lld",
             (long long)now - a->failure_window);
    snprintf(skip, sizeof skip, "%d", a->max_failures - 1);
    const char *params[] = {email, cutoff, skip};
    struct db_error err;
    int rc = db_query_value(api->conn,
                            "SELECT \"failed_at\" FROM \"login_failures\" "
                            "WHERE \"email\" = $1 AND \"failed_at\" > $2 "
                            "ORDER BY \"failed_at\" DESC LIMIT 1 OFFSET $3",
                            3, params, v, sizeof v, &err);
    if (rc == DB_ENOTFOUND)
        return 0;
    if (rc) {
        http_api__db_failed(api, req, &err, resp);
        return -1;
    }
    long long wait = strtoll(v, NULL, 10) + a->failure_window - (long long)now;
    return wait < 1 ? 1 : (long)wait;
}

/* Records a failed log-in and forgets those older than the window. */
static int record_failure(struct http_api *api, const char *email, time_t now,
                          struct db_error *err)
{
    char now_s[24], cutoff[24];
    snprintf(now_s, sizeof now_s, "%lld", (long long)now);
    snprintf(cutoff, sizeof cutoff, "%lld",
             (long long)now - api->auth->failure_window);
    const char *add[] = {email, now_s};
    const char *old[] = {cutoff};
    int rc = db_query(api->conn,
                      "INSERT INTO \"login_failures\" (\"email\", "
                      "\"failed_at\") VALUES ($1, $2)",
                      2, add, NULL, NULL, NULL, err);
    if (rc == 0)
        rc = db_query(api->conn,
                      "DELETE FROM \"login_failures\" WHERE \"failed_at\" "
                      "<= $1",
                      1, old, NULL, NULL, NULL, err);
    return rc;
}

/*
 * An unknown email, a user without a password and a wrong password get
 * the same 401 after the same work (one Argon2id verification: against a
 * dummy hash when there is no real one), and all count as failures.
 */
static void login(struct http_api *api, const struct http_request *req,
                  const char *id, const struct caller *me,
                  struct http_response *resp)
{
    (void)id;
    (void)me;
    const struct http_auth *a = api->auth;
    struct field f[] = {
        {.name = "email", .kind = F_STRING, .required = 1},
        {.name = "password", .kind = F_STRING, .required = 1},
    };
    if (http_api__no_args(req, resp))
        return;
    json_t *root = http_api__parse_body(req, f, 2, resp);
    if (!root)
        return;
    const char *email = f[0].value, *password = f[1].value;
    if (http_api__check_text(resp, "email", email,
                             http_api__model_length(api, "users", "email"))) {
        json_decref(root);
        return;
    }
    time_t now = time(NULL);
    long wait = locked_for(api, req, email, now, resp);
    if (wait) {
        json_decref(root);
        if (wait < 0)
            return;
        snprintf(resp->retry_after, sizeof resp->retry_after, "%ld", wait);
        http_api__respond(
            resp, 429,
            json_pack("{s:s, s:I}", "error",
                      "too many failed log-ins for this email; try "
                      "again later",
                      "retry_after", (json_int_t)wait));
        return;
    }
    struct login_row u = {.found = 0};
    const char *params[] = {email};
    struct db_error err;
    if (db_query(api->conn,
                 "SELECT \"id\", \"password_hash\" FROM \"users\" WHERE "
                 "\"email\" = $1",
                 1, params, take_login, &u, NULL, &err)) {
        json_decref(root);
        return http_api__db_failed(api, req, &err, resp);
    }
    /* Over the length limit: no hashing of unbounded input, same work. */
    int too_long = strnlen(password, (size_t)a->password_max * 4 + 1) >
                   (size_t)a->password_max * 4;
    int ok = http_auth_verify(a, u.found && !too_long ? u.hash : NULL,
                              too_long ? "" : password);
    if (!ok) {
        if (record_failure(api, email, now, &err))
            http_api__db_failed(api, req, &err, resp);
        else
            http_response_error(resp, 401, "wrong email or password");
        json_decref(root);
        return;
    }
    if (http_auth_needs_rehash(a, u.hash)) {
        /* The limits were raised (or lowered): store the new hash. */
        char fresh[HTTP_AUTH_PWHASH_MAX];
        if (http_auth_hash_password(fresh, a, password, &err) == 0) {
            const char *up[] = {u.id, fresh};
            if (db_query(api->conn,
                         "UPDATE \"users\" SET \"password_hash\" = $2 "
                         "WHERE \"id\" = $1",
                         2, up, NULL, NULL, NULL, &err))
                http_api__log_db_error(api, req, &err);
        } else {
            http_api__log_db_error(api, req, &err);
        }
    }
    char token[HTTP_AUTH_TOKEN_LEN + 1], hash[HTTP_AUTH_TOKEN_HASH_LEN + 1];
    char now_s[HTTP_AUTH_TIME_LEN + 1], exp_s[HTTP_AUTH_TIME_LEN + 1];
    char exp_json[HTTP_AUTH_TIME_LEN + 1];
    time_t expires = now + (time_t)a->session_hours * 3600;
    http_auth_new_token(token, hash);
    http_auth_time(now_s, now, 0);
    http_auth_time(exp_s, expires, 0);
    http_auth_time(exp_json, expires, 1);
    const char *forget[] = {email};
    const char *add[] = {u.id, hash, exp_s, now_s};
    int rc = db_query(api->conn,
                      "DELETE FROM \"login_failures\" WHERE \"email\" = $1",
                      1, forget, NULL, NULL, NULL, &err);
    if (rc == 0)
        rc = db_query(api->conn,
                      "INSERT INTO \"sessions\" (\"user_id\", "
                      "\"token_hash\", \"expires_at\", \"last_used_at\") "
                      "VALUES ($1, $2, $3, $4)",
                      4, add, NULL, NULL, NULL, &err);
    json_decref(root);
    if (rc)
        http_api__db_failed(api, req, &err, resp);
    else
        http_api__respond(
            resp, 200,
            json_pack("{s:s, s:s}", "token", token, "expires_at", exp_json));
    explicit_bzero(token, sizeof token);
}

/* Revokes the session whose token came with the request. */
static void logout(struct http_api *api, const struct http_request *req,
                   const char *id, const struct caller *me,
                   struct http_response *resp)
{
    (void)id;
    if (http_api__no_args(req, resp))
        return;
    char now_s[HTTP_AUTH_TIME_LEN + 1];
    http_auth_time(now_s, time(NULL), 0);
    const char *params[] = {me->session, now_s};
    struct db_error err;
    if (db_query(api->conn,
                 "UPDATE \"sessions\" SET \"revoked_at\" = $2 WHERE "
                 "\"id\" = $1",
                 2, params, NULL, NULL, NULL, &err))
        return http_api__db_failed(api, req, &err, resp);
    http_api__respond(resp, 204, NULL);
}

/* GET of one row by id: sql takes the id as $1. */
static void get_one(struct http_api *api, const struct http_request *req,
                    const char *id, const char *table, const char *sql,
                    const char *missing,
                    struct http_response *resp)
{
    if (http_api__no_args(req, resp))
        return;
    const char *params[] = {id};
    struct rows r;
    struct db_error err;
    if (http_api__query_rows(&r, api, table, sql, 1, params, &err))
        return http_api__db_failed(api, req, &err, resp);
    http_api__respond_one(resp, &r, 200, missing, NULL);
}

int http_api__not_me(const char *id, const struct caller *me,
                     struct http_response *resp)
{
    if (strcmp(id, me->id) == 0)
        return 0;
    http_response_error(resp, 404, "user not found");
    return 1;
}

static void get_me(struct http_api *api, const struct http_request *req,
                   const char *id, const struct caller *me,
                   struct http_response *resp)
{
    (void)id;
    get_one(api, req, me->id, "users",
            "SELECT " USER_COLS " FROM \"users\" WHERE \"id\" = $1",
            "user not found", resp);
}

static void get_user(struct http_api *api, const struct http_request *req,
                     const char *id, const struct caller *me,
                     struct http_response *resp)
{
    if (http_api__no_args(req, resp) || http_api__not_me(id, me, resp))
        return;
    get_one(api, req, id, "users",
            "SELECT " USER_COLS " FROM \"users\" WHERE \"id\" = $1",
            "user not found", resp);
}

void http_api__delete_by_id(struct http_api *api,
                            const struct http_request *req, const char *sql,
                            const char *id, const struct caller *me,
                            const char *not_found,
                            struct http_response *resp)
{
    if (http_api__no_args(req, resp))
        return;
    const char *params[] = {id, me->id};
    long changes = 0;
    struct db_error err;
    if (db_query(api->conn, sql, 2, params, NULL, NULL, &changes, &err))
        return http_api__db_failed(api, req, &err, resp);
    if (changes == 0)
        http_response_error(resp, 404, not_found);
    else
        http_api__respond(resp, 204, NULL);
}

static void delete_user(struct http_api *api, const struct http_request *req,
                        const char *id, const struct caller *me,
                        struct http_response *resp)
{
    /* The tasks and sessions go with it: both are ON DELETE CASCADE. */
    http_api__delete_by_id(api, req,
                 "DELETE FROM \"users\" WHERE \"id\" = $1 AND \"id\" = $2",
                 id, me, "user not found", resp);
}

static const struct {
    enum http_route route;
    const char *method;
    handler_fn fn;
} handlers[] = {
    {HTTP_ROUTE_HEALTH, "GET", get_health},
    {HTTP_ROUTE_SIGNUP, "POST", signup},
    {HTTP_ROUTE_LOGIN, "POST", login},
    {HTTP_ROUTE_LOGOUT, "POST", logout},
    {HTTP_ROUTE_ME, "GET", get_me},
    {HTTP_ROUTE_USERS, "GET", list_users},
    {HTTP_ROUTE_USER, "GET", get_user},
    {HTTP_ROUTE_USER, "PATCH", http_api__update_user},
    {HTTP_ROUTE_USER, "DELETE", delete_user},
    {HTTP_ROUTE_USER_TASKS, "GET", http_api__list_tasks},
    {HTTP_ROUTE_USER_TASKS, "POST", http_api__create_task},
    {HTTP_ROUTE_TASK, "GET", http_api__get_task},
    {HTTP_ROUTE_TASK, "PATCH", http_api__update_task},
    {HTTP_ROUTE_TASK, "DELETE", http_api__delete_task},
    {HTTP_ROUTE_USER_PROJECTS, "GET", http_api__list_projects},
    {HTTP_ROUTE_USER_PROJECTS, "POST", http_api__create_project},
    {HTTP_ROUTE_PROJECT, "GET", http_api__get_project},
    {HTTP_ROUTE_PROJECT, "DELETE", http_api__delete_project},
};

void http_api__reset_headers(struct http_response *resp)
{
    resp->allow[0] = '\0';
    resp->location[0] = '\0';
    resp->www_authenticate[0] = '\0';
    resp->retry_after[0] = '\0';
}

void http_api_handle(struct http_api *api, const struct http_request *req,
                     struct http_response *resp)
{
    resp->status = 500;
    resp->body = NULL;
    http_api__reset_headers(resp);

    struct http_match m;
    if (http_route_match(&m, req->path)) {
        http_response_error(resp, 404, "no such resource");
        return;
    }
    char id[24];
    snprintf(id, sizeof id, "%lld", m.id);
    for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++) {
        if (handlers[i].route == m.route &&
            strcmp(handlers[i].method, req->method) == 0) {
            struct caller me = {.id = "", .session = ""};
            if (!api->conn && m.route != HTTP_ROUTE_HEALTH) {
                /* no connection: the server is re-establishing it */
                http_response_error(resp, 503, "database unavailable");
                return;
            }
            if (!api->auth) {
                if (api->log)
                    api->log(api->log_ctx, "the API has no [auth] settings");
                http_response_error(resp, 500, "internal error");
                return;
            }
            if (!http_route_public(m.route) &&
                http_api__authenticate(api, req, &me, resp))
                return;
            handlers[i].fn(api, req, id, &me, resp);
            if (!resp->body && resp->status != 204) {
                resp->status = 500;
                resp->body = strdup(oom_body);
            }
            return;
        }
    }
    snprintf(resp->allow, sizeof resp->allow, "%s",
             http_route_allow(m.route));
    http_response_error(resp, 405, "method not allowed");
}
