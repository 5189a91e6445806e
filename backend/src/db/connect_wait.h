/*
 * connect_wait.h - connecting to a database that may not be up yet.
 *
 * Deploys often start the app before the database server: a connection
 * that fails because the server is not reachable (DB_ECONNECT) is retried
 * with backoff until wait_seconds have passed. Failures that waiting cannot
 * fix (a refused login, a bad URL: DB_EREFUSED, DB_ECONFIG) return at once.
 */
#ifndef DB_CONNECT_WAIT_H
#define DB_CONNECT_WAIT_H

#include "config.h"
#include "driver.h"
#include "error.h"

/*
 * Like db_connect, retrying for up to wait_seconds (0: one attempt).
 * Delays start at 50 ms and double up to 2 s, never past the deadline.
 * *attempts (may be NULL) receives the number of attempts made.
 * On giving up, err says how long it waited and the last failure, on one
 * line, with a hint naming [database] wait_seconds.
 * Returns 0, DB_ECONNECT, DB_EREFUSED, DB_ECONFIG or another db_connect
 * error.
 */
int db_connect_wait(struct db_conn **out, const struct db_config *cfg,
                    int wait_seconds, int *attempts, struct db_error *err);

#endif /* DB_CONNECT_WAIT_H */
