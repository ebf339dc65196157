/*
 * include/fleetsim/crypto.h - the model's signature operations, counted.
 *
 * Owns: the Ed25519 key generation, signing and verification that devices
 * and the service perform per device (evidence, certificates), and struct
 * fs_crypto: the counts of each (and the time inside them, when a
 * benchmark clock is given), which the rollout benchmark turns into the
 * run's crypto floor.
 * With workers (fs_crypto_set_threads), operations whose result is needed
 * later run in libuv's thread pool: a signature bound for a message is
 * filled in when the message is delivered (fs_crypto_settle), a check that
 * was started ahead (fs_crypto_prefetch_sign, or the check-ahead of
 * fs_crypto_sign_deferred) answers the fs_crypto_verify with exactly the
 * same signature, message and key, and key generation is spread over the
 * workers until fs_crypto_drain.
 * Also owns the choice of scheme (--crypto): real Ed25519, or a keyed
 * BLAKE2b stand-in ("model", sim/model/crypto_model.c) that keeps every
 * check's meaning (a wrong key, a changed message, a signature made with
 * another key or garbled fails) at a fraction of the cost.
 * Invariants: every operation the model asks for is one call of the scheme
 * of the counters (one libsodium call in either),
 * counted when a struct fs_crypto is attached to the engine's FS_CTX_CRYPTO
 * slot (the run attaches one) at the moment the model asks for it; results,
 * counts and their order are the same with any number of threads (each
 * result is a pure function of its inputs, and the main thread waits for it
 * before anything reads it); counts never live in a global or in the engine.
 * Does not: remember results beyond the one use they were started for
 * (identical vendor-signature checks go through fs_catalog_verify's memo
 * instead); read anything of the model; let a worker touch model memory (a
 * worker writes only into its job; the main thread copies results out).
 */
#ifndef FLEETSIM_CRYPTO_H
#define FLEETSIM_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fs_sim;

/* The signature scheme of a run (--crypto real|model). */
enum fs_crypto_kind {
    FS_CRYPTO_REAL = 0, /* Ed25519 (libsodium), the default */
    FS_CRYPTO_MODEL     /* keyed BLAKE2b stand-in: the same checks, cheaper */
};

/* "real" or "model". */
const char *fs_crypto_kind_name(enum fs_crypto_kind kind);
/* kind named s ("real", "model"): 0, or FS_EINVAL for anything else. */
int fs_crypto_kind_parse(const char *s, enum fs_crypto_kind *out);

struct fs_crypto_stats {
    uint64_t keygen;    /* key pairs made (crypto_sign_seed_keypair) */
    uint64_t sign;      /* signatures made (crypto_sign_detached) */
    uint64_t verify;    /* checks made (crypto_sign_verify_detached) */
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

/* The counters of one run's signature operations. */
struct fs_crypto;

/*
 * Create zeroed counters that time each operation with bench_ns (NULL: count
 * only). Returns 0, or FS_EINVAL when out is NULL.
 */
int fs_crypto_create(fs_crypto_clock_fn *bench_ns, struct fs_crypto **out);
/* Destroy c (detach it from its engine first); NULL is a no-op. */
void fs_crypto_destroy(struct fs_crypto *c);
/* Make c's operations use kind (FS_CRYPTO_REAL until set); set it before
 * the first operation. */
void fs_crypto_set_kind(struct fs_crypto *c, enum fs_crypto_kind kind);

/*
 * Attach c to sim's FS_CTX_CRYPTO slot so that the operations below on sim
 * count into it; NULL detaches (operations are then not counted).
 */
void fs_crypto_attach(struct fs_sim *sim, struct fs_crypto *c);
/* The counters attached to sim, or NULL. */
struct fs_crypto *fs_crypto_of(const struct fs_sim *sim);
/* The counts so far. */
const struct fs_crypto_stats *fs_crypto_counts(const struct fs_crypto *c);
/* The scheme of the counters attached to sim (FS_CRYPTO_REAL when none). */
enum fs_crypto_kind fs_crypto_kind_of(const struct fs_sim *sim);

/*
 * Run signature work on threads - 1 workers in libuv's thread pool besides
 * the main thread (1: none, everything inline, the default). Call before
 * the first operation. Returns 0, or FS_EINVAL for 0 or more than
 * FS_CRYPTO_THREADS_MAX.
 */
#define FS_CRYPTO_THREADS_MAX 256
int fs_crypto_set_threads(struct fs_crypto *c, unsigned threads);
/* True when sim's crypto has workers, so that work started ahead pays. */
bool fs_crypto_ahead(const struct fs_sim *sim);
/* Threads doing signature work (1 when inline). */
unsigned fs_crypto_threads(const struct fs_crypto *c);

/* Work started ahead of its use: what a message in flight holds. */
struct fs_crypto_job;

/* Speculative work that was started and never used, for benchmarks. */
struct fs_crypto_waste {
    uint64_t started;       /* jobs handed to the pool (the same for any
                               number of workers above zero) */
    uint64_t jobs;          /* jobs the main thread ran itself */
    uint64_t unused_sign;   /* prefetched signatures nobody asked for */
    uint64_t unused_verify; /* checks-ahead nobody asked for */
    uint64_t main_waits;    /* times the main thread waited on a worker */
    uint64_t wait_ns;       /* main thread time in those waits (bench clock) */
    /* With a bench clock: where the threads' time went. */
    uint64_t main_crypto_ns; /* main thread computing (inline or jobs) */
    uint64_t spin_ns;        /* main thread yielding, nothing to run */
    uint64_t worker_ns;      /* all workers computing jobs, summed */
};
/* The figures so far (worker_ns read now, as the workers go on). */
const struct fs_crypto_waste *fs_crypto_waste(struct fs_crypto *c);

/* Counted operations, in the scheme of sim's counters (above). */

/* Key pair from a 32-byte seed (sk holds the public key in sk[32..63]). */
void fs_crypto_keygen(struct fs_sim *sim, unsigned char pk[32],
                      unsigned char sk[64], const unsigned char seed[32]);
/* Detached signature of msg. */
void fs_crypto_sign(struct fs_sim *sim, unsigned char sig[64],
                    const unsigned char *msg, size_t len,
                    const unsigned char sk[64]);
/* Verify a detached signature: 0, or FS_EBADSIG. */
int fs_crypto_verify(struct fs_sim *sim, const unsigned char sig[64],
                     const unsigned char *msg, size_t len,
                     const unsigned char pk[32]);

/*
 * Key pair from seed into sk (secret || public), possibly on a worker: sk is
 * written by the time fs_crypto_drain returns. Counted now.
 */
void fs_crypto_keygen_start(struct fs_sim *sim, unsigned char sk[64],
                            const unsigned char seed[32]);
/* Wait until every fs_crypto_keygen_start of sim is done. */
void fs_crypto_drain(struct fs_sim *sim);

/*
 * Sign msg into sig, possibly later: sig holds the signature once
 * fs_crypto_settle(pending) has run (at once when there are no workers, and
 * *pending stays NULL). With check_ahead, the check of that signature under
 * sk's own public half is started too, for the fs_crypto_verify that will
 * come. *pending must be NULL on entry; sig must stay where it is until it
 * is settled. Counted now.
 */
void fs_crypto_sign_deferred(struct fs_sim *sim, unsigned char sig[64],
                             const unsigned char *msg, size_t len,
                             const unsigned char sk[64], bool check_ahead,
                             struct fs_crypto_job **pending);
/* Fill in the signature *pending stands for and drop it; NULL is a no-op. */
void fs_crypto_settle(struct fs_crypto_job **pending);

/*
 * Start, on a worker, the signature of msg with sk (and, with check, its
 * check under sk's public half), which a later fs_crypto_sign or
 * fs_crypto_sign_deferred of the same message and key (then
 * fs_crypto_verify) will take, at about
 * simulated time due_us: work due a second or more later waits until
 * nothing due sooner is queued. Nothing is counted and nothing changes when
 * it is never taken; a no-op without workers.
 */
void fs_crypto_prefetch_sign(struct fs_sim *sim, const unsigned char *msg,
                             size_t len, const unsigned char sk[64], bool check,
                             int64_t due_us);

/*
 * Start, on a worker, the check of sig over msg under pk, for a later
 * fs_crypto_verify of exactly these bytes, due at about simulated time
 * due_us (which may be hours away: such checks are kept, at most 16384 of
 * them, for up to 48 h). Nothing is counted and nothing changes when it is
 * never taken; a no-op without workers.
 */
void fs_crypto_prefetch_verify(struct fs_sim *sim, const unsigned char sig[64],
                               const unsigned char *msg, size_t len,
                               const unsigned char pk[32], int64_t due_us);

/*
 * The same operations in scheme kind, not counted: for the signature work
 * that was never part of a run's counts (the vendor catalog's keys and
 * manifests, a relying party's pure certificate check, an attacker's
 * evidence of its own).
 */
void fs_crypto_plain_keygen(enum fs_crypto_kind kind, unsigned char pk[32],
                            unsigned char sk[64], const unsigned char seed[32]);
void fs_crypto_plain_sign(enum fs_crypto_kind kind, unsigned char sig[64],
                          const unsigned char *msg, size_t len,
                          const unsigned char sk[64]);
/* 0, or FS_EBADSIG. */
int fs_crypto_plain_verify(enum fs_crypto_kind kind,
                           const unsigned char sig[64],
                           const unsigned char *msg, size_t len,
                           const unsigned char pk[32]);

#endif
