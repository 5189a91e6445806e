/*
 * test_reflect.c - the live schema read back equals the models.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/database.h"
#include "db/diff.h"
#include "db/reflect.h"
#include "db/render.h"
#include "models/models.h"
#include "testutil.h"

/* Every type, every default kind, a composite index, a unique index, a
 * foreign key with actions, a composite primary key. */
static const struct db_column owners_cols[] = {
    {.name = "id", .type = DB_TYPE_INTEGER, .primary_key = true,
     .autoincrement = true},
    {.name = "email", .type = DB_TYPE_VARCHAR, .length = 255},
    {.name = "bio", .type = DB_TYPE_TEXT, .nullable = true,
     .def = DB_DEFAULT_STR("it's")},
    {.name = "active", .type = DB_TYPE_BOOLEAN, .def = DB_DEFAULT_TRUE},
    {.name = "archived", .type = DB_TYPE_BOOLEAN, .def = DB_DEFAULT_FALSE},
    {.name = "score", .type = DB_TYPE_REAL, .def = DB_DEFAULT_NUM(1.5)},
    {.name = "rank", .type = DB_TYPE_INTEGER, .def = DB_DEFAULT_NUM(-3)},
    {.name = "created_at", .type = DB_TYPE_TIMESTAMP,
     .def = DB_DEFAULT_CURRENT_TIME},
    {.name = "avatar", .type = DB_TYPE_BLOB, .nullable = true},
};
static const struct db_index owners_ix[] = {
    {.columns = DB_COLS("email"), .unique = true},
    {.columns = DB_COLS("rank", "created_at")},
};
static const struct db_table owners = {
    .name = "owners", DB_ARRAY(columns, owners_cols),
    DB_ARRAY(indexes, owners_ix),
};
static const struct db_column pets_cols[] = {
    {.name = "owner_id", .type = DB_TYPE_INTEGER, .primary_key = true},
    {.name = "name", .type = DB_TYPE_VARCHAR, .length = 40,
     .primary_key = true},
    {.name = "kind", .type = DB_TYPE_VARCHAR, .length = 20,
     .def = DB_DEFAULT_STR("cat")},
    {.name = "friend_id", .type = DB_TYPE_INTEGER, .nullable = true},
};
static const struct db_index pets_ix[] = {
    {.name = "pets_by_kind", .columns = DB_COLS("kind", "name")},
};
static const struct db_foreign_key pets_fk[] = {
    {.column = "owner_id", .ref_table = "owners", .ref_column = "id",
     .on_delete = DB_FK_CASCADE, .on_update = DB_FK_RESTRICT},
    {.column = "friend_id", .ref_table = "owners", .ref_column = "id",
     .on_delete = DB_FK_SET_NULL},
};
static const struct db_table pets = {
    .name = "pets", DB_ARRAY(columns, pets_cols), DB_ARRAY(indexes, pets_ix),
    DB_ARRAY(foreign_keys, pets_fk),
};
static const struct db_table *const zoo_tables[] = {&pets, &owners};
static const struct db_schema zoo = {zoo_tables, 2};

static void create_all(struct db_conn *c, const struct db_schema *s)
{
    struct db_buf sql = DB_BUF_INIT;
    struct db_error err;
    ck_assert_int_eq(db_render_create_all(&sql, s, c->driver->dialect, 0,
                                          &err), 0);
    tu_exec(c, db_buf_str(&sql));
    db_buf_free(&sql);
}

/* The differences between s and the live database, as text ("" if none). */
static char *differences(struct db_conn *c, const struct db_schema *s,
                         const struct db_schema *only)
{
    struct db_reflection *r;
    struct db_error err;
    int rc = db_reflect(&r, c, only, 0, &err);
    ck_assert_msg(rc == 0, "reflect: %s", err.message);
    struct db_diff d;
    ck_assert_int_eq(db_diff_schemas(&d, s, &r->schema, c->driver->dialect,
                                     &err), 0);
    struct db_buf out = DB_BUF_INIT;
    for (size_t i = 0; i < d.n; i++) {
        db_diff_describe(&out, &d.ops[i], c->driver->dialect);
        db_buf_puts(&out, "\n");
    }
    char *text = strdup(db_buf_str(&out));
    db_buf_free(&out);
    db_diff_free(&d);
    db_reflection_free(r);
    return text;
}

START_TEST(test_reflect__models_round_trip)
{
    struct db_config cfg;
    tu_config_backend(&cfg, _i);
    struct db_conn *c = tu_connect(&cfg);
    struct db_error err;
    ck_assert_int_eq(create_db_and_tables(c, models_schema(), &err), 0);
    char *d = differences(c, models_schema(), models_schema());
    ck_assert_msg(d[0] == '\0', "%s: models differ after create-all:\n%s",
                  tu_backend_name(_i), d);
    free(d);
    d = differences(c, models_schema(), NULL);
    ck_assert_msg(d[0] == '\0', "%s: %s", tu_backend_name(_i), d);
    free(d);
    db_disconnect(c);
}
END_TEST

START_TEST(test_reflect__every_type_and_default_round_trips)
{
    struct db_config cfg;
    tu_config_backend(&cfg, _i);
    struct db_conn *c = tu_connect(&cfg);
    create_all(c, &zoo);
    char *d = differences(c, &zoo, NULL);
    ck_assert_msg(d[0] == '\0', "%s: zoo differs after create-all:\n%s",
                  tu_backend_name(_i), d);
    free(d);
    db_disconnect(c);
}
END_TEST

START_TEST(test_reflect__normalised_metadata)
{
    struct db_config cfg;
    tu_config_backend(&cfg, _i);
    struct db_conn *c = tu_connect(&cfg);
    create_all(c, &zoo);
    struct db_reflection *r;
    struct db_error err;
    ck_assert_int_eq(db_reflect(&r, c, NULL, 0, &err), 0);
    ck_assert_int_eq(r->schema.ntables, 2);
    const struct db_table *o = db_schema_table(&r->schema, "owners");
    ck_assert_ptr_nonnull(o);
    const struct db_column *col = db_table_column(o, "id");
    ck_assert(col->primary_key && col->autoincrement && !col->nullable);
    col = db_table_column(o, "email");
    ck_assert_int_eq(col->type, DB_TYPE_VARCHAR);
    ck_assert_int_eq(col->length, 255);
    ck_assert(!col->nullable);
    col = db_table_column(o, "bio");
    ck_assert_int_eq(col->def.kind, DB_DEFAULT_STRING);
    ck_assert_str_eq(col->def.value, "it's");
    ck_assert(col->nullable);
    col = db_table_column(o, "active");
    ck_assert_int_eq(col->type, DB_TYPE_BOOLEAN);
    ck_assert_int_eq(col->def.kind, DB_DEFAULT_BOOL);
    ck_assert_str_eq(col->def.value, "true");
    col = db_table_column(o, "rank");
    ck_assert_int_eq(col->def.kind, DB_DEFAULT_NUMBER);
    ck_assert_int_eq(atoi(col->def.value), -3);
    col = db_table_column(o, "created_at");
    ck_assert_int_eq(col->type, DB_TYPE_TIMESTAMP);
    ck_assert_int_eq(col->def.kind, DB_DEFAULT_NOW);
    ck_assert_int_eq(db_table_column(o, "avatar")->type, DB_TYPE_BLOB);
    ck_assert_int_eq(db_table_column(o, "score")->type, DB_TYPE_REAL);
    ck_assert_int_eq(o->nindexes, 2);
    const struct db_table *p = db_schema_table(&r->schema, "pets");
    ck_assert_int_eq(p->nforeign_keys, 2);
    int seen = 0;
    for (size_t i = 0; i < p->nforeign_keys; i++) {
        const struct db_foreign_key *fk = &p->foreign_keys[i];
        if (strcmp(fk->column, "owner_id") == 0) {
            ck_assert_str_eq(fk->name, "fk_pets_owner_id_owners");
            ck_assert_int_eq(fk->on_delete, DB_FK_CASCADE);
            ck_assert_int_eq(fk->on_update, DB_FK_RESTRICT);
            seen++;
        } else {
            ck_assert_int_eq(fk->on_delete, DB_FK_SET_NULL);
            seen++;
        }
    }
    ck_assert_int_eq(seen, 2);
    ck_assert(db_table_column(p, "owner_id")->primary_key);
    ck_assert(!db_table_column(p, "owner_id")->autoincrement);
    ck_assert_str_eq(p->indexes[0].name, "pets_by_kind");
    ck_assert_str_eq(p->indexes[0].columns[0], "kind");
    ck_assert_str_eq(p->indexes[0].columns[1], "name");
    ck_assert_ptr_null(p->indexes[0].columns[2]);
    db_reflection_free(r);
    db_disconnect(c);
}
END_TEST

/* A TEMP table of the same name (a revision may make one on its
 * connection) does not hide main's table from reflection. */
START_TEST(test_reflect__sqlite_temp_table_does_not_shadow)
{
    struct db_config cfg;
    tu_config_backend(&cfg, 0);
    struct db_conn *c = tu_connect(&cfg);
    tu_exec(c, "CREATE TABLE \"t\" (\"a\" INTEGER, \"b\" TEXT)");
    tu_exec(c, "CREATE INDEX \"ix_t_b\" ON \"t\" (\"b\")");
    tu_exec(c, "CREATE TEMP TABLE \"t\" (\"x\" INTEGER)");
    struct db_reflection *r;
    struct db_error err;
    ck_assert_int_eq(db_reflect(&r, c, NULL, 0, &err), 0);
    const struct db_table *t = db_schema_table(&r->schema, "t");
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(t->ncolumns, 2);
    ck_assert_str_eq(t->columns[0].name, "a");
    ck_assert_int_eq(t->nindexes, 1);
    db_reflection_free(r);
    db_disconnect(c);
}
END_TEST

START_TEST(test_reflect__ignores_what_the_app_does_not_own)
{
    struct db_config cfg;
    tu_config_backend(&cfg, _i);
    struct db_conn *c = tu_connect(&cfg);
    create_all(c, &zoo);
    tu_exec(c, "CREATE TABLE \"other\" (\"x\" INTEGER)");
    tu_exec(c, "CREATE TABLE \"app_version\" (\"v\" TEXT)");
    tu_exec(c, "CREATE VIEW \"v_owners\" AS SELECT * FROM \"owners\"");
    struct db_reflection *r;
    struct db_error err;
    ck_assert_int_eq(db_reflect(&r, c, &zoo, 0, &err), 0);
    ck_assert_int_eq(r->schema.ntables, 2);
    db_reflection_free(r);
    ck_assert_int_eq(db_reflect(&r, c, NULL, 0, &err), 0);
    ck_assert_int_eq(r->schema.ntables, 3);
    ck_assert_ptr_nonnull(db_schema_table(&r->schema, "other"));
    ck_assert_ptr_null(db_schema_table(&r->schema, "app_version"));
    db_reflection_free(r);
    ck_assert_int_eq(db_reflect(&r, c, NULL, DB_REFLECT_VERSION_TABLES, &err),
                     0);
    ck_assert_ptr_nonnull(db_schema_table(&r->schema, "app_version"));
    db_reflection_free(r);
    db_disconnect(c);
}
END_TEST

START_TEST(test_reflect__sqlite_declared_types_and_autoindexes)
{
    struct db_config cfg;
    tu_config_backend(&cfg, 0);
    struct db_conn *c = tu_connect(&cfg);
    tu_exec(c, "CREATE TABLE t (a INTEGER PRIMARY KEY, b DATETIME DEFAULT "
               "(datetime('now')), c varchar(12) UNIQUE, d BOOLEAN DEFAULT 0, "
               "e NUMERIC, f TEXT NOT NULL DEFAULT 'x''y', g)");
    tu_exec(c, "CREATE INDEX ix_expr ON t (lower(f))");
    tu_exec(c, "CREATE UNIQUE INDEX IF NOT EXISTS \"ix q\" ON t (\"c\" "
               "COLLATE NOCASE DESC, [d], `e` ASC) WHERE d > 0");
    tu_exec(c, "CREATE INDEX ix_two ON t(f,g)");
    struct db_reflection *r;
    struct db_error err;
    ck_assert_int_eq(db_reflect(&r, c, NULL, 0, &err), 0);
    const struct db_table *t = db_schema_table(&r->schema, "t");
    /* sqlite_autoindex_t_1 is skipped; the expression index, the partial
     * one and the column's UNIQUE are not the models': unmanaged */
    ck_assert_int_eq(t->nindexes, 1);
    ck_assert_str_eq(t->indexes[0].name, "ix_two");
    ck_assert(!t->indexes[0].unique);
    ck_assert_str_eq(t->indexes[0].columns[1], "g");
    ck_assert_int_eq(t->nunmanaged, 3);
    struct db_buf u = DB_BUF_INIT;
    for (size_t i = 0; i < t->nunmanaged; i++)
        db_buf_printf(&u, "%s|", t->unmanaged[i].what);
    ck_assert_msg(strstr(db_buf_str(&u), "unique constraint|") &&
                  strstr(db_buf_str(&u), "index \"ix_expr\" on an "
                                         "expression|") &&
                  strstr(db_buf_str(&u), "unique index \"ix q\" with a "
                                         "WHERE clause|"),
                  "%s", db_buf_str(&u));
    db_buf_free(&u);
    ck_assert(db_table_column(t, "a")->autoincrement);
    ck_assert_int_eq(db_table_column(t, "b")->type, DB_TYPE_TIMESTAMP);
    ck_assert_int_eq(db_table_column(t, "b")->def.kind, DB_DEFAULT_NOW);
    ck_assert_int_eq(db_table_column(t, "c")->length, 12);
    ck_assert_str_eq(db_table_column(t, "d")->def.value, "false");
    /* NUMERIC without digits: the unconstrained NUMERIC */
    ck_assert_int_eq(db_table_column(t, "e")->type, DB_TYPE_NUMERIC);
    ck_assert_int_eq(db_table_column(t, "e")->precision, 0);
    ck_assert_str_eq(db_table_column(t, "f")->def.value, "x'y");
    ck_assert(!db_table_column(t, "f")->nullable);
    ck_assert_int_eq(db_table_column(t, "g")->type, DB_TYPE_BLOB);
    db_reflection_free(r);
    db_disconnect(c);
}
END_TEST

START_TEST(test_reflect__postgresql_spellings)
{
    struct db_arena a = DB_ARENA_INIT;
    struct db_column t;
    db_reflect__type(&t, "character varying(255)", false);
    ck_assert(t.type == DB_TYPE_VARCHAR && t.length == 255);
    db_reflect__type(&t, "timestamp with time zone", false);
    ck_assert_int_eq(t.type, DB_TYPE_TIMESTAMP);
    db_reflect__type(&t, "timestamp without time zone", false);
    ck_assert_int_eq(t.type, DB_TYPE_TIMESTAMP_LOCAL);
    db_reflect__type(&t, "double precision", false);
    ck_assert_int_eq(t.type, DB_TYPE_REAL);
    db_reflect__type(&t, "bytea", false);
    ck_assert_int_eq(t.type, DB_TYPE_BLOB);
    db_reflect__type(&t, "bigint", false);
    ck_assert_int_eq(t.type, DB_TYPE_BIGINT);
    db_reflect__type(&t, "integer", false);
    ck_assert_int_eq(t.type, DB_TYPE_INTEGER);
    db_reflect__type(&t, "smallint", false);
    ck_assert_int_eq(t.type, DB_TYPE_SMALLINT);
    db_reflect__type(&t, "numeric(12,4)", false);
    ck_assert(t.type == DB_TYPE_NUMERIC && t.precision == 12 && t.scale == 4);
    db_reflect__type(&t, "date", false);
    ck_assert_int_eq(t.type, DB_TYPE_DATE);
    db_reflect__type(&t, "uuid", false);
    ck_assert_int_eq(t.type, DB_TYPE_UUID);
    db_reflect__type(&t, "jsonb", false);
    ck_assert_int_eq(t.type, DB_TYPE_JSON);
    ck_assert_ptr_null(t.declared_type);
    /* a type the models cannot say keeps its own name, not a near miss */
    db_reflect__type(&t, "interval", false);
    ck_assert_int_eq(t.type, DB_TYPE_NONE_);
    ck_assert_str_eq(t.declared_type, "interval");
    db_reflect__type(&t, "inet", false);
    ck_assert_int_eq(t.type, DB_TYPE_NONE_);
    /* where any declared type has an affinity (SQLite), that */
    db_reflect__type(&t, "MEDIUMINT", true);
    ck_assert_int_eq(t.type, DB_TYPE_INTEGER);
    ck_assert_ptr_null(t.declared_type);
    struct db_default d;
    db_reflect__default(&d, &a, "'todo'::character varying", DB_TYPE_VARCHAR);
    ck_assert(d.kind == DB_DEFAULT_STRING && strcmp(d.value, "todo") == 0);
    db_reflect__default(&d, &a, "now()", DB_TYPE_TIMESTAMP);
    ck_assert_int_eq(d.kind, DB_DEFAULT_NOW);
    db_reflect__default(&d, &a, "'-3'::integer", DB_TYPE_INTEGER);
    ck_assert(d.kind == DB_DEFAULT_NUMBER && strcmp(d.value, "-3") == 0);
    db_reflect__default(&d, &a, "(-3)", DB_TYPE_INTEGER);
    ck_assert(d.kind == DB_DEFAULT_NUMBER && strcmp(d.value, "-3") == 0);
    db_reflect__default(&d, &a, "true", DB_TYPE_BOOLEAN);
    ck_assert(d.kind == DB_DEFAULT_BOOL && strcmp(d.value, "true") == 0);
    db_reflect__default(&d, &a, "CURRENT_DATE", DB_TYPE_DATE);
    ck_assert_int_eq(d.kind, DB_DEFAULT_TODAY);
    db_reflect__default(&d, &a, "gen_random_uuid()", DB_TYPE_UUID);
    ck_assert_int_eq(d.kind, DB_DEFAULT_UUID);
    db_reflect__default(&d, &a, "'{\"a\": 1}'::jsonb", DB_TYPE_JSON);
    ck_assert(d.kind == DB_DEFAULT_STRING && strcmp(d.value, "{\"a\": 1}") == 0);
    db_reflect__default(&d, &a, "'2024-02-29'::date", DB_TYPE_DATE);
    ck_assert(d.kind == DB_DEFAULT_STRING &&
              strcmp(d.value, "2024-02-29") == 0);
    db_reflect__default(&d, &a, "9.50", DB_TYPE_NUMERIC);
    ck_assert(d.kind == DB_DEFAULT_NUMBER && strcmp(d.value, "9.50") == 0);
    /* an expression we do not model stays itself */
    db_reflect__default(&d, &a, "uuid_generate_v1()", DB_TYPE_UUID);
    ck_assert(d.kind == DB_DEFAULT_NUMBER &&
              strcmp(d.value, "uuid_generate_v1()") == 0);
    ck_assert_int_eq(db_reflect__default(&d, &a,
                                         "nextval('t_id_seq'::regclass)",
                                         DB_TYPE_INTEGER), 1);
    ck_assert_int_eq(d.kind, DB_DEFAULT_NONE);
    db_arena_free(&a);
}
END_TEST

/* The corners of PostgreSQL's catalog queries: only the configured
 * schema (a table of the same name elsewhere is not read), dropped
 * columns, serial and quoted defaults, an index's columns in their order
 * and an expression's column, partial indexes and constraints the models
 * cannot say, a composite foreign key in key order, a key to another
 * schema's table, identifiers with a double quote, and the list of names
 * matched whole (a name longer than 63 bytes matches no table, not its
 * truncation). */
START_TEST(test_reflect__postgresql_catalog_corners)
{
    ck_assert_msg(tu_backend_count() == 2, "TEST_PG_URL is not set: run "
                  "make check, which starts scripts/pg-test-server.sh");
    struct db_config cfg;
    tu_config_backend(&cfg, 1);
    struct db_conn *c = tu_connect(&cfg);
    char sql[2048];
    const char *s = cfg.schema;
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS \"%s_x\" CASCADE; "
             "CREATE SCHEMA \"%s_x\"; "
             "CREATE TABLE \"%s_x\".\"owners\" (\"zzz\" INTEGER); "
             "CREATE TABLE \"%s_x\".\"far\" (\"id\" INTEGER PRIMARY KEY)",
             s, s, s, s);
    tu_exec(c, sql);
    tu_exec(c, "CREATE TABLE owners (id serial PRIMARY KEY, a int, b int, "
               "gone int, email text NOT NULL DEFAULT 'x''y', UNIQUE (a, b), "
               "CONSTRAINT ck_owners_a CHECK (a > 0))");
    tu_exec(c, "COMMENT ON CONSTRAINT ck_owners_a ON owners IS 'a > 0'");
    tu_exec(c, "ALTER TABLE owners DROP COLUMN gone");
    tu_exec(c, "CREATE INDEX ix_owners_ba ON owners (b, a)");
    tu_exec(c, "CREATE INDEX ix_owners_lower ON owners (lower(email), a)");
    tu_exec(c, "CREATE INDEX ix_owners_part ON owners (a) WHERE b > 0");
    snprintf(sql, sizeof sql, "CREATE TABLE \"Odd \"\"name\" (\"x y\" int, "
             "p int, q int, CONSTRAINT fk_two FOREIGN KEY (q, p) REFERENCES "
             "owners (b, a) ON UPDATE SET NULL ON DELETE CASCADE, "
             "CONSTRAINT fk_far FOREIGN KEY (p) REFERENCES \"%s_x\".far (id))",
             s);
    tu_exec(c, sql);
    char l63[64], l70[71];
    memset(l63, 'l', 63);
    l63[63] = '\0';
    memset(l70, 'l', 70);
    l70[70] = '\0';
    snprintf(sql, sizeof sql, "CREATE TABLE \"%s\" (\"id\" INTEGER)", l63);
    tu_exec(c, sql);

    static const struct db_table t_owners = {.name = "owners"};
    static const struct db_table t_odd = {.name = "Odd \"name"};
    static const struct db_table t_missing = {.name = "missing"};
    const struct db_table t_long = {.name = l70};
    const struct db_table *const only_tables[] = {&t_owners, &t_odd,
                                                  &t_long, &t_missing};
    const struct db_schema only = {only_tables, 4};
    struct db_reflection *r;
    struct db_error err;
    ck_assert_int_eq(db_reflect(&r, c, &only, 0, &err), 0);
    ck_assert_int_eq(r->schema.ntables, 2);
    ck_assert_ptr_null(db_schema_table(&r->schema, l63));

    const struct db_table *o = db_schema_table(&r->schema, "owners");
    ck_assert_ptr_nonnull(o);
    ck_assert_int_eq(o->ncolumns, 4);
    ck_assert_str_eq(o->columns[0].name, "id");
    ck_assert(o->columns[0].primary_key && o->columns[0].autoincrement);
    ck_assert_str_eq(o->columns[1].name, "a");
    ck_assert_str_eq(o->columns[2].name, "b");
    ck_assert_str_eq(o->columns[3].name, "email");
    ck_assert(!o->columns[3].nullable);
    ck_assert_int_eq(o->columns[3].def.kind, DB_DEFAULT_STRING);
    ck_assert_str_eq(o->columns[3].def.value, "x'y");
    ck_assert_int_eq(o->columns[1].def.kind, DB_DEFAULT_NONE);
    ck_assert_int_eq(o->nindexes, 1);
    ck_assert_str_eq(o->indexes[0].name, "ix_owners_ba");
    ck_assert_str_eq(o->indexes[0].columns[0], "b");
    ck_assert_str_eq(o->indexes[0].columns[1], "a");
    ck_assert_ptr_null(o->indexes[0].columns[2]);
    ck_assert_int_eq(o->nchecks, 1);
    ck_assert_str_eq(o->checks[0].constraint, "ck_owners_a");
    ck_assert_str_eq(o->checks[0].source, "a > 0");
    struct db_buf u = DB_BUF_INIT;
    for (size_t i = 0; i < o->nunmanaged; i++)
        db_buf_printf(&u, "%s|", o->unmanaged[i].what);
    ck_assert_msg(o->nunmanaged == 3 &&
                  strstr(db_buf_str(&u), "unique constraint \"owners_a_b_"
                                         "key\"") &&
                  strstr(db_buf_str(&u), "index \"ix_owners_lower\" on an "
                                         "expression|") &&
                  strstr(db_buf_str(&u), "partial index \"ix_owners_part\""),
                  "%s", db_buf_str(&u));
    db_buf_free(&u);

    const struct db_table *d = db_schema_table(&r->schema, "Odd \"name");
    ck_assert_ptr_nonnull(d);
    ck_assert_int_eq(d->ncolumns, 3);
    ck_assert_str_eq(d->columns[0].name, "x y");
    ck_assert_int_eq(d->nforeign_keys, 2);
    int seen = 0;
    for (size_t i = 0; i < d->nforeign_keys; i++) {
        const struct db_foreign_key *fk = &d->foreign_keys[i];
        if (strcmp(fk->name, "fk_two") == 0) {
            ck_assert_str_eq(fk->ref_table, "owners");
            ck_assert_str_eq(fk->columns[0], "q");
            ck_assert_str_eq(fk->columns[1], "p");
            ck_assert_ptr_null(fk->columns[2]);
            ck_assert_str_eq(fk->ref_columns[0], "b");
            ck_assert_str_eq(fk->ref_columns[1], "a");
            ck_assert_int_eq(fk->on_update, DB_FK_SET_NULL);
            ck_assert_int_eq(fk->on_delete, DB_FK_CASCADE);
            seen |= 1;
        } else {
            ck_assert_str_eq(fk->name, "fk_far");
            ck_assert_str_eq(fk->ref_table, "far");
            ck_assert_str_eq(fk->column, "p");
            ck_assert_str_eq(fk->ref_column, "id");
            ck_assert_ptr_null(fk->columns);
            ck_assert_int_eq(fk->on_delete, DB_FK_NO_ACTION);
            seen |= 2;
        }
    }
    ck_assert_int_eq(seen, 3);
    db_reflection_free(r);

    /* none of the names: nothing (one query, the columns, finds none) */
    const struct db_table *const none_tables[] = {&t_missing, &t_long};
    const struct db_schema none = {none_tables, 2};
    ck_assert_int_eq(db_reflect(&r, c, &none, 0, &err), 0);
    ck_assert_int_eq(r->schema.ntables, 0);
    db_reflection_free(r);

    /* every table of the schema, and still none of the other schema's */
    ck_assert_int_eq(db_reflect(&r, c, NULL, 0, &err), 0);
    ck_assert_int_eq(r->schema.ntables, 3);
    ck_assert_ptr_nonnull(db_schema_table(&r->schema, l63));
    ck_assert_ptr_null(db_schema_table(&r->schema, "far"));
    ck_assert_int_eq(db_schema_table(&r->schema, "owners")->ncolumns, 4);
    db_reflection_free(r);
    snprintf(sql, sizeof sql, "DROP SCHEMA \"%s_x\" CASCADE", s);
    tu_exec(c, sql);
    db_disconnect(c);
}
END_TEST

Suite *reflect_suite(void)
{
    Suite *s = suite_create("reflect");
    TCase *tc = tcase_create("reflect");
    tcase_add_checked_fixture(tc, NULL, tu_cleanup);
    int n = tu_backend_count();
    tcase_add_loop_test(tc, test_reflect__models_round_trip, 0, n);
    tcase_add_loop_test(tc, test_reflect__every_type_and_default_round_trips,
                        0, n);
    tcase_add_loop_test(tc, test_reflect__normalised_metadata, 0, n);
    tcase_add_loop_test(tc, test_reflect__ignores_what_the_app_does_not_own,
                        0, n);
    tcase_add_test(tc, test_reflect__sqlite_declared_types_and_autoindexes);
    tcase_add_test(tc, test_reflect__sqlite_temp_table_does_not_shadow);
    tcase_add_test(tc, test_reflect__postgresql_spellings);
    tcase_add_test(tc, test_reflect__postgresql_catalog_corners);
    suite_add_tcase(s, tc);
    return s;
}
