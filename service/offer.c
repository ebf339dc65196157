/*
 * service/offer.c - update offers: signed records and METADATA messages.
 *
 * Owns: signing the update records of each (deployment, group, product)
 * and the catalog records (every catalog image bound to any (product,
 * group), fs_svc_catalog_record) with the update-service key, refreshing
 * them with a new, higher version when less than half their lifetime is
 * left, and the METADATA a device gets after every check-in in which it
 * proved who it is (its attestation passed, or failed only on what it
 * runs), even when nothing is new: one record per running deployment that
 * holds the device in an open wave and that it does not run yet (or that
 * it confirmed but no longer runs, having fallen back or stopped in
 * recovery), then the catalog record of each image it runs (the OS's only
 * when no OS offer went out; in recovery, the OS it last attested with),
 * the vendor's signed manifests of their images, and the revoked signers.
 * Decisions: a target that failed or rolled back is offered again (retries,
 * default 1): its failure marks its slot's record stale, so the next offer
 * of that slot carries a newly signed record, which the device has no memo
 * of and so tries; once its failures exceed retries the deployment is no
 * longer offered to it (one new signature per slot per batch of failures,
 * not per device).
 * Invariants: record versions come from one service-wide counter and only
 * grow; an unchanged record is sent byte for byte again (so devices verify
 * it from their memo); updates{result="offered"} counts each device once
 * per deployment; with key_revocation on, an image whose signer is revoked
 * is never offered (off, the revoked signers are still listed, but the
 * service offers as if nothing was revoked).
 * Does not: decide waves or halts (rollout.c), or allocate except for
 * messages from the pool, a metric series on its first use, and the
 * catalog record table when it doubles (rare).
 */
#include <string.h>

#include <sodium.h>

#include "fleetsim/crypto.h"
#include "fleetsim/err.h"
#include "fleetsim/mem.h"
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

/*
 * r, signed for (dep, product, group) naming image, or refreshed with the
 * next version once less than half its lifetime is left.
 */
static const struct fs_update_record *
offer_sign(struct fs_svc *s, struct svc_record *r, uint32_t dep,
           uint32_t product, uint32_t group, uint32_t image)
{
    int64_t now = fs_sim_now_us(s->env.sim);
    if (r->rec.version != 0 && !r->stale) {
        int64_t half = (r->rec.expires_us - r->signed_us) / 2;
        if (r->rec.expires_us - now >= half)
            return &r->rec;
    }
    r->stale = false;
    struct fs_update_record *rec = &r->rec;
    memset(rec, 0, sizeof(*rec));
    rec->deployment = dep;
    rec->product = product;
    rec->group = group;
    rec->version = ++s->record_version;
    rec->expires_us = now + s->settings.manifest_lifetime_us;
    rec->target = fs_catalog_manifest(s->env.catalog, image)->m;
    unsigned char buf[FS_RECORD_BYTES];
    size_t n = fs_update_record_encode(rec, buf);
    fs_crypto_sign(s->env.sim, rec->sig, buf, n,
                   fs_catalog_signer_sk(s->env.catalog, FS_SIGNER_UPDATE));
    r->signed_us = now;
    s->stats.records_signed++;
    fs_sim_record(s->env.sim, FS_REC_SVC_RECORD_SIGN, dep,
                  (int64_t)rec->version);
    return rec;
}

/* The record of slot for the cohort co, signed or refreshed as needed. */
static const struct fs_update_record *
offer_record(struct fs_svc *s, struct svc_deploy *d, uint32_t slot,
             const struct fs_svc_cohort *co)
{
    return offer_sign(s, &d->records[slot], d->index, co->product, co->group,
                      d->image);
}

/* ---- catalog records ------------------------------------------------------
 */

#define CATREC_CAP_MIN 64u

/* Empty catalog record table (fs_svc_create). */
void
fs__offer_init(struct fs_svc *s)
{
    s->catrec_cap = CATREC_CAP_MIN;
    s->catrec_used = 0;
    s->catrecs = fs_xmalloc(s->catrec_cap * sizeof(*s->catrecs));
    for (uint32_t i = 0; i < s->catrec_cap; i++)
        s->catrecs[i].image = UINT32_MAX;
}

/* Free the catalog record table. */
void
fs__offer_fini(struct fs_svc *s)
{
    fs_free(s->catrecs);
    s->catrecs = NULL;
    s->catrec_cap = s->catrec_used = 0;
}

static uint32_t
catrec_hash(uint32_t image, uint32_t product, uint32_t group)
{
    uint64_t h = ((uint64_t)image * 0x9E3779B97F4A7C15ull) ^
                 ((uint64_t)product * 0xC2B2AE3D27D4EB4Full) ^
                 ((uint64_t)group * 0x165667B19E3779F9ull);
    return (uint32_t)(h ^ (h >> 29));
}

/* The entry of (image, product, group): found, or empty to fill. */
static struct svc_catrec *
catrec_slot(struct svc_catrec *t, uint32_t cap, uint32_t image,
            uint32_t product, uint32_t group)
{
    uint32_t i = catrec_hash(image, product, group) & (cap - 1);
    for (uint32_t probes = 0; probes < cap; probes++) {
        struct svc_catrec *e = &t[i];
        if (e->image == UINT32_MAX ||
            (e->image == image && e->product == product && e->group == group))
            return e;
        i = (i + 1) & (cap - 1);
    }
    FS_ASSERT(!"catalog record table full");
    return NULL;
}

/* Double the table (rare: once its load passes one half). */
static void
catrec_grow(struct fs_svc *s)
{
    uint32_t cap = s->catrec_cap * 2;
    FS_ASSERT(cap > s->catrec_cap);
    struct svc_catrec *t = fs_xmalloc(cap * sizeof(*t));
    for (uint32_t i = 0; i < cap; i++)
        t[i].image = UINT32_MAX;
    for (uint32_t i = 0; i < s->catrec_cap; i++) {
        const struct svc_catrec *e = &s->catrecs[i];
        if (e->image != UINT32_MAX)
            *catrec_slot(t, cap, e->image, e->product, e->group) = *e;
    }
    fs_free(s->catrecs);
    s->catrecs = t;
    s->catrec_cap = cap;
}

/* Fresh catalog record of image for (product, group); see service.h. */
int
fs_svc_catalog_record(struct fs_svc *s, uint32_t image, uint32_t product,
                      uint32_t group, struct fs_update_record *out)
{
    if (image >= s->nimages || image >= FS_DEP_NONE - FS_DEP_CATALOG ||
        product >= s->config.nproducts || group >= s->config.ngroups)
        return FS_EINVAL;
    uint32_t signer = fs_catalog_manifest(s->env.catalog, image)->m.signer;
    if (fs_registry_signer_revoked(s, signer))
        return FS_ELIMIT;
    if ((s->catrec_used + 1) * 2 > s->catrec_cap)
        catrec_grow(s);
    struct svc_catrec *e =
        catrec_slot(s->catrecs, s->catrec_cap, image, product, group);
    if (e->image == UINT32_MAX) {
        memset(e, 0, sizeof(*e));
        e->image = image;
        e->product = product;
        e->group = group;
        s->catrec_used++;
    }
    *out = *offer_sign(s, &e->r, FS_DEP_CATALOG + image, product, group, image);
    return 0;
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
    if (d->noffered == d->cfg.halt_min_devices)
        fs__rollout_check_halt(d); /* its rates are judged from now on */
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
    if (m->kind != FS_IMAGE_OS)
        return false;
    if (os == FS_NO_IMAGE)
        return true; /* recovery: no OS runs at all */
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
    if (!(f & SVC_DT_CONFIRMED) && d->fails[device - d->lo] > d->cfg.retries)
        return false; /* retries spent: no more offers of d */
    uint32_t signer = fs_catalog_manifest(s->env.catalog, d->image)->m.signer;
    return !fs_registry_signer_revoked(s, signer) ||
           !fs__svc_defense_on(s, FS_DEF_KEY_REVOCATION);
}

/* Put rec and image's manifest in m (a fresh METADATA when *m is NULL);
   a full message leaves at once. */
static void
offer_put(struct fs_svc *s, struct fs_msg **m, uint32_t route_device,
          const struct fs_update_record *rec, uint32_t image, uint64_t mask,
          int64_t delay_us)
{
    if (*m == NULL) {
        *m = fs_msgpool_get(s->env.pool);
        (*m)->kind = FS_MSG_METADATA;
        (*m)->device = route_device;
    }
    uint8_t k = (*m)->u.metadata.nrecords++;
    (*m)->u.metadata.records[k] = *rec;
    (*m)->u.metadata.images[k] = *fs_catalog_manifest(s->env.catalog, image);
    if ((*m)->u.metadata.nrecords == FS_RECORDS_PER_MSG) {
        offer_send(s, *m, mask, delay_us);
        *m = NULL;
    }
}

/* The catalog record of a running image, unless an offer of its kind
   (OS) went out already or the service vouches for it no more. */
static void
offer_running(struct fs_svc *s, struct fs_msg **m, uint32_t route_device,
              const struct fs_svc_cohort *co, uint32_t image, uint64_t mask,
              int64_t delay_us)
{
    struct fs_update_record rec;
    if (image == FS_NO_IMAGE || image >= s->nimages ||
        fs_svc_catalog_record(s, image, co->product, co->group, &rec) != 0)
        return;
    offer_put(s, m, route_device, &rec, image, mask, delay_us);
}

/* METADATA after a passing attestation; see service_int.h. */
void
fs__offer_send(struct fs_svc *s, uint32_t route_device, uint32_t device,
               uint32_t os, const uint32_t apps[FS_APPS_MAX], int64_t delay_us)
{
    uint64_t mask = offer_revoked_mask(s);
    const struct fs_svc_cohort *co = fs__svc_cohort_of(s, device);
    if (fs__registry_dev(s, device) == NULL || co == NULL)
        return;
    uint32_t cohort = (uint32_t)(co - s->config.cohorts);
    struct fs_msg *m = NULL;
    uint64_t sent_before = s->stats.metadata;
    bool os_offered = false;
    for (uint32_t i = 0; i < s->ndeploys; i++) {
        struct svc_deploy *d = s->deploys[i];
        if (!offer_wanted(s, d, device, os, apps))
            continue;
        uint32_t slot = d->slot_of_cohort[cohort];
        FS_ASSERT(slot < d->nslots);
        const struct fs_update_record *rec = offer_record(s, d, slot, co);
        os_offered =
            os_offered || s->config.images[d->image].kind == FS_IMAGE_OS;
        offer_put(s, &m, route_device, rec, d->image, mask, delay_us);
        offer_count(s, d, device, rec->version);
    }
    /* What the device should keep running: the fresh record of each
       running image (the service always serves its current metadata). */
    if (!os_offered) {
        uint32_t last = fs__registry_dev(s, device)->last_os;
        uint32_t keep = os != FS_NO_IMAGE     ? os
                        : last != SVC_OS_NONE ? last
                                              : FS_NO_IMAGE;
        offer_running(s, &m, route_device, co, keep, mask, delay_us);
    }
    for (int k = 0; k < FS_APPS_MAX; k++)
        offer_running(s, &m, route_device, co, apps[k], mask, delay_us);
    if (m == NULL && s->stats.metadata != sent_before)
        return;
    if (m == NULL) {
        m = fs_msgpool_get(s->env.pool);
        m->kind = FS_MSG_METADATA;
        m->device = route_device;
    }
    offer_send(s, m, mask, delay_us);
}
