/*
 * tests/test_service.c - unit tests of the security service.
 *
 * Owns: a small scenario fixture (4 devices, two OS images, one app), fake
 * device keys, and a send callback that keeps the last reply.
 * Invariants: every test ends with fs_svc_check() true and no live blocks.
 * Does not: use the device model; evidence is built here by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>

#include "fleetsim/err.h"
#include "fleetsim/image.h"
#include "fleetsim/mem.h"
#include "fleetsim/metrics.h"
#include "fleetsim/msg.h"
#include "fleetsim/rng.h"
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
#include "fleetsim/sim.h"

#define NDEV 4
#define IMG_OS_OLD 0u
#define IMG_OS 1u
#define IMG_APP 2u
#define US_PER_S INT64_C(1000000)

static const char scn_fmt[] =
    "scenario: svc-test\n"
    "seed: 7\n"
    "duration: 8d\n"
    "service:\n"
    "  min_os: \"23.04\"\n"
    "  nonce_lifetime: 5m\n"
    "  cert_lifetime: 24h\n"
    "  checkin_rate_limit: 3\n"
    "%s"
    "products:\n"
    "  - name: DW100\n"
    "images:\n"
    "  - {id: os-23.01, kind: os, version: \"23.01\", size: 8KiB}\n"
    "  - {id: os-23.04, kind: os, version: \"23.04\", size: 8KiB}\n"
    "  - {id: app-1.0, kind: app, name: dw, product: DW100,"
    " version: 1.0.0, size: 4KiB}\n"
    "fleet:\n"
    "  - {product: DW100, count: 4, os: os-23.04, app: app-1.0,"
    " wear: {heater: 50%%}}\n";

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
    struct fs_msg last;    /* copy of the last reply (not METADATA) */
    int nmetadata;         /* METADATA sent (after every CERT) */
    struct fs_msg last_md; /* copy of the last METADATA */
    int64_t last_delay_us; /* its wait in the service's backlog */
    int nsent;             /* replies sent */
};

static void
fx_send(void *ctx, struct fs_msg *m, int64_t delay_us)
{
    struct fx *f = ctx;
    if (m->kind == FS_MSG_METADATA) {
        f->nmetadata++; /* the update metadata that follows a CERT */
        f->last_md = *m;
        fs_msgpool_put(&f->pool, m);
        return;
    }
    f->last = *m;
    f->last_delay_us = delay_us;
    f->nsent++;
    fs_msgpool_put(&f->pool, m);
}

/* Build the fixture with extra top-level YAML (defenses) inserted. */
static struct fx *
fx_open(const char *extra)
{
    struct fx *f = fs_xcalloc(1, sizeof(*f));
    char text[2048];
    int n = snprintf(text, sizeof(text), scn_fmt, extra);
    struct fs_diag diag;
    memset(&diag, 0, sizeof(diag));
    int rc =
        fs_scn_load_string("svc-test.yaml", text, (size_t)n, &f->scn, &diag);
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
        unsigned char seed[32] = {(unsigned char)(d + 1), 0x5a};
        crypto_sign_seed_keypair(f->pk[d], f->sk[d], seed);
        if (d < NDEV - 1) /* the last device is never registered */
            assert_int_equal(fs_registry_add(f->svc, d, f->pk[d], 0, 0), 0);
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

/* Every test leaves no live block behind. */
static int
fx_teardown(void **state)
{
    (void)state;
    assert_int_equal(fs_mem_live_blocks(), 0);
    return 0;
}

static void
fx_advance(struct fx *f, int64_t us)
{
    uint64_t ran;
    assert_int_equal(fs_sim_run(f->sim, fs_sim_now_us(f->sim) + us, 1000, &ran),
                     0);
}

/* Send HELLO from dev; returns the reply kind (nonce in f->last). */
static int
fx_hello(struct fx *f, uint32_t dev)
{
    struct fs_msg *m = fs_msgpool_get(&f->pool);
    m->kind = FS_MSG_HELLO;
    m->device = dev;
    fs_svc_receive(f->svc, m);
    return f->last.kind;
}

/* Evidence for claimed id running os + app, signed with signer's key. */
static void
fx_evidence(struct fx *f, struct fs_evidence *ev, uint32_t claimed,
            const unsigned char nonce[16], uint32_t os, uint32_t signer)
{
    memset(ev, 0, sizeof(*ev));
    ev->device = claimed;
    memcpy(ev->nonce, nonce, 16);
    ev->os_image = os;
    ev->apps[0] = IMG_APP;
    ev->apps[1] = FS_NO_IMAGE;
    ev->apps[2] = FS_NO_IMAGE;
    fs_attest_expected(f->cat, os, ev->apps, ev->pcr_boot, ev->pcr_apps);
    unsigned char buf[FS_EVIDENCE_BYTES];
    size_t n = fs_evidence_encode(ev, buf);
    crypto_sign_detached(ev->sig, NULL, buf, n, f->sk[signer]);
}

/* Send ev from device dev; returns the reply kind. */
static int
fx_send_evidence(struct fx *f, uint32_t dev, const struct fs_evidence *ev)
{
    struct fs_msg *m = fs_msgpool_get(&f->pool);
    m->kind = FS_MSG_EVIDENCE;
    m->device = dev;
    m->u.evidence.ev = *ev;
    fs_svc_receive(f->svc, m);
    return f->last.kind;
}

/* Full exchange for dev with its own key; returns the reply kind. */
static int
fx_attest(struct fx *f, uint32_t dev, uint32_t os)
{
    if (fx_hello(f, dev) != FS_MSG_CHALLENGE)
        return f->last.kind;
    struct fs_evidence ev;
    fx_evidence(f, &ev, dev, f->last.u.nonce, os, dev);
    return fx_send_evidence(f, dev, &ev);
}

static int64_t
fx_metric(struct fx *f, enum fs_metric fam, const char *key, const char *val)
{
    if (key == NULL)
        return fs_metrics_sum(f->metrics, fam, NULL, 0);
    struct fs_label_sel sel = {fs_metric_label_index(fam, key, strlen(key)),
                               val};
    return fs_metrics_sum(f->metrics, fam, &sel, 1);
}

static void
test_service_pass_issues_verifiable_cert(void **state)
{
    (void)state;
    struct fx *f = fx_open("");
    assert_int_equal(fx_attest(f, 1, IMG_OS), FS_MSG_CERT);
    struct fs_cert c = f->last.u.cert;
    assert_int_equal(c.device, 1);
    assert_int_equal(c.serial, 1);
    assert_true(c.not_after_us == 24 * 3600 * US_PER_S);
    assert_int_equal(fs_cert_check(FS_CRYPTO_REAL, &c, fs_cert_ca_pk(f->svc), 1,
                                   f->pk[1], false, fs_sim_now_us(f->sim)),
                     FS_CERT_OK);
    assert_int_equal(fx_metric(f, FS_M_ATTESTATIONS, "result", "pass"), 1);
    assert_int_equal(fx_metric(f, FS_M_CERTIFICATES, "result", "issued"), 1);
    fx_close(f);
}

/*
 * Every passing check-in gets METADATA, with nothing deployed: the fresh
 * catalog record of the OS the device runs, which any client can fetch
 * (fs_svc_catalog_record gives the same record), re-signed with a higher
 * version once less than half its lifetime is left.
 */
static void
test_service_metadata_at_every_checkin(void **state)
{
    (void)state;
    struct fx *f = fx_open("");
    assert_int_equal(fx_attest(f, 1, IMG_OS), FS_MSG_CERT);
    assert_int_equal(f->nmetadata, 1);
    assert_int_equal(fx_attest(f, 1, IMG_OS), FS_MSG_CERT);
    assert_int_equal(f->nmetadata, 2);
    struct fs_update_record a, b;
    assert_int_equal(fs_svc_catalog_record(f->svc, IMG_OS, 0, 0, &a), 0);
    assert_int_equal(a.deployment, FS_DEP_CATALOG + IMG_OS);
    assert_int_equal(a.target.image, IMG_OS);
    unsigned char buf[FS_RECORD_BYTES];
    size_t n = fs_update_record_encode(&a, buf);
    assert_int_equal(
        crypto_sign_verify_detached(
            a.sig, buf, n, fs_catalog_signer_pk(f->cat, FS_SIGNER_UPDATE)),
        0);
    assert_int_equal(fs_svc_catalog_record(f->svc, IMG_OS, 0, 0, &b), 0);
    assert_memory_equal(&a, &b, sizeof(a)); /* cached */
    uint64_t ran;
    int64_t life_us = a.expires_us - fs_sim_now_us(f->sim);
    fs_sim_run(f->sim, fs_sim_now_us(f->sim) + life_us / 2 + 1, 10, &ran);
    assert_int_equal(fs_svc_catalog_record(f->svc, IMG_OS, 0, 0, &b), 0);
    assert_true(b.version > a.version);
    assert_int_equal(fs_svc_catalog_record(f->svc, 9999, 0, 0, &b), FS_EINVAL);
    fx_close(f);
}

/* Expect evidence ev from dev to be rejected with reason r. */
static void
fx_expect_reject(struct fx *f, uint32_t dev, const struct fs_evidence *ev,
                 enum fs_attest_reason r)
{
    assert_int_equal(fx_send_evidence(f, dev, ev), FS_MSG_REJECTED);
    assert_int_equal(f->last.u.rejected, r);
    assert_int_equal(
        fx_metric(f, FS_M_ATTESTATIONS, "reason", fs_msg_attest_reason_name(r)),
        1);
}

static void
test_service_unknown_and_revoked(void **state)
{
    (void)state;
    struct fx *f = fx_open("");
    struct fs_evidence ev;
    unsigned char nonce[16] = {4};
    fx_evidence(f, &ev, 3, nonce, IMG_OS, 3);
    fx_expect_reject(f, 3, &ev, FS_ATT_UNKNOWN_DEVICE);
    ev.device = 1000; /* outside the fleet */
    assert_int_equal(fs_attest_verify(f->svc, &ev), FS_ATT_UNKNOWN_DEVICE);
    assert_int_equal(fx_hello(f, 2), FS_MSG_CHALLENGE);
    fx_evidence(f, &ev, 2, f->last.u.nonce, IMG_OS, 2);
    assert_int_equal(fs_registry_revoke_device(f->svc, 2), 0);
    fx_expect_reject(f, 2, &ev, FS_ATT_REVOKED);
    assert_int_equal(fx_metric(f, FS_M_CERTIFICATES, "result", "rejected"), 2);
    fx_close(f);
}

static void
test_service_bad_signature(void **state)
{
    (void)state;
    struct fx *f = fx_open("");
    struct fs_evidence ev;
    assert_int_equal(fx_hello(f, 0), FS_MSG_CHALLENGE);
    fx_evidence(f, &ev, 0, f->last.u.nonce, IMG_OS, 0);
    ev.sig[5] ^= 1;
    fx_expect_reject(f, 0, &ev, FS_ATT_BAD_SIGNATURE);
    /* The nonce was not consumed by the bad try: the real device passes. */
    ev.sig[5] ^= 1;
    assert_int_equal(fx_send_evidence(f, 0, &ev), FS_MSG_CERT);
    fx_close(f);
}

static void
test_service_clone_identity(void **state)
{
    (void)state;
    struct fx *f = fx_open("");
    struct fs_evidence ev;
    assert_int_equal(fx_hello(f, 0), FS_MSG_CHALLENGE);
    fx_evidence(f, &ev, 0, f->last.u.nonce, IMG_OS, 1); /* key of dev 1 */
    fx_expect_reject(f, 0, &ev, FS_ATT_BAD_SIGNATURE);
    fx_close(f);

    f = fx_open("defenses: {attestation_signature: false}\n");
    assert_int_equal(fx_hello(f, 0), FS_MSG_CHALLENGE);
    fx_evidence(f, &ev, 0, f->last.u.nonce, IMG_OS, 1);
    assert_int_equal(fx_send_evidence(f, 0, &ev), FS_MSG_CERT);
    fx_close(f);
}

static void
test_service_stale_nonce(void **state)
{
    (void)state;
    struct fx *f = fx_open("");
    struct fs_evidence ev;
    unsigned char never[16] = {1, 2, 3};
    fx_evidence(f, &ev, 0, never, IMG_OS, 0); /* never issued */
    assert_int_equal(fs_attest_verify(f->svc, &ev), FS_ATT_STALE_NONCE);
    assert_int_equal(fx_attest(f, 0, IMG_OS), FS_MSG_CERT);
    assert_int_equal(fx_hello(f, 1), FS_MSG_CHALLENGE);
    struct fs_evidence used;
    fx_evidence(f, &used, 1, f->last.u.nonce, IMG_OS, 1);
    assert_int_equal(fx_send_evidence(f, 1, &used), FS_MSG_CERT);
    fx_expect_reject(f, 1, &used, FS_ATT_STALE_NONCE); /* replayed */
    assert_int_equal(fx_hello(f, 2), FS_MSG_CHALLENGE);
    fx_evidence(f, &ev, 2, f->last.u.nonce, IMG_OS, 2);
    fx_advance(f, 5 * 60 * US_PER_S + 1); /* expired */
    assert_int_equal(fs_attest_verify(f->svc, &ev), FS_ATT_STALE_NONCE);
    fx_close(f);

    f = fx_open("defenses: {nonce_freshness: false}\n");
    assert_int_equal(fx_hello(f, 1), FS_MSG_CHALLENGE);
    fx_evidence(f, &used, 1, f->last.u.nonce, IMG_OS, 1);
    assert_int_equal(fx_send_evidence(f, 1, &used), FS_MSG_CERT);
    assert_int_equal(fx_send_evidence(f, 1, &used), FS_MSG_CERT);
    fx_close(f);
}

static void
test_service_measurement_mismatch(void **state)
{
    (void)state;
    const char *extra[2] = {"", "defenses: {measured_boot: false}\n"};
    for (int off = 0; off < 2; off++) {
        struct fx *f = fx_open(extra[off]);
        struct fs_evidence ev;
        assert_int_equal(fx_hello(f, 0), FS_MSG_CHALLENGE);
        fx_evidence(f, &ev, 0, f->last.u.nonce, IMG_OS, 0);
        ev.pcr_boot[0] ^= 0x80; /* a modified OS was measured */
        unsigned char buf[FS_EVIDENCE_BYTES];
        size_t n = fs_evidence_encode(&ev, buf);
        crypto_sign_detached(ev.sig, NULL, buf, n, f->sk[0]);
        if (off)
            assert_int_equal(fx_send_evidence(f, 0, &ev), FS_MSG_CERT);
        else
            fx_expect_reject(f, 0, &ev, FS_ATT_MEASUREMENT_MISMATCH);
        fx_close(f);
    }
}

static void
test_service_os_too_old(void **state)
{
    (void)state;
    struct fx *f = fx_open("");
    assert_int_equal(fx_attest(f, 0, IMG_OS_OLD), FS_MSG_REJECTED);
    assert_int_equal(f->last.u.rejected, FS_ATT_OS_TOO_OLD);
    struct fs_service_config ch;
    memset(&ch, 0, sizeof(ch));
    ch.given = 1u << FS_SVC_MIN_OS;
    ch.has_min_os = false;
    fs_svc_set_service(f->svc, &ch);
    assert_int_equal(fx_attest(f, 0, IMG_OS_OLD), FS_MSG_CERT);
    fx_close(f);
}

/* Does the last METADATA hold a record whose target is image? */
static bool
fx_md_has(const struct fx *f, uint32_t image)
{
    for (int k = 0; k < f->last_md.u.metadata.nrecords; k++)
        if (f->last_md.u.metadata.records[k].target.image == image)
            return true;
    return false;
}

/*
 * A check-in in which the device proved who it is gets METADATA even when
 * its attestation fails on what it runs (an old OS; no OS at all, in
 * recovery, where it gets the OS it last passed with); one that proves
 * nothing (bad signature, unknown id) gets only REJECTED.
 */
static void
test_service_metadata_after_failed_proof(void **state)
{
    (void)state;
    struct fx *f = fx_open("");
    assert_int_equal(fx_attest(f, 0, IMG_OS), FS_MSG_CERT);
    assert_int_equal(f->nmetadata, 1);
    assert_int_equal(fx_attest(f, 0, IMG_OS_OLD), FS_MSG_REJECTED);
    assert_int_equal(f->last.u.rejected, FS_ATT_OS_TOO_OLD);
    assert_int_equal(f->nmetadata, 2);
    assert_true(fx_md_has(f, IMG_OS_OLD));
    assert_int_equal(fx_attest(f, 0, FS_NO_IMAGE), FS_MSG_REJECTED);
    assert_true(fs_msg_attest_proved(f->last.u.rejected));
    assert_int_equal(f->nmetadata, 3);
    assert_true(fx_md_has(f, IMG_OS)); /* what it last passed with */
    /* Never passed: in recovery it gets no OS record to reinstall. */
    fx_advance(f, US_PER_S); /* past the check-in rate limit of 3/s */
    assert_int_equal(fx_attest(f, 1, FS_NO_IMAGE), FS_MSG_REJECTED);
    assert_int_equal(f->nmetadata, 4);
    assert_false(fx_md_has(f, IMG_OS));
    struct fs_evidence ev;
    assert_int_equal(fx_hello(f, 0), FS_MSG_CHALLENGE);
    fx_evidence(f, &ev, 0, f->last.u.nonce, IMG_OS, 0);
    ev.sig[3] ^= 1;
    fx_expect_reject(f, 0, &ev, FS_ATT_BAD_SIGNATURE);
    assert_int_equal(f->nmetadata, 4);
    unsigned char nonce[16] = {7};
    fx_evidence(f, &ev, NDEV - 1, nonce, IMG_OS, NDEV - 1);
    fx_expect_reject(f, NDEV - 1, &ev, FS_ATT_UNKNOWN_DEVICE);
    assert_int_equal(f->nmetadata, 4);
    fx_close(f);
}

static void
test_service_rate_limit(void **state)
{
    (void)state;
    struct fx *f = fx_open("");
    int refused = 0;
    for (int i = 0; i < 5; i++)
        refused += fx_hello(f, (uint32_t)(i % 3)) == FS_MSG_REFUSED;
    assert_int_equal(refused, 2);
    fx_advance(f, US_PER_S);
    assert_int_equal(fx_hello(f, 0), FS_MSG_CHALLENGE);
    fx_close(f);

    f = fx_open("defenses: {checkin_rate_limit: false}\n");
    for (int i = 0; i < 5; i++)
        assert_int_equal(fx_hello(f, 0), FS_MSG_CHALLENGE);
    fx_close(f);
}

/* Set the check-in rate limit to per_s (0: off) from now on. */
static void
fx_rate_limit(struct fx *f, uint64_t per_s)
{
    struct fs_service_config ch;
    memset(&ch, 0, sizeof(ch));
    ch.given = 1u << FS_SVC_CHECKIN_RATE_LIMIT;
    ch.checkin_rate_limit_per_s = per_s;
    fs_svc_set_service(f->svc, &ch);
}

/*
 * Work answers beyond the capacity of their second queue FIFO, one every
 * 1/capacity s from the next second on, whoever sent the requests; a
 * verdict queues behind challenges; refusals never wait.
 */
static void
test_service_backlog_delays_work_answers(void **state)
{
    (void)state;
    struct fx *f = fx_open("");
    int64_t per_s = (int64_t)fs_svc_answers_per_s(f->svc);
    assert_int_equal(per_s, FS_SVC_ANSWERS_MIN_PER_S); /* a small fleet */
    fx_rate_limit(f, 0);
    for (int64_t i = 0; i < per_s; i++) {
        assert_int_equal(fx_hello(f, (uint32_t)(i % (NDEV - 1))),
                         FS_MSG_CHALLENGE);
        assert_int_equal(f->last_delay_us, 0);
    }
    assert_int_equal(fs_svc_backlog_us(f->svc), US_PER_S);
    assert_int_equal(fx_hello(f, 0), FS_MSG_CHALLENGE);
    assert_int_equal(f->last_delay_us, US_PER_S);
    struct fs_evidence ev;
    fx_evidence(f, &ev, 0, f->last.u.nonce, IMG_OS, 0);
    assert_int_equal(fx_send_evidence(f, 0, &ev), FS_MSG_CERT);
    assert_int_equal(f->last_delay_us, US_PER_S + US_PER_S / per_s);
    fx_rate_limit(f, 1);
    assert_int_equal(fx_hello(f, 1), FS_MSG_REFUSED);
    assert_int_equal(f->last_delay_us, 0);
    struct fs_svc_stats st;
    fs_svc_stats(f->svc, &st);
    assert_int_equal(st.answers_queued, 2);
    fx_advance(f, 2 * US_PER_S); /* the backlog drains */
    assert_int_equal(fs_svc_backlog_us(f->svc), 0);
    fx_rate_limit(f, 0);
    assert_int_equal(fx_hello(f, 1), FS_MSG_CHALLENGE);
    assert_int_equal(f->last_delay_us, 0);
    fx_close(f);
}

/*
 * The rate limit's door: a HELLO from an id the registry does not know is
 * answered at once with REJECTED (unknown_device), with no challenge, no
 * wait in the backlog and no use of the genuine budget (3/s here); with
 * the defence off it gets a challenge, attestation work, like any other.
 */
static void
test_service_door_answers_unknown_ids(void **state)
{
    (void)state;
    struct fx *f = fx_open("");
    for (int i = 0; i < 10; i++) {
        assert_int_equal(fx_hello(f, i % 2 ? 3u : 1000u), FS_MSG_REJECTED);
        assert_int_equal(f->last.u.rejected, FS_ATT_UNKNOWN_DEVICE);
        assert_int_equal(f->last_delay_us, 0);
    }
    for (uint32_t d = 0; d < 3; d++) /* the whole budget is still there */
        assert_int_equal(fx_hello(f, d), FS_MSG_CHALLENGE);
    assert_int_equal(fx_hello(f, 0), FS_MSG_REFUSED);
    struct fs_svc_stats st;
    fs_svc_stats(f->svc, &st);
    assert_int_equal(st.challenges, 3);
    assert_int_equal(st.door_unknown, 10);
    assert_int_equal(
        fx_metric(f, FS_M_ATTESTATIONS, "reason", "unknown_device"), 10);
    assert_int_equal(fx_metric(f, FS_M_CERTIFICATES, NULL, NULL), 0);
    fx_close(f);

    f = fx_open("defenses: {checkin_rate_limit: false}\n");
    assert_int_equal(fx_hello(f, 3), FS_MSG_CHALLENGE);
    assert_int_equal(fx_metric(f, FS_M_ATTESTATIONS, NULL, NULL), 0);
    fx_close(f);
}

/*
 * Send EVIDENCE ev from dev carrying two error reports and one update
 * outcome (deployment 0, of os-23.01, confirmed: passing evidence of
 * os-23.04 alone confirms nothing); returns the reply kind.
 */
static int
fx_send_reports(struct fx *f, uint32_t dev, const struct fs_evidence *ev)
{
    struct fs_msg *m = fs_msgpool_get(&f->pool);
    m->kind = FS_MSG_EVIDENCE;
    m->device = dev;
    m->u.evidence.ev = *ev;
    m->u.evidence.nreports = 2;
    m->u.evidence.reports[0] =
        (struct fs_report_entry){FS_REP_APP_CRASH, IMG_APP, 3, 10, 20};
    m->u.evidence.reports[1] =
        (struct fs_report_entry){FS_REP_BOOT_FAILURE, FS_NO_IMAGE, 1, 5, 5};
    m->u.evidence.nupdates = 1;
    m->u.evidence.updates[0].deployment = 0;
    m->u.evidence.updates[0].image = IMG_OS_OLD;
    m->u.evidence.updates[0].result = FS_UPD_CONFIRMED;
    fs_svc_receive(f->svc, m);
    return f->last.kind;
}

/*
 * Report events and confirmations the service took in so far: its report
 * counter, the error_reports metric and deployment "up"'s confirmations.
 */
static uint64_t
fx_taken(struct fx *f)
{
    struct fs_svc_stats st;
    fs_svc_stats(f->svc, &st);
    struct fs_rollout_info info;
    assert_int_equal(fs_rollout_info(f->svc, "up", &info), 0);
    return st.reports + (uint64_t)fx_metric(f, FS_M_ERROR_REPORTS, NULL, NULL) +
           info.confirmed;
}

/*
 * Reports only after proof: forged (bad signature, another device's key),
 * replayed (stale nonce), unknown and revoked senders' reports and update
 * outcomes change no count; the same reports in evidence the device
 * proved (even with a measurement mismatch) are taken.
 */
static void
test_service_reports_only_after_proof(void **state)
{
    (void)state;
    struct fx *f = fx_open("timeline:\n"
                           "  - {at: 0s, deploy: {id: up, image: os-23.01}}\n");
    assert_int_equal(fs_rollout_start(f->svc, fs_rollout_find(f->svc, "up")),
                     0);
    struct fs_evidence ev, used;
    assert_int_equal(fx_hello(f, 0), FS_MSG_CHALLENGE);
    fx_evidence(f, &ev, 0, f->last.u.nonce, IMG_OS, 1); /* forged */
    assert_int_equal(fx_send_reports(f, 0, &ev), FS_MSG_REJECTED);
    ev.device = 3; /* unknown */
    assert_int_equal(fx_send_reports(f, 3, &ev), FS_MSG_REJECTED);
    assert_int_equal(fx_hello(f, 1), FS_MSG_CHALLENGE);
    fx_evidence(f, &used, 1, f->last.u.nonce, IMG_OS, 1);
    (void)fx_send_evidence(f, 1, &used); /* CERT, then METADATA */
    assert_int_equal(fx_metric(f, FS_M_ATTESTATIONS, "result", "pass"), 1);
    assert_int_equal(fx_send_reports(f, 1, &used),
                     FS_MSG_REJECTED); /* replay */
    assert_int_equal(fx_hello(f, 2), FS_MSG_CHALLENGE);
    fx_evidence(f, &ev, 2, f->last.u.nonce, IMG_OS, 2);
    assert_int_equal(fs_registry_revoke_device(f->svc, 2), 0);
    assert_int_equal(fx_send_reports(f, 2, &ev), FS_MSG_REJECTED);
    assert_int_equal(fx_taken(f), 0);
    struct fs_svc_stats st;
    fs_svc_stats(f->svc, &st);
    assert_int_equal(st.reports_unproved, 4);
    fx_advance(f, US_PER_S);
    assert_int_equal(fx_hello(f, 0), FS_MSG_CHALLENGE);
    fx_evidence(f, &ev, 0, f->last.u.nonce, IMG_OS, 0);
    ev.pcr_boot[0] ^= 0x80; /* proved, but a modified OS was measured */
    unsigned char buf[FS_EVIDENCE_BYTES];
    size_t n = fs_evidence_encode(&ev, buf);
    crypto_sign_detached(ev.sig, NULL, buf, n, f->sk[0]);
    assert_int_equal(fx_send_reports(f, 0, &ev), FS_MSG_REJECTED);
    assert_int_equal(f->last.u.rejected, FS_ATT_MEASUREMENT_MISMATCH);
    assert_int_equal(fx_taken(f), 9); /* 4 + 4 report events, 1 confirm */
    fx_close(f);
}

static void
test_service_error_intake(void **state)
{
    (void)state;
    struct fx *f = fx_open("");
    assert_int_equal(fx_hello(f, 0), FS_MSG_CHALLENGE);
    struct fs_evidence ev;
    fx_evidence(f, &ev, 0, f->last.u.nonce, IMG_OS, 0);
    struct fs_msg *m = fs_msgpool_get(&f->pool);
    m->kind = FS_MSG_EVIDENCE;
    m->device = 0;
    m->u.evidence.ev = ev;
    m->u.evidence.nreports = 2;
    m->u.evidence.reports[0] =
        (struct fs_report_entry){FS_REP_APP_CRASH, IMG_APP, 3, 10, 20};
    m->u.evidence.reports[1] =
        (struct fs_report_entry){FS_REP_BOOT_FAILURE, FS_NO_IMAGE, 1, 5, 5};
    fs_svc_receive(f->svc, m);
    assert_int_equal(f->last.kind, FS_MSG_CERT);
    struct fs_errrep_total t;
    fs_errrep_get(f->svc, IMG_APP, FS_REP_APP_CRASH, &t);
    assert_int_equal(t.count, 3);
    assert_true(t.first_us == 10 && t.last_us == 20);
    assert_int_equal(fx_metric(f, FS_M_ERROR_REPORTS, "image", "app-1.0"), 3);
    assert_int_equal(fx_metric(f, FS_M_ERROR_REPORTS, "kind", "boot_failure"),
                     1);
    fx_close(f);
}

/* Send telemetry from dev presenting c; returns the telemetry counters. */
static void
fx_telemetry(struct fx *f, uint32_t dev, const struct fs_cert *c,
             int32_t value_milli, uint8_t part)
{
    struct fs_msg *m = fs_msgpool_get(&f->pool);
    m->kind = FS_MSG_TELEMETRY;
    m->device = dev;
    m->u.telemetry.cert = *c;
    m->u.telemetry.app_image = IMG_APP;
    m->u.telemetry.value_milli = value_milli;
    m->u.telemetry.part = part;
    fs_svc_receive(f->svc, m);
}

static void
test_service_cert_check_rejects(void **state)
{
    (void)state;
    struct fx *f = fx_open("");
    assert_int_equal(fx_attest(f, 0, IMG_OS), FS_MSG_CERT);
    struct fs_cert c = f->last.u.cert;
    const unsigned char *ca = fs_cert_ca_pk(f->svc);
    int64_t now = fs_sim_now_us(f->sim);
    assert_int_equal(
        fs_cert_check(FS_CRYPTO_REAL, &c, ca, 1, f->pk[1], false, now),
        FS_CERT_WRONG_SUBJECT);
    assert_int_equal(
        fs_cert_check(FS_CRYPTO_REAL, &c, ca, 0, f->pk[0], true, now),
        FS_CERT_REVOKED);
    assert_int_equal(fs_cert_check(FS_CRYPTO_REAL, &c, ca, 0, f->pk[0], false,
                                   c.not_after_us + 1),
                     FS_CERT_EXPIRED);
    struct fs_cert forged = c;
    forged.not_after_us += 1000; /* extended without the CA */
    assert_int_equal(
        fs_cert_check(FS_CRYPTO_REAL, &forged, ca, 0, f->pk[0], false, now),
        FS_CERT_BAD_SIGNATURE);
    fx_telemetry(f, 0, &c, 65000, 0);
    fx_telemetry(f, 0, &c, 65000, 0); /* memo hit */
    fx_telemetry(f, 0, &forged, 65000, 0);
    fx_telemetry(f, 1, &c, 65000, 0);
    fx_advance(f, 25 * 3600 * US_PER_S);
    fx_telemetry(f, 0, &c, 65000, 0);
    struct fs_svc_stats st;
    fs_svc_stats(f->svc, &st);
    assert_int_equal(st.telemetry[FS_CERT_OK], 2);
    assert_int_equal(st.telemetry[FS_CERT_BAD_SIGNATURE], 1);
    assert_int_equal(st.telemetry[FS_CERT_WRONG_SUBJECT], 1);
    assert_int_equal(st.telemetry[FS_CERT_EXPIRED], 1);
    fx_close(f);
}

/* A normal draw with mean 0 and sd 1 (Box-Muller). */
static double
fx_normal(struct fs_rng *r)
{
    double u1 = 1.0 - fs_rng_unit(r);
    double u2 = fs_rng_unit(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static void
test_service_drift_no_false_positives(void **state)
{
    (void)state;
    struct fs_rng r;
    fs_rng_seed(&r, 11, 0, FS_RNG_FAULTS);
    for (int dev = 0; dev < 20000; dev++) {
        int32_t ewma = FS_CLOUD_DRIFT_NOMINAL_MILLI;
        uint16_t n = 0;
        for (int i = 0; i < 7 * 4; i++) {
            int32_t v = (int32_t)lround(65000.0 + 500.0 * fx_normal(&r));
            assert_false(fs_cloud_drift_step(&ewma, &n, v));
        }
    }
}

static void
test_service_drift_raises_one_ticket(void **state)
{
    (void)state;
    struct fx *f = fx_open("");
    assert_int_equal(fx_attest(f, 0, IMG_OS), FS_MSG_CERT);
    struct fs_cert c0 = f->last.u.cert;
    assert_int_equal(fx_attest(f, 1, IMG_OS), FS_MSG_CERT);
    struct fs_cert c1 = f->last.u.cert;
    struct fs_rng r;
    fs_rng_seed(&r, 5, 0, FS_RNG_FAULTS);
    for (int i = 0; i < 28; i++) { /* 7 days, 4 a day, within cert life */
        double noise = 500.0 * fx_normal(&r);
        fx_telemetry(f, 0, &c0, (int32_t)(65000.0 + noise), FS_CLOUD_PART_NONE);
        fx_telemetry(f, 1, &c1, (int32_t)(65000.0 - 300.0 * i + noise), 0);
    }
    assert_int_equal(fx_metric(f, FS_M_TICKETS, "reason", "heater"), 1);
    assert_int_equal(fx_metric(f, FS_M_TICKETS, NULL, NULL), 1);
    fx_close(f);
}

static void
test_service_store_write(void **state)
{
    (void)state;
    struct fx *f = fx_open("");
    assert_int_equal(fx_attest(f, 0, IMG_OS), FS_MSG_CERT);
    assert_int_equal(fs_registry_revoke_signer(f->svc, "oem"), 0);
    assert_int_equal(fs_registry_revoke_signer(f->svc, "nobody"), FS_ENOENT);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA reverse_unordered_selects=ON",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(fs_store_write(f->svc, db), 0);
    sqlite3_stmt *st;
    assert_int_equal(
        sqlite3_prepare_v2(
            db,
            "SELECT (SELECT count(*) FROM service_devices),"
            " (SELECT count FROM attestations WHERE reason = 'ok'"
            "  ORDER BY reason),"
            " (SELECT revoked FROM signers WHERE name = 'oem' ORDER BY idx),"
            " (SELECT cert_serial FROM service_devices WHERE id = 0 ORDER BY "
            "id)"
            " ORDER BY 1",
            -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), NDEV - 1);
    assert_int_equal(sqlite3_column_int(st, 1), 1);
    assert_int_equal(sqlite3_column_int(st, 2), 1);
    assert_int_equal(sqlite3_column_int(st, 3), 1);
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT sealed FROM secrets WHERE name "
                                        "= 'service-ca' ORDER BY name",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    const void *blob = sqlite3_column_blob(st, 0);
    size_t len = (size_t)sqlite3_column_bytes(st, 0);
    unsigned char sk[64];
    assert_int_equal(fs_store_unseal(f->svc, blob, len, sk), 0);
    assert_memory_equal(sk + 32, fs_cert_ca_pk(f->svc), 32);
    assert_null(memmem(blob, len, sk, 32)); /* not in clear */
    sqlite3_finalize(st);
    sqlite3_close(db);
    fx_close(f);
}

static void
test_service_deterministic_and_steady(void **state)
{
    (void)state;
    struct fx *a = fx_open("");
    struct fx *b = fx_open("");
    assert_memory_equal(fs_cert_ca_pk(a->svc), fs_cert_ca_pk(b->svc), 32);
    assert_int_equal(fx_attest(a, 0, IMG_OS), FS_MSG_CERT);
    assert_int_equal(fx_attest(b, 0, IMG_OS), FS_MSG_CERT);
    assert_memory_equal(a->last.u.cert.sig, b->last.u.cert.sig, 64);
    size_t live = fs_mem_live_blocks();
    for (int i = 0; i < 50; i++) {
        fx_advance(a, US_PER_S);
        assert_int_equal(fx_attest(a, (uint32_t)(i % 3), IMG_OS), FS_MSG_CERT);
    }
    assert_int_equal(fs_mem_live_blocks(), live);
    assert_true(fs_svc_bytes_per_device() < 200);
    fx_close(b);
    fx_close(a);
}

#define FX_TEST(fn) cmocka_unit_test_teardown(fn, fx_teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        FX_TEST(test_service_pass_issues_verifiable_cert),
        FX_TEST(test_service_metadata_at_every_checkin),
        FX_TEST(test_service_unknown_and_revoked),
        FX_TEST(test_service_bad_signature),
        FX_TEST(test_service_clone_identity),
        FX_TEST(test_service_stale_nonce),
        FX_TEST(test_service_measurement_mismatch),
        FX_TEST(test_service_os_too_old),
        FX_TEST(test_service_metadata_after_failed_proof),
        FX_TEST(test_service_rate_limit),
        FX_TEST(test_service_backlog_delays_work_answers),
        FX_TEST(test_service_door_answers_unknown_ids),
        FX_TEST(test_service_reports_only_after_proof),
        FX_TEST(test_service_error_intake),
        FX_TEST(test_service_cert_check_rejects),
        FX_TEST(test_service_drift_no_false_positives),
        FX_TEST(test_service_drift_raises_one_ticket),
        FX_TEST(test_service_store_write),
        FX_TEST(test_service_deterministic_and_steady),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
