/*
 * sim/model/crypto_model.c - the model signature scheme (--crypto model)
 * and the uncounted operations of either scheme.
 *
 * Owns: the keyed BLAKE2b stand-in for Ed25519 (crypto_int.h), the names
 * of the schemes, and fs_crypto_plain_*: one operation of a given scheme
 * for the signature work no run counts (vendor catalog, pure certificate
 * check, an attacker's own evidence).
 * Invariants: the stand-in keeps every check's meaning within the model:
 * a signature verifies only under the key pair that made it (the MAC is
 * keyed with its public key, derived from the secret seed) and only over
 * the bytes it signed, so a wrong key, a changed message, a signature of
 * another key or a garbled one fails exactly where Ed25519 fails. It is
 * not a signature: anyone holding pk could make one. Nothing in the model
 * does (an attacker signs only with keys it holds), and that is what
 * keeps the outcomes equal (tests/crypto-model-check.sh).
 * Does not: count (crypto.c), read a clock, or hold state.
 */
#include <string.h>

#include <sodium.h>

#include "fleetsim/crypto.h"
#include "fleetsim/err.h"

#include "crypto_int.h"

/* Domain labels: a key and a signature over the same bytes never match. */
static const unsigned char key_domain[] = "fleetsim-model-key-1";
static const unsigned char sig_domain[] = "fleetsim-model-sig-1";

#define SEED_BYTES 32
#define PK_BYTES 32
#define SIG_BYTES 64

int
fs__crypto_model_keygen(unsigned char *pk, unsigned char *sk,
                        const unsigned char *seed)
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, PK_BYTES);
    crypto_generichash_update(&st, key_domain, sizeof(key_domain));
    crypto_generichash_update(&st, seed, SEED_BYTES);
    crypto_generichash_final(&st, pk, PK_BYTES);
    memmove(sk, seed, SEED_BYTES);
    memcpy(sk + SEED_BYTES, pk, PK_BYTES);
    return 0;
}

/* The MAC of m under pk: BLAKE2b-512 keyed with pk over domain || m. */
static void
model_mac(unsigned char mac[SIG_BYTES], const unsigned char *m,
          unsigned long long mlen, const unsigned char *pk)
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, pk, PK_BYTES, SIG_BYTES);
    crypto_generichash_update(&st, sig_domain, sizeof(sig_domain));
    crypto_generichash_update(&st, m, mlen);
    crypto_generichash_final(&st, mac, SIG_BYTES);
}

int
fs__crypto_model_sign(unsigned char *sig, unsigned long long *siglen_p,
                      const unsigned char *m, unsigned long long mlen,
                      const unsigned char *sk)
{
    model_mac(sig, m, mlen, sk + SEED_BYTES);
    if (siglen_p != NULL)
        *siglen_p = SIG_BYTES;
    return 0;
}

int
fs__crypto_model_verify(const unsigned char *sig, const unsigned char *m,
                        unsigned long long mlen, const unsigned char *pk)
{
    unsigned char mac[SIG_BYTES];
    model_mac(mac, m, mlen, pk);
    return sodium_memcmp(mac, sig, SIG_BYTES) == 0 ? 0 : -1;
}

const char *
fs_crypto_kind_name(enum fs_crypto_kind kind)
{
    return kind == FS_CRYPTO_MODEL ? "model" : "real";
}

int
fs_crypto_kind_parse(const char *s, enum fs_crypto_kind *out)
{
    if (s != NULL && strcmp(s, "real") == 0)
        *out = FS_CRYPTO_REAL;
    else if (s != NULL && strcmp(s, "model") == 0)
        *out = FS_CRYPTO_MODEL;
    else
        return FS_EINVAL;
    return 0;
}

void
fs_crypto_plain_keygen(enum fs_crypto_kind kind, unsigned char pk[32],
                       unsigned char sk[64], const unsigned char seed[32])
{
    if (kind == FS_CRYPTO_MODEL)
        fs__crypto_model_keygen(pk, sk, seed);
    else
        crypto_sign_seed_keypair(pk, sk, seed);
}

void
fs_crypto_plain_sign(enum fs_crypto_kind kind, unsigned char sig[64],
                     const unsigned char *msg, size_t len,
                     const unsigned char sk[64])
{
    if (kind == FS_CRYPTO_MODEL)
        fs__crypto_model_sign(sig, NULL, msg, len, sk);
    else
        crypto_sign_detached(sig, NULL, msg, len, sk);
}

int
fs_crypto_plain_verify(enum fs_crypto_kind kind, const unsigned char sig[64],
                       const unsigned char *msg, size_t len,
                       const unsigned char pk[32])
{
    int rc = kind == FS_CRYPTO_MODEL
                 ? fs__crypto_model_verify(sig, msg, len, pk)
                 : crypto_sign_verify_detached(sig, msg, len, pk);
    return rc == 0 ? 0 : FS_EBADSIG;
}
