/*
 * include/fleetsim/keystore.h - the Pluton-like keystore of every device.
 *
 * Owns: struct fs_keystore, the keystores of one fleet (reached with
 * fs_fleet_keystore): per device its key pair, its two measurement
 * registers, its anti-rollback counters and its trusted signers per image
 * kind; the caller gate in front of them.
 * Invariants: the secret key is generated inside the keystore and no
 * function returns or copies it; only FS_KS_MONITOR gets past the gate;
 * counters never decrease.
 * Does not: decide what a boot stage or an install does with a result
 * (boot.h, update.h).
 */
#ifndef FLEETSIM_KEYSTORE_H
#define FLEETSIM_KEYSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetsim/image.h"

struct fs_keystore;

/* Who calls the keystore; only the security monitor is let through. */
enum fs_ks_caller { FS_KS_MONITOR = 0, FS_KS_OS, FS_KS_APP };

/* Image kinds of the anti-rollback counters. */
enum fs_ks_counter { FS_KS_COUNTER_OS = 0, FS_KS_COUNTER_APP };

/*
 * Each call below checks the caller: anything but FS_KS_MONITOR is
 * refused with FS_EINVAL, counted firewall{kind="keystore",
 * result="blocked"} and recorded; allowed calls count result="allowed".
 */

/* Sign msg with device's key into sig (Ed25519, detached). */
int fs_keystore_sign(struct fs_keystore *ks, uint32_t device,
                     enum fs_ks_caller caller, const unsigned char *msg,
                     size_t msg_len, unsigned char sig[FS_SIG_BYTES]);
/*
 * fs_keystore_sign for a message about to be sent: sig is filled in when
 * fs_crypto_settle(pending) runs (the runner does so on delivery), and the
 * service's check of it may be started at once (fleetsim/crypto.h).
 */
struct fs_crypto_job;
int fs_keystore_sign_deferred(struct fs_keystore *ks, uint32_t device,
                              enum fs_ks_caller caller,
                              const unsigned char *msg, size_t msg_len,
                              unsigned char sig[FS_SIG_BYTES],
                              struct fs_crypto_job **pending);
/* Copy device's public key into pk. */
int fs_keystore_public_key(struct fs_keystore *ks, uint32_t device,
                           enum fs_ks_caller caller,
                           unsigned char pk[FS_KEY_PUB_BYTES]);
/* Reset both measurement registers to zero (start of a boot). */
int fs_keystore_reset_pcrs(struct fs_keystore *ks, uint32_t device,
                           enum fs_ks_caller caller);
/* Extend register pcr (0 boot, 1 apps) with value. */
int fs_keystore_extend(struct fs_keystore *ks, uint32_t device,
                       enum fs_ks_caller caller, unsigned pcr,
                       const unsigned char value[FS_HASH_BYTES]);
/* Read register pcr (0 boot, 1 apps) into out. */
int fs_keystore_read_pcr(struct fs_keystore *ks, uint32_t device,
                         enum fs_ks_caller caller, unsigned pcr,
                         unsigned char out[FS_HASH_BYTES]);
/* Read counter which into *out. */
int fs_keystore_counter(struct fs_keystore *ks, uint32_t device,
                        enum fs_ks_caller caller, enum fs_ks_counter which,
                        uint32_t *out);
/* Raise counter which to value (never lowers; lower values are ignored). */
int fs_keystore_raise_counter(struct fs_keystore *ks, uint32_t device,
                              enum fs_ks_caller caller,
                              enum fs_ks_counter which, uint32_t value);
/*
 * Write to *out whether catalog signer s is trusted for images of kind.
 * A device trusts the platform key for OS images only, and for apps only
 * the signers of its own product's app images (set at manufacture).
 */
int fs_keystore_trusts(struct fs_keystore *ks, uint32_t device,
                       enum fs_ks_caller caller, enum fs_image_kind kind,
                       uint32_t signer, bool *out);
/* Trust (on) or distrust (off) catalog signer s for images of kind. */
int fs_keystore_set_trust(struct fs_keystore *ks, uint32_t device,
                          enum fs_ks_caller caller, enum fs_image_kind kind,
                          uint32_t signer, bool on);

/*
 * Ungated reads of what is not secret, for the device's own records and
 * reports (nothing counted): the public key, and counter which.
 */
void fs_keystore_peek_public_key(const struct fs_keystore *ks, uint32_t device,
                                 unsigned char pk[FS_KEY_PUB_BYTES]);
uint32_t fs_keystore_peek_counter(const struct fs_keystore *ks, uint32_t device,
                                  enum fs_ks_counter which);

#endif
