/*
 * status.c - `app db status`: current revision, pending count, heads,
 * phase, and anything that needs attention.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../db/migrate.h"
#include "cmd.h"

static int exec_status(struct cmd_ctx *ctx, const struct cmd_args *args)
{
    (void)args; /* no options or arguments: checked by the dispatcher */
    struct db_error err, problem;
    struct db_graph *g = ctx->graph; /* CMD_NEEDS_GRAPH */
    struct db_migrate_state st = {0};
    size_t *heads = NULL;
    int rc = db_migrate_state_read(&st, ctx->conn, g, &err);
    if (rc == 0 && !(heads = calloc(g->n ? g->n : 1, sizeof *heads)))
        rc = db_error_set(&err, DB_ENOMEM, "out of memory");
    if (rc)
        goto out;
    fprintf(ctx->out, "phase:    %s (%s)\n", db_phase_name(ctx->cfg.phase),
            ctx->cfg.phase_source);
    fprintf(ctx->out, "current:  ");
    if (st.nheads == 0)
        fprintf(ctx->out, "base%s", st.tables ? "" : " (no version table)");
    for (size_t k = 0; k < st.nheads; k++)
        fprintf(ctx->out, "%s%s", k ? " " : "", g->revs[st.heads[k]].id);
    size_t pending = 0;
    for (size_t i = 0; i < g->n; i++)
        pending += !st.applied[i];
    size_t nheads = db_graph_heads(heads, g);
    fprintf(ctx->out, "\npending:  %zu\nheads:    ", pending);
    if (nheads == 0)
        fprintf(ctx->out, "none (no revisions in %s)", g->dir);
    for (size_t k = 0; k < nheads; k++)
        fprintf(ctx->out, "%s%s", k ? " " : "", g->revs[heads[k]].id);
    if (nheads > 1)
        fprintf(ctx->out, " (branches: 'app db merge -m MSG heads')");
    fputc('\n', ctx->out);
    if (db_migrate_check(g, &st, &problem)) {
        char line[3072];
        db_error_format(line, sizeof line, &problem);
        fprintf(ctx->out, "attention: %s\n", line);
        err = problem;
        rc = problem.code;
    }
out:
    free(heads);
    db_migrate_state_free(&st);
    return rc ? cmd_fail(ctx, &err) : CMD_OK;
}

const struct cmd_entry cmd_status_entry = {
    .name = "status",
    .usage = "",
    .summary = "show the current revision, pending count, heads and phase",
    .flags = CMD_NEEDS_DB | CMD_NEEDS_GRAPH,
    .options = cmd_no_options,
    .min_args = 0,
    .max_args = 0,
    .exec = exec_status,
};
