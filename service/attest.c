/*
 * service/attest.c - challenges, the attestation verifier and the CA.
 *
 * Owns: issuing challenge nonces, checking evidence in the documented order
 * (known, revoked, signature, nonce, measurements, OS version), the cache
 * of reference measurements per (os, apps) combination, and answering
 * EVIDENCE with a certificate (cert.c signs it) or a rejection, and
 * handing on the reports and update outcomes of a check-in only once its
 * verdict shows the device proved who it is.
 * Invariants: a device has at most one outstanding nonce, used at most
 * once; evidence signatures are always really verified against the
 * registered key (never memoised); the measurement cache only holds values
 * computed from signed catalog manifests.
 * Does not: allocate after create, send anything but the reply to the
 * message it was given (and, after a CERT, the offers of offer.c), send a
 * verdict around the backlog (fs__svc_send_work), or decide whether a
 * defence is on by itself.
 */
#include <string.h>

#include <sodium.h>

#include "fleetsim/bytes.h"
#include "fleetsim/crypto.h"
#include "fleetsim/err.h"
#include "fleetsim/mem.h"
#include "fleetsim/metrics.h"
#include "fleetsim/sim.h"

#include "service_int.h"

/* Issue a challenge nonce; see service_int.h. */
/* The k-th challenge nonce of device: keyed BLAKE2b of (device, k). */
static void
device_nonce(const struct fs_svc *s, uint32_t device, uint32_t k,
             unsigned char nonce[FS_NONCE_BYTES])
{
    unsigned char in[8];
    fs_bytes_put_le(in, device, 4);
    fs_bytes_put_le(in + 4, k, 4);
    crypto_generichash(nonce, FS_NONCE_BYTES, in, sizeof(in), s->nonce_key,
                       sizeof(s->nonce_key));
}

/* The nonce the next challenge to device carries; see service.h. */
bool
fs_svc_next_nonce(struct fs_svc *s, uint32_t device,
                  unsigned char nonce[FS_NONCE_BYTES])
{
    const struct svc_dev *d = fs__registry_dev(s, device);
    if (d == NULL)
        return false;
    device_nonce(s, device, d->challenges, nonce);
    return true;
}

/*
 * Issue a challenge nonce; see service_int.h. A registered device's nonces
 * are a keyed hash of its id and its challenge count (fresh for every
 * challenge, unknown to anyone without the service's key, and the same
 * whatever other devices do); a claimed id the registry does not know
 * gets one from the service stream.
 */
void
fs__attest_challenge(struct fs_svc *s, uint32_t device,
                     unsigned char nonce[FS_NONCE_BYTES])
{
    struct svc_dev *d = fs__registry_dev(s, device);
    if (d != NULL)
        device_nonce(s, device, d->challenges++, nonce);
    else
        fs_rng_bytes(&s->rng, nonce, FS_NONCE_BYTES);
    s->stats.challenges++;
    int64_t first8 = 0;
    memcpy(&first8, nonce, sizeof(first8));
    fs_sim_record(s->env.sim, FS_REC_SVC_CHALLENGE, device, first8);
    if (d == NULL || (d->flags & SVC_DEV_REVOKED))
        return;
    memcpy(d->nonce, nonce, FS_NONCE_BYTES);
    int64_t expiry = fs_sim_now_us(s->env.sim) + s->settings.nonce_lifetime_us;
    d->nonce_expiry_us = expiry > 0 ? expiry : 1;
    d->flags |= SVC_DEV_NONCE_LIVE;
}

/* Check that image i exists, has kind, and its manifest verifies. */
static bool
attest_signed_image(struct fs_catalog *c, uint32_t i, enum fs_image_kind kind)
{
    if (i >= fs_catalog_images(c))
        return false;
    const struct fs_signed_manifest *sm = fs_catalog_manifest(c, i);
    if (sm->m.kind != kind || sm->m.signer >= fs_catalog_signers(c))
        return false;
    unsigned char buf[FS_MANIFEST_BYTES];
    fs_manifest_encode(&sm->m, buf);
    return fs_catalog_verify(c, fs_catalog_signer_pk(c, sm->m.signer), buf,
                             sizeof(buf), sm->sig) == 0;
}

/* Reference measurements of (os, apps); see attest.h. */
bool
fs_attest_expected(struct fs_catalog *c, uint32_t os,
                   const uint32_t apps[FS_APPS_MAX],
                   unsigned char pcr_boot[FS_HASH_BYTES],
                   unsigned char pcr_apps[FS_HASH_BYTES])
{
    memset(pcr_boot, 0, FS_HASH_BYTES);
    memset(pcr_apps, 0, FS_HASH_BYTES);
    if (!attest_signed_image(c, os, FS_IMAGE_OS))
        return false;
    fs_measure_extend(pcr_boot, fs_catalog_monitor_hash(c));
    fs_measure_extend(pcr_boot, fs_catalog_bootloader_hash(c));
    fs_measure_extend(pcr_boot, fs_catalog_hash(c, os));
    for (int k = 0; k < FS_APPS_MAX; k++) {
        if (apps[k] == FS_NO_IMAGE)
            continue;
        if (!attest_signed_image(c, apps[k], FS_IMAGE_APP))
            return false;
        fs_measure_extend(pcr_apps, fs_catalog_hash(c, apps[k]));
    }
    return true;
}

/* The cached reference measurement of (os, apps), computed on a miss. */
static const struct svc_meas *
attest_reference(struct fs_svc *s, uint32_t os,
                 const uint32_t apps[FS_APPS_MAX])
{
    uint64_t h = fs_rng_mix64(os);
    for (int k = 0; k < FS_APPS_MAX; k++)
        h = fs_rng_mix64(h ^ apps[k]);
    struct svc_meas *e = &s->meas[h & (SVC_MEAS_CACHE - 1)];
    if (e->used && e->os == os && memcmp(e->apps, apps, sizeof(e->apps)) == 0)
        return e;
    e->used = true;
    e->os = os;
    memcpy(e->apps, apps, sizeof(e->apps));
    e->valid =
        fs_attest_expected(s->env.catalog, os, apps, e->boot, e->apps_pcr);
    return e;
}

/* Nonce check; consumes the device's nonce when ev presents it. */
static bool
attest_nonce_fresh(struct fs_svc *s, struct svc_dev *d,
                   const unsigned char nonce[FS_NONCE_BYTES])
{
    if (!(d->flags & SVC_DEV_NONCE_LIVE))
        return false;
    if (sodium_memcmp(d->nonce, nonce, FS_NONCE_BYTES) != 0)
        return false;
    d->flags &= (uint8_t)~SVC_DEV_NONCE_LIVE;
    return fs_sim_now_us(s->env.sim) <= d->nonce_expiry_us;
}

static bool
attest_os_recent(struct fs_svc *s, uint32_t os)
{
    if (!s->settings.has_min_os)
        return true;
    const struct fs_svc_config *cfg = &s->config;
    if (os >= cfg->nimages || cfg->images[os].kind != FS_IMAGE_OS)
        return false;
    return fs_version_cmp(&cfg->images[os].version,
                          &s->settings.min_os_version) >= 0;
}

/* The verifier; see fleetsim/testing.h. */
enum fs_attest_reason
fs_attest_verify(struct fs_svc *s, const struct fs_evidence *ev)
{
    struct svc_dev *d = fs__registry_dev(s, ev->device);
    if (d == NULL)
        return FS_ATT_UNKNOWN_DEVICE;
    if (d->flags & SVC_DEV_REVOKED)
        return FS_ATT_REVOKED;
    if (fs__svc_defense_on(s, FS_DEF_ATTESTATION_SIGNATURE)) {
        unsigned char buf[FS_EVIDENCE_BYTES];
        size_t n = fs_evidence_encode(ev, buf);
        if (fs_crypto_verify(s->env.sim, ev->sig, buf, n, d->pk) != 0)
            return FS_ATT_BAD_SIGNATURE;
    }
    bool fresh = attest_nonce_fresh(s, d, ev->nonce);
    if (!fresh && fs__svc_defense_on(s, FS_DEF_NONCE_FRESHNESS))
        return FS_ATT_STALE_NONCE;
    if (fs__svc_defense_on(s, FS_DEF_MEASURED_BOOT)) {
        const struct svc_meas *ref =
            attest_reference(s, ev->os_image, ev->apps);
        if (!ref->valid ||
            memcmp(ref->boot, ev->pcr_boot, FS_HASH_BYTES) != 0 ||
            memcmp(ref->apps_pcr, ev->pcr_apps, FS_HASH_BYTES) != 0)
            return FS_ATT_MEASUREMENT_MISMATCH;
    }
    if (!attest_os_recent(s, ev->os_image))
        return FS_ATT_OS_TOO_OLD;
    return FS_ATT_OK;
}

/*
 * Handle EVIDENCE: verdict, then (only when the device proved who it is)
 * intake of its reports and update outcomes, then CERT or REJECTED, and
 * METADATA whenever the device proved who it is.
 */
void
fs__attest_receive(struct fs_svc *s, struct fs_msg *m)
{
    uint32_t claimed = m->u.evidence.ev.device;
    uint32_t route = m->device;
    uint32_t os = m->u.evidence.ev.os_image;
    uint32_t apps[FS_APPS_MAX];
    memcpy(apps, m->u.evidence.ev.apps, sizeof(apps));
    enum fs_attest_reason r = fs_attest_verify(s, &m->u.evidence.ev);
    if (fs_msg_attest_proved(r) && route == claimed) {
        fs__errrep_intake(s, m);
        fs__rollout_intake(s, m);
    } else if (m->u.evidence.nreports > 0 || m->u.evidence.nupdates > 0) {
        s->stats.reports_unproved++;
    }
    s->stats.attest[r]++;
    fs_sim_record(s->env.sim, FS_REC_SVC_ATTEST, claimed, (int64_t)r);
    fs_metrics_add(s->env.metrics, fs__svc_att_series(s, r), 1);
    struct svc_dev *d = fs__registry_dev(s, claimed);
    if (d != NULL) {
        d->last_attest_us = fs_sim_now_us(s->env.sim);
        d->last_result = (uint8_t)r;
        if (r == FS_ATT_OK && os < SVC_OS_NONE)
            d->last_os = (uint16_t)os;
    }
    memset(&m->u, 0, sizeof(m->u));
    if (r == FS_ATT_OK &&
        fs__cert_issue(s, claimed, &m->u.cert, &m->crypto) == 0) {
        m->kind = FS_MSG_CERT;
        fs_metrics_add(s->env.metrics, fs__svc_cert_series(s, true), 1);
        int64_t wait_us = fs__svc_send_work(s, m);
        fs__offer_send(s, route, claimed, os, apps, wait_us);
        return;
    }
    m->kind = FS_MSG_REJECTED;
    m->u.rejected = (uint8_t)r;
    fs_metrics_add(s->env.metrics, fs__svc_cert_series(s, false), 1);
    int64_t wait_us = fs__svc_send_work(s, m);
    /* A device that proved who it is but failed on what it runs (an old
       OS, a measurement the service does not know, recovery) still gets
       its metadata, so the update that repairs it can reach it. */
    if (fs_msg_attest_proved(r) && route == claimed)
        fs__offer_send(s, route, claimed, os, apps, wait_us);
}
