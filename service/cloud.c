/*
 * service/cloud.c - the product cloud: the relying party for telemetry.
 *
 * Owns: checking the certificate a device presents (CA signature, expiry,
 * subject, revocation) with the per-device memo of the last certificate
 * whose CA signature verified, the wear drift detector, and tickets.
 * Invariants: a certificate is accepted only after its exact bytes and
 * signature verified once under the CA key; at most one ticket per device
 * and reason; the detector uses integer arithmetic only, so it is
 * identical on every machine.
 * Does not: reply to telemetry, or see anything the device did not send.
 */
#include <string.h>

#include <sodium.h>

#include "fleetsim/crypto.h"
#include "fleetsim/metrics.h"
#include "fleetsim/sim.h"

#include "service_int.h"

/* One drift-detector step; see cloud.h. */
bool
fs_cloud_drift_step(int32_t *ewma_milli, uint16_t *samples, int32_t value_milli)
{
    int64_t e = *ewma_milli;
    e += ((int64_t)value_milli - e) / (1 << FS_CLOUD_DRIFT_SHIFT);
    *ewma_milli = (int32_t)e;
    if (*samples < UINT16_MAX)
        (*samples)++;
    if (*samples < FS_CLOUD_DRIFT_MIN_SAMPLES)
        return false;
    int64_t dev = e - FS_CLOUD_DRIFT_NOMINAL_MILLI;
    return dev > FS_CLOUD_DRIFT_LIMIT_MILLI ||
           dev < -FS_CLOUD_DRIFT_LIMIT_MILLI;
}

/* Keyed 64-bit tag of a certificate's bytes and signature (never 0). */
static uint64_t
cloud_cert_tag(const struct fs_svc *s, const struct fs_cert *c)
{
    unsigned char buf[FS_CERT_BYTES];
    size_t n = fs_cert_encode(c, buf);
    crypto_generichash_state st;
    unsigned char h[8];
    crypto_generichash_init(&st, s->tag_key, sizeof(s->tag_key), sizeof(h));
    crypto_generichash_update(&st, buf, n);
    crypto_generichash_update(&st, c->sig, FS_SIG_BYTES);
    crypto_generichash_final(&st, h, sizeof(h));
    uint64_t t = 0;
    for (int i = 0; i < 8; i++)
        t |= (uint64_t)h[i] << (8 * i);
    return t ? t : 1;
}

/* The certificate check with the memo of the sender's last good cert. */
static enum fs_cert_result
cloud_check(struct fs_svc *s, const struct fs_cert *c, uint32_t sender)
{
    struct svc_dev *d = fs__registry_dev(s, sender);
    int64_t now = fs_sim_now_us(s->env.sim);
    if (d == NULL)
        return fs_cert_check(fs_crypto_kind_of(s->env.sim), c, s->ca_pk, sender,
                             NULL, false, now);
    uint64_t tag = cloud_cert_tag(s, c);
    if (tag != d->cert_tag) {
        unsigned char buf[FS_CERT_BYTES];
        size_t n = fs_cert_encode(c, buf);
        if (fs_crypto_verify(s->env.sim, c->sig, buf, n, s->ca_pk) != 0)
            return FS_CERT_BAD_SIGNATURE;
        d->cert_tag = tag;
    }
    if (c->not_after_us < now)
        return FS_CERT_EXPIRED;
    if (c->device != sender ||
        sodium_memcmp(c->pk, d->pk, FS_KEY_PUB_BYTES) != 0)
        return FS_CERT_WRONG_SUBJECT;
    if (d->flags & SVC_DEV_REVOKED)
        return FS_CERT_REVOKED;
    return FS_CERT_OK;
}

/* Start the check cloud_check will make of c; see service.h. */
void
fs_svc_prefetch_cert(struct fs_svc *s, uint32_t device, const struct fs_cert *c,
                     int64_t due_us)
{
    struct svc_dev *d = fs__registry_dev(s, device);
    if (d == NULL || !fs_crypto_ahead(s->env.sim) ||
        cloud_cert_tag(s, c) == d->cert_tag)
        return;
    unsigned char buf[FS_CERT_BYTES];
    size_t n = fs_cert_encode(c, buf);
    fs_crypto_prefetch_verify(s->env.sim, c->sig, buf, n, s->ca_pk, due_us);
}

/* Series tickets{reason=part}, found by name among those used so far. */
static uint32_t
cloud_ticket_series(struct fs_svc *s, const char *part)
{
    for (uint32_t i = 0; i < s->nticket_series; i++)
        if (strcmp(s->ticket_series[i].part, part) == 0)
            return s->ticket_series[i].series;
    const char *v[1] = {part};
    uint32_t series = fs_metrics_series(s->env.metrics, FS_M_TICKETS, v);
    if (s->nticket_series < s->cap_ticket_series) {
        s->ticket_series[s->nticket_series].part = part;
        s->ticket_series[s->nticket_series].series = series;
        s->nticket_series++;
    }
    return series;
}

static void
cloud_ticket(struct fs_svc *s, uint32_t device, struct svc_dev *d, uint8_t part)
{
    uint32_t bit = 1u << (part < 31 ? part : 31);
    if (d->tickets & bit)
        return;
    d->tickets |= bit;
    const struct fs_svc_cohort *co = fs__svc_cohort_of(s, device);
    const char *name = "unknown";
    if (co != NULL && part < co->nparts)
        name = co->parts[part];
    s->stats.tickets++;
    fs_metrics_add(s->env.metrics, cloud_ticket_series(s, name), 1);
    fs_sim_record(s->env.sim, FS_REC_SVC_TICKET, device, part);
}

/* Handle TELEMETRY: certificate check, drift, tickets; owns m. */
void
fs__cloud_receive(struct fs_svc *s, struct fs_msg *m)
{
    uint32_t sender = m->device;
    enum fs_cert_result r = cloud_check(s, &m->u.telemetry.cert, sender);
    s->stats.telemetry[r]++;
    fs_sim_record(s->env.sim, FS_REC_SVC_TELEMETRY, sender, (int64_t)r);
    if (r == FS_CERT_OK) {
        struct svc_dev *d = fs__registry_dev(s, sender);
        if (fs_cloud_drift_step(&d->ewma_milli, &d->samples,
                                m->u.telemetry.value_milli))
            cloud_ticket(s, sender, d, m->u.telemetry.part);
    }
    fs_msgpool_put(s->env.pool, m);
}
