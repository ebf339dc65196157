/*
 * sim/cli/bench.c - the hold-model benchmark of the engine and its queues.
 *
 * Owns: fs_bench_engine() and its printing. The hold model (Vaucher and
 * Duval 1975, used by Brown 1988 and by Tang et al. 2005) keeps a fixed
 * number of events pending: each step takes the least one and puts it back
 * at its time plus an exponential increment, here with a mean of 1 s. Four
 * modes: the engine itself (fs_sim_schedule + fs_sim_run, each handler
 * rescheduling itself), the same with every event scheduled with an id
 * (the cancellable path), and the bare queues (pop + push on the ladder
 * queue, or on the reference 4-ary heap), which leave out the engine.
 * Invariants: draws come only from the FS_RNG_BENCH stream of seed 1, in the
 * same order in every mode, so every mode sees the same sequence of event
 * times; the digest is over that sequence (times and scheduling order for
 * the queues, times for the engine).
 * Does not: change the engine. Benchmarks measure wall time by design; this
 * is the one file under sim/ besides main.c that reads a clock, and the
 * reading never reaches simulated time or any report of a simulation.
 */
#include <time.h>

#include "fleetsim/bench.h"
#include "fleetsim/err.h"
#include "fleetsim/mem.h"
#include "fleetsim/queue.h"
#include "fleetsim/rng.h"
#include "fleetsim/sim.h"

#define HOLD_MEAN_US 1e6 /* mean increment of the hold model: 1 s */

static double
wall_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Fold one popped event into the running digest. */
static inline uint64_t
digest_step(uint64_t d, const struct fs_event *ev)
{
    return fs_rng_mix64(d ^ (uint64_t)ev->at_us) + ev->seq;
}

/* The initial population: pending events at Exp(1 s) from time 0. */
static struct fs_event
fill_event(struct fs_rng *rng, uint64_t seq)
{
    struct fs_event ev = {
        .at_us = fs_rng_exp_us(rng, HOLD_MEAN_US),
        .seq = seq,
        .fn = NULL,
        .arg = (void *)(uintptr_t)seq,
    };
    return ev;
}

static void
hold_ladder(size_t pending, uint64_t events, struct fs_rng *rng,
            struct fs_bench_engine_result *out)
{
    struct fs_queue *q = NULL;
    FS_ASSERT(fs_queue_create(pending, &q) == 0);
    for (uint64_t i = 0; i < pending; i++) {
        struct fs_event ev = fill_event(rng, i);
        fs_queue_push(q, &ev);
    }
    uint64_t seq = pending;
    uint64_t d = 0;
    double t0 = wall_now_s();
    for (uint64_t i = 0; i < events; i++) {
        struct fs_event ev;
        FS_ASSERT(fs_queue_pop(q, &ev));
        d = digest_step(d, &ev);
        ev.at_us += fs_rng_exp_us(rng, HOLD_MEAN_US);
        ev.seq = seq++;
        fs_queue_push(q, &ev);
    }
    out->wall_s = wall_now_s() - t0;
    out->digest = d;
    out->queue_bytes = fs_queue_bytes(q);
    FS_ASSERT(fs_queue_check(q));
    fs_queue_destroy(q);
}

static void
hold_heap(size_t pending, uint64_t events, struct fs_rng *rng,
          struct fs_bench_engine_result *out)
{
    struct fs_heapq *h = NULL;
    FS_ASSERT(fs_heapq_create(pending, &h) == 0);
    for (uint64_t i = 0; i < pending; i++) {
        struct fs_event ev = fill_event(rng, i);
        fs_heapq_push(h, &ev);
    }
    uint64_t seq = pending;
    uint64_t d = 0;
    double t0 = wall_now_s();
    for (uint64_t i = 0; i < events; i++) {
        struct fs_event ev;
        FS_ASSERT(fs_heapq_pop(h, &ev));
        d = digest_step(d, &ev);
        ev.at_us += fs_rng_exp_us(rng, HOLD_MEAN_US);
        ev.seq = seq++;
        fs_heapq_push(h, &ev);
    }
    out->wall_s = wall_now_s() - t0;
    out->digest = d;
    out->queue_bytes = fs_heapq_bytes(h);
    FS_ASSERT(fs_heapq_check(h));
    fs_heapq_destroy(h);
}

/* State of the engine-mode hold model, reached through each event's arg. */
struct hold {
    struct fs_rng *rng; /* the bench stream */
    uint64_t digest;    /* over the firing times */
    uint64_t id;        /* last id handed out (ids mode) */
    bool ids;           /* schedule with an id */
};

/* One hold step: fold the time in, reschedule at now + Exp(1 s). */
static void
hold_fire(struct fs_sim *sim, void *arg)
{
    struct hold *h = arg;
    int64_t now = fs_sim_now_us(sim);
    h->digest = fs_rng_mix64(h->digest ^ (uint64_t)now);
    int64_t dt = fs_rng_exp_us(h->rng, HOLD_MEAN_US);
    int err = fs_sim_schedule(sim, dt, hold_fire, h, h->ids ? &h->id : NULL);
    FS_ASSERT(err == 0);
}

static void
hold_engine(size_t pending, uint64_t events, bool ids, struct fs_rng *rng,
            struct fs_bench_engine_result *out)
{
    struct fs_sim *sim = NULL;
    FS_ASSERT(fs_sim_create(1, pending, &sim) == 0);
    struct hold h = {.rng = rng, .ids = ids};
    for (uint64_t i = 0; i < pending; i++) {
        int64_t at = fs_rng_exp_us(rng, HOLD_MEAN_US);
        FS_ASSERT(fs_sim_schedule_at(sim, at, hold_fire, &h,
                                     ids ? &h.id : NULL) == 0);
    }
    uint64_t ran = 0;
    double t0 = wall_now_s();
    int err = fs_sim_run(sim, FS_SIM_TIME_MAX_US, events, &ran);
    out->wall_s = wall_now_s() - t0;
    FS_ASSERT(err == 0 && ran == events);
    out->digest = h.digest;
    out->queue_bytes = fs_sim_bytes(sim);
    FS_ASSERT(fs_sim_check(sim));
    fs_sim_destroy(sim);
}

int
fs_bench_engine(size_t pending, uint64_t events, enum fs_bench_mode mode,
                struct fs_bench_engine_result *out)
{
    static const char *const names[] = {
        [FS_BENCH_ENGINE] = "engine",
        [FS_BENCH_ENGINE_IDS] = "engine-ids",
        [FS_BENCH_QUEUE] = "queue",
        [FS_BENCH_HEAP] = "heap",
    };
    if (pending == 0 || events == 0 || out == NULL ||
        (unsigned)mode > FS_BENCH_HEAP)
        return FS_EINVAL;
    if (pending > FS_QUEUE_SIZE_MAX)
        return FS_ELIMIT;
    struct fs_bench_engine_result r = {
        .mode = names[mode],
        .queue = mode == FS_BENCH_HEAP ? "heap" : "ladder",
        .pending = pending,
        .events = events,
    };
    struct fs_rng rng;
    fs_rng_seed(&rng, 1, 0, FS_RNG_BENCH);
    if (mode == FS_BENCH_HEAP)
        hold_heap(pending, events, &rng, &r);
    else if (mode == FS_BENCH_QUEUE)
        hold_ladder(pending, events, &rng, &r);
    else
        hold_engine(pending, events, mode == FS_BENCH_ENGINE_IDS, &rng, &r);
    r.events_per_s = r.wall_s > 0 ? (double)events / r.wall_s : 0.0;
    r.peak_rss_bytes = fs_mem_peak_rss_bytes();
    *out = r;
    return 0;
}

int
fs_bench_engine_print(FILE *f, const struct fs_bench_engine_result *r,
                      bool json)
{
    int n;
    if (json)
        n = fprintf(f,
                    "{\"events_per_s\": %.0f, \"events\": %llu, "
                    "\"pending\": %zu, \"wall_s\": %.6f, "
                    "\"peak_rss_bytes\": %zu, \"queue_bytes\": %zu, "
                    "\"bytes_per_pending\": %.1f, \"mode\": \"%s\", "
                    "\"queue\": \"%s\", \"digest\": \"%016llx\"}\n",
                    r->events_per_s, (unsigned long long)r->events, r->pending,
                    r->wall_s, r->peak_rss_bytes, r->queue_bytes,
                    (double)r->queue_bytes / (double)r->pending, r->mode,
                    r->queue, (unsigned long long)r->digest);
    else
        n = fprintf(f,
                    "bench engine mode=%s queue=%s pending=%zu events=%llu "
                    "wall_s=%.3f events_per_s=%.0f peak_rss_bytes=%zu "
                    "queue_bytes=%zu bytes_per_pending=%.1f digest=%016llx\n",
                    r->mode, r->queue, r->pending,
                    (unsigned long long)r->events, r->wall_s, r->events_per_s,
                    r->peak_rss_bytes, r->queue_bytes,
                    (double)r->queue_bytes / (double)r->pending,
                    (unsigned long long)r->digest);
    return n < 0 ? FS_EIO : 0;
}
