/*
 * test_checkpoint.c - SQLite connections that leave their checkpoints to
 * the file's thread (db_checkpoint_aside, what `serve` asks for): their
 * commits no longer checkpoint and their statement journals stay in
 * memory, the thread copies the WAL beside steady writes from several
 * threads and starts it over at its bound without losing a row, the
 * database file grows by chunks, and the thread lives exactly as long as
 * the connections that asked for it.
 */
#include <check.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "db/driver.h"
#include "db/drivers/sqlite_internal.h"
#include "db/url.h"
#include "testutil.h"

/* The threads of this process. */
static int threads(void)
{
    DIR *d = opendir("/proc/self/task");
    ck_assert_ptr_nonnull(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void wal_path(char *out, size_t n, const struct db_config *cfg)
{
    struct db_url u;
    ck_assert_int_eq(db_url_parse(&u, cfg->url, NULL), 0);
    snprintf(out, n, "%s-wal", u.path);
}

START_TEST(test_checkpoint__commits_no_longer_checkpoint)
{
    struct db_config cfg;
    tu_config_backend(&cfg, 0);
    struct db_conn *plain = tu_connect(&cfg), *aside = tu_connect(&cfg);
    struct db_error err;
    ck_assert_int_eq(db_checkpoint_aside(aside, &err), 0);
    /* asking twice changes nothing */
    ck_assert_int_eq(db_checkpoint_aside(aside, &err), 0);
    ck_assert_int_eq(tu_long(plain, "PRAGMA wal_autocheckpoint"), 1000);
    ck_assert_int_eq(tu_long(aside, "PRAGMA wal_autocheckpoint"), 0);
    /* a request's savepoints journal in memory (2); a command's
     * transactions (a migration's) keep SQLite's default (0: files) */
    ck_assert_int_eq(tu_long(aside, "PRAGMA temp_store"), 2);
    ck_assert_int_eq(tu_long(plain, "PRAGMA temp_store"), 0);
    db_disconnect(aside);
    db_disconnect(plain);
}
END_TEST

/* One thread, one connection of its own, ROWS commits of a frame or two
 * each (the table's last leaf, now and then its parent). The thread's
 * bounds, in frames (sqlite.c): it starts the WAL over once it is 16,000
 * frames long, and writers wait for that at 32,000. */
#define ROWS 17000
#define RESTART_FRAMES 16000
#define FRAME 4120 /* a page and its 24-byte header */
#define CHUNK (4L << 20)

static void *writes(void *arg)
{
    struct db_conn *c = arg;
    for (int i = 0; i < ROWS; i++) {
        struct db_error err;
        if (db_exec(c, "INSERT INTO t (v) VALUES ('a row of the test')",
                    &err))
            return "insert failed";
    }
    return NULL;
}

/* Opened again, the file has rows rows in t and passes its integrity
 * check. */
static void all_rows_there(const struct db_config *cfg, long rows)
{
    struct db_conn *again = tu_connect(cfg);
    ck_assert_int_eq(tu_long(again, "SELECT count(*) FROM t"), rows);
    char *ok = tu_str(again, "PRAGMA integrity_check");
    ck_assert_str_eq(ok, "ok");
    free(ok);
    db_disconnect(again);
}

START_TEST(test_checkpoint__wal_starts_over_under_steady_writes)
{
    struct db_config cfg;
    tu_config_backend(&cfg, 0);
    struct db_conn *c[2] = {tu_connect(&cfg), tu_connect(&cfg)};
    tu_exec(c[0], "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
    struct db_error err;
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(db_checkpoint_aside(c[i], &err), 0);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, writes, c[i]), 0);
    for (int i = 0; i < 2; i++) {
        void *failed;
        pthread_join(t[i], &failed);
        ck_assert_msg(!failed, "%s", (const char *)failed);
    }
    /* 34,000 commits: a WAL never started over would hold 34,000 frames
     * and more, one started over only when writers wait for it 32,000;
     * started over at its bound, it stays near 16,000 (the frames
     * appended while the last copy before it ran on top) */
    char wal[1100];
    wal_path(wal, sizeof wal, &cfg);
    struct stat st;
    ck_assert_int_eq(stat(wal, &st), 0);
    ck_assert_msg(st.st_size < (long)(RESTART_FRAMES * 3 / 2) * FRAME,
                  "the WAL grew to %lld bytes", (long long)st.st_size);
    /* the copies beside the writers grew the database file, by chunks */
    struct db_url u;
    ck_assert_int_eq(db_url_parse(&u, cfg.url, NULL), 0);
    ck_assert_int_eq(stat(u.path, &st), 0);
    ck_assert_msg(st.st_size >= CHUNK && st.st_size % CHUNK == 0,
                  "the database file is %lld bytes", (long long)st.st_size);
    db_disconnect(c[1]);
    db_disconnect(c[0]);
    all_rows_there(&cfg, 2 * ROWS);
}
END_TEST

/*
 * A reader that keeps an old snapshot (a long report, another process's
 * open transaction) stops every copy at its frame until it ends: the WAL
 * cannot start over and grows past the writers' bound. Holding the
 * writers for a copy then shortens nothing, so the thread tries again
 * only each time CHECKPOINT_FRAMES more have come (sqlite.c): about one
 * pass with the writes held per 1,000 commits, not one per commit. Once
 * the reader has ended, the copies go on and nothing is lost.
 */
#define PINNED_ROWS 40000

START_TEST(test_checkpoint__a_reader_on_an_old_snapshot_holds_no_writer)
{
    struct db_config cfg;
    tu_config_backend(&cfg, 0);
    struct db_conn *c = tu_connect(&cfg);
    tu_exec(c, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
    tu_exec(c, "INSERT INTO t (v) VALUES ('first')");
    struct db_error err;
    ck_assert_int_eq(db_checkpoint_aside(c, &err), 0);
    /* the reader: a connection of its own, as another process's would be */
    struct db_url u;
    ck_assert_int_eq(db_url_parse(&u, cfg.url, NULL), 0);
    sqlite3 *reader;
    ck_assert_int_eq(sqlite3_open(u.path, &reader), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM t",
                                  NULL, NULL, NULL), SQLITE_OK);
    for (int i = 0; i < PINNED_ROWS; i++) {
        int rc = db_exec(c, "INSERT INTO t (v) VALUES ('a row of the test')",
                         &err);
        ck_assert_msg(rc == 0, "commit %d: %s", i, err.message);
    }
    /* the WAL went past the writers' bound (32,000 frames) */
    char wal[1100];
    wal_path(wal, sizeof wal, &cfg);
    struct stat st;
    ck_assert_int_eq(stat(wal, &st), 0);
    ck_assert_msg(st.st_size > 2L * RESTART_FRAMES * FRAME,
                  "the WAL is only %lld bytes", (long long)st.st_size);
    /* from 16,000 frames on, a try of the thread ends with the writes held:
     * once per 1,000 commits makes 24; once per commit, thousands */
    long held = db_sqlite__held_passes(c);
    ck_assert_msg(held >= 1 && held <= 100, "%ld passes with the writes "
                                            "held", held);
    ck_assert_int_eq(sqlite3_exec(reader, "COMMIT", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(reader);
    for (int i = 0; i < 2000; i++)
        ck_assert_int_eq(db_exec(c, "INSERT INTO t (v) VALUES ('after')",
                                 &err), 0);
    db_disconnect(c);
    all_rows_there(&cfg, 1 + PINNED_ROWS + 2000);
}
END_TEST

START_TEST(test_checkpoint__thread_lives_with_the_connections_that_asked)
{
    struct db_config cfg;
    tu_config_backend(&cfg, 0);
    int before = threads();
    struct db_conn *a = tu_connect(&cfg), *b = tu_connect(&cfg);
    struct db_error err;
    ck_assert_int_eq(threads(), before);
    ck_assert_int_eq(db_checkpoint_aside(a, &err), 0);
    ck_assert_int_eq(threads(), before + 1);
    ck_assert_int_eq(db_checkpoint_aside(b, &err), 0);
    ck_assert_int_eq(threads(), before + 1); /* one per file */
    db_disconnect(a);
    ck_assert_int_eq(threads(), before + 1);
    db_disconnect(b);
    ck_assert_int_eq(threads(), before);
    /* and again, after the last one closed */
    a = tu_connect(&cfg);
    ck_assert_int_eq(db_checkpoint_aside(a, &err), 0);
    ck_assert_int_eq(threads(), before + 1);
    db_disconnect(a);
    ck_assert_int_eq(threads(), before);
    /* a database in memory has no WAL: nothing to leave */
    struct db_config mem;
    db_config_defaults(&mem);
    snprintf(mem.url, sizeof mem.url, "sqlite:///:memory:");
    struct db_conn *m = tu_connect(&mem);
    ck_assert_int_eq(db_checkpoint_aside(m, &err), 0);
    ck_assert_int_eq(threads(), before);
    ck_assert_int_eq(tu_long(m, "PRAGMA wal_autocheckpoint"), 1000);
    db_disconnect(m);
}
END_TEST

Suite *checkpoint_suite(void)
{
    Suite *s = suite_create("checkpoint");
    TCase *tc = tcase_create("checkpoint");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, NULL, tu_cleanup);
    tcase_add_test(tc, test_checkpoint__commits_no_longer_checkpoint);
    tcase_add_test(tc, test_checkpoint__wal_starts_over_under_steady_writes);
    tcase_add_test(tc, test_checkpoint__a_reader_on_an_old_snapshot_holds_no_writer);
    tcase_add_test(tc,
                   test_checkpoint__thread_lives_with_the_connections_that_asked);
    suite_add_tcase(s, tc);
    return s;
}
