/*
 * tests/test_firewall.c - unit tests of the firewalls as the contract (1.1)
 * states them.
 *
 * Owns: tests of the peripheral owner map (given at boot to the one core
 * whose booted app claims each peripheral; an access from any other core
 * refused, the owner allowed, everything allowed with peripheral_firewall
 * off), of peripheral_conflict (an app update claiming a peripheral that
 * another core's app holds is refused before install, whatever the
 * defences; the same update without the clash installs), and of
 * real-time cores having no network with network_firewall on or off.
 * Invariants: every test frees everything (fs_mem_live_blocks() == 0 in
 * teardown) and the fleet passes fs_fleet_check.
 * Does not: use the real service (the fixture's stub plays it).
 */
#include <inttypes.h>
#include <stdio.h>

#include "device_fixture.h"

#define MIN_US ((int64_t)60 * 1000000)
#define HOUR_US (60 * MIN_US)
#define DAY_US (24 * HOUR_US)

/* Images by index: see W_YAML. */
enum { OS1 = 0, HL1, HL2, HL3, RT1, RT_GPIO8, RT_GPIO9, RT_ISU0, RT_ISU1 };

/*
 * One device: hl runs hl-1 (gpio 8, uart isu0, host t.example), rt0 runs
 * rt-1 (gpio 5, adc 0). The other images are updates: hl-2 moves hl to
 * gpio 8 and 10, hl-3 claims rt0's gpio 5; rt-gpio8 claims hl's gpio 8,
 * rt-gpio9 a free pin; rt-isu0 claims ISU0 (held by hl as a UART) as I2C,
 * rt-isu1 a free serial unit.
 */
static const char W_YAML[] =
    "scenario: w\n"
    "seed: 5\n"
    "duration: 4d\n"
    "%s"
    "products:\n"
    "  - name: P\n"
    "images:\n"
    "  - {id: os-1, kind: os, version: \"1\", size: 64KiB}\n"
    "  - {id: hl-1, kind: app, name: h, product: P, version: \"1.0\","
    " size: 16KiB, capabilities: {core: hl, gpio: [8], uart: [isu0],"
    " allowed_hosts: [t.example]}}\n"
    "  - {id: hl-2, kind: app, name: h, product: P, version: \"2.0\","
    " size: 16KiB, capabilities: {core: hl, gpio: [8, 10], uart: [isu0],"
    " allowed_hosts: [t.example]}}\n"
    "  - {id: hl-3, kind: app, name: h, product: P, version: \"3.0\","
    " size: 16KiB, capabilities: {core: hl, gpio: [8, 5]}}\n"
    "  - {id: rt-1, kind: app, name: r, product: P, version: \"1.0\","
    " size: 16KiB, capabilities: {core: rt0, gpio: [5], adc: [\"0\"]}}\n"
    "  - {id: rt-gpio8, kind: app, name: r, product: P, version: \"2.0\","
    " size: 16KiB, capabilities: {core: rt0, gpio: [5, 8]}}\n"
    "  - {id: rt-gpio9, kind: app, name: r, product: P, version: \"2.1\","
    " size: 16KiB, capabilities: {core: rt0, gpio: [5, 9]}}\n"
    "  - {id: rt-isu0, kind: app, name: r, product: P, version: \"2.2\","
    " size: 16KiB, capabilities: {core: rt0, i2c: [ISU0]}}\n"
    "  - {id: rt-isu1, kind: app, name: r, product: P, version: \"2.3\","
    " size: 16KiB, capabilities: {core: rt0, i2c: [ISU1]}}\n"
    "fleet:\n"
    "  - product: P\n"
    "    count: %u\n"
    "    os: os-1\n"
    "    app: hl-1\n"
    "    rt_apps: [rt-1]\n";

static int
teardown(void **state)
{
    (void)state;
    assert_int_equal(fs_mem_live_blocks(), 0);
    return 0;
}

static struct fx *
wx_create(const char *extra)
{
    return fx_create_from(W_YAML, 1, extra);
}

static void
boot(struct fx *x, uint32_t dev)
{
    struct fs_boot_report rep;
    fs_boot_device(x->fleet, dev, &rep);
    assert_true(rep.ok);
    assert_true(fs_fleet_check(x->fleet));
}

static bool
gpio(struct fx *x, unsigned core, const char *pin)
{
    return fs_fw_peripheral(x->fleet, 0, core, FS_PERIPH_GPIO, pin);
}

/* The owner is allowed, every other core refused, what nobody owns too. */
static void
test_fw_owner_map(void **state)
{
    (void)state;
    struct fx *x = wx_create("");
    boot(x, 0);
    assert_true(gpio(x, FS_CORE_HL, "8"));
    assert_false(gpio(x, FS_CORE_RT0, "8"));
    assert_false(gpio(x, FS_CORE_RT1, "8"));
    assert_true(gpio(x, FS_CORE_RT0, "5"));
    assert_false(gpio(x, FS_CORE_HL, "5"));
    assert_false(gpio(x, FS_CORE_HL, "9")); /* no app claims it */
    assert_false(gpio(x, FS_CORE_RT0, "9"));
    assert_false(gpio(x, FS_CORE_HL, "08x"));
    struct fs_fleet *f = x->fleet;
    assert_true(fs_fw_peripheral(f, 0, FS_CORE_HL, FS_PERIPH_UART, "isu0"));
    /* the owner may use it only as its manifest claims it (a UART) */
    assert_false(fs_fw_peripheral(f, 0, FS_CORE_HL, FS_PERIPH_I2C, "isu0"));
    assert_false(fs_fw_peripheral(f, 0, FS_CORE_RT0, FS_PERIPH_UART, "isu0"));
    assert_true(fs_fw_peripheral(f, 0, FS_CORE_RT0, FS_PERIPH_ADC, "0"));
    assert_false(fs_fw_peripheral(f, 0, FS_CORE_HL, FS_PERIPH_ADC, "0"));
    assert_int_equal(fx_fw(x, "peripheral", "allowed"), 4);
    assert_int_equal(fx_fw(x, "peripheral", "blocked"), 9);
    fx_destroy(x);
}

/*
 * The map is what the last boot gave: before the first boot nothing is
 * owned; an app put in place without a boot gets nothing until the device
 * boots it; a device left in recovery owns nothing.
 */
static void
test_fw_owner_map_built_at_boot(void **state)
{
    (void)state;
    struct fx *x = wx_create("");
    struct fs_fleet *f = x->fleet;
    assert_false(gpio(x, FS_CORE_HL, "8")); /* never booted */
    boot(x, 0);
    assert_true(gpio(x, FS_CORE_HL, "8"));
    fs_slots_set(f, 0, FS_SLOT_HL, 0, HL2);
    assert_int_equal(fs_fleet_running_app(f, 0, FS_CORE_HL), HL2);
    assert_false(gpio(x, FS_CORE_HL, "10")); /* hl-2's, not booted yet */
    boot(x, 0);
    assert_true(gpio(x, FS_CORE_HL, "10"));
    /* an OS that fails in both slots: recovery, no app, no owner */
    fs_slots_flip(f, 0, FS_SLOT_OS, 0, FS_FLIP_CONTENT, 3);
    fs_slots_flip(f, 0, FS_SLOT_OS, 1, FS_FLIP_CONTENT, 3);
    struct fs_boot_report rep;
    fs_boot_device(f, 0, &rep);
    assert_false(rep.ok);
    assert_false(gpio(x, FS_CORE_HL, "8"));
    fx_destroy(x);
}

/*
 * Two booted apps claiming one peripheral (a fall-back or hand-made slot
 * layout; the loader refuses it at manufacture): the first core in boot
 * order owns it, and the other is refused although its own manifest
 * claims the pin.
 */
static void
test_fw_owner_map_one_owner(void **state)
{
    (void)state;
    struct fx *x = wx_create("");
    struct fs_fleet *f = x->fleet;
    fs_slots_set(f, 0, FS_SLOT_RT0, 0, RT_GPIO8);
    boot(x, 0);
    assert_int_equal(fs_fleet_running_app(f, 0, FS_CORE_RT0), RT_GPIO8);
    assert_true(gpio(x, FS_CORE_HL, "8"));
    assert_false(gpio(x, FS_CORE_RT0, "8"));
    assert_true(gpio(x, FS_CORE_RT0, "5"));
    fx_destroy(x);
}

/* With peripheral_firewall off every peripheral access is allowed. */
static void
test_fw_owner_map_defense_off(void **state)
{
    (void)state;
    struct fx *x = wx_create("defenses: {peripheral_firewall: false}\n");
    boot(x, 0);
    assert_true(gpio(x, FS_CORE_RT0, "8"));
    assert_true(gpio(x, FS_CORE_HL, "5"));
    assert_true(gpio(x, FS_CORE_RT1, "77"));
    assert_int_equal(fx_fw(x, "peripheral", "blocked"), 0);
    /* the network firewall is still on: it guards only its own check */
    assert_false(fs_fw_connect(x->fleet, 0, FS_CORE_HL, "evil.example"));
    assert_int_equal(fs_repq_pending(x->fleet, 0), 1);
    fx_destroy(x);
}

/* Real-time cores have no network, whatever network_firewall says. */
static void
test_fw_rt_cores_never_networked(void **state)
{
    (void)state;
    const char *extra[2] = {"", "defenses: {network_firewall: false}\n"};
    for (unsigned i = 0; i < 2; i++) {
        struct fx *x = wx_create(extra[i]);
        struct fs_fleet *f = x->fleet;
        boot(x, 0);
        assert_false(fs_fw_connect(f, 0, FS_CORE_RT0, "t.example"));
        assert_false(fs_fw_connect(f, 0, FS_CORE_RT1, "t.example"));
        assert_false(fs_fw_connect(f, 0, FS_CORE_RT0, "evil.example"));
        assert_true(fs_fw_connect(f, 0, FS_CORE_HL, "t.example"));
        /* hl reaches other hosts only with the defence off */
        assert_int_equal(fs_fw_connect(f, 0, FS_CORE_HL, "evil.example"),
                         i == 1);
        assert_int_equal(fx_fw(x, "network", "blocked"), 3 + (i == 0));
        assert_int_equal(fx_fw(x, "network", "allowed"), 1 + (i == 1));
        fx_destroy(x);
    }
}

/* ---- peripheral_conflict ---------------------------------------------- */

static void
sign_record(struct fx *x, struct fs_update_record *r)
{
    unsigned char buf[FS_RECORD_BYTES];
    size_t len = fs_update_record_encode(r, buf);
    crypto_sign_detached(r->sig, NULL, buf, len,
                         fs_catalog_signer_sk(x->cat, FS_SIGNER_UPDATE));
}

/* Offer image img (deployment 0) as the service would, signed. */
static void
offer(struct fx *x, uint32_t img)
{
    const struct fs_scn_cohort *co = &x->scn->cohorts[0];
    memset(&x->rec, 0, sizeof(x->rec));
    x->img = *fs_catalog_manifest(x->cat, img);
    x->rec.deployment = 0;
    x->rec.product = co->product->index;
    x->rec.group = co->group->index;
    x->rec.version = 1;
    x->rec.expires_us = fs_sim_now_us(x->sim) + 7 * DAY_US;
    x->rec.target = x->img.m;
    sign_record(x, &x->rec);
    x->offer = true;
}

static void
run_until(struct fx *x, int64_t t_us)
{
    uint64_t ran;
    fs_sim_run(x->sim, t_us, UINT64_MAX, &ran);
    assert_true(fs_fleet_check(x->fleet));
}

/*
 * Offer img to a running device; expect it refused with
 * peripheral_conflict (conflict) or confirmed, and the core that image
 * goes to to run the old or the new app.
 */
static void
expect_conflict(const char *extra, uint32_t img, unsigned core, uint32_t old,
                bool conflict)
{
    struct fx *x = wx_create(extra);
    assert_int_equal(fs_fleet_start(x->fleet), 0);
    offer(x, img);
    run_until(x, 2 * HOUR_US);
    const char *id = x->scn->images[img].id;
    assert_int_equal(fx_updates(x, id, "rejected", "peripheral_conflict"),
                     conflict);
    assert_int_equal(fx_updates(x, NULL, "rejected", NULL), conflict);
    assert_int_equal(fx_updates(x, id, "installed", NULL), !conflict);
    assert_int_equal(fx_updates(x, id, "confirmed", NULL), !conflict);
    assert_int_equal(fs_fleet_running_app(x->fleet, 0, core),
                     conflict ? old : img);
    assert_int_equal(fs_fleet_state(x->fleet, 0), FS_DEV_RUNNING);
    x->offer = false;
    fx_destroy(x);
}

/* An rt0 update claiming hl's GPIO is refused; a free pin installs. */
static void
test_fw_conflict_gpio(void **state)
{
    (void)state;
    expect_conflict("", RT_GPIO8, FS_CORE_RT0, RT1, true);
    expect_conflict("", RT_GPIO9, FS_CORE_RT0, RT1, false);
}

/* And the other way: an hl update claiming rt0's GPIO. */
static void
test_fw_conflict_hl_update(void **state)
{
    (void)state;
    expect_conflict("", HL3, FS_CORE_HL, HL1, true);
    /* what hl itself holds is no conflict for hl's next app */
    expect_conflict("", HL2, FS_CORE_HL, HL1, false);
}

/*
 * Serial units share one namespace without case: ISU0, held by hl as a
 * UART, cannot become rt0's I2C; ISU1, held by nobody, can.
 */
static void
test_fw_conflict_serial_unit(void **state)
{
    (void)state;
    expect_conflict("", RT_ISU0, FS_CORE_RT0, RT1, true);
    expect_conflict("", RT_ISU1, FS_CORE_RT0, RT1, false);
}

/*
 * No defence guards the rule: with every defence off the clash is still
 * refused (and the free pin still installs).
 */
static void
test_fw_conflict_every_defense_off(void **state)
{
    (void)state;
    static const char all_off[] =
        "defenses: {verify_signatures: false, verify_hashes: false,"
        " verify_lengths: false, anti_rollback: false,"
        " download_timeout: false, manifest_expiry: false,"
        " manifest_binding: false, nonce_freshness: false,"
        " measured_boot: false, attestation_signature: false,"
        " peripheral_firewall: false, network_firewall: false,"
        " key_revocation: false, checkin_rate_limit: false}\n";
    expect_conflict(all_off, RT_GPIO8, FS_CORE_RT0, RT1, true);
    expect_conflict(all_off, RT_GPIO9, FS_CORE_RT0, RT1, false);
}

/* After an update confirms, the next boot's map follows the new app. */
static void
test_fw_map_follows_update(void **state)
{
    (void)state;
    struct fx *x = wx_create("");
    assert_int_equal(fs_fleet_start(x->fleet), 0);
    offer(x, RT_GPIO9);
    run_until(x, 2 * HOUR_US);
    assert_int_equal(fs_fleet_running_app(x->fleet, 0, FS_CORE_RT0), RT_GPIO9);
    assert_true(gpio(x, FS_CORE_RT0, "9"));
    assert_false(gpio(x, FS_CORE_HL, "9"));
    assert_false(fs_fw_peripheral(x->fleet, 0, FS_CORE_RT0, FS_PERIPH_ADC,
                                  "0")); /* rt-1's, gone */
    x->offer = false;
    fx_destroy(x);
}

#define T(fn) cmocka_unit_test_teardown(fn, teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_fw_owner_map),
        T(test_fw_owner_map_built_at_boot),
        T(test_fw_owner_map_one_owner),
        T(test_fw_owner_map_defense_off),
        T(test_fw_rt_cores_never_networked),
        T(test_fw_conflict_gpio),
        T(test_fw_conflict_hl_update),
        T(test_fw_conflict_serial_unit),
        T(test_fw_conflict_every_defense_off),
        T(test_fw_map_follows_update),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
