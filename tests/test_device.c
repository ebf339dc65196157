/*
 * tests/test_device.c - unit tests of the device model (device/).
 *
 * Owns: tests of the boot chain and slots, firewalls, keystore gate,
 * evidence signatures, the error-report queue, determinism, defence
 * switches and the devices{} accounting.
 * Invariants: every test frees everything (fs_mem_live_blocks() == 0 in
 * teardown) and the fleet passes fs_fleet_check.
 * Does not: exercise the real service.
 */
#include <inttypes.h>
#include <stdio.h>

#include "device_fixture.h"

#define DAY_US ((int64_t)86400 * 1000000)

static int
teardown(void **state)
{
    (void)state;
    assert_int_equal(fs_mem_live_blocks(), 0);
    return 0;
}

static void
boot(struct fx *x, uint32_t dev, struct fs_boot_report *rep)
{
    fs_boot_device(x->fleet, dev, rep);
    assert_true(fs_fleet_check(x->fleet));
}

static void
test_device_boot_ok(void **state)
{
    (void)state;
    struct fx *x = fx_create(2, "");
    struct fs_boot_report rep;
    boot(x, 0, &rep);
    assert_true(rep.ok);
    assert_false(rep.compromised);
    assert_int_equal(fs_fleet_state(x->fleet, 0), FS_DEV_RUNNING);
    assert_int_equal(fs_fleet_running_os(x->fleet, 0), 0);
    assert_int_equal(fs_fleet_running_app(x->fleet, 0, 0), 2);
    assert_int_equal(fs_fleet_running_app(x->fleet, 0, 1), 3);
    assert_int_equal(fs_fleet_running_app(x->fleet, 0, 2), FS_NO_IMAGE);
    assert_int_equal(fx_devices(x, NULL), 2);
    fx_destroy(x);
}

static void
test_device_os_hash_flip_falls_back(void **state)
{
    (void)state;
    struct fx *x = fx_create(1, "");
    fs_slots_set(x->fleet, 0, FS_SLOT_OS, 1, 0);
    assert_int_equal(
        fs_slots_flip(x->fleet, 0, FS_SLOT_OS, 0, FS_FLIP_CONTENT, 12345), 0);
    struct fs_boot_report rep;
    boot(x, 0, &rep);
    assert_true(rep.ok);
    assert_int_equal(rep.result[FS_SLOT_OS][0], FS_BOOT_BAD_HASH);
    assert_int_equal(rep.result[FS_SLOT_OS][1], FS_BOOT_OK);
    assert_int_equal(fs_slots_active(x->fleet, 0, FS_SLOT_OS), 1);
    assert_int_equal(fs_fleet_state(x->fleet, 0), FS_DEV_RUNNING);
    fx_destroy(x);
}

static void
test_device_os_sig_flip_recovery(void **state)
{
    (void)state;
    struct fx *x = fx_create(1, "");
    /* No factory copy in slot B (an OS too large for two, say). */
    fs_slots_set(x->fleet, 0, FS_SLOT_OS, 1, FS_NO_IMAGE);
    assert_int_equal(fs_slots_flip(x->fleet, 0, FS_SLOT_OS, 0, FS_FLIP_SIG, 7),
                     0);
    struct fs_boot_report rep;
    boot(x, 0, &rep);
    assert_false(rep.ok);
    assert_int_equal(rep.failed_stage, FS_SLOT_OS);
    assert_int_equal(rep.result[FS_SLOT_OS][0], FS_BOOT_BAD_SIG);
    assert_int_equal(rep.result[FS_SLOT_OS][1], FS_BOOT_EMPTY);
    assert_int_equal(fs_fleet_state(x->fleet, 0), FS_DEV_RECOVERY);
    assert_int_equal(fs_fleet_running_os(x->fleet, 0), FS_NO_IMAGE);
    assert_int_equal(fs_repq_pending(x->fleet, 0), 1);
    assert_int_equal(fx_devices(x, "recovery"), 1);
    fx_destroy(x);
}

static void
test_device_manifest_flip_fails_signature(void **state)
{
    (void)state;
    struct fx *x = fx_create(1, "");
    fs_slots_set(x->fleet, 0, FS_SLOT_OS, 1, 1);
    fs_slots_flip(x->fleet, 0, FS_SLOT_OS, 0, FS_FLIP_MANIFEST, 100);
    struct fs_boot_report rep;
    boot(x, 0, &rep);
    assert_true(rep.ok);
    assert_int_equal(rep.result[FS_SLOT_OS][0], FS_BOOT_BAD_SIG);
    assert_int_equal(fs_fleet_running_os(x->fleet, 0), 1);
    fx_destroy(x);
}

static void
test_device_app_flip_falls_back_then_recovery(void **state)
{
    (void)state;
    struct fx *x = fx_create(2, "");
    struct fs_boot_report rep;
    /* Device 0: app slot A rotten, slot B good: falls back. */
    fs_slots_set(x->fleet, 0, FS_SLOT_HL, 1, 2);
    fs_slots_flip(x->fleet, 0, FS_SLOT_HL, 0, FS_FLIP_CONTENT, 9);
    boot(x, 0, &rep);
    assert_true(rep.ok);
    assert_int_equal(rep.result[FS_SLOT_HL][0], FS_BOOT_BAD_HASH);
    assert_int_equal(rep.booted[FS_SLOT_HL], 1);
    /* Device 1: both rt-app slots bad: recovery. */
    fs_slots_set(x->fleet, 1, FS_SLOT_RT0, 1, 3);
    fs_slots_flip(x->fleet, 1, FS_SLOT_RT0, 0, FS_FLIP_CONTENT, 1);
    fs_slots_flip(x->fleet, 1, FS_SLOT_RT0, 1, FS_FLIP_SIG, 1);
    boot(x, 1, &rep);
    assert_false(rep.ok);
    assert_int_equal(rep.failed_stage, FS_SLOT_RT0);
    assert_int_equal(rep.result[FS_SLOT_RT0][0], FS_BOOT_BAD_HASH);
    assert_int_equal(rep.result[FS_SLOT_RT0][1], FS_BOOT_BAD_SIG);
    assert_int_equal(fs_fleet_state(x->fleet, 1), FS_DEV_RECOVERY);
    fx_destroy(x);
}

static void
test_device_rollback_and_wrong_kind(void **state)
{
    (void)state;
    struct fx *x = fx_create(1, "");
    fs_slots_set(x->fleet, 0, FS_SLOT_OS, 1, 1);
    uint32_t sv2 = x->scn->images[1].security_version;
    fs_keystore_raise_counter(fs_fleet_keystore(x->fleet), 0, FS_KS_MONITOR,
                              FS_KS_COUNTER_OS, sv2);
    struct fs_boot_report rep;
    boot(x, 0, &rep);
    assert_true(rep.ok);
    assert_int_equal(rep.result[FS_SLOT_OS][0], FS_BOOT_ROLLBACK);
    assert_int_equal(fs_fleet_running_os(x->fleet, 0), 1);
    fs_slots_set(x->fleet, 0, FS_SLOT_OS, 1, 2); /* an app as the OS */
    boot(x, 0, &rep);
    assert_int_equal(rep.result[FS_SLOT_OS][1], FS_BOOT_WRONG_KIND);
    fx_destroy(x);
}

static void
test_device_measurement_changes_with_os(void **state)
{
    (void)state;
    struct fx *x = fx_create(2, "");
    unsigned char a[FS_HASH_BYTES], b[FS_HASH_BYTES];
    boot(x, 0, NULL);
    boot(x, 1, NULL);
    fs_keystore_read_pcr(fs_fleet_keystore(x->fleet), 0, FS_KS_MONITOR, 0, a);
    fs_keystore_read_pcr(fs_fleet_keystore(x->fleet), 1, FS_KS_MONITOR, 0, b);
    assert_memory_equal(a, b, FS_HASH_BYTES);
    fs_slots_set(x->fleet, 1, FS_SLOT_OS, 0, 1);
    boot(x, 1, NULL);
    fs_keystore_read_pcr(fs_fleet_keystore(x->fleet), 1, FS_KS_MONITOR, 0, b);
    assert_memory_not_equal(a, b, FS_HASH_BYTES);
    fx_destroy(x);
}

static void
test_device_firewall_grants(void **state)
{
    (void)state;
    struct fx *x = fx_create(1, "");
    struct fs_fleet *f = x->fleet;
    boot(x, 0, NULL);
    assert_true(fs_fw_peripheral(f, 0, 0, FS_PERIPH_GPIO, "8"));
    assert_true(fs_fw_peripheral(f, 0, 0, FS_PERIPH_GPIO, "9"));
    assert_true(fs_fw_peripheral(f, 0, 0, FS_PERIPH_UART, "isu0"));
    assert_false(fs_fw_peripheral(f, 0, 0, FS_PERIPH_GPIO, "10"));
    assert_false(fs_fw_peripheral(f, 0, 0, FS_PERIPH_ADC, "0"));
    assert_true(fs_fw_peripheral(f, 0, 1, FS_PERIPH_ADC, "0"));
    assert_false(fs_fw_peripheral(f, 0, 1, FS_PERIPH_GPIO, "8"));
    assert_false(fs_fw_peripheral(f, 0, 2, FS_PERIPH_GPIO, "8"));
    assert_true(fs_fw_connect(f, 0, 0, "t.example"));
    assert_false(fs_fw_connect(f, 0, 0, "evil.example"));
    assert_false(fs_fw_connect(f, 0, 1, "t.example"));
    assert_int_equal(fx_fw(x, "peripheral", "allowed"), 4);
    assert_int_equal(fx_fw(x, "peripheral", "blocked"), 4);
    assert_int_equal(fx_fw(x, "network", "allowed"), 1);
    assert_int_equal(fx_fw(x, "network", "blocked"), 2);
    /* every block queued a firewall_violation for the app on its core:
       app-1 (2) three times, rt-1 (3) twice, the empty rt1 core once */
    struct fs_report_entry e[FS_REPORTS_PER_MSG];
    size_t n = fs_repq_take(f, 0, e, FS_REPORTS_PER_MSG);
    assert_int_equal(n, 3);
    uint32_t by_image[3] = {0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(e[i].kind, FS_REP_FIREWALL_VIOLATION);
        by_image[e[i].image == FS_NO_IMAGE ? 0 : e[i].image - 1] += e[i].count;
    }
    assert_int_equal(by_image[0], 1);
    assert_int_equal(by_image[1], 3);
    assert_int_equal(by_image[2], 2);
    fx_destroy(x);
}

/* Count kind in device 0's queued reports (taken: in flight after). */
static uint32_t
queued(struct fx *x, uint32_t dev, enum fs_report_kind kind, uint32_t image)
{
    struct fs_report_entry e[FS_REPQ_ENTRIES];
    size_t n = fs_repq_take(x->fleet, dev, e, FS_REPQ_ENTRIES);
    uint32_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (e[i].kind == kind && e[i].image == image)
            c += e[i].count;
    return c;
}

/*
 * Modified flash caught by measured boot queues a tamper report, whether
 * the other slot boots or the device ends in recovery (then boot_failure
 * too); a signature flip is not a content mismatch; with measured_boot
 * off nothing is caught.
 */
static void
test_device_tamper_reported(void **state)
{
    (void)state;
    struct fx *x = fx_create(3, "");
    struct fs_boot_report rep;
    /* device 0: OS slot A modified, B good: boots B, one tamper */
    fs_slots_set(x->fleet, 0, FS_SLOT_OS, 1, 0);
    fs_slots_flip(x->fleet, 0, FS_SLOT_OS, 0, FS_FLIP_CONTENT, 12345);
    boot(x, 0, &rep);
    assert_true(rep.ok);
    assert_int_equal(fs_repq_pending(x->fleet, 0), 1);
    assert_int_equal(queued(x, 0, FS_REP_TAMPER, 0), 1);
    /* device 1: both rt0 slots modified: two tampers, then recovery */
    fs_slots_set(x->fleet, 1, FS_SLOT_RT0, 1, 3);
    fs_slots_flip(x->fleet, 1, FS_SLOT_RT0, 0, FS_FLIP_CONTENT, 1);
    fs_slots_flip(x->fleet, 1, FS_SLOT_RT0, 1, FS_FLIP_CONTENT, 2);
    boot(x, 1, &rep);
    assert_false(rep.ok);
    assert_int_equal(fs_repq_pending(x->fleet, 1), 3);
    assert_int_equal(queued(x, 1, FS_REP_TAMPER, 3), 2);
    assert_int_equal(queued(x, 1, FS_REP_BOOT_FAILURE, 3), 1);
    /* device 2: a signature flip fails secure boot, but is no tamper (no
       factory copy in slot B to fall back to) */
    fs_slots_set(x->fleet, 2, FS_SLOT_OS, 1, FS_NO_IMAGE);
    fs_slots_flip(x->fleet, 2, FS_SLOT_OS, 0, FS_FLIP_SIG, 7);
    boot(x, 2, &rep);
    assert_false(rep.ok);
    assert_int_equal(queued(x, 2, FS_REP_TAMPER, 0), 0);
    assert_int_equal(queued(x, 2, FS_REP_BOOT_FAILURE, 0), 1);
    fx_destroy(x);
    x = fx_create(1, "defenses: {measured_boot: false}\n");
    fs_slots_flip(x->fleet, 0, FS_SLOT_OS, 0, FS_FLIP_CONTENT, 12345);
    boot(x, 0, &rep);
    assert_true(rep.ok);
    assert_int_equal(fs_repq_pending(x->fleet, 0), 0);
    fx_destroy(x);
}

static void
test_device_keystore_gate(void **state)
{
    (void)state;
    struct fx *x = fx_create(1, "");
    unsigned char sig[FS_SIG_BYTES], pk[FS_KEY_PUB_BYTES];
    int64_t allowed = fx_fw(x, "keystore", "allowed");
    assert_int_equal(fs_keystore_sign(fs_fleet_keystore(x->fleet), 0, FS_KS_APP,
                                      (const unsigned char *)"x", 1, sig),
                     FS_EINVAL);
    assert_int_equal(
        fs_keystore_public_key(fs_fleet_keystore(x->fleet), 0, FS_KS_OS, pk),
        FS_EINVAL);
    assert_int_equal(
        fs_keystore_reset_pcrs(fs_fleet_keystore(x->fleet), 0, FS_KS_OS),
        FS_EINVAL);
    assert_int_equal(fx_fw(x, "keystore", "blocked"), 3);
    assert_int_equal(fs_keystore_public_key(fs_fleet_keystore(x->fleet), 0,
                                            FS_KS_MONITOR, pk),
                     0);
    assert_int_equal(fx_fw(x, "keystore", "allowed"), allowed + 1);
    fx_destroy(x);
}

/* The configuration lookups and the keystore's ungated public-key read. */
static void
test_device_config_and_public_key(void **state)
{
    (void)state;
    struct fx *x = fx_create(3, "");
    const struct fs_fleet_config *c = x->cfg;
    assert_int_equal(fs_fleet_config_devices(c), 3);
    assert_ptr_equal(fs_fleet_config_cohort_of(c, 0), &c->cohorts[0]);
    assert_ptr_equal(fs_fleet_config_cohort_of(c, 2), &c->cohorts[0]);
    assert_null(fs_fleet_config_cohort_of(c, 3));
    assert_ptr_equal(fs_fleet_cohort(x->fleet, 1), &c->cohorts[0]);
    assert_int_equal(c->cohorts[0].os, 0);
    assert_int_equal(c->cohorts[0].napps, 2);
    int64_t allowed = fx_fw(x, "keystore", "allowed");
    unsigned char a[FS_KEY_PUB_BYTES], b[FS_KEY_PUB_BYTES];
    fs_fleet_public_key(x->fleet, 2, a);
    fs_keystore_peek_public_key(fs_fleet_keystore(x->fleet), 2, b);
    assert_memory_equal(a, b, FS_KEY_PUB_BYTES);
    assert_int_equal(fs_keystore_public_key(fs_fleet_keystore(x->fleet), 2,
                                            FS_KS_MONITOR, b),
                     0);
    assert_memory_equal(a, b, FS_KEY_PUB_BYTES);
    assert_int_equal(fx_fw(x, "keystore", "allowed"), allowed + 1);
    fx_destroy(x);
}

static void
test_device_evidence_bound_to_device_key(void **state)
{
    (void)state;
    struct fx *x = fx_create(2, "");
    unsigned char msg[32] = "evidence bytes", sig[FS_SIG_BYTES];
    unsigned char pk0[FS_KEY_PUB_BYTES], pk1[FS_KEY_PUB_BYTES];
    assert_int_equal(fs_keystore_sign(fs_fleet_keystore(x->fleet), 0,
                                      FS_KS_MONITOR, msg, sizeof(msg), sig),
                     0);
    fs_fleet_public_key(x->fleet, 0, pk0);
    fs_fleet_public_key(x->fleet, 1, pk1);
    assert_memory_not_equal(pk0, pk1, FS_KEY_PUB_BYTES);
    assert_int_equal(crypto_sign_verify_detached(sig, msg, sizeof(msg), pk0),
                     0);
    assert_int_not_equal(
        crypto_sign_verify_detached(sig, msg, sizeof(msg), pk1), 0);
    fx_destroy(x);
}

static void
test_device_repq_event_bound(void **state)
{
    (void)state;
    struct fx *x = fx_create(1, "");
    for (unsigned i = 0; i < 1005; i++)
        fs_repq_add(x->fleet, 0, FS_REP_APP_CRASH, 2);
    assert_int_equal(fs_repq_pending(x->fleet, 0), 1000);
    assert_int_equal(fs_repq_dropped(x->fleet, 0), 5);
    assert_int_equal(fs_fleet_reports_dropped(x->fleet), 5);
    struct fs_report_entry e[FS_REPORTS_PER_MSG];
    assert_int_equal(fs_repq_take(x->fleet, 0, e, 8), 1);
    assert_int_equal(e[0].count, 1000);
    fs_repq_add(x->fleet, 0, FS_REP_OS_CRASH, 0);
    fs_repq_ack(x->fleet, 0);
    assert_int_equal(fs_repq_pending(x->fleet, 0), 1);
    fx_destroy(x);
}

static void
test_device_repq_age_bound(void **state)
{
    (void)state;
    struct fx *x = fx_create(1, "");
    fs_repq_add(x->fleet, 0, FS_REP_OS_CRASH, 0);
    assert_int_equal(fs_sim_run(x->sim, 10 * DAY_US, 1, NULL), 0);
    fs_repq_add(x->fleet, 0, FS_REP_OS_CRASH, 0);
    fs_repq_add(x->fleet, 0, FS_REP_APP_CRASH, 2);
    assert_int_equal(fs_sim_run(x->sim, 15 * DAY_US, 1, NULL), 0);
    assert_int_equal(fs_repq_pending(x->fleet, 0), 2);
    assert_int_equal(fs_repq_dropped(x->fleet, 0), 1);
    assert_int_equal(fs_sim_run(x->sim, 25 * DAY_US, 1, NULL), 0);
    assert_int_equal(fs_repq_pending(x->fleet, 0), 0);
    assert_int_equal(fs_repq_dropped(x->fleet, 0), 3);
    fx_destroy(x);
}

static void
test_device_repq_distinct_entries_evict_oldest(void **state)
{
    (void)state;
    struct fx *x = fx_create(1, "");
    for (uint32_t img = 0; img < FS_REPQ_ENTRIES + 2; img++) {
        assert_int_equal(fs_sim_run(x->sim, (int64_t)img * 1000, 1, NULL), 0);
        fs_repq_add(x->fleet, 0, FS_REP_TAMPER, img);
    }
    assert_int_equal(fs_repq_pending(x->fleet, 0), FS_REPQ_ENTRIES);
    assert_int_equal(fs_repq_dropped(x->fleet, 0), 2);
    struct fs_report_entry e[FS_REPORTS_PER_MSG];
    assert_int_equal(fs_repq_take(x->fleet, 0, e, 2), 2);
    assert_int_equal(e[0].image, 2); /* oldest kept first */
    fx_destroy(x);
}

/* Run a fleet for 4 days; write its fingerprint and device 3's key. */
static void
run_fleet(unsigned seed_extra, char hex[65], unsigned char pk[32],
          uint64_t *out_telemetry)
{
    char extra[64];
    snprintf(extra, sizeof(extra), "service: {checkin_interval: %uh}\n",
             6 + seed_extra);
    struct fx *x = fx_create(40, extra);
    assert_int_equal(fs_fleet_start(x->fleet), 0);
    assert_int_equal(fs_sim_run(x->sim, 4 * DAY_US, UINT64_MAX, NULL), 0);
    assert_true(fs_fleet_check(x->fleet));
    assert_true(x->evidences >= 40 * 4);
    assert_int_equal(x->bad_evidence, 0);
    assert_true(x->reports > 0);
    assert_int_equal(fx_fw(x, "peripheral", "blocked"), 0);
    assert_int_equal(fx_fw(x, "network", "blocked"), 0);
    assert_true(fx_fw(x, "network", "allowed") >= (int64_t)x->telemetry);
    assert_int_equal(fx_fw(x, "keystore", "blocked"), 0);
    fs_sim_fingerprint(x->sim, hex);
    printf("fleet run: %" PRIu64 " events, %" PRIu64 " records, %" PRIu64
           " hellos, %" PRIu64 " evidences, %" PRIu64 " reports, %" PRIu64
           " telemetry, %" PRId64 " running\n",
           fs_sim_events(x->sim), fs_sim_records(x->sim), x->hellos,
           x->evidences, x->reports, x->telemetry, fx_devices(x, "running"));
    fs_fleet_public_key(x->fleet, 3, pk);
    *out_telemetry = x->telemetry;
    fx_destroy(x);
}

static void
test_device_determinism(void **state)
{
    (void)state;
    char a[65], b[65], c[65];
    unsigned char pa[32], pb[32], pc[32];
    uint64_t ta, tb, tc;
    run_fleet(0, a, pa, &ta);
    run_fleet(0, b, pb, &tb);
    run_fleet(1, c, pc, &tc);
    assert_string_equal(a, b);
    assert_memory_equal(pa, pb, 32);
    assert_memory_equal(pa, pc, 32); /* keys depend on the seed only */
    assert_string_not_equal(a, c);
    assert_int_equal(ta, tb);
    assert_true(ta > 40 * 3 * 24 / 2); /* 24/d, some offline/no cert */
}

static void
test_device_defenses_off_allow(void **state)
{
    (void)state;
    struct fx *x = fx_create(1, "defenses: {peripheral_firewall: false,"
                                " network_firewall: false,"
                                " measured_boot: false,"
                                " verify_signatures: false,"
                                " anti_rollback: false}\n");
    struct fs_fleet *f = x->fleet;
    fs_slots_flip(f, 0, FS_SLOT_OS, 0, FS_FLIP_CONTENT, 3);
    fs_slots_flip(f, 0, FS_SLOT_HL, 0, FS_FLIP_SIG, 3);
    fs_keystore_raise_counter(fs_fleet_keystore(f), 0, FS_KS_MONITOR,
                              FS_KS_COUNTER_OS, 99);
    struct fs_boot_report rep;
    boot(x, 0, &rep);
    assert_true(rep.ok);
    assert_int_equal(rep.booted[FS_SLOT_OS], 0);
    assert_true(rep.compromised);
    assert_int_equal(fx_devices(x, "running"), 1);
    assert_true(fs_fw_peripheral(f, 0, 2, FS_PERIPH_GPIO, "99"));
    assert_true(fs_fw_connect(f, 0, 0, "evil.example"));
    assert_int_equal(fx_fw(x, "peripheral", "blocked"), 0);
    assert_int_equal(fx_fw(x, "network", "blocked"), 0);
    /* nothing caught, nothing reported (tamper, firewall_violation) */
    assert_int_equal(fs_repq_pending(f, 0), 0);
    /* 1.1: a real-time core has no network, whatever the defences say */
    assert_false(fs_fw_connect(f, 0, 1, "evil.example"));
    assert_int_equal(fx_fw(x, "network", "blocked"), 1);
    fx_destroy(x);
}

static void
test_device_untrusted_signer_refused(void **state)
{
    (void)state;
    struct fx *x = fx_create(1, "");
    fs_keystore_set_trust(fs_fleet_keystore(x->fleet), 0, FS_KS_MONITOR,
                          FS_IMAGE_APP, FS_SIGNER_OEM, false);
    struct fs_boot_report rep;
    boot(x, 0, &rep);
    assert_false(rep.ok);
    assert_int_equal(rep.result[FS_SLOT_HL][0], FS_BOOT_UNTRUSTED);
    fx_destroy(x);
}

static void
test_device_wear_share_exact(void **state)
{
    (void)state;
    struct fx *x = fx_create(40, "");
    unsigned worn = 0;
    for (uint32_t d = 0; d < 40; d++) {
        if (fs_apps_wear_part(x->fleet, d) == FS_PART_NONE)
            continue;
        worn++;
        assert_true(fs_apps_wear_onset_us(x->fleet, d) < 2 * DAY_US);
    }
    assert_int_equal(worn, 10);
    fx_destroy(x);
}

static void
test_device_retry_backoff_when_refused(void **state)
{
    (void)state;
    struct fx *x = fx_create(1, "");
    x->refuse = true;
    fs_fleet_start(x->fleet);
    assert_int_equal(fs_sim_run(x->sim, DAY_US, UINT64_MAX, NULL), 0);
    /* 1, 2, 4, ..., 32 min then hourly: about 24 + 6 attempts a day,
       fewer when offline (offline attempts back off without a HELLO). */
    assert_true(x->hellos >= 5);
    assert_true(x->hellos <= 35);
    assert_false(fs_fleet_has_cert(x->fleet, 0));
    x->refuse = false;
    x->silent = true;
    assert_int_equal(fs_sim_run(x->sim, 2 * DAY_US, UINT64_MAX, NULL), 0);
    assert_false(fs_fleet_has_cert(x->fleet, 0));
    fx_destroy(x);
}

static void
test_device_memory_per_device(void **state)
{
    (void)state;
    struct fx *x = fx_create(1000, "");
    size_t per = fs_fleet_bytes(x->fleet) / fs_fleet_count(x->fleet);
    printf("device: sizeof %zu B, fleet %zu B/device at 1000\n",
           fs_fleet_device_bytes(), per);
    assert_true(fs_fleet_device_bytes() < 1024);
    assert_true(per < 1024);
    fx_destroy(x);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_device_boot_ok, teardown),
        cmocka_unit_test_teardown(test_device_config_and_public_key, teardown),
        cmocka_unit_test_teardown(test_device_os_hash_flip_falls_back,
                                  teardown),
        cmocka_unit_test_teardown(test_device_os_sig_flip_recovery, teardown),
        cmocka_unit_test_teardown(test_device_manifest_flip_fails_signature,
                                  teardown),
        cmocka_unit_test_teardown(test_device_app_flip_falls_back_then_recovery,
                                  teardown),
        cmocka_unit_test_teardown(test_device_rollback_and_wrong_kind,
                                  teardown),
        cmocka_unit_test_teardown(test_device_measurement_changes_with_os,
                                  teardown),
        cmocka_unit_test_teardown(test_device_firewall_grants, teardown),
        cmocka_unit_test_teardown(test_device_tamper_reported, teardown),
        cmocka_unit_test_teardown(test_device_keystore_gate, teardown),
        cmocka_unit_test_teardown(test_device_evidence_bound_to_device_key,
                                  teardown),
        cmocka_unit_test_teardown(test_device_repq_event_bound, teardown),
        cmocka_unit_test_teardown(test_device_repq_age_bound, teardown),
        cmocka_unit_test_teardown(
            test_device_repq_distinct_entries_evict_oldest, teardown),
        cmocka_unit_test_teardown(test_device_determinism, teardown),
        cmocka_unit_test_teardown(test_device_defenses_off_allow, teardown),
        cmocka_unit_test_teardown(test_device_untrusted_signer_refused,
                                  teardown),
        cmocka_unit_test_teardown(test_device_wear_share_exact, teardown),
        cmocka_unit_test_teardown(test_device_retry_backoff_when_refused,
                                  teardown),
        cmocka_unit_test_teardown(test_device_memory_per_device, teardown),
    };
    return cmocka_run_group_tests_name("device", tests, NULL, NULL);
}
