/*
 * lint.c - `app db lint [REV... | --pending | FILE...]`: what the revisions
 * would do to a live database. Exit 0 when nothing at or above --fail-on is
 * found, 1 otherwise (one line per finding).
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../db/lint.h"
#include "../db/migrate.h"
#include "cmd.h"

static const struct option opts[] = {
    {"pending", no_argument, NULL, 'p'},
    {"fail-on", required_argument, NULL, 'f'},
    {"rules", no_argument, NULL, 'r'},
    {NULL, 0, NULL, 0},
};

static void print_rules(struct cmd_ctx *ctx)
{
    size_t n;
    const struct db_lint_rule *rules = db_lint_rules(&n);
    for (size_t i = 0; i < n; i++) {
        fprintf(ctx->out, "%s (%s)\n  happens: %s\n  fix: ", rules[i].id,
                db_lint_severity_name(rules[i].severity), rules[i].effect);
        app_fputs_spelled(rules[i].recipe, ctx->out);
        fputc('\n', ctx->out);
    }
}

static bool is_file_arg(const char *a)
{
    size_t n = strlen(a);
    return strchr(a, '/') || (n > 4 && strcmp(a + n - 4, ".sql") == 0);
}

static int exec_lint(struct cmd_ctx *ctx, const struct cmd_args *args)
{
    bool pending = false, list = false;
    enum db_lint_severity fail_on = DB_LINT_ERROR;
    for (int i = 0; i < args->nopts; i++) {
        const char *val = args->opts[i].value;
        if (args->opts[i].val == 'p')
            pending = true;
        else if (args->opts[i].val == 'r')
            list = true;
        else if (args->opts[i].val == 'f' &&
                 db_lint_severity_parse(&fail_on, val))
            return cmd_usage(ctx, "--fail-on takes error or warning, not "
                                  "'%s'", val);
    }
    int argc = args->argc;
    char **argv = args->argv;
    if (list) {
        if (pending || argc > 0)
            return cmd_usage(ctx, "--rules takes no revision");
        print_rules(ctx);
        return CMD_OK;
    }
    if (pending && argc > 0)
        return cmd_usage(ctx, "--pending lints the revisions not "
                              "applied: it takes no REV or FILE");

    struct db_lint_opts o = {.lock_timeout_ms = ctx->cfg.lock_timeout_ms};
    struct db_lint_report rep = {0};
    struct db_error err;
    struct db_graph *g = NULL;
    struct db_conn *c = NULL;
    struct db_migrate_state st = {0};
    int rc = 0;
    int nfiles = 0;
    for (int i = 0; i < argc; i++)
        nfiles += is_file_arg(argv[i]);
    if (nfiles > 0 && nfiles < argc)
        for (int i = 0; i < argc; i++)
            if (is_file_arg(argv[i]))
                return cmd_usage(ctx, "give revision ids or files, not "
                                      "both ('%s')", argv[i]);
    if (nfiles > 0) {
        for (int i = 0; i < argc && rc == 0; i++) {
            struct db_revision r;
            if ((rc = db_revision_load(&r, argv[i], &err)) == 0) {
                rc = db_lint_revision(&rep, &r, &o, &err);
                db_revision_clear(&r);
            }
        }
        goto out;
    }
    if ((rc = db_migrate_load(&g, &ctx->cfg, &err)))
        goto out;
    if (pending) {
        if ((rc = cmd_connect(ctx, &c, &err)) ||
            (rc = db_migrate_state_read(&st, c, g, &err)))
            goto out;
        for (size_t i = 0; i < g->n && rc == 0; i++)
            if (!st.applied[i])
                rc = db_lint_revision(&rep, &g->revs[i], &o, &err);
    } else if (argc > 0) {
        for (int a = 0; a < argc && rc == 0; a++) {
            size_t i;
            if ((rc = db_graph_find(&i, g, argv[a], &err)) == 0)
                rc = db_lint_revision(&rep, &g->revs[i], &o, &err);
        }
    } else {
        for (size_t i = 0; i < g->n && rc == 0; i++)
            rc = db_lint_revision(&rep, &g->revs[i], &o, &err);
    }
out:
    db_migrate_state_free(&st);
    db_disconnect(c);
    db_graph_free(g);
    if (rc) {
        db_lint_report_free(&rep);
        return cmd_fail(ctx, &err);
    }
    struct db_buf line = DB_BUF_INIT;
    for (size_t i = 0; i < rep.n; i++)
        db_lint_format(&line, &rep.v[i]);
    db_lint_summary(&line, &rep);
    app_fputs_spelled(db_buf_str(&line), ctx->out);
    db_buf_free(&line);
    size_t failing = db_lint_count(&rep, fail_on);
    db_lint_report_free(&rep);
    if (failing == 0)
        return CMD_OK;
    cmd_error(ctx, "%zu finding%s at or above %s; use the safe form "
                           "each line gives, or silence one with '-- lint: "
                           "ignore RULE reason' on the line above the "
                           "statement", failing, failing == 1 ? "" : "s",
              db_lint_severity_name(fail_on));
    return CMD_FAILURE;
}

const struct cmd_entry cmd_lint_entry = {
    .name = "lint",
    .usage = "[--fail-on error|warning] [REV... | --pending | FILE...] | "
             "--rules",
    .summary = "check revisions for what they would do to a live PostgreSQL "
               "database (locks, rewrites, breaking renames)",
    .help = "  REV                 a revision id or unique prefix (default: "
            "every revision)\n"
            "  FILE                a revision file (an argument with a '/' or "
            "ending in .sql)\n"
            "  --pending           the revisions the database has not applied "
            "(connects)\n"
            "  --fail-on LEVEL     exit 1 on findings at or above LEVEL: error "
            "(default) or\n"
            "                      warning\n"
            "  --rules             list every rule: what happens and the safe "
            "recipe\n"
            "\nOnly PostgreSQL sections (dialect=postgresql, and sections for "
            "every database)\n"
            "are linted. '-- lint: ignore RULE reason' on the line above a "
            "statement\n"
            "silences that rule there; the reason is shown in the report.\n",
    .flags = 0,
    .options = opts,
    .shortopts = "",
    .min_args = 0,
    .max_args = -1,
    .exec = exec_lint,
};
