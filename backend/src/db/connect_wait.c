/*
 * connect_wait.c - db_connect with retries and backoff.
 */
#include "connect_wait.h"

#include <errno.h>
#include <time.h>

double db_monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void db_backoff_init(struct db_backoff *b, double max)
{
    b->max = max > DB_BACKOFF_FIRST ? max : DB_BACKOFF_FIRST;
    b->delay = DB_BACKOFF_FIRST;
}

double db_backoff_next(struct db_backoff *b)
{
    double d = b->delay;
    b->delay = b->delay * 2 > b->max ? b->max : b->delay * 2;
    return d;
}

static void sleep_seconds(double s)
{
    struct timespec ts;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

int db_connect_wait(struct db_conn **out, const struct db_config *cfg,
                    int wait_seconds, int *attempts, struct db_error *err)
{
    double start = db_monotonic_seconds();
    double deadline = start + (wait_seconds > 0 ? wait_seconds : 0);
    struct db_backoff b;
    db_backoff_init(&b, DB_BACKOFF_MAX);
    int n = 0, rc;
    for (;;) {
        n++;
        rc = db_connect(out, cfg, err);
        if (rc != DB_ECONNECT)
            break;
        double left = deadline - db_monotonic_seconds();
        if (left <= 0)
            break;
        double delay = db_backoff_next(&b);
        sleep_seconds(delay < left ? delay : left);
    }
    if (attempts)
        *attempts = n;
    if (rc == DB_ECONNECT && wait_seconds > 0) {
        db_error_prefix(err, "database not reachable after %d s "
                             "(%d attempts)", wait_seconds, n);
        db_error_hint(err, "start the database server, or wait longer: "
                           "[database] wait_seconds in %s", cfg->path);
    }
    return rc;
}
