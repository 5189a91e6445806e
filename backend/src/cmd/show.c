/*
 * show.c - `app db show REV`: one revision's header, state and file.
 */
#include <stdio.h>

#include "../db/migrate.h"
#include "cmd.h"

static int exec_show(struct cmd_ctx *ctx, const struct cmd_args *args)
{
    const char *id = args->argv[0]; /* exactly one: checked centrally */
    struct db_error err;
    struct db_graph *g = ctx->graph; /* CMD_NEEDS_GRAPH */
    struct db_migrate_state st = {0};
    size_t i;
    int rc = db_graph_find(&i, g, id, &err);
    if (rc == 0)
        rc = db_migrate_state_read(&st, ctx->conn, g, &err);
    if (rc == 0) {
        const struct db_revision *r = &g->revs[i];
        fprintf(ctx->out, "revision:      %s\n", r->id);
        fprintf(ctx->out, "down_revision: ");
        if (r->ndown == 0)
            fprintf(ctx->out, "(none: a base)");
        for (size_t k = 0; k < r->ndown; k++)
            fprintf(ctx->out, "%s%s", k ? ", " : "", r->down[k]);
        fprintf(ctx->out, "\nmessage:       %s\n", r->message);
        fprintf(ctx->out, "file:          %s\n", r->path);
        fprintf(ctx->out, "checksum:      %s\n", r->checksum);
        const struct db_history_row *h = db_migrate_applied_row(&st, g, i);
        if (st.applied[i])
            fprintf(ctx->out, "state:         %s%s%s%s\n",
                    h && h->operation[0] == 's' ? "stamped" : "applied",
                    h ? " " : "", h ? h->applied_at : "", h ? " UTC" : "");
        else
            fprintf(ctx->out, "state:         pending\n");
        if (st.applied[i] && h && h->checksum[0] &&
            db_migrate_check(g, &st, &err) == DB_EREFUSED)
            fprintf(ctx->out, "warning:       edited since it was applied "
                              "(applied checksum %s)\n", h->checksum);
        for (size_t b = 0; b < r->nblocks; b++) {
            const struct db_revision_block *blk = &r->blocks[b];
            fprintf(ctx->out, "\n-- +%s%s%s%s%s  (line %d)\n%s",
                    blk->direction == DB_UPGRADE ? "upgrade" : "downgrade",
                    blk->dialect ? " dialect=" : "",
                    blk->dialect ? db_dialect_name(blk->dialect) : "",
                    blk->transaction ? "" : " transaction=false", "",
                    blk->line - 1, blk->sql);
        }
        rc = 0;
    }
    db_migrate_state_free(&st);
    return rc ? cmd_fail(ctx, &err) : CMD_OK;
}

const struct cmd_entry cmd_show_entry = {
    .name = "show",
    .usage = "REV",
    .summary = "show one revision: parents, file, checksum, state, SQL",
    .help = "  REV                 a revision id or unique prefix\n",
    .flags = CMD_NEEDS_DB | CMD_NEEDS_GRAPH,
    .options = cmd_no_options,
    .min_args = 1,
    .max_args = 1,
    .exec = exec_show,
};
