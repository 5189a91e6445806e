/*
 * test_checkpoint.c - SQLite connections that leave their checkpoints to
 * the file's thread (db_checkpoint_aside, what `serve` asks for): their
 * commits no longer checkpoint, the thread keeps the WAL short under
 * steady writes from several threads without losing a row, and it lives
 * exactly as long as the connections that asked for it.
 */
#include <check.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "db/driver.h"
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
    db_disconnect(aside);
    db_disconnect(plain);
}
END_TEST

/* One thread, one connection of its own, 1,500 commits of a page each. */
#define ROWS 1500

static void *writes(void *arg)
{
    struct db_conn *c = arg;
    char blob[3000];
    memset(blob, 'x', sizeof blob - 1);
    blob[sizeof blob - 1] = '\0';
    const char *p[] = {blob};
    for (int i = 0; i < ROWS; i++) {
        struct db_error err;
        if (db_query(c, "INSERT INTO t (v) VALUES ($1)", 1, p, NULL, NULL,
                     NULL, &err))
            return "insert failed";
    }
    return NULL;
}

START_TEST(test_checkpoint__wal_stays_short_under_steady_writes)
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
    /* 3,000 commits of two pages or more: a WAL never started over
     * would hold 6,000 frames and more (24 MB); the thread's checkpoints
     * start it over, and writers wait for them at 4,000 frames (a frame:
     * a page and its 24-byte header) */
    char wal[1100];
    wal_path(wal, sizeof wal, &cfg);
    struct stat st;
    ck_assert_int_eq(stat(wal, &st), 0);
    ck_assert_msg(st.st_size < 4100L * 4120, "the WAL grew to %lld bytes",
                  (long long)st.st_size);
    db_disconnect(c[1]);
    db_disconnect(c[0]);
    struct db_conn *again = tu_connect(&cfg);
    ck_assert_int_eq(tu_long(again, "SELECT count(*) FROM t"), 2 * ROWS);
    db_disconnect(again);
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
    tcase_add_test(tc, test_checkpoint__wal_stays_short_under_steady_writes);
    tcase_add_test(tc,
                   test_checkpoint__thread_lives_with_the_connections_that_asked);
    suite_add_tcase(s, tc);
    return s;
}
