/*
 * test_writeq.c - the writes' turns (http/writeq.h), step by step with
 * recording callbacks: who runs, who is parked and handed back, in which
 * order, and what a write that waited too long or met a stop gets. The
 * server's use of it under real threads, connections and SQLite is in
 * test_http.c (test_http__server_writes_take_one_connection).
 */
#include <check.h>
#include <string.h>
#include <time.h>

#include "http/writeq.h"

#define N 12

static struct writeq_item items[N];
static char log_[256];     /* one letter per event: r run, s suspend, ... */
static long waited_seen;
static int refusals[2];

static int idx(struct writeq_item *it)
{
    return (int)(it - items);
}

static void note(char what, struct writeq_item *it)
{
    size_t n = strlen(log_);
    ck_assert_uint_lt(n + 3, sizeof log_);
    log_[n] = what;
    log_[n + 1] = (char)('a' + idx(it));
    log_[n + 2] = '\0';
}

static void t_suspend(void *ctx, struct writeq_item *it)
{
    (void)ctx;
    note('s', it);
}

static void t_resume(void *ctx, struct writeq_item *it)
{
    (void)ctx;
    /* handed back marked with what it is to do */
    ck_assert(it->state == WRITEQ_DONE || it->state == WRITEQ_LEAD);
    note(it->state == WRITEQ_DONE ? 'd' : 'l', it);
}

static void t_run(void *ctx, struct writeq_item *it)
{
    (void)ctx;
    note('r', it);
}

static void t_refuse(void *ctx, struct writeq_item *it,
                     enum writeq_refusal why, long waited_ms)
{
    (void)ctx;
    refusals[why]++;
    waited_seen = waited_ms;
    note(why == WRITEQ_BUSY ? 'b' : 'c', it);
}

static const struct writeq_ops ops = {
    .suspend = t_suspend,
    .resume = t_resume,
    .run = t_run,
    .refuse = t_refuse,
};

static struct writeq q;

static void setup(void)
{
    memset(items, 0, sizeof items);
    log_[0] = '\0';
    waited_seen = -1;
    refusals[0] = refusals[1] = 0;
    writeq_init(&q, 60000, &ops, NULL);
}

static void teardown(void)
{
    writeq_destroy(&q);
}

START_TEST(test_writeq__free_turn_then_queue_in_order)
{
    ck_assert_int_eq(writeq_enter(&q, &items[0]), WRITEQ_TURN);
    ck_assert_int_eq(writeq_enter(&q, &items[1]), WRITEQ_PARKED);
    ck_assert_int_eq(writeq_enter(&q, &items[2]), WRITEQ_PARKED);
    ck_assert_int_eq(items[1].state, WRITEQ_QUEUED);
    ck_assert_str_eq(log_, "sbsc");
    writeq_run(&q, &items[0]);
    /* its own first, then the others in order, each handed back done */
    ck_assert_str_eq(log_, "sbscrarbdbrcdc");
    ck_assert_int_eq(items[0].state, WRITEQ_NONE);
    ck_assert_int_eq(items[2].state, WRITEQ_DONE);
    /* the turn was given up with the queue empty */
    ck_assert_int_eq(writeq_enter(&q, &items[3]), WRITEQ_TURN);
    writeq_run(&q, &items[3]);
    ck_assert_int_eq(writeq_enter(&q, &items[4]), WRITEQ_TURN);
}
END_TEST

START_TEST(test_writeq__turn_passes_on_after_combine_max)
{
    ck_assert_int_eq(writeq_enter(&q, &items[0]), WRITEQ_TURN);
    for (int i = 1; i <= WRITEQ_COMBINE_MAX + 2; i++)
        ck_assert_int_eq(writeq_enter(&q, &items[i]), WRITEQ_PARKED);
    log_[0] = '\0';
    writeq_run(&q, &items[0]);
    /* a, then b..i (eight), then j gets the turn; k stays queued */
    ck_assert_str_eq(log_, "rarbdbrcdcrdddrederfdfrgdgrhdhridilj");
    ck_assert_int_eq(items[WRITEQ_COMBINE_MAX + 1].state, WRITEQ_LEAD);
    ck_assert_int_eq(items[WRITEQ_COMBINE_MAX + 2].state, WRITEQ_QUEUED);
    /* the turn is j's: a new write is queued behind k */
    ck_assert_int_eq(writeq_enter(&q, &items[11]), WRITEQ_PARKED);
    log_[0] = '\0';
    writeq_run(&q, &items[WRITEQ_COMBINE_MAX + 1]);
    ck_assert_str_eq(log_, "rjrkdkrldl");
    ck_assert_int_eq(writeq_enter(&q, &items[0]), WRITEQ_TURN);
}
END_TEST

START_TEST(test_writeq__lead_gone_passes_the_turn_on)
{
    ck_assert_int_eq(writeq_enter(&q, &items[0]), WRITEQ_TURN);
    for (int i = 1; i <= WRITEQ_COMBINE_MAX + 2; i++)
        writeq_enter(&q, &items[i]);
    writeq_run(&q, &items[0]);
    /* j's request went away before its thread ran it */
    log_[0] = '\0';
    writeq_run(&q, NULL);
    ck_assert_str_eq(log_, "rkdk");
    ck_assert_int_eq(writeq_enter(&q, &items[0]), WRITEQ_TURN);
}
END_TEST

START_TEST(test_writeq__queued_longer_than_the_lock_wait_is_busy)
{
    writeq_destroy(&q);
    writeq_init(&q, 30, &ops, NULL);
    ck_assert_int_eq(writeq_enter(&q, &items[0]), WRITEQ_TURN);
    ck_assert_int_eq(writeq_enter(&q, &items[1]), WRITEQ_PARKED);
    struct timespec pause = {.tv_nsec = 50 * 1000 * 1000};
    nanosleep(&pause, NULL);
    ck_assert_int_eq(writeq_enter(&q, &items[2]), WRITEQ_PARKED);
    log_[0] = '\0';
    writeq_run(&q, &items[0]);
    /* b waited 50 ms: refused as busy, not run; c is run */
    ck_assert_str_eq(log_, "rabbdbrcdc");
    ck_assert_int_eq(refusals[WRITEQ_BUSY], 1);
    ck_assert_int_ge(waited_seen, 30);
}
END_TEST

START_TEST(test_writeq__close_refuses_the_queued_and_the_new)
{
    ck_assert_int_eq(writeq_enter(&q, &items[0]), WRITEQ_TURN);
    writeq_enter(&q, &items[1]);
    writeq_enter(&q, &items[2]);
    log_[0] = '\0';
    writeq_close(&q);
    ck_assert_str_eq(log_, "cbdbccdc");
    ck_assert_int_eq(refusals[WRITEQ_CLOSED], 2);
    /* while a write still has the turn, nothing is queued any more */
    ck_assert_int_eq(writeq_enter(&q, &items[3]), WRITEQ_REFUSED);
    ck_assert_int_eq(refusals[WRITEQ_CLOSED], 3);
    log_[0] = '\0';
    writeq_run(&q, &items[0]);
    ck_assert_str_eq(log_, "ra");
}
END_TEST

/* ---- group commit ---- */

static int batch_refused;          /* batch_begin answers non-zero */
static struct writeq_item *late;   /* queued by the first batch_end */

static void mark(char what)
{
    size_t n = strlen(log_);
    ck_assert_uint_lt(n + 2, sizeof log_);
    log_[n] = what;
    log_[n + 1] = '\0';
}

static int t_batch_begin(void *ctx)
{
    (void)ctx;
    mark('B');
    return batch_refused ? -1 : 0;
}

/* E, the items that ran in the batch, then '.' */
static void t_batch_end(void *ctx, struct writeq_item *const *its, size_t n)
{
    (void)ctx;
    mark('E');
    for (size_t i = 0; i < n; i++)
        mark((char)('a' + idx(its[i])));
    mark('.');
    if (late) {
        ck_assert_int_eq(writeq_enter(&q, late), WRITEQ_PARKED);
        late = NULL;
    }
}

static const struct writeq_ops batch_ops = {
    .suspend = t_suspend,
    .resume = t_resume,
    .run = t_run,
    .refuse = t_refuse,
    .batch_begin = t_batch_begin,
    .batch_end = t_batch_end,
};

static void batch_setup(long wait_ms)
{
    writeq_destroy(&q);
    writeq_init(&q, wait_ms, &batch_ops, NULL);
    batch_refused = 0;
    late = NULL;
}

START_TEST(test_writeq__batch_hands_back_after_its_end)
{
    batch_setup(60000);
    ck_assert_int_eq(writeq_enter(&q, &items[0]), WRITEQ_TURN);
    writeq_enter(&q, &items[1]);
    writeq_enter(&q, &items[2]);
    log_[0] = '\0';
    writeq_run(&q, &items[0]);
    /* one batch: a, b, c run in it; b and c handed back only after its
     * end; the caller answers a itself */
    ck_assert_str_eq(log_, "BrarbrcEabc.dbdc");
    ck_assert_int_eq(items[0].state, WRITEQ_NONE);
    /* the turn was given up after the batch */
    ck_assert_int_eq(writeq_enter(&q, &items[3]), WRITEQ_TURN);
}
END_TEST

START_TEST(test_writeq__batch_queued_during_its_end_starts_another)
{
    batch_setup(60000);
    ck_assert_int_eq(writeq_enter(&q, &items[0]), WRITEQ_TURN);
    writeq_enter(&q, &items[1]);
    late = &items[2];
    log_[0] = '\0';
    writeq_run(&q, &items[0]);
    /* c, queued while the first batch ended, runs in a second one within
     * the same turn, and the turn is given up only after it */
    ck_assert_str_eq(log_, "BrarbEab.scdbBrcEc.dc");
    ck_assert_int_eq(writeq_enter(&q, &items[3]), WRITEQ_TURN);
}
END_TEST

START_TEST(test_writeq__batch_ends_before_the_lead_goes)
{
    batch_setup(60000);
    ck_assert_int_eq(writeq_enter(&q, &items[0]), WRITEQ_TURN);
    for (int i = 1; i <= WRITEQ_COMBINE_MAX + 1; i++)
        writeq_enter(&q, &items[i]);
    log_[0] = '\0';
    writeq_run(&q, &items[0]);
    /* a and eight others in the batch, handed back after it; then j
     * takes the turn */
    ck_assert_str_eq(log_, "BrarbrcrdrerfrgrhriEabcdefghi."
                           "dbdcdddedfdgdhdilj");
    ck_assert_int_eq(items[WRITEQ_COMBINE_MAX + 1].state, WRITEQ_LEAD);
}
END_TEST

START_TEST(test_writeq__batch_refused_runs_each_alone)
{
    batch_setup(60000);
    batch_refused = 1;
    ck_assert_int_eq(writeq_enter(&q, &items[0]), WRITEQ_TURN);
    writeq_enter(&q, &items[1]);
    log_[0] = '\0';
    writeq_run(&q, &items[0]);
    /* no batch could be opened: handed back at once, no end */
    ck_assert_str_eq(log_, "Brarbdb");
    ck_assert_int_eq(writeq_enter(&q, &items[2]), WRITEQ_TURN);
}
END_TEST

START_TEST(test_writeq__batch_leaves_out_the_refused)
{
    batch_setup(30);
    ck_assert_int_eq(writeq_enter(&q, &items[0]), WRITEQ_TURN);
    writeq_enter(&q, &items[1]);
    struct timespec pause = {.tv_nsec = 50 * 1000 * 1000};
    nanosleep(&pause, NULL);
    writeq_enter(&q, &items[2]);
    log_[0] = '\0';
    writeq_run(&q, &items[0]);
    /* b waited too long: refused, not in the batch's end */
    ck_assert_str_eq(log_, "BrabbrcEac.dbdc");
}
END_TEST

Suite *writeq_suite(void)
{
    Suite *s = suite_create("writeq");
    TCase *tc = tcase_create("writeq");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_writeq__free_turn_then_queue_in_order);
    tcase_add_test(tc, test_writeq__turn_passes_on_after_combine_max);
    tcase_add_test(tc, test_writeq__lead_gone_passes_the_turn_on);
    tcase_add_test(tc, test_writeq__queued_longer_than_the_lock_wait_is_busy);
    tcase_add_test(tc, test_writeq__close_refuses_the_queued_and_the_new);
    tcase_add_test(tc, test_writeq__batch_hands_back_after_its_end);
    tcase_add_test(tc, test_writeq__batch_queued_during_its_end_starts_another);
    tcase_add_test(tc, test_writeq__batch_ends_before_the_lead_goes);
    tcase_add_test(tc, test_writeq__batch_refused_runs_each_alone);
    tcase_add_test(tc, test_writeq__batch_leaves_out_the_refused);
    suite_add_tcase(s, tc);
    return s;
}
