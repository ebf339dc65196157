/*
 * device/keystore.c - the Pluton-like keystore of each device.
 *
 * Owns: struct fs_keystore, the keystores of one fleet: per device the key
 * pair (generated here at manufacture from the device's FS_RNG_KEYS
 * stream), the measurement registers, the anti-rollback counters and the
 * trusted signers per image kind; the caller gate and its firewall{kind=
 * "keystore"} counters.
 * Invariants: the state below is private to this file; no function
 * returns or copies the secret key (only the public half leaves, through
 * fs_keystore_public_key and fs_keystore_peek_public_key); only
 * FS_KS_MONITOR gets past the gate; counters never decrease.
 * Does not: decide what a boot stage does with a result (device/boot.c).
 */
#include <string.h>

#include <sodium.h>

#include "fleetsim/crypto.h"
#include "fleetsim/err.h"
#include "fleetsim/keystore.h"
#include "fleetsim/mem.h"
#include "fleetsim/metrics.h"
#include "fleetsim/rng.h"

#include "device_int.h"

/* One device's keystore. */
struct ks_chip {
    unsigned char sk[FS_KEY_SEC_BYTES];  /* secret || public */
    unsigned char pcr[2][FS_HASH_BYTES]; /* boot, apps */
    uint64_t trusted[2];                 /* per enum fs_image_kind: bit s =
                                            signer s is trusted for
                                            images of that kind */
    uint32_t counter[2];                 /* anti-rollback, per kind */
};

struct fs_keystore {
    struct fs_sim *sim;         /* records, crypto counters */
    struct fs_metrics *metrics; /* the gate's counters */
    uint32_t series[2];         /* firewall{keystore, allowed|blocked} */
    uint32_t n;                 /* devices */
    struct ks_chip *chips;      /* one per device id */
};

/*
 * The keystores of n devices, all empty until manufactured; the gate
 * counts into the two firewall series given.
 */
struct fs_keystore *
fs__keystore_create(struct fs_sim *sim, uint32_t ndevs, uint32_t series_allowed,
                    uint32_t series_blocked, struct fs_metrics *metrics)
{
    struct fs_keystore *ks = fs_xcalloc(1, sizeof(*ks));
    ks->sim = sim;
    ks->metrics = metrics;
    ks->series[0] = series_allowed;
    ks->series[1] = series_blocked;
    ks->n = ndevs;
    ks->chips = fs_xcalloc(ndevs ? ndevs : 1, sizeof(*ks->chips));
    return ks;
}

/* Wipe every secret and free the keystores; NULL is a no-op. */
void
fs__keystore_destroy(struct fs_keystore *ks)
{
    if (ks == NULL)
        return;
    for (uint32_t id = 0; id < ks->n; id++)
        sodium_memzero(ks->chips[id].sk, sizeof(ks->chips[id].sk));
    fs_free(ks->chips);
    fs_free(ks);
}

/* Bytes the keystores hold. */
size_t
fs__keystore_bytes(const struct fs_keystore *ks)
{
    return sizeof(*ks) + (size_t)ks->n * sizeof(struct ks_chip);
}

/* Bytes of one device's keystore. */
size_t
fs__keystore_device_bytes(void)
{
    return sizeof(struct ks_chip);
}

/*
 * Manufacture device id's keystore: generate its key pair inside it (from
 * its FS_RNG_KEYS stream under seed), trust the signers of trusted_os for
 * OS images and those of trusted_app for apps, and set the counters.
 */
void
fs__keystore_manufacture(struct fs_keystore *ks, uint32_t id, uint64_t seed,
                         uint64_t trusted_os, uint64_t trusted_app,
                         uint32_t counter_os, uint32_t counter_app)
{
    FS_ASSERT(id < ks->n);
    struct ks_chip *c = &ks->chips[id];
    struct fs_rng r;
    unsigned char kseed[crypto_sign_SEEDBYTES];
    c->trusted[FS_IMAGE_OS] = trusted_os;
    c->trusted[FS_IMAGE_APP] = trusted_app;
    c->counter[FS_KS_COUNTER_OS] = counter_os;
    c->counter[FS_KS_COUNTER_APP] = counter_app;
    fs_rng_seed(&r, seed, id, FS_RNG_KEYS);
    fs_rng_bytes(&r, kseed, sizeof(kseed));
    fs_crypto_keygen_start(ks->sim, c->sk, kseed);
    sodium_memzero(kseed, sizeof(kseed));
}

static int
gate(struct fs_keystore *ks, uint32_t id, enum fs_ks_caller caller)
{
    FS_ASSERT(id < ks->n);
    bool ok = caller == FS_KS_MONITOR;
    fs_metrics_add(ks->metrics, ks->series[ok ? 0 : 1], 1);
    if (!ok)
        fs_sim_record(ks->sim, FS_REC_DEV_FW_BLOCKED, id, FS_FW_KEYSTORE);
    return ok ? 0 : FS_EINVAL;
}

/* Sign msg with the device key. Returns 0 or FS_EINVAL (not the monitor). */
int
fs_keystore_sign(struct fs_keystore *ks, uint32_t device,
                 enum fs_ks_caller caller, const unsigned char *msg,
                 size_t msg_len, unsigned char sig[FS_SIG_BYTES])
{
    int err = gate(ks, device, caller);
    if (err != 0)
        return err;
    fs_crypto_sign(ks->sim, sig, msg, msg_len, ks->chips[device].sk);
    return 0;
}

/* fs_keystore_sign into a message in flight; see keystore.h. */
int
fs_keystore_sign_deferred(struct fs_keystore *ks, uint32_t device,
                          enum fs_ks_caller caller, const unsigned char *msg,
                          size_t msg_len, unsigned char sig[FS_SIG_BYTES],
                          struct fs_crypto_job **pending)
{
    int err = gate(ks, device, caller);
    if (err != 0)
        return err;
    fs_crypto_sign_deferred(ks->sim, sig, msg, msg_len, ks->chips[device].sk,
                            true, pending);
    return 0;
}

/* Start the signature of msg by device's key ahead; see device_int.h. */
void
fs__keystore_prefetch_sign(struct fs_keystore *ks, uint32_t device,
                           const unsigned char *msg, size_t msg_len,
                           int64_t due_us)
{
    FS_ASSERT(device < ks->n);
    fs_crypto_prefetch_sign(ks->sim, msg, msg_len, ks->chips[device].sk, true,
                            due_us);
}

/* Register pcr of device, without the gate (see device_int.h). */
void
fs__keystore_peek_pcr(const struct fs_keystore *ks, uint32_t device,
                      unsigned pcr, unsigned char out[FS_HASH_BYTES])
{
    FS_ASSERT(device < ks->n && pcr <= 1);
    memcpy(out, ks->chips[device].pcr[pcr], FS_HASH_BYTES);
}

/* The public half of device's key pair, without the gate (not secret). */
void
fs_keystore_peek_public_key(const struct fs_keystore *ks, uint32_t device,
                            unsigned char pk[FS_KEY_PUB_BYTES])
{
    FS_ASSERT(device < ks->n);
    memcpy(pk, ks->chips[device].sk + 32, FS_KEY_PUB_BYTES);
}

/* Copy the public key. Returns 0 or FS_EINVAL (not the monitor). */
int
fs_keystore_public_key(struct fs_keystore *ks, uint32_t device,
                       enum fs_ks_caller caller,
                       unsigned char pk[FS_KEY_PUB_BYTES])
{
    int err = gate(ks, device, caller);
    if (err != 0)
        return err;
    fs_keystore_peek_public_key(ks, device, pk);
    return 0;
}

/* Zero both registers. Returns 0 or FS_EINVAL (not the monitor). */
int
fs_keystore_reset_pcrs(struct fs_keystore *ks, uint32_t device,
                       enum fs_ks_caller caller)
{
    int err = gate(ks, device, caller);
    if (err != 0)
        return err;
    memset(ks->chips[device].pcr, 0, sizeof(ks->chips[device].pcr));
    return 0;
}

/* Extend register pcr with value. Returns 0 or FS_EINVAL. */
int
fs_keystore_extend(struct fs_keystore *ks, uint32_t device,
                   enum fs_ks_caller caller, unsigned pcr,
                   const unsigned char value[FS_HASH_BYTES])
{
    if (pcr > 1)
        return FS_EINVAL;
    int err = gate(ks, device, caller);
    if (err != 0)
        return err;
    fs_measure_extend(ks->chips[device].pcr[pcr], value);
    return 0;
}

/* Read register pcr. Returns 0 or FS_EINVAL. */
int
fs_keystore_read_pcr(struct fs_keystore *ks, uint32_t device,
                     enum fs_ks_caller caller, unsigned pcr,
                     unsigned char out[FS_HASH_BYTES])
{
    if (pcr > 1)
        return FS_EINVAL;
    int err = gate(ks, device, caller);
    if (err != 0)
        return err;
    memcpy(out, ks->chips[device].pcr[pcr], FS_HASH_BYTES);
    return 0;
}

/* Read an anti-rollback counter. Returns 0 or FS_EINVAL. */
int
fs_keystore_counter(struct fs_keystore *ks, uint32_t device,
                    enum fs_ks_caller caller, enum fs_ks_counter which,
                    uint32_t *out)
{
    if ((unsigned)which > FS_KS_COUNTER_APP)
        return FS_EINVAL;
    int err = gate(ks, device, caller);
    if (err != 0)
        return err;
    *out = ks->chips[device].counter[which];
    return 0;
}

/* Anti-rollback counter which of device, without the gate (not secret). */
uint32_t
fs_keystore_peek_counter(const struct fs_keystore *ks, uint32_t device,
                         enum fs_ks_counter which)
{
    FS_ASSERT(device < ks->n);
    FS_ASSERT((unsigned)which <= FS_KS_COUNTER_APP);
    return ks->chips[device].counter[which];
}

/* Raise a counter (monotonic). Returns 0 or FS_EINVAL. */
int
fs_keystore_raise_counter(struct fs_keystore *ks, uint32_t device,
                          enum fs_ks_caller caller, enum fs_ks_counter which,
                          uint32_t value)
{
    if ((unsigned)which > FS_KS_COUNTER_APP)
        return FS_EINVAL;
    int err = gate(ks, device, caller);
    if (err != 0)
        return err;
    uint32_t *c = &ks->chips[device].counter[which];
    if (value > *c)
        *c = value;
    return 0;
}

/*
 * Is signer trusted for images of kind? Signers beyond the keystore's 64
 * never are. Returns 0 or FS_EINVAL (caller, or an unknown kind).
 */
int
fs_keystore_trusts(struct fs_keystore *ks, uint32_t device,
                   enum fs_ks_caller caller, enum fs_image_kind kind,
                   uint32_t signer, bool *out)
{
    if ((unsigned)kind > FS_IMAGE_APP)
        return FS_EINVAL;
    int err = gate(ks, device, caller);
    if (err != 0)
        return err;
    *out = signer < 64 && (ks->chips[device].trusted[kind] >> signer & 1u);
    return 0;
}

/*
 * Trust or distrust signer for images of kind. Returns 0, FS_EINVAL
 * (caller, kind) or FS_ELIMIT (signer >= 64).
 */
int
fs_keystore_set_trust(struct fs_keystore *ks, uint32_t device,
                      enum fs_ks_caller caller, enum fs_image_kind kind,
                      uint32_t signer, bool on)
{
    if (signer >= 64)
        return FS_ELIMIT;
    if ((unsigned)kind > FS_IMAGE_APP)
        return FS_EINVAL;
    int err = gate(ks, device, caller);
    if (err != 0)
        return err;
    if (on)
        ks->chips[device].trusted[kind] |= 1ull << signer;
    else
        ks->chips[device].trusted[kind] &= ~(1ull << signer);
    return 0;
}
