/*
 * transition.c - `app db transition [--json]`: the checklist for moving
 * from create-all to versioned upgrades, each item with ✓ or ✗ and the
 * command that fixes it. Exit 0 only when every item passes.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "../db/flip.h"
#include "cmd.h"

#define DEPLOY_SCRIPT "scripts/deploy.sh"

static const struct option opts[] = {
    {"json", no_argument, NULL, 'j'},
    {NULL, 0, NULL, 0},
};

static int print_json(struct cmd_ctx *ctx, const struct db_flip_item *items,
                      bool all)
{
    json_t *list = json_array();
    json_t *root = json_pack("{s:b, s:o}", "ok", all, "items", list);
    if (!root)
        return -1;
    for (int i = 0; i < DB_FLIP_NITEMS; i++) {
        char detail[sizeof items[i].detail * 2], fix[sizeof items[i].fix * 2];
        app_spell(detail, sizeof detail, items[i].detail);
        app_spell(fix, sizeof fix, items[i].fix);
        json_array_append_new(
            list, json_pack("{s:s, s:s, s:b, s:s, s:s}", "name", items[i].name,
                            "title", items[i].title, "ok", items[i].ok,
                            "detail", detail, "fix", fix));
    }
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!text)
        return -1;
    fprintf(ctx->out, "%s\n", text);
    free(text);
    return 0;
}

static void print_text(struct cmd_ctx *ctx, const struct db_flip_item *items,
                       bool all)
{
    bool colour = isatty(fileno(ctx->out)) && !getenv("NO_COLOR");
    const char *green = colour ? "\033[32m" : "", *red = colour ? "\033[31m" : "",
               *reset = colour ? "\033[0m" : "";
    int passed = 0;
    fprintf(ctx->out, "transition checklist (%s):\n", ctx->cfg.path);
    for (int i = 0; i < DB_FLIP_NITEMS; i++) {
        const struct db_flip_item *it = &items[i];
        char detail[sizeof it->detail * 2], fix[sizeof it->fix * 2];
        app_spell(detail, sizeof detail, it->detail);
        app_spell(fix, sizeof fix, it->fix);
        passed += it->ok;
        fprintf(ctx->out, "%s%s%s %s: %s\n", it->ok ? green : red,
                it->ok ? "\xe2\x9c\x93" : "\xe2\x9c\x97", reset, it->title,
                detail);
        if (!it->ok)
            fprintf(ctx->out, "    fix: %s\n", fix);
    }
    fprintf(ctx->out, "%d of %d pass%s\n", passed, DB_FLIP_NITEMS,
            all ? ": ready for the production phase" : "");
}

int cmd_deploy_runs_prepare(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[1024];
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        const char *p = line + strspn(line, " \t");
        if (*p != '#' && strstr(p, "db prepare"))
            found = 1;
    }
    fclose(f);
    return found;
}

static int exec_transition(struct cmd_ctx *ctx, const struct cmd_args *args)
{
    bool json = cmd_flag(args, 'j');
    struct db_flip_item items[DB_FLIP_NITEMS];
    struct db_error err;
    struct db_flip_deploy deploy = {
        DEPLOY_SCRIPT, cmd_deploy_runs_prepare(DEPLOY_SCRIPT)};
    if (db_flip_checklist(items, ctx->conn, ctx->models, &deploy, &err))
        return cmd_fail(ctx, &err);
    bool all = true;
    for (int i = 0; i < DB_FLIP_NITEMS; i++)
        all = all && items[i].ok;
    if (json) {
        if (print_json(ctx, items, all)) {
            cmd_error(ctx, "out of memory");
            return CMD_FAILURE;
        }
    } else {
        print_text(ctx, items, all);
    }
    return all ? CMD_OK : CMD_FAILURE;
}

const struct cmd_entry cmd_transition_entry = {
    .name = "transition",
    .usage = "[--json]",
    .summary = "the checklist for the production phase: exit 0 when every "
               "item passes",
    .help = "  --json              print {\"ok\":..., \"items\":[{\"name\", "
            "\"ok\", \"detail\", \"fix\"}]}\n"
            "  Reads the database, the versions directory and "
            DEPLOY_SCRIPT " (from the\n"
            "  working directory); changes nothing.\n",
    .flags = CMD_NEEDS_DB,
    .options = opts,
    .shortopts = "",
    .min_args = 0,
    .max_args = 0,
    .exec = exec_transition,
};
