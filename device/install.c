/*
 * device/install.c - checking, installing, booting and confirming updates,
 * and power cuts.
 *
 * Owns: the checks before install (signature, trusted and unrevoked
 * signer, the record's target, content hash, product binding,
 * anti-rollback, free flash, no peripheral another core's app holds),
 * the write of the inactive slot in
 * DEV_WRITE_STEP_BYTES units, the pending slot and the reboot into it, the
 * probation and its confirmation (raising the anti-rollback counter) or
 * rollback, the per-device step counter and power cuts.
 * Invariants: the slot being written holds FS_NO_IMAGE until the last unit
 * is written (a half-written slot is never bootable); the active slot only
 * moves to the new image once it is whole; counters are only raised
 * (fs_keystore_raise_counter never lowers), and an app confirmation raises
 * the app counter no higher than the lowest security version of the
 * running apps (they share it); writing as one event or unit by unit ends
 * in the same state at the same time.
 * Decisions: an app update reboots the device too, so that the boot chain
 * verifies and measures the new app (attestation compares pcr_apps); any
 * crash (OS or app) during probation, or a failed first boot, rolls back;
 * a power cut during the reboot or probation boots the pending image again
 * and restarts the probation; refused genuine images (revoked key,
 * product, rollback, no space, peripheral conflict) and rollbacks are
 * remembered and not retried until the service signs a new record.
 * Does not: talk to the service besides DOWNLOAD_END, or decide by who
 * sent an image.
 */
#include <string.h>

#include "fleetsim/err.h"
#include "fleetsim/msg.h"
#include "fleetsim/rng.h"
#include "fleetsim/sim.h"

#include "device_int.h"

static void upd_write(struct fs_sim *sim, void *arg);
static void upd_probation_end(struct fs_sim *sim, void *arg);

/* The slot family image img goes to. */
static enum fs_slot_of
slot_for(const struct fs_fleet *f, uint32_t img)
{
    if (fs_catalog_manifest(f->env.catalog, img)->m.kind == FS_IMAGE_OS)
        return FS_SLOT_OS;
    return (enum fs_slot_of)(FS_SLOT_HL +
                             (unsigned)fs__fleet_image(f, img)->caps.core);
}

/* Would the images of every slot fit with img in slot (what, ab)? */
static bool
fits(const struct fs_fleet *f, uint32_t id, enum fs_slot_of what, unsigned ab,
     uint64_t len)
{
    const struct fs_cohort_config *p = f->cohorts[f->devs[id].cohort].cc;
    uint64_t total = len;
    for (unsigned w = FS_SLOT_OS; w <= FS_SLOT_RT1; w++)
        for (unsigned b = 0; b < 2; b++) {
            uint32_t img = fs_slots_get(f, id, (enum fs_slot_of)w, b);
            if ((w == what && b == ab) || img == FS_NO_IMAGE)
                continue;
            total += fs_catalog_manifest(f->env.catalog, img)->m.length_bytes;
        }
    uint64_t room = p->flash_bytes > p->reserved_bytes
                        ? p->flash_bytes - p->reserved_bytes
                        : 0;
    return total <= room;
}

/*
 * The manifest differs from what the signed record names: another
 * product's image is refused under manifest_binding, an older one under
 * anti_rollback, and any difference at all under verify_hashes (so turning
 * off binding or anti-rollback never waives the record-to-image hash and
 * length binding). FS_UPR_NONE when it matches or those defences are off.
 */
static enum fs_update_reason
target_check(const struct fs_fleet *f, uint32_t id, const struct dev_upd *s)
{
    const struct fs_manifest *m = &s->sm.m, *t = &s->target;
    if (m->image == t->image && m->kind == t->kind &&
        m->length_bytes == t->length_bytes &&
        m->security_version == t->security_version &&
        memcmp(m->hash, t->hash, FS_HASH_BYTES) == 0)
        return FS_UPR_NONE;
    uint32_t product = f->cohorts[f->devs[id].cohort].cc->product;
    if (m->kind == FS_IMAGE_APP && m->product != product &&
        fs__fleet_defense_on(f, FS_DEF_MANIFEST_BINDING))
        return FS_UPR_WRONG_PRODUCT;
    if (m->security_version < t->security_version &&
        fs__fleet_defense_on(f, FS_DEF_ANTI_ROLLBACK))
        return FS_UPR_ROLLBACK;
    if (m->length_bytes != t->length_bytes &&
        fs__fleet_defense_on(f, FS_DEF_VERIFY_LENGTHS))
        return FS_UPR_TOO_LONG;
    if (fs__fleet_defense_on(f, FS_DEF_VERIFY_HASHES))
        return FS_UPR_HASH_MISMATCH;
    return FS_UPR_NONE;
}

/* The checks on the genuine-or-not content of a whole download. */
static enum fs_update_reason
content_check(struct fs_fleet *f, uint32_t id, const struct dev_upd *s)
{
    const struct fs_manifest *m = &s->sm.m;
    unsigned char h[FS_HASH_BYTES];
    fs_catalog_hash_modified(f->env.catalog, m->image, s->flips, s->nflips, h);
    if (fs__fleet_defense_on(f, FS_DEF_VERIFY_HASHES) &&
        (memcmp(h, m->hash, FS_HASH_BYTES) != 0 || s->nflips_seen > s->nflips))
        return FS_UPR_HASH_MISMATCH;
    uint32_t product = f->cohorts[f->devs[id].cohort].cc->product;
    if (fs__fleet_defense_on(f, FS_DEF_MANIFEST_BINDING) &&
        m->kind == FS_IMAGE_APP && m->product != product)
        return FS_UPR_WRONG_PRODUCT;
    enum fs_slot_of what = slot_for(f, m->image);
    uint32_t counter = fs_keystore_peek_counter(
        f->ks, id, what == FS_SLOT_OS ? FS_KS_COUNTER_OS : FS_KS_COUNTER_APP);
    if (fs__fleet_defense_on(f, FS_DEF_ANTI_ROLLBACK) &&
        m->security_version < counter)
        return FS_UPR_ROLLBACK;
    unsigned ab = fs_slots_active(f, id, what) ^ 1u;
    if (!fits(f, id, what, ab, m->length_bytes))
        return FS_UPR_NO_SPACE;
    if (what != FS_SLOT_OS && fs__fw_conflict(f, id, m->image))
        return FS_UPR_PERIPHERAL_CONFLICT; /* always on: firewall model */
    return FS_UPR_NONE;
}

/*
 * Every check before install, in order. Sets *forged when the manifest
 * did not verify with a trusted key (and the defence let it through).
 */
static enum fs_update_reason
install_check(struct fs_fleet *f, uint32_t id, const struct dev_upd *s,
              bool *forged)
{
    const struct fs_manifest *m = &s->sm.m;
    unsigned char enc[FS_MANIFEST_BYTES];
    fs_manifest_encode(m, enc);
    bool sig_ok = false, trusted = false;
    if (m->signer < fs_catalog_signers(f->env.catalog)) {
        const unsigned char *pk =
            fs_catalog_signer_pk(f->env.catalog, m->signer);
        sig_ok = fs_catalog_verify(f->env.catalog, pk, enc, sizeof(enc),
                                   s->sm.sig) == 0;
    }
    if (m->signer < 64) /* trusted for this kind of image (and product) */
        fs_keystore_trusts(f->ks, id, FS_KS_MONITOR,
                           (enum fs_image_kind)m->kind, m->signer, &trusted);
    *forged = !sig_ok || !trusted;
    bool sigs = fs__fleet_defense_on(f, FS_DEF_VERIFY_SIGNATURES);
    if (!sig_ok && sigs)
        return FS_UPR_BAD_SIGNATURE;
    if (!trusted && sigs)
        return FS_UPR_UNTRUSTED_KEY;
    if (m->signer < 64 && (f->devs[id].revoked >> m->signer & 1u) &&
        fs__fleet_defense_on(f, FS_DEF_KEY_REVOCATION))
        return FS_UPR_REVOKED_KEY;
    enum fs_update_reason why = target_check(f, id, s);
    if (why != FS_UPR_NONE)
        return why;
    return content_check(f, id, s);
}

/* Refusals that would repeat on the same genuine image. */
static bool
deterministic(enum fs_update_reason why, bool forged)
{
    return !forged &&
           (why == FS_UPR_REVOKED_KEY || why == FS_UPR_WRONG_PRODUCT ||
            why == FS_UPR_ROLLBACK || why == FS_UPR_NO_SPACE ||
            why == FS_UPR_PERIPHERAL_CONFLICT);
}

static void
start_write(struct fs_fleet *f, uint32_t id, struct dev_upd *s, bool forged)
{
    struct fs_dev *d = &f->devs[id];
    enum fs_slot_of what = slot_for(f, s->sm.m.image);
    s->what = (uint8_t)what;
    s->old_ab = (uint8_t)fs_slots_active(f, id, what);
    s->new_ab = (uint8_t)(s->old_ab ^ 1u);
    s->forged = forged;
    s->installed = 0;
    fs_slots_set(f, id, what, s->new_ab, FS_NO_IMAGE); /* erase */
    d->forged &= (uint8_t) ~(1u << (what * 2 + s->new_ab));
    uint64_t units = (s->sm.m.length_bytes + DEV_WRITE_STEP_BYTES - 1) /
                     DEV_WRITE_STEP_BYTES;
    FS_ASSERT(units < UINT32_MAX);
    s->write_steps = units ? (uint32_t)units : 1;
    s->write_done = 0;
    s->write_start_us = fs__fleet_now(f);
    s->st = UPD_WRITING;
    s->stepwise = d->cut_mode != CUT_NONE;
    fs__fleet_set_state(f, id, FS_DEV_UPDATING);
    fs__fleet_record(f, FS_REC_DEV_INSTALL, id, 0);
    int64_t delay_us = DEV_WRITE_STEP_US;
    if (!s->stepwise)
        delay_us *= s->write_steps;
    fs__fleet_timer(f, &s->t_timer, delay_us, upd_write, id);
}

/*
 * The download is whole: check it and, when it passes, start writing the
 * inactive slot. A refusal is counted (updates{rejected, reason}) and the
 * device keeps running what it ran.
 */
void
fs__install_begin(struct fs_fleet *f, uint32_t id)
{
    struct dev_upd *s = fs__update_of(f, id);
    FS_ASSERT(s != NULL);
    FS_ASSERT(s->st == UPD_DOWNLOADED);
    bool forged = false;
    enum fs_update_reason why = install_check(f, id, s, &forged);
    if (why == FS_UPR_NONE) {
        start_write(f, id, s, forged);
        return;
    }
    s->st = UPD_NONE;
    fs__update_outcome(f, id, s->sm.m.image, s->deployment, FS_UPD_REJECTED,
                       why);
    if (deterministic(why, forged))
        fs__update_remember(f, id, s->deployment, s->rec_tag);
    fs__update_release(f, id);
}

/* The last unit is written: the slot becomes whole and pending. */
static void
commit(struct fs_fleet *f, uint32_t id, struct dev_upd *s)
{
    if (fs__physical_step(f, id, FS_PHASE_INSTALL, 1))
        return;
    struct fs_dev *d = &f->devs[id];
    enum fs_slot_of what = (enum fs_slot_of)s->what;
    fs_slots_set(f, id, what, s->new_ab, s->sm.m.image);
    for (unsigned i = 0; i < s->nflips && i < FS_SLOT_FLIPS_MAX; i++)
        fs_slots_flip(f, id, what, s->new_ab, FS_FLIP_CONTENT, s->flips[i]);
    if (s->forged)
        d->forged |= (uint8_t)(1u << (what * 2 + s->new_ab));
    fs_slots_set_active(f, id, what, s->new_ab);
    s->st = UPD_BOOTING;
    fs__fleet_record(f, FS_REC_DEV_INSTALL, id, 1);
    fs__boot_reboot(f, id);
}

/* Write event: one unit (stepwise) or every remaining unit at once. */
static void
upd_write(struct fs_sim *sim, void *arg)
{
    struct fs_fleet *f = fs__fleet_of(sim);
    uint32_t id = fs__fleet_id_of(arg);
    struct dev_upd *s = fs__update_of(f, id);
    FS_ASSERT(s != NULL && s->st == UPD_WRITING);
    s->t_timer = 0;
    if (!s->stepwise) {
        f->devs[id].upd_steps += s->write_steps - s->write_done;
        s->write_done = s->write_steps;
        commit(f, id, s);
        return;
    }
    if (fs__physical_step(f, id, FS_PHASE_INSTALL,
                          s->write_steps - s->write_done + 1))
        return;
    s->write_done++;
    if (s->write_done < s->write_steps)
        fs__fleet_timer(f, &s->t_timer, DEV_WRITE_STEP_US, upd_write, id);
    else
        commit(f, id, s);
}

/*
 * A cut was armed while writing in one event: continue unit by unit from
 * where the write would be now, so the cut can land between units.
 */
void
fs__install_stepwise(struct fs_fleet *f, uint32_t id)
{
    struct dev_upd *s = fs__update_of(f, id);
    if (s == NULL || s->st != UPD_WRITING || s->stepwise)
        return;
    int64_t elapsed_us = fs__fleet_now(f) - s->write_start_us;
    uint32_t done = (uint32_t)(elapsed_us / DEV_WRITE_STEP_US);
    if (done >= s->write_steps)
        done = s->write_steps - 1;
    f->devs[id].upd_steps += done;
    s->write_done = done;
    s->stepwise = 1;
    int64_t next_us =
        s->write_start_us + (int64_t)(done + 1) * DEV_WRITE_STEP_US;
    fs__fleet_timer(f, &s->t_timer, next_us - fs__fleet_now(f), upd_write, id);
}

/* Roll back to the old slot: count it, report it, do not retry it. */
static void
roll_back(struct fs_fleet *f, uint32_t id, struct dev_upd *s)
{
    fs__fleet_cancel(f, &s->t_timer);
    if (fs_slots_active(f, id, (enum fs_slot_of)s->what) != s->old_ab)
        fs_slots_set_active(f, id, (enum fs_slot_of)s->what, s->old_ab);
    s->st = UPD_NONE;
    fs__update_outcome(f, id, s->sm.m.image, s->deployment, FS_UPD_ROLLED_BACK,
                       FS_UPR_CRASH);
    fs_repq_add(f, id, FS_REP_UPDATE_FAILURE, s->sm.m.image);
    fs__update_remember(f, id, s->deployment, s->rec_tag);
    fs__update_release(f, id);
}

/*
 * The boot chain ran (boot-done event). If it booted the pending image,
 * count installed (once) and start the probation; if it fell back, the
 * update rolled back.
 */
void
fs__install_booted(struct fs_fleet *f, uint32_t id)
{
    struct dev_upd *s = fs__update_of(f, id);
    if (s == NULL || s->st != UPD_BOOTING)
        return;
    enum fs_slot_of what = (enum fs_slot_of)s->what;
    bool ok = f->devs[id].state == FS_DEV_RUNNING &&
              fs_slots_active(f, id, what) == s->new_ab &&
              fs_slots_get(f, id, what, s->new_ab) == s->sm.m.image;
    if (!ok) {
        roll_back(f, id, s);
        return;
    }
    if (!s->installed) {
        s->installed = 1;
        fs__update_outcome(f, id, s->sm.m.image, s->deployment,
                           FS_UPD_INSTALLED, FS_UPR_NONE);
    }
    s->st = UPD_PROBATION;
    fs__fleet_timer(f, &s->t_timer, f->svc.probation_us, upd_probation_end, id);
}

/* The value a confirmed image raises its counter to. */
static uint32_t
confirm_value(struct fs_fleet *f, uint32_t id, const struct dev_upd *s)
{
    const struct fs_catalog *cat = f->env.catalog;
    if (s->what == FS_SLOT_OS)
        return fs_catalog_manifest(cat, s->sm.m.image)->m.security_version;
    uint32_t v = UINT32_MAX;
    for (unsigned c = 0; c < FS_APPS_MAX; c++) {
        uint32_t app = fs__fleet_running_app(f, &f->devs[id], c);
        if (app == FS_NO_IMAGE)
            continue;
        uint32_t sv = fs_catalog_manifest(cat, app)->m.security_version;
        if (sv < v)
            v = sv;
    }
    return v == UINT32_MAX ? 0 : v;
}

/* Probation passed without a crash: confirm and raise the counter. */
static void
upd_probation_end(struct fs_sim *sim, void *arg)
{
    struct fs_fleet *f = fs__fleet_of(sim);
    uint32_t id = fs__fleet_id_of(arg);
    struct dev_upd *s = fs__update_of(f, id);
    FS_ASSERT(s != NULL && s->st == UPD_PROBATION);
    s->t_timer = 0;
    if (fs__physical_step(f, id, FS_PHASE_ANY, 1))
        return;
    enum fs_ks_counter which =
        s->what == FS_SLOT_OS ? FS_KS_COUNTER_OS : FS_KS_COUNTER_APP;
    fs_keystore_raise_counter(f->ks, id, FS_KS_MONITOR, which,
                              confirm_value(f, id, s));
    s->st = UPD_NONE;
    fs__update_outcome(f, id, s->sm.m.image, s->deployment, FS_UPD_CONFIRMED,
                       FS_UPR_NONE);
    fs__update_release(f, id);
}

/*
 * The device stops (power cut, OS crash): a download or write in progress
 * fails with why (the half-written slot stays erased); a probation is
 * restarted after the next boot.
 */
void
fs__install_interrupt(struct fs_fleet *f, uint32_t id,
                      enum fs_update_reason why)
{
    struct dev_upd *s = fs__update_of(f, id);
    if (s == NULL)
        return;
    switch (s->st) {
    case UPD_DL_WAIT:
    case UPD_DL_QUEUED:
        s->st = UPD_DL_IDLE;
        fs__update_send_end(f, id, false); /* the connection dropped */
        break;
    case UPD_WRITING:
        s->st = UPD_DOWNLOADED;
        break;
    case UPD_PROBATION:
        fs__fleet_cancel(f, &s->t_timer);
        s->st = UPD_BOOTING;
        return;
    default:
        return;
    }
    fs__fleet_cancel(f, &s->t_timer);
    fs__update_outcome(f, id, s->sm.m.image, s->deployment, FS_UPD_FAILED, why);
    fs_repq_add(f, id, FS_REP_UPDATE_FAILURE, s->sm.m.image);
}

/*
 * A crash (os: the OS, else an app). During probation it rolls back; an
 * app crash then reboots the device and returns true. An OS crash stops
 * a download or write (failed, crash). The caller reboots after an OS
 * crash.
 */
bool
fs__install_crash(struct fs_fleet *f, uint32_t id, bool os)
{
    struct dev_upd *s = fs__update_of(f, id);
    if (s == NULL)
        return false;
    if (s->st == UPD_PROBATION) {
        roll_back(f, id, s);
        if (os)
            return false;
        fs__boot_reboot(f, id);
        return true;
    }
    if (os)
        fs__install_interrupt(f, id, FS_UPR_CRASH);
    return false;
}
