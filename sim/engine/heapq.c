/*
 * sim/engine/heapq.c - the reference pending-event queue: an implicit 4-ary
 * min-heap.
 *
 * Owns: one array of struct fs_event ordered as a 4-ary heap on
 * (at_us, seq). Children of slot i are 4i+1 .. 4i+4.
 * Invariants: every parent is before each of its children; the array only
 * grows by doubling (and halves when three quarters empty), so a push
 * allocates nothing once the heap has reached its working size.
 * Does not: call handlers, read any clock, or assume monotone times; it is
 * the simple, obviously right structure the fast queue is tested against.
 */
#include "fleetsim/err.h"
#include "fleetsim/mem.h"
#include "fleetsim/queue.h"

/* Smallest capacity the array is ever given or shrunk to, in entries. */
#define HEAPQ_CAP_MIN 16

struct fs_heapq {
    struct fs_event *ev; /* the heap array */
    size_t used;         /* entries held */
    size_t cap;          /* entries allocated */
    size_t cap_min;      /* never shrink below this (the creation hint) */
};

int
fs_heapq_create(size_t capacity_hint, struct fs_heapq **out)
{
    if (out == NULL)
        return FS_EINVAL;
    struct fs_heapq *h = fs_xcalloc(1, sizeof(*h));
    h->cap_min = capacity_hint > HEAPQ_CAP_MIN ? capacity_hint : HEAPQ_CAP_MIN;
    h->cap = h->cap_min;
    h->ev = fs_xmalloc(h->cap * sizeof(*h->ev));
    *out = h;
    return 0;
}

void
fs_heapq_destroy(struct fs_heapq *h)
{
    if (h == NULL)
        return;
    fs_free(h->ev);
    fs_free(h);
}

static void
resize(struct fs_heapq *h, size_t cap)
{
    FS_ASSERT(cap >= h->used);
    h->ev = fs_xrealloc(h->ev, cap * sizeof(*h->ev));
    h->cap = cap;
}

void
fs_heapq_push(struct fs_heapq *h, const struct fs_event *ev)
{
    if (h->used == h->cap)
        resize(h, h->cap * 2);
    /* Sift up with a hole: move parents down until ev fits. */
    size_t i = h->used++;
    while (i > 0) {
        size_t parent = (i - 1) / 4;
        if (!fs_event_before(ev, &h->ev[parent]))
            break;
        h->ev[i] = h->ev[parent];
        i = parent;
    }
    h->ev[i] = *ev;
}

bool
fs_heapq_pop(struct fs_heapq *h, struct fs_event *out)
{
    if (h->used == 0)
        return false;
    *out = h->ev[0];
    struct fs_event last = h->ev[--h->used];
    size_t n = h->used;
    /* Sift the former last entry down from the root, again with a hole. */
    size_t i = 0;
    for (;;) {
        size_t c = 4 * i + 1;
        if (c >= n)
            break;
        size_t best = c;
        size_t end = c + 4 < n ? c + 4 : n;
        for (size_t k = c + 1; k < end; k++)
            if (fs_event_before(&h->ev[k], &h->ev[best]))
                best = k;
        if (!fs_event_before(&h->ev[best], &last))
            break;
        h->ev[i] = h->ev[best];
        i = best;
    }
    if (n > 0)
        h->ev[i] = last;
    if (h->cap > h->cap_min && h->used < h->cap / 4) {
        size_t cap = h->cap / 2;
        resize(h, cap > h->cap_min ? cap : h->cap_min);
    }
    return true;
}

bool
fs_heapq_peek(struct fs_heapq *h, struct fs_event *out)
{
    if (h->used == 0)
        return false;
    *out = h->ev[0];
    return true;
}

size_t
fs_heapq_size(const struct fs_heapq *h)
{
    return h->used;
}

size_t
fs_heapq_bytes(const struct fs_heapq *h)
{
    return sizeof(*h) + h->cap * sizeof(*h->ev);
}

bool
fs_heapq_check(const struct fs_heapq *h)
{
    if (h->used > h->cap || h->cap < h->cap_min)
        return false;
    for (size_t i = 1; i < h->used; i++)
        if (fs_event_before(&h->ev[i], &h->ev[(i - 1) / 4]))
            return false;
    return true;
}
