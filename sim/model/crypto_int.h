/*
 * sim/model/crypto_int.h - the model signature scheme, shared by the files
 * of sim/model/ and nothing else.
 *
 * Owns: the three stand-in primitives of --crypto model, with the argument
 * shapes of libsodium's crypto_sign_seed_keypair, crypto_sign_detached and
 * crypto_sign_verify_detached, so a caller swaps one call for the other.
 * Invariants: the key layout is libsodium's (sk = seed || pk); a signature
 * verifies only under the public key of the pair that made it and only
 * over the bytes it was made over.
 * Does not: count anything (crypto.c does) or get included outside
 * sim/model/ (others go through fleetsim/crypto.h).
 */
#ifndef FLEETSIM_CRYPTO_INT_H
#define FLEETSIM_CRYPTO_INT_H

/* pk = BLAKE2b-256(domain || seed); sk = seed || pk. Returns 0. */
int fs__crypto_model_keygen(unsigned char *pk, unsigned char *sk,
                            const unsigned char *seed);
/*
 * sig = BLAKE2b-512 keyed with the public half of sk (sk[32..63]) over
 * (domain || m); *siglen_p = 64 unless NULL. Returns 0.
 */
int fs__crypto_model_sign(unsigned char *sig, unsigned long long *siglen_p,
                          const unsigned char *m, unsigned long long mlen,
                          const unsigned char *sk);
/* Recompute sig's MAC under pk and compare in constant time: 0, or -1. */
int fs__crypto_model_verify(const unsigned char *sig, const unsigned char *m,
                            unsigned long long mlen, const unsigned char *pk);

#endif
