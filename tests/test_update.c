/*
 * tests/test_update.c - unit tests of the device side of updates.
 *
 * Owns: tests of update records (signature, expiry, binding, freshness),
 * downloads (chunks, flips, length bound, timeout, queueing), the checks
 * before install (every rejection reason; signers trusted by image kind
 * and product, at install and at boot), install, probation, rollback,
 * confirmation and the anti-rollback counter, each defence switch, power
 * cuts in the middle of an update, and set_service changes reaching the
 * device (check-in interval, download timeout).
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

/* Images by index: see U_YAML. */
enum { OS0 = 0, OS1, OS2, OS_CRASHY, OS_BIG, APP1, APP2, APPQ, APP_P3, APP_R };

static const char U_YAML[] =
    "scenario: u\n"
    "seed: 11\n"
    "duration: 4d\n"
    "%s"
    "products:\n"
    "  - name: P\n"
    "  - name: Q\n"
    "  - name: R\n"
    "groups:\n"
    "  - name: g\n"
    "  - name: h\n"
    "images:\n"
    "  - {id: os-0, kind: os, version: \"0.9\", size: 64KiB}\n"
    "  - {id: os-1, kind: os, version: \"1\", size: 64KiB}\n"
    "  - {id: os-2, kind: os, version: \"2\", size: 200KiB}\n"
    "  - {id: os-crashy, kind: os, version: \"3\", size: 64KiB,"
    " crash_rate: 2000/d}\n"
    "  - {id: os-big, kind: os, version: \"4\", size: 7MiB}\n"
    "  - {id: app-1, kind: app, name: a, product: P, version: \"1.0\","
    " size: 7MiB}\n"
    "  - {id: app-2, kind: app, name: a, product: P, version: \"2.0\","
    " size: 16KiB}\n"
    "  - {id: app-q, kind: app, name: q, product: Q, version: \"1.0\","
    " size: 16KiB}\n"
    "  - {id: app-p3, kind: app, name: a, product: P, version: \"3.0\","
    " size: 16KiB, signer: vendor-p}\n"
    "  - {id: app-r, kind: app, name: r, product: R, version: \"1.0\","
    " size: 16KiB, signer: vendor-r}\n"
    "fleet:\n"
    "  - product: P\n"
    "    count: %u\n"
    "    group: g\n"
    "    os: os-1\n"
    "    app: app-1\n";

static int
teardown(void **state)
{
    (void)state;
    assert_int_equal(fs_mem_live_blocks(), 0);
    return 0;
}

static struct fx *
ux_create(const char *extra)
{
    struct fx *x = fx_create_from(U_YAML, 1, extra);
    assert_int_equal(fs_fleet_start(x->fleet), 0);
    return x;
}

static void
sign_record(struct fx *x, struct fs_update_record *r)
{
    unsigned char buf[FS_RECORD_BYTES];
    size_t len = fs_update_record_encode(r, buf);
    crypto_sign_detached(r->sig, NULL, buf, len,
                         fs_catalog_signer_sk(x->cat, FS_SIGNER_UPDATE));
}

/* A signed record of deployment dep offering img, and its manifest. */
static void
make_record(struct fx *x, uint32_t dep, uint32_t img, uint64_t ver,
            struct fs_update_record *rec, struct fs_signed_manifest *sm)
{
    const struct fs_scn_cohort *co = &x->scn->cohorts[0];
    memset(rec, 0, sizeof(*rec));
    *sm = *fs_catalog_manifest(x->cat, img);
    rec->deployment = dep;
    rec->product = co->product->index;
    rec->group = co->group->index;
    rec->version = ver;
    rec->expires_us = fs_sim_now_us(x->sim) + 7 * DAY_US;
    rec->target = sm->m;
    sign_record(x, rec);
}

/* Offer image img (deployment 0, version ver) as the service would. */
static void
offer(struct fx *x, uint32_t img, uint64_t ver)
{
    make_record(x, 0, img, ver, &x->rec, &x->img);
    x->offer = true;
}

static void
run_until(struct fx *x, int64_t t_us)
{
    uint64_t ran;
    fs_sim_run(x->sim, t_us, UINT64_MAX, &ran);
    assert_true(fs_fleet_check(x->fleet));
}

static uint32_t
sv(const struct fx *x, uint32_t img)
{
    return fs_catalog_manifest(x->cat, img)->m.security_version;
}

static void
ux_destroy(struct fx *x)
{
    x->offer = false;
    fx_destroy(x);
}

/* The happy path: downloaded, installed, confirmed; counter raised. */
static void
test_update_os_confirmed(void **state)
{
    (void)state;
    struct fx *x = ux_create("");
    offer(x, OS2, 1);
    run_until(x, 2 * HOUR_US);
    assert_int_equal(fs_fleet_running_os(x->fleet, 0), OS2);
    assert_int_equal(fx_updates(x, "os-2", "downloaded", NULL), 1);
    assert_int_equal(fx_updates(x, "os-2", "installed", NULL), 1);
    assert_int_equal(fx_updates(x, "os-2", "confirmed", NULL), 1);
    assert_int_equal(fs_keystore_peek_counter(fs_fleet_keystore(x->fleet), 0,
                                              FS_KS_COUNTER_OS),
                     sv(x, OS2));
    assert_int_equal(x->dl_done, 1);
    assert_int_equal(x->dl_reqs, 4); /* 200 KiB in 64 KiB chunks */
    assert_false(fs_update_in_progress(x->fleet, 0));
    run_until(x, 2 * DAY_US); /* next check-in uploads the outcomes */
    assert_int_equal(x->upd_seen[FS_UPD_CONFIRMED], 1);
    assert_int_equal(x->upd_seen[FS_UPD_DOWNLOADED], 1);
    assert_int_equal(fs_update_sessions(x->fleet), 0);
    assert_int_equal(fx_updates(x, NULL, "confirmed", NULL), 1);
    ux_destroy(x);
}

/* An app update goes through the same path and raises the app counter. */
static void
test_update_app_confirmed(void **state)
{
    (void)state;
    struct fx *x = ux_create("");
    uint32_t before = fs_keystore_peek_counter(fs_fleet_keystore(x->fleet), 0,
                                               FS_KS_COUNTER_APP);
    offer(x, APP2, 1);
    run_until(x, 2 * HOUR_US);
    assert_int_equal(fs_fleet_running_app(x->fleet, 0, 0), APP2);
    assert_int_equal(fx_updates(x, "app-2", "confirmed", NULL), 1);
    uint32_t after = fs_keystore_peek_counter(fs_fleet_keystore(x->fleet), 0,
                                              FS_KS_COUNTER_APP);
    assert_true(after >= before);
    assert_int_equal(after, sv(x, APP2));
    ux_destroy(x);
}

/* Offer img with a record/manifest edit; expect rejection for reason. */
typedef void fx_spoil_fn(struct fx *x);

static void
expect_rejected(const char *extra, uint32_t img, fx_spoil_fn *spoil,
                const char *reason)
{
    struct fx *x = ux_create(extra);
    offer(x, img, 1);
    if (spoil != NULL)
        spoil(x);
    run_until(x, 2 * HOUR_US);
    assert_int_equal(fx_updates(x, NULL, "rejected", reason), 1);
    assert_int_equal(fx_updates(x, NULL, "installed", NULL), 0);
    assert_int_equal(fs_fleet_running_os(x->fleet, 0), OS1);
    assert_int_equal(fs_fleet_running_app(x->fleet, 0, 0), APP1);
    assert_int_equal(fs_fleet_state(x->fleet, 0), FS_DEV_RUNNING);
    x->offer = false;
    run_until(x, 3 * DAY_US); /* the outcome is uploaded */
    assert_int_equal(x->upd_seen[FS_UPD_REJECTED], 1);
    assert_int_equal(fs_update_sessions(x->fleet), 0);
    assert_false(fs_fleet_is_compromised(x->fleet, 0));
    ux_destroy(x);
}

/* Expect the bad input to get through when its defence is off. */
static void
expect_through(const char *extra, uint32_t img, fx_spoil_fn *spoil,
               const char *result)
{
    struct fx *x = ux_create(extra);
    offer(x, img, 1);
    if (spoil != NULL)
        spoil(x);
    run_until(x, 2 * HOUR_US);
    assert_int_equal(fx_updates(x, NULL, "rejected", NULL), 0);
    assert_true(fx_updates(x, NULL, result, NULL) >= 1);
    ux_destroy(x);
}

static void
spoil_sig(struct fx *x)
{
    x->img.sig[3] ^= 0x10;
}

static void
spoil_untrusted(struct fx *x)
{
    /* validly signed by a key devices trust for metadata, not images */
    x->img.m.signer = FS_SIGNER_UPDATE;
    unsigned char enc[FS_MANIFEST_BYTES];
    fs_manifest_encode(&x->img.m, enc);
    crypto_sign_detached(x->img.sig, NULL, enc, sizeof(enc),
                         fs_catalog_signer_sk(x->cat, FS_SIGNER_UPDATE));
    x->rec.target = x->img.m;
    sign_record(x, &x->rec);
}

static void
spoil_revoked(struct fx *x)
{
    x->revoked = 1ull << FS_SIGNER_OEM;
}

static void
spoil_flip(struct fx *x)
{
    x->flip = true;
    x->flip_bit = 70000 * 8 + 3;
}

static void
spoil_extra(struct fx *x)
{
    x->extra_bytes = 1000;
}

static void
spoil_expired(struct fx *x)
{
    x->rec.expires_us = 1;
    sign_record(x, &x->rec);
}

static void
spoil_product(struct fx *x)
{
    x->rec.product = 1;
    sign_record(x, &x->rec);
}

static void
spoil_group(struct fx *x)
{
    x->rec.group = 1;
    sign_record(x, &x->rec);
}

static void
spoil_record_sig(struct fx *x)
{
    x->rec.sig[0] ^= 1;
}

static void
spoil_stall(struct fx *x)
{
    x->stall = true;
}

static void
test_update_rejects_bad_signature(void **state)
{
    (void)state;
    expect_rejected("", OS2, spoil_sig, "bad_signature");
    expect_rejected("", OS2, spoil_record_sig, "bad_signature");
}

static void
test_update_rejects_untrusted_key(void **state)
{
    (void)state;
    expect_rejected("", OS2, spoil_untrusted, "untrusted_key");
}

/*
 * Re-sign the offered manifest, validly, with the catalog signer called
 * name, and the record over it: only the signer's trust is wrong.
 */
static void
resign(struct fx *x, const char *name)
{
    uint32_t k = fs_catalog_signer_find(x->cat, name);
    assert_true(k != UINT32_MAX);
    x->img.m.signer = k;
    fs_catalog_sign(x->cat, k, &x->img);
    x->rec.target = x->img.m;
    sign_record(x, &x->rec);
}

static void
spoil_by_oem(struct fx *x)
{
    resign(x, "oem");
}

static void
spoil_by_vendor_r(struct fx *x)
{
    resign(x, "vendor-r");
}

static void
spoil_by_vendor_p(struct fx *x)
{
    resign(x, "vendor-p");
}

/*
 * Trust is by image kind: an OS image validly signed by oem (a key P's
 * devices trust for their apps) is refused, whichever other defence is
 * off; with verify_signatures off it installs.
 */
static void
test_update_trust_os_platform_only(void **state)
{
    (void)state;
    expect_rejected("", OS2, spoil_by_oem, "untrusted_key");
    expect_rejected("defenses: {key_revocation: false, manifest_binding: "
                    "false, anti_rollback: false, verify_hashes: false}\n",
                    OS2, spoil_by_oem, "untrusted_key");
    expect_through("defenses: {verify_signatures: false}\n", OS2, spoil_by_oem,
                   "installed");
}

/*
 * Trust is by product: P's app validly signed by vendor-r (the only
 * signer of product R's apps) is refused; signed by vendor-p (one of P's
 * own signers, besides oem) it installs and confirms.
 */
static void
test_update_trust_app_by_product(void **state)
{
    (void)state;
    expect_rejected("", APP2, spoil_by_vendor_r, "untrusted_key");
    expect_rejected("defenses: {key_revocation: false, manifest_binding: "
                    "false}\n",
                    APP2, spoil_by_vendor_r, "untrusted_key");
    expect_through("defenses: {verify_signatures: false}\n", APP2,
                   spoil_by_vendor_r, "installed");
    expect_through("", APP2, spoil_by_vendor_p, "confirmed");
    expect_through("", APP_P3, NULL, "confirmed");
    /* R's own app, as R signed it: untrusted before it is wrong_product */
    expect_rejected("defenses: {manifest_binding: false}\n", APP_R, NULL,
                    "untrusted_key");
}

/* The trust sets a device is manufactured with, per image kind. */
static void
test_update_trust_sets_at_manufacture(void **state)
{
    (void)state;
    struct fx *x = fx_create_from(U_YAML, 1, "");
    struct fs_keystore *ks = fs_fleet_keystore(x->fleet);
    static const struct {
        const char *signer;
        bool os, app;
    } want[] = {{"platform", true, false},
                {"oem", false, true},
                {"update-service", false, false},
                {"vendor-p", false, true},
                {"vendor-r", false, false}};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        uint32_t k = fs_catalog_signer_find(x->cat, want[i].signer);
        assert_true(k != UINT32_MAX);
        bool os = !want[i].os, app = !want[i].app;
        assert_int_equal(
            fs_keystore_trusts(ks, 0, FS_KS_MONITOR, FS_IMAGE_OS, k, &os), 0);
        assert_int_equal(
            fs_keystore_trusts(ks, 0, FS_KS_MONITOR, FS_IMAGE_APP, k, &app), 0);
        assert_true(os == want[i].os);
        assert_true(app == want[i].app);
    }
    fx_destroy(x);
}

/*
 * Secure boot checks the same trust: another product's app in the hl slot
 * is refused (untrusted), an app of P's own second signer boots; with
 * verify_signatures off the foreign app boots as compromised code.
 */
static void
test_update_boot_trusts_product_signers(void **state)
{
    (void)state;
    struct fs_boot_report rep;
    struct fx *x = fx_create_from(U_YAML, 1, "");
    fs_slots_set(x->fleet, 0, FS_SLOT_HL, 0, APP_R);
    fs_slots_set(x->fleet, 0, FS_SLOT_HL, 1, APP_R); /* no good copy in B */
    fs_boot_device(x->fleet, 0, &rep);
    assert_false(rep.ok);
    assert_int_equal(rep.result[FS_SLOT_HL][0], FS_BOOT_UNTRUSTED);
    fs_slots_set(x->fleet, 0, FS_SLOT_HL, 0, APP_P3);
    fs_boot_device(x->fleet, 0, &rep);
    assert_true(rep.ok);
    assert_false(rep.compromised);
    fx_destroy(x);
    x = fx_create_from(U_YAML, 1, "defenses: {verify_signatures: false}\n");
    fs_slots_set(x->fleet, 0, FS_SLOT_HL, 0, APP_R);
    fs_boot_device(x->fleet, 0, &rep);
    assert_true(rep.ok);
    assert_true(rep.compromised);
    fx_destroy(x);
}

static void
test_update_rejects_revoked_key(void **state)
{
    (void)state;
    expect_rejected("", APP2, spoil_revoked, "revoked_key");
}

static void
test_update_rejects_hash_mismatch(void **state)
{
    (void)state;
    expect_rejected("", OS2, spoil_flip, "hash_mismatch");
}

static void
test_update_rejects_too_long(void **state)
{
    (void)state;
    expect_rejected("", OS2, spoil_extra, "too_long");
}

static void
test_update_rejects_rollback(void **state)
{
    (void)state;
    expect_rejected("", OS0, NULL, "rollback");
}

static void
test_update_rejects_wrong_product(void **state)
{
    (void)state;
    expect_rejected("", APPQ, NULL, "wrong_product");
    expect_rejected("", OS2, spoil_product, "wrong_product");
}

static void
test_update_rejects_wrong_group(void **state)
{
    (void)state;
    expect_rejected("", OS2, spoil_group, "wrong_group");
}

static void
test_update_rejects_expired(void **state)
{
    (void)state;
    expect_rejected("", OS2, spoil_expired, "expired_manifest");
}

static void
test_update_rejects_no_space(void **state)
{
    (void)state;
    /* os-1 + app-1 (7 MiB) + os-big (7 MiB) + os-1's copy fits, but
       app-1's second copy would not: update app-1's slot with os-big's
       size by offering os-big while the B slot of app holds app-1 */
    struct fx *x = ux_create("");
    fs_slots_set(x->fleet, 0, FS_SLOT_HL, 1, APP1);
    offer(x, OS_BIG, 1);
    run_until(x, 2 * HOUR_US);
    assert_int_equal(fx_updates(x, "os-big", "rejected", "no_space"), 1);
    assert_int_equal(fs_fleet_running_os(x->fleet, 0), OS1);
    ux_destroy(x);
}

/*
 * A record older than one already accepted for the same deployment is
 * refused (freeze); the same version under another deployment is not.
 */
static void
test_update_rejects_stale_record(void **state)
{
    (void)state;
    struct fx *x = ux_create("");
    offer(x, OS2, 5);
    run_until(x, 2 * HOUR_US);
    assert_int_equal(fx_updates(x, "os-2", "confirmed", NULL), 1);
    assert_int_equal(fs_update_accepted_version(x->fleet, 0, 0), 5);
    offer(x, APP2, 4); /* deployment 0 again, older: stale */
    run_until(x, 2 * DAY_US);
    assert_int_equal(fx_updates(x, NULL, "rejected", "expired_manifest"), 1);
    assert_int_equal(fs_fleet_running_app(x->fleet, 0, 0), APP1);
    assert_int_equal(fs_update_accepted_version(x->fleet, 0, 0), 5);
    x->rec.deployment = 1; /* another deployment: versions do not compare */
    sign_record(x, &x->rec);
    run_until(x, 4 * DAY_US);
    assert_int_equal(fx_updates(x, NULL, "rejected", NULL), 1);
    assert_int_equal(fs_fleet_running_app(x->fleet, 0, 0), APP2);
    assert_int_equal(fs_update_accepted_version(x->fleet, 0, 1), 4);
    ux_destroy(x);
}

/* An hl and an rt app on one device, each with a newer version. */
static const char U2_YAML[] =
    "scenario: u2\n"
    "seed: 13\n"
    "duration: 4d\n"
    "%s"
    "products:\n"
    "  - name: P\n"
    "groups:\n"
    "  - name: g\n"
    "images:\n"
    "  - {id: os-1, kind: os, version: \"1\", size: 64KiB}\n"
    "  - {id: app-1, kind: app, name: a, product: P, version: \"1.0\","
    " size: 16KiB}\n"
    "  - {id: app-2, kind: app, name: a, product: P, version: \"2.0\","
    " size: 16KiB}\n"
    "  - {id: rt-1, kind: app, name: r, product: P, version: \"1.0\","
    " size: 16KiB, capabilities: {core: rt0}}\n"
    "  - {id: rt-2, kind: app, name: r, product: P, version: \"2.0\","
    " size: 16KiB, capabilities: {core: rt0}}\n"
    "fleet:\n"
    "  - product: P\n"
    "    count: %u\n"
    "    group: g\n"
    "    os: os-1\n"
    "    app: app-1\n"
    "    rt_apps: [rt-1]\n";

enum { U2_APP2 = 2, U2_RT2 = 4 };

/*
 * Two deployments of the same image kind in flight: the hl app's
 * (deployment 1, signed later: version 2) and the rt app's (deployment 0,
 * version 1), both offered at every check-in. The device takes the first,
 * then the second: its older version does not make it stale, because
 * freshness is kept per deployment.
 */
static void
test_update_two_deployments_same_kind(void **state)
{
    (void)state;
    struct fx *x =
        fx_create_from(U2_YAML, 1, "service: {checkin_interval: 2h}\n");
    assert_int_equal(fs_fleet_start(x->fleet), 0);
    make_record(x, 1, U2_APP2, 2, &x->rec, &x->img);
    make_record(x, 0, U2_RT2, 1, &x->rec2, &x->img2);
    x->offer = x->offer2 = true;
    run_until(x, 2 * HOUR_US);
    assert_int_equal(fs_fleet_running_app(x->fleet, 0, 0), U2_APP2);
    assert_int_equal(fx_updates(x, "app-2", "confirmed", NULL), 1);
    run_until(x, DAY_US); /* later check-ins offer both again */
    assert_int_equal(fx_updates(x, NULL, "rejected", NULL), 0);
    assert_int_equal(fx_updates(x, "rt-2", "installed", NULL), 1);
    assert_int_equal(fx_updates(x, "rt-2", "confirmed", NULL), 1);
    assert_int_equal(fs_fleet_running_app(x->fleet, 0, 0), U2_APP2);
    assert_int_equal(fs_fleet_running_app(x->fleet, 0, 1), U2_RT2);
    assert_int_equal(fs_update_accepted_version(x->fleet, 0, 0), 1);
    assert_int_equal(fs_update_accepted_version(x->fleet, 0, 1), 2);
    x->offer = x->offer2 = false;
    fx_destroy(x);
}

/* METADATA to device 0 now with records (dep[i], img[i], ver[i]). */
static void
send_metadata(struct fx *x, unsigned n, const uint32_t *dep,
              const uint32_t *img, const uint64_t *ver)
{
    struct fs_msg *m = fs_msgpool_get(&x->pool);
    memset(&m->u, 0, sizeof(m->u));
    m->kind = FS_MSG_METADATA;
    m->device = 0;
    m->u.metadata.nrecords = (uint8_t)n;
    for (unsigned i = 0; i < n; i++)
        make_record(x, dep[i], img[i], ver[i], &m->u.metadata.records[i],
                    &m->u.metadata.images[i]);
    fs_fleet_receive(x->fleet, m);
    assert_true(fs_fleet_check(x->fleet));
}

/*
 * The freshness table: one METADATA's records all enter it; an older
 * record of a remembered deployment is refused; a new deployment forgets
 * the one accepted least recently; accepting again refreshes an entry.
 */
static void
test_update_freshness_per_deployment(void **state)
{
    (void)state;
    struct fx *x = ux_create("");
    x->stall = true; /* the first download never ends: records only */
    run_until(x, 5 * MIN_US);
    const uint32_t img4[4] = {OS2, APP2, OS0, OS_CRASHY};
    send_metadata(x, 4, (const uint32_t[]){10, 11, 12, 13}, img4,
                  (const uint64_t[]){20, 21, 22, 23});
    for (uint32_t d = 10; d < 14; d++)
        assert_int_equal(fs_update_accepted_version(x->fleet, 0, d), d + 10);
    /* same deployment, older version: a replay (images other than the
       one downloading, which a busy device would skip unchecked) */
    send_metadata(x, 1, (const uint32_t[]){11}, (const uint32_t[]){APP2},
                  (const uint64_t[]){19});
    assert_int_equal(fx_updates(x, NULL, "rejected", "expired_manifest"), 1);
    assert_int_equal(fs_update_accepted_version(x->fleet, 0, 11), 21);
    /* deployment 10 (accepted first) is refreshed: now the newest use */
    send_metadata(x, 1, (const uint32_t[]){10}, (const uint32_t[]){OS0},
                  (const uint64_t[]){20});
    /* a fifth deployment, older than all: accepted, forgets 11 */
    send_metadata(x, 1, (const uint32_t[]){14}, (const uint32_t[]){OS_CRASHY},
                  (const uint64_t[]){5});
    assert_int_equal(fx_updates(x, NULL, "rejected", NULL), 1);
    assert_int_equal(fs_update_accepted_version(x->fleet, 0, 14), 5);
    assert_int_equal(fs_update_accepted_version(x->fleet, 0, 10), 20);
    assert_int_equal(fs_update_accepted_version(x->fleet, 0, 11), 0);
    assert_int_equal(fs_update_accepted_version(x->fleet, 0, 12), 22);
    assert_int_equal(fs_update_accepted_version(x->fleet, 0, 13), 23);
    ux_destroy(x);
}

/*
 * A set_service of checkin_interval changes the spacing of the check-ins
 * after it: 6h apart for a day, then hourly (the check-in already set
 * keeps its time).
 */
static void
test_update_set_service_checkin_interval(void **state)
{
    (void)state;
    struct fx *x = ux_create("service: {checkin_interval: 6h}\n");
    run_until(x, DAY_US);
    uint64_t first_day = x->hellos;
    assert_true(first_day >= 4 && first_day <= 6); /* boot + 6h apart */
    struct fs_service_config ch = {.given = 1u << FS_SVC_CHECKIN_INTERVAL,
                                   .checkin_interval_us = HOUR_US};
    fs_fleet_set_service(x->fleet, &ch);
    run_until(x, 2 * DAY_US);
    uint64_t second_day = x->hellos - first_day;
    assert_true(second_day >= 18 && second_day <= 26); /* about hourly */
    ux_destroy(x);
}

/* A set_service of download_timeout reaches the device. */
static void
test_update_set_service_download_timeout(void **state)
{
    (void)state;
    struct fx *x = ux_create("service: {download_timeout: 10h}\n");
    struct fs_service_config ch = {.given = 1u << FS_SVC_DOWNLOAD_TIMEOUT,
                                   .download_timeout_us = 10 * MIN_US};
    fs_fleet_set_service(x->fleet, &ch);
    offer(x, OS2, 1);
    x->stall = true;
    run_until(x, HOUR_US);
    assert_int_equal(fx_updates(x, "os-2", "failed", "timeout"), 1);
    ux_destroy(x);
}

static void
test_update_timeout_then_retry(void **state)
{
    (void)state;
    struct fx *x = ux_create("service: {download_timeout: 10m}\n");
    offer(x, OS2, 1);
    x->stall = true;
    run_until(x, 2 * HOUR_US);
    assert_int_equal(fx_updates(x, "os-2", "failed", "timeout"), 1);
    assert_int_equal(x->dl_abandoned, 1);
    assert_int_equal(fs_fleet_running_os(x->fleet, 0), OS1);
    x->stall = false;
    run_until(x, 3 * DAY_US); /* retried at the next check-in */
    assert_int_equal(fs_fleet_running_os(x->fleet, 0), OS2);
    assert_int_equal(fx_updates(x, "os-2", "confirmed", NULL), 1);
    ux_destroy(x);
}

/* A queued request waits without timing out, then downloads. */
static void
test_update_queued_waits(void **state)
{
    (void)state;
    struct fx *x = ux_create("service: {download_timeout: 10m}\n");
    offer(x, OS2, 1);
    x->queue_first = true;
    x->chunk_delay_us = 30 * MIN_US; /* the first chunk comes late */
    run_until(x, 25 * MIN_US);
    assert_int_equal(fx_updates(x, "os-2", "failed", NULL), 0);
    assert_true(fs_update_in_progress(x->fleet, 0));
    x->chunk_delay_us = 100000;
    run_until(x, 4 * HOUR_US);
    assert_int_equal(fx_updates(x, "os-2", "failed", NULL), 0);
    assert_int_equal(fx_updates(x, "os-2", "confirmed", NULL), 1);
    ux_destroy(x);
}

/* A crash during probation rolls back; the counter is not raised. */
static void
test_update_crash_rolls_back(void **state)
{
    (void)state;
    struct fx *x = ux_create("");
    offer(x, OS_CRASHY, 1);
    run_until(x, 2 * HOUR_US);
    assert_int_equal(fx_updates(x, "os-crashy", "installed", NULL), 1);
    assert_int_equal(fx_updates(x, "os-crashy", "rolled_back", "crash"), 1);
    assert_int_equal(fx_updates(x, "os-crashy", "confirmed", NULL), 0);
    assert_int_equal(fs_fleet_running_os(x->fleet, 0), OS1);
    assert_int_equal(fs_keystore_peek_counter(fs_fleet_keystore(x->fleet), 0,
                                              FS_KS_COUNTER_OS),
                     sv(x, OS1));
    run_until(x, 3 * DAY_US); /* not retried */
    assert_int_equal(fx_updates(x, "os-crashy", "installed", NULL), 1);
    assert_true(x->reports >= 1); /* update_failure and os_crash */
    ux_destroy(x);
}

/* After confirming os-2, an offer of os-1 is a rollback; never lowered. */
static void
test_update_counter_never_lowers(void **state)
{
    (void)state;
    struct fx *x = ux_create("");
    offer(x, OS2, 1);
    run_until(x, 2 * HOUR_US);
    uint32_t c = fs_keystore_peek_counter(fs_fleet_keystore(x->fleet), 0,
                                          FS_KS_COUNTER_OS);
    assert_int_equal(c, sv(x, OS2));
    offer(x, OS1, 2);
    x->rec.deployment = 1;
    sign_record(x, &x->rec);
    run_until(x, 3 * DAY_US);
    assert_int_equal(fx_updates(x, "os-1", "rejected", "rollback"), 1);
    assert_int_equal(fs_keystore_peek_counter(fs_fleet_keystore(x->fleet), 0,
                                              FS_KS_COUNTER_OS),
                     c);
    assert_int_equal(fs_fleet_running_os(x->fleet, 0), OS2);
    assert_int_equal(fs_keystore_raise_counter(fs_fleet_keystore(x->fleet), 0,
                                               FS_KS_MONITOR, FS_KS_COUNTER_OS,
                                               0),
                     0);
    assert_int_equal(fs_keystore_peek_counter(fs_fleet_keystore(x->fleet), 0,
                                              FS_KS_COUNTER_OS),
                     c);
    ux_destroy(x);
}

/* Each defence off lets its bad input through. */
static void
test_update_defences_off(void **state)
{
    (void)state;
    expect_through("defenses: {verify_signatures: false}\n", OS2, spoil_sig,
                   "installed");
    expect_through("defenses: {verify_signatures: false}\n", OS2,
                   spoil_untrusted, "installed");
    expect_through("defenses: {key_revocation: false}\n", APP2, spoil_revoked,
                   "confirmed");
    expect_through("defenses: {verify_hashes: false, measured_boot: false}\n",
                   OS2, spoil_flip, "confirmed");
    expect_through("defenses: {anti_rollback: false}\n", OS0, NULL,
                   "confirmed");
    expect_through("defenses: {manifest_binding: false}\n", OS2, spoil_group,
                   "confirmed");
    expect_through("defenses: {manifest_binding: false}\n", OS2, spoil_product,
                   "confirmed");
    expect_through("defenses: {manifest_expiry: false}\n", OS2, spoil_expired,
                   "confirmed");
}

/* verify_lengths off: reads on and never finishes; timeout off waits. */
static void
test_update_length_and_timeout_off(void **state)
{
    (void)state;
    struct fx *x = ux_create("defenses: {verify_lengths: false}\n");
    offer(x, OS2, 1);
    spoil_extra(x);
    x->extra_bytes = UINT64_MAX / 2;
    run_until(x, HOUR_US);
    assert_int_equal(fx_updates(x, NULL, "rejected", NULL), 0);
    assert_int_equal(fx_updates(x, NULL, "downloaded", NULL), 0);
    assert_true(x->dl_reqs > 100);
    assert_true(fs_update_in_progress(x->fleet, 0));
    ux_destroy(x);
    x = ux_create("defenses: {download_timeout: false}\n"
                  "service: {download_timeout: 10m}\n");
    offer(x, OS2, 1);
    spoil_stall(x);
    run_until(x, 2 * DAY_US);
    assert_int_equal(fx_updates(x, NULL, "failed", NULL), 0);
    assert_true(fs_update_in_progress(x->fleet, 0));
    ux_destroy(x);
}

/* The record names os-crashy; the manifest delivered is the older os-0
   (same length, so the download completes). */
static void
spoil_older_image(struct fx *x)
{
    x->img = *fs_catalog_manifest(x->cat, OS0);
}

/* The record names app-2; the manifest delivered is product Q's app. */
static void
spoil_other_product(struct fx *x)
{
    x->img = *fs_catalog_manifest(x->cat, APPQ);
}

/*
 * Each defence guards only its own check: with anti_rollback or
 * manifest_binding off, a manifest that is not the one its record names
 * is still refused by the record-to-image hash binding (verify_hashes).
 */
static void
test_update_binding_off_keeps_hash_binding(void **state)
{
    (void)state;
    expect_rejected("", OS_CRASHY, spoil_older_image, "rollback");
    expect_rejected("defenses: {anti_rollback: false}\n", OS_CRASHY,
                    spoil_older_image, "hash_mismatch");
    expect_rejected("", APP2, spoil_other_product, "wrong_product");
    /* app-q is also older than app-2: anti-rollback off too */
    expect_rejected("defenses: {manifest_binding: false, anti_rollback: "
                    "false}\n",
                    APP2, spoil_other_product, "hash_mismatch");
    /* with verify_hashes off too, nothing guards it: it installs */
    expect_through("defenses: {anti_rollback: false, verify_hashes: false}\n",
                   OS_CRASHY, spoil_older_image, "installed");
}

/* A record naming the image the device runs is verified all the same. */
static void
test_update_checks_record_of_running_image(void **state)
{
    (void)state;
    expect_rejected("", OS1, spoil_expired, "expired_manifest");
    expect_rejected("", OS1, spoil_group, "wrong_group");
    struct fx *x = ux_create("");
    offer(x, OS1, 1); /* genuine: accepted, nothing to do */
    run_until(x, 2 * HOUR_US);
    assert_int_equal(fx_updates(x, NULL, "rejected", NULL), 0);
    assert_int_equal(fs_update_sessions(x->fleet), 0);
    assert_true(fs_update_accepted_version(x->fleet, 0, 0) == 1);
    ux_destroy(x);
}

/*
 * A refusal is remembered by what was refused, the record and the
 * manifest with it: after refusing a substitute under the genuine record,
 * the device takes the genuine pair at its next check-in.
 */
static void
test_update_refused_substitute_costs_nothing(void **state)
{
    (void)state;
    struct fx *x = ux_create("");
    offer(x, APP2, 1);
    spoil_other_product(x);
    run_until(x, 2 * HOUR_US);
    assert_int_equal(fx_updates(x, NULL, "rejected", "wrong_product"), 1);
    x->img = *fs_catalog_manifest(x->cat, APP2); /* the genuine pair */
    run_until(x, 2 * DAY_US);
    assert_int_equal(fx_updates(x, NULL, "rejected", NULL), 1);
    assert_int_equal(fx_updates(x, NULL, "confirmed", NULL), 1);
    assert_int_equal(fs_fleet_running_app(x->fleet, 0, 0), APP2);
    ux_destroy(x);
}

/* A forged image let through boots as compromised code. */
static void
test_update_forged_install_is_compromise(void **state)
{
    (void)state;
    struct fx *x = ux_create("defenses: {verify_signatures: false}\n");
    offer(x, OS2, 1);
    spoil_sig(x);
    run_until(x, 2 * HOUR_US);
    assert_int_equal(fs_fleet_running_os(x->fleet, 0), OS2);
    assert_true(fs_fleet_is_compromised(x->fleet, 0));
    ux_destroy(x);
}

/* Power cuts: during the download it resumes; during the write retries. */
static void
test_update_power_cut_phases(void **state)
{
    (void)state;
    static const enum fs_phase ph[] = {FS_PHASE_DOWNLOAD, FS_PHASE_INSTALL,
                                       FS_PHASE_BOOT, FS_PHASE_ANY};
    for (unsigned i = 0; i < 4; i++) {
        struct fx *x = ux_create("");
        offer(x, OS2, 1);
        assert_int_equal(fs_physical_arm_power_loss(x->fleet, 0, ph[i]), 0);
        run_until(x, 3 * DAY_US);
        assert_false(fs_physical_power_loss_armed(x->fleet, 0));
        assert_int_equal(fs_fleet_running_os(x->fleet, 0), OS2);
        assert_int_equal(fx_updates(x, "os-2", "confirmed", NULL), 1);
        assert_int_equal(fs_keystore_peek_counter(fs_fleet_keystore(x->fleet),
                                                  0, FS_KS_COUNTER_OS),
                         sv(x, OS2));
        if (ph[i] == FS_PHASE_DOWNLOAD || ph[i] == FS_PHASE_INSTALL)
            assert_int_equal(fx_updates(x, "os-2", "failed", "power_loss"), 1);
        ux_destroy(x);
    }
}

/* Writing in one event or unit by unit ends in the same state. */
static void
test_update_stepwise_same_state(void **state)
{
    (void)state;
    char fp[2][65];
    for (unsigned i = 0; i < 2; i++) {
        struct fx *x = ux_create("");
        offer(x, OS2, 1);
        if (i == 1) /* armed far beyond the update: never fires */
            assert_int_equal(fs_physical_arm_power_loss_at(x->fleet, 0, 100000),
                             0);
        run_until(x, 2 * HOUR_US);
        assert_int_equal(fs_fleet_running_os(x->fleet, 0), OS2);
        fs_sim_fingerprint(x->sim, fp[i]);
        assert_int_equal(fs_physical_steps(x->fleet, 0) > 0, 1);
        ux_destroy(x);
    }
    assert_string_equal(fp[0], fp[1]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_update_os_confirmed, teardown),
        cmocka_unit_test_teardown(test_update_app_confirmed, teardown),
        cmocka_unit_test_teardown(test_update_rejects_bad_signature, teardown),
        cmocka_unit_test_teardown(test_update_rejects_untrusted_key, teardown),
        cmocka_unit_test_teardown(test_update_trust_os_platform_only, teardown),
        cmocka_unit_test_teardown(test_update_trust_app_by_product, teardown),
        cmocka_unit_test_teardown(test_update_trust_sets_at_manufacture,
                                  teardown),
        cmocka_unit_test_teardown(test_update_boot_trusts_product_signers,
                                  teardown),
        cmocka_unit_test_teardown(test_update_rejects_revoked_key, teardown),
        cmocka_unit_test_teardown(test_update_rejects_hash_mismatch, teardown),
        cmocka_unit_test_teardown(test_update_rejects_too_long, teardown),
        cmocka_unit_test_teardown(test_update_rejects_rollback, teardown),
        cmocka_unit_test_teardown(test_update_rejects_wrong_product, teardown),
        cmocka_unit_test_teardown(test_update_rejects_wrong_group, teardown),
        cmocka_unit_test_teardown(test_update_rejects_expired, teardown),
        cmocka_unit_test_teardown(test_update_rejects_no_space, teardown),
        cmocka_unit_test_teardown(test_update_rejects_stale_record, teardown),
        cmocka_unit_test_teardown(test_update_two_deployments_same_kind,
                                  teardown),
        cmocka_unit_test_teardown(test_update_freshness_per_deployment,
                                  teardown),
        cmocka_unit_test_teardown(test_update_set_service_checkin_interval,
                                  teardown),
        cmocka_unit_test_teardown(test_update_set_service_download_timeout,
                                  teardown),
        cmocka_unit_test_teardown(test_update_timeout_then_retry, teardown),
        cmocka_unit_test_teardown(test_update_queued_waits, teardown),
        cmocka_unit_test_teardown(test_update_crash_rolls_back, teardown),
        cmocka_unit_test_teardown(test_update_counter_never_lowers, teardown),
        cmocka_unit_test_teardown(test_update_defences_off, teardown),
        cmocka_unit_test_teardown(test_update_length_and_timeout_off, teardown),
        cmocka_unit_test_teardown(test_update_forged_install_is_compromise,
                                  teardown),
        cmocka_unit_test_teardown(test_update_binding_off_keeps_hash_binding,
                                  teardown),
        cmocka_unit_test_teardown(test_update_checks_record_of_running_image,
                                  teardown),
        cmocka_unit_test_teardown(test_update_refused_substitute_costs_nothing,
                                  teardown),
        cmocka_unit_test_teardown(test_update_power_cut_phases, teardown),
        cmocka_unit_test_teardown(test_update_stepwise_same_state, teardown),
    };
    return cmocka_run_group_tests_name("update", tests, NULL, NULL);
}
