/*
 * cmd.c - the command tables and the dispatcher.
 */
#include "cmd.h"

#include <ctype.h>
#include <getopt.h>
#include <stdarg.h>
#include <string.h>

#include "../db/backup.h"
#include "../db/connect_wait.h"
#include "../db/migrate.h"

extern const struct cmd_entry cmd_create_all_entry;
extern const struct cmd_entry cmd_check_entry;
extern const struct cmd_entry cmd_lint_entry;
extern const struct cmd_entry cmd_snapshot_entry;
extern const struct cmd_entry cmd_diff_entry;
extern const struct cmd_entry cmd_reset_entry;
extern const struct cmd_entry cmd_info_entry;
extern const struct cmd_entry cmd_backup_entry;
extern const struct cmd_entry cmd_prepare_entry;
extern const struct cmd_entry cmd_revision_entry;
extern const struct cmd_entry cmd_upgrade_entry;
extern const struct cmd_entry cmd_downgrade_entry;
extern const struct cmd_entry cmd_current_entry;
extern const struct cmd_entry cmd_history_entry;
extern const struct cmd_entry cmd_heads_entry;
extern const struct cmd_entry cmd_show_entry;
extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_stamp_entry;
extern const struct cmd_entry cmd_baseline_entry;
extern const struct cmd_entry cmd_transition_entry;
extern const struct cmd_entry cmd_merge_entry;
extern const struct cmd_entry cmd_serve_entry;
extern const struct cmd_entry cmd_wait_entry;
extern const struct cmd_entry cmd_users_set_password_entry;

const struct cmd_entry *const cmd_db_table[] = {
    &cmd_create_all_entry,
    &cmd_check_entry,
    &cmd_diff_entry,
    &cmd_reset_entry,
    &cmd_info_entry,
    &cmd_prepare_entry,
    &cmd_backup_entry,
    &cmd_wait_entry,
    &cmd_revision_entry,
    &cmd_upgrade_entry,
    &cmd_downgrade_entry,
    &cmd_current_entry,
    &cmd_history_entry,
    &cmd_heads_entry,
    &cmd_show_entry,
    &cmd_status_entry,
    &cmd_baseline_entry,
    &cmd_stamp_entry,
    &cmd_transition_entry,
    &cmd_merge_entry,
    &cmd_lint_entry,
    &cmd_snapshot_entry,
    NULL,
};

const struct cmd_entry *const cmd_top_table[] = {
    &cmd_serve_entry,
    NULL,
};

const struct cmd_entry *const cmd_users_table[] = {
    &cmd_users_set_password_entry,
    NULL,
};

const struct option cmd_no_options[] = {{NULL, 0, NULL, 0}};

const struct cmd_entry *cmd_find(const struct cmd_entry *const *table,
                                 const char *name)
{
    for (size_t i = 0; table[i]; i++)
        if (strcmp(table[i]->name, name) == 0)
            return table[i];
    return NULL;
}

static void full_name(char *out, size_t n, const struct cmd_ctx *ctx,
                      const char *name)
{
    if (ctx->group)
        snprintf(out, n, "%s %s %s", ctx->prog, ctx->group, name);
    else
        snprintf(out, n, "%s %s", ctx->prog, name);
}

void cmd_error(struct cmd_ctx *ctx, const char *fmt, ...)
{
    char who[128], text[4096], spelled[4096];
    full_name(who, sizeof who, ctx, ctx->entry->name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    app_spell(spelled, sizeof spelled, text);
    fprintf(ctx->err, "%s: %s\n", who, spelled);
}

int cmd_fail(struct cmd_ctx *ctx, const struct db_error *e)
{
    char line[3072];
    db_error_format(line, sizeof line, e);
    cmd_error(ctx, "%s", line);
    return CMD_FAILURE;
}

int cmd_usage(struct cmd_ctx *ctx, const char *fmt, ...)
{
    char who[128], msg[512];
    full_name(who, sizeof who, ctx, ctx->entry->name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(ctx->err, "%s: %s; see '%s --help'\n", who, msg, who);
    return CMD_USAGE;
}

bool cmd_flag(const struct cmd_args *a, int val)
{
    for (int i = 0; i < a->nopts; i++)
        if (a->opts[i].val == val)
            return true;
    return false;
}

const char *cmd_value(const struct cmd_args *a, int val)
{
    const char *v = NULL;
    for (int i = 0; i < a->nopts; i++)
        if (a->opts[i].val == val)
            v = a->opts[i].value;
    return v;
}

static void print_help(FILE *f, const struct cmd_ctx *ctx,
                       const struct cmd_entry *e)
{
    char who[128];
    full_name(who, sizeof who, ctx, e->name);
    fprintf(f, "usage: %s%s%s\n\n%s\n", who, e->usage[0] ? " " : "",
            e->usage, e->summary);
    if (e->help)
        fprintf(f, "\n%s", e->help);
    fprintf(f, "\n  --config FILE       read FILE instead of config/app.ini "
               "(also APP_CONFIG)\n  -h, --help          show this help\n");
}

void cmd_list(FILE *f, const char *prog, const char *group,
              const struct cmd_entry *const *table)
{
    fprintf(f, "usage: %s%s%s <command> [options]\n\ncommands:\n", prog,
            group ? " " : "", group ? group : "");
    for (size_t i = 0; table[i]; i++)
        fprintf(f, "  %-14s %s\n", table[i]->name, table[i]->summary);
    fprintf(f, "\n'%s%s%s <command> --help' shows a command's options.\n",
            prog, group ? " " : "", group ? group : "");
}

bool cmd_confirm(struct cmd_ctx *ctx, const char *question)
{
    if (ctx->yes)
        return true;
    if (!ctx->interactive) {
        cmd_error(ctx, "refusing to %s without confirmation: stdin is "
                       "not a terminal; pass --yes to confirm", question);
        return false;
    }
    fprintf(ctx->err, "This will %s. Type 'yes' to continue: ", question);
    fflush(ctx->err);
    char answer[16];
    if (!fgets(answer, sizeof answer, ctx->in) ||
        strcmp(answer, "yes\n") != 0) {
        cmd_error(ctx, "not confirmed; nothing was changed");
        return false;
    }
    return true;
}

static bool has_option(const struct option *o, int val)
{
    for (; o && o->name; o++)
        if (o->val == val)
            return true;
    return false;
}

const struct cmd_entry *cmd_table_check(const struct cmd_entry *const *table)
{
    for (size_t i = 0; table[i]; i++) {
        const struct cmd_entry *e = table[i];
        if (!e->options)
            return e;
        if ((e->flags & CMD_DESTRUCTIVE) && !has_option(e->options, 'y'))
            return e;
        if ((e->flags & CMD_OFFLINE_SQL) && !has_option(e->options, 's'))
            return e;
    }
    return NULL;
}

int cmd_connect(struct cmd_ctx *ctx, struct db_conn **out,
                struct db_error *err)
{
    return db_connect_wait(out, &ctx->cfg, db_config_wait_seconds(&ctx->cfg),
                           NULL, err);
}

int cmd_backup(struct cmd_ctx *ctx, struct db_conn *c, struct db_error *err)
{
    if (ctx->cfg.phase != DB_PHASE_PRODUCTION)
        return 0;
    if (c->created) {
        fprintf(ctx->err, "backup: none: the database did not exist before "
                          "this command\n");
        return 0;
    }
    char path[2048];
    int rc = db_backup(path, sizeof path, c, ctx->cfg.backup_dir, err);
    if (rc == 0) {
        fprintf(ctx->err, "backup: %s\n", path);
        return 0;
    }
    if (rc == DB_ENOTFOUND) {
        cmd_error(ctx, "warning: no backup taken: %s", err->message);
        db_error_clear(err);
        return 0;
    }
    db_error_prefix(err, "backup before %s failed; nothing was changed",
                    ctx->entry->name);
    return rc;
}

int cmd_backup_before_change(void *hook, struct db_conn *c,
                             struct db_error *err)
{
    return cmd_backup(hook, c, err);
}

/* The dispatcher's backup for CMD_BACKUP commands. */
static int take_backup(struct cmd_ctx *ctx)
{
    struct db_error err;
    struct db_conn *conn = ctx->conn;
    /* Commands that connect themselves get a connection of the backup's own. */
    if (!conn && cmd_connect(ctx, &conn, &err))
        return cmd_fail(ctx, &err);
    int rc = cmd_backup(ctx, conn, &err);
    if (conn != ctx->conn)
        db_disconnect(conn);
    return rc ? cmd_fail(ctx, &err) : CMD_OK;
}

/*
 * Parses the command line once, against the entry's option table, into
 * args: options may come anywhere (getopt's permutation); "--" ends them.
 * Then checks the positional count against the entry's spec.
 */
/* The most "-N" arguments one command line may carry (CMD_DASH_NUMBERS). */
#define DASH_NUMBERS_MAX 8

static int getopt_args(struct cmd_args *args, struct cmd_ctx *ctx,
                       const struct cmd_entry *e, int argc, char **argv)
{
    /* shortopts NULL: a missing value is an "unknown or incomplete option",
     * as getopt reports it without a leading ':' */
    char shortopts[64];
    snprintf(shortopts, sizeof shortopts, "%s%s", e->shortopts ? ":" : "",
             e->shortopts ? e->shortopts : "");
    optind = 0;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, shortopts, e->options, NULL)) != -1) {
        if (ch == '?' && (e->flags & CMD_NO_ECHO))
            return cmd_usage(ctx, "unknown option");
        if (ch == '?' && (e->flags & CMD_DASH_NUMBERS))
            return cmd_usage(ctx, "unknown option '%s'",
                             optind > 0 ? argv[optind - 1] : "?");
        if (ch == '?')
            return cmd_usage(ctx, "unknown or incomplete option '%s'",
                             optind > 0 ? argv[optind - 1] : "?");
        if (ch == ':')
            return cmd_usage(ctx, "option '%s' needs a value",
                             argv[optind - 1]);
        if (args->nopts == CMD_MAX_OPTS)
            return cmd_usage(ctx, "more than %d options", CMD_MAX_OPTS);
        args->opts[args->nopts++] = (struct cmd_opt){ch, optarg};
    }
    args->argc = argc - optind;
    args->argv = argv + optind;
    return 0;
}

/* The number of positional arguments against the entry's spec. */
static int count_args(const struct cmd_args *args, struct cmd_ctx *ctx,
                      const struct cmd_entry *e)
{
    int npos = args->argc;
    if (npos < e->min_args)
        return cmd_usage(ctx, "%s", e->missing ? e->missing
                                               : "missing argument");
    if (e->max_args >= 0 && npos > e->max_args && (e->flags & CMD_NO_ECHO))
        return cmd_usage(ctx, "%d arguments given, at most %d expected (%s)",
                         npos, e->max_args, e->usage);
    if (e->max_args >= 0 && npos > e->max_args)
        return cmd_usage(ctx, "unexpected argument '%s'",
                         args->argv[e->max_args]);
    return 0;
}

static int parse_args(struct cmd_args *args, struct cmd_ctx *ctx,
                      const struct cmd_entry *e, int argc, char **argv)
{
    memset(args, 0, sizeof *args);
    if (!(e->flags & CMD_DASH_NUMBERS)) {
        int rc = getopt_args(args, ctx, e, argc, argv);
        return rc ? rc : count_args(args, ctx, e);
    }
    /* getopt sees "-1" as "1", a positional argument; the '-' is given
     * back once the options are read (getopt reorders argv). */
    char *dashed[DASH_NUMBERS_MAX];
    int ndashed = 0;
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (argv[i][0] != '-' || !isdigit((unsigned char)argv[i][1]))
            continue;
        if (ndashed == DASH_NUMBERS_MAX) {
            for (int k = 0; k < ndashed; k++)
                for (int j = 1; j < argc; j++)
                    if (argv[j] == dashed[k])
                        argv[j]--;
            return cmd_usage(ctx, "unexpected argument '%s'", argv[i]);
        }
        dashed[ndashed++] = ++argv[i];
    }
    int rc = getopt_args(args, ctx, e, argc, argv);
    for (int k = 0; k < ndashed; k++)
        for (int j = 1; j < argc; j++)
            if (argv[j] == dashed[k])
                argv[j]--;
    return rc ? rc : count_args(args, ctx, e);
}

int cmd_dispatch(struct cmd_ctx *ctx, const struct cmd_entry *const *table,
                 int argc, char **argv)
{
    const struct cmd_entry *e = cmd_find(table, argv[0]);
    if (!e) {
        fprintf(ctx->err, "%s: unknown command '%s%s%s'; see '%s%s%s --help'\n",
                ctx->prog, ctx->group ? ctx->group : "", ctx->group ? " " : "",
                argv[0], ctx->prog, ctx->group ? " " : "",
                ctx->group ? ctx->group : "");
        return CMD_USAGE;
    }
    ctx->entry = e;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            print_help(ctx->out, ctx, e);
            return CMD_OK;
        }
    }

    struct cmd_args args;
    int rc = parse_args(&args, ctx, e, argc, argv);
    if (rc)
        return rc;
    ctx->yes = (e->flags & CMD_DESTRUCTIVE) && cmd_flag(&args, 'y');
    bool offline = (e->flags & CMD_OFFLINE_SQL) && cmd_flag(&args, 's');

    if (!(e->flags & CMD_NO_CONFIG)) {
        struct db_error err;
        if (app_config_load(&ctx->cfg, &ctx->settings, ctx->config_path,
                            &err))
            return cmd_fail(ctx, &err);
        if ((e->flags & CMD_PREUSER_ONLY) &&
            ctx->cfg.phase == DB_PHASE_PRODUCTION) {
            cmd_error(ctx, "refused in the production phase (set by %s); see "
                           "MIGRATION_STRATEGY.md", ctx->cfg.phase_source);
            return CMD_FAILURE;
        }
        if (cmd_flag(&args, 'c') && has_option(e->options, 'c'))
            ctx->cfg.create = DB_CREATE_YES; /* --create-database */
    }

    int status = CMD_OK;
    struct db_error err;
    /* the revision files are read while connecting */
    struct db_migrate_loading loading;
    if (e->flags & CMD_NEEDS_GRAPH)
        db_migrate_load_start(&loading, &ctx->cfg);
    if ((e->flags & CMD_NEEDS_DB) && !offline &&
        cmd_connect(ctx, &ctx->conn, &err))
        status = cmd_fail(ctx, &err);
    if (e->flags & CMD_NEEDS_GRAPH) {
        struct db_error gerr;
        if ((db_migrate_load_finish(&ctx->graph, &loading, &gerr) ||
             (!(e->flags & CMD_GRAPH_HEADERS) &&
              db_graph_complete(ctx->graph, &gerr))) &&
            status == CMD_OK)
            status = cmd_fail(ctx, &gerr);
    }
    if (status == CMD_OK && (e->flags & CMD_BACKUP) && !offline &&
        ctx->cfg.phase == DB_PHASE_PRODUCTION)
        status = take_backup(ctx);
    if (status == CMD_OK)
        status = e->exec(ctx, &args);
    db_graph_free(ctx->graph);
    ctx->graph = NULL;
    db_disconnect(ctx->conn);
    ctx->conn = NULL;
    return status;
}
