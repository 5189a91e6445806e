/*
 * cmd.h - the command table: one entry per file, flags enforced centrally.
 *
 * The dispatcher parses each command line once, against the entry's
 * option table, into a struct cmd_args that exec reads; commands report
 * through the context (cmd_error*, which name the command from ctx->entry)
 * and return an exit status below. They never exit() and never write to
 * stderr directly. Cross-cutting policy is in the entry's flags.
 */
#ifndef APP_CMD_H
#define APP_CMD_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "../db/config.h"
#include "../db/driver.h"
#include "../db/error.h"
#include "../db/schema.h"
#include "../settings.h"
#include "../words.h"

enum cmd_status {
    CMD_OK = 0,       /* success */
    CMD_FAILURE = 1,  /* the command failed (or: check found differences) */
    CMD_USAGE = 2,    /* bad command line */
};

enum cmd_flags {
    CMD_NEEDS_DB = 1 << 0,       /* connect before exec (ctx->conn) */
    CMD_DESTRUCTIVE = 1 << 1,    /* loses data: needs --yes or a terminal */
    CMD_PREUSER_ONLY = 1 << 2,   /* refused in the production phase */
    CMD_NO_CONFIG = 1 << 3,      /* runs without reading the config */
    CMD_BACKUP = 1 << 4,         /* production phase: back up before exec
                                    (not with CMD_OFFLINE_SQL's --sql) */
    CMD_NO_ECHO = 1 << 5,        /* usage errors never repeat an argument
                                    (it may be a password typed by mistake) */
    CMD_OFFLINE_SQL = 1 << 6,    /* --sql (option value 's') prints SQL and
                                    changes nothing: no connection, no backup */
    CMD_NEEDS_GRAPH = 1 << 7,    /* load the revision files (ctx->graph) */
    CMD_DASH_NUMBERS = 1 << 8,   /* "-1" is an argument, not an option
                                    (downgrade's -N) */
    CMD_GRAPH_HEADERS = 1 << 9,  /* with CMD_NEEDS_GRAPH: the revisions'
                                    headers are enough (db_graph_load_headers:
                                    recorded blocks stay pending) */
};

/* The most options one command line may carry. */
#define CMD_MAX_OPTS 32

/* One option given: its getopt_long value and its argument (or NULL). */
struct cmd_opt {
    int val;
    const char *value;
};

/*
 * A command line as the dispatcher parsed it. With an option table, opts
 * holds the options in the order given and argv the positional arguments
 * (options may come anywhere; "--" ends them). An entry without a table
 * (options NULL) gets every argument after its name, unparsed, in argv.
 */
struct cmd_args {
    int nopts;
    struct cmd_opt opts[CMD_MAX_OPTS];
    int argc;
    char **argv;
};

/* Whether the option with value val was given. */
bool cmd_flag(const struct cmd_args *a, int val);

/* The argument of the last option with value val, or NULL. */
const char *cmd_value(const struct cmd_args *a, int val);

struct cmd_entry;
struct db_graph;

struct cmd_ctx {
    const char *prog;                /* "app" */
    const char *group;               /* "db" or NULL for top-level */
    const char *config_path;         /* --config, NULL for the default */
    struct db_config cfg;            /* loaded before exec */
    struct app_settings settings;    /* [server], [auth]: with cfg */
    struct db_conn *conn;            /* with CMD_NEEDS_DB */
    const struct db_schema *models;  /* the app's models */
    FILE *out;                       /* results */
    FILE *err;                       /* errors, prompts, progress */
    FILE *in;                        /* answers to prompts */
    bool interactive;                /* in is a terminal */
    const struct cmd_entry *entry;   /* the command running (dispatcher) */
    bool yes;                        /* CMD_DESTRUCTIVE: --yes was given */
    struct db_graph *graph;          /* with CMD_NEEDS_GRAPH */
};

struct cmd_entry {
    const char *name;
    const char *usage;     /* after "app db NAME ", e.g. "[--yes] [--sql]" */
    const char *summary;   /* one line for the listing */
    const char *help;      /* options, one per line; may be NULL */
    unsigned flags;
    int (*exec)(struct cmd_ctx *ctx, const struct cmd_args *args);

    /* The argument spec, checked before the config is read, so a usage
     * error is reported as one (exit 2) whatever the config says.
     * options: getopt_long's table (cmd_no_options: none); shortopts: its short
     * options (NULL: none, and an option missing its value is reported as
     * unknown or incomplete); positional arguments: min_args to max_args
     * (-1: no limit), and missing: the usage error for too few (NULL:
     * "missing argument"). */
    const struct option *options;
    const char *shortopts;
    int min_args;
    int max_args;
    const char *missing;
};

/* An empty getopt_long table, for commands that take no options. */
extern const struct option cmd_no_options[];

/* The NULL-terminated tables. */
extern const struct cmd_entry *const cmd_db_table[];
extern const struct cmd_entry *const cmd_top_table[];
extern const struct cmd_entry *const cmd_users_table[];

/* Finds an entry by exact name. */
const struct cmd_entry *cmd_find(const struct cmd_entry *const *table,
                                 const char *name);

/*
 * Runs argv[0] from table: --help, flags, config, connection, exec.
 * ctx->config_path, models, out, err, in, interactive must be set.
 */
int cmd_dispatch(struct cmd_ctx *ctx, const struct cmd_entry *const *table,
                 int argc, char **argv);

/* Prints the table's listing (for `app db --help`). */
void cmd_list(FILE *f, const char *prog, const char *group,
              const struct cmd_entry *const *table);

/* The library's words for a fix (db/error.h's hints: {db}, {reset}, ...)
 * are spelled by app_spell (words.h); every cmd_error line goes through it. */
/* "app db NAME: message" on ctx->err, NAME the running command's. */
void cmd_error(struct cmd_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints a library error as one line; returns CMD_FAILURE. */
int cmd_fail(struct cmd_ctx *ctx, const struct db_error *e);

/* Connects with ctx->cfg, retrying for [database] wait_seconds as the
 * dispatcher does for CMD_NEEDS_DB. */
int cmd_connect(struct cmd_ctx *ctx, struct db_conn **out,
                struct db_error *err);

/*
 * In the production phase, copies c's database into [migrations]
 * backup_dir and prints "backup: PATH" on ctx->err; a driver that cannot
 * back up (no pg_dump) gets a warning line. Does nothing in the pre-user
 * phase. Returns 0, or an error (err says why; nothing was changed).
 */
int cmd_backup(struct cmd_ctx *ctx, struct db_conn *c, struct db_error *err);

/* cmd_backup as a db_migrate_opts.before_change hook; hook is the ctx. */
int cmd_backup_before_change(void *hook, struct db_conn *c,
                             struct db_error *err);

/* Prints a usage error and the --help pointer; returns CMD_USAGE. */
int cmd_usage(struct cmd_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Asks for confirmation of a destructive action (CMD_DESTRUCTIVE). With
 * --yes (ctx->yes), returns true. On a terminal, asks `question` and waits
 * for "yes". Otherwise prints why it refuses and returns false.
 */
bool cmd_confirm(struct cmd_ctx *ctx, const char *question);

/* Whether the deploy script at path runs the schema step at start: a line,
 * not a comment, with "db prepare". 1 yes, 0 no, -1 no such file. */
int cmd_deploy_runs_prepare(const char *path);

/* Whether every entry of table has an option table, every CMD_DESTRUCTIVE
 * one takes --yes (its option value 'y') and every CMD_OFFLINE_SQL one
 * --sql ('s'): the table's own
 * consistency, checked by the tests. NULL, or the first entry that fails. */
const struct cmd_entry *cmd_table_check(const struct cmd_entry *const *table);

#endif /* APP_CMD_H */
