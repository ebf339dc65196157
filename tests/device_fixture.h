/*
 * tests/device_fixture.h - a small fleet and a stub service for the
 * device tests.
 *
 * Owns: a scenario loaded from YAML text, its catalog, metrics, engine,
 * message pool and fleet, and a stub service that answers HELLO with a
 * CHALLENGE and EVIDENCE with a CERT after verifying the evidence
 * signature (it counts what it saw). When told to (fx->offer), it sends
 * one METADATA after each CERT (one record, or two with fx->offer2) and
 * serves DOWNLOAD_REQs with CHUNKs, with knobs to misbehave (flip bits,
 * send too much, stall, queue).
 * Invariants: everything is freed by fx_destroy; the stub lives in the
 * engine's FS_CTX_SVC slot.
 * Does not: model the real service (tickets, attestation policy).
 */
#ifndef TESTS_DEVICE_FIXTURE_H
#define TESTS_DEVICE_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "fleetsim/boot.h"
#include "fleetsim/ctx.h"
#include "fleetsim/err.h"
#include "fleetsim/firewall.h"
#include "fleetsim/fleet.h"
#include "fleetsim/image.h"
#include "fleetsim/keystore.h"
#include "fleetsim/mem.h"
#include "fleetsim/metrics.h"
#include "fleetsim/msg.h"
#include "fleetsim/net.h"
#include "fleetsim/physical.h"
#include "fleetsim/repq.h"
#include "fleetsim/scn.h"
#include "fleetsim/sim.h"
#include "fleetsim/slots.h"
#include "fleetsim/testing.h"
#include "fleetsim/update.h"

struct fx {
    struct fs_scn *scn;
    struct fs_fleet_config *cfg;
    struct fs_catalog *cat;
    struct fs_metrics *metrics;
    struct fs_sim *sim;
    struct fs_msgpool pool;
    struct fs_fleet *fleet;
    uint64_t hellos;       /* HELLO messages the stub saw */
    uint64_t evidences;    /* EVIDENCE messages that verified */
    uint64_t bad_evidence; /* EVIDENCE messages that did not */
    uint64_t telemetry;    /* TELEMETRY messages */
    uint64_t reports;      /* report events received */
    bool refuse;           /* answer HELLO with REFUSED */
    bool silent;           /* answer nothing */
    /* stub update service */
    bool offer;                             /* send METADATA after CERT */
    struct fs_update_record rec;            /* the record offered */
    struct fs_signed_manifest img;          /* the manifest sent with it */
    bool offer2;                            /* send rec2/img2 too */
    struct fs_update_record rec2;           /* a second record offered */
    struct fs_signed_manifest img2;         /* the manifest sent with it */
    uint64_t revoked;                       /* revoked_signers sent */
    uint32_t chunk_bytes;                   /* bytes per CHUNK */
    int64_t chunk_delay_us;                 /* transfer time per CHUNK */
    uint64_t extra_bytes;                   /* served past the length */
    uint64_t flip_bit;                      /* flip this bit (if flip) */
    bool flip;                              /* flip flip_bit in flight */
    bool stall;                             /* never answer DOWNLOAD_REQ */
    bool queue_first;                       /* answer the first with QUEUED */
    uint64_t dl_reqs;                       /* DOWNLOAD_REQs seen */
    uint64_t dl_done;                       /* DOWNLOAD_END completed */
    uint64_t dl_abandoned;                  /* DOWNLOAD_END abandoned */
    uint64_t upd_seen[FS_UPD_RESULT_COUNT]; /* outcomes on EVIDENCE */
};

static const char FX_YAML[] =
    "scenario: t\n"
    "seed: 7\n"
    "duration: 4d\n"
    "%s"
    "products:\n"
    "  - name: P\n"
    "images:\n"
    "  - {id: os-1, kind: os, version: \"1\", size: 64KiB,"
    " crash_rate: 0.5/d}\n"
    "  - {id: os-2, kind: os, version: \"2\", size: 64KiB}\n"
    "  - id: app-1\n"
    "    kind: app\n"
    "    name: a\n"
    "    product: P\n"
    "    version: \"1.0\"\n"
    "    size: 16KiB\n"
    "    crash_rate: 0.1/h\n"
    "    telemetry: 24/d\n"
    "    capabilities:\n"
    "      core: hl\n"
    "      gpio: [8, 9]\n"
    "      uart: [isu0]\n"
    "      allowed_hosts: [t.example]\n"
    "  - id: rt-1\n"
    "    kind: app\n"
    "    name: r\n"
    "    product: P\n"
    "    version: \"1.0\"\n"
    "    size: 16KiB\n"
    "    capabilities: {core: rt0, adc: [\"0\"]}\n"
    "fleet:\n"
    "  - product: P\n"
    "    count: %u\n"
    "    os: os-1\n"
    "    app: app-1\n"
    "    rt_apps: [rt-1]\n"
    "    network: {availability: 90%%, latency: 50ms}\n"
    "    wear: {heater: 25%%}\n";

static inline void
fx_reply(struct fs_sim *sim, void *arg)
{
    struct fs_fleet *f = fs_sim_ctx(sim, FS_CTX_FLEET);
    fs_fleet_receive(f, arg);
}

static inline void
fx_later(struct fx *x, struct fs_msg *m, int64_t extra_us)
{
    int64_t lat = fs_fleet_latency_us(x->fleet, m->device) + extra_us;
    assert_int_equal(fs_sim_schedule(x->sim, lat, fx_reply, m, NULL), 0);
}

static inline void
fx_metadata(struct fx *x, uint32_t dev)
{
    struct fs_msg *m = fs_msgpool_get(&x->pool);
    m->kind = FS_MSG_METADATA;
    m->device = dev;
    m->u.metadata.nrecords = 1;
    m->u.metadata.records[0] = x->rec;
    m->u.metadata.images[0] = x->img;
    if (x->offer2) {
        m->u.metadata.nrecords = 2;
        m->u.metadata.records[1] = x->rec2;
        m->u.metadata.images[1] = x->img2;
    }
    m->u.metadata.revoked_signers = x->revoked;
    fx_later(x, m, 1000);
}

/* Serve a DOWNLOAD_REQ (m is reused for the answer) or drop it. */
static inline void
fx_serve(struct fx *x, struct fs_msg *m)
{
    x->dl_reqs++;
    const struct fs_update_record *r =
        x->offer2 && m->u.download.image == x->rec2.target.image ? &x->rec2
                                                                 : &x->rec;
    uint64_t total = r->target.length_bytes + x->extra_bytes;
    uint64_t off = m->u.download.offset;
    if (x->stall || off >= total) {
        fs_msgpool_put(&x->pool, m);
        return;
    }
    uint32_t image = m->u.download.image;
    uint32_t dev = m->device;
    if (x->queue_first) {
        x->queue_first = false;
        m->kind = FS_MSG_QUEUED;
        fx_later(x, m, 0);
        m = fs_msgpool_get(&x->pool);
    }
    memset(&m->u, 0, sizeof(m->u));
    m->kind = FS_MSG_CHUNK;
    m->device = dev;
    m->u.chunk.image = image;
    m->u.chunk.offset = off;
    uint64_t len = total - off < x->chunk_bytes ? total - off : x->chunk_bytes;
    m->u.chunk.len = (uint32_t)len;
    if (x->flip && x->flip_bit / 8 >= off && x->flip_bit / 8 < off + len) {
        m->u.chunk.nflips = 1;
        m->u.chunk.flips[0] = x->flip_bit;
    }
    fx_later(x, m, x->chunk_delay_us);
}

static inline void
fx_answer(struct fx *x, struct fs_msg *m)
{
    uint32_t dev = m->device;
    if (m->kind == FS_MSG_DOWNLOAD_REQ) {
        fx_serve(x, m);
        return;
    }
    if (m->kind == FS_MSG_DOWNLOAD_END) {
        x->dl_done += m->u.end.completed;
        x->dl_abandoned += !m->u.end.completed;
        fs_msgpool_put(&x->pool, m);
        return;
    }
    if (m->kind == FS_MSG_HELLO) {
        x->hellos++;
        if (x->silent) {
            fs_msgpool_put(&x->pool, m);
            return;
        }
        m->kind = x->refuse ? FS_MSG_REFUSED : FS_MSG_CHALLENGE;
        memset(m->u.nonce, (int)(x->hellos & 0xff), FS_NONCE_BYTES);
    } else if (m->kind == FS_MSG_EVIDENCE) {
        unsigned char buf[FS_EVIDENCE_BYTES], pk[FS_KEY_PUB_BYTES];
        size_t len = fs_evidence_encode(&m->u.evidence.ev, buf);
        fs_fleet_public_key(x->fleet, dev, pk);
        bool ok = crypto_sign_verify_detached(m->u.evidence.ev.sig, buf, len,
                                              pk) == 0;
        x->evidences += ok;
        x->bad_evidence += !ok;
        for (unsigned i = 0; i < m->u.evidence.nreports; i++)
            x->reports += m->u.evidence.reports[i].count;
        for (unsigned i = 0; i < m->u.evidence.nupdates; i++)
            x->upd_seen[m->u.evidence.updates[i].result]++;
        if (ok && x->offer)
            fx_metadata(x, dev);
        memset(&m->u, 0, sizeof(m->u));
        m->kind = ok ? FS_MSG_CERT : FS_MSG_REJECTED;
        m->u.cert.device = dev;
        m->u.cert.not_after_us = fs_sim_now_us(x->sim) + 86400000000LL;
    } else {
        x->telemetry += m->kind == FS_MSG_TELEMETRY;
        fs_msgpool_put(&x->pool, m);
        return;
    }
    int64_t lat = fs_fleet_latency_us(x->fleet, dev);
    assert_int_equal(fs_sim_schedule(x->sim, lat, fx_reply, m, NULL), 0);
}

static inline void
fx_deliver(struct fs_sim *sim, void *arg)
{
    fx_answer(fs_sim_ctx(sim, FS_CTX_SVC), arg);
}

static inline void
fx_send(void *ctx, struct fs_msg *m, int64_t latency_us)
{
    struct fx *x = ctx;
    assert_int_equal(fs_sim_schedule(x->sim, latency_us, fx_deliver, m, NULL),
                     0);
}

/* As fx_create, from template tmpl (with %s for extra, %u for n). */
static inline struct fx *
fx_create_from(const char *tmpl, unsigned n, const char *extra)
{
    struct fx *x = fs_xcalloc(1, sizeof(*x));
    x->chunk_bytes = 64 * 1024;
    x->chunk_delay_us = 100000;
    char text[4096];
    int len = snprintf(text, sizeof(text), tmpl, extra, n);
    assert_true(len > 0 && (size_t)len < sizeof(text));
    struct fs_diag diag;
    fs_diag_clear(&diag);
    int err = fs_scn_load_string("t.yaml", text, (size_t)len, &x->scn, &diag);
    if (err != 0)
        fs_diag_print(&diag, stderr);
    assert_int_equal(err, 0);
    assert_int_equal(
        fs_scn_catalog_create(x->scn, x->scn->seed, FS_CRYPTO_REAL, &x->cat),
        0);
    assert_int_equal(fs_metrics_create(&x->metrics), 0);
    assert_int_equal(fs_sim_create(x->scn->seed, 1024, &x->sim), 0);
    fs_msgpool_init(&x->pool);
    fs_sim_set_ctx(x->sim, FS_CTX_SVC, x);
    x->cfg = fs_scn_fleet_config_create(x->scn);
    struct fs_fleet_env env = {.sim = x->sim,
                               .config = x->cfg,
                               .catalog = x->cat,
                               .metrics = x->metrics,
                               .pool = &x->pool,
                               .send = fx_send,
                               .ctx = x};
    assert_int_equal(fs_fleet_create(&env, &x->fleet), 0);
    return x;
}

/* Build a fixture of n devices; extra is YAML inserted at top level. */
static inline struct fx *
fx_create(unsigned n, const char *extra)
{
    return fx_create_from(FX_YAML, n, extra);
}

static inline void
fx_destroy(struct fx *x)
{
    assert_true(fs_fleet_check(x->fleet));
    fs_fleet_destroy(x->fleet);
    fs_scn_fleet_config_destroy(x->cfg);
    fs_sim_destroy(x->sim);
    fs_msgpool_fini(&x->pool);
    fs_metrics_destroy(x->metrics);
    fs_catalog_destroy(x->cat);
    fs_scn_destroy(x->scn);
    fs_free(x);
}

/* Sum of a firewall{kind, result} series. */
static inline int64_t
fx_fw(const struct fx *x, const char *kind, const char *result)
{
    struct fs_label_sel sel[2] = {{0, kind}, {1, result}};
    return fs_metrics_sum(x->metrics, FS_M_FIREWALL, sel, 2);
}

/* Sum of devices{state=...} (NULL: all). */
static inline int64_t
fx_devices(const struct fx *x, const char *state)
{
    struct fs_label_sel sel[1] = {{4, state}};
    return fs_metrics_sum(x->metrics, FS_M_DEVICES, sel, state ? 1 : 0);
}

/* Sum of updates{image, result, reason} (NULL: any). */
static inline int64_t
fx_updates(const struct fx *x, const char *image, const char *result,
           const char *reason)
{
    struct fs_label_sel sel[3];
    size_t n = 0;
    if (image != NULL)
        sel[n++] = (struct fs_label_sel){0, image};
    if (result != NULL)
        sel[n++] = (struct fs_label_sel){1, result};
    if (reason != NULL)
        sel[n++] = (struct fs_label_sel){2, reason};
    return fs_metrics_sum(x->metrics, FS_M_UPDATES, sel, n);
}

#endif
