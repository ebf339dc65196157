/*
 * include/fleetsim/slots.h - the A/B flash slots of every device.
 *
 * Owns: what each slot of a device holds (the OS, or the app of each
 * core, in slots A and B), which slot of each is active, and the bits
 * flipped in a slot (flash rot, tampering).
 * Invariants: putting an image into a slot clears its flips; a slot
 * carries at most FS_SLOT_FLIPS_MAX flips; the flip table only grows.
 * Does not: boot (boot.h) or check what it holds.
 */
#ifndef FLEETSIM_SLOTS_H
#define FLEETSIM_SLOTS_H

#include <stdint.h>

struct fs_fleet;

/* What a slot holds: the OS, or the app of core 0..2 (hl, rt0, rt1). */
enum fs_slot_of { FS_SLOT_OS = 0, FS_SLOT_HL, FS_SLOT_RT0, FS_SLOT_RT1 };

/* Where a flipped bit lands: image content, manifest bytes or signature. */
enum fs_flip_area { FS_FLIP_CONTENT = 0, FS_FLIP_MANIFEST, FS_FLIP_SIG };

/* Most flipped bits one slot carries. */
#define FS_SLOT_FLIPS_MAX 4

/*
 * Put image (catalog index or FS_NO_IMAGE) into slot ab (0 = A, 1 = B) of
 * what, clearing its flips. Does not boot or change the active slot.
 */
void fs_slots_set(struct fs_fleet *f, uint32_t device, enum fs_slot_of what,
                  unsigned ab, uint32_t image);
/* Image in slot ab of what. */
uint32_t fs_slots_get(const struct fs_fleet *f, uint32_t device,
                      enum fs_slot_of what, unsigned ab);
/* Active slot (0 = A, 1 = B) of what; the one booted first. */
unsigned fs_slots_active(const struct fs_fleet *f, uint32_t device,
                         enum fs_slot_of what);
/* Make slot ab of what the active one. */
void fs_slots_set_active(struct fs_fleet *f, uint32_t device,
                         enum fs_slot_of what, unsigned ab);
/*
 * Flip bit number bit of area in slot ab of what (flash rot, tampering).
 * Returns 0, or FS_ELIMIT when the slot already carries
 * FS_SLOT_FLIPS_MAX flips. May grow the fleet's flip table (allocates).
 */
int fs_slots_flip(struct fs_fleet *f, uint32_t device, enum fs_slot_of what,
                  unsigned ab, enum fs_flip_area area, uint64_t bit);

#endif
