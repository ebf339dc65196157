/*
 * include/fleetsim/crypto.h - the model's signature operations, counted.
 *
 * Owns: the Ed25519 key generation, signing and verification that devices
 * and the service perform per device (evidence, certificates), and struct
 * fs_crypto: the counts of each (and the time inside them, when a
 * benchmark clock is given), which the rollout benchmark turns into the
 * run's crypto floor.
 * Also owns the choice of scheme (--crypto): real Ed25519, or a keyed
 * BLAKE2b stand-in ("model", sim/model/crypto_model.c) that keeps every
 * check's meaning (a wrong key, a changed message, a signature made with
 * another key or garbled fails) at a fraction of the cost.
 * Invariants: every call does one operation of the scheme of the counters
 * attached to the engine's FS_CTX_CRYPTO slot (the run attaches one),
 * counted there, the same count in either scheme; with none attached it is
 * real and uncounted; counts never live in a global or in the engine.
 * Does not: remember results (identical vendor-signature checks go through
 * fs_catalog_verify's memo instead).
 */
#ifndef FLEETSIM_CRYPTO_H
#define FLEETSIM_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

struct fs_sim;

/* The signature scheme of a run (--crypto real|model). */
enum fs_crypto_kind {
    FS_CRYPTO_REAL = 0, /* Ed25519 (libsodium), the default */
    FS_CRYPTO_MODEL     /* keyed BLAKE2b stand-in: the same checks, cheaper */
};

/* "real" or "model". */
const char *fs_crypto_kind_name(enum fs_crypto_kind kind);
/* kind named s ("real", "model"): 0, or FS_EINVAL for anything else. */
int fs_crypto_kind_parse(const char *s, enum fs_crypto_kind *out);

struct fs_crypto_stats {
    uint64_t keygen;    /* key pairs made (crypto_sign_seed_keypair) */
    uint64_t sign;      /* signatures made (crypto_sign_detached) */
    uint64_t verify;    /* checks made (crypto_sign_verify_detached) */
    uint64_t keygen_ns; /* time inside them, when a clock is installed */
    uint64_t sign_ns;   /* ditto */
    uint64_t verify_ns; /* ditto */
};

/*
 * A monotonic clock in nanoseconds, installed only by benchmarks so that
 * they can measure the run's own crypto time (its floor). The model never
 * reads it: its results do not depend on whether one is installed.
 */
typedef uint64_t fs_crypto_clock_fn(void);

/* The counters of one run's signature operations. */
struct fs_crypto;

/*
 * Create zeroed counters that time each operation with bench_ns (NULL: count
 * only). Returns 0, or FS_EINVAL when out is NULL.
 */
int fs_crypto_create(fs_crypto_clock_fn *bench_ns, struct fs_crypto **out);
/* Destroy c (detach it from its engine first); NULL is a no-op. */
void fs_crypto_destroy(struct fs_crypto *c);
/* Make c's operations use kind (FS_CRYPTO_REAL until set); set it before
 * the first operation. */
void fs_crypto_set_kind(struct fs_crypto *c, enum fs_crypto_kind kind);

/*
 * Attach c to sim's FS_CTX_CRYPTO slot so that the operations below on sim
 * count into it; NULL detaches (operations are then not counted).
 */
void fs_crypto_attach(struct fs_sim *sim, struct fs_crypto *c);
/* The counters attached to sim, or NULL. */
struct fs_crypto *fs_crypto_of(const struct fs_sim *sim);
/* The counts so far. */
const struct fs_crypto_stats *fs_crypto_counts(const struct fs_crypto *c);
/* The scheme of the counters attached to sim (FS_CRYPTO_REAL when none). */
enum fs_crypto_kind fs_crypto_kind_of(const struct fs_sim *sim);

/* Counted operations, in the scheme of sim's counters (above). */

/* Key pair from a 32-byte seed (sk holds the public key in sk[32..63]). */
void fs_crypto_keygen(struct fs_sim *sim, unsigned char pk[32],
                      unsigned char sk[64], const unsigned char seed[32]);
/* Detached signature of msg. */
void fs_crypto_sign(struct fs_sim *sim, unsigned char sig[64],
                    const unsigned char *msg, size_t len,
                    const unsigned char sk[64]);
/* Verify a detached signature: 0, or FS_EBADSIG. */
int fs_crypto_verify(struct fs_sim *sim, const unsigned char sig[64],
                     const unsigned char *msg, size_t len,
                     const unsigned char pk[32]);

/*
 * The same operations in scheme kind, not counted: for the signature work
 * that was never part of a run's counts (the vendor catalog's keys and
 * manifests, a relying party's pure certificate check, an attacker's
 * evidence of its own).
 */
void fs_crypto_plain_keygen(enum fs_crypto_kind kind, unsigned char pk[32],
                            unsigned char sk[64], const unsigned char seed[32]);
void fs_crypto_plain_sign(enum fs_crypto_kind kind, unsigned char sig[64],
                          const unsigned char *msg, size_t len,
                          const unsigned char sk[64]);
/* 0, or FS_EBADSIG. */
int fs_crypto_plain_verify(enum fs_crypto_kind kind,
                           const unsigned char sig[64],
                           const unsigned char *msg, size_t len,
                           const unsigned char pk[32]);

#endif
