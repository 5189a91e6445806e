/*
 * graph.c - the revision graph: load, order, heads, targets.
 */
#include "graph.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int nomem(struct db_error *err)
{
    return db_error_set(err, DB_ENOMEM, "out of memory");
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static int list_sql_files(char ***out, size_t *n, const char *dir,
                          struct db_error *err)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT)
            return 0;
        return db_error_set(err, DB_EIO, "cannot open directory %s: %s", dir,
                            strerror(errno));
    }
    char **names = NULL;
    size_t cap = 0;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || e->d_name[0] == '_' || len < 5 ||
            strcmp(e->d_name + len - 4, ".sql") != 0)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            char **p = realloc(names, cap * sizeof *names);
            if (!p) {
                rc = nomem(err);
                break;
            }
            names = p;
        }
        if (!(names[*n] = strdup(e->d_name))) {
            rc = nomem(err);
            break;
        }
        (*n)++;
    }
    closedir(d);
    if (rc) {
        free_names(names, *n);
        *n = 0;
        return rc;
    }
    if (*n)
        qsort(names, *n, sizeof *names, cmp_str);
    *out = names;
    return 0;
}

static int graph_fail(struct db_error *err, const struct db_revision *r,
                      int line, const char *hint, const char *fmt,
                      const char *a, const char *b)
{
    db_error_set(err, DB_EGRAPH, fmt, a, b);
    db_error_at(err, r->path, line);
    if (hint)
        db_error_hint(err, "%s", hint);
    return DB_EGRAPH;
}

static int cmp_rev_id(const void *a, const void *b)
{
    return strcmp(((const struct db_revision *)a)->id,
                  ((const struct db_revision *)b)->id);
}

/* Index of id in revs sorted by id, or -1. */
static long by_id(const struct db_revision *revs, size_t n, const char *id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(revs[mid].id, id);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* A min-heap of indexes (smaller index = smaller id). */
static void heap_push(size_t *h, size_t *n, size_t v)
{
    size_t i = (*n)++;
    h[i] = v;
    while (i > 0 && h[(i - 1) / 2] > h[i]) {
        size_t p = (i - 1) / 2, t = h[p];
        h[p] = h[i];
        h[i] = t;
        i = p;
    }
}

static size_t heap_pop(size_t *h, size_t *n)
{
    size_t top = h[0];
    h[0] = h[--(*n)];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < *n && h[l] < h[m])
            m = l;
        if (r < *n && h[r] < h[m])
            m = r;
        if (m == i)
            break;
        size_t t = h[m];
        h[m] = h[i];
        h[i] = t;
        i = m;
    }
    return top;
}

/* Sorts by id, checks ids and parents, orders topologically (Kahn, the
 * smallest id first) and fills parents[] with final indexes. */
static int link(struct db_graph *g, struct db_error *err)
{
    size_t n = g->n;
    if (n == 0)
        return 0;
    qsort(g->revs, n, sizeof *g->revs, cmp_rev_id);
    struct db_revision *revs = g->revs;
    for (size_t i = 1; i < n; i++)
        if (strcmp(revs[i - 1].id, revs[i].id) == 0)
            return graph_fail(err, &revs[i], revs[i].header_line,
                              "give one of them another id (file name and "
                              "'-- revision:' line)",
                              "duplicate revision id '%s' (also in %s)",
                              revs[i].id, revs[i - 1].path);
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        revs[i].parents = calloc(revs[i].ndown ? revs[i].ndown : 1,
                                 sizeof *revs[i].parents);
        if (!revs[i].parents)
            return nomem(err);
        for (size_t k = 0; k < revs[i].ndown; k++) {
            long p = by_id(revs, n, revs[i].down[k]);
            if (p < 0)
                return graph_fail(err, &revs[i], revs[i].down_line,
                                  "restore that revision's file, or correct "
                                  "'-- down_revision:'",
                                  "down_revision '%s' of '%s' names no "
                                  "revision file",
                                  revs[i].down[k], revs[i].id);
            revs[i].parents[k] = (size_t)p;
        }
        total += revs[i].ndown;
    }
    /* children lists in one array (CSR) */
    size_t *start = calloc(n + 1, sizeof *start);
    size_t *kids = calloc(total ? total : 1, sizeof *kids);
    size_t *fill = calloc(n, sizeof *fill);
    size_t *indeg = calloc(n, sizeof *indeg);
    size_t *heap = calloc(n, sizeof *heap);
    size_t *order = calloc(n, sizeof *order);
    size_t *pos = calloc(n, sizeof *pos);
    struct db_revision *sorted = calloc(n, sizeof *sorted);
    int rc = 0;
    if (!start || !kids || !fill || !indeg || !heap || !order || !pos ||
        !sorted) {
        rc = nomem(err);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < revs[i].ndown; k++)
            start[revs[i].parents[k] + 1]++;
    for (size_t i = 0; i < n; i++)
        start[i + 1] += start[i];
    for (size_t i = 0; i < n; i++) {
        indeg[i] = revs[i].ndown;
        for (size_t k = 0; k < revs[i].ndown; k++) {
            size_t p = revs[i].parents[k];
            kids[start[p] + fill[p]++] = i;
        }
    }
    size_t nheap = 0, placed = 0;
    for (size_t i = 0; i < n; i++)
        if (indeg[i] == 0)
            heap_push(heap, &nheap, i);
    while (nheap > 0) {
        size_t i = heap_pop(heap, &nheap);
        order[placed] = i;
        pos[i] = placed++;
        for (size_t k = start[i]; k < start[i + 1]; k++)
            if (--indeg[kids[k]] == 0)
                heap_push(heap, &nheap, kids[k]);
    }
    if (placed < n) {
        size_t i = 0;
        while (indeg[i] == 0)
            i++;
        rc = graph_fail(err, &revs[i], revs[i].down_line,
                        "a revision cannot follow its own descendant: "
                        "correct '-- down_revision:'",
                        "the revisions form a cycle through '%s'%s",
                        revs[i].id, "");
        goto out;
    }
    for (size_t k = 0; k < n; k++) {
        sorted[k] = revs[order[k]];
        for (size_t j = 0; j < sorted[k].ndown; j++)
            sorted[k].parents[j] = pos[sorted[k].parents[j]];
    }
    free(g->revs);
    g->revs = sorted;
    sorted = NULL;
out:
    free(start);
    free(kids);
    free(fill);
    free(indeg);
    free(heap);
    free(order);
    free(pos);
    free(sorted);
    return rc;
}

int db_graph_load(struct db_graph **out, const char *dir,
                  struct db_error *err)
{
    *out = NULL;
    struct db_graph *g = calloc(1, sizeof *g);
    if (!g)
        return nomem(err);
    snprintf(g->dir, sizeof g->dir, "%s", dir);
    char **names = NULL;
    size_t nnames = 0;
    int rc = list_sql_files(&names, &nnames, dir, err);
    if (rc)
        goto fail;
    g->revs = calloc(nnames ? nnames : 1, sizeof *g->revs);
    if (!g->revs) {
        rc = nomem(err);
        goto fail;
    }
    for (size_t i = 0; i < nnames; i++) {
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if ((rc = db_revision_load(&g->revs[g->n], path, err)))
            goto fail;
        g->n++;
    }
    if ((rc = link(g, err)))
        goto fail;
    free_names(names, nnames);
    *out = g;
    return 0;
fail:
    free_names(names, nnames);
    db_graph_free(g);
    return rc;
}

void db_graph_free(struct db_graph *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n; i++)
        db_revision_clear(&g->revs[i]);
    free(g->revs);
    free(g);
}

int db_graph_find(size_t *out, const struct db_graph *g, const char *id,
                  struct db_error *err)
{
    for (size_t i = 0; i < g->n; i++)
        if (strcmp(g->revs[i].id, id) == 0) {
            *out = i;
            return 0;
        }
    size_t len = strlen(id), found = 0, at = 0;
    char list[256] = "";
    size_t ll = 0;
    for (size_t i = 0; i < g->n && len > 0; i++)
        if (strncmp(g->revs[i].id, id, len) == 0) {
            if (found < 5 && ll < sizeof list)
                ll += (size_t)snprintf(list + ll, sizeof list - ll, "%s%s",
                                       found ? ", " : "", g->revs[i].id);
            found++;
            at = i;
        }
    if (found == 1) {
        *out = at;
        return 0;
    }
    if (found > 1) {
        db_error_set(err, DB_EUSAGE,
                     "revision prefix '%s' is ambiguous: %s%s", id, list,
                     found > 5 ? ", ..." : "");
        db_error_hint(err, "give more characters of the id");
        return DB_EUSAGE;
    }
    db_error_set(err, DB_ENOTFOUND, "no revision '%s' in %s", id, g->dir);
    db_error_hint(err, "'app db history' lists the revisions");
    return DB_ENOTFOUND;
}

size_t db_graph_children(size_t *out, const struct db_graph *g, size_t i)
{
    size_t n = 0;
    for (size_t j = i + 1; j < g->n; j++)
        for (size_t k = 0; k < g->revs[j].ndown; k++)
            if (g->revs[j].parents[k] == i) {
                out[n++] = j;
                break;
            }
    return n;
}

size_t db_graph_heads(size_t *out, const struct db_graph *g)
{
    unsigned char *has_child = calloc(g->n ? g->n : 1, 1);
    size_t n = 0;
    if (!has_child)
        return 0;
    for (size_t j = 0; j < g->n; j++)
        for (size_t k = 0; k < g->revs[j].ndown; k++)
            has_child[g->revs[j].parents[k]] = 1;
    for (size_t i = 0; i < g->n; i++)
        if (!has_child[i])
            out[n++] = i;
    free(has_child);
    return n;
}

void db_graph_ancestors(unsigned char *mark, const struct db_graph *g,
                        size_t i)
{
    /* Parents come before children: one backward pass closes the set.
     * Entries marked before the call spread too, which is harmless for the
     * callers (they pass sets closed under ancestry). */
    unsigned char *m = calloc(g->n ? g->n : 1, 1);
    if (!m)
        return;
    m[i] = 1;
    for (size_t j = i + 1; j-- > 0;)
        if (m[j]) {
            mark[j] = 1;
            for (size_t k = 0; k < g->revs[j].ndown; k++)
                m[g->revs[j].parents[k]] = 1;
        }
    free(m);
}

void db_graph_descendants(unsigned char *mark, const struct db_graph *g,
                          size_t i)
{
    unsigned char *m = calloc(g->n ? g->n : 1, 1);
    if (!m)
        return;
    m[i] = 1;
    mark[i] = 1;
    for (size_t j = i + 1; j < g->n; j++)
        for (size_t k = 0; k < g->revs[j].ndown; k++)
            if (m[g->revs[j].parents[k]]) {
                m[j] = mark[j] = 1;
                break;
            }
    free(m);
}

void db_graph_applied(unsigned char *applied, const struct db_graph *g,
                      const size_t *heads, size_t nheads)
{
    memset(applied, 0, g->n);
    for (size_t h = 0; h < nheads; h++)
        applied[heads[h]] = 1;
    for (size_t j = g->n; j-- > 0;)
        if (applied[j])
            for (size_t k = 0; k < g->revs[j].ndown; k++)
                applied[g->revs[j].parents[k]] = 1;
}

size_t db_graph_current(size_t *out, const struct db_graph *g,
                        const unsigned char *applied)
{
    unsigned char *covered = calloc(g->n ? g->n : 1, 1);
    size_t n = 0;
    if (!covered)
        return 0;
    for (size_t j = 0; j < g->n; j++)
        if (applied[j])
            for (size_t k = 0; k < g->revs[j].ndown; k++)
                covered[g->revs[j].parents[k]] = 1;
    for (size_t i = 0; i < g->n; i++)
        if (applied[i] && !covered[i])
            out[n++] = i;
    free(covered);
    return n;
}

/* "+3" / "-3" -> 3; "abc+2" -> base "abc", 2. Returns 0, or -1 for no
 * relative part, or DB_EUSAGE for a bad number. */
static int split_relative(char *base, size_t n, long *count,
                          const char *target, char sign,
                          struct db_error *err)
{
    const char *s = strrchr(target, sign);
    if (!s)
        return -1;
    char *end;
    long v = strtol(s + 1, &end, 10);
    if (s[1] == '\0' || *end || v <= 0 || !isdigit((unsigned char)s[1])) {
        db_error_set(err, DB_EUSAGE, "bad relative target '%s'", target);
        db_error_hint(err, "write %cN or REV%cN with N a positive number",
                      sign, sign);
        return DB_EUSAGE;
    }
    snprintf(base, n, "%.*s", (int)(s - target), target);
    *count = v;
    return 0;
}

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
    db_error_hint(err, "join them with 'app db merge -m \"merge\" heads', or "
                       "upgrade every branch with 'app db upgrade heads'");
    return DB_EGRAPH;
}

/* Walks n steps from i: children (dir 1) or parents (dir -1); each step
 * must be unique. */
static int walk(size_t *out, const struct db_graph *g, size_t i, long n,
                int dir, const char *target, struct db_error *err)
{
    size_t *buf = calloc(g->n ? g->n : 1, sizeof *buf);
    if (!buf)
        return nomem(err);
    int rc = 0;
    for (long s = 0; s < n && rc == 0; s++) {
        size_t k = dir > 0 ? db_graph_children(buf, g, i) : g->revs[i].ndown;
        if (dir < 0 && k == 1)
            buf[0] = g->revs[i].parents[0];
        if (k == 1) {
            i = buf[0];
            continue;
        }
        if (k == 0)
            rc = db_error_set(err, DB_EUSAGE,
                              "'%s' goes past the %s ('%s' has no %s)",
                              target, dir > 0 ? "head" : "base",
                              g->revs[i].id, dir > 0 ? "child" : "parent");
        else
            rc = db_error_set(err, DB_EUSAGE,
                              "'%s' is ambiguous: '%s' has %zu %s", target,
                              g->revs[i].id, k,
                              dir > 0 ? "children (a branch point)"
                                      : "parents (a merge)");
        db_error_hint(err, "name the revision itself; 'app db history' "
                           "lists them");
    }
    free(buf);
    if (rc == 0)
        *out = i;
    return rc;
}

int db_graph_upgrade_target(unsigned char *want, const struct db_graph *g,
                            const unsigned char *applied, const char *target,
                            struct db_error *err)
{
    memset(want, 0, g->n);
    size_t *heads = calloc(g->n ? g->n : 1, sizeof *heads);
    if (!heads)
        return nomem(err);
    size_t nheads = db_graph_heads(heads, g);
    int rc = 0;
    char base[256];
    long count = 0;
    if (strcmp(target, "head") == 0) {
        if (nheads > 1)
            rc = many_heads(g, heads, nheads, err);
        else if (nheads == 1)
            db_graph_ancestors(want, g, heads[0]);
    } else if (strcmp(target, "heads") == 0) {
        for (size_t h = 0; h < nheads; h++)
            db_graph_ancestors(want, g, heads[h]);
    } else if ((rc = split_relative(base, sizeof base, &count, target, '+',
                                    err)) == 0) {
        if (base[0] == '\0') {
            /* the next N pending, toward every head */
            long taken = 0;
            for (size_t i = 0; i < g->n && taken < count; i++)
                if (!applied[i]) {
                    int ready = 1;
                    for (size_t k = 0; k < g->revs[i].ndown; k++)
                        if (!applied[g->revs[i].parents[k]] &&
                            !want[g->revs[i].parents[k]])
                            ready = 0;
                    if (ready) {
                        db_graph_ancestors(want, g, i);
                        taken++;
                    }
                }
            if (taken < count) {
                rc = db_error_set(err, DB_EUSAGE,
                                  "cannot go %s: only %ld revision%s pending",
                                  target, taken, taken == 1 ? "" : "s");
                db_error_hint(err, "'app db status' shows what is pending");
            }
        } else {
            size_t i, to;
            if ((rc = db_graph_find(&i, g, base, err)) == 0 &&
                (rc = walk(&to, g, i, count, 1, target, err)) == 0)
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
    char base[256];
    long count = 0;
    int rc = 0;
    if (strcmp(target, "base") == 0) {
        memcpy(undo, applied, g->n);
        return 0;
    }
    rc = split_relative(base, sizeof base, &count, target, '-', err);
    if (rc > 0 || rc < -1)
        return rc;
    if (rc == 0 && base[0] == '\0') {
        long taken = 0;
        for (size_t i = g->n; i-- > 0 && taken < count;)
            if (applied[i]) {
                undo[i] = 1;
                taken++;
            }
        if (taken < count) {
            db_error_set(err, DB_EUSAGE,
                         "cannot go %s: only %ld revision%s applied", target,
                         taken, taken == 1 ? "" : "s");
            db_error_hint(err, "'base' undoes every revision");
            return DB_EUSAGE;
        }
        return 0;
    }
    size_t t;
    if (rc == 0) {
        size_t from;
        if ((rc = db_graph_find(&from, g, base, err)) ||
            (rc = walk(&t, g, from, count, -1, target, err)))
            return rc;
    } else if ((rc = db_graph_find(&t, g, target, err))) {
        return rc;
    }
    if (!applied[t]) {
        db_error_set(err, DB_EUSAGE, "revision '%s' is not applied",
                     g->revs[t].id);
        db_error_hint(err, "downgrade goes back to an applied revision; 'app "
                           "db current' shows where the database is");
        return DB_EUSAGE;
    }
    db_graph_descendants(undo, g, t);
    undo[t] = 0;
    for (size_t j = 0; j < g->n; j++)
        undo[j] = undo[j] && applied[j];
    return 0;
}

void db_graph_next_id(char *out, size_t n, const struct db_graph *g)
{
    unsigned long max = 0;
    int width = 4;
    for (size_t i = 0; i < g->n; i++) {
        const char *id = g->revs[i].id;
        size_t len = strspn(id, "0123456789");
        if (len == 0 || id[len] != '\0')
            continue;
        unsigned long v = strtoul(id, NULL, 10);
        if (v > max)
            max = v;
        if ((int)len > width)
            width = (int)len;
    }
    snprintf(out, n, "%0*lu", width, max + 1);
}
