/*
 * tests/test_metrics.c - the metrics registry: the family table, series
 * creation order, find-or-create, updates, sums, visiting and self-check.
 *
 * Owns: the cmocka group for sim/model/metrics.c.
 * Invariants: teardown checks that no block is left allocated.
 * Does not: parse expressions (tests/test_expect.c does).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fleetsim/err.h"
#include "fleetsim/mem.h"
#include "fleetsim/metrics.h"

static int
teardown(void **state)
{
    (void)state;
    assert_int_equal(fs_mem_live_blocks(), 0);
    return 0;
}

static struct fs_metrics *
make(void)
{
    struct fs_metrics *m = NULL;
    assert_int_equal(fs_metrics_create(&m), 0);
    assert_non_null(m);
    assert_int_equal(fs_metrics_count(m), 0);
    assert_true(fs_metrics_check(m));
    return m;
}

static void
test_metrics_family_table(void **state)
{
    (void)state;
    static const char *const names[FS_M_COUNT] = {
        "devices",       "attestations", "certificates", "updates",
        "error_reports", "attacks",      "firewall",     "tickets",
        "rollout_state", "rollout_wave", "rollout_time"};
    for (int f = 0; f < FS_M_COUNT; f++) {
        assert_string_equal(fs_metric_name((enum fs_metric)f), names[f]);
        assert_int_equal(fs_metric_lookup(names[f], strlen(names[f])), f);
    }
    assert_null(fs_metric_name(FS_M_COUNT));
    assert_null(fs_metric_name((enum fs_metric) - 1));
    assert_int_equal(fs_metric_lookup("device", 6), FS_M_COUNT);
    assert_int_equal(fs_metric_lookup("devicesx", 8), FS_M_COUNT);
    /* The length counts, not a NUL: a prefix of a longer buffer. */
    assert_int_equal(fs_metric_lookup("devices{os}", 7), FS_M_DEVICES);
    assert_int_equal(fs_metric_lookup("", 0), FS_M_COUNT);

    size_t n;
    const char *const *l = fs_metric_labels(FS_M_DEVICES, &n);
    assert_int_equal(n, 6);
    assert_string_equal(l[0], "product");
    assert_string_equal(l[5], "compromised");
    l = fs_metric_labels(FS_M_UPDATES, &n);
    assert_int_equal(n, 3);
    assert_string_equal(l[0], "image");
    assert_string_equal(l[1], "result");
    assert_string_equal(l[2], "reason");
    fs_metric_labels(FS_M_ROLLOUT_TIME, &n);
    assert_int_equal(n, 2);
    for (int f = 0; f < FS_M_COUNT; f++) {
        fs_metric_labels((enum fs_metric)f, &n);
        assert_true(n >= 1 && n <= FS_METRIC_LABELS_MAX);
    }

    assert_int_equal(fs_metric_label_index(FS_M_DEVICES, "state", 5), 4);
    assert_int_equal(fs_metric_label_index(FS_M_DEVICES, "stat", 4), -1);
    assert_int_equal(fs_metric_label_index(FS_M_DEVICES, "os=", 2), 2);
    assert_int_equal(fs_metric_label_index(FS_M_TICKETS, "reason", 6), 0);
    assert_int_equal(fs_metric_label_index(FS_M_TICKETS, "kind", 4), -1);

    const char *const *v = fs_metric_label_values(FS_M_DEVICES, 4);
    assert_non_null(v);
    assert_string_equal(v[0], "running");
    assert_string_equal(v[4], "recovery");
    assert_null(v[5]);
    assert_null(fs_metric_label_values(FS_M_DEVICES, 0)); /* product */
    assert_null(fs_metric_label_values(FS_M_UPDATES, 0)); /* image */
    assert_null(fs_metric_label_values(FS_M_TICKETS, 0)); /* reason */
    assert_null(fs_metric_label_values(FS_M_ROLLOUT_STATE, 0));
    v = fs_metric_label_values(FS_M_ATTESTATIONS, 1);
    assert_non_null(v);
    size_t k = 0;
    while (v[k] != NULL)
        k++;
    assert_int_equal(k, 6);
    assert_string_equal(v[4], "os_too_old");

    assert_int_equal(fs_metric_kind(FS_M_DEVICES), FS_MK_COUNT);
    assert_int_equal(fs_metric_kind(FS_M_ROLLOUT_WAVE), FS_MK_COUNT);
    assert_int_equal(fs_metric_kind(FS_M_ROLLOUT_STATE), FS_MK_STRING);
    assert_int_equal(fs_metric_kind(FS_M_ROLLOUT_TIME), FS_MK_DURATION);
}

static void
test_metrics_series_order_and_find(void **state)
{
    (void)state;
    struct fs_metrics *m = make();
    const char *pass[2] = {"pass", NULL};
    const char *fail_old[2] = {"fail", "os_too_old"};
    const char *fail_rev[2] = {"fail", "revoked"};
    uint32_t a = fs_metrics_series(m, FS_M_ATTESTATIONS, pass);
    uint32_t b = fs_metrics_series(m, FS_M_ATTESTATIONS, fail_old);
    uint32_t c =
        fs_metrics_series(m, FS_M_TICKETS, (const char *const[]){"heater"});
    uint32_t d = fs_metrics_series(m, FS_M_ATTESTATIONS, fail_rev);
    /* Indexes are handed out in creation order. */
    assert_int_equal(a, 0);
    assert_int_equal(b, 1);
    assert_int_equal(c, 2);
    assert_int_equal(d, 3);
    assert_int_equal(fs_metrics_count(m), 4);

    /* Find-or-create: the same labels give the same index, whether the
     * strings are the same pointers or merely equal. */
    char buf[16];
    snprintf(buf, sizeof(buf), "fail");
    const char *again[2] = {buf, "os_too_old"};
    assert_int_equal(fs_metrics_series(m, FS_M_ATTESTATIONS, again), b);
    assert_int_equal(fs_metrics_series(m, FS_M_ATTESTATIONS, pass), a);
    assert_int_equal(
        fs_metrics_series(m, FS_M_TICKETS, (const char *const[]){"heater"}), c);
    assert_int_equal(fs_metrics_count(m), 4);
    /* The caller's strings are copied. */
    snprintf(buf, sizeof(buf), "XXXX");
    assert_int_equal(fs_metrics_series(m, FS_M_ATTESTATIONS, fail_old), b);

    /* NULL (no value) is not the same as "" and not the same as a value. */
    const char *empty[2] = {"pass", ""};
    uint32_t e = fs_metrics_series(m, FS_M_ATTESTATIONS, empty);
    assert_int_equal(e, 4);
    /* values == NULL: no value for any label. */
    uint32_t f = fs_metrics_series(m, FS_M_ATTESTATIONS, NULL);
    assert_int_equal(f, 5);
    assert_int_equal(fs_metrics_series(m, FS_M_ATTESTATIONS, NULL), f);
    const char *none[2] = {NULL, NULL};
    assert_int_equal(fs_metrics_series(m, FS_M_ATTESTATIONS, none), f);
    /* The same values in another family are another series. */
    uint32_t g =
        fs_metrics_series(m, FS_M_CERTIFICATES, (const char *const[]){"pass"});
    uint32_t h =
        fs_metrics_series(m, FS_M_TICKETS, (const char *const[]){"pass"});
    assert_int_equal(g, 6);
    assert_int_equal(h, 7);
    assert_int_equal(fs_metrics_count(m), 8);

    /* Many series: indexes stay stable across growth. */
    char name[32];
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof(name), "part-%d", i);
        const char *v[1] = {name};
        assert_int_equal(fs_metrics_series(m, FS_M_TICKETS, v),
                         (uint32_t)(8 + i));
    }
    for (int i = 299; i >= 0; i--) {
        snprintf(name, sizeof(name), "part-%d", i);
        const char *v[1] = {name};
        assert_int_equal(fs_metrics_series(m, FS_M_TICKETS, v),
                         (uint32_t)(8 + i));
    }
    assert_int_equal(fs_metrics_count(m), 308);
    assert_int_equal(fs_metrics_series(m, FS_M_ATTESTATIONS, pass), a);
    assert_true(fs_metrics_check(m));
    fs_metrics_destroy(m);
}

static void
test_metrics_add_set_sum(void **state)
{
    (void)state;
    struct fs_metrics *m = make();
    const char *pass[2] = {"pass", NULL};
    const char *old[2] = {"fail", "os_too_old"};
    const char *rev[2] = {"fail", "revoked"};
    uint32_t p = fs_metrics_series(m, FS_M_ATTESTATIONS, pass);
    uint32_t o = fs_metrics_series(m, FS_M_ATTESTATIONS, old);
    uint32_t r = fs_metrics_series(m, FS_M_ATTESTATIONS, rev);
    assert_int_equal(fs_metrics_sum(m, FS_M_ATTESTATIONS, NULL, 0), 0);
    fs_metrics_add(m, p, 5);
    fs_metrics_add(m, p, 2);
    fs_metrics_add(m, o, 3);
    fs_metrics_add(m, r, 1);
    assert_int_equal(fs_metrics_sum(m, FS_M_ATTESTATIONS, NULL, 0), 11);
    struct fs_label_sel sel_fail = {0, "fail"};
    struct fs_label_sel sel_pass = {0, "pass"};
    struct fs_label_sel sel_old[2] = {{0, "fail"}, {1, "os_too_old"}};
    struct fs_label_sel sel_reason = {1, "revoked"};
    assert_int_equal(fs_metrics_sum(m, FS_M_ATTESTATIONS, &sel_fail, 1), 4);
    assert_int_equal(fs_metrics_sum(m, FS_M_ATTESTATIONS, &sel_pass, 1), 7);
    assert_int_equal(fs_metrics_sum(m, FS_M_ATTESTATIONS, sel_old, 2), 3);
    assert_int_equal(fs_metrics_sum(m, FS_M_ATTESTATIONS, &sel_reason, 1), 1);
    /* Other families are not summed. */
    assert_int_equal(fs_metrics_sum(m, FS_M_CERTIFICATES, NULL, 0), 0);

    /* Gauges go down, and set overrides. */
    fs_metrics_add(m, p, -7);
    assert_int_equal(fs_metrics_sum(m, FS_M_ATTESTATIONS, &sel_pass, 1), 0);
    fs_metrics_set(m, o, 42);
    assert_int_equal(fs_metrics_sum(m, FS_M_ATTESTATIONS, sel_old, 2), 42);
    fs_metrics_set(m, o, 0);
    assert_int_equal(fs_metrics_sum(m, FS_M_ATTESTATIONS, NULL, 0), 1);
    fs_metrics_add(m, r, INT64_C(1) << 40);
    assert_int_equal(fs_metrics_sum(m, FS_M_ATTESTATIONS, NULL, 0),
                     (INT64_C(1) << 40) + 1);

    /* String gauges: the first matching series, in creation order. */
    uint32_t sx =
        fs_metrics_series(m, FS_M_ROLLOUT_STATE, (const char *const[]){"x"});
    uint32_t sy =
        fs_metrics_series(m, FS_M_ROLLOUT_STATE, (const char *const[]){"y"});
    struct fs_label_sel id_x = {0, "x"};
    struct fs_label_sel id_z = {0, "z"};
    assert_null(fs_metrics_string(m, FS_M_ROLLOUT_STATE, &id_x, 1));
    char buf[16];
    snprintf(buf, sizeof(buf), "pending");
    fs_metrics_set_string(m, sx, buf);
    snprintf(buf, sizeof(buf), "XXXXXXX"); /* copied, not borrowed */
    fs_metrics_set_string(m, sy, "running");
    assert_string_equal(fs_metrics_string(m, FS_M_ROLLOUT_STATE, &id_x, 1),
                        "pending");
    assert_null(fs_metrics_string(m, FS_M_ROLLOUT_STATE, &id_z, 1));
    assert_string_equal(fs_metrics_string(m, FS_M_ROLLOUT_STATE, NULL, 0),
                        "pending");
    fs_metrics_set_string(m, sx, "completed");
    assert_string_equal(fs_metrics_string(m, FS_M_ROLLOUT_STATE, &id_x, 1),
                        "completed");
    assert_true(fs_metrics_check(m));
    fs_metrics_destroy(m);
}

static void
test_metrics_alias(void **state)
{
    (void)state;
    struct fs_metrics *m = make();
    fs_metrics_alias(m, "os-24.01", "24.01");
    fs_metrics_alias(m, "app-a", "1.0");
    fs_metrics_alias(m, "app-b", "2.0");
    const char *d1[6] = {"P",           "g",       "os-24.01",
                         "app-a,app-b", "running", "false"};
    const char *d2[6] = {"P", "g", "os-24.01", "app-b", "running", "false"};
    fs_metrics_add(m, fs_metrics_series(m, FS_M_DEVICES, d1), 3);
    fs_metrics_add(m, fs_metrics_series(m, FS_M_DEVICES, d2), 4);
    struct fs_label_sel s;
    s = (struct fs_label_sel){2, "24.01"};
    assert_int_equal(fs_metrics_sum(m, FS_M_DEVICES, &s, 1), 7);
    s = (struct fs_label_sel){2, "os-24.01"};
    assert_int_equal(fs_metrics_sum(m, FS_M_DEVICES, &s, 1), 7);
    s = (struct fs_label_sel){3, "1.0"};
    assert_int_equal(fs_metrics_sum(m, FS_M_DEVICES, &s, 1), 3);
    s = (struct fs_label_sel){3, "2.0"};
    assert_int_equal(fs_metrics_sum(m, FS_M_DEVICES, &s, 1), 7);
    s = (struct fs_label_sel){3, "app-a"};
    assert_int_equal(fs_metrics_sum(m, FS_M_DEVICES, &s, 1), 3);
    s = (struct fs_label_sel){3, "app"};
    assert_int_equal(fs_metrics_sum(m, FS_M_DEVICES, &s, 1), 0);
    s = (struct fs_label_sel){3, "24.01"};
    assert_int_equal(fs_metrics_sum(m, FS_M_DEVICES, &s, 1), 0);
    fs_metrics_destroy(m);
}

struct visit_log {
    size_t n;           /* calls so far */
    char lines[8][128]; /* one line per series */
};

static void
visit_fn(void *ctx, enum fs_metric f, const char *const *values, size_t nvalues,
         int64_t count, const char *string)
{
    struct visit_log *log = ctx;
    assert_true(log->n < 8);
    char *p = log->lines[log->n++];
    size_t left = sizeof(log->lines[0]);
    int w = snprintf(p, left, "%s", fs_metric_name(f));
    for (size_t i = 0; i < nvalues; i++)
        w += snprintf(p + w, left - (size_t)w, "|%s",
                      values[i] ? values[i] : "-");
    snprintf(p + w, left - (size_t)w, "=%lld/%s", (long long)count,
             string ? string : "-");
}

static void
test_metrics_visit_order(void **state)
{
    (void)state;
    struct fs_metrics *m = make();
    uint32_t t =
        fs_metrics_series(m, FS_M_TICKETS, (const char *const[]){"heater"});
    uint32_t a = fs_metrics_series(m, FS_M_ATTESTATIONS,
                                   (const char *const[]){"pass", NULL});
    uint32_t s =
        fs_metrics_series(m, FS_M_ROLLOUT_STATE, (const char *const[]){"dep"});
    uint32_t d = fs_metrics_series(
        m, FS_M_DEVICES,
        (const char *const[]){"P", "g", "os-1", NULL, "running", "false"});
    fs_metrics_add(m, a, 9);
    fs_metrics_add(m, t, 1);
    fs_metrics_set_string(m, s, "running");
    fs_metrics_add(m, d, 12);
    /* Looking a series up again does not move it. */
    fs_metrics_series(m, FS_M_TICKETS, (const char *const[]){"heater"});

    struct visit_log log;
    memset(&log, 0, sizeof(log));
    fs_metrics_visit(m, visit_fn, &log);
    assert_int_equal(log.n, 4);
    assert_string_equal(log.lines[0], "tickets|heater=1/-");
    assert_string_equal(log.lines[1], "attestations|pass|-=9/-");
    assert_string_equal(log.lines[2], "rollout_state|dep=0/running");
    assert_string_equal(log.lines[3], "devices|P|g|os-1|-|running|false=12/-");

    /* Two registries fed the same way list the same way. */
    struct fs_metrics *m2 = make();
    fs_metrics_add(
        m2,
        fs_metrics_series(m2, FS_M_TICKETS, (const char *const[]){"heater"}),
        1);
    struct visit_log log2;
    memset(&log2, 0, sizeof(log2));
    fs_metrics_visit(m2, visit_fn, &log2);
    assert_int_equal(log2.n, 1);
    assert_string_equal(log2.lines[0], log.lines[0]);
    fs_metrics_destroy(m2);

    /* An empty registry visits nothing. */
    struct fs_metrics *m3 = make();
    memset(&log2, 0, sizeof(log2));
    fs_metrics_visit(m3, visit_fn, &log2);
    assert_int_equal(log2.n, 0);
    fs_metrics_destroy(m3);
    fs_metrics_destroy(m);
}

static int
rt_fn(void *ctx, const char *id, uint32_t share_ppm, int64_t *out_us)
{
    int *calls = ctx;
    (*calls)++;
    if (strcmp(id, "d") != 0)
        return FS_ENOENT;
    *out_us = (int64_t)share_ppm;
    return 0;
}

static void
test_metrics_rollout_time_and_check(void **state)
{
    (void)state;
    struct fs_metrics *m = make();
    int64_t us = 7;
    assert_int_equal(fs_metrics_rollout_time(m, "d", 500000, &us), FS_ENOENT);
    int calls = 0;
    fs_metrics_set_rollout_time(m, rt_fn, &calls);
    assert_int_equal(fs_metrics_rollout_time(m, "d", 500000, &us), 0);
    assert_int_equal(us, 500000);
    assert_int_equal(fs_metrics_rollout_time(m, "e", 500000, &us), FS_ENOENT);
    assert_int_equal(calls, 2);

    /* The self-check holds through a mix of families and updates. */
    for (int f = 0; f < FS_M_COUNT; f++) {
        uint32_t s = fs_metrics_series(m, (enum fs_metric)f, NULL);
        if (fs_metric_kind((enum fs_metric)f) == FS_MK_STRING)
            fs_metrics_set_string(m, s, "pending");
        else
            fs_metrics_add(m, s, f);
        assert_true(fs_metrics_check(m));
    }
    assert_int_equal(fs_metrics_count(m), FS_M_COUNT);
    fs_metrics_destroy(m);
    fs_metrics_destroy(NULL); /* no-op */
}

int
main(void)
{
#define T(name) cmocka_unit_test_teardown(name, teardown)
    const struct CMUnitTest tests[] = {
        T(test_metrics_family_table), T(test_metrics_series_order_and_find),
        T(test_metrics_add_set_sum),  T(test_metrics_alias),
        T(test_metrics_visit_order),  T(test_metrics_rollout_time_and_check),
    };
#undef T
    return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
