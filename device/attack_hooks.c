/*
 * device/attack_hooks.c - what an attacker or a fault can do to a device
 * from outside: power-cycle it and cut its network link; and what an
 * attacker on the path may read of the device's update state.
 *
 * Owns: the forced side of a device's link (a network outage laid over
 * the device's own outage process) and the reboot entry point.
 * Invariants: a forced-offline device has no link toggle pending, so only
 * fs_fleet_force_offline(.., false) brings it back; every link change is
 * recorded and moves the device's devices{} series.
 * Does not: decide any check (boot, firewall and keystore checks stay in
 * their modules), or allocate.
 */
#include <string.h>

#include "fleetsim/device.h"
#include "fleetsim/sim.h"

#include "device_int.h"

/* Power-cycle device now; see device.h. */
void
fs_fleet_reboot(struct fs_fleet *f, uint32_t device)
{
    FS_ASSERT(device < f->ndevs);
    fs__dev_reboot(f, device);
}

/*
 * Cut or restore the link of device; see device.h. A cut link is one with
 * online = 0 and no toggle pending (the natural process never leaves a
 * device offline without a pending toggle unless its availability is 0).
 */
void
fs_fleet_force_offline(struct fs_fleet *f, uint32_t device, bool off)
{
    FS_ASSERT(device < f->ndevs);
    struct fs_dev *d = &f->devs[device];
    if (off) {
        fs__dev_cancel(f, &d->t_net);
        if (d->online) {
            d->online = 0;
            fs__dev_record(f, FS_REC_DEV_NET, device, 0);
        }
        fs__dev_series_update(f, device);
        return;
    }
    if (d->online || d->t_net != 0)
        return; /* not cut */
    fs__dev_net_start(f, device);
    if (d->online)
        fs__dev_record(f, FS_REC_DEV_NET, device, 1);
}

/* The check-in client's answer timeout. */
int64_t
fs_fleet_answer_timeout_us(void)
{
    return DEV_ANSWER_TIMEOUT_US;
}

/* Copy device's update outcomes waiting for upload; see device.h. */
size_t
fs_fleet_update_reports(struct fs_fleet *f, uint32_t device,
                        struct fs_update_report *out, size_t max)
{
    FS_ASSERT(device < f->ndevs);
    return fs__dev_upd_reports_copy(f, device, out, max);
}

/* Copy where device's update stands; see device.h. */
void
fs_fleet_update_view(const struct fs_fleet *f, uint32_t device,
                     struct fs_update_view *out)
{
    FS_ASSERT(device < f->ndevs);
    const struct fs_dev *d = &f->devs[device];
    memset(out, 0, sizeof(*out));
    out->image = FS_NO_IMAGE;
    out->stage = FS_UPD_STAGE_NONE;
    if (d->upd == 0)
        return;
    const struct dev_upd *s = &f->upd_chunks[d->upd / UPD_CHUNK_SESSIONS]
                                            [d->upd % UPD_CHUNK_SESSIONS];
    static const uint8_t stage_of[] = {
        [UPD_NONE] = FS_UPD_STAGE_NONE,
        [UPD_DL_IDLE] = FS_UPD_STAGE_STOPPED,
        [UPD_DL_WAIT] = FS_UPD_STAGE_DOWNLOADING,
        [UPD_DL_QUEUED] = FS_UPD_STAGE_DOWNLOADING,
        [UPD_DOWNLOADED] = FS_UPD_STAGE_DOWNLOADED,
        [UPD_WRITING] = FS_UPD_STAGE_WRITING,
        [UPD_BOOTING] = FS_UPD_STAGE_BOOTING,
        [UPD_PROBATION] = FS_UPD_STAGE_PROBATION};
    FS_ASSERT(s->st < sizeof(stage_of));
    out->stage = stage_of[s->st];
    if (s->st == UPD_NONE)
        return;
    out->image = s->sm.m.image;
    out->offset_bytes = s->offset_bytes;
    out->length_bytes = s->target.length_bytes;
    out->flips_taken = s->nflips_seen;
}
