/*
 * api.h - the example JSON API: requests in, responses out, no sockets.
 *
 * server.c feeds it what libmicrohttpd parsed; the unit tests call it
 * directly. It never prints: database errors go to the log callback (the
 * response says only "internal error", never SQL or the database URL).
 *
 * Routes (see router.h). Every route but /health, /auth/signup and
 * /auth/login needs "Authorization: Bearer <token>" (401 without a valid
 * one); a user sees and changes only their own account and tasks, and
 * another user's ids answer 404:
 *   GET    /health                 200 {"status":"ok","phase","revision"}
 *                                  revision: the current head ("0002"),
 *                                  several as an array, null without
 *                                  versioned migrations; 503 while the
 *                                  schema is not ready
 *   POST   /auth/signup            201 user (body: email, name, password);
 *                                  409 when the email is taken
 *   POST   /auth/login             200 {"token","expires_at"}; 401 wrong
 *                                  email or password; 429 after too many
 *                                  failures (Retry-After)
 *   POST   /auth/logout            204; the token presented is revoked
 *   GET    /me                     200 the caller
 *   GET    /users?limit=&after=    200 {"items":[the caller],"next_after"}
 *   GET    /users/{id}             200 user (the caller's id only)
 *   DELETE /users/{id}             204; the user's tasks and sessions go
 *                                  too (cascade)
 *   GET    /users/{id}/tasks?status=&limit=&after=
 *                                  200 {"items":[task...],"next_after"}
 *   POST   /users/{id}/tasks       201 task
 *   GET    /tasks/{id}             200 task
 *   PATCH  /tasks/{id}             200 task (body: {"status": ...})
 *   DELETE /tasks/{id}             204
 * Errors: 4xx/5xx with {"error": "...", and "field" or "parameter" when
 * one input is to blame}. A lost database connection (or none, conn NULL)
 * is 503 {"error":"database unavailable"}; a lock not granted in time,
 * 503 {"error":"database busy; retry"}.
 */
#ifndef HTTP_API_H
#define HTTP_API_H

#include <stddef.h>

#include "../db/config.h"
#include "../db/error.h"
#include "../db/schema.h"
#include "auth.h"

#define HTTP_BODY_MAX (64 * 1024)  /* larger request bodies get 413 */
#define HTTP_PAGE_DEFAULT 50       /* items per page without ?limit= */
#define HTTP_PAGE_MAX 200          /* the largest ?limit= accepted */

struct db_conn;

struct http_arg {
    const char *name;
    const char *value;       /* "" for "?name" without '=' */
};

struct http_request {
    const char *method;          /* "GET", "POST", ... */
    const char *path;            /* decoded, without the query string */
    const struct http_arg *args; /* query parameters, in order */
    size_t nargs;
    const char *content_type;    /* NULL when the header is absent */
    const char *authorization;   /* the Authorization header, or NULL */
    const char *body;            /* NULL or body_len bytes (not NUL-ended) */
    size_t body_len;
};

struct http_response {
    int status;
    char *body;              /* JSON text, malloc'd; NULL for no body (204) */
    char allow[64];          /* Allow header for 405, "" otherwise */
    char location[64];       /* Location header for 201, "" otherwise */
    char www_authenticate[64]; /* WWW-Authenticate for 401, "" otherwise */
    char retry_after[16];    /* Retry-After (seconds) for 429, "" otherwise */
};

/* Receives one line about a failure the client is not told about. */
typedef void (*http_log_fn)(void *ctx, const char *line);

struct http_api {
    struct db_conn *conn;            /* borrowed; used by one thread;
                                        NULL while the database is
                                        unavailable: 503 */
    const struct db_config *cfg;     /* borrowed */
    const struct db_schema *models;  /* the tables /health checks */
    int ready;                       /* create_db_and_tables() succeeded */
    const struct http_auth *auth;    /* [auth] settings; borrowed */
    http_log_fn log;                 /* may be NULL */
    void *log_ctx;
};

/*
 * Handles one request. resp is always filled (status and, except for 204,
 * a JSON body); free it with http_response_free. Never fails: out of
 * memory is a 500 with a static body.
 */
void http_api_handle(struct http_api *api, const struct http_request *req,
                     struct http_response *resp);

/* Fills resp with status and {"error": message}. */
void http_response_error(struct http_response *resp, int status,
                         const char *message);

/* Frees the body; resp can be reused. NULL-safe. */
void http_response_free(struct http_response *resp);

#endif /* HTTP_API_H */
