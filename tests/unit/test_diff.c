/*
 * test_diff.c - operations between two schemas, applied both ways.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/database.h"
#include "db/diff.h"
#include "db/reflect.h"
#include "db/render.h"
#include "db/sync.h"
#include "testutil.h"

/* ---- the schemas: a base and one variant per kind of operation ---- */

#define USERS_BASE_COLS                                                   \
    {.name = "id", .type = DB_TYPE_INTEGER, .primary_key = true,          \
     .autoincrement = true},                                              \
    {.name = "email", .type = DB_TYPE_VARCHAR, .length = 255},            \
    {.name = "active", .type = DB_TYPE_BOOLEAN, .def = DB_DEFAULT_TRUE},  \
    {.name = "created_at", .type = DB_TYPE_TIMESTAMP,                     \
     .def = DB_DEFAULT_CURRENT_TIME}

static const struct db_column users_cols[] = {
    USERS_BASE_COLS,
    {.name = "name", .type = DB_TYPE_VARCHAR, .length = 120, .nullable = true},
};
static const struct db_column users_phone_cols[] = {
    USERS_BASE_COLS,
    {.name = "name", .type = DB_TYPE_VARCHAR, .length = 120, .nullable = true},
    {.name = "phone", .type = DB_TYPE_VARCHAR, .length = 30, .nullable = true},
};
static const struct db_column users_seen_cols[] = {
    USERS_BASE_COLS,
    {.name = "name", .type = DB_TYPE_VARCHAR, .length = 120, .nullable = true},
    {.name = "seen_at", .type = DB_TYPE_TIMESTAMP,
     .def = DB_DEFAULT_CURRENT_TIME},
};
static const struct db_column users_noname_cols[] = {USERS_BASE_COLS};
static const struct db_column users_text_cols[] = {
    USERS_BASE_COLS,
    {.name = "name", .type = DB_TYPE_TEXT, .nullable = true},
};
static const struct db_column users_notnull_cols[] = {
    USERS_BASE_COLS,
    {.name = "name", .type = DB_TYPE_VARCHAR, .length = 120},
};
static const struct db_column users_default_cols[] = {
    USERS_BASE_COLS,
    {.name = "name", .type = DB_TYPE_VARCHAR, .length = 120, .nullable = true,
     .def = DB_DEFAULT_STR("anon")},
};
static const struct db_index users_ix[] = {
    {.columns = DB_COLS("email"), .unique = true},
    {.columns = DB_COLS("name", "created_at")},
};
static const struct db_index users_ix_email_only[] = {
    {.columns = DB_COLS("email"), .unique = true},
};
static const struct db_index users_ix_no_unique[] = {
    {.columns = DB_COLS("name", "created_at")},
};
static const struct db_index users_ix_more[] = {
    {.columns = DB_COLS("email"), .unique = true},
    {.columns = DB_COLS("name", "created_at")},
    {.columns = DB_COLS("active")},
    {.columns = DB_COLS("name", "email"), .unique = true},
};

#define USERS(var, cols, ix)                                       \
    static const struct db_table var = {                           \
        .name = "users", DB_ARRAY(columns, cols), DB_ARRAY(indexes, ix)}
USERS(users, users_cols, users_ix);
USERS(users_phone, users_phone_cols, users_ix);
USERS(users_seen, users_seen_cols, users_ix);
USERS(users_noname, users_noname_cols, users_ix_email_only);
USERS(users_text, users_text_cols, users_ix);
USERS(users_notnull, users_notnull_cols, users_ix);
USERS(users_default, users_default_cols, users_ix);
USERS(users_noix, users_cols, users_ix_email_only);
USERS(users_nouq, users_cols, users_ix_no_unique);
USERS(users_moreix, users_cols, users_ix_more);

static const struct db_column tasks_cols[] = {
    {.name = "id", .type = DB_TYPE_INTEGER, .primary_key = true,
     .autoincrement = true},
    {.name = "user_id", .type = DB_TYPE_INTEGER, .nullable = true},
    {.name = "title", .type = DB_TYPE_VARCHAR, .length = 200},
    {.name = "status", .type = DB_TYPE_VARCHAR, .length = 20,
     .def = DB_DEFAULT_STR("todo")},
};
static const struct db_index tasks_ix[] = {{.columns = DB_COLS("user_id")}};
static const struct db_foreign_key tasks_fk[] = {
    {.column = "user_id", .ref_table = "users", .ref_column = "id",
     .on_delete = DB_FK_CASCADE},
};
static const struct db_foreign_key tasks_fk_setnull[] = {
    {.column = "user_id", .ref_table = "users", .ref_column = "id",
     .on_delete = DB_FK_SET_NULL},
};
static const struct db_table tasks = {
    .name = "tasks", DB_ARRAY(columns, tasks_cols), DB_ARRAY(indexes, tasks_ix),
    DB_ARRAY(foreign_keys, tasks_fk),
};
static const struct db_table tasks_nofk = {
    .name = "tasks", DB_ARRAY(columns, tasks_cols), DB_ARRAY(indexes, tasks_ix),
};
static const struct db_table tasks_setnull = {
    .name = "tasks", DB_ARRAY(columns, tasks_cols), DB_ARRAY(indexes, tasks_ix),
    DB_ARRAY(foreign_keys, tasks_fk_setnull),
};
static const struct db_column tags_cols[] = {
    {.name = "id", .type = DB_TYPE_INTEGER, .primary_key = true,
     .autoincrement = true},
    {.name = "task_id", .type = DB_TYPE_INTEGER},
    {.name = "label", .type = DB_TYPE_VARCHAR, .length = 40},
};
static const struct db_index tags_ix[] = {
    {.columns = DB_COLS("task_id", "label"), .unique = true},
};
static const struct db_foreign_key tags_fk[] = {
    {.column = "task_id", .ref_table = "tasks", .ref_column = "id",
     .on_delete = DB_FK_CASCADE},
};
static const struct db_table tags = {
    .name = "tags", DB_ARRAY(columns, tags_cols), DB_ARRAY(indexes, tags_ix),
    DB_ARRAY(foreign_keys, tags_fk),
};

#define SCHEMA(var, ...)                                                  \
    static const struct db_table *const var##_t[] = {__VA_ARGS__};        \
    static const struct db_schema var = {                                 \
        var##_t, sizeof var##_t / sizeof var##_t[0]}
SCHEMA(s_base, &users, &tasks);
SCHEMA(s_tags, &users, &tasks, &tags);
SCHEMA(s_phone, &users_phone, &tasks);
SCHEMA(s_seen, &users_seen, &tasks);
SCHEMA(s_noname, &users_noname, &tasks);
SCHEMA(s_text, &users_text, &tasks);
SCHEMA(s_notnull, &users_notnull, &tasks);
SCHEMA(s_default, &users_default, &tasks);
SCHEMA(s_noix, &users_noix, &tasks);
SCHEMA(s_nouq, &users_nouq, &tasks);
SCHEMA(s_moreix, &users_moreix, &tasks);
SCHEMA(s_nofk, &users, &tasks_nofk);
SCHEMA(s_setnull, &users, &tasks_setnull);

static const struct {
    const char *what;
    const struct db_schema *from, *to;
    enum db_op_kind kind;     /* one operation of the up diff */
    int keeps_rows;           /* users rows survive up and down */
} cases[] = {
    {"create table", &s_base, &s_tags, DB_OP_CREATE_TABLE, 1},
    {"drop table", &s_tags, &s_base, DB_OP_DROP_TABLE, 1},
    {"add column", &s_base, &s_phone, DB_OP_ADD_COLUMN, 1},
    {"add column by rebuild", &s_base, &s_seen, DB_OP_ADD_COLUMN, 1},
    {"drop column", &s_base, &s_noname, DB_OP_DROP_COLUMN, 1},
    {"alter type", &s_base, &s_text, DB_OP_ALTER_COLUMN, 1},
    {"alter nullability", &s_base, &s_notnull, DB_OP_ALTER_COLUMN, 1},
    {"alter default", &s_base, &s_default, DB_OP_ALTER_COLUMN, 1},
    {"drop index", &s_base, &s_noix, DB_OP_DROP_INDEX, 1},
    {"drop unique", &s_base, &s_nouq, DB_OP_DROP_UNIQUE, 1},
    {"create index and unique", &s_base, &s_moreix, DB_OP_ADD_UNIQUE, 1},
    {"create index", &s_base, &s_moreix, DB_OP_CREATE_INDEX, 1},
    {"drop foreign key", &s_base, &s_nofk, DB_OP_DROP_FK, 1},
    {"add foreign key", &s_nofk, &s_base, DB_OP_ADD_FK, 1},
    {"change foreign key", &s_base, &s_setnull, DB_OP_ADD_FK, 1},
};
#define NCASES (int)(sizeof cases / sizeof cases[0])

/* ---- helpers ---- */

static void apply_sql(struct db_conn *c, const char *sql)
{
    int sqlite = c->driver->dialect == DB_DIALECT_SQLITE;
    struct db_error err;
    if (sqlite)
        tu_exec(c, "PRAGMA foreign_keys = OFF");
    ck_assert_int_eq(db_begin(c, &err), 0);
    int rc = db_diff__exec_checked(c, sql, &err);
    ck_assert_msg(rc == 0, "%s\n-- failed: %s", sql, err.message);
    ck_assert_int_eq(db_commit(c, &err), 0);
    if (sqlite)
        tu_exec(c, "PRAGMA foreign_keys = ON");
}

static void apply_diff(struct db_conn *c, const struct db_schema *to,
                       const struct db_schema *from)
{
    struct db_diff d;
    struct db_error err;
    ck_assert_int_eq(db_diff_schemas(&d, to, from, c->driver->dialect, &err),
                     0);
    ck_assert_msg(db_diff_apply(c, &d, &err) == 0, "apply: %s", err.message);
    db_diff_free(&d);
}

static const struct db_schema empty = {NULL, 0};

/* The operations turning the live database into s, one per line. */
static char *live_diff(struct db_conn *c, const struct db_schema *s)
{
    struct db_reflection *r;
    struct db_error err;
    ck_assert_int_eq(db_reflect(&r, c, NULL, 0, &err), 0);
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

static void seed(struct db_conn *c)
{
    tu_exec(c, "INSERT INTO \"users\" (\"email\", \"name\") VALUES "
               "('a@example.com', 'Ann'), ('b@example.com', 'Bob')");
    tu_exec(c, "INSERT INTO \"tasks\" (\"user_id\", \"title\") VALUES "
               "(1, 'one'), (1, 'two'), (2, 'three')");
}

/* ---- tests ---- */

/* For every kind: upgrade -> check clean -> downgrade -> schema as before. */
START_TEST(test_diff__every_operation_up_and_down)
{
    int backend = _i / NCASES, k = _i % NCASES;
    struct db_config cfg;
    tu_config_backend(&cfg, backend);
    struct db_conn *c = tu_connect(&cfg);
    enum db_dialect dialect = c->driver->dialect;
    struct db_error err;
    apply_diff(c, cases[k].from, &empty);
    seed(c);

    /* what autogenerate does: both directions from models and live db */
    struct db_reflection *before;
    ck_assert_int_eq(db_reflect(&before, c, NULL, 0, &err), 0);
    struct db_diff up, down;
    ck_assert_int_eq(db_diff_schemas(&up, cases[k].to, &before->schema,
                                     dialect, &err), 0);
    ck_assert_int_eq(db_diff_schemas(&down, &before->schema, cases[k].to,
                                     dialect, &err), 0);
    int found = 0;
    for (size_t i = 0; i < up.n; i++)
        found |= up.ops[i].kind == cases[k].kind;
    ck_assert_msg(found, "%s: no '%s' operation", cases[k].what,
                  db_op_kind_name(cases[k].kind));
    struct db_buf up_sql = DB_BUF_INIT, down_sql = DB_BUF_INIT;
    ck_assert_int_eq(db_diff_render(&up_sql, &up, dialect, DB_DIFF_COMMENTS,
                                    &err), 0);
    ck_assert_int_eq(db_diff_render(&down_sql, &down, dialect,
                                    DB_DIFF_COMMENTS, &err), 0);
    db_diff_free(&up);
    db_diff_free(&down);

    apply_sql(c, db_buf_str(&up_sql));
    char *d = live_diff(c, cases[k].to);
    ck_assert_msg(d[0] == '\0', "%s/%s: not clean after upgrade:\n%s\n%s",
                  tu_backend_name(backend), cases[k].what, d,
                  db_buf_str(&up_sql));
    free(d);
    if (cases[k].keeps_rows)
        ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM \"users\""), 2);

    apply_sql(c, db_buf_str(&down_sql));
    d = live_diff(c, &before->schema);
    ck_assert_msg(d[0] == '\0', "%s/%s: not as before after downgrade:\n%s"
                  "\n%s", tu_backend_name(backend), cases[k].what, d,
                  db_buf_str(&down_sql));
    free(d);
    d = live_diff(c, cases[k].from);
    ck_assert_msg(d[0] == '\0', "%s", d);
    free(d);
    if (cases[k].keeps_rows)
        ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM \"users\""), 2);

    db_buf_free(&up_sql);
    db_buf_free(&down_sql);
    db_reflection_free(before);
    db_disconnect(c);
}
END_TEST

START_TEST(test_diff__identical_schemas_have_no_operations)
{
    struct db_diff d;
    struct db_error err;
    ck_assert_int_eq(db_diff_schemas(&d, &s_tags, &s_tags, DB_DIALECT_SQLITE,
                                     &err), 0);
    ck_assert_int_eq(d.n, 0);
    db_diff_free(&d);
    /* create-all is diff(models, empty): tables in foreign-key order */
    ck_assert_int_eq(db_diff_schemas(&d, &s_tags, &empty,
                                     DB_DIALECT_POSTGRESQL, &err), 0);
    ck_assert_int_eq(d.ops[0].kind, DB_OP_CREATE_TABLE);
    ck_assert_str_eq(d.ops[0].table->name, "users");
    ck_assert(!db_diff_destructive(&d));
    db_diff_free(&d);
}
END_TEST

START_TEST(test_diff__destructive_operations_are_marked)
{
    struct db_diff d;
    struct db_error err;
    ck_assert_int_eq(db_diff_schemas(&d, &s_noname, &s_base,
                                     DB_DIALECT_SQLITE, &err), 0);
    ck_assert(db_diff_destructive(&d));
    db_diff_free(&d);
    ck_assert_int_eq(db_diff_schemas(&d, &s_base, &s_tags,
                                     DB_DIALECT_SQLITE, &err), 0);
    ck_assert(db_diff_destructive(&d));
    db_diff_free(&d);
    ck_assert_int_eq(db_diff_schemas(&d, &s_notnull, &s_base,
                                     DB_DIALECT_POSTGRESQL, &err), 0);
    ck_assert(db_diff_destructive(&d));
    db_diff_free(&d);
    /* widening VARCHAR(120) to TEXT keeps every value */
    ck_assert_int_eq(db_diff_schemas(&d, &s_text, &s_base,
                                     DB_DIALECT_POSTGRESQL, &err), 0);
    ck_assert(!db_diff_destructive(&d));
    db_diff_free(&d);
    ck_assert_int_eq(db_diff_schemas(&d, &s_phone, &s_base,
                                     DB_DIALECT_POSTGRESQL, &err), 0);
    ck_assert(!db_diff_destructive(&d));
    db_diff_free(&d);
}
END_TEST

START_TEST(test_diff__rendered_per_dialect)
{
    struct db_diff d;
    struct db_error err;
    struct db_buf sql = DB_BUF_INIT;
    ck_assert_int_eq(db_diff_schemas(&d, &s_text, &s_base,
                                     DB_DIALECT_POSTGRESQL, &err), 0);
    ck_assert_int_eq(db_diff_render(&sql, &d, DB_DIALECT_POSTGRESQL, 0, &err),
                     0);
    ck_assert_ptr_nonnull(strstr(db_buf_str(&sql),
                                 "ALTER TABLE \"users\" ALTER COLUMN \"name\" "
                                 "TYPE TEXT"));
    db_buf_reset(&sql);
    ck_assert_int_eq(db_diff_render(&sql, &d, DB_DIALECT_SQLITE, 0, &err), 0);
    const char *s = db_buf_str(&sql);
    ck_assert_ptr_nonnull(strstr(s, "CREATE TABLE \"_new_users\""));
    ck_assert_ptr_nonnull(strstr(s, "INSERT INTO \"_new_users\""));
    ck_assert_ptr_nonnull(strstr(s, "DROP TABLE \"users\";"));
    ck_assert_ptr_nonnull(strstr(s, "ALTER TABLE \"_new_users\" RENAME TO "
                                    "\"users\""));
    ck_assert_ptr_nonnull(strstr(s, "CREATE UNIQUE INDEX \"uq_users_email\""));
    ck_assert_ptr_nonnull(strstr(s, "pragma_foreign_key_check('users')"));
    db_diff_free(&d);
    /* a nullable column: plain ALTER TABLE on SQLite too */
    db_buf_reset(&sql);
    ck_assert_int_eq(db_diff_schemas(&d, &s_phone, &s_base, DB_DIALECT_SQLITE,
                                     &err), 0);
    ck_assert_int_eq(db_diff_render(&sql, &d, DB_DIALECT_SQLITE, 0, &err), 0);
    ck_assert_str_eq(db_buf_str(&sql), "ALTER TABLE \"users\" ADD COLUMN "
                                       "\"phone\" VARCHAR(30);\n");
    db_diff_free(&d);
    db_buf_free(&sql);
}
END_TEST

/* DB_DIFF_ONLINE: PostgreSQL's forms that keep an existing table serving;
 * SQLite has none and writes what it always writes. */
START_TEST(test_diff__online_forms)
{
    static const struct {
        const struct db_schema *to, *from;
        const char *want;   /* the PostgreSQL script, whole */
    } cases[] = {
        {&s_notnull, &s_base,
         "ALTER TABLE \"users\" ADD CONSTRAINT \"users_name_not_null\" CHECK "
         "(\"name\" IS NOT NULL) NOT VALID;\n"
         "ALTER TABLE \"users\" VALIDATE CONSTRAINT \"users_name_not_null\";\n"
         "ALTER TABLE \"users\" ALTER COLUMN \"name\" SET NOT NULL;\n"
         "ALTER TABLE \"users\" DROP CONSTRAINT \"users_name_not_null\";\n"},
        {&s_base, &s_nofk, NULL},   /* checked below */
    };
    struct db_error err;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct db_diff d;
        struct db_buf pg = DB_BUF_INIT, plain = DB_BUF_INIT,
                      lite = DB_BUF_INIT, lite_online = DB_BUF_INIT;
        ck_assert_int_eq(db_diff_schemas(&d, cases[i].to, cases[i].from,
                                         DB_DIALECT_POSTGRESQL, &err), 0);
        ck_assert(db_diff_any_online(&d, DB_DIALECT_POSTGRESQL));
        ck_assert_int_eq(db_diff_render(&pg, &d, DB_DIALECT_POSTGRESQL,
                                        DB_DIFF_ONLINE, &err), 0);
        ck_assert_int_eq(db_diff_render(&plain, &d, DB_DIALECT_POSTGRESQL, 0,
                                        &err), 0);
        ck_assert_str_ne(db_buf_str(&pg), db_buf_str(&plain));
        if (cases[i].want)
            ck_assert_str_eq(db_buf_str(&pg), cases[i].want);
        else
            ck_assert_str_eq(
                db_buf_str(&pg),
                "ALTER TABLE \"tasks\" ADD CONSTRAINT "
                "\"fk_tasks_user_id_users\" FOREIGN KEY (\"user_id\") "
                "REFERENCES \"users\" (\"id\") ON DELETE CASCADE NOT VALID;\n"
                "ALTER TABLE \"tasks\" VALIDATE CONSTRAINT "
                "\"fk_tasks_user_id_users\";\n");
        db_diff_free(&d);
        ck_assert_int_eq(db_diff_schemas(&d, cases[i].to, cases[i].from,
                                         DB_DIALECT_SQLITE, &err), 0);
        ck_assert(!db_diff_any_online(&d, DB_DIALECT_SQLITE));
        ck_assert_int_eq(db_diff_render(&lite, &d, DB_DIALECT_SQLITE, 0, &err),
                         0);
        ck_assert_int_eq(db_diff_render(&lite_online, &d, DB_DIALECT_SQLITE,
                                        DB_DIFF_ONLINE, &err), 0);
        ck_assert_str_eq(db_buf_str(&lite), db_buf_str(&lite_online));
        db_diff_free(&d);
        db_buf_free(&pg);
        db_buf_free(&plain);
        db_buf_free(&lite);
        db_buf_free(&lite_online);
    }
    /* a new table's indexes are built with it: nothing online about them */
    struct db_diff d;
    struct db_buf sql = DB_BUF_INIT;
    const struct db_schema empty = {0};
    ck_assert_int_eq(db_diff_schemas(&d, &s_base, &empty,
                                     DB_DIALECT_POSTGRESQL, &err), 0);
    ck_assert(!db_diff_any_online(&d, DB_DIALECT_POSTGRESQL));
    ck_assert_int_eq(db_diff_render(&sql, &d, DB_DIALECT_POSTGRESQL,
                                    DB_DIFF_ONLINE, &err), 0);
    ck_assert_ptr_null(strstr(db_buf_str(&sql), "CONCURRENTLY"));
    ck_assert_ptr_nonnull(strstr(db_buf_str(&sql), "CREATE UNIQUE INDEX "
                                                   "\"uq_users_email\""));
    db_diff_free(&d);
    db_buf_free(&sql);
}
END_TEST

/* The rebuild of a referenced table keeps every row of it and of the
 * tables that reference it, and the foreign keys still act. */
START_TEST(test_diff__sqlite_rebuild_keeps_rows_and_foreign_keys)
{
    struct db_config cfg;
    tu_config_backend(&cfg, 0);
    struct db_conn *c = tu_connect(&cfg);
    struct db_error err;
    apply_diff(c, &s_base, &empty);
    seed(c);
    struct db_reflection *r;
    ck_assert_int_eq(db_reflect(&r, c, NULL, 0, &err), 0);
    struct db_diff d;
    ck_assert_int_eq(db_diff_schemas(&d, &s_text, &r->schema,
                                     DB_DIALECT_SQLITE, &err), 0);
    ck_assert(db_diff_any_rebuild(&d, DB_DIALECT_SQLITE));
    ck_assert_int_eq(db_diff_apply(c, &d, &err), 0);
    db_diff_free(&d);
    db_reflection_free(r);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM users"), 2);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM tasks"), 3);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM users WHERE name = "
                                "'Ann' AND email = 'a@example.com'"), 1);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM "
                                "pragma_foreign_key_list('tasks') WHERE "
                                "\"table\" = 'users'"), 1);
    ck_assert_int_eq(tu_long(c, "PRAGMA foreign_keys"), 1);
    tu_exec(c, "DELETE FROM users WHERE id = 1");
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM tasks"), 1);
    db_disconnect(c);
}
END_TEST

/* A rebuild that would leave a row pointing nowhere changes nothing. */
START_TEST(test_diff__sqlite_rebuild_refuses_broken_foreign_keys)
{
    struct db_config cfg;
    tu_config_backend(&cfg, 0);
    struct db_conn *c = tu_connect(&cfg);
    struct db_error err;
    apply_diff(c, &s_nofk, &empty);
    seed(c);
    tu_exec(c, "INSERT INTO tasks (user_id, title) VALUES (99, 'orphan')");
    struct db_diff d;
    ck_assert_int_eq(db_diff_schemas(&d, &s_base, &s_nofk, DB_DIALECT_SQLITE,
                                     &err), 0);
    ck_assert_int_ne(db_diff_apply(c, &d, &err), 0);
    db_diff_free(&d);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM tasks"), 4);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM "
                                "pragma_foreign_key_list('tasks')"), 0);
    ck_assert_int_eq(tu_long(c, "PRAGMA foreign_keys"), 1);
    db_disconnect(c);
}
END_TEST

/* A view naming the rebuilt table survives; a trigger on it stops the
 * rebuild instead of being dropped with the old table. */
START_TEST(test_diff__sqlite_rebuild_keeps_views_refuses_triggers)
{
    struct db_config cfg;
    tu_config_backend(&cfg, 0);
    struct db_conn *c = tu_connect(&cfg);
    struct db_error err;
    apply_diff(c, &s_base, &empty);
    seed(c);
    tu_exec(c, "CREATE VIEW user_names AS SELECT name FROM users");
    struct db_diff d;
    ck_assert_int_eq(db_diff_schemas(&d, &s_text, &s_base, DB_DIALECT_SQLITE,
                                     &err), 0);
    ck_assert_msg(db_diff_apply(c, &d, &err) == 0, "%s", err.message);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM user_names"), 2);
    db_diff_free(&d);
    tu_exec(c, "CREATE TRIGGER users_touch AFTER UPDATE ON users BEGIN "
               "SELECT 1; END");
    ck_assert_int_eq(db_diff_schemas(&d, &s_base, &s_text, DB_DIALECT_SQLITE,
                                     &err), 0);
    ck_assert_int_ne(db_diff_apply(c, &d, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.message, "triggers"));
    db_diff_free(&d);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM sqlite_master WHERE "
                                "name = 'users_touch'"), 1);
    db_disconnect(c);
}
END_TEST

/* Run with foreign keys enforced (as a runner that does not turn them off
 * would), the rebuild of a referenced table fails instead of letting ON
 * DELETE CASCADE empty the tables that reference it. */
START_TEST(test_diff__sqlite_rebuild_guards_against_enforced_foreign_keys)
{
    struct db_config cfg;
    tu_config_backend(&cfg, 0);
    struct db_conn *c = tu_connect(&cfg);
    struct db_error err;
    apply_diff(c, &s_base, &empty);
    seed(c);
    struct db_diff d;
    ck_assert_int_eq(db_diff_schemas(&d, &s_text, &s_base, DB_DIALECT_SQLITE,
                                     &err), 0);
    struct db_buf sql = DB_BUF_INIT;
    ck_assert_int_eq(db_diff_render(&sql, &d, DB_DIALECT_SQLITE, 0, &err), 0);
    db_diff_free(&d);
    ck_assert_int_eq(tu_long(c, "PRAGMA foreign_keys"), 1);
    ck_assert_int_eq(db_begin(c, &err), 0);
    ck_assert_int_ne(db_exec(c, db_buf_str(&sql), &err), 0);
    ck_assert_ptr_nonnull(strstr(err.message, "foreign_keys = OFF"));
    ck_assert_int_eq(db_rollback(c, &err), 0);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM tasks"), 3);
    db_buf_free(&sql);
    db_disconnect(c);
}
END_TEST

/* Pre-user start-up: an added column appears and the rows stay. */
START_TEST(test_diff__preuser_restart_adds_column_keeps_rows)
{
    struct db_config cfg;
    tu_config_backend(&cfg, _i);
    struct db_conn *c = tu_connect(&cfg);
    struct db_error err;
    ck_assert_int_eq(db_sync_models(c, &s_base, &err), 0);
    seed(c);
    ck_assert_int_eq(db_sync_models(c, &s_base, &err), 0); /* no change */
    ck_assert_msg(db_sync_models(c, &s_phone, &err) == 0, "%s", err.message);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM users"), 2);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM tasks"), 3);
    tu_exec(c, "UPDATE users SET phone = '555' WHERE id = 1");
    db_disconnect(c);

    /* a new table, then a column SQLite adds by rebuilding the table */
    tu_config_backend(&cfg, _i);
    c = tu_connect(&cfg);
    ck_assert_int_eq(db_sync_models(c, &s_base, &err), 0);
    seed(c);
    ck_assert_msg(db_sync_models(c, &s_tags, &err) == 0, "%s", err.message);
    ck_assert_msg(db_sync_models(c, &s_seen, &err) == 0, "%s", err.message);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM users WHERE seen_at "
                                "IS NOT NULL"), 2);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM tasks"), 3);
    char *d = live_diff(c, &s_seen);
    /* tags is left alone: no longer in the models */
    ck_assert_str_eq(d, "drop table \"tags\"\n");
    free(d);
    db_disconnect(c);
}
END_TEST

/* Pre-user start-up: a destructive edit changes nothing and says how to
 * reset. */
START_TEST(test_diff__preuser_refuses_destructive_edit)
{
    struct db_config cfg;
    tu_config_backend(&cfg, _i);
    struct db_conn *c = tu_connect(&cfg);
    struct db_error err;
    ck_assert_int_eq(db_sync_models(c, &s_base, &err), 0);
    seed(c);
    static const struct db_schema *const bad[] = {&s_noname, &s_notnull};
    for (size_t i = 0; i < 2; i++) {
        ck_assert_int_eq(db_sync_models(c, bad[i], &err), DB_EDRIFT);
        ck_assert_ptr_nonnull(strstr(tu_spell(err.hint), "make db-reset"));
        ck_assert_ptr_nonnull(strstr(err.message, "\"users\".\"name\""));
    }
    /* the additive part of a mixed edit is not applied either */
    ck_assert_int_eq(db_sync_models(c, &s_base, &err), 0);
    char *d = live_diff(c, &s_base);
    ck_assert_str_eq(d, "");
    free(d);
    ck_assert_int_eq(tu_long(c, "SELECT count(*) FROM users WHERE name = "
                                "'Ann'"), 1);
    db_disconnect(c);
}
END_TEST

Suite *diff_suite(void)
{
    Suite *s = suite_create("diff");
    TCase *tc = tcase_create("diff");
    tcase_add_checked_fixture(tc, NULL, tu_cleanup);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_diff__every_operation_up_and_down, 0,
                        NCASES * tu_backend_count());
    tcase_add_test(tc, test_diff__identical_schemas_have_no_operations);
    tcase_add_test(tc, test_diff__destructive_operations_are_marked);
    tcase_add_test(tc, test_diff__rendered_per_dialect);
    tcase_add_test(tc, test_diff__online_forms);
    tcase_add_test(tc, test_diff__sqlite_rebuild_keeps_rows_and_foreign_keys);
    tcase_add_test(tc, test_diff__sqlite_rebuild_refuses_broken_foreign_keys);
    tcase_add_test(tc,
                   test_diff__sqlite_rebuild_guards_against_enforced_foreign_keys);
    tcase_add_test(tc, test_diff__sqlite_rebuild_keeps_views_refuses_triggers);
    tcase_add_loop_test(tc, test_diff__preuser_restart_adds_column_keeps_rows,
                        0, tu_backend_count());
    tcase_add_loop_test(tc, test_diff__preuser_refuses_destructive_edit, 0,
                        tu_backend_count());
    suite_add_tcase(s, tc);
    return s;
}
