/*
 * tests/test_powerloss.c - power cut at every step of an OS update.
 *
 * Owns: the exhaustive power-loss test: a one-device run (real service,
 * one OS deployment) is measured once to count the device's update steps
 * (download chunks, write units, commit, power-ons, boot-chain runs,
 * confirmation); then for every step k a fresh run cuts power instead of
 * step k, and again 1, 2, 3, 5, 8 or 13 steps after the restart. After
 * every event the device must run a validly signed image when it runs at
 * all, and its anti-rollback counter must never have gone down; at the
 * end the update must be confirmed.
 * Invariants: every run frees everything (fs_mem_live_blocks() == 0).
 * Does not: test the service's rollout policy.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fleetsim/fleet.h"
#include "fleetsim/keystore.h"
#include "fleetsim/physical.h"
#include "fleetsim/testing.h"
#include "fleetsim/diag.h"
#include "fleetsim/image.h"
#include "fleetsim/mem.h"
#include "fleetsim/metrics.h"
#include "fleetsim/run.h"
#include "fleetsim/scn.h"

static const char PL_YAML[] =
    "scenario: pl\n"
    "seed: 5\n"
    "duration: 3d\n"
    "service: {checkin_interval: 2h, probation: 10m}\n"
    "products:\n"
    "  - name: P\n"
    "images:\n"
    "  - {id: os-1, kind: os, version: \"1\", size: 640KiB}\n"
    "  - {id: os-2, kind: os, version: \"2\", size: 640KiB}\n"
    "fleet:\n"
    "  - {product: P, count: 1, os: os-1}\n"
    "timeline:\n"
    "  - at: 1h\n"
    /* two cuts can fail two attempts: retries (default 1) would then stop
       the offers, and this test is about surviving cuts, not that policy */
    "    deploy: {id: up, image: os-2, retries: 10}\n";

enum { OS1 = 0, OS2 = 1 };

struct pl {
    struct fs_scn *scn;
    struct fs_run *run;
    struct fs_fleet *fleet;
    uint32_t counter_max; /* highest OS counter seen */
    uint32_t cuts;        /* power cuts that happened */
};

static void
pl_open(struct pl *p)
{
    memset(p, 0, sizeof(*p));
    struct fs_diag diag;
    fs_diag_clear(&diag);
    int err = fs_scn_load_string("pl.yaml", PL_YAML, sizeof(PL_YAML) - 1,
                                 &p->scn, &diag);
    if (err != 0)
        fs_diag_print(&diag, stderr);
    assert_int_equal(err, 0);
    struct fs_run_opts opts;
    memset(&opts, 0, sizeof(opts));
    err = fs_run_create(p->scn, &opts, &p->run, &diag);
    if (err != 0)
        fs_diag_print(&diag, stderr);
    assert_int_equal(err, 0);
    p->fleet = fs_run_fleet(p->run);
}

static void
pl_close(struct pl *p)
{
    assert_true(fs_fleet_check(p->fleet));
    fs_run_destroy(p->run);
    fs_scn_destroy(p->scn);
    assert_int_equal(fs_mem_live_blocks(), 0);
}

static int64_t
pl_updates(struct pl *p, const char *result, const char *reason)
{
    struct fs_label_sel sel[2] = {{1, result}, {2, reason}};
    return fs_metrics_sum(fs_run_metrics(p->run), FS_M_UPDATES, sel,
                          reason ? 2 : 1);
}

/* The invariants after every event. */
static void
pl_invariants(struct pl *p)
{
    uint32_t c = fs_keystore_peek_counter(fs_fleet_keystore(p->fleet), 0,
                                          FS_KS_COUNTER_OS);
    assert_true(c >= p->counter_max);
    p->counter_max = c;
    enum fs_dev_state st = fs_fleet_state(p->fleet, 0);
    assert_int_not_equal(st, FS_DEV_RECOVERY);
    if (st == FS_DEV_RUNNING || st == FS_DEV_OFFLINE || st == FS_DEV_UPDATING) {
        uint32_t os = fs_fleet_running_os(p->fleet, 0);
        assert_true(os == OS1 || os == OS2);
        assert_false(fs_fleet_is_compromised(p->fleet, 0));
        const struct fs_catalog *cat = fs_run_catalog(p->run);
        const struct fs_signed_manifest *sm = fs_catalog_manifest(cat, os);
        assert_true(sm->m.security_version >= c);
    }
}

/*
 * Run to the end, one event at a time. first: cut instead of this step
 * (0: none); then a second cut gap steps after the restart (0: none).
 */
static void
pl_run(struct pl *p, uint32_t first, uint32_t gap)
{
    if (first != 0)
        assert_int_equal(fs_physical_arm_power_loss_at(p->fleet, 0, first), 0);
    bool done = false, second = gap == 0;
    while (!done) {
        assert_int_equal(fs_run_step(p->run, 1, &done), 0);
        pl_invariants(p);
        if (first != 0 && !second &&
            !fs_physical_power_loss_armed(p->fleet, 0)) {
            p->cuts++;
            second = true;
            uint32_t now = fs_physical_steps(p->fleet, 0);
            assert_int_equal(
                fs_physical_arm_power_loss_at(p->fleet, 0, now + gap), 0);
        }
    }
    if (first != 0 && gap != 0 && !fs_physical_power_loss_armed(p->fleet, 0))
        p->cuts++;
}

/* Steps of an uninterrupted run: the first boot through confirmation. */
static uint32_t
pl_measure(void)
{
    struct pl p;
    pl_open(&p);
    pl_run(&p, 0, 0);
    assert_int_equal(fs_fleet_running_os(p.fleet, 0), OS2);
    assert_int_equal(pl_updates(&p, "confirmed", NULL), 1);
    uint32_t steps = fs_physical_steps(p.fleet, 0);
    pl_close(&p);
    return steps;
}

/* Gaps (in steps) from the restart to the second cut. */
static const uint32_t GAPS[] = {1, 2, 3, 5, 8, 13};

static void
test_powerloss_every_step(void **state)
{
    (void)state;
    uint32_t total = pl_measure();
    assert_true(total >= 10);
    uint32_t runs = 0, cuts = 0, failed_pl = 0;
    for (uint32_t k = 1; k <= total; k++) {
        for (size_t g = 0; g < sizeof(GAPS) / sizeof(GAPS[0]); g++) {
            struct pl p;
            pl_open(&p);
            pl_run(&p, k, GAPS[g]);
            assert_true(p.cuts >= 1);
            assert_int_equal(fs_fleet_running_os(p.fleet, 0), OS2);
            assert_int_equal(pl_updates(&p, "confirmed", NULL), 1);
            assert_int_equal(
                fs_keystore_peek_counter(fs_fleet_keystore(p.fleet), 0,
                                         FS_KS_COUNTER_OS),
                p.counter_max);
            failed_pl += pl_updates(&p, "failed", "power_loss") > 0;
            cuts += p.cuts;
            runs++;
            pl_close(&p);
        }
    }
    printf("powerloss: %u steps per update, %u runs, %u cuts, "
           "%u runs counted failed{power_loss}\n",
           total, runs, cuts, failed_pl);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_powerloss_every_step),
    };
    return cmocka_run_group_tests_name("powerloss", tests, NULL, NULL);
}
