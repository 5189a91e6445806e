/*
 * testutil.c - helpers for the Check suites.
 */
#include "testutil.h"

#include "cmd/cmd.h"
#include "db/migrate.h"

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_DIRS 64

static char dirs[MAX_DIRS][512];
static int ndirs;
static char pg_schemas[MAX_DIRS][64];
static int npg;
static char pg_url[2048];

const char *tu_tmpdir(void)
{
    ck_assert_int_lt(ndirs, MAX_DIRS);
    const char *base = getenv("TMPDIR");
    snprintf(dirs[ndirs], sizeof dirs[ndirs], "%s/apptest.XXXXXX",
             base && *base ? base : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dirs[ndirs]));
    return dirs[ndirs++];
}

static int remove_one(const char *path, const struct stat *st, int flag,
                      struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void tu_cleanup(void)
{
    for (int i = 0; i < ndirs; i++)
        nftw(dirs[i], remove_one, 16, FTW_DEPTH | FTW_PHYS);
    ndirs = 0;
    if (npg > 0) {
        struct db_config cfg;
        db_config_defaults(&cfg);
        snprintf(cfg.url, sizeof cfg.url, "%s", pg_url);
        struct db_conn *c;
        struct db_error err;
        if (db_connect(&c, &cfg, &err) == 0) {
            for (int i = 0; i < npg; i++) {
                char sql[256];
                snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS \"%s\" CASCADE",
                         pg_schemas[i]);
                db_exec(c, sql, &err);
            }
            db_disconnect(c);
        }
        npg = 0;
    }
}

void tu_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot write %s: %s", path, strerror(errno));
    ck_assert_int_eq(fputs(text, f) >= 0, 1);
    ck_assert_int_eq(fclose(f), 0);
}

char *tu_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2) {
            char *p = realloc(buf, cap * 2);
            if (!p) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = p;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf)
        buf[len] = '\0';
    return buf;
}

int tu_backend_count(void)
{
    const char *u = getenv("TEST_PG_URL");
    return u && *u && db_driver_find("postgresql") ? 2 : 1;
}

const char *tu_backend_name(int i)
{
    return i == 0 ? "sqlite" : "postgresql";
}

void tu_config_backend(struct db_config *cfg, int i)
{
    db_config_defaults(cfg);
    if (i == 0) {
        snprintf(cfg->url, sizeof cfg->url, "sqlite:///%s/test.db",
                 tu_tmpdir());
        return;
    }
    ck_assert_int_lt(npg, MAX_DIRS);
    snprintf(pg_url, sizeof pg_url, "%s", getenv("TEST_PG_URL"));
    snprintf(cfg->url, sizeof cfg->url, "%s", pg_url);
    snprintf(pg_schemas[npg], sizeof pg_schemas[npg], "t_%ld_%d",
             (long)getpid(), npg);
    snprintf(cfg->schema, sizeof cfg->schema, "%s", pg_schemas[npg]);
    npg++;
}

void tu_migrations(struct db_config *cfg, char *vdir, size_t n)
{
    snprintf(cfg->migrations_dir, sizeof cfg->migrations_dir,
             "%s/migrations", tu_tmpdir());
    db_migrate_versions_dir(vdir, n, cfg);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", vdir);
    ck_assert_int_eq(system(cmd), 0);
}

struct db_conn *tu_connect(const struct db_config *cfg)
{
    struct db_conn *c = NULL;
    struct db_error err;
    int rc = db_connect(&c, cfg, &err);
    ck_assert_msg(rc == 0, "connect: %s", err.message);
    return c;
}

void tu_exec(struct db_conn *c, const char *sql)
{
    struct db_error err;
    int rc = db_exec(c, sql, &err);
    ck_assert_msg(rc == 0, "%s: %s", sql, err.message);
}

long tu_long(struct db_conn *c, const char *sql)
{
    struct db_error err;
    char v[64];
    int rc = db_query_value(c, sql, 0, NULL, v, sizeof v, &err);
    ck_assert_msg(rc == 0, "%s: %s", sql, err.message);
    return strtol(v, NULL, 10);
}

char *tu_str(struct db_conn *c, const char *sql)
{
    struct db_error err;
    char v[1024];
    int rc = db_query_value(c, sql, 0, NULL, v, sizeof v, &err);
    ck_assert_msg(rc == 0, "%s: %s", sql, err.message);
    char *copy = strdup(v);
    ck_assert_ptr_nonnull(copy);
    return copy;
}

const char *tu_spell(const char *text)
{
    static char out[4096];
    app_spell(out, sizeof out, text);
    return out;
}
