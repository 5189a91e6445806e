/*
 * test_config.c - the INI file, the environment, and URLs.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/config.h"
#include "db/url.h"
#include "settings.h"
#include "testutil.h"

static char path[600];

static void write_ini(const char *text)
{
    snprintf(path, sizeof path, "%s/app.ini", tu_tmpdir());
    tu_write_file(path, text);
}

/* The [server] and [auth] sections read with the file, as the app does. */
static struct app_settings settings;

static int load(struct db_config *cfg, const char *file, struct db_error *err)
{
    return app_config_load(cfg, &settings, file, err);
}

static void setup(void)
{
    unsetenv("DATABASE_URL");
    unsetenv("APP_PHASE");
    unsetenv("APP_CONFIG");
}

START_TEST(test_config__reads_phase_and_url)
{
    write_ini("[app]\nphase = production\n[database]\nurl = sqlite:///x/y.db\n"
              "wait_seconds = 7\nlock_timeout = 5s\nstatement_timeout = 250ms\n"
              "schema = app\n");
    struct db_config cfg;
    struct db_error err;
    ck_assert_int_eq(load(&cfg, path, &err), 0);
    ck_assert_int_eq(cfg.phase, DB_PHASE_PRODUCTION);
    ck_assert_str_eq(cfg.url, "sqlite:///x/y.db");
    ck_assert_str_eq(cfg.phase_source, path);
    ck_assert_int_eq(cfg.wait_seconds, 7);
    ck_assert_int_eq(cfg.lock_timeout_ms, 5000);
    ck_assert_int_eq(cfg.statement_timeout_ms, 250);
    ck_assert_str_eq(cfg.schema, "app");
}
END_TEST

START_TEST(test_config__defaults_without_keys)
{
    write_ini("; nothing but a comment\n");
    struct db_config cfg;
    struct db_error err;
    ck_assert_int_eq(load(&cfg, path, &err), 0);
    ck_assert_int_eq(cfg.phase, DB_PHASE_PREUSER);
    ck_assert_str_eq(cfg.url, "sqlite:///var/app.db");
    ck_assert_int_eq(db_config_wait_seconds(&cfg), 0);
    cfg.phase = DB_PHASE_PRODUCTION;
    ck_assert_int_eq(db_config_wait_seconds(&cfg), 30);
}
END_TEST

START_TEST(test_config__server_log_levels)
{
    struct db_config cfg;
    struct db_error err;
    write_ini("[server]\nport = 8001\n");
    ck_assert_int_eq(load(&cfg, path, &err), 0);
    ck_assert_int_eq(settings.server_log, APP_SERVER_LOG_REQUESTS);
    write_ini("[server]\nlog = off\n");
    ck_assert_int_eq(load(&cfg, path, &err), 0);
    ck_assert_int_eq(settings.server_log, APP_SERVER_LOG_OFF);
    write_ini("[server]\nlog = debug\n");
    ck_assert_int_eq(load(&cfg, path, &err), 0);
    ck_assert_int_eq(settings.server_log, APP_SERVER_LOG_DEBUG);
}
END_TEST

START_TEST(test_config__environment_overrides_file)
{
    write_ini("[app]\nphase = pre-user\n[database]\nurl = sqlite:///a.db\n");
    setenv("DATABASE_URL", "sqlite:////tmp/b.db", 1);
    setenv("APP_PHASE", "production", 1);
    struct db_config cfg;
    struct db_error err;
    ck_assert_int_eq(load(&cfg, path, &err), 0);
    ck_assert_str_eq(cfg.url, "sqlite:////tmp/b.db");
    ck_assert_int_eq(cfg.phase, DB_PHASE_PRODUCTION);
    ck_assert_str_eq(cfg.phase_source, "APP_PHASE");
    ck_assert_str_eq(cfg.url_source, "DATABASE_URL");
}
END_TEST

START_TEST(test_config__app_config_names_the_file)
{
    write_ini("[app]\nphase = production\n");
    setenv("APP_CONFIG", path, 1);
    struct db_config cfg;
    struct db_error err;
    ck_assert_int_eq(load(&cfg, NULL, &err), 0);
    ck_assert_int_eq(cfg.phase, DB_PHASE_PRODUCTION);
    ck_assert_str_eq(cfg.path, path);
}
END_TEST

/* Bad files: one line naming file, line, what and what is accepted. */
static const struct {
    const char *ini;
    int line;
    const char *want;
} bad_files[] = {
    {"[app]\nphase = beta\n", 2, "accepted: pre-user, production"},
    {"[app]\nphase = pre-user\ncolour = red\n", 3, "unknown key 'colour' in [app]"},
    {"[databse]\nurl = sqlite:///a.db\n", 2, "unknown section [databse]"},
    {"[database]\nurl = mysql://h/db\n", 2, "unknown database url scheme 'mysql'"},
    {"[database]\nurl = sqlite://host/a.db\n", 2, "three slashes"},
    {"[database]\nwait_seconds = soon\n", 2, "wait_seconds"},
    {"[database]\nlock_timeout = 5 hours\n", 2, "500ms, 5s, 2min"},
    {"[server]\nport = 70000\n", 2, "1 to 65535"},
    {"[auth]\nops_limit = 0\n", 2, "bad [auth] ops_limit '0'"},
    {"[auth]\nmem_limit = 4KiB\n", 2, "from 8KiB to 4GiB"},
    {"[auth]\nmem_limit = 64MB\n", 2, "bytes, KiB, MiB or GiB"},
    {"[auth]\nsession_hours = 0\n", 2, "1 to 8760"},
    {"[auth]\npassword_min_length = -1\n", 2, "password_min_length"},
    {"[auth]\nmax_failures = many\n", 2, "max_failures"},
    {"[auth]\nfailure_window = 10ms\n", 2, "from 1s to 1440min"},
    {"[auth]\nsalt = x\n", 2, "unknown key 'salt' in [auth]; accepted: ops_limit"},
    {"[auth]\npassword_max_length = 4\n", 0, "is greater than password_max_length (4)"},
    {"[server]\nlog = verbose\n", 2, "accepted: off, requests, debug"},
    {"[app\nphase = pre-user\n", 1, "syntax error"},
};

START_TEST(test_config__bad_file_names_file_line_and_accepted)
{
    write_ini(bad_files[_i].ini);
    struct db_config cfg;
    struct db_error err;
    ck_assert_int_eq(load(&cfg, path, &err), DB_ECONFIG);
    ck_assert_int_eq(err.line, bad_files[_i].line);
    ck_assert_str_eq(err.file, path);
    ck_assert_msg(strstr(err.message, bad_files[_i].want) != NULL,
                  "message '%s' lacks '%s'", err.message, bad_files[_i].want);
    char line[4096];
    db_error_format(line, sizeof line, &err);
    ck_assert_ptr_null(strchr(line, '\n'));
    /* a failed load leaves the defaults, not half a config */
    ck_assert_int_eq(cfg.phase, DB_PHASE_PREUSER);
}
END_TEST

START_TEST(test_config__auth_section)
{
    write_ini("; no [auth]\n");
    struct db_config cfg;
    struct db_error err;
    ck_assert_int_eq(load(&cfg, path, &err), 0);
    /* 0: libsodium's interactive limits */
    ck_assert(settings.auth_ops_limit == 0 && settings.auth_mem_limit == 0);
    ck_assert_int_eq(settings.auth_session_hours, 24);
    ck_assert_int_eq(settings.auth_password_min, 8);
    ck_assert_int_eq(settings.auth_password_max, 128);
    ck_assert_int_eq(settings.auth_max_failures, 5);
    ck_assert_int_eq(settings.auth_failure_window, 900);
    write_ini("[auth]\nops_limit = 3\nmem_limit = 128MiB\nsession_hours = 2\n"
              "password_min_length = 12\npassword_max_length = 64\n"
              "max_failures = 3\nfailure_window = 30s\n");
    ck_assert_int_eq(load(&cfg, path, &err), 0);
    ck_assert(settings.auth_ops_limit == 3);
    ck_assert(settings.auth_mem_limit == 128ULL << 20);
    ck_assert_int_eq(settings.auth_session_hours, 2);
    ck_assert_int_eq(settings.auth_password_min, 12);
    ck_assert_int_eq(settings.auth_password_max, 64);
    ck_assert_int_eq(settings.auth_max_failures, 3);
    ck_assert_int_eq(settings.auth_failure_window, 30);
    write_ini("[auth]\nmem_limit = 8192\n");
    ck_assert_int_eq(load(&cfg, path, &err), 0);
    ck_assert(settings.auth_mem_limit == 8192);
}
END_TEST

START_TEST(test_config__library_reads_only_its_sections)
{
    write_ini("[server]\nport = 8001\n");
    struct db_config cfg;
    struct db_error err;
    ck_assert_int_eq(db_config_load(&cfg, path, &err), DB_ECONFIG);
    ck_assert_str_eq(err.message, "unknown section [server]; accepted: "
                                  "[app], [database], [migrations]");
    write_ini("[cache]\nsize = 1\n");
    ck_assert_int_eq(load(&cfg, path, &err), DB_ECONFIG);
    ck_assert_str_eq(err.message, "unknown section [cache]; accepted: "
                                  "[app], [database], [migrations], "
                                  "[server], [auth]");
    ck_assert_int_eq(err.line, 2); /* the first key: inih reports it there */
}
END_TEST

START_TEST(test_config__missing_file)
{
    struct db_config cfg;
    struct db_error err;
    ck_assert_int_eq(load(&cfg, "/nonexistent/app.ini", &err),
                     DB_EIO);
    ck_assert_str_eq(err.file, "/nonexistent/app.ini");
    ck_assert_ptr_nonnull(strstr(err.hint, "--config"));
}
END_TEST

START_TEST(test_config__bad_app_phase_env)
{
    write_ini("[app]\nphase = pre-user\n");
    setenv("APP_PHASE", "staging", 1);
    struct db_config cfg;
    struct db_error err;
    ck_assert_int_eq(load(&cfg, path, &err), DB_ECONFIG);
    ck_assert_ptr_nonnull(strstr(err.message, "APP_PHASE"));
}
END_TEST

START_TEST(test_config__sqlite_urls)
{
    struct db_url u;
    struct db_error err;
    ck_assert_int_eq(db_url_parse(&u, "sqlite:///var/app.db", &err), 0);
    ck_assert_str_eq(u.scheme, "sqlite");
    ck_assert_str_eq(u.path, "var/app.db");
    ck_assert_int_eq(db_url_parse(&u, "sqlite:////srv/data/app.db", &err), 0);
    ck_assert_str_eq(u.path, "/srv/data/app.db");
    ck_assert_int_eq(db_url_parse(&u, "sqlite:///:memory:", &err), 0);
    ck_assert_str_eq(u.path, ":memory:");
    ck_assert_int_eq(db_url_parse(&u, "sqlite:///my%20app.db", &err), 0);
    ck_assert_str_eq(u.path, "my app.db");
    ck_assert_int_eq(db_url_parse(&u, "postgres://u:p@h/db", &err), 0);
    ck_assert_str_eq(u.scheme, "postgresql");
    ck_assert_int_eq(db_url_parse(&u, "", &err), 0);
    ck_assert_str_eq(u.scheme, "postgresql");
    ck_assert_int_eq(db_url_parse(&u, "not a url", &err), DB_ECONFIG);
}
END_TEST

/* An encoded NUL byte would cut the path short ("var/app" instead of
 * "var/app%00.db"), or leave nothing (SQLite then opens a temporary
 * database): refused. Found by the url fuzz target. */
START_TEST(test_config__sqlite_url_encoded_nul)
{
    struct db_url u;
    struct db_error err;
    ck_assert_int_eq(db_url_parse(&u, "sqlite:///var/app%00.db", &err),
                     DB_ECONFIG);
    ck_assert_ptr_nonnull(strstr(err.message, "%00"));
    ck_assert_int_eq(db_url_parse(&u, "sqlite:%00", &err), DB_ECONFIG);
    char *text = tu_read_file("tests/fuzz/corpus/url/"
                              "regression-sqlite-encoded-nul");
    ck_assert_ptr_nonnull(text);
    ck_assert_int_eq(db_url_parse(&u, text, &err), DB_ECONFIG);
    free(text);
}
END_TEST

START_TEST(test_config__mask_passwords)
{
    char out[512];
    db_url_mask(out, sizeof out, "postgresql://app:s3cret@db:5432/app");
    ck_assert_str_eq(out, "postgresql://app:***@db:5432/app");
    db_url_mask(out, sizeof out,
                "postgresql://app@db/app?sslmode=require&password=s3cret");
    ck_assert_str_eq(out, "postgresql://app@db/app?sslmode=require&password=***");
    db_url_mask(out, sizeof out, "sqlite:///var/app.db");
    ck_assert_str_eq(out, "sqlite:///var/app.db");
    char msg[] = "password authentication failed: s3cret s3cret";
    db_mask_secret(msg, "s3cret");
    ck_assert_str_eq(msg, "password authentication failed: *** ***");
}
END_TEST

Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");
    tcase_add_checked_fixture(tc, setup, tu_cleanup);
    tcase_add_test(tc, test_config__reads_phase_and_url);
    tcase_add_test(tc, test_config__defaults_without_keys);
    tcase_add_test(tc, test_config__environment_overrides_file);
    tcase_add_test(tc, test_config__server_log_levels);
    tcase_add_test(tc, test_config__app_config_names_the_file);
    tcase_add_loop_test(tc, test_config__bad_file_names_file_line_and_accepted,
                        0, (int)(sizeof bad_files / sizeof bad_files[0]));
    tcase_add_test(tc, test_config__auth_section);
    tcase_add_test(tc, test_config__library_reads_only_its_sections);
    tcase_add_test(tc, test_config__missing_file);
    tcase_add_test(tc, test_config__bad_app_phase_env);
    tcase_add_test(tc, test_config__sqlite_urls);
    tcase_add_test(tc, test_config__sqlite_url_encoded_nul);
    tcase_add_test(tc, test_config__mask_passwords);
    suite_add_tcase(s, tc);
    return s;
}
