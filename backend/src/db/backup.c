/*
 * backup.c - timestamped backups through the driver's backup op.
 */
#include "backup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "url.h"
#include "fsutil.h"


int db_backup(char *out, size_t n, struct db_conn *c, const char *dir,
              struct db_error *err)
{
    if (!c->driver->backup)
        return db_error_set(err, DB_ENOTFOUND,
                            "the %s driver cannot take backups",
                            c->driver->name);
    struct db_url u;
    int rc = db_url_parse(&u, c->cfg->url, err);
    if (rc)
        return rc;
    const char *base = "database";
    const struct db_dialect_ops *x = db_dialect_get(c->driver->dialect);
    const char *ext = x->backup_ext;
    if (x->backup_named_by_file) {
        const char *slash = strrchr(u.path, '/');
        base = slash ? slash + 1 : u.path;
        if (strcmp(base, ":memory:") == 0)
            base = "memory";
    }
    char name[256];
    snprintf(name, sizeof name, "%s", base);
    char *dot = strrchr(name, '.');
    if (dot && dot != name)
        *dot = '\0';
    if ((rc = db_mkdirs(dir, err)))
        return rc;

    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    /* Never overwrite an earlier backup: add -2, -3, ... within a second.
     * The name is reserved by creating the file exclusively, so processes
     * backing up at the same moment never share one. */
    for (int k = 1; k < 1000; k++) {
        if (k == 1)
            snprintf(out, n, "%s/%s-%s.%s", dir, name, stamp, ext);
        else
            snprintf(out, n, "%s/%s-%s-%d.%s", dir, name, stamp, k, ext);
        int fd = open(out, O_WRONLY | O_CREAT | O_EXCL, 0640);
        if (fd < 0 && errno == EEXIST)
            continue;
        if (fd < 0)
            return db_error_set(err, DB_EIO, "cannot create backup %s: %s",
                                out, strerror(errno));
        close(fd);
        rc = c->driver->backup(c, out, err);
        if (rc)
            remove(out);
        return rc;
    }
    return db_error_set(err, DB_EIO, "too many backups in %s this second", dir);
}
