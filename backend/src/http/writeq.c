/*
 * writeq.c - writes that take turns without a thread waiting for another.
 */
#include "writeq.h"

void writeq_init(struct writeq *q, long wait_ms, const struct writeq_ops *ops,
                 void *ctx)
{
    *q = (struct writeq){.wait_ms = wait_ms, .ops = ops, .ctx = ctx};
    pthread_mutex_init(&q->lock, NULL);
}

void writeq_destroy(struct writeq *q)
{
    pthread_mutex_destroy(&q->lock);
}

enum writeq_entry writeq_enter(struct writeq *q, struct writeq_item *it)
{
    pthread_mutex_lock(&q->lock);
    if (!q->writing) {
        q->writing = 1;
        pthread_mutex_unlock(&q->lock);
        it->state = WRITEQ_NONE;
        return WRITEQ_TURN;
    }
    if (q->closed) {
        pthread_mutex_unlock(&q->lock);
        it->state = WRITEQ_NONE;
        q->ops->refuse(q->ctx, it, WRITEQ_CLOSED, 0);
        return WRITEQ_REFUSED;
    }
    /* parked before anyone can take it: the queue does not show it yet */
    q->ops->suspend(q->ctx, it);
    it->state = WRITEQ_QUEUED;
    it->next = NULL;
    clock_gettime(CLOCK_MONOTONIC, &it->queued);
    if (q->tail)
        q->tail->next = it;
    else
        q->head = it;
    q->tail = it;
    pthread_mutex_unlock(&q->lock);
    return WRITEQ_PARKED;
}

/* The first item queued, taken out of the queue; NULL (and the turn
 * given up) when there is none. */
static struct writeq_item *next_or_give_up(struct writeq *q)
{
    pthread_mutex_lock(&q->lock);
    struct writeq_item *it = q->head;
    if (it) {
        q->head = it->next;
        if (!q->head)
            q->tail = NULL;
    } else {
        q->writing = 0;
    }
    pthread_mutex_unlock(&q->lock);
    return it;
}

static long ms_since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long)(now.tv_sec - t->tv_sec) * 1000L +
           (now.tv_nsec - t->tv_nsec) / 1000000L;
}

void writeq_run(struct writeq *q, struct writeq_item *it)
{
    if (it) {
        it->state = WRITEQ_NONE;
        q->ops->run(q->ctx, it);
    }
    for (int n = 0; (it = next_or_give_up(q)) != NULL; n++) {
        if (n == WRITEQ_COMBINE_MAX) {
            it->state = WRITEQ_LEAD; /* the turn goes with it */
            q->ops->resume(q->ctx, it);
            return;
        }
        long waited = ms_since(&it->queued);
        if (waited >= q->wait_ms)
            q->ops->refuse(q->ctx, it, WRITEQ_BUSY, waited);
        else
            q->ops->run(q->ctx, it);
        it->state = WRITEQ_DONE;
        q->ops->resume(q->ctx, it);
    }
}

void writeq_close(struct writeq *q)
{
    pthread_mutex_lock(&q->lock);
    q->closed = 1;
    struct writeq_item *it = q->head;
    q->head = q->tail = NULL;
    for (struct writeq_item *next; it; it = next) {
        next = it->next;
        q->ops->refuse(q->ctx, it, WRITEQ_CLOSED, ms_since(&it->queued));
        it->state = WRITEQ_DONE;
        q->ops->resume(q->ctx, it);
    }
    pthread_mutex_unlock(&q->lock);
}
