/*
 * settings.c - [server] and [auth], read for the app from the INI file.
 */
#include "settings.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void app_settings_defaults(struct app_settings *s)
{
    char path[sizeof s->path];
    memcpy(path, s->path, sizeof path);
    memset(s, 0, sizeof *s);
    memcpy(s->path, path, sizeof path);
    snprintf(s->server_bind, sizeof s->server_bind, "127.0.0.1");
    s->server_port = 8000;
    snprintf(s->server_pidfile, sizeof s->server_pidfile, "var/app.pid");
    s->server_log = APP_SERVER_LOG_REQUESTS;
    s->auth_session_hours = 24;
    s->auth_password_min = 8;
    s->auth_password_max = 128;
    s->auth_max_failures = 5;
    s->auth_failure_window = 900;
}

static void defaults(void *user)
{
    app_settings_defaults(user);
}

static int copy_value(char *dst, size_t n, const char *value)
{
    size_t len = strlen(value);
    if (!len || len >= n)
        return -1;
    memcpy(dst, value, len + 1);
    return 0;
}

static int set_server(void *user, const char *name, const char *value,
                      char *why, size_t n)
{
    struct app_settings *s = user;
    if (strcmp(name, "port") == 0) {
        if (db_config_int(&s->server_port, value, 1, 65535))
            goto bad;
        return 0;
    }
    if (strcmp(name, "bind") == 0) {
        if (copy_value(s->server_bind, sizeof s->server_bind, value))
            goto bad;
        return 0;
    }
    if (strcmp(name, "pidfile") == 0) {
        if (copy_value(s->server_pidfile, sizeof s->server_pidfile, value))
            goto bad;
        return 0;
    }
    if (strcmp(name, "log") == 0) {
        if (strcmp(value, "off") == 0)
            s->server_log = APP_SERVER_LOG_OFF;
        else if (strcmp(value, "requests") == 0)
            s->server_log = APP_SERVER_LOG_REQUESTS;
        else if (strcmp(value, "debug") == 0)
            s->server_log = APP_SERVER_LOG_DEBUG;
        else
            goto bad;
        return 0;
    }
    snprintf(why, n, "unknown key '%s' in [server]; accepted: bind, port, "
                     "pidfile, log", name);
    return -1;
bad:;
    static const struct {
        const char *key, *accepted;
    } accepted[] = {
        {"port", "1 to 65535"},
        {"bind", "an IPv4 or IPv6 address"},
        {"pidfile", "a file path"},
        {"log", "off, requests, debug"},
    };
    for (size_t i = 0; i < sizeof accepted / sizeof accepted[0]; i++)
        if (strcmp(name, accepted[i].key) == 0)
            snprintf(why, n, "bad [server] %s '%s'; accepted: %s", name,
                     value, accepted[i].accepted);
    return -1;
}

/* A size in bytes: "65536", "64KiB", "64MiB", "1GiB", within [lo, hi]. */
static int parse_size(unsigned long long *out, const char *text,
                      unsigned long long lo, unsigned long long hi)
{
    char *end;
    errno = 0;
    if (text[0] < '0' || text[0] > '9')
        return -1;
    unsigned long long v = strtoull(text, &end, 10);
    if (end == text || errno)
        return -1;
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
        return -1;
    if (v > hi / mult || v * mult < lo)
        return -1;
    *out = v * mult;
    return 0;
}

static int set_auth(void *user, const char *name, const char *value,
                    char *why, size_t n)
{
    struct app_settings *s = user;
    if (strcmp(name, "ops_limit") == 0) {
        int v;
        if (db_config_int(&v, value, 1, 1000)) {
            snprintf(why, n, "bad [auth] ops_limit '%s'; accepted: Argon2 "
                             "passes, 1 to 1000 (libsodium's interactive "
                             "limit is 2)", value);
            return -1;
        }
        s->auth_ops_limit = (unsigned long long)v;
        return 0;
    }
    if (strcmp(name, "mem_limit") == 0) {
        if (parse_size(&s->auth_mem_limit, value, 8192, 4ULL << 30)) {
            snprintf(why, n, "bad [auth] mem_limit '%s'; accepted: bytes, "
                             "KiB, MiB or GiB from 8KiB to 4GiB (libsodium's "
                             "interactive limit is 64MiB)", value);
            return -1;
        }
        return 0;
    }
    if (strcmp(name, "session_hours") == 0) {
        if (db_config_int(&s->auth_session_hours, value, 1, 8760)) {
            snprintf(why, n, "bad [auth] session_hours '%s'; accepted: 1 to "
                             "8760", value);
            return -1;
        }
        return 0;
    }
    if (strcmp(name, "password_min_length") == 0 ||
        strcmp(name, "password_max_length") == 0) {
        int *dst = strstr(name, "min") ? &s->auth_password_min
                                       : &s->auth_password_max;
        if (db_config_int(dst, value, 1, 1024)) {
            snprintf(why, n, "bad [auth] %s '%s'; accepted: characters, 1 "
                             "to 1024", name, value);
            return -1;
        }
        return 0;
    }
    if (strcmp(name, "max_failures") == 0) {
        if (db_config_int(&s->auth_max_failures, value, 1, 1000)) {
            snprintf(why, n, "bad [auth] max_failures '%s'; accepted: 1 to "
                             "1000", value);
            return -1;
        }
        return 0;
    }
    if (strcmp(name, "failure_window") == 0) {
        int ms;
        if (db_duration_parse(&ms, value) || ms < 1000 || ms > 86400000) {
            snprintf(why, n, "bad [auth] failure_window '%s'; accepted: a "
                             "duration from 1s to 1440min, such as 30s or "
                             "15min", value);
            return -1;
        }
        s->auth_failure_window = (ms + 999) / 1000;
        return 0;
    }
    snprintf(why, n, "unknown key '%s' in [auth]; accepted: ops_limit, "
                     "mem_limit, session_hours, password_min_length, "
                     "password_max_length, max_failures, failure_window",
             name);
    return -1;
}

static int finish_auth(void *user, struct db_error *err)
{
    const struct app_settings *s = user;
    if (s->auth_password_min <= s->auth_password_max)
        return 0;
    db_error_set(err, DB_ECONFIG,
                 "[auth] password_min_length (%d) is greater than "
                 "password_max_length (%d)", s->auth_password_min,
                 s->auth_password_max);
    db_error_hint(err, "raise password_max_length or lower "
                       "password_min_length");
    return DB_ECONFIG;
}

int app_config_load(struct db_config *cfg, struct app_settings *s,
                    const char *path, struct db_error *err)
{
    const struct db_config_section sections[] = {
        {.name = "server", .user = s, .defaults = defaults,
         .set = set_server},
        {.name = "auth", .user = s, .defaults = defaults, .set = set_auth,
         .finish = finish_auth},
    };
    int rc = db_config_load_with(cfg, path, sections,
                                 sizeof sections / sizeof sections[0], err);
    snprintf(s->path, sizeof s->path, "%s", cfg->path);
    return rc;
}
