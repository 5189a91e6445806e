/*
 * pidfile.c - write, read and remove the pidfile.
 */
#include "pidfile.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

long http_pidfile_read(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    long pid = 0;
    if (fscanf(f, "%ld", &pid) != 1 || pid <= 0)
        pid = 0;
    fclose(f);
    return pid;
}

static int make_parents(const char *path, struct db_error *err)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0775) != 0 && errno != EEXIST)
            return db_error_set(err, DB_EIO, "cannot create directory %s: %s",
                                dir, strerror(errno));
        *p = '/';
    }
    return 0;
}

static int write_pid(const char *path, int take_over, struct db_error *err)
{
    long old = http_pidfile_read(path);
    if (!take_over && old > 0 && old != (long)getpid() &&
        (kill((pid_t)old, 0) == 0 || errno == EPERM)) {
        db_error_set(err, DB_EEXISTS,
                     "pidfile %s names process %ld, which is running", path,
                     old);
        db_error_hint(err, "stop it first, or give this instance its own "
                           "--pidfile");
        return DB_EEXISTS;
    }
    int rc = make_parents(path, err);
    if (rc)
        return rc;
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return db_error_set(err, DB_EIO, "cannot write pidfile %s: %s", tmp,
                            strerror(errno));
    int bad = fprintf(f, "%ld\n", (long)getpid()) < 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        return db_error_set(err, DB_EIO, "cannot write pidfile %s: %s", path,
                            strerror(e));
    }
    return 0;
}

int http_pidfile_write(const char *path, struct db_error *err)
{
    return write_pid(path, 0, err);
}

int http_pidfile_take_over(const char *path, struct db_error *err)
{
    return write_pid(path, 1, err);
}

int http_pidfile_remove(const char *path)
{
    if (http_pidfile_read(path) != (long)getpid())
        return -1;
    return remove(path) == 0 ? 0 : -1;
}
