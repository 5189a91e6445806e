/*
 * buf.c - growable text buffer.
 */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void db_buf_free(struct db_buf *b)
{
    if (!b)
        return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->oom = false;
}

void db_buf_reset(struct db_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static bool grow(struct db_buf *b, size_t extra)
{
    if (b->oom)
        return false;
    if (b->len + extra + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void db_buf_putn(struct db_buf *b, const char *s, size_t n)
{
    if (!grow(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void db_buf_puts(struct db_buf *b, const char *s)
{
    db_buf_putn(b, s, strlen(s));
}

void db_buf_printf(struct db_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !grow(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

static void quoted(struct db_buf *b, const char *s, char q)
{
    db_buf_putn(b, &q, 1);
    for (const char *p = s; *p; p++) {
        if (*p == q)
            db_buf_putn(b, &q, 1);
        db_buf_putn(b, p, 1);
    }
    db_buf_putn(b, &q, 1);
}

void db_buf_ident(struct db_buf *b, const char *ident)
{
    quoted(b, ident, '"');
}

void db_buf_literal(struct db_buf *b, const char *text)
{
    quoted(b, text, '\'');
}

bool db_buf_ok(const struct db_buf *b)
{
    return !b->oom;
}

const char *db_buf_str(const struct db_buf *b)
{
    return b->data ? b->data : "";
}
