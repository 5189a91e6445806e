/*
 * connect_wait.h - connecting to a database that may not be up yet.
 *
 * Deploys often start the app before the database server: a connection
 * that fails because the server is not reachable (DB_ECONNECT) is retried
 * with backoff until wait_seconds have passed. Failures that waiting cannot
 * fix (a refused login, a bad URL: DB_EREFUSED, DB_ECONFIG) return at once.
 *
 * The backoff itself (struct db_backoff) is shared with the HTTP server,
 * which re-establishes a lost connection on the same schedule.
 */
#ifndef DB_CONNECT_WAIT_H
#define DB_CONNECT_WAIT_H

#include "config.h"
#include "driver.h"
#include "error.h"

#define DB_BACKOFF_FIRST 0.05  /* seconds before the second attempt */
#define DB_BACKOFF_MAX 2.0     /* the ceiling `db wait` doubles up to */

/* Delays that start at DB_BACKOFF_FIRST and double up to max seconds. */
struct db_backoff {
    double delay;   /* the next delay */
    double max;
};

/* Starts the schedule again: the next delay is DB_BACKOFF_FIRST. */
void db_backoff_init(struct db_backoff *b, double max);

/* The delay to wait before the next attempt; doubles the one after. */
double db_backoff_next(struct db_backoff *b);

/* Seconds on the monotonic clock. */
double db_monotonic_seconds(void);

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
