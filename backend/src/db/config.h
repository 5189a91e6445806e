/*
 * config.h - the INI file and the environment, read into one struct.
 *
 * Precedence: built-in defaults < the INI file < the environment
 * (DATABASE_URL, APP_PHASE, DEV_CREATE_TABLES). The file is
 * config/app.ini unless the caller names another (the app takes --config
 * FILE or APP_CONFIG).
 */
#ifndef DB_CONFIG_H
#define DB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define DB_CONFIG_DEFAULT_PATH "config/app.ini"

enum db_phase {
    DB_PHASE_PREUSER = 0,
    DB_PHASE_PRODUCTION = 1,
};

/* Whether connecting may create a SQLite database file that does not
 * exist. Its directory is never created, except var/ for the default URL
 * (DB_CONFIG_DEFAULT_URL). */
enum db_create {
    DB_CREATE_BY_PHASE = 0,  /* pre-user: create it; production: refuse */
    DB_CREATE_YES,           /* create it (--create-database) */
    DB_CREATE_NO,            /* never (a backup has nothing to copy) */
};

#define DB_CONFIG_DEFAULT_URL "sqlite:///var/app.db"

/* How long a write waits for SQLite's write lock when [database]
 * lock_timeout is 0 (SQLite has no "no timeout"). */
#define DB_LOCK_WAIT_DEFAULT_MS 30000

struct db_config {
    char path[1024];            /* the INI file read */

    enum db_phase phase;        /* [app] phase */
    char phase_source[1100];    /* "config/app.ini:2", "APP_PHASE", "default" */

    char url[2048];             /* [database] url; "" = libpq environment */
    char url_source[1100];      /* where url came from, as phase_source */
    char schema[64];            /* [database] schema (PostgreSQL), "public" */
    int wait_seconds;           /* [database] wait_seconds; -1 = by phase */
    int lock_timeout_ms;        /* [database] lock_timeout, 0 = none
                                   (SQLite: db_config_lock_wait_ms) */
    int statement_timeout_ms;   /* [database] statement_timeout, 0 = none */

    char migrations_dir[1024];  /* [migrations] dir, "migrations" */
    char backup_dir[1024];      /* [migrations] backup_dir, "var/backups" */

    bool dev_create_tables;     /* DEV_CREATE_TABLES=true (environment only):
                                   pre-user fallback to create-all when
                                   migrations fail; refused in production */
    enum db_create create;      /* set by commands, never by the INI or the
                                   environment */
};

/* How long a write may wait for the write lock where waiting cannot be
 * unbounded (SQLite's busy timeout, a server's queue of writes):
 * [database] lock_timeout, else DB_LOCK_WAIT_DEFAULT_MS. */
static inline int db_config_lock_wait_ms(const struct db_config *cfg)
{
    return cfg->lock_timeout_ms > 0 ? cfg->lock_timeout_ms
                                    : DB_LOCK_WAIT_DEFAULT_MS;
}

/* Fills cfg with the built-in defaults. */
void db_config_defaults(struct db_config *cfg);

/*
 * Reads the INI file at path (NULL: $APP_CONFIG, else config/app.ini), then
 * applies the environment. On failure err names the file and line, what is
 * wrong and what is accepted; cfg is left with defaults.
 * Returns 0, DB_ECONFIG (bad content) or DB_EIO (unreadable file).
 */
int db_config_load(struct db_config *cfg, const char *path,
                   struct db_error *err);

/*
 * A section of the same file that the library does not read: the
 * application's own ([server], [auth]), handed to it key by key.
 */
struct db_config_section {
    const char *name;   /* "server", for [server] */
    void *user;         /* passed to every callback */
    /* Back to the section's defaults (before reading, and after a failure). */
    void (*defaults)(void *user);
    /* Sets key = value: 0, or -1 with one line in why saying what is wrong
     * and what is accepted ("unknown key 'x' in [server]; accepted: ..."). */
    int (*set)(void *user, const char *key, const char *value, char *why,
               size_t n);
    /* After the whole file (NULL: nothing to check): 0, or DB_ECONFIG with
     * err's message and hint set; the library adds the file. */
    int (*finish)(void *user, struct db_error *err);
};

/* db_config_load, with nsections more sections read into their owners;
 * an unknown section's message lists them after the library's own. */
int db_config_load_with(struct db_config *cfg, const char *path,
                        const struct db_config_section *sections,
                        size_t nsections, struct db_error *err);

/* Applies DATABASE_URL, APP_PHASE and DEV_CREATE_TABLES (true/false,
 * 1/0, yes/no). Returns 0 or DB_ECONFIG. */
int db_config_apply_env(struct db_config *cfg, struct db_error *err);

/* "pre-user" or "production". */
const char *db_phase_name(enum db_phase phase);

/* Parses "pre-user"/"production". Returns 0 or DB_ECONFIG. */
int db_phase_parse(enum db_phase *out, const char *text);

/* Effective wait: wait_seconds, or 0 (pre-user) / 30 (production). */
int db_config_wait_seconds(const struct db_config *cfg);

/*
 * Parses a duration as PostgreSQL writes it: "0", "250ms", "5s", "2min",
 * a bare number meaning milliseconds. Returns 0 or DB_ECONFIG.
 */
int db_duration_parse(int *out_ms, const char *text);

/* A whole decimal number in [lo, hi]. Returns 0 or DB_ECONFIG. */
int db_config_int(int *out, const char *text, int lo, int hi);

#endif /* DB_CONFIG_H */
