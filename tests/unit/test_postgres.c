/*
 * test_postgres.c - the libpq driver against a real server (TEST_PG_URL,
 * started by scripts/pg-test-server.sh under make check): DDL from the
 * models, errors, timeouts, the migration lock, waiting for the server and
 * keeping passwords out of every message.
 *
 * The cluster of pg-test-server.sh has a role pwtest that must log in with
 * a password over the socket; the password tests set it.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "db/connect_wait.h"
#include "db/database.h"
#include "db/driver.h"
#include "db/drivers/postgres_internal.h"
#include "db/migrate.h"
#include "models/models.h"
#include "testutil.h"

static char sockdir[1024];   /* the test server's socket directory */
static char port[16];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The host (socket directory) and port of TEST_PG_URL, through libpq. */
static void read_test_url(void)
{
    const char *url = getenv("TEST_PG_URL");
    ck_assert_msg(url && *url, "TEST_PG_URL is not set");
    char *msg = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &msg);
    ck_assert_msg(opts != NULL, "TEST_PG_URL: %s", msg ? msg : "bad");
    snprintf(port, sizeof port, "5432");
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (strcmp(o->keyword, "host") == 0 && o->val)
            snprintf(sockdir, sizeof sockdir, "%s", o->val);
        if (strcmp(o->keyword, "port") == 0 && o->val)
            snprintf(port, sizeof port, "%s", o->val);
    }
    PQconninfoFree(opts);
    ck_assert_msg(sockdir[0] == '/', "TEST_PG_URL must name a socket "
                                     "directory (host=/path)");
}

static void setup(void)
{
    unsetenv("PGPASSWORD");
    unsetenv("PGHOST");
    unsetenv("PGPORT");
    unsetenv("PGUSER");
    unsetenv("PGDATABASE");
    unsetenv("PGSERVICE");
    unsetenv("PGPASSFILE");
    read_test_url();
}

/* A pre-user config on a fresh schema of the test server. */
static void pg_config(struct db_config *cfg)
{
    tu_config_backend(cfg, 1);
}

static void assert_one_line_without(const struct db_error *e,
                                    const char *secret)
{
    char line[3072];
    db_error_format(line, sizeof line, e);
    ck_assert_msg(strchr(line, '\n') == NULL, "not one line: %s", line);
    ck_assert_msg(strstr(line, secret) == NULL, "password in: %s", line);
}

START_TEST(test_postgres__no_server_configured)
{
    ck_abort_msg("TEST_PG_URL is not set: run `make check`, which starts "
                 "scripts/pg-test-server.sh, or export TEST_PG_URL=$(scripts/"
                 "pg-test-server.sh url) after `scripts/pg-test-server.sh start`");
}
END_TEST

START_TEST(test_postgres__ddl_from_models)
{
    struct db_config cfg;
    pg_config(&cfg);
    struct db_conn *c = tu_connect(&cfg);
    struct db_error err;
    ck_assert_int_eq(create_db_and_tables(c, models_schema(), &err), 0);
    /* identity keys, timestamps with time zone, varchar lengths, booleans */
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM information_schema.columns "
                                "WHERE table_schema = current_schema() AND "
                                "table_name = 'users' AND column_name = 'id' "
                                "AND is_identity = 'YES' AND data_type = 'bigint'"),
                     1);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM information_schema.columns "
                                "WHERE table_schema = current_schema() AND "
                                "data_type = 'timestamp with time zone'"), 7);
    /* (created_at of users, projects and tasks; created_at, expires_at,
     * last_used_at and revoked_at of sessions) */
    ck_assert_int_eq(tu_long(c, "SELECT character_maximum_length FROM "
                                "information_schema.columns WHERE table_schema "
                                "= current_schema() AND table_name = 'users' "
                                "AND column_name = 'email'"), 255);
    /* the foreign key cascades */
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM pg_constraint WHERE "
                                "contype = 'f' AND confdeltype = 'c' AND "
                                "conrelid = 'tasks'::regclass"), 1);
    /* the tables are in the configured schema, not in public */
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM pg_tables WHERE "
                                "tablename IN ('users', 'tasks') AND "
                                "schemaname = current_schema()"), 2);
    ck_assert_int_eq(c->driver->table_exists(c, "users", &err), 1);
    ck_assert_int_eq(c->driver->table_exists(c, "nope", &err), 0);
    char cur[128];
    ck_assert_int_eq(db_query_value(c, "SELECT current_schema()", 0, NULL, cur,
                                    sizeof cur, &err), 0);
    ck_assert_str_eq(cur, cfg.schema);
    db_disconnect(c);
}
END_TEST

START_TEST(test_postgres__reset_drops_only_model_tables)
{
    struct db_config cfg;
    pg_config(&cfg);
    struct db_conn *c = tu_connect(&cfg);
    struct db_error err;
    ck_assert_int_eq(create_db_and_tables(c, models_schema(), &err), 0);
    tu_exec(c, "INSERT INTO users (email, name) VALUES ('a@x', 'A')");
    tu_exec(c, "CREATE TABLE keep_me (x int); INSERT INTO keep_me VALUES (1);"
               "CREATE VIEW keep_view AS SELECT 1 AS one;"
               "CREATE SEQUENCE keep_seq");
    long rows = -1;
    ck_assert_int_eq(db_table_rows(&rows, c, "users", &err), 0);
    ck_assert_int_eq(rows, 1);
    ck_assert_int_eq(db_reset(c, models_schema(), &err), 0);
    ck_assert_int_eq(db_table_rows(&rows, c, "users", &err), 0);
    ck_assert_int_eq(rows, 0);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM keep_me"), 1);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM keep_view"), 1);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM pg_class WHERE relname = "
                                "'keep_seq' AND relnamespace = "
                                "current_schema()::regnamespace"), 1);
    /* a table of another schema with a model's name is never touched */
    tu_exec(c, "CREATE SCHEMA IF NOT EXISTS other_pgtest");
    tu_exec(c, "CREATE TABLE IF NOT EXISTS other_pgtest.users (x int)");
    ck_assert_int_eq(db_reset(c, models_schema(), &err), 0);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM pg_tables WHERE "
                                "schemaname = 'other_pgtest'"), 1);
    tu_exec(c, "DROP SCHEMA other_pgtest CASCADE");
    db_disconnect(c);
}
END_TEST

START_TEST(test_postgres__errors_carry_sqlstate_and_position)
{
    struct db_config cfg;
    pg_config(&cfg);
    struct db_conn *c = tu_connect(&cfg);
    struct db_error err;
    ck_assert_int_eq(db_exec(c, "SELECT 1;\nSELECT * FROM no_such_table", &err),
                     DB_ESQL);
    ck_assert_str_eq(err.sqlstate, "42P01");
    ck_assert_int_eq(err.position, 25); /* byte where no_such_table starts */
    ck_assert_ptr_nonnull(strstr(err.message, "no_such_table"));
    ck_assert_ptr_null(strchr(err.message, '\n'));
    ck_assert_int_eq(db_query(c, "SELEC 1", 0, NULL, NULL, NULL, NULL, &err),
                     DB_ESQL);
    ck_assert_str_eq(err.sqlstate, "42601");
    ck_assert_int_eq(err.position, 1);
    /* a clean statement after an error works (no transaction left open) */
    ck_assert_int_eq(tu_long(c, "SELECT 2"), 2);
    db_disconnect(c);
}
END_TEST

struct rows {
    int n;
    char seen[4][64];
    int nulls;
};

static int collect(void *ctx, int ncols, const char *const *vals,
                   const char *const *names)
{
    struct rows *r = ctx;
    ck_assert_int_eq(ncols, 2);
    ck_assert_str_eq(names[0], "a");
    if (r->n < 4)
        snprintf(r->seen[r->n], sizeof r->seen[0], "%s", vals[0]);
    if (!vals[1])
        r->nulls++;
    r->n++;
    return 0;
}

START_TEST(test_postgres__parameters_are_bound)
{
    struct db_config cfg;
    pg_config(&cfg);
    struct db_conn *c = tu_connect(&cfg);
    struct db_error err;
    tu_exec(c, "CREATE TABLE t (a text, b text)");
    const char *p1[] = {"it's \"quoted\"; DROP TABLE t; --", NULL};
    long changes = 0;
    ck_assert_int_eq(db_query(c, "INSERT INTO t VALUES ($1, $2), ('x', $2)", 2,
                              p1, NULL, NULL, &changes, &err), 0);
    ck_assert_int_eq(changes, 2);
    struct rows r = {0};
    ck_assert_int_eq(db_query(c, "SELECT a, b FROM t ORDER BY a", 0, NULL,
                              collect, &r, NULL, &err), 0);
    ck_assert_int_eq(r.n, 2);
    ck_assert_str_eq(r.seen[0], p1[0]);
    ck_assert_int_eq(r.nulls, 2);
    const char *p2[] = {"x"};
    ck_assert_int_eq(db_query(c, "DELETE FROM t WHERE a = $1", 1, p2, NULL,
                              NULL, &changes, &err), 0);
    ck_assert_int_eq(changes, 1);
    db_disconnect(c);
}
END_TEST

START_TEST(test_postgres__failed_transaction_does_not_commit)
{
    struct db_config cfg;
    pg_config(&cfg);
    struct db_conn *c = tu_connect(&cfg);
    struct db_error err;
    tu_exec(c, "CREATE TABLE t (a int)");
    ck_assert_int_eq(db_begin(c, &err), 0);
    tu_exec(c, "INSERT INTO t VALUES (1)");
    ck_assert_int_eq(db_exec(c, "INSERT INTO t VALUES ('x')", &err), DB_ESQL);
    /* COMMIT of an aborted transaction is a rollback: reported as failure */
    ck_assert_int_eq(db_commit(c, &err), DB_ESQL);
    ck_assert_ptr_nonnull(strstr(err.message, "rolled back"));
    ck_assert_int_eq(db_rollback(c, &err), 0);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM t"), 0);
    /* DDL is transactional */
    ck_assert_int_eq(db_begin(c, &err), 0);
    tu_exec(c, "CREATE TABLE t2 (a int)");
    ck_assert_int_eq(db_rollback(c, &err), 0);
    ck_assert_int_eq(c->driver->table_exists(c, "t2", &err), 0);
    db_disconnect(c);
}
END_TEST

START_TEST(test_postgres__lock_timeout_fails_cleanly)
{
    struct db_config cfg;
    pg_config(&cfg);
    struct db_conn *a = tu_connect(&cfg);
    struct db_error err;
    tu_exec(a, "CREATE TABLE busy (x int)");
    ck_assert_int_eq(db_begin(a, &err), 0);
    tu_exec(a, "LOCK TABLE busy IN ACCESS EXCLUSIVE MODE");

    struct db_config cfg_b = cfg;
    cfg_b.lock_timeout_ms = 300;
    snprintf(cfg_b.path, sizeof cfg_b.path, "config/production.ini");
    struct db_conn *b = tu_connect(&cfg_b);
    double t0 = now();
    int rc = db_exec(b, "ALTER TABLE busy ADD COLUMN y int", &err);
    double took = now() - t0;
    ck_assert_int_eq(rc, DB_ELOCKED);
    ck_assert_str_eq(err.sqlstate, "55P03");
    ck_assert_msg(took >= 0.25 && took < 5, "waited %.2f s", took);
    char line[3072];
    db_error_format(line, sizeof line, &err);
    ck_assert_msg(strstr(line, "lock timeout") && strstr(line, "lock_timeout (300ms)"),
                  "%s", line);
    ck_assert_msg(strstr(line, "[database] lock_timeout in config/production.ini"),
                  "%s", line);
    ck_assert_ptr_null(strchr(line, '\n'));

    /* once A lets go, B gets through */
    ck_assert_int_eq(db_commit(a, &err), 0);
    ck_assert_int_eq(db_exec(b, "ALTER TABLE busy ADD COLUMN y int", &err), 0);
    db_disconnect(b);
    db_disconnect(a);
}
END_TEST

START_TEST(test_postgres__statement_timeout_fails_cleanly)
{
    struct db_config cfg;
    pg_config(&cfg);
    cfg.statement_timeout_ms = 200;
    struct db_conn *c = tu_connect(&cfg);
    struct db_error err;
    ck_assert_int_eq(db_exec(c, "SELECT pg_sleep(3)", &err), DB_ESQL);
    ck_assert_str_eq(err.sqlstate, "57014");
    ck_assert_ptr_nonnull(strstr(err.message, "statement_timeout (200ms)"));
    ck_assert_ptr_nonnull(strstr(err.hint, "[database] statement_timeout"));
    char v[32];
    ck_assert_int_eq(db_query_value(c, "SHOW lock_timeout", 0, NULL, v, sizeof v,
                                    &err), 0);
    ck_assert_str_eq(v, "0");
    db_disconnect(c);
}
END_TEST

static long advisory_locks(struct db_conn *c)
{
    return tu_long(c, "SELECT count(*) FROM pg_locks WHERE locktype = "
                      "'advisory' AND granted");
}

START_TEST(test_postgres__migration_lock_excludes_other_sessions)
{
    struct db_config cfg;
    pg_config(&cfg);
    cfg.lock_timeout_ms = 100; /* the lock wait is not bounded by it */
    cfg.statement_timeout_ms = 100;
    struct db_conn *a = tu_connect(&cfg);
    struct db_error err;
    ck_assert_int_eq(db_lock(a, &err), 0);
    ck_assert_int_eq(advisory_locks(a), 1);

    pid_t pid = fork();
    ck_assert_int_ne(pid, -1);
    if (pid == 0) {
        struct db_conn *b = NULL;
        struct db_error e;
        if (db_connect(&b, &cfg, &e))
            _exit(2);
        double t0 = now();
        if (db_lock(b, &e))
            _exit(3);
        if (now() - t0 < 0.5)
            _exit(4); /* it should have waited for A */
        char v[16];
        /* the session's timeouts are back after the wait */
        if (db_query_value(b, "SHOW lock_timeout", 0, NULL, v, sizeof v, &e) ||
            strcmp(v, "100ms") != 0)
            _exit(5);
        if (db_unlock(b, &e))
            _exit(6);
        db_disconnect(b);
        _exit(0);
    }
    usleep(800 * 1000);
    ck_assert_int_eq(db_unlock(a, &err), 0);
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "second session: status %d", WEXITSTATUS(status));
    ck_assert_int_eq(advisory_locks(a), 0);
    /* unlocking what is not held is an error */
    ck_assert_int_eq(db_unlock(a, &err), DB_ELOCKED);
    /* a session that ends releases the lock */
    struct db_conn *b = tu_connect(&cfg);
    ck_assert_int_eq(db_lock(b, &err), 0);
    ck_assert_int_eq(advisory_locks(a), 1);
    db_disconnect(b);
    /* the server ends the session (and frees its locks) just after */
    for (int i = 0; i < 200 && advisory_locks(a) != 0; i++)
        usleep(10 * 1000);
    ck_assert_int_eq(advisory_locks(a), 0);
    db_disconnect(a);
}
END_TEST

START_TEST(test_postgres__empty_url_uses_libpq_environment)
{
    setenv("PGHOST", sockdir, 1);
    setenv("PGPORT", port, 1);
    setenv("PGUSER", "postgres", 1);
    setenv("PGDATABASE", "postgres", 1);
    const char *urls[] = {"", "postgresql://", "postgres://"};
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        struct db_config cfg;
        db_config_defaults(&cfg);
        snprintf(cfg.url, sizeof cfg.url, "%s", urls[i]);
        struct db_conn *c = tu_connect(&cfg);
        ck_assert_str_eq(c->driver->name, "postgresql");
        char v[64];
        struct db_error err;
        ck_assert_int_eq(db_query_value(c, "SELECT current_user", 0, NULL, v,
                                        sizeof v, &err), 0);
        ck_assert_str_eq(v, "postgres");
        db_disconnect(c);
    }
    /* PGSERVICE with a service file */
    unsetenv("PGHOST");
    unsetenv("PGDATABASE");
    char svc[1100], text[1400];
    snprintf(svc, sizeof svc, "%s/pg_service.conf", tu_tmpdir());
    snprintf(text, sizeof text, "[appsvc]\nhost=%s\nport=%s\ndbname=postgres\n"
             "user=postgres\n", sockdir, port);
    tu_write_file(svc, text);
    setenv("PGSERVICEFILE", svc, 1);
    setenv("PGSERVICE", "appsvc", 1);
    {
        struct db_config scfg;
        db_config_defaults(&scfg);
        scfg.url[0] = '\0';
        struct db_conn *c = tu_connect(&scfg);
        db_disconnect(c);
    }
    unsetenv("PGSERVICE");
    unsetenv("PGSERVICEFILE");
    setenv("PGHOST", sockdir, 1);
    /* PGDATABASE is honoured: a missing one fails, refused, at once */
    setenv("PGDATABASE", "no_such_db_env", 1);
    struct db_config cfg;
    db_config_defaults(&cfg);
    cfg.url[0] = '\0';
    struct db_conn *c = NULL;
    struct db_error err;
    ck_assert_int_eq(db_connect_wait(&c, &cfg, 5, NULL, &err), DB_EREFUSED);
    ck_assert_ptr_nonnull(strstr(err.message, "no_such_db_env"));
}
END_TEST

/* Sets pwtest's password through the superuser connection. */
static void set_pwtest_password(const char *password)
{
    struct db_config cfg;
    db_config_defaults(&cfg);
    snprintf(cfg.url, sizeof cfg.url, "%s", getenv("TEST_PG_URL"));
    struct db_conn *c = tu_connect(&cfg);
    struct db_error err;
    const char *p[] = {password};
    char sql[128];
    /* ALTER ROLE takes no parameters: build it with format() server-side */
    ck_assert_int_eq(db_query_value(c, "SELECT format('ALTER ROLE pwtest "
                                       "PASSWORD %L', $1::text)",
                                    1, p, sql, sizeof sql, &err), 0);
    ck_assert_int_eq(db_exec(c, sql, &err), 0);
    db_disconnect(c);
}

static int try_connect(const char *url, struct db_error *err)
{
    struct db_config cfg;
    db_config_defaults(&cfg);
    snprintf(cfg.url, sizeof cfg.url, "%s", url);
    struct db_conn *c = NULL;
    int rc = db_connect_wait(&c, &cfg, 0, NULL, err);
    db_disconnect(c);
    return rc;
}

START_TEST(test_postgres__passwords_never_in_errors)
{
    const char *right = "Right-Pw-4417";
    const char *wrong = "Wrong-Pw-9923";
    set_pwtest_password(right);
    char url[2048];
    struct db_error err;

    /* the right password works: the server really checks it */
    snprintf(url, sizeof url, "postgresql://pwtest:%s@/postgres?host=%s&port=%s",
             right, sockdir, port);
    ck_assert_int_eq(try_connect(url, &err), 0);

    /* bad password: in the URL, as a query parameter, in PGPASSWORD */
    snprintf(url, sizeof url, "postgresql://pwtest:%s@/postgres?host=%s&port=%s",
             wrong, sockdir, port);
    ck_assert_int_eq(try_connect(url, &err), DB_EREFUSED);
    ck_assert_ptr_nonnull(strstr(err.message, "password authentication failed"));
    assert_one_line_without(&err, wrong);
    snprintf(url, sizeof url, "postgresql://pwtest@/postgres?host=%s&port=%s"
             "&password=%s", sockdir, port, wrong);
    ck_assert_int_eq(try_connect(url, &err), DB_EREFUSED);
    assert_one_line_without(&err, wrong);
    setenv("PGPASSWORD", wrong, 1);
    snprintf(url, sizeof url, "postgresql://pwtest@/postgres?host=%s&port=%s",
             sockdir, port);
    ck_assert_int_eq(try_connect(url, &err), DB_EREFUSED);
    assert_one_line_without(&err, wrong);
    /* no password at all: refused at once, not retried */
    unsetenv("PGPASSWORD");
    ck_assert_int_eq(try_connect(url, &err), DB_EREFUSED);
    /* a wrong password from a password file */
    char passfile[1100], line[256];
    snprintf(passfile, sizeof passfile, "%s/pgpass", tu_tmpdir());
    snprintf(line, sizeof line, "*:*:*:pwtest:%s\n", wrong);
    tu_write_file(passfile, line);
    ck_assert_int_eq(chmod(passfile, 0600), 0);
    setenv("PGPASSFILE", passfile, 1);
    ck_assert_int_eq(try_connect(url, &err), DB_EREFUSED);
    ck_assert_ptr_nonnull(strstr(err.message, "password authentication failed"));
    assert_one_line_without(&err, wrong);
    unsetenv("PGPASSFILE");

    /* bad database name, with the right password */
    snprintf(url, sizeof url, "postgresql://pwtest:%s@/no_such_db?host=%s&port=%s",
             right, sockdir, port);
    ck_assert_int_eq(try_connect(url, &err), DB_EREFUSED);
    ck_assert_ptr_nonnull(strstr(err.message, "no_such_db"));
    assert_one_line_without(&err, right);

    /* connection refused: no server in this directory, or a closed port */
    snprintf(url, sizeof url, "postgresql://pwtest:%s@/postgres?host=%s",
             right, tu_tmpdir());
    ck_assert_int_eq(try_connect(url, &err), DB_ECONNECT);
    assert_one_line_without(&err, right);
    snprintf(url, sizeof url, "postgresql://pwtest:%s@127.0.0.1:1/postgres"
             "?connect_timeout=2", right);
    ck_assert_int_eq(try_connect(url, &err), DB_ECONNECT);
    assert_one_line_without(&err, right);

    /* a URL libpq rejects, echoing part of it; percent-encoded passwords */
    snprintf(url, sizeof url, "postgresql://pwtest:%s@localhost:notaport/db",
             right);
    ck_assert_int_lt(try_connect(url, &err), 0);
    assert_one_line_without(&err, right);
    snprintf(url, sizeof url, "postgresql://pwtest:%s@/db?host=%s&bogus=%s",
             right, sockdir, right);
    ck_assert_int_lt(try_connect(url, &err), 0);
    assert_one_line_without(&err, right);
    snprintf(url, sizeof url, "postgresql://pwtest:Pct%%2DPw%%2D77@/postgres"
             "?host=%s&port=%s", sockdir, port);
    ck_assert_int_eq(try_connect(url, &err), DB_EREFUSED);
    assert_one_line_without(&err, "Pct%2DPw%2D77");
    assert_one_line_without(&err, "Pct-Pw-77");
}
END_TEST

START_TEST(test_postgres__wait_gives_up_after_wait_seconds)
{
    struct db_config cfg;
    db_config_defaults(&cfg);
    snprintf(cfg.url, sizeof cfg.url,
             "postgresql://app:Wait-Pw-1@/postgres?host=%s", tu_tmpdir());
    struct db_conn *c = NULL;
    struct db_error err;
    int attempts = 0;
    double t0 = now();
    ck_assert_int_eq(db_connect_wait(&c, &cfg, 1, &attempts, &err),
                     DB_ECONNECT);
    double took = now() - t0;
    ck_assert_msg(took >= 0.95 && took < 3, "took %.2f s", took);
    ck_assert_int_gt(attempts, 2);
    ck_assert_ptr_nonnull(strstr(err.message, "not reachable after 1 s"));
    ck_assert_ptr_nonnull(strstr(err.hint, "wait_seconds"));
    assert_one_line_without(&err, "Wait-Pw-1");
    /* wait 0: one attempt */
    ck_assert_int_eq(db_connect_wait(&c, &cfg, 0, &attempts, &err),
                     DB_ECONNECT);
    ck_assert_int_eq(attempts, 1);
}
END_TEST

START_TEST(test_postgres__wait_succeeds_when_server_appears)
{
    /* The server "comes up" in an empty socket directory after 0.7 s: a
     * symbolic link to the test server's socket appears there. */
    const char *dir = tu_tmpdir();
    char link_path[1100], target[1100];
    snprintf(link_path, sizeof link_path, "%s/.s.PGSQL.%s", dir, port);
    snprintf(target, sizeof target, "%s/.s.PGSQL.%s", sockdir, port);
    pid_t pid = fork();
    ck_assert_int_ne(pid, -1);
    if (pid == 0) {
        usleep(700 * 1000);
        _exit(symlink(target, link_path) ? 1 : 0);
    }
    struct db_config cfg;
    db_config_defaults(&cfg);
    snprintf(cfg.url, sizeof cfg.url,
             "postgresql://postgres@/postgres?host=%s&port=%s", dir, port);
    struct db_conn *c = NULL;
    struct db_error err;
    int attempts = 0;
    double t0 = now();
    int rc = db_connect_wait(&c, &cfg, 10, &attempts, &err);
    double took = now() - t0;
    int status;
    waitpid(pid, &status, 0);
    ck_assert_msg(rc == 0, "%s", err.message);
    ck_assert_msg(took >= 0.6 && took < 4, "took %.2f s", took);
    ck_assert_int_gt(attempts, 1);
    ck_assert_int_eq(tu_long(c, "SELECT 7"), 7);
    db_disconnect(c);
}
END_TEST

START_TEST(test_postgres__version_and_notices)
{
    struct db_config cfg;
    pg_config(&cfg);
    struct db_conn *c = tu_connect(&cfg);
    struct db_error err;
    char v[256];
    ck_assert_int_eq(c->driver->version(c, v, sizeof v, &err), 0);
    ck_assert_msg(strncmp(v, "PostgreSQL ", 11) == 0, "%s", v);
    /* notices ("does not exist, skipping") are not printed by the library:
     * checked by the CLI tests, which see stderr; here they just succeed */
    tu_exec(c, "DROP TABLE IF EXISTS nothing_here");
    db_disconnect(c);
}
END_TEST

START_TEST(test_postgres__backup_with_pg_dump)
{
    const char *pw = "Backup-Pw-5150";
    set_pwtest_password(pw);
    struct db_config cfg;
    pg_config(&cfg);
    struct db_conn *su = tu_connect(&cfg); /* creates the schema */
    tu_exec(su, "CREATE TABLE kept (x int); INSERT INTO kept VALUES (7)");
    char sql[256];
    snprintf(sql, sizeof sql, "GRANT USAGE ON SCHEMA \"%s\" TO pwtest; "
             "GRANT SELECT ON ALL TABLES IN SCHEMA \"%s\" TO pwtest",
             cfg.schema, cfg.schema);
    tu_exec(su, sql);

    /* as pwtest, whose password pg_dump gets without seeing the URL */
    struct db_config pcfg = cfg;
    snprintf(pcfg.url, sizeof pcfg.url,
             "postgresql://pwtest:%s@/postgres?host=%s&port=%s", pw, sockdir,
             port);
    struct db_conn *c = tu_connect(&pcfg);
    struct db_error err;
    char path[1200];
    snprintf(path, sizeof path, "%s/app.dump", tu_tmpdir());
    int rc = c->driver->backup(c, path, &err);
    ck_assert_msg(rc == 0, "%s", err.message);
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "pg_restore -l '%s' | grep -q 'TABLE DATA %s kept'",
             path, cfg.schema);
    ck_assert_int_eq(system(cmd), 0);

    /* pg_dump's failure (no access to a table) is one line, no password */
    tu_exec(su, "CREATE TABLE secret_table (x int)");
    rc = c->driver->backup(c, path, &err);
    ck_assert_int_eq(rc, DB_EIO);
    ck_assert_ptr_nonnull(strstr(err.message, "pg_dump failed"));
    ck_assert_ptr_nonnull(strstr(err.message, "permission denied"));
    assert_one_line_without(&err, pw);
    ck_assert_int_ne(access(path, F_OK), 0);
    db_disconnect(c);
    db_disconnect(su);
}
END_TEST

/* SHOW name on c gives want. */
static void setting_is(struct db_conn *c, const char *name, const char *want)
{
    char sql[64], v[128];
    snprintf(sql, sizeof sql, "SHOW %s", name);
    struct db_error err;
    ck_assert_int_eq(db_query_value(c, sql, 0, NULL, v, sizeof v, &err), 0);
    ck_assert_str_eq(v, want);
}

/* What libpq's trace shows fn(c, ctx) sent: messages, Parse messages,
 * those sent after the first answer (0: one round trip), and the round
 * trips: a run of messages sent before an answer is one. With keep set,
 * trip[k] holds the k-th round trip's messages as the trace wrote them
 * (free_trips frees them). Returns fn's result. */
#define MAX_TRIPS 256
struct trace_counts {
    int sent, parses, answered, sent_after, trips;
    bool keep;
    char *trip[MAX_TRIPS];
};

static void free_trips(struct trace_counts *n)
{
    for (int k = 0; k < n->trips && k < MAX_TRIPS; k++)
        free(n->trip[k]);
}

static void keep_line(struct trace_counts *n, const char *line)
{
    int k = n->trips - 1;
    if (!n->keep || k >= MAX_TRIPS)
        return;
    size_t had = n->trip[k] ? strlen(n->trip[k]) : 0;
    char *p = realloc(n->trip[k], had + strlen(line) + 1);
    ck_assert_ptr_nonnull(p);
    strcpy(p + had, line);
    n->trip[k] = p;
}

static int traced(struct db_conn *c, int (*fn)(struct db_conn *, void *),
                  void *ctx, struct trace_counts *n)
{
    FILE *trace = tmpfile();
    ck_assert_ptr_nonnull(trace);
    PGconn *pg = DB_CONTAINER_OF(c, struct pg_conn, base)->pg;
    PQtrace(pg, trace);
    PQsetTraceFlags(pg, PQTRACE_SUPPRESS_TIMESTAMPS); /* after PQtrace */
    int rc = fn(c, ctx);
    PQuntrace(pg);
    rewind(trace);
    char line[4096];
    bool keep = n->keep, answer = true;
    *n = (struct trace_counts){.keep = keep};
    while (fgets(line, sizeof line, trace)) {
        if (line[0] == 'F') {
            n->sent++;
            n->parses += strstr(line, "\tParse\t") != NULL;
            n->sent_after += n->answered;
            if (answer && n->trips < MAX_TRIPS)
                n->trip[n->trips] = NULL;
            n->trips += answer;
            answer = false;
            keep_line(n, line);
        } else if (line[0] == 'B') {
            n->answered = 1;
            answer = true;
        }
    }
    fclose(trace);
    return rc;
}

static int select_42(struct db_conn *c, void *out)
{
    struct db_error err;
    return db_query_value(c, "SELECT 42", 0, NULL, out, 128, &err);
}

static int reset_session(struct db_conn *c, void *unused)
{
    (void)unused;
    struct db_error err;
    return c->driver->reset_session(c, &err);
}

/* The session setup goes with the first statement (one round trip); it
 * holds whatever that statement does, and a missing schema is made. */
START_TEST(test_postgres__first_statement_carries_the_setup)
{
    struct db_config cfg;
    pg_config(&cfg);
    cfg.lock_timeout_ms = 1234;
    cfg.statement_timeout_ms = 5678;
    struct db_error err;
    char v[128], want[160];
    /* a first statement that fails: the settings are there after it, and
     * the schema was made */
    struct db_conn *c = tu_connect(&cfg);
    ck_assert_int_ne(db_query(c, "SELECT * FROM no_such_table", 0, NULL, NULL,
                              NULL, NULL, &err), 0);
    ck_assert_str_eq(err.sqlstate, "42P01");
    snprintf(want, sizeof want, "\"%s\"", cfg.schema);
    setting_is(c, "search_path", want);
    setting_is(c, "lock_timeout", "1234ms");
    setting_is(c, "statement_timeout", "5678ms");
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM pg_namespace WHERE "
                                "nspname = current_schema()"), 1);
    db_disconnect(c);

    /* a first statement that creates, in a schema not there yet: it runs
     * again once the schema is made, and its table is in that schema */
    pg_config(&cfg);
    c = tu_connect(&cfg);
    ck_assert_msg(db_query(c, "CREATE TABLE made_first (x int)", 0, NULL,
                           NULL, NULL, NULL, &err) == 0,
                  "%s", err.message);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM pg_tables WHERE "
                                "tablename = 'made_first' AND schemaname = "
                                "current_schema()"), 1);
    db_disconnect(c);

    /* the setup and a first query go in one round trip: libpq's trace
     * shows every message of both sent before the first answer */
    c = tu_connect(&cfg);
    struct trace_counts n = {0};
    ck_assert_int_eq(traced(c, select_42, v, &n), 0);
    ck_assert_str_eq(v, "42");
    ck_assert_int_eq(n.parses, 2);   /* the setup, then the query */
    ck_assert_int_gt(n.sent, 2);
    ck_assert_int_eq(n.answered, 1);
    ck_assert_int_eq(n.sent_after, 0);
    db_disconnect(c);

    /* a first BEGIN: the setup on its own before it */
    pg_config(&cfg);
    c = tu_connect(&cfg);
    ck_assert_int_eq(db_begin(c, &err), 0);
    tu_exec(c, "CREATE TABLE in_tx (x int)");
    ck_assert_int_eq(db_commit(c, &err), 0);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM pg_tables WHERE "
                                "tablename = 'in_tx' AND schemaname = "
                                "current_schema()"), 1);
    db_disconnect(c);
}
END_TEST

/* Before each revision: every SET undone and the connection's settings
 * made again, sent with the next statement in its round trip. A reset
 * that a rollback undid, or that failed with its statement outside a
 * transaction (one implicit transaction), goes again with the next one;
 * in a failed transaction it waits for the rollback. */
START_TEST(test_postgres__reset_session_travels_with_the_next_statement)
{
    struct db_config cfg;
    pg_config(&cfg);
    cfg.lock_timeout_ms = 1234;
    cfg.statement_timeout_ms = 5678;
    struct db_conn *c = tu_connect(&cfg);
    struct db_error err;
    char want[160], v[128];
    ck_assert_int_eq(db_begin(c, &err), 0);
    tu_exec(c, "SET search_path TO public");
    tu_exec(c, "SET statement_timeout = '1s'");
    tu_exec(c, "SET work_mem = '7MB'");
    struct trace_counts n = {0};
    ck_assert_int_eq(traced(c, reset_session, NULL, &n), 0);
    ck_assert_int_eq(n.sent, 0); /* nothing yet */
    ck_assert_int_eq(traced(c, select_42, v, &n), 0);
    ck_assert_str_eq(v, "42");
    ck_assert_int_eq(n.parses, 3); /* RESET ALL, the setup, the query */
    ck_assert_int_eq(n.trips, 1);
    snprintf(want, sizeof want, "\"%s\"", cfg.schema);
    setting_is(c, "search_path", want);
    setting_is(c, "statement_timeout", "5678ms");
    setting_is(c, "lock_timeout", "1234ms");
    setting_is(c, "work_mem", "4MB"); /* the server's default */
    ck_assert_int_eq(db_commit(c, &err), 0);
    setting_is(c, "work_mem", "4MB");

    /* sent in a transaction that rolls back: undone with it, it goes
     * again with the next statement */
    tu_exec(c, "SET work_mem = '7MB'");
    ck_assert_int_eq(db_begin(c, &err), 0);
    ck_assert_int_eq(c->driver->reset_session(c, &err), 0);
    ck_assert_int_eq(traced(c, select_42, v, &n), 0);
    ck_assert_int_eq(n.parses, 4); /* BEGIN, RESET ALL, the setup, it */
    ck_assert_int_eq(n.trips, 1);
    ck_assert_int_eq(db_rollback(c, &err), 0);
    ck_assert_int_eq(traced(c, select_42, v, &n), 0);
    ck_assert_int_eq(n.parses, 2); /* RESET ALL, the setup; the query is
                                      prepared by now */
    ck_assert_int_eq(n.trips, 1);
    setting_is(c, "work_mem", "4MB");

    /* outside a transaction, a statement that fails takes the reset with
     * it: the next one carries it again */
    tu_exec(c, "SET work_mem = '7MB'");
    ck_assert_int_eq(c->driver->reset_session(c, &err), 0);
    ck_assert_int_ne(db_query(c, "SELECT * FROM no_such_table", 0, NULL, NULL,
                              NULL, NULL, &err), 0);
    ck_assert_str_eq(err.sqlstate, "42P01");
    setting_is(c, "work_mem", "4MB");

    /* in a failed transaction: the rollback goes alone, the reset after */
    tu_exec(c, "SET work_mem = '7MB'");
    ck_assert_int_eq(db_begin(c, &err), 0);
    ck_assert_int_ne(db_exec(c, "SELECT * FROM no_such_table", &err), 0);
    ck_assert_int_eq(c->driver->reset_session(c, &err), 0);
    ck_assert_int_eq(db_rollback(c, &err), 0);
    ck_assert_int_eq(tu_long(c, "SELECT 7"), 7);
    setting_is(c, "work_mem", "4MB");

    /* ahead of a string of statements, which cannot take it along: on
     * its own, just before */
    tu_exec(c, "SET work_mem = '7MB'");
    ck_assert_int_eq(c->driver->reset_session(c, &err), 0);
    tu_exec(c, "CREATE TEMP TABLE mem AS SELECT current_setting('work_mem') "
               "AS v; SELECT 1");
    char *got = tu_str(c, "SELECT v FROM mem");
    ck_assert_str_eq(got, "4MB");
    free(got);
    db_disconnect(c);
}
END_TEST

static int commit_it(struct db_conn *c, void *unused)
{
    (void)unused;
    struct db_error err;
    return db_commit(c, &err);
}

static int insert_one(struct db_conn *c, void *unused)
{
    (void)unused;
    struct db_error err;
    const char *p[] = {"1"};
    return db_query(c, "INSERT INTO begun (x) VALUES ($1)", 1, p, NULL, NULL,
                    NULL, &err);
}

/* BEGIN goes with the transaction's first statement, in one round trip,
 * whether that statement is prepared, to be prepared, or neither, or is
 * the reset before a revision; a transaction that sends nothing costs
 * nothing; the transaction is as real as with BEGIN on its own. */
START_TEST(test_postgres__begin_travels_with_the_first_statement)
{
    struct db_config cfg;
    pg_config(&cfg);
    cfg.lock_timeout_ms = 1234;
    struct db_conn *c = tu_connect(&cfg);
    struct db_error err;
    char want[160];
    snprintf(want, sizeof want, "\"%s\"", cfg.schema);
    /* the session setup, pending at a first BEGIN, goes on its own ahead
     * of the transaction: a first statement that fails and is rolled
     * back leaves the settings in place */
    ck_assert_int_eq(db_begin(c, &err), 0);
    ck_assert_int_ne(db_query(c, "SELECT * FROM no_such_table", 0, NULL, NULL,
                              NULL, NULL, &err), 0);
    ck_assert_str_eq(err.sqlstate, "42P01");
    ck_assert_int_eq(db_rollback(c, &err), 0);
    setting_is(c, "search_path", want);
    setting_is(c, "lock_timeout", "1234ms");
    tu_exec(c, "CREATE TABLE begun (x int)");

    /* three transactions of the same INSERT: sent with parameters, then
     * prepared, then prepared already; each one round trip with its BEGIN
     * (two Parse messages when it is prepared there: BEGIN's, its own) */
    const int parses[] = {2, 2, 1};
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(db_begin(c, &err), 0);
        struct trace_counts n = {0};
        ck_assert_int_eq(traced(c, insert_one, NULL, &n), 0);
        ck_assert_int_eq(n.parses, parses[i]);
        ck_assert_int_eq(n.answered, 1);
        ck_assert_int_eq(n.sent_after, 0);
        /* the third is rolled back, and its row with it */
        ck_assert_int_eq(i < 2 ? db_commit(c, &err) : db_rollback(c, &err), 0);
    }
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM begun"), 2);

    /* a statement that fails with its BEGIN leaves the transaction failed:
     * the commit says it rolled back */
    ck_assert_int_eq(db_begin(c, &err), 0);
    ck_assert_int_ne(db_query(c, "INSERT INTO begun (x) VALUES ('no')", 0,
                              NULL, NULL, NULL, NULL, &err), 0);
    ck_assert_str_eq(err.sqlstate, "22P02");
    ck_assert_int_ne(db_commit(c, &err), 0);
    ck_assert_msg(strstr(err.message, "rolled back"), "%s", err.message);
    ck_assert_int_eq(db_rollback(c, &err), 0);

    /* nothing sent in it: its commit sends nothing either */
    ck_assert_int_eq(db_begin(c, &err), 0);
    struct trace_counts n = {0};
    ck_assert_int_eq(traced(c, commit_it, NULL, &n), 0);
    ck_assert_int_eq(n.sent, 0);

    /* a first statement that cannot take it along (several statements in
     * one string) gets it just before: still one transaction */
    ck_assert_int_eq(db_begin(c, &err), 0);
    tu_exec(c, "INSERT INTO begun (x) VALUES (3); INSERT INTO begun (x) "
               "VALUES (4)");
    ck_assert_int_eq(db_rollback(c, &err), 0);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM begun"), 2);

    /* with the reset before a revision, both go with the first
     * statement, in its round trip */
    ck_assert_int_eq(db_begin(c, &err), 0);
    ck_assert_int_eq(traced(c, reset_session, NULL, &n), 0);
    ck_assert_int_eq(n.sent, 0);
    ck_assert_int_eq(traced(c, insert_one, NULL, &n), 0);
    ck_assert_int_eq(n.parses, 3); /* BEGIN, RESET ALL, the setup; the
                                      INSERT is prepared already */
    ck_assert_int_eq(n.sent_after, 0);
    tu_exec(c, "INSERT INTO begun (x) VALUES (5)");
    ck_assert_int_eq(db_rollback(c, &err), 0);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM begun"), 2);

    /* a BEGIN inside a transaction goes at once (the server warns), and
     * the transaction goes on */
    ck_assert_int_eq(db_begin(c, &err), 0);
    tu_exec(c, "INSERT INTO begun (x) VALUES (6)");
    ck_assert_int_eq(db_begin(c, &err), 0);
    ck_assert_int_eq(db_commit(c, &err), 0);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM begun"), 3);
    tu_exec(c, "DROP TABLE begun");
    db_disconnect(c);
}
END_TEST

struct commit_args {
    const char *value;
    int rc;
    struct db_error err;
};

static int insert_commit(struct db_conn *c, void *ctx)
{
    struct commit_args *a = ctx;
    const char *p[] = {a->value};
    a->rc = db_query_commit(c, "INSERT INTO qc (x) VALUES ($1)", 1, p,
                            &a->err);
    return a->rc;
}

/* The transaction's last statement and its COMMIT go in one round trip
 * (with BEGIN when nothing else was sent); a statement that fails leaves
 * the transaction for the rollback, a COMMIT that fails ends it; either
 * way nothing of the transaction stays. */
START_TEST(test_postgres__last_statement_travels_with_commit)
{
    struct db_config cfg;
    pg_config(&cfg);
    struct db_conn *c = tu_connect(&cfg);
    struct db_error err;
    tu_exec(c, "CREATE TABLE qc (x int UNIQUE DEFERRABLE INITIALLY DEFERRED)");
    struct trace_counts n = {0};
    struct commit_args a = {"1", 0, {0}};

    ck_assert_int_eq(db_begin(c, &err), 0);
    tu_exec(c, "INSERT INTO qc (x) VALUES (0)");
    ck_assert_int_eq(traced(c, insert_commit, &a, &n), 0);
    ck_assert_int_eq(n.trips, 1);
    ck_assert_int_eq(n.parses, 2); /* the INSERT, COMMIT */
    ck_assert_int_eq(c->in_tx, 0);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM qc"), 2);

    /* nothing sent before it: BEGIN, it and COMMIT, one round trip */
    a.value = "2";
    ck_assert_int_eq(db_begin(c, &err), 0);
    ck_assert_int_eq(traced(c, insert_commit, &a, &n), 0);
    ck_assert_int_eq(n.trips, 1);
    ck_assert_int_eq(n.parses, 3);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM qc"), 3);

    /* the statement fails: the transaction is left failed, COMMIT never
     * ran; the rollback ends it and the row before it goes too */
    a.value = "no";
    ck_assert_int_eq(db_begin(c, &err), 0);
    tu_exec(c, "INSERT INTO qc (x) VALUES (10)");
    ck_assert_int_ne(insert_commit(c, &a), 0);
    ck_assert_str_eq(a.err.sqlstate, "22P02");
    ck_assert_int_eq(c->in_tx, 1);
    ck_assert_int_eq(db_rollback(c, &err), 0);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM qc"), 3);

    /* COMMIT fails (the deferred unique check): the transaction is over,
     * the rollback has nothing left to do */
    a.value = "1";
    ck_assert_int_eq(db_begin(c, &err), 0);
    tu_exec(c, "INSERT INTO qc (x) VALUES (11)");
    ck_assert_int_ne(insert_commit(c, &a), 0);
    ck_assert_str_eq(a.err.sqlstate, "23505");
    ck_assert_int_eq(db_rollback(c, &err), 0);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM qc"), 3);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM qc WHERE x = 11"), 0);
    tu_exec(c, "DROP TABLE qc");
    db_disconnect(c);
}
END_TEST

struct upgrade_args {
    const struct db_graph *g;
    struct db_error err;
};

static int upgrade_head(struct db_conn *c, void *ctx)
{
    struct upgrade_args *a = ctx;
    return db_migrate_upgrade(c, a->g, "head", NULL, NULL, &a->err);
}

/* The round trip of n's trace holding text (at or after from), or -1. */
static int trip_with(const struct trace_counts *n, const char *text,
                     int from)
{
    for (int k = from < 0 ? 0 : from; k < n->trips && k < MAX_TRIPS; k++)
        if (n->trip[k] && strstr(n->trip[k], text))
            return k;
    return -1;
}

/* A revision of two statements costs what psql running it in a
 * transaction costs: four round trips. BEGIN, the reset of the session
 * and the move of the head go in the first; each statement in its own;
 * the history row with COMMIT in the last. A revision's SET does not
 * reach the next one. */
START_TEST(test_postgres__revision_in_four_round_trips)
{
    struct db_config cfg;
    pg_config(&cfg);
    char vdir[1100], path[1300], text[600];
    tu_migrations(&cfg, vdir, sizeof vdir);
    for (int i = 1; i <= 5; i++) {
        int len = snprintf(text, sizeof text, "-- revision: %04d\n", i);
        if (i > 1)
            len += snprintf(text + len, sizeof text - (size_t)len,
                            "-- down_revision: %04d\n", i - 1);
        len += snprintf(text + len, sizeof text - (size_t)len,
                        "-- message: t%d\n\n-- +upgrade\n", i);
        if (i == 3)
            len += snprintf(text + len, sizeof text - (size_t)len,
                            "SET work_mem = '7MB';\n");
        snprintf(text + len, sizeof text - (size_t)len,
                 "CREATE TABLE \"t%d\" AS SELECT 1 AS \"id\", "
                 "current_setting('work_mem') AS \"w\";\n"
                 "CREATE INDEX \"ix_t%d\" ON \"t%d\" (\"id\");\n", i, i, i);
        snprintf(path, sizeof path, "%s/%04d_t%d.sql", vdir, i, i);
        tu_write_file(path, text);
    }
    struct upgrade_args a = {0};
    struct db_graph *g;
    ck_assert_int_eq(db_migrate_load(&g, &cfg, &a.err), 0);
    a.g = g;
    struct db_conn *c = tu_connect(&cfg);
    struct trace_counts n = {.keep = true};
    int rc = traced(c, upgrade_head, &a, &n);
    ck_assert_msg(rc == 0, "%s", a.err.message);
    /* from revision 0002 on the head moves with one UPDATE (0001 reads
     * the heads instead); 0003 has a third statement, its SET */
    int next_first = -1;
    for (int i = 2; i <= 5; i++) {
        char t[64];
        snprintf(t, sizeof t, "CREATE TABLE \"t%d\"", i);
        int k = trip_with(&n, t, 0), before = i == 3;
        ck_assert_msg(k > before, "no round trip with %s", t);
        int first_k = k - 1 - before;
        /* the head's UPDATE may be prepared: its parameters say it */
        const char *first = n.trip[first_k];
        snprintf(t, sizeof t, "'%04d' 4 '%04d'", i, i - 1);
        ck_assert_msg(strstr(first, "\"BEGIN\"") && strstr(first, "RESET ALL") &&
                          strstr(first, "search_path") && strstr(first, t),
                      "revision %d, first round trip: %s", i, first);
        if (next_first >= 0)
            ck_assert_int_eq(first_k, next_first);
        snprintf(t, sizeof t, "CREATE INDEX \"ix_t%d\"", i);
        ck_assert_int_eq(trip_with(&n, t, k), k + 1);
        /* the history row (prepared by now: its parameters say it) */
        const char *last = k + 2 < n.trips ? n.trip[k + 2] : "";
        snprintf(t, sizeof t, "'%04d' 2 'up'", i);
        ck_assert_msg(strstr(last, t) && strstr(last, "\"COMMIT\""),
                      "revision %d, last round trip: %s", i, last);
        ck_assert_ptr_null(strstr(last, "RESET ALL"));
        next_first = k + 3; /* nothing between two revisions */
    }
    free_trips(&n);
    /* 0003's SET held in 0003 and stayed there */
    for (int i = 3; i <= 4; i++) {
        snprintf(text, sizeof text, "SELECT \"w\" FROM \"t%d\"", i);
        char *w = tu_str(c, text);
        ck_assert_str_eq(w, i == 3 ? "7MB" : "4MB");
        free(w);
    }
    db_graph_free(g);
    db_disconnect(c);
}
END_TEST

START_TEST(test_postgres__schema_name_is_quoted)
{
    struct db_config cfg;
    pg_config(&cfg);
    snprintf(cfg.schema, sizeof cfg.schema, "Odd \"Sch'ema\" %d", (int)getpid());
    struct db_conn *c = tu_connect(&cfg);
    struct db_error err;
    char cur[128];
    /* the schema is made with the session's first statement (which runs
     * with it on search_path, before it exists: a read finds nothing) */
    ck_assert_int_eq(db_query_value(c, "SELECT 1", 0, NULL, cur, sizeof cur,
                                    &err), 0);
    ck_assert_int_eq(db_query_value(c, "SELECT current_schema()", 0, NULL, cur,
                                    sizeof cur, &err), 0);
    ck_assert_str_eq(cur, cfg.schema);
    ck_assert_int_eq(create_db_and_tables(c, models_schema(), &err), 0);
    ck_assert_int_eq(c->driver->table_exists(c, "tasks", &err), 1);
    /* a second connection finds the schema and does not create it again */
    struct db_conn *c2 = tu_connect(&cfg);
    ck_assert_int_eq(c2->driver->table_exists(c2, "tasks", &err), 1);
    db_disconnect(c2);
    const char *p[] = {cfg.schema};
    char sql[256];
    ck_assert_int_eq(db_query_value(c, "SELECT format('DROP SCHEMA %I CASCADE', "
                                       "$1::text)", 1, p, sql, sizeof sql,
                                    &err), 0);
    tu_exec(c, sql);
    db_disconnect(c);
}
END_TEST

static int count_cols(void *ctx, int ncols, const char *const *vals,
                      const char *const *names)
{
    (void)vals;
    (void)names;
    *(int *)ctx = ncols;
    return 0;
}

START_TEST(test_postgres__repeated_statements_are_prepared)
{
    struct db_config cfg;
    pg_config(&cfg);
    struct db_conn *c = tu_connect(&cfg);
    struct db_error err;
    tu_exec(c, "CREATE TABLE r (a int); INSERT INTO r VALUES (1), (2)");
    const char *sql = "SELECT count(*) FROM r WHERE a >= $1";
    const char *p1[] = {"1"}, *p2[] = {"2"};
    char v[16];
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(db_query_value(c, sql, 1, i % 2 ? p2 : p1, v,
                                        sizeof v, &err), 0);
        ck_assert_str_eq(v, i % 2 ? "1" : "2");
    }
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM pg_prepared_statements "
                                "WHERE statement LIKE 'SELECT count(*) FROM r %'"),
                     1);
    /* a prepared SELECT * whose table changes still works */
    int ncols = 0;
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(db_query(c, "SELECT * FROM r", 0, NULL, count_cols,
                                  &ncols, NULL, &err), 0);
    ck_assert_int_eq(ncols, 1);
    tu_exec(c, "ALTER TABLE r ADD COLUMN b int");
    int rc = db_query(c, "SELECT * FROM r", 0, NULL, count_cols, &ncols, NULL,
                      &err);
    ck_assert_msg(rc == 0, "%s", err.message);
    ck_assert_int_eq(ncols, 2);
    ck_assert_int_eq(db_query(c, "SELECT * FROM r", 0, NULL, count_cols,
                              &ncols, NULL, &err), 0);
    /* prepared statements dropped behind the driver's back */
    tu_exec(c, "DEALLOCATE ALL");
    ck_assert_int_eq(db_query_value(c, sql, 1, p1, v, sizeof v, &err), 0);
    ck_assert_str_eq(v, "2");
    ck_assert_int_eq(db_query_value(c, sql, 1, p1, v, sizeof v, &err), 0);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM pg_prepared_statements "
                                "WHERE statement LIKE 'SELECT count(*) FROM r %'"),
                     1);
    /* dropped behind its back inside a transaction's first round trip
     * (a revision may DEALLOCATE ALL): the transaction starts again, the
     * statement prepared again */
    tu_exec(c, "DEALLOCATE ALL");
    ck_assert_int_eq(db_begin(c, &err), 0);
    int rc2 = db_query_value(c, sql, 1, p2, v, sizeof v, &err);
    ck_assert_msg(rc2 == 0, "%s", err.message);
    ck_assert_str_eq(v, "1");
    tu_exec(c, "INSERT INTO r (a) VALUES (3)");
    ck_assert_int_eq(db_commit(c, &err), 0);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM r"), 3);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM pg_prepared_statements "
                                "WHERE statement LIKE 'SELECT count(*) FROM r %'"),
                     1);
    /* errors of prepared statements are reported like the others */
    const char *bad[] = {"x"};
    ck_assert_int_eq(db_query_value(c, sql, 1, bad, v, sizeof v, &err),
                     DB_ESQL);
    ck_assert_str_eq(err.sqlstate, "22P02");
    db_disconnect(c);
}
END_TEST

Suite *postgres_suite(void)
{
    Suite *s = suite_create("postgres");
    TCase *tc = tcase_create("postgres");
    tcase_set_timeout(tc, 30);
    if (tu_backend_count() < 2) {
        tcase_add_test(tc, test_postgres__no_server_configured);
        suite_add_tcase(s, tc);
        return s;
    }
    tcase_add_checked_fixture(tc, setup, tu_cleanup);
    tcase_add_test(tc, test_postgres__ddl_from_models);
    tcase_add_test(tc, test_postgres__reset_session_travels_with_the_next_statement);
    tcase_add_test(tc, test_postgres__last_statement_travels_with_commit);
    tcase_add_test(tc, test_postgres__revision_in_four_round_trips);
    tcase_add_test(tc, test_postgres__schema_name_is_quoted);
    tcase_add_test(tc, test_postgres__first_statement_carries_the_setup);
    tcase_add_test(tc, test_postgres__begin_travels_with_the_first_statement);
    tcase_add_test(tc, test_postgres__reset_drops_only_model_tables);
    tcase_add_test(tc, test_postgres__errors_carry_sqlstate_and_position);
    tcase_add_test(tc, test_postgres__parameters_are_bound);
    tcase_add_test(tc, test_postgres__repeated_statements_are_prepared);
    tcase_add_test(tc, test_postgres__failed_transaction_does_not_commit);
    tcase_add_test(tc, test_postgres__lock_timeout_fails_cleanly);
    tcase_add_test(tc, test_postgres__statement_timeout_fails_cleanly);
    tcase_add_test(tc, test_postgres__migration_lock_excludes_other_sessions);
    tcase_add_test(tc, test_postgres__empty_url_uses_libpq_environment);
    tcase_add_test(tc, test_postgres__passwords_never_in_errors);
    tcase_add_test(tc, test_postgres__wait_gives_up_after_wait_seconds);
    tcase_add_test(tc, test_postgres__wait_succeeds_when_server_appears);
    tcase_add_test(tc, test_postgres__version_and_notices);
    tcase_add_test(tc, test_postgres__backup_with_pg_dump);
    suite_add_tcase(s, tc);
    return s;
}
