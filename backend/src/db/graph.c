/*
 * graph.c - the revision graph: load, order, heads (targets:
 * graph_targets.c).
 */
#include "graph.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "revcache.h"

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

/* The *.sql names of the open directory d, sorted. A record that an
 * earlier version kept inside the directory is removed when the record
 * has a place beside it (rfd). */
static int list_sql_files(char ***out, size_t *n, DIR *d, const char *dir,
                          int rfd, struct db_error *err)
{
    *out = NULL;
    *n = 0;
    char **names = NULL;
    size_t cap = 0;
    struct dirent *e;
    int rc = 0;
    errno = 0;
    while ((e = readdir(d))) {
        if (rfd >= 0 && strcmp(e->d_name, DB_REVCACHE_FILE) == 0)
            unlinkat(dirfd(d), e->d_name, 0);
        if (!db_revcache_revision_name(e->d_name, strlen(e->d_name)))
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            char **p = realloc(names, cap * sizeof *names);
            if (!p) {
                rc = db_error_nomem(err);
                break;
            }
            names = p;
        }
        if (!(names[*n] = strdup(e->d_name))) {
            rc = db_error_nomem(err);
            break;
        }
        (*n)++;
    }
    if (rc == 0 && errno)
        rc = db_error_set(err, DB_EIO, "cannot list directory %s: %s", dir,
                          strerror(errno));
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

/* Revision file name (in dfd) into out: from the record when its status
 * matches and its entry passes its check, else read
 * (one open, one read) and recorded. */
static int load_one(struct db_revision *out, int dfd, const char *name,
                    const char *path, struct db_revcache *cache,
                    struct db_error *err)
{
    struct stat st;
    if (fstatat(dfd, name, &st, 0) != 0)
        return db_error_set(err, DB_EIO, "cannot read %s: %s", path,
                            strerror(errno));
    struct db_revcache_key key;
    db_revcache_key_of(&key, &st);
    const struct db_revcache_entry *e = db_revcache_find(cache, name, &key);
    if (e) {
        if (db_revision_from_head(out, path, &e->head, e->text, e->len,
                                  e->checksum) == 0) {
            db_revcache_keep(cache, e);
            return 0;
        }
    }
    size_t len = 0;
    char *text = db_revcache_read(dfd, name, (uint64_t)st.st_size, &len);
    if (!text)
        return errno == ENOMEM ? db_error_nomem(err)
                               : db_error_set(err, DB_EIO,
                                              "cannot read %s: %s", path,
                                              strerror(errno));
    int rc = db_revision_parse(out, path, text, len, err);
    struct db_revision_head head;
    char down[4096];
    if (rc == 0 && db_revision_head_of(&head, out, down, sizeof down) == 0)
        db_revcache_add(cache, name, &key, text, len, out->checksum, &head);
    free(text);
    return rc;
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
static int link_parents(struct db_graph *g, struct db_error *err)
{
    size_t n = g->n;
    if (n == 0)
        return 0;
    /* file names usually put the ids in order already: no sort then */
    for (size_t i = 1; i < n; i++)
        if (strcmp(g->revs[i - 1].id, g->revs[i].id) > 0) {
            qsort(g->revs, n, sizeof *g->revs, cmp_rev_id);
            break;
        }
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
            return db_error_nomem(err);
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
    size_t *pos = calloc(n, sizeof *pos);
    int rc = 0;
    if (!start || !kids || !fill || !indeg || !heap || !pos) {
        rc = db_error_nomem(err);
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
    /* revs are in id order here: revs[i] ends at pos[i] */
    g->by_id = malloc(n * sizeof *g->by_id);
    if (!g->by_id) {
        rc = db_error_nomem(err);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        g->by_id[i] = pos[i];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < revs[i].ndown; j++)
            revs[i].parents[j] = pos[revs[i].parents[j]];
    /* each revision to its place, in place (no second array of them):
     * every swap puts one where it belongs */
    for (size_t i = 0; i < n; i++)
        while (pos[i] != i) {
            size_t j = pos[i];
            struct db_revision t = revs[i];
            revs[i] = revs[j];
            revs[j] = t;
            pos[i] = pos[j];
            pos[j] = j;
        }
out:
    free(start);
    free(kids);
    free(fill);
    free(indeg);
    free(heap);
    free(pos);
    return rc;
}

int db_graph_complete(struct db_graph *g, struct db_error *err)
{
    if (!g || !g->record.p)
        return 0;
    for (size_t i = 0; i < g->n; i++) {
        int rc = db_revision_complete(&g->revs[i], err);
        if (rc)
            return rc;
    }
    db_revcache_bytes_free(&g->record);
    return 0;
}

int db_graph_load(struct db_graph **out, const char *dir,
                  struct db_error *err)
{
    int rc = db_graph_load_headers(out, dir, err);
    if (rc == 0 && (rc = db_graph_complete(*out, err))) {
        db_graph_free(*out);
        *out = NULL;
    }
    return rc;
}

int db_graph_load_headers(struct db_graph **out, const char *dir,
                          struct db_error *err)
{
    *out = NULL;
    struct db_graph *g = calloc(1, sizeof *g);
    if (!g)
        return db_error_nomem(err);
    snprintf(g->dir, sizeof g->dir, "%s", dir);
    char **names = NULL;
    size_t nnames = 0;
    struct db_revcache cache;
    bool have_cache = false;
    int rc = 0, rfd = -1;
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT) {
            *out = g;
            return 0;
        }
        rc = db_error_set(err, DB_EIO, "cannot open directory %s: %s", dir,
                          strerror(errno));
        goto fail;
    }
    int dfd = dirfd(d);
    /* the record lives beside the directory (revcache.h) */
    rfd = openat(dfd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (db_revcache_open(&cache, rfd)) {
        rc = db_error_nomem(err);
        goto fail;
    }
    have_cache = true;
    /* the directory's status before its names are read: a file added
     * after it moves it, so the record then does not stand for them */
    struct stat dst;
    struct db_revcache_key dkey;
    bool listed = fstat(dfd, &dst) == 0;
    if (listed)
        db_revcache_key_of(&dkey, &dst);
    bool from_record = listed && db_revcache_names_stand(&cache, &dkey);
    if (!from_record &&
        (rc = list_sql_files(&names, &nnames, d, dir, rfd, err)))
        goto fail;
    size_t n = from_record ? cache.n : nnames;
    if (listed)
        db_revcache_listed(&cache, &dkey, n);
    g->revs = calloc(n ? n : 1, sizeof *g->revs);
    if (!g->revs) {
        rc = db_error_nomem(err);
        goto fail;
    }
    char path[2048], name[256];
    size_t dirlen = strlen(dir);
    if (dirlen > sizeof path / 2)
        dirlen = sizeof path / 2;
    memcpy(path, dir, dirlen);
    path[dirlen] = '/';
    for (size_t i = 0; i < n; i++) {
        const char *nm = names ? names[i] : name;
        if (!names) { /* db_revcache_names_stand: under 256 bytes */
            memcpy(name, cache.v[i].name, cache.v[i].namelen);
            name[cache.v[i].namelen] = '\0';
        }
        size_t nlen = strlen(nm);
        if (nlen > sizeof path - dirlen - 2)
            nlen = sizeof path - dirlen - 2;
        memcpy(path + dirlen + 1, nm, nlen);
        path[dirlen + 1 + nlen] = '\0';
        if ((rc = load_one(&g->revs[g->n], dfd, nm, path, &cache, err)))
            goto fail;
        g->n++;
    }
    /* the pending blocks point into the record as read */
    g->record = db_revcache_close_keep(&cache, rfd);
    have_cache = false;
    if (rfd >= 0)
        close(rfd);
    rfd = -1;
    closedir(d);
    d = NULL;
    if ((rc = link_parents(g, err)))
        goto fail;
    free_names(names, nnames);
    *out = g;
    return 0;
fail:
    if (have_cache)
        db_revcache_close(&cache, -1);
    if (rfd >= 0)
        close(rfd);
    if (d)
        closedir(d);
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
    free(g->by_id);
    db_revcache_bytes_free(&g->record);
    free(g);
}

long db_graph_index(const struct db_graph *g, const char *id)
{
    if (!g->by_id) { /* a graph not built by db_graph_load */
        for (size_t i = 0; i < g->n; i++)
            if (strcmp(g->revs[i].id, id) == 0)
                return (long)i;
        return -1;
    }
    size_t lo = 0, hi = g->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(g->revs[g->by_id[mid]].id, id);
        if (c == 0)
            return (long)g->by_id[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

int db_graph_find(size_t *out, const struct db_graph *g, const char *id,
                  struct db_error *err)
{
    long exact = db_graph_index(g, id);
    if (exact >= 0) {
        *out = (size_t)exact;
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
    db_error_hint(err, "'{db} history' lists the revisions");
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
