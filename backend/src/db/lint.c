/*
 * lint.c - the revision linter's engine: rules over the database's own
 * parse tree.
 *
 * Each statement of a linted section goes through the dialect's parser
 * (pgparse.so: libpg_query), whose JSON tree is read with jansson. Every
 * rule's check (lint_rules.c) looks at the statement's node; then the
 * engine records what the statement did that later statements depend on
 * (tables and indexes the file creates, constraints added NOT VALID and
 * validated, lock_timeout), and in the end applies the ignore comments.
 */
#include "lint.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "driver.h"
#include "lint_internal.h"
#include "module.h"

static void list_add(struct db_lint_ctx *c, struct name_list *l,
                     const char *s)
{
    if (!s || list_has(l, s))
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            c->oom = true;
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    if (!(l->v[l->n] = strdup(s))) {
        c->oom = true;
        return;
    }
    l->n++;
}

static void list_free(struct name_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* ------------------------------------------------------------------ */
/* findings                                                            */

static char *vformat(const char *fmt, va_list ap)
{
    va_list aq;
    va_copy(aq, ap);
    int n = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);
    if (n < 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (s)
        vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

static void add_finding(struct db_lint_ctx *c, const struct db_lint_rule *rule,
                        int line, char *subject)
{
    struct db_lint_report *rep = c->rep;
    char *file = strdup(c->r->path);
    if (subject && file && rep->n == rep->cap) {
        size_t cap = rep->cap ? 2 * rep->cap : 16;
        struct db_lint_finding *v = realloc(rep->v, cap * sizeof *v);
        if (v) {
            rep->v = v;
            rep->cap = cap;
        }
    }
    if (!subject || !file || rep->n == rep->cap) {
        free(subject);
        free(file);
        c->oom = true;
        return;
    }
    rep->v[rep->n++] = (struct db_lint_finding){rule, file, line, subject,
                                                NULL};
}

void db_lint__flag(struct db_lint_ctx *c, const char *id, int line,
                   const char *fmt, ...)
{
    const struct db_lint_rule *rule = db_lint_rule_find(id);
    if (!rule)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *subject = vformat(fmt, ap);
    va_end(ap);
    add_finding(c, rule, line, subject);
}

/* ------------------------------------------------------------------ */
/* what a statement leaves behind for the next ones                    */

static void add_constraint(struct db_lint_ctx *c, const char *table,
                           const char *name, const char *column, int line,
                           bool not_valid, bool validated)
{
    if (c->ncons == c->capcons) {
        size_t cap = c->capcons ? 2 * c->capcons : 8;
        struct constraint *v = realloc(c->cons, cap * sizeof *v);
        if (!v) {
            c->oom = true;
            return;
        }
        c->cons = v;
        c->capcons = cap;
    }
    struct constraint *k = &c->cons[c->ncons];
    k->table = strdup(table);
    k->name = strdup(name ? name : "");
    k->column = column ? strdup(column) : NULL;
    k->line = line;
    k->block = c->blk;
    k->not_valid = not_valid;
    k->validated = validated;
    if (!k->table || !k->name || (column && !k->column)) {
        free(k->table);
        free(k->name);
        free(k->column);
        c->oom = true;
        return;
    }
    c->ncons++;
}

/* The column of a CHECK (col IS NOT NULL), or NULL. */
static const char *not_null_check_column(json_t *con)
{
    json_t *nt = field(field(con, "raw_expr"), "NullTest");
    json_t *fields = field(field(field(nt, "arg"), "ColumnRef"), "fields");
    if (!is(sfield(nt, "nulltesttype"), "IS_NOT_NULL") ||
        json_array_size(fields) != 1)
        return NULL;
    return string_node(json_array_get(fields, 0));
}

/* A SET of lock_timeout: whether the value is other than zero. */
static bool nonzero_setting(json_t *args)
{
    json_t *a = field(json_array_get(args, 0), "A_Const");
    const char *s = sfield(field(a, "sval"), "sval");
    if (!s)
        s = sfield(field(a, "fval"), "fval");
    if (s)
        return strtod(s, NULL) != 0;
    return json_integer_value(field(field(a, "ival"), "ival")) != 0;
}

/* Constraints added (NOT VALID on an existing table, or validated there)
 * and validated later. */
static int track_constraint(struct db_lint_ctx *c,
                            const struct db_lint_stmt *st, const char *t,
                            const char *sub, json_t *cmd)
{
    if (is(sub, "AT_AddConstraint")) {
        json_t *con = field(field(cmd, "def"), "Constraint");
        const char *ct = sfield(con, "contype");
        if (!is(ct, "CONSTR_FOREIGN") && !is(ct, "CONSTR_CHECK"))
            return 0;
        bool not_valid = existing(c, t) && bfield(con, "skip_validation");
        add_constraint(c, t, sfield(con, "conname"),
                       is(ct, "CONSTR_CHECK") ? not_null_check_column(con)
                                              : NULL,
                       st->line, not_valid, !not_valid);
    } else if (is(sub, "AT_ValidateConstraint")) {
        for (size_t k = 0; k < c->ncons; k++)
            if (is(c->cons[k].table, t) &&
                is(c->cons[k].name, sfield(cmd, "name")))
                c->cons[k].validated = true;
    }
    return 0;
}

static void track(struct db_lint_ctx *c, const struct db_lint_stmt *st)
{
    if (is_type(st, "CreateStmt"))
        list_add(c, &c->tables, relname(st->node));
    else if (is_type(st, "CreateTableAsStmt"))
        list_add(c, &c->tables,
                 sfield(field(field(st->node, "into"), "rel"), "relname"));
    else if (is_type(st, "IndexStmt"))
        list_add(c, &c->indexes, sfield(st->node, "idxname"));
    else if (is_type(st, "VariableSetStmt")) {
        const char *kind = sfield(st->node, "kind");
        const char *name = sfield(st->node, "name");
        bool local = bfield(st->node, "is_local");
        if (is(kind, "VAR_RESET_ALL"))
            c->lock_timeout = c->default_timeout;
        else if (is(name, "lock_timeout") && (!local || c->one_tx)) {
            if (is(kind, "VAR_SET_VALUE"))
                c->lock_timeout = nonzero_setting(field(st->node, "args"));
            else
                c->lock_timeout = c->default_timeout;
        }
    } else {
        each_alter_cmd(c, st, false, track_constraint);
    }
}

/* ------------------------------------------------------------------ */
/* the engine                                                          */

/* Line k (0-based) of text, its length in *len; NULL past the end. */
static const char *nth_line(const char *text, int k, size_t *len)
{
    const char *p = text;
    for (int i = 0; i < k; i++) {
        p = strchr(p, '\n');
        if (!p)
            return NULL;
        p++;
    }
    *len = strcspn(p, "\n");
    return p;
}

/* Reads "-- lint: ignore RULE reason" on the comment lines right above a
 * statement's first line. */
static void read_ignores(struct db_lint_ctx *c, int stmt_line)
{
    for (int line = stmt_line - 1; line >= c->blk->line; line--) {
        size_t len;
        const char *p = nth_line(c->blk->sql, line - c->blk->line, &len);
        if (!p)
            return;
        const char *raw = p, *end = p + len;
        while (p < end && isspace((unsigned char)*p))
            p++;
        if (end - p < 2 || p[0] != '-' || p[1] != '-')
            return;   /* not a comment line: the run above ends */
        p += 2;
        while (p < end && isspace((unsigned char)*p))
            p++;
        if ((size_t)(end - p) < 5 || strncmp(p, "lint:", 5) != 0)
            continue;
        p += 5;
        while (p < end && isspace((unsigned char)*p))
            p++;
        char rule_id[64] = "";
        size_t n = 0;
        if ((size_t)(end - p) >= 6 && strncmp(p, "ignore", 6) == 0) {
            p += 6;
            while (p < end && isspace((unsigned char)*p))
                p++;
            while (p < end && !isspace((unsigned char)*p) &&
                   n + 1 < sizeof rule_id)
                rule_id[n++] = *p++;
            rule_id[n] = '\0';
        }
        while (p < end && isspace((unsigned char)*p))
            p++;
        while (end > p && isspace((unsigned char)end[-1]))
            end--;
        const struct db_lint_rule *rule = db_lint_rule_find(rule_id);
        if (!rule || end == p || is(rule_id, "bad-ignore")) {
            db_lint__flag(c, "bad-ignore", line, "'%.*s'", (int)len, raw);
            continue;
        }
        if (c->nign == c->capign) {
            size_t cap = c->capign ? 2 * c->capign : 8;
            struct ignore *v = realloc(c->ign, cap * sizeof *v);
            if (!v) {
                c->oom = true;
                return;
            }
            c->ign = v;
            c->capign = cap;
        }
        char *reason = strndup(p, (size_t)(end - p));
        if (!reason) {
            c->oom = true;
            return;
        }
        c->ign[c->nign++] = (struct ignore){stmt_line, rule, reason};
    }
}

static int lint_statement(void *vctx, const char *sql, size_t len, int line)
{
    struct db_lint_ctx *c = vctx;
    read_ignores(c, line);
    char *text = strndup(sql, len);
    if (!text)
        return DB_ENOMEM;
    char *json = NULL;
    char msg[512];
    int pos = 0;
    int rc = c->parse(text, &json, msg, sizeof msg, &pos);
    free(text);
    if (rc < 0)
        return DB_ENOMEM;
    c->rep->nstmts++;
    if (rc > 0) {
        char excerpt[64];
        db_sql_excerpt(excerpt, sizeof excerpt, sql, len);
        db_lint__flag(c, "parse-error", line, "'%s': %s", excerpt, msg);
        return c->oom ? DB_ENOMEM : 0;
    }
    json_t *root = json_loads(json, 0, NULL);
    free(json);
    if (!root) /* the parser's own JSON: unreadable only without memory */
        return DB_ENOMEM;
    json_t *stmts = field(root, "stmts");
    for (size_t i = 0; i < json_array_size(stmts); i++) {
        json_t *wrap = field(json_array_get(stmts, i), "stmt");
        const char *type;
        json_t *node;
        json_object_foreach(wrap, type, node) {
            struct db_lint_stmt st = {type, node, line};
            db_lint__check(c, &st);
            track(c, &st);
        }
    }
    json_decref(root);
    return c->oom ? DB_ENOMEM : 0;
}

static void ctx_free(struct db_lint_ctx *c)
{
    list_free(&c->tables);
    list_free(&c->indexes);
    for (size_t i = 0; i < c->ncons; i++) {
        free(c->cons[i].table);
        free(c->cons[i].name);
        free(c->cons[i].column);
    }
    free(c->cons);
    for (size_t i = 0; i < c->nign; i++)
        free(c->ign[i].reason);
    free(c->ign);
}

/* The end of a file: NOT VALID never validated, then the ignores. */
static void finish(struct db_lint_ctx *c)
{
    for (size_t i = 0; i < c->ncons; i++)
        if (c->cons[i].not_valid && !c->cons[i].validated)
            db_lint__flag(c, "constraint-never-validated", c->cons[i].line,
                 "constraint \"%s\" on \"%s\"",
                 c->cons[i].name[0] ? c->cons[i].name : "(unnamed)",
                 c->cons[i].table);
    for (size_t f = c->first; f < c->rep->n; f++) {
        struct db_lint_finding *x = &c->rep->v[f];
        for (size_t i = 0; i < c->nign && !x->reason; i++)
            if (c->ign[i].rule == x->rule && c->ign[i].stmt_line == x->line &&
                !(x->reason = strdup(c->ign[i].reason)))
                c->oom = true;
    }
}

static int lint_dialect(struct db_lint_report *rep,
                        const struct db_revision *r,
                        const struct db_dialect_ops *d,
                        const struct db_lint_opts *opts, struct db_error *err)
{
    void *sym = NULL;
    int rc = 0;
    bool any = false;
    for (size_t b = 0; b < r->nblocks; b++)
        any |= r->blocks[b].direction == DB_UPGRADE &&
               (r->blocks[b].dialect == 0 ||
                r->blocks[b].dialect == (int)d->id);
    if (!any)
        return 0;
    if ((rc = db_module_symbol(&sym, d->parser_module, d->parser_symbol, err)))
        return rc;
    struct db_lint_ctx c = {0};
    c.rep = rep;
    c.r = r;
    c.parse = (db_sql_parse_fn)sym;
    c.one_tx = !db_revision_needs_no_tx(r, DB_UPGRADE, d->id);
    c.default_timeout = opts && opts->lock_timeout_ms > 0;
    c.lock_timeout = c.default_timeout;
    c.first = rep->n;
    for (size_t b = 0; b < r->nblocks && rc == 0; b++) {
        const struct db_revision_block *blk = &r->blocks[b];
        if (blk->direction != DB_UPGRADE ||
            (blk->dialect && blk->dialect != (int)d->id))
            continue;
        c.blk = blk;
        rc = db_sql_split(blk->sql, d->id, blk->line, lint_statement, &c,
                          err);
        if (rc == DB_EPARSE && err && !err->file[0])
            db_error_at(err, r->path, err->line);
    }
    if (rc == 0)
        finish(&c);
    if (rc == 0 && c.oom)
        rc = DB_ENOMEM;
    if (rc == DB_ENOMEM)
        db_error_set(err, DB_ENOMEM, "out of memory linting %s", r->path);
    ctx_free(&c);
    return rc;
}

int db_lint_revision(struct db_lint_report *rep, const struct db_revision *r,
                     const struct db_lint_opts *opts, struct db_error *err)
{
    for (size_t i = 0; db_dialects[i]; i++) {
        const struct db_dialect_ops *d = db_dialects[i];
        if (!d->parser_module || !d->parser_symbol)
            continue;
        int rc = lint_dialect(rep, r, d, opts, err);
        if (rc)
            return rc;
    }
    rep->nfiles++;
    return 0;
}

size_t db_lint_count(const struct db_lint_report *rep,
                     enum db_lint_severity at_least)
{
    size_t n = 0;
    for (size_t i = 0; i < rep->n; i++)
        n += !rep->v[i].reason && rep->v[i].rule->severity >= at_least;
    return n;
}

size_t db_lint_ignored(const struct db_lint_report *rep)
{
    size_t n = 0;
    for (size_t i = 0; i < rep->n; i++)
        n += rep->v[i].reason != NULL;
    return n;
}

void db_lint_format(struct db_buf *out, const struct db_lint_finding *f)
{
    if (f->reason)
        db_buf_printf(out, "%s:%d: ignored %s: %s (reason: %s)\n", f->file,
                      f->line, f->rule->id, f->subject, f->reason);
    else
        db_buf_printf(out, "%s:%d: %s %s: %s: %s; fix: %s\n", f->file,
                      f->line, db_lint_severity_name(f->rule->severity),
                      f->rule->id, f->subject, f->rule->effect,
                      f->rule->recipe);
}

void db_lint_summary(struct db_buf *out, const struct db_lint_report *rep)
{
    size_t nerr = db_lint_count(rep, DB_LINT_ERROR);
    size_t nwarn = db_lint_count(rep, DB_LINT_WARNING) - nerr;
    db_buf_printf(out, "lint: %zu revision%s, %zu statement%s: %zu error%s, "
                  "%zu warning%s, %zu ignored\n",
                  rep->nfiles, rep->nfiles == 1 ? "" : "s", rep->nstmts,
                  rep->nstmts == 1 ? "" : "s", nerr, nerr == 1 ? "" : "s",
                  nwarn, nwarn == 1 ? "" : "s", db_lint_ignored(rep));
}

void db_lint_report_free(struct db_lint_report *rep)
{
    for (size_t i = 0; i < rep->n; i++) {
        free(rep->v[i].file);
        free(rep->v[i].subject);
        free(rep->v[i].reason);
    }
    free(rep->v);
    memset(rep, 0, sizeof *rep);
}

