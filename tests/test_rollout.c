/*
 * tests/test_rollout.c - unit tests of deployments, offers and downloads.
 *
 * Owns: a 1000-device scenario fixture (four cohorts: two update-all
 * groups of two products, a no-app-updates group and a no-updates group),
 * fake device keys, hand-built evidence with update outcomes, and a send
 * callback that remembers the last message of each kind and which devices
 * got an offer of which deployment.
 * Invariants: every test ends with fs_svc_check() true, no message live
 * and no live blocks (teardown).
 * Does not: use the device model or the runner; deployments are added from
 * the scenario (fs_run_svc_deploys) and started by calling fs_rollout_*
 * directly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>

#include "fleetsim/err.h"
#include "fleetsim/image.h"
#include "fleetsim/mem.h"
#include "fleetsim/metrics.h"
#include "fleetsim/msg.h"
#include "fleetsim/scn.h"
#include "fleetsim/attest.h"
#include "fleetsim/cert.h"
#include "fleetsim/cloud.h"
#include "fleetsim/download.h"
#include "fleetsim/errrep.h"
#include "fleetsim/registry.h"
#include "fleetsim/rollout.h"
#include "fleetsim/run.h"
#include "fleetsim/service.h"
#include "fleetsim/store.h"
#include "fleetsim/testing.h"
#include "fleetsim/upload.h"
#include "fleetsim/sim.h"

#define NDEV 1000
#define IMG_OS_OLD 0u
#define IMG_OS 1u
#define IMG_APP 2u
#define IMG_APP_NEW 3u
#define IMG_APP_ACME 4u
#define US_PER_S INT64_C(1000000)
#define US_PER_H (3600 * US_PER_S)
#define KIND_MAX 16

/* Cohorts: 0..599 field-a DW100 with app, 600..899 field-b (no apps),
   900..949 lab (no updates), 950..999 field-a DW200 without app. */
static const char scn_fmt[] =
    "scenario: rollout-test\n"
    "seed: 11\n"
    "duration: 30d\n"
    "service:\n"
    "  checkin_interval: 20h\n"
    "%s"
    "products:\n"
    "  - {name: DW100, os_feed: retail}\n"
    "  - {name: DW200, os_feed: retail}\n"
    "groups:\n"
    "  - {name: field-a}\n"
    "  - {name: field-b, policy: no-app-updates, os_feed: retail-eval}\n"
    "  - {name: lab, policy: no-updates}\n"
    "images:\n"
    "  - {id: os-23.04, kind: os, version: \"23.04\", size: 8KiB}\n"
    "  - {id: os-24.01, kind: os, version: \"24.01\", size: 600KiB}\n"
    "  - {id: app-1.0, kind: app, name: dw, product: DW100,"
    " version: 1.0.0, size: 4KiB}\n"
    "  - {id: app-1.1, kind: app, name: dw, product: DW100,"
    " version: 1.1.0, size: 4KiB}\n"
    "  - {id: app-acme, kind: app, name: dw, product: DW100,"
    " version: 1.2.0, size: 4KiB, signer: acme}\n"
    "fleet:\n"
    "  - {product: DW100, count: 600, group: field-a, os: os-23.04,"
    " app: app-1.0}\n"
    "  - {product: DW100, count: 300, group: field-b, os: os-23.04,"
    " app: app-1.0}\n"
    "  - {product: DW100, count: 50, group: lab, os: os-23.04, app: app-1.0}\n"
    "  - {product: DW200, count: 50, group: field-a, os: os-23.04}\n"
    "timeline:\n"
    "%s";

struct fx {
    struct fs_scn *scn;
    struct fs_sim *sim;
    struct fs_catalog *cat;
    struct fs_metrics *metrics;
    struct fs_msgpool pool;
    struct fs_svc *svc;
    struct fs_arena arena;    /* the service's configuration */
    struct fs_svc_config cfg; /* built from scn */
    unsigned char pk[NDEV][32];
    unsigned char sk[NDEV][64];
    struct fs_msg last[KIND_MAX]; /* last message of each kind */
    int64_t delay_us[KIND_MAX];   /* its delay */
    int count[KIND_MAX];          /* messages of each kind */
    uint8_t offered[NDEV];        /* bit per deployment offered */
    int offers;                   /* deployment records sent */
};

static void
fx_send(void *ctx, struct fs_msg *m, int64_t delay_us)
{
    struct fx *f = ctx;
    assert_true(m->kind < KIND_MAX);
    f->last[m->kind] = *m;
    f->delay_us[m->kind] = delay_us;
    f->count[m->kind]++;
    if (m->kind == FS_MSG_METADATA)
        for (unsigned i = 0; i < m->u.metadata.nrecords; i++) {
            uint32_t dep = m->u.metadata.records[i].deployment;
            if (dep >= FS_DEP_CATALOG)
                continue; /* a catalog record: what the device runs */
            assert_true(dep < 8);
            f->offered[m->device] |= (uint8_t)(1u << dep);
            f->offers++;
        }
    fs_msgpool_put(&f->pool, m);
}

/* Build the fixture with service settings and timeline text. */
static struct fx *
fx_open(const char *service, const char *timeline)
{
    struct fx *f = fs_xcalloc(1, sizeof(*f));
    char text[4096];
    int n = snprintf(text, sizeof(text), scn_fmt, service, timeline);
    struct fs_diag diag;
    memset(&diag, 0, sizeof(diag));
    int rc =
        fs_scn_load_string("rollout.yaml", text, (size_t)n, &f->scn, &diag);
    if (rc != 0)
        fprintf(stderr, "%s:%d:%d: %s\n", diag.file, diag.line, diag.column,
                diag.msg);
    assert_int_equal(rc, 0);
    assert_int_equal(fs_sim_create(f->scn->seed, 0, &f->sim), 0);
    assert_int_equal(
        fs_scn_catalog_create(f->scn, f->scn->seed, FS_CRYPTO_REAL, &f->cat),
        0);
    assert_int_equal(fs_metrics_create(&f->metrics), 0);
    fs_msgpool_init(&f->pool);
    struct fs_svc_env env = {f->sim, f->cat, f->metrics, &f->pool, fx_send, f};
    fs_arena_init(&f->arena);
    fs_run_svc_config(f->scn, &f->arena, &f->cfg);
    assert_int_equal(fs_svc_create(&env, &f->cfg, &f->svc), 0);
    assert_int_equal(fs_run_svc_deploys(f->scn, f->svc, NULL), 0);
    for (uint32_t d = 0; d < NDEV; d++) {
        unsigned char seed[32] = {(unsigned char)d, (unsigned char)(d >> 8),
                                  0x77};
        crypto_sign_seed_keypair(f->pk[d], f->sk[d], seed);
        const struct fs_scn_cohort *co = fs_scn_cohort_of(f->scn, d);
        assert_int_equal(fs_registry_add(f->svc, d, f->pk[d],
                                         co->product->index, co->group->index),
                         0);
    }
    return f;
}

static void
fx_close(struct fx *f)
{
    assert_true(fs_svc_check(f->svc));
    fs_svc_destroy(f->svc);
    fs_arena_fini(&f->arena);
    assert_int_equal(f->pool.live, 0);
    fs_msgpool_fini(&f->pool);
    fs_metrics_destroy(f->metrics);
    fs_catalog_destroy(f->cat);
    fs_sim_destroy(f->sim);
    fs_scn_destroy(f->scn);
    fs_free(f);
}

static int
fx_teardown(void **state)
{
    (void)state;
    assert_int_equal(fs_mem_live_blocks(), 0);
    return 0;
}

/* Run the engine (timers) until now + us. */
static void
fx_advance(struct fx *f, int64_t us)
{
    uint64_t ran;
    assert_int_equal(
        fs_sim_run(f->sim, fs_sim_now_us(f->sim) + us, 100000, &ran), 0);
}

static uint32_t
fx_deploy(struct fx *f, const char *id)
{
    uint32_t d = fs_rollout_find(f->svc, id);
    assert_int_not_equal(d, UINT32_MAX);
    return d;
}

static struct fs_rollout_info
fx_info(struct fx *f, const char *id)
{
    struct fs_rollout_info info;
    assert_int_equal(fs_rollout_info(f->svc, id, &info), 0);
    return info;
}

/* The app a device runs at manufacture, or FS_NO_IMAGE. */
static uint32_t
fx_app(uint32_t dev)
{
    return dev < 950 ? IMG_APP : FS_NO_IMAGE;
}

/*
 * Attest dev running os and app, carrying the update outcome upd (or
 * NULL) and an error report entry rep (or NULL). Returns the number of
 * deployment records (offers) the service's METADATA carried; it sends
 * METADATA at every passing check-in.
 */
static int
fx_checkin(struct fx *f, uint32_t dev, uint32_t os, uint32_t app,
           const struct fs_update_report *upd,
           const struct fs_report_entry *rep)
{
    int before = f->offers;
    int meta = f->count[FS_MSG_METADATA];
    struct fs_msg *m = fs_msgpool_get(&f->pool);
    m->kind = FS_MSG_HELLO;
    m->device = dev;
    fs_svc_receive(f->svc, m);
    assert_int_equal(f->last[FS_MSG_CHALLENGE].device, dev);
    m = fs_msgpool_get(&f->pool);
    m->kind = FS_MSG_EVIDENCE;
    m->device = dev;
    struct fs_evidence *ev = &m->u.evidence.ev;
    ev->device = dev;
    memcpy(ev->nonce, f->last[FS_MSG_CHALLENGE].u.nonce, FS_NONCE_BYTES);
    ev->os_image = os;
    ev->apps[0] = app;
    ev->apps[1] = ev->apps[2] = FS_NO_IMAGE;
    assert_true(
        fs_attest_expected(f->cat, os, ev->apps, ev->pcr_boot, ev->pcr_apps));
    unsigned char buf[FS_EVIDENCE_BYTES];
    size_t n = fs_evidence_encode(ev, buf);
    crypto_sign_detached(ev->sig, NULL, buf, n, f->sk[dev]);
    if (upd != NULL) {
        m->u.evidence.nupdates = 1;
        m->u.evidence.updates[0] = *upd;
    }
    if (rep != NULL) {
        m->u.evidence.nreports = 1;
        m->u.evidence.reports[0] = *rep;
    }
    int certs = f->count[FS_MSG_CERT];
    fs_svc_receive(f->svc, m);
    assert_int_equal(f->count[FS_MSG_CERT], certs + 1);
    assert_true(f->count[FS_MSG_METADATA] > meta);
    return f->offers - before;
}

/* Plain check-in of dev on its manufacture images. */
static int
fx_plain(struct fx *f, uint32_t dev)
{
    return fx_checkin(f, dev, IMG_OS_OLD, fx_app(dev), NULL, NULL);
}

/* Check every device in; returns how many got an offer of deployment. */
static uint32_t
fx_checkin_all(struct fx *f, uint32_t deployment)
{
    uint32_t n = 0;
    for (uint32_t d = 0; d < NDEV; d++) {
        fx_plain(f, d);
        n += (f->offered[d] >> deployment) & 1u;
    }
    return n;
}

/* dev reports result for (image, deployment) at at_us. */
static void
fx_report(struct fx *f, uint32_t dev, uint32_t image, uint32_t deployment,
          enum fs_update_result result, int64_t at_us)
{
    struct fs_update_report u = {image, deployment, (uint8_t)result, 0, at_us};
    uint32_t os =
        image == IMG_OS && result == FS_UPD_CONFIRMED ? IMG_OS : IMG_OS_OLD;
    uint32_t app =
        image != IMG_OS && result == FS_UPD_CONFIRMED ? image : fx_app(dev);
    fx_checkin(f, dev, os, app, &u, NULL);
}

static int64_t
fx_metric(struct fx *f, enum fs_metric fam, const char *key, const char *val)
{
    struct fs_label_sel sel = {fs_metric_label_index(fam, key, strlen(key)),
                               val};
    return fs_metrics_sum(f->metrics, fam, &sel, 1);
}

static const char *
fx_state(struct fx *f, const char *id)
{
    return fx_info(f, id).state;
}

#define OS_DEPLOY(extra)                                                       \
    "  - at: 0\n"                                                              \
    "    deploy: {id: os, image: os-24.01" extra "}\n"

static void
test_rollout_targets_and_exact_waves(void **state)
{
    (void)state;
    struct fx *f = fx_open(
        "", OS_DEPLOY(", waves: [1%, 10%, 100%]") "  - at: 0\n"
                                                  "    deploy: {id: app, "
                                                  "image: app-1.1}\n"
                                                  "  - at: 0\n"
                                                  "    deploy: {id: eval, "
                                                  "image: os-24.01,"
                                                  " feed: retail-eval, to: "
                                                  "[field-a, field-b]}\n");
    struct fs_rollout_info os = fx_info(f, "os");
    assert_string_equal(os.state, "pending");
    assert_int_equal(os.targets, 950); /* every group but lab */
    assert_int_equal(os.bound[0], 10); /* 9.5 rounds up */
    assert_int_equal(os.bound[1], 95);
    assert_int_equal(os.bound[2], 950);
    assert_int_equal(fx_info(f, "app").targets, 600);  /* DW100, field-a */
    assert_int_equal(fx_info(f, "eval").targets, 300); /* field-b's feed */
    fs_rollout_start(f->svc, fx_deploy(f, "os"));
    assert_string_equal(fx_state(f, "os"), "running");
    /* No gates (interval 0, advance_when 0%): every wave opens at once. */
    assert_int_equal(fx_info(f, "os").wave, 3);
    assert_int_equal(fx_checkin_all(f, 0), 950);
    fx_close(f);
}

static void
test_rollout_first_wave_is_exactly_its_share(void **state)
{
    (void)state;
    struct fx *f = fx_open("", OS_DEPLOY(", waves: [1%, 10%, 100%],"
                                         " wave_interval: 1h"));
    fs_rollout_start(f->svc, fx_deploy(f, "os"));
    assert_int_equal(fx_checkin_all(f, 0), 10);
    for (uint32_t d = 900; d < 950; d++)
        assert_int_equal(f->offered[d], 0); /* lab: no-updates */
    assert_int_equal(fx_metric(f, FS_M_ROLLOUT_WAVE, "id", "os"), 1);
    fx_advance(f, US_PER_H);
    assert_int_equal(fx_info(f, "os").wave, 2);
    assert_int_equal(fx_checkin_all(f, 0), 95);
    assert_int_equal(fx_metric(f, FS_M_UPDATES, "result", "offered"), 95);
    fx_close(f);
}

static void
test_rollout_gates_interval_and_advance_when(void **state)
{
    (void)state;
    struct fx *f = fx_open("", OS_DEPLOY(", waves: [1%, 10%, 100%],"
                                         " wave_interval: 1h,"
                                         " advance_when: 50%"));
    fs_rollout_start(f->svc, fx_deploy(f, "os"));
    fx_checkin_all(f, 0);
    uint32_t done = 0;
    for (uint32_t d = 0; d < NDEV && done < 10; d++)
        if (f->offered[d]) {
            fx_report(f, d, IMG_OS, 0, FS_UPD_CONFIRMED, 60 * US_PER_S);
            done++;
        }
    assert_int_equal(fx_info(f, "os").wave, 1); /* interval not over */
    fx_advance(f, US_PER_H - 1);
    assert_int_equal(fx_info(f, "os").wave, 1);
    fx_advance(f, 1);
    assert_int_equal(fx_info(f, "os").wave, 2); /* timer at the boundary */
    uint8_t wave1[NDEV];
    memcpy(wave1, f->offered, sizeof(wave1));
    fx_checkin_all(f, 0);
    fx_advance(f, 2 * US_PER_H); /* interval over, but nobody confirmed */
    assert_int_equal(fx_info(f, "os").wave, 2);
    uint32_t n2 = 0;
    for (uint32_t d = 0; d < NDEV && n2 < 43; d++) {
        if (!f->offered[d] || wave1[d])
            continue;
        assert_int_equal(fx_info(f, "os").wave, 2);
        fx_report(f, d, IMG_OS, 0, FS_UPD_CONFIRMED, fs_sim_now_us(f->sim));
        n2++;
    }
    /* 85 devices in wave 2: 43 of them is 50.6%; 42 would not do. */
    assert_int_equal(fx_info(f, "os").wave, 3);
    fx_close(f);
}

static void
test_rollout_halt_on_error_rate_resume_cancel(void **state)
{
    (void)state;
    struct fx *f = fx_open("", "  - at: 0\n"
                               "    deploy: {id: app, image: app-1.1,"
                               " waves: [10%, 100%], wave_interval: 1d,"
                               " halt_if: {error_rate: 10%}}\n"
                               "  - at: 1h\n    resume: app\n"
                               "  - at: 2h\n    cancel: app\n");
    fs_rollout_start(f->svc, fx_deploy(f, "app"));
    assert_int_equal(fx_checkin_all(f, 0), 60);
    struct fs_report_entry crash = {FS_REP_APP_CRASH, IMG_APP_NEW, 2, 5, 9};
    uint32_t sent = 0;
    for (uint32_t d = 0; d < NDEV && sent < 7; d++) {
        if (!f->offered[d])
            continue;
        assert_string_equal(fx_state(f, "app"), "running");
        fx_checkin(f, d, IMG_OS_OLD, IMG_APP_NEW, NULL, &crash);
        sent++;
    }
    /* 6 of 60 is exactly 10%, not above; the 7th halts it. */
    assert_int_equal(fx_info(f, "app").errors, 7);
    assert_string_equal(fx_state(f, "app"), "halted");
    int meta = f->count[FS_MSG_METADATA];
    memset(f->offered, 0, sizeof(f->offered));
    assert_int_equal(fx_checkin_all(f, 0), 0); /* halted: no offers */
    /* ... but metadata still, at every check-in */
    assert_int_equal(f->count[FS_MSG_METADATA], meta + NDEV);
    fs_rollout_resume(f->svc, fx_deploy(f, "app"));
    assert_string_equal(fx_state(f, "app"), "running");
    assert_int_equal(fx_checkin_all(f, 0), 60); /* re-offered */
    fs_rollout_cancel(f->svc, fx_deploy(f, "app"));
    assert_string_equal(fx_state(f, "app"), "cancelled");
    memset(f->offered, 0, sizeof(f->offered));
    assert_int_equal(fx_checkin_all(f, 0), 0);
    fs_rollout_resume(f->svc, fx_deploy(f, "app")); /* not halted */
    assert_string_equal(fx_state(f, "app"), "cancelled");
    fx_close(f);
}

static void
test_rollout_halt_on_failure_rate(void **state)
{
    (void)state;
    struct fx *f = fx_open("", "  - at: 0\n"
                               "    deploy: {id: app, image: app-1.1,"
                               " waves: [10%, 100%], wave_interval: 1d,"
                               " halt_if: {failure_rate: 5%}}\n");
    fs_rollout_start(f->svc, fx_deploy(f, "app"));
    fx_checkin_all(f, 0);
    uint32_t n = 0;
    for (uint32_t d = 0; d < NDEV && n < 4; d++) {
        if (!f->offered[d])
            continue;
        enum fs_update_result r = n % 2 ? FS_UPD_ROLLED_BACK : FS_UPD_FAILED;
        fx_report(f, d, IMG_APP_NEW, 0, r, 10);
        fx_report(f, d, IMG_APP_NEW, 0, r, 11); /* counted once */
        n++;
        assert_string_equal(fx_state(f, "app"), n < 4 ? "running" : "halted");
    }
    assert_int_equal(fx_info(f, "app").failures, 4);
    fx_close(f);
}

static void
test_rollout_completes_and_rollout_time(void **state)
{
    (void)state;
    struct fx *f = fx_open("", "  - at: 0\n"
                               "    deploy: {id: app, image: app-1.1}\n");
    fx_advance(f, US_PER_H);
    fs_rollout_start(f->svc, fx_deploy(f, "app"));
    int64_t t;
    assert_int_equal(fs_metrics_rollout_time(f->metrics, "app", 500000, &t), 0);
    assert_true(t == INT64_MAX);
    assert_int_equal(fs_metrics_rollout_time(f->metrics, "nope", 1, &t),
                     FS_ENOENT);
    for (uint32_t d = 0; d < 600; d++) {
        /* device d confirms d minutes after the start (in reverse) */
        int64_t at = US_PER_H + (int64_t)(599 - d) * 60 * US_PER_S;
        fx_report(f, d, IMG_APP_NEW, 0, FS_UPD_CONFIRMED, at);
        assert_string_equal(fx_state(f, "app"),
                            d < 599 ? "running" : "completed");
    }
    assert_int_equal(fs_rollout_time(f->svc, "app", 500000, &t), 0);
    assert_true(t == 299 * 60 * US_PER_S); /* the 300th confirmation */
    assert_int_equal(fs_rollout_time(f->svc, "app", 1000000, &t), 0);
    assert_true(t == 599 * 60 * US_PER_S);
    assert_string_equal(
        fs_metrics_string(f->metrics, FS_M_ROLLOUT_STATE, NULL, 0),
        "completed");
    fx_close(f);
}

static void
test_rollout_device_already_on_image_counts(void **state)
{
    (void)state;
    struct fx *f = fx_open("", "  - at: 0\n"
                               "    deploy: {id: app, image: app-1.1}\n");
    fs_rollout_start(f->svc, fx_deploy(f, "app"));
    /* Never offered, already runs it: confirmed by its evidence. */
    assert_int_equal(fx_checkin(f, 3, IMG_OS_OLD, IMG_APP_NEW, NULL, NULL), 0);
    assert_int_equal(fx_info(f, "app").confirmed, 1);
    assert_int_equal(fx_info(f, "app").offered, 0);
    /* Offered, then seen on the image while in probation: not yet. */
    assert_int_equal(fx_plain(f, 4), 1);
    fx_checkin(f, 4, IMG_OS_OLD, IMG_APP_NEW, NULL, NULL);
    assert_int_equal(fx_info(f, "app").confirmed, 1);
    fx_close(f);
}

static void
test_rollout_offered_counted_once(void **state)
{
    (void)state;
    struct fx *f = fx_open("", "  - at: 0\n"
                               "    deploy: {id: app, image: app-1.1}\n");
    assert_int_equal(fx_plain(f, 0), 0); /* pending: nothing to say */
    fs_rollout_start(f->svc, fx_deploy(f, "app"));
    assert_int_equal(fx_plain(f, 0), 1);
    assert_int_equal(fx_plain(f, 0), 1);
    /* the offer first, then the records of the OS and app it runs */
    const struct fs_msg m0 = f->last[FS_MSG_METADATA];
    const struct fs_msg *m = &m0;
    assert_int_equal(fx_plain(f, 620), 0); /* field-b: no app updates */
    assert_int_equal(fx_plain(f, 960), 0); /* DW200: wrong product */
    assert_int_equal(fx_metric(f, FS_M_UPDATES, "image", "app-1.1"), 1);
    assert_int_equal(fx_info(f, "app").offered, 1);
    assert_int_equal(m->u.metadata.nrecords, 3);
    assert_int_equal(m->u.metadata.records[1].deployment,
                     FS_DEP_CATALOG + IMG_OS_OLD);
    assert_memory_equal(&m->u.metadata.images[0],
                        fs_catalog_manifest(f->cat, IMG_APP_NEW),
                        sizeof(struct fs_signed_manifest));
    assert_true(m->u.metadata.revoked_signers == 0);
    fx_close(f);
}

/* 1.1: a {group: G} wave is exactly the targets of G; share waves after it
   count over the targets in no group wave. */
static void
test_rollout_group_wave_is_exactly_its_group(void **state)
{
    (void)state;
    struct fx *f = fx_open("", OS_DEPLOY(", waves: [{group: field-b}, 50%, "
                                         "100%], wave_interval: 1d"));
    struct fs_rollout_info in = fx_info(f, "os");
    assert_int_equal(in.targets, 950); /* lab takes no updates */
    assert_int_equal(in.nwaves, 3);
    assert_int_equal(in.bound[0], 300);       /* field-b, all of it */
    assert_int_equal(in.bound[1], 300 + 325); /* + 50% of the other 650 */
    assert_int_equal(in.bound[2], 950);
    fs_rollout_start(f->svc, fx_deploy(f, "os"));
    fx_checkin_all(f, 0);
    for (uint32_t d = 0; d < NDEV; d++)
        assert_int_equal(f->offered[d] & 1u, d >= 600 && d < 900);
    fx_close(f);
}

/* A group wave after a share wave: its devices are in no share wave. */
static void
test_rollout_group_wave_after_shares(void **state)
{
    (void)state;
    struct fx *f = fx_open("", OS_DEPLOY(", waves: [10%, {group: field-b}, "
                                         "100%], wave_interval: 1d"));
    struct fs_rollout_info in = fx_info(f, "os");
    assert_int_equal(in.bound[0], 65); /* 10% of the 650 outside field-b */
    assert_int_equal(in.bound[1], 365);
    assert_int_equal(in.bound[2], 950);
    fs_rollout_start(f->svc, fx_deploy(f, "os"));
    fx_checkin_all(f, 0);
    uint32_t n = 0;
    for (uint32_t d = 0; d < NDEV; d++) {
        if (d >= 600 && d < 900)
            assert_int_equal(f->offered[d] & 1u, 0);
        n += f->offered[d] & 1u;
    }
    assert_int_equal(n, 65);
    fx_close(f);
}

/* after: the second starts when the first completes, stays pending while
   it runs, is halted or cancelled. */
static void
test_rollout_after_waits_for_completion(void **state)
{
    (void)state;
    struct fx *f = fx_open("", "  - at: 0\n"
                               "    deploy: {id: app, image: app-1.1,"
                               " halt_if: {failure_rate: 50%}}\n"
                               "  - at: 0\n"
                               "    deploy: {id: os, image: os-24.01,"
                               " after: app}\n");
    fs_rollout_start(f->svc, fx_deploy(f, "app"));
    fs_rollout_start(f->svc, fx_deploy(f, "os"));
    assert_string_equal(fx_state(f, "os"), "pending");
    /* the only target offered fails: app halts (100% > 50%), os waits */
    assert_int_equal(fx_plain(f, 0), 1);
    fx_report(f, 0, IMG_APP_NEW, 0, FS_UPD_FAILED, 5);
    assert_string_equal(fx_state(f, "app"), "halted");
    assert_string_equal(fx_state(f, "os"), "pending");
    assert_int_equal(fx_info(f, "os").start_us, -1);
    fs_rollout_resume(f->svc, fx_deploy(f, "app"));
    fx_checkin_all(f, 0);
    assert_string_equal(fx_state(f, "os"), "pending");
    for (uint32_t d = 0; d < NDEV; d++)
        if (f->offered[d] & 1u)
            fx_report(f, d, IMG_APP_NEW, 0, FS_UPD_CONFIRMED, 7);
    assert_string_equal(fx_state(f, "app"), "completed");
    assert_string_equal(fx_state(f, "os"), "running");
    assert_true(fx_info(f, "os").start_us >= 0);
    fx_close(f);
}

static void
test_rollout_after_cancelled_first_stays_pending(void **state)
{
    (void)state;
    struct fx *f = fx_open("", "  - at: 0\n"
                               "    deploy: {id: app, image: app-1.1}\n"
                               "  - at: 0\n"
                               "    deploy: {id: os, image: os-24.01,"
                               " after: app}\n");
    fs_rollout_start(f->svc, fx_deploy(f, "app"));
    fs_rollout_start(f->svc, fx_deploy(f, "os"));
    fs_rollout_cancel(f->svc, fx_deploy(f, "app"));
    fx_checkin_all(f, 1);
    assert_string_equal(fx_state(f, "os"), "pending");
    for (uint32_t d = 0; d < NDEV; d++)
        assert_int_equal(f->offered[d] & 2u, 0);
    fx_close(f);
}

/* halt_if.min_devices: no halt below it, however high the rate; the offer
   that reaches it judges the rates. */
static void
test_rollout_halt_min_devices(void **state)
{
    (void)state;
    struct fx *f = fx_open("", "  - at: 0\n"
                               "    deploy: {id: app, image: app-1.1,"
                               " halt_if: {failure_rate: 5%, min_devices: 10}}"
                               "\n");
    fs_rollout_start(f->svc, fx_deploy(f, "app"));
    for (uint32_t d = 0; d < 9; d++) {
        assert_int_equal(fx_plain(f, d), 1);
        fx_report(f, d, IMG_APP_NEW, 0, FS_UPD_FAILED, 5);
        assert_string_equal(fx_state(f, "app"), "running");
    }
    assert_int_equal(fx_info(f, "app").failures, 9);
    assert_int_equal(fx_plain(f, 9), 1); /* the 10th offer */
    assert_string_equal(fx_state(f, "app"), "halted");
    fx_close(f);
}

static void
test_rollout_halt_min_devices_above_targets_never_judges(void **state)
{
    (void)state;
    struct fx *f = fx_open("", "  - at: 0\n"
                               "    deploy: {id: app, image: app-1.1,"
                               " halt_if: {error_rate: 1%, min_devices: 5000}}"
                               "\n");
    fs_rollout_start(f->svc, fx_deploy(f, "app"));
    fx_checkin_all(f, 0);
    struct fs_report_entry rep = {FS_REP_APP_CRASH, IMG_APP_NEW, 1, 1, 1};
    for (uint32_t d = 0; d < NDEV; d++)
        if (f->offered[d] & 1u)
            fx_checkin(f, d, IMG_OS_OLD, fx_app(d), NULL, &rep);
    assert_true(fx_info(f, "app").errors > 100);
    assert_string_equal(fx_state(f, "app"), "running");
    fx_close(f);
}

/* retries (default 1): a failed target is offered a newly signed record
   once more, then no more; failures count devices. */
static void
test_rollout_retries(void **state)
{
    (void)state;
    for (int retries = 0; retries <= 2; retries++) {
        char tl[256];
        snprintf(tl, sizeof(tl),
                 "  - at: 0\n"
                 "    deploy: {id: app, image: app-1.1%s}\n",
                 retries == 1   ? ""
                 : retries == 0 ? ", retries: 0"
                                : ", retries: 2");
        struct fx *f = fx_open("", tl);
        fs_rollout_start(f->svc, fx_deploy(f, "app"));
        assert_int_equal(fx_plain(f, 0), 1);
        uint64_t v0 = f->last[FS_MSG_METADATA].u.metadata.records[0].version;
        for (int attempt = 0; attempt <= retries; attempt++) {
            fx_report(f, 0, IMG_APP_NEW, 0,
                      attempt % 2 ? FS_UPD_FAILED : FS_UPD_ROLLED_BACK,
                      10 + attempt);
            int offers = fx_plain(f, 0);
            assert_int_equal(offers, attempt < retries ? 1 : 0);
            if (offers == 1) {
                uint64_t v =
                    f->last[FS_MSG_METADATA].u.metadata.records[0].version;
                assert_true(v > v0); /* signed anew: the device tries it */
                v0 = v;
            }
        }
        assert_int_equal(fx_info(f, "app").failures, 1);
        /* another device of the same slot is unaffected */
        assert_int_equal(fx_plain(f, 1), 1);
        fx_close(f);
    }
}

static void
test_rollout_reoffers_after_rollback(void **state)
{
    (void)state;
    struct fx *f = fx_open("", "  - at: 0\n"
                               "    deploy: {id: app, image: app-1.1}\n");
    fs_rollout_start(f->svc, fx_deploy(f, "app"));
    assert_int_equal(fx_plain(f, 0), 1);
    fx_report(f, 0, IMG_APP_NEW, 0, FS_UPD_ROLLED_BACK, 5);
    assert_int_equal(f->last[FS_MSG_METADATA].device, 0); /* again */
    assert_int_equal(fx_plain(f, 0), 1);
    assert_int_equal(fx_info(f, "app").failures, 1);
    assert_int_equal(fx_info(f, "app").offered, 1);
    fx_report(f, 0, IMG_APP_NEW, 0, FS_UPD_CONFIRMED, 9);
    assert_int_equal(fx_plain(f, 0), 0); /* confirmed: nothing more */
    assert_int_equal(fx_info(f, "app").confirmed, 1);
    fx_close(f);
}

/* Check that r verifies under the update-service key. */
static void
fx_assert_record_signed(struct fx *f, const struct fs_update_record *r)
{
    unsigned char buf[FS_RECORD_BYTES];
    size_t n = fs_update_record_encode(r, buf);
    assert_int_equal(
        crypto_sign_verify_detached(
            r->sig, buf, n, fs_catalog_signer_pk(f->cat, FS_SIGNER_UPDATE)),
        0);
}

static void
test_rollout_records_signed_and_refreshed(void **state)
{
    (void)state;
    struct fx *f = fx_open("  manifest_lifetime: 2h\n",
                           OS_DEPLOY(", to: [field-a, field-b]"));
    fs_rollout_start(f->svc, fx_deploy(f, "os"));
    assert_int_equal(fx_plain(f, 0), 1);
    struct fs_update_record a = f->last[FS_MSG_METADATA].u.metadata.records[0];
    fx_assert_record_signed(f, &a);
    assert_true(a.expires_us == 2 * US_PER_H);
    assert_int_equal(a.group, fs_scn_group_find(f->scn, "field-a")->index);
    assert_int_equal(a.product, 0);
    assert_memory_equal(&a.target, &fs_catalog_manifest(f->cat, IMG_OS)->m,
                        sizeof(a.target));
    fx_advance(f, US_PER_H);
    fx_plain(f, 1); /* same group and product, half its lifetime left */
    assert_memory_equal(&f->last[FS_MSG_METADATA].u.metadata.records[0], &a,
                        sizeof(a));
    fx_plain(f, 960); /* DW200 in field-a: its own record */
    struct fs_update_record b = f->last[FS_MSG_METADATA].u.metadata.records[0];
    assert_int_equal(b.product, 1);
    assert_true(b.version > a.version);
    fx_advance(f, 1);
    fx_plain(f, 1); /* less than half left: re-signed, higher version */
    struct fs_update_record c = f->last[FS_MSG_METADATA].u.metadata.records[0];
    fx_assert_record_signed(f, &c);
    assert_true(c.version > b.version);
    assert_true(c.expires_us == 3 * US_PER_H + 1);
    struct fs_svc_stats st;
    fs_svc_stats(f->svc, &st);
    /* a, b, c, and the catalog record of the app the field-a devices run
       (signed at 0, re-signed at 1h+1); no catalog record for the OS
       they run while an OS offer goes out */
    assert_int_equal(st.records_signed, 3 + 2);
    fx_close(f);
}

static void
test_rollout_revoked_signer_announced(void **state)
{
    (void)state;
    struct fx *f = fx_open("", "  - at: 0\n"
                               "    deploy: {id: acme, image: app-acme}\n");
    fs_rollout_start(f->svc, fx_deploy(f, "acme"));
    assert_int_equal(fx_plain(f, 0), 1);
    assert_int_equal(fs_registry_revoke_signer(f->svc, "acme"), 0);
    uint32_t sg = fs_catalog_signer_find(f->cat, "acme");
    assert_int_equal(fx_plain(f, 1), 0); /* no offer: the revocation */
    const struct fs_msg *m = &f->last[FS_MSG_METADATA];
    for (unsigned i = 0; i < m->u.metadata.nrecords; i++)
        assert_true(m->u.metadata.records[i].deployment >= FS_DEP_CATALOG);
    assert_true(m->u.metadata.revoked_signers == (UINT64_C(1) << sg));
    assert_int_equal(fx_info(f, "acme").offered, 1);
    fx_close(f);
}

/*
 * With key_revocation off the service does not act on a revocation: it
 * still lists the revoked signer, and goes on offering its image.
 */
static void
test_rollout_revoked_signer_offered_without_key_revocation(void **state)
{
    (void)state;
    struct fx *f = fx_open("defenses: {key_revocation: false}\n",
                           "  - at: 0\n"
                           "    deploy: {id: acme, image: app-acme}\n");
    fs_rollout_start(f->svc, fx_deploy(f, "acme"));
    assert_int_equal(fs_registry_revoke_signer(f->svc, "acme"), 0);
    uint32_t sg = fs_catalog_signer_find(f->cat, "acme");
    assert_int_equal(fx_plain(f, 1), 1);
    const struct fs_msg *m = &f->last[FS_MSG_METADATA];
    /* the offer first, then the catalog records of what it runs */
    assert_true(m->u.metadata.nrecords >= 1);
    assert_int_equal(m->u.metadata.records[0].target.image, IMG_APP_ACME);
    assert_true(m->u.metadata.revoked_signers == (UINT64_C(1) << sg));
    fx_close(f);
}

/*
 * An upload in a signer's name gets a record until the signer is revoked;
 * after it, only with key_revocation off.
 */
static void
test_rollout_upload_revoked_signer(void **state)
{
    (void)state;
    const char *defs[2] = {"", "defenses: {key_revocation: false}\n"};
    for (unsigned i = 0; i < 2; i++) {
        struct fx *f = fx_open(defs[i], "");
        const struct fs_signed_manifest *sm =
            fs_catalog_manifest(f->cat, IMG_APP_ACME);
        struct fs_update_record rec;
        assert_int_equal(fs_upload_sign(f->svc, sm, 0, &rec), 0);
        fx_assert_record_signed(f, &rec);
        assert_int_equal(fs_registry_revoke_signer(f->svc, "acme"), 0);
        memset(&rec, 0, sizeof(rec));
        int err = fs_upload_sign(f->svc, sm, 0, &rec);
        assert_int_equal(err, i == 0 ? FS_ELIMIT : 0);
        if (i == 1) {
            fx_assert_record_signed(f, &rec);
            assert_memory_equal(&rec.target, &sm->m, sizeof(rec.target));
        }
        fx_close(f);
    }
}

/* dev asks for image bytes from offset over a link of link_bps. */
static void
fx_dl_req(struct fx *f, uint32_t dev, uint32_t image, uint64_t offset,
          uint64_t link_bps)
{
    struct fs_msg *m = fs_msgpool_get(&f->pool);
    m->kind = FS_MSG_DOWNLOAD_REQ;
    m->device = dev;
    m->u.download.image = image;
    m->u.download.deployment = 0;
    m->u.download.offset = offset;
    m->u.download.link_bps = link_bps;
    fs_svc_receive(f->svc, m);
}

static void
fx_dl_end(struct fx *f, uint32_t dev, bool completed)
{
    struct fs_msg *m = fs_msgpool_get(&f->pool);
    m->kind = FS_MSG_DOWNLOAD_END;
    m->device = dev;
    m->u.end.image = IMG_OS;
    m->u.end.completed = completed;
    fs_svc_receive(f->svc, m);
}

static void
test_rollout_download_queue_and_fair_share(void **state)
{
    (void)state;
    struct fx *f = fx_open("  egress: 8Mbps\n  max_downloads: 2\n", "");
    fx_dl_req(f, 0, IMG_OS, 0, 100000000);
    const struct fs_msg *c = &f->last[FS_MSG_CHUNK];
    assert_int_equal(c->device, 0);
    assert_int_equal(c->u.chunk.len, FS_DOWNLOAD_CHUNK_BYTES);
    /* 256 KiB at the whole 8 Mbps egress. */
    assert_true(f->delay_us[FS_MSG_CHUNK] == 262144);
    fx_dl_req(f, 1, IMG_OS, 0, 100000000);
    assert_true(f->delay_us[FS_MSG_CHUNK] == 2 * 262144); /* half each */
    fx_dl_req(f, 2, IMG_OS, 0, 1000000);                  /* no slot: queued */
    assert_int_equal(f->count[FS_MSG_QUEUED], 1);
    assert_int_equal(f->last[FS_MSG_QUEUED].device, 2);
    assert_int_equal(fs_download_queued(f->svc), 1);
    fx_dl_req(f, 2, IMG_OS, 0, 1000000); /* asks again: keeps its place */
    assert_int_equal(f->count[FS_MSG_QUEUED], 2);
    assert_int_equal(fs_download_queued(f->svc), 1);
    fx_dl_req(f, 0, IMG_OS, 2 * FS_DOWNLOAD_CHUNK_BYTES, 100000000);
    assert_int_equal(c->u.chunk.len, 600 * 1024 - 2 * FS_DOWNLOAD_CHUNK_BYTES);
    assert_int_equal(f->count[FS_MSG_CHUNK], 3);
    fx_dl_end(f, 0, true); /* frees a slot: the queue head starts */
    assert_int_equal(f->count[FS_MSG_CHUNK], 4);
    assert_int_equal(c->device, 2);
    assert_true(c->u.chunk.offset == 0);
    /* Its own 1 Mbps link is slower than its 4 Mbps share. */
    assert_true(f->delay_us[FS_MSG_CHUNK] == 2097152);
    assert_int_equal(fs_download_active(f->svc), 2);
    assert_int_equal(fs_download_queued(f->svc), 0);
    fx_dl_req(f, 3, IMG_OS, 600 * 1024, 1); /* past the end: ignored */
    assert_int_equal(f->count[FS_MSG_CHUNK], 4);
    fx_close(f);
}

static void
test_rollout_download_timeout_and_set_service(void **state)
{
    (void)state;
    struct fx *f = fx_open("  max_downloads: 1\n  download_timeout: 10m\n",
                           "  - at: 1d\n    set_service: {max_downloads: 3}\n");
    fx_dl_req(f, 0, IMG_OS, 0, 1000000);
    fx_dl_req(f, 1, IMG_OS, 0, 1000000);
    fx_dl_req(f, 2, IMG_OS, 0, 1000000);
    fx_dl_end(f, 2, false); /* withdraws its queued request */
    assert_int_equal(fs_download_queued(f->svc), 1);
    fx_advance(f, 9 * 60 * US_PER_S);
    fx_dl_req(f, 0, IMG_OS, FS_DOWNLOAD_CHUNK_BYTES, 1000000); /* progress */
    fx_advance(f, 9 * 60 * US_PER_S);
    assert_int_equal(fs_download_active(f->svc), 1);
    fx_advance(f, 60 * US_PER_S + 1); /* 10 min without a request */
    assert_int_equal(f->last[FS_MSG_CHUNK].device, 1); /* 1 took over */
    assert_int_equal(fs_download_active(f->svc), 1);
    struct fs_svc_stats st;
    fs_svc_stats(f->svc, &st);
    assert_int_equal(st.downloads_timed_out, 1);
    fx_dl_req(f, 5, IMG_OS, 0, 1000000);
    fx_dl_req(f, 6, IMG_OS, 0, 1000000);
    assert_int_equal(fs_download_queued(f->svc), 2);
    fs_svc_set_service(f->svc, &f->scn->actions[0].u.service);
    assert_int_equal(fs_download_active(f->svc), 3);
    assert_int_equal(fs_download_queued(f->svc), 0);
    fx_close(f);
}

static void
test_rollout_steady_state_allocates_nothing(void **state)
{
    (void)state;
    struct fx *f = fx_open("", OS_DEPLOY(", waves: [50%, 100%]"));
    fs_rollout_start(f->svc, fx_deploy(f, "os"));
    fx_checkin_all(f, 0);
    fx_dl_req(f, 0, IMG_OS, 0, 1000000);
    size_t live = fs_mem_live_blocks();
    for (uint32_t d = 0; d < 200; d++) {
        fx_plain(f, d);
        fx_dl_req(f, 0, IMG_OS, FS_DOWNLOAD_CHUNK_BYTES, 1000000);
    }
    assert_int_equal(fs_mem_live_blocks(), live);
    fx_dl_end(f, 0, true);
    fx_close(f);
}

static int64_t
fx_sql_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void
test_rollout_store_tables(void **state)
{
    (void)state;
    struct fx *f = fx_open("", OS_DEPLOY(", waves: [1%, 100%],"
                                         " wave_interval: 1d"));
    fx_advance(f, US_PER_H);
    fs_rollout_start(f->svc, fx_deploy(f, "os"));
    fx_checkin_all(f, 0);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(fs_store_write(f->svc, db), 0);
    assert_int_equal(fx_sql_int(db, "SELECT offered FROM deployments"
                                    " WHERE id = 'os' ORDER BY idx"),
                     10);
    assert_int_equal(fx_sql_int(db, "SELECT devices FROM waves"
                                    " WHERE wave = 2 ORDER BY deployment"),
                     940);
    assert_true(fx_sql_int(db, "SELECT opened_us FROM waves WHERE wave = 1"
                               " ORDER BY deployment") == US_PER_H);
    assert_int_equal(fx_sql_int(db, "SELECT count(*) FROM waves"
                                    " WHERE opened_us IS NULL"),
                     1);
    sqlite3_close(db);
    fx_close(f);
}

/* An end-to-end run with the device model: waves, a halt, a fix. */
static const char e2e_scn[] =
    "scenario: e2e\n"
    "seed: 3\n"
    "duration: 1d\n"
    "service: {checkin_interval: 3h, max_downloads: 10, egress: 20Mbps}\n"
    "products: [{name: DW100}]\n"
    "images:\n"
    "  - {id: os-1, kind: os, version: \"1\", size: 1MiB}\n"
    "  - {id: os-2, kind: os, version: \"2\", size: 1MiB}\n"
    "  - {id: a-1, kind: app, name: a, product: DW100, version: \"1\","
    " size: 64KiB}\n"
    "  - {id: a-2, kind: app, name: a, product: DW100, version: \"2\","
    " size: 64KiB, crash_rate: 20/h}\n"
    "fleet:\n"
    "  - {product: DW100, count: 200, os: os-1, app: a-1,"
    " network: {bandwidth: 2Mbps, availability: 95%}}\n"
    "timeline:\n"
    "  - at: 1h\n"
    "    deploy: {id: os, image: os-2, waves: [5%, 100%],"
    " wave_interval: 2h, advance_when: 50%}\n"
    "  - at: 1h\n"
    "    deploy: {id: bad, image: a-2, halt_if: {error_rate: 10%}}\n"
    "  - at: 2h\n"
    "    cancel: bad\n";

/* Run e2e_scn to the end, checking the service after every batch. */
static void
fx_e2e(char fingerprint[65])
{
    struct fs_scn *scn;
    struct fs_diag diag;
    memset(&diag, 0, sizeof(diag));
    assert_int_equal(fs_scn_load_string("e2e.yaml", e2e_scn,
                                        sizeof(e2e_scn) - 1, &scn, &diag),
                     0);
    struct fs_run_opts opts;
    memset(&opts, 0, sizeof(opts));
    struct fs_run *r;
    assert_int_equal(fs_run_create(scn, &opts, &r, &diag), 0);
    bool done = false;
    for (int i = 0; i < 10000 && !done; i++) {
        assert_int_equal(fs_run_step(r, 2000, &done), 0);
        assert_true(fs_svc_check(fs_run_svc(r)));
    }
    assert_true(done);
    struct fs_rollout_info os, bad;
    assert_int_equal(fs_rollout_info(fs_run_svc(r), "os", &os), 0);
    assert_int_equal(fs_rollout_info(fs_run_svc(r), "bad", &bad), 0);
    assert_string_equal(os.state, "completed");
    assert_int_equal(os.confirmed, 200);
    assert_string_equal(bad.state, "cancelled");
    assert_true(bad.offered < 200);
    assert_int_equal(fs_download_active(fs_run_svc(r)), 0);
    fs_run_fingerprint(r, fingerprint);
    fs_run_destroy(r);
    fs_scn_destroy(scn);
}

static void
test_rollout_end_to_end_deterministic(void **state)
{
    (void)state;
    char a[65], b[65];
    fx_e2e(a);
    fx_e2e(b);
    assert_string_equal(a, b);
}

#define FX_TEST(fn) cmocka_unit_test_teardown(fn, fx_teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        FX_TEST(test_rollout_targets_and_exact_waves),
        FX_TEST(test_rollout_first_wave_is_exactly_its_share),
        FX_TEST(test_rollout_gates_interval_and_advance_when),
        FX_TEST(test_rollout_halt_on_error_rate_resume_cancel),
        FX_TEST(test_rollout_halt_on_failure_rate),
        FX_TEST(test_rollout_completes_and_rollout_time),
        FX_TEST(test_rollout_device_already_on_image_counts),
        FX_TEST(test_rollout_offered_counted_once),
        FX_TEST(test_rollout_reoffers_after_rollback),
        FX_TEST(test_rollout_group_wave_is_exactly_its_group),
        FX_TEST(test_rollout_group_wave_after_shares),
        FX_TEST(test_rollout_after_waits_for_completion),
        FX_TEST(test_rollout_after_cancelled_first_stays_pending),
        FX_TEST(test_rollout_halt_min_devices),
        FX_TEST(test_rollout_halt_min_devices_above_targets_never_judges),
        FX_TEST(test_rollout_retries),
        FX_TEST(test_rollout_records_signed_and_refreshed),
        FX_TEST(test_rollout_revoked_signer_announced),
        FX_TEST(test_rollout_revoked_signer_offered_without_key_revocation),
        FX_TEST(test_rollout_upload_revoked_signer),
        FX_TEST(test_rollout_download_queue_and_fair_share),
        FX_TEST(test_rollout_download_timeout_and_set_service),
        FX_TEST(test_rollout_steady_state_allocates_nothing),
        FX_TEST(test_rollout_store_tables),
        FX_TEST(test_rollout_end_to_end_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
