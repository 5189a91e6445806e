/*
 * sqlite.c - the SQLite driver.
 *
 * Every connection: foreign keys on, a busy timeout so concurrent writers
 * wait instead of failing, and WAL journaling for file databases so readers
 * never block the writer.
 *
 * Writers of one process take turns per database file before SQLite's
 * write lock: a statement that writes, outside a transaction, holds the
 * turn while it runs; BEGIN IMMEDIATE takes it until the transaction ends.
 * Threads then queue and are woken the moment the writer before them is
 * done, instead of sleeping in SQLite's busy handler (which backs off up
 * to 100 ms between tries). The wait for the turn is bounded by the same
 * busy timeout; other processes on the same file are still met by
 * SQLite's lock and busy timeout.
 *
 * A connection may leave its checkpoints (the copy of the WAL into the
 * database file, with its two fsyncs) to a thread of the file's own
 * (sqlite_checkpoint_aside): its commits then never wait on the disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../driver.h"
#include "../fsutil.h"
#include "../reflect.h"
#include "../url.h"
#include "sqlite_internal.h"
#include "sqlite_vfs.h"

struct writer;

#define STMT_CACHE 32

/* A statement kept prepared for the next query of the same text (the API
 * runs the same few on every request): reset after each use, so it holds
 * no lock in between; SQLite prepares it again by itself when the schema
 * changed. */
struct cached_stmt {
    char *sql;
    size_t len;
    sqlite3_stmt *st;
    int busy;              /* in use (a query run from a row callback) */
};

struct sqlite_conn {
    struct db_conn base;   /* first: recovered with DB_CONTAINER_OF */
    sqlite3 *db;
    char path[1024];
    struct cached_stmt stmts[STMT_CACHE];
    int nstmts, next_evict;
    struct writer *writer;     /* the file's write turn; NULL: none */
    int holds;                 /* this connection has the turn */
    int aside;                 /* its checkpoints are the thread's */
    int timeout_ms;
};

static struct sqlite_conn *conn_of(struct db_conn *c)
{
    return DB_CONTAINER_OF(c, struct sqlite_conn, base);
}

/* ---- the write turn ----------------------------------------------------- */

#define WRITERS_MAX 32

/* The write turn of one database file (full path), while connections to
 * it are open (conns, under writers_lock; an entry none uses serves the
 * next file): a flag under a mutex, so that any thread may give back a
 * turn another took. */
struct writer {
    char path[1024];
    int conns;
    pthread_mutex_t m;
    pthread_cond_t freed;
    int taken;
    /* the checkpointer, while connections that left it their checkpoints
     * are open (ck_users): woken by ck_wake when a commit left
     * CHECKPOINT_FRAMES uncopied (ck_due); ck_waiting while it waits for
     * the turn, which it then gets first (ck_turn); ck_stop from the last
     * user's close until it has ended (a new user waits on ck_wake for
     * that) */
    int ck_users, ck_due, ck_stop, ck_waiting;
    int ck_copied;         /* the WAL's frames copied by the last pass */
    long ck_held;          /* passes run with the writes held */
    atomic_int wal_frames; /* the WAL's length after the last commit */
    int ck_full;           /* CHECKPOINT_LIMIT reached: writers wait */
    pthread_cond_t ck_wake, ck_turn;
    pthread_t ck_thread;
    sqlite3 *ck_db;
    int ck_fd;             /* the database file, to sync */
};

static struct writer writers[WRITERS_MAX];
static int nwriters;
static pthread_mutex_t writers_lock = PTHREAD_MUTEX_INITIALIZER;

static struct writer *writer_of(const char *path)
{
    if (!path || !path[0] || strlen(path) >= sizeof writers[0].path)
        return NULL;
    struct writer *w = NULL, *unused = NULL;
    pthread_mutex_lock(&writers_lock);
    for (int i = 0; i < nwriters && !w; i++) {
        if (strcmp(writers[i].path, path) == 0)
            w = &writers[i];
        else if (!unused && writers[i].conns == 0)
            unused = &writers[i];
    }
    if (!w && !unused && nwriters < WRITERS_MAX) {
        unused = &writers[nwriters++];
        pthread_mutex_init(&unused->m, NULL);
        pthread_cond_init(&unused->freed, NULL);
        pthread_cond_init(&unused->ck_wake, NULL);
        pthread_cond_init(&unused->ck_turn, NULL);
    }
    if (!w && unused) {
        /* no connection holds its turn nor runs its checkpointer */
        w = unused;
        snprintf(w->path, sizeof w->path, "%s", path);
    }
    if (w)
        w->conns++;
    pthread_mutex_unlock(&writers_lock);
    return w;
}

/* A connection to w's file closed (its turn given back, its checkpointer
 * left): the entry may serve another file once none is left. */
static void writer_leave(struct writer *w)
{
    pthread_mutex_lock(&writers_lock);
    w->conns--;
    pthread_mutex_unlock(&writers_lock);
}

/* With w->m held: whether a writer must wait for the turn (taken, wanted
 * by the checkpointer, or held back by a WAL at its bound). */
static int turn_busy(const struct writer *w)
{
    return w->taken || w->ck_waiting || w->ck_full;
}

/* With w->m held: the turn given back; a checkpointer waiting for it gets
 * it first. */
static void turn_free(struct writer *w)
{
    w->taken = 0;
    pthread_cond_signal(w->ck_waiting ? &w->ck_turn : &w->freed);
}

/* Takes the write turn, waiting at most the busy timeout. Returns 0 (also
 * when held already or there is none) or DB_ELOCKED. */
static int turn_take(struct sqlite_conn *c, struct db_error *err)
{
    struct writer *w = c->writer;
    if (!w || c->holds)
        return 0;
    pthread_mutex_lock(&w->m);
    if (turn_busy(w)) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += c->timeout_ms / 1000;
        until.tv_nsec += (long)(c->timeout_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (turn_busy(w))
            if (pthread_cond_timedwait(&w->freed, &w->m, &until) ==
                    ETIMEDOUT &&
                turn_busy(w)) {
                pthread_mutex_unlock(&w->m);
                return db_error_set(err, DB_ELOCKED,
                                    "database is locked: another writer of "
                                    "this process held it for %d ms",
                                    c->timeout_ms);
            }
    }
    w->taken = 1;
    pthread_mutex_unlock(&w->m);
    c->holds = 1;
    return 0;
}

static void turn_release(struct writer *w)
{
    pthread_mutex_lock(&w->m);
    turn_free(w);
    pthread_mutex_unlock(&w->m);
}

/* Gives the turn back once no transaction is open on the connection. */
static void turn_give(struct sqlite_conn *c)
{
    if (c->holds && sqlite3_get_autocommit(c->db)) {
        c->holds = 0;
        turn_release(c->writer);
    }
}

/* Copies SQLite's message now: the next call may overwrite it. */
static int fail(sqlite3 *db, int code, struct db_error *err)
{
    db_error_set(err, code, "%s", db ? sqlite3_errmsg(db) : "out of memory");
    return code;
}

/* ---- checkpoints aside ------------------------------------------------- */

/* The WAL's length, in frames, that a commit leaves uncopied before it
 * asks for a copy (SQLite's own default for the checkpoint it runs in the
 * commit); the length from which the copy ends with the writes held, so
 * that the WAL starts over (RESTART_FRAMES); and the length from which
 * writers wait for that (writers that append faster than the disk takes
 * the copy: the WAL's bound). */
#define CHECKPOINT_FRAMES 1000
#define RESTART_FRAMES (16 * CHECKPOINT_FRAMES)
#define CHECKPOINT_LIMIT (2 * RESTART_FRAMES)

/* The database file's growth under the checkpointer, in bytes. */
#define CHUNK (4 << 20)

/* After a commit (SQLite's WAL hook, in the committing thread, which holds
 * the turn): wakes the checkpointer when the commit left CHECKPOINT_FRAMES
 * uncopied, and holds the writers back when the WAL is too long. */
static int on_commit(void *arg, sqlite3 *db, const char *name, int frames)
{
    (void)db;
    (void)name;
    struct writer *w = arg;
    atomic_store_explicit(&w->wal_frames, frames, memory_order_relaxed);
    if (frames < CHECKPOINT_FRAMES)
        return SQLITE_OK;
    pthread_mutex_lock(&w->m);
    if (frames < w->ck_copied)
        w->ck_copied = 0; /* started over */
    if (frames - w->ck_copied >= CHECKPOINT_FRAMES) {
        if (frames >= CHECKPOINT_LIMIT)
            w->ck_full = 1;
        if (!w->ck_due) {
            w->ck_due = 1;
            pthread_cond_signal(&w->ck_wake);
        }
    }
    pthread_mutex_unlock(&w->m);
    return SQLITE_OK;
}

/* One pass: copies the WAL as far as readers allow. The WAL's frames
 * copied so far (from its start), or -1 when the pass could not run;
 * *log: the WAL's length when the pass began. SQLite syncs the database
 * file only after a pass that copied the WAL to its end, which the passes
 * beside the writers seldom do; that one sync would then have all their
 * pages to write out, with the writers waiting: each pass beside them
 * (locked 0) is synced here. */
static int checkpoint_pass(struct writer *w, int locked, int *log)
{
    int copied = -1;
    *log = -1;
    sqlite3_wal_checkpoint_v2(w->ck_db, NULL, SQLITE_CHECKPOINT_PASSIVE,
                              log, &copied);
    if (!locked)
        fdatasync(w->ck_fd);
    return copied;
}

/* Syncs the WAL as it is now, so that the pass with the writers held
 * syncs only what they appended since. */
static void sync_wal(const struct writer *w)
{
    char wal[sizeof w->path + 8];
    snprintf(wal, sizeof wal, "%s-wal", w->path);
    int fd = open(wal, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        fdatasync(fd);
        close(fd);
    }
}

/* With w->m held: what a pass that found the WAL log frames long did. One
 * that copied nothing new while frames waited met a reader on an older
 * snapshot, which no copy gets past until it ends (holding the writers
 * neither): the frames it saw count as dealt with, so that the next try,
 * and the writers' wait at CHECKPOINT_LIMIT, come after CHECKPOINT_FRAMES
 * more, not after each commit. */
static void passed(struct writer *w, int copied, int log)
{
    if (copied > w->ck_copied)
        w->ck_copied = copied;
    else if (copied >= 0 && log > w->ck_copied)
        w->ck_copied = log;
}

/*
 * The checkpointer of one file. Each time commits have left
 * CHECKPOINT_FRAMES uncopied, it copies the WAL beside the writers, which
 * go on appending, and syncs the database file. A WAL copied to its end
 * starts over by itself (the next writer writes from its beginning) but,
 * under steady writes, a copy that runs beside them never reaches the end
 * and the WAL only grows. So once it is RESTART_FRAMES long, the copy ends
 * with a pass that runs with the turn taken: the WAL synced first, so
 * that the pass syncs only the frames appended since, then what is left
 * copied with nothing appended meanwhile, and the next writer starts the
 * WAL over. Writers of this process wait only for that pass, of a few
 * frames, once every RESTART_FRAMES, unless the WAL reached
 * CHECKPOINT_LIMIT.
 */
static void *checkpointer(void *arg)
{
    struct writer *w = arg;
    pthread_mutex_lock(&w->m);
    for (;;) {
        while (!w->ck_due && !w->ck_stop)
            pthread_cond_wait(&w->ck_wake, &w->m);
        if (w->ck_stop)
            break;
        w->ck_due = 0;
        int restart = atomic_load(&w->wal_frames) >= RESTART_FRAMES ||
                      w->ck_full;
        pthread_mutex_unlock(&w->m);
        int log, copied = checkpoint_pass(w, 0, &log);
        pthread_mutex_lock(&w->m);
        passed(w, copied, log);
        if (!restart || (!w->ck_full && copied >= 0 &&
                         copied >= atomic_load(&w->wal_frames)))
            continue; /* copied to the end: the next writer starts over */
        pthread_mutex_unlock(&w->m);
        sync_wal(w);
        pthread_mutex_lock(&w->m);
        w->ck_waiting = 1;
        while (w->taken)
            pthread_cond_wait(&w->ck_turn, &w->m);
        w->ck_waiting = 0;
        w->taken = 1;
        w->ck_held++;
        pthread_mutex_unlock(&w->m);
        copied = checkpoint_pass(w, 1, &log);
        pthread_mutex_lock(&w->m);
        /* what asked meanwhile is copied */
        w->ck_due = w->ck_full = 0;
        passed(w, copied, log);
        turn_free(w);
    }
    pthread_mutex_unlock(&w->m);
    return NULL;
}

/* Starts the file's checkpointer, with w->m held: its own connection
 * opened here, so that a file it cannot open is said at once. */
static int checkpointer_start(struct writer *w, struct db_error *err)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(w->path, &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "PRAGMA synchronous = NORMAL", NULL, NULL,
                          NULL);
    int fd = rc == SQLITE_OK ? open(w->path, O_RDONLY | O_CLOEXEC) : -1;
    if (rc != SQLITE_OK || fd < 0) {
        db_error_set(err, DB_ECONNECT, "cannot open SQLite database %s for "
                                       "its checkpoints: %s",
                     w->path, rc != SQLITE_OK ? sqlite3_errmsg(db)
                                              : strerror(errno));
        sqlite3_close(db);
        return DB_ECONNECT;
    }
    /* the file grows CHUNK bytes at a time as the copies reach its end:
     * the pages a copy appends then mostly land in blocks the file has,
     * and a sync writes them without a journal commit of the file
     * system's for the blocks allocated (1 ms against 5 and more, in the
     * pass that runs with the writes held) */
    int chunk = CHUNK;
    sqlite3_file_control(db, "main", SQLITE_FCNTL_CHUNK_SIZE, &chunk);
    w->ck_db = db;
    w->ck_fd = fd;
    w->ck_due = w->ck_full = w->ck_copied = 0;
    w->ck_held = 0;
    atomic_store(&w->wal_frames, 0);
    if (pthread_create(&w->ck_thread, NULL, checkpointer, w)) {
        sqlite3_close(db);
        close(fd);
        w->ck_db = NULL;
        return db_error_set(err, DB_ENOMEM, "cannot start the checkpoint "
                                            "thread of %s", w->path);
    }
    return 0;
}

static int sqlite_checkpoint_aside(struct db_conn *base, struct db_error *err)
{
    struct sqlite_conn *c = conn_of(base);
    struct writer *w = c->writer;
    if (!w || c->aside)
        return 0; /* in memory: no WAL */
    pthread_mutex_lock(&w->m);
    while (w->ck_stop)
        pthread_cond_wait(&w->ck_wake, &w->m);
    int rc = w->ck_users ? 0 : checkpointer_start(w, err);
    if (rc == 0)
        w->ck_users++;
    pthread_mutex_unlock(&w->m);
    if (rc)
        return rc;
    /* replaces the checkpoint SQLite runs in the commit */
    sqlite3_wal_hook(c->db, on_commit, w);
    /* a batch of writes (db_batch_begin), a savepoint each, keeps what
     * each changed in a statement journal: past 64 KiB SQLite moves it to
     * a temporary file, a file created, written and removed in the turn;
     * the server's transactions are a request's, kept in memory */
    sqlite3_exec(c->db, "PRAGMA temp_store = MEMORY", NULL, NULL, NULL);
    c->aside = 1;
    return 0;
}

long db_sqlite__held_passes(struct db_conn *base)
{
    struct writer *w = conn_of(base)->writer;
    if (!w)
        return 0;
    pthread_mutex_lock(&w->m);
    long n = w->ck_held;
    pthread_mutex_unlock(&w->m);
    return n;
}

/* A connection that left its checkpoints to the thread closes: the last
 * one stops it. */
static void checkpointer_leave(struct writer *w)
{
    pthread_mutex_lock(&w->m);
    if (--w->ck_users > 0) {
        pthread_mutex_unlock(&w->m);
        return;
    }
    w->ck_stop = 1;
    /* all: a new user may wait on ck_wake beside the thread */
    pthread_cond_broadcast(&w->ck_wake);
    pthread_mutex_unlock(&w->m);
    pthread_join(w->ck_thread, NULL);
    sqlite3_close(w->ck_db);
    close(w->ck_fd);
    pthread_mutex_lock(&w->m);
    w->ck_db = NULL;
    w->ck_stop = 0;
    pthread_cond_broadcast(&w->ck_wake);
    pthread_mutex_unlock(&w->m);
}


static int journal_mode(void *ctx, int ncols, char **vals, char **names)
{
    (void)names;
    snprintf(ctx, 16, "%s", ncols > 0 && vals[0] ? vals[0] : "");
    return 0;
}

/*
 * Puts the database in WAL mode unless it is already. Changing the journal
 * mode needs an exclusive lock, and SQLite may answer BUSY at once, without
 * the busy handler, when several processes open a new file together: retry
 * for up to timeout_ms.
 */
static int use_wal(sqlite3 *db, int timeout_ms, char **msg)
{
    for (int waited = 0;; waited += 10) {
        char mode[16] = "";
        int rc = sqlite3_exec(db, "PRAGMA journal_mode", journal_mode, mode,
                              msg);
        if (rc == SQLITE_OK && strcmp(mode, "wal") == 0)
            return SQLITE_OK;
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL,
                              msg);
        if (rc == SQLITE_OK || (rc & 0xff) != SQLITE_BUSY || waited >= timeout_ms)
            return rc;
        sqlite3_free(*msg);
        *msg = NULL;
        sqlite3_sleep(10);
    }
}

/* Whether path is the default development URL's file (var/app.db). */
static int is_default_path(const char *path)
{
    struct db_url d;
    return db_url_parse(&d, DB_CONFIG_DEFAULT_URL, NULL) == 0 &&
           strcmp(d.path, path) == 0;
}

/*
 * A mistyped path must not become a new, empty database. The file's
 * directory must exist (only var/ of the default URL is created); a
 * missing file is created in the pre-user phase, refused in production
 * unless cfg->create says so, and never created for a backup. *created
 * is set when the file does not exist yet.
 */
static int check_path(int *created, const char *path,
                      const struct db_config *cfg, struct db_error *err)
{
    struct stat st;
    *created = 0;
    if (stat(path, &st) == 0)
        return 0;
    if (errno != ENOENT)
        return db_error_set(err, DB_ECONFIG, "cannot open SQLite database "
                                             "%s: %s", path, strerror(errno));
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    int mkdir_default = 0;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        if (!is_default_path(path)) {
            db_error_set(err, DB_ECONFIG, "the directory of SQLite database "
                                          "%s does not exist: %s", path, dir);
            db_error_hint(err, "fix [database] url (set by %s), or create "
                               "the directory first; no directory is "
                               "created for you", cfg->url_source);
            return DB_ECONFIG;
        }
        mkdir_default = 1;
    }
    if (cfg->create == DB_CREATE_NO)
        return db_error_set(err, DB_ENOTFOUND, "SQLite database %s does not "
                                               "exist", path);
    if (cfg->create == DB_CREATE_BY_PHASE &&
        cfg->phase == DB_PHASE_PRODUCTION) {
        db_error_set(err, DB_EREFUSED, "SQLite database %s does not exist, "
                                       "and the production phase never "
                                       "creates one by accident", path);
        db_error_hint(err, "fix [database] url (set by %s); to start a new "
                           "production database on purpose: '{db} upgrade "
                           "--create-database'", cfg->url_source);
        return DB_EREFUSED;
    }
    *created = 1;
    return mkdir_default ? db_mkdirs(dir, err) : 0;
}

/* Before the library's first use: no allocation statistics (nothing
 * reads them; keeping them takes a global mutex on every allocation,
 * also on connections opened without mutexes). Refused, harmlessly, when
 * the library was already initialised. */
static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;

static void sqlite_configure(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    /* each WAL frame in one write (sqlite_vfs.h); without it, SQLite's
     * own VFS, which writes the same bytes in two */
    db_sqlite_vfs_register();
}

static int sqlite_connect(struct db_conn **out, const struct db_config *cfg,
                          struct db_error *err)
{
    pthread_once(&sqlite_once, sqlite_configure);
    struct db_url u;
    int rc = db_url_parse(&u, cfg->url, err);
    if (rc)
        return rc;
    int memory = strcmp(u.path, ":memory:") == 0, created = 0;
    if (!memory && (rc = check_path(&created, u.path, cfg, err)))
        return rc;
    struct sqlite_conn *c = calloc(1, sizeof *c);
    if (!c)
        return db_error_set(err, DB_ENOMEM, "out of memory");
    snprintf(c->path, sizeof c->path, "%s", u.path);
    c->base.created = created;
    /* Without CREATE when the file was there: gone meanwhile is an error. */
    if (sqlite3_open_v2(u.path, &c->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
                            (memory || created ? SQLITE_OPEN_CREATE : 0),
                        NULL) != SQLITE_OK) {
        db_error_set(err, DB_ECONNECT, "cannot open SQLite database %s: %s",
                     u.path, c->db ? sqlite3_errmsg(c->db) : "out of memory");
        sqlite3_close(c->db);
        free(c);
        return DB_ECONNECT;
    }
    sqlite3_extended_result_codes(c->db, 1);
    c->timeout_ms = db_config_lock_wait_ms(cfg);
    sqlite3_busy_timeout(c->db, c->timeout_ms);
    if (!memory)
        c->writer = writer_of(sqlite3_db_filename(c->db, "main"));
    const char *setup = memory ? "PRAGMA foreign_keys = ON;"
                               : "PRAGMA foreign_keys = ON;"
                                 "PRAGMA synchronous = NORMAL;";
    char *msg = NULL;
    int src = sqlite3_exec(c->db, setup, NULL, NULL, &msg);
    if (src == SQLITE_OK && !memory)
        src = use_wal(c->db, c->timeout_ms, &msg);
    if (src != SQLITE_OK) {
        db_error_set(err, DB_ECONNECT, "cannot set up SQLite database %s: %s",
                     u.path, msg ? msg : "unknown error");
        sqlite3_free(msg);
        sqlite3_close(c->db);
        if (c->writer)
            writer_leave(c->writer);
        free(c);
        return DB_ECONNECT;
    }
    *out = &c->base;
    return 0;
}

static void sqlite_close(struct db_conn *base)
{
    struct sqlite_conn *c = conn_of(base);
    for (int i = 0; i < c->nstmts; i++) {
        sqlite3_finalize(c->stmts[i].st);
        free(c->stmts[i].sql);
    }
    sqlite3_close(c->db);
    if (c->holds)
        turn_release(c->writer);
    if (c->aside)
        checkpointer_leave(c->writer);
    if (c->writer)
        writer_leave(c->writer);
    free(c);
}

/* Any SQL text (it may write): run with the write turn, which stays
 * taken while the text leaves a transaction open. */
static int sqlite_exec(struct db_conn *base, const char *sql,
                       struct db_error *err)
{
    struct sqlite_conn *c = conn_of(base);
    char *msg = NULL;
    int rc = turn_take(c, err);
    if (rc)
        return rc;
    if (sqlite3_exec(c->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int code = sqlite3_errcode(c->db);
        db_error_set(err, (code & 0xff) == SQLITE_BUSY ? DB_ELOCKED : DB_ESQL,
                     "%s", msg ? msg : sqlite3_errmsg(c->db));
        sqlite3_free(msg);
        rc = err ? err->code : DB_ESQL;
    }
    turn_give(c);
    return rc;
}

/* The prepared statement for sql: the cached one when it is free, else a
 * new one, cached when there is room (or in place of the oldest free).
 * *slot is its cache index, or -1 when the caller finalizes it. */
static int stmt_get(struct sqlite_conn *c, const char *sql,
                    sqlite3_stmt **out, int *slot)
{
    size_t len = strlen(sql);
    for (int i = 0; i < c->nstmts; i++) {
        struct cached_stmt *e = &c->stmts[i];
        if (e->len == len && !e->busy && memcmp(e->sql, sql, len) == 0) {
            e->busy = 1;
            *out = e->st;
            *slot = i;
            return SQLITE_OK;
        }
    }
    *slot = -1;
    int prc = sqlite3_prepare_v2(c->db, sql, -1, out, NULL);
    if (prc != SQLITE_OK || !*out)
        return prc;
    int i = c->nstmts < STMT_CACHE ? c->nstmts : -1;
    for (int k = 0; i < 0 && k < STMT_CACHE; k++) {
        int j = (c->next_evict + k) % STMT_CACHE;
        if (!c->stmts[j].busy)
            i = j;
    }
    if (i < 0)
        return SQLITE_OK;
    char *copy = malloc(len + 1);
    if (!copy)
        return SQLITE_OK;
    memcpy(copy, sql, len + 1);
    struct cached_stmt *e = &c->stmts[i];
    if (i < c->nstmts) {
        sqlite3_finalize(e->st);
        free(e->sql);
        c->next_evict = (i + 1) % STMT_CACHE;
    } else {
        c->nstmts++;
    }
    *e = (struct cached_stmt){.sql = copy, .len = len, .st = *out,
                              .busy = 1};
    *slot = i;
    return SQLITE_OK;
}

/* Done with a statement from stmt_get: reset for the next use (its
 * transaction, if it opened one, ends here) or finalized. */
static void stmt_put(struct sqlite_conn *c, sqlite3_stmt *st, int slot)
{
    if (slot < 0) {
        sqlite3_finalize(st);
        return;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    c->stmts[slot].busy = 0;
}

static int sqlite_query(struct db_conn *base, const char *sql, int nparams,
                        const char *const *params, db_row_fn fn, void *ctx,
                        long *changes, struct db_error *err)
{
    struct sqlite_conn *c = conn_of(base);
    sqlite3_stmt *st = NULL;
    int slot = -1;
    int prc = stmt_get(c, sql, &st, &slot);
    if (prc != SQLITE_OK)
        /* reading the schema can meet a lock too, after the busy timeout */
        return fail(c->db, (prc & 0xff) == SQLITE_BUSY ? DB_ELOCKED : DB_ESQL,
                    err);
    if (!st) { /* nothing but comments and spaces */
        if (changes)
            *changes = 0;
        return 0;
    }
    for (int i = 0; i < nparams; i++) {
        char name[16];
        snprintf(name, sizeof name, "$%d", i + 1);
        int idx = sqlite3_bind_parameter_index(st, name);
        if (idx == 0)
            continue;
        int brc = params[i] ? sqlite3_bind_text(st, idx, params[i], -1,
                                                SQLITE_TRANSIENT)
                            : sqlite3_bind_null(st, idx);
        if (brc != SQLITE_OK) {
            fail(c->db, DB_ESQL, err);
            stmt_put(c, st, slot);
            return DB_ESQL;
        }
    }
    /* a statement that writes takes the write turn for its run */
    if (!sqlite3_stmt_readonly(st) && (prc = turn_take(c, err)) != 0) {
        stmt_put(c, st, slot);
        return prc;
    }
    const char *vals_small[16];
    const char *names_small[16];
    const char **vals = vals_small, **names = names_small;
    int cap = 16;
    int rc = 0, step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (!fn)
            continue;
        /* counted per row: a kept statement prepared again by SQLite after
         * a schema change may have gained columns */
        int ncols = sqlite3_column_count(st);
        if (ncols > cap) {
            const char **v = malloc(sizeof *v * (size_t)ncols);
            const char **n = malloc(sizeof *n * (size_t)ncols);
            if (!v || !n) {
                free(v);
                free(n);
                rc = db_error_set(err, DB_ENOMEM, "out of memory");
                break;
            }
            if (vals != vals_small) {
                free(vals);
                free(names);
            }
            vals = v;
            names = n;
            cap = ncols;
        }
        for (int i = 0; i < ncols; i++) {
            vals[i] = (const char *)sqlite3_column_text(st, i);
            names[i] = sqlite3_column_name(st, i);
        }
        rc = fn(ctx, ncols, vals, names);
        if (rc)
            break;
    }
    if (!rc && step != SQLITE_DONE) {
        int code = (sqlite3_errcode(c->db) & 0xff) == SQLITE_BUSY ? DB_ELOCKED
                                                                   : DB_ESQL;
        rc = fail(c->db, code, err);
    }
    if (vals != vals_small) {
        free(vals);
        free(names);
    }
    if (changes)
        *changes = sqlite3_changes(c->db);
    stmt_put(c, st, slot);
    turn_give(c);
    return rc;
}

static int sqlite_begin(struct db_conn *c, struct db_error *err)
{
    return sqlite_exec(c, "BEGIN IMMEDIATE", err);
}

static int sqlite_commit(struct db_conn *c, struct db_error *err)
{
    return sqlite_exec(c, "COMMIT", err);
}

static int sqlite_rollback(struct db_conn *c, struct db_error *err)
{
    struct sqlite_conn *sc = conn_of(c);
    if (sqlite3_get_autocommit(sc->db)) {
        turn_give(sc);
        return 0; /* SQLite already rolled back */
    }
    return sqlite_exec(c, "ROLLBACK", err);
}

static int sqlite_version(struct db_conn *c, char *out, size_t n,
                          struct db_error *err)
{
    (void)c;
    (void)err;
    snprintf(out, n, "SQLite %s", sqlite3_libversion());
    return 0;
}

static int sqlite_table_exists(struct db_conn *c, const char *table,
                               struct db_error *err)
{
    char v[8];
    const char *params[] = {table};
    int rc = db_query_value(c,
                            "SELECT 1 FROM \"main\".sqlite_master WHERE "
                            "type = 'table' AND name = $1",
                            1, params, v, sizeof v, err);
    if (rc == DB_ENOTFOUND)
        return 0;
    return rc < 0 ? rc : 1;
}

static int sqlite_backup(struct db_conn *base, const char *path,
                         struct db_error *err)
{
    struct sqlite_conn *c = conn_of(base);
    sqlite3 *dst = NULL;
    int rc = sqlite3_open_v2(path, &dst,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        db_error_set(err, DB_EIO, "cannot create backup %s: %s", path,
                     dst ? sqlite3_errmsg(dst) : "out of memory");
        sqlite3_close(dst);
        return DB_EIO;
    }
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", c->db, "main");
    if (!b) {
        db_error_set(err, DB_EIO, "cannot back up to %s: %s", path,
                     sqlite3_errmsg(dst));
        sqlite3_close(dst);
        return DB_EIO;
    }
    /* Pages in steps, so writers elsewhere are not blocked for the whole copy. */
    do {
        rc = sqlite3_backup_step(b, 1024);
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
            sqlite3_sleep(10);
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) {
        db_error_set(err, DB_EIO, "backup to %s failed: %s", path,
                     sqlite3_errstr(rc));
        sqlite3_close(dst);
        remove(path);
        return DB_EIO;
    }
    /* The copy carries the source's WAL mode: make it one standalone file. */
    sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
    if (sqlite3_close(dst) != SQLITE_OK) {
        remove(path);
        return db_error_set(err, DB_EIO, "cannot close backup %s", path);
    }
    return 0;
}

const struct db_driver db_driver_sqlite = {
    .name = "sqlite",
    .scheme = "sqlite",
    .serial_writes = true,
    .dialect = DB_DIALECT_SQLITE,
    .connect = sqlite_connect,
    .close = sqlite_close,
    .exec = sqlite_exec,
    .query = sqlite_query,
    .begin = sqlite_begin,
    .commit = sqlite_commit,
    .rollback = sqlite_rollback,
    .lock = NULL,
    .unlock = NULL,
    .version = sqlite_version,
    .table_exists = sqlite_table_exists,
    .backup = sqlite_backup,
    .reflect = db_sqlite__reflect,
    .checkpoint_aside = sqlite_checkpoint_aside,
};
