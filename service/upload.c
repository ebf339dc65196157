/*
 * service/upload.c - the vendor upload interface.
 *
 * Owns: signing an update record for an image uploaded in a vendor
 * signer's name (fs_upload_sign).
 * Invariants: the only gate is the vendor signature under a signer the
 * service has not revoked (with key_revocation off, revocation is not
 * acted on: a revoked signer's uploads are signed too); records take the
 * next version of the one service-wide counter (shared with offer.c).
 * Does not: deploy, offer or send anything.
 */
#include <string.h>

#include "fleetsim/crypto.h"
#include "fleetsim/err.h"
#include "fleetsim/sim.h"

#include "service_int.h"

/*
 * An upload in the name of a vendor signer; see upload.h. The service's
 * only gate for an image is its vendor signature: a manifest that verifies
 * under a signer it has not revoked (or any signer, with key_revocation
 * off) gets a record signed like a
 * deployment's (bound to device's product and group, expiring after
 * manifest_lifetime, with the next record version).
 */
int
fs_upload_sign(struct fs_svc *s, const struct fs_signed_manifest *sm,
               uint32_t device, struct fs_update_record *out)
{
    const struct fs_svc_cohort *co = fs__svc_cohort_of(s, device);
    if (co == NULL || sm->m.signer >= fs_catalog_signers(s->env.catalog))
        return FS_EINVAL;
    unsigned char enc[FS_MANIFEST_BYTES];
    fs_manifest_encode(&sm->m, enc);
    const unsigned char *pk =
        fs_catalog_signer_pk(s->env.catalog, sm->m.signer);
    if (fs_catalog_verify(s->env.catalog, pk, enc, sizeof(enc), sm->sig) != 0)
        return FS_EBADSIG;
    if (fs_registry_signer_revoked(s, sm->m.signer) &&
        fs__svc_defense_on(s, FS_DEF_KEY_REVOCATION))
        return FS_ELIMIT;
    int64_t now = fs_sim_now_us(s->env.sim);
    memset(out, 0, sizeof(*out));
    out->deployment = UINT32_MAX;
    out->product = co->product;
    out->group = co->group;
    out->version = ++s->record_version;
    out->expires_us = now + s->settings.manifest_lifetime_us;
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
