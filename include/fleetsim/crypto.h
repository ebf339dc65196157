/*
 * include/fleetsim/crypto.h - the model's signature operations, counted.
 *
 * Owns: the Ed25519 key generation, signing and verification that devices
 * and the service perform per device (evidence, certificates), and struct
 * fs_crypto: the counts of each (and the time inside them, when a
 * benchmark clock is given), which the rollout benchmark turns into the
 * run's crypto floor.
 * Invariants: every call does the real libsodium operation, counted when a
 * struct fs_crypto is attached to the engine's FS_CTX_CRYPTO slot (the run
 * attaches one); counts never live in a global or in the engine.
 * Does not: remember results (identical vendor-signature checks go through
 * fs_catalog_verify's memo instead).
 */
#ifndef FLEETSIM_CRYPTO_H
#define FLEETSIM_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

struct fs_sim;

struct fs_crypto_stats {
    uint64_t keygen;    /* crypto_sign_seed_keypair calls */
    uint64_t sign;      /* crypto_sign_detached calls */
    uint64_t verify;    /* crypto_sign_verify_detached calls */
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

/*
 * Attach c to sim's FS_CTX_CRYPTO slot so that the operations below on sim
 * count into it; NULL detaches (operations are then not counted).
 */
void fs_crypto_attach(struct fs_sim *sim, struct fs_crypto *c);
/* The counters attached to sim, or NULL. */
struct fs_crypto *fs_crypto_of(const struct fs_sim *sim);
/* The counts so far. */
const struct fs_crypto_stats *fs_crypto_counts(const struct fs_crypto *c);

/* Ed25519 key pair from a 32-byte seed. */
void fs_crypto_keygen(struct fs_sim *sim, unsigned char pk[32],
                      unsigned char sk[64], const unsigned char seed[32]);
/* Detached Ed25519 signature of msg. */
void fs_crypto_sign(struct fs_sim *sim, unsigned char sig[64],
                    const unsigned char *msg, size_t len,
                    const unsigned char sk[64]);
/* Verify a detached signature: 0, or FS_EBADSIG. */
int fs_crypto_verify(struct fs_sim *sim, const unsigned char sig[64],
                     const unsigned char *msg, size_t len,
                     const unsigned char pk[32]);

#endif
