/*
 * tests/test_attack.c - the attack catalog and fault injection, run for
 * real: each attack once with its defence on (every attempt blocked) and
 * once with it off (the attempts succeed), and each fault with the fleet
 * recovering.
 *
 * Owns: the cmocka group for sim/attack/attack*.c, device/physical.c and
 * the service's entries for outsiders (fs_svc_receive_from, service/svc.c;
 * fs_upload_sign, service/upload.c).
 * Invariants: every test loads its scenario from a string, runs it to the
 * end in this process and destroys everything; teardown checks that no
 * block is left allocated. Outcomes are read from the attacks{kind,
 * outcome} metric the run keeps, never from the attacker's internals.
 * Does not: test the checks themselves (test_device.c, test_service.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fleetsim/mem.h"
#include "fleetsim/metrics.h"
#include "fleetsim/run.h"
#include "fleetsim/scn.h"
#include "fleetsim/service.h"

/*
 * A small fleet: %s defences block, %s OS extra line, %u devices in group
 * "a" and %u in group "b", %s service extra line, %s duration, %s the
 * timeline entry.
 */
static const char fleet_fmt[] =
    "scenario: attack-test\n"
    "seed: 5\n"
    "duration: %s\n"
    "service:\n"
    "  checkin_interval: %s\n"
    "%s"
    "%s"
    "products:\n"
    "  - name: DW100\n"
    "images:\n"
    "  - id: os-23.04\n"
    "    version: \"23.04\"\n"
    "    size: 4MiB\n"
    "%s"
    "  - id: app-1.4.0\n"
    "    kind: app\n"
    "    name: dw-app\n"
    "    product: DW100\n"
    "    version: 1.4.0\n"
    "    size: 300KiB\n"
    "    capabilities:\n"
    "      gpio: [8]\n"
    "      uart: [isu0]\n"
    "      allowed_hosts: [telemetry.contoso.example]\n"
    "fleet:\n"
    "  - product: DW100\n"
    "    count: 20\n"
    "    group: a\n"
    "    os: os-23.04\n"
    "    app: app-1.4.0\n"
    "  - product: DW100\n"
    "    count: 20\n"
    "    group: b\n"
    "    os: os-23.04\n"
    "    app: app-1.4.0\n"
    "timeline:\n"
    "  - at: %s\n"
    "    %s\n";

/* What a test varies in fleet_fmt. */
struct spec {
    const char *duration; /* default 4h */
    const char *interval; /* check-in interval, default 1h */
    const char *service;  /* extra service lines, or "" */
    const char *defenses; /* "defenses:\n  x: false\n", or "" */
    const char *os_extra; /* extra OS image lines, or "" */
    const char *at;       /* action time, default 2h */
    const char *action;   /* "attack: {...}" or "fault: {...}" */
};

static int
teardown(void **state)
{
    (void)state;
    assert_int_equal(fs_mem_live_blocks(), 0);
    return 0;
}

/* Load, run to the end, and return the finished run (and its scenario). */
static struct fs_run *
run_spec(const struct spec *sp, struct fs_scn **out_scn)
{
    char text[4096];
    int n = snprintf(
        text, sizeof(text), fleet_fmt, sp->duration ? sp->duration : "4h",
        sp->interval ? sp->interval : "1h", sp->service ? sp->service : "",
        sp->defenses ? sp->defenses : "", sp->os_extra ? sp->os_extra : "",
        sp->at ? sp->at : "2h", sp->action);
    assert_true(n > 0 && (size_t)n < sizeof(text));
    struct fs_diag d;
    fs_diag_clear(&d);
    struct fs_scn *scn = NULL;
    if (fs_scn_load_string("attack.yaml", text, (size_t)n, &scn, &d) != 0)
        fail_msg("load: %d:%d: %s", d.line, d.column, d.msg);
    struct fs_run_opts o;
    memset(&o, 0, sizeof(o));
    struct fs_run *r = NULL;
    if (fs_run_create(scn, &o, &r, &d) != 0)
        fail_msg("create: %s", d.msg);
    bool done = false;
    while (!done)
        assert_int_equal(fs_run_step(r, 100000, &done), 0);
    *out_scn = scn;
    return r;
}

static void
finish(struct fs_run *r, struct fs_scn *scn)
{
    fs_run_destroy(r);
    fs_scn_destroy(scn);
}

/* Sum of family f with up to two labels (NULL key: unused). */
static int64_t
metric(struct fs_run *r, enum fs_metric f, const char *k1, const char *v1,
       const char *k2, const char *v2)
{
    struct fs_label_sel sel[2];
    size_t n = 0;
    if (k1 != NULL)
        sel[n++] =
            (struct fs_label_sel){fs_metric_label_index(f, k1, strlen(k1)), v1};
    if (k2 != NULL)
        sel[n++] =
            (struct fs_label_sel){fs_metric_label_index(f, k2, strlen(k2)), v2};
    return fs_metrics_sum(fs_run_metrics(r), f, sel, n);
}

static int64_t
attacks(struct fs_run *r, const char *kind, const char *outcome)
{
    return metric(r, FS_M_ATTACKS, "kind", kind, "outcome", outcome);
}

static int64_t
compromised(struct fs_run *r)
{
    return metric(r, FS_M_DEVICES, "compromised", "true", NULL, NULL);
}

/*
 * Run kind against 25% of the fleet (10 devices) with defences as given;
 * check that all 10 attempts ended as want ("blocked" or "succeeded").
 */
static void
expect_all(const char *kind, const char *defenses, const char *want,
           int64_t want_compromised)
{
    char action[128];
    snprintf(action, sizeof(action), "attack: {kind: %s, targets: 25%%}", kind);
    struct spec sp = {.defenses = defenses, .action = action};
    struct fs_scn *scn;
    struct fs_run *r = run_spec(&sp, &scn);
    const char *other = strcmp(want, "blocked") == 0 ? "succeeded" : "blocked";
    assert_int_equal(attacks(r, kind, "attempted"), 10);
    assert_int_equal(attacks(r, kind, want), 10);
    assert_int_equal(attacks(r, kind, other), 0);
    assert_int_equal(compromised(r), want_compromised);
    finish(r, scn);
}

static void
test_attack_replay_blocked_by_nonce_freshness(void **state)
{
    (void)state;
    expect_all("replay_attestation", "", "blocked", 0);
}

static void
test_attack_replay_succeeds_without_nonce_freshness(void **state)
{
    (void)state;
    expect_all("replay_attestation", "defenses: {nonce_freshness: false}\n",
               "succeeded", 10);
}

static void
test_attack_clone_blocked_by_attestation_signature(void **state)
{
    (void)state;
    expect_all("clone_identity", "", "blocked", 0);
}

static void
test_attack_clone_succeeds_without_attestation_signature(void **state)
{
    (void)state;
    expect_all("clone_identity", "defenses: {attestation_signature: false}\n",
               "succeeded", 10);
}

static void
test_attack_malicious_flash_blocked_by_measured_boot(void **state)
{
    (void)state;
    expect_all("malicious_flash", "", "blocked", 0);
}

static void
test_attack_malicious_flash_succeeds_without_measured_boot(void **state)
{
    (void)state;
    expect_all("malicious_flash", "defenses: {measured_boot: false}\n",
               "succeeded", 10);
}

static void
test_attack_compromised_app_blocked_by_firewalls(void **state)
{
    (void)state;
    expect_all("compromised_app", "", "blocked", 0);
}

static void
test_attack_compromised_app_succeeds_without_firewalls(void **state)
{
    (void)state;
    expect_all("compromised_app",
               "defenses: {peripheral_firewall: false, "
               "network_firewall: false}\n",
               "succeeded", 0);
}

/* One firewall off is enough for the exploited app to get out. */
static void
test_attack_compromised_app_one_firewall_off(void **state)
{
    (void)state;
    expect_all("compromised_app", "defenses: {network_firewall: false}\n",
               "succeeded", 0);
}

/* The keystore refuses the app whatever the firewalls say. */
static void
test_attack_compromised_app_keystore_always_refuses(void **state)
{
    (void)state;
    struct spec sp = {.defenses = "defenses: {peripheral_firewall: false, "
                                  "network_firewall: false}\n",
                      .action = "attack: {kind: compromised_app, targets: 10}"};
    struct fs_scn *scn;
    struct fs_run *r = run_spec(&sp, &scn);
    assert_int_equal(
        metric(r, FS_M_FIREWALL, "kind", "keystore", "result", "blocked"), 10);
    assert_int_equal(
        metric(r, FS_M_FIREWALL, "kind", "peripheral", "result", "allowed"),
        20);
    finish(r, scn);
}

/* Targets narrowed to a group hit only that group, as many as the share. */
static void
test_attack_targets_follow_group_and_share(void **state)
{
    (void)state;
    struct spec sp = {.defenses = "defenses: {measured_boot: false}\n",
                      .action = "attack: {kind: malicious_flash, "
                                "targets: {group: b, share: 50%}}"};
    struct fs_scn *scn;
    struct fs_run *r = run_spec(&sp, &scn);
    assert_int_equal(
        metric(r, FS_M_DEVICES, "group", "b", "compromised", "true"), 10);
    assert_int_equal(
        metric(r, FS_M_DEVICES, "group", "a", "compromised", "true"), 0);
    finish(r, scn);
}

/* Work answers the run's service held back in its backlog. */
static uint64_t
answers_queued(struct fs_run *r)
{
    struct fs_svc_stats st;
    fs_svc_stats(fs_run_svc(r), &st);
    return st.answers_queued;
}

/*
 * A flood at 20x the service's capacity for 30 s, at 1h, with the extra
 * service lines given and check-ins every interval.
 */
static struct fs_run *
run_flood_at(const char *defenses, const char *service, const char *interval,
             struct fs_scn **out_scn)
{
    struct spec sp = {
        .duration = "90m",
        .interval = interval,
        .service = service,
        .defenses = defenses,
        .at = "1h",
        .action = "attack: {kind: checkin_flood, rate: 20000/s, for: 30s}"};
    return run_spec(&sp, out_scn);
}

static struct fs_run *
run_flood(const char *defenses, struct fs_scn **out_scn)
{
    return run_flood_at(defenses, "  checkin_rate_limit: 500\n", "2m", out_scn);
}

/*
 * The rate limit's door answers bogus ids before any work and outside the
 * genuine budget: no genuine check-in is refused, the flood is blocked.
 * Without the door the 500/s budget would be spent on bogus ids and
 * nearly every genuine check-in refused (a refusal is no service).
 */
static void
test_attack_flood_blocked_by_rate_limit(void **state)
{
    (void)state;
    struct fs_scn *scn;
    struct fs_run *r = run_flood("", &scn);
    assert_int_equal(attacks(r, "checkin_flood", "attempted"), 1);
    assert_int_equal(attacks(r, "checkin_flood", "blocked"), 1);
    assert_int_equal(attacks(r, "checkin_flood", "succeeded"), 0);
    assert_int_equal(
        metric(r, FS_M_ATTESTATIONS, "reason", "unknown_device", NULL, NULL),
        600000);
    assert_int_equal(metric(r, FS_M_ATTESTATIONS, "result", "fail", NULL, NULL),
                     600000);
    struct fs_svc_stats st;
    fs_svc_stats(fs_run_svc(r), &st);
    assert_int_equal(st.door_unknown, 600000);
    assert_int_equal(st.refused, 0);
    assert_int_equal(st.challenges, st.hellos - st.door_unknown);
    /* the door keeps the service within its capacity */
    assert_int_equal(answers_queued(r), 0);
    finish(r, scn);
}

/*
 * A refusal is not service: with a limit the genuine devices themselves
 * exceed (40 devices every 10 s against 1 check-in a second), most
 * genuine check-ins during the flood are refused, so the flood counts as
 * succeeded although the door kept every bogus id out.
 */
static void
test_attack_flood_refusals_are_not_service(void **state)
{
    (void)state;
    struct fs_scn *scn;
    struct fs_run *r =
        run_flood_at("", "  checkin_rate_limit: 1\n", "10s", &scn);
    struct fs_svc_stats st;
    fs_svc_stats(fs_run_svc(r), &st);
    assert_true(st.refused > 0);
    assert_int_equal(st.door_unknown, 600000);
    assert_int_equal(attacks(r, "checkin_flood", "attempted"), 1);
    assert_int_equal(attacks(r, "checkin_flood", "succeeded"), 1);
    assert_int_equal(attacks(r, "checkin_flood", "blocked"), 0);
    finish(r, scn);
}

/*
 * A flood during which no genuine device checks in (interval 1d, after
 * the boot check-ins) cannot be judged: it stays open (undecided).
 */
static void
test_attack_flood_without_checkins_is_undecided(void **state)
{
    (void)state;
    struct fs_scn *scn;
    struct fs_run *r = run_flood_at("", "", "1d", &scn);
    assert_int_equal(attacks(r, "checkin_flood", "attempted"), 1);
    assert_int_equal(attacks(r, "checkin_flood", "succeeded"), 0);
    assert_int_equal(attacks(r, "checkin_flood", "blocked"), 0);
    finish(r, scn);
}

static void
test_attack_flood_succeeds_without_rate_limit(void **state)
{
    (void)state;
    struct fs_scn *scn;
    struct fs_run *r =
        run_flood("defenses: {checkin_rate_limit: false}\n", &scn);
    assert_int_equal(attacks(r, "checkin_flood", "attempted"), 1);
    assert_int_equal(attacks(r, "checkin_flood", "succeeded"), 1);
    assert_int_equal(attacks(r, "checkin_flood", "blocked"), 0);
    /* the denial is the service's own backlog, not the attacker's doing */
    assert_true(answers_queued(r) > 0);
    finish(r, scn);
}

/* Attestations passed in a run of the given fault action. */
static int64_t
passes_with(const char *action, const char *os_extra, const char *duration,
            int64_t *out_recovery, int64_t *out_compromised)
{
    struct spec sp = {
        .action = action, .os_extra = os_extra, .duration = duration};
    struct fs_scn *scn;
    struct fs_run *r = run_spec(&sp, &scn);
    int64_t passes = metric(r, FS_M_ATTESTATIONS, "result", "pass", NULL, NULL);
    *out_recovery = metric(r, FS_M_DEVICES, "state", "recovery", NULL, NULL);
    *out_compromised = compromised(r);
    assert_int_equal(metric(r, FS_M_DEVICES, "state", "offline", NULL, NULL),
                     0);
    finish(r, scn);
    return passes;
}

/* Outages cost attestations while they last; then the fleet recovers. */
static void
test_attack_outages_recover(void **state)
{
    (void)state;
    int64_t rec, comp;
    int64_t base = passes_with("attack: {kind: compromised_app, targets: 0}",
                               "", "6h", &rec, &comp);
    int64_t net =
        passes_with("fault: {kind: network_outage, targets: 50%, for: 1h}", "",
                    "6h", &rec, &comp);
    assert_true(net < base);
    assert_true(net > base - 40);
    assert_int_equal(rec, 0);
    int64_t svc = passes_with("fault: {kind: service_outage, for: 30m}", "",
                              "6h", &rec, &comp);
    assert_true(svc < base);
    assert_true(svc > base - 80);
    assert_int_equal(rec, 0);
    assert_int_equal(comp, 0);
}

/* Rot in the active slot is caught at the next boot: recovery, clean. */
static void
test_attack_flash_corruption_caught_by_secure_boot(void **state)
{
    (void)state;
    /*
     * Active slot: secure boot refuses the rotten slot (tamper evidence)
     * and the device falls back to the factory copy in slot B; nobody runs
     * the corrupted image and nobody stops in recovery. Inactive slot:
     * nothing boots from it, nothing to see.
     */
    const char *slot[2] = {"active", "inactive"};
    int64_t tamper_want[2] = {4, 0};
    for (int i = 0; i < 2; i++) {
        char action[96];
        snprintf(action, sizeof(action),
                 "fault: {kind: flash_corruption, targets: 4, slot: %s}",
                 slot[i]);
        struct spec sp = {.action = action,
                          .os_extra = "    crash_rate: 6/d\n",
                          .duration = "2d"};
        struct fs_scn *scn;
        struct fs_run *r = run_spec(&sp, &scn);
        assert_int_equal(
            metric(r, FS_M_DEVICES, "state", "recovery", NULL, NULL), 0);
        assert_int_equal(compromised(r), 0);
        assert_int_equal(
            metric(r, FS_M_ERROR_REPORTS, "kind", "tamper", NULL, NULL),
            tamper_want[i]);
        finish(r, scn);
    }
}

/* ---- update path ------------------------------------------------------- */

/*
 * A fleet with an OS rollout to deploy: %s duration, %s extra service
 * lines, %s defences, %s the timeline entries. 20 devices in group "field"
 * and 20 in "lab", all on os-24.01 with app-1.4.0.
 */
static const char upd_fmt[] =
    "scenario: attack-update-test\n"
    "seed: 9\n"
    "duration: %s\n"
    "service:\n"
    "  checkin_interval: 30m\n"
    "%s"
    "%s"
    "products:\n"
    "  - name: DW100\n"
    "groups:\n"
    "  - name: field\n"
    "  - name: lab\n"
    "images:\n"
    "  - {id: os-23.04, kind: os, version: \"23.04\", size: 4MiB}\n"
    "  - {id: os-24.01, kind: os, version: \"24.01\", size: 4MiB}\n"
    "  - {id: os-24.10, kind: os, version: \"24.10\", size: 4MiB}\n"
    "  - {id: app-1.4.0, kind: app, name: dw-app, product: DW100,\n"
    "     version: 1.4.0, size: 300KiB, capabilities: {gpio: [8]}}\n"
    "  - {id: app-1.5.0, kind: app, name: dw-app, product: DW100,\n"
    "     version: 1.5.0, size: 300KiB, capabilities: {gpio: [8]}}\n"
    "fleet:\n"
    "  - {product: DW100, count: 20, group: field, os: os-24.01,\n"
    "     app: app-1.4.0}\n"
    "  - {product: DW100, count: 20, group: lab, os: os-24.01,\n"
    "     app: app-1.4.0}\n"
    "timeline:\n"
    "%s";

/* The OS rollout the update-path attacks ride on. */
#define UPD_ROLLOUT "  - {at: 10m, deploy: {id: r, image: os-24.10}}\n"

/* Load and run the update-path scenario (fs_run_opts.check on). */
static struct fs_run *
run_upd(const char *fmt, const char *defense, const char *service,
        const char *timeline, const char *duration, struct fs_scn **out_scn)
{
    char defenses[96] = "";
    if (defense != NULL)
        snprintf(defenses, sizeof(defenses), "defenses: {%s: false}\n",
                 defense);
    char text[4096];
    int n = snprintf(text, sizeof(text), fmt, duration, service ? service : "",
                     defenses, timeline);
    assert_true(n > 0 && (size_t)n < sizeof(text));
    struct fs_diag d;
    fs_diag_clear(&d);
    struct fs_scn *scn = NULL;
    if (fs_scn_load_string("upd.yaml", text, (size_t)n, &scn, &d) != 0)
        fail_msg("load: %d:%d: %s", d.line, d.column, d.msg);
    struct fs_run_opts o;
    memset(&o, 0, sizeof(o));
    o.check = true;
    struct fs_run *r = NULL;
    if (fs_run_create(scn, &o, &r, &d) != 0)
        fail_msg("create: %s", d.msg);
    bool done = false;
    while (!done)
        assert_int_equal(fs_run_step(r, 100000, &done), 0);
    *out_scn = scn;
    return r;
}

/*
 * Run the update-path scenario and check that all 10 attempts of kind
 * ended as want, with want_compromised devices compromised at the end.
 */
static void
expect_upd(const char *kind, const char *defense, const char *service,
           const char *timeline, const char *duration, const char *want,
           int64_t want_compromised)
{
    struct fs_scn *scn;
    struct fs_run *r =
        run_upd(upd_fmt, defense, service, timeline, duration, &scn);
    const char *other = strcmp(want, "blocked") == 0 ? "succeeded" : "blocked";
    assert_int_equal(attacks(r, kind, "attempted"), 10);
    assert_int_equal(attacks(r, kind, want), 10);
    assert_int_equal(attacks(r, kind, other), 0);
    assert_int_equal(compromised(r), want_compromised);
    finish(r, scn);
}

/* kind against 25% of the fleet riding the OS rollout. */
static void
expect_rollout(const char *kind, const char *extra, const char *defense,
               const char *service, const char *duration, const char *want,
               int64_t want_compromised)
{
    char tl[512];
    snprintf(tl, sizeof(tl),
             UPD_ROLLOUT "  - {at: 5m, attack: {kind: %s, targets: 25%%%s}}\n",
             kind, extra);
    expect_upd(kind, defense, service, tl, duration, want, want_compromised);
}

static void
test_attack_unsigned_image(void **state)
{
    (void)state;
    expect_rollout("unsigned_image", "", NULL, NULL, "4h", "blocked", 0);
    expect_rollout("unsigned_image", "", "verify_signatures", NULL, "4h",
                   "succeeded", 10);
}

static void
test_attack_foreign_key(void **state)
{
    (void)state;
    expect_rollout("foreign_key", ", signer: mallory", NULL, NULL, "4h",
                   "blocked", 0);
    expect_rollout("foreign_key", ", signer: mallory", "verify_signatures",
                   NULL, "4h", "succeeded", 10);
    /* No key named: the attacker's own key pair, unknown to every device. */
    expect_rollout("foreign_key", "", NULL, NULL, "4h", "blocked", 0);
    expect_rollout("foreign_key", "", "verify_signatures", NULL, "4h",
                   "succeeded", 10);
}

static void
test_attack_rollback(void **state)
{
    (void)state;
    expect_rollout("rollback", ", image: os-23.04", NULL, NULL, "4h", "blocked",
                   0);
    expect_rollout("rollback", ", image: os-23.04", "anti_rollback", NULL, "4h",
                   "succeeded", 0);
}

static void
test_attack_tamper_in_transit(void **state)
{
    (void)state;
    expect_rollout("tamper_in_transit", "", NULL, NULL, "4h", "blocked", 0);
    /* Installed past the download checks; measured boot still refuses it. */
    expect_rollout("tamper_in_transit", "", "verify_hashes", NULL, "4h",
                   "succeeded", 0);
}

static void
test_attack_endless_data(void **state)
{
    (void)state;
    expect_rollout("endless_data", "", NULL, NULL, "4h", "blocked", 0);
    expect_rollout("endless_data", "", "verify_lengths", NULL, "4h",
                   "succeeded", 0);
}

/*
 * endless_data against every device while a power cut is armed for each
 * one's download: a cut can replace the step that would have taken the
 * overlong chunk. Such a chunk was not taken, so the attempt stays open
 * until the device resumes and its length check decides.
 */
static void
test_attack_endless_data_power_cut(void **state)
{
    (void)state;
    const char *tl =
        "  - {at: 10m, deploy: {id: r, image: app-1.5.0}}\n"
        "  - {at: 5m, attack: {kind: endless_data, targets: 100%}}\n"
        "  - {at: 5m, fault: {kind: power_loss, targets: 100%,\n"
        "     during: download}}\n";
    const char *defenses[2] = {NULL, "verify_lengths"};
    const char *want[2] = {"blocked", "succeeded"};
    const char *other[2] = {"succeeded", "blocked"};
    for (unsigned i = 0; i < 2; i++) {
        struct fs_scn *scn;
        struct fs_run *r = run_upd(upd_fmt, defenses[i], NULL, tl, "6h", &scn);
        assert_int_equal(attacks(r, "endless_data", "attempted"), 40);
        assert_int_equal(attacks(r, "endless_data", want[i]), 40);
        assert_int_equal(attacks(r, "endless_data", other[i]), 0);
        assert_true(
            metric(r, FS_M_UPDATES, "reason", "power_loss", NULL, NULL) > 0);
        finish(r, scn);
    }
}

static void
test_attack_slow_retrieval(void **state)
{
    (void)state;
    const char *svc = "  download_timeout: 10m\n";
    expect_rollout("slow_retrieval", "", NULL, svc, "3h", "blocked", 0);
    expect_rollout("slow_retrieval", "", "download_timeout", svc, "3h",
                   "succeeded", 0);
}

static void
test_attack_freeze(void **state)
{
    (void)state;
    const char *svc = "  manifest_lifetime: 1h\n";
    expect_rollout("freeze", "", NULL, svc, "5h", "blocked", 0);
    expect_rollout("freeze", "", "manifest_expiry", svc, "5h", "succeeded", 0);
}

/*
 * freeze against devices busy downloading the very image the replayed
 * record names (a 1kbps link): the device skips the record without
 * checking it, so the attempt is neither blocked nor succeeded; it is
 * made again at each check-in and stays open.
 */
static const char busy_fmt[] =
    "scenario: attack-freeze-busy\n"
    "seed: 9\n"
    "duration: %s\n"
    "service:\n"
    "  checkin_interval: 30m\n"
    "  manifest_lifetime: 12h\n"
    "%s"
    "%s"
    "products:\n"
    "  - name: DW100\n"
    "images:\n"
    "  - {id: os-24.01, kind: os, version: \"24.01\", size: 4MiB}\n"
    "  - {id: os-24.10, kind: os, version: \"24.10\", size: 4MiB}\n"
    "  - {id: app-1.4.0, kind: app, name: dw-app, product: DW100,\n"
    "     version: 1.4.0, size: 300KiB, capabilities: {gpio: [8]}}\n"
    "fleet:\n"
    "  - {product: DW100, count: 40, os: os-24.01, app: app-1.4.0,\n"
    "     network: {bandwidth: 1kbps}}\n"
    "timeline:\n"
    "  - {at: 10m, deploy: {id: r, image: os-24.10}}\n"
    "%s";

/*
 * A freeze whose replayed record has not expired when the run ends is
 * decided neither way, with the defence on or off: it ends undecided.
 */
static void
test_attack_freeze_open_until_expiry(void **state)
{
    (void)state;
    const char *tl = "  - {at: 1h, attack: {kind: freeze, targets: 25%}}\n";
    const char *defenses[2] = {NULL, "manifest_expiry"};
    for (unsigned i = 0; i < 2; i++) {
        struct fs_scn *scn;
        struct fs_run *r = run_upd(busy_fmt, defenses[i], "", tl, "5h", &scn);
        assert_int_equal(attacks(r, "freeze", "attempted"), 10);
        assert_int_equal(attacks(r, "freeze", "blocked"), 0);
        assert_int_equal(attacks(r, "freeze", "succeeded"), 0);
        assert_int_equal(attacks(r, "freeze", "undecided"), 10);
        finish(r, scn);
    }
}

static void
test_attack_mix_and_match(void **state)
{
    (void)state;
    const char *tl =
        "  - {at: 10m, deploy: {id: l, image: app-1.5.0, to: lab}}\n"
        "  - {at: 1h, attack: {kind: mix_and_match,\n"
        "     targets: {group: field, share: 50%}}}\n";
    expect_upd("mix_and_match", NULL, NULL, tl, "4h", "blocked", 0);
    expect_upd("mix_and_match", "manifest_binding", NULL, tl, "4h", "succeeded",
               0);
}

static void
test_attack_leaked_key(void **state)
{
    (void)state;
    const char *revoked =
        "  - {at: 1h, attack: {kind: leaked_key, image: app-1.5.0,\n"
        "     targets: 25%}}\n"
        "  - {at: 1h, revoke_key: oem}\n";
    expect_upd("leaked_key", NULL, NULL, revoked, "4h", "blocked", 0);
    expect_upd("leaked_key", "key_revocation", NULL, revoked, "4h", "succeeded",
               10);
    /* Revoked before the upload: the service signs the attacker's record
       only when it does not act on revocations (key_revocation off). */
    const char *first =
        "  - {at: 1h, revoke_key: oem}\n"
        "  - {at: 1h, attack: {kind: leaked_key, image: app-1.5.0,\n"
        "     targets: 25%}}\n";
    expect_upd("leaked_key", NULL, NULL, first, "4h", "blocked", 0);
    expect_upd("leaked_key", "key_revocation", NULL, first, "4h", "succeeded",
               10);
    /* Never revoked: it succeeds, and the key is still a trusted one. */
    const char *kept =
        "  - {at: 1h, attack: {kind: leaked_key, targets: 25%}}\n";
    expect_upd("leaked_key", NULL, NULL, kept, "4h", "succeeded", 0);
}

int
main(void)
{
#define T(name) cmocka_unit_test_teardown(name, teardown)
    const struct CMUnitTest tests[] = {
        T(test_attack_replay_blocked_by_nonce_freshness),
        T(test_attack_replay_succeeds_without_nonce_freshness),
        T(test_attack_clone_blocked_by_attestation_signature),
        T(test_attack_clone_succeeds_without_attestation_signature),
        T(test_attack_malicious_flash_blocked_by_measured_boot),
        T(test_attack_malicious_flash_succeeds_without_measured_boot),
        T(test_attack_compromised_app_blocked_by_firewalls),
        T(test_attack_compromised_app_succeeds_without_firewalls),
        T(test_attack_compromised_app_one_firewall_off),
        T(test_attack_compromised_app_keystore_always_refuses),
        T(test_attack_targets_follow_group_and_share),
        T(test_attack_flood_blocked_by_rate_limit),
        T(test_attack_flood_refusals_are_not_service),
        T(test_attack_flood_without_checkins_is_undecided),
        T(test_attack_flood_succeeds_without_rate_limit),
        T(test_attack_outages_recover),
        T(test_attack_flash_corruption_caught_by_secure_boot),
        T(test_attack_unsigned_image),
        T(test_attack_foreign_key),
        T(test_attack_rollback),
        T(test_attack_tamper_in_transit),
        T(test_attack_endless_data),
        T(test_attack_endless_data_power_cut),
        T(test_attack_slow_retrieval),
        T(test_attack_freeze),
        T(test_attack_freeze_open_until_expiry),
        T(test_attack_mix_and_match),
        T(test_attack_leaked_key),
    };
#undef T
    return cmocka_run_group_tests_name("attack", tests, NULL, NULL);
}
