/*
 * sim/engine/sim.c - the discrete-event engine: clock, queue, tombstones,
 * record.
 *
 * Owns: simulated time (the only place it advances), the pending-event
 * queue, the set of cancelled event ids, the run arena, and the canonical
 * record stream (BLAKE2b fingerprint, optional zstd trace).
 * Invariants: now_us never decreases; an event fires at most once and never
 * after it was cancelled; records are hashed in append order.
 * Does not: read any clock, allocate while handling events in steady state
 * (the queue and tombstone set only grow), know about devices or service.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>
#include <zstd.h>

#include "fleetsim/crypto.h"
#include "fleetsim/err.h"
#include "fleetsim/queue.h"
#include "fleetsim/sim.h"

#include "fleetsim/bytes.h"

/* Records are hashed and compressed in chunks of this many bytes. */
#define RECORD_BUF_BYTES ((size_t)64 * 1024)
/* zstd level of traces: fixed, single-threaded, so output is stable. */
#define TRACE_ZSTD_LEVEL 3

/* Open-addressing set of cancelled event ids (0 marks an empty slot). */
struct tomb_set {
    uint64_t *slots; /* capacity entries, 0 = empty, 1 = deleted */
    size_t cap;      /* power of two */
    size_t used;     /* live ids */
    size_t filled;   /* live ids plus deleted markers */
};

struct fs_sim {
    int64_t now_us;         /* simulated time, microseconds */
    uint64_t seed;          /* root of every random stream */
    uint64_t next_seq;      /* next event id; starts at 2 (0, 1 reserved) */
    uint64_t events_run;    /* handlers called */
    bool stopped;           /* fs_sim_stop was called */
    struct fs_queue *queue; /* pending events */
    struct tomb_set tombs;  /* cancelled ids still in the queue */
    struct fs_arena arena;  /* run-lifetime memory */
    crypto_generichash_state hash;    /* fingerprint over records */
    unsigned char *rec_buf;           /* records not yet hashed */
    size_t rec_len;                   /* bytes used in rec_buf */
    uint64_t records;                 /* records appended */
    FILE *trace_fp;                   /* open trace, or NULL */
    ZSTD_CCtx *trace_zc;              /* compressor of the trace */
    unsigned char *trace_out;         /* compressed output buffer */
    size_t trace_out_cap;             /* its size in bytes */
    void *ctx[FS_CTX_COUNT];          /* per-layer context pointers */
    struct fs_crypto_stats crypto;    /* signature operations of the model */
    fs_crypto_clock_fn *crypto_clock; /* benchmark clock, or NULL */
};

static uint64_t
tomb_hash(uint64_t id)
{
    id ^= id >> 33;
    id *= 0xff51afd7ed558ccdULL;
    id ^= id >> 33;
    return id;
}

static void tomb_insert(struct tomb_set *t, uint64_t id);

static void
tomb_grow(struct tomb_set *t)
{
    struct tomb_set old = *t;
    t->cap = old.cap ? old.cap * 2 : 64;
    if (old.cap && old.used * 4 < old.cap)
        t->cap = old.cap; /* mostly deleted markers: rehash in place size */
    t->slots = fs_xcalloc(t->cap, sizeof(*t->slots));
    t->used = 0;
    t->filled = 0;
    for (size_t i = 0; i < old.cap; i++)
        if (old.slots[i] > 1)
            tomb_insert(t, old.slots[i]);
    fs_free(old.slots);
}

static void
tomb_insert(struct tomb_set *t, uint64_t id)
{
    if ((t->filled + 1) * 2 > t->cap)
        tomb_grow(t);
    size_t mask = t->cap - 1;
    size_t i = (size_t)tomb_hash(id) & mask;
    while (t->slots[i] > 1) {
        if (t->slots[i] == id)
            return;
        i = (i + 1) & mask;
    }
    if (t->slots[i] == 0)
        t->filled++;
    t->slots[i] = id;
    t->used++;
}

/* Remove id from the set; true when it was there. */
static bool
tomb_take(struct tomb_set *t, uint64_t id)
{
    if (t->used == 0)
        return false;
    size_t mask = t->cap - 1;
    size_t i = (size_t)tomb_hash(id) & mask;
    while (t->slots[i] != 0) {
        if (t->slots[i] == id) {
            t->slots[i] = 1;
            t->used--;
            return true;
        }
        i = (i + 1) & mask;
    }
    return false;
}

int
fs_sim_create(uint64_t seed, size_t pending_hint, struct fs_sim **out)
{
    if (sodium_init() < 0)
        return FS_EINVAL;
    struct fs_sim *sim = fs_xcalloc(1, sizeof(*sim));
    int err = fs_queue_create(pending_hint ? pending_hint : 1024, &sim->queue);
    if (err != 0)
        goto out_free_sim;
    sim->seed = seed;
    sim->next_seq = 2;
    fs_arena_init(&sim->arena);
    crypto_generichash_init(&sim->hash, NULL, 0, 32);
    sim->rec_buf = fs_xmalloc(RECORD_BUF_BYTES);
    *out = sim;
    return 0;

out_free_sim:
    fs_free(sim);
    return err;
}

void
fs_sim_destroy(struct fs_sim *sim)
{
    if (sim == NULL)
        return;
    fs_sim_trace_close(sim);
    fs_free(sim->rec_buf);
    fs_free(sim->tombs.slots);
    fs_arena_fini(&sim->arena);
    fs_queue_destroy(sim->queue);
    fs_free(sim);
}

struct fs_crypto_stats *
fs_sim_crypto(struct fs_sim *sim)
{
    return &sim->crypto;
}

void
fs_sim_set_crypto_clock(struct fs_sim *sim, fs_crypto_clock_fn *clock)
{
    sim->crypto_clock = clock;
}

fs_crypto_clock_fn *
fs_sim_crypto_clock(const struct fs_sim *sim)
{
    return sim->crypto_clock;
}

void
fs_sim_set_ctx(struct fs_sim *sim, enum fs_sim_ctx slot, void *ptr)
{
    FS_ASSERT((unsigned)slot < FS_CTX_COUNT);
    sim->ctx[slot] = ptr;
}

void *
fs_sim_ctx(const struct fs_sim *sim, enum fs_sim_ctx slot)
{
    FS_ASSERT((unsigned)slot < FS_CTX_COUNT);
    return sim->ctx[slot];
}

int64_t
fs_sim_now_us(const struct fs_sim *sim)
{
    return sim->now_us;
}

uint64_t
fs_sim_seed(const struct fs_sim *sim)
{
    return sim->seed;
}

struct fs_arena *
fs_sim_arena(struct fs_sim *sim)
{
    return &sim->arena;
}

int
fs_sim_schedule_at(struct fs_sim *sim, int64_t at_us, fs_event_fn *fn,
                   void *arg, uint64_t *out_id)
{
    if (at_us < sim->now_us)
        return FS_EINVAL;
    if (at_us > FS_SIM_TIME_MAX_US)
        return FS_ELIMIT;
    struct fs_event ev = {
        .at_us = at_us, .seq = sim->next_seq++, .fn = fn, .arg = arg};
    fs_queue_push(sim->queue, &ev);
    if (out_id != NULL)
        *out_id = ev.seq;
    return 0;
}

int
fs_sim_schedule(struct fs_sim *sim, int64_t delay_us, fs_event_fn *fn,
                void *arg, uint64_t *out_id)
{
    if (delay_us < 0)
        return FS_EINVAL;
    if (delay_us > FS_SIM_TIME_MAX_US - sim->now_us)
        return FS_ELIMIT;
    return fs_sim_schedule_at(sim, sim->now_us + delay_us, fn, arg, out_id);
}

void
fs_sim_cancel(struct fs_sim *sim, uint64_t id)
{
    FS_ASSERT(id >= 2);
    FS_ASSERT(id < sim->next_seq);
    tomb_insert(&sim->tombs, id);
}

int
fs_sim_run(struct fs_sim *sim, int64_t until_us, uint64_t max_events,
           uint64_t *out_ran)
{
    uint64_t ran = 0;
    struct fs_event ev;
    FS_ASSERT(until_us >= sim->now_us);
    while (ran < max_events && !sim->stopped) {
        if (!fs_queue_peek(sim->queue, &ev) || ev.at_us > until_us) {
            sim->now_us = until_us;
            break;
        }
        fs_queue_pop(sim->queue, &ev);
        if (tomb_take(&sim->tombs, ev.seq))
            continue;
        FS_ASSERT(ev.at_us >= sim->now_us);
        sim->now_us = ev.at_us;
        ev.fn(sim, ev.arg);
        ran++;
    }
    sim->events_run += ran;
    if (out_ran != NULL)
        *out_ran = ran;
    return sim->stopped ? FS_EINTR : 0;
}

void
fs_sim_stop(struct fs_sim *sim)
{
    sim->stopped = true;
}

bool
fs_sim_is_stopped(const struct fs_sim *sim)
{
    return sim->stopped;
}

uint64_t
fs_sim_events(const struct fs_sim *sim)
{
    return sim->events_run;
}

size_t
fs_sim_pending(const struct fs_sim *sim)
{
    return fs_queue_size(sim->queue);
}

int64_t
fs_sim_next_us(struct fs_sim *sim)
{
    struct fs_event ev;
    while (fs_queue_peek(sim->queue, &ev)) {
        if (!tomb_take(&sim->tombs, ev.seq))
            return ev.at_us;
        fs_queue_pop(sim->queue, &ev);
    }
    return INT64_MAX;
}

static void
trace_write(struct fs_sim *sim, const void *data, size_t len, bool end)
{
    ZSTD_inBuffer in = {data, len, 0};
    ZSTD_EndDirective mode = end ? ZSTD_e_end : ZSTD_e_continue;
    for (;;) {
        ZSTD_outBuffer out = {sim->trace_out, sim->trace_out_cap, 0};
        size_t left = ZSTD_compressStream2(sim->trace_zc, &out, &in, mode);
        FS_ASSERT(!ZSTD_isError(left));
        if (out.pos > 0)
            fwrite(sim->trace_out, 1, out.pos, sim->trace_fp);
        if (end ? left == 0 : in.pos == in.size)
            break;
    }
}

static void
record_flush(struct fs_sim *sim)
{
    if (sim->rec_len == 0)
        return;
    crypto_generichash_update(&sim->hash, sim->rec_buf, sim->rec_len);
    if (sim->trace_fp != NULL)
        trace_write(sim, sim->rec_buf, sim->rec_len, false);
    sim->rec_len = 0;
}

void
fs_sim_record(struct fs_sim *sim, uint16_t kind, uint32_t device, int64_t value)
{
    if (sim->rec_len + FS_SIM_RECORD_BYTES > RECORD_BUF_BYTES)
        record_flush(sim);
    unsigned char *p = sim->rec_buf + sim->rec_len;
    fs_bytes_put_le(p, (uint64_t)sim->now_us, 8);
    fs_bytes_put_le(p + 8, kind, 2);
    fs_bytes_put_le(p + 10, 0, 2);
    fs_bytes_put_le(p + 12, device, 4);
    fs_bytes_put_le(p + 16, (uint64_t)value, 8);
    sim->rec_len += FS_SIM_RECORD_BYTES;
    sim->records++;
}

uint64_t
fs_sim_records(const struct fs_sim *sim)
{
    return sim->records;
}

void
fs_sim_fingerprint(struct fs_sim *sim, char hex[65])
{
    record_flush(sim);
    crypto_generichash_state copy = sim->hash;
    unsigned char digest[32];
    crypto_generichash_final(&copy, digest, sizeof(digest));
    sodium_bin2hex(hex, 65, digest, sizeof(digest));
}

int
fs_sim_trace_open(struct fs_sim *sim, const char *path)
{
    if (sim->trace_fp != NULL)
        return FS_EINVAL;
    FILE *fp = fopen(path, "wb");
    if (fp == NULL)
        return FS_EIO;
    record_flush(sim);
    sim->trace_zc = ZSTD_createCCtx();
    if (sim->trace_zc == NULL) {
        fclose(fp);
        return FS_EIO;
    }
    ZSTD_CCtx_setParameter(sim->trace_zc, ZSTD_c_compressionLevel,
                           TRACE_ZSTD_LEVEL);
    sim->trace_out_cap = ZSTD_CStreamOutSize();
    sim->trace_out = fs_xmalloc(sim->trace_out_cap);
    sim->trace_fp = fp;
    return 0;
}

int
fs_sim_trace_close(struct fs_sim *sim)
{
    if (sim->trace_fp == NULL)
        return 0;
    record_flush(sim);
    trace_write(sim, "", 0, true);
    int err = ferror(sim->trace_fp) ? FS_EIO : 0;
    if (fclose(sim->trace_fp) != 0)
        err = FS_EIO;
    ZSTD_freeCCtx(sim->trace_zc);
    fs_free(sim->trace_out);
    sim->trace_fp = NULL;
    sim->trace_zc = NULL;
    sim->trace_out = NULL;
    return err;
}

bool
fs_sim_check(struct fs_sim *sim)
{
    if (!fs_queue_check(sim->queue))
        return false;
    struct fs_event ev;
    if (fs_queue_peek(sim->queue, &ev) && ev.at_us < sim->now_us)
        return false;
    if (sim->tombs.used > fs_queue_size(sim->queue))
        return false;
    return sim->rec_len <= RECORD_BUF_BYTES;
}
