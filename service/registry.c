/*
 * service/registry.c - the registry of trust: devices and signers.
 *
 * Owns: registering devices (key, product, group), revoking devices and
 * catalog signers, and finding a device's registry entry.
 * Invariants: the registry is one array indexed by device id, sized at
 * create (service/svc.c); registration happens once per device;
 * revocations only add and are canonical records.
 * Does not: allocate, or check evidence or certificates.
 */
#include <string.h>

#include "fleetsim/err.h"
#include "fleetsim/sim.h"

#include "service_int.h"

/* Register a device at manufacture; see registry.h. */
int
fs_registry_add(struct fs_svc *s, uint32_t device, const unsigned char pk[32],
                uint32_t product, uint32_t group)
{
    if (device >= s->ndevs || product >= s->config.nproducts ||
        group >= s->config.ngroups || product > UINT16_MAX ||
        group > UINT16_MAX)
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

/* The registry entry of a registered device, or NULL. */
struct svc_dev *
fs__registry_dev(struct fs_svc *s, uint32_t device)
{
    if (device >= s->ndevs)
        return NULL;
    struct svc_dev *d = &s->devs[device];
    return (d->flags & SVC_DEV_REGISTERED) ? d : NULL;
}

/* Revoke a registered device; see registry.h. */
int
fs_registry_revoke_device(struct fs_svc *s, uint32_t device)
{
    struct svc_dev *d = fs__registry_dev(s, device);
    if (d == NULL)
        return FS_ENOENT;
    d->flags |= SVC_DEV_REVOKED;
    d->flags &= (uint8_t)~SVC_DEV_NONCE_LIVE;
    fs_sim_record(s->env.sim, FS_REC_SVC_REVOKE_DEVICE, device, 0);
    return 0;
}

/* Stop trusting a catalog signer (revoke_key); see registry.h. */
int
fs_registry_revoke_signer(struct fs_svc *s, const char *name)
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

/* True when signer sg was revoked. */
bool
fs_registry_signer_revoked(const struct fs_svc *s, uint32_t sg)
{
    return sg < s->nsigners && s->signer_revoked[sg] != 0;
}
