/*
 * sim/attack/attack_local.c - attacks and faults on the devices themselves:
 * malicious_flash, compromised_app, flash_corruption, network_outage,
 * power_loss (armed through fs_physical_arm_power_loss).
 *
 * Owns: what the attacker writes into a target's flash and how it
 * watches the reboot that follows, the accesses an exploited app makes,
 * the bits that rot in a slot, and which devices an outage holds offline
 * (a count per device, so overlapping outages compose).
 * Invariants: malicious_flash succeeds only when the device ended up
 * running the slot the attacker modified (the boot chain let it through);
 * compromised_app succeeds when any one of its accesses was allowed by
 * the firewall or keystore check and is blocked when all were refused
 * (a target running no app is tried again later, not judged); a device
 * leaves a network outage only when no outage holds it any more.
 * Does not: decide a boot, firewall or keystore check (device/ does), or
 * read a device key (there is no function that returns it).
 */
#include <stdio.h>
#include <string.h>

#include "fleetsim/mem.h"

#include "attack_int.h"

/* ---- malicious_flash ----------------------------------------------- */

/* Does the device run the modified slot after its reboot? */
static bool
runs_modified(struct fs_attack *a, const struct atk_target *t)
{
    struct fs_fleet *f = a->env.fleet;
    enum fs_dev_state st = fs_fleet_state(f, t->device);
    if (st == FS_DEV_RECOVERY || st == FS_DEV_REBOOTING)
        return false;
    return fs_fleet_running_os(f, t->device) == t->image &&
           fs_slots_active(f, t->device, FS_SLOT_OS) == t->slot_ab &&
           fs_slots_get(f, t->device, FS_SLOT_OS, t->slot_ab) == t->image;
}

static void
flash_poll(struct fs_sim *sim, void *arg)
{
    (void)sim;
    struct atk_target *t = arg;
    struct fs_attack *a = t->act->a;
    t->t_timer = 0;
    t->polls++;
    if (fs_fleet_state(a->env.fleet, t->device) == FS_DEV_REBOOTING &&
        t->polls < ATK_POLLS_MAX) {
        fs__attack_timer(t, ATK_POLL_US, flash_poll);
        return;
    }
    bool ok = runs_modified(a, t);
    t->phase = ATK_DONE;
    if (ok)
        fs_fleet_set_compromised(a->env.fleet, t->device, true);
    fs__attack_end(a, t->act->kind, t->device, ok);
}

/*
 * Physical access: flip one content bit of the OS image in the active
 * slot (a modified OS the vendor never signed), then power-cycle.
 */
void
fs__attack_flash_fire(struct atk_action *ac)
{
    struct fs_attack *a = ac->a;
    struct fs_fleet *f = a->env.fleet;
    for (uint32_t i = 0; i < ac->ntargets; i++) {
        struct atk_target *t = &ac->targets[i];
        fs__attack_attempt(a, ac->kind, t->device);
        t->slot_ab = (uint8_t)fs_slots_active(f, t->device, FS_SLOT_OS);
        t->image = fs_slots_get(f, t->device, FS_SLOT_OS, t->slot_ab);
        struct fs_rng r;
        fs__attack_payload_rng(ac, t, &r);
        uint64_t bits = t->image == FS_NO_IMAGE
                            ? 8
                            : a->env.scn->images[t->image].size_bytes * 8;
        uint64_t bit = fs_rng_below(&r, bits ? bits : 8);
        (void)fs_slots_flip(f, t->device, FS_SLOT_OS, t->slot_ab,
                            FS_FLIP_CONTENT, bit);
        t->phase = ATK_WAIT_BOOT;
        fs_physical_reboot(f, t->device);
        fs__attack_timer(t, ATK_POLL_US, flash_poll);
    }
}

/* ---- compromised_app ----------------------------------------------- */

static void app_retry(struct fs_sim *sim, void *arg);

/* The core whose app the attacker exploits: hl first, else any. */
static unsigned
exploited_core(struct fs_fleet *f, uint32_t device)
{
    for (unsigned c = 0; c < FS_APPS_MAX; c++)
        if (fs_fleet_running_app(f, device, c) != FS_NO_IMAGE)
            return c;
    return FS_APPS_MAX;
}

static bool
list_has(const struct fs_scn_strlist *l, const char *name)
{
    for (uint32_t i = 0; i < l->count; i++)
        if (strcmp(l->items[i], name) == 0)
            return true;
    return false;
}

static bool
gpio_claimed(const struct fs_scn_caps *caps, uint32_t pin)
{
    for (uint32_t i = 0; i < caps->ngpio; i++)
        if (caps->gpio[i] == pin)
            return true;
    return false;
}

/*
 * The exploited app's accesses outside its manifest: a GPIO pin and a
 * UART it does not claim, a host not in allowed_hosts, and a signature
 * with the device key asked for as the app. Returns how many got through.
 * A refused access is reported by the firewall itself (device/firewall.c).
 */
static unsigned
app_accesses(struct fs_attack *a, struct atk_target *t, unsigned core,
             uint32_t app)
{
    struct fs_fleet *f = a->env.fleet;
    const struct fs_scn_caps *caps = &a->env.scn->images[app].caps;
    struct fs_rng r;
    fs__attack_payload_rng(t->act, t, &r);
    uint32_t pin = (uint32_t)fs_rng_below(&r, 96);
    for (unsigned i = 0; i < 96 && gpio_claimed(caps, pin); i++)
        pin = (pin + 1) % 96;
    char name[32];
    snprintf(name, sizeof(name), "%u", pin);
    unsigned got = 0;
    got += fs_fw_peripheral(f, t->device, core, FS_PERIPH_GPIO, name);
    unsigned isu = (unsigned)fs_rng_below(&r, 5);
    snprintf(name, sizeof(name), "isu%u", isu);
    for (unsigned i = 0; i < 8 && list_has(&caps->uart, name); i++)
        snprintf(name, sizeof(name), "isu%u", ++isu);
    got += fs_fw_peripheral(f, t->device, core, FS_PERIPH_UART, name);
    snprintf(name, sizeof(name), "c2-%llu.attacker.example",
             (unsigned long long)fs_rng_below(&r, 1000));
    got += fs_fw_connect(f, t->device, core, name);
    static const unsigned char grab[] = "attacker: sign this as the device";
    unsigned char sig[FS_SIG_BYTES];
    got += fs_keystore_sign(fs_fleet_keystore(f), t->device, FS_KS_APP, grab,
                            sizeof(grab), sig) == 0;
    return got;
}

/*
 * Exploit t's running app now. With no app running (rebooting, recovery)
 * no check can be made: try again ATK_RETRY_US later, as the same
 * attempt, rather than count it blocked.
 */
static void
app_exploit(struct atk_target *t)
{
    struct fs_attack *a = t->act->a;
    unsigned core = exploited_core(a->env.fleet, t->device);
    if (core >= FS_APPS_MAX) {
        t->phase = ATK_WAIT_BOOT;
        fs__attack_timer(t, ATK_RETRY_US, app_retry);
        return;
    }
    uint32_t app = fs_fleet_running_app(a->env.fleet, t->device, core);
    unsigned got = app_accesses(a, t, core, app);
    t->phase = ATK_DONE;
    fs__attack_end(a, t->act->kind, t->device, got > 0);
}

static void
app_retry(struct fs_sim *sim, void *arg)
{
    (void)sim;
    struct atk_target *t = arg;
    t->t_timer = 0;
    app_exploit(t);
}

/* The running app of each target is exploited now. */
void
fs__attack_app_fire(struct atk_action *ac)
{
    struct fs_attack *a = ac->a;
    for (uint32_t i = 0; i < ac->ntargets; i++) {
        struct atk_target *t = &ac->targets[i];
        fs__attack_attempt(a, ac->kind, t->device);
        app_exploit(t);
    }
}

/* ---- flash_corruption ---------------------------------------------- */

/*
 * Which slot rots: among the active (or inactive) slots of the OS and the
 * apps, in proportion to the bytes their images occupy; the OS slot when
 * all of them are empty. Writes the slot's A/B index and image.
 */
static enum fs_slot_of
rot_pick(struct fs_attack *a, uint32_t device, bool inactive, struct fs_rng *r,
         unsigned *out_ab, uint32_t *out_image)
{
    struct fs_fleet *f = a->env.fleet;
    uint64_t total = 0;
    uint64_t sizes[4] = {0, 0, 0, 0};
    unsigned abs[4];
    for (unsigned w = FS_SLOT_OS; w <= FS_SLOT_RT1; w++) {
        abs[w] = fs_slots_active(f, device, (enum fs_slot_of)w) ^
                 (inactive ? 1u : 0u);
        uint32_t img = fs_slots_get(f, device, (enum fs_slot_of)w, abs[w]);
        sizes[w] = img == FS_NO_IMAGE ? 0 : a->env.scn->images[img].size_bytes;
        total += sizes[w];
    }
    unsigned what = FS_SLOT_OS;
    if (total > 0) {
        uint64_t pick = fs_rng_below(r, total);
        while (pick >= sizes[what]) {
            pick -= sizes[what];
            what++;
        }
    }
    *out_ab = abs[what];
    *out_image = fs_slots_get(f, device, (enum fs_slot_of)what, abs[what]);
    return (enum fs_slot_of)what;
}

/* Bits rot now in the active or inactive slot of each target. */
void
fs__attack_rot_fire(struct atk_action *ac)
{
    struct fs_attack *a = ac->a;
    struct fs_fleet *f = a->env.fleet;
    bool inactive = ac->act->u.fault.slot == FS_SLOT_INACTIVE;
    for (uint32_t i = 0; i < ac->ntargets; i++) {
        struct atk_target *t = &ac->targets[i];
        struct fs_rng r;
        fs__attack_payload_rng(ac, t, &r);
        unsigned ab;
        uint32_t img;
        enum fs_slot_of what = rot_pick(a, t->device, inactive, &r, &ab, &img);
        uint64_t bits =
            img == FS_NO_IMAGE ? 8 : a->env.scn->images[img].size_bytes * 8;
        (void)fs_slots_flip(f, t->device, what, ab, FS_FLIP_CONTENT,
                            fs_rng_below(&r, bits ? bits : 8));
        t->phase = ATK_DONE;
        fs_sim_record(a->env.sim, FS_REC_ATK_FAULT_START, t->device,
                      (int64_t)ac->kind);
    }
}

/* ---- network_outage ------------------------------------------------ */

static void
netout_end(struct fs_sim *sim, void *arg)
{
    (void)sim;
    struct atk_action *ac = arg;
    struct fs_attack *a = ac->a;
    ac->t_end = 0;
    ac->ended = true;
    for (uint32_t i = 0; i < ac->ntargets; i++) {
        struct atk_target *t = &ac->targets[i];
        FS_ASSERT(a->offline_holds[t->device] > 0);
        if (--a->offline_holds[t->device] == 0)
            fs_physical_force_offline(a->env.fleet, t->device, false);
        t->phase = ATK_DONE;
        fs_sim_record(a->env.sim, FS_REC_ATK_FAULT_END, t->device,
                      (int64_t)ac->kind);
    }
}

/* Each target's link goes down now, for the fault's `for`. */
void
fs__attack_netout_fire(struct atk_action *ac)
{
    struct fs_attack *a = ac->a;
    FS_ASSERT(a->offline_holds != NULL);
    for (uint32_t i = 0; i < ac->ntargets; i++) {
        struct atk_target *t = &ac->targets[i];
        FS_ASSERT(a->offline_holds[t->device] < UINT8_MAX);
        if (a->offline_holds[t->device]++ == 0)
            fs_physical_force_offline(a->env.fleet, t->device, true);
        t->phase = ATK_ACTIVE;
        fs_sim_record(a->env.sim, FS_REC_ATK_FAULT_START, t->device,
                      (int64_t)ac->kind);
    }
    if (fs_sim_schedule(a->env.sim, ac->act->u.fault.for_us, netout_end, ac,
                        &ac->t_end) != 0)
        ac->t_end = 0; /* ends after the run: stays down */
}

/* ---- power_loss ---------------------------------------------------- */

/* Arm a power cut on each target for the next time it is in `during`. */
void
fs__attack_power_fire(struct atk_action *ac)
{
    struct fs_attack *a = ac->a;
    for (uint32_t i = 0; i < ac->ntargets; i++) {
        struct atk_target *t = &ac->targets[i];
        (void)fs_physical_arm_power_loss(a->env.fleet, t->device,
                                         ac->act->u.fault.during);
        t->phase = ATK_DONE;
        fs_sim_record(a->env.sim, FS_REC_ATK_FAULT_START, t->device,
                      (int64_t)ac->kind);
    }
}
