/*
 * backup.h - a copy of the database before anything changes it.
 */
#ifndef DB_BACKUP_H
#define DB_BACKUP_H

#include <stddef.h>

#include "driver.h"
#include "error.h"

/*
 * Copies the database into a new file under dir (created if missing),
 * named <database>-<UTC time>.<ext>, and puts its path in out.
 * Returns 0, DB_EIO, or DB_ENOTFOUND when the driver cannot back up
 * (e.g. pg_dump is not installed): the caller decides whether to warn.
 */
int db_backup(char *out, size_t n, struct db_conn *c, const char *dir,
              struct db_error *err);

#endif /* DB_BACKUP_H */
