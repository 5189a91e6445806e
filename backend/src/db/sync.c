/*
 * sync.c - pre-user start-up: reflect, diff, refuse or apply.
 */
#include "sync.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "diff.h"
#include "reflect.h"

/* Whether op would lose data here; needs_empty ops look at the rows. */
static int loses_data(struct db_conn *c, const struct db_op *op, bool *out,
                      struct db_error *err)
{
    *out = op->destructive;
    if (!op->needs_empty || op->destructive)
        return 0;
    long rows = 0;
    int rc = db_table_rows(&rows, c, op->table->name, err);
    if (rc == DB_ENOTFOUND)
        return 0;
    if (rc)
        return rc;
    *out = rows > 0;
    return 0;
}

/* DB_EDRIFT listing the destructive operations, or 0 when there are none. */
static int refuse_destructive(struct db_conn *c, const struct db_diff *d,
                              struct db_error *err)
{
    struct db_buf list = DB_BUF_INIT;
    size_t n = 0;
    for (size_t i = 0; i < d->n; i++) {
        bool bad;
        int rc = loses_data(c, &d->ops[i], &bad, err);
        if (rc) {
            db_buf_free(&list);
            return rc;
        }
        if (!bad)
            continue;
        db_buf_puts(&list, n ? "; " : "");
        db_diff_describe(&list, &d->ops[i], c->driver->dialect);
        if (d->ops[i].why)
            db_buf_printf(&list, " (%s)", d->ops[i].why);
        n++;
    }
    if (n == 0) {
        db_buf_free(&list);
        return 0;
    }
    db_error_set(err, DB_EDRIFT,
                 "the models changed in a way that would lose data, so "
                 "nothing was changed: %s", db_buf_str(&list));
    db_error_hint(err, "undo the model edit, or start over with empty "
                       "tables: {reset} ({db} reset --yes)");
    db_buf_free(&list);
    return DB_EDRIFT;
}

int db_sync_models(struct db_conn *c, const struct db_schema *models,
                   struct db_error *err)
{
    int rc = db_schema_validate(models, err);
    if (rc)
        return rc;
    /* the common case: nothing to do, no lock taken */
    struct db_reflection *r = NULL;
    struct db_diff d = DB_DIFF_INIT;
    rc = db_diff_live(&d, &r, c, models, false, err);
    if (rc == 0 && d.n > 0)
        rc = refuse_destructive(c, &d, err);
    size_t n = d.n;
    db_diff_free(&d);
    db_reflection_free(r);
    r = NULL;
    if (rc || n == 0)
        return rc;

    /* again under the write lock: another process may have been first */
    /* the dialect's protocol for a change that may rebuild tables; it
     * only works outside a transaction */
    bool fk_off = !c->in_tx;
    if (fk_off && (rc = db_fk_enforcement(c, 0, err)))
        return rc;
    rc = db_lock(c, err);
    bool locked = rc == 0;
    if (rc == 0)
        rc = db_begin(c, err);
    if (rc == 0) {
        rc = db_diff_live(&d, &r, c, models, false, err);
        if (rc == 0)
            rc = refuse_destructive(c, &d, err);
        struct db_buf sql = DB_BUF_INIT;
        if (rc == 0 && d.n > 0) {
            rc = db_diff_render(&sql, &d, c->driver->dialect, 0, err);
            if (rc == 0)
                rc = db_diff__exec_checked(c, db_buf_str(&sql), err);
        }
        db_buf_free(&sql);
        if (rc == 0) {
            rc = db_commit(c, err);
        } else {
            struct db_error ignored;
            db_rollback(c, &ignored);
        }
        db_diff_free(&d);
        db_reflection_free(r);
    }
    if (locked)
        rc = db_unlock_after(c, rc, err);
    if (fk_off) {
        struct db_error e2;
        int frc = db_fk_enforcement(c, 1, rc ? &e2 : err);
        if (rc == 0)
            rc = frc;
    }
    return rc;
}

int db_sync_check(struct db_conn *c, const struct db_schema *models,
                  struct db_error *err)
{
    int rc = db_schema_validate(models, err);
    if (rc)
        return rc;
    struct db_reflection *r = NULL;
    struct db_diff d = DB_DIFF_INIT;
    rc = db_diff_live(&d, &r, c, models, false, err);
    if (rc == 0 && d.n > 0) {
        struct db_buf list = DB_BUF_INIT;
        for (size_t i = 0; i < d.n; i++) {
            db_buf_puts(&list, i ? "; " : "");
            db_diff_describe(&list, &d.ops[i], c->driver->dialect);
        }
        db_error_set(err, DB_EDRIFT,
                     "the database at the head revision differs from the "
                     "models (%zu difference%s): %s", d.n,
                     d.n == 1 ? "" : "s", db_buf_str(&list));
        db_error_hint(err, "write the missing revision with '{db} "
                           "revision --autogenerate -m MESSAGE', review it, "
                           "and deploy it");
        db_buf_free(&list);
        rc = DB_EDRIFT;
    }
    db_diff_free(&d);
    db_reflection_free(r);
    return rc;
}
