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

/* The first item queued, taken out of the queue; NULL when there is
 * none, and then, when give_up is set, the turn given up. */
static struct writeq_item *next_item(struct writeq *q, int give_up)
{
    pthread_mutex_lock(&q->lock);
    struct writeq_item *it = q->head;
    if (it) {
        q->head = it->next;
        if (!q->head)
            q->tail = NULL;
    } else if (give_up) {
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

/* A queued item's turn in the batch: refused when it waited too long,
 * else run. Returns whether it ran. */
static int run_queued(struct writeq *q, struct writeq_item *it)
{
    long waited = ms_since(&it->queued);
    if (waited >= q->wait_ms) {
        q->ops->refuse(q->ctx, it, WRITEQ_BUSY, waited);
        return 0;
    }
    q->ops->run(q->ctx, it);
    return 1;
}

static void hand_back(struct writeq *q, struct writeq_item *it,
                      enum writeq_state state)
{
    it->state = state;
    q->ops->resume(q->ctx, it);
}

void writeq_run(struct writeq *q, struct writeq_item *own)
{
    int batching = q->ops->batch_begin && q->ops->batch_end;
    int combined = 0;                   /* others' writes run in this turn */
    struct writeq_item *first = NULL;   /* taken before its batch began */
    for (;;) {
        struct writeq_item *ran[WRITEQ_COMBINE_MAX + 1];
        struct writeq_item *back[WRITEQ_COMBINE_MAX];
        size_t nran = 0, nback = 0;
        struct writeq_item *lead = NULL;
        int tx = batching && q->ops->batch_begin(q->ctx) == 0;
        if (own) {
            own->state = WRITEQ_NONE;
            q->ops->run(q->ctx, own);
            ran[nran++] = own;
            own = NULL;
        }
        /* without a batch, an empty queue gives the turn up at once */
        struct writeq_item *next = first ? first : next_item(q, !batching);
        first = NULL;
        while (next) {
            if (combined == WRITEQ_COMBINE_MAX) {
                lead = next; /* the turn goes with it */
                break;
            }
            combined++;
            if (run_queued(q, next))
                ran[nran++] = next;
            if (tx)
                back[nback++] = next;
            else
                hand_back(q, next, WRITEQ_DONE);
            next = next_item(q, !batching);
        }
        if (tx)
            q->ops->batch_end(q->ctx, ran, nran);
        for (size_t i = 0; i < nback; i++)
            hand_back(q, back[i], WRITEQ_DONE);
        if (lead) {
            hand_back(q, lead, WRITEQ_LEAD);
            return;
        }
        /* writes queued while the batch ended start the next one */
        if (!batching || (first = next_item(q, 1)) == NULL)
            return;
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
