/*
 * graph_targets.c - what a target names on the revision graph: "head",
 * "heads", "base", an id or prefix, and the relative targets "+N", "-N",
 * "REV+N" and "REV-N" (README, Relative targets).
 */
#include "graph.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int many_heads(const struct db_graph *g, const size_t *heads,
                      size_t nheads, struct db_error *err)
{
    char list[512] = "";
    size_t len = 0;
    for (size_t i = 0; i < nheads && len < sizeof list; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s",
                                i ? " " : "", g->revs[heads[i]].id);
    db_error_set(err, DB_EGRAPH, "the revisions have %zu heads: %s", nheads,
                 list);
    db_error_hint(err, "join them with '{db} merge -m \"merge\" heads', or "
                       "upgrade every branch with '{db} upgrade heads'");
    return DB_EGRAPH;
}

/* ---- relative targets --------------------------------------------------- */

/*
 * A relative target is "+N" or "-N" (from the database's current revision)
 * or "REV+N" / "REV-N" (from REV, an id or unique prefix). Revision ids
 * hold no '+' or '-', so the first sign splits it. Returns 0 (rev may be
 * "", *sign '+' or '-'), -1 for an absolute target, or DB_EUSAGE for a bad
 * number. "REV+0" is REV; "+0" and "-0" go nowhere and are refused.
 */
static int parse_relative(char *rev, size_t n, char *sign, long *count,
                          const char *target, struct db_error *err)
{
    size_t k = strcspn(target, "+-");
    if (!target[k])
        return -1;
    const char *num = target + k + 1;
    char *end = NULL;
    long v = 0;
    int ok = isdigit((unsigned char)num[0]) && k < n;
    if (ok) {
        errno = 0;
        v = strtol(num, &end, 10);
        if (errno == ERANGE)
            v = LONG_MAX; /* further than any graph: refused as such */
        ok = *end == '\0' && (v > 0 || k > 0);
    }
    if (!ok) {
        db_error_set(err, DB_EUSAGE, "bad relative target '%s'", target);
        db_error_hint(err, "write +N, -N, REV+N or REV-N with N a positive "
                           "number, e.g. +2, -1, 0003+1");
        return DB_EUSAGE;
    }
    snprintf(rev, n, "%.*s", (int)k, target);
    *sign = target[k];
    *count = v;
    return 0;
}

/* "a, b, c" (at most 5 ids, then ", ..."). */
static void id_list(char *out, size_t n, const struct db_graph *g,
                    const size_t *idx, size_t k)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < k && i < 5 && len < n; i++)
        len += (size_t)snprintf(out + len, n - len, "%s%s", i ? ", " : "",
                                g->revs[idx[i]].id);
    if (k > 5 && len < n)
        snprintf(out + len, n - len, ", ...");
}

/* The revisions with no parent (first revisions) into out (g->n). */
static size_t roots(size_t *out, const struct db_graph *g)
{
    size_t n = 0;
    for (size_t i = 0; i < g->n; i++)
        if (g->revs[i].ndown == 0)
            out[n++] = i;
    return n;
}

/*
 * Walks steps (positive: along child edges, negative: along parent edges)
 * from start, an index or g->n for base, into *out (g->n: base). Every step
 * must be unique: a branch point (several children, or several first
 * revisions from base) going up, a merge (several parents) going down, a
 * head going up or base going down refuse, naming the revision where the
 * walk stopped and the command (verb) that names the revision instead.
 */
static int walk(size_t *out, const struct db_graph *g, size_t start,
                bool from_db, long steps, const char *target,
                const char *verb, struct db_error *err)
{
    size_t *buf = calloc(g->n ? g->n : 1, sizeof *buf);
    if (!buf)
        return db_error_nomem(err);
    char list[256];
    size_t i = start;
    long todo = steps < 0 ? -steps : steps, done = 0;
    int rc = 0;
    for (; done < todo && rc == 0; done++) {
        size_t k;
        if (steps > 0) {
            k = i == g->n ? roots(buf, g) : db_graph_children(buf, g, i);
            if (k == 1) {
                i = buf[0];
                continue;
            }
            if (k == 0 && i == g->n) {
                rc = db_error_set(err, DB_EUSAGE, "'%s' goes past the head: "
                                  "there are no revisions", target);
                db_error_hint(err, "write the first one with '{db} "
                                   "revision -m MESSAGE'");
            } else if (k == 0) {
                rc = db_error_set(err, DB_EUSAGE,
                                  "'%s' goes past the head: revision %s has "
                                  "no child",
                                  target, g->revs[i].id);
                db_error_hint(err, "name the revision itself, e.g. '{db} "
                                   "%s %s'; '{db} history' lists the "
                                   "revisions",
                              verb, g->revs[i].id);
            } else {
                id_list(list, sizeof list, g, buf, k);
                if (i == g->n)
                    rc = db_error_set(err, DB_EUSAGE,
                                      "'%s' is ambiguous: base has %zu first "
                                      "revisions (%s)",
                                      target, k, list);
                else
                    rc = db_error_set(err, DB_EUSAGE,
                                      "'%s' is ambiguous: revision %s is a "
                                      "branch point with %zu children (%s)",
                                      target, g->revs[i].id, k, list);
                db_error_hint(err, "name the revision to go to, e.g. '{db} "
                                   "%s %s'; '{db} history' shows the "
                                   "branches",
                              verb, g->revs[buf[0]].id);
            }
        } else {
            if (i == g->n) {
                if (done == 0)
                    rc = db_error_set(err, DB_EUSAGE,
                                      "'%s' goes past base: %s at base",
                                      target, from_db ? "the database is"
                                                      : "it starts");
                else
                    rc = db_error_set(err, DB_EUSAGE,
                                      "'%s' goes past base: base is %ld "
                                      "step%s below %s",
                                      target, done, done == 1 ? "" : "s",
                                      g->revs[start].id);
                db_error_hint(err, "'{db} downgrade base' undoes every "
                                   "revision; '{db} history' lists them");
                break;
            }
            const struct db_revision *r = &g->revs[i];
            if (r->ndown <= 1) {
                i = r->ndown ? r->parents[0] : g->n;
                continue;
            }
            id_list(list, sizeof list, g, r->parents, r->ndown);
            rc = db_error_set(err, DB_EUSAGE,
                              "'%s' is ambiguous: revision %s is a merge of "
                              "%s",
                              target, r->id, list);
            db_error_hint(err, "name the revision to go back to, e.g. '{db}"
                               " %s %s'; '{db} history' shows the "
                               "branches",
                          verb, g->revs[r->parents[0]].id);
        }
    }
    free(buf);
    if (rc == 0)
        *out = i;
    return rc;
}

/*
 * Where a relative target leads: from REV (an id or prefix; "head" or
 * "heads", the single head; "base"), or (rev "") from the database's
 * single current revision (base when nothing is applied). Several current
 * revisions, or several heads for "head", refuse. *out is an index, or
 * g->n for base.
 */
static int relative(size_t *out, const struct db_graph *g,
                    const unsigned char *applied, const char *rev, char sign,
                    long count, const char *target, const char *verb,
                    struct db_error *err)
{
    size_t start = g->n;
    int rc = 0;
    if (strcmp(rev, "base") == 0) {
        start = g->n;
    } else if (strcmp(rev, "head") == 0 || strcmp(rev, "heads") == 0) {
        size_t *heads = calloc(g->n ? g->n : 1, sizeof *heads);
        if (!heads)
            return db_error_nomem(err);
        size_t nheads = db_graph_heads(heads, g);
        if (nheads == 1)
            start = heads[0];
        else if (nheads > 1)
            rc = many_heads(g, heads, nheads, err);
        free(heads);
    } else if (rev[0]) {
        rc = db_graph_find(&start, g, rev, err);
    } else {
        size_t *cur = calloc(g->n ? g->n : 1, sizeof *cur);
        if (!cur)
            return db_error_nomem(err);
        size_t ncur = db_graph_current(cur, g, applied);
        if (ncur == 1) {
            start = cur[0];
        } else if (ncur > 1) {
            char list[256];
            id_list(list, sizeof list, g, cur, ncur);
            rc = db_error_set(err, DB_EUSAGE,
                              "'%s' is ambiguous: the database has %zu "
                              "current revisions (%s)",
                              target, ncur, list);
            db_error_hint(err, "name the revision to start from, e.g. '{db}"
                               " %s %s%c%ld'; '{db} history' shows the "
                               "branches",
                          verb, g->revs[cur[0]].id, sign, count);
        }
        free(cur);
    }
    if (rc == 0)
        rc = walk(out, g, start, rev[0] == '\0',
                  sign == '+' ? count : -count, target, verb, err);
    return rc;
}

int db_graph_upgrade_target(unsigned char *want, const struct db_graph *g,
                            const unsigned char *applied, const char *target,
                            struct db_error *err)
{
    memset(want, 0, g->n);
    size_t *heads = calloc(g->n ? g->n : 1, sizeof *heads);
    if (!heads)
        return db_error_nomem(err);
    size_t nheads = db_graph_heads(heads, g);
    int rc = 0;
    char rev[256], sign = '+';
    long count = 0;
    if (strcmp(target, "head") == 0) {
        if (nheads > 1)
            rc = many_heads(g, heads, nheads, err);
        else if (nheads == 1)
            db_graph_ancestors(want, g, heads[0]);
    } else if (strcmp(target, "heads") == 0) {
        for (size_t h = 0; h < nheads; h++)
            db_graph_ancestors(want, g, heads[h]);
    } else if ((rc = parse_relative(rev, sizeof rev, &sign, &count, target,
                                    err)) == 0) {
        size_t to = g->n;
        if (!rev[0] && sign == '-') {
            rc = db_error_set(err, DB_EUSAGE,
                              "upgrade goes forward, '%s' goes back", target);
            db_error_hint(err, "'{db} downgrade %s' undoes revisions",
                          target);
        } else if ((rc = relative(&to, g, applied, rev, sign, count, target,
                                  "upgrade", err)) == 0 &&
                   to == g->n) {
            rc = db_error_set(err, DB_EUSAGE,
                              "'%s' is base: there is nothing to upgrade to",
                              target);
            db_error_hint(err, "'{db} downgrade %s' goes back to base",
                          target);
        } else if (rc == 0) {
            db_graph_ancestors(want, g, to);
        }
    } else if (rc == -1) {
        size_t i;
        if ((rc = db_graph_find(&i, g, target, err)) == 0)
            db_graph_ancestors(want, g, i);
    }
    free(heads);
    return rc;
}

int db_graph_downgrade_target(unsigned char *undo, const struct db_graph *g,
                              const unsigned char *applied,
                              const char *target, struct db_error *err)
{
    memset(undo, 0, g->n);
    char rev[256], sign = '-';
    long count = 0;
    if (strcmp(target, "base") == 0) {
        memcpy(undo, applied, g->n);
        return 0;
    }
    int rc = parse_relative(rev, sizeof rev, &sign, &count, target, err);
    if (rc != 0 && rc != -1)
        return rc;
    size_t t = g->n;
    if (rc == 0) {
        if (!rev[0] && sign == '+') {
            db_error_set(err, DB_EUSAGE,
                         "downgrade goes back, '%s' goes forward", target);
            db_error_hint(err, "'{db} upgrade %s' applies revisions",
                          target);
            return DB_EUSAGE;
        }
        if ((rc = relative(&t, g, applied, rev, sign, count, target,
                           "downgrade", err)))
            return rc;
        if (t == g->n) { /* exactly base: undo everything */
            memcpy(undo, applied, g->n);
            return 0;
        }
    } else if ((rc = db_graph_find(&t, g, target, err))) {
        return rc;
    }
    if (!applied[t]) {
        db_error_set(err, DB_EUSAGE, "revision '%s' is not applied",
                     g->revs[t].id);
        db_error_hint(err, "downgrade goes back to an applied revision; '{db}"
                           " current' shows where the database is");
        return DB_EUSAGE;
    }
    db_graph_descendants(undo, g, t);
    undo[t] = 0;
    for (size_t j = 0; j < g->n; j++)
        undo[j] = undo[j] && applied[j];
    return 0;
}
