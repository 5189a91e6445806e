/*
 * testutil.h - helpers for the Check suites: temporary directories, files,
 * and configs for each database the suite runs against.
 *
 * Every test works in its own directory under $TMPDIR (tu_tmpdir), never in
 * var/. Database-parametrised tests loop over tu_backend_count() backends:
 * 0 is SQLite (a file in the test's directory), 1 is PostgreSQL when
 * TEST_PG_URL is set (make check always sets it).
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <stddef.h>

#include "db/config.h"
#include "db/driver.h"

/* A new empty directory for this test; removed by tu_cleanup(). The path
 * is valid until tu_cleanup(). */
const char *tu_tmpdir(void);

/* Removes every directory made by tu_tmpdir (use as a checked teardown). */
void tu_cleanup(void);

/* Writes text to path (creating or truncating). Aborts the test on error. */
void tu_write_file(const char *path, const char *text);

/* Reads a whole file; the caller frees. NULL if unreadable. */
char *tu_read_file(const char *path);

/* Number of backends to run database tests on (1 or 2). */
int tu_backend_count(void);

/* Name of backend i: "sqlite" or "postgresql". */
const char *tu_backend_name(int i);

/*
 * Fills cfg for backend i with a fresh, empty database: SQLite, a file
 * in a new tu_tmpdir(); PostgreSQL, a new schema in the TEST_PG_URL
 * database (dropped by tu_cleanup). phase is pre-user.
 */
void tu_config_backend(struct db_config *cfg, int i);

/* Points cfg at migrations/ in a new tu_tmpdir(), makes its versions
 * directory and puts that directory's path in vdir (n bytes). */
void tu_migrations(struct db_config *cfg, char *vdir, size_t n);

/* Connects with cfg; aborts the test on failure. */
struct db_conn *tu_connect(const struct db_config *cfg);

/* Runs one statement; aborts the test on failure. */
void tu_exec(struct db_conn *c, const char *sql);

/* First column of the first row as a long; aborts on failure. */
long tu_long(struct db_conn *c, const char *sql);

/* First column of the first row as a malloc'd string; aborts on failure. */
char *tu_str(struct db_conn *c, const char *sql);

/* text as the user reads it: the library's fix words ({db}, {reset}, ...)
 * spelled as the CLI spells them (app_spell); a static buffer, valid until
 * the next call. */
const char *tu_spell(const char *text);

#endif /* TESTUTIL_H */
