/*
 * connect_wait.c - db_connect with retries and backoff.
 */
#include "connect_wait.h"

#include <errno.h>
#include <time.h>

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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
    double start = now_seconds();
    double deadline = start + (wait_seconds > 0 ? wait_seconds : 0);
    double delay = 0.05;
    int n = 0, rc;
    for (;;) {
        n++;
        rc = db_connect(out, cfg, err);
        if (rc != DB_ECONNECT)
            break;
        double left = deadline - now_seconds();
        if (left <= 0)
            break;
        sleep_seconds(delay < left ? delay : left);
        delay = delay * 2 > 2.0 ? 2.0 : delay * 2;
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
