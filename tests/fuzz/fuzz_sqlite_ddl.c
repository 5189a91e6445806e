/*
 * fuzz_sqlite_ddl.c - what reflection reads out of SQLite's CREATE TABLE
 * texts and out of CHECK expressions as either database reports them.
 *
 * The input is a CREATE TABLE text. Its constraints are scanned
 * (db_sqlite__table_constraints); each CHECK body is then compared with
 * itself and read as an enumeration (db_values_parse) of the column
 * "c". The scan never reads past the text, each body is a part of it, an
 * expression always equals itself, and the values read back render as an
 * enumeration that reads back the same values.
 */
#include "db/buf.h"
#include "db/reflect.h"
#include "db/schema.h"
#include "fuzz.h"

struct seen {
    const char *sql;
    size_t len;
    int n;
};

static void check_values(const char *body)
{
    char **values = NULL;
    int rc = db_values_parse(&values, body, "c");
    FUZZ_ASSERT(rc == 0 || rc == 1 || rc == DB_ENOMEM);
    if (rc != 1)
        return;
    FUZZ_ASSERT(values && values[0]);
    /* written back as the DDL writes an enumeration: the same values */
    struct db_buf again = DB_BUF_INIT;
    db_buf_puts(&again, "\"c\" IN (");
    for (char **v = values; *v; v++) {
        db_buf_puts(&again, v == values ? "" : ", ");
        db_buf_literal(&again, *v);
    }
    db_buf_puts(&again, ")");
    FUZZ_ASSERT(db_buf_ok(&again));
    char **back = NULL;
    FUZZ_ASSERT(db_values_parse(&back, db_buf_str(&again), "c") == 1);
    size_t i = 0;
    for (; values[i]; i++) {
        FUZZ_ASSERT(back[i] != NULL);
        FUZZ_ASSERT(strcmp(values[i], back[i]) == 0);
    }
    FUZZ_ASSERT(back[i] == NULL);
    db_values_free(back);
    db_values_free(values);
    db_buf_free(&again);
}

static int on_constraint(void *ctx, enum db_sqlite_constraint kind,
                         const char *name, const char *body)
{
    struct seen *s = ctx;
    FUZZ_ASSERT(kind == DB_SQLITE_CHECK || kind == DB_SQLITE_UNIQUE);
    FUZZ_ASSERT(strlen(body) <= s->len);
    FUZZ_ASSERT(!name || strlen(name) < DB_NAME_MAX * 2);
    s->n++;
    struct db_check a = {.name = "x", .expr = body};
    struct db_check b = {.constraint = "ck_t_x", .expr = body};
    FUZZ_ASSERT(db_check_same_expr(&a, &b));
    if (kind == DB_SQLITE_CHECK)
        check_values(body);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *sql = fuzz_strndup(data, size);
    struct seen s = {sql, strlen(sql), 0};
    int rc = db_sqlite__table_constraints(sql, on_constraint, &s);
    FUZZ_ASSERT(rc == 0 || rc == DB_ENOMEM);
    /* the whole text as one expression too */
    check_values(sql);
    free(sql);
    return 0;
}
