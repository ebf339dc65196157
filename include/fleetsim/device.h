/*
 * include/fleetsim/device.h - the simulated device fleet.
 *
 * Owns: struct fs_fleet: every device of the scenario (keystore, A/B slots,
 * boot chain, cores and firewalls, apps, network link, error-report queue,
 * check-in client), the devices{...} and firewall{...} metric series.
 * Invariants: a device's secret key never leaves its keystore (no function
 * returns it); each device is counted in exactly one devices{} series;
 * every state change is appended to the canonical record; event handlers
 * allocate nothing (messages come from the pool).
 * Does not: call the service (messages go through env->send), read any
 * clock, or include service headers.
 */
#ifndef FLEETSIM_DEVICE_H
#define FLEETSIM_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetsim/image.h"
#include "fleetsim/msg.h"
#include "fleetsim/scn.h"

struct fs_sim;
struct fs_scn;
struct fs_metrics;
struct fs_fleet;

/* What the runner hands the fleet; all pointers are borrowed. */
struct fs_fleet_env {
    struct fs_sim *sim;         /* engine (its FS_CTX_FLEET slot is set) */
    const struct fs_scn *scn;   /* loaded scenario */
    struct fs_catalog *catalog; /* signed images and signer keys */
    struct fs_metrics *metrics; /* metric registry */
    struct fs_msgpool *pool;    /* messages in flight */
    /* device -> service: the runner delivers m after latency_us. */
    void (*send)(void *ctx, struct fs_msg *m, int64_t latency_us);
    void *ctx; /* first argument of send */
};

/* Canonical record kinds of the device model (fs_sim_record). */
enum fs_dev_rec {
    FS_REC_DEV_BOOT_START = 100, /* boot begins; value = boot count */
    FS_REC_DEV_BOOT_STAGE,       /* stage checked; value = fs_boot_code */
    FS_REC_DEV_BOOT_DONE,        /* boot ended; value = enum fs_dev_state */
    FS_REC_DEV_STATE,            /* state changed; value = enum fs_dev_state */
    FS_REC_DEV_APP_CRASH,        /* value = image index */
    FS_REC_DEV_OS_CRASH,         /* value = image index */
    FS_REC_DEV_CHECKIN_SENT,     /* HELLO sent; value = attempt (0 first) */
    FS_REC_DEV_CHECKIN_FAIL,     /* value = enum fs_checkin_fail */
    FS_REC_DEV_EVIDENCE_SENT,    /* value = report entries attached */
    FS_REC_DEV_ANSWER,           /* service message taken; value = kind */
    FS_REC_DEV_TELEMETRY,        /* value = value_milli */
    FS_REC_DEV_NET,              /* value = 1 online, 0 offline */
    FS_REC_DEV_REPORT_DROP,      /* value = events dropped */
    FS_REC_DEV_FW_BLOCKED,       /* value = enum fs_fw_kind */
    FS_REC_DEV_COMPROMISED,      /* value = 1 compromised, 0 clean */
    FS_REC_DEV_UPDATE,           /* update outcome; value = image << 16 |
                                    result << 8 | reason */
    FS_REC_DEV_DOWNLOAD_REQ,     /* DOWNLOAD_REQ sent; value = offset */
    FS_REC_DEV_CHUNK,            /* chunk taken; value = new offset */
    FS_REC_DEV_INSTALL,          /* value = 0 writing starts, 1 pending */
    FS_REC_DEV_POWER_CUT         /* power cut; value = step counter */
};

/* A device's state, as in devices{state=...}; "rebooting" until first boot. */
enum fs_dev_state {
    FS_DEV_RUNNING = 0,
    FS_DEV_UPDATING,
    FS_DEV_REBOOTING,
    FS_DEV_OFFLINE, /* running but without network (derived) */
    FS_DEV_RECOVERY
};

/* Why a check-in failed (FS_REC_DEV_CHECKIN_FAIL). */
enum fs_checkin_fail {
    FS_CHECKIN_OFFLINE = 0,
    FS_CHECKIN_TIMEOUT,
    FS_CHECKIN_REFUSED,
    FS_CHECKIN_REJECTED
};

/* Number of devices. */
uint32_t fs_fleet_count(const struct fs_fleet *f);

/*
 * Manufacture every device of env->scn: keys from each device's
 * FS_RNG_KEYS stream, slot A holding the cohort's OS and apps, counters
 * at those images' security versions, trusted signers = platform, oem and
 * every image signer the scenario names. Registers the fleet in the
 * engine's FS_CTX_FLEET slot. Returns 0, or FS_ELIMIT when the catalog
 * has more signers than a keystore holds or the fleet is too large.
 */
int fs_fleet_create(const struct fs_fleet_env *env, struct fs_fleet **out);
/* Free the fleet; NULL is a no-op. Pending events must not run after. */
void fs_fleet_destroy(struct fs_fleet *f);

/*
 * Power every device on: schedule each first boot within the first minute
 * (from its FS_RNG_BOOT stream) and start the outage processes.
 */
int fs_fleet_start(struct fs_fleet *f);

/*
 * A set_service action (call it with the same changes as the service's
 * fs_svc_set_service): the keys changes->given marks (bit 1u << FS_SVC_*)
 * replace the fleet's copy of the service settings, which the devices
 * read instead of the scenario's (check-in interval, probation, download
 * timeout). Timers already set keep their time; the next ones use the new
 * values.
 */
void fs_fleet_set_service(struct fs_fleet *f,
                          const struct fs_service_config *changes);

/* A service->device message arrives; the fleet returns m to the pool. */
void fs_fleet_receive(struct fs_fleet *f, struct fs_msg *m);

/* True when the device's link is up now. */
bool fs_fleet_is_online(const struct fs_fleet *f, uint32_t device);
/* One-way latency of the device's link in microseconds. */
int64_t fs_fleet_latency_us(const struct fs_fleet *f, uint32_t device);
/* The device's public key (the factory's record, for registration). */
void fs_fleet_public_key(const struct fs_fleet *f, uint32_t device,
                         unsigned char pk[FS_KEY_PUB_BYTES]);
/* Bytes of memory the fleet holds (devices, side tables, caches). */
size_t fs_fleet_bytes(const struct fs_fleet *f);
/* Bytes of one device record (sizeof the per-device struct). */
size_t fs_fleet_device_bytes(void);
/* Full consistency check: every device, and the series counts. */
bool fs_fleet_check(const struct fs_fleet *f);

/* Current state of a device (FS_DEV_OFFLINE when running without net). */
enum fs_dev_state fs_fleet_state(const struct fs_fleet *f, uint32_t device);
/* True when the device runs code its trusted keys did not sign, etc. */
bool fs_fleet_is_compromised(const struct fs_fleet *f, uint32_t device);
/* Mark a device compromised or clean (attacks); updates the metric. */
void fs_fleet_set_compromised(struct fs_fleet *f, uint32_t device, bool on);
/* True when the device holds a certificate. */
bool fs_fleet_has_cert(const struct fs_fleet *f, uint32_t device);
/* Running OS image (FS_NO_IMAGE in recovery) and app on core (0..2). */
uint32_t fs_fleet_running_os(const struct fs_fleet *f, uint32_t device);
uint32_t fs_fleet_running_app(const struct fs_fleet *f, uint32_t device,
                              unsigned core);
/* Error-report events dropped by full queues, fleet-wide. */
uint64_t fs_fleet_reports_dropped(const struct fs_fleet *f);

/* ---- keystore (Pluton) ------------------------------------------------ */

/* Who calls the keystore; only the security monitor is let through. */
enum fs_ks_caller { FS_KS_MONITOR = 0, FS_KS_OS, FS_KS_APP };

/* Image kinds of the anti-rollback counters. */
enum fs_ks_counter { FS_KS_COUNTER_OS = 0, FS_KS_COUNTER_APP };

/*
 * Each keystore call checks the caller: anything but FS_KS_MONITOR is
 * refused with FS_EINVAL, counted firewall{kind="keystore",
 * result="blocked"} and recorded; allowed calls count result="allowed".
 */

/* Sign msg with the device key into sig (Ed25519, detached). */
int fs_keystore_sign(struct fs_fleet *f, uint32_t device,
                     enum fs_ks_caller caller, const unsigned char *msg,
                     size_t msg_len, unsigned char sig[FS_SIG_BYTES]);
/* Copy the device's public key into pk. */
int fs_keystore_public_key(struct fs_fleet *f, uint32_t device,
                           enum fs_ks_caller caller,
                           unsigned char pk[FS_KEY_PUB_BYTES]);
/* Reset both measurement registers to zero (start of a boot). */
int fs_keystore_reset_pcrs(struct fs_fleet *f, uint32_t device,
                           enum fs_ks_caller caller);
/* Extend register pcr (0 boot, 1 apps) with value. */
int fs_keystore_extend(struct fs_fleet *f, uint32_t device,
                       enum fs_ks_caller caller, unsigned pcr,
                       const unsigned char value[FS_HASH_BYTES]);
/* Read register pcr (0 boot, 1 apps) into out. */
int fs_keystore_read_pcr(struct fs_fleet *f, uint32_t device,
                         enum fs_ks_caller caller, unsigned pcr,
                         unsigned char out[FS_HASH_BYTES]);
/* Read counter which into *out. */
int fs_keystore_counter(struct fs_fleet *f, uint32_t device,
                        enum fs_ks_caller caller, enum fs_ks_counter which,
                        uint32_t *out);
/* Raise counter which to value (never lowers; lower values are ignored). */
int fs_keystore_raise_counter(struct fs_fleet *f, uint32_t device,
                              enum fs_ks_caller caller,
                              enum fs_ks_counter which, uint32_t value);
/* Write to *out whether catalog signer s is trusted. */
int fs_keystore_trusts(struct fs_fleet *f, uint32_t device,
                       enum fs_ks_caller caller, uint32_t signer, bool *out);
/* Trust (on) or distrust (off, revocation) catalog signer s. */
int fs_keystore_set_trust(struct fs_fleet *f, uint32_t device,
                          enum fs_ks_caller caller, uint32_t signer, bool on);

/* ---- slots and boot --------------------------------------------------- */

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

/* ---- updates ---------------------------------------------------------- */

/*
 * The device side of updates (device/update.c, device/install.c) follows
 * msg.h: METADATA records are checked (record signature by the update
 * service key, expiry, product and group binding, freshness against the
 * newest record of the same deployment accepted before), one offer is
 * downloaded chunk by chunk, checked (signature, trusted and unrevoked
 * signer, record target, content hash, product, anti-rollback, flash),
 * written to the inactive slot in 64 KiB units, booted as the pending
 * slot, and confirmed after the probation time (raising the counter) or
 * rolled back after a crash. Outcomes ride on the next EVIDENCE.
 *
 * Steps: every chunk taken, every 64 KiB unit written, the commit of the
 * pending slot, every power-on and boot-chain run, and every confirmation
 * advance a per-device step counter. A power cut "at step k" happens
 * instead of step k.
 */

/*
 * Arm a power cut: the next time device is in phase during (download,
 * install, boot, or any of them), power is cut at a step drawn uniformly
 * from that phase's remaining steps (device's FS_RNG_FAULTS stream).
 * Replaces an earlier arming. Returns 0.
 */
int fs_fleet_arm_power_loss(struct fs_fleet *f, uint32_t device,
                            enum fs_phase during);
/*
 * Arm a power cut instead of step number step of the device's step
 * counter (tests). step must be above fs_fleet_update_steps. Returns 0 or
 * FS_EINVAL.
 */
int fs_fleet_arm_power_loss_at(struct fs_fleet *f, uint32_t device,
                               uint32_t step);
/* True while a power cut is armed. */
bool fs_fleet_power_loss_armed(const struct fs_fleet *f, uint32_t device);
/*
 * Cut the device's power now: an interrupted download or write fails
 * (updates{failed, power_loss}; the half-written slot is erased); the
 * device powers on again DEV_POWER_OFF_US later and boots what is
 * bootable. Disarms any armed cut.
 */
void fs_fleet_cut_power_now(struct fs_fleet *f, uint32_t device);
/* Steps taken so far (see above). */
uint32_t fs_fleet_update_steps(const struct fs_fleet *f, uint32_t device);
/* Update sessions held fleet-wide (devices updating or with outcomes). */
uint32_t fs_fleet_update_sessions(const struct fs_fleet *f);
/* True when device holds an update between download and confirmation. */
bool fs_fleet_is_updating(const struct fs_fleet *f, uint32_t device);
/*
 * The anti-rollback counter which of device, read without the keystore
 * gate (reports and tests; the counter is not a secret).
 */
uint32_t fs_fleet_rollback_counter(const struct fs_fleet *f, uint32_t device,
                                   enum fs_ks_counter which);
/*
 * Newest update record version device accepted for deployment (0 when
 * none, or when it was forgotten: a device keeps the few deployments it
 * accepted most recently).
 */
uint64_t fs_fleet_accepted_version(const struct fs_fleet *f, uint32_t device,
                                   uint32_t deployment);

/* ---- firewalls -------------------------------------------------------- */

/* Peripheral classes an app manifest may claim. */
enum fs_periph {
    FS_PERIPH_GPIO = 0,
    FS_PERIPH_UART,
    FS_PERIPH_I2C,
    FS_PERIPH_SPI,
    FS_PERIPH_ADC
};

/* Which firewall (FS_REC_DEV_FW_BLOCKED values, firewall{kind}). */
enum fs_fw_kind { FS_FW_PERIPHERAL = 0, FS_FW_NETWORK, FS_FW_KEYSTORE };

/*
 * May the app on core (0 hl, 1 rt0, 2 rt1) touch peripheral name of class
 * cls (GPIO numbers as decimal text)? Allowed only when the running app on
 * that core claims it, or when peripheral_firewall is off. Counted and,
 * when blocked, recorded and reported (firewall_violation, for the app on
 * that core or FS_NO_IMAGE).
 */
bool fs_fw_peripheral(struct fs_fleet *f, uint32_t device, unsigned core,
                      enum fs_periph cls, const char *name);
/*
 * May the app on core connect to host? Real-time cores have no network;
 * the high-level app may reach only its manifest's allowed_hosts; with
 * network_firewall off everything is allowed. Counted and, when blocked,
 * recorded and reported (firewall_violation, as fs_fw_peripheral).
 */
bool fs_fw_connect(struct fs_fleet *f, uint32_t device, unsigned core,
                   const char *host);

/* ---- error-report queue ----------------------------------------------- */

/* Bounds of a device's queue (as Azure Sphere bounds it). */
#define FS_REPQ_EVENTS_MAX 1000u
#define FS_REPQ_AGE_MAX_US ((int64_t)14 * 24 * 3600 * 1000000)
/* Distinct (kind, image) entries a device keeps. */
#define FS_REPQ_ENTRIES 6

/* Queue one error-report event of kind for image at the current time. */
void fs_fleet_report(struct fs_fleet *f, uint32_t device,
                     enum fs_report_kind kind, uint32_t image);
/* Events now queued on a device (after age pruning at the current time). */
uint32_t fs_fleet_reports_pending(struct fs_fleet *f, uint32_t device);
/* Events of a device dropped by its bounds so far. */
uint32_t fs_fleet_reports_dropped_of(const struct fs_fleet *f, uint32_t device);
/*
 * Copy up to max queued entries (oldest first) into out and mark them as
 * in flight; returns how many. They are removed by fs_fleet_reports_ack.
 */
size_t fs_fleet_reports_take(struct fs_fleet *f, uint32_t device,
                             struct fs_report_entry *out, size_t max);
/* The service received the last entries taken: remove those events. */
void fs_fleet_reports_ack(struct fs_fleet *f, uint32_t device);

/* ---- telemetry ------------------------------------------------------- */

/* Telemetry part index of a device in a cohort without wear parts. */

/* Wear part index of a degrading device, or FS_PART_NONE. */
unsigned fs_fleet_wear_part(const struct fs_fleet *f, uint32_t device);
/* Onset of its degradation in simulated microseconds (-1 when none). */
int64_t fs_fleet_wear_onset_us(const struct fs_fleet *f, uint32_t device);

/* ---- attack hooks (device/attack_hooks.c; used by sim/attack/attack*.c only)
 * -- */

/*
 * Reboot device now, as a power cycle would: stop its apps and check-in
 * exchange and run the boot chain again (state rebooting, then running or
 * recovery).
 */
void fs_fleet_reboot(struct fs_fleet *f, uint32_t device);
/*
 * Cut (off = true) or restore (off = false) the device's network link from
 * outside (a network outage). While cut, the device's own outage process
 * is stopped; restoring restarts it from its stationary distribution.
 * Cutting twice or restoring a link that is not cut is a no-op.
 */
void fs_fleet_force_offline(struct fs_fleet *f, uint32_t device, bool off);
/* How long a device waits for a service answer before giving up (us). */
int64_t fs_fleet_answer_timeout_us(void);
/*
 * Copy up to max of the update outcomes device holds for its next upload
 * (oldest first) into out; returns how many it holds (may exceed max).
 * Outcomes are appended as the device counts them and leave only when the
 * service acknowledges an upload, so the attacker on the path can see what
 * the device made of the update it delivered.
 */
size_t fs_fleet_update_reports(struct fs_fleet *f, uint32_t device,
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
 * it (what it accepted of records: fs_fleet_accepted_version).
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
void fs_fleet_update_view(const struct fs_fleet *f, uint32_t device,
                          struct fs_update_view *out);

#endif
