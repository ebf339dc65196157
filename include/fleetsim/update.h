/*
 * include/fleetsim/update.h - the device side of updates.
 *
 * Owns: what a device makes of update records and offers (msg.h):
 * METADATA records are checked (record signature by the update service
 * key, expiry, product and group binding, freshness against the newest
 * record of the same deployment accepted before), one offer is downloaded
 * chunk by chunk, checked (signature, trusted and unrevoked signer,
 * record target, content hash, product, anti-rollback, flash), written to
 * the inactive slot in 64 KiB units, booted as the pending slot, and
 * confirmed after the probation time (raising the counter) or rolled back
 * after a crash. Outcomes ride on the next EVIDENCE.
 * Invariants: a device holds at most one update session; the queries
 * below change nothing.
 * Does not: cut power (physical.h counts the steps a cut lands on).
 */
#ifndef FLEETSIM_UPDATE_H
#define FLEETSIM_UPDATE_H

#include <stddef.h>
#include <stdint.h>

#include "fleetsim/msg.h"

struct fs_fleet;

/*
 * Newest update record version device accepted for deployment (0 when
 * none, or when it was forgotten: a device keeps the few deployments it
 * accepted most recently).
 */
uint64_t fs_update_accepted_version(const struct fs_fleet *f, uint32_t device,
                                    uint32_t deployment);

/*
 * Copy up to max of the update outcomes device holds for its next upload
 * (oldest first) into out; returns how many it holds (may exceed max).
 * Outcomes are appended as the device counts them and leave only when the
 * service acknowledges an upload, so the attacker on the path can see what
 * the device made of the update it delivered.
 */
size_t fs_update_reports(const struct fs_fleet *f, uint32_t device,
                         struct fs_update_report *out, size_t max);

/* Where a device's update stands (struct fs_update_view). */
enum fs_update_stage {
    FS_UPD_STAGE_NONE = 0,    /* no update held */
    FS_UPD_STAGE_STOPPED,     /* a download stopped (abandoned, cut) */
    FS_UPD_STAGE_DOWNLOADING, /* asking for bytes, or queued */
    FS_UPD_STAGE_DOWNLOADED,  /* every declared byte in, not installed */
    FS_UPD_STAGE_WRITING,     /* writing the inactive slot */
    FS_UPD_STAGE_BOOTING,     /* rebooting into the written slot */
    FS_UPD_STAGE_PROBATION    /* running it, not yet confirmed */
};

/*
 * A read-only copy of the update a device holds, as its own checks left
 * it (what it accepted of records: fs_update_accepted_version).
 */
struct fs_update_view {
    uint64_t offset_bytes; /* bytes of the download taken */
    uint64_t length_bytes; /* length the signed record declares */
    uint32_t image;        /* image of the manifest taken, or
                              FS_NO_IMAGE when none is held */
    uint32_t flips_taken;  /* flipped bits taken with the bytes */
    uint8_t stage;         /* enum fs_update_stage */
};

/* Fill *out with device's update state now; changes nothing. */
void fs_update_view(const struct fs_fleet *f, uint32_t device,
                    struct fs_update_view *out);

#endif
