/*
 * service/svc.c - the security service object and message dispatch.
 *
 * Owns: creating and destroying struct fs_svc (registry arrays, CA key,
 * caches, deployment tables, download sessions) from its configuration,
 * the settings in effect, the check-in rate limit and its front door
 * (unknown ids answered before any work), the capacity for
 * attestation work and the FIFO backlog of work answers, the HELLO ->
 * CHALLENGE exchange, dispatching device messages (and those of senders
 * outside the fleet), and the config lookups (cohort of a device, defence
 * switches).
 * Invariants: the registry is one array indexed by device id, sized at
 * create; the rate limit counts HELLOs per whole simulated second; every
 * work answer (CHALLENGE, CERT, REJECTED) leaves through fs__svc_send_work,
 * so it waits in the backlog, and only when the capacity of its second is
 * used up; every received message is handed on or returned to the pool
 * exactly once.
 * Does not: register or revoke (registry.c), verify evidence (attest.c),
 * sign or check certificates (cert.c, cloud.c), count reports (errrep.c),
 * run deployments (rollout.c, offer.c), serve downloads (download.c), sign
 * uploads (upload.c) or touch SQLite (store.c).
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
        s->devs[d].ewma_milli = FS_CLOUD_DRIFT_NOMINAL_MILLI;
        s->devs[d].last_result = SVC_RESULT_NONE;
        s->devs[d].last_os = SVC_OS_NONE;
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
    uint32_t nparts = 1;
    for (uint32_t c = 0; c < s->config.ncohorts; c++)
        nparts += s->config.cohorts[c].nparts;
    s->cap_ticket_series = nparts;
    s->ticket_series = fs_xcalloc(nparts, sizeof(*s->ticket_series));
}

/* Create the service; see service.h. */
int
fs_svc_create(const struct fs_svc_env *env, const struct fs_svc_config *cfg,
              struct fs_svc **out)
{
    if (env == NULL || cfg == NULL || env->sim == NULL ||
        env->catalog == NULL || env->metrics == NULL || env->pool == NULL ||
        env->send == NULL)
        return FS_EINVAL;
    uint64_t ndevs = cfg->ndevices;
    if (ndevs >= UINT32_MAX || sodium_init() < 0)
        return FS_EINVAL;
    struct fs_svc *s = fs_xcalloc(1, sizeof(*s));
    s->env = *env;
    s->config = *cfg;
    s->settings = cfg->settings;
    s->ndevs = (uint32_t)ndevs;
    s->nsigners = fs_catalog_signers(env->catalog);
    s->nimages = fs_catalog_images(env->catalog);
    s->next_serial = 1;
    s->rate_second = -1;
    fs__svc_load_init(&s->load, s);
    for (int r = 0; r < FS_ATT_COUNT; r++)
        s->att_series[r] = UINT32_MAX;
    s->cert_series[0] = s->cert_series[1] = UINT32_MAX;
    fs_rng_seed(&s->rng, fs_sim_seed(env->sim), UINT32_MAX, FS_RNG_KEYS);
    unsigned char seed[32];
    svc_derive(s, "fleetsim-service-ca", seed);
    fs_crypto_keygen(env->sim, s->ca_pk, s->ca_sk, seed);
    svc_derive(s, "fleetsim-service-cert-tag", seed);
    memcpy(s->tag_key, seed, sizeof(s->tag_key));
    svc_derive(s, "fleetsim-service-nonce", seed);
    memcpy(s->nonce_key, seed, sizeof(s->nonce_key));
    sodium_memzero(seed, sizeof(seed));
    svc_alloc_tables(s);
    fs__rollout_init(s);
    fs__offer_init(s);
    fs__download_init(s);
    *out = s;
    return 0;
}

/* Destroy s and wipe its secrets; NULL is a no-op. */
void
fs_svc_destroy(struct fs_svc *s)
{
    if (s == NULL)
        return;
    sodium_memzero(s->ca_sk, sizeof(s->ca_sk));
    sodium_memzero(s->tag_key, sizeof(s->tag_key));
    fs__download_fini(s);
    fs__offer_fini(s);
    fs__rollout_fini(s);
    fs_free(s->ticket_series);
    fs_free(s->errrep);
    fs_free(s->meas);
    fs_free(s->signer_revoked_us);
    fs_free(s->signer_revoked);
    fs_free(s->devs);
    fs_free(s);
}

/* Apply a settings change; may start queued downloads. */
void
fs_svc_set_service(struct fs_svc *s, const struct fs_service_config *changes)
{
    uint32_t g = changes->given;
    fs_service_config_apply(&s->settings, changes);
    fs_sim_record(s->env.sim, FS_REC_SVC_SET_SERVICE, 0, (int64_t)g);
    if (g & ((1u << FS_SVC_MAX_DOWNLOADS) | (1u << FS_SVC_EGRESS)))
        fs__download_drain(s);
}

/*
 * True when this HELLO is over the check-in rate limit. Only HELLOs that
 * claim a registered id count against the limit (the genuine budget) when
 * the defence is on; unknown ids were answered at the door before.
 */
static bool
svc_rate_limited(struct fs_svc *s)
{
    int64_t second = fs_sim_now_us(s->env.sim) / 1000000;
    if (second != s->rate_second) {
        s->rate_second = second;
        s->rate_count = 0;
    }
    s->rate_count++;
    if (s->settings.checkin_rate_limit_per_s == 0 ||
        !fs__svc_defense_on(s, FS_DEF_CHECKIN_RATE_LIMIT))
        return false;
    return s->rate_count > s->settings.checkin_rate_limit_per_s;
}

/*
 * checkin_rate_limit's front door: a HELLO claiming an id the registry
 * does not know is answered at once with REJECTED (unknown_device), which
 * costs no challenge, no signature work and no place in the backlog, and
 * never counts against the genuine budget. With the defence off there is
 * no door: every HELLO gets a challenge (attestation work).
 */
static bool
svc_door_unknown(struct fs_svc *s, struct fs_msg *m)
{
    uint32_t device = m->device;
    if (!fs__svc_defense_on(s, FS_DEF_CHECKIN_RATE_LIMIT) ||
        fs__registry_dev(s, device) != NULL)
        return false;
    s->stats.door_unknown++;
    s->stats.attest[FS_ATT_UNKNOWN_DEVICE]++;
    fs_sim_record(s->env.sim, FS_REC_SVC_ATTEST, device,
                  (int64_t)FS_ATT_UNKNOWN_DEVICE);
    fs_metrics_add(s->env.metrics, fs__svc_att_series(s, FS_ATT_UNKNOWN_DEVICE),
                   1);
    m->kind = FS_MSG_REJECTED;
    m->u.rejected = (uint8_t)FS_ATT_UNKNOWN_DEVICE;
    s->env.send(s->env.ctx, m, 0);
    return true;
}

static void
svc_hello(struct fs_svc *s, struct fs_msg *m)
{
    s->stats.hellos++;
    uint32_t device = m->device;
    memset(&m->u, 0, sizeof(m->u));
    if (svc_door_unknown(s, m))
        return;
    if (svc_rate_limited(s)) {
        s->stats.refused++;
        fs_sim_record(s->env.sim, FS_REC_SVC_REFUSED, device,
                      (int64_t)s->rate_count);
        m->kind = FS_MSG_REFUSED;
        s->env.send(s->env.ctx, m, 0);
        return;
    }
    fs__attest_challenge(s, device, m->u.nonce);
    m->kind = FS_MSG_CHALLENGE;
    (void)fs__svc_send_work(s, m);
}

/* ---- capacity: see service.h ---- */

/* Answers per second: 8 x the fleet within a minute, at least the floor. */
uint64_t
fs_svc_answers_per_s(const struct fs_svc *s)
{
    uint64_t per_s = (uint64_t)s->ndevs * 8 / 60;
    return per_s < FS_SVC_ANSWERS_MIN_PER_S ? FS_SVC_ANSWERS_MIN_PER_S : per_s;
}

/* Start an empty backlog at s's capacity. */
void
fs__svc_load_init(struct svc_load *ld, const struct fs_svc *s)
{
    ld->second = -1;
    ld->used = 0;
    ld->per_s = fs_svc_answers_per_s(s);
}

/* Place one answer in the backlog; returns its wait. */
int64_t
fs__svc_load_wait_us(struct svc_load *ld, int64_t at_us)
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

/* The wait of a work answer produced now (probe only). */
int64_t
fs_svc_backlog_us(const struct fs_svc *s)
{
    struct svc_load probe = s->load;
    return fs__svc_load_wait_us(&probe, fs_sim_now_us(s->env.sim));
}

/* Send a work answer after its wait in the backlog. */
int64_t
fs__svc_send_work(struct fs_svc *s, struct fs_msg *m)
{
    FS_ASSERT(m->kind == FS_MSG_CHALLENGE || m->kind == FS_MSG_CERT ||
              m->kind == FS_MSG_REJECTED);
    int64_t wait_us = fs__svc_load_wait_us(&s->load, fs_sim_now_us(s->env.sim));
    if (wait_us > 0)
        s->stats.answers_queued++;
    s->env.send(s->env.ctx, m, wait_us);
    return wait_us;
}

/* Take a device message; see service.h. */
void
fs_svc_receive(struct fs_svc *s, struct fs_msg *m)
{
    switch (m->kind) {
    case FS_MSG_HELLO:
        svc_hello(s, m);
        break;
    case FS_MSG_EVIDENCE:
        fs__attest_receive(s, m);
        break;
    case FS_MSG_TELEMETRY:
        fs__cloud_receive(s, m);
        break;
    case FS_MSG_DOWNLOAD_REQ:
        fs__download_request(s, m);
        break;
    case FS_MSG_DOWNLOAD_END:
        fs__download_end(s, m);
        break;
    default:
        /* Not a device->service message: drop it. */
        fs_msgpool_put(s->env.pool, m);
        break;
    }
}

/* fs_svc_receive with the answer routed to reply; see service.h. */
void
fs_svc_receive_from(struct fs_svc *s, struct fs_msg *m,
                    void (*reply)(void *ctx, struct fs_msg *m,
                                  int64_t delay_us),
                    void *ctx)
{
    void (*send)(void *, struct fs_msg *, int64_t) = s->env.send;
    void *send_ctx = s->env.ctx;
    s->env.send = reply;
    s->env.ctx = ctx;
    fs_svc_receive(s, m);
    s->env.send = send;
    s->env.ctx = send_ctx;
}

/* Series attestations{result, reason} of verdict r. */
uint32_t
fs__svc_att_series(struct fs_svc *s, enum fs_attest_reason r)
{
    FS_ASSERT((unsigned)r < FS_ATT_COUNT);
    if (s->att_series[r] == UINT32_MAX) {
        const char *v[2] = {r == FS_ATT_OK ? "pass" : "fail",
                            r == FS_ATT_OK ? NULL
                                           : fs_msg_attest_reason_name(r)};
        s->att_series[r] =
            fs_metrics_series(s->env.metrics, FS_M_ATTESTATIONS, v);
    }
    return s->att_series[r];
}

/* Series certificates{result} issued or rejected. */
uint32_t
fs__svc_cert_series(struct fs_svc *s, bool issued)
{
    uint32_t *slot = &s->cert_series[issued ? 0 : 1];
    if (*slot == UINT32_MAX) {
        const char *v[1] = {issued ? "issued" : "rejected"};
        *slot = fs_metrics_series(s->env.metrics, FS_M_CERTIFICATES, v);
    }
    return *slot;
}

/* Bytes of registry state per device. */
size_t
fs_svc_bytes_per_device(void)
{
    return sizeof(struct svc_dev);
}

/* Bytes of memory the service holds. */
size_t
fs_svc_bytes(const struct fs_svc *s)
{
    return sizeof(*s) + (size_t)s->ndevs * sizeof(*s->devs) +
           (size_t)(s->nsigners + 1) * (1 + sizeof(int64_t)) +
           SVC_MEAS_CACHE * sizeof(*s->meas) +
           ((size_t)s->nimages + 1) * FS_REP_COUNT * sizeof(*s->errrep) +
           (size_t)s->cap_ticket_series * sizeof(*s->ticket_series) +
           fs__rollout_bytes(s) + fs__download_bytes(s) +
           (size_t)s->catrec_cap * sizeof(*s->catrecs);
}

/* The config cohort of device: binary search over first_device. */
const struct fs_svc_cohort *
fs__svc_cohort_of(const struct fs_svc *s, uint64_t device)
{
    const struct fs_svc_config *cfg = &s->config;
    if (device >= cfg->ndevices || cfg->ncohorts == 0)
        return NULL;
    uint32_t lo = 0;
    uint32_t hi = cfg->ncohorts;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (cfg->cohorts[mid].first_device <= device)
            lo = mid;
        else
            hi = mid;
    }
    return &cfg->cohorts[lo];
}

/* True when defence d is on in the config's defence set. */
bool
fs__svc_defense_on(const struct fs_svc *s, enum fs_defense d)
{
    return fs_defense_on(s->config.defenses, d);
}

/* Copy the decision counters. */
void
fs_svc_stats(const struct fs_svc *s, struct fs_svc_stats *out)
{
    *out = s->stats;
}

static bool
svc_dev_ok(const struct svc_dev *d, const struct fs_svc_config *cfg)
{
    if (d->flags & (uint8_t)~SVC_DEV_FLAGS_ALL)
        return false;
    if (!(d->flags & SVC_DEV_REGISTERED))
        return d->flags == 0 && d->cert_serial == 0;
    if (d->product >= cfg->nproducts || d->group >= cfg->ngroups)
        return false;
    if ((d->flags & SVC_DEV_NONCE_LIVE) && d->nonce_expiry_us <= 0)
        return false;
    return d->last_result == SVC_RESULT_NONE || d->last_result < FS_ATT_COUNT;
}

/* Consistency of registry, counters, deployments, sessions. */
bool
fs_svc_check(const struct fs_svc *s)
{
    uint32_t registered = 0;
    uint64_t max_serial = 0;
    for (uint32_t d = 0; d < s->ndevs; d++) {
        if (!svc_dev_ok(&s->devs[d], &s->config))
            return false;
        registered += (s->devs[d].flags & SVC_DEV_REGISTERED) != 0;
        if (s->devs[d].cert_serial > max_serial)
            max_serial = s->devs[d].cert_serial;
    }
    if (registered != s->nregistered || max_serial >= s->next_serial)
        return false;
    if (s->stats.certs_issued != s->next_serial - 1)
        return false;
    if (s->stats.refused + s->stats.door_unknown > s->stats.hellos ||
        s->stats.hellos - s->stats.refused - s->stats.door_unknown >
            s->stats.challenges)
        return false;
    if (s->stats.door_unknown > s->stats.attest[FS_ATT_UNKNOWN_DEVICE])
        return false;
    if (s->nticket_series > s->cap_ticket_series)
        return false;
    if (s->load.per_s != fs_svc_answers_per_s(s) ||
        s->load.used > s->load.per_s)
        return false;
    return fs__rollout_check(s) && fs__download_check(s);
}
