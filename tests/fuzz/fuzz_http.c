/*
 * fuzz_http.c - the JSON API: router, query parameters, request bodies.
 *
 * The input is a request as a client writes it:
 *
 *   METHOD /path?query
 *   Content-Type: application/json
 *
 *   {"body": "..."}
 *
 * The path is decoded and the query split into parameters as the server's
 * libmicrohttpd does ('&', '=', '+' for space, %XX decoded), then the
 * request goes through the router and the handlers that validate and run
 * it, on an in-memory SQLite database holding the models' tables and one
 * account; every request runs in a transaction rolled back afterwards, so
 * each input sees the same database. A request without an Authorization
 * header carries that account's bearer token, so the handlers behind
 * authentication are reached too. The answer must be a status with a JSON
 * body (none for 204), and 405 exactly when the router's Allow list lacks
 * the method.
 */
#include <ctype.h>
#include <jansson.h>
#include <strings.h>

#include <microhttpd.h>

#include "db/buf.h"
#include "db/driver.h"
#include "db/render.h"
#include "http/api.h"
#include "http/auth.h"
#include "http/router.h"
#include "settings.h"
#include "models/models.h"
#include "fuzz.h"

#define MAX_ARGS 32   /* the server answers 400 beyond this many */

static struct db_config cfg;
static struct app_settings settings;
static struct db_conn *conn;
static struct http_api api;
static struct http_auth auth;
static char bearer[128];   /* "Bearer <token>" of the one account */

/* POST path with body through the API; the response's body (caller frees
 * it with http_response_free) */
static void post(struct http_response *resp, const char *path,
                 const char *body)
{
    struct http_request req = {
        .method = "POST", .path = path, .content_type = "application/json",
        .body = body, .body_len = strlen(body),
    };
    http_api_handle(&api, &req, resp);
}

static void close_db(void)
{
    db_disconnect(conn);
    conn = NULL;
}

static void open_db(void)
{
    if (conn)
        return;
    db_config_defaults(&cfg);
    app_settings_defaults(&settings);
    snprintf(cfg.url, sizeof cfg.url, "sqlite:///:memory:");
    struct db_error err;
    FUZZ_ASSERT(db_connect(&conn, &cfg, &err) == 0);
    struct db_buf sql = DB_BUF_INIT;
    FUZZ_ASSERT(db_render_create_all(&sql, models_schema(),
                                     conn->driver->dialect, 0, &err) == 0);
    FUZZ_ASSERT(db_exec(conn, db_buf_str(&sql), &err) == 0);
    db_buf_free(&sql);
    /* libsodium's lowest Argon2id limits: an input costs no hashing time */
    settings.auth_ops_limit = 1;
    settings.auth_mem_limit = 8192;
    FUZZ_ASSERT(http_auth_init(&auth, &settings, 1, &err) == 0);
    api = (struct http_api){
        .conn = conn,
        .cfg = &cfg,
        .models = models_schema(),
        .ready = 1,
        .auth = &auth,
    };
    struct http_response resp;
    post(&resp, "/auth/signup", "{\"email\":\"f@example.org\","
                                "\"name\":\"F\",\"password\":\"pass word 1\"}");
    FUZZ_ASSERT(resp.status == 201);
    http_response_free(&resp);
    post(&resp, "/auth/login", "{\"email\":\"f@example.org\","
                               "\"password\":\"pass word 1\"}");
    FUZZ_ASSERT(resp.status == 200);
    json_t *j = json_loads(resp.body, 0, NULL);
    const char *token = json_string_value(json_object_get(j, "token"));
    FUZZ_ASSERT(token != NULL);
    snprintf(bearer, sizeof bearer, "Bearer %s", token);
    json_decref(j);
    http_response_free(&resp);
    atexit(close_db);
}

/* libmicrohttpd's decoding of a query component: '+' is a space, then
 * %XX escapes (in place; stops at a decoded NUL as C strings do). */
static void decode_arg(char *s)
{
    for (char *p = s; *p; p++)
        if (*p == '+')
            *p = ' ';
    MHD_http_unescape(s);
}

static void check_response(const struct http_request *req,
                           const struct http_match *m,
                           const struct http_response *resp)
{
    FUZZ_ASSERT(resp->status >= 200 && resp->status <= 599);
    if (resp->status == 204) {
        FUZZ_ASSERT(resp->body == NULL);
    } else {
        FUZZ_ASSERT(resp->body != NULL);
        json_error_t jerr;
        json_t *j = json_loads(resp->body, 0, &jerr);
        FUZZ_ASSERT(j != NULL && json_is_object(j));
        json_decref(j);
    }
    if (m->route == HTTP_ROUTE_NONE)
        FUZZ_ASSERT(resp->status == 404);
    else
        FUZZ_ASSERT((resp->status == 405) ==
                    !http_route_allows(m->route, req->method));
    if (resp->status == 405)
        FUZZ_ASSERT(strcmp(resp->allow, http_route_allow(m->route)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    open_db();
    /* the head (request line, headers) ends at the first empty line */
    const uint8_t *body = NULL;
    size_t head_len = size, body_len = 0;
    for (size_t i = 0; i + 1 < size; i++) {
        if (data[i] == '\n' &&
            (data[i + 1] == '\n' ||
             (data[i + 1] == '\r' && i + 2 < size && data[i + 2] == '\n'))) {
            head_len = i;
            size_t skip = data[i + 1] == '\n' ? 2 : 3;
            body = data + i + skip;
            body_len = size - i - skip;
            break;
        }
    }
    char *head = fuzz_strndup(data, head_len);
    char *save = NULL;
    char *line = strtok_r(head, "\n", &save);
    if (!line) {
        free(head);
        return 0;
    }
    line[strcspn(line, "\r")] = '\0';
    char *method = line;
    char *target = strchr(line, ' ');
    if (!target) {
        free(head);
        return 0;
    }
    *target++ = '\0';
    const char *content_type = NULL, *authorization = bearer;
    for (char *h; (h = strtok_r(NULL, "\n", &save)) != NULL;) {
        h[strcspn(h, "\r")] = '\0';
        char *colon = strchr(h, ':');
        if (!colon)
            continue;
        *colon = '\0';
        const char *v = colon + 1;
        while (*v == ' ')
            v++;
        if (strcasecmp(h, "Content-Type") == 0)
            content_type = v;
        else if (strcasecmp(h, "Authorization") == 0)
            authorization = v;
    }

    struct http_arg args[MAX_ARGS];
    size_t nargs = 0, total = 0;
    char *query = strchr(target, '?');
    if (query) {
        *query++ = '\0';
        char *qsave = NULL;
        for (char *tok = strtok_r(query, "&", &qsave); tok;
             tok = strtok_r(NULL, "&", &qsave)) {
            char *eq = strchr(tok, '=');
            if (eq)
                *eq++ = '\0';
            decode_arg(tok);
            if (eq)
                decode_arg(eq);
            if (nargs < MAX_ARGS) {
                args[nargs].name = tok;
                args[nargs].value = eq ? eq : "";
                nargs++;
            }
            total++;
        }
    }
    MHD_http_unescape(target);

    /* The router alone. */
    struct http_match m;
    int matched = http_route_match(&m, target);
    FUZZ_ASSERT((matched == 0) == (m.route != HTTP_ROUTE_NONE));
    FUZZ_ASSERT(m.id >= 0);
    if (m.route == HTTP_ROUTE_USER || m.route == HTTP_ROUTE_USER_TASKS ||
        m.route == HTTP_ROUTE_TASK)
        FUZZ_ASSERT(m.id > 0);

    /* (the server answers 400 or 413 itself beyond these) */
    if (total <= MAX_ARGS && body_len <= HTTP_BODY_MAX) {
        struct http_request req = {
            .method = method,
            .path = target,
            .args = args,
            .nargs = nargs,
            .content_type = content_type,
            .authorization = authorization,
            .body = (const char *)body,
            .body_len = body_len,
        };
        struct db_error err;
        FUZZ_ASSERT(db_begin(conn, &err) == 0);
        struct http_response resp;
        http_api_handle(&api, &req, &resp);
        FUZZ_ASSERT(db_rollback(conn, &err) == 0);
        check_response(&req, &m, &resp);
        http_response_free(&resp);
    }
    free(head);
    return 0;
}
