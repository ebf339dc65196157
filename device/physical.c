/*
 * device/physical.c - physical access to a device: what someone holding
 * it (an attacker, or a fault) can do to it from outside.
 *
 * Owns: power (reboot, a cut now or armed at a step of an update), the
 * per-device step counter cuts are aimed at, and the forced side of a
 * device's link (a network outage laid over the device's own outage
 * process).
 * Invariants: a forced-offline device has no link toggle pending, so only
 * fs_physical_force_offline(.., false) brings it back; every link change
 * is recorded and moves the device's devices{} series; an armed cut
 * happens instead of the step it is aimed at, and disarms.
 * Does not: decide any check (boot, firewall and keystore checks stay in
 * their modules), or allocate.
 */
#include "fleetsim/err.h"
#include "fleetsim/physical.h"
#include "fleetsim/rng.h"
#include "fleetsim/sim.h"

#include "device_int.h"

/* Power-cycle device now; see physical.h. */
void
fs_physical_reboot(struct fs_fleet *f, uint32_t device)
{
    FS_ASSERT(device < f->ndevs);
    fs__boot_reboot(f, device);
}

/*
 * Cut or restore the link of device; see physical.h. A cut link is one with
 * online = 0 and no toggle pending (the natural process never leaves a
 * device offline without a pending toggle unless its availability is 0).
 */
void
fs_physical_force_offline(struct fs_fleet *f, uint32_t device, bool off)
{
    FS_ASSERT(device < f->ndevs);
    struct fs_dev *d = &f->devs[device];
    if (off) {
        fs__fleet_cancel(f, &d->t_net);
        if (d->online) {
            d->online = 0;
            fs__fleet_record(f, FS_REC_DEV_NET, device, 0);
        }
        fs__series_update(f, device);
        return;
    }
    if (d->online || d->t_net != 0)
        return; /* not cut */
    fs__net_start(f, device);
    if (d->online)
        fs__fleet_record(f, FS_REC_DEV_NET, device, 1);
}

/*
 * Count one step of phase ph (remaining: steps left in this phase,
 * including this one). Returns true when power was cut instead.
 */
bool
fs__physical_step(struct fs_fleet *f, uint32_t id, enum fs_phase ph,
                  uint32_t remaining)
{
    struct fs_dev *d = &f->devs[id];
    d->upd_steps++;
    if (d->cut_mode == CUT_NONE)
        return false;
    if (d->cut_mode == CUT_PHASE) {
        if (d->cut_phase != FS_PHASE_ANY && d->cut_phase != ph)
            return false;
        if (d->cut_step < d->upd_steps) {
            struct fs_rng r;
            fs__fleet_rng(f, id, DS_FAULTS, &r);
            uint64_t k = fs_rng_below(&r, remaining ? remaining : 1);
            fs__fleet_rng_save(f, id, DS_FAULTS, &r);
            d->cut_step = d->upd_steps + (uint32_t)k;
        }
    }
    if (d->cut_step != d->upd_steps)
        return false;
    fs_physical_cut_power(f, id);
    return true;
}

/* Arm a cut at a random step of the next phase during. Returns 0. */
int
fs_physical_arm_power_loss(struct fs_fleet *f, uint32_t device,
                           enum fs_phase during)
{
    FS_ASSERT(device < f->ndevs);
    FS_ASSERT((unsigned)during <= FS_PHASE_BOOT);
    struct fs_dev *d = &f->devs[device];
    d->cut_mode = CUT_PHASE;
    d->cut_phase = (uint8_t)during;
    d->cut_step = 0;
    fs__install_stepwise(f, device);
    return 0;
}

/* Arm a cut instead of step number step. Returns 0 or FS_EINVAL. */
int
fs_physical_arm_power_loss_at(struct fs_fleet *f, uint32_t device,
                              uint32_t step)
{
    FS_ASSERT(device < f->ndevs);
    struct fs_dev *d = &f->devs[device];
    if (step <= d->upd_steps)
        return FS_EINVAL;
    d->cut_mode = CUT_EXACT;
    d->cut_step = step;
    fs__install_stepwise(f, device);
    return 0;
}

/* True while a cut is armed. */
bool
fs_physical_power_loss_armed(const struct fs_fleet *f, uint32_t device)
{
    FS_ASSERT(device < f->ndevs);
    return f->devs[device].cut_mode != CUT_NONE;
}

/* Cut power now; see physical.h. */
void
fs_physical_cut_power(struct fs_fleet *f, uint32_t device)
{
    FS_ASSERT(device < f->ndevs);
    struct fs_dev *d = &f->devs[device];
    d->cut_mode = CUT_NONE;
    d->cut_step = 0;
    fs__fleet_record(f, FS_REC_DEV_POWER_CUT, device, d->upd_steps);
    fs__install_interrupt(f, device, FS_UPR_POWER_LOSS);
    fs__apps_stop(f, device);
    fs__net_checkin_abort(f, device);
    fs__fleet_set_state(f, device, FS_DEV_REBOOTING);
    fs__fleet_timer(f, &d->t_boot, DEV_POWER_OFF_US, fs__boot_power_on, device);
}

/* Steps taken by device. */
uint32_t
fs_physical_steps(const struct fs_fleet *f, uint32_t device)
{
    FS_ASSERT(device < f->ndevs);
    return f->devs[device].upd_steps;
}
