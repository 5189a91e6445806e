/*
 * sqlite_dialect.c - SQLite's SQL: types and literals.
 * Part of the core binary (no connection needed), unlike sqlite.c's
 * connection verbs.
 */
#include "../buf.h"
#include "../driver.h"
#include "../schema.h"

static void type_sql(struct db_buf *out, const struct db_column *col)
{
    switch (col->type) {
    case DB_TYPE_NONE_: case DB_TYPE_COUNT_: break;
    case DB_TYPE_INTEGER: db_buf_puts(out, "INTEGER"); break;
    case DB_TYPE_TEXT: db_buf_puts(out, "TEXT"); break;
    case DB_TYPE_VARCHAR: db_buf_printf(out, "VARCHAR(%d)", col->length); break;
    case DB_TYPE_BOOLEAN: db_buf_puts(out, "BOOLEAN"); break;
    case DB_TYPE_TIMESTAMP: db_buf_puts(out, "TIMESTAMP"); break;
    case DB_TYPE_REAL: db_buf_puts(out, "REAL"); break;
    case DB_TYPE_BLOB: db_buf_puts(out, "BLOB"); break;
    }
}

const struct db_dialect_ops db_sqlite_dialect = {
    .id = DB_DIALECT_SQLITE,
    .name = "sqlite",
    .true_sql = "1",
    .false_sql = "0",
    .now_sql = "CURRENT_TIMESTAMP",
    .type_sql = type_sql,
};
