/*
 * fsutil.h - file-system helpers shared by the library.
 */
#ifndef DB_FSUTIL_H
#define DB_FSUTIL_H

#include "error.h"

/* Creates dir and its missing parents (mkdir -p), mode 0775.
 * Returns 0 or DB_EIO naming the directory that could not be made. */
int db_mkdirs(const char *dir, struct db_error *err);

/* db_mkdirs for the directory part of path; nothing for a bare name. */
int db_mkdirs_for(const char *path, struct db_error *err);

#endif /* DB_FSUTIL_H */
