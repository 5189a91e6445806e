/*
 * config.c - INI (through inih) and environment into struct db_config.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "url.h"

void db_config_defaults(struct db_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->path, sizeof cfg->path, "%s", DB_CONFIG_DEFAULT_PATH);
    cfg->phase = DB_PHASE_PREUSER;
    snprintf(cfg->phase_source, sizeof cfg->phase_source, "default");
    snprintf(cfg->url, sizeof cfg->url, "%s", DB_CONFIG_DEFAULT_URL);
    snprintf(cfg->url_source, sizeof cfg->url_source, "default");
    snprintf(cfg->schema, sizeof cfg->schema, "public");
    cfg->wait_seconds = -1;
    snprintf(cfg->migrations_dir, sizeof cfg->migrations_dir, "migrations");
    snprintf(cfg->backup_dir, sizeof cfg->backup_dir, "var/backups");
}

const char *db_phase_name(enum db_phase phase)
{
    return phase == DB_PHASE_PRODUCTION ? "production" : "pre-user";
}

int db_phase_parse(enum db_phase *out, const char *text)
{
    if (strcmp(text, "pre-user") == 0) {
        *out = DB_PHASE_PREUSER;
        return 0;
    }
    if (strcmp(text, "production") == 0) {
        *out = DB_PHASE_PRODUCTION;
        return 0;
    }
    return DB_ECONFIG;
}

int db_config_wait_seconds(const struct db_config *cfg)
{
    if (cfg->wait_seconds >= 0)
        return cfg->wait_seconds;
    return cfg->phase == DB_PHASE_PRODUCTION ? 30 : 0;
}

int db_duration_parse(int *out_ms, const char *text)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || errno || v < 0)
        return DB_ECONFIG;
    while (*end == ' ')
        end++;
    long mult;
    if (*end == '\0' || strcmp(end, "ms") == 0)
        mult = 1;
    else if (strcmp(end, "s") == 0)
        mult = 1000;
    else if (strcmp(end, "min") == 0)
        mult = 60000;
    else
        return DB_ECONFIG;
    if (v > INT_MAX / mult)
        return DB_ECONFIG;
    *out_ms = (int)(v * mult);
    return 0;
}

int db_config_int(int *out, const char *text, int lo, int hi)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end || errno || v < lo || v > hi)
        return DB_ECONFIG;
    *out = (int)v;
    return 0;
}

static int copy_value(char *dst, size_t n, const char *value)
{
    size_t len = strlen(value);
    if (len >= n)
        return DB_ECONFIG;
    memcpy(dst, value, len + 1);
    return 0;
}

/* The adapter's state: inih gives no line to the handler, so the handler
 * records the first error's text and ini_parse() returns its line. */
struct load_state {
    struct db_config *cfg;
    const struct db_config_section *sections;
    size_t nsections;
    char message[900];
    int message_line;   /* the line the handler failed on */
    int lineno;         /* lines read so far (counted by read_line) */
};

static const char *const app_keys = "phase";
static const char *const database_keys =
    "url, schema, wait_seconds, lock_timeout, statement_timeout";
static const char *const migrations_keys = "dir, backup_dir";

static int fail(struct load_state *st, const char *fmt, const char *a,
                const char *b, const char *c)
{
    if (!st->message[0]) {
        snprintf(st->message, sizeof st->message, fmt, a, b, c);
        st->message_line = st->lineno;
    }
    return 0; /* inih: zero is an error */
}

/* inih's line reader, counting lines so a handler error knows its line. */
struct line_reader {
    FILE *f;
    struct load_state *st;
};

static char *read_line(char *str, int num, void *stream)
{
    struct line_reader *r = stream;
    char *line = fgets(str, num, r->f);
    if (line)
        r->st->lineno++;
    return line;
}

static int set_database(struct load_state *st, const char *name,
                        const char *value)
{
    struct db_config *cfg = st->cfg;
    if (strcmp(name, "url") == 0) {
        struct db_url u;
        struct db_error e;
        if (copy_value(cfg->url, sizeof cfg->url, value))
            return fail(st, "%s%s%s", "[database] url is too long", "", "");
        if (db_url_parse(&u, value, &e))
            return fail(st, "%s%s%s", e.message, "", "");
        return 1;
    }
    if (strcmp(name, "schema") == 0) {
        if (!value[0] || copy_value(cfg->schema, sizeof cfg->schema, value))
            return fail(st, "bad [database] schema '%s'; accepted: a "
                            "PostgreSQL schema name of 1 to 63 bytes%s%s",
                        value, "", "");
        return 1;
    }
    if (strcmp(name, "wait_seconds") == 0) {
        if (db_config_int(&cfg->wait_seconds, value, 0, 86400))
            return fail(st, "bad [database] wait_seconds '%s'; accepted: "
                            "a whole number of seconds from 0 to 86400%s%s",
                        value, "", "");
        return 1;
    }
    if (strcmp(name, "lock_timeout") == 0 ||
        strcmp(name, "statement_timeout") == 0) {
        int *dst = name[0] == 'l' ? &cfg->lock_timeout_ms
                                  : &cfg->statement_timeout_ms;
        if (db_duration_parse(dst, value))
            return fail(st, "bad [database] %s '%s'; accepted: 0 (none) or "
                            "a duration such as 500ms, 5s, 2min%s",
                        name, value, "");
        return 1;
    }
    return fail(st, "unknown key '%s' in [database]; accepted: %s%s", name,
                database_keys, "");
}

static int handler(void *user, const char *section, const char *name,
                   const char *value)
{
    struct load_state *st = user;
    struct db_config *cfg = st->cfg;

    if (strcmp(section, "app") == 0) {
        if (strcmp(name, "phase") == 0) {
            if (db_phase_parse(&cfg->phase, value))
                return fail(st, "bad [app] phase '%s'; accepted: pre-user, "
                                "production%s%s", value, "", "");
            snprintf(cfg->phase_source, sizeof cfg->phase_source, "%s",
                     cfg->path);
            return 1;
        }
        return fail(st, "unknown key '%s' in [app]; accepted: %s%s", name,
                    app_keys, "");
    }
    if (strcmp(section, "database") == 0) {
        int ok = set_database(st, name, value);
        if (ok && strcmp(name, "url") == 0)
            snprintf(cfg->url_source, sizeof cfg->url_source, "%s",
                     cfg->path);
        return ok;
    }
    if (strcmp(section, "migrations") == 0) {
        char *dst = strcmp(name, "dir") == 0          ? cfg->migrations_dir
                    : strcmp(name, "backup_dir") == 0 ? cfg->backup_dir
                                                      : NULL;
        if (!dst)
            return fail(st, "unknown key '%s' in [migrations]; accepted: %s%s",
                        name, migrations_keys, "");
        if (!value[0] || copy_value(dst, 1024, value))
            return fail(st, "bad [migrations] %s '%s'; accepted: a directory "
                            "path%s", name, value, "");
        return 1;
    }
    for (size_t i = 0; i < st->nsections; i++) {
        const struct db_config_section *sec = &st->sections[i];
        if (strcmp(section, sec->name) != 0)
            continue;
        char why[sizeof st->message];
        if (sec->set(sec->user, name, value, why, sizeof why) == 0)
            return 1;
        return fail(st, "%s%s%s", why, "", "");
    }
    char names[sizeof st->message] = "";
    for (size_t i = 0; i < st->nsections; i++) {
        size_t len = strlen(names);
        snprintf(names + len, sizeof names - len, ", [%s]",
                 st->sections[i].name);
    }
    return fail(st, "unknown section [%s]; accepted: [app], [database], "
                    "[migrations]%s%s", section, names, "");
}

int db_config_apply_env(struct db_config *cfg, struct db_error *err)
{
    const char *v = getenv("DATABASE_URL");
    if (v && *v) {
        struct db_url u;
        if (copy_value(cfg->url, sizeof cfg->url, v))
            return db_error_set(err, DB_ECONFIG, "DATABASE_URL is too long");
        if (db_url_parse(&u, v, err)) {
            db_error_prefix(err, "DATABASE_URL");
            return DB_ECONFIG;
        }
        snprintf(cfg->url_source, sizeof cfg->url_source, "DATABASE_URL");
    }
    v = getenv("APP_PHASE");
    if (v && *v) {
        if (db_phase_parse(&cfg->phase, v))
            return db_error_set(err, DB_ECONFIG,
                                "bad APP_PHASE '%s'; accepted: pre-user, "
                                "production", v);
        snprintf(cfg->phase_source, sizeof cfg->phase_source, "APP_PHASE");
    }
    v = getenv("DEV_CREATE_TABLES");
    if (v && *v) {
        if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0 ||
            strcmp(v, "yes") == 0)
            cfg->dev_create_tables = true;
        else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0 ||
                 strcmp(v, "no") == 0)
            cfg->dev_create_tables = false;
        else
            return db_error_set(err, DB_ECONFIG,
                                "bad DEV_CREATE_TABLES '%s'; accepted: true, "
                                "false", v);
    }
    return 0;
}

/* Every section back to its defaults; cfg keeps the file's path. */
static void reset(struct db_config *cfg,
                  const struct db_config_section *sections, size_t n)
{
    char saved[sizeof cfg->path];
    memcpy(saved, cfg->path, sizeof saved);
    db_config_defaults(cfg);
    memcpy(cfg->path, saved, sizeof saved);
    for (size_t i = 0; i < n; i++)
        sections[i].defaults(sections[i].user);
}

int db_config_load(struct db_config *cfg, const char *path,
                   struct db_error *err)
{
    return db_config_load_with(cfg, path, NULL, 0, err);
}

int db_config_load_with(struct db_config *cfg, const char *path,
                        const struct db_config_section *sections,
                        size_t nsections, struct db_error *err)
{
    db_config_defaults(cfg);
    for (size_t i = 0; i < nsections; i++)
        sections[i].defaults(sections[i].user);
    if (!path || !*path)
        path = getenv("APP_CONFIG");
    if (!path || !*path)
        path = DB_CONFIG_DEFAULT_PATH;
    if (copy_value(cfg->path, sizeof cfg->path, path))
        return db_error_set(err, DB_ECONFIG, "config path is too long");

    FILE *f = fopen(path, "r");
    if (!f) {
        int e = errno;
        db_error_set(err, DB_EIO, "cannot read config file: %s", strerror(e));
        db_error_at(err, path, 0);
        db_error_hint(err, "pass an existing file with --config FILE or "
                           "APP_CONFIG=FILE");
        return DB_EIO;
    }
    struct load_state st = {.cfg = cfg, .sections = sections,
                            .nsections = nsections};
    struct line_reader reader = {f, &st};
    int rc = ini_parse_stream(read_line, &reader, handler, &st);
    fclose(f);
    if (rc != 0) {
        reset(cfg, sections, nsections);
        if (rc == -2)
            return db_error_set(err, DB_ENOMEM, "out of memory reading %s",
                                path);
        if (st.message[0] && st.message_line == rc)
            db_error_set(err, DB_ECONFIG, "%s", st.message);
        else
            db_error_set(err, DB_ECONFIG,
                         "syntax error; accepted: [section] headers and "
                         "key = value lines");
        db_error_at(err, path, rc);
        return DB_ECONFIG;
    }
    for (size_t i = 0; i < nsections; i++) {
        if (sections[i].finish && sections[i].finish(sections[i].user, err)) {
            db_error_at(err, path, 0);
            reset(cfg, sections, nsections);
            return DB_ECONFIG;
        }
    }
    return db_config_apply_env(cfg, err);
}
