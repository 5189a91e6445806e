/*
 * migrate_sql.c - upgrade and downgrade as a SQL script (--sql), version
 * table statements included, without connecting.
 */
#include "migrate.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "migrate_internal.h"

/* ---- offline SQL -------------------------------------------------------- */

struct emit_ctx {
    struct db_buf *out;
};

static int emit_statement(void *ctx, const char *stmt, size_t len, int line)
{
    (void)line;
    struct emit_ctx *e = ctx;
    db_buf_putn(e->out, stmt, len);
    db_buf_puts(e->out, ";\n");
    return 0;
}

struct move_ctx {
    struct db_buf *out;
    const struct db_migrate_vt_names *t;
};

/* A head that goes is deleted and one that comes inserted. */
static int emit_move(void *ctx, const char *id, bool comes)
{
    struct move_ctx *m = ctx;
    db_migrate__vt_expand(m->out, m->t,
                          comes ? "INSERT INTO " VT " (\"revision\") VALUES ("
                                : "DELETE FROM " VT " WHERE \"revision\" = ");
    db_buf_literal(m->out, id);
    db_buf_puts(m->out, comes ? ");\n" : ";\n");
    return 0;
}

static void emit_revision(struct db_buf *out, const struct db_graph *g,
                          unsigned char *applied, size_t i,
                          enum db_direction dir, enum db_dialect d,
                          const struct db_migrate_vt_names *t)
{
    const struct db_revision *r = &g->revs[i];
    bool tx = !db_revision_needs_no_tx(r, dir, d);
    size_t *old = calloc(g->n ? g->n : 1, sizeof *old);
    size_t *now = calloc(g->n ? g->n : 1, sizeof *now);
    if (!old || !now) {
        out->oom = true;
        free(old);
        free(now);
        return;
    }
    db_buf_printf(out, "-- %s %s: %s\n",
                  dir == DB_UPGRADE ? "upgrade" : "downgrade", r->id,
                  r->message);
    const struct db_dialect_ops *x = db_dialect_get(d);
    bool fk_off = x->fk_off_sql && db_revision_needs_fk_off(r, dir, d);
    if (fk_off)
        db_buf_printf(out, "%s;\n", x->fk_off_sql);
    if (tx)
        db_buf_puts(out, "BEGIN;\n");
    for (size_t b = 0; b < r->nblocks; b++) {
        const struct db_revision_block *blk = &r->blocks[b];
        if (blk->direction != dir || (blk->dialect && blk->dialect != (int)d))
            continue;
        /* outside a transaction, a section without transaction=false
         * still runs in one of its own (none when it is empty) */
        struct db_buf sec = DB_BUF_INIT;
        struct emit_ctx es = {&sec};
        db_sql_split(blk->sql, d, blk->line, emit_statement, &es, NULL);
        bool own = !tx && blk->transaction && sec.len > 0;
        if (own)
            db_buf_puts(out, "BEGIN;\n");
        db_buf_puts(out, db_buf_str(&sec));
        if (own)
            db_buf_puts(out, "COMMIT;\n");
        if (!db_buf_ok(&sec))
            out->oom = true;
        db_buf_free(&sec);
    }
    if (!tx)
        db_buf_puts(out, "BEGIN;\n");
    size_t nold = db_graph_current(old, g, applied);
    applied[i] = dir == DB_UPGRADE;
    size_t nnow = db_graph_current(now, g, applied);
    struct move_ctx m = {out, t};
    db_migrate__head_moves(g, old, nold, now, nnow, emit_move, &m);
    db_migrate__vt_expand(out, t, db_migrate__history_insert_head(t));
    db_buf_literal(out, r->id);
    db_buf_printf(out, ", '%s', CURRENT_TIMESTAMP, 0, ",
                  dir == DB_UPGRADE ? "up" : "down");
    db_buf_literal(out, r->checksum);
    db_buf_puts(out, ");\n");
    if (fk_off) /* lists any row whose foreign key points nowhere */
        db_buf_printf(out, "%s;\n", x->fk_check_sql);
    db_buf_puts(out, "COMMIT;\n");
    if (fk_off)
        db_buf_printf(out, "%s;\n", x->fk_on_sql);
    db_buf_puts(out, "\n");
    free(old);
    free(now);
}

int db_migrate_sql(struct db_buf *out, const struct db_graph *g,
                   enum db_dialect d, const char *schema,
                   enum db_direction dir, const char *range,
                   struct db_error *err)
{
    /* the version tables as a connection of that dialect names them */
    struct db_migrate_vt_names t;
    const struct db_dialect_ops *x = db_dialect_get(d);
    db_migrate__vt_names(&t, x && x->schema ? x->schema : schema, x);
    char from[256] = "";
    const char *target = range;
    const char *colon = strchr(range, ':');
    if (colon) {
        snprintf(from, sizeof from, "%.*s", (int)(colon - range), range);
        target = colon + 1;
    }
    if (dir == DB_DOWNGRADE && !from[0]) {
        db_error_set(err, DB_EUSAGE, "downgrade --sql needs FROM:TARGET");
        db_error_hint(err, "offline there is no database to ask where it "
                           "is: write e.g. 0003:0001 or head:base");
        return DB_EUSAGE;
    }
    unsigned char *applied = calloc(g->n ? g->n : 1, 1);
    unsigned char *set = calloc(g->n ? g->n : 1, 1);
    size_t *plan = calloc(g->n ? g->n : 1, sizeof *plan);
    int rc = 0;
    if (!applied || !set || !plan) {
        rc = db_error_nomem(err);
        goto out;
    }
    if (from[0] && strcmp(from, "base") != 0 &&
        (rc = db_graph_upgrade_target(applied, g, set, from, err)))
        goto out;
    if (dir == DB_UPGRADE) {
        if ((rc = db_graph_upgrade_target(set, g, applied, target, err)))
            goto out;
        for (size_t i = 0; i < g->n; i++)
            if (set[i] && !applied[i] &&
                (rc = db_revision_check(&g->revs[i], dir, d, err)))
                goto out;
        for (size_t i = 0; db_migrate__create_tables[i]; i++) {
            db_migrate__vt_expand(out, &t, db_migrate__create_tables[i]);
            db_buf_puts(out, ";\n\n");
        }
        for (size_t i = 0; i < g->n; i++)
            if (set[i] && !applied[i])
                emit_revision(out, g, applied, i, dir, d, &t);
    } else {
        struct db_migrate_state st = {.applied = applied};
        size_t n;
        if ((rc = db_migrate_plan_downgrade(plan, &n, g, &st, target, err)))
            goto out;
        for (size_t k = 0; k < n; k++)
            if ((rc = db_revision_check(&g->revs[plan[k]], dir, d, err)))
                goto out;
        for (size_t k = 0; k < n; k++)
            emit_revision(out, g, applied, plan[k], dir, d, &t);
    }
    if (!db_buf_ok(out))
        rc = db_error_nomem(err);
out:
    free(applied);
    free(set);
    free(plan);
    return rc;
}
