/*
 * tests/test_rng.c - the seeded random streams.
 *
 * Owns: the unit tests of fs_rng_*: determinism, independence of streams
 * keyed by seed, device and purpose, the range and rough uniformity of
 * fs_rng_below, and the mean of fs_rng_exp_us.
 * Invariants: every test leaves no live allocation (checked in teardown).
 * Does not: test statistical quality beyond coarse sanity bounds.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fleetsim/mem.h"
#include "fleetsim/rng.h"

#define DRAWS 1000

static int
teardown(void **state)
{
    (void)state;
    assert_int_equal(fs_mem_live_blocks(), 0);
    return 0;
}

/* Draw DRAWS values of the stream keyed by (seed, device, stream). */
static void
draw_seq(uint64_t seed, uint32_t device, enum fs_rng_stream stream,
         uint64_t out[DRAWS])
{
    struct fs_rng r;
    fs_rng_seed(&r, seed, device, stream);
    for (int i = 0; i < DRAWS; i++)
        out[i] = fs_rng_next(&r);
}

/* Count positions where a and b agree; independent streams almost never do. */
static int
same_count(const uint64_t a[DRAWS], const uint64_t b[DRAWS])
{
    int n = 0;
    for (int i = 0; i < DRAWS; i++)
        n += a[i] == b[i];
    return n;
}

static void
test_rng_is_deterministic(void **state)
{
    (void)state;
    uint64_t a[DRAWS];
    uint64_t b[DRAWS];
    draw_seq(7, 12, FS_RNG_NET, a);
    draw_seq(7, 12, FS_RNG_NET, b);
    assert_memory_equal(a, b, sizeof(a));
    /* Reseeding rewinds. */
    struct fs_rng r;
    fs_rng_seed(&r, 7, 12, FS_RNG_NET);
    assert_int_equal(fs_rng_next(&r), a[0]);
    fs_rng_seed(&r, 7, 12, FS_RNG_NET);
    assert_int_equal(fs_rng_next(&r), a[0]);
    assert_int_equal(r.counter, 1);
}

static void
test_rng_streams_differ_by_key(void **state)
{
    (void)state;
    uint64_t base[DRAWS];
    uint64_t other[DRAWS];
    draw_seq(1, 0, FS_RNG_KEYS, base);
    draw_seq(2, 0, FS_RNG_KEYS, other); /* seed */
    assert_int_equal(same_count(base, other), 0);
    draw_seq(1, 1, FS_RNG_KEYS, other); /* device id */
    assert_int_equal(same_count(base, other), 0);
    draw_seq(1, 0, FS_RNG_FAULTS, other); /* stream */
    assert_int_equal(same_count(base, other), 0);
    /* Neighbouring devices on every stream are pairwise distinct. */
    for (uint32_t d = 0; d < 64; d++) {
        for (int s = FS_RNG_KEYS; s <= FS_RNG_SCENARIO; s++) {
            struct fs_rng r;
            fs_rng_seed(&r, 1, d, (enum fs_rng_stream)s);
            if (d == 0 && s == FS_RNG_KEYS)
                continue;
            assert_true(fs_rng_next(&r) != base[0]);
        }
    }
}

static void
test_rng_streams_are_independent(void **state)
{
    (void)state;
    uint64_t alone[DRAWS];
    draw_seq(3, 5, FS_RNG_BOOT, alone);
    /* Interleave heavy use of other streams; ours must not change. */
    struct fs_rng mine;
    struct fs_rng noisy;
    struct fs_rng same_dev;
    fs_rng_seed(&mine, 3, 5, FS_RNG_BOOT);
    fs_rng_seed(&noisy, 3, 6, FS_RNG_BOOT);
    fs_rng_seed(&same_dev, 3, 5, FS_RNG_NET);
    for (int i = 0; i < DRAWS; i++) {
        for (int k = 0; k < i % 5; k++) {
            (void)fs_rng_next(&noisy);
            (void)fs_rng_below(&same_dev, 10);
        }
        assert_int_equal(fs_rng_next(&mine), alone[i]);
    }
}

static void
test_rng_below_range_and_uniformity(void **state)
{
    (void)state;
    struct fs_rng r;
    fs_rng_seed(&r, 9, 0, FS_RNG_SCENARIO);
    enum { BINS = 10, N = 100000 };
    unsigned hist[BINS] = {0};
    for (int i = 0; i < N; i++) {
        uint64_t v = fs_rng_below(&r, BINS);
        assert_true(v < BINS);
        hist[v]++;
    }
    for (int b = 0; b < BINS; b++) {
        /* Expect 10,000 each; 5 sigma is about 475. */
        assert_in_range(hist[b], 9500, 10500);
    }
    for (int i = 0; i < 10000; i++)
        assert_int_equal(fs_rng_below(&r, 1), 0);
    uint64_t big = UINT64_MAX - 12345;
    for (int i = 0; i < 10000; i++)
        assert_true(fs_rng_below(&r, big) < big);
    for (int i = 0; i < 10000; i++) {
        double u = fs_rng_unit(&r);
        assert_true(u >= 0.0 && u < 1.0);
    }
}

static void
test_rng_exp_mean(void **state)
{
    (void)state;
    struct fs_rng r;
    fs_rng_seed(&r, 11, 3, FS_RNG_FAULTS);
    const double mean_us = 1e6;
    double sum = 0.0;
    int64_t least = INT64_MAX;
    for (int i = 0; i < 100000; i++) {
        int64_t v = fs_rng_exp_us(&r, mean_us);
        assert_true(v >= 1);
        least = v < least ? v : least;
        sum += (double)v;
    }
    /* Standard error of the mean is mean / sqrt(n), about 0.32%. */
    assert_true(fabs(sum / 100000 - mean_us) < 0.02 * mean_us);
    assert_true(least < 1000);
}

static void
test_rng_bytes_deterministic(void **state)
{
    (void)state;
    unsigned char a[37];
    unsigned char b[37];
    struct fs_rng r;
    fs_rng_seed(&r, 1, 2, FS_RNG_KEYS);
    fs_rng_bytes(&r, a, sizeof(a));
    fs_rng_seed(&r, 1, 2, FS_RNG_KEYS);
    fs_rng_bytes(&r, b, sizeof(b));
    assert_memory_equal(a, b, sizeof(a));
    fs_rng_seed(&r, 1, 3, FS_RNG_KEYS);
    fs_rng_bytes(&r, b, sizeof(b));
    assert_memory_not_equal(a, b, sizeof(a));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_rng_is_deterministic, teardown),
        cmocka_unit_test_teardown(test_rng_streams_differ_by_key, teardown),
        cmocka_unit_test_teardown(test_rng_streams_are_independent, teardown),
        cmocka_unit_test_teardown(test_rng_below_range_and_uniformity,
                                  teardown),
        cmocka_unit_test_teardown(test_rng_exp_mean, teardown),
        cmocka_unit_test_teardown(test_rng_bytes_deterministic, teardown),
    };
    return cmocka_run_group_tests_name("rng", tests, NULL, NULL);
}
