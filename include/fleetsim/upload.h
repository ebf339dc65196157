/*
 * include/fleetsim/upload.h - the service's vendor upload interface.
 *
 * Owns: signing an update record for an image uploaded in the name of a
 * vendor signer (whoever holds that signer's key).
 * Invariants: the only gate is the vendor signature: a manifest that
 * verifies under a signer the service has not revoked (with key_revocation
 * off, any signer) gets a record.
 * Does not: deploy the image (no waves, no offers).
 */
#ifndef FLEETSIM_UPLOAD_H
#define FLEETSIM_UPLOAD_H

#include <stdint.h>

#include "fleetsim/image.h"
#include "fleetsim/msg.h"

struct fs_svc;

/*
 * An upload of sm in the name of its signer, as a vendor (or whoever holds
 * the vendor's key) makes one: when sm verifies under a catalog signer the
 * service has not revoked (any signer when the key_revocation defence is
 * off: the service does not act on revocation), write to out a record for
 * sm bound to device's
 * product and group (deployment UINT32_MAX, the next record version,
 * expiring after manifest_lifetime), signed with the update-service key.
 * Returns 0, FS_EBADSIG (sm does not verify), FS_ELIMIT (its signer is
 * revoked, key_revocation on) or FS_EINVAL (unknown device or signer).
 */
int fs_upload_sign(struct fs_svc *s, const struct fs_signed_manifest *sm,
                   uint32_t device, struct fs_update_record *out);

#endif
