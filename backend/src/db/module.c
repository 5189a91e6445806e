/*
 * module.c - dlopen()ed modules, found beside the binary.
 */
#include "module.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The directory of the running binary, from /proc/self/exe. */
static int exe_dir(char *out, size_t n)
{
    char path[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", path, sizeof path - 1);
    if (len <= 0)
        return -1;
    path[len] = '\0';
    char *slash = strrchr(path, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    snprintf(out, n, "%s", path);
    return 0;
}

int db_module_symbol(void **out, const char *name, const char *symbol,
                     struct db_error *err)
{
    /* Linked in already (test binaries, or a second call). */
    void *p = dlsym(RTLD_DEFAULT, symbol);
    if (p) {
        *out = p;
        return 0;
    }
    char dirs[3][PATH_MAX];
    int ndirs = 0;
    const char *env = getenv("APP_MODULE_DIR");
    if (env && *env)
        snprintf(dirs[ndirs++], PATH_MAX, "%s", env);
    char exe[PATH_MAX];
    if (exe_dir(exe, sizeof exe) == 0) {
        snprintf(dirs[ndirs++], PATH_MAX, "%s/modules", exe);
        snprintf(dirs[ndirs++], PATH_MAX, "%s/../lib/app", exe);
    }
    char tried[3 * PATH_MAX + 16] = "";
    char last_error[512] = "";
    for (int i = 0; i < ndirs; i++) {
        char path[PATH_MAX + 64];
        snprintf(path, sizeof path, "%s/%s.so", dirs[i], name);
        if (access(path, R_OK) != 0) {
            size_t len = strlen(tried);
            snprintf(tried + len, sizeof tried - len, "%s%s", len ? ", " : "",
                     path);
            continue;
        }
        void *h = dlopen(path, RTLD_LAZY | RTLD_GLOBAL);
        if (!h) {
            const char *e = dlerror();
            snprintf(last_error, sizeof last_error, "%s", e ? e : "unknown");
            continue;
        }
        p = dlsym(h, symbol);
        if (p) {
            *out = p;
            return 0;
        }
        snprintf(last_error, sizeof last_error, "%s has no %s", path, symbol);
    }
    db_error_set(err, DB_ENOTFOUND, "cannot load the %s module: %s", name,
                 last_error[0] ? last_error : "not found");
    db_error_hint(err, "looked in %s; build it with 'make' or set "
                       "APP_MODULE_DIR", tried[0] ? tried : "no directory");
    return DB_ENOTFOUND;
}

/*
 * GnuTLS initialises itself from a constructor when it is loaded, unless
 * the program defines this function to return nonzero (the documented
 * GNUTLS_SKIP_GLOBAL_INIT). It comes in beneath the postgresql module by
 * way of libpq's LDAP support, which the app never uses for a plain
 * connection, and that constructor (building GnuTLS's ASN.1 tables,
 * reading its system configuration) cost about 0.4 ms of a 14 ms no-op
 * start-up, measured. The libraries that do use GnuTLS call
 * gnutls_global_init() themselves before they do: libldap for an LDAP
 * lookup, libmicrohttpd under the http module.
 */
int _gnutls_global_init_skip(void);
int _gnutls_global_init_skip(void)
{
    return 1;
}
