/*
 * tests/test_scn.c - the scenario loader: every error kind, defaults,
 * every key, derived values and limits.
 *
 * Owns: the cmocka group for sim/scenario/scn_*.c.
 * Invariants: every error test checks the FILE:LINE:COLUMN and a piece of
 * the message; teardown checks no block is left allocated.
 * Does not: simulate (scenarios are only loaded).
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
#include "fleetsim/rng.h"
#include "fleetsim/scn.h"

#define US_S INT64_C(1000000)
#define US_H (3600 * US_S)

/* A valid scenario to prefix or extend; its lines are numbered 1..10. */
#define BASE                                                                   \
    "scenario: t\n"                                                            \
    "duration: 1d\n"                                                           \
    "products: [{name: P}]\n"                                                  \
    "images:\n"                                                                \
    "  - id: os-1\n"                                                           \
    "    version: \"1\"\n"                                                     \
    "    size: 4MiB\n"                                                         \
    "fleet:\n"                                                                 \
    "  - product: P\n"                                                         \
    "    count: 10\n"                                                          \
    "    os: os-1\n"

static int
teardown(void **state)
{
    (void)state;
    assert_int_equal(fs_mem_live_blocks(), 0);
    return 0;
}

static struct fs_scn *
load_ok(const char *text)
{
    struct fs_scn *scn = NULL;
    struct fs_diag d;
    fs_diag_clear(&d);
    int err = fs_scn_load_string("t.yaml", text, strlen(text), &scn, &d);
    if (err != 0)
        fail_msg("unexpected error %d:%d: %s", d.line, d.column, d.msg);
    assert_true(fs_scn_check(scn));
    return scn;
}

static void
load_bad_n(const char *text, size_t len, int line, int column,
           const char *substr)
{
    struct fs_scn *scn = (struct fs_scn *)0x1;
    struct fs_diag d;
    fs_diag_clear(&d);
    int err = fs_scn_load_string("t.yaml", text, len, &scn, &d);
    assert_int_equal(err, FS_ESCENARIO);
    assert_ptr_equal(scn, (struct fs_scn *)0x1); /* untouched */
    assert_string_equal(d.file, "t.yaml");
    if (strstr(d.msg, substr) == NULL || d.line != line ||
        (column > 0 && d.column != column))
        fail_msg("got %d:%d: %s; wanted %d:%d: ...%s...", d.line, d.column,
                 d.msg, line, column, substr);
}

static void
load_bad(const char *text, int line, int column, const char *substr)
{
    load_bad_n(text, strlen(text), line, column, substr);
}

static void
test_scn_missing_unit(void **state)
{
    (void)state;
    load_bad(BASE "timeline: [{at: 5, revoke_key: oem}]\n", 12, 17,
             "missing unit");
}

static void
test_scn_unknown_unit(void **state)
{
    (void)state;
    load_bad(BASE "service: {egress: 2MBps}\n", 12, 19,
             "unknown unit; expected a bandwidth unit");
}

static void
test_scn_unknown_key_hint(void **state)
{
    (void)state;
    load_bad(BASE "defenses: {verify_signature: false}\n", 12, 12,
             "did you mean 'verify_signatures'?");
    load_bad(BASE "zzz: 1\n", 12, 1, "expected one of: scenario");
}

static void
test_scn_broken_yaml(void **state)
{
    (void)state;
    load_bad(BASE "expect: [a\n", 13, 1, "invalid YAML");
    load_bad("scenario: t\n  duration: 1d\n", 2, 11, "invalid YAML");
}

static void
test_scn_dangling_references(void **state)
{
    (void)state;
    load_bad(BASE "timeline: [{at: 1h, deploy: {id: d, image: os-2}}]\n", 12,
             44, "unknown image 'os-2'; did you mean 'os-1'?");
    load_bad(BASE "timeline: [{at: 1h, cancel: d}]\n", 12, 29,
             "unknown deploy 'd'");
    load_bad(BASE "timeline: [{at: 1h, deploy: {id: d, image: os-1, "
                  "to: nogroup}}]\n",
             12, 54, "unknown group 'nogroup'");
    load_bad(BASE "timeline: [{at: 1h, attack: {kind: leaked_key, "
                  "signer: bob, targets: 1%}}]\n",
             12, 56, "unknown signer 'bob'");
}

static void
test_scn_cancel_before_deploy(void **state)
{
    (void)state;
    load_bad(BASE "timeline:\n"
                  "  - {at: 2h, deploy: {id: d, image: os-1}}\n"
                  "  - {at: 1h, cancel: d}\n",
             14, 22, "must come after its deploy");
}

static void
test_scn_app_rules(void **state)
{
    (void)state;
    const char *apps =
        "scenario: t\nduration: 1d\nproducts: [{name: P}]\nimages:\n"
        "  - {id: os-1, version: '1', size: 4MiB}\n"
        "  - {id: a, kind: app, name: a, product: P, version: '1', "
        "size: 1KiB, capabilities: {uart: [ISU0]}}\n"
        "  - {id: r, kind: app, name: r, product: P, version: '1', "
        "size: 1KiB, capabilities: {core: rt0, i2c: [isu0]}}\n"
        "fleet:\n";
    char text[2048];
    snprintf(text, sizeof(text), "%s%s", apps,
             "  - {product: P, count: 1, os: os-1, app: a, rt_apps: [r]}\n");
    load_bad(text, 9, 5, "both claim serial unit ISU0");
    snprintf(text, sizeof(text), "%s%s", apps,
             "  - {product: P, count: 1, os: a}\n");
    load_bad(text, 9, 32, "expected an image of kind os");
    snprintf(text, sizeof(text), "%s%s", apps,
             "  - {product: P, count: 1, os: os-1, app: r}\n");
    load_bad(text, 9, 5, "list it under rt_apps");
    load_bad(BASE "  - {product: P, count: 1, os: os-1, app: os-1}\n", 12, 43,
             "expected an image of kind app");
}

static void
test_scn_app_product_mismatch(void **state)
{
    (void)state;
    load_bad("scenario: t\nduration: 1d\nproducts: [{name: P}, {name: Q}]\n"
             "images:\n  - {id: os-1, version: '1', size: 4MiB}\n"
             "  - {id: a, kind: app, name: a, product: Q, version: '1', "
             "size: 1KiB}\n"
             "fleet: [{product: P, count: 1, os: os-1, app: a}]\n",
             7, 47, "built for product 'Q'");
}

static void
test_scn_malformed_expectation(void **state)
{
    (void)state;
    /* The column is the expression's own error column, moved into the
     * file; check the line exactly and the column loosely. */
    struct fs_scn *scn = NULL;
    struct fs_diag d;
    const char *text = BASE "expect:\n  - devices{os=\"1\"} >>= 5\n";
    int err = fs_scn_load_string("t.yaml", text, strlen(text), &scn, &d);
    assert_int_equal(err, FS_ESCENARIO);
    assert_int_equal(d.line, 13);
    assert_true(d.column > 5);
    assert_non_null(strstr(d.msg, "invalid expectation"));
    load_bad(BASE "expect:\n  - {that: \"nosuchmetric > 1\", at: 1h}\n", 13, 0,
             "invalid expectation");
    load_bad(BASE "expect:\n  - {that: \"devices > 1\", at: 2d}\n", 13, 31,
             "after the end of the run");
}

static void
test_scn_binary_garbage(void **state)
{
    (void)state;
    static const char bin[] = {0x7f, 'E', 'L', 'F',        2,
                               1,    1,   0,   (char)0xff, (char)0xd8};
    load_bad_n(bin, sizeof(bin), 1, 1, "not a text file");
    load_bad("scenario: t\ndescription: caf\xe9\n", 2, 0, "invalid UTF-8");
    static const char nul[] = "scenario: \"a\\0b\"\n";
    load_bad(nul, 1, 11, "NUL character");
}

static void
test_scn_empty_and_not_mapping(void **state)
{
    (void)state;
    load_bad_n("", 0, 1, 1, "empty scenario");
    load_bad_n(NULL, 0, 1, 1, "empty scenario");
    load_bad("# only a comment\n", 1, 1, "empty scenario");
    load_bad("- a\n- b\n", 1, 1, "expected a mapping");
    load_bad("just text\n", 1, 1, "expected a mapping");
    load_bad(BASE "---\nscenario: u\n", 12, 1, "one YAML document");
}

static void
test_scn_deep_nesting(void **state)
{
    (void)state;
    size_t depth = 100000;
    char *text = fs_xmalloc(depth + 16);
    memcpy(text, "a: ", 3);
    memset(text + 3, '[', depth);
    memcpy(text + 3 + depth, "\n", 2);
    load_bad(text, 1, 3 + FS_SCN_DEPTH_MAX, "nesting too deep");
    memset(text, '{', depth);
    load_bad_n(text, depth, 1, FS_SCN_DEPTH_MAX + 1, "nesting too deep");
    fs_free(text);
}

static void
test_scn_huge_numbers(void **state)
{
    (void)state;
    load_bad(BASE "seed: 18446744073709551616\n", 12, 7, "out of range");
    load_bad(BASE "  - {product: P, count: 10000001, os: os-1}\n", 12, 25,
             "out of range");
    load_bad(BASE "  - {product: P, count: -3, os: os-1}\n", 12, 25,
             "negative");
    load_bad(BASE "  - {product: P, count: 9999995, os: os-1}\n", 12, 25,
             "exceed 10000000 devices");
    load_bad("scenario: t\nduration: 11000d\nproducts: []\nimages: []\n"
             "fleet: []\n",
             2, 11, "at most 10 years");
    load_bad("scenario: t\nduration: 9999999999999999999999h\nproducts: []\n"
             "images: []\nfleet: []\n",
             2, 11, "number too large");
}

static void
test_scn_duplicates(void **state)
{
    (void)state;
    load_bad(BASE "  - {product: P, count: 1, count: 2, os: os-1}\n", 12, 28,
             "duplicate key 'count'");
    load_bad(BASE "products: []\n", 12, 1, "duplicate key 'products'");
    load_bad("scenario: t\nduration: 1d\nproducts: [{name: P}, {name: P}]\n"
             "images: []\nfleet: []\n",
             3, 30, "duplicate product name 'P'");
    load_bad(BASE "timeline:\n  - {at: 1h, deploy: {id: d, image: os-1}}\n"
                  "  - {at: 1h, deploy: {id: d, image: os-1}}\n",
             14, 27, "duplicate deploy id 'd'");
}

static void
test_scn_wrong_types(void **state)
{
    (void)state;
    load_bad(BASE "seed: [1]\n", 12, 7, "expected a whole number, got a list");
    load_bad(BASE "service: 5\n", 12, 10, "expected service (a mapping");
    load_bad(BASE "defenses: {anti_rollback: maybe}\n", 12, 27,
             "expected true or false");
    load_bad(BASE "timeline: {at: 1h}\n", 12, 11, "expected a list");
    load_bad(BASE "timeline: [{at: 1h, revoke_key: {a: b}}]\n", 12, 33,
             "expected a name, got a mapping");
}

static void
test_scn_missing_required(void **state)
{
    (void)state;
    load_bad("scenario: t\nduration: 1d\nproducts: [{name: P}]\n"
             "images: [{id: os-1, version: '1'}]\nfleet: []\n",
             4, 10, "missing required key 'size' in an image");
    load_bad(BASE "timeline: [{deploy: {id: d, image: os-1}}]\n", 12, 12,
             "missing required key 'at'");
    load_bad(BASE "timeline: [{at: 1h}]\n", 12, 12, "missing action");
    load_bad(BASE "timeline: [{at: 1h, cancel: d, resume: d}]\n", 12, 40,
             "holds one action");
    load_bad("scenario: t\nduration: 1d\nproducts: [{name: P}]\nimages:\n"
             "  - {id: a, kind: app, version: '1', size: 1KiB}\nfleet: []\n",
             5, 5, "missing required key 'name' in an app image");
}

static void
test_scn_share_over_100(void **state)
{
    (void)state;
    load_bad(BASE "timeline: [{at: 1h, fault: {kind: power_loss, "
                  "targets: 100.01%}}]\n",
             12, 56, "cannot exceed 100%");
    load_bad(BASE "  - {product: P, count: 1, os: os-1, "
                  "network: {availability: 101%}}\n",
             12, 62, "cannot exceed 100%");
    load_bad(BASE "timeline: [{at: 1h, fault: {kind: power_loss, "
                  "targets: 11}}]\n",
             12, 56, "more than the fleet's 10");
}

static void
test_scn_anchors_and_aliases(void **state)
{
    (void)state;
    /* 1.1: an anchored value loads as written; an alias needs an anchor
       before it. */
    struct fs_scn *scn = load_ok(BASE "description: &d hello\n");
    assert_string_equal(scn->description, "hello");
    fs_scn_destroy(scn);
    load_bad(BASE "x: *d\n", 12, 4, "names no anchor defined before it");
}

static void
test_scn_attack_fault_keys(void **state)
{
    (void)state;
    load_bad(BASE "timeline: [{at: 1h, attack: {kind: rollback, "
                  "targets: 1%}}]\n",
             12, 29, "missing required key 'image'");
    load_bad(BASE "timeline: [{at: 1h, attack: {kind: checkin_flood, "
                  "rate: 10/s, for: 1m, targets: 1%}}]\n",
             12, 81, "'targets' does not apply to checkin_flood");
    load_bad(BASE "timeline: [{at: 1h, fault: {kind: service_outage}}]\n", 12,
             28, "missing required key 'for'");
    load_bad(BASE "timeline: [{at: 1h, attack: {kind: rolback}}]\n", 12, 36,
             "did you mean 'rollback'?");
}

/* Path of a file under tests/ (FLEETSIM_TEST_DIR, default "tests"). */
static void
test_path(char *buf, size_t len, const char *rel)
{
    const char *dir = getenv("FLEETSIM_TEST_DIR");
    snprintf(buf, len, "%s/%s", dir ? dir : "tests", rel);
}

static void
test_scn_defaults_applied(void **state)
{
    (void)state;
    struct fs_scn *scn =
        load_ok(BASE "timeline: [{at: 1h, deploy: {id: d, image: os-1}}]\n"
                     "expect: [\"devices > 1\"]\n");
    assert_int_equal(scn->seed, 1);
    assert_string_equal(scn->description, "");
    assert_int_equal(scn->service.checkin_interval_us, 20 * US_H);
    assert_int_equal(scn->service.cert_lifetime_us, 24 * US_H);
    assert_int_equal(scn->service.nonce_lifetime_us, 5 * 60 * US_S);
    assert_int_equal(scn->service.manifest_lifetime_us, 7 * 24 * US_H);
    assert_false(scn->service.has_min_os);
    assert_int_equal(scn->service.egress_bps, 10000000000u);
    assert_int_equal(scn->service.max_downloads, 10000);
    assert_int_equal(scn->service.probation_us, 10 * 60 * US_S);
    assert_int_equal(scn->service.download_timeout_us, US_H);
    assert_int_equal(scn->service.checkin_rate_limit_per_s, 0);
    assert_int_equal(scn->service.given, 0);
    for (int d = 0; d < FS_DEF_COUNT; d++)
        assert_true(fs_scn_defense_on(scn, (enum fs_defense)d));
    const struct fs_scn_product *p = fs_scn_product_find(scn, "P");
    assert_int_equal(p->ram_bytes, 4u << 20);
    assert_int_equal(p->flash_bytes, 16u << 20);
    assert_int_equal(p->reserved_bytes, 1u << 20);
    assert_int_equal(p->os_feed, FS_FEED_RETAIL);
    const struct fs_scn_cohort *c = &scn->cohorts[0];
    assert_string_equal(c->group->name, "default");
    assert_true(c->group->implicit);
    assert_int_equal(c->group->policy, FS_POLICY_UPDATE_ALL);
    assert_int_equal(c->bandwidth_bps, 10000000);
    assert_int_equal(c->latency_us, 50000);
    assert_int_equal(c->availability_ppm, 1000000);
    const struct fs_scn_image *img = fs_scn_image_find(scn, "os-1");
    assert_int_equal(img->kind, FS_IMAGE_OS);
    assert_int_equal(img->security_version, 1);
    assert_true(img->crash_per_us == 0.0);
    const struct fs_scn_deploy *dep = &scn->actions[0].u.deploy;
    assert_int_equal(dep->nto, 0);
    assert_int_equal(dep->feed, FS_FEED_NONE);
    assert_int_equal(dep->nwaves, 1);
    assert_int_equal(dep->waves[0].ppm, 1000000);
    assert_int_equal(dep->wave_interval_us, 0);
    assert_int_equal(dep->advance_when_ppm, 0);
    assert_false(dep->has_halt_error_rate);
    assert_int_equal(scn->expects[0].at_us, -1);
    fs_scn_destroy(scn);
}

static void
check_full_head(const struct fs_scn *scn)
{
    assert_string_equal(scn->name, "full-1");
    assert_string_equal(scn->description, "every key once");
    assert_int_equal(scn->seed, 42);
    assert_int_equal(scn->duration_us, 14 * 24 * US_H);
    const struct fs_service_config *s = &scn->service;
    assert_int_equal(s->checkin_interval_us, 10 * US_H);
    assert_int_equal(s->cert_lifetime_us, 12 * US_H);
    assert_int_equal(s->nonce_lifetime_us, 120 * US_S);
    assert_int_equal(s->manifest_lifetime_us, 72 * US_H);
    assert_true(s->has_min_os);
    assert_string_equal(s->min_os, "23.04");
    assert_int_equal(s->egress_bps, 2000000000u);
    assert_int_equal(s->max_downloads, 500);
    assert_int_equal(s->probation_us, 15 * 60 * US_S);
    assert_int_equal(s->download_timeout_us, 30 * 60 * US_S);
    assert_int_equal(s->checkin_rate_limit_per_s, 2000);
    assert_int_equal(s->given, (1u << FS_SVC_KEY_COUNT) - 1);
    assert_false(fs_scn_defense_on(scn, FS_DEF_VERIFY_SIGNATURES));
    assert_false(fs_scn_defense_on(scn, FS_DEF_ANTI_ROLLBACK));
    assert_true(fs_scn_defense_on(scn, FS_DEF_CHECKIN_RATE_LIMIT));
    assert_int_equal(fs_scn_product_find(scn, "DW100")->os_feed,
                     FS_FEED_RETAIL_EVAL);
    const struct fs_scn_group *g = fs_scn_group_find(scn, "field-a");
    assert_int_equal(g->policy, FS_POLICY_NO_APP_UPDATES);
    assert_int_equal(g->os_feed, FS_FEED_RETAIL);
    assert_int_equal(fs_scn_group_find(scn, "lab")->policy,
                     FS_POLICY_NO_UPDATES);
}

static void
check_full_images(const struct fs_scn *scn)
{
    const struct fs_scn_image *app = fs_scn_image_find(scn, "app-1.5.0");
    assert_int_equal(app->kind, FS_IMAGE_APP);
    assert_string_equal(app->name, "dw100-app");
    assert_string_equal(app->product->name, "DW100");
    assert_string_equal(app->signer, "vendor2");
    assert_int_equal(app->size_bytes, 300 * 1024);
    assert_int_equal(app->caps.core, FS_CORE_HL);
    assert_int_equal(app->caps.ngpio, 2);
    assert_int_equal(app->caps.gpio[1], 9);
    assert_string_equal(app->caps.uart.items[0], "isu0");
    assert_int_equal(app->caps.i2c.count, 0);
    assert_string_equal(app->caps.adc.items[0], "0");
    assert_string_equal(app->caps.allowed_hosts.items[0],
                        "telemetry.contoso.example");
    assert_true(app->telemetry_per_us > 0.0);
    assert_true(app->crash_per_us > 0.0);
    assert_int_equal(fs_scn_image_find(scn, "rt-1.0")->caps.core, FS_CORE_RT0);
    assert_int_equal(scn->nsigners, 2);
    assert_string_equal(scn->signers[1], "vendor2");
    assert_int_equal(fs_scn_image_find(scn, "os-23.9")->size_bytes,
                     3584 * 1024);
}

static void
check_full_fleet(const struct fs_scn *scn)
{
    const struct fs_scn_cohort *c = &scn->cohorts[0];
    assert_string_equal(c->app->id, "app-1.5.0");
    assert_int_equal(c->nrt_apps, 1);
    assert_int_equal(c->bandwidth_bps, 2000000);
    assert_int_equal(c->latency_us, 60000);
    assert_int_equal(c->availability_ppm, 950000);
    assert_int_equal(c->nwear, 2);
    assert_string_equal(c->wear[0].part, "heater");
    assert_int_equal(c->wear[0].share.ppm, 5000);
    assert_int_equal(c->wear[1].share.count, 3);
    assert_int_equal(scn->nexpects, 2);
    assert_int_equal(scn->expects[1].at_us, 5 * 24 * US_H);
    assert_int_equal(scn->expects[1].pos.line, 127);
}

static void
test_scn_every_key_parsed(void **state)
{
    (void)state;
    char path[512];
    test_path(path, sizeof(path), "data/scn-full.yaml");
    struct fs_scn *scn = NULL;
    struct fs_diag d;
    int err = fs_scn_load(path, &scn, &d);
    if (err != 0)
        fail_msg("%s:%d:%d: %s", d.file, d.line, d.column, d.msg);
    check_full_head(scn);
    check_full_images(scn);
    check_full_fleet(scn);
    fs_scn_destroy(scn);
}

static const struct fs_scn_action *
action_at(const struct fs_scn *scn, uint32_t file_index)
{
    for (uint32_t i = 0; i < scn->nactions; i++)
        if (scn->actions[i].file_index == file_index)
            return &scn->actions[i];
    fail_msg("no action %u", file_index);
    return NULL;
}

static void
test_scn_timeline_parsed_and_sorted(void **state)
{
    (void)state;
    char path[512];
    test_path(path, sizeof(path), "data/scn-full.yaml");
    struct fs_scn *scn = NULL;
    struct fs_diag d;
    assert_int_equal(fs_scn_load(path, &scn, &d), 0);
    assert_int_equal(scn->nactions, 13);
    /* Sorted by time, file order among equals: deploys at 1h come first. */
    assert_int_equal(scn->actions[0].file_index, 1);
    assert_int_equal(scn->actions[1].file_index, 2);
    assert_int_equal(scn->actions[2].file_index, 0);
    const struct fs_scn_deploy *dep = &action_at(scn, 1)->u.deploy;
    assert_int_equal(dep->nto, 2);
    assert_int_equal(dep->feed, FS_FEED_RETAIL_EVAL);
    assert_int_equal(dep->nwaves, 3);
    assert_int_equal(dep->waves[1].ppm, 100000);
    assert_int_equal(dep->wave_interval_us, 6 * US_H);
    assert_int_equal(dep->advance_when_ppm, 950000);
    assert_int_equal(dep->halt_failure_rate_ppm, 50000);
    assert_ptr_equal(action_at(scn, 0)->u.target, action_at(scn, 1));
    assert_ptr_equal(fs_scn_deploy_find(scn, "app-rollout"), action_at(scn, 2));
    assert_string_equal(action_at(scn, 4)->u.key, "vendor2");
    const struct fs_service_config *ss = &action_at(scn, 5)->u.service;
    assert_int_equal(ss->given,
                     (1u << FS_SVC_MIN_OS) | (1u << FS_SVC_PROBATION));
    const struct fs_scn_attack *flood = &action_at(scn, 7)->u.attack;
    assert_int_equal(flood->kind, FS_ATK_CHECKIN_FLOOD);
    assert_true(flood->rate_per_us > 0.0499 && flood->rate_per_us < 0.0501);
    const struct fs_scn_attack *leak = &action_at(scn, 8)->u.attack;
    assert_string_equal(leak->targets.group->name, "field-a");
    assert_int_equal(leak->targets.share.count, 20);
    assert_int_equal(action_at(scn, 9)->u.fault.during, FS_PHASE_INSTALL);
    assert_int_equal(action_at(scn, 12)->u.fault.slot, FS_SLOT_INACTIVE);
    assert_int_equal(action_at(scn, 12)->pos.line, 123);
    fs_scn_destroy(scn);
}

/*
 * revoke_device (1.1) takes targets in all three forms; targets is
 * required and nothing else is allowed; the devices it names are drawn
 * from the stream given, in id order, within the group it names.
 */
static void
test_scn_revoke_device(void **state)
{
    (void)state;
    struct fs_scn *scn = load_ok(
        BASE "groups: [{name: lab}]\n"
             "timeline:\n"
             "  - {at: 1h, revoke_device: {targets: 30%}}\n"
             "  - {at: 2h, revoke_device: {targets: 2}}\n"
             "  - {at: 3h, revoke_device: {targets: {group: default}}}\n");
    assert_int_equal(scn->nactions, 3);
    const struct fs_scn_action *a = &scn->actions[0];
    assert_int_equal(a->kind, FS_ACT_REVOKE_DEVICE);
    assert_true(a->u.revoke.given && a->u.revoke.share.ppm == 300000);
    assert_int_equal(scn->actions[1].u.revoke.share.count, 2);
    assert_string_equal(scn->actions[2].u.revoke.group->name, "default");
    struct fs_rng rng;
    fs_rng_seed(&rng, 1, 0, FS_RNG_SCENARIO);
    uint32_t *ids;
    assert_int_equal(fs_scn_targets_pick(scn, &a->u.revoke, &rng, &ids), 3);
    assert_true(ids[0] < ids[1] && ids[1] < ids[2] && ids[2] < 10);
    fs_free(ids);
    assert_int_equal(
        fs_scn_targets_pick(scn, &scn->actions[2].u.revoke, &rng, &ids), 10);
    fs_free(ids);
    fs_scn_destroy(scn);
    load_bad(BASE "timeline: [{at: 1h, revoke_device: {}}]\n", 12, 36,
             "missing required key 'targets'");
    load_bad(BASE "timeline: [{at: 1h, revoke_device: {targets: 1, x: 1}}]\n",
             12, 49, "unknown key 'x'");
    load_bad(BASE "timeline: [{at: 1h, revoke_device: {targets: 11}}]\n", 12,
             46, "more than the fleet");
}

static void
test_scn_security_version_defaults(void **state)
{
    (void)state;
    struct fs_scn *scn = load_ok(
        "scenario: t\nduration: 1d\nproducts: [{name: P}]\nimages:\n"
        "  - {id: b, version: '23.10', size: 1MiB}\n"
        "  - {id: a, version: '23.9', size: 1MiB}\n"
        "  - {id: c, version: '23.04', size: 1MiB, security_version: 9}\n"
        "  - {id: d, version: '23.9.0', size: 1MiB}\n"
        "  - {id: x, kind: app, name: x, product: P, version: 2.0, "
        "size: 1KiB}\n"
        "  - {id: y, kind: app, name: y, product: P, version: 1.9, "
        "size: 1KiB}\n"
        "fleet: [{product: P, count: 1, os: a}]\n");
    assert_int_equal(fs_scn_image_find(scn, "c")->security_version, 9);
    assert_int_equal(fs_scn_image_find(scn, "a")->security_version, 2);
    assert_int_equal(fs_scn_image_find(scn, "d")->security_version, 2);
    assert_int_equal(fs_scn_image_find(scn, "b")->security_version, 3);
    assert_int_equal(fs_scn_image_find(scn, "y")->security_version, 1);
    assert_int_equal(fs_scn_image_find(scn, "x")->security_version, 2);
    assert_false(fs_scn_image_find(scn, "a")->security_version_given);
    fs_scn_destroy(scn);
}

static int
vcmp(const char *a, const char *b)
{
    struct fs_version va;
    struct fs_version vb;
    assert_int_equal(fs_version_parse(a, &va), 0);
    assert_int_equal(fs_version_parse(b, &vb), 0);
    return fs_version_cmp(&va, &vb);
}

static void
test_scn_version_compare(void **state)
{
    (void)state;
    struct fs_version v;
    assert_true(vcmp("23.10", "23.9") > 0);
    assert_true(vcmp("23.04", "23.4") == 0);
    assert_true(vcmp("1.5", "1.5.0") == 0);
    assert_true(vcmp("1.5.1", "1.5") > 0);
    assert_true(vcmp("2", "10") < 0);
    assert_int_equal(fs_version_parse("1..2", &v), FS_EINVAL);
    assert_int_equal(fs_version_parse("1.2-beta", &v), FS_EINVAL);
    assert_int_equal(fs_version_parse("", &v), FS_EINVAL);
    assert_int_equal(fs_version_parse("1.", &v), FS_EINVAL);
    assert_int_equal(fs_version_parse("4294967296", &v), FS_EINVAL);
    assert_int_equal(fs_version_parse("1.2.3.4.5.6.7.8.9", &v), FS_EINVAL);
}

static void
test_scn_cohort_numbering(void **state)
{
    (void)state;
    struct fs_scn *scn = load_ok(BASE "  - {product: P, count: 5, os: os-1, "
                                      "group: g}\n"
                                      "  - {product: P, count: 1, os: os-1}\n");
    assert_int_equal(scn->ncohorts, 3);
    assert_int_equal(scn->cohorts[0].first_device, 0);
    assert_int_equal(scn->cohorts[1].first_device, 10);
    assert_int_equal(scn->cohorts[2].first_device, 15);
    assert_int_equal(fs_scn_device_count(scn), 16);
    assert_ptr_equal(fs_scn_cohort_of(scn, 9), &scn->cohorts[0]);
    assert_ptr_equal(fs_scn_cohort_of(scn, 10), &scn->cohorts[1]);
    assert_ptr_equal(fs_scn_cohort_of(scn, 15), &scn->cohorts[2]);
    assert_null(fs_scn_cohort_of(scn, 16));
    assert_ptr_equal(scn->cohorts[0].group, scn->cohorts[2].group);
    assert_string_equal(scn->cohorts[1].group->name, "g");
    assert_int_equal(scn->ngroups, 2);
    fs_scn_destroy(scn);
}

static void
test_scn_load_missing_file(void **state)
{
    (void)state;
    struct fs_scn *scn = NULL;
    struct fs_diag d;
    assert_int_equal(fs_scn_load("/nonexistent/x.yaml", &scn, &d), FS_EIO);
    assert_null(scn);
    assert_string_equal(d.file, "/nonexistent/x.yaml");
    fs_scn_destroy(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_teardown(name, teardown)
        T(test_scn_missing_unit),
        T(test_scn_unknown_unit),
        T(test_scn_unknown_key_hint),
        T(test_scn_broken_yaml),
        T(test_scn_dangling_references),
        T(test_scn_cancel_before_deploy),
        T(test_scn_app_rules),
        T(test_scn_app_product_mismatch),
        T(test_scn_malformed_expectation),
        T(test_scn_binary_garbage),
        T(test_scn_empty_and_not_mapping),
        T(test_scn_deep_nesting),
        T(test_scn_huge_numbers),
        T(test_scn_duplicates),
        T(test_scn_wrong_types),
        T(test_scn_missing_required),
        T(test_scn_share_over_100),
        T(test_scn_anchors_and_aliases),
        T(test_scn_attack_fault_keys),
        T(test_scn_defaults_applied),
        T(test_scn_every_key_parsed),
        T(test_scn_timeline_parsed_and_sorted),
        T(test_scn_revoke_device),
        T(test_scn_security_version_defaults),
        T(test_scn_version_compare),
        T(test_scn_cohort_numbering),
        T(test_scn_load_missing_file),
#undef T
    };
    return cmocka_run_group_tests_name("scn", tests, NULL, NULL);
}
