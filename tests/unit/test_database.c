/*
 * test_database.c - create_db_and_tables, reset and the cascade, on every
 * backend (SQLite file; PostgreSQL when TEST_PG_URL is set).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/database.h"
#include "models/models.h"
#include "testutil.h"

static long count_app_objects(struct db_conn *c)
{
    if (c->driver->dialect == DB_DIALECT_SQLITE)
        return tu_long(c, "SELECT count(*) FROM sqlite_master WHERE name IN "
                          "('users','tasks','uq_users_email','ix_tasks_user_id',"
                          "'ix_tasks_status','ix_tasks_title','ix_tasks_created_at',"
                          "'ix_tasks_user_id_status')");
    return tu_long(c, "SELECT count(*) FROM pg_class WHERE relnamespace = "
                      "current_schema()::regnamespace AND relname IN "
                      "('users','tasks','uq_users_email','ix_tasks_user_id',"
                      "'ix_tasks_status','ix_tasks_title','ix_tasks_created_at',"
                      "'ix_tasks_user_id_status')");
}

/* A connection to backend i (its configuration in *cfg) on a database
 * with the models' tables. */
static struct db_conn *connect_with_tables(struct db_config *cfg, int i)
{
    tu_config_backend(cfg, i);
    struct db_conn *c = tu_connect(cfg);
    struct db_error err;
    ck_assert_msg(create_db_and_tables(c, models_schema(), &err) == 0, "%s",
                  err.message);
    return c;
}

static void add_user(struct db_conn *c, const char *email, int ok)
{
    struct db_error err;
    const char *p[] = {email};
    int rc = db_query(c, "INSERT INTO users (email, name) VALUES ($1, 'N')",
                      1, p, NULL, NULL, NULL, &err);
    if (ok)
        ck_assert_msg(rc == 0, "%s", err.message);
    else
        ck_assert_int_ne(rc, 0);
}

static void add_user_and_task(struct db_conn *c, const char *email)
{
    struct db_error err;
    const char *p[] = {email};
    add_user(c, email, 1);
    ck_assert_int_eq(db_query(c, "INSERT INTO tasks (user_id, title) SELECT id, "
                                 "'t' FROM users WHERE email = $1",
                              1, p, NULL, NULL, NULL, &err), 0);
}

START_TEST(test_database__create_all_is_idempotent)
{
    struct db_config cfg;
    struct db_conn *c = connect_with_tables(&cfg, _i);
    struct db_error err;
    ck_assert_int_eq(count_app_objects(c), 8); /* 2 tables, 6 indexes */
    add_user_and_task(c, "a@example.com");
    ck_assert_int_eq(create_db_and_tables(c, models_schema(), &err), 0);
    ck_assert_int_eq(count_app_objects(c), 8);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM tasks"), 1);
    /* defaults from the models */
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM tasks WHERE status = 'todo' "
                                "AND created_at IS NOT NULL"), 1);
    db_disconnect(c);
}
END_TEST

START_TEST(test_database__cascade_deletes_tasks)
{
    struct db_config cfg;
    struct db_conn *c = connect_with_tables(&cfg, _i);
    struct db_error err;
    add_user_and_task(c, "a@example.com");
    add_user_and_task(c, "b@example.com");
    tu_exec(c, "DELETE FROM users WHERE email = 'a@example.com'");
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM tasks"), 1);
    /* a task for no user is refused: foreign keys are on */
    ck_assert_int_ne(db_exec(c, "INSERT INTO tasks (user_id, title) VALUES (999, 'x')",
                             &err), 0);
    /* the unique email */
    ck_assert_int_ne(db_exec(c, "INSERT INTO users (email, name) VALUES "
                                "('b@example.com', 'dup')", &err), 0);
    db_disconnect(c);
}
END_TEST

START_TEST(test_database__reset_keeps_foreign_tables)
{
    struct db_config cfg;
    struct db_conn *c = connect_with_tables(&cfg, _i);
    struct db_error err;
    add_user_and_task(c, "a@example.com");
    tu_exec(c, "CREATE TABLE audit_log (id INTEGER PRIMARY KEY, note TEXT)");
    tu_exec(c, "INSERT INTO audit_log (id, note) VALUES (1, 'keep me')");
    ck_assert_int_eq(db_reset(c, models_schema(), &err), 0);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM users"), 0);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM tasks"), 0);
    ck_assert_int_eq(count_app_objects(c), 8);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM audit_log"), 1);
    db_disconnect(c);
}
END_TEST

START_TEST(test_database__reset_refused_in_production)
{
    struct db_config cfg;
    struct db_conn *c = connect_with_tables(&cfg, _i);
    struct db_error err;
    add_user_and_task(c, "a@example.com");
    cfg.phase = DB_PHASE_PRODUCTION;
    snprintf(cfg.phase_source, sizeof cfg.phase_source, "config/production.ini");
    ck_assert_int_eq(db_reset(c, models_schema(), &err), DB_EPHASE);
    ck_assert_ptr_nonnull(strstr(err.message, "config/production.ini"));
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM users"), 1);
    db_disconnect(c);
}
END_TEST

START_TEST(test_database__row_counts)
{
    struct db_config cfg;
    tu_config_backend(&cfg, _i);
    struct db_conn *c = tu_connect(&cfg);
    struct db_error err;
    long rows = -1;
    ck_assert_int_eq(db_table_rows(&rows, c, "users", &err), DB_ENOTFOUND);
    ck_assert_int_eq(create_db_and_tables(c, models_schema(), &err), 0);
    add_user_and_task(c, "a@example.com");
    ck_assert_int_eq(db_table_rows(&rows, c, "users", &err), 0);
    ck_assert_int_eq(rows, 1);
    db_disconnect(c);
}
END_TEST

START_TEST(test_database__failed_create_changes_nothing)
{
    struct db_config cfg;
    tu_config_backend(&cfg, _i);
    struct db_conn *c = tu_connect(&cfg);
    struct db_error err;
    /* a view named like a model table makes the script fail half-way,
     * after "users" was created: the indexes on "tasks" cannot be built */
    tu_exec(c, "CREATE VIEW tasks AS SELECT 1 AS x");
    ck_assert_int_ne(create_db_and_tables(c, models_schema(), &err), 0);
    ck_assert_int_eq(c->driver->table_exists(c, "users", &err), 0);
    db_disconnect(c);
}
END_TEST

/* Group commit (driver.h): each item's work stands or is undone on its
 * own, an item's own transaction is a savepoint inside the batch, and a
 * failed statement does not end the batch. */
START_TEST(test_database__batch_items_stand_or_fall_alone)
{
    struct db_config cfg;
    struct db_conn *c = connect_with_tables(&cfg, _i);
    struct db_error err;
    ck_assert_int_eq(db_batch_begin(c, &err), 0);
    ck_assert_int_ne(db_batch_begin(c, &err), 0); /* not twice */
    /* stands */
    ck_assert_int_eq(db_batch_item(c, &err), 0);
    add_user(c, "a@example.com", 1);
    ck_assert_int_eq(db_batch_item_end(c, 0, &err), 0);
    /* undone */
    ck_assert_int_eq(db_batch_item(c, &err), 0);
    add_user(c, "b@example.com", 1);
    ck_assert_int_eq(db_batch_item_end(c, 1, &err), 0);
    /* its own transaction rolled back, then a write of its own stands */
    ck_assert_int_eq(db_batch_item(c, &err), 0);
    ck_assert_int_eq(db_begin(c, &err), 0);
    add_user(c, "c@example.com", 1);
    ck_assert_int_eq(db_rollback(c, &err), 0);
    add_user(c, "d@example.com", 1);
    ck_assert_int_eq(db_batch_item_end(c, 0, &err), 0);
    /* its own transaction committed */
    ck_assert_int_eq(db_batch_item(c, &err), 0);
    ck_assert_int_eq(db_begin(c, &err), 0);
    add_user(c, "e@example.com", 1);
    ck_assert_int_eq(db_commit(c, &err), 0);
    ck_assert_int_eq(db_batch_item_end(c, 0, &err), 0);
    /* a statement that fails (a duplicate email), undone: the batch goes
     * on (on PostgreSQL the rollback to the savepoint is what lets it) */
    ck_assert_int_eq(db_batch_item(c, &err), 0);
    add_user(c, "a@example.com", 0);
    ck_assert_int_eq(db_batch_item_end(c, 1, &err), 0);
    ck_assert_int_eq(db_batch_item(c, &err), 0);
    add_user(c, "f@example.com", 1);
    ck_assert_int_eq(db_batch_item_end(c, 0, &err), 0);
    /* not visible to another session before the commit */
    struct db_conn *other = tu_connect(&cfg);
    ck_assert_int_eq(tu_long(other, "SELECT count(*) FROM users"), 0);
    ck_assert_int_eq(db_batch_commit(c, &err), 0);
    char *got = tu_str(other,
                       c->driver->dialect == DB_DIALECT_SQLITE
                           ? "SELECT group_concat(email, ' ') FROM (SELECT "
                             "email FROM users ORDER BY email) u"
                           : "SELECT string_agg(email, ' ' ORDER BY email) "
                             "FROM users");
    ck_assert_str_eq(got, "a@example.com d@example.com e@example.com "
                          "f@example.com");
    free(got);
    /* after the batch, transactions are the connection's own again */
    ck_assert_int_eq(db_begin(c, &err), 0);
    add_user(c, "g@example.com", 1);
    ck_assert_int_eq(db_rollback(c, &err), 0);
    ck_assert_int_eq(tu_long(other, "SELECT count(*) FROM users"), 4);
    db_disconnect(other);
    db_disconnect(c);
}
END_TEST

/* A commit that fails (a deferred foreign key found broken only then)
 * leaves none of the batch's work, and the connection usable. */
START_TEST(test_database__batch_commit_failure_keeps_nothing)
{
    struct db_config cfg;
    struct db_conn *c = connect_with_tables(&cfg, _i);
    struct db_error err;
    tu_exec(c, "CREATE TABLE batch_parent (id INTEGER PRIMARY KEY)");
    tu_exec(c, "CREATE TABLE batch_child (pid INTEGER REFERENCES "
               "batch_parent (id) DEFERRABLE INITIALLY DEFERRED)");
    ck_assert_int_eq(db_batch_begin(c, &err), 0);
    ck_assert_int_eq(db_batch_item(c, &err), 0);
    add_user(c, "a@example.com", 1);
    ck_assert_int_eq(db_batch_item_end(c, 0, &err), 0);
    ck_assert_int_eq(db_batch_item(c, &err), 0);
    tu_exec(c, "INSERT INTO batch_child (pid) VALUES (99)");
    ck_assert_int_eq(db_batch_item_end(c, 0, &err), 0);
    ck_assert_int_ne(db_batch_commit(c, &err), 0);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM users"), 0);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM batch_child"), 0);
    add_user(c, "b@example.com", 1);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM users"), 1);
    db_disconnect(c);
}
END_TEST

/* A batch ended without its work: nothing of it stands, and the
 * connection's transactions are its own again. */
START_TEST(test_database__batch_rollback_keeps_nothing)
{
    struct db_config cfg;
    struct db_conn *c = connect_with_tables(&cfg, _i);
    struct db_error err;
    ck_assert_int_eq(db_batch_begin(c, &err), 0);
    ck_assert_int_eq(db_batch_item(c, &err), 0);
    add_user(c, "a@example.com", 1);
    ck_assert_int_eq(db_batch_item_end(c, 0, &err), 0);
    db_batch_rollback(c);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM users"), 0);
    ck_assert_int_eq(db_begin(c, &err), 0);
    add_user(c, "b@example.com", 1);
    ck_assert_int_eq(db_commit(c, &err), 0);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM users"), 1);
    db_disconnect(c);
}
END_TEST

Suite *database_suite(void)
{
    Suite *s = suite_create("database");
    TCase *tc = tcase_create("database");
    tcase_add_checked_fixture(tc, NULL, tu_cleanup);
    int n = tu_backend_count();
    tcase_add_loop_test(tc, test_database__create_all_is_idempotent, 0, n);
    tcase_add_loop_test(tc, test_database__cascade_deletes_tasks, 0, n);
    tcase_add_loop_test(tc, test_database__reset_keeps_foreign_tables, 0, n);
    tcase_add_loop_test(tc, test_database__reset_refused_in_production, 0, n);
    tcase_add_loop_test(tc, test_database__row_counts, 0, n);
    tcase_add_loop_test(tc, test_database__failed_create_changes_nothing, 0, n);
    tcase_add_loop_test(tc, test_database__batch_items_stand_or_fall_alone, 0,
                        n);
    tcase_add_loop_test(tc, test_database__batch_commit_failure_keeps_nothing,
                        0, n);
    tcase_add_loop_test(tc, test_database__batch_rollback_keeps_nothing, 0, n);
    suite_add_tcase(s, tc);
    return s;
}
