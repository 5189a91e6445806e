/*
 * pool.c - per-thread database connections that come back by themselves.
 */
#include "pool.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../db/connect_wait.h"
#include "../db/driver.h"

struct slot {
    struct db_conn *conn;      /* NULL while lost */
    int owned;                 /* made here: closed here */
    int busy;
    struct db_backoff backoff;
    double next_try;           /* monotonic seconds of the next attempt */
    double lost_at;
    int attempts;
};

struct http_pool {
    const struct db_config *cfg;
    struct slot *slots;
    unsigned n;
    http_log_fn log;
    void *log_ctx;
    int debug;
    unsigned first;            /* the first slot for any request: 1 with a
                                  writer slot, else 0 */
    pthread_mutex_t lock;      /* the busy flags of slots first.. */
    pthread_cond_t freed;
    pthread_mutex_t writer;    /* slot 0, with a writer slot */
};

static void say(struct http_pool *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void say(struct http_pool *p, const char *fmt, ...)
{
    if (!p->log)
        return;
    char line[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    p->log(p->log_ctx, line);
}

int http_pool_open(struct http_pool **out, const struct db_config *cfg,
                   struct db_conn *const *conns, unsigned n, int writer_slot,
                   http_log_fn log, void *log_ctx, int debug,
                   struct db_error *err)
{
    *out = NULL;
    if (writer_slot && n < 2)
        return db_error_set(err, DB_EUSAGE, "a writer slot needs 2 "
                                            "connections or more");
    struct http_pool *p = calloc(1, sizeof *p);
    struct slot *s = calloc(n ? n : 1, sizeof *s);
    if (!p || !s) {
        free(p);
        free(s);
        return db_error_set(err, DB_ENOMEM, "out of memory");
    }
    p->cfg = cfg;
    p->slots = s;
    p->n = n;
    p->log = log;
    p->log_ctx = log_ctx;
    p->debug = debug;
    p->first = writer_slot ? 1 : 0;
    /* the engine's checkpoints off the requests' path (driver.h) */
    for (unsigned i = 0; i < n; i++) {
        int rc = db_checkpoint_aside(conns[i], err);
        if (rc) {
            free(p);
            free(s);
            return rc;
        }
        s[i].conn = conns[i];
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->freed, NULL);
    pthread_mutex_init(&p->writer, NULL);
    *out = p;
    return 0;
}

/* The slot's connection is gone: close it; the next use tries at once. */
static void lose(struct http_pool *p, unsigned i, double now)
{
    struct slot *s = &p->slots[i];
    if (s->owned)
        db_disconnect(s->conn);
    s->conn = NULL;
    s->owned = 0;
    db_backoff_init(&s->backoff, HTTP_POOL_BACKOFF_MAX);
    s->next_try = now;
    s->lost_at = now;
    s->attempts = 0;
    say(p, "database connection %u of %u lost; re-establishing it (503 "
           "until then)", i + 1, p->n);
}

/* One attempt to re-establish slot i, when its backoff delay has passed. */
static void revive(struct http_pool *p, unsigned i)
{
    struct slot *s = &p->slots[i];
    double now = db_monotonic_seconds();
    if (now < s->next_try)
        return;
    struct db_error err;
    s->attempts++;
    int rc = db_connect(&s->conn, p->cfg, &err);
    if (rc == 0 && (rc = db_checkpoint_aside(s->conn, &err)))
        db_disconnect(s->conn);
    if (rc == 0) {
        s->owned = 1;
        say(p, "database connection %u of %u re-established after %.2f s "
               "(%d attempt%s)", i + 1, p->n, db_monotonic_seconds() -
               s->lost_at, s->attempts, s->attempts == 1 ? "" : "s");
        return;
    }
    s->conn = NULL;
    s->next_try = db_monotonic_seconds() + db_backoff_next(&s->backoff);
    if (p->debug || s->attempts == 1) {
        char msg[1024];
        db_error_format(msg, sizeof msg, &err);
        say(p, "database connection %u of %u: attempt %d failed: %s", i + 1,
            p->n, s->attempts, msg);
    }
}

/* Checks the connection of slot i, now the caller's, and returns it. */
static unsigned ready(struct http_pool *p, unsigned i, struct db_conn **conn)
{
    struct slot *s = &p->slots[i];
    if (s->conn && !db_conn_alive(s->conn))
        lose(p, i, db_monotonic_seconds());
    if (!s->conn)
        revive(p, i);
    *conn = s->conn;
    return i;
}

unsigned http_pool_take(struct http_pool *p, int writes,
                        struct db_conn **conn)
{
    if (writes && p->first) {
        pthread_mutex_lock(&p->writer);
        return ready(p, 0, conn);
    }
    pthread_mutex_lock(&p->lock);
    unsigned pick;
    for (;;) {
        /* a free slot whose connection is up, else any free slot */
        pick = p->n;
        for (unsigned i = p->first; i < p->n; i++) {
            if (p->slots[i].busy)
                continue;
            if (p->slots[i].conn) {
                pick = i;
                break;
            }
            if (pick == p->n)
                pick = i;
        }
        if (pick < p->n)
            break;
        pthread_cond_wait(&p->freed, &p->lock);
    }
    p->slots[pick].busy = 1;
    pthread_mutex_unlock(&p->lock);
    /* The slot is ours alone from here to http_pool_give. */
    return ready(p, pick, conn);
}

void http_pool_give(struct http_pool *p, unsigned slot)
{
    struct slot *s = &p->slots[slot];
    if (s->conn && !db_conn_alive(s->conn))
        lose(p, slot, db_monotonic_seconds());
    if (slot < p->first) {
        pthread_mutex_unlock(&p->writer);
        return;
    }
    pthread_mutex_lock(&p->lock);
    s->busy = 0;
    pthread_cond_signal(&p->freed);
    pthread_mutex_unlock(&p->lock);
}

void http_pool_close(struct http_pool *p)
{
    if (!p)
        return;
    for (unsigned i = 0; i < p->n; i++)
        if (p->slots[i].owned)
            db_disconnect(p->slots[i].conn);
    pthread_cond_destroy(&p->freed);
    pthread_mutex_destroy(&p->writer);
    pthread_mutex_destroy(&p->lock);
    free(p->slots);
    free(p);
}
