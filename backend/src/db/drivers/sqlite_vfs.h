/*
 * sqlite_vfs.h - the SQLite driver's VFS: the system's, with each WAL
 * frame written in one system call (sqlite_vfs.c).
 */
#ifndef DB_SQLITE_VFS_H
#define DB_SQLITE_VFS_H

#include <sqlite3.h>

/* Registers it as the default VFS, once (not thread-safe: call it under
 * the driver's pthread_once). Returns an SQLite result code. */
int db_sqlite_vfs_register(void);

#endif /* DB_SQLITE_VFS_H */
