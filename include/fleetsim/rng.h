/*
 * include/fleetsim/rng.h - seeded random streams per device and purpose.
 *
 * Owns: struct fs_rng, a counter-based generator keyed by (root seed,
 * device id, stream); the only source of randomness in the model.
 * Invariants: a stream's draws depend only on its key and how many draws it
 * has made, never on other streams.
 * Does not: read the OS entropy pool, the wall clock or rand().
 */
#ifndef FLEETSIM_RNG_H
#define FLEETSIM_RNG_H

#include <stddef.h>
#include <stdint.h>

enum fs_rng_stream {
    FS_RNG_KEYS = 0,    /* key generation inside keystores and the service */
    FS_RNG_FAULTS = 1,  /* crashes, wear, power cuts */
    FS_RNG_NET = 2,     /* latency jitter, outages */
    FS_RNG_ROLLOUT = 3, /* check-in jitter, wave membership */
    FS_RNG_ATTACK = 4,  /* attack targets and payloads */
    FS_RNG_BOOT = 5,    /* boot step timing */
    FS_RNG_BENCH = 6,   /* benchmarks */
    FS_RNG_SCENARIO = 7 /* fleet-wide draws made by the timeline */
};

struct fs_rng {
    uint64_t key;     /* derived from (root seed, device id, stream) */
    uint64_t counter; /* draws made so far */
};

/* Key r from (root_seed, device_id, stream) and rewind it to draw 0. */
void fs_rng_seed(struct fs_rng *r, uint64_t root_seed, uint32_t device_id,
                 enum fs_rng_stream stream);

/* Next 64 uniformly distributed bits. */
uint64_t fs_rng_next(struct fs_rng *r);

/* Uniform integer in [0, bound); bound must be > 0. Unbiased. */
uint64_t fs_rng_below(struct fs_rng *r, uint64_t bound);

/* Uniform double in [0, 1) with 53 random bits. */
double fs_rng_unit(struct fs_rng *r);

/* Exponential draw with the given mean, rounded to whole microseconds (>= 1).
 */
int64_t fs_rng_exp_us(struct fs_rng *r, double mean_us);

/* Fill buf with len deterministic bytes (for key seeds). */
void fs_rng_bytes(struct fs_rng *r, void *buf, size_t len);

/* The splitmix64 finaliser: a bijective 64-bit mix. */
uint64_t fs_rng_mix64(uint64_t x);

#endif
