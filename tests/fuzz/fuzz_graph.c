/*
 * fuzz_graph.c - the revision-graph loader, fed whole directories.
 *
 * The input is a versions directory: files separated by NUL bytes, each a
 * file name on its first line and the file's content after it. The names
 * keep [A-Za-z0-9._-] (anything else becomes '_'); a later file of the
 * same name replaces the earlier one. The files are written into a fresh
 * temporary directory, the graph is loaded from it as the app loads it
 * (ids, parents, cycles), and the directory is removed again.
 *
 * A loaded graph lists every revision after its parents, has at least one
 * head when it is not empty, finds each revision by its id, and turns the
 * usual targets into sets without failing in any way but a clear error.
 */
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/graph.h"
#include "fuzz.h"

#define MAX_FILES 32
#define NAME_MAX_LEN 80

static char base[4096];

static void remove_base(void)
{
    if (base[0])
        rmdir(base);
}

/* A fresh empty directory: <one per-process temporary directory>/versions,
 * the same path for every input (removed after each). */
static void fresh_dir(char *out, size_t n)
{
    if (!base[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(base, sizeof base, "%s/fuzz-graph-XXXXXX",
                 tmp && *tmp ? tmp : "/tmp");
        FUZZ_ASSERT(mkdtemp(base) != NULL);
        atexit(remove_base);
    }
    snprintf(out, n, "%s/versions", base);
    FUZZ_ASSERT(mkdir(out, 0700) == 0);
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    FUZZ_ASSERT(d != NULL);
    struct dirent *e;
    char path[8192];
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FUZZ_ASSERT(unlink(path) == 0);
    }
    closedir(d);
    FUZZ_ASSERT(rmdir(dir) == 0);
}

static void write_file(const char *dir, const uint8_t *part, size_t len)
{
    const uint8_t *nl = memchr(part, '\n', len);
    size_t nlen = nl ? (size_t)(nl - part) : len;
    char name[NAME_MAX_LEN + 1];
    size_t k = 0;
    for (size_t i = 0; i < nlen && k < NAME_MAX_LEN; i++) {
        char c = (char)part[i];
        if (c == '\r' && i + 1 == nlen)
            break;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        name[k++] = ok ? c : '_';
    }
    name[k] = '\0';
    if (k == 0 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return;
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    FUZZ_ASSERT(f != NULL);
    size_t skip = nl ? nlen + 1 : len;
    FUZZ_ASSERT(fwrite(part + skip, 1, len - skip, f) == len - skip);
    FUZZ_ASSERT(fclose(f) == 0);
}

static void exercise(const struct db_graph *g)
{
    size_t *heads = calloc(g->n + 1, sizeof *heads);
    size_t *kids = calloc(g->n + 1, sizeof *kids);
    unsigned char *applied = calloc(g->n + 1, 1);
    unsigned char *set = calloc(g->n + 1, 1);
    FUZZ_ASSERT(heads && kids && applied && set);
    struct db_error err;

    /* topological: every parent comes first */
    for (size_t i = 0; i < g->n; i++) {
        for (size_t k = 0; k < g->revs[i].ndown; k++)
            FUZZ_ASSERT(g->revs[i].parents[k] < i);
        size_t at;
        FUZZ_ASSERT(db_graph_find(&at, g, g->revs[i].id, &err) == 0 &&
                    at == i);
        (void)db_graph_children(kids, g, i);
    }
    size_t nheads = db_graph_heads(heads, g);
    FUZZ_ASSERT(g->n == 0 || nheads > 0);
    char next[DB_REVISION_ID_MAX];
    db_graph_next_id(next, sizeof next, g);
    FUZZ_ASSERT(next[0] != '\0');

    /* the database at the first head, then the usual targets */
    if (nheads > 0) {
        memset(applied, 0, g->n);
        db_graph_applied(applied, g, heads, 1);
        size_t cur = db_graph_current(kids, g, applied);
        FUZZ_ASSERT(cur == 1 && kids[0] == heads[0]);
    }
    static const char *const up[] = {"head", "heads", "+1", "+2", "0001",
                                     "0", NULL};
    static const char *const down[] = {"base", "-1", "-2", "0001", "0001-1",
                                       NULL};
    for (size_t t = 0; up[t]; t++) {
        memset(set, 0, g->n + 1);
        int rc = db_graph_upgrade_target(set, g, applied, up[t], &err);
        FUZZ_ASSERT(rc == 0 || err.message[0]);
    }
    for (size_t t = 0; down[t]; t++) {
        memset(set, 0, g->n + 1);
        int rc = db_graph_downgrade_target(set, g, applied, down[t], &err);
        FUZZ_ASSERT(rc == 0 || err.message[0]);
    }
    free(heads);
    free(kids);
    free(applied);
    free(set);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *parts[MAX_FILES];
    size_t lens[MAX_FILES];
    size_t n = fuzz_split(parts, lens, MAX_FILES, data, size, '\0');
    char dir[4200];
    fresh_dir(dir, sizeof dir);
    for (size_t i = 0; i < n; i++)
        write_file(dir, parts[i], lens[i]);

    struct db_graph *g = NULL;
    struct db_error err;
    int rc = db_graph_load(&g, dir, &err);
    FUZZ_ASSERT(rc == 0 || rc == DB_EPARSE || rc == DB_EGRAPH ||
                rc == DB_EIO);
    if (rc == 0) {
        FUZZ_ASSERT(g != NULL);
        exercise(g);
        db_graph_free(g);
    } else {
        FUZZ_ASSERT(g == NULL && err.message[0] != '\0');
    }
    remove_dir(dir);
    return 0;
}
