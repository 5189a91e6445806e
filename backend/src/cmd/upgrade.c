/*
 * upgrade.c - `app db upgrade [TARGET] [--sql]`: apply pending revisions.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../db/flip.h"
#include "../db/lint.h"
#include "../db/meta.h"
#include "../db/migrate.h"
#include "../db/rehearse.h"
#include "../db/url.h"
#include "cmd.h"

/* app_version_meta key: the last upgrade that went ahead with lint errors. */
#define LINT_ACCEPTED_KEY "lint_accepted"

/* The rehearsal's report: each statement's locks beside the lint findings
 * of its line (the revision linted once). */
struct rehearsal_out {
    struct cmd_ctx *ctx;
    const struct db_revision *r;   /* the revision lint holds */
    struct db_lint_report lint;
    bool lint_failed;
};

static const struct option opts[] = {
    {"sql", no_argument, NULL, 's'},
    {"rehearse", no_argument, NULL, 'r'},
    {"create-database", no_argument, NULL, 'c'}, /* seen by the dispatcher */
    {"accept-lint", no_argument, NULL, 'a'},
    {NULL, 0, NULL, 0},
};

static void report(void *ctx, const struct db_revision *r,
                   enum db_direction dir, long ms)
{
    (void)dir;
    fprintf(ctx, "upgrade %s: %s (%ld ms)\n", r->id, r->message, ms);
}

static void report_rehearsal(void *ctx, const struct db_revision *r,
                             enum db_direction dir, long ms)
{
    struct rehearsal_out *o = ctx;
    fprintf(o->ctx->out, "rehearse %s %s: %s (%ld ms)\n",
            dir == DB_UPGRADE ? "upgrade" : "downgrade", r->id, r->message,
            ms);
}

/* The lint report of r, linted once (o->r is the revision it holds). */
static void lint_once(struct rehearsal_out *o, const struct db_revision *r)
{
    if (o->r == r)
        return;
    struct db_error err;
    struct db_lint_opts lo = {.lock_timeout_ms = o->ctx->cfg.lock_timeout_ms};
    db_lint_report_free(&o->lint);
    o->r = r;
    if (!o->lint_failed && db_lint_revision(&o->lint, r, &lo, &err)) {
        fprintf(o->ctx->out, "  (not linted: %s)\n", err.message);
        o->lint_failed = true;
    }
}

/* Prints the lint findings on line (print false: only counts them). */
static size_t lint_on_line(struct rehearsal_out *o, int line, bool print)
{
    size_t n = 0;
    for (size_t i = 0; i < o->lint.n; i++) {
        const struct db_lint_finding *f = &o->lint.v[i];
        if (f->line != line)
            continue;
        n++;
        if (!print)
            continue;
        if (f->reason)
            fprintf(o->ctx->out, "    lint: ignored %s: %s (reason: %s)\n",
                    f->rule->id, f->subject, f->reason);
        else
            fprintf(o->ctx->out, "    lint: %s %s: %s\n",
                    db_lint_severity_name(f->rule->severity), f->rule->id,
                    f->subject);
    }
    return n;
}

/* What one statement of a first upgrade did to the relations that existed
 * before its revision, beside the lint findings of its line; nothing for a
 * statement with neither. */
static void report_statement(void *ctx, const struct db_rehearsal_stmt *s)
{
    struct rehearsal_out *o = ctx;
    FILE *out = o->ctx->out;
    lint_once(o, s->r);
    if (s->nrels == 0 && !s->ran && lint_on_line(o, s->line, false) == 0)
        return;
    char excerpt[100];
    db_sql_excerpt(excerpt, sizeof excerpt, s->sql, s->len);
    fprintf(out, "  %s:%d: %s\n", s->r->path, s->line, excerpt);
    if (s->ran)
        fprintf(out, "    rehearsed as %s; %s\n", s->ran, s->live);
    for (size_t i = 0; i < s->nrels; i++) {
        const struct db_rehearsal_rel *x = &s->rels[i];
        fprintf(out, "    %s \"%s\": %s", x->kind, x->name, x->modes);
        const char *sep = x->modes[0] ? ", " : "";
        if (x->rewritten)
            fprintf(out, "%srewritten", sep), sep = ", ";
        if (x->dropped)
            fprintf(out, "%sdropped", sep), sep = ", ";
        if (x->rows >= 0)
            fprintf(out, "%s%ld row%s", sep, x->rows, x->rows == 1 ? "" : "s");
        fputc('\n', out);
    }
    lint_on_line(o, s->line, true);
}

/* --rehearse: every pending revision up, down and up again on a copy. */
static int rehearse(struct cmd_ctx *ctx)
{
    struct db_error err;
    struct db_graph *g = NULL;
    struct db_conn *c = NULL;
    struct rehearsal_out ro = {ctx, NULL, {0}, false};
    size_t n = 0;
    int rc = db_migrate_load(&g, &ctx->cfg, &err);
    if (rc == 0)
        rc = cmd_connect(ctx, &c, &err);
    if (rc == 0) {
        const struct db_dialect_ops *d =
            db_dialect_get(db_conn_dialect(c));
        struct db_rehearse_opts o = {report_rehearsal, report_statement,
                                     &ro};
        fprintf(ctx->out, "rehearsing on %s; the live database is not "
                          "changed\n", d->rehearsal_where);
        rc = db_rehearse(c, g, &o, &n, &err);
    }
    if (rc == 0)
        fprintf(ctx->out, "rehearsal passed: %zu step%s; recorded in "
                          "app_version_meta (rehearsal_ok)\n",
                n, n == 1 ? "" : "s");
    db_lint_report_free(&ro.lint);
    db_disconnect(c);
    db_graph_free(g);
    return rc ? cmd_fail(ctx, &err) : CMD_OK;
}

/* What runs under the migration lock before an upgrade changes anything:
 * the lint gate, then the backup. */
struct upgrade_hook {
    struct cmd_ctx *ctx;
    const struct db_graph *g;
    const char *target;
    bool accept;
    char accepted[768];   /* what --accept-lint let through, for the record */
};

/*
 * The production phase, on a database whose dialect has a linter: lints
 * the revisions this upgrade applies and prints their error findings.
 * Returns DB_EREFUSED (nothing changed) when there are some and not
 * --accept-lint; then h->accepted describes them for the record.
 */
static int lint_gate(struct upgrade_hook *h, struct db_conn *c,
                     struct db_error *err)
{
    struct cmd_ctx *ctx = h->ctx;
    const struct db_graph *g = h->g;
    const struct db_dialect_ops *d = db_dialect_get(db_conn_dialect(c));
    if (ctx->cfg.phase != DB_PHASE_PRODUCTION || !d || !d->parser_module)
        return 0;
    struct db_migrate_state st = {0};
    unsigned char *want = calloc(g->n ? g->n : 1, 1);
    struct db_lint_report rep = {0};
    struct db_lint_opts o = {.lock_timeout_ms = ctx->cfg.lock_timeout_ms};
    char ids[512] = "";
    int rc = want ? db_migrate_state_read(&st, c, g, err)
                  : db_error_set(err, DB_ENOMEM, "out of memory");
    if (rc == 0)
        rc = db_graph_upgrade_target(want, g, st.applied, h->target, err);
    for (size_t i = 0; rc == 0 && i < g->n; i++) {
        if (!want[i] || st.applied[i])
            continue;
        size_t before = db_lint_count(&rep, DB_LINT_ERROR);
        rc = db_lint_revision(&rep, &g->revs[i], &o, err);
        if (rc == 0 && db_lint_count(&rep, DB_LINT_ERROR) > before) {
            size_t len = strlen(ids);
            snprintf(ids + len, sizeof ids - len, "%s%s", len ? " " : "",
                     g->revs[i].id);
        }
    }
    size_t nerr = rc == 0 ? db_lint_count(&rep, DB_LINT_ERROR) : 0;
    if (nerr) {
        struct db_buf line = DB_BUF_INIT;
        for (size_t i = 0; i < rep.n; i++)
            if (!rep.v[i].reason && rep.v[i].rule->severity >= DB_LINT_ERROR)
                db_lint_format(&line, &rep.v[i]);
        app_fputs_spelled(db_buf_str(&line), ctx->err);
        db_buf_free(&line);
        if (h->accept) {
            char at[32];
            time_t now = time(NULL);
            struct tm tm;
            gmtime_r(&now, &tm);
            strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
            snprintf(h->accepted, sizeof h->accepted, "%zu lint error%s in "
                     "%s, accepted with --accept-lint at %s", nerr,
                     nerr == 1 ? "" : "s", ids, at);
        } else {
            rc = db_error_set(err, DB_EREFUSED, "%zu lint error%s in the "
                              "revisions to apply (%s), each above with its "
                              "safe form; nothing was changed", nerr,
                              nerr == 1 ? "" : "s", ids);
            db_error_hint(err, "rewrite them, silence a reviewed finding "
                               "with '-- lint: ignore RULE reason', or pass "
                               "--accept-lint (recorded in %s)",
                          DB_META_TABLE);
        }
    }
    db_lint_report_free(&rep);
    db_migrate_state_free(&st);
    free(want);
    return rc;
}

static int lint_then_backup(void *hook, struct db_conn *c,
                            struct db_error *err)
{
    struct upgrade_hook *h = hook;
    int rc = lint_gate(h, c, err);
    return rc ? rc : cmd_backup_before_change(h->ctx, c, err);
}

static int exec_upgrade(struct cmd_ctx *ctx, const struct cmd_args *args)
{
    bool sql = cmd_flag(args, 's'), rehearsal = cmd_flag(args, 'r'),
         accept = cmd_flag(args, 'a');
    const char *target = args->argc > 0 ? args->argv[0] : "head";
    if (rehearsal && (sql || args->argc > 0 || accept))
        return cmd_usage(ctx, "--rehearse runs every pending revision: it "
                              "takes no TARGET, no --sql and no "
                              "--accept-lint");
    if (sql && accept)
        return cmd_usage(ctx, "--accept-lint is for an upgrade that runs, "
                              "not --sql");
    if (rehearsal)
        return rehearse(ctx);

    struct db_error err;
    struct db_graph *g = NULL;
    struct db_conn *c = NULL;
    struct db_buf script = DB_BUF_INIT;
    int rc;
    if (!sql) {
        /* the revision files are read while connecting */
        struct db_migrate_loading loading;
        db_migrate_load_start(&loading, &ctx->cfg);
        struct db_error cerr;
        int crc = cmd_connect(ctx, &c, &cerr);
        rc = db_migrate_load_finish(&g, &loading, &err);
        if (rc == 0 && crc) {
            err = cerr;
            rc = crc;
        }
        if (rc)
            goto out;
    } else if ((rc = db_migrate_load(&g, &ctx->cfg, &err))) {
        goto out;
    }
    if (sql) {
        enum db_dialect d;
        if ((rc = db_config_dialect(&d, &ctx->cfg, &err)) == 0 &&
            (rc = db_migrate_sql(&script, g, d, ctx->cfg.schema, DB_UPGRADE,
                                 target, &err)) == 0)
            fputs(db_buf_str(&script), ctx->out);
        goto out;
    }
    struct upgrade_hook hook = {ctx, g, target, accept, ""};
    struct db_migrate_opts o = {.progress = report, .ctx = ctx->out,
                                .before_change = lint_then_backup,
                                .change_ctx = &hook};
    size_t n = 0;
    rc = db_migrate_upgrade(c, g, target, &o, &n, &err);
    if (rc == 0 && n == 0)
        fprintf(ctx->out, "nothing to upgrade: already at %s\n", target);
    if (n > 0 && hook.accepted[0]) {
        struct db_error merr;
        if (db_meta_set(c, LINT_ACCEPTED_KEY, hook.accepted, &merr) == 0)
            fprintf(ctx->out, "lint: %s; recorded in %s (%s)\n",
                    hook.accepted, DB_META_TABLE, LINT_ACCEPTED_KEY);
        else
            cmd_fail(ctx, &merr);
    }
out:
    db_buf_free(&script);
    db_disconnect(c);
    db_graph_free(g);
    return rc ? cmd_fail(ctx, &err) : CMD_OK;
}

const struct cmd_entry cmd_upgrade_entry = {
    .name = "upgrade",
    .usage = "[--sql] [--create-database] [--accept-lint] [TARGET] | "
             "--rehearse",
    .summary = "apply pending revisions up to TARGET (default: head)",
    .help = "  TARGET              head (the single head; the default), heads "
            "(every branch),\n"
            "                      a revision id or unique prefix, +N (the "
            "next N), REV+N\n"
            "  --sql               print the SQL instead of running it, "
            "without connecting;\n"
            "                      starts from base, or write "
            "FROM:TARGET\n"
            "  --rehearse          upgrade, downgrade and upgrade every "
            "pending revision on a\n"
            "                      copy (SQLite) or in a transaction rolled "
            "back (PostgreSQL);\n"
            "                      the live database only records that it "
            "passed\n"
            "  --create-database   production phase: create the SQLite file "
            "when it does not\n"
            "                      exist (its directory must); never done "
            "otherwise\n"
            "  --accept-lint       production phase on PostgreSQL: apply "
            "revisions that 'app db\n"
            "                      lint' finds errors in (refused otherwise); "
            "recorded in\n"
            "                      app_version_meta (lint_accepted)\n",
    .flags = CMD_OFFLINE_SQL, /* backup: only when there is something to
                                 apply (o above) */
    .options = opts,
    .shortopts = "",
    .min_args = 0,
    .max_args = 1,
    .exec = exec_upgrade,
};
