/*
 * flip.c - baseline, verified stamp, rehearsal and the transition checklist.
 */
#include "flip.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autogen.h"
#include "database.h"
#include "diff.h"
#include "lint.h"
#include "meta.h"
#include "migrate.h"
#include "render.h"

/* ---- revision text ------------------------------------------------------ */

int db_flip_baseline(char *out_path, size_t n, const struct db_config *cfg,
                     const struct db_schema *models, const char *message,
                     struct db_error *err)
{
    struct db_graph *g;
    int rc = db_migrate_load(&g, cfg, err);
    if (rc)
        return rc;
    if (g->n > 0) {
        struct db_buf names = DB_BUF_INIT;
        for (size_t i = 0; i < g->n && i < 5; i++) {
            const char *slash = strrchr(g->revs[i].path, '/');
            db_buf_printf(&names, "%s%s", i ? ", " : "",
                          slash ? slash + 1 : g->revs[i].path);
        }
        if (g->n > 5)
            db_buf_printf(&names, ", ... (%zu in all)", g->n);
        db_error_set(err, DB_EEXISTS,
                     "%s already has revisions (%s); the baseline is the "
                     "first revision", g->dir, db_buf_str(&names));
        db_error_hint(err, "write later changes with '{db} revision "
                           "--autogenerate -m MSG'; to start over, delete "
                           "the files before anything is stamped");
        db_buf_free(&names);
        db_graph_free(g);
        return DB_EEXISTS;
    }
    static const struct db_schema empty = {NULL, 0};
    struct db_autogen ag = DB_AUTOGEN_INIT;
    rc = db_schema_validate(models, err);
    if (rc == 0)
        rc = db_autogen_schemas(&ag, models, &empty, db_dialects[0]->id, err);
    if (rc == 0 && ag.nops == 0)
        rc = db_error_set(err, DB_EUSAGE, "the models declare no tables: "
                                          "there is nothing to baseline");
    if (rc == 0)
        rc = db_migrate_new_revision(out_path, n, cfg, g, NULL, message, NULL,
                                     0, ag.upgrade, ag.downgrade, err);
    db_autogen_free(&ag);
    db_graph_free(g);
    return rc;
}

/* ---- scratch databases -------------------------------------------------- */

int db_flip_scratch(struct db_reflection **out, struct db_conn *c,
                    const struct db_graph *g, const char *target,
                    struct db_error *err)
{
    *out = NULL;
    struct db_config *scfg = malloc(sizeof *scfg);
    if (!scfg)
        return db_error_nomem(err);
    *scfg = *c->cfg;
    const struct db_dialect_ops *x = db_dialect_get(c->driver->dialect);
    x->scratch_config(scfg);
    struct db_conn *s = NULL;
    int rc = db_connect(&s, scfg, err);
    if (rc == 0) {
        rc = db_migrate_upgrade(s, g, target, NULL, NULL, err);
        if (rc) {
            db_error_prefix(err, "the revisions up to %s do not build in a "
                                 "scratch database", target);
            db_error_hint(err, "fix the revision; when the live schema is "
                               "known to be right, '{db} stamp "
                               "--no-verify' skips the check");
        }
    }
    if (rc == 0)
        rc = db_reflect(out, s, NULL, 0, err);
    db_disconnect(s);
    if (x->scratch_drop) {
        /* always, also when the build failed half-way */
        struct db_error derr;
        int drc = x->scratch_drop(c, scfg, &derr);
        if (drc && rc == 0) {
            *err = derr;
            rc = drc;
        }
    }
    free(scfg);
    if (rc) {
        db_reflection_free(*out);
        *out = NULL;
    }
    return rc;
}

/* Each operation as a comment and the SQL that does it, as `check` shows. */
static int render_differences(struct db_buf *out, const struct db_diff *diff,
                              enum db_dialect d, struct db_error *err)
{
    int rc = 0;
    for (size_t i = 0; i < diff->n && rc == 0; i++) {
        const struct db_op *op = &diff->ops[i];
        db_buf_puts(out, "-- ");
        if (op->destructive)
            db_buf_puts(out, "DESTRUCTIVE: ");
        db_diff_describe(out, op, d);
        if (op->why)
            db_buf_printf(out, " (%s)", op->why);
        db_buf_puts(out, "\n");
        bool shown = false;
        if (db_diff_rebuilds(diff, i, d))
            for (size_t j = 0; j < i && !shown; j++)
                shown = db_diff_rebuilds(diff, j, d) &&
                        strcmp(diff->ops[j].table->name,
                               op->table->name) == 0;
        if (shown)
            db_buf_puts(out, "--   (done by the rebuild above)\n");
        else
            rc = db_diff_render_op(out, diff, i, d, err);
    }
    return rc;
}

int db_flip_verify(struct db_buf *report, size_t *ndiff, struct db_conn *c,
                   const struct db_graph *g, const char *target,
                   struct db_error *err)
{
    if (ndiff)
        *ndiff = 0;
    struct db_reflection *want = NULL, *live = NULL;
    struct db_diff diff = DB_DIFF_INIT;
    enum db_dialect d = c->driver->dialect;
    int rc = db_flip_scratch(&want, c, g, target, err);
    if (rc == 0)
        rc = db_reflect(&live, c, NULL, 0, err);
    if (rc == 0)
        rc = db_diff_schemas(&diff, &want->schema, &live->schema, d, err);
    if (rc == 0 && diff.n > 0) {
        if (ndiff)
            *ndiff = diff.n;
        if (report)
            rc = render_differences(report, &diff, d, err);
        if (rc == 0) {
            rc = db_error_set(err, DB_EDRIFT,
                              "the live database does not match the schema "
                              "the revisions up to %s build: %zu "
                              "difference%s",
                              target, diff.n, diff.n == 1 ? "" : "s");
            db_error_hint(err, "bring the database to that schema (the SQL "
                               "listed), or stamp the revision it does "
                               "match; --no-verify skips this check");
        }
    }
    db_diff_free(&diff);
    db_reflection_free(live);
    db_reflection_free(want);
    return rc;
}

int db_flip_stamp(struct db_buf *report, struct db_conn *c,
                  const struct db_graph *g, const char *target, bool verify,
                  struct db_error *err)
{
    bool base = strcmp(target, "base") == 0;
    int rc = 0;
    if (verify && !base && (rc = db_flip_verify(report, NULL, c, g, target,
                                                err)))
        return rc;
    if ((rc = db_migrate_stamp(c, g, target, err)))
        return rc;
    if (!base && c->cfg->phase == DB_PHASE_PRODUCTION &&
        (rc = db_meta_set(c, "phase", "production", err)))
        db_error_prefix(err, "stamped %s, but recording the phase failed",
                        target);
    return rc;
}

/* ---- rehearsal: rehearse.c ---- */

/* The heads of g, joined with ','. */
void db_flip_heads_text(char *out, size_t n, const struct db_graph *g)
{
    size_t *h = calloc(g->n ? g->n : 1, sizeof *h);
    out[0] = '\0';
    if (!h)
        return;
    size_t nh = db_graph_heads(h, g), len = 0;
    for (size_t k = 0; k < nh && len < n; k++)
        len += (size_t)snprintf(out + len, n - len, "%s%s", k ? "," : "",
                                g->revs[h[k]].id);
    free(h);
}

/* ---- the checklist ------------------------------------------------------ */

static void item(struct db_flip_item *it, bool ok, const char *fix,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void item(struct db_flip_item *it, bool ok, const char *fix,
                 const char *fmt, ...)
{
    it->ok = ok;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(it->detail, sizeof it->detail, fmt, ap);
    va_end(ap);
    snprintf(it->fix, sizeof it->fix, "%s", ok ? "" : fix);
}

static void check_data(struct db_flip_item *it, struct db_conn *c,
                       const struct db_schema *models)
{
    struct db_buf d = DB_BUF_INIT;
    long total = 0;
    for (size_t i = 0; i < models->ntables; i++) {
        long n = 0;
        struct db_error e;
        int rc = db_table_rows(&n, c, models->tables[i]->name, &e);
        db_buf_printf(&d, "%s%s ", i ? ", " : "", models->tables[i]->name);
        if (rc == DB_ENOTFOUND)
            db_buf_puts(&d, "missing");
        else if (rc)
            db_buf_printf(&d, "unreadable (%s)", e.message);
        else
            db_buf_printf(&d, "%ld row%s", n, n == 1 ? "" : "s");
        total += rc ? 0 : n;
    }
    item(it, total > 0,
         "nothing to flip yet: keep using the pre-user phase until real data "
         "arrives ('{db} prepare' creates the tables)",
         "%s", db_buf_ok(&d) ? db_buf_str(&d) : "out of memory");
    db_buf_free(&d);
}

int db_flip_checklist(struct db_flip_item items[DB_FLIP_NITEMS],
                      struct db_conn *c, const struct db_schema *models,
                      const struct db_flip_deploy *deploy,
                      struct db_error *err)
{
    static const char *const names[DB_FLIP_NITEMS][2] = {
        {"data", "real data present"},
        {"baseline", "a baseline revision exists"},
        {"baseline_matches", "the baseline equals the live schema"},
        {"stamped", "the database is stamped"},
        {"no_drift", "no drift from the models"},
        {"phase", "phase = production in the config deploy uses"},
        {"deploy", "deploy runs migrations"},
        {"rehearsal", "the rehearsal passed"},
        {"lint", "the revisions lint clean for a live database"},
    };
    const struct db_config *cfg = c->cfg;
    memset(items, 0, sizeof(struct db_flip_item) * DB_FLIP_NITEMS);
    for (int i = 0; i < DB_FLIP_NITEMS; i++) {
        items[i].name = names[i][0];
        items[i].title = names[i][1];
    }
    struct db_graph *g = NULL;
    struct db_migrate_state st = {0};
    struct db_error e;
    int rc = db_migrate_load(&g, cfg, err);
    if (rc)
        return rc;

    check_data(&items[DB_FLIP_DATA], c, models);

    /* baseline: a revision with no parent */
    long base = -1;
    for (size_t i = 0; i < g->n && base < 0; i++)
        if (g->revs[i].ndown == 0)
            base = (long)i;
    if (base >= 0)
        item(&items[DB_FLIP_BASELINE], true, "", "%s", g->revs[base].path);
    else
        item(&items[DB_FLIP_BASELINE], false,
             "{db} baseline -m \"baseline\"", "%s has no revisions",
             g->dir);

    /* stamped */
    if ((rc = db_migrate_state_read(&st, c, g, err)))
        goto out;
    char cur[DB_REVISION_ID_MAX] = "";
    if (st.nheads > 0) {
        snprintf(cur, sizeof cur, "%s", g->revs[st.heads[0]].id);
        item(&items[DB_FLIP_STAMPED], true, "", "at %s%s", cur,
             st.nheads > 1 ? " (and other heads)" : "");
    } else if (st.unknown[0]) {
        item(&items[DB_FLIP_STAMPED], false, "{db} stamp head",
             "the version table names %s, which has no revision file",
             st.unknown);
    } else {
        item(&items[DB_FLIP_STAMPED], false,
             base >= 0 ? "{db} stamp head" : "{db} baseline -m "
                                               "\"baseline\", then {db} "
                                               "stamp head",
             st.tables ? "the version table has no head" : "no version "
                                                           "table");
    }

    /* the revisions build the live schema */
    const char *target = st.nheads == 1 ? cur
                         : base >= 0    ? g->revs[base].id
                                        : NULL;
    if (!target) {
        item(&items[DB_FLIP_BASELINE_LIVE], false,
             "{db} baseline -m \"baseline\"", "no baseline to compare");
    } else {
        size_t nd = 0;
        rc = db_flip_verify(NULL, &nd, c, g, target, &e);
        if (rc == 0)
            item(&items[DB_FLIP_BASELINE_LIVE], true, "",
                 "the revisions up to %s build the live schema", target);
        else if (rc == DB_EDRIFT)
            item(&items[DB_FLIP_BASELINE_LIVE], false,
                 st.nheads ? "{db} stamp --no-verify base, then bring the "
                             "schema to a revision and stamp it"
                           : "see the differences: {db} stamp head",
                 "%zu difference%s between the live schema and the "
                 "revisions up to %s", nd, nd == 1 ? "" : "s", target);
        else
            item(&items[DB_FLIP_BASELINE_LIVE], false,
                 "fix the revision named, then run this again",
                 "cannot build the revisions up to %s: %s", target,
                 e.message);
        rc = 0;
    }

    /* drift from the models */
    {
        struct db_reflection *r = NULL;
        struct db_diff diff = DB_DIFF_INIT;
        int drc = db_diff_live(&diff, &r, c, models, false, &e);
        if (drc)
            item(&items[DB_FLIP_NO_DRIFT], false, "{db} check",
                 "cannot compare: %s", e.message);
        else if (diff.n == 0)
            item(&items[DB_FLIP_NO_DRIFT], true, "",
                 "the database matches the models (%zu tables)",
                 models->ntables);
        else
            item(&items[DB_FLIP_NO_DRIFT], false,
                 cfg->phase == DB_PHASE_PRODUCTION
                     ? "{db} revision --autogenerate -m MSG, then {db} "
                       "upgrade"
                     : "{db} prepare (create-all), then {db} check",
                 "%zu difference%s between the models and the database "
                 "({db} check lists them)", diff.n,
                 diff.n == 1 ? "" : "s");
        db_diff_free(&diff);
        db_reflection_free(r);
    }

    /* phase */
    bool prod = cfg->phase == DB_PHASE_PRODUCTION;
    if (prod)
        item(&items[DB_FLIP_PHASE], true, "", "production (set by %s%s)",
             cfg->phase_source,
             strcmp(cfg->phase_source, "APP_PHASE") == 0
                 ? "; the environment, not the file: make sure deploy's "
                   "environment sets it too"
                 : "");
    else {
        char fix[512];
        snprintf(fix, sizeof fix, "set [app] phase = production in %s",
                 cfg->path[0] ? cfg->path : DB_CONFIG_DEFAULT_PATH);
        item(&items[DB_FLIP_PHASE], false, fix, "%s (set by %s)",
             db_phase_name(cfg->phase), cfg->phase_source);
    }

    /* deploy */
    const char *deploy_script = deploy->script;
    int prep = deploy->runs_schema_step;
    if (prep < 0)
        item(&items[DB_FLIP_DEPLOY], false,
             "deploy with {deploy-script} ({deploy}), which runs '{db} "
             "prepare'", "%s not found", deploy_script);
    else if (prep == 0)
        item(&items[DB_FLIP_DEPLOY], false,
             "restore the '{db} prepare' step in the deploy script",
             "%s does not run '{db} prepare'", deploy_script);
    else if (!prod)
        item(&items[DB_FLIP_DEPLOY], false, items[DB_FLIP_PHASE].fix,
             "%s runs '{db} prepare', which is create-all in the %s phase",
             deploy_script, db_phase_name(cfg->phase));
    else
        item(&items[DB_FLIP_DEPLOY], true, "",
             "%s runs '{db} prepare': upgrade to head under the lock",
             deploy_script);

    /* rehearsal */
    {
        char heads[1024], done[1024];
        db_flip_heads_text(heads, sizeof heads, g);
        int mrc = db_meta_get(c, DB_FLIP_REHEARSAL_KEY, done, sizeof done, &e);
        if (mrc == DB_ENOTFOUND)
            item(&items[DB_FLIP_REHEARSAL], false,
                 "{db} upgrade --rehearse", "no rehearsal recorded");
        else if (mrc)
            item(&items[DB_FLIP_REHEARSAL], false,
                 "{db} upgrade --rehearse", "cannot read it: %s",
                 e.message);
        else if (!heads[0] || strcmp(done, heads) != 0)
            item(&items[DB_FLIP_REHEARSAL], false,
                 "{db} upgrade --rehearse",
                 "the last rehearsal ran %s; the head is now %s", done,
                 heads[0] ? heads : "(none)");
        else
            item(&items[DB_FLIP_REHEARSAL], true, "", "rehearsed up to %s",
                 done);
    }

    /* lint: every revision, as 'app db lint' */
    {
        struct db_lint_report rep = {0};
        struct db_lint_opts o = {.lock_timeout_ms = cfg->lock_timeout_ms};
        int lrc = 0;
        for (size_t i = 0; i < g->n && lrc == 0; i++)
            lrc = db_lint_revision(&rep, &g->revs[i], &o, &e);
        size_t nerr = db_lint_count(&rep, DB_LINT_ERROR);
        size_t nwarn = db_lint_count(&rep, DB_LINT_WARNING) - nerr;
        if (g->n == 0)
            item(&items[DB_FLIP_LINT], false,
                 "{db} baseline -m \"baseline\"", "no revisions to lint");
        else if (lrc)
            item(&items[DB_FLIP_LINT], false, "{db} lint",
                 "cannot lint: %s", e.message);
        else
            item(&items[DB_FLIP_LINT], nerr == 0,
                 nerr ? "{db} lint: rewrite each finding in its safe form, "
                        "or silence a reviewed one with '-- lint: ignore "
                        "RULE reason'" : "",
                 "%zu revision%s: %zu error%s, %zu warning%s, %zu ignored",
                 rep.nfiles, rep.nfiles == 1 ? "" : "s", nerr,
                 nerr == 1 ? "" : "s", nwarn, nwarn == 1 ? "" : "s",
                 db_lint_ignored(&rep));
        db_lint_report_free(&rep);
    }
out:
    db_migrate_state_free(&st);
    db_graph_free(g);
    return rc;
}
