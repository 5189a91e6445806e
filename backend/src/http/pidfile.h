/*
 * pidfile.h - the server's pid in a file, for deploy's restart.
 */
#ifndef HTTP_PIDFILE_H
#define HTTP_PIDFILE_H

#include "../db/error.h"

/*
 * Writes this process's pid and a newline to path, creating missing parent
 * directories, by rename so readers never see a partial file. A file left by
 * a process that is gone is replaced. Returns 0, DB_EEXISTS when the file
 * names another running process (the message gives its pid) or DB_EIO.
 */
int http_pidfile_write(const char *path, struct db_error *err);

/*
 * Like http_pidfile_write, but a file naming another running process is
 * replaced too: a process sharing the port (serve --reuse-port) takes over
 * from the one it replaces, which then leaves the file alone when it
 * stops (http_pidfile_remove removes only its own).
 */
int http_pidfile_take_over(const char *path, struct db_error *err);

/* Removes path if it still names this process. Returns 0, or -1 when it
 * was left alone (another pid, or missing). */
int http_pidfile_remove(const char *path);

/* The pid in path, or 0 when missing or unreadable. */
long http_pidfile_read(const char *path);

#endif /* HTTP_PIDFILE_H */
