/*
 * include/fleetsim/boot.h - the secure boot chain of every device.
 *
 * Owns: the chain ROM -> security monitor -> bootloader -> OS -> apps (hl,
 * rt0, rt1), its results per stage and slot, and the measurements it
 * extends into the keystore.
 * Invariants: a stage boots only an image that passed every check whose
 * defence is on; measurements are extended in chain order; a device that
 * fails a stage in both slots is left in recovery with a boot_failure
 * report queued.
 * Does not: install updates (update.h), talk to the service, or schedule.
 */
#ifndef FLEETSIM_BOOT_H
#define FLEETSIM_BOOT_H

#include <stdbool.h>
#include <stdint.h>

struct fs_fleet;

/* Boot results, recorded as FS_REC_DEV_BOOT_STAGE values. */
enum fs_boot_result {
    FS_BOOT_OK = 0,
    FS_BOOT_EMPTY,      /* no image in the slot */
    FS_BOOT_WRONG_KIND, /* manifest kind is not what the stage expects */
    FS_BOOT_UNTRUSTED,  /* signer not trusted by the keystore */
    FS_BOOT_BAD_SIG,    /* manifest signature does not verify */
    FS_BOOT_BAD_HASH,   /* content hash differs from the manifest's */
    FS_BOOT_ROLLBACK    /* security version below the counter */
};

/* Outcome of booting one device (fs_boot_device). */
struct fs_boot_report {
    bool ok;              /* false: the device is in recovery */
    uint8_t failed_stage; /* fs_slot_of that failed (when !ok) */
    uint8_t result[4][2]; /* fs_boot_result per stage and slot
                             tried (FS_BOOT_EMPTY if not tried) */
    bool tried[4][2];     /* slot was checked */
    uint8_t booted[4];    /* slot booted per stage (0 A, 1 B) */
    bool compromised;     /* runs code trusted keys did not sign */
};

/*
 * Run the secure boot chain of one device now, synchronously: reset and
 * extend the measurements, verify OS then apps (hl, rt0, rt1) in the
 * active slot and fall back to the other, switch the active slot to the
 * one that booted, and map peripherals. On failure the device is left in
 * recovery with a boot_failure report queued. A slot whose content hash
 * differs from its manifest's (measured boot on: modified flash) queues a
 * tamper report for its image, whether or not the other slot boots. Does
 * not schedule anything.
 * Writes the details to *out when out is not NULL.
 */
void fs_boot_device(struct fs_fleet *f, uint32_t device,
                    struct fs_boot_report *out);

#endif
