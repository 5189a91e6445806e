/*
 * test_lint.c - the revision linter on PostgreSQL's parser: every rule
 * with a statement that breaks it and the safe form that does not, the
 * ignore comment, sections that are not linted, the report's lines.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/buf.h"
#include "db/lint.h"
#include "db/revision.h"
#include "testutil.h"

/* Lints one revision whose upgrade section (marker options opts) is sql. */
static void lint_sql(struct db_lint_report *rep, const char *opts,
                     const char *sql, int lock_timeout_ms)
{
    char text[8192];
    snprintf(text, sizeof text,
             "-- revision: 0002\n-- down_revision: 0001\n-- message: t\n\n"
             "-- +upgrade%s\n%s\n\n-- +downgrade\n",
             opts, sql);
    struct db_revision r;
    struct db_error err;
    int rc = db_revision_parse(&r, "versions/0002_t.sql", text, strlen(text),
                               &err);
    ck_assert_msg(rc == 0, "parse: %s", err.message);
    struct db_lint_opts o = {.lock_timeout_ms = lock_timeout_ms};
    rc = db_lint_revision(rep, &r, &o, &err);
    ck_assert_msg(rc == 0, "lint: %s", err.message);
    db_revision_clear(&r);
}

/* Findings of rule id not silenced. */
static size_t count(const struct db_lint_report *rep, const char *id)
{
    size_t n = 0;
    for (size_t i = 0; i < rep->n; i++)
        n += strcmp(rep->v[i].rule->id, id) == 0 && !rep->v[i].reason;
    return n;
}

static const char *dump(const struct db_lint_report *rep)
{
    static char out[16384];
    struct db_buf b = DB_BUF_INIT;
    for (size_t i = 0; i < rep->n; i++)
        db_lint_format(&b, &rep->v[i]);
    snprintf(out, sizeof out, "%s", rep->n ? db_buf_str(&b) : "(nothing)");
    db_buf_free(&b);
    return out;
}

#define LT "SET lock_timeout = '5s';\n"
#define NOTX " dialect=postgresql transaction=false"

/* For each rule: a revision that breaks it, and the safe form, which lints
 * clean of every rule. */
static const struct rule_case {
    const char *id;
    const char *bad_opts, *bad;
    const char *good_opts, *good;
} cases[] = {
    {"create-index-not-concurrent", "", LT "CREATE INDEX i ON t (a);",
     NOTX, LT "CREATE INDEX CONCURRENTLY i ON t (a);"},
    {"drop-index-not-concurrent", "", LT "DROP INDEX i;",
     NOTX, LT "DROP INDEX CONCURRENTLY i;"},
    {"add-column-volatile-default", "",
     LT "ALTER TABLE t ADD COLUMN u uuid DEFAULT gen_random_uuid();",
     "", LT "ALTER TABLE t ADD COLUMN c timestamptz DEFAULT now();"},
    {"add-column-not-null-no-default", "",
     LT "ALTER TABLE t ADD COLUMN n bigint NOT NULL;",
     "", LT "ALTER TABLE t ADD COLUMN n bigint NOT NULL DEFAULT 0;"},
    {"alter-column-type", "", LT "ALTER TABLE t ALTER COLUMN a TYPE bigint;",
     "", LT "ALTER TABLE t ALTER COLUMN a TYPE text;"},
    {"constraint-not-valid", "",
     LT "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u (id);",
     NOTX,
     LT "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u (id) "
        "NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT f;"},
    {"constraint-never-validated", NOTX,
     LT "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;",
     NOTX,
     LT "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\n"
        "ALTER TABLE t VALIDATE CONSTRAINT c;"},
    {"validate-in-same-transaction", "",
     LT "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u (id) "
        "NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT f;",
     NOTX,
     LT "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u (id) "
        "NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT f;"},
    {"set-not-null", "", LT "ALTER TABLE t ALTER COLUMN a SET NOT NULL;",
     NOTX,
     LT "ALTER TABLE t ADD CONSTRAINT a_nn CHECK (a IS NOT NULL) NOT VALID;\n"
        "ALTER TABLE t VALIDATE CONSTRAINT a_nn;\n"
        "ALTER TABLE t ALTER COLUMN a SET NOT NULL;\n"
        "ALTER TABLE t DROP CONSTRAINT a_nn;"},
    {"add-unique-not-using-index", "",
     LT "ALTER TABLE t ADD CONSTRAINT t_a_key UNIQUE (a);",
     NOTX,
     LT "CREATE UNIQUE INDEX CONCURRENTLY t_a_idx ON t (a);\n"
        "ALTER TABLE t ADD CONSTRAINT t_a_key UNIQUE USING INDEX t_a_idx;"},
    {"rename-column", "", LT "ALTER TABLE t RENAME COLUMN a TO b;",
     "", LT "CREATE TABLE n (a text);\nALTER TABLE n RENAME COLUMN a TO b;"},
    {"rename-table", "", LT "ALTER TABLE t RENAME TO t2;",
     "", LT "CREATE TABLE n (a text);\nALTER TABLE n RENAME TO n2;"},
    {"drop-column", "", LT "ALTER TABLE t DROP COLUMN a;",
     "", LT "CREATE TABLE n (a text, b text);\nALTER TABLE n DROP COLUMN b;"},
    {"drop-table", "", LT "DROP TABLE t;",
     "", LT "CREATE TABLE n (a text);\nDROP TABLE n;"},
    {"concurrently-in-transaction", "",
     LT "CREATE INDEX CONCURRENTLY i ON t (a);",
     NOTX, LT "CREATE INDEX CONCURRENTLY i ON t (a);"},
    {"lock-timeout-missing", "", "ALTER TABLE t ADD COLUMN c text;",
     "", "SET lock_timeout = '2s';\nALTER TABLE t ADD COLUMN c text;"},
    {"data-change-without-where", "", LT "UPDATE t SET a = 1;",
     "", LT "UPDATE t SET a = 1 WHERE a IS NULL;"},
    {"timestamp-without-time-zone", "", LT "CREATE TABLE n (at timestamp);",
     "", LT "CREATE TABLE n (at timestamptz);"},
    {"integer-key", "", LT "CREATE TABLE n (id integer PRIMARY KEY);",
     "", LT "CREATE TABLE n (id bigint PRIMARY KEY, c integer);"},
    {"varchar-length", "", LT "CREATE TABLE n (s varchar(20));",
     "", LT "CREATE TABLE n (s text);"},
    {"serial", "", LT "CREATE TABLE n (id bigserial PRIMARY KEY);",
     "", LT "CREATE TABLE n (id bigint GENERATED BY DEFAULT AS IDENTITY "
            "PRIMARY KEY);"},
    {"parse-error", "", LT "ALTER TABLE t ADD COLUMN;",
     "", LT "ALTER TABLE t ADD COLUMN c text;"},
    {"bad-ignore", "",
     LT "-- lint: ignore drop-column\nALTER TABLE t DROP COLUMN a;",
     "", LT "-- lint: ignore drop-column no code reads it since 2.3\n"
            "ALTER TABLE t DROP COLUMN a;"},
};

#define NCASES (sizeof cases / sizeof cases[0])

/* The other shapes a rule catches: DELETE and TRUNCATE, DROP INDEX
 * CONCURRENTLY, a constraint written in ADD COLUMN, a table-level key,
 * a type change with USING. Same checks as cases[]. */
static const struct rule_case more_cases[] = {
    {"data-change-without-where", "", LT "DELETE FROM t;",
     "", LT "DELETE FROM t WHERE a IS NULL;"},
    {"data-change-without-where", "", LT "TRUNCATE t;",
     "", LT "DELETE FROM t WHERE a < 0;"},
    {"concurrently-in-transaction", "", LT "DROP INDEX CONCURRENTLY i;",
     NOTX, LT "DROP INDEX CONCURRENTLY i;"},
    {"constraint-not-valid", "",
     LT "ALTER TABLE t ADD COLUMN r bigint REFERENCES u (id);",
     NOTX,
     LT "ALTER TABLE t ADD COLUMN r bigint;\n"
        "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (r) REFERENCES u (id) "
        "NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT f;"},
    {"add-unique-not-using-index", "",
     LT "ALTER TABLE t ADD COLUMN k text UNIQUE;",
     NOTX,
     LT "ALTER TABLE t ADD COLUMN k text;\n"
        "CREATE UNIQUE INDEX CONCURRENTLY t_k_idx ON t (k);\n"
        "ALTER TABLE t ADD CONSTRAINT t_k_key UNIQUE USING INDEX t_k_idx;"},
    /* a section without transaction=false in a revision that has one runs
     * in a transaction of its own */
    {"validate-in-same-transaction", NOTX,
     LT "CREATE INDEX CONCURRENTLY i ON t (a);\n"
        "-- +upgrade dialect=postgresql\n"
        "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\n"
        "ALTER TABLE t VALIDATE CONSTRAINT c;",
     NOTX,
     LT "CREATE INDEX CONCURRENTLY i ON t (a);\n"
        "-- +upgrade dialect=postgresql\n"
        "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\n"
        "-- +upgrade dialect=postgresql transaction=false\n"
        "ALTER TABLE t VALIDATE CONSTRAINT c;"},
    {"integer-key", "", LT "CREATE TABLE n (id integer, PRIMARY KEY (id));",
     "", LT "CREATE TABLE n (id bigint, PRIMARY KEY (id));"},
    {"alter-column-type", "",
     LT "ALTER TABLE t ALTER COLUMN a TYPE text USING a::text;",
     "", LT "ALTER TABLE t ALTER COLUMN a TYPE text;"},
};

#define NMORE (sizeof more_cases / sizeof more_cases[0])

static void check_case(const struct rule_case *k)
{
    struct db_lint_report rep = {0};
    lint_sql(&rep, k->bad_opts, k->bad, 0);
    ck_assert_msg(count(&rep, k->id) == 1, "%s: want one finding, got:\n%s",
                  k->id, dump(&rep));
    db_lint_report_free(&rep);
    memset(&rep, 0, sizeof rep);
    lint_sql(&rep, k->good_opts, k->good, 0);
    ck_assert_msg(db_lint_count(&rep, DB_LINT_WARNING) == 0,
                  "%s: the safe form is not clean:\n%s", k->id, dump(&rep));
    db_lint_report_free(&rep);
}

START_TEST(test_lint__rule_other_shapes)
{
    check_case(&more_cases[_i]);
}
END_TEST

START_TEST(test_lint__rule_positive)
{
    const struct rule_case *k = &cases[_i];
    ck_assert_msg(db_lint_rule_find(k->id) != NULL, "no rule %s", k->id);
    struct db_lint_report rep = {0};
    lint_sql(&rep, k->bad_opts, k->bad, 0);
    ck_assert_msg(count(&rep, k->id) == 1, "%s: want one finding, got:\n%s",
                  k->id, dump(&rep));
    db_lint_report_free(&rep);
}
END_TEST

START_TEST(test_lint__rule_negative)
{
    const struct rule_case *k = &cases[_i];
    struct db_lint_report rep = {0};
    lint_sql(&rep, k->good_opts, k->good, 0);
    ck_assert_msg(db_lint_count(&rep, DB_LINT_WARNING) == 0,
                  "%s: the safe form is not clean:\n%s", k->id, dump(&rep));
    db_lint_report_free(&rep);
}
END_TEST

START_TEST(test_lint__every_rule_has_cases)
{
    size_t n;
    const struct db_lint_rule *rules = db_lint_rules(&n);
    ck_assert_int_eq(n, NCASES);
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (size_t k = 0; k < NCASES && !found; k++)
            found = strcmp(cases[k].id, rules[i].id) == 0;
        ck_assert_msg(found, "rule %s has no test case", rules[i].id);
        ck_assert_ptr_nonnull(rules[i].effect);
        ck_assert_ptr_nonnull(rules[i].recipe);
        ck_assert_ptr_eq(db_lint_rule_find(rules[i].id), &rules[i]);
    }
    ck_assert_ptr_null(db_lint_rule_find("no-such-rule"));
}
END_TEST

START_TEST(test_lint__tables_the_file_creates_are_not_live)
{
    struct db_lint_report rep = {0};
    lint_sql(&rep, "",
             "CREATE TABLE n (a bigint, b text);\n"
             "CREATE INDEX n_a ON n (a);\n"
             "ALTER TABLE n ADD COLUMN c bigint NOT NULL;\n"
             "ALTER TABLE n ALTER COLUMN b TYPE bigint USING b::bigint;\n"
             "ALTER TABLE n ADD CONSTRAINT n_b_key UNIQUE (b);\n"
             "ALTER TABLE n ALTER COLUMN a SET NOT NULL;\n"
             "DROP INDEX n_a;\n"
             "UPDATE n SET a = 1;",
             0);
    ck_assert_msg(rep.n == 0, "%s", dump(&rep));
    ck_assert_int_eq(rep.nstmts, 8);
    db_lint_report_free(&rep);
}
END_TEST

START_TEST(test_lint__lock_timeout_from_config_and_set)
{
    struct db_lint_report rep = {0};
    /* the configured lock_timeout covers the revision ... */
    lint_sql(&rep, "", "ALTER TABLE t DROP COLUMN a;", 5000);
    ck_assert_int_eq(count(&rep, "lock-timeout-missing"), 0);
    db_lint_report_free(&rep);
    /* ... until the revision turns it off ... */
    lint_sql(&rep, "", "SET lock_timeout = 0;\nALTER TABLE t DROP COLUMN a;",
             5000);
    ck_assert_int_eq(count(&rep, "lock-timeout-missing"), 1);
    db_lint_report_free(&rep);
    /* ... and RESET brings the configured one back */
    lint_sql(&rep, "", "SET lock_timeout = 0;\nRESET lock_timeout;\n"
                       "ALTER TABLE t DROP COLUMN a;", 5000);
    ck_assert_int_eq(count(&rep, "lock-timeout-missing"), 0);
    db_lint_report_free(&rep);
    /* SET LOCAL lasts the revision's transaction */
    lint_sql(&rep, "", "SET LOCAL lock_timeout = '1s';\n"
                       "ALTER TABLE t DROP COLUMN a;", 0);
    ck_assert_int_eq(count(&rep, "lock-timeout-missing"), 0);
    db_lint_report_free(&rep);
    /* an index build takes SHARE, not ACCESS EXCLUSIVE */
    lint_sql(&rep, "", "CREATE INDEX i ON t (a);", 0);
    ck_assert_int_eq(count(&rep, "lock-timeout-missing"), 0);
    ck_assert_int_eq(count(&rep, "create-index-not-concurrent"), 1);
    db_lint_report_free(&rep);
}
END_TEST

START_TEST(test_lint__ignore_keeps_the_reason)
{
    struct db_lint_report rep = {0};
    lint_sql(&rep, "",
             "SET lock_timeout = '5s';\n"
             "-- the column went from the code in 2.3\n"
             "-- lint: ignore drop-column   no code reads it since 2.3  \n"
             "ALTER TABLE t DROP COLUMN a;\n"
             "ALTER TABLE t DROP COLUMN b;",
             0);
    ck_assert_int_eq(rep.n, 2);
    ck_assert_int_eq(count(&rep, "drop-column"), 1);
    ck_assert_int_eq(db_lint_ignored(&rep), 1);
    ck_assert_int_eq(db_lint_count(&rep, DB_LINT_ERROR), 1);
    ck_assert_str_eq(rep.v[0].reason, "no code reads it since 2.3");
    /* the revision's lines: the header is 4, the marker line 5 */
    ck_assert_int_eq(rep.v[0].line, 9);
    ck_assert_int_eq(rep.v[1].line, 10);
    struct db_buf b = DB_BUF_INIT;
    db_lint_format(&b, &rep.v[0]);
    ck_assert_str_eq(db_buf_str(&b),
                     "versions/0002_t.sql:9: ignored drop-column: column "
                     "\"a\" of \"t\" (reason: no code reads it since 2.3)\n");
    db_buf_reset(&b);
    db_lint_format(&b, &rep.v[1]);
    const struct db_lint_rule *r = db_lint_rule_find("drop-column");
    char want[2048];
    snprintf(want, sizeof want, "versions/0002_t.sql:10: error drop-column: "
             "column \"b\" of \"t\": %s; fix: %s\n", r->effect, r->recipe);
    ck_assert_str_eq(db_buf_str(&b), want);
    db_buf_free(&b);
    db_lint_report_free(&rep);

    /* it silences that rule on that statement only */
    lint_sql(&rep, "",
             "-- lint: ignore drop-column gone from the code\n"
             "ALTER TABLE t DROP COLUMN a;", 0);
    ck_assert_int_eq(count(&rep, "drop-column"), 0);
    ck_assert_int_eq(count(&rep, "lock-timeout-missing"), 1);
    db_lint_report_free(&rep);
    /* an unknown rule silences nothing */
    lint_sql(&rep, "", LT "-- lint: ignore drop-colum gone\n"
                          "ALTER TABLE t DROP COLUMN a;", 0);
    ck_assert_int_eq(count(&rep, "drop-column"), 1);
    ck_assert_int_eq(count(&rep, "bad-ignore"), 1);
    db_lint_report_free(&rep);
}
END_TEST

START_TEST(test_lint__only_postgresql_sections)
{
    struct db_lint_report rep = {0};
    lint_sql(&rep, " dialect=sqlite",
             "CREATE INDEX i ON t (a);\nDROP TABLE t;\n"
             "ALTER TABLE t ADD COLUMN c INTEGER NOT NULL;", 0);
    ck_assert_msg(rep.n == 0, "%s", dump(&rep));
    ck_assert_int_eq(rep.nstmts, 0);
    ck_assert_int_eq(rep.nfiles, 1);
    db_lint_report_free(&rep);
    lint_sql(&rep, " dialect=postgresql", LT "DROP TABLE t;", 0);
    ck_assert_int_eq(count(&rep, "drop-table"), 1);
    db_lint_report_free(&rep);
}
END_TEST

START_TEST(test_lint__severity_names)
{
    enum db_lint_severity s;
    ck_assert_int_eq(db_lint_severity_parse(&s, "warning"), 0);
    ck_assert_int_eq(s, DB_LINT_WARNING);
    ck_assert_int_eq(db_lint_severity_parse(&s, "error"), 0);
    ck_assert_int_eq(s, DB_LINT_ERROR);
    ck_assert_int_eq(db_lint_severity_parse(&s, "fatal"), DB_EUSAGE);
    ck_assert_str_eq(db_lint_severity_name(DB_LINT_WARNING), "warning");
}
END_TEST

Suite *lint_suite(void)
{
    Suite *s = suite_create("lint");
    TCase *tc = tcase_create("lint");
    tcase_add_checked_fixture(tc, NULL, tu_cleanup);
    tcase_add_loop_test(tc, test_lint__rule_positive, 0, (int)NCASES);
    tcase_add_loop_test(tc, test_lint__rule_other_shapes, 0, (int)NMORE);
    tcase_add_loop_test(tc, test_lint__rule_negative, 0, (int)NCASES);
    tcase_add_test(tc, test_lint__every_rule_has_cases);
    tcase_add_test(tc, test_lint__tables_the_file_creates_are_not_live);
    tcase_add_test(tc, test_lint__lock_timeout_from_config_and_set);
    tcase_add_test(tc, test_lint__ignore_keeps_the_reason);
    tcase_add_test(tc, test_lint__only_postgresql_sections);
    tcase_add_test(tc, test_lint__severity_names);
    suite_add_tcase(s, tc);
    return s;
}
