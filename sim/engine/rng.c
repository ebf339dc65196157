/*
 * sim/engine/rng.c - counter-based random streams (splitmix64 over a keyed
 * counter).
 *
 * Owns: every random draw of the model. A stream is a 64-bit key derived
 * from (root seed, device id, stream kind) plus a draw counter; draw i is
 * mix(key + (i + 1) * golden), so a stream's output depends only on its own
 * key and position, never on other streams or on scheduling.
 * Invariants: the same (seed, device, stream, draw) always gives the same
 * bits; fs_rng_below is unbiased.
 * Does not: touch rand(), the OS entropy pool or the clock.
 */
#include <math.h>

#include "fleetsim/rng.h"

#define GOLDEN_GAMMA 0x9e3779b97f4a7c15ULL

uint64_t
fs_rng_mix64(uint64_t x)
{
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

void
fs_rng_seed(struct fs_rng *r, uint64_t root_seed, uint32_t device_id,
            enum fs_rng_stream stream)
{
    /* Three rounds of mixing so nearby seeds, ids and streams diverge. */
    uint64_t k = fs_rng_mix64(root_seed ^ 0x6a09e667f3bcc908ULL);
    k = fs_rng_mix64(k ^ ((uint64_t)device_id * GOLDEN_GAMMA));
    k = fs_rng_mix64(k ^ (((uint64_t)stream + 1) << 56));
    r->key = k;
    r->counter = 0;
}

uint64_t
fs_rng_next(struct fs_rng *r)
{
    r->counter++;
    return fs_rng_mix64(r->key + r->counter * GOLDEN_GAMMA);
}

uint64_t
fs_rng_below(struct fs_rng *r, uint64_t bound)
{
    /* Lemire's multiply-and-reject, unbiased. */
    if (bound == 0)
        return 0;
    unsigned __int128 m = (unsigned __int128)fs_rng_next(r) * bound;
    uint64_t low = (uint64_t)m;
    if (low < bound) {
        uint64_t threshold = (0 - bound) % bound;
        while (low < threshold) {
            m = (unsigned __int128)fs_rng_next(r) * bound;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

double
fs_rng_unit(struct fs_rng *r)
{
    return (double)(fs_rng_next(r) >> 11) * 0x1.0p-53;
}

int64_t
fs_rng_exp_us(struct fs_rng *r, double mean_us)
{
    double u = fs_rng_unit(r);
    double x = -log1p(-u) * mean_us;
    if (!(x < 9.0e18))
        x = 9.0e18;
    int64_t v = (int64_t)(x + 0.5);
    return v < 1 ? 1 : v;
}

void
fs_rng_bytes(struct fs_rng *r, void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len > 0) {
        uint64_t v = fs_rng_next(r);
        for (int i = 0; i < 8 && len > 0; i++, len--) {
            *p++ = (unsigned char)(v & 0xff);
            v >>= 8;
        }
    }
}
