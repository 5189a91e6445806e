/*
 * autogen.c - upgrade/downgrade text from diff(models, reflect(db)).
 */
#include "autogen.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diff.h"
#include "migrate.h"
#include "reflect.h"
#include "render.h"

void db_autogen_free(struct db_autogen *a)
{
    if (!a)
        return;
    free(a->upgrade);
    free(a->downgrade);
    memset(a, 0, sizeof *a);
}

/* One direction, for every dialect: one block when they all write the
 * same SQL, else one block per dialect. */
static int render_direction(char **out, size_t *nops, size_t *ndestructive,
                            const char *marker,
                            const struct db_schema *target,
                            const struct db_schema *current,
                            enum db_dialect live, struct db_error *err)
{
    enum { MAX = 8 };
    const struct db_dialect_ops *const *dialects = db_dialects;
    struct db_buf sql[MAX], guards[MAX];
    bool rebuild[MAX], online[MAX];
    size_t n = 0;
    int rc = 0;
    for (; dialects[n] && n < MAX && rc == 0; n++) {
        struct db_diff d;
        sql[n] = guards[n] = (struct db_buf)DB_BUF_INIT;
        rebuild[n] = online[n] = false;
        rc = db_diff_schemas_from(&d, target, current, dialects[n]->id,
                                  live, err);
        if (rc) {
            n++;
            break;
        }
        if (dialects[n]->id == live) {
            *nops = d.n;
            *ndestructive = 0;
            for (size_t k = 0; k < d.n; k++)
                *ndestructive += d.ops[k].destructive;
        }
        rc = db_diff_render(&sql[n], &d, dialects[n]->id,
                            DB_DIFF_COMMENTS | DB_DIFF_ONLINE, err);
        rebuild[n] = db_diff_any_rebuild(&d, dialects[n]->id);
        online[n] = db_diff_any_online(&d, dialects[n]->id);
        if (online[n])
            db_diff_render_guards(&guards[n], &d, dialects[n]->id,
                                  DB_DIFF_COMMENTS);
        db_diff_free(&d);
    }
    struct db_buf text = DB_BUF_INIT;
    if (rc == 0) {
        bool same = true;
        for (size_t i = 1; i < n; i++)
            same = same && strcmp(db_buf_str(&sql[0]), db_buf_str(&sql[i])) == 0;
        if (same) {
            db_buf_puts(&text, db_buf_str(&sql[0]));
        } else {
            /* A table rebuild drops and renames tables that others
             * reference: its section carries the dialect's option (SQLite:
             * foreign_keys=off, so it runs with enforcement off and is
             * checked with PRAGMA foreign_key_check before it commits).
             * Online forms commit statement by statement (PostgreSQL:
             * transaction=false); the guards of the validations they
             * hold come first, in a transactional section of their own,
             * so that rows breaking a new rule stop the revision before
             * anything has changed. */
            for (size_t i = 0; i < n; i++) {
                const char *opt = rebuild[i] ? dialects[i]->rebuild_option
                                             : NULL;
                const char *on = online[i] ? dialects[i]->online_option
                                           : NULL;
                if (guards[i].len > 0)
                    db_buf_printf(&text, "%s-- %s dialect=%s%s%s\n%s\n",
                                  i ? "\n" : "", marker, dialects[i]->name,
                                  opt ? " " : "", opt ? opt : "",
                                  db_buf_str(&guards[i]));
                db_buf_printf(&text, "%s-- %s dialect=%s%s%s%s%s\n%s",
                              i && !guards[i].len ? "\n" : "", marker,
                              dialects[i]->name,
                              opt ? " " : "", opt ? opt : "",
                              on ? " " : "", on ? on : "",
                              db_buf_str(&sql[i]));
            }
        }
        /* the template adds the line break after ${upgrade} */
        while (text.len > 0 && text.data[text.len - 1] == '\n')
            text.data[--text.len] = '\0';
        if (!db_buf_ok(&text))
            rc = db_error_set(err, DB_ENOMEM, "out of memory");
        for (size_t i = 0; i < n && rc == 0; i++)
            if (!db_buf_ok(&guards[i]))
                rc = db_error_set(err, DB_ENOMEM, "out of memory");
    }
    if (rc == 0) {
        *out = strdup(db_buf_str(&text));
        if (!*out)
            rc = db_error_set(err, DB_ENOMEM, "out of memory");
    }
    db_buf_free(&text);
    for (size_t i = 0; i < n; i++) {
        db_buf_free(&sql[i]);
        db_buf_free(&guards[i]);
    }
    return rc;
}

/* DB_EREFUSED when some revision of g is not applied to c's database. */
static int at_head(struct db_conn *c, const struct db_graph *g,
                   struct db_error *err)
{
    if (!g || g->n == 0)
        return 0;
    struct db_migrate_state st;
    memset(&st, 0, sizeof st);
    int rc = db_migrate_state_read(&st, c, g, err);
    if (rc == 0)
        rc = db_migrate_check(g, &st, err);
    size_t pending = 0;
    for (size_t i = 0; rc == 0 && i < g->n; i++)
        pending += !st.applied || !st.applied[i];
    db_migrate_state_free(&st);
    if (rc == 0 && pending > 0) {
        db_error_set(err, DB_EREFUSED,
                     "the database is not at the head: %zu revision%s not "
                     "applied, and an autogenerated revision would repeat "
                     "their changes", pending, pending == 1 ? " is" : "s are");
        db_error_hint(err, "run '{db} upgrade head' first");
        rc = DB_EREFUSED;
    }
    return rc;
}

int db_autogen(struct db_autogen *out, struct db_conn *c,
               const struct db_graph *g, const struct db_schema *models,
               unsigned flags, struct db_error *err)
{
    memset(out, 0, sizeof *out);
    int rc = db_schema_validate(models, err);
    if (rc == 0)
        rc = at_head(c, g, err);
    if (rc)
        return rc;
    struct db_reflection *r;
    rc = db_reflect(&r, c, (flags & DB_AUTOGEN_ALL_TABLES) ? NULL : models, 0,
                    err);
    if (rc)
        return rc;
    rc = db_autogen_schemas(out, models, &r->schema, c->driver->dialect, err);
    db_reflection_free(r);
    return rc;
}

int db_autogen_schemas(struct db_autogen *out, const struct db_schema *target,
                       const struct db_schema *current, enum db_dialect live,
                       struct db_error *err)
{
    memset(out, 0, sizeof *out);
    size_t ndown = 0, ddown = 0;
    int rc = render_direction(&out->upgrade, &out->nops, &out->ndestructive,
                              "+upgrade", target, current, live, err);
    if (rc == 0)
        rc = render_direction(&out->downgrade, &ndown, &ddown, "+downgrade",
                              current, target, live, err);
    return rc;
}

int db_autogen_cfg(struct db_autogen *out, const struct db_config *cfg,
                   const struct db_graph *g, const struct db_schema *models,
                   unsigned flags, struct db_error *err)
{
    memset(out, 0, sizeof *out);
    struct db_conn *c;
    int rc = db_connect(&c, cfg, err);
    if (rc)
        return rc;
    rc = db_autogen(out, c, g, models, flags, err);
    db_disconnect(c);
    return rc;
}
