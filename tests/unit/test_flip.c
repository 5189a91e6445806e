/*
 * test_flip.c - baseline, verified stamp, rehearsal, checklist and the
 * DEV_CREATE_TABLES fallback, on every backend, with test models that
 * change between steps (what a CLI test cannot do to the app's models).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/autogen.h"
#include "db/database.h"
#include "db/diff.h"
#include "db/flip.h"
#include "db/meta.h"
#include "db/migrate.h"
#include "cmd/cmd.h"
#include "testutil.h"

/* v0: people(id, name); v1 adds a nullable email (a model edit in the
 * pre-user phase); v2 adds phone with a default and an index (the model
 * edit after the flip). */
static const struct db_column people_v0[] = {
    {.name = "id", .type = DB_TYPE_INTEGER, .primary_key = true,
     .autoincrement = true},
    {.name = "name", .type = DB_TYPE_VARCHAR, .length = 80},
};
static const struct db_column people_v1[] = {
    {.name = "id", .type = DB_TYPE_INTEGER, .primary_key = true,
     .autoincrement = true},
    {.name = "name", .type = DB_TYPE_VARCHAR, .length = 80},
    {.name = "email", .type = DB_TYPE_TEXT, .nullable = true},
};
static const struct db_column people_v2[] = {
    {.name = "id", .type = DB_TYPE_INTEGER, .primary_key = true,
     .autoincrement = true},
    {.name = "name", .type = DB_TYPE_VARCHAR, .length = 80},
    {.name = "email", .type = DB_TYPE_TEXT, .nullable = true},
    {.name = "phone", .type = DB_TYPE_VARCHAR, .length = 20,
     .def = DB_DEFAULT_STR("none")},
};
static const struct db_index people_ix[] = {
    {.columns = DB_COLS("phone")},
};
static const struct db_column pets_cols[] = {
    {.name = "id", .type = DB_TYPE_INTEGER, .primary_key = true,
     .autoincrement = true},
    {.name = "owner_id", .type = DB_TYPE_INTEGER},
};
static const struct db_foreign_key pets_fk[] = {
    {.column = "owner_id", .ref_table = "people", .ref_column = "id",
     .on_delete = DB_FK_CASCADE},
};
static const struct db_table t_people_v0 = {.name = "people",
                                            DB_ARRAY(columns, people_v0)};
static const struct db_table t_people_v1 = {.name = "people",
                                            DB_ARRAY(columns, people_v1)};
static const struct db_table t_people_v2 = {.name = "people",
                                            DB_ARRAY(columns, people_v2),
                                            DB_ARRAY(indexes, people_ix)};
static const struct db_table t_pets = {.name = "pets",
                                       DB_ARRAY(columns, pets_cols),
                                       DB_ARRAY(foreign_keys, pets_fk)};
static const struct db_table *const v0_tables[] = {&t_people_v0, &t_pets};
static const struct db_table *const v1_tables[] = {&t_people_v1, &t_pets};
static const struct db_table *const v2_tables[] = {&t_people_v2, &t_pets};
static const struct db_schema v0 = {v0_tables, 2};
static const struct db_schema v1 = {v1_tables, 2};
static const struct db_schema v2 = {v2_tables, 2};

static struct db_config cfg;
static char deploy[1200];

static void setup_backend(int i)
{
    tu_config_backend(&cfg, i);
    snprintf(cfg.migrations_dir, sizeof cfg.migrations_dir, "%s/migrations",
             tu_tmpdir());
    snprintf(deploy, sizeof deploy, "%s/deploy.sh", tu_tmpdir());
    tu_write_file(deploy, "#!/bin/sh\n# db prepare in a comment is not "
                          "enough\n\"$app\" db prepare || exit 1\n");
}

static struct db_graph *load(void)
{
    struct db_graph *g;
    struct db_error err;
    int rc = db_migrate_load(&g, &cfg, &err);
    ck_assert_msg(rc == 0, "load: %s", err.message);
    return g;
}

/* The checklist's items as a string of DB_FLIP_NITEMS '1'/'0'. */
static void checklist(char out[DB_FLIP_NITEMS + 1], struct db_conn *c,
                      const struct db_schema *models)
{
    struct db_flip_item items[DB_FLIP_NITEMS];
    struct db_error err;
    struct db_flip_deploy d = {deploy, cmd_deploy_runs_prepare(deploy)};
    int rc = db_flip_checklist(items, c, models, &d, &err);
    ck_assert_msg(rc == 0, "checklist: %s", err.message);
    for (int i = 0; i < DB_FLIP_NITEMS; i++) {
        out[i] = items[i].ok ? '1' : '0';
        if (!items[i].ok)
            ck_assert_msg(items[i].fix[0], "item %s has a fix", items[i].name);
    }
    out[DB_FLIP_NITEMS] = '\0';
}

static long people(struct db_conn *c)
{
    return tu_long(c, "SELECT count(*) FROM \"people\"");
}

static int scratch_schemas(struct db_conn *c)
{
    if (c->driver->dialect != DB_DIALECT_POSTGRESQL)
        return 0;
    return (int)tu_long(c, "SELECT count(*) FROM pg_namespace WHERE nspname "
                           "LIKE 'app\\_scratch\\_%'");
}

START_TEST(test_flip__journey_keeps_every_row)
{
    setup_backend(_i);
    struct db_error err, fb;
    char path[2048], marks[DB_FLIP_NITEMS + 1];
    struct db_conn *c = tu_connect(&cfg);

    /* nothing yet: every item fails */
    checklist(marks, c, &v1);
    ck_assert_str_eq(marks, "000000000");

    /* pre-user: create-all from v0, rows, then the edit to v1 */
    ck_assert_int_eq(db_prepare_schema(c, &v0, &fb, &err), 0);
    tu_exec(c, "INSERT INTO \"people\" (\"name\") VALUES ('a'), ('b'), ('c')");
    tu_exec(c, "INSERT INTO \"pets\" (\"owner_id\") VALUES (1), (2)");
    ck_assert_int_eq(db_prepare_schema(c, &v1, &fb, &err), 0);
    ck_assert_int_eq(fb.code, 0);
    ck_assert_int_eq(people(c), 3);
    tu_exec(c, "UPDATE \"people\" SET \"email\" = 'a@x' WHERE \"id\" = 1");

    /* baseline from v1, once */
    ck_assert_int_eq(db_flip_baseline(path, sizeof path, &cfg, &v1,
                                      "baseline", &err), 0);
    ck_assert_ptr_nonnull(strstr(path, "0001_baseline.sql"));
    ck_assert_int_eq(db_flip_baseline(path, sizeof path, &cfg, &v1, "again",
                                      &err), DB_EEXISTS);
    ck_assert_ptr_nonnull(strstr(err.message, "0001_baseline.sql"));
    struct db_graph *g = load();
    ck_assert_int_eq(g->n, 1);

    /* a stamp refused on a database that does not match */
    tu_exec(c, "CREATE INDEX \"ix_stray\" ON \"people\" (\"name\")");
    struct db_buf report = DB_BUF_INIT;
    ck_assert_int_eq(db_flip_stamp(&report, c, g, "head", true, &err),
                     DB_EDRIFT);
    ck_assert_ptr_nonnull(strstr(db_buf_str(&report), "DROP INDEX \"ix_stray\""));
    ck_assert_int_eq(c->driver->table_exists(c, "app_version", &err) == 1
                         ? tu_long(c, "SELECT count(*) FROM app_version")
                         : 0, 0);
    ck_assert_int_eq(scratch_schemas(c), 0);
    db_buf_reset(&report);

    /* made to match: accepted; the stamp ran no SQL */
    tu_exec(c, "DROP INDEX \"ix_stray\"");
    ck_assert_int_eq(db_flip_stamp(&report, c, g, "head", true, &err), 0);
    checklist(marks, c, &v1);
    ck_assert_str_eq(marks, "111110001");

    /* the flip: production; the rehearsal; all pass */
    db_disconnect(c);
    cfg.phase = DB_PHASE_PRODUCTION;
    c = tu_connect(&cfg);
    size_t steps = 0;
    ck_assert_int_eq(db_flip_rehearse(c, g, NULL, NULL, &steps, &err), 0);
    ck_assert_int_eq(steps, 2);
    checklist(marks, c, &v1);
    ck_assert_str_eq(marks, "111111111");
    ck_assert_int_eq(db_prepare_schema(c, &v1, &fb, &err), 0);
    enum db_phase recorded;
    ck_assert_int_eq(db_meta_phase(&recorded, c, &err), 0);
    ck_assert_int_eq(recorded, DB_PHASE_PRODUCTION);

    /* a new model field: drift, then the autogenerated revision */
    checklist(marks, c, &v2);
    ck_assert_str_eq(marks, "111101111");
    struct db_autogen ag = DB_AUTOGEN_INIT;
    ck_assert_int_eq(db_autogen(&ag, c, g, &v2, 0, &err), 0);
    ck_assert_ptr_nonnull(strstr(ag.upgrade, "\"phone\""));
    ck_assert_ptr_nonnull(strstr(ag.upgrade, "ix_people_phone"));
    const char *parent[] = {"0001"};
    ck_assert_int_eq(db_migrate_new_revision(path, sizeof path, &cfg, g, NULL,
                                             "phone", parent, 1, ag.upgrade,
                                             ag.downgrade, &err), 0);
    db_autogen_free(&ag);
    db_graph_free(g);
    g = load();
    ck_assert_int_eq(g->n, 2);

    /* the head moved: rehearse again; the live database is unchanged.
     * The revision builds an index on a live table without CONCURRENTLY:
     * lint fails from here on. */
    checklist(marks, c, &v2);
    ck_assert_str_eq(marks, "111101100");
    ck_assert_int_eq(db_flip_rehearse(c, g, NULL, NULL, &steps, &err), 0);
    ck_assert_int_eq(steps, 3);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM app_version WHERE "
                                "revision = '0001'"), 1);

    /* deploy: start-up upgrades; then downgrade and upgrade */
    ck_assert_int_eq(db_prepare_schema(c, &v2, &fb, &err), 0);
    checklist(marks, c, &v2);
    ck_assert_str_eq(marks, "111111110");
    ck_assert_int_eq(db_migrate_downgrade(c, g, "-1", NULL, NULL, &err), 0);
    ck_assert_int_eq(db_migrate_upgrade(c, g, "head", NULL, NULL, &err), 0);
    ck_assert_int_eq(people(c), 3);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM \"pets\""), 2);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM \"people\" WHERE "
                                "\"email\" = 'a@x' AND \"phone\" = 'none'"),
                     1);

    /* the guards */
    ck_assert_int_eq(db_reset(c, &v2, &err), DB_EPHASE);
    db_disconnect(c);
    cfg.phase = DB_PHASE_PREUSER;
    c = tu_connect(&cfg);
    ck_assert_int_eq(db_reset(c, &v2, &err), DB_EPHASE);
    ck_assert_ptr_nonnull(strstr(err.message, "flipped"));
    ck_assert_int_eq(people(c), 3);
    ck_assert_int_eq(scratch_schemas(c), 0);
    db_buf_free(&report);
    db_graph_free(g);
    db_disconnect(c);
}
END_TEST

START_TEST(test_flip__baseline_builds_the_models)
{
    setup_backend(_i);
    struct db_error err;
    char path[2048];
    ck_assert_int_eq(db_flip_baseline(path, sizeof path, &cfg, &v2, "base",
                                      &err), 0);
    char *text = tu_read_file(path);
    ck_assert_ptr_nonnull(text);
    ck_assert_ptr_nonnull(strstr(text, "-- +upgrade dialect=sqlite"));
    ck_assert_ptr_nonnull(strstr(text, "-- +upgrade dialect=postgresql"));
    ck_assert_ptr_null(strstr(text, "down_revision"));
    free(text);
    struct db_graph *g = load();
    struct db_conn *c = tu_connect(&cfg);
    struct db_reflection *r;
    ck_assert_int_eq(db_flip_scratch(&r, c, g, "head", &err), 0);
    struct db_diff d = DB_DIFF_INIT;
    ck_assert_int_eq(db_diff_schemas(&d, &v2, &r->schema, c->driver->dialect,
                                     &err), 0);
    ck_assert_int_eq(d.n, 0);
    db_diff_free(&d);
    db_reflection_free(r);
    /* the scratch build touched nothing live */
    ck_assert_int_eq(c->driver->table_exists(c, "people", &err), 0);
    ck_assert_int_eq(scratch_schemas(c), 0);
    /* the downgrade drops it all again */
    ck_assert_int_eq(db_migrate_upgrade(c, g, "head", NULL, NULL, &err), 0);
    ck_assert_int_eq(db_migrate_downgrade(c, g, "base", NULL, NULL, &err), 0);
    ck_assert_int_eq(c->driver->table_exists(c, "people", &err), 0);
    db_disconnect(c);
    db_graph_free(g);
}
END_TEST

START_TEST(test_flip__failed_scratch_build_leaves_nothing)
{
    setup_backend(_i);
    char vdir[1100], file[1200];
    db_migrate_versions_dir(vdir, sizeof vdir, &cfg);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", vdir);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(file, sizeof file, "%s/0001_bad.sql", vdir);
    tu_write_file(file, "-- revision: 0001\n\n-- +upgrade\n"
                        "CREATE TABLE \"x\" (\"id\" INTEGER PRIMARY KEY);\n"
                        "INSERT INTO \"nowhere\" VALUES (1);\n");
    struct db_graph *g = load();
    struct db_conn *c = tu_connect(&cfg);
    struct db_error err;
    struct db_buf report = DB_BUF_INIT;
    ck_assert_int_ne(db_flip_stamp(&report, c, g, "head", true, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.message, "do not build in a scratch"));
    ck_assert_int_eq(scratch_schemas(c), 0);
    ck_assert_int_eq(c->driver->table_exists(c, "app_version", &err), 0);
    /* --no-verify stamps anyway */
    ck_assert_int_eq(db_flip_stamp(&report, c, g, "head", false, &err), 0);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM app_version"), 1);
    db_buf_free(&report);
    db_disconnect(c);
    db_graph_free(g);
}
END_TEST

START_TEST(test_flip__failed_rehearsal_changes_nothing)
{
    setup_backend(_i);
    char vdir[1100], file[1200], cmd[1200];
    db_migrate_versions_dir(vdir, sizeof vdir, &cfg);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", vdir);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(file, sizeof file, "%s/0001_a.sql", vdir);
    tu_write_file(file, "-- revision: 0001\n\n-- +upgrade\n"
                        "CREATE TABLE \"a\" (\"id\" INTEGER PRIMARY KEY);\n"
                        "INSERT INTO \"a\" VALUES (1);\n\n"
                        "-- +downgrade\nDROP TABLE \"a\";\n");
    snprintf(file, sizeof file, "%s/0002_b.sql", vdir);
    /* the downgrade fails: it drops a table that is not there */
    tu_write_file(file, "-- revision: 0002\n-- down_revision: 0001\n\n"
                        "-- +upgrade\nINSERT INTO \"a\" VALUES (2);\n\n"
                        "-- +downgrade\nDROP TABLE \"nothing_here\";\n");
    struct db_graph *g = load();
    struct db_conn *c = tu_connect(&cfg);
    struct db_error err;
    ck_assert_int_eq(db_migrate_upgrade(c, g, "0001", NULL, NULL, &err), 0);
    size_t steps = 0;
    ck_assert_int_ne(db_flip_rehearse(c, g, NULL, NULL, &steps, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.message, "rehearsal failed"));
    ck_assert_int_eq(steps, 1); /* the upgrade passed, the downgrade not */
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM \"a\""), 1);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM app_version WHERE "
                                "revision = '0001'"), 1);
    char v[64];
    ck_assert_int_eq(db_meta_get(c, DB_FLIP_REHEARSAL_KEY, v, sizeof v, &err),
                     DB_ENOTFOUND);
    db_disconnect(c);
    db_graph_free(g);
}
END_TEST

static int has_email(struct db_conn *c)
{
    struct db_reflection *r;
    struct db_error err;
    ck_assert_int_eq(db_reflect(&r, c, &v1, 0, &err), 0);
    const struct db_table *t = db_schema_table(&r->schema, "people");
    int has = t && db_table_column(t, "email");
    db_reflection_free(r);
    return has;
}

START_TEST(test_flip__dev_create_tables)
{
    setup_backend(_i);
    char vdir[1100], file[1200], cmd[1200];
    db_migrate_versions_dir(vdir, sizeof vdir, &cfg);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", vdir);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(file, sizeof file, "%s/0001_a.sql", vdir);
    tu_write_file(file, "-- revision: 0001\n\n-- +upgrade\n"
                        "CREATE TABLE \"people\" (\"id\" INTEGER PRIMARY "
                        "KEY);\n");
    struct db_conn *c = tu_connect(&cfg);
    struct db_error err, fb;
    /* under migrations, and the revision fails: people exists already */
    ck_assert_int_eq(db_prepare_schema(c, &v0, &fb, &err), 0);
    tu_exec(c, "CREATE TABLE \"app_version\" (\"revision\" TEXT NOT NULL "
               "PRIMARY KEY)");
    ck_assert_int_eq(db_prepare_schema(c, &v1, &fb, &err), DB_ESQL);
    ck_assert_ptr_nonnull(strstr(err.message, "migrations failed"));
    ck_assert_int_eq(fb.code, 0);
    ck_assert_int_eq(has_email(c), 0); /* v1's column: not yet */
    db_disconnect(c);

    cfg.dev_create_tables = true;
    c = tu_connect(&cfg);
    /* without a sink for the warning there is no silent fallback */
    ck_assert_int_ne(create_db_and_tables(c, &v1, &err), 0);
    ck_assert_int_eq(db_prepare_schema(c, &v1, &fb, &err), 0);
    ck_assert_int_ne(fb.code, 0);
    ck_assert_ptr_nonnull(strstr(fb.message, "0001"));
    ck_assert_int_eq(has_email(c), 1); /* create-all added it */
    /* refused when the database records production */
    ck_assert_int_eq(db_meta_set(c, "phase", "production", &err), 0);
    ck_assert_int_eq(db_prepare_schema(c, &v1, &fb, &err), DB_EPHASE);
    ck_assert_ptr_nonnull(strstr(err.message, "recorded by"));
    db_disconnect(c);

    /* and in the production phase */
    cfg.phase = DB_PHASE_PRODUCTION;
    snprintf(cfg.phase_source, sizeof cfg.phase_source, "test.ini");
    c = tu_connect(&cfg);
    ck_assert_int_eq(db_prepare_schema(c, &v1, &fb, &err), DB_EPHASE);
    ck_assert_ptr_nonnull(strstr(err.message, "DEV_CREATE_TABLES=true is "
                                              "refused in the production "
                                              "phase (set by test.ini)"));
    db_disconnect(c);
}
END_TEST

Suite *flip_suite(void)
{
    Suite *s = suite_create("flip");
    TCase *tc = tcase_create("flip");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, NULL, tu_cleanup);
    int n = tu_backend_count();
    tcase_add_loop_test(tc, test_flip__journey_keeps_every_row, 0, n);
    tcase_add_loop_test(tc, test_flip__baseline_builds_the_models, 0, n);
    tcase_add_loop_test(tc, test_flip__failed_scratch_build_leaves_nothing, 0, n);
    tcase_add_loop_test(tc, test_flip__failed_rehearsal_changes_nothing, 0, n);
    tcase_add_loop_test(tc, test_flip__dev_create_tables, 0, n);
    suite_add_tcase(s, tc);
    return s;
}
