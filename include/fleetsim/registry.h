/*
 * include/fleetsim/registry.h - the service's registry of trust: devices
 * and signers.
 *
 * Owns: registering devices at manufacture (id -> public key, product,
 * group), revoking devices, and revoking catalog signers (revoke_key).
 * Invariants: a device is registered at most once and never unregistered;
 * revocation only ever adds; every revocation is a canonical record.
 * Does not: check evidence (attest.h) or certificates (cert.h), or decide
 * what revocation means to an offer (rollout.h).
 */
#ifndef FLEETSIM_REGISTRY_H
#define FLEETSIM_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

struct fs_svc;

/*
 * Register device at manufacture with its public key, product and group
 * indexes. Returns 0, or FS_EINVAL when device is outside the fleet or
 * already registered, or an index is out of range.
 */
int fs_registry_add(struct fs_svc *s, uint32_t device,
                    const unsigned char pk[32], uint32_t product,
                    uint32_t group);

/*
 * Revoke a registered device: it fails attestation and cert checks.
 * Returns 0 or FS_ENOENT for an unregistered device.
 */
int fs_registry_revoke_device(struct fs_svc *s, uint32_t device);

/*
 * Stop trusting the signer called name (revoke_key). Returns 0, or
 * FS_ENOENT when the catalog has no such signer. Revoking twice is a no-op.
 */
int fs_registry_revoke_signer(struct fs_svc *s, const char *name);
/* True when signer index sg was revoked. */
bool fs_registry_signer_revoked(const struct fs_svc *s, uint32_t sg);

#endif
