/*
 * tests/test_queue.c - the ladder queue against the 4-ary heap reference.
 *
 * Owns: the unit tests of fs_queue_* and fs_heapq_*: ordering, FIFO ties,
 * empty queues, interleaving, growth and shrinking, skewed and clustered
 * times, and a million random operations compared pop by pop with the heap.
 * Invariants: every test leaves no live allocation (checked in teardown) and
 * runs fs_queue_check after each phase.
 * Does not: run the engine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fleetsim/mem.h"
#include "fleetsim/queue.h"
#include "fleetsim/rng.h"

#define DAY_US ((int64_t)86400 * 1000000)

struct qfix {
    struct fs_queue *q; /* queue under test */
    struct fs_heapq *h; /* reference */
    struct fs_rng rng;  /* test draws */
    uint64_t seq;       /* next seq to hand out */
    int64_t now_us;     /* time of the last pop */
};

static int
setup(void **state)
{
    struct qfix *f = fs_xcalloc(1, sizeof(*f));
    assert_int_equal(fs_queue_create(16, &f->q), 0);
    assert_int_equal(fs_heapq_create(16, &f->h), 0);
    fs_rng_seed(&f->rng, 42, 0, FS_RNG_BENCH);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct qfix *f = *state;
    assert_true(fs_queue_check(f->q));
    assert_true(fs_heapq_check(f->h));
    fs_queue_destroy(f->q);
    fs_heapq_destroy(f->h);
    fs_free(f);
    assert_int_equal(fs_mem_live_blocks(), 0);
    return 0;
}

/* Push one event at at_us into both queues. */
static void
push_both(struct qfix *f, int64_t at_us)
{
    struct fs_event ev = {
        .at_us = at_us,
        .seq = f->seq,
        .fn = NULL,
        .arg = (void *)(uintptr_t)f->seq,
    };
    f->seq++;
    fs_queue_push(f->q, &ev);
    fs_heapq_push(f->h, &ev);
}

/* Pop from both and require the same event; false when both are empty. */
static bool
pop_both(struct qfix *f)
{
    struct fs_event a;
    struct fs_event b;
    struct fs_event p;
    bool has_peek = fs_queue_peek(f->q, &p);
    bool has_a = fs_queue_pop(f->q, &a);
    bool has_b = fs_heapq_pop(f->h, &b);
    assert_int_equal(has_a, has_b);
    assert_int_equal(has_peek, has_a);
    if (!has_a)
        return false;
    assert_int_equal(a.at_us, b.at_us);
    assert_int_equal(a.seq, b.seq);
    assert_ptr_equal(a.arg, b.arg);
    assert_int_equal(p.seq, a.seq);
    assert_true(a.at_us >= f->now_us);
    f->now_us = a.at_us;
    return true;
}

static void
drain_both(struct qfix *f)
{
    while (pop_both(f))
        ;
    assert_int_equal(fs_queue_size(f->q), 0);
    assert_true(fs_queue_check(f->q));
}

static void
test_queue_orders_by_time(void **state)
{
    struct qfix *f = *state;
    for (int i = 0; i < 10000; i++)
        push_both(f, (int64_t)fs_rng_below(&f->rng, 1000000));
    assert_int_equal(fs_queue_size(f->q), 10000);
    assert_true(fs_queue_check(f->q));
    int64_t last = -1;
    struct fs_event ev;
    for (int i = 0; i < 10000; i++) {
        assert_true(fs_heapq_peek(f->h, &ev));
        assert_true(ev.at_us >= last);
        last = ev.at_us;
        assert_true(pop_both(f));
    }
    assert_false(pop_both(f));
}

static void
test_queue_fifo_ties(void **state)
{
    struct qfix *f = *state;
    for (int i = 0; i < 5000; i++)
        push_both(f, 777);
    for (int i = 0; i < 10; i++)
        push_both(f, 100 + i);
    struct fs_event ev;
    for (int i = 0; i < 10; i++) {
        assert_true(fs_queue_pop(f->q, &ev));
        assert_int_equal(ev.at_us, 100 + i);
    }
    /* Equal times come out in seq order, also with pushes in between. */
    for (uint64_t want = 0; want < 5000; want++) {
        assert_true(fs_queue_pop(f->q, &ev));
        assert_int_equal(ev.at_us, 777);
        assert_int_equal(ev.seq, want);
        if (want % 7 == 0) {
            struct fs_event late = {.at_us = 777, .seq = 100000 + want};
            fs_queue_push(f->q, &late);
        }
    }
    for (uint64_t want = 100000; fs_queue_pop(f->q, &ev); want += 7)
        assert_int_equal(ev.seq, want);
}

static void
test_queue_ties_sorted_by_seq_not_push_order(void **state)
{
    struct qfix *f = *state;
    for (uint64_t i = 0; i < 3000; i++) {
        struct fs_event ev = {.at_us = 5, .seq = 3000 - i};
        fs_queue_push(f->q, &ev);
    }
    assert_true(fs_queue_check(f->q));
    struct fs_event ev;
    for (uint64_t want = 1; want <= 3000; want++) {
        assert_true(fs_queue_pop(f->q, &ev));
        assert_int_equal(ev.seq, want);
    }
}

static void
test_queue_empty_pop(void **state)
{
    struct qfix *f = *state;
    struct fs_event ev;
    assert_false(fs_queue_pop(f->q, &ev));
    assert_false(fs_queue_peek(f->q, &ev));
    assert_int_equal(fs_queue_size(f->q), 0);
    assert_true(fs_queue_check(f->q));
    push_both(f, 10);
    assert_true(pop_both(f));
    assert_false(fs_queue_pop(f->q, &ev));
    assert_false(fs_queue_peek(f->q, &ev));
    /* Usable again after running dry. */
    push_both(f, 10);
    push_both(f, 12);
    drain_both(f);
}

static void
test_queue_interleaved_push_pop(void **state)
{
    struct qfix *f = *state;
    for (int round = 0; round < 200; round++) {
        for (int i = 0; i < 50; i++)
            push_both(f, f->now_us + (int64_t)fs_rng_below(&f->rng, 5000));
        for (int i = 0; i < 45; i++)
            assert_true(pop_both(f));
        assert_true(fs_queue_check(f->q));
    }
    drain_both(f);
}

static void
test_queue_peek_then_push_earlier(void **state)
{
    struct qfix *f = *state;
    for (int i = 0; i < 1000; i++)
        push_both(f, 1000000 + i * 1000);
    assert_true(pop_both(f));
    struct fs_event ev;
    assert_true(fs_queue_peek(f->q, &ev));
    assert_int_equal(ev.at_us, 1001000);
    /* Earlier than the peeked one but not before the last pop. */
    push_both(f, 1000000);
    push_both(f, 1000500);
    assert_true(fs_queue_check(f->q));
    drain_both(f);
}

static void
test_queue_grows_and_shrinks(void **state)
{
    struct qfix *f = *state;
    size_t small_bytes = fs_queue_bytes(f->q);
    for (int cycle = 0; cycle < 2; cycle++) {
        for (int i = 0; i < 300000; i++)
            push_both(f, f->now_us + fs_rng_exp_us(&f->rng, 1e6));
        assert_true(fs_queue_check(f->q));
        assert_true(fs_queue_bytes(f->q) > 300000 * sizeof(struct fs_event));
        /* Shrink to a few, with holds in between, then grow back. */
        for (uint64_t i = 0; fs_queue_size(f->q) > 100; i++) {
            assert_true(pop_both(f));
            if (i % 3 == 0)
                push_both(f, f->now_us + fs_rng_exp_us(&f->rng, 1e6));
        }
        assert_true(fs_queue_check(f->q));
        for (int i = 0; i < 100000; i++) {
            assert_true(pop_both(f));
            push_both(f, f->now_us + fs_rng_exp_us(&f->rng, 1e6));
        }
        assert_true(fs_queue_check(f->q));
        assert_true(fs_queue_bytes(f->q) < 16 * small_bytes + 65536);
        drain_both(f);
        assert_true(fs_queue_bytes(f->q) <= small_bytes + 65536);
    }
}

static void
test_queue_skewed_times(void **state)
{
    struct qfix *f = *state;
    /* Most events within seconds, a few days away. */
    for (int i = 0; i < 200000; i++) {
        int64_t d = fs_rng_below(&f->rng, 100) == 0
                        ? (int64_t)fs_rng_below(&f->rng, 30 * DAY_US)
                        : (int64_t)fs_rng_below(&f->rng, 2000000);
        push_both(f, d);
    }
    assert_true(fs_queue_check(f->q));
    for (int i = 0; i < 400000; i++) {
        assert_true(pop_both(f));
        int64_t d = fs_rng_below(&f->rng, 1000) == 0
                        ? (int64_t)fs_rng_below(&f->rng, 5 * DAY_US)
                        : fs_rng_exp_us(&f->rng, 1e5);
        push_both(f, f->now_us + d);
        if (i % 100000 == 0)
            assert_true(fs_queue_check(f->q));
    }
    drain_both(f);
}

static void
test_queue_clustered_times(void **state)
{
    struct qfix *f = *state;
    /* A few instants, each with thousands of events, then holds onto them. */
    for (int i = 0; i < 100000; i++)
        push_both(f, (int64_t)fs_rng_below(&f->rng, 4) * 3600000000);
    for (int i = 0; i < 100000; i++) {
        assert_true(pop_both(f));
        int64_t d = i % 2 ? 0 : (int64_t)fs_rng_below(&f->rng, 3) * 1000;
        push_both(f, f->now_us + d);
    }
    assert_true(fs_queue_check(f->q));
    drain_both(f);
}

static void
test_queue_dense_pushes_near_now(void **state)
{
    struct qfix *f = *state;
    /* Two far-apart events make wide buckets; then many land in between. */
    push_both(f, 0);
    push_both(f, 1000000000);
    assert_true(pop_both(f));
    for (int i = 0; i < 50000; i++) {
        uint64_t room = (uint64_t)(1000000000 - f->now_us);
        push_both(f, f->now_us + (int64_t)fs_rng_below(&f->rng, room));
        if (i % 10 == 0)
            assert_true(pop_both(f));
    }
    assert_true(fs_queue_check(f->q));
    drain_both(f);
}

static void
test_queue_same_time_flood(void **state)
{
    struct qfix *f = *state;
    /* Wide buckets, then a flood at one instant inside the nearest one. */
    push_both(f, 0);
    push_both(f, 1000000000);
    assert_true(pop_both(f));
    for (int i = 0; i < 20000; i++)
        push_both(f, 5);
    assert_true(pop_both(f));
    for (int i = 0; i < 40000; i++) {
        push_both(f, 5);
        if (i % 4 == 0)
            push_both(f, 6);
        if (i % 3 == 0)
            assert_true(pop_both(f));
    }
    assert_true(fs_queue_check(f->q));
    drain_both(f);
}

/* Push one event with a chosen seq into both queues. */
static void
push_seq_both(struct qfix *f, int64_t at_us, uint64_t seq)
{
    struct fs_event ev = {
        .at_us = at_us,
        .seq = seq,
        .fn = NULL,
        .arg = (void *)(uintptr_t)seq,
    };
    fs_queue_push(f->q, &ev);
    fs_heapq_push(f->h, &ev);
}

static void
test_queue_dense_ties_any_seq_order(void **state)
{
    struct qfix *f = *state;
    /* Several events per microsecond (buckets sorted by counting), with
     * seq unrelated to push order, so ties must still come out by seq. */
    for (uint64_t i = 0; i < 200000; i++)
        push_seq_both(f, (int64_t)fs_rng_below(&f->rng, 100000),
                      (i * 7919) % 200000);
    assert_true(fs_queue_check(f->q));
    uint64_t seq = 1000000;
    for (int i = 0; i < 300000; i++) {
        assert_true(pop_both(f));
        int64_t at = f->now_us + (int64_t)fs_rng_below(&f->rng, 3000);
        /* Falling seqs: later pushes sort before earlier ones on ties. */
        push_seq_both(f, at, seq--);
        if (i % 50000 == 0)
            assert_true(fs_queue_check(f->q));
    }
    drain_both(f);
}

static void
test_queue_hold_model_matches_heap(void **state)
{
    struct qfix *f = *state;
    /* The benchmark's model: each pop is pushed back Exp(1 s) later. */
    for (int i = 0; i < 200000; i++)
        push_both(f, fs_rng_exp_us(&f->rng, 1e6));
    for (int i = 0; i < 1000000; i++) {
        assert_true(pop_both(f));
        push_both(f, f->now_us + fs_rng_exp_us(&f->rng, 1e6));
        if (i % 250000 == 0)
            assert_true(fs_queue_check(f->q));
    }
    /* Then shrink to empty while pushing a little. */
    for (int i = 0; pop_both(f); i++)
        if (i % 4 == 0)
            push_both(f, f->now_us + fs_rng_exp_us(&f->rng, 1e6));
    assert_int_equal(fs_queue_size(f->q), 0);
    assert_true(fs_queue_check(f->q));
}

static void
test_queue_hold_near_now_matches_heap(void **state)
{
    struct qfix *f = *state;
    /* Many pushes land in the sorted bottom: half at the current time,
     * most of the rest within a millisecond, a few far out. */
    for (int i = 0; i < 100000; i++)
        push_both(f, fs_rng_exp_us(&f->rng, 1e6));
    for (int i = 0; i < 600000; i++) {
        assert_true(pop_both(f));
        int64_t d;
        uint64_t u = fs_rng_below(&f->rng, 20);
        if (u < 10)
            d = 0;
        else if (u < 19)
            d = fs_rng_exp_us(&f->rng, 1e3);
        else
            d = fs_rng_exp_us(&f->rng, 1e8);
        push_both(f, f->now_us + d);
        if (i % 150000 == 0)
            assert_true(fs_queue_check(f->q));
    }
    drain_both(f);
}

static void
test_queue_matches_heap_1m_ops(void **state)
{
    struct qfix *f = *state;
    for (int i = 0; i < 1000000; i++) {
        uint64_t op = fs_rng_below(&f->rng, 100);
        /* Drift between growing and shrinking phases. */
        uint64_t push_pct = (i / 100000) % 2 ? 40 : 60;
        if (op < push_pct) {
            int64_t d;
            switch (fs_rng_below(&f->rng, 4)) {
            case 0:
                d = 0;
                break;
            case 1:
                d = (int64_t)fs_rng_below(&f->rng, 1000);
                break;
            case 2:
                d = fs_rng_exp_us(&f->rng, 1e6);
                break;
            default:
                d = (int64_t)fs_rng_below(&f->rng, 10 * DAY_US);
                break;
            }
            push_both(f, f->now_us + d);
        } else {
            pop_both(f);
        }
        if (i % 250000 == 0)
            assert_true(fs_queue_check(f->q));
    }
    assert_int_equal(fs_queue_size(f->q), fs_heapq_size(f->h));
    assert_true(fs_queue_check(f->q));
    drain_both(f);
}

static void
test_queue_heap_reference_is_sound(void **state)
{
    struct qfix *f = *state;
    struct fs_event ev;
    assert_false(fs_heapq_pop(f->h, &ev));
    assert_false(fs_heapq_peek(f->h, &ev));
    for (int i = 0; i < 20000; i++) {
        struct fs_event e = {.at_us = (int64_t)fs_rng_below(&f->rng, 50),
                             .seq = (uint64_t)i};
        fs_heapq_push(f->h, &e);
    }
    assert_true(fs_heapq_check(f->h));
    struct fs_event prev;
    assert_true(fs_heapq_pop(f->h, &prev));
    while (fs_heapq_pop(f->h, &ev)) {
        assert_true(fs_event_before(&prev, &ev));
        prev = ev;
    }
    assert_int_equal(fs_heapq_size(f->h), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_queue_orders_by_time),
        T(test_queue_fifo_ties),
        T(test_queue_ties_sorted_by_seq_not_push_order),
        T(test_queue_empty_pop),
        T(test_queue_interleaved_push_pop),
        T(test_queue_peek_then_push_earlier),
        T(test_queue_grows_and_shrinks),
        T(test_queue_skewed_times),
        T(test_queue_clustered_times),
        T(test_queue_dense_pushes_near_now),
        T(test_queue_same_time_flood),
        T(test_queue_dense_ties_any_seq_order),
        T(test_queue_hold_model_matches_heap),
        T(test_queue_hold_near_now_matches_heap),
        T(test_queue_matches_heap_1m_ops),
        T(test_queue_heap_reference_is_sound),
#undef T
    };
    return cmocka_run_group_tests_name("queue", tests, NULL, NULL);
}
