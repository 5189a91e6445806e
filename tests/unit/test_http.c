/*
 * test_http.c - the JSON API's router, handlers (on each backend), pidfile
 * and listener. Handlers are called directly with parsed requests; the CLI
 * tests (t5NN) drive the real server with curl.
 */
#include <check.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "db/buf.h"
#include "db/render.h"
#include "http/api.h"
#include "http/pidfile.h"
#include "http/router.h"
#include "http/server.h"
#include "models/models.h"
#include "testutil.h"

/* ---- fixture: an API on a fresh database ------------------------------ */

static struct db_config cfg;
static struct db_conn *conn;
static struct http_api api;
static char logged[4096];

static void capture_log(void *ctx, const char *line)
{
    (void)ctx;
    snprintf(logged, sizeof logged, "%s", line);
}

static void open_api(int backend)
{
    tu_config_backend(&cfg, backend);
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
    api = (struct http_api){
        .conn = conn,
        .cfg = &cfg,
        .models = models_schema(),
        .ready = 1,
        .log = capture_log,
    };
    logged[0] = '\0';
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

static long long make_user(const char *email)
{
    char body[256];
    snprintf(body, sizeof body, "{\"email\": \"%s\", \"name\": \"N\"}", email);
    ck_assert_int_eq(call("POST", "/users", body), 201);
    return num("id");
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
}
END_TEST

static const char *const no_route[] = {
    "", "/", "health", "/health/", "//health", "/users/", "/users/0",
    "/users/01", "/users/-1", "/users/+1", "/users/1a", "/users/abc",
    "/users/1/", "/users/1/tasks/", "/users/1/tasks/2", "/tasks",
    "/tasks/1/x", "/users/1234567890123456789", "/Users", "/a/b/c/d/e",
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
    ck_assert_int_eq(call("POST", "/users",
                          "{\"email\":\"a@x.org\",\"name\":\"A\"}"), 503);
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
    ck_assert_int_eq(call("POST", "/users",
                          "{\"email\":\"ann@example.org\",\"name\":\"Ann\"}"),
                     201);
    long long id = num("id");
    ck_assert_str_eq(str("email"), "ann@example.org");
    ck_assert_str_eq(str("name"), "Ann");
    /* RFC 3339 in UTC on both databases: 2026-11-21T20:25:04[.123456]Z */
    const char *at = str("created_at");
    ck_assert_msg(strlen(at) >= 20 && at[4] == '-' && at[10] == 'T' &&
                      at[13] == ':' && at[strlen(at) - 1] == 'Z',
                  "created_at: %s", at);
    char loc[64], path[64];
    snprintf(loc, sizeof loc, "/users/%lld", id);
    ck_assert_str_eq(resp.location, loc);
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
    ck_assert_int_eq(call("POST", "/users",
                          "{\"email\":\"a@x.org\",\"name\":\"Other\"}"),
                     409);
    ck_assert_str_eq(str("field"), "email");
    ck_assert_int_eq(call("GET", "/users", NULL), 200);
    ck_assert_int_eq(nitems(), 1);
    free_resp();
}
END_TEST

START_TEST(test_http__list_users_pages_with_cursor)
{
    open_api(_i);
    long long ids[5];
    for (int i = 0; i < 5; i++) {
        char email[32];
        snprintf(email, sizeof email, "u%d@x.org", i);
        ids[i] = make_user(email);
    }
    ck_assert_int_eq(call("GET", "/users?limit=2", NULL), 200);
    ck_assert_int_eq(nitems(), 2);
    ck_assert_int_eq(item_id(0), ids[0]);
    ck_assert_int_eq(num("next_after"), ids[1]);
    char path[64];
    snprintf(path, sizeof path, "/users?limit=2&after=%lld", ids[1]);
    ck_assert_int_eq(call("GET", path, NULL), 200);
    ck_assert_int_eq(item_id(0), ids[2]);
    ck_assert_int_eq(item_id(1), ids[3]);
    snprintf(path, sizeof path, "/users?after=%lld&limit=2", ids[3]);
    ck_assert_int_eq(call("GET", path, NULL), 200);
    ck_assert_int_eq(nitems(), 1);
    ck_assert_int_eq(item_id(0), ids[4]);
    ck_assert(json_is_null(json_object_get(json, "next_after")));
    /* exactly a full last page: no next */
    ck_assert_int_eq(call("GET", "/users?limit=5", NULL), 200);
    ck_assert_int_eq(nitems(), 5);
    ck_assert(json_is_null(json_object_get(json, "next_after")));
    ck_assert_int_eq(call("GET", "/users", NULL), 200);
    ck_assert_int_eq(nitems(), 5);
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

static const struct {
    const char *body;
    const char *field;   /* expected "field" in the error, NULL: none */
} bad_users[] = {
    {"{\"email\":\"a@x.org\",\"name\":", NULL},         /* bad JSON */
    {"not json", NULL},
    {"", NULL},                                         /* empty body */
    {"[1, 2]", NULL},                                   /* not an object */
    {"\"a@x.org\"", NULL},
    {"{\"email\":\"a@x.org\",\"email\":\"b@x.org\",\"name\":\"N\"}", NULL},
    {"{\"name\":\"N\"}", "email"},                      /* missing */
    {"{\"email\":\"a@x.org\"}", "name"},
    {"{\"email\":\"a@x.org\",\"name\":\"N\",\"admin\":true}", "admin"},
    {"{\"email\":7,\"name\":\"N\"}", "email"},          /* wrong type */
    {"{\"email\":\"a@x.org\",\"name\":null}", "name"},
    {"{\"email\":\"a@x.org\",\"name\":[\"N\"]}", "name"},
    {"{\"email\":\"\",\"name\":\"N\"}", "email"},       /* bad value */
    {"{\"email\":\"no-at-sign\",\"name\":\"N\"}", "email"},
    {"{\"email\":\"a@b@c\",\"name\":\"N\"}", "email"},
    {"{\"email\":\"a@x.org\",\"name\":\"\"}", "name"},
    {"{\"email\":\"a@x.org\",\"name\":\"tab\\there\"}", "name"},
};

START_TEST(test_http__create_user_bad_input_400)
{
    open_api(0);
    ck_assert_msg(call("POST", "/users", bad_users[_i].body) == 400,
                  "%s: %d %s", bad_users[_i].body, resp.status, resp.body);
    ck_assert(strlen(str("error")) > 0);
    if (bad_users[_i].field)
        ck_assert_str_eq(str("field"), bad_users[_i].field);
    ck_assert_int_eq(call("GET", "/users", NULL), 200);
    ck_assert_int_eq(nitems(), 0);
    free_resp();
}
END_TEST

START_TEST(test_http__too_long_values_400)
{
    open_api(0);
    char body[1024], name[200];
    memset(name, 'n', 121);
    name[121] = '\0';
    snprintf(body, sizeof body, "{\"email\":\"a@x.org\",\"name\":\"%s\"}",
             name);
    ck_assert_int_eq(call("POST", "/users", body), 400);
    ck_assert_str_eq(str("field"), "name");
    /* 120 characters of two bytes each fit: characters, not bytes */
    body[0] = '\0';
    strcat(body, "{\"email\":\"a@x.org\",\"name\":\"");
    for (int i = 0; i < 120; i++)
        strcat(body, "\xc3\xa9");
    strcat(body, "\"}");
    ck_assert_int_eq(call("POST", "/users", body), 201);
    free_resp();
}
END_TEST

START_TEST(test_http__non_json_content_type_415)
{
    open_api(0);
    ck_assert_int_eq(call_ct("POST", "/users", "email=a@x.org&name=N",
                             "application/x-www-form-urlencoded"),
                     415);
    ck_assert_int_eq(call_ct("POST", "/users",
                             "{\"email\":\"a@x.org\",\"name\":\"N\"}",
                             "application/json; charset=utf-8"),
                     201);
    ck_assert_int_eq(call_ct("POST", "/users",
                             "{\"email\":\"b@x.org\",\"name\":\"N\"}",
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
    make_task(other, "{\"title\":\"not mine\",\"description\":null}");

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
    ck_assert_str_eq(str("field"), "status");
    ck_assert_int_eq(call("PATCH", path, "{\"status\":1}"), 400);
    ck_assert_int_eq(call("GET", path, NULL), 200);
    ck_assert_str_eq(str("status"), "doing");
    ck_assert_int_eq(call("PATCH", "/tasks/4242", "{\"status\":\"done\"}"),
                     404);
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
    long long t = make_task(u, "{\"title\":\"x\"}");
    make_task(u, "{\"title\":\"y\"}");
    make_task(keep, "{\"title\":\"z\"}");
    char path[64];
    snprintf(path, sizeof path, "/users/%lld", u);
    ck_assert_int_eq(call("DELETE", path, NULL), 204);
    ck_assert_int_eq(call("GET", path, NULL), 404);
    ck_assert_int_eq(call("DELETE", path, NULL), 404);
    snprintf(path, sizeof path, "/tasks/%lld", t);
    ck_assert_int_eq(call("GET", path, NULL), 404);
    ck_assert_int_eq(tu_long(conn, "SELECT count(*) FROM \"tasks\""), 1);
    free_resp();
}
END_TEST

START_TEST(test_http__unknown_path_404_and_method_405)
{
    open_api(0);
    ck_assert_int_eq(call("GET", "/nothing", NULL), 404);
    ck_assert(strlen(str("error")) > 0);
    ck_assert_int_eq(call("GET", "/users/abc", NULL), 404);
    ck_assert_int_eq(call("PUT", "/tasks/1", "{}"), 405);
    ck_assert_str_eq(resp.allow, "GET, PATCH, DELETE");
    ck_assert_str_eq(str("error"), "method not allowed");
    ck_assert_int_eq(call("DELETE", "/users", NULL), 405);
    ck_assert_str_eq(resp.allow, "GET, POST");
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

/* One HTTP/1.0 exchange on 127.0.0.1:port; returns the reply's status. */
static int raw_request(int port, const char *request, char *reply, size_t n)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    size_t len = strlen(request);
    ck_assert_int_eq(write(fd, request, len), (ssize_t)len);
    size_t got = 0;
    ssize_t r;
    while (got + 1 < n && (r = read(fd, reply + got, n - got - 1)) > 0)
        got += (size_t)r;
    reply[got] = '\0';
    close(fd);
    int status = 0;
    sscanf(reply, "HTTP/1.%*d %d", &status);
    return status;
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
                    "POST /users?x=1 HTTP/1.0\r\nContent-Length: 2\r\n\r\n{}",
                    reply, sizeof reply), 400);
    ck_assert_ptr_nonnull(strstr(reply, "unknown query parameter 'x'"));
    ck_assert_int_eq(
        raw_request(port,
                    "POST /users HTTP/1.0\r\nContent-Length: 70000\r\n\r\n",
                    reply, sizeof reply), 413);
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
    char reply[4096];
    const char *post = "POST /users HTTP/1.0\r\nContent-Type: "
                       "application/json\r\nContent-Length: 32\r\n\r\n"
                       "{\"email\":\"a@x.org\",\"name\":\"Ann\"}";
    ck_assert_int_eq(raw_request(port, post, reply, sizeof reply), 201);
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(raw_request(port, "GET /users/1 HTTP/1.0\r\n\r\n",
                                     reply, sizeof reply), 200);
    ck_assert_int_eq(http_server_stop(srv), 0);
    db_disconnect(second);
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
    tcase_add_loop_test(tc, test_http__list_users_pages_with_cursor, 0, nb);
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
    tcase_add_loop_test(tc, test_http__delete_task, 0, nb);
    tcase_add_loop_test(tc, test_http__delete_user_cascades_to_tasks, 0, nb);
    tcase_add_test(tc, test_http__unknown_path_404_and_method_405);
    tcase_add_loop_test(tc, test_http__database_error_500_without_detail, 0,
                        nb);
    tcase_add_test(tc, test_http__server_serves_and_stops);
    tcase_add_test(tc, test_http__server_thread_pool_borrows_connections);
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
