/*
 * migrate_files.c - the revision files: loading the graph, writing a new
 * revision from the template.
 */
#define _GNU_SOURCE /* sched_getcpu, pthread_attr_setaffinity_np */
#include "migrate.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "migrate_internal.h"

/* ---- files -------------------------------------------------------------- */

void db_migrate_versions_dir(char *out, size_t n, const struct db_config *cfg)
{
    snprintf(out, n, "%s/versions",
             cfg->migrations_dir[0] ? cfg->migrations_dir : "migrations");
}

int db_migrate_load(struct db_graph **out, const struct db_config *cfg,
                    struct db_error *err)
{
    char dir[1100];
    db_migrate_versions_dir(dir, sizeof dir, cfg);
    return db_graph_load(out, dir, err);
}

static void *load_thread(void *arg)
{
    struct db_migrate_loading *l = arg;
    cpu_set_t all; /* the main thread's: the process's own */
    if (l->placed && sched_getaffinity(getpid(), sizeof all, &all) == 0)
        sched_setaffinity(0, sizeof all, &all);
    char dir[1100];
    db_migrate_versions_dir(dir, sizeof dir, l->cfg);
    l->rc = db_graph_load_headers(&l->g, dir, &l->err);
    return NULL;
}

/*
 * The loader runs beside the caller's connecting, so it asks for another
 * CPU than the caller's when the process may use several. Left to itself,
 * the scheduler often queues a new thread behind its creator on the same
 * CPU while another sits idle, and the two then run one after the other
 * (measured on a two-CPU machine: about half the start-ups, 0.3 to 0.5 ms
 * each on a no-op at 100 revisions). Once started, the loader lets itself
 * move again (the caller may block on a server that then needs a CPU).
 * *attr is set up when it returns 1.
 */
static int other_cpu(pthread_attr_t *attr)
{
    cpu_set_t allowed;
    int cpu = sched_getcpu();
    if (cpu < 0 || cpu >= CPU_SETSIZE ||
        sched_getaffinity(0, sizeof allowed, &allowed) != 0 ||
        !CPU_ISSET(cpu, &allowed) || CPU_COUNT(&allowed) < 2 ||
        pthread_attr_init(attr) != 0)
        return 0;
    CPU_CLR(cpu, &allowed);
    if (pthread_attr_setaffinity_np(attr, sizeof allowed, &allowed) != 0) {
        pthread_attr_destroy(attr);
        return 0;
    }
    return 1;
}

/*
 * A thread costs about 0.3 ms of CPU, most of it after its start: while it
 * lives, every page the caller's libraries map copy-on-write (a driver
 * module's dlopen) flushes the other CPU's TLB too. A load of about a
 * hundred revisions from the record takes less than that, and runs in the
 * caller. The versions directory's size stands in for the count of its
 * entries (one stat(2)): on ext4, a block of 4 KiB holds 100 to 170 of
 * them by name length; tmpfs and btrfs count bytes of names, which puts
 * the line at a few hundred there. Measured on a two-CPU machine at 100
 * revisions: 0.1 to 0.25 ms less on a PostgreSQL no-op run in the caller;
 * at 300, 0.2 ms more on SQLite's.
 */
#define LOAD_BESIDE_DIR_BYTES 8192

static bool load_beside(const struct db_config *cfg)
{
    char dir[1100];
    struct stat st;
    db_migrate_versions_dir(dir, sizeof dir, cfg);
    return stat(dir, &st) == 0 && st.st_size >= LOAD_BESIDE_DIR_BYTES;
}

void db_migrate_load_start(struct db_migrate_loading *l,
                           const struct db_config *cfg)
{
    memset(l, 0, sizeof *l);
    l->cfg = cfg;
    if (!load_beside(cfg)) {
        load_thread(l);
        return;
    }
    pthread_attr_t attr;
    l->placed = other_cpu(&attr); /* read by the thread: set before it */
    int rc = pthread_create(&l->thread, l->placed ? &attr : NULL, load_thread,
                            l);
    if (l->placed)
        pthread_attr_destroy(&attr);
    if (rc == 0) {
        l->threaded = true;
        return;
    }
    l->placed = false;
    load_thread(l);
}

int db_migrate_load_finish(struct db_graph **out,
                           struct db_migrate_loading *l,
                           struct db_error *err)
{
    if (l->threaded)
        pthread_join(l->thread, NULL);
    l->threaded = false;
    *out = l->g;
    l->g = NULL;
    if (l->rc && err)
        *err = l->err;
    return l->rc;
}

static const char default_template[] =
    "-- revision: ${revision}\n"
    "-- down_revision: ${down_revision}\n"
    "-- message: ${message}\n"
    "-- created: ${created}\n"
    "\n"
    "-- +upgrade\n"
    "${upgrade}\n"
    "\n"
    "-- +downgrade\n"
    "${downgrade}\n";


static void slug(char *out, size_t n, const char *message)
{
    size_t len = 0;
    int gap = 0;
    for (const char *p = message; *p && len + 2 < n && len < 40; p++) {
        if (isalnum((unsigned char)*p)) {
            if (gap && len > 0)
                out[len++] = '_';
            out[len++] = (char)tolower((unsigned char)*p);
            gap = 0;
        } else {
            gap = 1;
        }
    }
    out[len] = '\0';
    if (len == 0)
        snprintf(out, n, "revision");
}

static int line_has(const char *line, size_t len, const char *what)
{
    size_t w = strlen(what);
    for (size_t i = 0; i + w <= len; i++)
        if (memcmp(line + i, what, w) == 0)
            return 1;
    return 0;
}

static int read_template(struct db_buf *out, const struct db_config *cfg,
                         struct db_error *err)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/%s",
             cfg->migrations_dir[0] ? cfg->migrations_dir : "migrations",
             DB_MIGRATE_TEMPLATE);
    FILE *f = fopen(path, "rb");
    if (!f) {
        db_buf_puts(out, default_template);
        return 0;
    }
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        db_buf_putn(out, chunk, got);
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return db_error_set(err, DB_EIO, "cannot read %s", path);
    return 0;
}

int db_migrate_new_revision(char *out_path, size_t n,
                            const struct db_config *cfg,
                            const struct db_graph *g, const char *id,
                            const char *message, const char *const *parents,
                            size_t nparents, const char *up, const char *down,
                            struct db_error *err)
{
    char msg[256], rid[DB_REVISION_ID_MAX], created[40];
    snprintf(msg, sizeof msg, "%s", message ? message : "");
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    if (!msg[strspn(msg, " ")]) {
        db_error_set(err, DB_EUSAGE, "a revision needs a message");
        db_error_hint(err, "pass -m \"what the revision does\"");
        return DB_EUSAGE;
    }
    if (id) {
        size_t len = strlen(id);
        if (len == 0 || len >= sizeof rid ||
            strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                       "0123456789_") != len) {
            db_error_set(err, DB_EUSAGE, "bad revision id '%s'", id);
            db_error_hint(err, "ids are 1-63 letters, digits or '_'");
            return DB_EUSAGE;
        }
        if (db_migrate__find_id(g, id) >= 0) {
            db_error_set(err, DB_EUSAGE, "revision id '%s' is taken", id);
            db_error_hint(err, "leave --rev-id out for the next free id");
            return DB_EUSAGE;
        }
        snprintf(rid, sizeof rid, "%s", id);
    } else {
        db_graph_next_id(rid, sizeof rid, g);
    }
    db_migrate__now_utc(created, sizeof created);
    created[19] = '\0';
    int rc = db_mkdirs(g->dir, err);
    if (rc)
        return rc;

    struct db_buf tmpl = DB_BUF_INIT, text = DB_BUF_INIT, ps = DB_BUF_INIT;
    if ((rc = read_template(&tmpl, cfg, err)))
        goto out;
    for (size_t k = 0; k < nparents; k++)
        db_buf_printf(&ps, "%s%s", k ? ", " : "", parents[k]);
    const char *t = db_buf_str(&tmpl);
    while (*t) {
        const char *eol = strchr(t, '\n');
        size_t len = eol ? (size_t)(eol - t) + 1 : strlen(t);
        /* the first revision has no down_revision line at all */
        if (nparents == 0 && line_has(t, len, "${down_revision}")) {
            t += len;
            continue;
        }
        const char *end = t + len;
        while (t < end) {
            const char *close;
            if (t[0] == '$' && t[1] == '{' &&
                (close = memchr(t + 2, '}', (size_t)(end - t - 2)))) {
                size_t nlen = (size_t)(close - t - 2);
                const char *name = t + 2;
#define IS(s) (nlen == sizeof(s) - 1 && strncmp(name, s, nlen) == 0)
                if (IS("revision"))
                    db_buf_puts(&text, rid);
                else if (IS("down_revision"))
                    db_buf_puts(&text, db_buf_str(&ps));
                else if (IS("message"))
                    db_buf_puts(&text, msg);
                else if (IS("created"))
                    db_buf_printf(&text, "%s UTC", created);
                else if (IS("upgrade"))
                    db_buf_puts(&text, up ? up : "");
                else if (IS("downgrade"))
                    db_buf_puts(&text, down ? down : "");
                else
                    db_buf_putn(&text, t, nlen + 3);
#undef IS
                t = close + 1;
            } else {
                db_buf_putn(&text, t, 1);
                t++;
            }
        }
    }
    char name[64];
    slug(name, sizeof name, msg);
    snprintf(out_path, n, "%s/%s_%s.sql", g->dir, rid, name);
    if (!db_buf_ok(&text) || !db_buf_ok(&ps) || !db_buf_ok(&tmpl)) {
        rc = db_error_nomem(err);
        goto out;
    }
    int fd = open(out_path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) {
        rc = db_error_set(err, DB_EIO, "cannot create %s: %s", out_path,
                          strerror(errno));
        goto out;
    }
    size_t len = text.len;
    ssize_t w = write(fd, db_buf_str(&text), len);
    if (close(fd) != 0 || w < 0 || (size_t)w != len) {
        unlink(out_path);
        rc = db_error_set(err, DB_EIO, "cannot write %s", out_path);
    }
out:
    db_buf_free(&tmpl);
    db_buf_free(&text);
    db_buf_free(&ps);
    return rc;
}
