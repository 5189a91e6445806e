/*
 * fuzz_config.c - the INI configuration with the environment overrides.
 *
 * The input is the INI file, then, after each NUL byte, the values of
 * DATABASE_URL, APP_PHASE and DEV_CREATE_TABLES in that order (a variable
 * with no part is unset). The file is written to one temporary file per
 * process and loaded as the app loads it; the result must be either a
 * complete configuration or an error that names what is wrong.
 */
#include <unistd.h>

#include "db/config.h"
#include "db/url.h"
#include "settings.h"
#include "fuzz.h"

static char ini_path[4096];

static void remove_ini(void)
{
    if (ini_path[0])
        unlink(ini_path);
}

static const char *temp_ini(void)
{
    if (ini_path[0])
        return ini_path;
    const char *tmp = getenv("TMPDIR");
    snprintf(ini_path, sizeof ini_path, "%s/fuzz-config-XXXXXX.ini",
             tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemps(ini_path, 4);
    FUZZ_ASSERT(fd >= 0);
    close(fd);
    atexit(remove_ini);
    return ini_path;
}

static const char *const env_names[] = {"DATABASE_URL", "APP_PHASE",
                                        "DEV_CREATE_TABLES"};

/* "NAME=value" for each variable, handed to putenv: the environment then
 * points into these buffers, so changing a value allocates nothing
 * (setenv would keep every value ever set, growing by each input). */
static char env_bufs[3][8192];

static void set_env(size_t i, const uint8_t *value, size_t len)
{
    size_t n = strlen(env_names[i]) + 1;
    if (len > sizeof env_bufs[i] - n - 1)
        len = sizeof env_bufs[i] - n - 1;
    unsetenv(env_names[i]);
    snprintf(env_bufs[i], sizeof env_bufs[i], "%s=", env_names[i]);
    memcpy(env_bufs[i] + n, value, len);
    env_bufs[i][n + len] = '\0';
    FUZZ_ASSERT(putenv(env_bufs[i]) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *parts[4];
    size_t lens[4];
    size_t n = fuzz_split(parts, lens, 4, data, size, '\0');

    const char *path = temp_ini();
    FILE *f = fopen(path, "wb");
    FUZZ_ASSERT(f != NULL);
    FUZZ_ASSERT(fwrite(parts[0], 1, lens[0], f) == lens[0]);
    FUZZ_ASSERT(fclose(f) == 0);

    for (size_t i = 0; i < 3; i++) {
        if (i + 1 < n) {
            set_env(i, parts[i + 1], lens[i + 1]);
        } else {
            unsetenv(env_names[i]);
        }
    }

    struct db_config cfg;
    struct app_settings settings;
    struct db_error err;
    int rc = app_config_load(&cfg, &settings, path, &err);
    FUZZ_ASSERT(rc == 0 || rc == DB_ECONFIG || rc == DB_ENOMEM);
    if (rc == 0) {
        /* What the app does next with a loaded configuration. */
        struct db_url u;
        FUZZ_ASSERT(db_url_parse(&u, cfg.url, &err) == 0);
        char masked[sizeof cfg.url + 16];
        db_url_mask(masked, sizeof masked, cfg.url);
        FUZZ_ASSERT(cfg.phase == DB_PHASE_PREUSER ||
                    cfg.phase == DB_PHASE_PRODUCTION);
        FUZZ_ASSERT(db_config_wait_seconds(&cfg) >= 0);
        FUZZ_ASSERT(settings.server_port >= 1 &&
                    settings.server_port <= 65535 &&
                    settings.auth_password_min <=
                        settings.auth_password_max);
        FUZZ_ASSERT(cfg.lock_timeout_ms >= 0 &&
                    cfg.statement_timeout_ms >= 0);
        (void)db_phase_name(cfg.phase);
    } else {
        FUZZ_ASSERT(err.message[0] != '\0');
        char line[2048];
        db_error_format(line, sizeof line, &err);
    }
    for (size_t i = 0; i < 3; i++)
        unsetenv(env_names[i]);
    return 0;
}
