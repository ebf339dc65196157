/*
 * include/fleetsim/repq.h - the bounded error-report queue of every
 * device.
 *
 * Owns: a device's queued error reports, aggregated per (kind, image)
 * with a count and first/last time, and the marks of what is in flight.
 * Invariants: at most FS_REPQ_EVENTS_MAX events and none older than
 * FS_REPQ_AGE_MAX_US; dropping removes the oldest events first and every
 * dropped event is counted.
 * Does not: send anything (the check-in client attaches entries to
 * EVIDENCE).
 */
#ifndef FLEETSIM_REPQ_H
#define FLEETSIM_REPQ_H

#include <stddef.h>
#include <stdint.h>

#include "fleetsim/msg.h"

struct fs_fleet;

/* Bounds of a device's queue (as Azure Sphere bounds it). */
#define FS_REPQ_EVENTS_MAX 1000u
#define FS_REPQ_AGE_MAX_US ((int64_t)14 * 24 * 3600 * 1000000)
/* Distinct (kind, image) entries a device keeps. */
#define FS_REPQ_ENTRIES 6

/* Queue one error-report event of kind for image at the current time. */
void fs_repq_add(struct fs_fleet *f, uint32_t device, enum fs_report_kind kind,
                 uint32_t image);
/* Events now queued on a device (after age pruning at the current time). */
uint32_t fs_repq_pending(struct fs_fleet *f, uint32_t device);
/* Events of a device dropped by its bounds so far. */
uint32_t fs_repq_dropped(const struct fs_fleet *f, uint32_t device);
/*
 * Copy up to max queued entries (oldest first) into out and mark them as
 * in flight; returns how many. They are removed by fs_repq_ack.
 */
size_t fs_repq_take(struct fs_fleet *f, uint32_t device,
                    struct fs_report_entry *out, size_t max);
/* The service received the last entries taken: remove those events. */
void fs_repq_ack(struct fs_fleet *f, uint32_t device);

#endif
