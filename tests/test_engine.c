/*
 * tests/test_engine.c - the discrete-event engine through its public API.
 *
 * Owns: the unit tests of fs_sim_*: firing order (time, then scheduling
 * order), schedule_at, the schedule errors, cancel (twice, after firing,
 * ids never issued, from inside a handler, of a sibling at the same time),
 * rescheduling from a handler, stop and resume, fs_sim_next_us as a pure
 * query, fs_sim_check over a random mix compared with a reference list,
 * and that destroy gives back every block.
 * Invariants: every test leaves no live allocation (checked in teardown);
 * handlers find the fixture in context slot 0, which the tests own here.
 * Does not: use the queue directly (tests/test_queue.c does), or any layer
 * above the engine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fleetsim/err.h"
#include "fleetsim/mem.h"
#include "fleetsim/rng.h"
#include "fleetsim/sim.h"

#define LOG_MAX 4096
#define FIX_SLOT 0u /* the context slot the fixture is attached to */

struct efix {
    struct fs_sim *sim;      /* engine under test */
    size_t blocks0;          /* fs_mem_live_blocks() before create */
    int log[LOG_MAX];        /* tags of fired events, in firing order */
    int64_t log_at[LOG_MAX]; /* fs_sim_now_us at each firing */
    size_t nlog;             /* entries of log */
    uint64_t id[16];         /* ids the tests and handlers share */
    int again;               /* reschedules left for test handlers */
};

static struct efix *
fix(struct fs_sim *sim)
{
    return fs_sim_ctx(sim, FIX_SLOT);
}

static void *
tag(int t)
{
    return (void *)(intptr_t)t;
}

/* Log the event's tag and time. */
static void
on_log(struct fs_sim *sim, void *arg)
{
    struct efix *f = fix(sim);
    assert_true(f->nlog < LOG_MAX);
    f->log[f->nlog] = (int)(intptr_t)arg;
    f->log_at[f->nlog] = fs_sim_now_us(sim);
    f->nlog++;
}

static void
assert_log(const struct efix *f, const int *want, size_t n)
{
    assert_int_equal(f->nlog, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(f->log[i], want[i]);
}

static int
setup(void **state)
{
    size_t blocks0 = fs_mem_live_blocks();
    struct efix *f = fs_xcalloc(1, sizeof(*f));
    f->blocks0 = blocks0;
    assert_int_equal(fs_sim_create(7, 0, &f->sim), 0);
    fs_sim_set_ctx(f->sim, FIX_SLOT, f);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct efix *f = *state;
    assert_true(fs_sim_check(f->sim));
    fs_sim_destroy(f->sim);
    size_t blocks0 = f->blocks0;
    fs_free(f);
    assert_int_equal(fs_mem_live_blocks(), blocks0);
    return 0;
}

static uint64_t
run_all(struct efix *f)
{
    uint64_t ran = 0;
    assert_int_equal(fs_sim_run(f->sim, FS_SIM_TIME_MAX_US, UINT64_MAX, &ran),
                     0);
    assert_true(fs_sim_check(f->sim));
    return ran;
}

/* Run what is due by now + 10 us; returns the count run. */
static uint64_t
run_10us(struct efix *f)
{
    uint64_t ran = 0;
    int64_t until = fs_sim_now_us(f->sim) + 10;
    assert_int_equal(fs_sim_run(f->sim, until, UINT64_MAX, &ran), 0);
    assert_true(fs_sim_check(f->sim));
    return ran;
}

static void
test_engine_orders_by_time_then_fifo(void **state)
{
    struct efix *f = *state;
    uint64_t id;
    /* Ties at 10 us mix events with and without ids: FIFO either way. */
    assert_int_equal(fs_sim_schedule(f->sim, 30, on_log, tag(0), NULL), 0);
    assert_int_equal(fs_sim_schedule(f->sim, 10, on_log, tag(1), &id), 0);
    assert_int_equal(fs_sim_schedule(f->sim, 20, on_log, tag(2), NULL), 0);
    assert_int_equal(fs_sim_schedule(f->sim, 10, on_log, tag(3), NULL), 0);
    assert_int_equal(fs_sim_schedule(f->sim, 10, on_log, tag(4), &id), 0);
    assert_int_equal(fs_sim_schedule(f->sim, 0, on_log, tag(5), NULL), 0);
    assert_int_equal(fs_sim_pending(f->sim), 6);
    assert_int_equal(run_all(f), 6);
    const int want[] = {5, 1, 3, 4, 2, 0};
    assert_log(f, want, 6);
    const int64_t at[] = {0, 10, 10, 10, 20, 30};
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(f->log_at[i], at[i]);
    assert_int_equal(fs_sim_events(f->sim), 6);
    assert_int_equal(fs_sim_pending(f->sim), 0);
    assert_int_equal(fs_sim_now_us(f->sim), FS_SIM_TIME_MAX_US);
}

static void
test_engine_run_stops_at_until_and_budget(void **state)
{
    struct efix *f = *state;
    for (int i = 0; i < 5; i++)
        assert_int_equal(
            fs_sim_schedule(f->sim, 10 * (i + 1), on_log, tag(i), NULL), 0);
    uint64_t ran = 99;
    assert_int_equal(fs_sim_run(f->sim, 25, UINT64_MAX, &ran), 0);
    assert_int_equal(ran, 2);
    assert_int_equal(fs_sim_now_us(f->sim), 25); /* advanced to until */
    assert_int_equal(fs_sim_run(f->sim, 100, 2, &ran), 0);
    assert_int_equal(ran, 2);
    assert_int_equal(fs_sim_now_us(f->sim), 40); /* the last event run */
    assert_int_equal(fs_sim_next_us(f->sim), 50);
    assert_int_equal(fs_sim_pending(f->sim), 1);
}

static void
test_engine_schedule_at(void **state)
{
    struct efix *f = *state;
    assert_int_equal(fs_sim_run(f->sim, 100, UINT64_MAX, NULL), 0);
    assert_int_equal(fs_sim_schedule_at(f->sim, 150, on_log, tag(1), NULL), 0);
    assert_int_equal(fs_sim_schedule_at(f->sim, 100, on_log, tag(0), NULL), 0);
    assert_int_equal(fs_sim_schedule_at(f->sim, 99, on_log, tag(9), NULL),
                     FS_EINVAL);
    assert_int_equal(fs_sim_pending(f->sim), 2);
    run_all(f);
    const int want[] = {0, 1};
    assert_log(f, want, 2);
    assert_int_equal(f->log_at[0], 100);
    assert_int_equal(f->log_at[1], 150);
}

static void
test_engine_schedule_errors(void **state)
{
    struct efix *f = *state;
    uint64_t id = 12345;
    assert_int_equal(fs_sim_schedule(f->sim, -1, on_log, tag(0), &id),
                     FS_EINVAL);
    assert_int_equal(
        fs_sim_schedule(f->sim, FS_SIM_TIME_MAX_US + 1, on_log, tag(0), &id),
        FS_ELIMIT);
    assert_int_equal(
        fs_sim_schedule_at(f->sim, FS_SIM_TIME_MAX_US + 1, on_log, tag(0), &id),
        FS_ELIMIT);
    assert_int_equal(id, 12345); /* untouched on error */
    assert_int_equal(fs_sim_pending(f->sim), 0);
    /* The limit itself is allowed, also relative to a later now. */
    assert_int_equal(fs_sim_run(f->sim, 1000, UINT64_MAX, NULL), 0);
    assert_int_equal(
        fs_sim_schedule(f->sim, FS_SIM_TIME_MAX_US - 1000, on_log, tag(1), &id),
        0);
    assert_int_equal(
        fs_sim_schedule(f->sim, FS_SIM_TIME_MAX_US - 999, on_log, tag(2), NULL),
        FS_ELIMIT);
    assert_int_not_equal(id, 0);
    run_all(f);
    const int want[] = {1};
    assert_log(f, want, 1);
    assert_int_equal(f->log_at[0], FS_SIM_TIME_MAX_US);
}

static void
test_engine_cancel_twice(void **state)
{
    struct efix *f = *state;
    uint64_t a, b;
    assert_int_equal(fs_sim_schedule(f->sim, 10, on_log, tag(0), &a), 0);
    assert_int_equal(fs_sim_schedule(f->sim, 20, on_log, tag(1), &b), 0);
    assert_int_not_equal(a, 0);
    assert_int_not_equal(a, b);
    fs_sim_cancel(f->sim, a);
    assert_int_equal(fs_sim_pending(f->sim), 1);
    fs_sim_cancel(f->sim, a);
    assert_int_equal(fs_sim_pending(f->sim), 1);
    assert_true(fs_sim_check(f->sim));
    assert_int_equal(run_all(f), 1);
    const int want[] = {1};
    assert_log(f, want, 1);
    assert_int_equal(fs_sim_events(f->sim), 1);
}

static void
test_engine_cancel_after_fired_leaves_nothing(void **state)
{
    struct efix *f = *state;
    uint64_t first;
    assert_int_equal(fs_sim_schedule(f->sim, 1, on_log, tag(0), &first), 0);
    assert_int_equal(run_10us(f), 1);
    size_t bytes = fs_sim_bytes(f->sim);
    /* Re-arm-style use: cancel the old id (already fired), schedule again. */
    uint64_t old = first;
    for (int i = 1; i <= 1000; i++) {
        fs_sim_cancel(f->sim, old);
        fs_sim_cancel(f->sim, first);
        assert_int_equal(fs_sim_pending(f->sim), 0);
        assert_int_equal(fs_sim_schedule(f->sim, 1, on_log, tag(i), &old), 0);
        fs_sim_cancel(f->sim, first); /* stale even if its slot is reused */
        assert_int_equal(fs_sim_pending(f->sim), 1);
        assert_int_equal(run_10us(f), 1);
    }
    assert_int_equal(f->nlog, 1001);
    assert_int_equal(f->log[1000], 1000);
    assert_int_equal(fs_sim_bytes(f->sim), bytes);
}

static void
test_engine_cancel_never_issued(void **state)
{
    struct efix *f = *state;
    uint64_t a;
    assert_int_equal(fs_sim_schedule(f->sim, 5, on_log, tag(0), &a), 0);
    const uint64_t bogus[] = {0,
                              1,
                              2,
                              UINT64_MAX,
                              a + 1,
                              a ^ ((uint64_t)1 << 32),
                              a + ((uint64_t)7 << 32),
                              (uint32_t)a};
    for (size_t i = 0; i < sizeof(bogus) / sizeof(bogus[0]); i++) {
        fs_sim_cancel(f->sim, bogus[i]);
        assert_int_equal(fs_sim_pending(f->sim), 1);
    }
    assert_true(fs_sim_check(f->sim));
    assert_int_equal(run_all(f), 1);
    const int want[] = {0};
    assert_log(f, want, 1);
}

/* Tag 0 cancels f->id[1] (a later event) and its own id f->id[0]. */
static void
on_cancel_other(struct fs_sim *sim, void *arg)
{
    struct efix *f = fix(sim);
    on_log(sim, arg);
    fs_sim_cancel(sim, f->id[1]);
    fs_sim_cancel(sim, f->id[0]); /* itself: already fired, a no-op */
    fs_sim_cancel(sim, f->id[1]);
}

static void
test_engine_cancel_from_handler(void **state)
{
    struct efix *f = *state;
    assert_int_equal(
        fs_sim_schedule(f->sim, 10, on_cancel_other, tag(0), &f->id[0]), 0);
    assert_int_equal(fs_sim_schedule(f->sim, 50, on_log, tag(1), &f->id[1]), 0);
    assert_int_equal(fs_sim_schedule(f->sim, 60, on_log, tag(2), &f->id[2]), 0);
    assert_int_equal(run_all(f), 2);
    const int want[] = {0, 2};
    assert_log(f, want, 2);
    assert_int_equal(fs_sim_pending(f->sim), 0);
}

static void
test_engine_cancel_sibling_same_time(void **state)
{
    struct efix *f = *state;
    /* Three events at 10 us; the first cancels the second. */
    assert_int_equal(
        fs_sim_schedule(f->sim, 10, on_cancel_other, tag(0), &f->id[0]), 0);
    assert_int_equal(fs_sim_schedule(f->sim, 10, on_log, tag(1), &f->id[1]), 0);
    assert_int_equal(fs_sim_schedule(f->sim, 10, on_log, tag(2), &f->id[2]), 0);
    assert_int_equal(fs_sim_schedule(f->sim, 10, on_log, tag(3), NULL), 0);
    assert_int_equal(run_all(f), 3);
    const int want[] = {0, 2, 3};
    assert_log(f, want, 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(f->log_at[i], 10);
}

/* Log, then reschedule itself 5 us later while f->again > 0. */
static void
on_again(struct fs_sim *sim, void *arg)
{
    struct efix *f = fix(sim);
    on_log(sim, arg);
    if (f->again-- > 0) {
        uint64_t prev = f->id[0];
        assert_int_equal(fs_sim_schedule(sim, 5, on_again, arg, &f->id[0]), 0);
        fs_sim_cancel(sim, prev); /* the id that just fired: a no-op */
    }
}

/* Log; the first time, reschedule itself at the same time (delay 0). */
static void
on_again_now(struct fs_sim *sim, void *arg)
{
    struct efix *f = fix(sim);
    on_log(sim, arg);
    if (f->again-- > 0)
        assert_int_equal(fs_sim_schedule(sim, 0, on_again_now, tag(9), NULL),
                         0);
}

static void
test_engine_reschedule_from_handler(void **state)
{
    struct efix *f = *state;
    f->again = 3;
    assert_int_equal(fs_sim_schedule(f->sim, 10, on_again, tag(7), &f->id[0]),
                     0);
    assert_int_equal(run_all(f), 4);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(f->log[i], 7);
        assert_int_equal(f->log_at[i], 10 + 5 * (int64_t)i);
    }
}

static void
test_engine_reschedule_now_goes_last(void **state)
{
    struct efix *f = *state;
    /* A delay-0 reschedule fires after what was already due at that time. */
    f->again = 1;
    assert_int_equal(fs_sim_schedule(f->sim, 10, on_again_now, tag(0), NULL),
                     0);
    assert_int_equal(fs_sim_schedule(f->sim, 10, on_log, tag(1), NULL), 0);
    assert_int_equal(run_all(f), 3);
    const int want[] = {0, 1, 9};
    assert_log(f, want, 3);
    assert_int_equal(f->log_at[2], 10);
}

/* Log and stop the engine. */
static void
on_stop(struct fs_sim *sim, void *arg)
{
    on_log(sim, arg);
    fs_sim_stop(sim);
}

static void
test_engine_stop_and_resume(void **state)
{
    struct efix *f = *state;
    assert_int_equal(fs_sim_schedule(f->sim, 10, on_log, tag(0), NULL), 0);
    assert_int_equal(fs_sim_schedule(f->sim, 20, on_stop, tag(1), NULL), 0);
    assert_int_equal(fs_sim_schedule(f->sim, 20, on_log, tag(2), NULL), 0);
    assert_int_equal(fs_sim_schedule(f->sim, 30, on_log, tag(3), NULL), 0);
    uint64_t ran = 0;
    assert_int_equal(fs_sim_run(f->sim, 100, UINT64_MAX, &ran), FS_EINTR);
    assert_int_equal(ran, 2);
    assert_true(fs_sim_is_stopped(f->sim));
    assert_int_equal(fs_sim_now_us(f->sim), 20); /* not advanced to until */
    assert_int_equal(fs_sim_pending(f->sim), 2);
    assert_int_equal(fs_sim_next_us(f->sim), 20);
    /* The stop holds. */
    assert_int_equal(fs_sim_run(f->sim, 100, UINT64_MAX, &ran), FS_EINTR);
    assert_int_equal(ran, 0);
    assert_int_equal(f->nlog, 2);
    /* Resume: the rest runs in order, nothing lost or repeated. */
    fs_sim_resume(f->sim);
    assert_false(fs_sim_is_stopped(f->sim));
    assert_int_equal(fs_sim_run(f->sim, 100, UINT64_MAX, &ran), 0);
    assert_int_equal(ran, 2);
    const int want[] = {0, 1, 2, 3};
    assert_log(f, want, 4);
    assert_int_equal(fs_sim_now_us(f->sim), 100);
    assert_int_equal(fs_sim_events(f->sim), 4);
}

static void
test_engine_next_us_is_a_query(void **state)
{
    struct efix *f = *state;
    const struct fs_sim *csim = f->sim; /* next_us takes a const engine */
    uint64_t a;
    assert_int_equal(fs_sim_next_us(csim), INT64_MAX);
    assert_int_equal(fs_sim_schedule(f->sim, 50, on_log, tag(0), NULL), 0);
    assert_int_equal(fs_sim_next_us(csim), 50);
    assert_int_equal(fs_sim_schedule(f->sim, 20, on_log, tag(1), &a), 0);
    assert_int_equal(fs_sim_schedule(f->sim, 30, on_log, tag(2), NULL), 0);
    assert_int_equal(fs_sim_schedule(f->sim, 20, on_log, tag(3), NULL), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(fs_sim_next_us(csim), 20);
        assert_int_equal(fs_sim_pending(csim), 4);
    }
    /* A cancelled front still counts (a lower bound), and stays queued. */
    fs_sim_cancel(f->sim, a);
    assert_int_equal(fs_sim_pending(csim), 3);
    assert_int_equal(fs_sim_next_us(csim), 20);
    assert_int_equal(fs_sim_pending(csim), 3);
    assert_int_equal(fs_sim_now_us(csim), 0);
    uint64_t ran = 0;
    assert_int_equal(fs_sim_run(f->sim, 25, UINT64_MAX, &ran), 0);
    assert_int_equal(ran, 1);
    assert_int_equal(fs_sim_next_us(csim), 30);
    run_all(f);
    const int want[] = {3, 2, 0};
    assert_log(f, want, 3);
    assert_int_equal(fs_sim_next_us(csim), INT64_MAX);
}

/* Reference entry of the random test. */
struct ref {
    int64_t at_us; /* firing time */
    uint64_t id;   /* engine id, or 0 */
    bool cancelled;
    bool fired;
};

static void
test_engine_random_mix_matches_reference(void **state)
{
    struct efix *f = *state;
    static struct ref refs[LOG_MAX];
    size_t nrefs = 0;
    struct fs_rng rng;
    fs_rng_seed(&rng, 99, 0, FS_RNG_BENCH);
    size_t expect_fired = 0;
    while (nrefs < LOG_MAX - 64) {
        /* Schedule a burst, some with ids, on a coarse grid (many ties). */
        for (int k = 0; k < 40; k++) {
            struct ref *r = &refs[nrefs];
            int64_t delay = (int64_t)(fs_rng_below(&rng, 16)) * 8;
            bool want_id = fs_rng_below(&rng, 2) == 0;
            r->at_us = fs_sim_now_us(f->sim) + delay;
            assert_int_equal(fs_sim_schedule(f->sim, delay, on_log,
                                             tag((int)nrefs),
                                             want_id ? &r->id : NULL),
                             0);
            nrefs++;
        }
        /* Cancel some ids at random: pending, fired or cancelled ones. */
        for (int k = 0; k < 12; k++) {
            struct ref *r = &refs[fs_rng_below(&rng, nrefs)];
            if (r->id == 0)
                continue;
            fs_sim_cancel(f->sim, r->id);
            if (!r->fired)
                r->cancelled = true;
        }
        assert_true(fs_sim_check(f->sim));
        size_t before = f->nlog;
        int64_t until = fs_sim_now_us(f->sim) + 40;
        assert_int_equal(fs_sim_run(f->sim, until, UINT64_MAX, NULL), 0);
        assert_true(fs_sim_check(f->sim));
        for (size_t i = before; i < f->nlog; i++) {
            struct ref *r = &refs[f->log[i]];
            assert_false(r->cancelled);
            assert_false(r->fired);
            assert_int_equal(f->log_at[i], r->at_us);
            r->fired = true;
        }
        /* Everything due by `until` fired; nothing later did. */
        size_t live = 0;
        for (size_t i = 0; i < nrefs; i++) {
            bool due = refs[i].at_us <= until && !refs[i].cancelled;
            assert_int_equal(refs[i].fired, due);
            live += !refs[i].cancelled && !refs[i].fired;
        }
        assert_int_equal(fs_sim_pending(f->sim), live);
    }
    run_all(f);
    for (size_t i = 0; i < nrefs; i++)
        expect_fired += !refs[i].cancelled;
    assert_int_equal(f->nlog, expect_fired);
    /* Firing order is (time, scheduling order). */
    for (size_t i = 1; i < f->nlog; i++) {
        assert_true(f->log_at[i - 1] <= f->log_at[i]);
        if (f->log_at[i - 1] == f->log_at[i])
            assert_true(f->log[i - 1] < f->log[i]);
    }
}

static void
test_engine_destroy_with_pending_frees_all(void **state)
{
    struct efix *f = *state;
    uint64_t id;
    for (int i = 0; i < 3000; i++) {
        assert_int_equal(
            fs_sim_schedule(f->sim, i % 97, on_log, tag(i), i % 3 ? &id : NULL),
            0);
        if (i % 5 == 0)
            fs_sim_cancel(f->sim, id);
    }
    assert_true(fs_sim_pending(f->sim) > 0);
    fs_sim_record(f->sim, 1, 2, 3);
    /* teardown destroys with everything still queued and checks blocks. */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_engine_orders_by_time_then_fifo),
        T(test_engine_run_stops_at_until_and_budget),
        T(test_engine_schedule_at),
        T(test_engine_schedule_errors),
        T(test_engine_cancel_twice),
        T(test_engine_cancel_after_fired_leaves_nothing),
        T(test_engine_cancel_never_issued),
        T(test_engine_cancel_from_handler),
        T(test_engine_cancel_sibling_same_time),
        T(test_engine_reschedule_from_handler),
        T(test_engine_reschedule_now_goes_last),
        T(test_engine_stop_and_resume),
        T(test_engine_next_us_is_a_query),
        T(test_engine_random_mix_matches_reference),
        T(test_engine_destroy_with_pending_frees_all),
#undef T
    };
    return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
