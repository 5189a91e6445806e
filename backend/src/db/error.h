/*
 * error.h - the library's error codes and error object.
 *
 * Every library function returns 0 on success or a negative DB_E* code, and
 * fills the caller's struct db_error (always the last parameter) on failure.
 * The library never prints and never exits; commands format the error.
 */
#ifndef DB_ERROR_H
#define DB_ERROR_H

#include <stddef.h>

/* One list: the enum and db_strerror() are generated from it. */
#define DB_ERROR_MAP(X)                                              \
    X(OK, 0, "success")                                              \
    X(ERROR, -1, "error")                                            \
    X(NOTFOUND, -2, "not found")                                     \
    X(EXISTS, -3, "already exists")                                  \
    X(LOCKED, -4, "locked")                                          \
    X(CONFIG, -5, "configuration error")                             \
    X(USAGE, -6, "invalid argument")                                 \
    X(NOMEM, -7, "out of memory")                                    \
    X(IO, -8, "input/output error")                                  \
    X(SQL, -9, "database error")                                     \
    X(PHASE, -10, "not allowed in this phase")                       \
    X(REFUSED, -11, "refused")                                       \
    X(DRIFT, -12, "schema differs from the models")                  \
    X(PARSE, -13, "parse error")                                     \
    X(GRAPH, -14, "revision graph error")                            \
    X(CONNECT, -15, "cannot connect")                                \
    X(DIRTY, -16, "database needs attention")

enum db_error_code {
#define DB_X_(name, value, text) DB_E##name = value,
    DB_ERROR_MAP(DB_X_)
#undef DB_X_
};

#define DB_OK DB_EOK

struct db_error {
    int code;            /* a DB_E* code, 0 when clear */
    char message[1024];  /* what went wrong, one line */
    char file[512];      /* the file concerned, "" if none */
    int line;            /* line in that file, 0 if none */
    char hint[512];      /* how to fix it, "" if none */
    char sqlstate[8];    /* SQLSTATE from PostgreSQL, "" otherwise */
    int position;        /* 1-based byte offset in the statement, 0 if none */
    int detail_at;       /* offset in message where the server's detail
                            begins (it may quote row values: a hash, a
                            token's hash), 0 if none */
};

/* Static text for a code ("not found"). */
const char *db_strerror(int code);

/* Name of a code ("NOTFOUND"). */
const char *db_error_name(int code);

/* Clears err. err may be NULL. */
void db_error_clear(struct db_error *err);

/*
 * Sets code and message (printf-style); clears file, line, hint and sqlstate.
 * Returns code, so callers can write `return db_error_set(err, DB_EIO, ...)`.
 * err may be NULL.
 */
int db_error_set(struct db_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records where the error is (file and 1-based line; line 0 for none). */
void db_error_at(struct db_error *err, const char *file, int line);

/* Records how to fix it (printf-style). */
void db_error_hint(struct db_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prefixes the message with context: "ctx: message". */
void db_error_prefix(struct db_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Formats the error as one line: "file:line: message; hint".
 * Returns the length written (truncated to fit n).
 */
size_t db_error_format(char *out, size_t n, const struct db_error *err);

/* db_error_set(err, DB_ENOMEM, "out of memory"); returns DB_ENOMEM. */
int db_error_nomem(struct db_error *err);

#endif /* DB_ERROR_H */
