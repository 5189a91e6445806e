/*
 * auth.c - libsodium's password hashing, random tokens and SHA-256, and
 * the operator's password reset. No cryptography is written here: every
 * primitive is libsodium's.
 */
#include "auth.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "../db/driver.h"

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static int sodium_status = -1;

static void sodium_start(void)
{
    sodium_status = sodium_init() < 0 ? -1 : 0;
}

int http_auth_init(struct http_auth *a, const struct app_settings *cfg,
                   int dummy, struct db_error *err)
{
    memset(a, 0, sizeof *a);
    pthread_once(&sodium_once, sodium_start);
    if (sodium_status != 0)
        return db_error_set(err, DB_EERROR, "libsodium cannot start");
    a->ops_limit = cfg->auth_ops_limit ? cfg->auth_ops_limit
                                       : crypto_pwhash_OPSLIMIT_INTERACTIVE;
    a->mem_limit = cfg->auth_mem_limit ? (size_t)cfg->auth_mem_limit
                                       : crypto_pwhash_MEMLIMIT_INTERACTIVE;
    a->session_hours = cfg->auth_session_hours;
    a->password_min = cfg->auth_password_min;
    a->password_max = cfg->auth_password_max;
    a->max_failures = cfg->auth_max_failures;
    a->failure_window = cfg->auth_failure_window;
    if (a->ops_limit < crypto_pwhash_OPSLIMIT_MIN ||
        a->ops_limit > crypto_pwhash_OPSLIMIT_MAX ||
        a->mem_limit < crypto_pwhash_MEMLIMIT_MIN ||
        a->mem_limit > crypto_pwhash_MEMLIMIT_MAX) {
        db_error_set(err, DB_ECONFIG, "[auth] ops_limit %llu or mem_limit "
                                      "%zu is outside libsodium's limits",
                     a->ops_limit, a->mem_limit);
        db_error_at(err, cfg->path, 0);
        return DB_ECONFIG;
    }
    if (!dummy)
        return 0;
    unsigned char random[32];
    char password[2 * sizeof random + 1];
    randombytes_buf(random, sizeof random);
    sodium_bin2hex(password, sizeof password, random, sizeof random);
    int rc = crypto_pwhash_str(a->dummy_hash, password, strlen(password),
                               a->ops_limit, a->mem_limit);
    sodium_memzero(password, sizeof password);
    if (rc != 0)
        return db_error_set(err, DB_ENOMEM,
                            "cannot hash a password with [auth] mem_limit "
                            "%zu bytes: out of memory", a->mem_limit);
    return 0;
}

int http_utf8_chars(const char *s)
{
    int n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

int http_auth_password_check(const struct http_auth *a, const char *password,
                             char *why, size_t n)
{
    /* The byte bound first, so a huge input is not walked to be counted. */
    size_t bytes = strnlen(password, (size_t)a->password_max * 4 + 1);
    int chars = bytes > (size_t)a->password_max * 4 ? a->password_max + 1
                                                    : http_utf8_chars(password);
    if (chars < a->password_min) {
        snprintf(why, n, "must be at least %d characters", a->password_min);
        return -1;
    }
    if (chars > a->password_max) {
        snprintf(why, n, "must be at most %d characters", a->password_max);
        return -1;
    }
    return 0;
}

int http_auth_hash_password(char out[HTTP_AUTH_PWHASH_MAX],
                            const struct http_auth *a, const char *password,
                            struct db_error *err)
{
    if (crypto_pwhash_str(out, password, strlen(password), a->ops_limit,
                          a->mem_limit) != 0)
        return db_error_set(err, DB_ENOMEM,
                            "cannot hash a password with [auth] mem_limit "
                            "%zu bytes: out of memory", a->mem_limit);
    return 0;
}

int http_auth_verify(const struct http_auth *a, const char *hash,
                     const char *password)
{
    if (!hash || !hash[0]) {
        /* The same work as a real verification; never a match. */
        int rc = crypto_pwhash_str_verify(a->dummy_hash, password,
                                          strlen(password));
        (void)rc;
        return 0;
    }
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

int http_auth_needs_rehash(const struct http_auth *a, const char *hash)
{
    return crypto_pwhash_str_needs_rehash(hash, a->ops_limit,
                                          a->mem_limit) != 0;
}

void http_auth_new_token(char token[HTTP_AUTH_TOKEN_LEN + 1],
                         char hash[HTTP_AUTH_TOKEN_HASH_LEN + 1])
{
    unsigned char random[32];
    randombytes_buf(random, sizeof random);
    sodium_bin2base64(token, HTTP_AUTH_TOKEN_LEN + 1, random, sizeof random,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(random, sizeof random);
    http_auth_token_hash(hash, token);
}

int http_auth_token_hash(char hash[HTTP_AUTH_TOKEN_HASH_LEN + 1],
                         const char *token)
{
    hash[0] = '\0';
    if (strnlen(token, HTTP_AUTH_TOKEN_LEN + 1) != HTTP_AUTH_TOKEN_LEN)
        return -1;
    unsigned char bin[32];
    size_t len = 0;
    if (sodium_base642bin(bin, sizeof bin, token, HTTP_AUTH_TOKEN_LEN, NULL,
                          &len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        len != sizeof bin)
        return -1;
    sodium_memzero(bin, sizeof bin);
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *)token,
                       HTTP_AUTH_TOKEN_LEN);
    sodium_bin2hex(hash, HTTP_AUTH_TOKEN_HASH_LEN + 1, digest, sizeof digest);
    return 0;
}

int http_auth_equal(const char *a, const char *b)
{
    size_t n = strlen(a);
    if (strlen(b) != n)
        return 0;
    return sodium_memcmp(a, b, n) == 0;
}

void http_auth_time(char out[HTTP_AUTH_TIME_LEN + 1], time_t t, int rfc3339)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, HTTP_AUTH_TIME_LEN + 1,
             rfc3339 ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M:%SZ", &tm);
}

int http_auth_set_password(long *revoked, struct db_conn *c,
                           const struct app_settings *cfg,
                           const char *email, const char *password,
                           struct db_error *err)
{
    *revoked = 0;
    struct http_auth a;
    int rc = http_auth_init(&a, cfg, 0, err);
    if (rc)
        return rc;
    char why[80];
    if (http_auth_password_check(&a, password, why, sizeof why))
        return db_error_set(err, DB_EUSAGE, "the password %s (from [auth] "
                            "password_min_length %d and password_max_length "
                            "%d)", why, a.password_min, a.password_max);
    char hash[HTTP_AUTH_PWHASH_MAX];
    rc = http_auth_hash_password(hash, &a, password, err);
    if (rc)
        return rc;
    char now[HTTP_AUTH_TIME_LEN + 1];
    http_auth_time(now, time(NULL), 0);
    const char *params[] = {email, hash};
    const char *revoke[] = {email, now};
    long changes = 0;
    rc = db_begin(c, err);
    if (rc == 0)
        rc = db_query(c, "UPDATE \"users\" SET \"password_hash\" = $2 "
                         "WHERE \"email\" = $1",
                      2, params, NULL, NULL, &changes, err);
    if (rc == 0 && changes == 0)
        rc = db_error_set(err, DB_ENOTFOUND, "no user with email '%s'",
                          email);
    if (rc == 0)
        rc = db_query(c, "UPDATE \"sessions\" SET \"revoked_at\" = $2 "
                         "WHERE \"revoked_at\" IS NULL AND \"user_id\" IN "
                         "(SELECT \"id\" FROM \"users\" WHERE \"email\" = "
                         "$1)",
                      2, revoke, NULL, NULL, revoked, err);
    if (rc == 0)
        rc = db_query(c, "DELETE FROM \"login_failures\" WHERE \"email\" = "
                         "$1",
                      1, params, NULL, NULL, NULL, err);
    sodium_memzero(hash, sizeof hash);
    if (rc == 0)
        return db_commit(c, err);
    struct db_error ignored;
    db_rollback(c, &ignored);
    if (rc == DB_ESQL)
        db_error_hint(err, "the database may predate accounts: start the "
                           "app once (pre-user) or apply the revision that "
                           "adds them");
    return rc;
}
