/*
 * include/fleetsim/crypto.h - the model's signature operations, counted.
 *
 * Owns: the Ed25519 key generation, signing and verification that devices
 * and the service perform per device (evidence, certificates), and the
 * per-engine counts of each, which the rollout benchmark turns into the
 * run's crypto floor.
 * Invariants: every call does the real libsodium operation; counts live in
 * the engine, never in a global.
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

/* Install (or remove, with NULL) the benchmark clock of sim's crypto. */
void fs_sim_set_crypto_clock(struct fs_sim *sim, fs_crypto_clock_fn *clock);
/* The installed benchmark clock, or NULL. */
fs_crypto_clock_fn *fs_sim_crypto_clock(const struct fs_sim *sim);

/* The counters of sim's run (zero at fs_sim_create). */
struct fs_crypto_stats *fs_sim_crypto(struct fs_sim *sim);

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
