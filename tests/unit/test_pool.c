/*
 * test_pool.c - the server's connections after the database went away:
 * a session ended by the server (pg_terminate_backend) is seen without a
 * round trip, reported as a lost connection (DB_ECONNECT, never a SQL
 * error), and the pool re-establishes it with its statements prepared
 * again. SQLite connections are never lost, and leave their checkpoints
 * to the driver's thread. The backoff schedule is the
 * one `db wait` uses.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/connect_wait.h"
#include "db/driver.h"
#include "http/pool.h"
#include "testutil.h"

#define PG 1

/* Ends conn's session from another one, and waits until it is gone. */
static void terminate(struct db_conn *killer, struct db_conn *victim)
{
    char pid[32];
    struct db_error err;
    ck_assert_int_eq(db_query_value(victim, "SELECT pg_backend_pid()", 0,
                                    NULL, pid, sizeof pid, &err), 0);
    const char *p[] = {pid};
    char v[8];
    ck_assert_int_eq(db_query_value(killer,
                                    "SELECT pg_terminate_backend($1::int, "
                                    "5000)", 1, p, v, sizeof v, &err), 0);
    ck_assert_str_eq(v, "t");
}

/* Counts the pool's log lines. */
static void log_line(void *ctx, const char *line)
{
    (void)line;
    ++*(int *)ctx;
}

START_TEST(test_pool__backoff_schedule)
{
    struct db_backoff b;
    db_backoff_init(&b, DB_BACKOFF_MAX);
    double want[] = {0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_double_eq_tol(db_backoff_next(&b), want[i], 1e-9);
    db_backoff_init(&b, HTTP_POOL_BACKOFF_MAX);
    double serve[] = {0.05, 0.1, 0.2, 0.4, 0.5, 0.5};
    for (size_t i = 0; i < sizeof serve / sizeof serve[0]; i++)
        ck_assert_double_eq_tol(db_backoff_next(&b), serve[i], 1e-9);
}
END_TEST

START_TEST(test_pool__terminated_session_is_a_lost_connection)
{
    struct db_config cfg;
    tu_config_backend(&cfg, PG);
    struct db_conn *c = tu_connect(&cfg), *killer = tu_connect(&cfg);
    ck_assert_int_eq(db_conn_alive(c), 1);
    terminate(killer, c);
    /* seen on the socket, without running anything */
    ck_assert_int_eq(db_conn_alive(c), 0);
    char v[8];
    struct db_error err;
    int rc = db_query_value(c, "SELECT 1", 0, NULL, v, sizeof v, &err);
    ck_assert_int_eq(rc, DB_ECONNECT);
    db_disconnect(c);

    /* the same when the statement itself meets the ended session */
    c = tu_connect(&cfg);
    terminate(killer, c);
    rc = db_query_value(c, "SELECT 1", 0, NULL, v, sizeof v, &err);
    ck_assert_msg(rc == DB_ECONNECT, "%d: %s", rc, err.message);
    ck_assert_int_eq(db_conn_alive(c), 0);
    db_disconnect(c);
    db_disconnect(killer);
}
END_TEST

START_TEST(test_pool__reconnects_and_prepares_again)
{
    struct db_config cfg;
    tu_config_backend(&cfg, PG);
    struct db_conn *first = tu_connect(&cfg), *killer = tu_connect(&cfg);
    int lines = 0;
    struct http_pool *p;
    struct db_error err;
    ck_assert_int_eq(http_pool_open(&p, &cfg, &first, 1, 0, log_line, &lines, 0,
                                    &err), 0);
    const char *sql = "SELECT count(*) FROM pg_prepared_statements "
                      "WHERE statement = $1";
    const char *param[] = {sql};
    char v[16];
    struct db_conn *c;
    unsigned slot = http_pool_take(p, 0, &c);
    ck_assert_ptr_eq(c, first);
    /* the second run prepares it */
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(db_query_value(c, sql, 1, param, v, sizeof v, &err),
                         0);
    ck_assert_int_eq(db_query_value(c, sql, 1, param, v, sizeof v, &err), 0);
    ck_assert_str_eq(v, "1");
    http_pool_give(p, slot);

    terminate(killer, first);
    slot = http_pool_take(p, 0, &c);
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_ne(c, first);
    ck_assert_int_eq(lines, 2); /* lost, re-established */
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(db_query_value(c, sql, 1, param, v, sizeof v, &err),
                         0);
    /* a new session, and the statement prepared on it again */
    ck_assert_int_eq(db_query_value(c, sql, 1, param, v, sizeof v, &err), 0);
    ck_assert_str_eq(v, "1");
    http_pool_give(p, slot);
    http_pool_close(p);
    db_disconnect(first); /* borrowed: its owner closes it */
    db_disconnect(killer);
}
END_TEST

START_TEST(test_pool__unreachable_database_backs_off)
{
    struct db_config cfg;
    tu_config_backend(&cfg, PG);
    struct db_conn *first = tu_connect(&cfg), *killer = tu_connect(&cfg);
    struct db_config gone = cfg;
    /* the replacement goes to a server that is not there */
    snprintf(gone.url, sizeof gone.url,
             "postgresql://postgres@/postgres?host=%s", tu_tmpdir());
    int lines = 0;
    struct http_pool *p;
    struct db_error err;
    ck_assert_int_eq(http_pool_open(&p, &gone, &first, 1, 0, log_line, &lines,
                                    0, &err), 0);
    terminate(killer, first);
    struct db_conn *c;
    unsigned slot = http_pool_take(p, 0, &c);
    ck_assert_ptr_null(c);  /* lost, first attempt failed: 503 */
    http_pool_give(p, slot);
    ck_assert_int_eq(lines, 2);
    /* within the backoff delay: no attempt, no line */
    slot = http_pool_take(p, 0, &c);
    ck_assert_ptr_null(c);
    http_pool_give(p, slot);
    ck_assert_int_eq(lines, 2);
    http_pool_close(p);
    db_disconnect(first);
    db_disconnect(killer);
}
END_TEST

START_TEST(test_pool__sqlite_connections_stay)
{
    struct db_config cfg;
    tu_config_backend(&cfg, 0);
    struct db_conn *first = tu_connect(&cfg);
    ck_assert_int_eq(db_conn_alive(first), 1);
    struct http_pool *p;
    struct db_error err;
    ck_assert_int_eq(tu_long(first, "PRAGMA wal_autocheckpoint"), 1000);
    ck_assert_int_eq(http_pool_open(&p, &cfg, &first, 1, 0, NULL, NULL, 0,
                                    &err), 0);
    /* the pool's connections leave their checkpoints to the driver's
     * thread (test_checkpoint.c): their commits no longer run one */
    ck_assert_int_eq(tu_long(first, "PRAGMA wal_autocheckpoint"), 0);
    struct db_conn *c;
    for (int i = 0; i < 3; i++) {
        unsigned slot = http_pool_take(p, 0, &c);
        ck_assert_ptr_eq(c, first);
        http_pool_give(p, slot);
    }
    http_pool_close(p);
    db_disconnect(first);
}
END_TEST

/* With a writer slot, writes always get slot 0 and nothing else does:
 * two reads at once get the two other slots. A writer slot needs a slot
 * besides it. */
START_TEST(test_pool__writer_slot_serves_only_writes)
{
    struct db_config cfg;
    tu_config_backend(&cfg, 0);
    struct db_conn *conns[] = {tu_connect(&cfg), tu_connect(&cfg),
                               tu_connect(&cfg)};
    struct http_pool *p;
    struct db_error err;
    ck_assert_int_eq(http_pool_open(&p, &cfg, conns, 1, 1, NULL, NULL, 0,
                                    &err), DB_EUSAGE);
    ck_assert_int_eq(http_pool_open(&p, &cfg, conns, 3, 1, NULL, NULL, 0,
                                    &err), 0);
    struct db_conn *w, *r1, *r2;
    unsigned ws = http_pool_take(p, 1, &w);
    ck_assert_uint_eq(ws, 0);
    ck_assert_ptr_eq(w, conns[0]);
    unsigned s1 = http_pool_take(p, 0, &r1);
    unsigned s2 = http_pool_take(p, 0, &r2);
    ck_assert_uint_ne(s1, 0);
    ck_assert_uint_ne(s2, 0);
    ck_assert_uint_ne(s1, s2);
    ck_assert_ptr_eq(r1, conns[s1]);
    ck_assert_ptr_eq(r2, conns[s2]);
    http_pool_give(p, s1);
    http_pool_give(p, ws);
    ck_assert_uint_eq(http_pool_take(p, 1, &w), 0);
    ck_assert_uint_eq(http_pool_take(p, 0, &r1), s1);
    http_pool_give(p, 0);
    http_pool_give(p, s1);
    http_pool_give(p, s2);
    http_pool_close(p);
    for (int i = 0; i < 3; i++)
        db_disconnect(conns[i]);
}
END_TEST

Suite *pool_suite(void)
{
    Suite *s = suite_create("pool");
    TCase *tc = tcase_create("pool");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, NULL, tu_cleanup);
    tcase_add_test(tc, test_pool__backoff_schedule);
    tcase_add_test(tc, test_pool__sqlite_connections_stay);
    tcase_add_test(tc, test_pool__writer_slot_serves_only_writes);
    /* without TEST_PG_URL these fail (tu_config_backend says why) */
    tcase_add_test(tc, test_pool__terminated_session_is_a_lost_connection);
    tcase_add_test(tc, test_pool__reconnects_and_prepares_again);
    tcase_add_test(tc, test_pool__unreachable_database_backs_off);
    suite_add_tcase(s, tc);
    return s;
}
