/*
 * device/repq.c - the bounded error-report queue of each device.
 *
 * Owns: a device's queued error reports, aggregated per (kind, image)
 * with a count and first/last time, and the marks of what is in flight.
 * Invariants: at most FS_REPQ_EVENTS_MAX events and none older than
 * FS_REPQ_AGE_MAX_US (checked whenever the queue is touched); dropping
 * removes the oldest events first and every dropped event is counted;
 * sent <= count for each entry. Times of events inside an aggregated entry
 * are taken as evenly spread between first and last.
 * Does not: send anything (device/net.c attaches entries to EVIDENCE).
 */
#include <string.h>

#include "device_int.h"

#define REP_EMPTY 0xFFu

static void
rep_clear(struct dev_rep *e)
{
    memset(e, 0, sizeof(*e));
    e->kind = REP_EMPTY;
}

/* Empty queue of a new device. */
void
fs__repq_init(struct fs_dev *d)
{
    for (unsigned i = 0; i < FS_REPQ_ENTRIES; i++)
        rep_clear(&d->rep[i]);
}

/* Remove n of e's oldest events (n <= count). */
static void
rep_drop_oldest(struct dev_rep *e, uint32_t n)
{
    FS_ASSERT(n <= e->count);
    if (n == 0)
        return;
    if (n == e->count) {
        rep_clear(e);
        return;
    }
    /* span * n overflows int64 for spans of a few years: use 128 bits */
    __int128 span = (__int128)e->last_us - e->first_us;
    e->first_us += (int64_t)(span * n / (e->count - 1));
    e->count = (uint16_t)(e->count - n);
    if (e->sent > e->count)
        e->sent = e->count;
}

static void
count_drops(struct fs_fleet *f, uint32_t id, uint32_t n)
{
    if (n == 0)
        return;
    f->devs[id].rep_dropped += n;
    f->reports_dropped += n;
    fs__fleet_record(f, FS_REC_DEV_REPORT_DROP, id, n);
}

/* Drop events older than the age bound. */
static void
repq_prune(struct fs_fleet *f, uint32_t id)
{
    struct fs_dev *d = &f->devs[id];
    int64_t cutoff = fs__fleet_now(f) - FS_REPQ_AGE_MAX_US;
    uint32_t dropped = 0;
    for (unsigned i = 0; i < FS_REPQ_ENTRIES; i++) {
        struct dev_rep *e = &d->rep[i];
        if (e->kind == REP_EMPTY || e->first_us >= cutoff)
            continue;
        uint32_t n = e->count;
        if (e->last_us >= cutoff && e->count > 1) {
            /* in 128 bits: the product overflows int64 for long spans */
            __int128 span = (__int128)e->last_us - e->first_us;
            __int128 old = ((__int128)cutoff - e->first_us) * (e->count - 1);
            n = (uint32_t)(old / span) + 1; /* events at or before cutoff */
            if (n >= e->count)
                n = e->count - 1u;
        }
        dropped += n;
        rep_drop_oldest(e, n);
        if (e->kind != REP_EMPTY && e->first_us < cutoff)
            e->first_us = cutoff;
    }
    count_drops(f, id, dropped);
}

static uint32_t
repq_total(const struct fs_dev *d)
{
    uint32_t n = 0;
    for (unsigned i = 0; i < FS_REPQ_ENTRIES; i++)
        if (d->rep[i].kind != REP_EMPTY)
            n += d->rep[i].count;
    return n;
}

/* Entry with the oldest first event (ties: lowest index), or -1. */
static int
repq_oldest(const struct fs_dev *d)
{
    int best = -1;
    for (unsigned i = 0; i < FS_REPQ_ENTRIES; i++) {
        if (d->rep[i].kind == REP_EMPTY)
            continue;
        if (best < 0 || d->rep[i].first_us < d->rep[best].first_us)
            best = (int)i;
    }
    return best;
}

/* Find the entry of (kind, image), else an empty one (evicting if full). */
static struct dev_rep *
repq_slot(struct fs_fleet *f, uint32_t id, uint8_t kind, uint32_t image)
{
    struct fs_dev *d = &f->devs[id];
    struct dev_rep *empty = NULL;
    for (unsigned i = 0; i < FS_REPQ_ENTRIES; i++) {
        struct dev_rep *e = &d->rep[i];
        if (e->kind == kind && e->image == fs__fleet_img16(image))
            return e;
        if (e->kind == REP_EMPTY && empty == NULL)
            empty = e;
    }
    if (empty == NULL) {
        empty = &d->rep[repq_oldest(d)];
        count_drops(f, id, empty->count);
        rep_clear(empty);
    }
    empty->kind = kind;
    empty->image = fs__fleet_img16(image);
    return empty;
}

/* Queue one event; see repq.h. */
void
fs_repq_add(struct fs_fleet *f, uint32_t device, enum fs_report_kind kind,
            uint32_t image)
{
    FS_ASSERT(device < f->ndevs);
    FS_ASSERT((unsigned)kind < FS_REP_COUNT);
    struct fs_dev *d = &f->devs[device];
    repq_prune(f, device);
    if (repq_total(d) >= FS_REPQ_EVENTS_MAX) {
        rep_drop_oldest(&d->rep[repq_oldest(d)], 1);
        count_drops(f, device, 1);
    }
    struct dev_rep *e = repq_slot(f, device, (uint8_t)kind, image);
    int64_t now = fs__fleet_now(f);
    if (e->count == 0)
        e->first_us = now;
    e->last_us = now;
    e->count++;
}

/* Events queued on device after pruning by age. */
uint32_t
fs_repq_pending(struct fs_fleet *f, uint32_t device)
{
    FS_ASSERT(device < f->ndevs);
    repq_prune(f, device);
    return repq_total(&f->devs[device]);
}

/* Error-report events device dropped so far. */
uint32_t
fs_repq_dropped(const struct fs_fleet *f, uint32_t device)
{
    FS_ASSERT(device < f->ndevs);
    return f->devs[device].rep_dropped;
}

/* Copy entries oldest first into out and mark them in flight. */
size_t
fs_repq_take(struct fs_fleet *f, uint32_t device, struct fs_report_entry *out,
             size_t max)
{
    FS_ASSERT(device < f->ndevs);
    struct fs_dev *d = &f->devs[device];
    repq_prune(f, device);
    fs__repq_unsend(d);
    size_t n = 0;
    while (n < max) {
        int best = -1;
        for (unsigned i = 0; i < FS_REPQ_ENTRIES; i++) {
            const struct dev_rep *e = &d->rep[i];
            if (e->kind == REP_EMPTY || e->sent != 0)
                continue;
            if (best < 0 || e->first_us < d->rep[best].first_us)
                best = (int)i;
        }
        if (best < 0)
            break;
        struct dev_rep *e = &d->rep[best];
        e->sent = e->count;
        out[n] = (struct fs_report_entry){.kind = e->kind,
                                          .image = fs__fleet_img32(e->image),
                                          .count = e->count,
                                          .first_us = e->first_us,
                                          .last_us = e->last_us};
        n++;
    }
    return n;
}

/* The service got the entries in flight: remove those events. */
void
fs_repq_ack(struct fs_fleet *f, uint32_t device)
{
    FS_ASSERT(device < f->ndevs);
    struct fs_dev *d = &f->devs[device];
    for (unsigned i = 0; i < FS_REPQ_ENTRIES; i++) {
        struct dev_rep *e = &d->rep[i];
        if (e->kind == REP_EMPTY || e->sent == 0)
            continue;
        rep_drop_oldest(e, e->sent);
        e->sent = 0;
    }
}

/* Forget what is in flight (the upload failed); the events stay. */
void
fs__repq_unsend(struct fs_dev *d)
{
    for (unsigned i = 0; i < FS_REPQ_ENTRIES; i++)
        d->rep[i].sent = 0;
}

/* Queue invariants of one device. */
bool
fs__repq_check(const struct fs_dev *d)
{
    uint32_t total = 0;
    for (unsigned i = 0; i < FS_REPQ_ENTRIES; i++) {
        const struct dev_rep *e = &d->rep[i];
        if (e->kind == REP_EMPTY)
            continue;
        if (e->kind >= FS_REP_COUNT || e->count == 0 || e->sent > e->count)
            return false;
        if (e->first_us > e->last_us)
            return false;
        total += e->count;
    }
    return total <= FS_REPQ_EVENTS_MAX;
}
