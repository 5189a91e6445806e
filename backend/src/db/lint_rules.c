/*
 * lint_rules.c - the linter's rules: each one's check over a statement's
 * parse tree, and the table of ids, severities, effects and safe recipes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lint_internal.h"

/* The rules' one verb: a finding on a line. */
#define flag db_lint__flag


/* Functions a DEFAULT may call without making the value differ per row:
 * the stable time functions (one value per transaction) and common
 * immutable ones. Any other call counts as volatile. */
static bool known_not_volatile(const char *f)
{
    static const char *const ok[] = {
        "now", "transaction_timestamp", "statement_timestamp",
        "current_setting", "lower", "upper", "btrim", "trim", "length",
        "abs", "round", "floor", "ceil", "to_timestamp", "make_date",
        "make_interval", "jsonb_build_object", "json_build_object",
        "jsonb_build_array", "json_build_array", "array_fill", NULL};
    for (size_t i = 0; f && ok[i]; i++)
        if (strcmp(f, ok[i]) == 0)
            return true;
    return false;
}

/* Whether expression tree e calls a function not known to be stable. */
static bool calls_volatile(json_t *e)
{
    if (json_is_array(e)) {
        for (size_t i = 0; i < json_array_size(e); i++)
            if (calls_volatile(json_array_get(e, i)))
                return true;
        return false;
    }
    if (!json_is_object(e))
        return false;
    const char *k;
    json_t *v;
    json_object_foreach(e, k, v) {
        if (strcmp(k, "FuncCall") == 0 &&
            !known_not_volatile(last_name(field(v, "funcname"))))
            return true;
        if (calls_volatile(v))
            return true;
    }
    return false;
}

/* ------------------------------------------------------------------ */
/* the rules' checks                                                   */

static void check_create_index(struct db_lint_ctx *c,
                               const struct db_lint_stmt *st)
{
    if (!is_type(st, "IndexStmt") || bfield(st->node, "concurrent"))
        return;
    const char *t = relname(st->node);
    const char *idx = sfield(st->node, "idxname");
    if (existing(c, t))
        flag(c, "create-index-not-concurrent", st->line,
             "index \"%s\" on \"%s\"", idx ? idx : "(unnamed)", t);
}

/* The names of a DROP's objects: each a List of String nodes. */
static const char *drop_name(json_t *node, size_t i)
{
    json_t *o = json_array_get(field(node, "objects"), i);
    return last_name(field(field(o, "List"), "items"));
}

static void check_drop_index(struct db_lint_ctx *c,
                             const struct db_lint_stmt *st)
{
    if (!is_type(st, "DropStmt") ||
        !is(sfield(st->node, "removeType"), "OBJECT_INDEX") ||
        bfield(st->node, "concurrent"))
        return;
    for (size_t i = 0; i < json_array_size(field(st->node, "objects")); i++) {
        const char *name = drop_name(st->node, i);
        if (name && !list_has(&c->indexes, name))
            flag(c, "drop-index-not-concurrent", st->line, "index \"%s\"",
                 name);
    }
}

static int add_column_default(struct db_lint_ctx *c,
                              const struct db_lint_stmt *st, const char *t,
                              const char *sub, json_t *cmd)
{
    json_t *def = field(field(cmd, "def"), "ColumnDef");
    if (!is(sub, "AT_AddColumn") || !def)
        return 0;
    json_t *dflt = col_constraint(def, "CONSTR_DEFAULT");
    if (serial_type(type_name(def)) ||
        col_constraint(def, "CONSTR_IDENTITY") ||
        col_constraint(def, "CONSTR_GENERATED") ||
        (dflt && calls_volatile(field(dflt, "raw_expr"))))
        flag(c, "add-column-volatile-default", st->line,
             "column \"%s\" of \"%s\"", sfield(def, "colname"), t);
    return 0;
}

static void check_add_column_default(struct db_lint_ctx *c,
                                     const struct db_lint_stmt *st)
{
    each_alter_cmd(c, st, true, add_column_default);
}

static int add_column_not_null(struct db_lint_ctx *c,
                               const struct db_lint_stmt *st, const char *t,
                               const char *sub, json_t *cmd)
{
    json_t *def = field(field(cmd, "def"), "ColumnDef");
    if (is(sub, "AT_AddColumn") && def &&
        col_constraint(def, "CONSTR_NOTNULL") &&
        !col_constraint(def, "CONSTR_DEFAULT") &&
        !col_constraint(def, "CONSTR_IDENTITY") &&
        !col_constraint(def, "CONSTR_GENERATED") &&
        !serial_type(type_name(def)))
        flag(c, "add-column-not-null-no-default", st->line,
             "column \"%s\" of \"%s\"", sfield(def, "colname"), t);
    return 0;
}

static void check_add_column_not_null(struct db_lint_ctx *c,
                                      const struct db_lint_stmt *st)
{
    each_alter_cmd(c, st, true, add_column_not_null);
}

static int alter_type(struct db_lint_ctx *c, const struct db_lint_stmt *st,
                      const char *table, const char *sub, json_t *cmd)
{
    json_t *def = field(field(cmd, "def"), "ColumnDef");
    if (!is(sub, "AT_AlterColumnType") || !def)
        return 0;
    const char *t = type_name(def);
    bool no_rewrite = !field(def, "raw_default") &&
                      (is(t, "text") ||
                       (is(t, "varchar") && !has_typmods(def)));
    if (!no_rewrite)
        flag(c, "alter-column-type", st->line,
             "column \"%s\" of \"%s\" to %s", sfield(cmd, "name"), table,
             t ? t : "?");
    return 0;
}

static void check_alter_type(struct db_lint_ctx *c,
                             const struct db_lint_stmt *st)
{
    each_alter_cmd(c, st, true, alter_type);
}

/* The constraint of kind a or b that an ALTER TABLE command adds: a table
 * constraint (*con) or one on the column it adds (*coldef). Returns the
 * kind found (a first), NULL when it adds none. */
static const char *adds_constraint(const char *sub, json_t *cmd,
                                   const char *a, const char *b,
                                   json_t **con, json_t **coldef)
{
    json_t *def = field(cmd, "def");
    *con = *coldef = NULL;
    if (is(sub, "AT_AddConstraint")) {
        json_t *k = field(def, "Constraint");
        const char *ct = sfield(k, "contype");
        if (!is(ct, a) && !is(ct, b))
            return NULL;
        *con = k;
        return is(ct, a) ? a : b;
    }
    if (!is(sub, "AT_AddColumn"))
        return NULL;
    json_t *cd = field(def, "ColumnDef");
    const char *kind = col_constraint(cd, a)   ? a
                       : col_constraint(cd, b) ? b
                                               : NULL;
    if (kind)
        *coldef = cd;
    return kind;
}

static int not_valid(struct db_lint_ctx *c, const struct db_lint_stmt *st,
                     const char *t, const char *sub, json_t *cmd)
{
    json_t *con, *coldef;
    const char *kind = adds_constraint(sub, cmd, "CONSTR_FOREIGN",
                                       "CONSTR_CHECK", &con, &coldef);
    if (con && !bfield(con, "skip_validation"))
        flag(c, "constraint-not-valid", st->line, "%s \"%s\" on \"%s\"",
             is(kind, "CONSTR_CHECK") ? "check" : "foreign key",
             sfield(con, "conname") ? sfield(con, "conname") : "(unnamed)",
             t);
    else if (coldef)
        flag(c, "constraint-not-valid", st->line,
             "column \"%s\" of \"%s\" with %s", sfield(coldef, "colname"),
             t, is(kind, "CONSTR_FOREIGN") ? "REFERENCES" : "CHECK");
    return 0;
}

static void check_not_valid(struct db_lint_ctx *c,
                            const struct db_lint_stmt *st)
{
    each_alter_cmd(c, st, true, not_valid);
}

static struct constraint *find_constraint(struct db_lint_ctx *c,
                                          const char *table, const char *name)
{
    for (size_t i = 0; i < c->ncons; i++)
        if (is(c->cons[i].table, table) && name && c->cons[i].name[0] &&
            is(c->cons[i].name, name))
            return &c->cons[i];
    return NULL;
}

static int validate_tx(struct db_lint_ctx *c, const struct db_lint_stmt *st,
                       const char *t, const char *sub, json_t *cmd)
{
    struct constraint *k = is(sub, "AT_ValidateConstraint")
                               ? find_constraint(c, t, sfield(cmd, "name"))
                               : NULL;
    /* one transaction: the revision's, or that of a section without
     * transaction=false in a revision that has one */
    bool same = c->one_tx || (c->blk->transaction && k && k->block == c->blk);
    if (k && k->not_valid && same)
        flag(c, "validate-in-same-transaction", st->line,
             "constraint \"%s\" on \"%s\", added NOT VALID on line %d",
             k->name, k->table, k->line);
    return 0;
}

static void check_validate_tx(struct db_lint_ctx *c,
                              const struct db_lint_stmt *st)
{
    if (c->one_tx || c->blk->transaction)
        each_alter_cmd(c, st, false, validate_tx);
}

static int set_not_null(struct db_lint_ctx *c, const struct db_lint_stmt *st,
                        const char *t, const char *sub, json_t *cmd)
{
    if (!is(sub, "AT_SetNotNull"))
        return 0;
    const char *col = sfield(cmd, "name");
    bool proven = false;
    for (size_t k = 0; k < c->ncons && !proven; k++)
        proven = c->cons[k].validated && is(c->cons[k].table, t) &&
                 is(c->cons[k].column, col);
    if (!proven)
        flag(c, "set-not-null", st->line, "column \"%s\" of \"%s\"", col, t);
    return 0;
}

static void check_set_not_null(struct db_lint_ctx *c,
                               const struct db_lint_stmt *st)
{
    each_alter_cmd(c, st, true, set_not_null);
}

static int unique(struct db_lint_ctx *c, const struct db_lint_stmt *st,
                  const char *t, const char *sub, json_t *cmd)
{
    json_t *con, *coldef;
    const char *kind = adds_constraint(sub, cmd, "CONSTR_UNIQUE",
                                       "CONSTR_PRIMARY", &con, &coldef);
    const char *what = is(kind, "CONSTR_UNIQUE") ? "UNIQUE" : "PRIMARY KEY";
    if (con && !sfield(con, "indexname"))
        flag(c, "add-unique-not-using-index", st->line, "%s on \"%s\"",
             what, t);
    else if (coldef)
        flag(c, "add-unique-not-using-index", st->line,
             "column \"%s\" of \"%s\" with %s", sfield(coldef, "colname"),
             t, what);
    return 0;
}

static void check_unique(struct db_lint_ctx *c, const struct db_lint_stmt *st)
{
    each_alter_cmd(c, st, true, unique);
}

static void check_rename_column(struct db_lint_ctx *c,
                                const struct db_lint_stmt *st)
{
    if (is_type(st, "RenameStmt") &&
        is(sfield(st->node, "renameType"), "OBJECT_COLUMN") &&
        existing(c, relname(st->node)))
        flag(c, "rename-column", st->line, "column \"%s\" of \"%s\" to \"%s\"",
             sfield(st->node, "subname"), relname(st->node),
             sfield(st->node, "newname"));
}

static void check_rename_table(struct db_lint_ctx *c,
                               const struct db_lint_stmt *st)
{
    if (is_type(st, "RenameStmt") &&
        is(sfield(st->node, "renameType"), "OBJECT_TABLE") &&
        existing(c, relname(st->node)))
        flag(c, "rename-table", st->line, "table \"%s\" to \"%s\"",
             relname(st->node), sfield(st->node, "newname"));
}

static int drop_column(struct db_lint_ctx *c, const struct db_lint_stmt *st,
                       const char *t, const char *sub, json_t *cmd)
{
    if (is(sub, "AT_DropColumn"))
        flag(c, "drop-column", st->line, "column \"%s\" of \"%s\"",
             sfield(cmd, "name"), t);
    return 0;
}

static void check_drop_column(struct db_lint_ctx *c,
                              const struct db_lint_stmt *st)
{
    each_alter_cmd(c, st, true, drop_column);
}

static void check_drop_table(struct db_lint_ctx *c,
                             const struct db_lint_stmt *st)
{
    if (!is_type(st, "DropStmt") ||
        !is(sfield(st->node, "removeType"), "OBJECT_TABLE"))
        return;
    for (size_t i = 0; i < json_array_size(field(st->node, "objects")); i++) {
        const char *name = drop_name(st->node, i);
        if (existing(c, name))
            flag(c, "drop-table", st->line, "table \"%s\"", name);
    }
}

static bool reindex_concurrently(const struct db_lint_stmt *st)
{
    json_t *params = field(st->node, "params");
    for (size_t i = 0; i < json_array_size(params); i++)
        if (is(sfield(field(json_array_get(params, i), "DefElem"), "defname"),
               "concurrently"))
            return true;
    return false;
}

static void check_concurrently_tx(struct db_lint_ctx *c,
                                  const struct db_lint_stmt *st)
{
    bool conc = ((is_type(st, "IndexStmt") || is_type(st, "DropStmt")) &&
                 bfield(st->node, "concurrent")) ||
                (is_type(st, "ReindexStmt") && reindex_concurrently(st));
    if (conc && c->blk->transaction)
        flag(c, "concurrently-in-transaction", st->line,
             "%s CONCURRENTLY in a section without transaction=false",
             is_type(st, "IndexStmt") ? "CREATE INDEX"
             : is_type(st, "DropStmt") ? "DROP" : "REINDEX");
}

/* 1 for an ALTER TABLE command that takes ACCESS EXCLUSIVE. */
static int strong_cmd(struct db_lint_ctx *c, const struct db_lint_stmt *st,
                      const char *t, const char *sub, json_t *cmd)
{
    (void)c, (void)st, (void)t;
    static const char *const weaker[] = {
        "AT_ValidateConstraint", "AT_SetStatistics", "AT_ClusterOn",
        "AT_DropCluster", "AT_SetRelOptions", "AT_ResetRelOptions",
        "AT_AttachPartition", NULL};
    bool weak = is(sub, "AT_AddConstraint") &&
                is(contype(field(cmd, "def")), "CONSTR_FOREIGN");
    for (size_t k = 0; weaker[k] && !weak; k++)
        weak = is(sub, weaker[k]);
    return !weak;
}

/* The existing table a statement takes ACCESS EXCLUSIVE on, or NULL. */
static const char *access_exclusive(struct db_lint_ctx *c,
                                    const struct db_lint_stmt *st)
{
    if (alter_table(st))
        return each_alter_cmd(c, st, true, strong_cmd) ? relname(st->node)
                                                        : NULL;
    if (is_type(st, "RenameStmt") &&
        (is(sfield(st->node, "renameType"), "OBJECT_TABLE") ||
         is(sfield(st->node, "renameType"), "OBJECT_COLUMN")) &&
        existing(c, relname(st->node)))
        return relname(st->node);
    if (is_type(st, "DropStmt")) {
        const char *rt = sfield(st->node, "removeType");
        for (size_t i = 0; i < json_array_size(field(st->node, "objects"));
             i++) {
            const char *name = drop_name(st->node, i);
            if ((is(rt, "OBJECT_TABLE") && existing(c, name)) ||
                (is(rt, "OBJECT_INDEX") && !bfield(st->node, "concurrent") &&
                 name && !list_has(&c->indexes, name)))
                return name;
        }
    }
    if (is_type(st, "TruncateStmt")) {
        json_t *rels = field(st->node, "relations");
        for (size_t i = 0; i < json_array_size(rels); i++) {
            const char *t = sfield(field(json_array_get(rels, i), "RangeVar"),
                                   "relname");
            if (existing(c, t))
                return t;
        }
    }
    return NULL;
}

static void check_lock_timeout(struct db_lint_ctx *c,
                               const struct db_lint_stmt *st)
{
    const char *t = access_exclusive(c, st);
    if (t && c->lock_timeout == 0)
        flag(c, "lock-timeout-missing", st->line, "\"%s\"", t);
}

static void check_data_change(struct db_lint_ctx *c,
                              const struct db_lint_stmt *st)
{
    if ((is_type(st, "UpdateStmt") || is_type(st, "DeleteStmt")) &&
        !field(st->node, "whereClause") && existing(c, relname(st->node)))
        flag(c, "data-change-without-where", st->line, "%s of \"%s\"",
             is_type(st, "UpdateStmt") ? "UPDATE" : "DELETE",
             relname(st->node));
    if (is_type(st, "TruncateStmt")) {
        json_t *rels = field(st->node, "relations");
        for (size_t i = 0; i < json_array_size(rels); i++) {
            const char *t = sfield(field(json_array_get(rels, i), "RangeVar"),
                                   "relname");
            if (existing(c, t))
                flag(c, "data-change-without-where", st->line,
                     "TRUNCATE of \"%s\"", t);
        }
    }
}

/* Calls fn on each column a statement defines or retypes: CREATE TABLE's
 * columns (elts: its elements, for table constraints), ADD COLUMN, and
 * ALTER COLUMN TYPE. */

static int alter_coldef(struct db_lint_ctx *c, const struct db_lint_stmt *st,
                        const char *t, const char *sub, json_t *cmd)
{
    json_t *def = field(field(cmd, "def"), "ColumnDef");
    if (is(sub, "AT_AddColumn") && def)
        c->coldef(c, st, t, sfield(def, "colname"), def, NULL);
    else if (is(sub, "AT_AlterColumnType") && def)
        c->coldef(c, st, t, sfield(cmd, "name"), def, NULL);
    return 0;
}

static void each_coldef(struct db_lint_ctx *c, const struct db_lint_stmt *st,
                        coldef_fn fn)
{
    const char *t = relname(st->node);
    if (is_type(st, "CreateStmt")) {
        json_t *elts = field(st->node, "tableElts");
        for (size_t i = 0; i < json_array_size(elts); i++) {
            json_t *def = field(json_array_get(elts, i), "ColumnDef");
            if (def)
                fn(c, st, t, sfield(def, "colname"), def, elts);
        }
        return;
    }
    c->coldef = fn;
    each_alter_cmd(c, st, false, alter_coldef);
}

static void timestamp_col(struct db_lint_ctx *c, const struct db_lint_stmt *st,
                          const char *table, const char *column,
                          json_t *coldef, json_t *elts)
{
    (void)elts;
    if (is(type_name(coldef), "timestamp"))
        flag(c, "timestamp-without-time-zone", st->line,
             "column \"%s\" of \"%s\"", column, table);
}

static void check_timestamp(struct db_lint_ctx *c,
                            const struct db_lint_stmt *st)
{
    each_coldef(c, st, timestamp_col);
}

/* Whether a list of String nodes names column. */
static bool names_column(json_t *list, const char *column)
{
    for (size_t i = 0; i < json_array_size(list); i++)
        if (is(string_node(json_array_get(list, i)), column))
            return true;
    return false;
}

static void integer_key_col(struct db_lint_ctx *c,
                            const struct db_lint_stmt *st, const char *table,
                            const char *column, json_t *coldef, json_t *elts)
{
    static const char *const small[] = {"int4", "int2", "serial", "serial4",
                                        "smallserial", "serial2", NULL};
    const char *t = type_name(coldef);
    bool is_small = false;
    for (size_t i = 0; t && small[i] && !is_small; i++)
        is_small = strcmp(t, small[i]) == 0;
    if (!is_small)
        return;
    bool key = col_constraint(coldef, "CONSTR_PRIMARY") ||
               col_constraint(coldef, "CONSTR_FOREIGN");
    for (size_t i = 0; i < json_array_size(elts) && !key; i++) {
        json_t *con = field(json_array_get(elts, i), "Constraint");
        const char *ct = sfield(con, "contype");
        key = (is(ct, "CONSTR_PRIMARY") &&
               names_column(field(con, "keys"), column)) ||
              (is(ct, "CONSTR_FOREIGN") &&
               names_column(field(con, "fk_attrs"), column));
    }
    if (key)
        flag(c, "integer-key", st->line, "column \"%s\" of \"%s\"", column,
             table);
}

static void check_integer_key(struct db_lint_ctx *c,
                              const struct db_lint_stmt *st)
{
    each_coldef(c, st, integer_key_col);
}

static void varchar_col(struct db_lint_ctx *c, const struct db_lint_stmt *st,
                        const char *table, const char *column, json_t *coldef,
                        json_t *elts)
{
    (void)elts;
    if (is(type_name(coldef), "varchar") && has_typmods(coldef))
        flag(c, "varchar-length", st->line, "column \"%s\" of \"%s\"", column,
             table);
}

static void check_varchar(struct db_lint_ctx *c, const struct db_lint_stmt *st)
{
    each_coldef(c, st, varchar_col);
}

static void serial_col(struct db_lint_ctx *c, const struct db_lint_stmt *st,
                       const char *table, const char *column, json_t *coldef,
                       json_t *elts)
{
    (void)elts;
    if (serial_type(type_name(coldef)))
        flag(c, "serial", st->line, "column \"%s\" of \"%s\"", column, table);
}

static void check_serial(struct db_lint_ctx *c, const struct db_lint_stmt *st)
{
    each_coldef(c, st, serial_col);
}

/* ------------------------------------------------------------------ */
/* the table                                                           */

static const struct db_lint_rule rules[] = {
    {"create-index-not-concurrent", DB_LINT_ERROR, check_create_index,
     "CREATE INDEX without CONCURRENTLY holds a SHARE lock on the table for "
     "the whole build: every INSERT, UPDATE and DELETE waits",
     "CREATE INDEX CONCURRENTLY in a section marked transaction=false (if it "
     "fails it leaves an INVALID index: DROP INDEX CONCURRENTLY it and run "
     "it again)"},
    {"drop-index-not-concurrent", DB_LINT_ERROR, check_drop_index,
     "DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the "
     "index's table: reads and writes wait, behind any long query",
     "DROP INDEX CONCURRENTLY in a section marked transaction=false"},
    {"add-column-volatile-default", DB_LINT_ERROR, check_add_column_default,
     "ADD COLUMN whose value is computed per row (a DEFAULT calling a "
     "volatile function such as random() or clock_timestamp(), serial, "
     "identity, a stored generated column) rewrites the whole table under an "
     "ACCESS EXCLUSIVE lock",
     "add the column without a default (or with a constant one), then SET "
     "DEFAULT for new rows and backfill the existing ones in batches"},
    {"add-column-not-null-no-default", DB_LINT_ERROR,
     check_add_column_not_null,
     "ADD COLUMN ... NOT NULL without a DEFAULT fails on a table that has "
     "rows, and the code still running breaks on INSERTs that omit it",
     "give it a constant DEFAULT (no rewrite since PostgreSQL 11), or add it "
     "nullable, backfill, and add NOT NULL through a validated CHECK"},
    {"alter-column-type", DB_LINT_ERROR, check_alter_type,
     "ALTER COLUMN ... TYPE rewrites the table and rebuilds its indexes "
     "under an ACCESS EXCLUSIVE lock (only a change to text or unbounded "
     "varchar, without USING, from varchar or text does not)",
     "add a column of the new type, write both from the code, backfill in "
     "batches, move the reads, and drop the old column in a later release"},
    {"constraint-not-valid", DB_LINT_ERROR, check_not_valid,
     "ADD FOREIGN KEY or CHECK without NOT VALID checks every existing row "
     "while holding a lock that blocks writes (a foreign key locks the "
     "referenced table too)",
     "ADD CONSTRAINT ... NOT VALID (instant; new rows are checked), then "
     "ALTER TABLE ... VALIDATE CONSTRAINT in a transaction=false section or "
     "a later revision (it blocks only schema changes)"},
    {"constraint-never-validated", DB_LINT_WARNING, NULL,
     "a constraint added NOT VALID is never validated in this revision: "
     "existing rows stay unchecked, and SET NOT NULL cannot rely on it",
     "ALTER TABLE ... VALIDATE CONSTRAINT name after it, in a "
     "transaction=false section or a later revision"},
    {"validate-in-same-transaction", DB_LINT_ERROR, check_validate_tx,
     "VALIDATE CONSTRAINT in the transaction that added the constraint NOT "
     "VALID scans the table while the lock of the ADD is still held, so NOT "
     "VALID gains nothing",
     "put the VALIDATE CONSTRAINT in a section marked transaction=false "
     "(each statement then commits on its own) or in a later revision"},
    {"set-not-null", DB_LINT_ERROR, check_set_not_null,
     "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock "
     "unless a validated CHECK (col IS NOT NULL) already proves it",
     "ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; VALIDATE "
     "CONSTRAINT c (transaction=false section); then SET NOT NULL, which "
     "skips the scan, and DROP CONSTRAINT c"},
    {"add-unique-not-using-index", DB_LINT_ERROR, check_unique,
     "ADD UNIQUE or PRIMARY KEY builds its index under an ACCESS EXCLUSIVE "
     "lock: reads and writes wait for the whole build",
     "CREATE UNIQUE INDEX CONCURRENTLY in a transaction=false section, then "
     "ADD CONSTRAINT name UNIQUE (or PRIMARY KEY) USING INDEX that index"},
    {"rename-column", DB_LINT_ERROR, check_rename_column,
     "RENAME COLUMN breaks the code still serving during a rolling deploy: "
     "its queries name the old column",
     "add the new column, write both, backfill, move the reads, and drop the "
     "old column in a later release"},
    {"rename-table", DB_LINT_ERROR, check_rename_table,
     "RENAME TO breaks the code still serving during a rolling deploy: its "
     "queries name the old table",
     "create the new table, write both (or leave a view with the old name), "
     "move the code, and drop the old name in a later release"},
    {"drop-column", DB_LINT_ERROR, check_drop_column,
     "DROP COLUMN breaks the code still serving during a rolling deploy if "
     "it reads or writes the column",
     "release code that no longer uses the column first, then drop it in a "
     "later revision, saying so with an ignore comment"},
    {"drop-table", DB_LINT_ERROR, check_drop_table,
     "DROP TABLE breaks the code still serving during a rolling deploy if it "
     "uses the table, and the data is gone",
     "release code that no longer uses the table first, back it up, then "
     "drop it in a later revision, saying so with an ignore comment"},
    {"concurrently-in-transaction", DB_LINT_ERROR, check_concurrently_tx,
     "CONCURRENTLY cannot run inside a transaction block: the revision "
     "fails there",
     "put the statement in a section marked transaction=false "
     "('-- +upgrade dialect=postgresql transaction=false')"},
    {"lock-timeout-missing", DB_LINT_ERROR, check_lock_timeout,
     "waits for an ACCESS EXCLUSIVE lock with no lock_timeout: behind one "
     "long query, every later read and write of the table queues up "
     "behind this statement",
     "set [database] lock_timeout (e.g. 5s) in the configuration, or SET "
     "lock_timeout = '5s' before the statement, and retry when it times out"},
    {"data-change-without-where", DB_LINT_ERROR, check_data_change,
     "UPDATE or DELETE without WHERE, or TRUNCATE, changes every row of a "
     "live table inside a schema revision: one long transaction holding its "
     "locks, and no way back by downgrade",
     "change data in batches outside the schema revision; if it belongs "
     "here, give it a WHERE"},
    {"timestamp-without-time-zone", DB_LINT_WARNING, check_timestamp,
     "timestamp without time zone stores wall-clock times with no zone; "
     "changing it to timestamptz later rewrites the table",
     "use timestamptz (timestamp with time zone)"},
    {"integer-key", DB_LINT_WARNING, check_integer_key,
     "a 32-bit integer key runs out at 2147483647; widening it later "
     "rewrites the table and every table that references it",
     "use bigint (an identity column: bigint ... AS IDENTITY)"},
    {"varchar-length", DB_LINT_WARNING, check_varchar,
     "varchar(n): changing the limit later takes an ACCESS EXCLUSIVE lock, "
     "and lowering it scans the whole table",
     "use text, with a CHECK (char_length(col) <= n) added NOT VALID where a "
     "limit is a rule of the data"},
    {"serial", DB_LINT_WARNING, check_serial,
     "serial makes a separate sequence that grants, copies and type changes "
     "must handle by hand (and plain serial is a 32-bit integer)",
     "use an identity column: bigint ... AS IDENTITY"},
    {"parse-error", DB_LINT_ERROR, NULL,
     "the database's parser does not accept this statement, so the revision "
     "fails when it gets there",
     "fix the statement, or move SQL for another database into a section "
     "with its dialect="},
    {"bad-ignore", DB_LINT_ERROR, NULL,
     "an ignore comment needs a known rule id and a reason; this one "
     "silences nothing",
     "write '-- lint: ignore RULE why it is safe here' on the line above the "
     "statement ('{db} lint --rules' lists the rules)"},
};

const struct db_lint_rule *db_lint_rules(size_t *n)
{
    *n = sizeof rules / sizeof rules[0];
    return rules;
}

const struct db_lint_rule *db_lint_rule_find(const char *id)
{
    for (size_t i = 0; id && i < sizeof rules / sizeof rules[0]; i++)
        if (strcmp(rules[i].id, id) == 0)
            return &rules[i];
    return NULL;
}

const char *db_lint_severity_name(enum db_lint_severity s)
{
    return s == DB_LINT_ERROR ? "error" : "warning";
}

int db_lint_severity_parse(enum db_lint_severity *out, const char *text)
{
    if (is(text, "error"))
        *out = DB_LINT_ERROR;
    else if (is(text, "warning"))
        *out = DB_LINT_WARNING;
    else
        return DB_EUSAGE;
    return 0;
}


void db_lint__check(struct db_lint_ctx *c, const struct db_lint_stmt *st)
{
    for (size_t r = 0; r < sizeof rules / sizeof rules[0]; r++)
        if (rules[r].check)
            rules[r].check(c, st);
}
