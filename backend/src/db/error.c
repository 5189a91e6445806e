/*
 * error.c - error codes, texts and the error object.
 */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *db_strerror(int code)
{
    switch (code) {
#define DB_X_(name, value, text) case value: return text;
        DB_ERROR_MAP(DB_X_)
#undef DB_X_
    }
    return "unknown error";
}

const char *db_error_name(int code)
{
    switch (code) {
#define DB_X_(name, value, text) case value: return #name;
        DB_ERROR_MAP(DB_X_)
#undef DB_X_
    }
    return "UNKNOWN";
}

void db_error_clear(struct db_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}

int db_error_set(struct db_error *err, int code, const char *fmt, ...)
{
    if (!err)
        return code;
    db_error_clear(err);
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    /* Keep the message on one line. */
    for (char *p = err->message; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    return code;
}

void db_error_at(struct db_error *err, const char *file, int line)
{
    if (!err)
        return;
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    err->line = line;
}

void db_error_hint(struct db_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->hint, sizeof err->hint, fmt, ap);
    va_end(ap);
}

void db_error_prefix(struct db_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    char prefix[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    char old[sizeof err->message];
    memcpy(old, err->message, sizeof old);
    snprintf(err->message, sizeof err->message, "%s: %s", prefix, old);
    if (err->detail_at)
        err->detail_at += (int)strlen(prefix) + 2;
    if ((size_t)err->detail_at >= strlen(err->message))
        err->detail_at = 0;
}

size_t db_error_format(char *out, size_t n, const struct db_error *err)
{
    int len = 0;
    if (n == 0)
        return 0;
    out[0] = '\0';
    if (err->file[0] && err->line > 0)
        len = snprintf(out, n, "%s:%d: ", err->file, err->line);
    else if (err->file[0])
        len = snprintf(out, n, "%s: ", err->file);
    if (len < 0 || (size_t)len >= n)
        return n - 1;
    len += snprintf(out + len, n - (size_t)len, "%s",
                    err->message[0] ? err->message : db_strerror(err->code));
    if ((size_t)len >= n)
        return n - 1;
    if (err->hint[0])
        len += snprintf(out + len, n - (size_t)len, "; %s", err->hint);
    return (size_t)len >= n ? n - 1 : (size_t)len;
}

int db_error_nomem(struct db_error *err)
{
    return db_error_set(err, DB_ENOMEM, "out of memory");
}
