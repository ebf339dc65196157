/*
 * include/fleetsim/queue.h - pending-event priority queues.
 *
 * Owns: struct fs_event and two interchangeable queues over it: the ladder
 * queue (Tang, Goh and Thng 2005; a calendar queue whose buckets split into
 * finer rungs on demand) the engine uses (fs_queue_*) and a 4-ary heap kept
 * as the reference that tests compare it against (fs_heapq_*).
 * Invariants: pop returns the least (at_us, seq); entries are plain values,
 * the queues never call handlers; no allocation per push in steady state.
 * Does not: know what handlers do, read any clock, cancel (see sim.h).
 */
#ifndef FLEETSIM_QUEUE_H
#define FLEETSIM_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fs_sim;

struct fs_event {
    int64_t at_us;                       /* firing time, microseconds */
    uint64_t seq;                        /* scheduling order; also the id */
    void (*fn)(struct fs_sim *, void *); /* handler */
    void *arg;                           /* payload: pointer or device index */
};

/* True when a fires before b: earlier time, then earlier seq. */
static inline bool
fs_event_before(const struct fs_event *a, const struct fs_event *b)
{
    if (a->at_us != b->at_us)
        return a->at_us < b->at_us;
    return a->seq < b->seq;
}

/*
 * Limits shared by both queues: times lie in [0, FS_QUEUE_TIME_MAX_US]
 * (about 146,000 years, so bucket arithmetic cannot overflow) and at most
 * FS_QUEUE_SIZE_MAX entries are held at once (nodes are 32-bit indices).
 * Exceeding either aborts; the engine's own limits are far below them.
 */
#define FS_QUEUE_TIME_MAX_US (INT64_MAX / 2)
#define FS_QUEUE_SIZE_MAX ((size_t)UINT32_MAX - 1)

struct fs_queue;

/*
 * Create an empty ladder queue with node storage for capacity_hint entries
 * (it grows past that by doubling). Returns 0, or FS_EINVAL when out is NULL.
 */
int fs_queue_create(size_t capacity_hint, struct fs_queue **out);
/* Destroy q; NULL is a no-op. */
void fs_queue_destroy(struct fs_queue *q);
/*
 * Insert ev. ev->at_us must be >= the time of the last popped entry (the
 * engine never schedules into the past).
 */
void fs_queue_push(struct fs_queue *q, const struct fs_event *ev);
/* Remove the least entry into *out; false when empty. */
bool fs_queue_pop(struct fs_queue *q, struct fs_event *out);
/* Copy the least entry into *out without removing it; false when empty. */
bool fs_queue_peek(struct fs_queue *q, struct fs_event *out);
/*
 * Copy the entry k places after the least into *out when it is already in
 * order (no work is needed to find it; k = 0 is the least); false otherwise,
 * also when the queue holds it elsewhere. Changes nothing. For prefetching.
 */
bool fs_queue_peek_ready(const struct fs_queue *q, size_t k,
                         struct fs_event *out);
/* Entries held. */
size_t fs_queue_size(const struct fs_queue *q);
/* Bytes held by q's arrays (for memory reports). */
size_t fs_queue_bytes(const struct fs_queue *q);
/* Full structural check; O(n). */
bool fs_queue_check(const struct fs_queue *q);

struct fs_heapq;

/* The reference 4-ary heap: same contract as fs_queue_*. */
int fs_heapq_create(size_t capacity_hint, struct fs_heapq **out);
void fs_heapq_destroy(struct fs_heapq *h);
void fs_heapq_push(struct fs_heapq *h, const struct fs_event *ev);
bool fs_heapq_pop(struct fs_heapq *h, struct fs_event *out);
bool fs_heapq_peek(struct fs_heapq *h, struct fs_event *out);
size_t fs_heapq_size(const struct fs_heapq *h);
size_t fs_heapq_bytes(const struct fs_heapq *h);
bool fs_heapq_check(const struct fs_heapq *h);

#endif
