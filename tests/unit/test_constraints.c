/*
 * test_constraints.c - enumerations, CHECK constraints and composite keys on
 * both databases: created, reflected back equal, changed, changed back,
 * reported when changed by hand, and hand-written ones not misread.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/autogen.h"
#include "db/diff.h"
#include "db/graph.h"
#include "db/lint.h"
#include "db/migrate.h"
#include "db/reflect.h"
#include "db/render.h"
#include "testutil.h"

/* v1: an enumeration, a check with a per-dialect spelling, a composite
 * primary key, a composite unique index and a composite foreign key. */
static const struct db_column shops_cols[] = {
    {.name = "region", .type = DB_TYPE_VARCHAR, .length = 10,
     .primary_key = true},
    {.name = "code", .type = DB_TYPE_INTEGER, .primary_key = true},
    {.name = "name", .type = DB_TYPE_VARCHAR, .length = 40},
};
static const struct db_table shops = {
    .name = "shops", DB_ARRAY(columns, shops_cols),
};

#define ITEMS_COLS(status_values)                                          \
    {.name = "id", .type = DB_TYPE_INTEGER, .primary_key = true,           \
     .autoincrement = true},                                               \
    {.name = "region", .type = DB_TYPE_VARCHAR, .length = 10},             \
    {.name = "shop", .type = DB_TYPE_INTEGER},                             \
    {.name = "sku", .type = DB_TYPE_VARCHAR, .length = 20},                \
    {.name = "price", .type = DB_TYPE_INTEGER, .def = DB_DEFAULT_NUM(0)},  \
    {.name = "status", .type = DB_TYPE_VARCHAR, .length = 20,              \
     .def = DB_DEFAULT_STR("new"), .values = status_values},               \
    {.name = "kind", .type = DB_TYPE_TEXT, .nullable = true,               \
     .values = DB_VALUES("a", "b")}

static const struct db_column items_cols_v1[] = {
    ITEMS_COLS(DB_VALUES("new", "sold")),
};
static const struct db_column items_cols_v2[] = {
    ITEMS_COLS(DB_VALUES("new", "sold", "it's back")),
};
static const struct db_index items_ix[] = {
    {.columns = DB_COLS("region", "shop", "sku"), .unique = true},
};
static const struct db_foreign_key items_fk[] = {
    {.columns = DB_COLS("region", "shop"), .ref_table = "shops",
     .ref_columns = DB_COLS("region", "code"), .on_delete = DB_FK_CASCADE},
};
static const struct db_check items_ck_v1[] = {
    {.name = "price_positive", .expr = "price >= 0"},
    {.name = "sku_short", .expr = "length(sku) <= 20",
     .dialects = DB_CHECK_SQL({"postgresql", "char_length(sku) <= 20"})},
    /* PostgreSQL keeps this as ((price >= 0) AND (price <= 1000000)): only
     * the text kept in the comment says it is unchanged */
    {.name = "price_range", .expr = "price BETWEEN 0 AND 1000000"},
};
static const struct db_check items_ck_v2[] = {
    {.name = "price_positive", .expr = "price >= 0 AND price < 1000000"},
    {.name = "sku_short", .expr = "length(sku) <= 20",
     .dialects = DB_CHECK_SQL({"postgresql", "char_length(sku) <= 20"})},
    {.name = "price_range", .expr = "price BETWEEN 0 AND 1000000"},
    {.name = "sku_set", .expr = "sku <> ''"},
};
static const struct db_table items_v1 = {
    .name = "items", DB_ARRAY(columns, items_cols_v1),
    DB_ARRAY(indexes, items_ix), DB_ARRAY(foreign_keys, items_fk),
    DB_ARRAY(checks, items_ck_v1),
};
static const struct db_table items_v2 = {
    .name = "items", DB_ARRAY(columns, items_cols_v2),
    DB_ARRAY(indexes, items_ix), DB_ARRAY(foreign_keys, items_fk),
    DB_ARRAY(checks, items_ck_v2),
};
static const struct db_table *const v1_tables[] = {&items_v1, &shops};
static const struct db_schema v1 = {v1_tables, 2};
static const struct db_table *const v2_tables[] = {&items_v2, &shops};
static const struct db_schema v2 = {v2_tables, 2};

/* v3: a value removed */
static const struct db_column items_cols_v3[] = {
    ITEMS_COLS(DB_VALUES("new")),
};
static const struct db_table items_v3 = {
    .name = "items", DB_ARRAY(columns, items_cols_v3),
    DB_ARRAY(indexes, items_ix), DB_ARRAY(foreign_keys, items_fk),
    DB_ARRAY(checks, items_ck_v1),
};
static const struct db_table *const v3_tables[] = {&items_v3, &shops};
static const struct db_schema v3 = {v3_tables, 2};

/* v4: a column added with a check on it (no guard can read it before) */
static const struct db_column items_cols_v4[] = {
    ITEMS_COLS(DB_VALUES("new", "sold")),
    {.name = "note", .type = DB_TYPE_TEXT, .nullable = true},
};
static const struct db_check items_ck_v4[] = {
    {.name = "price_positive", .expr = "price >= 0"},
    {.name = "sku_short", .expr = "length(sku) <= 20",
     .dialects = DB_CHECK_SQL({"postgresql", "char_length(sku) <= 20"})},
    {.name = "price_range", .expr = "price BETWEEN 0 AND 1000000"},
    {.name = "note_short", .expr = "length(note) < 100"},
};
static const struct db_table items_v4 = {
    .name = "items", DB_ARRAY(columns, items_cols_v4),
    DB_ARRAY(indexes, items_ix), DB_ARRAY(foreign_keys, items_fk),
    DB_ARRAY(checks, items_ck_v4),
};
static const struct db_table *const v4_tables[] = {&items_v4, &shops};
static const struct db_schema v4 = {v4_tables, 2};

static void run(struct db_conn *c, const struct db_schema *target)
{
    struct db_diff d;
    struct db_reflection *r;
    struct db_error err;
    ck_assert_int_eq(db_diff_live(&d, &r, c, target, true, &err), 0);
    int rc = db_diff_apply(c, &d, &err);
    ck_assert_msg(rc == 0, "apply: %s", err.message);
    db_diff_free(&d);
    db_reflection_free(r);
}

/* The differences between s and the live database, one line each. */
static char *differences(struct db_conn *c, const struct db_schema *s)
{
    struct db_diff d;
    struct db_reflection *r;
    struct db_error err;
    int rc = db_diff_live(&d, &r, c, s, true, &err);
    ck_assert_msg(rc == 0, "diff: %s", err.message);
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

static void assert_clean(struct db_conn *c, const struct db_schema *s,
                         const char *when, int backend)
{
    char *d = differences(c, s);
    ck_assert_msg(d[0] == '\0', "%s, %s:\n%s", tu_backend_name(backend),
                  when, d);
    free(d);
}

/* The whole reflected schema as the SQL that creates it. */
static char *reflected_sql(struct db_conn *c)
{
    struct db_reflection *r;
    struct db_error err;
    ck_assert_int_eq(db_reflect(&r, c, NULL, 0, &err), 0);
    struct db_diff d;
    struct db_schema empty = {NULL, 0};
    ck_assert_int_eq(db_diff_schemas(&d, &r->schema, &empty,
                                     c->driver->dialect, &err), 0);
    struct db_buf out = DB_BUF_INIT;
    ck_assert_int_eq(db_diff_render(&out, &d, c->driver->dialect, 0, &err),
                     0);
    char *text = strdup(db_buf_str(&out));
    db_buf_free(&out);
    db_diff_free(&d);
    db_reflection_free(r);
    return text;
}

START_TEST(test_constraints__round_trip)
{
    struct db_config cfg;
    tu_config_backend(&cfg, _i);
    struct db_conn *c = tu_connect(&cfg);
    run(c, &v1);
    assert_clean(c, &v1, "right after create-all", _i);
    char *before = reflected_sql(c);
    tu_exec(c, "INSERT INTO shops (region, code, name) VALUES ('eu', 1, 'a')");
    tu_exec(c, "INSERT INTO items (region, shop, sku, price, status, kind) "
               "VALUES ('eu', 1, 'x-1', 5, 'sold', 'a'), "
               "('eu', 1, 'x-2', 7, 'new', NULL)");

    /* the edit: a value added, a check changed, one added */
    char *d = differences(c, &v2);
    ck_assert_msg(strstr(d, "alter values \"items\".\"status\": add "
                            "'it''s back'") != NULL, "%s", d);
    ck_assert_msg(strstr(d, "drop check \"ck_items_price_positive\"") &&
                  strstr(d, "add check \"ck_items_price_positive\"") &&
                  strstr(d, "add check \"ck_items_sku_set\""), "%s", d);
    ck_assert_msg(!strstr(d, "sku_short") && !strstr(d, "price_range"), "%s",
                  d);
    free(d);
    run(c, &v2);
    assert_clean(c, &v2, "after the upgrade", _i);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM items"), 2);
    tu_exec(c, "INSERT INTO items (region, shop, sku, status) "
               "VALUES ('eu', 1, 'x-3', 'it''s back')");

    /* the check holds: a row breaking it is refused */
    struct db_error err;
    ck_assert_int_ne(db_exec(c, "INSERT INTO items (region, shop, sku, "
                                "price) VALUES ('eu', 1, 'x-4', -1)", &err),
                     0);
    ck_assert_int_ne(db_exec(c, "INSERT INTO items (region, shop, sku, "
                                "status) VALUES ('eu', 1, 'x-5', 'lost')",
                             &err), 0);

    /* the downgrade: fails while a row holds the value it removes */
    struct db_diff dd;
    struct db_reflection *r;
    ck_assert_int_eq(db_diff_live(&dd, &r, c, &v1, true, &err), 0);
    bool counted = false;
    for (size_t i = 0; i < dd.n; i++) {
        long n = -1;
        ck_assert_int_eq(db_diff_violations(&n, c, &dd.ops[i], &err), 0);
        if (dd.ops[i].kind == DB_OP_ALTER_VALUES) {
            ck_assert(dd.ops[i].destructive);
            ck_assert_int_eq(n, 1);
            counted = true;
        }
    }
    ck_assert(counted);
    ck_assert_int_ne(db_diff_apply(c, &dd, &err), 0);
    db_diff_free(&dd);
    db_reflection_free(r);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM items"), 3);

    tu_exec(c, "DELETE FROM items WHERE sku = 'x-3'");
    run(c, &v1);
    assert_clean(c, &v1, "after the downgrade", _i);
    char *after = reflected_sql(c);
    ck_assert_msg(strcmp(before, after) == 0, "%s: schema after the "
                  "downgrade:\n%s\nbefore:\n%s", tu_backend_name(_i), after,
                  before);
    free(before);
    free(after);
    /* the rows survived every rebuild, values and all */
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM items"), 2);
    char *v = tu_str(c, "SELECT sku || ':' || price || ':' || status || ':' "
                        "|| coalesce(kind, '-') FROM items ORDER BY sku");
    ck_assert_str_eq(v, "x-1:5:sold:a");
    free(v);
    v = tu_str(c, "SELECT sku || ':' || price || ':' || status FROM items "
                  "WHERE sku = 'x-2'");
    ck_assert_str_eq(v, "x-2:7:new");
    free(v);

    run(c, &v2);
    assert_clean(c, &v2, "after upgrading again", _i);

    /* composite foreign key: ON DELETE CASCADE on both columns */
    tu_exec(c, "DELETE FROM shops WHERE region = 'eu' AND code = 1");
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM items"), 0);
    db_disconnect(c);
}
END_TEST

START_TEST(test_constraints__removing_a_value_unused_is_clean)
{
    struct db_config cfg;
    tu_config_backend(&cfg, _i);
    struct db_conn *c = tu_connect(&cfg);
    run(c, &v1);
    tu_exec(c, "INSERT INTO shops (region, code, name) VALUES ('eu', 1, 'a')");
    tu_exec(c, "INSERT INTO items (region, shop, sku) VALUES ('eu', 1, 'k')");
    char *d = differences(c, &v3);
    ck_assert_msg(strstr(d, "alter values \"items\".\"status\": remove "
                            "'sold'"), "%s", d);
    free(d);
    run(c, &v3);
    assert_clean(c, &v3, "after removing a value", _i);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM items"), 1);
    db_disconnect(c);
}
END_TEST

START_TEST(test_constraints__manual_changes_are_reported)
{
    struct db_config cfg;
    tu_config_backend(&cfg, _i);
    struct db_conn *c = tu_connect(&cfg);
    run(c, &v1);
    const char *sql[2][2] = {
        {"ALTER TABLE items DROP CONSTRAINT ck_items_price_positive",
         "ALTER TABLE items ADD CONSTRAINT ck_items_price_positive "
         "CHECK (price >= 5)"},
        {NULL, NULL},
    };
    if (_i == 1) {
        tu_exec(c, sql[0][0]);
        tu_exec(c, sql[0][1]);
        tu_exec(c, "ALTER TABLE items DROP CONSTRAINT ck_items_status");
        tu_exec(c, "ALTER TABLE items ADD CONSTRAINT ck_items_status "
                   "CHECK (status IN ('new', 'gone'))");
    } else {
        /* SQLite: the table written again by hand */
        tu_exec(c, "PRAGMA foreign_keys = OFF");
        tu_exec(c, "BEGIN");
        tu_exec(c, "CREATE TABLE _x (id INTEGER PRIMARY KEY, region "
                   "VARCHAR(10) NOT NULL, shop INTEGER NOT NULL, sku "
                   "VARCHAR(20) NOT NULL, price INTEGER NOT NULL DEFAULT 0, "
                   "status VARCHAR(20) NOT NULL DEFAULT 'new' CONSTRAINT "
                   "ck_items_status CHECK (status IN ('new', 'gone')), "
                   "kind TEXT CONSTRAINT \"ck_items_kind\" CHECK (\"kind\" "
                   "IN ('a', 'b')), CONSTRAINT fk_items_region_shop_shops "
                   "FOREIGN KEY (region, shop) REFERENCES shops (region, "
                   "code) ON DELETE CASCADE, CONSTRAINT "
                   "ck_items_price_positive CHECK (price >= 5), CONSTRAINT "
                   "ck_items_sku_short CHECK (length(sku) <= 20), CONSTRAINT "
                   "ck_items_price_range CHECK (price BETWEEN 0 AND "
                   "1000000))");
        tu_exec(c, "DROP TABLE items");
        tu_exec(c, "ALTER TABLE _x RENAME TO items");
        tu_exec(c, "CREATE UNIQUE INDEX uq_items_region_shop_sku ON items "
                   "(region, shop, sku)");
        tu_exec(c, "COMMIT");
        tu_exec(c, "PRAGMA foreign_keys = ON");
    }
    char *d = differences(c, &v1);
    ck_assert_msg(strstr(d, "drop check \"ck_items_price_positive\"") &&
                  strstr(d, "add check \"ck_items_price_positive\" on "
                            "\"items\" (price >= 0)"), "%s", d);
    ck_assert_msg(strstr(d, "alter values \"items\".\"status\": add 'sold', "
                            "remove 'gone'"), "%s", d);
    ck_assert_msg(!strstr(d, "sku_short") && !strstr(d, "kind") &&
                  !strstr(d, "price_range") &&
                  !strstr(d, "foreign key"), "%s: %s", tu_backend_name(_i),
                  d);
    free(d);
    run(c, &v1);
    assert_clean(c, &v1, "after the fix", _i);
    db_disconnect(c);
}
END_TEST

/* A schema written by hand: constraints the models do not say are
 * reported as unmanaged and left alone; composite keys keep every column. */
START_TEST(test_constraints__hand_written_schema)
{
    struct db_config cfg;
    tu_config_backend(&cfg, _i);
    struct db_conn *c = tu_connect(&cfg);
    tu_exec(c, "CREATE TABLE a (x INTEGER NOT NULL, y INTEGER NOT NULL, "
               "PRIMARY KEY (x, y))");
    tu_exec(c, "CREATE TABLE b (id INTEGER PRIMARY KEY, x INTEGER NOT NULL, "
               "y INTEGER NOT NULL, note TEXT, "
               "qty INTEGER CHECK (qty > 0), "
               "CONSTRAINT positive_x CHECK (x > 0), "
               "CONSTRAINT ck_b_small CHECK (y < 10), "
               "CONSTRAINT ck_b_note CHECK (note IN ('p', 'q')), "
               "CONSTRAINT b_pair UNIQUE (x, note), "
               "CONSTRAINT fk_b_x_y_a FOREIGN KEY (x, y) REFERENCES a (x, y) "
               "ON DELETE CASCADE ON UPDATE SET NULL)");
    tu_exec(c, "CREATE INDEX b_lower ON b (lower(note))");
    tu_exec(c, "CREATE INDEX b_partial ON b (x) WHERE y > 2");
    struct db_reflection *r;
    struct db_error err;
    ck_assert_int_eq(db_reflect(&r, c, NULL, 0, &err), 0);
    const struct db_table *b = db_schema_table(&r->schema, "b");
    ck_assert_ptr_nonnull(b);
    /* the composite foreign key, both columns */
    ck_assert_int_eq(b->nforeign_keys, 1);
    const struct db_foreign_key *fk = &b->foreign_keys[0];
    ck_assert_int_eq(db_fk_ncols(fk), 2);
    ck_assert_str_eq(db_fk_col(fk, 0), "x");
    ck_assert_str_eq(db_fk_col(fk, 1), "y");
    ck_assert_str_eq(db_fk_ref_col(fk, 1), "y");
    ck_assert_int_eq(fk->on_delete, DB_FK_CASCADE);
    ck_assert_int_eq(fk->on_update, DB_FK_SET_NULL);
    /* ck_b_note is an enumeration of note; ck_b_small a check */
    const struct db_column *note = db_table_column(b, "note");
    ck_assert_ptr_nonnull(note->values);
    ck_assert_str_eq(note->values[0], "p");
    ck_assert_str_eq(note->values[1], "q");
    ck_assert_ptr_null(note->values[2]);
    ck_assert_int_eq(b->nchecks, 1);
    ck_assert_str_eq(b->checks[0].constraint, "ck_b_small");
    /* the rest: unmanaged, each named */
    struct db_buf all = DB_BUF_INIT;
    for (size_t i = 0; i < b->nunmanaged; i++) {
        db_buf_puts(&all, b->unmanaged[i].what);
        db_buf_puts(&all, "\n");
    }
    const char *u = db_buf_str(&all);
    ck_assert_msg(strstr(u, "positive_x") && strstr(u, "qty > 0") &&
                  strstr(u, "b_pair") && strstr(u, "b_lower") &&
                  strstr(u, "b_partial"), "%s: %s", tu_backend_name(_i), u);
    ck_assert_int_eq(b->nindexes, 0);
    db_buf_free(&all);
    const struct db_table *a = db_schema_table(&r->schema, "a");
    ck_assert_int_eq(db_table_pk_count(a), 2);

    /* the reflected schema diffs clean against itself and creates a twin
     * (its managed part) that reflects back the same */
    struct db_diff d;
    ck_assert_int_eq(db_diff_schemas(&d, &r->schema, &r->schema,
                                     c->driver->dialect, &err), 0);
    ck_assert_int_eq(d.n, 0);
    db_diff_free(&d);
    db_reflection_free(r);
    db_disconnect(c);
}
END_TEST

/* A change to a table with constraints the models do not have keeps them:
 * SQLite's rebuild writes them again, or refuses when it cannot. */
static const struct db_column h_cols[] = {
    {.name = "id", .type = DB_TYPE_INTEGER, .primary_key = true},
    {.name = "a", .type = DB_TYPE_INTEGER},
    {.name = "b", .type = DB_TYPE_TEXT, .nullable = true},
};
static const struct db_check h_ck[] = {{.name = "a_small", .expr = "a < 100"}};
static const struct db_table h_model = {
    .name = "h", DB_ARRAY(columns, h_cols), DB_ARRAY(checks, h_ck),
};
static const struct db_table *const h_tables[] = {&h_model};
static const struct db_schema h_schema = {h_tables, 1};

START_TEST(test_constraints__changes_keep_unmanaged_constraints)
{
    struct db_config cfg;
    tu_config_backend(&cfg, _i);
    struct db_conn *c = tu_connect(&cfg);
    tu_exec(c, "CREATE TABLE h (id INTEGER NOT NULL PRIMARY KEY, a INTEGER "
               "NOT NULL CHECK (a > 0), b TEXT, CONSTRAINT h_pair UNIQUE "
               "(a, b))");
    tu_exec(c, "CREATE INDEX h_lower ON h (lower(b))");
    tu_exec(c, "CREATE INDEX h_some ON h (a) WHERE a > 5");
    tu_exec(c, "INSERT INTO h (id, a, b) VALUES (1, 7, 'x'), (2, 9, 'y')");
    char *d = differences(c, &h_schema);
    ck_assert_msg(strstr(d, "add check \"ck_h_a_small\"") &&
                  !strstr(d, "h_pair") && !strstr(d, "h_lower"), "%s", d);
    free(d);
    run(c, &h_schema);
    assert_clean(c, &h_schema, "after adding the check", _i);
    struct db_reflection *r;
    struct db_error err;
    ck_assert_int_eq(db_reflect(&r, c, NULL, 0, &err), 0);
    ck_assert_int_eq(r->schema.tables[0]->nunmanaged, 4);
    db_reflection_free(r);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM h"), 2);
    ck_assert_int_ne(db_exec(c, "INSERT INTO h (id, a) VALUES (3, 0)", &err),
                     0); /* the hand-written CHECK (a > 0) */
    ck_assert_int_ne(db_exec(c, "INSERT INTO h (id, a, b) VALUES (3, 7, 'x')",
                             &err), 0); /* UNIQUE (a, b) */
    ck_assert_int_ne(db_exec(c, "INSERT INTO h (id, a) VALUES (3, 100)",
                             &err), 0); /* ck_h_a_small */
    if (_i == 0) {
        /* a column's UNIQUE cannot be written again: the rebuild refuses */
        tu_exec(c, "CREATE TABLE h2 (id INTEGER PRIMARY KEY, a INTEGER NOT "
                   "NULL UNIQUE, b TEXT)");
        static const struct db_table h2 = {
            .name = "h2", DB_ARRAY(columns, h_cols), DB_ARRAY(checks, h_ck),
        };
        const struct db_table *const both[] = {&h_model, &h2};
        struct db_schema s = {both, 2};
        struct db_diff dd;
        ck_assert_int_eq(db_diff_live(&dd, &r, c, &s, true, &err), 0);
        ck_assert_int_ne(db_diff_apply(c, &dd, &err), 0);
        ck_assert_msg(strstr(err.message, "a column's UNIQUE"), "%s",
                      err.message);
        db_diff_free(&dd);
        db_reflection_free(r);
    }
    db_disconnect(c);
}
END_TEST

START_TEST(test_constraints__expressions_compare_as_databases_write_them)
{
    struct db_check a = {.name = "x", .expr = "\"status\" IN ('a', 'b')"};
    struct db_check b = {
        .constraint = "ck_t_x",
        .expr = "((status)::text = ANY ((ARRAY['a'::character varying, "
                "'b'::character varying])::text[]))"};
    ck_assert(db_check_same_expr(&a, &b));
    struct db_check c = {.constraint = "ck_t_x",
                         .expr = "(price >= (0)::numeric)"};
    struct db_check m = {.name = "x", .expr = "price >= 0"};
    ck_assert(db_check_same_expr(&m, &c));
    struct db_check m2 = {.name = "x", .expr = "price > 0"};
    ck_assert(!db_check_same_expr(&m2, &c));
    /* a source kept by the database wins over its rewriting */
    struct db_check s = {.constraint = "ck_t_x", .expr = "whatever",
                         .source = "price  >=  0"};
    ck_assert(db_check_same_expr(&m, &s));
    /* strings are kept exactly */
    struct db_check q1 = {.name = "x", .expr = "a = 'X'"};
    struct db_check q2 = {.name = "x", .expr = "a = 'x'"};
    ck_assert(!db_check_same_expr(&q1, &q2));
    struct db_check n1 = {.name = "x", .expr = "a NOT IN ('p')"};
    struct db_check n2 = {.constraint = "ck", .expr =
                          "(a <> ALL (ARRAY['p'::text]))"};
    ck_assert(db_check_same_expr(&n1, &n2));

    char **v = NULL;
    ck_assert_int_eq(db_values_parse(&v, b.expr, "status"), 1);
    ck_assert_str_eq(v[0], "a");
    ck_assert_str_eq(v[1], "b");
    ck_assert_ptr_null(v[2]);
    db_values_free(v);
    ck_assert_int_eq(db_values_parse(&v, "status IN ('it''s')", "status"), 1);
    ck_assert_str_eq(v[0], "it's");
    db_values_free(v);
    ck_assert_int_eq(db_values_parse(&v, "status IN ('a') OR x", "status"),
                     0);
    ck_assert_int_eq(db_values_parse(&v, "other IN ('a')", "status"), 0);
    ck_assert_int_eq(db_values_parse(&v, "status IN ('a', 1)", "status"), 0);
}
END_TEST

static int collect(void *ctx, enum db_sqlite_constraint kind,
                   const char *name, const char *body)
{
    struct db_buf *out = ctx;
    db_buf_printf(out, "%c:%s:%s|", kind == DB_SQLITE_CHECK ? 'c' : 'u',
                  name ? name : "-", body);
    return 0;
}

START_TEST(test_constraints__sqlite_create_table_scanner)
{
    struct db_buf out = DB_BUF_INIT;
    ck_assert_int_eq(db_sqlite__table_constraints(
        "CREATE TABLE \"t(\" (a TEXT DEFAULT 'CHECK (' CONSTRAINT "
        "\"ck_t_a\" CHECK (a IN ('x)', 'y')), -- CHECK (no)\n"
        "b VARCHAR(3) UNIQUE, /* CONSTRAINT z CHECK (z) */ "
        "CONSTRAINT [ck t] CHECK ((b) <> ')'), CHECK (b > a), "
        "UNIQUE (a, b))", collect, &out), 0);
    ck_assert_str_eq(db_buf_str(&out),
                     "c:ck_t_a:a IN ('x)', 'y')|u:-:|c:ck t:(b) <> ')'|"
                     "c:-:b > a|u:-:a, b|");
    db_buf_reset(&out);
    /* left open: stops quietly */
    ck_assert_int_eq(db_sqlite__table_constraints(
        "CREATE TABLE t (a CHECK (a > 'x)", collect, &out), 0);
    ck_assert_int_eq(db_sqlite__table_constraints(NULL, collect, &out), 0);
    db_buf_free(&out);
}
END_TEST

START_TEST(test_constraints__validation)
{
    struct db_error err;
    const struct db_column bad_type[] = {
        {.name = "n", .type = DB_TYPE_INTEGER, .values = DB_VALUES("1")},
    };
    const struct db_table t1 = {.name = "t",
                                       DB_ARRAY(columns, bad_type)};
    const struct db_table *const s1t[] = {&t1};
    struct db_schema s1 = {s1t, 1};
    ck_assert_int_eq(db_schema_validate(&s1, &err), DB_EUSAGE);
    ck_assert_msg(strstr(err.message, ".values needs TEXT or VARCHAR"), "%s",
                  err.message);
    const struct db_column bad_default[] = {
        {.name = "s", .type = DB_TYPE_TEXT, .values = DB_VALUES("a"),
         .def = DB_DEFAULT_STR("b")},
    };
    const struct db_table t2 = {.name = "t",
                                       DB_ARRAY(columns, bad_default)};
    const struct db_table *const s2t[] = {&t2};
    struct db_schema s2 = {s2t, 1};
    ck_assert_int_eq(db_schema_validate(&s2, &err), DB_EUSAGE);
    ck_assert_msg(strstr(err.message, "the default 'b' is not one of "
                                      ".values"), "%s", err.message);
    const struct db_column cols[] = {
        {.name = "s", .type = DB_TYPE_TEXT},
    };
    const struct db_check ck[] = {{.name = "s", .expr = "s <> ''"}};
    const struct db_table t3 = {.name = "t", DB_ARRAY(columns, cols),
                                       DB_ARRAY(checks, ck)};
    const struct db_table *const s3t[] = {&t3};
    struct db_schema s3 = {s3t, 1};
    ck_assert_int_eq(db_schema_validate(&s3, &err), DB_EUSAGE);
    ck_assert_msg(strstr(err.message, "check 's' has a column's name"), "%s",
                  err.message);
    const struct db_foreign_key fk[] = {
        {.columns = DB_COLS("s"), .ref_table = "t",
         .ref_columns = DB_COLS("s", "s")},
    };
    const struct db_table t4 = {.name = "t", DB_ARRAY(columns, cols),
                                       DB_ARRAY(foreign_keys, fk)};
    const struct db_table *const s4t[] = {&t4};
    struct db_schema s4 = {s4t, 1};
    ck_assert_int_eq(db_schema_validate(&s4, &err), DB_EUSAGE);
    ck_assert_msg(strstr(err.message, "differ in length"), "%s", err.message);
    /* names: the convention, cut at 63 bytes like the others */
    char name[DB_NAME_MAX];
    db_check_name(name, &t3, &ck[0]);
    ck_assert_str_eq(name, "ck_t_s");
    db_fk_name(name, &items_v1, &items_fk[0]);
    ck_assert_str_eq(name, "fk_items_region_shop_shops");
    const struct db_check longck[] = {
        {.name = "a_very_long_check_name_that_goes_on_and_on_and_on_and_on_and_on"}};
    db_check_name(name, &t3, &longck[0]);
    ck_assert_int_eq(strlen(name), 63);
}
END_TEST

/* The PostgreSQL section for an existing table: a check or an
 * enumeration's values added NOT VALID (the old one dropped in the same
 * statement), the source comment, then validated; a guard for each one
 * that rows can break, none for an additive change. SQLite keeps its
 * forms. */
START_TEST(test_constraints__online_forms)
{
    struct db_error err;
    struct db_diff d;
    struct db_buf sql = DB_BUF_INIT, guards = DB_BUF_INIT;
    ck_assert_int_eq(db_diff_schemas(&d, &v2, &v1, DB_DIALECT_POSTGRESQL,
                                     &err), 0);
    ck_assert(db_diff_any_online(&d, DB_DIALECT_POSTGRESQL));
    ck_assert_int_eq(db_diff_render(&sql, &d, DB_DIALECT_POSTGRESQL,
                                    DB_DIFF_ONLINE, &err), 0);
    ck_assert_str_eq(
        db_buf_str(&sql),
        "ALTER TABLE \"items\" DROP CONSTRAINT \"ck_items_price_positive\";\n"
        "ALTER TABLE \"items\" DROP CONSTRAINT \"ck_items_status\", ADD "
        "CONSTRAINT \"ck_items_status\" CHECK (\"status\" IN ('new', 'sold', "
        "'it''s back')) NOT VALID;\n"
        "ALTER TABLE \"items\" VALIDATE CONSTRAINT \"ck_items_status\";\n"
        "ALTER TABLE \"items\" ADD CONSTRAINT \"ck_items_price_positive\" "
        "CHECK (price >= 0 AND price < 1000000) NOT VALID;\n"
        "COMMENT ON CONSTRAINT \"ck_items_price_positive\" ON \"items\" IS "
        "'price >= 0 AND price < 1000000';\n"
        "ALTER TABLE \"items\" VALIDATE CONSTRAINT "
        "\"ck_items_price_positive\";\n"
        "ALTER TABLE \"items\" ADD CONSTRAINT \"ck_items_sku_set\" CHECK "
        "(sku <> '') NOT VALID;\n"
        "COMMENT ON CONSTRAINT \"ck_items_sku_set\" ON \"items\" IS "
        "'sku <> ''''';\n"
        "ALTER TABLE \"items\" VALIDATE CONSTRAINT \"ck_items_sku_set\";\n");
    ck_assert(db_diff_render_guards(&guards, &d, DB_DIALECT_POSTGRESQL, 0));
    ck_assert_str_eq(
        db_buf_str(&guards),
        "DO $guard$ BEGIN IF EXISTS (SELECT FROM \"items\" WHERE NOT (price "
        ">= 0 AND price < 1000000)) THEN RAISE EXCEPTION USING MESSAGE = "
        "'check constraint \"ck_items_price_positive\" of relation \"items\" "
        "is violated by some row; nothing was changed', ERRCODE = '23514'; "
        "END IF; END $guard$;\n"
        "DO $guard$ BEGIN IF EXISTS (SELECT FROM \"items\" WHERE NOT (sku <> "
        "'')) THEN RAISE EXCEPTION USING MESSAGE = 'check constraint "
        "\"ck_items_sku_set\" of relation \"items\" is violated by some row; "
        "nothing was changed', ERRCODE = '23514'; END IF; END $guard$;\n");
    db_diff_free(&d);
    db_buf_reset(&sql);
    db_buf_reset(&guards);
    /* a value removed: its guard */
    ck_assert_int_eq(db_diff_schemas(&d, &v3, &v1, DB_DIALECT_POSTGRESQL,
                                     &err), 0);
    ck_assert(db_diff_render_guards(&guards, &d, DB_DIALECT_POSTGRESQL,
                                    DB_DIFF_COMMENTS));
    ck_assert_msg(strstr(db_buf_str(&guards),
                         "WHERE NOT (\"status\" IN ('new'))) THEN") != NULL,
                  "%s", db_buf_str(&guards));
    ck_assert_msg(strncmp(db_buf_str(&guards), "-- guard: alter values", 22)
                  == 0, "%s", db_buf_str(&guards));
    db_diff_free(&d);
    /* a check on a column the same revision adds: validated, no guard */
    ck_assert_int_eq(db_diff_schemas(&d, &v4, &v1, DB_DIALECT_POSTGRESQL,
                                     &err), 0);
    ck_assert(db_diff_any_online(&d, DB_DIALECT_POSTGRESQL));
    db_buf_reset(&guards);
    ck_assert_msg(!db_diff_render_guards(&guards, &d, DB_DIALECT_POSTGRESQL,
                                         0), "%s", db_buf_str(&guards));
    db_diff_free(&d);
    /* SQLite: its own forms, no guard */
    ck_assert_int_eq(db_diff_schemas(&d, &v2, &v1, DB_DIALECT_SQLITE, &err),
                     0);
    ck_assert(!db_diff_any_online(&d, DB_DIALECT_SQLITE));
    db_buf_reset(&guards);
    ck_assert(!db_diff_render_guards(&guards, &d, DB_DIALECT_SQLITE, 0));
    db_diff_free(&d);
    /* a new table: plain forms */
    const struct db_schema none = {NULL, 0};
    ck_assert_int_eq(db_diff_schemas(&d, &v2, &none, DB_DIALECT_POSTGRESQL,
                                     &err), 0);
    ck_assert(!db_diff_any_online(&d, DB_DIALECT_POSTGRESQL));
    ck_assert(!db_diff_render_guards(&guards, &d, DB_DIALECT_POSTGRESQL, 0));
    db_diff_free(&d);
    db_buf_free(&sql);
    db_buf_free(&guards);
}
END_TEST

/* An autogenerated revision that adds a value, changes a check and adds
 * one on a table with rows: it lints clean, upgrades, leaves nothing to
 * change; its downgrade, while a row holds the value it removes, fails
 * with nothing changed and no marker, and runs once the row is fixed. */
START_TEST(test_constraints__autogenerated_revision)
{
    struct db_config cfg;
    tu_config_backend(&cfg, _i);
    char vdir[1100], path[1300];
    tu_migrations(&cfg, vdir, sizeof vdir);
    struct db_conn *c = tu_connect(&cfg);
    run(c, &v1);
    tu_exec(c, "INSERT INTO shops (region, code, name) VALUES ('eu', 1, 'a')");
    tu_exec(c, "INSERT INTO items (region, shop, sku, price, status, kind) "
               "VALUES ('eu', 1, 'x-1', 5, 'sold', 'a'), "
               "('eu', 1, 'x-2', 7, 'new', NULL)");

    struct db_autogen a;
    struct db_error err;
    ck_assert_int_eq(db_autogen(&a, c, NULL, &v2, 0, &err), 0);
    struct db_buf text = DB_BUF_INIT;
    db_buf_printf(&text, "-- revision: 0001\n-- message: online\n\n"
                         "-- +upgrade\n%s\n\n-- +downgrade\n%s\n",
                  a.upgrade, a.downgrade);
    db_autogen_free(&a);
    snprintf(path, sizeof path, "%s/0001_online.sql", vdir);
    tu_write_file(path, db_buf_str(&text));

    struct db_revision r;
    ck_assert_int_eq(db_revision_parse(&r, path, text.data, text.len, &err),
                     0);
    struct db_lint_report rep = {0};
    struct db_lint_opts o = {.lock_timeout_ms = 5000};
    ck_assert_int_eq(db_lint_revision(&rep, &r, &o, &err), 0);
    struct db_buf found = DB_BUF_INIT;
    for (size_t i = 0; i < rep.n; i++)
        db_lint_format(&found, &rep.v[i]);
    ck_assert_msg(db_lint_count(&rep, DB_LINT_ERROR) == 0, "%s\n%s",
                  db_buf_str(&found), db_buf_str(&text));
    db_buf_free(&found);
    db_lint_report_free(&rep);
    db_revision_clear(&r);

    struct db_graph *g;
    ck_assert_int_eq(db_migrate_load(&g, &cfg, &err), 0);
    int rc = db_migrate_upgrade(c, g, "head", NULL, NULL, &err);
    ck_assert_msg(rc == 0, "upgrade: %s\n%s", err.message, db_buf_str(&text));
    assert_clean(c, &v2, "after the generated upgrade", _i);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM items"), 2);

    tu_exec(c, "UPDATE items SET status = 'it''s back' WHERE sku = 'x-1'");
    rc = db_migrate_downgrade(c, g, "base", NULL, NULL, &err);
    ck_assert_int_ne(rc, 0);
    ck_assert_msg(strstr(err.message, "ck_items_status") != NULL, "%s",
                  err.message);
    struct db_migrate_state st;
    ck_assert_int_eq(db_migrate_state_read(&st, c, g, &err), 0);
    ck_assert_msg(!st.dirty, "%s: a failed guard leaves no marker",
                  tu_backend_name(_i));
    ck_assert(st.applied[0]);
    db_migrate_state_free(&st);
    assert_clean(c, &v2, "after the failed downgrade", _i);

    tu_exec(c, "UPDATE items SET status = 'sold' WHERE sku = 'x-1'");
    rc = db_migrate_downgrade(c, g, "base", NULL, NULL, &err);
    ck_assert_msg(rc == 0, "downgrade: %s", err.message);
    assert_clean(c, &v1, "after the downgrade", _i);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM items"), 2);
    db_graph_free(g);
    db_buf_free(&text);
    db_disconnect(c);
}
END_TEST

Suite *constraints_suite(void)
{
    Suite *s = suite_create("constraints");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, NULL, tu_cleanup);
    tcase_set_timeout(tc, 60);
    int n = tu_backend_count();
    tcase_add_loop_test(tc, test_constraints__round_trip, 0, n);
    tcase_add_loop_test(tc, test_constraints__removing_a_value_unused_is_clean,
                        0, n);
    tcase_add_loop_test(tc, test_constraints__manual_changes_are_reported, 0,
                        n);
    tcase_add_loop_test(tc, test_constraints__hand_written_schema, 0, n);
    tcase_add_loop_test(tc, test_constraints__changes_keep_unmanaged_constraints,
                        0, n);
    tcase_add_test(tc,
                   test_constraints__expressions_compare_as_databases_write_them);
    tcase_add_test(tc, test_constraints__sqlite_create_table_scanner);
    tcase_add_test(tc, test_constraints__online_forms);
    tcase_add_loop_test(tc, test_constraints__autogenerated_revision, 0, n);
    tcase_add_test(tc, test_constraints__validation);
    suite_add_tcase(s, tc);
    return s;
}
