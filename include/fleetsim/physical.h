/*
 * include/fleetsim/physical.h - physical access to a device: what someone
 * holding it (an attacker, or a fault) can do to it from outside.
 *
 * Owns: power (reboot, cutting it now or at a chosen point of an update),
 * the per-device step counter power cuts are aimed at, and the forced
 * side of a device's link (a network outage laid over the device's own
 * outage process). Reflashing a slot is fs_slots_set / fs_slots_flip
 * (slots.h).
 * Invariants: a forced-offline device has no link toggle pending, so only
 * fs_physical_force_offline(.., false) brings it back; every link change
 * is recorded and moves the device's devices{} series. Steps: every chunk
 * taken, every 64 KiB unit written, the commit of the pending slot, every
 * power-on and boot-chain run, and every confirmation advance the
 * device's step counter; a power cut "at step k" happens instead of step
 * k.
 * Does not: decide any check (boot, firewall and keystore checks stay in
 * their modules).
 */
#ifndef FLEETSIM_PHYSICAL_H
#define FLEETSIM_PHYSICAL_H

#include <stdbool.h>
#include <stdint.h>

#include "fleetsim/config.h"

struct fs_fleet;

/*
 * Reboot device now, as a power cycle would: stop its apps and check-in
 * exchange and run the boot chain again (state rebooting, then running or
 * recovery).
 */
void fs_physical_reboot(struct fs_fleet *f, uint32_t device);
/*
 * Cut (off = true) or restore (off = false) the device's network link from
 * outside (a network outage). While cut, the device's own outage process
 * is stopped; restoring restarts it from its stationary distribution.
 * Cutting twice or restoring a link that is not cut is a no-op.
 */
void fs_physical_force_offline(struct fs_fleet *f, uint32_t device, bool off);
/*
 * Arm a power cut: the next time device is in phase during (download,
 * install, boot, or any of them), power is cut at a step drawn uniformly
 * from that phase's remaining steps (device's FS_RNG_FAULTS stream).
 * Replaces an earlier arming. Returns 0.
 */
int fs_physical_arm_power_loss(struct fs_fleet *f, uint32_t device,
                               enum fs_phase during);
/*
 * Cut the device's power now: an interrupted download or write fails
 * (updates{failed, power_loss}; the half-written slot is erased); the
 * device powers on again a few seconds later and boots what is bootable.
 * Disarms any armed cut.
 */
void fs_physical_cut_power(struct fs_fleet *f, uint32_t device);

#endif
