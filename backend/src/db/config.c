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
    snprintf(cfg->server_bind, sizeof cfg->server_bind, "127.0.0.1");
    cfg->server_port = 8000;
    snprintf(cfg->server_pidfile, sizeof cfg->server_pidfile, "var/app.pid");
    cfg->auth_session_hours = 24;
    cfg->auth_password_min = 8;
    cfg->auth_password_max = 128;
    cfg->auth_max_failures = 5;
    cfg->auth_failure_window = 900;
    cfg->server_log = DB_SERVER_LOG_REQUESTS;
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

static int parse_int(int *out, const char *text, int lo, int hi)
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
    char message[900];
    int message_line;   /* the line the handler failed on */
    int lineno;         /* lines read so far (counted by read_line) */
};

static const char *const app_keys = "phase";
static const char *const database_keys =
    "url, schema, wait_seconds, lock_timeout, statement_timeout";
static const char *const migrations_keys = "dir, backup_dir";
static const char *const server_keys = "bind, port, pidfile, log";
static const char *const auth_keys =
    "ops_limit, mem_limit, session_hours, password_min_length, "
    "password_max_length, max_failures, failure_window";

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
        if (parse_int(&cfg->wait_seconds, value, 0, 86400))
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

/* A size in bytes: "65536", "64KiB", "64MiB", "1GiB", within [lo, hi]. */
static int parse_size(unsigned long long *out, const char *text,
                      unsigned long long lo, unsigned long long hi)
{
    char *end;
    errno = 0;
    if (text[0] < '0' || text[0] > '9')
        return DB_ECONFIG;
    unsigned long long v = strtoull(text, &end, 10);
    if (end == text || errno)
        return DB_ECONFIG;
    while (*end == ' ')
        end++;
    unsigned long long mult = 1;
    if (strcmp(end, "KiB") == 0)
        mult = 1ULL << 10;
    else if (strcmp(end, "MiB") == 0)
        mult = 1ULL << 20;
    else if (strcmp(end, "GiB") == 0)
        mult = 1ULL << 30;
    else if (*end)
        return DB_ECONFIG;
    if (v > hi / mult || v * mult < lo)
        return DB_ECONFIG;
    *out = v * mult;
    return 0;
}

static int set_auth(struct load_state *st, const char *name,
                    const char *value)
{
    struct db_config *cfg = st->cfg;
    if (strcmp(name, "ops_limit") == 0) {
        int v;
        if (parse_int(&v, value, 1, 1000))
            return fail(st, "bad [auth] ops_limit '%s'; accepted: Argon2 "
                            "passes, 1 to 1000 (libsodium's interactive "
                            "limit is 2)%s%s", value, "", "");
        cfg->auth_ops_limit = (unsigned long long)v;
        return 1;
    }
    if (strcmp(name, "mem_limit") == 0) {
        if (parse_size(&cfg->auth_mem_limit, value, 8192, 4ULL << 30))
            return fail(st, "bad [auth] mem_limit '%s'; accepted: bytes, "
                            "KiB, MiB or GiB from 8KiB to 4GiB (libsodium's "
                            "interactive limit is 64MiB)%s%s", value, "", "");
        return 1;
    }
    if (strcmp(name, "session_hours") == 0) {
        if (parse_int(&cfg->auth_session_hours, value, 1, 8760))
            return fail(st, "bad [auth] session_hours '%s'; accepted: 1 to "
                            "8760%s%s", value, "", "");
        return 1;
    }
    if (strcmp(name, "password_min_length") == 0 ||
        strcmp(name, "password_max_length") == 0) {
        int *dst = strstr(name, "min") ? &cfg->auth_password_min
                                       : &cfg->auth_password_max;
        if (parse_int(dst, value, 1, 1024))
            return fail(st, "bad [auth] %s '%s'; accepted: characters, 1 to "
                            "1024%s", name, value, "");
        return 1;
    }
    if (strcmp(name, "max_failures") == 0) {
        if (parse_int(&cfg->auth_max_failures, value, 1, 1000))
            return fail(st, "bad [auth] max_failures '%s'; accepted: 1 to "
                            "1000%s%s", value, "", "");
        return 1;
    }
    if (strcmp(name, "failure_window") == 0) {
        int ms;
        if (db_duration_parse(&ms, value) || ms < 1000 || ms > 86400000)
            return fail(st, "bad [auth] failure_window '%s'; accepted: a "
                            "duration from 1s to 1440min, such as 30s or "
                            "15min%s%s", value, "", "");
        cfg->auth_failure_window = (ms + 999) / 1000;
        return 1;
    }
    return fail(st, "unknown key '%s' in [auth]; accepted: %s%s", name,
                auth_keys, "");
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
    if (strcmp(section, "server") == 0) {
        if (strcmp(name, "port") == 0) {
            if (parse_int(&cfg->server_port, value, 1, 65535))
                return fail(st, "bad [server] port '%s'; accepted: 1 to "
                                "65535%s%s", value, "", "");
            return 1;
        }
        if (strcmp(name, "bind") == 0) {
            if (!value[0] ||
                copy_value(cfg->server_bind, sizeof cfg->server_bind, value))
                return fail(st, "bad [server] bind '%s'; accepted: an IPv4 "
                                "or IPv6 address%s%s", value, "", "");
            return 1;
        }
        if (strcmp(name, "pidfile") == 0) {
            if (!value[0] || copy_value(cfg->server_pidfile,
                                        sizeof cfg->server_pidfile, value))
                return fail(st, "bad [server] pidfile '%s'; accepted: a file "
                                "path%s%s", value, "", "");
            return 1;
        }
        if (strcmp(name, "log") == 0) {
            if (strcmp(value, "off") == 0)
                cfg->server_log = DB_SERVER_LOG_OFF;
            else if (strcmp(value, "requests") == 0)
                cfg->server_log = DB_SERVER_LOG_REQUESTS;
            else if (strcmp(value, "debug") == 0)
                cfg->server_log = DB_SERVER_LOG_DEBUG;
            else
                return fail(st, "bad [server] log '%s'; accepted: off, "
                                "requests, debug%s%s", value, "", "");
            return 1;
        }
        return fail(st, "unknown key '%s' in [server]; accepted: %s%s", name,
                    server_keys, "");
    }
    if (strcmp(section, "auth") == 0)
        return set_auth(st, name, value);
    return fail(st, "unknown section [%s]; accepted: [app], [database], "
                    "[migrations], [server], [auth]%s%s", section, "", "");
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

int db_config_load(struct db_config *cfg, const char *path,
                   struct db_error *err)
{
    db_config_defaults(cfg);
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
    struct load_state st = {.cfg = cfg};
    struct line_reader reader = {f, &st};
    int rc = ini_parse_stream(read_line, &reader, handler, &st);
    fclose(f);
    if (rc != 0) {
        char saved[sizeof cfg->path];
        memcpy(saved, cfg->path, sizeof saved);
        db_config_defaults(cfg);
        memcpy(cfg->path, saved, sizeof saved);
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
    if (cfg->auth_password_min > cfg->auth_password_max) {
        db_error_set(err, DB_ECONFIG,
                     "[auth] password_min_length (%d) is greater than "
                     "password_max_length (%d)", cfg->auth_password_min,
                     cfg->auth_password_max);
        db_error_at(err, path, 0);
        db_error_hint(err, "raise password_max_length or lower "
                           "password_min_length");
        char saved[sizeof cfg->path];
        memcpy(saved, cfg->path, sizeof saved);
        db_config_defaults(cfg);
        memcpy(cfg->path, saved, sizeof saved);
        return DB_ECONFIG;
    }
    return db_config_apply_env(cfg, err);
}
