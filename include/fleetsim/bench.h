/*
 * include/fleetsim/bench.h - engine micro-benchmarks.
 *
 * Owns: the hold-model benchmark of the engine (or of its queues alone) and
 * the text and JSON forms of its result, and the rollout benchmark.
 * Invariants: the event sequence is fixed by the seed (FS_RNG_BENCH stream,
 * seed 1), so every run and mode sees the same event times in the same
 * order; only the timings differ between runs.
 * Does not: let wall time reach the simulation.
 */
#ifndef FLEETSIM_BENCH_H
#define FLEETSIM_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fleetsim/crypto.h"

/* What the hold model runs on. */
enum fs_bench_mode {
    FS_BENCH_ENGINE = 0, /* fs_sim_schedule + fs_sim_run, handlers reschedule */
    FS_BENCH_ENGINE_IDS, /* the same, every event scheduled with an id */
    FS_BENCH_QUEUE,      /* the ladder queue alone: pop + push, no engine */
    FS_BENCH_HEAP        /* the reference 4-ary heap alone */
};

struct fs_bench_engine_result {
    const char *mode;      /* "engine", "engine-ids", "queue" or "heap" */
    const char *queue;     /* "ladder" or "heap" (static string) */
    size_t pending;        /* events kept pending throughout */
    uint64_t events;       /* hold operations (pop + push) timed */
    double wall_s;         /* wall seconds of the timed hold loop */
    double events_per_s;   /* events / wall_s */
    size_t peak_rss_bytes; /* process peak resident set, after the run */
    size_t queue_bytes;    /* bytes held for pending events at the end
                              (queue, and the engine's id slots) */
    uint64_t digest;       /* hash of the sequence of event times (queues:
                              of (at_us, seq)) */
};

/*
 * Run the hold model: schedule pending events at Exp(1 s), then run events
 * of them, each rescheduling itself at its time + Exp(1 s). In the engine
 * modes that is fs_sim_run calling a handler that calls fs_sim_schedule;
 * in the queue modes a loop of pop and push on the bare queue. Only the
 * hold loop is timed. Writes *out and returns 0; FS_EINVAL when pending or
 * events is 0, out is NULL or mode unknown; FS_ELIMIT when pending >
 * FS_QUEUE_SIZE_MAX.
 */
int fs_bench_engine(size_t pending, uint64_t events, enum fs_bench_mode mode,
                    struct fs_bench_engine_result *out);

/*
 * Print r to f: one human-readable line, or one JSON object with the keys
 * events_per_s, events, pending, wall_s, peak_rss_bytes, queue_bytes,
 * bytes_per_pending, mode, queue and digest. Returns 0, or FS_EIO when
 * writing fails.
 */
int fs_bench_engine_print(FILE *f, const struct fs_bench_engine_result *r,
                          bool json);

struct fs_bench_rollout_result {
    uint64_t devices;           /* fleet size */
    uint64_t events;            /* engine events of the run */
    double wall_s;              /* wall seconds of the simulation */
    double sim_days;            /* simulated days */
    size_t peak_rss_bytes;      /* process peak resident set */
    size_t model_bytes;         /* fleet + service + queue bytes at the end */
    int64_t rollout_99_us;      /* time to 99% confirmed, INT64_MAX if not */
    int64_t confirmed;          /* updates{result="confirmed"} */
    uint64_t keygen;            /* Ed25519 key pairs made */
    uint64_t sign;              /* Ed25519 signatures made */
    uint64_t verify;            /* Ed25519 verifications (not memoised) */
    uint64_t catalog_verify;    /* vendor-signature checks really done */
    uint64_t catalog_memo;      /* vendor-signature checks from the memo */
    double keygen_us;           /* mean in-run cost of one key pair */
    double sign_us;             /* mean in-run cost of one signature */
    double verify_us;           /* mean in-run cost of one verification */
    double crypto_floor_s;      /* time the run spent in that crypto, as one
                                   thread would (the sum of every call's) */
    unsigned threads;           /* threads doing signature work */
    double main_wait_s;         /* main thread time waiting for a result it
                                   needed (or running it itself) */
    uint64_t main_waits;        /* times it found a worker still on it */
    uint64_t unused_sign;       /* signatures started ahead, never taken */
    uint64_t unused_verify;     /* checks started ahead, never taken */
    uint64_t jobs_started;      /* jobs handed to the thread pool */
    double main_crypto_s;       /* main thread computing crypto itself */
    double main_spin_s;         /* main thread yielding to a worker */
    double worker_busy_s;       /* workers computing, summed over them */
    double serial_s;            /* the rest of the main thread's wall time:
                                   the model, which no worker can take */
    char fingerprint[65];       /* the run's fingerprint, hex */
    enum fs_crypto_kind crypto; /* the scheme the run used (--crypto) */
};

/*
 * The rollout benchmark: a built-in OS rollout to `devices` devices (boot,
 * attest, certificate, download, verify, install, reboot, re-attest,
 * confirm), run to completion, with the time spent inside each signature
 * operation measured in the run, so the run can be compared with its
 * crypto floor. crypto is the signature scheme (--crypto: the counts are
 * the same in both, the costs are the scheme's).
 * Returns 0, or an error after printing why.
 */
int fs_bench_rollout(uint64_t devices, unsigned threads,
                     enum fs_crypto_kind crypto,
                     struct fs_bench_rollout_result *out);

/* Print r as text or as one JSON object. */
int fs_bench_rollout_print(FILE *f, const struct fs_bench_rollout_result *r,
                           bool json);

#endif
