/*
 * sim/engine/sim.c - the discrete-event engine: clock, queue, cancellable
 * ids, record.
 *
 * Owns: simulated time (the only place it advances), the pending-event
 * queue, the id slots of events that can be cancelled, the context slots,
 * the run arena, and the canonical record stream (BLAKE2b fingerprint,
 * optional zstd trace).
 * An event scheduled with an id takes an id slot (arg, generation, state)
 * and goes into the queue with the slot's index as its arg and the low bit
 * of its seq set (seq is the scheduling counter shifted left by one, so the
 * bit does not change the order). Its id is (generation << 32 | slot). When
 * the event leaves the queue its slot goes back to a free list with the
 * generation bumped, so an id that fired, was dropped or was never issued
 * never matches a slot: cancelling it is a no-op that stores nothing.
 * Invariants: now_us never decreases; an event fires at most once and never
 * after it was cancelled; records are hashed in append order; front_us is
 * at most the least queued time (equal between fs_sim_run calls).
 * Does not: read any clock, allocate while handling events in steady state
 * (the queue and the slot array only grow), know about devices, service or
 * any layer above (context slots are anonymous here).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>
#include <zstd.h>

#include "fleetsim/err.h"
#include "fleetsim/queue.h"
#include "fleetsim/sim.h"

#include "fleetsim/bytes.h"

/* Records are hashed and compressed in chunks of this many bytes. */
#define RECORD_BUF_BYTES ((size_t)64 * 1024)
/* zstd level of traces: fixed, single-threaded, so output is stable. */
#define TRACE_ZSTD_LEVEL 3

/* Id slot states, kept in id_slot.next while the slot is in use. */
#define SLOT_NIL UINT32_MAX             /* end of the free list */
#define SLOT_PENDING (UINT32_MAX - 1)   /* its event will fire */
#define SLOT_CANCELLED (UINT32_MAX - 2) /* its event will be dropped */
#define SLOTS_MAX (UINT32_MAX - 3)      /* slot indices stay below states */
#define SLOTS_MIN 64                    /* first allocation of the array */
#define SLOT_PREFETCH_AHEAD 8 /* prefetch the slot of the event this far on */

/* The id slot of one queued event that was scheduled with an id. */
struct id_slot {
    void *arg;     /* the handler's payload while in use */
    uint32_t gen;  /* generation, >= 1; bumped when the slot is freed */
    uint32_t next; /* SLOT_PENDING or SLOT_CANCELLED, or free-list link */
};

struct fs_sim {
    int64_t now_us;         /* simulated time, microseconds */
    int64_t front_us;       /* least queued time (a lower bound in runs) */
    uint64_t seed;          /* root of every random stream */
    uint64_t next_seq;      /* scheduling counter (seq = next_seq << 1) */
    uint64_t events_run;    /* handlers called */
    bool stopped;           /* fs_sim_stop was called */
    struct fs_queue *queue; /* pending events */
    struct id_slot *slots;  /* id slots, slots_used of slots_cap in use */
    uint32_t slots_used;    /* slots ever handed out (in use or free) */
    uint32_t slots_cap;     /* slots allocated */
    uint32_t slot_free;     /* free list head, or SLOT_NIL */
    size_t cancelled;       /* queued events whose slot is cancelled */
    struct fs_arena arena;  /* run-lifetime memory */
    crypto_generichash_state hash; /* fingerprint over records */
    unsigned char *rec_buf;        /* records not yet hashed */
    size_t rec_len;                /* bytes used in rec_buf */
    uint64_t records;              /* records appended */
    FILE *trace_fp;                /* open trace, or NULL */
    int trace_errno;               /* first write error of the trace, or 0 */
    ZSTD_CCtx *trace_zc;           /* compressor of the trace */
    unsigned char *trace_out;      /* compressed output buffer */
    size_t trace_out_cap;          /* its size in bytes */
    void *ctx[FS_SIM_CTX_SLOTS];   /* context pointers of upper layers */
    fs_sim_record_fn *hook;        /* reader of every record, or NULL */
    void *hook_ctx;                /* its first argument */
};

/* Take a free id slot for an event with payload arg; returns its index. */
static uint32_t
slot_alloc(struct fs_sim *sim, void *arg)
{
    uint32_t s = sim->slot_free;
    if (s != SLOT_NIL) {
        sim->slot_free = sim->slots[s].next;
    } else {
        if (sim->slots_used == sim->slots_cap) {
            uint64_t cap =
                sim->slots_cap ? (uint64_t)sim->slots_cap * 2 : SLOTS_MIN;
            if (cap > SLOTS_MAX)
                cap = SLOTS_MAX;
            FS_ASSERT(cap > sim->slots_cap);
            sim->slots =
                fs_xrealloc(sim->slots, (size_t)cap * sizeof(*sim->slots));
            sim->slots_cap = (uint32_t)cap;
        }
        s = sim->slots_used++;
        sim->slots[s].gen = 1;
    }
    sim->slots[s].arg = arg;
    sim->slots[s].next = SLOT_PENDING;
    return s;
}

/*
 * The event ev (seq bit 0 set) left the queue: free its slot, bumping the
 * generation so its id goes stale, and restore its payload. Returns true
 * when it is to fire, false when it was cancelled.
 */
static bool
slot_take(struct fs_sim *sim, struct fs_event *ev)
{
    uint32_t s = (uint32_t)(uintptr_t)ev->arg;
    FS_ASSERT(s < sim->slots_used);
    struct id_slot *sl = &sim->slots[s];
    bool fire = sl->next == SLOT_PENDING;
    FS_ASSERT(fire || sl->next == SLOT_CANCELLED);
    if (!fire)
        sim->cancelled--;
    ev->arg = sl->arg;
    sl->arg = NULL;
    sl->gen = sl->gen == UINT32_MAX ? 1 : sl->gen + 1;
    sl->next = sim->slot_free;
    sim->slot_free = s;
    return fire;
}

/*
 * Start loading the id slot of the next event while the current handler
 * runs (slots of pending events are scattered: reading one at its pop
 * would be a cache miss). A hint only: nothing when the next is not known.
 */
static inline void
slot_prefetch_next(const struct fs_sim *sim)
{
    struct fs_event nx;
    if (sim->slots_used != 0 &&
        fs_queue_peek_ready(sim->queue, SLOT_PREFETCH_AHEAD, &nx) &&
        (nx.seq & 1) != 0)
        __builtin_prefetch(&sim->slots[(uintptr_t)nx.arg], 1);
}

/* The least queued time, or INT64_MAX (may restructure the queue). */
static int64_t
queue_front_us(struct fs_queue *q)
{
    struct fs_event ev;
    return fs_queue_peek(q, &ev) ? ev.at_us : INT64_MAX;
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
    sim->front_us = INT64_MAX;
    sim->slot_free = SLOT_NIL;
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
    fs_free(sim->slots);
    fs_arena_fini(&sim->arena);
    fs_queue_destroy(sim->queue);
    fs_free(sim);
}

void
fs_sim_set_ctx(struct fs_sim *sim, unsigned slot, void *ptr)
{
    FS_ASSERT(slot < FS_SIM_CTX_SLOTS);
    sim->ctx[slot] = ptr;
}

void *
fs_sim_ctx(const struct fs_sim *sim, unsigned slot)
{
    FS_ASSERT(slot < FS_SIM_CTX_SLOTS);
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
    FS_ASSERT(fn != NULL);
    FS_ASSERT(sim->next_seq < ((uint64_t)1 << 63));
    struct fs_event ev = {
        .at_us = at_us, .seq = sim->next_seq++ << 1, .fn = fn, .arg = arg};
    if (out_id != NULL) {
        uint32_t s = slot_alloc(sim, arg);
        ev.seq |= 1;
        ev.arg = (void *)(uintptr_t)s;
        *out_id = (uint64_t)sim->slots[s].gen << 32 | s;
    }
    fs_queue_push(sim->queue, &ev);
    if (at_us < sim->front_us)
        sim->front_us = at_us;
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
    uint32_t s = (uint32_t)id;
    uint32_t gen = (uint32_t)(id >> 32);
    if (s >= sim->slots_used)
        return; /* never issued */
    struct id_slot *sl = &sim->slots[s];
    if (sl->gen != gen || sl->next != SLOT_PENDING)
        return; /* fired, dropped, cancelled already, or never issued */
    sl->next = SLOT_CANCELLED;
    sim->cancelled++;
}

int
fs_sim_run(struct fs_sim *sim, int64_t until_us, uint64_t max_events,
           uint64_t *out_ran)
{
    uint64_t ran = 0;
    struct fs_event ev;
    bool front_known = false;
    FS_ASSERT(until_us >= sim->now_us);
    while (ran < max_events && !sim->stopped) {
        if (!fs_queue_peek(sim->queue, &ev) || ev.at_us > until_us) {
            sim->front_us = fs_queue_size(sim->queue) ? ev.at_us : INT64_MAX;
            front_known = true;
            sim->now_us = until_us;
            break;
        }
        fs_queue_pop(sim->queue, &ev);
        if ((ev.seq & 1) != 0 && !slot_take(sim, &ev))
            continue;
        slot_prefetch_next(sim);
        FS_ASSERT(ev.at_us >= sim->now_us);
        sim->now_us = ev.at_us;
        ev.fn(sim, ev.arg);
        ran++;
    }
    if (!front_known)
        sim->front_us = queue_front_us(sim->queue);
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

void
fs_sim_resume(struct fs_sim *sim)
{
    sim->stopped = false;
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
    return fs_queue_size(sim->queue) - sim->cancelled;
}

int64_t
fs_sim_next_us(const struct fs_sim *sim)
{
    return sim->front_us;
}

size_t
fs_sim_bytes(const struct fs_sim *sim)
{
    return fs_queue_bytes(sim->queue) +
           (size_t)sim->slots_cap * sizeof(*sim->slots);
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
        if (out.pos > 0 &&
            fwrite(sim->trace_out, 1, out.pos, sim->trace_fp) != out.pos &&
            sim->trace_errno == 0)
            sim->trace_errno = errno != 0 ? errno : EIO;
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
    FS_ASSERT(kind != FS_SIM_TRACE_END_KIND);
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
    if (sim->hook != NULL)
        sim->hook(sim->hook_ctx, sim->now_us, kind, device, value);
}

void
fs_sim_set_record_hook(struct fs_sim *sim, fs_sim_record_fn *fn, void *ctx)
{
    sim->hook = fn;
    sim->hook_ctx = ctx;
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
fs_sim_trace_open(struct fs_sim *sim, const char *path, const char *header,
                  size_t header_len)
{
    if (sim->trace_fp != NULL || sim->records != 0 ||
        header_len > FS_SIM_TRACE_HEADER_MAX)
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
    ZSTD_CCtx_setParameter(sim->trace_zc, ZSTD_c_checksumFlag, 1);
    sim->trace_out_cap = ZSTD_CStreamOutSize();
    sim->trace_out = fs_xmalloc(sim->trace_out_cap);
    sim->trace_fp = fp;
    unsigned char pre[16];
    memcpy(pre, FS_SIM_TRACE_MAGIC, 8);
    fs_bytes_put_le(pre + 8, FS_SIM_TRACE_FORMAT, 4);
    fs_bytes_put_le(pre + 12, header_len, 4);
    trace_write(sim, pre, sizeof(pre), false);
    if (header_len > 0)
        trace_write(sim, header, header_len, false);
    return 0;
}

int
fs_sim_trace_close(struct fs_sim *sim)
{
    if (sim->trace_fp == NULL)
        return 0;
    record_flush(sim);
    /* The end record: count and fingerprint, so a reader can tell a whole
     * trace from a cut one. Not hashed, not counted. */
    unsigned char end[FS_SIM_RECORD_BYTES + 32];
    fs_bytes_put_le(end, (uint64_t)sim->now_us, 8);
    fs_bytes_put_le(end + 8, FS_SIM_TRACE_END_KIND, 2);
    fs_bytes_put_le(end + 10, 0, 2);
    fs_bytes_put_le(end + 12, 0, 4);
    fs_bytes_put_le(end + 16, sim->records, 8);
    crypto_generichash_state copy = sim->hash;
    crypto_generichash_final(&copy, end + FS_SIM_RECORD_BYTES, 32);
    trace_write(sim, end, sizeof(end), true);
    int err = ferror(sim->trace_fp) ? FS_EIO : 0;
    if (fclose(sim->trace_fp) != 0) {
        if (sim->trace_errno == 0)
            sim->trace_errno = errno != 0 ? errno : EIO;
        err = FS_EIO;
    }
    if (err != 0 && sim->trace_errno == 0)
        sim->trace_errno = EIO;
    ZSTD_freeCCtx(sim->trace_zc);
    fs_free(sim->trace_out);
    sim->trace_fp = NULL;
    sim->trace_zc = NULL;
    sim->trace_out = NULL;
    return err;
}

int
fs_sim_trace_errno(const struct fs_sim *sim)
{
    return sim->trace_errno;
}

bool
fs_sim_check(const struct fs_sim *sim)
{
    if (!fs_queue_check(sim->queue))
        return false;
    size_t queued = fs_queue_size(sim->queue);
    if (sim->front_us < sim->now_us && queued > 0)
        return false;
    if (queued == 0 && sim->front_us != INT64_MAX)
        return false;
    /* Every slot is pending, cancelled or free, and the counts add up. */
    size_t in_use = 0, cancelled = 0, free_len = 0;
    for (uint32_t s = 0; s < sim->slots_used; s++) {
        const struct id_slot *sl = &sim->slots[s];
        if (sl->gen == 0)
            return false;
        if (sl->next == SLOT_PENDING || sl->next == SLOT_CANCELLED)
            in_use++;
        cancelled += sl->next == SLOT_CANCELLED;
    }
    for (uint32_t s = sim->slot_free; s != SLOT_NIL; s = sim->slots[s].next) {
        if (s >= sim->slots_used || ++free_len > sim->slots_used)
            return false;
    }
    if (in_use + free_len != sim->slots_used || cancelled != sim->cancelled)
        return false;
    if (in_use > queued || sim->slots_used > sim->slots_cap)
        return false;
    return sim->rec_len <= RECORD_BUF_BYTES;
}
