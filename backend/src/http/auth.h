/*
 * auth.h - passwords and log-in tokens, on libsodium.
 *
 * Passwords: Argon2id through crypto_pwhash_str with [auth] ops_limit and
 * mem_limit (libsodium's interactive limits by default), verified with
 * crypto_pwhash_str_verify and rehashed at log-in when the limits changed
 * (crypto_pwhash_str_needs_rehash). Lengths are counted in characters and
 * bounded by [auth] password_min_length and password_max_length.
 *
 * Tokens: 32 bytes from randombytes_buf, written as 43 characters of
 * unpadded base64url, shown once. The database keeps only the hex SHA-256
 * of the token text (crypto_hash_sha256), compared with sodium_memcmp.
 *
 * Times written to the database are "YYYY-MM-DD HH:MM:SSZ" (UTC): text
 * that sorts in time order on SQLite and parses as a timestamp with time
 * zone on PostgreSQL. Nothing here prints; no secret is put in an error.
 */
#ifndef HTTP_AUTH_H
#define HTTP_AUTH_H

#include <stddef.h>
#include <time.h>

#include "../db/config.h"
#include "../db/error.h"
#include "../settings.h"

#define HTTP_AUTH_TOKEN_LEN 43     /* characters of a token */
#define HTTP_AUTH_TOKEN_HASH_LEN 64 /* hex characters of its SHA-256 */
#define HTTP_AUTH_PWHASH_MAX 128   /* crypto_pwhash_STRBYTES, with the NUL */
#define HTTP_AUTH_TIME_LEN 21      /* "YYYY-MM-DD HH:MM:SSZ" */

struct db_conn;

struct http_auth {
    unsigned long long ops_limit;
    size_t mem_limit;
    int session_hours;
    int password_min;
    int password_max;
    int max_failures;
    int failure_window;                 /* seconds */
    char dummy_hash[HTTP_AUTH_PWHASH_MAX]; /* verified against when the
                                              email is unknown */
};

/*
 * Initialises libsodium (once per process) and a from s's [auth]; with
 * dummy, also hashes a random password so that an unknown email costs the
 * same verification as a wrong password. Returns 0, DB_ECONFIG (limits
 * libsodium refuses) or DB_ENOMEM (the memory limit cannot be allocated).
 */
int http_auth_init(struct http_auth *a, const struct app_settings *s,
                   int dummy, struct db_error *err);

/* 0 when password's length is within the limits; otherwise -1 and why
 * ("must be at least 8 characters") in why. */
int http_auth_password_check(const struct http_auth *a, const char *password,
                             char *why, size_t n);

/* Argon2id of password into out. Returns 0 or DB_ENOMEM. */
int http_auth_hash_password(char out[HTTP_AUTH_PWHASH_MAX],
                            const struct http_auth *a, const char *password,
                            struct db_error *err);

/* 1 when password matches hash (NULL: the dummy hash, never a match),
 * else 0. Takes the same time either way for one set of limits. */
int http_auth_verify(const struct http_auth *a, const char *hash,
                     const char *password);

/* 1 when hash was made with other limits than a's (rehash it). */
int http_auth_needs_rehash(const struct http_auth *a, const char *hash);

/* A new random token and the hex SHA-256 stored for it. */
void http_auth_new_token(char token[HTTP_AUTH_TOKEN_LEN + 1],
                         char hash[HTTP_AUTH_TOKEN_HASH_LEN + 1]);

/* The stored hash of a presented token. Returns 0, or -1 when token is not
 * 43 characters of base64url (malformed). */
int http_auth_token_hash(char hash[HTTP_AUTH_TOKEN_HASH_LEN + 1],
                         const char *token);

/* Constant-time equality of two strings of the same length; 0 when the
 * lengths differ. */
int http_auth_equal(const char *a, const char *b);

/* t as "YYYY-MM-DD HH:MM:SSZ" (database) or "YYYY-MM-DDTHH:MM:SSZ"
 * (JSON, with rfc3339 set). */
void http_auth_time(char out[HTTP_AUTH_TIME_LEN + 1], time_t t, int rfc3339);

/*
 * `app users set-password`: sets the password of the user with this
 * email, revokes their sessions and clears their failed log-ins, in one
 * transaction. *revoked receives the number of sessions ended. Returns 0,
 * DB_EUSAGE (password length; err says the limits), DB_ENOTFOUND (no such
 * user) or a database error.
 */
int http_auth_set_password(long *revoked, struct db_conn *c,
                           const struct app_settings *s, const char *email,
                           const char *password, struct db_error *err);

typedef int (*http_auth_set_password_fn)(long *revoked, struct db_conn *c,
                                         const struct app_settings *s,
                                         const char *email,
                                         const char *password,
                                         struct db_error *err);
typedef int (*http_auth_equal_fn)(const char *a, const char *b);

/* The number of characters (UTF-8 code points) of s: what the API and the
 * password limits count. */
int http_utf8_chars(const char *s);

#endif /* HTTP_AUTH_H */
