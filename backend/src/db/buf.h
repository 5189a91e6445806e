/*
 * buf.h - a growable text buffer for building SQL and output.
 *
 * Appending never fails loudly: on allocation failure the buffer is marked
 * (oom) and later appends do nothing; check db_buf_ok() once at the end.
 * Identifiers go in through db_buf_ident (quoted), literals through
 * db_buf_literal (single-quoted); values at run time are bound, never added.
 */
#ifndef DB_BUF_H
#define DB_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct db_buf {
    char *data;      /* NUL-terminated once anything was appended */
    size_t len;
    size_t cap;
    bool oom;
};

#define DB_BUF_INIT {NULL, 0, 0, false}

void db_buf_free(struct db_buf *b);                 /* NULL-safe; reusable */
void db_buf_reset(struct db_buf *b);                /* len = 0, keeps memory */
void db_buf_puts(struct db_buf *b, const char *s);
void db_buf_putn(struct db_buf *b, const char *s, size_t n);
void db_buf_printf(struct db_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void db_buf_ident(struct db_buf *b, const char *ident);   /* "ident" */
void db_buf_literal(struct db_buf *b, const char *text);  /* 'text' */
bool db_buf_ok(const struct db_buf *b);
/* The text so far; "" for an empty buffer. Valid until the next append. */
const char *db_buf_str(const struct db_buf *b);

#endif /* DB_BUF_H */
