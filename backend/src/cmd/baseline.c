/*
 * baseline.c - `app db baseline -m MSG`: the first revision, written from
 * the models (what an empty database needs to become their schema).
 */
#include <getopt.h>
#include <stdio.h>

#include "../db/flip.h"
#include "cmd.h"

static const struct option opts[] = {
    {"message", required_argument, NULL, 'm'},
    {NULL, 0, NULL, 0},
};

static int exec_baseline(struct cmd_ctx *ctx, const struct cmd_args *args)
{
    const char *message = cmd_value(args, 'm');
    if (!message)
        return cmd_usage(ctx, "missing -m MESSAGE");
    struct db_error err;
    char path[2048];
    if (db_flip_baseline(path, sizeof path, &ctx->cfg, ctx->models, message,
                         &err))
        return cmd_fail(ctx, &err);
    fprintf(ctx->out, "%s\n", path);
    return CMD_OK;
}

const struct cmd_entry cmd_baseline_entry = {
    .name = "baseline",
    .usage = "-m MESSAGE",
    .summary = "write the first revision (0001) from the models; print its "
               "path",
    .help = "  -m, --message TEXT  what the revision is (also names the "
            "file)\n"
            "  Refused when the versions directory already has revisions.\n",
    .flags = 0,
    .options = opts,
    .shortopts = "m:",
    .min_args = 0,
    .max_args = 0,
    .exec = exec_baseline,
};
