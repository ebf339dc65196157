/*
 * include/fleetsim/bench.h - engine micro-benchmarks.
 *
 * Owns: the hold-model benchmark of the pending-event queue and the text
 * and JSON forms of its result.
 * Invariants: the event sequence is fixed by the seed (FS_RNG_BENCH stream,
 * seed 1), so every run pops the same events in the same order; only the
 * timings differ between runs.
 * Does not: run the full engine, or let wall time reach the simulation.
 */
#ifndef FLEETSIM_BENCH_H
#define FLEETSIM_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct fs_bench_engine_result {
    const char *queue;     /* "ladder" or "heap" (static string) */
    size_t pending;        /* events kept pending throughout */
    uint64_t events;       /* hold operations (pop + push) timed */
    double wall_s;         /* wall seconds of the timed hold loop */
    double events_per_s;   /* events / wall_s */
    size_t peak_rss_bytes; /* process peak resident set, after the run */
    size_t queue_bytes;    /* bytes held by the queue at the end */
    uint64_t digest;       /* hash of the popped (at_us, seq) sequence */
};

/*
 * Run the hold model: fill a queue with pending events at Exp(1 s), then
 * events times pop the least and push it back at its time + Exp(1 s). Only
 * the hold loop is timed. use_heap selects the 4-ary reference heap instead
 * of the ladder queue. Writes *out and returns 0; FS_EINVAL when pending or
 * events is 0 or out is NULL; FS_ELIMIT when pending > FS_QUEUE_SIZE_MAX.
 */
int fs_bench_engine(size_t pending, uint64_t events, bool use_heap,
                    struct fs_bench_engine_result *out);

/*
 * Print r to f: one human-readable line, or one JSON object with the keys
 * events_per_s, events, pending, wall_s, peak_rss_bytes, queue_bytes, queue
 * and digest. Returns 0, or FS_EIO when writing fails.
 */
int fs_bench_engine_print(FILE *f, const struct fs_bench_engine_result *r,
                          bool json);

struct fs_bench_rollout_result {
    uint64_t devices;        /* fleet size */
    uint64_t events;         /* engine events of the run */
    double wall_s;           /* wall seconds of the simulation */
    double sim_days;         /* simulated days */
    size_t peak_rss_bytes;   /* process peak resident set */
    size_t model_bytes;      /* fleet + service + queue bytes at the end */
    int64_t rollout_99_us;   /* time to 99% confirmed, INT64_MAX if not */
    int64_t confirmed;       /* updates{result="confirmed"} */
    uint64_t keygen;         /* Ed25519 key pairs made */
    uint64_t sign;           /* Ed25519 signatures made */
    uint64_t verify;         /* Ed25519 verifications (not memoised) */
    uint64_t catalog_verify; /* vendor-signature checks really done */
    uint64_t catalog_memo;   /* vendor-signature checks from the memo */
    double keygen_us;        /* mean in-run cost of one key pair */
    double sign_us;          /* mean in-run cost of one signature */
    double verify_us;        /* mean in-run cost of one verification */
    double crypto_floor_s;   /* time the run spent in that crypto */
};

/*
 * The rollout benchmark: a built-in OS rollout to `devices` devices (boot,
 * attest, certificate, download, verify, install, reboot, re-attest,
 * confirm), run to completion, with the time spent inside each signature
 * operation measured in the run, so the run can be compared with its
 * crypto floor.
 * Returns 0, or an error after printing why.
 */
int fs_bench_rollout(uint64_t devices, unsigned threads,
                     struct fs_bench_rollout_result *out);

/* Print r as text or as one JSON object. */
int fs_bench_rollout_print(FILE *f, const struct fs_bench_rollout_result *r,
                           bool json);

#endif
