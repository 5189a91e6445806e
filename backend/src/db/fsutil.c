/*
 * fsutil.c - file-system helpers.
 */
#include "fsutil.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int db_mkdirs(const char *dir, struct db_error *err)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return db_error_set(err, DB_EIO, "directory name too long: %s", dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0775) && errno != EEXIST)
            goto fail;
        *p = '/';
    }
    if (path[0] && mkdir(path, 0775) && errno != EEXIST)
        goto fail;
    return 0;
fail:
    return db_error_set(err, DB_EIO, "cannot create directory %s: %s", path,
                        strerror(errno));
}

int db_mkdirs_for(const char *path, struct db_error *err)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = '\0';
    return db_mkdirs(dir, err);
}
