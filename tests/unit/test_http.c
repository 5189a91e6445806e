/*
 * test_http.c - the JSON API's router, handlers (on each backend), pidfile
 * and listener. Handlers are called directly with parsed requests; the CLI
 * tests (t5NN) drive the real server with curl.
 */
#include <check.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "db/buf.h"
#include "db/render.h"
#include "http/api.h"
#include "http/api_internal.h"
#include "http/pidfile.h"
#include "http/router.h"
#include "http/server.h"
#include "models/models.h"
#include "settings.h"
#include "testutil.h"

/* ---- fixture: an API on a fresh database ------------------------------ */

static struct db_config cfg;
static struct app_settings settings;
static struct db_conn *conn;
static struct http_api api;
static struct http_auth auth;
static char logged[4096];

/* The bearer token sent with each call ("" for none), and each user's. */
static char authorization[128];
#define MAX_USERS 8
static struct {
    long long id;
    char token[HTTP_AUTH_TOKEN_LEN + 1];
} users[MAX_USERS];
static int nusers;
#define PASSWORD "correct horse"


static void capture_log(void *ctx, const char *line)
{
    (void)ctx;
    snprintf(logged, sizeof logged, "%s", line);
}

static void open_api(int backend)
{
    tu_config_backend(&cfg, backend);
    app_settings_defaults(&settings);
    conn = tu_connect(&cfg);
    /* The models' tables, as create-all renders them (the phase logic of
     * create_db_and_tables is tested elsewhere). */
    struct db_error err;
    struct db_buf sql = DB_BUF_INIT;
    int rc = db_render_create_all(&sql, models_schema(),
                                  conn->driver->dialect, 0, &err);
    ck_assert_msg(rc == 0, "render: %s", err.message);
    rc = db_exec(conn, db_buf_str(&sql), &err);
    db_buf_free(&sql);
    ck_assert_msg(rc == 0, "create tables: %s", err.message);
    /* libsodium's lowest Argon2id limits: the tests stay fast */
    settings.auth_ops_limit = 1;
    settings.auth_mem_limit = 8192;
    struct db_error aerr;
    ck_assert_int_eq(http_auth_init(&auth, &settings, 1, &aerr), 0);
    api = (struct http_api){
        .conn = conn,
        .cfg = &cfg,
        .models = models_schema(),
        .ready = 1,
        .auth = &auth,
        .log = capture_log,
    };
    logged[0] = '\0';
    authorization[0] = '\0';
    nusers = 0;
}

static void teardown(void)
{
    db_disconnect(conn);
    conn = NULL;
    tu_cleanup();
}

/* The last response, parsed. */
static struct http_response resp;
static json_t *json;

/*
 * Sends method target (path with an optional "?a=1&b" query) with body
 * (NULL for none) as application/json. Returns the status; the body is
 * parsed into json (NULL when there is none).
 */
static int call_ct(const char *method, const char *target, const char *body,
                   const char *content_type)
{
    static char buf[1024];
    static struct http_arg args[16];
    snprintf(buf, sizeof buf, "%s", target);
    size_t nargs = 0;
    char *q = strchr(buf, '?');
    if (q) {
        *q++ = '\0';
        for (char *tok = strtok(q, "&"); tok && nargs < 16;
             tok = strtok(NULL, "&")) {
            char *eq = strchr(tok, '=');
            if (eq)
                *eq++ = '\0';
            args[nargs].name = tok;
            args[nargs].value = eq ? eq : "";
            nargs++;
        }
    }
    struct http_request req = {
        .method = method,
        .path = buf,
        .args = args,
        .nargs = nargs,
        .content_type = body ? content_type : NULL,
        .authorization = authorization[0] ? authorization : NULL,
        .body = body,
        .body_len = body ? strlen(body) : 0,
    };
    http_response_free(&resp);
    json_decref(json);
    json = NULL;
    http_api_handle(&api, &req, &resp);
    if (resp.body) {
        json_error_t jerr;
        json = json_loads(resp.body, 0, &jerr);
        ck_assert_msg(json != NULL, "response is not JSON: %s", resp.body);
    }
    return resp.status;
}

static int call(const char *method, const char *target, const char *body)
{
    return call_ct(method, target, body, "application/json");
}

static const char *str(const char *key)
{
    json_t *v = json_object_get(json, key);
    ck_assert_msg(json_is_string(v), "no string '%s' in %s", key,
                  resp.body ? resp.body : "(no body)");
    return json_string_value(v);
}

static long long num(const char *key)
{
    json_t *v = json_object_get(json, key);
    ck_assert_msg(json_is_integer(v), "no integer '%s' in %s", key,
                  resp.body ? resp.body : "(no body)");
    return json_integer_value(v);
}

static size_t nitems(void)
{
    json_t *v = json_object_get(json, "items");
    ck_assert_msg(json_is_array(v), "no items in %s", resp.body);
    return json_array_size(v);
}

static long long item_id(size_t i)
{
    return json_integer_value(
        json_object_get(json_array_get(json_object_get(json, "items"), i),
                        "id"));
}

static void free_resp(void)
{
    http_response_free(&resp);
    json_decref(json);
    json = NULL;
}

/* Sends token as the bearer token from now on ("" or NULL: none). */
static void use_token(const char *token)
{
    if (token && token[0])
        snprintf(authorization, sizeof authorization, "Bearer %s", token);
    else
        authorization[0] = '\0';
}

/* Calls as user id (made by make_user) from now on. */
static void as(long long id)
{
    for (int i = 0; i < nusers; i++)
        if (users[i].id == id) {
            use_token(users[i].token);
            return;
        }
    ck_abort_msg("no user %lld", id);
}

/* Logs in; returns the status, the token in out when 200. */
static int log_in(const char *email, const char *password,
                  char out[HTTP_AUTH_TOKEN_LEN + 1])
{
    char body[512];
    snprintf(body, sizeof body, "{\"email\": \"%s\", \"password\": \"%s\"}",
             email, password);
    int status = call("POST", "/auth/login", body);
    if (status == 200 && out)
        snprintf(out, HTTP_AUTH_TOKEN_LEN + 1, "%s", str("token"));
    return status;
}

/* Signs up and logs in; calls go as this user from now on. */
static long long make_user(const char *email)
{
    char body[256];
    snprintf(body, sizeof body, "{\"email\": \"%s\", \"name\": \"N\", "
                                "\"password\": \"" PASSWORD "\"}", email);
    ck_assert_int_eq(call("POST", "/auth/signup", body), 201);
    long long id = num("id");
    ck_assert_int_lt(nusers, MAX_USERS);
    users[nusers].id = id;
    ck_assert_int_eq(log_in(email, PASSWORD, users[nusers].token), 200);
    nusers++;
    as(id);
    return id;
}

static long long make_task(long long user, const char *body)
{
    char path[64];
    snprintf(path, sizeof path, "/users/%lld/tasks", user);
    ck_assert_int_eq(call("POST", path, body), 201);
    return num("id");
}

/* ---- router ------------------------------------------------------------ */

START_TEST(test_http__router_matches_routes_and_ids)
{
    struct http_match m;
    ck_assert_int_eq(http_route_match(&m, "/health"), 0);
    ck_assert_int_eq(m.route, HTTP_ROUTE_HEALTH);
    ck_assert_int_eq(http_route_match(&m, "/users"), 0);
    ck_assert_int_eq(m.route, HTTP_ROUTE_USERS);
    ck_assert_int_eq(http_route_match(&m, "/users/42"), 0);
    ck_assert_int_eq(m.route, HTTP_ROUTE_USER);
    ck_assert_int_eq(m.id, 42);
    ck_assert_int_eq(http_route_match(&m, "/users/7/tasks"), 0);
    ck_assert_int_eq(m.route, HTTP_ROUTE_USER_TASKS);
    ck_assert_int_eq(m.id, 7);
    ck_assert_int_eq(http_route_match(&m, "/tasks/999999999999999999"), 0);
    ck_assert_int_eq(m.route, HTTP_ROUTE_TASK);
    ck_assert(m.id == 999999999999999999LL);
    ck_assert_int_eq(http_route_match(&m, "/auth/signup"), 0);
    ck_assert_int_eq(m.route, HTTP_ROUTE_SIGNUP);
    ck_assert_int_eq(http_route_match(&m, "/auth/login"), 0);
    ck_assert_int_eq(m.route, HTTP_ROUTE_LOGIN);
    ck_assert_int_eq(http_route_match(&m, "/auth/logout"), 0);
    ck_assert_int_eq(m.route, HTTP_ROUTE_LOGOUT);
    ck_assert_int_eq(http_route_match(&m, "/me"), 0);
    ck_assert_int_eq(m.route, HTTP_ROUTE_ME);
    /* only these answer without a token */
    ck_assert(http_route_public(HTTP_ROUTE_HEALTH));
    ck_assert(http_route_public(HTTP_ROUTE_SIGNUP));
    ck_assert(http_route_public(HTTP_ROUTE_LOGIN));
    ck_assert(!http_route_public(HTTP_ROUTE_LOGOUT));
    ck_assert(!http_route_public(HTTP_ROUTE_ME));
    ck_assert(!http_route_public(HTTP_ROUTE_USERS));
    ck_assert(!http_route_public(HTTP_ROUTE_USER));
    ck_assert(!http_route_public(HTTP_ROUTE_USER_TASKS));
    ck_assert(!http_route_public(HTTP_ROUTE_TASK));
}
END_TEST

static const char *const no_route[] = {
    "", "/", "health", "/health/", "//health", "/users/", "/users/0",
    "/users/01", "/users/-1", "/users/+1", "/users/1a", "/users/abc",
    "/users/1/", "/users/1/tasks/", "/users/1/tasks/2", "/tasks",
    "/tasks/1/x", "/users/1234567890123456789", "/Users", "/a/b/c/d/e",
    "/auth", "/auth/", "/auth/other", "/auth/login/", "/me/", "/me/1",
};

START_TEST(test_http__router_rejects_other_paths)
{
    struct http_match m;
    ck_assert_msg(http_route_match(&m, no_route[_i]) == -1,
                  "'%s' should not match", no_route[_i]);
    ck_assert_int_eq(m.route, HTTP_ROUTE_NONE);
}
END_TEST

START_TEST(test_http__router_allow_lists_methods)
{
    ck_assert_str_eq(http_route_allow(HTTP_ROUTE_TASK), "GET, PATCH, DELETE");
    ck_assert_str_eq(http_route_allow(HTTP_ROUTE_USER), "GET, PATCH, DELETE");
    ck_assert(http_route_allows(HTTP_ROUTE_TASK, "PATCH"));
    ck_assert(!http_route_allows(HTTP_ROUTE_TASK, "POST"));
    ck_assert(!http_route_allows(HTTP_ROUTE_USERS, "GE"));
    ck_assert(!http_route_allows(HTTP_ROUTE_NONE, "GET"));
}
END_TEST

/* ---- handlers, on each backend ----------------------------------------- */

START_TEST(test_http__health_reports_phase)
{
    open_api(_i);
    ck_assert_int_eq(call("GET", "/health", NULL), 200);
    ck_assert_str_eq(str("status"), "ok");
    ck_assert_str_eq(str("phase"), "pre-user");
    ck_assert(json_is_null(json_object_get(json, "revision")));
    free_resp();
}
END_TEST

START_TEST(test_http__health_reports_revision_from_version_table)
{
    open_api(_i);
    tu_exec(conn, "CREATE TABLE \"app_version\" (\"revision\" TEXT NOT NULL "
                  "PRIMARY KEY)");
    ck_assert_int_eq(call("GET", "/health", NULL), 200);
    ck_assert(json_is_null(json_object_get(json, "revision")));
    tu_exec(conn, "INSERT INTO \"app_version\" VALUES ('0002')");
    ck_assert_int_eq(call("GET", "/health", NULL), 200);
    ck_assert_str_eq(str("revision"), "0002");
    tu_exec(conn, "INSERT INTO \"app_version\" VALUES ('0001b')");
    ck_assert_int_eq(call("GET", "/health", NULL), 200);
    ck_assert_str_eq(resp.body, "{\"status\":\"ok\",\"phase\":\"pre-user\","
                                "\"revision\":[\"0001b\",\"0002\"]}");
    tu_exec(conn, "CREATE TABLE \"app_version_dirty\" (\"revision\" TEXT)");
    ck_assert_int_eq(call("GET", "/health", NULL), 200);
    tu_exec(conn, "INSERT INTO \"app_version_dirty\" VALUES ('0002')");
    ck_assert_int_eq(call("GET", "/health", NULL), 503);
    ck_assert_ptr_nonnull(strstr(str("error"), "needs attention"));
    free_resp();
}
END_TEST

START_TEST(test_http__health_503_while_schema_not_ready)
{
    open_api(_i);
    api.ready = 0;
    ck_assert_int_eq(call("GET", "/health", NULL), 503);
    ck_assert_str_eq(str("status"), "unavailable");
    api.ready = 1;
    tu_exec(conn, "DROP TABLE \"tasks\"");
    ck_assert_int_eq(call("GET", "/health", NULL), 503);
    ck_assert_ptr_nonnull(strstr(str("error"), "tasks"));
    free_resp();
}
END_TEST

START_TEST(test_http__no_connection_is_503_database_unavailable)
{
    open_api(_i);
    api.conn = NULL; /* the server is re-establishing it */
    ck_assert_int_eq(call("GET", "/health", NULL), 503);
    ck_assert_str_eq(str("status"), "unavailable");
    ck_assert_str_eq(str("error"), "database unavailable");
    ck_assert_int_eq(call("GET", "/users", NULL), 503);
    ck_assert_str_eq(resp.body, "{\"error\":\"database unavailable\"}");
    ck_assert_int_eq(call("POST", "/auth/signup",
                          "{\"email\":\"a@x.org\",\"name\":\"A\","
                          "\"password\":\"pass word 1\"}"), 503);
    /* what needs no database is answered as ever */
    ck_assert_int_eq(call("GET", "/nowhere", NULL), 404);
    ck_assert_int_eq(call("PUT", "/users", NULL), 405);
    api.conn = conn;
    ck_assert_int_eq(call("GET", "/health", NULL), 200);
    free_resp();
}
END_TEST

START_TEST(test_http__create_get_user)
{
    open_api(_i);
    ck_assert_int_eq(call("POST", "/auth/signup",
                          "{\"email\":\"ann@example.org\",\"name\":\"Ann\","
                          "\"password\":\"" PASSWORD "\"}"),
                     201);
    long long id = num("id");
    ck_assert_str_eq(str("email"), "ann@example.org");
    /* no password and no hash in the response */
    ck_assert_ptr_null(strstr(resp.body, "password"));
    ck_assert_ptr_null(strstr(resp.body, PASSWORD));
    ck_assert_ptr_null(strstr(resp.body, "argon2"));
    ck_assert_str_eq(str("name"), "Ann");
    /* RFC 3339 in UTC on both databases: 2026-11-21T20:25:04[.123456]Z */
    const char *at = str("created_at");
    ck_assert_msg(strlen(at) >= 20 && at[4] == '-' && at[10] == 'T' &&
                      at[13] == ':' && at[strlen(at) - 1] == 'Z',
                  "created_at: %s", at);
    char loc[64], path[64], token[HTTP_AUTH_TOKEN_LEN + 1];
    snprintf(loc, sizeof loc, "/users/%lld", id);
    ck_assert_str_eq(resp.location, loc);
    ck_assert_int_eq(log_in("ann@example.org", PASSWORD, token), 200);
    use_token(token);
    snprintf(path, sizeof path, "/users/%lld", id);
    ck_assert_int_eq(call("GET", path, NULL), 200);
    ck_assert_int_eq(num("id"), id);
    ck_assert_str_eq(str("email"), "ann@example.org");
    ck_assert_int_eq(call("GET", "/users/999", NULL), 404);
    ck_assert_str_eq(str("error"), "user not found");
    free_resp();
}
END_TEST

START_TEST(test_http__duplicate_email_409)
{
    open_api(_i);
    make_user("a@x.org");
    ck_assert_int_eq(call("POST", "/auth/signup",
                          "{\"email\":\"a@x.org\",\"name\":\"Other\","
                          "\"password\":\"another one\"}"),
                     409);
    ck_assert_str_eq(str("field"), "email");
    ck_assert_int_eq(call("GET", "/users", NULL), 200);
    ck_assert_int_eq(nitems(), 1);
    ck_assert_int_eq(tu_long(conn, "SELECT count(*) FROM \"users\""), 1);
    free_resp();
}
END_TEST

START_TEST(test_http__list_users_shows_only_the_caller)
{
    open_api(_i);
    long long ids[5];
    for (int i = 0; i < 5; i++) {
        char email[32];
        snprintf(email, sizeof email, "u%d@x.org", i);
        ids[i] = make_user(email);
    }
    as(ids[2]);
    ck_assert_int_eq(call("GET", "/users", NULL), 200);
    ck_assert_int_eq(nitems(), 1);
    ck_assert_int_eq(item_id(0), ids[2]);
    ck_assert(json_is_null(json_object_get(json, "next_after")));
    ck_assert_int_eq(call("GET", "/users?limit=1", NULL), 200);
    ck_assert_int_eq(nitems(), 1);
    ck_assert(json_is_null(json_object_get(json, "next_after")));
    char path[64];
    snprintf(path, sizeof path, "/users?after=%lld", ids[2]);
    ck_assert_int_eq(call("GET", path, NULL), 200);
    ck_assert_int_eq(nitems(), 0);
    snprintf(path, sizeof path, "/users?after=%lld&limit=2", ids[0]);
    ck_assert_int_eq(call("GET", path, NULL), 200);
    ck_assert_int_eq(nitems(), 1);
    ck_assert_int_eq(item_id(0), ids[2]);
    free_resp();
}
END_TEST

static const char *const bad_list_queries[] = {
    "/users?limit=0", "/users?limit=201", "/users?limit=abc",
    "/users?limit=-1", "/users?limit=", "/users?after=x", "/users?after=-5",
    "/users?offset=3", "/users?limit=1&sort=name",
    "/users/1/tasks?status=later", "/users/1/tasks?status=",
    "/users/1/tasks?limit=1000", "/health?verbose=1",
};

START_TEST(test_http__bad_query_parameters_400)
{
    open_api(0);
    make_user("a@x.org");
    ck_assert_msg(call("GET", bad_list_queries[_i], NULL) == 400, "%s: %d %s",
                  bad_list_queries[_i], resp.status, resp.body);
    ck_assert(strlen(str("error")) > 0);
    ck_assert(strlen(str("parameter")) > 0);
    free_resp();
}
END_TEST

#define PW ",\"password\":\"" PASSWORD "\""
static const struct {
    const char *body;
    const char *field;   /* expected "field" in the error, NULL: none */
} bad_users[] = {
    {"{\"email\":\"a@x.org\",\"name\":", NULL},         /* bad JSON */
    {"not json", NULL},
    {"", NULL},                                         /* empty body */
    {"[1, 2]", NULL},                                   /* not an object */
    {"\"a@x.org\"", NULL},
    {"{\"email\":\"a@x.org\",\"email\":\"b@x.org\",\"name\":\"N\"" PW "}", NULL},
    {"{\"name\":\"N\"" PW "}", "email"},                /* missing */
    {"{\"email\":\"a@x.org\"" PW "}", "name"},
    {"{\"email\":\"a@x.org\",\"name\":\"N\"}", "password"},
    {"{\"email\":\"a@x.org\",\"name\":\"N\",\"admin\":true" PW "}", "admin"},
    {"{\"email\":7,\"name\":\"N\"" PW "}", "email"},    /* wrong type */
    {"{\"email\":\"a@x.org\",\"name\":null" PW "}", "name"},
    {"{\"email\":\"a@x.org\",\"name\":[\"N\"]" PW "}", "name"},
    {"{\"email\":\"a@x.org\",\"name\":\"N\",\"password\":12345678}", "password"},
    {"{\"email\":\"\",\"name\":\"N\"" PW "}", "email"}, /* bad value */
    {"{\"email\":\"no-at-sign\",\"name\":\"N\"" PW "}", "email"},
    {"{\"email\":\"a@b@c\",\"name\":\"N\"" PW "}", "email"},
    {"{\"email\":\"a@x.org\",\"name\":\"\"" PW "}", "name"},
    {"{\"email\":\"a@x.org\",\"name\":\"tab\\there\"" PW "}", "name"},
    {"{\"email\":\"a@x.org\",\"name\":\"N\",\"password\":\"short\"}", "password"},
    {"{\"email\":\"a@x.org\",\"name\":\"N\",\"password\":\"\"}", "password"},
};

START_TEST(test_http__create_user_bad_input_400)
{
    open_api(0);
    ck_assert_msg(call("POST", "/auth/signup", bad_users[_i].body) == 400,
                  "%s: %d %s", bad_users[_i].body, resp.status, resp.body);
    ck_assert(strlen(str("error")) > 0);
    if (bad_users[_i].field)
        ck_assert_str_eq(str("field"), bad_users[_i].field);
    ck_assert_int_eq(tu_long(conn, "SELECT count(*) FROM \"users\""), 0);
    free_resp();
}
END_TEST

START_TEST(test_http__too_long_values_400)
{
    open_api(0);
    char body[1024], name[200];
    memset(name, 'n', 121);
    name[121] = '\0';
    snprintf(body, sizeof body, "{\"email\":\"a@x.org\",\"name\":\"%s\"" PW
             "}", name);
    ck_assert_int_eq(call("POST", "/auth/signup", body), 400);
    ck_assert_str_eq(str("field"), "name");
    /* 120 characters of two bytes each fit: characters, not bytes */
    body[0] = '\0';
    strcat(body, "{\"email\":\"a@x.org\",\"name\":\"");
    for (int i = 0; i < 120; i++)
        strcat(body, "\xc3\xa9");
    strcat(body, "\"" PW "}");
    ck_assert_int_eq(call("POST", "/auth/signup", body), 201);
    free_resp();
}
END_TEST

START_TEST(test_http__non_json_content_type_415)
{
    open_api(0);
    ck_assert_int_eq(call_ct("POST", "/auth/signup", "email=a@x.org&name=N",
                             "application/x-www-form-urlencoded"),
                     415);
    ck_assert_int_eq(call_ct("POST", "/auth/signup",
                             "{\"email\":\"a@x.org\",\"name\":\"N\"" PW "}",
                             "application/json; charset=utf-8"),
                     201);
    ck_assert_int_eq(call_ct("POST", "/auth/signup",
                             "{\"email\":\"b@x.org\",\"name\":\"N\"" PW "}",
                             "application/jsonx"),
                     415);
    free_resp();
}
END_TEST

START_TEST(test_http__create_and_list_tasks)
{
    open_api(_i);
    long long u = make_user("a@x.org");
    long long other = make_user("b@x.org");
    as(u);
    long long t1 = make_task(u, "{\"title\":\"write\"}");
    ck_assert_str_eq(str("status"), "todo"); /* the model's default */
    ck_assert(json_is_null(json_object_get(json, "description")));
    ck_assert_int_eq(num("user_id"), u);
    char loc[64];
    snprintf(loc, sizeof loc, "/tasks/%lld", t1);
    ck_assert_str_eq(resp.location, loc);
    long long t2 = make_task(u, "{\"title\":\"test\",\"status\":\"done\","
                                "\"description\":\"all of it\"}");
    ck_assert_str_eq(str("description"), "all of it");
    as(other);
    make_task(other, "{\"title\":\"not mine\",\"description\":null}");
    as(u);

    char path[80];
    snprintf(path, sizeof path, "/users/%lld/tasks", u);
    ck_assert_int_eq(call("GET", path, NULL), 200);
    ck_assert_int_eq(nitems(), 2);
    ck_assert_int_eq(item_id(0), t1);
    ck_assert_int_eq(item_id(1), t2);
    snprintf(path, sizeof path, "/users/%lld/tasks?status=done", u);
    ck_assert_int_eq(call("GET", path, NULL), 200);
    ck_assert_int_eq(nitems(), 1);
    ck_assert_int_eq(item_id(0), t2);
    snprintf(path, sizeof path, "/users/%lld/tasks?status=doing", u);
    ck_assert_int_eq(call("GET", path, NULL), 200);
    ck_assert_int_eq(nitems(), 0);
    snprintf(path, sizeof path, "/users/%lld/tasks?limit=1", u);
    ck_assert_int_eq(call("GET", path, NULL), 200);
    ck_assert_int_eq(nitems(), 1);
    ck_assert_int_eq(num("next_after"), t1);
    snprintf(path, sizeof path, "/tasks/%lld", t2);
    ck_assert_int_eq(call("GET", path, NULL), 200);
    ck_assert_str_eq(str("title"), "test");
    free_resp();
}
END_TEST

START_TEST(test_http__tasks_of_unknown_user_404)
{
    open_api(_i);
    make_user("a@x.org");
    ck_assert_int_eq(call("POST", "/users/77/tasks", "{\"title\":\"x\"}"),
                     404);
    ck_assert_str_eq(str("error"), "user not found");
    ck_assert_int_eq(call("GET", "/users/77/tasks", NULL), 404);
    ck_assert_int_eq(call("GET", "/tasks/1", NULL), 404);
    ck_assert_str_eq(str("error"), "task not found");
    free_resp();
}
END_TEST

static const struct {
    const char *body;
    const char *field;
} bad_tasks[] = {
    {"{}", "title"},
    {"{\"title\":\"\"}", "title"},
    {"{\"title\":5}", "title"},
    {"{\"title\":\"x\",\"status\":\"later\"}", "status"},
    {"{\"title\":\"x\",\"status\":null}", "status"},
    {"{\"title\":\"x\",\"description\":3}", "description"},
    {"{\"title\":\"x\",\"user_id\":1}", "user_id"},
    {"{\"title\":\"x\",\"id\":9}", "id"},
    {"{\"title\":\"x\"", NULL},
    {"null", NULL},
};

START_TEST(test_http__create_task_bad_input_400)
{
    open_api(0);
    long long u = make_user("a@x.org");
    char path[64];
    snprintf(path, sizeof path, "/users/%lld/tasks", u);
    ck_assert_msg(call("POST", path, bad_tasks[_i].body) == 400, "%s: %d %s",
                  bad_tasks[_i].body, resp.status, resp.body);
    if (bad_tasks[_i].field)
        ck_assert_str_eq(str("field"), bad_tasks[_i].field);
    ck_assert_int_eq(call("GET", path, NULL), 200);
    ck_assert_int_eq(nitems(), 0);
    free_resp();
}
END_TEST

/* Lengths and JSON types come from the models, not from copies in the
 * API: a model whose tasks.title is VARCHAR(5) is held to 5 characters,
 * and ids come out as numbers because the model says INTEGER. */
START_TEST(test_http__lengths_and_types_come_from_the_models)
{
    open_api(0);
    long long u = make_user("a@x.org");
    const struct db_table *real = db_schema_table(models_schema(), "tasks");
    static struct db_column cols[32];
    ck_assert_uint_le(real->ncolumns, 32);
    struct db_table tasks = *real;
    for (size_t i = 0; i < real->ncolumns; i++) {
        cols[i] = real->columns[i];
        if (strcmp(cols[i].name, "title") == 0)
            cols[i].length = 5;
    }
    tasks.columns = cols;
    const struct db_table *tables[8];
    const struct db_schema *m = models_schema();
    ck_assert_uint_le(m->ntables, 8);
    for (size_t i = 0; i < m->ntables; i++)
        tables[i] = strcmp(m->tables[i]->name, "tasks") == 0
                        ? &tasks : m->tables[i];
    struct db_schema narrow = {.tables = tables, .ntables = m->ntables};
    api.models = &narrow;
    char path[64];
    snprintf(path, sizeof path, "/users/%lld/tasks", u);
    ck_assert_int_eq(call("POST", path, "{\"title\":\"abcdef\"}"), 400);
    ck_assert_str_eq(str("field"), "title");
    ck_assert_ptr_nonnull(strstr(resp.body, "at most 5 characters"));
    ck_assert_int_eq(call("POST", path, "{\"title\":\"abcde\"}"), 201);
    json_t *body = json_loads(resp.body, 0, NULL);
    ck_assert_ptr_nonnull(body);
    ck_assert(json_is_integer(json_object_get(body, "id")));
    ck_assert(json_is_integer(json_object_get(body, "user_id")));
    ck_assert(json_is_string(json_object_get(body, "created_at")));
    json_decref(body);
    api.models = models_schema();
    free_resp();
}
END_TEST

/* A database failure is logged without the server's detail: PostgreSQL's
 * "Failing row contains (...)" would quote a token's or a password's hash. */
START_TEST(test_http__database_errors_log_no_row_values)
{
    open_api(_i);
    struct db_error err;
    const char *params[] = {"hash-SECRET-0123"};
    int rc = db_query(conn, "INSERT INTO \"sessions\" (\"user_id\", "
                            "\"token_hash\", \"expires_at\", "
                            "\"last_used_at\") VALUES (NULL, $1, "
                            "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
                      1, params, NULL, NULL, NULL, &err);
    ck_assert_int_ne(rc, 0);
    if (strstr(err.message, "SECRET"))           /* the driver keeps it... */
        ck_assert_int_gt(err.detail_at, 0);      /* ...and says where */
    struct http_request req = {.method = "POST", .path = "/auth/login"};
    logged[0] = '\0';
    http_api__log_db_error(&api, &req, &err);
    ck_assert_ptr_nonnull(strstr(logged, "POST /auth/login: "));
    ck_assert_msg(strstr(logged, "SECRET") == NULL, "%s", logged);
    if (strcmp(tu_backend_name(_i), "postgresql") == 0)
        ck_assert_ptr_nonnull(strstr(err.message, "SECRET"));
}
END_TEST

START_TEST(test_http__update_task_status)
{
    open_api(_i);
    long long u = make_user("a@x.org");
    long long t = make_task(u, "{\"title\":\"x\"}");
    char path[64];
    snprintf(path, sizeof path, "/tasks/%lld", t);
    ck_assert_int_eq(call("PATCH", path, "{\"status\":\"doing\"}"), 200);
    ck_assert_str_eq(str("status"), "doing");
    ck_assert_str_eq(str("title"), "x");
    ck_assert_int_eq(call("GET", path, NULL), 200);
    ck_assert_str_eq(str("status"), "doing");
    ck_assert_int_eq(call("PATCH", path, "{\"status\":\"someday\"}"), 400);
    ck_assert_int_eq(call("PATCH", path, "{\"title\":\"y\"}"), 400);
    ck_assert_int_eq(call("PATCH", path, "{}"), 400);
    ck_assert_ptr_nonnull(strstr(str("error"), "'status'"));
    /* the allowed values are the model's */
    ck_assert_int_eq(call("PATCH", path, "{\"status\":\"later\"}"), 400);
    ck_assert_str_eq(str("error"),
                     "field 'status' must be one of: todo, doing, done");
    ck_assert_int_eq(call("PATCH", path, "{\"status\":1}"), 400);
    ck_assert_int_eq(call("GET", path, NULL), 200);
    ck_assert_str_eq(str("status"), "doing");
    ck_assert_int_eq(call("PATCH", "/tasks/4242", "{\"status\":\"done\"}"),
                     404);
    free_resp();
}
END_TEST

/* Projects: the caller's own, names unique per user, tasks in them. */
START_TEST(test_http__projects)
{
    open_api(_i);
    long long other = make_user("b@x.org");
    char path[64];
    snprintf(path, sizeof path, "/users/%lld/projects", other);
    ck_assert_int_eq(call("POST", path, "{\"name\":\"theirs\"}"), 201);
    long long theirs = num("id");
    long long u = make_user("a@x.org");
    snprintf(path, sizeof path, "/users/%lld/projects", u);
    ck_assert_int_eq(call("POST", path, "{\"name\":\"home\"}"), 201);
    long long home = num("id");
    ck_assert_int_eq(num("user_id"), u);
    ck_assert_str_eq(str("name"), "home");
    /* the same name again: the composite unique index says no */
    ck_assert_int_eq(call("POST", path, "{\"name\":\"home\"}"), 409);
    ck_assert_str_eq(str("field"), "name");
    /* another user may have a project of the same name */
    ck_assert_int_eq(call("POST", path, "{\"name\":\"theirs\"}"), 201);
    ck_assert_int_eq(call("POST", path, "{\"name\":\"\"}"), 400);
    ck_assert_int_eq(call("POST", path, "{\"name\":3}"), 400);
    ck_assert_int_eq(call("GET", path, NULL), 200);
    ck_assert_int_eq(json_array_size(json_object_get(json, "items")), 2);
    /* someone else's: 404 like an unknown one */
    char other_path[64];
    snprintf(other_path, sizeof other_path, "/projects/%lld", theirs);
    ck_assert_int_eq(call("GET", other_path, NULL), 404);
    ck_assert_str_eq(str("error"), "project not found");
    ck_assert_int_eq(call("DELETE", other_path, NULL), 404);
    snprintf(other_path, sizeof other_path, "/users/%lld/projects", other);
    ck_assert_int_eq(call("GET", other_path, NULL), 404);

    /* tasks in a project: only the caller's projects */
    char body[128];
    snprintf(body, sizeof body, "{\"title\":\"t\",\"project_id\":%lld}",
             home);
    long long t = make_task(u, body);
    ck_assert_int_eq(num("project_id"), home);
    snprintf(body, sizeof body, "{\"title\":\"t\",\"project_id\":%lld}",
             theirs);
    snprintf(path, sizeof path, "/users/%lld/tasks", u);
    ck_assert_int_eq(call("POST", path, body), 400);
    ck_assert_str_eq(str("field"), "project_id");
    ck_assert_int_eq(call("POST", path, "{\"title\":\"t\",\"project_id\":0}"),
                     400);
    ck_assert_int_eq(call("POST", path,
                          "{\"title\":\"t\",\"project_id\":\"1\"}"), 400);
    snprintf(path, sizeof path, "/tasks/%lld", t);
    snprintf(body, sizeof body, "{\"project_id\":%lld}", theirs);
    ck_assert_int_eq(call("PATCH", path, body), 400);
    ck_assert_int_eq(call("PATCH", path, "{\"project_id\":null}"), 200);
    ck_assert(json_is_null(json_object_get(json, "project_id")));
    ck_assert_str_eq(str("status"), "todo");
    snprintf(body, sizeof body, "{\"project_id\":%lld,\"status\":\"done\"}",
             home);
    ck_assert_int_eq(call("PATCH", path, body), 200);
    ck_assert_int_eq(num("project_id"), home);
    ck_assert_str_eq(str("status"), "done");

    /* deleting the project keeps the task, out of any project */
    snprintf(other_path, sizeof other_path, "/projects/%lld", home);
    ck_assert_int_eq(call("GET", other_path, NULL), 200);
    ck_assert_int_eq(num("id"), home);
    ck_assert_int_eq(call("DELETE", other_path, NULL), 204);
    ck_assert_int_eq(call("GET", other_path, NULL), 404);
    ck_assert_int_eq(call("GET", path, NULL), 200);
    ck_assert(json_is_null(json_object_get(json, "project_id")));
    free_resp();
}
END_TEST

START_TEST(test_http__delete_task)
{
    open_api(_i);
    long long u = make_user("a@x.org");
    long long t = make_task(u, "{\"title\":\"x\"}");
    char path[64];
    snprintf(path, sizeof path, "/tasks/%lld", t);
    ck_assert_int_eq(call("DELETE", path, NULL), 204);
    ck_assert_ptr_null(resp.body);
    ck_assert_int_eq(call("GET", path, NULL), 404);
    ck_assert_int_eq(call("DELETE", path, NULL), 404);
    free_resp();
}
END_TEST

START_TEST(test_http__delete_user_cascades_to_tasks)
{
    open_api(_i);
    long long u = make_user("a@x.org");
    long long keep = make_user("b@x.org");
    make_task(keep, "{\"title\":\"z\"}");
    as(u);
    long long t = make_task(u, "{\"title\":\"x\"}");
    make_task(u, "{\"title\":\"y\"}");
    char second[HTTP_AUTH_TOKEN_LEN + 1];
    ck_assert_int_eq(log_in("a@x.org", PASSWORD, second), 200);
    ck_assert_int_eq(tu_long(conn, "SELECT count(*) FROM \"sessions\""), 3);
    as(u);
    char path[64];
    snprintf(path, sizeof path, "/users/%lld", u);
    ck_assert_int_eq(call("DELETE", path, NULL), 204);
    /* the tasks and both sessions went with the account */
    ck_assert_int_eq(tu_long(conn, "SELECT count(*) FROM \"tasks\""), 1);
    ck_assert_int_eq(tu_long(conn, "SELECT count(*) FROM \"sessions\""), 1);
    ck_assert_int_eq(call("GET", path, NULL), 401);
    use_token(second);
    ck_assert_int_eq(call("GET", "/me", NULL), 401);
    as(keep);
    ck_assert_int_eq(call("GET", path, NULL), 404);
    ck_assert_int_eq(call("DELETE", path, NULL), 404);
    snprintf(path, sizeof path, "/tasks/%lld", t);
    ck_assert_int_eq(call("GET", path, NULL), 404);
    free_resp();
}
END_TEST

START_TEST(test_http__unknown_path_404_and_method_405)
{
    open_api(0);
    make_user("a@x.org");
    ck_assert_int_eq(call("GET", "/nothing", NULL), 404);
    ck_assert(strlen(str("error")) > 0);
    ck_assert_int_eq(call("GET", "/users/abc", NULL), 404);
    ck_assert_int_eq(call("PUT", "/tasks/1", "{}"), 405);
    ck_assert_str_eq(resp.allow, "GET, PATCH, DELETE");
    ck_assert_str_eq(str("error"), "method not allowed");
    ck_assert_int_eq(call("DELETE", "/users", NULL), 405);
    ck_assert_str_eq(resp.allow, "GET");
    /* accounts are made by sign-up only */
    ck_assert_int_eq(call("POST", "/users",
                          "{\"email\":\"b@x.org\",\"name\":\"B\"}"), 405);
    ck_assert_int_eq(call("GET", "/auth/login", NULL), 405);
    ck_assert_str_eq(resp.allow, "POST");
    ck_assert_int_eq(call("POST", "/health", "{}"), 405);
    free_resp();
}
END_TEST

START_TEST(test_http__database_error_500_without_detail)
{
    open_api(_i);
    long long u = make_user("a@x.org");
    tu_exec(conn, "DROP TABLE \"tasks\"");
    char path[64];
    snprintf(path, sizeof path, "/users/%lld/tasks", u);
    ck_assert_int_eq(call("GET", path, NULL), 500);
    ck_assert_str_eq(resp.body, "{\"error\":\"internal error\"}");
    ck_assert_int_eq(call("POST", path, "{\"title\":\"x\"}"), 500);
    ck_assert_str_eq(resp.body, "{\"error\":\"internal error\"}");
    /* the operator's log has the reason */
    ck_assert_ptr_nonnull(strstr(logged, "POST"));
    ck_assert_ptr_nonnull(strstr(logged, "tasks"));
    free_resp();
}
END_TEST

/* ---- accounts ---------------------------------------------------------- */

START_TEST(test_http__signup_login_me)
{
    open_api(_i);
    ck_assert_int_eq(call("POST", "/auth/signup",
                          "{\"email\":\"ann@x.org\",\"name\":\"Ann\","
                          "\"password\":\"" PASSWORD "\"}"),
                     201);
    long long id = num("id");
    /* stored as Argon2id only */
    char *hash = tu_str(conn, "SELECT \"password_hash\" FROM \"users\"");
    ck_assert_msg(strncmp(hash, "$argon2id$", 10) == 0, "hash: %.12s", hash);
    ck_assert_ptr_null(strstr(hash, PASSWORD));
    char token[HTTP_AUTH_TOKEN_LEN + 1];
    ck_assert_int_eq(log_in("ann@x.org", PASSWORD, token), 200);
    ck_assert_uint_eq(strlen(token), HTTP_AUTH_TOKEN_LEN);
    ck_assert_uint_eq(strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
                                    "opqrstuvwxyz0123456789-_"),
                      HTTP_AUTH_TOKEN_LEN);
    const char *exp = str("expires_at");
    ck_assert_msg(strlen(exp) == 20 && exp[10] == 'T' && exp[19] == 'Z',
                  "expires_at: %s", exp);
    ck_assert_ptr_null(strstr(resp.body, hash));
    /* the database keeps the token's SHA-256, never the token */
    char *stored = tu_str(conn, "SELECT \"token_hash\" FROM \"sessions\"");
    ck_assert_uint_eq(strlen(stored), 64);
    ck_assert_ptr_null(strstr(stored, token));
    char want[HTTP_AUTH_TOKEN_HASH_LEN + 1];
    ck_assert_int_eq(http_auth_token_hash(want, token), 0);
    ck_assert_str_eq(stored, want);
    use_token(token);
    ck_assert_int_eq(call("GET", "/me", NULL), 200);
    ck_assert_int_eq(num("id"), id);
    ck_assert_str_eq(str("email"), "ann@x.org");
    ck_assert_ptr_null(json_object_get(json, "password_hash"));
    ck_assert_ptr_null(strstr(resp.body, "argon2"));
    free(hash);
    free(stored);
    free_resp();
}
END_TEST

/* Every route but the public ones, with a body where one is needed. */
static const struct {
    const char *method;
    const char *path;
    const char *body;
} private_routes[] = {
    {"GET", "/me", NULL},
    {"POST", "/auth/logout", NULL},
    {"GET", "/users", NULL},
    {"GET", "/users/1", NULL},
    {"DELETE", "/users/1", NULL},
    {"GET", "/users/1/tasks", NULL},
    {"POST", "/users/1/tasks", "{\"title\":\"x\"}"},
    {"GET", "/tasks/1", NULL},
    {"PATCH", "/tasks/1", "{\"status\":\"done\"}"},
    {"DELETE", "/tasks/1", NULL},
};

static const char *const bad_authorizations[] = {
    "Bearer",
    "Bearer ",
    "Basic YW5uQHgub3JnOmNvcnJlY3QgaG9yc2U=",
    "Bearer short",
    "Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* unknown */
    "Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",  /* padded */
    "Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* 44 chars */
    "Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+",  /* not url-safe */
    "Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\x01",
    "Token AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
};

START_TEST(test_http__every_private_route_needs_a_token)
{
    open_api(_i % 2 ? tu_backend_count() - 1 : 0);
    long long u = make_user("a@x.org");
    ck_assert_int_eq(u, 1);
    make_task(u, "{\"title\":\"mine\"}");
    int r = _i / 2;
    use_token(NULL);
    ck_assert_msg(call(private_routes[r].method, private_routes[r].path,
                       private_routes[r].body) == 401,
                  "%s %s without a token: %d", private_routes[r].method,
                  private_routes[r].path, resp.status);
    ck_assert_str_eq(resp.www_authenticate, "Bearer");
    ck_assert_ptr_nonnull(strstr(str("error"), "Authorization: Bearer"));
    for (size_t b = 0; b < sizeof bad_authorizations /
                               sizeof bad_authorizations[0]; b++) {
        snprintf(authorization, sizeof authorization, "%s",
                 bad_authorizations[b]);
        ck_assert_msg(call(private_routes[r].method, private_routes[r].path,
                           private_routes[r].body) == 401,
                      "%s %s with '%s': %d", private_routes[r].method,
                      private_routes[r].path, bad_authorizations[b],
                      resp.status);
        ck_assert_str_eq(resp.www_authenticate,
                         "Bearer error=\"invalid_token\"");
    }
    /* nothing changed */
    ck_assert_int_eq(tu_long(conn, "SELECT count(*) FROM \"tasks\" WHERE "
                                   "\"status\" = 'todo'"), 1);
    ck_assert_int_eq(tu_long(conn, "SELECT count(*) FROM \"users\""), 1);
    ck_assert_int_eq(tu_long(conn, "SELECT count(*) FROM \"sessions\" WHERE "
                                   "\"revoked_at\" IS NULL"), 1);
    /* and with the token, every route answers (not 401) */
    as(u);
    ck_assert_int_ne(call(private_routes[r].method, private_routes[r].path,
                          private_routes[r].body), 401);
    ck_assert_int_lt(resp.status, 300);
    free_resp();
}
END_TEST

START_TEST(test_http__public_routes_need_no_token)
{
    open_api(_i);
    ck_assert_int_eq(call("GET", "/health", NULL), 200);
    ck_assert_int_eq(call("POST", "/auth/signup",
                          "{\"email\":\"a@x.org\",\"name\":\"A\","
                          "\"password\":\"" PASSWORD "\"}"), 201);
    ck_assert_int_eq(log_in("a@x.org", PASSWORD, NULL), 200);
    /* a bad token on a public route is ignored, not refused */
    use_token("nonsense");
    ck_assert_int_eq(call("GET", "/health", NULL), 200);
    ck_assert_int_eq(log_in("a@x.org", PASSWORD, NULL), 200);
    free_resp();
}
END_TEST

START_TEST(test_http__expired_and_revoked_tokens_401)
{
    open_api(_i);
    long long u = make_user("a@x.org");
    (void)u;
    ck_assert_int_eq(call("GET", "/me", NULL), 200);
    /* expired */
    tu_exec(conn, "UPDATE \"sessions\" SET \"expires_at\" = "
                  "'2000-01-01 00:00:00Z'");
    ck_assert_int_eq(call("GET", "/me", NULL), 401);
    ck_assert_str_eq(resp.www_authenticate, "Bearer error=\"invalid_token\"");
    /* revoked by log-out: that token only */
    char t1[HTTP_AUTH_TOKEN_LEN + 1], t2[HTTP_AUTH_TOKEN_LEN + 1];
    ck_assert_int_eq(log_in("a@x.org", PASSWORD, t1), 200);
    ck_assert_int_eq(log_in("a@x.org", PASSWORD, t2), 200);
    ck_assert_str_ne(t1, t2);
    use_token(t1);
    ck_assert_int_eq(call("GET", "/me", NULL), 200);
    ck_assert_int_eq(call("POST", "/auth/logout", NULL), 204);
    ck_assert_ptr_null(resp.body);
    ck_assert_int_eq(call("GET", "/me", NULL), 401);
    ck_assert_int_eq(call("POST", "/auth/logout", NULL), 401);
    use_token(t2);
    ck_assert_int_eq(call("GET", "/me", NULL), 200);
    ck_assert_int_eq(tu_long(conn, "SELECT count(*) FROM \"sessions\" WHERE "
                                   "\"revoked_at\" IS NOT NULL"), 1);
    free_resp();
}
END_TEST

START_TEST(test_http__two_users_see_only_their_own)
{
    open_api(_i);
    long long a = make_user("a@x.org");
    long long ta = make_task(a, "{\"title\":\"a's secret\"}");
    long long b = make_user("b@x.org");
    long long tb = make_task(b, "{\"title\":\"b's\"}");
    char pa[64], pt[64], ptasks[64];
    snprintf(pa, sizeof pa, "/users/%lld", a);
    snprintf(pt, sizeof pt, "/tasks/%lld", ta);
    snprintf(ptasks, sizeof ptasks, "/users/%lld/tasks", a);
    as(b);
    ck_assert_int_eq(call("GET", pa, NULL), 404);
    ck_assert_str_eq(str("error"), "user not found");
    ck_assert_int_eq(call("GET", ptasks, NULL), 404);
    ck_assert_str_eq(str("error"), "user not found");
    ck_assert_int_eq(call("POST", ptasks, "{\"title\":\"planted\"}"), 404);
    ck_assert_int_eq(call("GET", pt, NULL), 404);
    ck_assert_str_eq(str("error"), "task not found");
    ck_assert_int_eq(call("PATCH", pt, "{\"status\":\"done\"}"), 404);
    ck_assert_int_eq(call("DELETE", pt, NULL), 404);
    ck_assert_int_eq(call("DELETE", pa, NULL), 404);
    ck_assert_int_eq(call("GET", "/users", NULL), 200);
    ck_assert_int_eq(nitems(), 1);
    ck_assert_int_eq(item_id(0), b);
    ck_assert_ptr_null(strstr(resp.body, "a@x.org"));
    ck_assert_int_eq(call("GET", "/me", NULL), 200);
    ck_assert_int_eq(num("id"), b);
    /* a's data is untouched and a still sees it */
    as(a);
    ck_assert_int_eq(call("GET", pt, NULL), 200);
    ck_assert_str_eq(str("status"), "todo");
    ck_assert_int_eq(call("GET", ptasks, NULL), 200);
    ck_assert_int_eq(nitems(), 1);
    ck_assert_ptr_null(strstr(resp.body, "b's"));
    snprintf(pt, sizeof pt, "/tasks/%lld", tb);
    ck_assert_int_eq(call("GET", pt, NULL), 404);
    ck_assert_int_eq(tu_long(conn, "SELECT count(*) FROM \"tasks\""), 2);
    ck_assert_int_eq(tu_long(conn, "SELECT count(*) FROM \"users\""), 2);
    free_resp();
}
END_TEST

START_TEST(test_http__wrong_password_and_unknown_email_alike)
{
    open_api(_i);
    make_user("a@x.org");
    tu_exec(conn, "INSERT INTO \"users\" (\"email\", \"name\") VALUES "
                  "('old@x.org', 'Before accounts')");
    use_token(NULL);
    const char *bodies[] = {
        "{\"email\":\"a@x.org\",\"password\":\"wrong horse\"}",
        "{\"email\":\"nobody@x.org\",\"password\":\"wrong horse\"}",
        "{\"email\":\"old@x.org\",\"password\":\"wrong horse\"}",
        "{\"email\":\"old@x.org\",\"password\":\"\"}",
    };
    char first[256] = "";
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(call("POST", "/auth/login", bodies[i]), 401);
        ck_assert_ptr_nonnull(resp.body);
        if (i == 0)
            snprintf(first, sizeof first, "%s", resp.body);
        ck_assert_str_eq(resp.body, first);
        ck_assert_str_eq(resp.www_authenticate, "");
    }
    ck_assert_str_eq(first, "{\"error\":\"wrong email or password\"}");
    /* each one counted, known email or not */
    ck_assert_int_eq(tu_long(conn, "SELECT count(*) FROM \"login_failures\""),
                     4);
    ck_assert_int_eq(call("POST", "/auth/login", "{\"email\":\"a@x.org\"}"),
                     400);
    ck_assert_str_eq(str("field"), "password");
    ck_assert_int_eq(call("POST", "/auth/login",
                          "{\"email\":\"a@x.org\",\"password\":5}"), 400);
    ck_assert_int_eq(tu_long(conn, "SELECT count(*) FROM \"sessions\""), 1);
    free_resp();
}
END_TEST

START_TEST(test_http__failed_logins_lock_the_email)
{
    open_api(_i);
    auth.max_failures = 3;
    auth.failure_window = 600;
    make_user("a@x.org");
    make_user("b@x.org");
    use_token(NULL);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(log_in("a@x.org", "wrong horse", NULL), 401);
    /* locked, even for the right password; another email is not */
    ck_assert_int_eq(log_in("a@x.org", PASSWORD, NULL), 429);
    long long wait = atoll(resp.retry_after);
    ck_assert_msg(wait >= 590 && wait <= 600, "Retry-After: %s",
                  resp.retry_after);
    ck_assert_int_eq(num("retry_after"), wait);
    ck_assert_ptr_nonnull(strstr(str("error"), "too many failed log-ins"));
    ck_assert_int_eq(log_in("b@x.org", PASSWORD, NULL), 200);
    /* unknown emails lock the same way */
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(log_in("ghost@x.org", "x", NULL), 401);
    ck_assert_int_eq(log_in("ghost@x.org", "x", NULL), 429);
    /* the window passes: the oldest failure leaves it */
    tu_exec(conn, "UPDATE \"login_failures\" SET \"failed_at\" = "
                  "\"failed_at\" - 601 WHERE \"id\" IN (SELECT min(\"id\") "
                  "FROM \"login_failures\" WHERE \"email\" = 'a@x.org')");
    ck_assert_int_eq(log_in("a@x.org", PASSWORD, NULL), 200);
    /* success forgets the email's failures */
    ck_assert_int_eq(tu_long(conn, "SELECT count(*) FROM \"login_failures\" "
                                   "WHERE \"email\" = 'a@x.org'"), 0);
    free_resp();
}
END_TEST

START_TEST(test_http__login_rehashes_when_limits_change)
{
    open_api(_i);
    make_user("a@x.org");
    char *before = tu_str(conn, "SELECT \"password_hash\" FROM \"users\"");
    ck_assert_ptr_nonnull(strstr(before, "$m=8,t=1,"));
    auth.ops_limit = 2;
    ck_assert_int_eq(log_in("a@x.org", PASSWORD, NULL), 200);
    char *after = tu_str(conn, "SELECT \"password_hash\" FROM \"users\"");
    ck_assert_msg(strstr(after, "$m=8,t=2,") != NULL, "%.40s", after);
    ck_assert_int_eq(log_in("a@x.org", PASSWORD, NULL), 200);
    char *again = tu_str(conn, "SELECT \"password_hash\" FROM \"users\"");
    ck_assert_str_eq(after, again); /* not rehashed twice */
    free(before);
    free(after);
    free(again);
    free_resp();
}
END_TEST

START_TEST(test_http__password_length_limits)
{
    open_api(0);
    auth.password_min = 10;
    auth.password_max = 12;
    ck_assert_int_eq(call("POST", "/auth/signup",
                          "{\"email\":\"a@x.org\",\"name\":\"A\","
                          "\"password\":\"123456789\"}"), 400);
    ck_assert_str_eq(str("error"),
                     "field 'password' must be at least 10 characters");
    ck_assert_int_eq(call("POST", "/auth/signup",
                          "{\"email\":\"a@x.org\",\"name\":\"A\","
                          "\"password\":\"1234567890123\"}"), 400);
    ck_assert_str_eq(str("error"),
                     "field 'password' must be at most 12 characters");
    /* characters, not bytes: twelve two-byte characters fit */
    ck_assert_int_eq(call("POST", "/auth/signup",
                          "{\"email\":\"a@x.org\",\"name\":\"A\",\"password\":"
                          "\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                          "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}"),
                     201);
    free_resp();
}
END_TEST

START_TEST(test_http__set_password_revokes_sessions)
{
    open_api(_i);
    long long u = make_user("a@x.org");
    (void)u;
    tu_exec(conn, "INSERT INTO \"users\" (\"email\", \"name\") VALUES "
                  "('old@x.org', 'Before accounts')");
    use_token(NULL);
    ck_assert_int_eq(log_in("a@x.org", "wrong horse", NULL), 401);
    ck_assert_int_eq(log_in("old@x.org", "", NULL), 401);
    long revoked = -1;
    struct db_error err;
    ck_assert_int_eq(http_auth_set_password(&revoked, conn, &settings, "old@x.org",
                                            "a new password", &err), 0);
    ck_assert_int_eq(revoked, 0);
    ck_assert_int_eq(log_in("old@x.org", "a new password", NULL), 200);
    ck_assert_int_eq(http_auth_set_password(&revoked, conn, &settings, "a@x.org",
                                            "another password", &err), 0);
    ck_assert_int_eq(revoked, 1);
    as(u);
    ck_assert_int_eq(call("GET", "/me", NULL), 401);
    ck_assert_int_eq(log_in("a@x.org", PASSWORD, NULL), 401);
    ck_assert_int_eq(log_in("a@x.org", "another password", NULL), 200);
    ck_assert_int_eq(http_auth_set_password(&revoked, conn, &settings,
                                            "nobody@x.org", "long enough",
                                            &err), DB_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(err.message, "nobody@x.org"));
    ck_assert_int_eq(http_auth_set_password(&revoked, conn, &settings, "a@x.org",
                                            "short", &err), DB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(err.message, "at least 8 characters"));
    ck_assert_ptr_null(strstr(err.message, "short"));
    ck_assert_int_eq(log_in("a@x.org", "another password", NULL), 200);
    free_resp();
}
END_TEST

START_TEST(test_http__token_hash_rejects_malformed)
{
    struct app_settings c;
    app_settings_defaults(&c);
    c.auth_ops_limit = 1;
    c.auth_mem_limit = 8192;
    struct http_auth a;
    struct db_error err;
    ck_assert_int_eq(http_auth_init(&a, &c, 0, &err), 0);
    char token[HTTP_AUTH_TOKEN_LEN + 1], hash[HTTP_AUTH_TOKEN_HASH_LEN + 1];
    char other[HTTP_AUTH_TOKEN_LEN + 1], h2[HTTP_AUTH_TOKEN_HASH_LEN + 1];
    http_auth_new_token(token, hash);
    http_auth_new_token(other, h2);
    ck_assert_str_ne(token, other);
    ck_assert_str_ne(hash, h2);
    char again[HTTP_AUTH_TOKEN_HASH_LEN + 1];
    ck_assert_int_eq(http_auth_token_hash(again, token), 0);
    ck_assert_str_eq(again, hash);
    ck_assert(http_auth_equal(again, hash));
    ck_assert(!http_auth_equal(hash, h2));
    ck_assert(!http_auth_equal(hash, "abc"));
    for (size_t b = 0; b < sizeof bad_authorizations /
                               sizeof bad_authorizations[0]; b++) {
        const char *t = strchr(bad_authorizations[b], ' ');
        t = t ? t + 1 : "";
        if (strcmp(t, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") == 0)
            continue; /* well formed, merely unknown */
        ck_assert_msg(http_auth_token_hash(again, t) == -1, "'%s'", t);
    }
    char pw[HTTP_AUTH_PWHASH_MAX];
    ck_assert_int_eq(http_auth_hash_password(pw, &a, "secret words", &err),
                     0);
    ck_assert_int_eq(strncmp(pw, "$argon2id$", 10), 0);
    ck_assert(http_auth_verify(&a, pw, "secret words"));
    ck_assert(!http_auth_verify(&a, pw, "secret word"));
    ck_assert(!http_auth_verify(&a, NULL, "secret words"));
    ck_assert(!http_auth_needs_rehash(&a, pw));
    a.mem_limit = 16384;
    ck_assert(http_auth_needs_rehash(&a, pw));
}
END_TEST

/* ---- pidfile ----------------------------------------------------------- */

START_TEST(test_http__pidfile_write_and_remove)
{
    char path[600];
    snprintf(path, sizeof path, "%s/run/sub/app.pid", tu_tmpdir());
    struct db_error err;
    ck_assert_int_eq(http_pidfile_write(path, &err), 0);
    ck_assert_int_eq(http_pidfile_read(path), (long)getpid());
    char *text = tu_read_file(path);
    char want[32];
    snprintf(want, sizeof want, "%ld\n", (long)getpid());
    ck_assert_str_eq(text, want);
    free(text);
    ck_assert_int_eq(http_pidfile_remove(path), 0);
    ck_assert_int_eq(access(path, F_OK), -1);
    ck_assert_int_eq(http_pidfile_remove(path), -1);
}
END_TEST

START_TEST(test_http__pidfile_refuses_running_replaces_stale)
{
    char path[600];
    snprintf(path, sizeof path, "%s/app.pid", tu_tmpdir());
    char text[32];
    snprintf(text, sizeof text, "%ld\n", (long)getppid());
    tu_write_file(path, text);
    struct db_error err;
    ck_assert_int_eq(http_pidfile_write(path, &err), DB_EEXISTS);
    ck_assert_ptr_nonnull(strstr(err.message, "running"));
    ck_assert_int_eq(http_pidfile_remove(path), -1); /* not ours: kept */
    ck_assert_int_eq(http_pidfile_read(path), (long)getppid());

    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0)
        _exit(0);
    waitpid(child, NULL, 0);
    snprintf(text, sizeof text, "%ld\n", (long)child);
    tu_write_file(path, text);
    ck_assert_int_eq(http_pidfile_write(path, &err), 0);
    ck_assert_int_eq(http_pidfile_read(path), (long)getpid());
}
END_TEST

START_TEST(test_http__pidfile_take_over_from_running)
{
    char path[600];
    snprintf(path, sizeof path, "%s/app.pid", tu_tmpdir());
    char text[32];
    snprintf(text, sizeof text, "%ld\n", (long)getppid());
    tu_write_file(path, text);
    struct db_error err;
    /* serve --reuse-port: the new process takes the file over */
    ck_assert_int_eq(http_pidfile_take_over(path, &err), 0);
    ck_assert_int_eq(http_pidfile_read(path), (long)getpid());
    ck_assert_int_eq(http_pidfile_remove(path), 0);
}
END_TEST

/* ---- listener ---------------------------------------------------------- */

/* Sends request on a socket of its own and reads the whole reply into
 * reply (n bytes at most); gives up after 10 s (a write whose turn was
 * lost must fail the test, not hang it). With abandon, the socket is
 * closed right after the request is sent, and 0 returned. Returns the
 * status. */
static int send_request(int port, const char *request, char *reply, size_t n,
                        int abandon)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct timeval tv = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    size_t len = strlen(request);
    ck_assert_int_eq(write(fd, request, len), (ssize_t)len);
    size_t got = 0;
    ssize_t r;
    while (!abandon && got + 1 < n &&
           (r = read(fd, reply + got, n - got - 1)) > 0)
        got += (size_t)r;
    reply[got] = '\0';
    close(fd);
    int status = 0;
    sscanf(reply, "HTTP/1.%*d %d", &status);
    return status;
}

static int raw_request(int port, const char *request, char *reply, size_t n)
{
    return send_request(port, request, reply, n, 0);
}

/* Signs up Ann (user 1) through the server on port and logs her in: her
 * token (43 characters) into token. */
static void sign_up_ann(int port, char token[44])
{
    char reply[4096];
    const char *signup = "POST /auth/signup HTTP/1.0\r\nContent-Type: "
                         "application/json\r\nContent-Length: 54\r\n\r\n"
                         "{\"email\":\"a@x.org\",\"name\":\"Ann\",\"password\":"
                         "\"12345678\"}";
    ck_assert_int_eq(raw_request(port, signup, reply, sizeof reply), 201);
    const char *login = "POST /auth/login HTTP/1.0\r\nContent-Length: 41\r\n"
                        "\r\n{\"email\":\"a@x.org\",\"password\":"
                        "\"12345678\"}";
    ck_assert_int_eq(raw_request(port, login, reply, sizeof reply), 200);
    char *t = strstr(reply, "\"token\":\"");
    ck_assert_ptr_nonnull(t);
    snprintf(token, 44, "%.43s", t + 9);
    ck_assert_uint_eq(strlen(token), 43);
}

START_TEST(test_http__server_serves_and_stops)
{
    open_api(0);
    struct http_server *srv;
    struct http_server_options o = {.bind = "127.0.0.1", .port = 0};
    struct db_error err;
    ck_assert_int_eq(http_server_start(&srv, &api, &o, &err), 0);
    int port = http_server_port(srv);
    ck_assert_int_gt(port, 0);
    char reply[4096];
    ck_assert_int_eq(raw_request(port, "GET /health HTTP/1.0\r\n\r\n", reply,
                                 sizeof reply), 200);
    ck_assert_ptr_nonnull(strstr(reply, "application/json"));
    ck_assert_ptr_nonnull(strstr(reply, "\"status\":\"ok\""));
    ck_assert_int_eq(
        raw_request(port,
                    "POST /auth/signup?x=1 HTTP/1.0\r\nContent-Length: 2\r\n"
                    "\r\n{}",
                    reply, sizeof reply), 400);
    ck_assert_ptr_nonnull(strstr(reply, "unknown query parameter 'x'"));
    ck_assert_int_eq(
        raw_request(port,
                    "POST /auth/signup HTTP/1.0\r\nContent-Length: 70000\r\n"
                    "\r\n",
                    reply, sizeof reply), 413);
    /* 401 carries WWW-Authenticate; the header reaches the API */
    ck_assert_int_eq(raw_request(port, "GET /me HTTP/1.0\r\n\r\n", reply,
                                 sizeof reply), 401);
    ck_assert_ptr_nonnull(strstr(reply, "WWW-Authenticate: Bearer"));
    ck_assert_int_eq(raw_request(port, "GET /me HTTP/1.0\r\nAuthorization: "
                                       "Bearer nonsense\r\n\r\n",
                                 reply, sizeof reply), 401);
    ck_assert_ptr_nonnull(strstr(reply, "invalid_token"));
    ck_assert_int_eq(http_server_in_flight(srv), 0);

    /* a second listener on the same port fails with the system's reason */
    struct http_server *dup;
    o.port = port;
    ck_assert_int_eq(http_server_start(&dup, &api, &o, &err), DB_EIO);
    ck_assert_ptr_nonnull(strstr(err.message, "in use"));
    ck_assert_int_eq(http_server_stop(srv), 0);
    free_resp();
}
END_TEST

START_TEST(test_http__server_thread_pool_borrows_connections)
{
    open_api(0);
    struct db_conn *second = tu_connect(&cfg);
    struct db_conn *conns[] = {conn, second};
    struct http_server *srv;
    struct http_server_options o = {.bind = "127.0.0.1", .threads = 2};
    struct db_error err;
    ck_assert_int_eq(http_server_start(&srv, &api, &o, &err), DB_EUSAGE);
    ck_assert_ptr_null(srv);
    o.conns = conns;
    ck_assert_int_eq(http_server_start(&srv, &api, &o, &err), 0);
    int port = http_server_port(srv);
    char reply[4096], token[44];
    sign_up_ann(port, token);
    char get[256];
    snprintf(get, sizeof get, "GET /users/1 HTTP/1.0\r\nAuthorization: Bearer "
                              "%s\r\n\r\n", token);
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(raw_request(port, get, reply, sizeof reply), 200);
    ck_assert_int_eq(http_server_stop(srv), 0);
    db_disconnect(second);
}
END_TEST

struct poster {
    pthread_t t;
    int port;
    const char *post;
    int abandon;       /* every other request closed unanswered */
    int sent, created, other;
};

static void *post_tasks(void *arg)
{
    struct poster *p = arg;
    char reply[2048];
    for (int i = 0; i < 40; i++) {
        int gone = p->abandon && i % 2;
        int status = send_request(p->port, p->post, reply, sizeof reply, gone);
        p->sent++;
        if (gone)
            continue;
        if (status == 201)
            p->created++;
        else
            p->other++;
    }
    return NULL;
}

/* SQLite under two threads: every write goes through one connection of
 * its own (a thread whose write must wait hands it to the one writing and
 * serves its other connections). Writes from eight clients at once all
 * land, clients that close before their answer lose no other write and
 * leave nothing suspended (the server then stops cleanly), and reads go on
 * beside the writes. */
START_TEST(test_http__server_writes_take_one_connection)
{
    open_api(0);
    struct db_conn *conns[] = {conn, tu_connect(&cfg), tu_connect(&cfg)};
    struct http_server *srv;
    struct http_server_options o = {.bind = "127.0.0.1", .threads = 2,
                                    .conns = conns, .writer_slot = 1};
    struct db_error err;
    ck_assert_int_eq(http_server_start(&srv, &api, &o, &err), 0);
    int port = http_server_port(srv);
    char token[44], reply[2048];
    sign_up_ann(port, token);
    char post[512], get[256];
    snprintf(post, sizeof post,
             "POST /users/1/tasks HTTP/1.0\r\nAuthorization: Bearer %s\r\n"
             "Content-Type: application/json\r\nContent-Length: 13\r\n\r\n"
             "{\"title\":\"t\"}", token);
    snprintf(get, sizeof get, "GET /users/1/tasks?limit=5 HTTP/1.0\r\n"
                              "Authorization: Bearer %s\r\n\r\n", token);

    struct poster p[8];
    for (int i = 0; i < 8; i++) {
        p[i] = (struct poster){.port = port, .post = post, .abandon = i % 2};
        ck_assert_int_eq(pthread_create(&p[i].t, NULL, post_tasks, &p[i]), 0);
    }
    int reads = 0;
    for (int i = 0; i < 20; i++)
        reads += raw_request(port, get, reply, sizeof reply) == 200;
    int sent = 0, created = 0, other = 0;
    for (int i = 0; i < 8; i++) {
        pthread_join(p[i].t, NULL);
        sent += p[i].sent;
        created += p[i].created;
        other += p[i].other;
    }
    ck_assert_int_eq(reads, 20);
    ck_assert_int_eq(sent, 320);
    ck_assert_int_eq(other, 0);
    ck_assert_int_eq(created, 240);
    /* the turn was not lost with a closed client: writes still land */
    ck_assert_int_eq(raw_request(port, post, reply, sizeof reply), 201);
    char n[16];
    ck_assert_int_eq(db_query_value(conn, "SELECT count(*) FROM tasks", 0,
                                    NULL, n, sizeof n, &err), 0);
    ck_assert_int_ge(atoi(n), 241);
    ck_assert_int_le(atoi(n), 321);
    ck_assert_int_eq(http_server_stop(srv), 0);
    db_disconnect(conns[1]);
    db_disconnect(conns[2]);
}
END_TEST

START_TEST(test_http__server_bad_bind_address)
{
    open_api(0);
    struct http_server *srv;
    struct http_server_options o = {.bind = "localhost.invalid", .port = 0};
    struct db_error err;
    ck_assert_int_eq(http_server_start(&srv, &api, &o, &err), DB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(err.message, "localhost.invalid"));
    ck_assert_ptr_null(srv);
}
END_TEST

Suite *http_suite(void)
{
    Suite *s = suite_create("http");
    int nb = tu_backend_count();

    TCase *tc = tcase_create("router");
    tcase_add_test(tc, test_http__router_matches_routes_and_ids);
    tcase_add_loop_test(tc, test_http__router_rejects_other_paths, 0,
                        (int)(sizeof no_route / sizeof no_route[0]));
    tcase_add_test(tc, test_http__router_allow_lists_methods);
    suite_add_tcase(s, tc);

    tc = tcase_create("api");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_loop_test(tc, test_http__health_reports_phase, 0, nb);
    tcase_add_loop_test(tc, test_http__no_connection_is_503_database_unavailable,
                        0, nb);
    tcase_add_loop_test(tc, test_http__health_reports_revision_from_version_table,
                        0, nb);
    tcase_add_loop_test(tc, test_http__health_503_while_schema_not_ready, 0,
                        nb);
    tcase_add_loop_test(tc, test_http__create_get_user, 0, nb);
    tcase_add_loop_test(tc, test_http__duplicate_email_409, 0, nb);
    tcase_add_loop_test(tc, test_http__list_users_shows_only_the_caller, 0, nb);
    tcase_add_loop_test(tc, test_http__bad_query_parameters_400, 0,
                        (int)(sizeof bad_list_queries /
                              sizeof bad_list_queries[0]));
    tcase_add_loop_test(tc, test_http__create_user_bad_input_400, 0,
                        (int)(sizeof bad_users / sizeof bad_users[0]));
    tcase_add_test(tc, test_http__too_long_values_400);
    tcase_add_test(tc, test_http__non_json_content_type_415);
    tcase_add_loop_test(tc, test_http__create_and_list_tasks, 0, nb);
    tcase_add_loop_test(tc, test_http__tasks_of_unknown_user_404, 0, nb);
    tcase_add_loop_test(tc, test_http__create_task_bad_input_400, 0,
                        (int)(sizeof bad_tasks / sizeof bad_tasks[0]));
    tcase_add_loop_test(tc, test_http__update_task_status, 0, nb);
    tcase_add_loop_test(tc, test_http__projects, 0, nb);
    tcase_add_loop_test(tc, test_http__delete_task, 0, nb);
    tcase_add_loop_test(tc, test_http__delete_user_cascades_to_tasks, 0, nb);
    tcase_add_test(tc, test_http__unknown_path_404_and_method_405);
    tcase_add_loop_test(tc, test_http__database_error_500_without_detail, 0,
                        nb);
    tcase_add_loop_test(tc, test_http__signup_login_me, 0, nb);
    tcase_add_loop_test(tc, test_http__database_errors_log_no_row_values, 0,
                        nb);
    tcase_add_test(tc, test_http__lengths_and_types_come_from_the_models);
    tcase_add_loop_test(tc, test_http__every_private_route_needs_a_token, 0,
                        2 * (int)(sizeof private_routes /
                                  sizeof private_routes[0]));
    tcase_add_loop_test(tc, test_http__public_routes_need_no_token, 0, nb);
    tcase_add_loop_test(tc, test_http__expired_and_revoked_tokens_401, 0, nb);
    tcase_add_loop_test(tc, test_http__two_users_see_only_their_own, 0, nb);
    tcase_add_loop_test(tc, test_http__wrong_password_and_unknown_email_alike,
                        0, nb);
    tcase_add_loop_test(tc, test_http__failed_logins_lock_the_email, 0, nb);
    tcase_add_loop_test(tc, test_http__login_rehashes_when_limits_change, 0,
                        nb);
    tcase_add_test(tc, test_http__password_length_limits);
    tcase_add_loop_test(tc, test_http__set_password_revokes_sessions, 0, nb);
    tcase_add_test(tc, test_http__token_hash_rejects_malformed);
    tcase_add_test(tc, test_http__server_serves_and_stops);
    tcase_add_test(tc, test_http__server_thread_pool_borrows_connections);
    tcase_add_test(tc, test_http__server_writes_take_one_connection);
    tcase_add_test(tc, test_http__server_bad_bind_address);
    suite_add_tcase(s, tc);

    tc = tcase_create("pidfile");
    tcase_add_checked_fixture(tc, NULL, tu_cleanup);
    tcase_add_test(tc, test_http__pidfile_write_and_remove);
    tcase_add_test(tc, test_http__pidfile_refuses_running_replaces_stale);
    tcase_add_test(tc, test_http__pidfile_take_over_from_running);
    suite_add_tcase(s, tc);
    return s;
}
