/*
 * service/attack_hooks.c - the service as seen from outside the fleet:
 * requests from senders that are not fleet devices.
 *
 * Owns: routing an outside sender's answers back to that sender, and
 * signing uploads made in a vendor signer's name.
 * Invariants: fs_svc_receive_from restores env->send before returning.
 * Does not: decide anything about a request: rate limit, challenge,
 * verdict and the answer's wait in the backlog (service/svc.c) are
 * fs_svc_receive's own.
 */
#include <string.h>

#include "fleetsim/crypto.h"
#include "fleetsim/err.h"
#include "fleetsim/service.h"
#include "fleetsim/sim.h"

#include "service_int.h"

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

/*
 * An upload in the name of a vendor signer; see service.h. The service's
 * only gate for an image is its vendor signature: a manifest that verifies
 * under a signer it has not revoked gets a record signed like a
 * deployment's (bound to device's product and group, expiring after
 * manifest_lifetime, with the next record version).
 */
int
fs_svc_sign_upload(struct fs_svc *s, const struct fs_signed_manifest *sm,
                   uint32_t device, struct fs_update_record *out)
{
    const struct fs_scn_cohort *co = fs_scn_cohort_of(s->env.scn, device);
    if (co == NULL || sm->m.signer >= fs_catalog_signers(s->env.catalog))
        return FS_EINVAL;
    unsigned char enc[FS_MANIFEST_BYTES];
    fs_manifest_encode(&sm->m, enc);
    const unsigned char *pk =
        fs_catalog_signer_pk(s->env.catalog, sm->m.signer);
    if (fs_catalog_verify(s->env.catalog, pk, enc, sizeof(enc), sm->sig) != 0)
        return FS_EBADSIG;
    if (fs_svc_signer_revoked(s, sm->m.signer))
        return FS_ELIMIT;
    int64_t now = fs_sim_now_us(s->env.sim);
    memset(out, 0, sizeof(*out));
    out->deployment = UINT32_MAX;
    out->product = co->product->index;
    out->group = co->group->index;
    out->version = ++s->record_version;
    out->expires_us = now + s->cfg.manifest_lifetime_us;
    out->target = sm->m;
    unsigned char buf[FS_RECORD_BYTES];
    size_t n = fs_update_record_encode(out, buf);
    fs_crypto_sign(s->env.sim, out->sig, buf, n,
                   fs_catalog_signer_sk(s->env.catalog, FS_SIGNER_UPDATE));
    s->stats.records_signed++;
    fs_sim_record(s->env.sim, FS_REC_SVC_RECORD_SIGN, UINT32_MAX,
                  (int64_t)out->version);
    return 0;
}
