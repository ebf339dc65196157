/*
 * service/svc.c - the security service's registry and message dispatch.
 *
 * Owns: creating and destroying struct fs_svc (registry, CA key, caches,
 * deployments, download sessions), device registration and revocation,
 * signer revocation, the settings in effect, the check-in rate limit, the
 * capacity for attestation work and the FIFO backlog of work answers, the
 * HELLO -> CHALLENGE exchange and dispatching device messages.
 * Invariants: the registry is one array indexed by device id, sized at
 * create; the rate limit counts HELLOs per whole simulated second; every
 * work answer (CHALLENGE, CERT, REJECTED) leaves through fs_svc_send_work,
 * so it waits in the backlog, and only when the capacity of its second is
 * used up; every received message is handed on or returned to the pool
 * exactly once.
 * Does not: verify evidence (attest.c), check certificates (cloud.c),
 * count reports (errrep.c), run deployments (rollout.c, offer.c), serve
 * downloads (download.c) or touch SQLite (store.c).
 */
#include <string.h>

#include <sodium.h>

#include "fleetsim/crypto.h"
#include "fleetsim/err.h"
#include "fleetsim/mem.h"
#include "fleetsim/metrics.h"
#include "fleetsim/sim.h"

#include "service_int.h"

#define US_PER_S INT64_C(1000000)

/* Derive 32 bytes for purpose from the service stream, domain separated. */
static void
svc_derive(struct fs_svc *s, const char *purpose, unsigned char out[32])
{
    unsigned char raw[32];
    fs_rng_bytes(&s->rng, raw, sizeof(raw));
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    crypto_generichash_update(&st, (const unsigned char *)purpose,
                              strlen(purpose) + 1);
    crypto_generichash_update(&st, raw, sizeof(raw));
    crypto_generichash_final(&st, out, 32);
    sodium_memzero(raw, sizeof(raw));
}

static void
svc_alloc_tables(struct fs_svc *s)
{
    s->devs = fs_xcalloc(s->ndevs ? s->ndevs : 1, sizeof(*s->devs));
    for (uint32_t d = 0; d < s->ndevs; d++) {
        s->devs[d].last_attest_us = -1;
        s->devs[d].cert_not_after_us = -1;
        s->devs[d].ewma_milli = FS_SVC_DRIFT_NOMINAL_MILLI;
        s->devs[d].last_result = SVC_RESULT_NONE;
    }
    s->signer_revoked = fs_xcalloc(s->nsigners + 1, 1);
    s->signer_revoked_us = fs_xcalloc(s->nsigners + 1, sizeof(int64_t));
    for (uint32_t i = 0; i < s->nsigners; i++)
        s->signer_revoked_us[i] = -1;
    s->meas = fs_xcalloc(SVC_MEAS_CACHE, sizeof(*s->meas));
    size_t nrep = ((size_t)s->nimages + 1) * FS_REP_COUNT;
    s->errrep = fs_xcalloc(nrep, sizeof(*s->errrep));
    for (size_t i = 0; i < nrep; i++) {
        s->errrep[i].first_us = -1;
        s->errrep[i].last_us = -1;
        s->errrep[i].series = UINT32_MAX;
    }
    const struct fs_scn *scn = s->env.scn;
    uint32_t nparts = 1;
    for (uint32_t c = 0; c < scn->ncohorts; c++)
        nparts += scn->cohorts[c].nwear;
    s->cap_ticket_series = nparts;
    s->ticket_series = fs_xcalloc(nparts, sizeof(*s->ticket_series));
}

int
fs_svc_create(const struct fs_svc_env *env, struct fs_svc **out)
{
    if (env == NULL || env->sim == NULL || env->scn == NULL ||
        env->catalog == NULL || env->metrics == NULL || env->pool == NULL ||
        env->send == NULL)
        return FS_EINVAL;
    uint64_t ndevs = fs_scn_device_count(env->scn);
    if (ndevs >= UINT32_MAX || sodium_init() < 0)
        return FS_EINVAL;
    struct fs_svc *s = fs_xcalloc(1, sizeof(*s));
    s->env = *env;
    s->cfg = env->scn->service;
    s->ndevs = (uint32_t)ndevs;
    s->nsigners = fs_catalog_signers(env->catalog);
    s->nimages = fs_catalog_images(env->catalog);
    s->next_serial = 1;
    s->rate_second = -1;
    fs_svc_load_init(&s->load, s);
    for (int r = 0; r < FS_ATT_COUNT; r++)
        s->att_series[r] = UINT32_MAX;
    s->cert_series[0] = s->cert_series[1] = UINT32_MAX;
    fs_rng_seed(&s->rng, fs_sim_seed(env->sim), UINT32_MAX, FS_RNG_KEYS);
    unsigned char seed[32];
    svc_derive(s, "fleetsim-service-ca", seed);
    fs_crypto_keygen(env->sim, s->ca_pk, s->ca_sk, seed);
    svc_derive(s, "fleetsim-service-cert-tag", seed);
    memcpy(s->tag_key, seed, sizeof(s->tag_key));
    sodium_memzero(seed, sizeof(seed));
    svc_alloc_tables(s);
    fs_rollout_init(s);
    fs_dl_init(s);
    *out = s;
    return 0;
}

void
fs_svc_destroy(struct fs_svc *s)
{
    if (s == NULL)
        return;
    sodium_memzero(s->ca_sk, sizeof(s->ca_sk));
    sodium_memzero(s->tag_key, sizeof(s->tag_key));
    fs_dl_fini(s);
    fs_rollout_fini(s);
    fs_free(s->ticket_series);
    fs_free(s->errrep);
    fs_free(s->meas);
    fs_free(s->signer_revoked_us);
    fs_free(s->signer_revoked);
    fs_free(s->devs);
    fs_free(s);
}

int
fs_svc_register(struct fs_svc *s, uint32_t device, const unsigned char pk[32],
                uint32_t product, uint32_t group)
{
    const struct fs_scn *scn = s->env.scn;
    if (device >= s->ndevs || product >= scn->nproducts ||
        group >= scn->ngroups || product > UINT16_MAX || group > UINT16_MAX)
        return FS_EINVAL;
    struct svc_dev *d = &s->devs[device];
    if (d->flags & SVC_DEV_REGISTERED)
        return FS_EINVAL;
    memcpy(d->pk, pk, FS_KEY_PUB_BYTES);
    d->product = (uint16_t)product;
    d->group = (uint16_t)group;
    d->flags = SVC_DEV_REGISTERED;
    s->nregistered++;
    return 0;
}

struct svc_dev *
fs_svc_dev(struct fs_svc *s, uint32_t device)
{
    if (device >= s->ndevs)
        return NULL;
    struct svc_dev *d = &s->devs[device];
    return (d->flags & SVC_DEV_REGISTERED) ? d : NULL;
}

int
fs_svc_revoke_device(struct fs_svc *s, uint32_t device)
{
    struct svc_dev *d = fs_svc_dev(s, device);
    if (d == NULL)
        return FS_ENOENT;
    d->flags |= SVC_DEV_REVOKED;
    d->flags &= (uint8_t)~SVC_DEV_NONCE_LIVE;
    fs_sim_record(s->env.sim, FS_REC_SVC_REVOKE_DEVICE, device, 0);
    return 0;
}

int
fs_svc_revoke_signer(struct fs_svc *s, const char *name)
{
    uint32_t sg = fs_catalog_signer_find(s->env.catalog, name);
    if (sg == UINT32_MAX || sg >= s->nsigners)
        return FS_ENOENT;
    if (s->signer_revoked[sg])
        return 0;
    s->signer_revoked[sg] = 1;
    s->signer_revoked_us[sg] = fs_sim_now_us(s->env.sim);
    fs_sim_record(s->env.sim, FS_REC_SVC_REVOKE_SIGNER, sg, 0);
    return 0;
}

bool
fs_svc_signer_revoked(const struct fs_svc *s, uint32_t sg)
{
    return sg < s->nsigners && s->signer_revoked[sg] != 0;
}

void
fs_svc_set_service(struct fs_svc *s, const struct fs_service_config *changes)
{
    uint32_t g = changes->given;
    fs_service_config_apply(&s->cfg, changes);
    fs_sim_record(s->env.sim, FS_REC_SVC_SET_SERVICE, 0, (int64_t)g);
    if (g & ((1u << FS_SVC_MAX_DOWNLOADS) | (1u << FS_SVC_EGRESS)))
        fs_dl_drain(s);
}

/* True when this HELLO is over the check-in rate limit. */
static bool
svc_rate_limited(struct fs_svc *s)
{
    int64_t second = fs_sim_now_us(s->env.sim) / 1000000;
    if (second != s->rate_second) {
        s->rate_second = second;
        s->rate_count = 0;
    }
    s->rate_count++;
    if (s->cfg.checkin_rate_limit_per_s == 0 ||
        !fs_scn_defense_on(s->env.scn, FS_DEF_CHECKIN_RATE_LIMIT))
        return false;
    return s->rate_count > s->cfg.checkin_rate_limit_per_s;
}

static void
svc_hello(struct fs_svc *s, struct fs_msg *m)
{
    s->stats.hellos++;
    uint32_t device = m->device;
    memset(&m->u, 0, sizeof(m->u));
    if (svc_rate_limited(s)) {
        s->stats.refused++;
        fs_sim_record(s->env.sim, FS_REC_SVC_REFUSED, device,
                      (int64_t)s->rate_count);
        m->kind = FS_MSG_REFUSED;
        s->env.send(s->env.ctx, m, 0);
        return;
    }
    fs_attest_challenge(s, device, m->u.nonce);
    m->kind = FS_MSG_CHALLENGE;
    (void)fs_svc_send_work(s, m);
}

/* ---- capacity: see service.h ---- */

/* Answers per second: 8 x the fleet within a minute, at least the floor. */
uint64_t
fs_svc_answers_per_s(const struct fs_svc *s)
{
    uint64_t per_s = (uint64_t)s->ndevs * 8 / 60;
    return per_s < FS_SVC_ANSWERS_MIN_PER_S ? FS_SVC_ANSWERS_MIN_PER_S : per_s;
}

void
fs_svc_load_init(struct fs_svc_load *ld, const struct fs_svc *s)
{
    ld->second = -1;
    ld->used = 0;
    ld->per_s = fs_svc_answers_per_s(s);
}

int64_t
fs_svc_load_wait_us(struct fs_svc_load *ld, int64_t at_us)
{
    FS_ASSERT(ld->per_s > 0);
    FS_ASSERT(at_us >= 0);
    int64_t sec = at_us / US_PER_S;
    if (ld->second < sec) {
        ld->second = sec;
        ld->used = 0;
    }
    if (ld->used >= ld->per_s) {
        ld->second++;
        ld->used = 0;
    }
    uint64_t idx = ld->used++;
    if (ld->second == sec)
        return 0; /* this second still has room: no backlog */
    int64_t start_us =
        ld->second * US_PER_S + (int64_t)(idx * (uint64_t)US_PER_S / ld->per_s);
    return start_us > at_us ? start_us - at_us : 0;
}

int64_t
fs_svc_backlog_us(const struct fs_svc *s)
{
    struct fs_svc_load probe = s->load;
    return fs_svc_load_wait_us(&probe, fs_sim_now_us(s->env.sim));
}

int64_t
fs_svc_send_work(struct fs_svc *s, struct fs_msg *m)
{
    FS_ASSERT(m->kind == FS_MSG_CHALLENGE || m->kind == FS_MSG_CERT ||
              m->kind == FS_MSG_REJECTED);
    int64_t wait_us = fs_svc_load_wait_us(&s->load, fs_sim_now_us(s->env.sim));
    if (wait_us > 0)
        s->stats.answers_queued++;
    s->env.send(s->env.ctx, m, wait_us);
    return wait_us;
}

void
fs_svc_receive(struct fs_svc *s, struct fs_msg *m)
{
    switch (m->kind) {
    case FS_MSG_HELLO:
        svc_hello(s, m);
        break;
    case FS_MSG_EVIDENCE:
        fs_attest_receive(s, m);
        break;
    case FS_MSG_TELEMETRY:
        fs_cloud_receive(s, m);
        break;
    case FS_MSG_DOWNLOAD_REQ:
        fs_dl_request(s, m);
        break;
    case FS_MSG_DOWNLOAD_END:
        fs_dl_end(s, m);
        break;
    default:
        /* Not a device->service message: drop it. */
        fs_msgpool_put(s->env.pool, m);
        break;
    }
}

uint32_t
fs_svc_att_series(struct fs_svc *s, enum fs_attest_reason r)
{
    FS_ASSERT((unsigned)r < FS_ATT_COUNT);
    if (s->att_series[r] == UINT32_MAX) {
        const char *v[2] = {r == FS_ATT_OK ? "pass" : "fail",
                            r == FS_ATT_OK ? NULL : fs_attest_reason_name(r)};
        s->att_series[r] =
            fs_metrics_series(s->env.metrics, FS_M_ATTESTATIONS, v);
    }
    return s->att_series[r];
}

uint32_t
fs_svc_cert_series(struct fs_svc *s, bool issued)
{
    uint32_t *slot = &s->cert_series[issued ? 0 : 1];
    if (*slot == UINT32_MAX) {
        const char *v[1] = {issued ? "issued" : "rejected"};
        *slot = fs_metrics_series(s->env.metrics, FS_M_CERTIFICATES, v);
    }
    return *slot;
}

size_t
fs_svc_bytes_per_device(void)
{
    return sizeof(struct svc_dev);
}

size_t
fs_svc_bytes(const struct fs_svc *s)
{
    return sizeof(*s) + (size_t)s->ndevs * sizeof(*s->devs) +
           (size_t)(s->nsigners + 1) * (1 + sizeof(int64_t)) +
           SVC_MEAS_CACHE * sizeof(*s->meas) +
           ((size_t)s->nimages + 1) * FS_REP_COUNT * sizeof(*s->errrep) +
           (size_t)s->cap_ticket_series * sizeof(*s->ticket_series) +
           fs_rollout_bytes(s) + fs_dl_bytes(s);
}

void
fs_svc_stats(const struct fs_svc *s, struct fs_svc_stats *out)
{
    *out = s->stats;
}

const unsigned char *
fs_svc_ca_pk(const struct fs_svc *s)
{
    return s->ca_pk;
}

static bool
svc_dev_ok(const struct svc_dev *d, const struct fs_scn *scn)
{
    if (d->flags & (uint8_t)~SVC_DEV_FLAGS_ALL)
        return false;
    if (!(d->flags & SVC_DEV_REGISTERED))
        return d->flags == 0 && d->cert_serial == 0;
    if (d->product >= scn->nproducts || d->group >= scn->ngroups)
        return false;
    if ((d->flags & SVC_DEV_NONCE_LIVE) && d->nonce_expiry_us <= 0)
        return false;
    return d->last_result == SVC_RESULT_NONE || d->last_result < FS_ATT_COUNT;
}

bool
fs_svc_check(const struct fs_svc *s)
{
    uint32_t registered = 0;
    uint64_t max_serial = 0;
    for (uint32_t d = 0; d < s->ndevs; d++) {
        if (!svc_dev_ok(&s->devs[d], s->env.scn))
            return false;
        registered += (s->devs[d].flags & SVC_DEV_REGISTERED) != 0;
        if (s->devs[d].cert_serial > max_serial)
            max_serial = s->devs[d].cert_serial;
    }
    if (registered != s->nregistered || max_serial >= s->next_serial)
        return false;
    if (s->stats.certs_issued != s->next_serial - 1)
        return false;
    if (s->stats.refused > s->stats.hellos ||
        s->stats.hellos - s->stats.refused > s->stats.challenges)
        return false;
    if (s->nticket_series > s->cap_ticket_series)
        return false;
    if (s->load.per_s != fs_svc_answers_per_s(s) ||
        s->load.used > s->load.per_s)
        return false;
    return fs_rollout_check(s) && fs_dl_check(s);
}
