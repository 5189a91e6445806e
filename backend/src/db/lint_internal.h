/*
 * lint_internal.h - what the linter's files share: the context of one
 * file's linting, the statement being looked at, and the small readers of
 * the parse tree (JSON from the dialect's parser, read with jansson).
 * Private to backend/src/db/lint*.c.
 *   lint.c        the engine: statements, ignore comments, what each one
 *                 leaves for the next, the report
 *   lint_rules.c  the rules' checks and the rule table
 */
#ifndef DB_LINT_INTERNAL_H
#define DB_LINT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <jansson.h>

#include "driver.h"
#include "lint.h"

struct name_list {
    char **v;
    size_t n, cap;
};

/* A constraint the file adds NOT VALID, or a CHECK (col IS NOT NULL). */
struct constraint {
    char *table;
    char *name;       /* "" when unnamed */
    char *column;     /* the column of a CHECK (col IS NOT NULL), or NULL */
    int line;
    const void *block;   /* the revision block that added it */
    bool not_valid;   /* added NOT VALID on an existing table */
    bool validated;
};

struct ignore {
    int stmt_line;
    const struct db_lint_rule *rule;
    char *reason;
};

/* each_coldef's function: one column a statement defines or retypes. */
typedef void (*coldef_fn)(struct db_lint_ctx *c, const struct db_lint_stmt *st,
                          const char *table, const char *column,
                          json_t *coldef, json_t *elts);

struct db_lint_ctx {
    struct db_lint_report *rep;
    const struct db_revision *r;
    const struct db_revision_block *blk;
    db_sql_parse_fn parse;
    bool one_tx;              /* the revision runs in one transaction */
    int default_timeout;      /* the session's lock_timeout at the start */
    int lock_timeout;         /* now: 0 none, else set */
    struct name_list tables;  /* created by the file */
    struct name_list indexes;
    struct constraint *cons;
    size_t ncons, capcons;
    struct ignore *ign;
    size_t nign, capign;
    size_t first;             /* the file's first finding in rep */
    coldef_fn coldef;         /* each_coldef's function, for its walk */
    bool oom;
};

struct db_lint_stmt {
    const char *type;   /* "IndexStmt", "AlterTableStmt", ... */
    json_t *node;       /* its fields */
    int line;
};

/* ------------------------------------------------------------------ */
/* small helpers over the parse tree                                   */

static inline json_t *field(json_t *o, const char *k)
{
    return json_is_object(o) ? json_object_get(o, k) : NULL;
}

static inline const char *sfield(json_t *o, const char *k)
{
    return json_string_value(field(o, k));
}

static inline bool bfield(json_t *o, const char *k)
{
    return json_is_true(field(o, k));
}

static inline bool is(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static inline bool is_type(const struct db_lint_stmt *st, const char *type)
{
    return is(st->type, type);
}

/* A String node's text: {"String": {"sval": "x"}}. */
static inline const char *string_node(json_t *n)
{
    return sfield(field(n, "String"), "sval");
}

/* The last name of a list of String nodes (a qualified name). */
static inline const char *last_name(json_t *names)
{
    size_t n = json_array_size(names);
    return n ? string_node(json_array_get(names, n - 1)) : NULL;
}

static inline const char *type_name(json_t *coldef)
{
    return last_name(field(field(coldef, "typeName"), "names"));
}

static inline bool has_typmods(json_t *coldef)
{
    return json_array_size(field(field(coldef, "typeName"), "typmods")) > 0;
}

static inline const char *relname(json_t *node)
{
    return sfield(field(node, "relation"), "relname");
}

static inline bool list_has(const struct name_list *l, const char *s)
{
    for (size_t i = 0; s && i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return true;
    return false;
}

/* A table the file did not create. */
static inline bool existing(const struct db_lint_ctx *c, const char *table)
{
    return table && !list_has(&c->tables, table);
}

static inline bool alter_table(const struct db_lint_stmt *st)
{
    return is_type(st, "AlterTableStmt") &&
           is(sfield(st->node, "objtype"), "OBJECT_TABLE");
}

/* The i-th command of an ALTER TABLE, or NULL past the end. */
static inline json_t *alter_cmd(const struct db_lint_stmt *st, size_t i,
                                const char **subtype)
{
    json_t *cmd = field(json_array_get(field(st->node, "cmds"), i),
                        "AlterTableCmd");
    *subtype = sfield(cmd, "subtype");
    return cmd;
}

/* Called on each command of an ALTER TABLE: table, subtype
 * ("AT_AddColumn") and the AlterTableCmd node. Non-zero stops the walk. */
typedef int (*alter_cmd_fn)(struct db_lint_ctx *c,
                            const struct db_lint_stmt *st, const char *table,
                            const char *subtype, json_t *cmd);

/* Calls fn on each command of st when it is an ALTER TABLE (existing_only:
 * of a table the file did not create). Returns what stopped it, or 0. */
static inline int each_alter_cmd(struct db_lint_ctx *c,
                                 const struct db_lint_stmt *st,
                                 bool existing_only, alter_cmd_fn fn)
{
    const char *t = relname(st->node);
    if (!alter_table(st) || (existing_only && !existing(c, t)))
        return 0;
    const char *sub;
    json_t *cmd;
    for (size_t i = 0; (cmd = alter_cmd(st, i, &sub)); i++) {
        int stop = fn(c, st, t, sub, cmd);
        if (stop)
            return stop;
    }
    return 0;
}

static inline const char *contype(json_t *constraint)
{
    return sfield(field(constraint, "Constraint"), "contype");
}

/* Whether coldef's column constraints include one of type t. */
static inline json_t *col_constraint(json_t *coldef, const char *t)
{
    json_t *cons = field(coldef, "constraints");
    for (size_t i = 0; i < json_array_size(cons); i++)
        if (is(contype(json_array_get(cons, i)), t))
            return field(json_array_get(cons, i), "Constraint");
    return NULL;
}

static inline bool serial_type(const char *t)
{
    static const char *const s[] = {"serial", "serial4", "bigserial",
                                    "serial8", "smallserial", "serial2",
                                    NULL};
    for (size_t i = 0; t && s[i]; i++)
        if (strcmp(t, s[i]) == 0)
            return true;
    return false;
}

/* Records a finding of rule id on line, its subject from fmt. */
void db_lint__flag(struct db_lint_ctx *c, const char *id, int line,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Runs every rule's check on st. */
void db_lint__check(struct db_lint_ctx *c, const struct db_lint_stmt *st);

#endif /* DB_LINT_INTERNAL_H */
