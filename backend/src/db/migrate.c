/*
 * migrate.c - upgrade, downgrade, stamp and the version table.
 */
#include "migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define VT "\"" DB_MIGRATE_VERSION_TABLE "\""

static const char create_version_table[] =
    "CREATE TABLE IF NOT EXISTS " VT " (\n"
    "    \"revision\" VARCHAR(64) NOT NULL PRIMARY KEY,\n"
    "    \"checksum\" VARCHAR(64) NOT NULL,\n"
    "    \"applied_at\" VARCHAR(32) NOT NULL\n"
    ")";

static int nomem(struct db_error *err)
{
    return db_error_set(err, DB_ENOMEM, "out of memory");
}

static void now_utc(char *out, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%d %H:%M:%S", &tm);
}

/* ---- status ------------------------------------------------------------- */

static int exact_index(size_t *out, const struct db_revision_graph *g,
                       const char *id)
{
    for (size_t i = 0; i < g->n; i++)
        if (strcmp(g->revs[i].id, id) == 0) {
            *out = i;
            return 1;
        }
    return 0;
}


static int take_row(void *ctx, int ncols, const char *const *vals,
                    const char *const *names)
{
    (void)names;
    struct db_migrate_status *st = ctx;
    if (ncols < 3)
        return 0;
    struct db_applied *p = realloc(st->rows, (st->nrows + 1) * sizeof *p);
    if (!p)
        return DB_ENOMEM;
    st->rows = p;
    struct db_applied *a = &p[st->nrows++];
    snprintf(a->id, sizeof a->id, "%s", vals[0] ? vals[0] : "");
    snprintf(a->checksum, sizeof a->checksum, "%s", vals[1] ? vals[1] : "");
    snprintf(a->applied_at, sizeof a->applied_at, "%s",
             vals[2] ? vals[2] : "");
    return 0;
}

int db_migrate_status(struct db_migrate_status *out, struct db_conn *c,
                      const struct db_revision_graph *g,
                      struct db_error *err)
{
    memset(out, 0, sizeof *out);
    out->applied = calloc(g->n ? g->n : 1, 1);
    if (!out->applied)
        return nomem(err);
    int rc = c->driver->table_exists(c, DB_MIGRATE_VERSION_TABLE, err);
    if (rc < 0)
        goto fail;
    out->table_exists = rc == 1;
    if (!out->table_exists)
        return 0;
    rc = db_query(c,
                  "SELECT \"revision\", \"checksum\", \"applied_at\" FROM " VT
                  " ORDER BY \"applied_at\", \"revision\"",
                  0, NULL, take_row, out, NULL, err);
    if (rc == DB_ENOMEM)
        rc = nomem(err);
    if (rc)
        goto fail;
    for (size_t r = 0; r < out->nrows; r++) {
        size_t i;
        if (!exact_index(&i, g, out->rows[r].id)) {
            out->nunknown++;
            continue;
        }
        out->applied[i] = 1;
        if (strcmp(g->revs[i].checksum, out->rows[r].checksum) != 0)
            out->nedited++;
    }
    return 0;
fail:
    db_migrate_status_free(out);
    return rc;
}

void db_migrate_status_free(struct db_migrate_status *st)
{
    if (!st)
        return;
    free(st->applied);
    free(st->rows);
    memset(st, 0, sizeof *st);
}

size_t db_migrate_current(size_t *out, const struct db_revision_graph *g,
                          const struct db_migrate_status *st)
{
    size_t n = 0;
    for (size_t i = 0; i < g->n; i++) {
        if (!st->applied[i])
            continue;
        int child = 0;
        for (size_t j = i + 1; j < g->n && !child; j++)
            if (st->applied[j])
                for (size_t k = 0; k < g->revs[j].ndown; k++)
                    if (g->revs[j].parents[k] == i)
                        child = 1;
        if (!child)
            out[n++] = i;
    }
    return n;
}

int db_migrate_verify(const struct db_revision_graph *g,
                      const struct db_migrate_status *st,
                      struct db_error *err)
{
    for (size_t r = 0; r < st->nrows; r++) {
        const struct db_applied *a = &st->rows[r];
        size_t i;
        if (!exact_index(&i, g, a->id)) {
            db_error_set(err, DB_EGRAPH,
                         "the database has revision '%s' applied, but %s has "
                         "no such revision",
                         a->id, g->dir);
            db_error_hint(err, "run the code that has that revision's file, "
                               "or restore the file");
            return DB_EGRAPH;
        }
        if (strcmp(g->revs[i].checksum, a->checksum) != 0) {
            db_error_set(err, DB_EDIRTY,
                         "revision '%s' was changed after it was applied "
                         "(checksum differs)",
                         a->id);
            db_error_at(err, g->revs[i].path, g->revs[i].up.line);
            db_error_hint(err, "restore its up section as it was applied "
                               "and put the change in a new revision "
                               "('app db revision -m ...')");
            return DB_EDIRTY;
        }
    }
    return 0;
}

/* ---- planning ----------------------------------------------------------- */

static int parse_count(long *out, const char *text)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (!*text || *end || v <= 0)
        return -1;
    *out = v;
    return 0;
}

static int many_heads(const struct db_revision_graph *g, const size_t *heads,
                      size_t nheads, struct db_error *err)
{
    char list[512] = "";
    size_t len = 0;
    for (size_t i = 0; i < nheads && len < sizeof list; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s",
                                i ? ", " : "", g->revs[heads[i]].id);
    db_error_set(err, DB_EGRAPH, "the revisions have %zu heads (%s)", nheads,
                 list);
    db_error_hint(err, "join them with 'app db merge -m \"merge\"', or name "
                       "a target ('heads' applies every branch)");
    return DB_EGRAPH;
}

int db_migrate_plan_upgrade(size_t *plan, size_t *n,
                            const struct db_revision_graph *g,
                            const struct db_migrate_status *st,
                            const char *target, struct db_error *err)
{
    *n = 0;
    unsigned char *want = calloc(g->n ? g->n : 1, 1);
    size_t *heads = calloc(g->n ? g->n : 1, sizeof *heads);
    int rc = 0;
    long limit = -1;
    if (!want || !heads) {
        rc = nomem(err);
        goto out;
    }
    size_t nheads = db_revision_heads(heads, g);
    if (strcmp(target, "head") == 0) {
        if (nheads > 1) {
            rc = many_heads(g, heads, nheads, err);
            goto out;
        }
        for (size_t h = 0; h < nheads; h++)
            db_revision_ancestors(want, g, heads[h]);
    } else if (strcmp(target, "heads") == 0 || target[0] == '+') {
        if (target[0] == '+' && parse_count(&limit, target + 1)) {
            rc = db_error_set(err, DB_EUSAGE, "bad relative target '%s'",
                              target);
            db_error_hint(err, "write +N with N a positive number, e.g. +1");
            goto out;
        }
        for (size_t h = 0; h < nheads; h++)
            db_revision_ancestors(want, g, heads[h]);
    } else {
        size_t i;
        if ((rc = db_revision_find(&i, g, target, err)))
            goto out;
        db_revision_ancestors(want, g, i);
    }
    for (size_t i = 0; i < g->n; i++)
        if (want[i] && !st->applied[i] && (limit < 0 || (long)*n < limit))
            plan[(*n)++] = i;
    if (limit > 0 && (long)*n < limit) {
        rc = db_error_set(err, DB_EUSAGE,
                          "cannot go %s: only %zu revision%s pending", target,
                          *n, *n == 1 ? "" : "s");
        db_error_hint(err, "'app db history' shows what is pending");
        *n = 0;
    }
out:
    free(want);
    free(heads);
    return rc;
}

int db_migrate_plan_downgrade(size_t *plan, size_t *n,
                              const struct db_revision_graph *g,
                              const struct db_migrate_status *st,
                              const char *target, struct db_error *err)
{
    *n = 0;
    unsigned char *undo = calloc(g->n ? g->n : 1, 1);
    if (!undo)
        return nomem(err);
    int rc = 0;
    if (strcmp(target, "base") == 0) {
        for (size_t i = 0; i < g->n; i++)
            undo[i] = st->applied[i];
    } else if (target[0] == '-') {
        long count;
        if (parse_count(&count, target + 1)) {
            rc = db_error_set(err, DB_EUSAGE, "bad relative target '%s'",
                              target);
            db_error_hint(err, "write -N with N a positive number, e.g. -1");
            goto out;
        }
        size_t applied = 0;
        for (size_t i = g->n; i-- > 0;)
            if (st->applied[i] && (long)applied < count) {
                undo[i] = 1;
                applied++;
            }
        if ((long)applied < count) {
            rc = db_error_set(err, DB_EUSAGE,
                              "cannot go %s: only %zu revision%s applied",
                              target, applied, applied == 1 ? "" : "s");
            db_error_hint(err, "'app db current' shows where the database "
                               "is; 'base' undoes everything");
            goto out;
        }
    } else {
        size_t t;
        if ((rc = db_revision_find(&t, g, target, err)))
            goto out;
        if (!st->applied[t]) {
            rc = db_error_set(err, DB_EUSAGE, "revision '%s' is not applied",
                              g->revs[t].id);
            db_error_hint(err, "downgrade goes back to an applied revision; "
                               "'app db current' shows where the database is");
            goto out;
        }
        /* Descendants of t: a forward pass, parents come first. */
        undo[t] = 1;
        for (size_t j = t + 1; j < g->n; j++)
            for (size_t k = 0; k < g->revs[j].ndown && !undo[j]; k++)
                if (undo[g->revs[j].parents[k]])
                    undo[j] = 1;
        undo[t] = 0;
        for (size_t j = 0; j < g->n; j++)
            undo[j] = undo[j] && st->applied[j];
    }
    for (size_t i = g->n; i-- > 0;) {
        if (!undo[i])
            continue;
        if (!g->revs[i].has_down) {
            rc = db_error_set(err, DB_EREFUSED,
                              "revision '%s' cannot be downgraded: it has no "
                              "'-- migrate:down' section",
                              g->revs[i].id);
            db_error_at(err, g->revs[i].path, 0);
            db_error_hint(err, "add a down section to the file, or restore "
                               "from a backup");
            *n = 0;
            goto out;
        }
        plan[(*n)++] = i;
    }
out:
    free(undo);
    return rc;
}

/* ---- applying ----------------------------------------------------------- */

struct run_ctx {
    struct db_conn *c;
    const char *path;
    struct db_error *err;
    int nrun;
};

static int run_statement(void *ctx, const char *stmt, size_t len, int line)
{
    struct run_ctx *rc = ctx;
    char *sql = malloc(len + 1);
    if (!sql)
        return nomem(rc->err);
    memcpy(sql, stmt, len);
    sql[len] = '\0';
    int r = db_exec(rc->c, sql, rc->err);
    free(sql);
    if (r) {
        db_error_at(rc->err, rc->path, line);
        return r;
    }
    rc->nrun++;
    return 0;
}

static int run_section(struct db_conn *c, const struct db_revision *r,
                       const struct db_revision_section *s, int *nrun,
                       struct db_error *err)
{
    struct run_ctx ctx = {c, r->path, err, 0};
    int rc = db_sql_split(s->sql, s->line, run_statement, &ctx, err);
    if (rc == DB_EPARSE && err && !err->file[0])
        snprintf(err->file, sizeof err->file, "%s", r->path);
    if (nrun)
        *nrun = ctx.nrun;
    return rc;
}

static int record(struct db_conn *c, const struct db_revision *r, int dir,
                  struct db_error *err)
{
    if (dir > 0) {
        char at[40];
        now_utc(at, sizeof at);
        const char *params[] = {r->id, r->checksum, at};
        return db_query(c,
                        "INSERT INTO " VT " (\"revision\", \"checksum\", "
                        "\"applied_at\") VALUES ($1, $2, $3)",
                        3, params, NULL, NULL, NULL, err);
    }
    const char *params[] = {r->id};
    return db_query(c, "DELETE FROM " VT " WHERE \"revision\" = $1", 1,
                    params, NULL, NULL, NULL, err);
}

/* 1 when the version table has r (another instance applied it), 0 if not. */
static int is_recorded(struct db_conn *c, const struct db_revision *r,
                       struct db_error *err)
{
    char v[8];
    const char *params[] = {r->id};
    int rc = db_query_value(c, "SELECT 1 FROM " VT " WHERE \"revision\" = $1",
                            1, params, v, sizeof v, err);
    if (rc == DB_ENOTFOUND)
        return 0;
    return rc < 0 ? rc : 1;
}

/* Applies (dir 1) or undoes (dir -1) one revision. Returns 0, 1 when
 * another instance did it first, or an error. */
static int apply_one(struct db_conn *c, const struct db_revision *r, int dir,
                     struct db_error *err)
{
    const struct db_revision_section *s = dir > 0 ? &r->up : &r->down_sql;
    struct db_error ignored;
    int rc;
    if (s->transaction) {
        if ((rc = db_begin(c, err)))
            return rc;
        rc = is_recorded(c, r, err);
        if (rc >= 0 && rc == (dir > 0 ? 1 : 0)) {
            db_rollback(c, &ignored);
            return 1;
        }
        if (rc >= 0)
            rc = run_section(c, r, s, NULL, err);
        if (rc == 0)
            rc = record(c, r, dir, err);
        if (rc == 0)
            rc = db_commit(c, err);
        if (rc)
            db_rollback(c, &ignored);
        return rc;
    }
    rc = is_recorded(c, r, err);
    if (rc < 0)
        return rc;
    if (rc == (dir > 0 ? 1 : 0))
        return 1;
    int nrun = 0;
    if ((rc = run_section(c, r, s, &nrun, err))) {
        if (nrun > 0) {
            char msg[sizeof err->message];
            snprintf(msg, sizeof msg, "%s", err->message);
            err->code = DB_EDIRTY;
            snprintf(err->message, sizeof err->message,
                     "%s (section runs outside a transaction: its first %d "
                     "statement%s stay done)",
                     msg, nrun, nrun == 1 ? "" : "s");
            db_error_hint(err, "finish or undo them by hand, then run the "
                               "command again or 'app db stamp'");
            return DB_EDIRTY;
        }
        return rc;
    }
    if ((rc = db_begin(c, err)))
        return rc;
    if ((rc = record(c, r, dir, err)) == 0)
        rc = db_commit(c, err);
    if (rc)
        db_rollback(c, &ignored);
    return rc;
}

/* The offline script of one revision, with its version-table change. */
static void script_one(struct db_buf *b, const struct db_revision *r, int dir)
{
    const struct db_revision_section *s = dir > 0 ? &r->up : &r->down_sql;
    db_buf_printf(b, "-- %s %s: %s\n", dir > 0 ? "upgrade" : "downgrade",
                  r->id, r->message);
    if (s->transaction)
        db_buf_puts(b, "BEGIN;\n");
    db_buf_puts(b, s->sql);
    if (b->len > 0 && db_buf_str(b)[b->len - 1] != '\n')
        db_buf_puts(b, "\n");
    if (dir > 0) {
        char at[40];
        now_utc(at, sizeof at);
        db_buf_puts(b, "INSERT INTO " VT " (\"revision\", \"checksum\", "
                       "\"applied_at\") VALUES (");
        db_buf_literal(b, r->id);
        db_buf_puts(b, ", ");
        db_buf_literal(b, r->checksum);
        db_buf_puts(b, ", ");
        db_buf_literal(b, at);
        db_buf_puts(b, ");\n");
    } else {
        db_buf_puts(b, "DELETE FROM " VT " WHERE \"revision\" = ");
        db_buf_literal(b, r->id);
        db_buf_puts(b, ";\n");
    }
    if (s->transaction)
        db_buf_puts(b, "COMMIT;\n");
    db_buf_puts(b, "\n");
}

static int migrate(struct db_conn *c, const struct db_revision_graph *g,
                   const char *target, int dir,
                   const struct db_migrate_opts *o, size_t *ndone,
                   struct db_error *err)
{
    static const struct db_migrate_opts none = {0};
    if (!o)
        o = &none;
    if (ndone)
        *ndone = 0;
    struct db_error ignored;
    int locked = 0, rc = 0;
    size_t *plan = calloc(g->n ? g->n : 1, sizeof *plan), n = 0;
    struct db_migrate_status st = {0};
    if (!plan)
        return nomem(err);
    if (!o->sql) {
        if ((rc = db_lock(c, err)))
            goto out;
        locked = 1;
        if ((rc = db_exec(c, create_version_table, err)))
            goto out;
    }
    if ((rc = db_migrate_status(&st, c, g, err)))
        goto out;
    if ((rc = db_migrate_verify(g, &st, err)))
        goto out;
    rc = dir > 0 ? db_migrate_plan_upgrade(plan, &n, g, &st, target, err)
                 : db_migrate_plan_downgrade(plan, &n, g, &st, target, err);
    if (rc)
        goto out;
    if (o->sql) {
        if (dir > 0 && !st.table_exists && n > 0)
            db_buf_printf(o->sql, "%s;\n\n", create_version_table);
        for (size_t k = 0; k < n; k++)
            script_one(o->sql, &g->revs[plan[k]], dir);
        if (!db_buf_ok(o->sql))
            rc = nomem(err);
        goto out;
    }
    for (size_t k = 0; k < n; k++) {
        const struct db_revision *r = &g->revs[plan[k]];
        rc = apply_one(c, r, dir, err);
        if (rc < 0) {
            db_error_prefix(err, "%s %s", dir > 0 ? "upgrade" : "downgrade",
                            r->id);
            goto out;
        }
        if (rc == 1) { /* done by another instance meanwhile */
            rc = 0;
            continue;
        }
        if (ndone)
            (*ndone)++;
        if (o->progress)
            o->progress(o->ctx, r, dir);
    }
out:
    if (locked) {
        if (rc == 0)
            rc = db_unlock(c, err);
        else
            db_unlock(c, &ignored);
    }
    db_migrate_status_free(&st);
    free(plan);
    return rc;
}

int db_migrate_upgrade(struct db_conn *c, const struct db_revision_graph *g,
                       const char *target, const struct db_migrate_opts *o,
                       size_t *napplied, struct db_error *err)
{
    return migrate(c, g, target, 1, o, napplied, err);
}

int db_migrate_downgrade(struct db_conn *c, const struct db_revision_graph *g,
                         const char *target, const struct db_migrate_opts *o,
                         size_t *nundone, struct db_error *err)
{
    return migrate(c, g, target, -1, o, nundone, err);
}

int db_migrate_stamp(struct db_conn *c, const struct db_revision_graph *g,
                     const char *target, struct db_error *err)
{
    unsigned char *mark = calloc(g->n ? g->n : 1, 1);
    size_t *heads = calloc(g->n ? g->n : 1, sizeof *heads);
    struct db_error ignored;
    int rc = 0, locked = 0;
    if (!mark || !heads) {
        rc = nomem(err);
        goto out;
    }
    size_t nheads = db_revision_heads(heads, g);
    if (strcmp(target, "base") == 0) {
        /* nothing marked */
    } else if (strcmp(target, "head") == 0 || strcmp(target, "heads") == 0) {
        if (target[4] == '\0' && nheads > 1) {
            rc = many_heads(g, heads, nheads, err);
            goto out;
        }
        for (size_t h = 0; h < nheads; h++)
            db_revision_ancestors(mark, g, heads[h]);
    } else {
        size_t i;
        if ((rc = db_revision_find(&i, g, target, err)))
            goto out;
        db_revision_ancestors(mark, g, i);
    }
    if ((rc = db_lock(c, err)))
        goto out;
    locked = 1;
    if ((rc = db_exec(c, create_version_table, err)))
        goto out;
    if ((rc = db_begin(c, err)))
        goto out;
    rc = db_exec(c, "DELETE FROM " VT, err);
    for (size_t i = 0; i < g->n && rc == 0; i++)
        if (mark[i])
            rc = record(c, &g->revs[i], 1, err);
    if (rc == 0)
        rc = db_commit(c, err);
    if (rc)
        db_rollback(c, &ignored);
out:
    if (locked) {
        if (rc == 0)
            rc = db_unlock(c, err);
        else
            db_unlock(c, &ignored);
    }
    free(mark);
    free(heads);
    return rc;
}

void db_migrate_versions_dir(char *out, size_t n, const struct db_config *cfg)
{
    snprintf(out, n, "%s/%s", cfg->migrations_dir[0] ? cfg->migrations_dir
                                                     : "migrations",
             DB_REVISION_DIR);
}

int db_migrate_run(struct db_conn *c, struct db_error *err)
{
    char dir[1100];
    db_migrate_versions_dir(dir, sizeof dir, c->cfg);
    struct db_revision_graph *g;
    int rc = db_revision_graph_load(&g, dir, err);
    if (rc)
        return rc;
    if (g->n == 0) {
        db_revision_graph_free(g);
        db_error_set(err, DB_ENOTFOUND,
                     "phase is production but %s has no revisions", dir);
        db_error_hint(err, "write the baseline ('app db revision -m "
                           "baseline'), stamp the database, or set [app] "
                           "phase = pre-user in %s; see MIGRATION_STRATEGY.md",
                      c->cfg->phase_source);
        return DB_ENOTFOUND;
    }
    rc = db_migrate_upgrade(c, g, "head", NULL, NULL, err);
    db_revision_graph_free(g);
    return rc;
}
