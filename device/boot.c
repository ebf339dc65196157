/*
 * device/boot.c - the secure boot chain of a device.
 *
 * Owns: the boot chain ROM -> security monitor -> bootloader -> OS ->
 * apps (hl, rt0, rt1) and the power-on / boot-done events (the slots it
 * reads are device/slots.c's); at the end of each boot it has the
 * firewall give the booted apps their peripherals (device/firewall.c).
 * Invariants: a stage boots only an image that passed every check whose
 * defence is on; measurements are extended in chain order; a device that
 * fails a stage in both slots is left in recovery with a boot_failure
 * report queued; every slot whose content measurement differs from its
 * manifest's hash (caught by measured boot) queues a tamper report, at
 * each boot that checks it.
 * A slot whose forged bit is set (an update installed from a manifest no
 * trusted key signed, with the defence off) fails its signature check.
 * Does not: install updates (device/install.c), talk to the service.
 */
#include <string.h>

#include "fleetsim/err.h"
#include "fleetsim/mem.h"
#include "fleetsim/sim.h"

#include "device_int.h"

/* The checks of one slot, before the defences decide. */
struct slot_checks {
    bool trusted;     /* signer trusted by the keystore for the stage's
                         image kind (OS: platform; apps: the product's) */
    bool sig_ok;      /* manifest signature verifies */
    bool hash_ok;     /* content hash equals the manifest's */
    bool rollback_ok; /* security version >= counter */
};

static void
run_checks(struct fs_fleet *f, uint32_t id, unsigned what, unsigned ab,
           const struct fs_signed_manifest *sm, unsigned char h[FS_HASH_BYTES],
           struct slot_checks *ck)
{
    unsigned char enc[FS_MANIFEST_BYTES];
    unsigned char sig[FS_SIG_BYTES];
    uint64_t cbits[FS_SLOT_FLIPS_MAX];
    fs_manifest_encode(&sm->m, enc);
    memcpy(sig, sm->sig, FS_SIG_BYTES);
    size_t nc = fs__slots_apply_flips(f, id, what, ab, sm->m.length_bytes, enc,
                                      sig, cbits);
    ck->trusted = false;
    fs_keystore_trusts(f->ks, id, FS_KS_MONITOR,
                       what == FS_SLOT_OS ? FS_IMAGE_OS : FS_IMAGE_APP,
                       sm->m.signer, &ck->trusted);
    const unsigned char *pk =
        fs_catalog_signer_pk(f->env.catalog, sm->m.signer);
    ck->sig_ok =
        fs_catalog_verify(f->env.catalog, pk, enc, sizeof(enc), sig) == 0 &&
        !(f->devs[id].forged >> (what * 2 + ab) & 1u);
    fs_catalog_hash_modified(f->env.catalog, sm->m.image, cbits, nc, h);
    ck->hash_ok = memcmp(h, sm->m.hash, FS_HASH_BYTES) == 0;
    uint32_t counter = 0;
    fs_keystore_counter(
        f->ks, id, FS_KS_MONITOR,
        what == FS_SLOT_OS ? FS_KS_COUNTER_OS : FS_KS_COUNTER_APP, &counter);
    ck->rollback_ok = sm->m.security_version >= counter;
}

/*
 * Check slot ab of stage what on device id. Writes the measurement to h
 * and whether the image is not what a trusted key signed to *bad.
 */
static enum fs_boot_result
check_slot(struct fs_fleet *f, uint32_t id, unsigned what, unsigned ab,
           unsigned char h[FS_HASH_BYTES], bool *bad)
{
    uint32_t img = fs_slots_get(f, id, (enum fs_slot_of)what, ab);
    if (img == FS_NO_IMAGE)
        return FS_BOOT_EMPTY;
    const struct fs_signed_manifest *sm =
        fs_catalog_manifest(f->env.catalog, img);
    uint8_t kind = what == FS_SLOT_OS ? FS_IMAGE_OS : FS_IMAGE_APP;
    if (sm->m.kind != kind)
        return FS_BOOT_WRONG_KIND;
    if (what != FS_SLOT_OS &&
        (unsigned)fs__fleet_image(f, img)->caps.core != what - 1)
        return FS_BOOT_WRONG_KIND;
    struct slot_checks ck;
    run_checks(f, id, what, ab, sm, h, &ck);
    *bad = !ck.trusted || !ck.sig_ok || !ck.hash_ok;
    bool sigs = fs__fleet_defense_on(f, FS_DEF_VERIFY_SIGNATURES);
    bool measured = fs__fleet_defense_on(f, FS_DEF_MEASURED_BOOT);
    if (!ck.trusted && sigs)
        return FS_BOOT_UNTRUSTED;
    if (!ck.sig_ok && sigs)
        return FS_BOOT_BAD_SIG;
    if (!ck.hash_ok && measured)
        return FS_BOOT_BAD_HASH;
    if (!ck.rollback_ok && fs__fleet_defense_on(f, FS_DEF_ANTI_ROLLBACK))
        return FS_BOOT_ROLLBACK;
    if (!measured)
        memcpy(h, sm->m.hash, FS_HASH_BYTES); /* the measurement lies */
    return FS_BOOT_OK;
}

/* Boot one stage from its active slot, else the other. */
static bool
boot_stage(struct fs_fleet *f, uint32_t id, unsigned what,
           struct fs_boot_report *rep, bool *comp)
{
    struct fs_dev *d = &f->devs[id];
    unsigned active = (d->active >> what) & 1u;
    for (unsigned t = 0; t < 2; t++) {
        unsigned ab = active ^ t;
        unsigned char h[FS_HASH_BYTES];
        bool bad = false;
        enum fs_boot_result res = check_slot(f, id, what, ab, h, &bad);
        rep->tried[what][ab] = true;
        rep->result[what][ab] = (uint8_t)res;
        fs__fleet_record(f, FS_REC_DEV_BOOT_STAGE, id,
                         (int64_t)(what << 16 | ab << 8 | res));
        if (res == FS_BOOT_BAD_HASH) /* modified flash: tamper evidence */
            fs_repq_add(f, id, FS_REP_TAMPER,
                        fs_slots_get(f, id, (enum fs_slot_of)what, ab));
        if (res != FS_BOOT_OK)
            continue;
        d->active = (uint8_t)((d->active & ~(1u << what)) | (ab << what));
        rep->booted[what] = (uint8_t)ab;
        *comp = *comp || bad;
        fs_keystore_extend(f->ks, id, FS_KS_MONITOR, what == FS_SLOT_OS ? 0 : 1,
                           h);
        return true;
    }
    return false;
}

/* Boot device now; see boot.h. */
void
fs_boot_device(struct fs_fleet *f, uint32_t device, struct fs_boot_report *out)
{
    FS_ASSERT(device < f->ndevs);
    struct fs_dev *d = &f->devs[device];
    struct fs_boot_report rep;
    memset(&rep, 0, sizeof(rep));
    fs_keystore_reset_pcrs(f->ks, device, FS_KS_MONITOR);
    fs_keystore_extend(f->ks, device, FS_KS_MONITOR, 0,
                       fs_catalog_monitor_hash(f->env.catalog));
    fs_keystore_extend(f->ks, device, FS_KS_MONITOR, 0,
                       fs_catalog_bootloader_hash(f->env.catalog));
    bool ok = true;
    bool comp = false;
    unsigned what = FS_SLOT_OS;
    for (; what <= FS_SLOT_RT1; what++) {
        if (what != FS_SLOT_OS && d->slot_app[what - 1][0] == UINT16_MAX &&
            d->slot_app[what - 1][1] == UINT16_MAX)
            continue;
        if (!boot_stage(f, device, what, &rep, &comp)) {
            ok = false;
            break;
        }
    }
    rep.ok = ok;
    d->comp_boot = ok && comp;
    rep.compromised = d->comp_boot || d->comp_ext;
    if (ok) {
        fs__fleet_set_state(f, device, FS_DEV_RUNNING);
    } else {
        rep.failed_stage = (uint8_t)what;
        uint32_t img = fs_slots_get(f, device, (enum fs_slot_of)what,
                                    (d->active >> what) & 1u);
        fs__fleet_set_state(f, device, FS_DEV_RECOVERY);
        fs_repq_add(f, device, FS_REP_BOOT_FAILURE, img);
    }
    fs__fw_boot(f, device); /* after the state: recovery owns nothing */
    fs__fleet_record(f, FS_REC_DEV_BOOT_DONE, device, d->state);
    if (out != NULL)
        *out = rep;
}

/* Boot-done event: run the chain, then start apps and check in. */
static void
dev_boot_done(struct fs_sim *sim, void *arg)
{
    struct fs_fleet *f = fs__fleet_of(sim);
    uint32_t id = fs__fleet_id_of(arg);
    f->devs[id].t_boot = 0;
    if (fs__physical_step(f, id, FS_PHASE_BOOT, 1))
        return; /* power cut while the chain ran */
    fs_boot_device(f, id, NULL);
    fs__install_booted(f, id);
    if (f->devs[id].state == FS_DEV_RUNNING)
        fs__apps_start(f, id);
    fs__net_checkin_now(f, id);
}

/* Power-on event: the device starts booting (state rebooting). */
void
fs__boot_power_on(struct fs_sim *sim, void *arg)
{
    struct fs_fleet *f = fs__fleet_of(sim);
    uint32_t id = fs__fleet_id_of(arg);
    struct fs_dev *d = &f->devs[id];
    d->t_boot = 0;
    if (fs__physical_step(f, id, FS_PHASE_BOOT, 2))
        return; /* power cut again */
    d->boots++;
    fs__fleet_record(f, FS_REC_DEV_BOOT_START, id, d->boots);
    fs__fleet_set_state(f, id, FS_DEV_REBOOTING);
    struct fs_rng r;
    fs__fleet_rng(f, id, DS_BOOT, &r);
    int64_t boot_us =
        DEV_BOOT_MIN_US + (int64_t)fs_rng_below(&r, DEV_BOOT_JITTER_US);
    fs__fleet_rng_save(f, id, DS_BOOT, &r);
    fs__fleet_timer(f, &d->t_boot, boot_us, dev_boot_done, id);
}

/*
 * Reboot device id now: stop its apps and exchange, then power on. An
 * update download or write in progress is interrupted (failed,
 * power_loss: a power cycle); a pending update boots again.
 */
void
fs__boot_reboot(struct fs_fleet *f, uint32_t id)
{
    fs__install_interrupt(f, id, FS_UPR_POWER_LOSS);
    fs__apps_stop(f, id);
    fs__net_checkin_abort(f, id);
    fs__fleet_cancel(f, &f->devs[id].t_boot);
    fs__boot_power_on(f->env.sim, fs__fleet_arg(id));
}
