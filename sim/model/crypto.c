/*
 * sim/model/crypto.c - counted signature operations for the model.
 *
 * Owns: the calls into libsodium's signature API (or, with --crypto model,
 * into the stand-in of crypto_model.c) made on behalf of devices and the
 * service, and struct fs_crypto, their counts and scheme.
 * Invariants: one count per operation, in either scheme, in the counters
 * attached to the engine of the run (FS_CTX_CRYPTO); results never depend
 * on whether a clock is attached (with no counters attached: real).
 * Does not: cache anything or read a clock of its own (only the one a
 * benchmark hands to fs_crypto_create).
 */
#include <sodium.h>

#include "fleetsim/crypto.h"
#include "fleetsim/ctx.h"
#include "fleetsim/err.h"
#include "fleetsim/mem.h"
#include "fleetsim/sim.h"

#include "crypto_int.h"

struct fs_crypto {
    struct fs_crypto_stats st;    /* counts and time inside the calls */
    fs_crypto_clock_fn *bench_ns; /* benchmark clock, or NULL */
    enum fs_crypto_kind kind;     /* the scheme (FS_CRYPTO_REAL = 0) */
};

/* The counters attached to sim, or the scratch sink none when there are none.
 */
static struct fs_crypto *
counters(struct fs_sim *sim, struct fs_crypto *none)
{
    struct fs_crypto *c = fs_sim_ctx(sim, FS_CTX_CRYPTO);
    return c != NULL ? c : none;
}

/* The three operations in c's scheme. */
static void
op_keygen(const struct fs_crypto *c, unsigned char *pk, unsigned char *sk,
          const unsigned char *seed)
{
    if (c->kind == FS_CRYPTO_MODEL)
        fs__crypto_model_keygen(pk, sk, seed);
    else
        crypto_sign_seed_keypair(pk, sk, seed);
}

static void
op_sign(const struct fs_crypto *c, unsigned char *sig, const unsigned char *m,
        size_t len, const unsigned char *sk)
{
    if (c->kind == FS_CRYPTO_MODEL)
        fs__crypto_model_sign(sig, NULL, m, len, sk);
    else
        crypto_sign_detached(sig, NULL, m, len, sk);
}

static int
op_verify(const struct fs_crypto *c, const unsigned char *sig,
          const unsigned char *m, size_t len, const unsigned char *pk)
{
    if (c->kind == FS_CRYPTO_MODEL)
        return fs__crypto_model_verify(sig, m, len, pk);
    return crypto_sign_verify_detached(sig, m, len, pk);
}

/* Benchmark clock reading, or 0 when none is installed. */
static uint64_t
tick(const struct fs_crypto *c)
{
    return c->bench_ns != NULL ? c->bench_ns() : 0;
}

int
fs_crypto_create(fs_crypto_clock_fn *bench_ns, struct fs_crypto **out)
{
    if (out == NULL)
        return FS_EINVAL;
    struct fs_crypto *c = fs_xcalloc(1, sizeof(*c));
    c->bench_ns = bench_ns;
    *out = c;
    return 0;
}

void
fs_crypto_destroy(struct fs_crypto *c)
{
    fs_free(c);
}

void
fs_crypto_attach(struct fs_sim *sim, struct fs_crypto *c)
{
    fs_sim_set_ctx(sim, FS_CTX_CRYPTO, c);
}

struct fs_crypto *
fs_crypto_of(const struct fs_sim *sim)
{
    return fs_sim_ctx(sim, FS_CTX_CRYPTO);
}

const struct fs_crypto_stats *
fs_crypto_counts(const struct fs_crypto *c)
{
    return &c->st;
}

void
fs_crypto_keygen(struct fs_sim *sim, unsigned char pk[32], unsigned char sk[64],
                 const unsigned char seed[32])
{
    struct fs_crypto none = {{0}, NULL, FS_CRYPTO_REAL};
    struct fs_crypto *c = counters(sim, &none);
    uint64_t t0 = tick(c);
    op_keygen(c, pk, sk, seed);
    c->st.keygen_ns += tick(c) - t0;
    c->st.keygen++;
}

void
fs_crypto_sign(struct fs_sim *sim, unsigned char sig[64],
               const unsigned char *msg, size_t len, const unsigned char sk[64])
{
    struct fs_crypto none = {{0}, NULL, FS_CRYPTO_REAL};
    struct fs_crypto *c = counters(sim, &none);
    uint64_t t0 = tick(c);
    op_sign(c, sig, msg, len, sk);
    c->st.sign_ns += tick(c) - t0;
    c->st.sign++;
}

int
fs_crypto_verify(struct fs_sim *sim, const unsigned char sig[64],
                 const unsigned char *msg, size_t len,
                 const unsigned char pk[32])
{
    struct fs_crypto none = {{0}, NULL, FS_CRYPTO_REAL};
    struct fs_crypto *c = counters(sim, &none);
    uint64_t t0 = tick(c);
    int rc = op_verify(c, sig, msg, len, pk);
    c->st.verify_ns += tick(c) - t0;
    c->st.verify++;
    return rc == 0 ? 0 : FS_EBADSIG;
}

void
fs_crypto_set_kind(struct fs_crypto *c, enum fs_crypto_kind kind)
{
    c->kind = kind;
}

enum fs_crypto_kind
fs_crypto_kind_of(const struct fs_sim *sim)
{
    const struct fs_crypto *c = fs_sim_ctx(sim, FS_CTX_CRYPTO);
    return c != NULL ? c->kind : FS_CRYPTO_REAL;
}
