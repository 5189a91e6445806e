/*
 * postgres_dialect.c - PostgreSQL's SQL: types, literals and ALTER COLUMN.
 * Part of the core binary (no libpq needed: offline --sql and baselines
 * render PostgreSQL without loading the postgresql module).
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "../buf.h"
#include "../diff.h"
#include "../driver.h"
#include "../render.h"
#include "../schema.h"

static void type_sql(struct db_buf *out, const struct db_column *col)
{
    switch (col->type) {
    case DB_TYPE_NONE_: case DB_TYPE_COUNT_: break;
    case DB_TYPE_SMALLINT: db_buf_puts(out, "SMALLINT"); break;
    case DB_TYPE_INTEGER: db_buf_puts(out, "INTEGER"); break;
    case DB_TYPE_BIGINT: db_buf_puts(out, "BIGINT"); break;
    case DB_TYPE_TEXT: db_buf_puts(out, "TEXT"); break;
    case DB_TYPE_VARCHAR: db_buf_printf(out, "VARCHAR(%d)", col->length); break;
    case DB_TYPE_BOOLEAN: db_buf_puts(out, "BOOLEAN"); break;
    case DB_TYPE_TIMESTAMP: db_buf_puts(out, "TIMESTAMP WITH TIME ZONE"); break;
    case DB_TYPE_TIMESTAMP_LOCAL:
        db_buf_puts(out, "TIMESTAMP WITHOUT TIME ZONE");
        break;
    case DB_TYPE_REAL: db_buf_puts(out, "DOUBLE PRECISION"); break;
    case DB_TYPE_BLOB: db_buf_puts(out, "BYTEA"); break;
    case DB_TYPE_NUMERIC:
        if (col->precision > 0)
            db_buf_printf(out, "NUMERIC(%d,%d)", col->precision, col->scale);
        else
            db_buf_puts(out, "NUMERIC");
        break;
    case DB_TYPE_DATE: db_buf_puts(out, "DATE"); break;
    case DB_TYPE_UUID: db_buf_puts(out, "UUID"); break;
    case DB_TYPE_JSON: db_buf_puts(out, "JSONB"); break;
    }
}

/* ALTER COLUMN: identity, primary key, type (through text), default,
 * nullability, in an order that applies cleanly. */
static void render_alter_column(struct db_buf *out, const struct db_op *op)
{
    const struct db_table *t = op->table;
    const struct db_column *c = op->column;
    const enum db_dialect d = DB_DIALECT_POSTGRESQL;
    if (op->changes & DB_ALTER_KEY) {
        if (op->from_column->autoincrement && !c->autoincrement) {
            db_render_alter_table(out, t->name);
            db_buf_puts(out, "ALTER COLUMN ");
            db_buf_ident(out, c->name);
            db_buf_puts(out, " DROP IDENTITY IF EXISTS;\n");
        }
        if (op->from_column->primary_key != c->primary_key) {
            char pk[DB_NAME_MAX + 8];
            snprintf(pk, sizeof pk, "%s_pkey", t->name);
            db_render_alter_table(out, t->name);
            db_buf_puts(out, "DROP CONSTRAINT IF EXISTS ");
            db_buf_ident(out, pk);
            db_buf_puts(out, ";\n");
            if (db_table_pk_count(t) > 0 && c->primary_key) {
                db_render_alter_table(out, t->name);
                db_buf_puts(out, "ADD CONSTRAINT ");
                db_buf_ident(out, pk);
                db_buf_puts(out, " PRIMARY KEY (");
                db_render_pk_columns(out, t);
                db_buf_puts(out, ");\n");
            }
        }
    }
    if (op->changes & DB_ALTER_TYPE) {
        /* the old default may not cast to the new type ('{}'::text to
         * jsonb): off first, the new one set below */
        if (op->from_column->def.kind != DB_DEFAULT_NONE &&
            !op->from_column->autoincrement) {
            db_render_alter_table(out, t->name);
            db_buf_puts(out, "ALTER COLUMN ");
            db_buf_ident(out, c->name);
            db_buf_puts(out, " DROP DEFAULT;\n");
        }
        db_render_alter_table(out, t->name);
        db_buf_puts(out, "ALTER COLUMN ");
        db_buf_ident(out, c->name);
        db_buf_puts(out, " TYPE ");
        db_render_type(out, c, d);
        db_buf_puts(out, " USING ");
        db_buf_ident(out, c->name);
        /* number to number directly (12.50 to integer rounds); else via
         * text: bigint, boolean, timestamps, uuid, jsonb and bytea all
         * read it */
        unsigned num = DB_TYPEF_NUMBER;
        bool direct = (db_type_flags(op->from_column->type) & num) &&
                      (db_type_flags(c->type) & num);
        db_buf_puts(out, direct ? "::" : "::text::");
        db_render_type(out, c, d);
        db_buf_puts(out, ";\n");
    }
    if (op->changes & (DB_ALTER_DEFAULT | DB_ALTER_TYPE)) {
        if (c->def.kind != DB_DEFAULT_NONE) {
            db_render_alter_table(out, t->name);
            db_buf_puts(out, "ALTER COLUMN ");
            db_buf_ident(out, c->name);
            db_buf_puts(out, " SET DEFAULT ");
            db_render_default(out, c, d);
            db_buf_puts(out, ";\n");
        } else if (op->changes & DB_ALTER_DEFAULT) {
            db_render_alter_table(out, t->name);
            db_buf_puts(out, "ALTER COLUMN ");
            db_buf_ident(out, c->name);
            db_buf_puts(out, " DROP DEFAULT;\n");
        }
    }
    if (op->changes & DB_ALTER_NULLABLE) {
        db_render_alter_table(out, t->name);
        db_buf_puts(out, "ALTER COLUMN ");
        db_buf_ident(out, c->name);
        db_buf_puts(out, c->nullable && !c->primary_key ? " DROP NOT NULL;\n"
                                                        : " SET NOT NULL;\n");
    }
    if ((op->changes & DB_ALTER_KEY) && c->autoincrement &&
        !op->from_column->autoincrement) {
        db_render_alter_table(out, t->name);
        db_buf_puts(out, "ALTER COLUMN ");
        db_buf_ident(out, c->name);
        db_buf_puts(out, " ADD GENERATED BY DEFAULT AS IDENTITY;\n");
    }
}

/* ---- scratch databases: a schema of their own ---- */

/* The check's expression as written, in the constraint's comment:
 * pg_get_constraintdef gives PostgreSQL's rewriting of it. */
static void check_source_sql(struct db_buf *out, const char *table,
                             const char *constraint, const char *expr)
{
    db_buf_puts(out, "COMMENT ON CONSTRAINT ");
    db_buf_ident(out, constraint);
    db_buf_puts(out, " ON ");
    db_buf_ident(out, table);
    db_buf_puts(out, " IS ");
    db_buf_literal(out, expr);
    db_buf_puts(out, ";\n");
}

static void scratch_config(struct db_config *cfg)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(cfg->schema, sizeof cfg->schema, "app_scratch_%ld_%ld",
             (long)getpid(), (long)(ts.tv_nsec / 1000));
}

static int scratch_drop(struct db_conn *live, const struct db_config *cfg,
                        struct db_error *err)
{
    struct db_buf sql = DB_BUF_INIT;
    db_buf_puts(&sql, "DROP SCHEMA IF EXISTS ");
    db_buf_ident(&sql, cfg->schema);
    db_buf_puts(&sql, " CASCADE");
    int rc = db_buf_ok(&sql)
                 ? db_exec(live, db_buf_str(&sql), err)
                 : db_error_set(err, DB_ENOMEM, "out of memory");
    db_buf_free(&sql);
    if (rc)
        db_error_prefix(err, "cannot drop scratch schema %s", cfg->schema);
    return rc;
}

bool db_pg_render_online(struct db_buf *out, const struct db_op *op);
bool db_pg_render_guard(struct db_buf *out, const struct db_op *op);

/* CREATE TABLE IF NOT EXISTS losing to another session: a unique
 * violation in pg_type or pg_class while the other one is still open
 * (23505), the table committed before the name was looked up (42P07), or
 * committed after that but before the table's row type was made: "type
 * ... already exists" (42710). */
static const char *const race_sqlstates[] = {"23505", "42P07", "42710", NULL};

const struct db_dialect_ops db_postgres_dialect = {
    .id = DB_DIALECT_POSTGRESQL,
    .name = "postgresql",
    .true_sql = "true",
    .false_sql = "false",
    .now_sql = "CURRENT_TIMESTAMP",
    .today_sql = "CURRENT_DATE",
    .uuid_sql = "gen_random_uuid()",
    .integer_pk_is_rowid = false,
    .keeps_fk_names = true,
    .type_sql = type_sql,
    .render_alter_column = render_alter_column,
    .render_online = db_pg_render_online,   /* postgres_online_dialect.c */
    .online_option = "transaction=false",
    .render_guard = db_pg_render_guard,     /* postgres_online_dialect.c */
    .check_source_sql = check_source_sql,
    .scratch_config = scratch_config,
    .scratch_drop = scratch_drop,
    .copy_url = NULL,
    .rehearsal_where = "a transaction that is rolled back",
    .parser_module = "pgparse",
    .parser_symbol = "db_pg_parse_json",
    .in_transaction_symbol = "db_pg_in_transaction",
    .rehearsal_locks_sql =
        "SELECT c.oid::text, c.relname, CASE c.relkind WHEN 'r' THEN "
        "'table' WHEN 'p' THEN 'table' WHEN 'i' THEN 'index' WHEN 'I' THEN "
        "'index' WHEN 'S' THEN 'sequence' WHEN 'm' THEN 'materialized view' "
        "ELSE 'relation' END, c.relfilenode::text, coalesce((SELECT "
        "string_agg(l.mode, ',' ORDER BY l.mode) FROM pg_catalog.pg_locks l "
        "WHERE l.locktype = 'relation' AND l.relation = c.oid AND l.pid = "
        "pg_catalog.pg_backend_pid() AND l.granted), '') FROM "
        "pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = "
        "c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', "
        "'i', 'I', 'S', 'm') AND c.relname NOT LIKE 'app\\_version%' "
        "ESCAPE '\\' ORDER BY c.oid",
    .schema = NULL,
    .row_version_sql = "CAST(\"xmin\" AS TEXT)",
    .other_tables_sql =
        "SELECT count(*) FROM pg_catalog.pg_class c JOIN "
        "pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE "
        "n.nspname = $1 AND c.relkind IN ('r', 'p') AND c.relname "
        "NOT LIKE 'app\\_version%' ESCAPE '\\'",
    /* IF NOT EXISTS can still lose the race in the catalog:
     * unique_violation or duplicate_table */
    .create_race_sqlstates = race_sqlstates,
    .rowid_type_sql = NULL,
    .identity_pk_sql = " GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    /* psql's: meta-commands, nested comments, E'' strings, $tag$ quotes,
     * and parentheses group statements */
    .split = {.psql_meta = 1, .nested_comments = 1, .e_strings = 1,
              .dollar_quotes = 1, .paren_groups = 1},
    .backup_ext = "dump",
    .backup_named_by_file = false,
};
