/*
 * service/cert.c - the service's certificate authority.
 *
 * Owns: signing device certificates with the CA key (serials one by one),
 * the pure relying-party check of a certificate, and the CA public key.
 * Invariants: serials increase by one from 1; a certificate is issued only
 * to a registered device; fs_cert_check always really verifies the CA
 * signature (the product cloud's memo is cloud.c's).
 * Does not: decide who gets a certificate (attest.c does, after a passing
 * attestation), or allocate.
 */
#include <string.h>

#include <sodium.h>

#include "fleetsim/crypto.h"
#include "fleetsim/err.h"
#include "fleetsim/sim.h"

#include "service_int.h"

/* The certificate the service issues registered device d at now_us. */
static void
cert_fill(const struct fs_svc *s, uint32_t device, const struct svc_dev *d,
          int64_t now_us, struct fs_cert *c)
{
    memset(c, 0, sizeof(*c));
    c->device = device;
    memcpy(c->pk, d->pk, FS_KEY_PUB_BYTES);
    c->not_after_us = now_us + s->settings.cert_lifetime_us;
    c->serial = s->next_serial;
}

/* Start the signature of the next certificate ahead; see service.h. */
void
fs_svc_prefetch_issue(struct fs_svc *s, uint32_t device, int64_t arrive_us)
{
    struct svc_dev *d = fs__registry_dev(s, device);
    if (d == NULL || !fs_crypto_ahead(s->env.sim))
        return;
    struct fs_cert c;
    cert_fill(s, device, d, arrive_us, &c);
    unsigned char buf[FS_CERT_BYTES];
    size_t n = fs_cert_encode(&c, buf);
    fs_crypto_prefetch_sign(s->env.sim, buf, n, s->ca_sk, false, arrive_us);
}

/* Sign a certificate for device; see service_int.h. */
int
fs__cert_issue(struct fs_svc *s, uint32_t device, struct fs_cert *out,
               struct fs_crypto_job **pending)
{
    struct svc_dev *d = fs__registry_dev(s, device);
    if (d == NULL)
        return FS_EINVAL;
    struct fs_cert *c = out;
    cert_fill(s, device, d, fs_sim_now_us(s->env.sim), c);
    s->next_serial++;
    unsigned char buf[FS_CERT_BYTES];
    size_t n = fs_cert_encode(c, buf);
    fs_crypto_sign_deferred(s->env.sim, c->sig, buf, n, s->ca_sk, false,
                            pending);
    d->cert_serial = c->serial;
    d->cert_not_after_us = c->not_after_us;
    s->stats.certs_issued++;
    fs_sim_record(s->env.sim, FS_REC_SVC_CERT, device, (int64_t)c->serial);
    return 0;
}

/* The relying party's pure check; see cert.h. */
enum fs_cert_result
fs_cert_check(enum fs_crypto_kind crypto, const struct fs_cert *c,
              const unsigned char ca_pk[FS_KEY_PUB_BYTES], uint32_t sender,
              const unsigned char *registered_pk, bool revoked, int64_t now_us)
{
    unsigned char buf[FS_CERT_BYTES];
    size_t n = fs_cert_encode(c, buf);
    if (fs_crypto_plain_verify(crypto, c->sig, buf, n, ca_pk) != 0)
        return FS_CERT_BAD_SIGNATURE;
    if (c->not_after_us < now_us)
        return FS_CERT_EXPIRED;
    if (registered_pk == NULL || c->device != sender ||
        sodium_memcmp(c->pk, registered_pk, FS_KEY_PUB_BYTES) != 0)
        return FS_CERT_WRONG_SUBJECT;
    if (revoked)
        return FS_CERT_REVOKED;
    return FS_CERT_OK;
}

/* Name of a check result; see cert.h. */
const char *
fs_cert_result_name(enum fs_cert_result r)
{
    static const char *const names[FS_CERT_COUNT] = {
        "ok", "bad_signature", "expired", "wrong_subject", "revoked"};
    return (unsigned)r < FS_CERT_COUNT ? names[r] : "unknown";
}

/* The CA public key; see cert.h. */
const unsigned char *
fs_cert_ca_pk(const struct fs_svc *s)
{
    return s->ca_pk;
}
