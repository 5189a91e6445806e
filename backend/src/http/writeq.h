/*
 * writeq.h - writes that take turns without a thread waiting for another.
 *
 * An engine that runs one write at a time (SQLite) gets every write of
 * the server through one connection. Several server threads then need
 * turns on it; a thread sleeping until the turn is free would leave its
 * other connections unserved and pay a wake-up per write. Instead the
 * thread that has the turn also runs the writes the others queued
 * meanwhile (combining), and a thread whose write is queued goes on
 * serving its other connections:
 *
 *   - writeq_enter: the turn is free: the caller has it, runs its write
 *     with writeq_run, and answers. Else the item is queued, and the
 *     caller parks its request (ops->suspend, called under the queue's
 *     lock before the item can be taken, so that it is always parked
 *     before it is handed back).
 *   - writeq_run: runs the item, then those queued, each handed back to
 *     its thread (ops->resume) marked WRITEQ_DONE with its answer made. A
 *     write that waited in the queue as long as a write may wait for the
 *     lock (wait_ms) is not run: ops->refuse answers it as busy. After
 *     WRITEQ_COMBINE_MAX writes of others the turn goes on to the next one
 *     queued (handed back marked WRITEQ_LEAD: its thread calls writeq_run
 *     with it), so that the thread's own connections are not held up.
 *   - an item handed back as WRITEQ_LEAD whose request went away before
 *     its thread ran it must still pass the turn on: writeq_run(q, NULL).
 *   - writeq_close (a stop whose requests did not all finish): the items
 *     still queued are refused and handed back, and none is queued again.
 *
 * The queue is FIFO; only the thread with the turn runs writes.
 *
 * Group commit (optional: ops->batch_begin and ops->batch_end both set):
 * the writes run in one turn, the turn holder's own and those it takes
 * from the queue, share one transaction. ops->batch_begin opens it before
 * the first (non-zero: none could be opened, and they run on their own as
 * without a batch); ops->batch_end(items, n) gets the writes that ran and
 * ends it: it commits, or, when that fails, makes each of those answers a
 * failure. Only then are the parked ones handed back, so that no answer
 * leaves before its write is committed. The turn is given up only after
 * the batch ended: writes queued meanwhile start a new batch in the same
 * turn.
 */
#ifndef HTTP_WRITEQ_H
#define HTTP_WRITEQ_H

#include <pthread.h>
#include <stddef.h>
#include <time.h>

/* Writes of others run per turn before it is passed on. */
#define WRITEQ_COMBINE_MAX 8

enum writeq_state {
    WRITEQ_NONE,       /* not queued, or taken back by its thread */
    WRITEQ_QUEUED,     /* parked, waiting in the queue */
    WRITEQ_DONE,       /* handed back with its answer made */
    WRITEQ_LEAD,       /* handed back to run itself and take the turn */
};

/* Why a queued write was not run. */
enum writeq_refusal {
    WRITEQ_BUSY,       /* it waited wait_ms in the queue */
    WRITEQ_CLOSED,     /* the server is stopping */
};

struct writeq_item {
    enum writeq_state state;
    struct timespec queued;    /* CLOCK_MONOTONIC */
    struct writeq_item *next;
};

struct writeq_ops {
    void (*suspend)(void *ctx, struct writeq_item *it);
    void (*resume)(void *ctx, struct writeq_item *it);
    void (*run)(void *ctx, struct writeq_item *it);
    void (*refuse)(void *ctx, struct writeq_item *it,
                   enum writeq_refusal why, long waited_ms);
    int (*batch_begin)(void *ctx);                    /* optional */
    void (*batch_end)(void *ctx, struct writeq_item *const *items,
                      size_t n);                      /* optional */
};

struct writeq {
    pthread_mutex_t lock;
    int writing;               /* a thread has the turn */
    int closed;
    long wait_ms;
    struct writeq_item *head, *tail;
    const struct writeq_ops *ops;
    void *ctx;
};

void writeq_init(struct writeq *q, long wait_ms, const struct writeq_ops *ops,
                 void *ctx);
void writeq_destroy(struct writeq *q);

enum writeq_entry {
    WRITEQ_TURN,       /* the caller has the turn: writeq_run(q, it) */
    WRITEQ_PARKED,     /* queued; ops->suspend was called */
    WRITEQ_REFUSED,    /* closed: ops->refuse was called; answer it */
};
enum writeq_entry writeq_enter(struct writeq *q, struct writeq_item *it);

/* With the turn: runs it (NULL: none), then the queue, as above. */
void writeq_run(struct writeq *q, struct writeq_item *it);

void writeq_close(struct writeq *q);

#endif /* HTTP_WRITEQ_H */
