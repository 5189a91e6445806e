/*
 * settings.h - the app's own sections of the INI file.
 *
 * The library's config (db/config.h) reads [app], [database] and
 * [migrations]; [server] (`app serve`) and [auth] (accounts in the HTTP
 * API) belong to the app and are read here, from the same file, through
 * db_config_load_with.
 */
#ifndef APP_SETTINGS_H
#define APP_SETTINGS_H

#include "db/config.h"
#include "db/error.h"

/* [server] log: what `serve` writes to stderr. */
enum app_server_log {
    APP_SERVER_LOG_OFF = 0,       /* failures and warnings only */
    APP_SERVER_LOG_REQUESTS = 1,  /* + start-up steps, one line per request */
    APP_SERVER_LOG_DEBUG = 2,     /* + every failed reconnection attempt */
};

struct app_settings {
    char path[1024];            /* the INI file read, for messages */

    char server_bind[256];      /* [server] bind, "127.0.0.1" */
    int server_port;            /* [server] port, 8000 */
    char server_pidfile[1024];  /* [server] pidfile, "var/app.pid" */
    enum app_server_log server_log;  /* [server] log, requests */

    /* [auth]: accounts in the HTTP API (http/auth.h) */
    unsigned long long auth_ops_limit;  /* ops_limit; 0: libsodium's
                                           interactive limit */
    unsigned long long auth_mem_limit;  /* mem_limit in bytes; 0: libsodium's
                                           interactive limit */
    int auth_session_hours;             /* session_hours, 24 */
    int auth_password_min;              /* password_min_length, 8 */
    int auth_password_max;              /* password_max_length, 128 */
    int auth_max_failures;              /* max_failures, 5 */
    int auth_failure_window;            /* failure_window in seconds, 900 */
};

/* Fills s with the built-in defaults. */
void app_settings_defaults(struct app_settings *s);

/*
 * Reads the configuration file (as db_config_load: NULL path means
 * $APP_CONFIG, else config/app.ini) into the library's cfg and the app's
 * s, then applies the environment. Returns 0, DB_ECONFIG or DB_EIO, with
 * err naming the file and line.
 */
int app_config_load(struct db_config *cfg, struct app_settings *s,
                    const char *path, struct db_error *err);

#endif /* APP_SETTINGS_H */
