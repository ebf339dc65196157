/*
 * sim/engine/queue.c - the engine's pending-event queue: a ladder queue.
 *
 * Owns: every pending event of one engine, in three tiers (Tang, Goh and
 * Thng, "Ladder Queue", ACM TOMACS 15(3), 2005):
 *   - top: an unsorted list of the far future, times >= top_start_us;
 *   - rungs: up to RUNGS_MAX calendars of unsorted buckets. Rung 0 is built
 *     from the top when everything nearer is used up, with about
 *     RUNG0_PER_BUCKET events per bucket; a bucket holding more than
 *     SPLIT_MIN events is split into a finer rung below it instead of being
 *     sorted, so skewed or clustered times never make a bucket large;
 *   - bottom: a sorted array of the nearest events, popped in order. A
 *     bucket dense in time (at least one event per COUNT_SPARSE us, at most
 *     COUNT_W_MAX us wide) enters it whole by a stable counting sort on
 *     at_us, which leaves ties in push order; that is checked to be seq
 *     order in the same pass (it is when seqs rise as pushes come), else
 *     the bucket is sorted fully. How big such a bucket may be adapts to
 *     how many pushes land in the bottom (each costs a memmove there).
 * Every list (the top and each bucket) is a ring of fixed chunks of CHUNK
 * events stored contiguously, so that a push is an append to the list's
 * tail chunk and a list is read back almost sequentially, with prefetch (a
 * linked node per event would cost a dependent cache miss per event).
 * Chunks come from one pool array (on huge pages where the system allows,
 * as pushes scatter over all of it) that grows by doubling, with a free
 * list, so steady-state pushes and pops allocate nothing. Bucket widths
 * are powers of two (a shift, not a division, per push) and are recomputed
 * each time a rung is built, which is the automatic resizing: widths follow
 * the spread of the events actually pending, from a handful to millions.
 *
 * Invariants (checked by fs_queue_check):
 *   - every bottom event < deepest rung's cur_us (or top_start_us when there
 *     are no rungs), and the bottom is sorted by (at_us, seq);
 *   - rung i covers [cur_us, upper) where upper is rung i-1's cur_us, or
 *     top_start_us for rung 0; each event lies in its bucket's range;
 *   - every top event >= top_start_us;
 *   - a list of n events is a ring of exactly ceil(n / CHUNK) chunks from
 *     its head to its tail; chunks in lists + free chunks = chunks handed
 *     out of the pool.
 * Ties in at_us are broken by seq when a bucket is sorted into the bottom,
 * so order is exactly that of fs_event_before, FIFO for a rising seq.
 *
 * Does not: call handlers, read any clock, or accept pushes earlier than the
 * last pop (asserted; the engine never schedules into the past).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fleetsim/err.h"
#include "fleetsim/mem.h"
#include "fleetsim/queue.h"

#define NIL UINT32_MAX        /* the null chunk index */
#define CHUNK 16              /* events per chunk (512 bytes) */
#define RUNGS_MAX 16          /* deepest ladder; widths shrink >= 2x per rung */
#define RUNG0_PER_BUCKET 256  /* rung 0 aims at this many events per bucket */
#define SPAWN_PER_BUCKET 256  /* a split dense bucket: this many per child */
#define SPAWN_SPARSE_PER 4    /* a split sparse bucket: this many per child */
#define SPLIT_MIN 48          /* a bucket above this many is split or counted */
#define POOL_CAP_MIN 8        /* smallest chunk pool, in chunks */
#define BOTTOM_CAP_MIN 128    /* smallest bottom array, in events */
#define BOTTOM_SPILL_MIN 256  /* bottom size that may be spilled to a rung */
#define SORT_INSERTION_MAX 64 /* sort runs up to this long by insertion */
#define COUNT_W_MAX 4096 /* widest bucket sorted by counting, microseconds */
#define COUNT_SPARSE 8   /* ... and only when width <= this * its events */
#define COUNT_EVENTS_MAX 16384 /* most events counted whole into the bottom */
#define COUNT_EVENTS_MIN 256   /* ... when pushes into the bottom are many */
#define PREFETCH_CHUNKS 4      /* chunks read ahead when draining a bucket */
#define GATHER_EVENTS_MAX 256  /* stop adding buckets to a refill past this */

struct chunk {
    struct fs_event ev[CHUNK];
};

/*
 * A list of events: a ring of chunks, all full but the tail, whose next is
 * the head (so a bucket is 8 bytes: pushes touch fewer cache lines).
 */
struct blist {
    uint32_t tail; /* last chunk (valid when n > 0) */
    uint32_t n;    /* events held */
};

struct rung {
    struct blist *b;  /* per bucket */
    uint32_t nb;      /* buckets in use */
    uint32_t cap;     /* buckets allocated */
    uint32_t cur;     /* first bucket not yet consumed */
    unsigned shift;   /* bucket width is 1 << shift microseconds */
    int64_t start_us; /* lower edge of bucket 0 */
    int64_t cur_us;   /* lower edge of bucket cur */
    size_t count;     /* events held in this rung */
};

struct fs_queue {
    struct chunk *pool;    /* chunk storage */
    uint32_t *cnext;       /* per chunk: next chunk in its list, or NIL */
    uint32_t pool_used;    /* chunks ever handed out (live or free) */
    uint32_t pool_cap;     /* chunks allocated */
    uint32_t pool_cap_min; /* never shrink below this (the creation hint) */
    uint32_t free_head;    /* free list of returned chunks, or NIL */

    struct blist top;     /* the far future, unsorted */
    int64_t top_min_us;   /* least time in the top (when top.n > 0) */
    int64_t top_max_us;   /* greatest time in the top (when top.n > 0) */
    int64_t top_start_us; /* events at or after this go to the top */

    struct rung rung[RUNGS_MAX]; /* rung 0 is the coarsest */
    unsigned nrungs;             /* rungs in use */

    struct fs_event *bot; /* sorted nearest events, bot[bot_head..bot_used) */
    size_t bot_head;      /* next to pop */
    size_t bot_used;      /* one past the last */
    size_t bot_cap;       /* events allocated */
    size_t bot_spill;     /* bottom size that triggers a spill to a rung */
    size_t bot_filled;    /* events the last refill put in the bottom */
    size_t bot_inserts;   /* pushes into the bottom since that refill */
    size_t count_max;     /* largest bucket counted whole into the bottom */

    uint32_t *hist; /* counting-sort scratch, COUNT_W_MAX + 1 entries */

    size_t size;     /* events held, all tiers */
    int64_t last_us; /* time of the last pop; pushes must not be earlier */
};

/* ---- chunk pool and lists ----------------------------------------------- */

/*
 * Ask for transparent huge pages over the 2 MiB-aligned interior of a big
 * array: pushes store into a few thousand chunks scattered over the whole
 * pool, which with 4 KiB pages would miss the TLB on nearly every push. A
 * hint only; where unsupported it is a no-op.
 */
static void
advise_huge(void *p, size_t bytes)
{
#ifdef MADV_HUGEPAGE
    const uintptr_t huge = (uintptr_t)2 << 20;
    if (bytes < 2 * huge)
        return;
    uintptr_t lo = ((uintptr_t)p + huge - 1) & ~(huge - 1);
    uintptr_t hi = ((uintptr_t)p + bytes) & ~(huge - 1);
    if (hi > lo)
        (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
    (void)p;
    (void)bytes;
#endif
}

static void
pool_resize(struct fs_queue *q, uint32_t cap)
{
    q->pool = fs_xrealloc(q->pool, (size_t)cap * sizeof(*q->pool));
    q->cnext = fs_xrealloc(q->cnext, (size_t)cap * sizeof(*q->cnext));
    q->pool_cap = cap;
    advise_huge(q->pool, (size_t)cap * sizeof(*q->pool));
}

static uint32_t
chunk_alloc(struct fs_queue *q)
{
    uint32_t i = q->free_head;
    if (i != NIL) {
        q->free_head = q->cnext[i];
        return i;
    }
    if (q->pool_used == q->pool_cap) {
        uint64_t cap = (uint64_t)q->pool_cap * 2;
        if (cap > FS_QUEUE_SIZE_MAX)
            cap = FS_QUEUE_SIZE_MAX;
        FS_ASSERT(cap > q->pool_cap);
        pool_resize(q, (uint32_t)cap);
    }
    return q->pool_used++;
}

static inline void
chunk_free(struct fs_queue *q, uint32_t i)
{
    q->cnext[i] = q->free_head;
    q->free_head = i;
}

/* First chunk of non-empty list b. */
static inline uint32_t
list_head(const struct fs_queue *q, const struct blist *b)
{
    return q->cnext[b->tail];
}

/* Start fetching all of chunk c into the cache. */
static inline void
chunk_prefetch(const struct fs_queue *q, uint32_t c)
{
    const char *p = (const char *)&q->pool[c];
    for (size_t o = 0; o < sizeof(struct chunk); o += 64)
        __builtin_prefetch(p + o);
}

/* Append ev to list b. */
static inline void
list_push(struct fs_queue *q, struct blist *b, const struct fs_event *ev)
{
    uint32_t s = b->n % CHUNK;
    if (s == 0) {
        uint32_t c = chunk_alloc(q);
        if (b->n == 0) {
            q->cnext[c] = c;
        } else {
            q->cnext[c] = q->cnext[b->tail];
            q->cnext[b->tail] = c;
        }
        b->tail = c;
    }
    q->pool[b->tail].ev[s] = *ev;
    b->n++;
}

/* Copy list b's events to out (b->n of them) and free its chunks. */
static void
list_drain(struct fs_queue *q, struct blist *b, struct fs_event *out)
{
    uint32_t left = b->n;
    uint32_t c = left > 0 ? list_head(q, b) : NIL;
    while (left > 0) {
        uint32_t take = left < CHUNK ? left : CHUNK;
        uint32_t next = q->cnext[c];
        if (left > CHUNK)
            __builtin_prefetch(&q->pool[next]);
        memcpy(out, q->pool[c].ev, take * sizeof(*out));
        out += take;
        left -= take;
        chunk_free(q, c);
        c = next;
    }
    b->n = 0;
}

static inline void rung_link(struct fs_queue *q, struct rung *r,
                             const struct fs_event *ev);

/* Move every event of list b into rung r and free b's chunks. */
static void
list_move_to_rung(struct fs_queue *q, struct blist *b, struct rung *r)
{
    uint32_t left = b->n;
    uint32_t c = left > 0 ? list_head(q, b) : NIL;
    while (left > 0) {
        uint32_t take = left < CHUNK ? left : CHUNK;
        uint32_t next = q->cnext[c];
        if (left > CHUNK)
            __builtin_prefetch(&q->pool[next]);
        /* rung_link may take chunks from the pool; c is freed after. */
        for (uint32_t k = 0; k < take; k++) {
            struct fs_event ev = q->pool[c].ev[k];
            rung_link(q, r, &ev);
        }
        chunk_free(q, c);
        left -= take;
        c = next;
    }
    b->n = 0;
}

/*
 * When everything pending is in the top, copy its chunks to a right-sized
 * fresh pool, in list order. Run only when the pool is mostly free, so a
 * queue that grew to millions and shrank gives memory back.
 */
static void
pool_compact(struct fs_queue *q)
{
    FS_ASSERT(q->nrungs == 0);
    FS_ASSERT(q->bot_head == q->bot_used);
    FS_ASSERT(q->top.n == q->size);
    uint32_t chunks = (q->top.n + CHUNK - 1) / CHUNK;
    uint64_t cap = (uint64_t)chunks * 2;
    if (cap < q->pool_cap_min)
        cap = q->pool_cap_min;
    struct chunk *fresh = fs_xmalloc((size_t)cap * sizeof(*fresh));
    advise_huge(fresh, (size_t)cap * sizeof(*fresh));
    uint32_t *fnext = fs_xmalloc((size_t)cap * sizeof(*fnext));
    uint32_t n = 0;
    for (uint32_t c = list_head(q, &q->top); n < chunks; c = q->cnext[c]) {
        fresh[n] = q->pool[c];
        fnext[n] = n + 1;
        n++;
    }
    fnext[n - 1] = 0;
    fs_free(q->pool);
    fs_free(q->cnext);
    q->pool = fresh;
    q->cnext = fnext;
    q->pool_cap = (uint32_t)cap;
    q->pool_used = n;
    q->free_head = NIL;
    q->top.tail = n - 1;
}

/* ---- lifecycle ---------------------------------------------------------- */

int
fs_queue_create(size_t capacity_hint, struct fs_queue **out)
{
    if (out == NULL)
        return FS_EINVAL;
    struct fs_queue *q = fs_xcalloc(1, sizeof(*q));
    /* Room for the hint in full chunks, plus a quarter for partial ones. */
    size_t cap = (capacity_hint + capacity_hint / 4) / CHUNK + 1;
    if (cap < POOL_CAP_MIN)
        cap = POOL_CAP_MIN;
    if (cap > FS_QUEUE_SIZE_MAX)
        cap = FS_QUEUE_SIZE_MAX;
    q->pool_cap_min = (uint32_t)cap;
    pool_resize(q, (uint32_t)cap);
    q->free_head = NIL;
    q->top_start_us = INT64_MIN;
    q->bot_cap = BOTTOM_CAP_MIN;
    q->bot = fs_xmalloc(q->bot_cap * sizeof(*q->bot));
    q->bot_spill = BOTTOM_SPILL_MIN;
    q->count_max = COUNT_EVENTS_MAX;
    q->hist = fs_xmalloc((COUNT_W_MAX + 1) * sizeof(*q->hist));
    *out = q;
    return 0;
}

void
fs_queue_destroy(struct fs_queue *q)
{
    if (q == NULL)
        return;
    for (unsigned i = 0; i < RUNGS_MAX; i++)
        fs_free(q->rung[i].b);
    fs_free(q->bot);
    fs_free(q->pool);
    fs_free(q->cnext);
    fs_free(q->hist);
    fs_free(q);
}

/* ---- sorting ------------------------------------------------------------ */

static int
event_cmp(const void *a, const void *b)
{
    const struct fs_event *x = a;
    const struct fs_event *y = b;
    if (fs_event_before(x, y))
        return -1;
    return fs_event_before(y, x) ? 1 : 0;
}

static void
sort_events(struct fs_event *ev, size_t n)
{
    if (n > SORT_INSERTION_MAX) {
        qsort(ev, n, sizeof(*ev), event_cmp);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        struct fs_event e = ev[i];
        size_t j = i;
        while (j > 0 && fs_event_before(&e, &ev[j - 1])) {
            ev[j] = ev[j - 1];
            j--;
        }
        ev[j] = e;
    }
}

/* ---- rungs -------------------------------------------------------------- */

/* Smallest shift with (1 << shift) * nb > span_us. */
static unsigned
shift_for(uint64_t span_us, uint64_t nb)
{
    uint64_t per = span_us / nb;
    unsigned shift = 0;
    while (shift < 62 && ((uint64_t)1 << shift) <= per)
        shift++;
    return shift;
}

/* Make rung index ri cover nb buckets of 1 << shift from start_us, empty. */
static struct rung *
rung_init(struct fs_queue *q, unsigned ri, int64_t start_us, unsigned shift,
          uint64_t nb)
{
    FS_ASSERT(ri < RUNGS_MAX);
    FS_ASSERT(nb >= 1);
    FS_ASSERT(nb <= UINT32_MAX);
    struct rung *r = &q->rung[ri];
    /* Keep the array across rebuilds; shrink only when far too big. */
    if (r->cap < nb || (r->cap > 4 * nb && r->cap > 64)) {
        r->b = fs_xrealloc(r->b, (size_t)nb * sizeof(*r->b));
        r->cap = (uint32_t)nb;
    }
    memset(r->b, 0, (size_t)nb * sizeof(*r->b)); /* all empty */
    r->nb = (uint32_t)nb;
    r->cur = 0;
    r->shift = shift;
    r->start_us = start_us;
    r->cur_us = start_us;
    r->count = 0;
    return r;
}

/* Append ev to its bucket in r; the caller has checked the range. */
static inline void
rung_link(struct fs_queue *q, struct rung *r, const struct fs_event *ev)
{
    uint64_t off = (uint64_t)(ev->at_us - r->start_us);
    uint32_t k = (uint32_t)(off >> r->shift);
    list_push(q, &r->b[k], ev);
    r->count++;
}

/*
 * Rebuild rung 0 from the top (called when bottom and rungs are empty).
 * About RUNG0_PER_BUCKET events per bucket over [top_min, top_max]; the top
 * then starts where rung 0 ends.
 */
static void
top_to_rung0(struct fs_queue *q)
{
    FS_ASSERT(q->top.n > 0);
    if (q->pool_cap > q->pool_cap_min && q->pool_cap / 4 > q->top.n / CHUNK + 1)
        pool_compact(q);
    /* Finer rungs are idle now; drop arrays a past peak left oversized. */
    for (unsigned i = 1; i < RUNGS_MAX; i++) {
        if (q->rung[i].cap > 64 && q->rung[i].cap / 4 > q->size) {
            fs_free(q->rung[i].b);
            q->rung[i].b = NULL;
            q->rung[i].cap = 0;
        }
    }
    uint64_t span = (uint64_t)(q->top_max_us - q->top_min_us);
    uint64_t want = q->top.n / RUNG0_PER_BUCKET + 1;
    unsigned shift = shift_for(span, want);
    uint64_t nb = (span >> shift) + 1;
    struct rung *r = rung_init(q, 0, q->top_min_us, shift, nb);
    size_t n = q->top.n;
    list_move_to_rung(q, &q->top, r);
    FS_ASSERT(r->count == n);
    q->nrungs = 1;
    q->top_start_us = q->top_min_us + (int64_t)(nb << shift);
}

/*
 * Split bucket b (lower edge lo_us, width 1 << shift) into a new rung below
 * the deepest one.
 */
static void
spawn_rung(struct fs_queue *q, struct blist *b, int64_t lo_us, unsigned shift)
{
    size_t count = b->n;
    /*
     * Dense events (at least one per COUNT_SPARSE us) get wide children
     * that are then counting-sorted whole; sparse ones get children of a
     * few events each, insertion-sorted a few at a time.
     */
    bool dense = ((uint64_t)1 << shift) <= (uint64_t)COUNT_SPARSE * count;
    size_t want = count / (dense ? SPAWN_PER_BUCKET : SPAWN_SPARSE_PER);
    unsigned bits = 1;
    while (bits < shift && ((uint64_t)1 << bits) < want)
        bits++;
    while (dense && bits < shift &&
           ((uint64_t)1 << (shift - bits)) > COUNT_W_MAX)
        bits++;
    struct rung *r =
        rung_init(q, q->nrungs, lo_us, shift - bits, (uint64_t)1 << bits);
    list_move_to_rung(q, b, r);
    FS_ASSERT(r->count == count);
    q->nrungs++;
}

/* ---- bottom ------------------------------------------------------------- */

static void
bottom_reserve(struct fs_queue *q, size_t n)
{
    if (q->bot_cap >= n)
        return;
    size_t cap = q->bot_cap;
    while (cap < n)
        cap *= 2;
    q->bot = fs_xrealloc(q->bot, cap * sizeof(*q->bot));
    q->bot_cap = cap;
}

/*
 * Append bucket b to the bottom and sort its events. Buckets are appended
 * in time order, so sorting each one sorts the whole bottom.
 */
static void
list_append_bottom(struct fs_queue *q, struct blist *b)
{
    size_t n = b->n;
    FS_ASSERT(q->bot_used + n <= q->bot_cap);
    struct fs_event *seg = q->bot + q->bot_used;
    list_drain(q, b, seg);
    sort_events(seg, n);
    q->bot_used += n;
}

/*
 * Append bucket b (lower edge lo_us, width w_us <= COUNT_W_MAX) to the
 * bottom sorted: a stable counting sort by at_us, then a pass that leaves
 * ties in push order when that is seq order (the usual case) or else sorts
 * the segment fully.
 */
static void
bucket_count_to_bottom(struct fs_queue *q, struct blist *b, int64_t lo_us,
                       uint32_t w_us)
{
    size_t n = b->n;
    FS_ASSERT(q->bot_used + n <= q->bot_cap);
    FS_ASSERT(w_us <= COUNT_W_MAX);
    uint32_t *h = q->hist;
    memset(h, 0, ((size_t)w_us + 1) * sizeof(*h));
    uint32_t left = b->n;
    /* Whether seq fails to rise in list order (it rises when pushes come
     * in seq order; then the stable sort already orders ties). */
    bool unordered = false;
    uint64_t last_seq = 0;
    /*
     * The chunks were written long ago and are likely in memory: fetch
     * whole chunks PREFETCH_CHUNKS ahead of the one being read.
     */
    uint32_t head = list_head(q, b);
    uint32_t nchunks = (b->n + CHUNK - 1) / CHUNK;
    uint32_t ahead = head;
    uint32_t fetched = 0;
    for (; fetched < PREFETCH_CHUNKS && fetched < nchunks; fetched++) {
        chunk_prefetch(q, ahead);
        ahead = q->cnext[ahead];
    }
    for (uint32_t c = head; left > 0; c = q->cnext[c]) {
        uint32_t take = left < CHUNK ? left : CHUNK;
        const struct fs_event *ev = q->pool[c].ev;
        if (fetched < nchunks) {
            chunk_prefetch(q, ahead);
            ahead = q->cnext[ahead];
            fetched++;
        }
        for (uint32_t k = 0; k < take; k++) {
            h[(uint32_t)(ev[k].at_us - lo_us) + 1]++;
            unordered |= ev[k].seq <= last_seq;
            last_seq = ev[k].seq;
        }
        left -= take;
    }
    for (uint32_t k = 1; k < w_us; k++)
        h[k] += h[k - 1];
    struct fs_event *seg = q->bot + q->bot_used;
    left = b->n;
    uint32_t c = head;
    while (left > 0) {
        uint32_t take = left < CHUNK ? left : CHUNK;
        uint32_t next = q->cnext[c];
        const struct fs_event *ev = q->pool[c].ev;
        for (uint32_t k = 0; k < take; k++)
            seg[h[(uint32_t)(ev[k].at_us - lo_us)]++] = ev[k];
        chunk_free(q, c);
        left -= take;
        c = next;
    }
    b->n = 0;
    for (size_t k = 1; unordered && k < n; k++) {
        if (seg[k].at_us == seg[k - 1].at_us && seg[k].seq < seg[k - 1].seq) {
            sort_events(seg, n);
            break;
        }
    }
    q->bot_used += n;
}

/* The time below which events belong to the bottom. */
static int64_t
bottom_limit_us(const struct fs_queue *q)
{
    if (q->nrungs > 0)
        return q->rung[q->nrungs - 1].cur_us;
    return q->top_start_us;
}

/*
 * The bottom grew past bot_spill through pushes into its range: turn it
 * into a new rung so that later pushes there cost O(1), not a memmove.
 */
static void
bottom_spill(struct fs_queue *q)
{
    size_t n = q->bot_used - q->bot_head;
    int64_t lo_us = q->bot[q->bot_head].at_us;
    uint64_t span = (uint64_t)(bottom_limit_us(q) - lo_us);
    if (q->nrungs == RUNGS_MAX || span < 2 * (uint64_t)n) {
        /* Too dense to split usefully; wait until it doubles again. */
        q->bot_spill = 2 * n;
        return;
    }
    unsigned shift = shift_for(span - 1, n / SPAWN_PER_BUCKET + 1);
    uint64_t nb = ((span - 1) >> shift) + 1;
    struct rung *r = rung_init(q, q->nrungs, lo_us, shift, nb);
    for (size_t k = q->bot_head; k < q->bot_used; k++)
        rung_link(q, r, &q->bot[k]);
    q->nrungs++;
    q->bot_head = q->bot_used = 0;
    q->bot_spill = BOTTOM_SPILL_MIN;
    q->count_max = q->count_max / 4 > COUNT_EVENTS_MIN ? q->count_max / 4
                                                       : COUNT_EVENTS_MIN;
}

/* Insert ev into the sorted bottom, after every entry not after it. */
static void
bottom_insert(struct fs_queue *q, const struct fs_event *ev)
{
    if (q->bot_used == q->bot_cap && q->bot_head > 0) {
        size_t n = q->bot_used - q->bot_head;
        memmove(q->bot, q->bot + q->bot_head, n * sizeof(*q->bot));
        q->bot_head = 0;
        q->bot_used = n;
    }
    bottom_reserve(q, q->bot_used + 1);
    /* Binary search for the first entry after ev; usually it is the end. */
    size_t lo = q->bot_head;
    size_t hi = q->bot_used;
    if (hi > lo && !fs_event_before(ev, &q->bot[hi - 1]))
        lo = hi;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (fs_event_before(ev, &q->bot[mid]))
            hi = mid;
        else
            lo = mid + 1;
    }
    q->bot_inserts++;
    if (q->bot_head > 0 && lo - q->bot_head < q->bot_used - lo) {
        /* Nearer the front (pushes at the current time): shift that part
         * into the popped slot before it. */
        memmove(q->bot + q->bot_head - 1, q->bot + q->bot_head,
                (lo - q->bot_head) * sizeof(*q->bot));
        q->bot_head--;
        q->bot[lo - 1] = *ev;
    } else {
        memmove(q->bot + lo + 1, q->bot + lo,
                (q->bot_used - lo) * sizeof(*q->bot));
        q->bot[lo] = *ev;
        q->bot_used++;
    }
    if (q->bot_used - q->bot_head > q->bot_spill)
        bottom_spill(q);
}

/* ---- push and pop ------------------------------------------------------- */

void
fs_queue_push(struct fs_queue *q, const struct fs_event *in)
{
    /*
     * Read *in field by field: callers usually have just written its fields
     * one by one, and a wide load over several narrow stores cannot be
     * store-forwarded (it would stall until they retire). The empty asm
     * keeps the compiler from merging the loads back.
     */
    struct fs_event e;
    e.at_us = in->at_us;
    e.seq = in->seq;
    e.fn = in->fn;
    e.arg = in->arg;
    __asm__("" : "+r"(e.at_us), "+r"(e.seq), "+r"(e.fn), "+r"(e.arg));
    const struct fs_event *ev = &e;
    int64_t t = ev->at_us;
    FS_ASSERT(t >= q->last_us);
    FS_ASSERT(t <= FS_QUEUE_TIME_MAX_US);
    FS_ASSERT(q->size < FS_QUEUE_SIZE_MAX);
    q->size++;
    if (t >= q->top_start_us) {
        if (q->top.n == 0 || t < q->top_min_us)
            q->top_min_us = t;
        if (q->top.n == 0 || t > q->top_max_us)
            q->top_max_us = t;
        list_push(q, &q->top, ev);
        return;
    }
    for (unsigned ri = 0; ri < q->nrungs; ri++) {
        struct rung *r = &q->rung[ri];
        if (t >= r->cur_us) {
            rung_link(q, r, ev);
            return;
        }
    }
    bottom_insert(q, ev);
}

/*
 * Refill the empty bottom from rung r (the deepest, not empty): take its
 * next non-empty buckets in bucket order; or, when the first is too big and
 * can still be split, split it into a finer rung. Returns true when the
 * bottom was filled.
 */
static bool
refill_from_rung(struct fs_queue *q, struct rung *r)
{
    uint32_t k = r->cur;
    while (k < r->nb && r->b[k].n == 0)
        k++;
    FS_ASSERT(k < r->nb);
    bool splittable = r->shift > 0 && q->nrungs < RUNGS_MAX;
    uint32_t nk = r->b[k].n;
    uint64_t width = (uint64_t)1 << r->shift;
    if (nk > SPLIT_MIN && width <= COUNT_W_MAX &&
        width <= (uint64_t)COUNT_SPARSE * nk &&
        (nk <= q->count_max || !splittable)) {
        r->cur = k + 1;
        r->cur_us = r->start_us + ((int64_t)r->cur << r->shift);
        r->count -= nk;
        bottom_reserve(q, nk);
        bucket_count_to_bottom(q, &r->b[k], r->cur_us - (int64_t)width,
                               (uint32_t)width);
        q->bot_spill = 2 * (size_t)nk > BOTTOM_SPILL_MIN ? 2 * (size_t)nk
                                                         : BOTTOM_SPILL_MIN;
        q->bot_filled = nk;
        return true;
    }
    if (nk > SPLIT_MIN && splittable) {
        r->cur = k + 1;
        r->cur_us = r->start_us + ((int64_t)r->cur << r->shift);
        r->count -= r->b[k].n;
        spawn_rung(q, &r->b[k], r->cur_us - ((int64_t)1 << r->shift), r->shift);
        return false;
    }
    /* Take buckets in order while none needs splitting and few in all. */
    size_t total = 0;
    uint32_t end = k;
    for (uint32_t j = k; j < r->nb; j++) {
        uint32_t c = r->b[j].n;
        if (c == 0)
            continue;
        if (j > k &&
            (total + c > GATHER_EVENTS_MAX || (c > SPLIT_MIN && splittable)))
            break;
        total += c;
        end = j;
    }
    bottom_reserve(q, total);
    for (uint32_t j = k; j <= end; j++) {
        if (r->b[j].n == 0)
            continue;
        if (j + 1 <= end && r->b[j + 1].n > 0)
            __builtin_prefetch(&q->pool[list_head(q, &r->b[j + 1])]);
        r->count -= r->b[j].n;
        list_append_bottom(q, &r->b[j]);
    }
    r->cur = end + 1;
    r->cur_us = r->start_us + ((int64_t)r->cur << r->shift);
    q->bot_spill = 2 * total > BOTTOM_SPILL_MIN ? 2 * total : BOTTOM_SPILL_MIN;
    q->bot_filled = total;
    return true;
}

/*
 * Make the bottom non-empty unless the queue is: refill it from the deepest
 * rung, dropping used-up rungs, and rebuild rung 0 from the top when the
 * rungs are used up. Each pass consumes a bucket, a rung or the top, so the
 * loop ends.
 */
static __attribute__((noinline)) bool
prepare(struct fs_queue *q)
{
    if (q->bot_head < q->bot_used)
        return true;
    q->bot_head = q->bot_used = 0;
    if (q->size == 0)
        return false;
    /*
     * A big bottom is cheap to fill but dear to push into (a memmove per
     * push): when many pushes landed in the last one, count smaller
     * buckets (bigger ones are split first); when few did, allow bigger.
     */
    if (q->bot_inserts * 8 > q->bot_filled) {
        q->count_max = q->count_max / 2 > COUNT_EVENTS_MIN ? q->count_max / 2
                                                           : COUNT_EVENTS_MIN;
    } else if (q->bot_inserts * 64 < q->bot_filled &&
               q->count_max < COUNT_EVENTS_MAX) {
        q->count_max *= 2;
    }
    q->bot_inserts = 0;
    q->bot_filled = 0;
    for (;;) {
        if (q->nrungs == 0) {
            top_to_rung0(q);
            continue;
        }
        struct rung *r = &q->rung[q->nrungs - 1];
        if (r->count == 0) {
            q->nrungs--;
            continue;
        }
        if (refill_from_rung(q, r))
            return true;
    }
}

/*
 * The queue just became empty: forget the ladder so the next fill sizes it
 * afresh, and give back memory a past peak left behind.
 */
static void
reset_empty(struct fs_queue *q)
{
    q->nrungs = 0;
    q->top_start_us = INT64_MIN;
    q->top.n = 0;
    q->bot_head = q->bot_used = 0;
    q->pool_used = 0;
    q->free_head = NIL;
    if (q->pool_cap > q->pool_cap_min)
        pool_resize(q, q->pool_cap_min);
    if (q->bot_cap > BOTTOM_CAP_MIN) {
        q->bot = fs_xrealloc(q->bot, BOTTOM_CAP_MIN * sizeof(*q->bot));
        q->bot_cap = BOTTOM_CAP_MIN;
    }
    for (unsigned i = 0; i < RUNGS_MAX; i++) {
        if (q->rung[i].cap > 64) {
            fs_free(q->rung[i].b);
            q->rung[i].b = NULL;
            q->rung[i].cap = 0;
        }
    }
}

bool
fs_queue_pop(struct fs_queue *q, struct fs_event *out)
{
    if (__builtin_expect(q->bot_head == q->bot_used, 0) && !prepare(q))
        return false;
    *out = q->bot[q->bot_head++];
    q->last_us = out->at_us;
    q->size--;
    if (q->size == 0)
        reset_empty(q);
    return true;
}

bool
fs_queue_peek(struct fs_queue *q, struct fs_event *out)
{
    if (!prepare(q))
        return false;
    *out = q->bot[q->bot_head];
    return true;
}

bool
fs_queue_peek_ready(const struct fs_queue *q, size_t k, struct fs_event *out)
{
    if (k >= q->bot_used - q->bot_head)
        return false;
    *out = q->bot[q->bot_head + k];
    return true;
}

size_t
fs_queue_size(const struct fs_queue *q)
{
    return q->size;
}

size_t
fs_queue_bytes(const struct fs_queue *q)
{
    size_t per_chunk = sizeof(*q->pool) + sizeof(*q->cnext);
    size_t bytes = sizeof(*q) + (COUNT_W_MAX + 1) * sizeof(*q->hist) +
                   (size_t)q->pool_cap * per_chunk +
                   q->bot_cap * sizeof(*q->bot);
    for (unsigned i = 0; i < RUNGS_MAX; i++)
        bytes += (size_t)q->rung[i].cap * sizeof(*q->rung[i].b);
    return bytes;
}

/* ---- integrity check ---------------------------------------------------- */

/*
 * Check list b: ceil(n / CHUNK) chunks ending at its tail, every time in
 * [lo_us, hi_us) and not before the last pop. Adds its chunks to *io_chunks.
 */
static bool
check_list(const struct fs_queue *q, const struct blist *b, int64_t lo_us,
           int64_t hi_us, size_t *io_chunks)
{
    if (b->n == 0)
        return true;
    uint32_t want = (b->n + CHUNK - 1) / CHUNK;
    uint32_t left = b->n;
    if (b->tail >= q->pool_used)
        return false;
    uint32_t head = q->cnext[b->tail];
    uint32_t c = head;
    for (uint32_t i = 0; i < want; i++) {
        if (c >= q->pool_used)
            return false;
        uint32_t take = left < CHUNK ? left : CHUNK;
        for (uint32_t k = 0; k < take; k++) {
            int64_t t = q->pool[c].ev[k].at_us;
            if (t < lo_us || t >= hi_us || t < q->last_us)
                return false;
        }
        left -= take;
        if (i + 1 == want) {
            if (c != b->tail || q->cnext[c] != head)
                return false;
        } else {
            c = q->cnext[c];
        }
    }
    *io_chunks += want;
    return true;
}

static bool
check_rung(const struct fs_queue *q, unsigned ri, size_t *io_chunks)
{
    const struct rung *r = &q->rung[ri];
    int64_t upper = ri == 0 ? q->top_start_us : q->rung[ri - 1].cur_us;
    int64_t width = (int64_t)1 << r->shift;
    if (r->nb == 0 || r->nb > r->cap || r->cur > r->nb)
        return false;
    if (r->cur_us != r->start_us + (int64_t)r->cur * width)
        return false;
    /* A rung's last bucket may straddle upper; once it is consumed the
     * rung is empty and cur_us lies past upper. */
    if ((r->cur_us > upper && r->count != 0) ||
        r->start_us + (int64_t)r->nb * width < upper)
        return false;
    size_t count = 0;
    for (uint32_t k = 0; k < r->nb; k++) {
        if (k < r->cur) {
            if (r->b[k].n != 0)
                return false;
            continue;
        }
        int64_t lo = r->start_us + (int64_t)k * width;
        int64_t hi = lo + width < upper ? lo + width : upper;
        if (!check_list(q, &r->b[k], lo, hi, io_chunks))
            return false;
        count += r->b[k].n;
    }
    return count == r->count;
}

bool
fs_queue_check(const struct fs_queue *q)
{
    if (q->pool_used > q->pool_cap || q->nrungs > RUNGS_MAX)
        return false;
    if (q->bot_head > q->bot_used || q->bot_used > q->bot_cap)
        return false;
    size_t chunks = 0;
    size_t events = 0;
    for (unsigned ri = 0; ri < q->nrungs; ri++) {
        if (!check_rung(q, ri, &chunks))
            return false;
        events += q->rung[ri].count;
    }
    if (q->top.n > 0) {
        if (q->top_min_us < q->top_start_us || q->top_min_us > q->top_max_us)
            return false;
        if (!check_list(q, &q->top, q->top_min_us, q->top_max_us + 1, &chunks))
            return false;
    }
    events += q->top.n;
    int64_t limit = bottom_limit_us(q);
    for (size_t k = q->bot_head; k < q->bot_used; k++) {
        if (q->bot[k].at_us < q->last_us || q->bot[k].at_us >= limit)
            return false;
        if (k > q->bot_head && !fs_event_before(&q->bot[k - 1], &q->bot[k]))
            return false;
    }
    size_t free_chunks = 0;
    for (uint32_t i = q->free_head; i != NIL; i = q->cnext[i]) {
        if (i >= q->pool_used || ++free_chunks > q->pool_used)
            return false;
    }
    if (chunks + free_chunks != q->pool_used)
        return false;
    return q->size == events + (q->bot_used - q->bot_head);
}
