/*
 * postgres_dialect.c - PostgreSQL's SQL: types and literals.
 * Part of the core binary (no libpq needed: offline --sql and baselines
 * render PostgreSQL without loading the postgresql module).
 */
#include "../buf.h"
#include "../driver.h"
#include "../schema.h"

static void type_sql(struct db_buf *out, const struct db_column *col)
{
    switch (col->type) {
    case DB_TYPE_NONE_: case DB_TYPE_COUNT_: break;
    case DB_TYPE_INTEGER: db_buf_puts(out, "BIGINT"); break;
    case DB_TYPE_TEXT: db_buf_puts(out, "TEXT"); break;
    case DB_TYPE_VARCHAR: db_buf_printf(out, "VARCHAR(%d)", col->length); break;
    case DB_TYPE_BOOLEAN: db_buf_puts(out, "BOOLEAN"); break;
    case DB_TYPE_TIMESTAMP: db_buf_puts(out, "TIMESTAMP WITH TIME ZONE"); break;
    case DB_TYPE_REAL: db_buf_puts(out, "DOUBLE PRECISION"); break;
    case DB_TYPE_BLOB: db_buf_puts(out, "BYTEA"); break;
    }
}

const struct db_dialect_ops db_postgres_dialect = {
    .id = DB_DIALECT_POSTGRESQL,
    .name = "postgresql",
    .true_sql = "true",
    .false_sql = "false",
    .now_sql = "CURRENT_TIMESTAMP",
    .type_sql = type_sql,
};
