/*
 * sqlite_dialect.c - SQLite's SQL: types, literals, what ALTER TABLE can do
 * and the table rebuild for the rest, and the foreign-key protocol around
 * it (diff.h tells the whole procedure). Part of the core binary: offline
 * SQL and revisions for every dialect need no connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../buf.h"
#include "../diff.h"
#include "../driver.h"
#include "../render.h"
#include "../schema.h"

/*
 * Each type under a declared name of its own, so that reflection reads it
 * back exactly, and of the affinity its values need (sqlite.org/
 * datatype3.html 3.1): DATE, UUID and JSON contain "TEXT" (TEXT affinity:
 * '2024-01-31' or '123e4' stay text), NUMERIC(p,s) and the timestamps have
 * NUMERIC affinity, the integer widths INTEGER affinity.
 */
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
    case DB_TYPE_TIMESTAMP: db_buf_puts(out, "TIMESTAMP"); break;
    case DB_TYPE_TIMESTAMP_LOCAL:
        db_buf_puts(out, "TIMESTAMP WITHOUT TIME ZONE");
        break;
    case DB_TYPE_REAL: db_buf_puts(out, "REAL"); break;
    case DB_TYPE_BLOB: db_buf_puts(out, "BLOB"); break;
    case DB_TYPE_NUMERIC:
        if (col->precision > 0)
            db_buf_printf(out, "NUMERIC(%d,%d)", col->precision, col->scale);
        else
            db_buf_puts(out, "NUMERIC");
        break;
    case DB_TYPE_DATE: db_buf_puts(out, "DATE_TEXT"); break;
    case DB_TYPE_UUID: db_buf_puts(out, "UUID_TEXT"); break;
    case DB_TYPE_JSON: db_buf_puts(out, "JSON_TEXT"); break;
    }
}

/* JSON is text that json_valid accepts (NULL passes a CHECK). */
static void type_check_sql(struct db_buf *out, const struct db_column *col)
{
    if (col->type != DB_TYPE_JSON)
        return;
    db_buf_puts(out, " CHECK (json_valid(");
    db_buf_ident(out, col->name);
    db_buf_puts(out, "))");
}

/* A random version 4 UUID as lower-case text: 122 random bits, the
 * version nibble 4 and the variant nibble one of 8, 9, a, b. */
#define SQLITE_UUID_SQL                                                    \
    "(lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || "   \
    "substr(hex(randomblob(2)), 2) || '-' || "                             \
    "substr('89ab', 1 + (random() & 3), 1) || "                            \
    "substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))))"

/* ---- what ALTER TABLE can do, and the rebuild ---- */

/* Whether ALTER TABLE can make the change (else: the rebuild). */
static bool alterable(const struct db_op *op)
{
    switch (op->kind) {
    case DB_OP_ADD_COLUMN: {
        const struct db_column *c = op->column;
        /* "Cannot add a column with non-constant default" */
        if (c->primary_key || db_default_is_expression(c->def.kind))
            return false;
        if (!c->nullable && c->def.kind == DB_DEFAULT_NONE)
            return false;
        return true;
    }
    case DB_OP_DROP_COLUMN: {
        const struct db_column *c = op->from_column;
        /* DROP COLUMN refuses a column a constraint names */
        if (c->primary_key || c->values || op->from->nchecks ||
            op->from->nunmanaged)
            return false;
        for (size_t i = 0; i < op->from->nforeign_keys; i++)
            for (size_t k = 0; k < db_fk_ncols(&op->from->foreign_keys[i]);
                 k++)
                if (strcmp(db_fk_col(&op->from->foreign_keys[i], k),
                           c->name) == 0)
                    return false;
        return true;
    }
    case DB_OP_ALTER_COLUMN:
    case DB_OP_ADD_FK:
    case DB_OP_DROP_FK:
    case DB_OP_ADD_CHECK:
    case DB_OP_DROP_CHECK:
    case DB_OP_ALTER_VALUES:
        return false;
    default:
        return true;
    }
}

/* The columns of t that from has too: what a rebuild copies. */
static void kept_columns(struct db_buf *out, const struct db_table *t,
                         const struct db_table *from)
{
    int first = 1;
    for (size_t i = 0; i < t->ncolumns; i++) {
        if (!db_table_column(from, t->columns[i].name))
            continue;
        if (!first)
            db_buf_puts(out, ", ");
        db_buf_ident(out, t->columns[i].name);
        first = 0;
    }
}

/* The unmanaged items of a rebuild: from's (the table as it is) and, in
 * a diff the other way round (a downgrade), t's; i runs over both, the
 * same statement once. NULL past the end. */
static const struct db_unmanaged *unmanaged_at(const struct db_table *t,
                                               const struct db_table *from,
                                               size_t i)
{
    if (i < from->nunmanaged)
        return &from->unmanaged[i];
    i -= from->nunmanaged;
    if (i >= t->nunmanaged)
        return NULL;
    static const struct db_unmanaged seen = {.what = ""};
    const struct db_unmanaged *u = &t->unmanaged[i];
    for (size_t k = 0; k < from->nunmanaged; k++)
        if (from->unmanaged[k].sql && u->sql &&
            strcmp(from->unmanaged[k].sql, u->sql) == 0)
            return &seen; /* written for from already */
    return u;
}

static int rebuild_table(struct db_buf *out, const struct db_table *t,
                         const struct db_table *from)
{
    char tmp[DB_NAME_MAX + 8];
    snprintf(tmp, sizeof tmp, "_new_%s", t->name);
    /* the new table under the temporary name, its constraints named as
     * t's */
    db_buf_puts(out, "-- rebuild ");
    db_buf_ident(out, t->name);
    db_buf_puts(out, ": SQLite's ALTER TABLE cannot make this change\n");
    /* the constraints the models do not have, written again */
    struct db_buf create = DB_BUF_INIT;
    db_render_create_table_as(&create, t, tmp, DB_DIALECT_SQLITE, 0);
    const char *text = db_buf_str(&create);
    const char *end = strstr(text, "\n);\n");
    db_buf_putn(out, text, end ? (size_t)(end - text) : strlen(text));
    bool lost = false;
    const struct db_unmanaged *u;
    for (size_t i = 0; (u = unmanaged_at(t, from, i)); i++) {
        lost = lost || (!u->sql && u->clause);
        if (u->sql && u->clause && end)
            db_buf_printf(out, ",\n    %s", u->sql);
    }
    if (end)
        db_buf_puts(out, end);
    bool oom = !db_buf_ok(&create);
    db_buf_free(&create);
    if (oom)
        return DB_ENOMEM;

    db_buf_puts(out, "INSERT INTO ");
    db_buf_ident(out, tmp);
    db_buf_puts(out, " (");
    kept_columns(out, t, from);
    db_buf_puts(out, ")\n    SELECT ");
    kept_columns(out, t, from);
    db_buf_puts(out, " FROM ");
    db_buf_ident(out, t->name);
    db_buf_puts(out, ";\n");
    db_render_drop_table(out, t->name, DB_DIALECT_SQLITE, 0);
    /* legacy mode: the rename does not re-check views naming the table */
    db_buf_puts(out, "PRAGMA legacy_alter_table = ON;\nALTER TABLE ");
    db_buf_ident(out, tmp);
    db_buf_puts(out, " RENAME TO ");
    db_buf_ident(out, t->name);
    db_buf_puts(out, ";\nPRAGMA legacy_alter_table = OFF;\n");
    for (size_t i = 0; i < t->nindexes; i++)
        db_render_create_index(out, t, &t->indexes[i], DB_DIALECT_SQLITE, 0);
    for (size_t i = 0; (u = unmanaged_at(t, from, i)); i++)
        if (u->sql && !u->clause)
            db_buf_printf(out, "%s;\n", u->sql);
    if (lost)
        db_buf_puts(out, "INSERT INTO \"_rebuild_guard\" (\"unmanaged\") "
                         "VALUES (1);\n");
    db_buf_puts(out, "INSERT INTO \"_rebuild_guard\" (\"fk_violations\") "
                     "SELECT count(*) FROM pragma_foreign_key_check(");
    db_buf_literal(out, t->name);
    db_buf_puts(out, ");\n");
    return 0;
}

/* Before a rebuild: the table's triggers would go with DROP TABLE. */
static void guard_triggers(struct db_buf *out, const char *table)
{
    db_buf_puts(out, "INSERT INTO \"_rebuild_guard\" (\"triggers\") "
                     "SELECT count(*) FROM sqlite_master WHERE type = "
                     "'trigger' AND tbl_name = ");
    db_buf_literal(out, table);
    db_buf_puts(out, ";\n");
}

/* Whether another table of either schema has a foreign key to table. */
static bool referenced(const struct db_diff *diff, const char *table)
{
    const struct db_schema *s[2] = {diff->target, diff->current};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; s[k] && i < s[k]->ntables; i++) {
            const struct db_table *t = s[k]->tables[i];
            if (strcmp(t->name, table) == 0)
                continue;
            for (size_t f = 0; f < t->nforeign_keys; f++)
                if (strcmp(t->foreign_keys[f].ref_table, table) == 0)
                    return true;
        }
    return false;
}

static void guard_fk_off(struct db_buf *out)
{
    db_buf_puts(out, "INSERT INTO \"_rebuild_guard\" (\"fk_enforced\") "
                     "SELECT \"foreign_keys\" FROM pragma_foreign_keys;\n");
}

static bool needs_rebuild(const struct db_op *op)
{
    return !alterable(op);
}

/* The rebuild of diff->ops[i]'s table, with its guards. */
static int render_rebuild(struct db_buf *out, const struct db_diff *diff,
                          size_t i)
{
    const struct db_op *op = &diff->ops[i];
    if (referenced(diff, op->table->name))
        guard_fk_off(out);
    guard_triggers(out, op->table->name);
    return rebuild_table(out, op->table, op->from);
}

/* ---- scratch databases and rehearsal copies ---- */

static void scratch_config(struct db_config *cfg)
{
    snprintf(cfg->url, sizeof cfg->url, "sqlite:///:memory:");
}

static void copy_url(char *out, size_t n, const char *path)
{
    snprintf(out, n, "sqlite:///%s", path);
}

static const char *const copy_suffixes[] = {"-wal", "-shm", "-journal", NULL};

const struct db_dialect_ops db_sqlite_dialect = {
    .id = DB_DIALECT_SQLITE,
    .name = "sqlite",
    .true_sql = "1",
    .false_sql = "0",
    .now_sql = "CURRENT_TIMESTAMP",
    .today_sql = "CURRENT_DATE",
    .uuid_sql = SQLITE_UUID_SQL,
    .integer_pk_is_rowid = true,
    .keeps_fk_names = false,
    .type_sql = type_sql,
    .type_check_sql = type_check_sql,
    .needs_rebuild = needs_rebuild,
    .render_rebuild = render_rebuild,
    /* fails the change when foreign keys are enforced during a rebuild of
     * a referenced table, when a rebuild leaves broken foreign keys, or
     * when the table has triggers (DROP TABLE would take them) */
    .rebuild_prologue =
        "-- fails the change when foreign keys are enforced during a rebuild "
        "of a\n-- referenced table, or when a rebuild leaves broken foreign "
        "keys\n"
        "CREATE TEMP TABLE \"_rebuild_guard\" (\n"
        "    \"fk_enforced\" INTEGER CONSTRAINT \"a table rebuild needs "
        "PRAGMA foreign_keys = OFF\" CHECK (\"fk_enforced\" = 0),\n"
        "    \"fk_violations\" INTEGER CONSTRAINT \"a table rebuild left "
        "rows with broken foreign keys\" CHECK (\"fk_violations\" = 0),\n"
        "    \"triggers\" INTEGER CONSTRAINT \"a table rebuild would drop "
        "the table's triggers: drop them before, create them after\" "
        "CHECK (\"triggers\" = 0),\n"
        "    \"unmanaged\" INTEGER CONSTRAINT \"a table rebuild would drop "
        "a constraint the models do not have (a column's UNIQUE): make this "
        "change by hand\" CHECK (\"unmanaged\" = 0)\n"
        ");\n",
    .rebuild_epilogue = "DROP TABLE \"_rebuild_guard\";\n",
    .rebuild_option = "foreign_keys=off",
    .render_alter_column = NULL,
    /* PRAGMA foreign_keys is a no-op inside a transaction: run outside */
    .fk_off_sql = "PRAGMA foreign_keys = OFF",
    .fk_on_sql = "PRAGMA foreign_keys = ON",
    .fk_check_sql = "PRAGMA foreign_key_check",
    .fk_violation_hint = "PRAGMA foreign_key_check lists them; fix or "
                         "delete those rows first",
    .scratch_config = scratch_config,
    .scratch_drop = NULL,
    .copy_url = copy_url,
    .copy_suffixes = copy_suffixes,
    .rehearsal_where = "a copy (SQLite online backup)",
    .schema = "main",
    .key_table_sql = " WITHOUT ROWID",
    .other_tables_sql =
        "SELECT count(*) FROM \"main\".sqlite_master WHERE type = "
        "'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name "
        "NOT LIKE 'app\\_version%' ESCAPE '\\'",
    .create_race_sqlstates = NULL,
    /* the rowid, 64-bit, whatever the model's width */
    .rowid_type_sql = "INTEGER",
    .identity_pk_sql = " PRIMARY KEY",
    /* the sqlite3 shell's: a block comment ends at the first close;
     * identifiers may also be quoted with [] and `` */
    .split = {.bracket_idents = 1},
    .backup_ext = "db",
    .backup_named_by_file = true,
};
