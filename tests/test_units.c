/*
 * tests/test_units.c - every unit form of the scenario format, and errors.
 *
 * Owns: the cmocka group for sim/engine/units.c.
 * Invariants: each test checks exact integer results; teardown checks no
 * block is left allocated.
 * Does not: touch YAML (see test_scn.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fleetsim/err.h"
#include "fleetsim/mem.h"
#include "fleetsim/units.h"

#define US_S INT64_C(1000000)

static int
teardown(void **state)
{
    (void)state;
    assert_int_equal(fs_mem_live_blocks(), 0);
    return 0;
}

static int64_t
dur(const char *s)
{
    int64_t us = -1;
    const char *why = NULL;
    assert_int_equal(fs_units_duration(s, &us, &why), 0);
    return us;
}

static const char *
dur_err(const char *s)
{
    int64_t us = 12345;
    const char *why = NULL;
    assert_int_equal(fs_units_duration(s, &us, &why), FS_EINVAL);
    assert_int_equal(us, 12345); /* untouched on error */
    assert_non_null(why);
    return why;
}

static void
test_units_duration_every_unit(void **state)
{
    (void)state;
    assert_int_equal(dur("7us"), 7);
    assert_int_equal(dur("250ms"), 250000);
    assert_int_equal(dur("3s"), 3 * US_S);
    assert_int_equal(dur("5m"), 300 * US_S);
    assert_int_equal(dur("20h"), 72000 * US_S);
    assert_int_equal(dur("14d"), 14 * 86400 * US_S);
    assert_int_equal(dur("2w"), 14 * 86400 * US_S);
}

static void
test_units_duration_decimals_round(void **state)
{
    (void)state;
    assert_int_equal(dur("1.5h"), 5400 * US_S);
    assert_int_equal(dur("0.25s"), 250000);
    assert_int_equal(dur("0.0000001s"), 0); /* 0.1us rounds down */
    assert_int_equal(dur("0.0000005s"), 1); /* 0.5us: ties up */
    assert_int_equal(dur("1.000000001w"), 604800000605);
    assert_int_equal(dur("0"), 0); /* a bare zero needs no unit */
    assert_int_equal(dur("+3s"), 3 * US_S);
}

static void
test_units_duration_errors(void **state)
{
    (void)state;
    assert_non_null(strstr(dur_err("14"), "missing unit"));
    assert_non_null(strstr(dur_err("1.5"), "missing unit"));
    assert_non_null(strstr(dur_err("14days"), "unknown unit"));
    assert_non_null(strstr(dur_err("14 d"), "unknown unit"));
    assert_non_null(strstr(dur_err("14D"), "unknown unit"));
    assert_non_null(strstr(dur_err("-1s"), "negative"));
    assert_non_null(strstr(dur_err("d"), "expected a number"));
    assert_non_null(strstr(dur_err(""), "expected a number"));
    assert_non_null(strstr(dur_err("1.s"), "digits after"));
    assert_non_null(strstr(dur_err("1.0000000001s"), "decimal places"));
    assert_non_null(strstr(dur_err("99999999999999999999s"), "too large"));
    assert_non_null(strstr(dur_err("16000000w"), "too long"));
    /* Bounded at 100 years (36500 days), checked exactly at the edge. */
    assert_int_equal(dur("36500d"), FS_UNITS_DURATION_MAX_US);
    assert_int_equal(dur("5214w"), INT64_C(5214) * 604800 * US_S);
    assert_non_null(strstr(dur_err("36500.000001d"), "at most 100 years"));
    assert_non_null(strstr(dur_err("9223372036854775807us"), "too long"));
    assert_non_null(strstr(dur_err("5215w"), "too long"));
}

static void
test_units_time_add_saturates(void **state)
{
    (void)state;
    assert_int_equal(fs_units_time_add_us(1, 2), 3);
    assert_int_equal(fs_units_time_add_us(INT64_MAX - 1, 5), INT64_MAX);
    assert_int_equal(fs_units_time_add_us(INT64_MIN + 1, -5), INT64_MIN);
    assert_int_equal(fs_units_time_add_us(INT64_MAX, -1), INT64_MAX - 1);
}

static void
test_units_format_human_small_buffers(void **state)
{
    (void)state;
    /* Every buffer length from 1 up stays inside the buffer and is
       NUL-terminated; ASan catches a read or write past it. */
    static const int64_t values[] = {
        0, 7, 250000, 5400000000, INT64_C(196007942929), -90000000};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        for (unsigned len = 1; len <= 16; len++) {
            char *buf = fs_xmalloc(len);
            fs_units_format_duration_human(values[i], buf, len);
            assert_true(strlen(buf) < len);
            fs_free(buf);
        }
    }
    char buf[32];
    fs_units_format_duration_human(0, buf, sizeof(buf));
    assert_string_equal(buf, "0s");
    fs_units_format_duration_human(INT64_C(196007942929), buf, sizeof(buf));
    assert_string_equal(buf, "2.27d");
}

static void
test_units_size_forms(void **state)
{
    (void)state;
    uint64_t b = 0;
    const char *why = NULL;
    assert_int_equal(fs_units_size("4MiB", &b, &why), 0);
    assert_int_equal(b, 4u << 20);
    assert_int_equal(fs_units_size("300KiB", &b, &why), 0);
    assert_int_equal(b, 300u * 1024);
    assert_int_equal(fs_units_size("300KB", &b, &why), 0);
    assert_int_equal(b, 300000);
    assert_int_equal(fs_units_size("2GB", &b, &why), 0);
    assert_int_equal(b, 2000000000u);
    assert_int_equal(fs_units_size("1GiB", &b, &why), 0);
    assert_int_equal(b, 1u << 30);
    assert_int_equal(fs_units_size("1.5MB", &b, &why), 0);
    assert_int_equal(b, 1500000);
    assert_int_equal(fs_units_size("17B", &b, &why), 0);
    assert_int_equal(b, 17);
    assert_int_equal(fs_units_size("4", &b, &why), FS_EINVAL);
    assert_non_null(strstr(why, "missing unit"));
    assert_int_equal(fs_units_size("4mib", &b, &why), FS_EINVAL);
    assert_non_null(strstr(why, "unknown unit"));
    assert_int_equal(fs_units_size("4TB", &b, &why), FS_EINVAL);
}

static void
test_units_bandwidth_forms(void **state)
{
    (void)state;
    uint64_t bps = 0;
    const char *why = NULL;
    assert_int_equal(fs_units_bandwidth("9600bps", &bps, &why), 0);
    assert_int_equal(bps, 9600);
    assert_int_equal(fs_units_bandwidth("56kbps", &bps, &why), 0);
    assert_int_equal(bps, 56000);
    assert_int_equal(fs_units_bandwidth("2Mbps", &bps, &why), 0);
    assert_int_equal(bps, 2000000);
    assert_int_equal(fs_units_bandwidth("10Gbps", &bps, &why), 0);
    assert_int_equal(bps, 10000000000u);
    assert_int_equal(fs_units_bandwidth("2.5Mbps", &bps, &why), 0);
    assert_int_equal(bps, 2500000);
    assert_int_equal(fs_units_bandwidth("2", &bps, &why), FS_EINVAL);
    assert_non_null(strstr(why, "missing unit"));
    assert_int_equal(fs_units_bandwidth("2mbps", &bps, &why), FS_EINVAL);
    assert_non_null(strstr(why, "unknown unit"));
    assert_int_equal(fs_units_bandwidth("2MB", &bps, &why), FS_EINVAL);
}

static void
test_units_rate_forms(void **state)
{
    (void)state;
    struct fs_rate r;
    const char *why = NULL;
    assert_int_equal(fs_units_rate("0.002/h", &r, &why), 0);
    assert_true(r.per_us > 0.002 / 3.6e9 * 0.999999);
    assert_true(r.per_us < 0.002 / 3.6e9 * 1.000001);
    assert_int_equal(r.unit, 'h');
    assert_int_equal(fs_units_rate("4/d", &r, &why), 0);
    assert_true(r.per_us > 4 / 86.4e9 * 0.999999);
    assert_int_equal(r.unit, 'd');
    assert_int_equal(fs_units_rate("50000/s", &r, &why), 0);
    assert_true(r.per_us > 0.0499999 && r.per_us < 0.0500001);
    assert_int_equal(r.unit, 's');
    assert_int_equal(fs_units_rate("0", &r, &why), 0);
    assert_true(r.per_us == 0.0);
    assert_int_equal(fs_units_rate("4", &r, &why), FS_EINVAL);
    assert_non_null(strstr(why, "missing unit"));
    assert_int_equal(fs_units_rate("4/m", &r, &why), FS_EINVAL);
    assert_non_null(strstr(why, "unknown unit"));
    assert_int_equal(fs_units_rate("-4/h", &r, &why), FS_EINVAL);
}

static void
test_units_share_forms(void **state)
{
    (void)state;
    struct fs_share sh;
    const char *why = NULL;
    assert_int_equal(fs_units_share("10%", &sh, &why), 0);
    assert_true(sh.is_percent);
    assert_int_equal(sh.ppm, 100000);
    assert_int_equal(fs_units_share("0.5%", &sh, &why), 0);
    assert_int_equal(sh.ppm, 5000);
    assert_int_equal(fs_units_share("100%", &sh, &why), 0);
    assert_int_equal(sh.ppm, 1000000);
    assert_int_equal(fs_units_share("0%", &sh, &why), 0);
    assert_int_equal(sh.ppm, 0);
    assert_int_equal(fs_units_share("250", &sh, &why), 0);
    assert_false(sh.is_percent);
    assert_int_equal(sh.count, 250);
    assert_int_equal(fs_units_share("100.5%", &sh, &why), FS_EINVAL);
    assert_non_null(strstr(why, "100%"));
    assert_int_equal(fs_units_share("150%", &sh, &why), FS_EINVAL);
    assert_int_equal(fs_units_share("1.5", &sh, &why), FS_EINVAL);
    assert_non_null(strstr(why, "whole number"));
    assert_int_equal(fs_units_share("-1%", &sh, &why), FS_EINVAL);
    assert_int_equal(fs_units_share("10 %", &sh, &why), FS_EINVAL);
}

static void
test_units_share_of_rounds(void **state)
{
    (void)state;
    struct fs_share pct = {.is_percent = true, .ppm = 5000}; /* 0.5% */
    assert_int_equal(fs_share_of(&pct, 1000), 5);
    assert_int_equal(fs_share_of(&pct, 100), 1); /* 0.5 ties up */
    assert_int_equal(fs_share_of(&pct, 99), 0);  /* 0.495 */
    struct fs_share all = {.is_percent = true, .ppm = 1000000};
    assert_int_equal(fs_share_of(&all, 10000000), 10000000);
    struct fs_share cnt = {.count = 250};
    assert_int_equal(fs_share_of(&cnt, 1000), 250);
    assert_int_equal(fs_share_of(&cnt, 100), 100); /* capped */
}

static void
test_units_format_duration_largest_exact_unit(void **state)
{
    (void)state;
    char buf[32];
    fs_units_format_duration(5400 * US_S, buf, sizeof(buf));
    assert_string_equal(buf, "1.5h");
    fs_units_format_duration(90 * US_S, buf, sizeof(buf));
    assert_string_equal(buf, "1.5m");
    fs_units_format_duration(10 * 86400 * US_S, buf, sizeof(buf));
    assert_string_equal(buf, "10d");
    fs_units_format_duration(14 * 86400 * US_S, buf, sizeof(buf));
    assert_string_equal(buf, "2w");
    fs_units_format_duration(250000, buf, sizeof(buf));
    assert_string_equal(buf, "250ms");
    fs_units_format_duration(0, buf, sizeof(buf));
    assert_string_equal(buf, "0s");
    fs_units_format_duration(1, buf, sizeof(buf));
    assert_string_equal(buf, "1us");
    fs_units_format_duration(-3 * US_S, buf, sizeof(buf));
    assert_string_equal(buf, "-3s");
    int64_t back = 0;
    fs_units_format_duration(123456789, buf, sizeof(buf));
    assert_int_equal(fs_units_duration(buf, &back, NULL), 0);
    assert_int_equal(back, 123456789);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_units_duration_every_unit, teardown),
        cmocka_unit_test_teardown(test_units_duration_decimals_round, teardown),
        cmocka_unit_test_teardown(test_units_duration_errors, teardown),
        cmocka_unit_test_teardown(test_units_time_add_saturates, teardown),
        cmocka_unit_test_teardown(test_units_format_human_small_buffers,
                                  teardown),
        cmocka_unit_test_teardown(test_units_size_forms, teardown),
        cmocka_unit_test_teardown(test_units_bandwidth_forms, teardown),
        cmocka_unit_test_teardown(test_units_rate_forms, teardown),
        cmocka_unit_test_teardown(test_units_share_forms, teardown),
        cmocka_unit_test_teardown(test_units_share_of_rounds, teardown),
        cmocka_unit_test_teardown(test_units_format_duration_largest_exact_unit,
                                  teardown),
    };
    return cmocka_run_group_tests_name("units", tests, NULL, NULL);
}
