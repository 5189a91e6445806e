/*
 * cmd.c - the command tables and the dispatcher.
 */
#include "cmd.h"

#include <getopt.h>
#include <stdarg.h>
#include <string.h>

#include "../db/backup.h"
#include "../db/connect_wait.h"

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

void cmd_error(struct cmd_ctx *ctx, const char *name, const char *fmt, ...)
{
    char who[128];
    full_name(who, sizeof who, ctx, name);
    fprintf(ctx->err, "%s: ", who);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(ctx->err, fmt, ap);
    va_end(ap);
    fputc('\n', ctx->err);
}

int cmd_fail(struct cmd_ctx *ctx, const char *name, const struct db_error *e)
{
    char line[3072];
    db_error_format(line, sizeof line, e);
    cmd_error(ctx, name, "%s", line);
    return CMD_FAILURE;
}

int cmd_usage(struct cmd_ctx *ctx, const char *name, const char *fmt, ...)
{
    char who[128], msg[512];
    full_name(who, sizeof who, ctx, name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(ctx->err, "%s: %s; see '%s --help'\n", who, msg, who);
    return CMD_USAGE;
}

int cmd_bad_option(struct cmd_ctx *ctx, const char *name, char **argv)
{
    const char *bad = optind > 0 ? argv[optind - 1] : "?";
    return cmd_usage(ctx, name, "unknown or incomplete option '%s'", bad);
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

bool cmd_confirm(struct cmd_ctx *ctx, const char *name, bool yes,
                 const char *question)
{
    if (yes)
        return true;
    if (!ctx->interactive) {
        cmd_error(ctx, name, "refusing to %s without confirmation: stdin is "
                             "not a terminal; pass --yes to confirm", question);
        return false;
    }
    fprintf(ctx->err, "This will %s. Type 'yes' to continue: ", question);
    fflush(ctx->err);
    char answer[16];
    if (!fgets(answer, sizeof answer, ctx->in) ||
        strcmp(answer, "yes\n") != 0) {
        cmd_error(ctx, name, "not confirmed; nothing was changed");
        return false;
    }
    return true;
}

static bool has_arg(int argc, char **argv, const char *arg)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], arg) == 0)
            return true;
    return false;
}

int cmd_connect(struct cmd_ctx *ctx, struct db_conn **out,
                struct db_error *err)
{
    return db_connect_wait(out, &ctx->cfg, db_config_wait_seconds(&ctx->cfg),
                           NULL, err);
}

int cmd_backup(struct cmd_ctx *ctx, const char *name, struct db_conn *c,
               struct db_error *err)
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
        cmd_error(ctx, name, "warning: no backup taken: %s", err->message);
        db_error_clear(err);
        return 0;
    }
    db_error_prefix(err, "backup before %s failed; nothing was changed", name);
    return rc;
}

int cmd_backup_before_change(void *hook, struct db_conn *c,
                             struct db_error *err)
{
    struct cmd_backup_hook *h = hook;
    return cmd_backup(h->ctx, h->name, c, err);
}

/* The dispatcher's backup for CMD_BACKUP commands. */
static int take_backup(struct cmd_ctx *ctx, const struct cmd_entry *e)
{
    struct db_error err;
    struct db_conn *conn = ctx->conn;
    /* Commands that connect themselves get a connection of the backup's own. */
    if (!conn && cmd_connect(ctx, &conn, &err))
        return cmd_fail(ctx, e->name, &err);
    int rc = cmd_backup(ctx, e->name, conn, &err);
    if (conn != ctx->conn)
        db_disconnect(conn);
    return rc ? cmd_fail(ctx, e->name, &err) : CMD_OK;
}

/* Checks options and the positional count against the entry's spec.
 * Options may come anywhere (getopt's permutation, as the commands parse
 * them); "--" ends them. *create: --create-database was given. */
static int check_args(struct cmd_ctx *ctx, const struct cmd_entry *e,
                      int argc, char **argv, bool *create)
{
    if (!e->options)
        return 0; /* the command checks its own arguments */
    char shortopts[64];
    snprintf(shortopts, sizeof shortopts, ":%s", e->shortopts ? e->shortopts : "");
    optind = 0;
    opterr = 0;
    int ch, li;
    while ((li = -1, ch = getopt_long(argc, argv, shortopts,
                                      e->options, &li)) != -1) {
        if (li >= 0 && strcmp(e->options[li].name, "create-database") == 0)
            *create = true;
        if (ch == '?' && (e->flags & CMD_NO_ECHO))
            return cmd_usage(ctx, e->name, "unknown option");
        if (ch == '?')
            return cmd_bad_option(ctx, e->name, argv);
        if (ch == ':')
            return cmd_usage(ctx, e->name, "option '%s' needs a value",
                             argv[optind - 1]);
    }
    int npos = argc - optind;
    if (npos < e->min_args)
        return cmd_usage(ctx, e->name, "missing argument");
    if (e->max_args >= 0 && npos > e->max_args && (e->flags & CMD_NO_ECHO))
        return cmd_usage(ctx, e->name, "%d arguments given, at most %d "
                                       "expected (%s)", npos, e->max_args,
                         e->usage);
    if (e->max_args >= 0 && npos > e->max_args)
        return cmd_usage(ctx, e->name, "unexpected argument '%s'",
                         argv[optind + e->max_args]);
    return 0;
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
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            print_help(ctx->out, ctx, e);
            return CMD_OK;
        }
    }

    bool create = false;
    int rc = check_args(ctx, e, argc, argv, &create);
    if (rc)
        return rc;

    if (!(e->flags & CMD_NO_CONFIG)) {
        struct db_error err;
        if (db_config_load(&ctx->cfg, ctx->config_path, &err))
            return cmd_fail(ctx, e->name, &err);
        if ((e->flags & CMD_PREUSER_ONLY) &&
            ctx->cfg.phase == DB_PHASE_PRODUCTION) {
            cmd_error(ctx, e->name, "refused in the production phase (set by "
                                    "%s); see MIGRATION_STRATEGY.md",
                      ctx->cfg.phase_source);
            return CMD_FAILURE;
        }
        if (create)
            ctx->cfg.create = DB_CREATE_YES;
    }

    if (e->flags & CMD_NEEDS_DB) {
        struct db_error err;
        if (cmd_connect(ctx, &ctx->conn, &err))
            return cmd_fail(ctx, e->name, &err);
    }
    if ((e->flags & CMD_BACKUP) && ctx->cfg.phase == DB_PHASE_PRODUCTION &&
        !has_arg(argc, argv, "--sql")) {
        int rc2 = take_backup(ctx, e);
        if (rc2) {
            db_disconnect(ctx->conn);
            ctx->conn = NULL;
            return rc2;
        }
    }
    optind = 0; /* glibc: full reset for the command's own getopt_long */
    opterr = 0; /* errors are reported by cmd_bad_option, once */
    int status = e->exec(ctx, argc, argv);
    db_disconnect(ctx->conn);
    ctx->conn = NULL;
    return status;
}
