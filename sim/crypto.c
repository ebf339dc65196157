/*
 * sim/crypto.c - counted Ed25519 operations for the model.
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

void
fs_crypto_keygen(struct fs_sim *sim, unsigned char pk[32], unsigned char sk[64],
                 const unsigned char seed[32])
{
    fs_sim_crypto(sim)->keygen++;
    crypto_sign_seed_keypair(pk, sk, seed);
}

void
fs_crypto_sign(struct fs_sim *sim, unsigned char sig[64],
               const unsigned char *msg, size_t len, const unsigned char sk[64])
{
    fs_sim_crypto(sim)->sign++;
    crypto_sign_detached(sig, NULL, msg, len, sk);
}

int
fs_crypto_verify(struct fs_sim *sim, const unsigned char sig[64],
                 const unsigned char *msg, size_t len,
                 const unsigned char pk[32])
{
    fs_sim_crypto(sim)->verify++;
    return crypto_sign_verify_detached(sig, msg, len, pk) == 0 ? 0
                                                                : FS_EBADSIG;
}
