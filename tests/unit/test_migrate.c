/*
 * test_migrate.c - upgrade, downgrade, stamp, the dirty marker and
 * run_migrations, on every backend (SQLite file; PostgreSQL when
 * TEST_PG_URL is set).
 */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/database.h"
#include "db/migrate.h"
#include "testutil.h"

static struct db_config cfg;
static char vdir[1100];

static void setup_backend(int i)
{
    tu_config_backend(&cfg, i);
    tu_migrations(&cfg, vdir, sizeof vdir);
}

static void file(const char *name, const char *text)
{
    char path[1300];
    snprintf(path, sizeof path, "%s/%s", vdir, name);
    tu_write_file(path, text);
}

static void three_revisions(void)
{
    file("0001_a.sql", "-- revision: 0001\n-- message: a\n\n-- +upgrade\n"
                       "CREATE TABLE \"a\" (\"id\" INTEGER PRIMARY KEY);\n\n"
                       "-- +downgrade\nDROP TABLE \"a\";\n");
    file("0002_b.sql", "-- revision: 0002\n-- down_revision: 0001\n"
                       "-- message: b\n\n-- +upgrade\n"
                       "CREATE TABLE \"b\" (\"id\" INTEGER PRIMARY KEY);\n"
                       "INSERT INTO \"b\" (\"id\") VALUES (1);\n\n"
                       "-- +downgrade\nDROP TABLE \"b\";\n");
    file("0003_c.sql", "-- revision: 0003\n-- down_revision: 0002\n"
                       "-- message: c\n\n-- +upgrade\n"
                       "CREATE INDEX \"ix_b\" ON \"b\" (\"id\");\n\n"
                       "-- +downgrade\nDROP INDEX \"ix_b\";\n");
}

static struct db_graph *load(void)
{
    struct db_graph *g;
    struct db_error err;
    int rc = db_migrate_load(&g, &cfg, &err);
    ck_assert_msg(rc == 0, "load: %s", err.message);
    return g;
}

static int table_exists(struct db_conn *c, const char *t)
{
    struct db_error err;
    int rc = c->driver->table_exists(c, t, &err);
    ck_assert_int_ge(rc, 0);
    return rc;
}

static void head_is(struct db_conn *c, const char *want)
{
    char v[64];
    struct db_error err;
    int rc = db_query_value(c, "SELECT \"revision\" FROM \"app_version\"", 0,
                            NULL, v, sizeof v, &err);
    if (!want) {
        ck_assert_int_eq(rc, DB_ENOTFOUND);
        return;
    }
    ck_assert_msg(rc == 0, "%s", err.message);
    ck_assert_str_eq(v, want);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM \"app_version\""), 1);
}

START_TEST(test_migrate__upgrade_and_downgrade)
{
    setup_backend(_i);
    three_revisions();
    struct db_graph *g = load();
    struct db_conn *c = tu_connect(&cfg);
    struct db_error err;
    size_t n = 0;
    ck_assert_int_eq(db_migrate_upgrade(c, g, "+1", NULL, &n, &err), 0);
    ck_assert_int_eq(n, 1);
    head_is(c, "0001");
    ck_assert_int_eq(db_migrate_upgrade(c, g, "head", NULL, &n, &err), 0);
    ck_assert_int_eq(n, 2);
    head_is(c, "0003");
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM \"b\""), 1);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM \"app_version_history\" "
                                "WHERE \"operation\" = 'up'"), 3);
    ck_assert_int_eq(db_migrate_upgrade(c, g, "head", NULL, &n, &err), 0);
    ck_assert_int_eq(n, 0);

    ck_assert_int_eq(db_migrate_downgrade(c, g, "0001", NULL, &n, &err), 0);
    ck_assert_int_eq(n, 2);
    head_is(c, "0001");
    ck_assert_int_eq(table_exists(c, "b"), 0);
    ck_assert_int_eq(db_migrate_downgrade(c, g, "base", NULL, &n, &err), 0);
    head_is(c, NULL);
    ck_assert_int_eq(table_exists(c, "a"), 0);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM \"app_version_history\" "
                                "WHERE \"operation\" = 'down'"), 3);
    db_disconnect(c);
    db_graph_free(g);
}
END_TEST

START_TEST(test_migrate__failing_revision_leaves_no_trace)
{
    setup_backend(_i);
    three_revisions();
    file("0002_b.sql", "-- revision: 0002\n-- down_revision: 0001\n"
                       "-- message: b\n\n-- +upgrade\n"
                       "CREATE TABLE \"b\" (\"id\" INTEGER PRIMARY KEY);\n"
                       "INSERT INTO \"nope\" VALUES (1);\n");
    struct db_graph *g = load();
    struct db_conn *c = tu_connect(&cfg);
    struct db_error err;
    size_t n = 0;
    ck_assert_int_eq(db_migrate_upgrade(c, g, "head", NULL, &n, &err),
                     DB_ESQL);
    ck_assert_int_eq(n, 1);
    ck_assert_ptr_nonnull(strstr(err.file, "0002_b.sql"));
    ck_assert_int_eq(err.line, 7);
    ck_assert_ptr_nonnull(strstr(err.message, "upgrade 0002"));
    ck_assert_ptr_nonnull(strstr(err.message, "INSERT INTO \"nope\""));
    ck_assert_ptr_nonnull(strstr(err.message, "nope")); /* database's text */
    head_is(c, "0001");
    ck_assert_int_eq(table_exists(c, "b"), 0);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM \"app_version_history\""), 1);
    db_disconnect(c);
    db_graph_free(g);
}
END_TEST

START_TEST(test_migrate__edited_file_is_refused)
{
    setup_backend(_i);
    three_revisions();
    struct db_graph *g = load();
    struct db_conn *c = tu_connect(&cfg);
    struct db_error err;
    ck_assert_int_eq(db_migrate_upgrade(c, g, "0002", NULL, NULL, &err), 0);
    char old[65];
    snprintf(old, sizeof old, "%s", g->revs[1].checksum);
    db_graph_free(g);
    file("0001_a.sql", "-- revision: 0001\n-- message: a, edited\n\n"
                       "-- +upgrade\nCREATE TABLE \"a\" (\"id\" INTEGER);\n");
    g = load();
    ck_assert_int_eq(db_migrate_upgrade(c, g, "head", NULL, NULL, &err),
                     DB_EREFUSED);
    ck_assert_ptr_nonnull(strstr(err.message, "revision 0001 was edited"));
    ck_assert_ptr_nonnull(strstr(err.message, g->revs[0].checksum));
    ck_assert_ptr_nonnull(strstr(err.file, "0001_a.sql"));
    head_is(c, "0002");
    ck_assert_int_eq(table_exists(c, "ix_b") , 0);
    (void)old;
    db_disconnect(c);
    db_graph_free(g);
}
END_TEST

START_TEST(test_migrate__stamp_runs_nothing)
{
    setup_backend(_i);
    three_revisions();
    struct db_graph *g = load();
    struct db_conn *c = tu_connect(&cfg);
    struct db_error err;
    tu_exec(c, "CREATE TABLE \"a\" (\"id\" INTEGER PRIMARY KEY)");
    ck_assert_int_eq(db_migrate_stamp(c, g, "0001", &err), 0);
    head_is(c, "0001");
    size_t n;
    ck_assert_int_eq(db_migrate_upgrade(c, g, "head", NULL, &n, &err), 0);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(db_migrate_stamp(c, g, "base", &err), 0);
    head_is(c, NULL);
    ck_assert_int_eq(table_exists(c, "b"), 1);
    ck_assert_int_eq(db_migrate_stamp(c, g, "nine", &err), DB_ENOTFOUND);
    db_disconnect(c);
    db_graph_free(g);
}
END_TEST

START_TEST(test_migrate__dirty_after_failed_no_tx_block)
{
    setup_backend(_i);
    three_revisions();
    file("0002_b.sql", "-- revision: 0002\n-- down_revision: 0001\n"
                       "-- message: b\n\n-- +upgrade transaction=false\n"
                       "CREATE TABLE \"b\" (\"id\" INTEGER PRIMARY KEY);\n"
                       "INSERT INTO \"nope\" VALUES (1);\n");
    struct db_graph *g = load();
    struct db_conn *c = tu_connect(&cfg);
    struct db_error err;
    ck_assert_int_eq(db_migrate_upgrade(c, g, "head", NULL, NULL, &err),
                     DB_EDIRTY);
    ck_assert_ptr_nonnull(strstr(err.message, "needs attention"));
    ck_assert_ptr_nonnull(strstr(tu_spell(err.hint), "app db stamp 0002"));
    ck_assert_int_eq(table_exists(c, "b"), 1); /* outside a transaction */
    head_is(c, "0001");
    /* every later command refuses */
    ck_assert_int_eq(db_migrate_upgrade(c, g, "head", NULL, NULL, &err),
                     DB_EDIRTY);
    ck_assert_int_eq(db_migrate_downgrade(c, g, "base", NULL, NULL, &err),
                     DB_EDIRTY);
    /* repair by hand, stamp, go on */
    ck_assert_int_eq(db_migrate_stamp(c, g, "0002", &err), 0);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM \"app_version_dirty\""), 0);
    ck_assert_int_eq(db_migrate_upgrade(c, g, "head", NULL, NULL, &err), 0);
    head_is(c, "0003");
    db_disconnect(c);
    db_graph_free(g);
}
END_TEST

START_TEST(test_migrate__branches_and_merge)
{
    setup_backend(_i);
    file("0001_a.sql", "-- revision: 0001\n-- +upgrade\nCREATE TABLE \"a\" "
                       "(\"id\" INTEGER);\n-- +downgrade\nDROP TABLE \"a\";\n");
    file("0002_b.sql", "-- revision: 0002\n-- down_revision: 0001\n-- +upgrade\n"
                       "CREATE TABLE \"b\" (\"id\" INTEGER);\n-- +downgrade\n"
                       "DROP TABLE \"b\";\n");
    file("0003_c.sql", "-- revision: 0003\n-- down_revision: 0001\n-- +upgrade\n"
                       "CREATE TABLE \"c\" (\"id\" INTEGER);\n-- +downgrade\n"
                       "DROP TABLE \"c\";\n");
    struct db_graph *g = load();
    struct db_conn *c = tu_connect(&cfg);
    struct db_error err;
    ck_assert_int_eq(db_migrate_upgrade(c, g, "head", NULL, NULL, &err),
                     DB_EGRAPH);
    ck_assert_int_eq(table_exists(c, "a"), 0);
    ck_assert_int_eq(db_migrate_upgrade(c, g, "heads", NULL, NULL, &err), 0);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM \"app_version\""), 2);
    db_graph_free(g);
    file("0004_m.sql", "-- revision: 0004\n-- down_revision: 0002, 0003\n"
                       "-- +upgrade\n-- +downgrade\n");
    g = load();
    ck_assert_int_eq(db_migrate_upgrade(c, g, "head", NULL, NULL, &err), 0);
    head_is(c, "0004");
    /* -1 at a merge is ambiguous: nothing changes */
    size_t n = 9;
    ck_assert_int_eq(db_migrate_downgrade(c, g, "-1", NULL, &n, &err),
                     DB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(err.message, "0004 is a merge of 0002, 0003"));
    ck_assert_int_eq(n, 0);
    head_is(c, "0004");
    ck_assert_int_eq(db_migrate_downgrade(c, g, "0002", NULL, NULL, &err), 0);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM \"app_version\""), 2);
    /* several current revisions: -1 and +1 are refused, nothing changes */
    ck_assert_int_eq(db_migrate_downgrade(c, g, "-1", NULL, &n, &err),
                     DB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(err.message, "2 current revisions"));
    ck_assert_int_eq(db_migrate_upgrade(c, g, "+1", NULL, &n, &err),
                     DB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(err.message, "2 current revisions"));
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(table_exists(c, "b") + table_exists(c, "c"), 2);
    ck_assert_int_eq(db_migrate_downgrade(c, g, "0002", NULL, NULL, &err), 0);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM \"app_version\""), 2);
    ck_assert_int_eq(db_migrate_downgrade(c, g, "0001", NULL, NULL, &err), 0);
    head_is(c, "0001");
    ck_assert_int_eq(table_exists(c, "b") + table_exists(c, "c"), 0);
    db_disconnect(c);
    db_graph_free(g);
}
END_TEST

START_TEST(test_migrate__no_downgrade_section_refused_before_running)
{
    setup_backend(_i);
    three_revisions();
    file("0002_b.sql", "-- revision: 0002\n-- down_revision: 0001\n"
                       "-- +upgrade\nCREATE TABLE \"b\" (\"id\" INTEGER);\n");
    struct db_graph *g = load();
    struct db_conn *c = tu_connect(&cfg);
    struct db_error err;
    ck_assert_int_eq(db_migrate_upgrade(c, g, "head", NULL, NULL, &err), 0);
    ck_assert_int_eq(db_migrate_downgrade(c, g, "base", NULL, NULL, &err),
                     DB_EREFUSED);
    ck_assert_ptr_nonnull(strstr(err.message, "0002 cannot be downgraded"));
    head_is(c, "0003");
    ck_assert_int_eq(table_exists(c, "b"), 1);
    db_disconnect(c);
    db_graph_free(g);
}
END_TEST

START_TEST(test_migrate__run_migrations)
{
    setup_backend(_i);
    cfg.phase = DB_PHASE_PRODUCTION;
    cfg.create = DB_CREATE_YES; /* a new SQLite file, made on purpose */
    struct db_conn *c = tu_connect(&cfg);
    struct db_error err;
    ck_assert_int_eq(run_migrations(c, &err), DB_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(err.hint, "baseline"));
    three_revisions();
    tu_exec(c, "CREATE TABLE \"legacy\" (\"x\" INTEGER)");
    ck_assert_int_eq(run_migrations(c, &err), DB_EREFUSED);
    ck_assert_ptr_nonnull(strstr(err.message, "no version table"));
    ck_assert_ptr_nonnull(strstr(tu_spell(err.hint), "app db stamp"));
    ck_assert_int_eq(table_exists(c, "a"), 0);
    tu_exec(c, "DROP TABLE \"legacy\"");
    ck_assert_int_eq(run_migrations(c, &err), 0);
    head_is(c, "0003");
    ck_assert_int_eq(run_migrations(c, &err), 0);
    db_disconnect(c);
}
END_TEST

/* rev(ID, PARENTS): a revision creating table "t<ID>". */
static void table_rev(const char *id, const char *parents)
{
    char name[64], text[512];
    snprintf(name, sizeof name, "%s_r.sql", id);
    snprintf(text, sizeof text,
             "-- revision: %s\n%s%s%s-- message: r%s\n\n-- +upgrade\n"
             "CREATE TABLE \"t%s\" (\"id\" INTEGER);\n\n-- +downgrade\n"
             "DROP TABLE \"t%s\";\n",
             id, parents ? "-- down_revision: " : "", parents ? parents : "",
             parents ? "\n" : "", id, id, id);
    file(name, text);
}

/* Heads 0127 (branch A) and 0123 (branch B) pending, database at 0126 on
 * branch A: +1 applies 0127, online and offline. */
START_TEST(test_migrate__relative_targets_follow_the_branch)
{
    setup_backend(_i);
    table_rev("0120", NULL);
    table_rev("0121", "0120");
    table_rev("0122", "0121");
    table_rev("0123", "0122");
    table_rev("0124", "0122");
    table_rev("0125", "0124");
    table_rev("0126", "0125");
    table_rev("0127", "0126");
    struct db_graph *g = load();
    struct db_conn *c = tu_connect(&cfg);
    struct db_error err;
    size_t n = 0;
    ck_assert_int_eq(db_migrate_upgrade(c, g, "0126", NULL, &n, &err), 0);
    ck_assert_int_eq(n, 6);
    ck_assert_int_eq(db_migrate_upgrade(c, g, "+1", NULL, &n, &err), 0);
    ck_assert_int_eq(n, 1);
    head_is(c, "0127");
    ck_assert_int_eq(table_exists(c, "t0123"), 0);
    /* past the head: refused, nothing applied */
    ck_assert_int_eq(db_migrate_upgrade(c, g, "+1", NULL, &n, &err), DB_EUSAGE);
    ck_assert_int_eq(n, 0);
    ck_assert_ptr_nonnull(strstr(err.message, "0127 has no child"));
    head_is(c, "0127");
    /* -N walks back along the parents, across the branch point */
    ck_assert_int_eq(db_migrate_downgrade(c, g, "-5", NULL, &n, &err), 0);
    ck_assert_int_eq(n, 5);
    head_is(c, "0121");
    ck_assert_int_eq(table_exists(c, "t0122"), 0);
    /* +2 meets the branch point 0122: refused before anything runs */
    ck_assert_int_eq(db_migrate_upgrade(c, g, "+2", NULL, &n, &err), DB_EUSAGE);
    ck_assert_int_eq(n, 0);
    ck_assert_ptr_nonnull(strstr(err.message, "0122 is a branch point"));
    ck_assert_int_eq(table_exists(c, "t0122"), 0);
    head_is(c, "0121");
    ck_assert_int_eq(db_migrate_upgrade(c, g, "0122+1", NULL, &n, &err),
                     DB_EUSAGE);
    ck_assert_int_eq(db_migrate_upgrade(c, g, "0124+1", NULL, &n, &err), 0);
    ck_assert_int_eq(n, 3);
    head_is(c, "0125");
    /* -N down to base exactly undoes everything */
    ck_assert_int_eq(db_migrate_downgrade(c, g, "-6", NULL, &n, &err),
                     DB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(err.message, "base is 5 steps below 0125"));
    ck_assert_int_eq(db_migrate_downgrade(c, g, "-5", NULL, &n, &err), 0);
    head_is(c, NULL);
    ck_assert_int_eq(table_exists(c, "t0120"), 0);

    /* offline: FROM:+N and FROM:-N walk from FROM */
    struct db_buf out = DB_BUF_INIT;
    ck_assert_int_eq(db_migrate_sql(&out, g, DB_DIALECT_SQLITE, "public", DB_UPGRADE,
                                    "0126:+1", &err), 0);
    ck_assert_ptr_nonnull(strstr(db_buf_str(&out), "-- upgrade 0127"));
    ck_assert_ptr_null(strstr(db_buf_str(&out), "0123"));
    db_buf_reset(&out);
    ck_assert_int_eq(db_migrate_sql(&out, g, DB_DIALECT_SQLITE, "public", DB_UPGRADE,
                                    "+3", &err), 0);
    ck_assert_ptr_nonnull(strstr(db_buf_str(&out), "-- upgrade 0122"));
    ck_assert_ptr_null(strstr(db_buf_str(&out), "-- upgrade 0124"));
    db_buf_reset(&out);
    ck_assert_int_eq(db_migrate_sql(&out, g, DB_DIALECT_SQLITE, "public", DB_UPGRADE,
                                    "0121:+2", &err), DB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(err.message, "0122 is a branch point"));
    db_buf_reset(&out);
    ck_assert_int_eq(db_migrate_sql(&out, g, DB_DIALECT_SQLITE, "public", DB_DOWNGRADE,
                                    "0126:-2", &err), 0);
    ck_assert_ptr_nonnull(strstr(db_buf_str(&out), "-- downgrade 0125"));
    ck_assert_ptr_null(strstr(db_buf_str(&out), "-- downgrade 0124"));
    db_buf_free(&out);
    db_disconnect(c);
    db_graph_free(g);
}
END_TEST

START_TEST(test_migrate__offline_sql)
{
    setup_backend(_i);
    three_revisions();
    struct db_graph *g = load();
    struct db_buf out = DB_BUF_INIT;
    struct db_error err;
    ck_assert_int_eq(db_migrate_sql(&out, g, DB_DIALECT_SQLITE, "public",
                                    DB_UPGRADE, "0001:head", &err), 0);
    const char *s = db_buf_str(&out);
    ck_assert_ptr_null(strstr(s, "CREATE TABLE \"a\""));
    /* SQLite names its version tables in "main", whatever the schema */
    ck_assert_ptr_nonnull(strstr(s, "DELETE FROM \"main\".\"app_version\" "
                                    "WHERE \"revision\" = '0002';"));
    ck_assert_ptr_nonnull(strstr(s, "INSERT INTO \"main\".\"app_version\" "
                                    "(\"revision\") VALUES ('0003');"));
    db_buf_reset(&out);
    ck_assert_int_eq(db_migrate_sql(&out, g, DB_DIALECT_SQLITE, "public",
                                    DB_DOWNGRADE, "base", &err), DB_EUSAGE);
    ck_assert_int_eq(db_migrate_sql(&out, g, DB_DIALECT_SQLITE, "public",
                                    DB_DOWNGRADE, "head:0001", &err), 0);
    ck_assert_ptr_nonnull(strstr(db_buf_str(&out), "DROP INDEX \"ix_b\";"));
    db_buf_free(&out);
    db_graph_free(g);
}
END_TEST

/* The loader: in the caller for a small versions directory, beside it
 * for a large one (300 revisions with long names: some 12 KiB of
 * directory on ext4, xfs or tmpfs), with the same graph either way; a
 * directory that is not there is no revision, loaded in the caller. */
static struct db_graph *load_via_start(bool *threaded)
{
    struct db_migrate_loading l;
    db_migrate_load_start(&l, &cfg);
    *threaded = l.threaded;
    struct db_graph *g;
    struct db_error err;
    int rc = db_migrate_load_finish(&g, &l, &err);
    ck_assert_msg(rc == 0, "load: %s", err.message);
    return g;
}

START_TEST(test_migrate__loader_runs_beside_only_for_many_revisions)
{
    setup_backend(0);
    three_revisions();
    bool threaded;
    struct db_graph *g = load_via_start(&threaded);
    ck_assert(!threaded);
    ck_assert_uint_eq(g->n, 3);
    db_graph_free(g);
    for (int i = 4; i <= 300; i++) {
        char name[96], text[200];
        snprintf(name, sizeof name,
                 "%04d_a_revision_with_a_rather_long_descriptive_name.sql", i);
        snprintf(text, sizeof text,
                 "-- revision: %04d\n-- down_revision: %04d\n"
                 "-- message: r\n\n-- +upgrade\nSELECT 1;\n\n"
                 "-- +downgrade\nSELECT 1;\n", i, i - 1);
        file(name, text);
    }
    g = load_via_start(&threaded);
    ck_assert(threaded);
    ck_assert_uint_eq(g->n, 300);
    struct db_graph *inline_g = load();
    ck_assert_uint_eq(inline_g->n, g->n);
    for (size_t i = 0; i < g->n; i++)
        ck_assert_str_eq(g->revs[i].id, inline_g->revs[i].id);
    db_graph_free(inline_g);
    db_graph_free(g);
    snprintf(cfg.migrations_dir, sizeof cfg.migrations_dir, "%s/none",
             tu_tmpdir());
    g = load_via_start(&threaded);
    ck_assert(!threaded);
    ck_assert_uint_eq(g->n, 0);
    db_graph_free(g);
}
END_TEST

Suite *migrate_suite(void)
{
    Suite *s = suite_create("migrate");
    TCase *tc = tcase_create("migrate");
    tcase_add_checked_fixture(tc, NULL, tu_cleanup);
    tcase_set_timeout(tc, 30);
    int n = tu_backend_count();
    tcase_add_test(tc, test_migrate__loader_runs_beside_only_for_many_revisions);
    tcase_add_loop_test(tc, test_migrate__upgrade_and_downgrade, 0, n);
    tcase_add_loop_test(tc, test_migrate__failing_revision_leaves_no_trace, 0, n);
    tcase_add_loop_test(tc, test_migrate__edited_file_is_refused, 0, n);
    tcase_add_loop_test(tc, test_migrate__stamp_runs_nothing, 0, n);
    tcase_add_loop_test(tc, test_migrate__dirty_after_failed_no_tx_block, 0, n);
    tcase_add_loop_test(tc, test_migrate__branches_and_merge, 0, n);
    tcase_add_loop_test(tc, test_migrate__no_downgrade_section_refused_before_running, 0, n);
    tcase_add_loop_test(tc, test_migrate__run_migrations, 0, n);
    tcase_add_loop_test(tc, test_migrate__offline_sql, 0, n);
    tcase_add_loop_test(tc, test_migrate__relative_targets_follow_the_branch, 0, n);
    suite_add_tcase(s, tc);
    return s;
}
