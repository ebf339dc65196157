/*
 * device/keystore.c - the Pluton-like keystore of each device.
 *
 * Owns: the device key pair (generated here at manufacture from the
 * device's FS_RNG_KEYS stream), the measurement registers, the
 * anti-rollback counters and the set of trusted signers; the caller gate
 * and the firewall{...} counters.
 * Invariants: no function returns or copies the secret key; only
 * FS_KS_MONITOR gets past the gate; counters never decrease.
 * Does not: decide what a boot stage does with a result (device/boot.c).
 */
#include <string.h>

#include <sodium.h>

#include "fleetsim/crypto.h"
#include "fleetsim/device.h"
#include "fleetsim/err.h"
#include "fleetsim/metrics.h"
#include "fleetsim/rng.h"

#include "device_int.h"

/* Generate device id's key pair inside its keystore. */
void
fs__dev_keystore_manufacture(struct fs_fleet *f, uint32_t id)
{
    struct fs_dev *d = &f->devs[id];
    struct fs_rng r;
    unsigned char seed[crypto_sign_SEEDBYTES];
    unsigned char pk[crypto_sign_PUBLICKEYBYTES];
    fs_rng_seed(&r, f->seed, id, FS_RNG_KEYS);
    fs_rng_bytes(&r, seed, sizeof(seed));
    fs_crypto_keygen(f->env.sim, pk, d->sk, seed);
    sodium_memzero(seed, sizeof(seed));
}

/* Count one firewall check of kind k; blocked checks are also recorded. */
void
fs__dev_fw_count(struct fs_fleet *f, uint32_t id, enum fs_fw_kind k,
                 bool allowed)
{
    fs_metrics_add(f->env.metrics, f->fw_series[k][allowed ? 0 : 1], 1);
    if (!allowed)
        fs__dev_record(f, FS_REC_DEV_FW_BLOCKED, id, k);
}

static int
gate(struct fs_fleet *f, uint32_t id, enum fs_ks_caller caller)
{
    FS_ASSERT(id < f->ndevs);
    bool ok = caller == FS_KS_MONITOR;
    fs__dev_fw_count(f, id, FS_FW_KEYSTORE, ok);
    return ok ? 0 : FS_EINVAL;
}

/* Sign msg with the device key. Returns 0 or FS_EINVAL (not the monitor). */
int
fs_keystore_sign(struct fs_fleet *f, uint32_t device, enum fs_ks_caller caller,
                 const unsigned char *msg, size_t msg_len,
                 unsigned char sig[FS_SIG_BYTES])
{
    int err = gate(f, device, caller);
    if (err != 0)
        return err;
    fs_crypto_sign(f->env.sim, sig, msg, msg_len, f->devs[device].sk);
    return 0;
}

/* Copy the public key. Returns 0 or FS_EINVAL (not the monitor). */
int
fs_keystore_public_key(struct fs_fleet *f, uint32_t device,
                       enum fs_ks_caller caller,
                       unsigned char pk[FS_KEY_PUB_BYTES])
{
    int err = gate(f, device, caller);
    if (err != 0)
        return err;
    memcpy(pk, f->devs[device].sk + 32, FS_KEY_PUB_BYTES);
    return 0;
}

/* Zero both registers. Returns 0 or FS_EINVAL (not the monitor). */
int
fs_keystore_reset_pcrs(struct fs_fleet *f, uint32_t device,
                       enum fs_ks_caller caller)
{
    int err = gate(f, device, caller);
    if (err != 0)
        return err;
    memset(f->devs[device].pcr, 0, sizeof(f->devs[device].pcr));
    return 0;
}

/* Extend register pcr with value. Returns 0 or FS_EINVAL. */
int
fs_keystore_extend(struct fs_fleet *f, uint32_t device,
                   enum fs_ks_caller caller, unsigned pcr,
                   const unsigned char value[FS_HASH_BYTES])
{
    if (pcr > 1)
        return FS_EINVAL;
    int err = gate(f, device, caller);
    if (err != 0)
        return err;
    fs_measure_extend(f->devs[device].pcr[pcr], value);
    return 0;
}

/* Read register pcr. Returns 0 or FS_EINVAL. */
int
fs_keystore_read_pcr(struct fs_fleet *f, uint32_t device,
                     enum fs_ks_caller caller, unsigned pcr,
                     unsigned char out[FS_HASH_BYTES])
{
    if (pcr > 1)
        return FS_EINVAL;
    int err = gate(f, device, caller);
    if (err != 0)
        return err;
    memcpy(out, f->devs[device].pcr[pcr], FS_HASH_BYTES);
    return 0;
}

/* Read an anti-rollback counter. Returns 0 or FS_EINVAL. */
int
fs_keystore_counter(struct fs_fleet *f, uint32_t device,
                    enum fs_ks_caller caller, enum fs_ks_counter which,
                    uint32_t *out)
{
    if ((unsigned)which > FS_KS_COUNTER_APP)
        return FS_EINVAL;
    int err = gate(f, device, caller);
    if (err != 0)
        return err;
    *out = f->devs[device].counter[which];
    return 0;
}

/* Raise a counter (monotonic). Returns 0 or FS_EINVAL. */
int
fs_keystore_raise_counter(struct fs_fleet *f, uint32_t device,
                          enum fs_ks_caller caller, enum fs_ks_counter which,
                          uint32_t value)
{
    if ((unsigned)which > FS_KS_COUNTER_APP)
        return FS_EINVAL;
    int err = gate(f, device, caller);
    if (err != 0)
        return err;
    uint32_t *c = &f->devs[device].counter[which];
    if (value > *c)
        *c = value;
    return 0;
}

/* Is signer trusted? Signers beyond the keystore's 64 never are. */
int
fs_keystore_trusts(struct fs_fleet *f, uint32_t device,
                   enum fs_ks_caller caller, uint32_t signer, bool *out)
{
    int err = gate(f, device, caller);
    if (err != 0)
        return err;
    *out = signer < 64 && (f->devs[device].trusted >> signer & 1u);
    return 0;
}

/* Trust or distrust signer. Returns 0, FS_EINVAL or FS_ELIMIT (>= 64). */
int
fs_keystore_set_trust(struct fs_fleet *f, uint32_t device,
                      enum fs_ks_caller caller, uint32_t signer, bool on)
{
    if (signer >= 64)
        return FS_ELIMIT;
    int err = gate(f, device, caller);
    if (err != 0)
        return err;
    if (on)
        f->devs[device].trusted |= 1ull << signer;
    else
        f->devs[device].trusted &= ~(1ull << signer);
    return 0;
}
