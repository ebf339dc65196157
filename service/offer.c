/*
 * service/offer.c - update offers: signed records and METADATA messages.
 *
 * Owns: signing the update records of each (deployment, group, product)
 * with the update-service key, refreshing them with a new, higher version
 * when less than half their lifetime is left, and the METADATA a device
 * gets after a passing attestation: one record per running deployment that
 * holds the device in an open wave and that it does not run yet, the
 * vendor's signed manifests of their images, and the revoked signers.
 * Decisions: a target that failed or rolled back is offered again at each
 * check-in until it confirms (the device's memo of the record it acted on
 * keeps it from retrying before the record is refreshed).
 * Invariants: record versions come from one service-wide counter and only
 * grow; an unchanged record is sent byte for byte again (so devices verify
 * it from their memo); updates{result="offered"} counts each device once
 * per deployment; with key_revocation on, an image whose signer is revoked
 * is never offered (off, the revoked signers are still listed, but the
 * service offers as if nothing was revoked).
 * Does not: decide waves or halts (rollout.c), or allocate except for
 * messages from the pool and a metric series on its first use.
 */
#include <string.h>

#include <sodium.h>

#include "fleetsim/crypto.h"
#include "fleetsim/metrics.h"
#include "fleetsim/sim.h"

#include "service_int.h"

/* Bit per revoked catalog signer (signers 0..63). */
static uint64_t
offer_revoked_mask(const struct fs_svc *s)
{
    uint64_t mask = 0;
    for (uint32_t sg = 0; sg < s->nsigners && sg < 64; sg++)
        if (s->signer_revoked[sg])
            mask |= (uint64_t)1 << sg;
    return mask;
}

/* The record of slot for the cohort co, signed or refreshed as needed. */
static const struct fs_update_record *
offer_record(struct fs_svc *s, struct svc_deploy *d, uint32_t slot,
             const struct fs_svc_cohort *co)
{
    struct svc_record *r = &d->records[slot];
    int64_t now = fs_sim_now_us(s->env.sim);
    if (r->rec.version != 0) {
        int64_t half = (r->rec.expires_us - r->signed_us) / 2;
        if (r->rec.expires_us - now >= half)
            return &r->rec;
    }
    struct fs_update_record *rec = &r->rec;
    memset(rec, 0, sizeof(*rec));
    rec->deployment = d->index;
    rec->product = co->product;
    rec->group = co->group;
    rec->version = ++s->record_version;
    rec->expires_us = now + s->settings.manifest_lifetime_us;
    rec->target = fs_catalog_manifest(s->env.catalog, d->image)->m;
    unsigned char buf[FS_RECORD_BYTES];
    size_t n = fs_update_record_encode(rec, buf);
    fs_crypto_sign(s->env.sim, rec->sig, buf, n,
                   fs_catalog_signer_sk(s->env.catalog, FS_SIGNER_UPDATE));
    r->signed_us = now;
    s->stats.records_signed++;
    fs_sim_record(s->env.sim, FS_REC_SVC_RECORD_SIGN, d->index,
                  (int64_t)rec->version);
    return rec;
}

/* Count the first offer of d to device: bit, counter, metric, record. */
static void
offer_count(struct fs_svc *s, struct svc_deploy *d, uint32_t device,
            uint64_t version)
{
    uint8_t *f = &d->flags[device - d->lo];
    if (*f & SVC_DT_OFFERED)
        return;
    *f |= SVC_DT_OFFERED;
    d->noffered++;
    if (d->offered_series == UINT32_MAX) {
        const char *v[3] = {s->config.images[d->image].id, "offered", NULL};
        d->offered_series = fs_metrics_series(s->env.metrics, FS_M_UPDATES, v);
    }
    fs_metrics_add(s->env.metrics, d->offered_series, 1);
    fs_sim_record(
        s->env.sim, FS_REC_SVC_OFFER, device,
        (int64_t)(((uint64_t)d->index << 32) | (version & 0xffffffffu)));
}

static void
offer_send(struct fs_svc *s, struct fs_msg *m, uint64_t mask, int64_t delay_us)
{
    m->u.metadata.revoked_signers = mask;
    s->stats.metadata++;
    s->stats.offers += m->u.metadata.nrecords;
    fs_sim_record(
        s->env.sim, FS_REC_SVC_METADATA, m->device,
        (int64_t)(m->u.metadata.nrecords | ((mask & 0xffffffffffffu) << 8)));
    s->env.send(s->env.ctx, m, delay_us);
}

static bool
offer_runs(uint32_t image, uint32_t os, const uint32_t apps[FS_APPS_MAX])
{
    if (image == os)
        return true;
    for (int k = 0; k < FS_APPS_MAX; k++)
        if (apps[k] == image)
            return true;
    return false;
}

/*
 * A device that confirmed OS image but runs an older OS now fell back (its
 * slot was damaged and secure boot took the other one): it is offered the
 * image again, so that a blocked attack costs it nothing.
 */
static bool
offer_fell_back(const struct fs_svc *s, uint32_t image, uint32_t os)
{
    const struct fs_manifest *m =
        &fs_catalog_manifest(s->env.catalog, image)->m;
    if (m->kind != FS_IMAGE_OS || os == FS_NO_IMAGE)
        return false;
    const struct fs_manifest *run = &fs_catalog_manifest(s->env.catalog, os)->m;
    return run->version_rank < m->version_rank;
}

/*
 * Should d be offered to device now? Marks a target that already runs the
 * image without having been offered it as confirmed (it got there another
 * way); an offered one must confirm by report, after its probation.
 */
static bool
offer_wanted(struct fs_svc *s, struct svc_deploy *d, uint32_t device,
             uint32_t os, const uint32_t apps[FS_APPS_MAX])
{
    uint32_t rank = fs__rollout_rank(d, device);
    if (rank == UINT32_MAX || d->state == SVC_DS_PENDING)
        return false;
    uint8_t f = d->flags[device - d->lo];
    if (offer_runs(d->image, os, apps)) {
        if (!(f & SVC_DT_OFFERED))
            fs__rollout_confirmed(d, device, fs_sim_now_us(s->env.sim));
        return false;
    }
    if (d->state != SVC_DS_RUNNING || d->wave == 0 ||
        rank >= d->bound[d->wave - 1])
        return false;
    if ((f & SVC_DT_CONFIRMED) && !offer_fell_back(s, d->image, os))
        return false;
    uint32_t signer = fs_catalog_manifest(s->env.catalog, d->image)->m.signer;
    return !fs_registry_signer_revoked(s, signer) ||
           !fs__svc_defense_on(s, FS_DEF_KEY_REVOCATION);
}

/* METADATA after a passing attestation; see service_int.h. */
void
fs__offer_send(struct fs_svc *s, uint32_t route_device, uint32_t device,
               uint32_t os, const uint32_t apps[FS_APPS_MAX], int64_t delay_us)
{
    uint64_t mask = offer_revoked_mask(s);
    if (s->ndeploys == 0 && mask == 0)
        return;
    const struct fs_svc_cohort *co = fs__svc_cohort_of(s, device);
    if (fs__registry_dev(s, device) == NULL || co == NULL)
        return;
    uint32_t cohort = (uint32_t)(co - s->config.cohorts);
    struct fs_msg *m = NULL;
    bool sent = false;
    for (uint32_t i = 0; i < s->ndeploys; i++) {
        struct svc_deploy *d = s->deploys[i];
        if (!offer_wanted(s, d, device, os, apps))
            continue;
        uint32_t slot = d->slot_of_cohort[cohort];
        FS_ASSERT(slot < d->nslots);
        const struct fs_update_record *rec = offer_record(s, d, slot, co);
        if (m == NULL) {
            m = fs_msgpool_get(s->env.pool);
            m->kind = FS_MSG_METADATA;
            m->device = route_device;
        }
        uint8_t k = m->u.metadata.nrecords++;
        m->u.metadata.records[k] = *rec;
        m->u.metadata.images[k] =
            *fs_catalog_manifest(s->env.catalog, d->image);
        offer_count(s, d, device, rec->version);
        if (m->u.metadata.nrecords == FS_RECORDS_PER_MSG) {
            offer_send(s, m, mask, delay_us);
            m = NULL;
            sent = true;
        }
    }
    if (m == NULL && !sent && mask != 0) {
        m = fs_msgpool_get(s->env.pool);
        m->kind = FS_MSG_METADATA;
        m->device = route_device;
    }
    if (m != NULL)
        offer_send(s, m, mask, delay_us);
}
