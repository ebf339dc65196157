/*
 * sim/model/crypto.c - counted Ed25519 operations for the model.
 *
 * Owns: the calls into libsodium's signature API made on behalf of devices
 * and the service, and their counts in the engine.
 * Invariants: one count per real libsodium call, in the engine of the run.
 * Does not: cache anything or read a clock.
 */
#include <sodium.h>

#include "fleetsim/crypto.h"
#include "fleetsim/err.h"
#include "fleetsim/sim.h"

/* Benchmark clock reading, or 0 when none is installed. */
static uint64_t
tick(struct fs_sim *sim)
{
    fs_crypto_clock_fn *bench_ns = fs_sim_crypto_clock(sim);
    return bench_ns != NULL ? bench_ns() : 0;
}

void
fs_crypto_keygen(struct fs_sim *sim, unsigned char pk[32], unsigned char sk[64],
                 const unsigned char seed[32])
{
    struct fs_crypto_stats *st = fs_sim_crypto(sim);
    uint64_t t0 = tick(sim);
    crypto_sign_seed_keypair(pk, sk, seed);
    st->keygen_ns += tick(sim) - t0;
    st->keygen++;
}

void
fs_crypto_sign(struct fs_sim *sim, unsigned char sig[64],
               const unsigned char *msg, size_t len, const unsigned char sk[64])
{
    struct fs_crypto_stats *st = fs_sim_crypto(sim);
    uint64_t t0 = tick(sim);
    crypto_sign_detached(sig, NULL, msg, len, sk);
    st->sign_ns += tick(sim) - t0;
    st->sign++;
}

int
fs_crypto_verify(struct fs_sim *sim, const unsigned char sig[64],
                 const unsigned char *msg, size_t len,
                 const unsigned char pk[32])
{
    struct fs_crypto_stats *st = fs_sim_crypto(sim);
    uint64_t t0 = tick(sim);
    int rc = crypto_sign_verify_detached(sig, msg, len, pk);
    st->verify_ns += tick(sim) - t0;
    st->verify++;
    return rc == 0 ? 0 : FS_EBADSIG;
}
