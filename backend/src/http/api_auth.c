/*
 * api_auth.c - bearer tokens: every route but the public ones needs one;
 * a bad, unknown, expired or revoked token is one uniform 401.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../words.h"
#include "../db/driver.h"
#include "../db/migrate.h"
#include "api_internal.h"
#include "auth.h"

/* ---- authentication ----------------------------------------------------- */


/* last_used_at is written at most once a minute per session. */
#define LAST_USED_EVERY 60

struct session_row {
    char id[24];
    char user_id[24];
    int stale;     /* last_used_at is older than LAST_USED_EVERY */
    int found;
};

static int take_session(void *ctx, int ncols, const char *const *vals,
                        const char *const *names)
{
    (void)names;
    struct session_row *r = ctx;
    if (ncols < 3 || !vals[0] || !vals[1])
        return 0;
    snprintf(r->id, sizeof r->id, "%s", vals[0]);
    snprintf(r->user_id, sizeof r->user_id, "%s", vals[1]);
    r->stale = vals[2] && strcmp(vals[2], "1") == 0;
    r->found = 1;
    return 0;
}

static void unauthorized(struct http_response *resp, int bad_token)
{
    if (bad_token) {
        snprintf(resp->www_authenticate, sizeof resp->www_authenticate,
                 "Bearer error=\"invalid_token\"");
        http_response_error(resp, 401, "invalid or expired token; log in "
                                       "again with POST /auth/login");
    } else {
        snprintf(resp->www_authenticate, sizeof resp->www_authenticate,
                 "Bearer");
        http_response_error(resp, 401, "authentication required: send "
                                       "Authorization: Bearer <token> "
                                       "(POST /auth/login gives one)");
    }
}

/*
 * The caller from "Authorization: Bearer <token>": the token's SHA-256
 * names a session that is neither revoked nor expired. The lookup by hash
 * is an index search on the hash of 256 random bits, so its timing tells
 * nothing about any token. Returns 0, or -1 with resp filled (401, or
 * 500/503 when the database fails).
 */
int http_api__authenticate(struct http_api *api,
                                  const struct http_request *req,
                                  struct caller *me, struct http_response *resp)
{
    const char *h = req->authorization;
    if (!h || !*h) {
        unauthorized(resp, 0);
        return -1;
    }
    char hash[HTTP_AUTH_TOKEN_HASH_LEN + 1];
    if (strncasecmp(h, "Bearer ", 7) != 0) {
        unauthorized(resp, 1);
        return -1;
    }
    const char *token = h + 7;
    while (*token == ' ')
        token++;
    if (http_auth_token_hash(hash, token)) {
        unauthorized(resp, 1);
        return -1;
    }
    time_t now = time(NULL);
    char now_s[HTTP_AUTH_TIME_LEN + 1], stale_s[HTTP_AUTH_TIME_LEN + 1];
    http_auth_time(now_s, now, 0);
    http_auth_time(stale_s, now - LAST_USED_EVERY, 0);
    const char *params[] = {hash, now_s, stale_s};
    struct session_row row = {.found = 0};
    struct db_error err;
    if (db_query(api->conn,
                 "SELECT \"id\", \"user_id\", CASE WHEN "
                 "\"last_used_at\" < $3 THEN 1 ELSE 0 END FROM \"sessions\" "
                 "WHERE \"token_hash\" = $1 AND \"revoked_at\" IS NULL AND "
                 "\"expires_at\" > $2",
                 3, params, take_session, &row, NULL, &err)) {
        http_api__db_failed(api, req, &err, resp);
        return -1;
    }
    if (!row.found) {
        unauthorized(resp, 1);
        return -1;
    }
    if (row.stale) {
        const char *touch[] = {row.id, now_s};
        if (db_query(api->conn,
                     "UPDATE \"sessions\" SET \"last_used_at\" = $2 WHERE "
                     "\"id\" = $1",
                     2, touch, NULL, NULL, NULL, &err))
            http_api__log_db_error(api, req, &err); /* the request goes on */
    }
    snprintf(me->id, sizeof me->id, "%s", row.user_id);
    snprintf(me->session, sizeof me->session, "%s", row.id);
    return 0;
}
