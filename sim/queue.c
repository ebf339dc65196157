/*
 * sim/queue.c - the engine's pending-event queue: a ladder queue.
 *
 * Owns: every pending event of one engine, in three tiers (Tang, Goh and
 * Thng, "Ladder Queue", ACM TOMACS 15(3), 2005):
 *   - top: an unsorted list of the far future, times >= top_start_us;
 *   - rungs: up to RUNGS_MAX calendars of unsorted buckets. Rung 0 is built
 *     from the top when everything nearer is used up, with about one bucket
 *     per event; a bucket holding more than SPLIT_MIN events is split into a
 *     finer rung below it instead of being sorted, so skewed or clustered
 *     times never make a bucket large;
 *   - bottom: a small sorted array of the nearest events, popped in order.
 * Events sit in pooled 40-byte nodes linked by 32-bit index; the pool is one
 * array that grows by doubling, with a free list, so steady-state pushes and
 * pops allocate nothing. Bucket widths are powers of two (a shift, not a
 * division, per push) and are recomputed each time a rung is built, which is
 * the automatic resizing: widths follow the spread of the events actually
 * pending, from a handful to millions.
 *
 * Invariants (checked by fs_queue_check):
 *   - every bottom event < deepest rung's cur_us (or top_start_us when there
 *     are no rungs), and the bottom is sorted by (at_us, seq);
 *   - rung i covers [cur_us, upper) where upper is rung i-1's cur_us, or
 *     top_start_us for rung 0; each event lies in its bucket's range;
 *   - every top event >= top_start_us;
 *   - live nodes + free nodes = nodes handed out of the pool.
 * Ties in at_us are broken by seq when a bucket is sorted into the bottom,
 * so order is exactly that of fs_event_before, FIFO for a rising seq.
 *
 * Does not: call handlers, read any clock, or accept pushes earlier than the
 * last pop (asserted; the engine never schedules into the past).
 */
#include <stdlib.h>
#include <string.h>

#include "fleetsim/err.h"
#include "fleetsim/mem.h"
#include "fleetsim/queue.h"

#define NIL UINT32_MAX /* the null node index */
#define RUNGS_MAX 16   /* deepest ladder; widths shrink >= 2x per rung */
#define SPLIT_MIN 48   /* a bucket above this many events is split */
#define POOL_CAP_MIN 64      /* smallest node pool, in nodes */
#define BOTTOM_CAP_MIN 128   /* smallest bottom array, in events */
#define BOTTOM_SPILL_MIN 256 /* bottom size that may be spilled to a rung */
#define SORT_INSERTION_MAX 64 /* sort runs up to this long by insertion */
#define GATHER_BUCKETS 16     /* buckets walked side by side per refill */
#define GATHER_EVENTS_MAX 256 /* stop adding buckets to a refill past this */
#define FREE_US INT64_MIN     /* at_us of a node on the free list */

struct node {
    struct fs_event ev; /* the event itself */
    uint32_t next;      /* next node in the same list, or NIL */
};

struct rung {
    uint32_t *head;   /* per bucket: first node index, or NIL */
    uint32_t nb;      /* buckets in use */
    uint32_t cap;     /* buckets allocated */
    uint32_t cur;     /* first bucket not yet consumed */
    unsigned shift;   /* bucket width is 1 << shift microseconds */
    int64_t start_us; /* lower edge of bucket 0 */
    int64_t cur_us;   /* lower edge of bucket cur */
    size_t count;     /* events held in this rung */
};

struct fs_queue {
    struct node *pool;     /* node storage */
    uint32_t pool_used;    /* nodes ever handed out (live or free) */
    uint32_t pool_cap;     /* nodes allocated */
    uint32_t pool_cap_min; /* never shrink below this (the creation hint) */
    uint32_t free_head;    /* free list of returned nodes, or NIL */

    size_t top_count;     /* events in the top (nodes not in any list) */
    int64_t top_min_us;   /* least time in the top (when top_count > 0) */
    int64_t top_max_us;   /* greatest time in the top (when top_count > 0) */
    int64_t top_start_us; /* events at or after this go to the top */

    struct rung rung[RUNGS_MAX]; /* rung 0 is the coarsest */
    unsigned nrungs;             /* rungs in use */

    struct fs_event *bot; /* sorted nearest events, bot[bot_head..bot_used) */
    size_t bot_head;      /* next to pop */
    size_t bot_used;      /* one past the last */
    size_t bot_cap;       /* events allocated */
    size_t bot_spill;     /* bottom size that triggers a spill to a rung */

    size_t size;     /* events held, all tiers */
    int64_t last_us; /* time of the last pop; pushes must not be earlier */
};

/* ---- node pool ---------------------------------------------------------- */

static uint32_t
node_alloc(struct fs_queue *q)
{
    uint32_t i = q->free_head;
    if (i != NIL) {
        q->free_head = q->pool[i].next;
        return i;
    }
    if (q->pool_used == q->pool_cap) {
        uint64_t cap = (uint64_t)q->pool_cap * 2;
        if (cap > FS_QUEUE_SIZE_MAX)
            cap = FS_QUEUE_SIZE_MAX;
        FS_ASSERT(cap > q->pool_cap);
        q->pool = fs_xrealloc(q->pool, (size_t)cap * sizeof(*q->pool));
        q->pool_cap = (uint32_t)cap;
    }
    return q->pool_used++;
}

static void
node_free(struct fs_queue *q, uint32_t i)
{
    q->pool[i].ev.at_us = FREE_US;
    q->pool[i].next = q->free_head;
    q->free_head = i;
}

/*
 * When everything pending is in the top, copy the live nodes to a
 * right-sized fresh pool, in pool order. Run only when the pool is mostly
 * free, so a queue that grew to millions and shrank gives memory back.
 */
static void
pool_compact(struct fs_queue *q)
{
    FS_ASSERT(q->nrungs == 0);
    FS_ASSERT(q->bot_head == q->bot_used);
    FS_ASSERT(q->top_count == q->size);
    uint64_t cap = (uint64_t)q->size * 2;
    if (cap < q->pool_cap_min)
        cap = q->pool_cap_min;
    struct node *fresh = fs_xmalloc((size_t)cap * sizeof(*fresh));
    uint32_t n = 0;
    for (uint32_t i = 0; i < q->pool_used; i++)
        if (q->pool[i].ev.at_us != FREE_US)
            fresh[n++] = q->pool[i];
    FS_ASSERT(n == q->size);
    fs_free(q->pool);
    q->pool = fresh;
    q->pool_cap = (uint32_t)cap;
    q->pool_used = n;
    q->free_head = NIL;
}

/* ---- lifecycle ---------------------------------------------------------- */

int
fs_queue_create(size_t capacity_hint, struct fs_queue **out)
{
    if (out == NULL)
        return FS_EINVAL;
    struct fs_queue *q = fs_xcalloc(1, sizeof(*q));
    size_t cap = capacity_hint > POOL_CAP_MIN ? capacity_hint : POOL_CAP_MIN;
    if (cap > FS_QUEUE_SIZE_MAX)
        cap = FS_QUEUE_SIZE_MAX;
    q->pool_cap = q->pool_cap_min = (uint32_t)cap;
    q->pool = fs_xmalloc(cap * sizeof(*q->pool));
    q->free_head = NIL;
    q->top_start_us = INT64_MIN;
    q->bot_cap = BOTTOM_CAP_MIN;
    q->bot = fs_xmalloc(q->bot_cap * sizeof(*q->bot));
    q->bot_spill = BOTTOM_SPILL_MIN;
    *out = q;
    return 0;
}

void
fs_queue_destroy(struct fs_queue *q)
{
    if (q == NULL)
        return;
    for (unsigned i = 0; i < RUNGS_MAX; i++)
        fs_free(q->rung[i].head);
    fs_free(q->bot);
    fs_free(q->pool);
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
        r->head = fs_xrealloc(r->head, (size_t)nb * sizeof(*r->head));
        r->cap = (uint32_t)nb;
    }
    memset(r->head, 0xff, (size_t)nb * sizeof(*r->head)); /* all NIL */
    r->nb = (uint32_t)nb;
    r->cur = 0;
    r->shift = shift;
    r->start_us = start_us;
    r->cur_us = start_us;
    r->count = 0;
    return r;
}

/* Push node i onto its bucket in r; the caller has checked the range. */
static inline void
rung_link(struct rung *r, struct node *pool, uint32_t i)
{
    uint64_t off = (uint64_t)(pool[i].ev.at_us - r->start_us);
    uint32_t k = (uint32_t)(off >> r->shift);
    pool[i].next = r->head[k];
    r->head[k] = i;
    r->count++;
}

/* Relink a whole list into rung r. */
static void
rung_fill(struct rung *r, struct node *pool, uint32_t list)
{
    while (list != NIL) {
        uint32_t next = pool[list].next;
        rung_link(r, pool, list);
        list = next;
    }
}

/*
 * Rebuild rung 0 from the top (called when bottom and rungs are empty).
 * About one bucket per event over [top_min, top_max]; the top then starts
 * where rung 0 ends. The top is not a list: with everything else empty,
 * its events are exactly the live nodes, found by one sequential pool scan
 * (a pointer chase over a million nodes would be a cache miss each).
 */
static void
top_to_rung0(struct fs_queue *q)
{
    FS_ASSERT(q->top_count > 0);
    if (q->pool_cap > q->pool_cap_min && q->pool_cap / 4 > q->size)
        pool_compact(q);
    /* Finer rungs are idle now; drop arrays a past peak left oversized. */
    for (unsigned i = 1; i < RUNGS_MAX; i++) {
        if (q->rung[i].cap > 64 && q->rung[i].cap / 4 > q->size) {
            fs_free(q->rung[i].head);
            q->rung[i].head = NULL;
            q->rung[i].cap = 0;
        }
    }
    uint64_t span = (uint64_t)(q->top_max_us - q->top_min_us);
    unsigned shift = shift_for(span, q->top_count);
    uint64_t nb = (span >> shift) + 1;
    struct rung *r = rung_init(q, 0, q->top_min_us, shift, nb);
    for (uint32_t i = 0; i < q->pool_used; i++)
        if (q->pool[i].ev.at_us != FREE_US)
            rung_link(r, q->pool, i);
    FS_ASSERT(r->count == q->top_count);
    q->nrungs = 1;
    q->top_start_us = q->top_min_us + (int64_t)(nb << shift);
    q->top_count = 0;
}

/*
 * Split bucket list (count events, lower edge lo_us, width 1 << shift) into
 * a new rung below the deepest one.
 */
static void
spawn_rung(struct fs_queue *q, uint32_t list, size_t count, int64_t lo_us,
           unsigned shift)
{
    unsigned bits = 0;
    while (bits < shift && ((uint64_t)1 << bits) < count)
        bits++;
    struct rung *r = rung_init(q, q->nrungs, lo_us, shift - bits,
                               (uint64_t)1 << bits);
    rung_fill(r, q->pool, list);
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
 * Append a bucket list of count events to the bottom and sort them. Buckets
 * are appended in time order, so sorting each one sorts the whole bottom.
 */
static void
list_append_bottom(struct fs_queue *q, uint32_t list, size_t count)
{
    FS_ASSERT(q->bot_used + count <= q->bot_cap);
    struct fs_event *seg = q->bot + q->bot_used;
    size_t n = 0;
    while (list != NIL) {
        uint32_t next = q->pool[list].next;
        seg[n++] = q->pool[list].ev;
        node_free(q, list);
        list = next;
    }
    FS_ASSERT(n == count);
    sort_events(seg, n);
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
    unsigned shift = shift_for(span - 1, n);
    uint64_t nb = ((span - 1) >> shift) + 1;
    struct rung *r = rung_init(q, q->nrungs, lo_us, shift, nb);
    for (size_t k = q->bot_head; k < q->bot_used; k++) {
        uint32_t i = node_alloc(q);
        q->pool[i].ev = q->bot[k];
        rung_link(r, q->pool, i);
    }
    q->nrungs++;
    q->bot_head = q->bot_used = 0;
    q->bot_spill = BOTTOM_SPILL_MIN;
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
    memmove(q->bot + lo + 1, q->bot + lo,
            (q->bot_used - lo) * sizeof(*q->bot));
    q->bot[lo] = *ev;
    q->bot_used++;
    if (q->bot_used - q->bot_head > q->bot_spill)
        bottom_spill(q);
}

/* ---- push and pop ------------------------------------------------------- */

void
fs_queue_push(struct fs_queue *q, const struct fs_event *ev)
{
    int64_t t = ev->at_us;
    FS_ASSERT(t >= q->last_us);
    FS_ASSERT(t <= FS_QUEUE_TIME_MAX_US);
    FS_ASSERT(q->size < FS_QUEUE_SIZE_MAX);
    q->size++;
    if (t >= q->top_start_us) {
        uint32_t i = node_alloc(q);
        q->pool[i].ev = *ev;
        q->pool[i].next = NIL;
        if (q->top_count == 0 || t < q->top_min_us)
            q->top_min_us = t;
        if (q->top_count == 0 || t > q->top_max_us)
            q->top_max_us = t;
        q->top_count++;
        return;
    }
    for (unsigned ri = 0; ri < q->nrungs; ri++) {
        struct rung *r = &q->rung[ri];
        if (t >= r->cur_us) {
            uint32_t i = node_alloc(q);
            q->pool[i].ev = *ev;
            rung_link(r, q->pool, i);
            return;
        }
    }
    bottom_insert(q, ev);
}

/*
 * Count the events of up to GATHER_BUCKETS lists, walking them side by side
 * so that their cache misses overlap instead of queueing one after another.
 */
static void
count_lists(const struct node *pool, const uint32_t *list, size_t *count,
            unsigned n)
{
    uint32_t at[GATHER_BUCKETS];
    for (unsigned j = 0; j < n; j++) {
        at[j] = list[j];
        count[j] = 0;
    }
    for (unsigned busy = n; busy > 0;) {
        busy = 0;
        for (unsigned j = 0; j < n; j++) {
            if (at[j] == NIL)
                continue;
            count[j]++;
            at[j] = pool[at[j]].next;
            busy++;
        }
    }
}

/*
 * Refill the empty bottom from rung r (the deepest, not empty): take its
 * next non-empty buckets, several at a time, in bucket order; or, when the
 * first is too big and can still be split, split it into a finer rung.
 * Returns true when the bottom was filled.
 */
static bool
refill_from_rung(struct fs_queue *q, struct rung *r)
{
    uint32_t idx[GATHER_BUCKETS];
    uint32_t list[GATHER_BUCKETS];
    size_t count[GATHER_BUCKETS];
    unsigned n = 0;
    for (uint32_t k = r->cur; k < r->nb && n < GATHER_BUCKETS; k++) {
        if (r->head[k] != NIL) {
            idx[n] = k;
            list[n++] = r->head[k];
        }
    }
    FS_ASSERT(n > 0);
    count_lists(q->pool, list, count, n);
    bool splittable = r->shift > 0 && q->nrungs < RUNGS_MAX;
    if (count[0] > SPLIT_MIN && splittable) {
        r->head[idx[0]] = NIL;
        r->cur = idx[0] + 1;
        r->cur_us = r->start_us + ((int64_t)r->cur << r->shift);
        r->count -= count[0];
        spawn_rung(q, list[0], count[0], r->cur_us - ((int64_t)1 << r->shift),
                   r->shift);
        return false;
    }
    /* Take buckets in order while none needs splitting and few in all. */
    unsigned m = 1;
    size_t total = count[0];
    while (m < n && total + count[m] <= GATHER_EVENTS_MAX &&
           !(count[m] > SPLIT_MIN && splittable))
        total += count[m++];
    bottom_reserve(q, total);
    for (unsigned j = 0; j < m; j++) {
        r->head[idx[j]] = NIL;
        r->count -= count[j];
        list_append_bottom(q, list[j], count[j]);
    }
    r->cur = idx[m - 1] + 1;
    r->cur_us = r->start_us + ((int64_t)r->cur << r->shift);
    q->bot_spill = 2 * total > BOTTOM_SPILL_MIN ? 2 * total : BOTTOM_SPILL_MIN;
    return true;
}

/*
 * Make the bottom non-empty unless the queue is: refill it from the deepest
 * rung, dropping used-up rungs, and rebuild rung 0 from the top when the
 * rungs are used up. Each pass consumes a bucket, a rung or the top, so the
 * loop ends.
 */
static bool
prepare(struct fs_queue *q)
{
    if (q->bot_head < q->bot_used)
        return true;
    q->bot_head = q->bot_used = 0;
    if (q->size == 0)
        return false;
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
    q->bot_head = q->bot_used = 0;
    q->pool_used = 0;
    q->free_head = NIL;
    if (q->pool_cap > q->pool_cap_min) {
        q->pool = fs_xrealloc(q->pool, q->pool_cap_min * sizeof(*q->pool));
        q->pool_cap = q->pool_cap_min;
    }
    if (q->bot_cap > BOTTOM_CAP_MIN) {
        q->bot = fs_xrealloc(q->bot, BOTTOM_CAP_MIN * sizeof(*q->bot));
        q->bot_cap = BOTTOM_CAP_MIN;
    }
    for (unsigned i = 0; i < RUNGS_MAX; i++) {
        if (q->rung[i].cap > POOL_CAP_MIN) {
            fs_free(q->rung[i].head);
            q->rung[i].head = NULL;
            q->rung[i].cap = 0;
        }
    }
}

bool
fs_queue_pop(struct fs_queue *q, struct fs_event *out)
{
    if (!prepare(q))
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

size_t
fs_queue_size(const struct fs_queue *q)
{
    return q->size;
}

size_t
fs_queue_bytes(const struct fs_queue *q)
{
    size_t bytes = sizeof(*q) + (size_t)q->pool_cap * sizeof(*q->pool) +
                   q->bot_cap * sizeof(*q->bot);
    for (unsigned i = 0; i < RUNGS_MAX; i++)
        bytes += (size_t)q->rung[i].cap * sizeof(*q->rung[i].head);
    return bytes;
}

/* ---- integrity check ---------------------------------------------------- */

/* Count a list whose times must lie in [lo_us, hi_us); NIL-safe, cycle-safe. */
static bool
check_list(const struct fs_queue *q, uint32_t list, int64_t lo_us,
           int64_t hi_us, size_t *io_count)
{
    for (uint32_t i = list; i != NIL; i = q->pool[i].next) {
        if (i >= q->pool_used || ++*io_count > q->pool_used)
            return false;
        int64_t t = q->pool[i].ev.at_us;
        if (t < lo_us || t >= hi_us || t < q->last_us)
            return false;
    }
    return true;
}

static bool
check_rung(const struct fs_queue *q, unsigned ri, size_t *io_nodes)
{
    const struct rung *r = &q->rung[ri];
    int64_t upper = ri == 0 ? q->top_start_us : q->rung[ri - 1].cur_us;
    int64_t width = (int64_t)1 << r->shift;
    if (r->nb == 0 || r->nb > r->cap || r->cur > r->nb)
        return false;
    if (r->cur_us != r->start_us + (int64_t)r->cur * width)
        return false;
    if (r->cur_us > upper || r->start_us + (int64_t)r->nb * width < upper)
        return false;
    size_t count = 0;
    for (uint32_t k = 0; k < r->nb; k++) {
        if (k < r->cur) {
            if (r->head[k] != NIL)
                return false;
            continue;
        }
        int64_t lo = r->start_us + (int64_t)k * width;
        int64_t hi = lo + width < upper ? lo + width : upper;
        if (!check_list(q, r->head[k], lo, hi, &count))
            return false;
    }
    *io_nodes += count;
    return count == r->count;
}

bool
fs_queue_check(const struct fs_queue *q)
{
    if (q->pool_used > q->pool_cap || q->nrungs > RUNGS_MAX)
        return false;
    if (q->bot_head > q->bot_used || q->bot_used > q->bot_cap)
        return false;
    size_t nodes = 0;
    for (unsigned ri = 0; ri < q->nrungs; ri++)
        if (!check_rung(q, ri, &nodes))
            return false;
    /* Live nodes at or after top_start_us are the top; the rest in rungs. */
    size_t live = 0;
    size_t top = 0;
    for (uint32_t i = 0; i < q->pool_used; i++) {
        int64_t t = q->pool[i].ev.at_us;
        if (t == FREE_US)
            continue;
        live++;
        if (t < q->top_start_us)
            continue;
        top++;
        if (t < q->top_min_us || t > q->top_max_us || t < q->last_us)
            return false;
    }
    if (top != q->top_count || live != nodes + top)
        return false;
    nodes += top;
    int64_t limit = bottom_limit_us(q);
    for (size_t k = q->bot_head; k < q->bot_used; k++) {
        if (q->bot[k].at_us < q->last_us || q->bot[k].at_us >= limit)
            return false;
        if (k > q->bot_head && !fs_event_before(&q->bot[k - 1], &q->bot[k]))
            return false;
    }
    size_t free_nodes = 0;
    for (uint32_t i = q->free_head; i != NIL; i = q->pool[i].next) {
        if (i >= q->pool_used || ++free_nodes > q->pool_used)
            return false;
        if (q->pool[i].ev.at_us != FREE_US)
            return false;
    }
    if (nodes + free_nodes != q->pool_used)
        return false;
    return q->size == nodes + (q->bot_used - q->bot_head);
}
