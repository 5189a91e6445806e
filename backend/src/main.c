/*
 * main.c - the app binary: `app serve`, `app db <command>`,
 * `app users <command>`.
 * The only place that ends the process.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "models/models.h"

#define APP_VERSION "0.1.0"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: app [--config FILE] <command> [options]\n\n"
            "commands:\n"
            "  serve          create or migrate the schema, then serve the "
            "JSON API\n"
            "  db <command>   database commands ('app db --help' lists them)\n"
            "  users <command>\n"
            "                 account commands ('app users --help' lists "
            "them)\n\n"
            "  --config FILE  read FILE instead of config/app.ini (also "
            "APP_CONFIG)\n"
            "  --version      print the version\n"
            "  --help         show this help\n");
}

/* Takes --config FILE / --config=FILE out of argv (up to "--"), anywhere,
 * and -c FILE before the command. Returns the new argc. */
static int take_config(int argc, char **argv, const char **path, int *bad)
{
    int out = 1, seen_command = 0, rest = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!rest && strcmp(a, "--") == 0)
            rest = 1;
        if (!rest && strncmp(a, "--config=", 9) == 0) {
            *path = a + 9;
            continue;
        }
        if (!rest && (strcmp(a, "--config") == 0 ||
                      (!seen_command && strcmp(a, "-c") == 0))) {
            if (i + 1 >= argc) {
                *bad = 1;
                return out;
            }
            *path = argv[++i];
            continue;
        }
        if (a[0] != '-')
            seen_command = 1;
        argv[out++] = argv[i];
    }
    argv[out] = NULL;
    return out;
}

static int finish(int status)
{
    /* A full disk or a closed pipe is a failure, not silent success. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "app: error writing output\n");
        return status ? status : CMD_FAILURE;
    }
    return status;
}

int main(int argc, char **argv)
{
    struct cmd_ctx ctx = {
        .prog = "app",
        .models = models_schema(),
        .out = stdout,
        .err = stderr,
        .in = stdin,
        .interactive = isatty(STDIN_FILENO),
    };
    int bad = 0;
    argc = take_config(argc, argv, &ctx.config_path, &bad);
    if (bad) {
        fprintf(stderr, "app: --config needs a file; see 'app --help'\n");
        return CMD_USAGE;
    }
    if (argc < 2) {
        usage(stderr);
        return CMD_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
        strcmp(cmd, "help") == 0) {
        usage(stdout);
        return finish(CMD_OK);
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("app %s\n", APP_VERSION);
        return finish(CMD_OK);
    }
    if (strcmp(cmd, "db") == 0 || strcmp(cmd, "users") == 0) {
        const struct cmd_entry *const *table =
            cmd[0] == 'd' ? cmd_db_table : cmd_users_table;
        ctx.group = cmd[0] == 'd' ? "db" : "users";
        if (argc < 3 || strcmp(argv[2], "--help") == 0 ||
            strcmp(argv[2], "-h") == 0) {
            cmd_list(argc < 3 ? stderr : stdout, "app", ctx.group, table);
            return finish(argc < 3 ? CMD_USAGE : CMD_OK);
        }
        return finish(cmd_dispatch(&ctx, table, argc - 2, argv + 2));
    }
    if (cmd[0] == '-') {
        fprintf(stderr, "app: unknown option '%s'; see 'app --help'\n", cmd);
        return CMD_USAGE;
    }
    return finish(cmd_dispatch(&ctx, cmd_top_table, argc - 1, argv + 1));
}
