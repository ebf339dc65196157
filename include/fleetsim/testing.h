/*
 * include/fleetsim/testing.h - test-only seams of the modules.
 *
 * Owns: the functions that exist only so tests can see or steer inside a
 * module; one section per folder.
 * Invariants: only tests/ includes this header (tests/lint/layers.sh
 * enforces it); nothing here is needed to run a scenario.
 * Does not: add behaviour; every seam reads or arms state the module
 * already has.
 */
#ifndef FLEETSIM_TESTING_H
#define FLEETSIM_TESTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetsim/msg.h"

/* ---- device/ ------------------------------------------------------------ */

struct fs_fleet;

/* Bytes of one device record (the per-device structs), for benchmarks. */
size_t fs_fleet_device_bytes(void);
/*
 * Arm a power cut instead of step number step of the device's step
 * counter. step must be above fs_physical_steps. Returns 0 or FS_EINVAL.
 */
int fs_physical_arm_power_loss_at(struct fs_fleet *f, uint32_t device,
                                  uint32_t step);
/* True while a power cut is armed. */
bool fs_physical_power_loss_armed(const struct fs_fleet *f, uint32_t device);
/* Steps taken so far (physical.h says which). */
uint32_t fs_physical_steps(const struct fs_fleet *f, uint32_t device);
/* Update sessions held fleet-wide (devices updating or with outcomes). */
uint32_t fs_update_sessions(const struct fs_fleet *f);
/* True when device holds an update between download and confirmation. */
bool fs_update_in_progress(const struct fs_fleet *f, uint32_t device);
/* Wear part index of a degrading device, or FS_PART_NONE. */
unsigned fs_apps_wear_part(const struct fs_fleet *f, uint32_t device);
/* Onset of its degradation in simulated microseconds (-1 when none). */
int64_t fs_apps_wear_onset_us(const struct fs_fleet *f, uint32_t device);

/* ---- service/ ----------------------------------------------------------- */

struct fs_svc;

/*
 * The verifier: check ev in the documented order (known, revoked,
 * signature, nonce, measurements, OS version) at the current simulated
 * time, skipping checks whose defence is off. A matching nonce is consumed.
 * Returns FS_ATT_OK or the first failing reason. Records and metrics are
 * left to the caller (fs_svc_receive). service/attest.c.
 */
enum fs_attest_reason fs_attest_verify(struct fs_svc *s,
                                       const struct fs_evidence *ev);

/* Answers per simulated second s can produce (service.h). service/svc.c. */
uint64_t fs_svc_answers_per_s(const struct fs_svc *s);
/* Work answers placed in s's backlog wait this long if produced now. */
int64_t fs_svc_backlog_us(const struct fs_svc *s);
/* Bytes of per-device state, per device. service/svc.c. */
size_t fs_svc_bytes_per_device(void);

#endif
