/*
 * check_bench.c - `app db check` on a generated schema, for check.sh.
 *
 * The app's models are two tables, so the benchmark brings its own: N
 * tables t0000.. of 10 columns, 2 indexes (one unique, two columns) and 1
 * foreign key each (to the previous table). It is linked with the same
 * library objects as build/app and runs the same path as `app db check`:
 * validate the models, reflect their tables, diff, print.
 *
 *   check_bench URL create [N]   create the schema (create-all) and a row
 *   check_bench URL check [N]    exit 0 when the database matches, else 1
 *   check_bench URL models [N]   print the models as Python for Alembic
 *
 * For PostgreSQL, [database] schema is taken from $BENCH_SCHEMA.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/config.h"
#include "db/database.h"
#include "db/diff.h"
#include "db/driver.h"
#include "db/reflect.h"
#include "db/render.h"

static char *dup(const char *s)
{
    char *p = strdup(s);
    if (!p) {
        perror("strdup");
        exit(2);
    }
    return p;
}

static void *alloc(size_t n)
{
    void *p = calloc(1, n);
    if (!p) {
        perror("calloc");
        exit(2);
    }
    return p;
}

static const char *const cols_name[] = {"name", NULL};
static const char *const cols_status_rank[] = {"status", "rank", NULL};

static struct db_schema *generate(size_t n)
{
    struct db_table **tables = alloc(n * sizeof *tables);
    for (size_t i = 0; i < n; i++) {
        char name[32], ref[32];
        snprintf(name, sizeof name, "t%04zu", i);
        snprintf(ref, sizeof ref, "t%04zu", i ? i - 1 : 0);
        struct db_column *c = alloc(10 * sizeof *c);
        c[0] = (struct db_column){.name = "id", .type = DB_TYPE_INTEGER,
                                  .primary_key = true, .autoincrement = true};
        c[1] = (struct db_column){.name = "parent_id", .type = DB_TYPE_INTEGER,
                                  .nullable = true};
        c[2] = (struct db_column){.name = "name", .type = DB_TYPE_VARCHAR,
                                  .length = 100};
        c[3] = (struct db_column){.name = "body", .type = DB_TYPE_TEXT,
                                  .nullable = true};
        c[4] = (struct db_column){.name = "rank", .type = DB_TYPE_INTEGER,
                                  .def = DB_DEFAULT_NUM(0)};
        c[5] = (struct db_column){.name = "score", .type = DB_TYPE_REAL,
                                  .nullable = true};
        c[6] = (struct db_column){.name = "active", .type = DB_TYPE_BOOLEAN,
                                  .def = DB_DEFAULT_FALSE};
        c[7] = (struct db_column){.name = "created_at",
                                  .type = DB_TYPE_TIMESTAMP,
                                  .def = DB_DEFAULT_CURRENT_TIME};
        c[8] = (struct db_column){.name = "status", .type = DB_TYPE_VARCHAR,
                                  .length = 20, .def = DB_DEFAULT_STR("new")};
        c[9] = (struct db_column){.name = "data", .type = DB_TYPE_BLOB,
                                  .nullable = true};
        struct db_index *ix = alloc(2 * sizeof *ix);
        ix[0] = (struct db_index){.columns = cols_name};
        ix[1] = (struct db_index){.columns = cols_status_rank,
                                  .unique = true};
        struct db_foreign_key *fk = alloc(sizeof *fk);
        *fk = (struct db_foreign_key){.column = "parent_id",
                                      .ref_table = dup(ref),
                                      .ref_column = "id",
                                      .on_delete = DB_FK_CASCADE};
        struct db_table *t = alloc(sizeof *t);
        *t = (struct db_table){.name = dup(name), .columns = c, .ncolumns = 10,
                               .indexes = ix, .nindexes = 2,
                               .foreign_keys = fk, .nforeign_keys = 1};
        tables[i] = t;
    }
    struct db_schema *s = alloc(sizeof *s);
    s->tables = (const struct db_table *const *)tables;
    s->ntables = n;
    return s;
}

static int fail(const char *what, const struct db_error *err)
{
    char line[4096];
    db_error_format(line, sizeof line, err);
    fprintf(stderr, "check_bench %s: %s\n", what, line);
    return 2;
}

/* The same models for SQLAlchemy (Alembic's autogenerate). */
static void python_models(size_t n)
{
    printf("from sqlalchemy import (MetaData, Table, Column, Integer, "
           "String, Text, Float,\n    Boolean, DateTime, LargeBinary, "
           "ForeignKey, Index, text, func)\n"
           "metadata = MetaData()\n"
           "for i in range(%zu):\n"
           "    name = 't%%04d' %% i\n"
           "    ref = 't%%04d' %% (i - 1 if i else 0)\n"
           "    t = Table(name, metadata,\n"
           "        Column('id', Integer, primary_key=True),\n"
           "        Column('parent_id', Integer, ForeignKey(ref + '.id', "
           "ondelete='CASCADE',\n"
           "               name='fk_%%s_parent_id_%%s' %% (name, ref)), "
           "nullable=True),\n"
           "        Column('name', String(100), nullable=False),\n"
           "        Column('body', Text, nullable=True),\n"
           "        Column('rank', Integer, nullable=False, "
           "server_default=text('0')),\n"
           "        Column('score', Float, nullable=True),\n"
           "        Column('active', Boolean, nullable=False, "
           "server_default=text('0')),\n"
           "        Column('created_at', DateTime, nullable=False, "
           "server_default=func.current_timestamp()),\n"
           "        Column('status', String(20), nullable=False, "
           "server_default='new'),\n"
           "        Column('data', LargeBinary, nullable=True))\n"
           "    Index('ix_%%s_name' %% name, t.c.name)\n"
           "    Index('uq_%%s_status_rank' %% name, t.c.status, t.c.rank, "
           "unique=True)\n", n);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: check_bench URL create|check|models [N]\n");
        return 2;
    }
    size_t n = argc > 3 ? strtoul(argv[3], NULL, 10) : 1000;
    if (strcmp(argv[2], "models") == 0) {
        python_models(n);
        return 0;
    }
    struct db_schema *models = generate(n);
    struct db_config cfg;
    db_config_defaults(&cfg);
    snprintf(cfg.url, sizeof cfg.url, "%s", argv[1]);
    const char *schema = getenv("BENCH_SCHEMA");
    if (schema && *schema)
        snprintf(cfg.schema, sizeof cfg.schema, "%s", schema);
    struct db_error err;
    struct db_conn *c;
    if (db_connect(&c, &cfg, &err))
        return fail("connect", &err);
    int status = 0;
    if (strcmp(argv[2], "create") == 0) {
        if (create_db_and_tables(c, models, &err))
            status = fail("create", &err);
    } else if (strcmp(argv[2], "check") == 0) {
        struct db_reflection *r = NULL;
        struct db_diff d = DB_DIFF_INIT;
        if (db_schema_validate(models, &err) ||
            db_reflect(&r, c, models, 0, &err) ||
            db_diff_schemas(&d, models, &r->schema, c->driver->dialect, &err)) {
            status = fail("check", &err);
        } else if (d.n) {
            struct db_buf out = DB_BUF_INIT;
            for (size_t i = 0; i < d.n; i++) {
                db_diff_describe(&out, &d.ops[i], c->driver->dialect);
                db_buf_puts(&out, "\n");
            }
            fputs(db_buf_str(&out), stdout);
            db_buf_free(&out);
            status = 1;
        } else {
            printf("the database matches the models (%zu tables)\n", n);
        }
        db_diff_free(&d);
        db_reflection_free(r);
    } else {
        fprintf(stderr, "check_bench: unknown mode '%s'\n", argv[2]);
        status = 2;
    }
    db_disconnect(c);
    return status;
}
