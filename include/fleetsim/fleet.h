/*
 * include/fleetsim/fleet.h - the simulated device fleet.
 *
 * Owns: struct fs_fleet, its configuration (struct fs_fleet_config: the
 * cohorts, the facts of each image the devices need, the defence set and
 * the service settings), manufacture, power-on, the delivery of service
 * messages, each device's state, and the devices{...} and firewall{...}
 * metric series. The modules of a device have their own headers:
 * keystore.h, slots.h, boot.h, firewall.h, update.h, repq.h, net.h and
 * physical.h (what someone holding a device can do to it).
 * Invariants: a device's secret key never leaves its keystore (no function
 * returns it); each device is counted in exactly one devices{} series;
 * every state change is appended to the canonical record; event handlers
 * allocate nothing (messages come from the pool). The configuration is
 * plain values and borrowed strings; no type of the scenario loader
 * appears in it.
 * Does not: call the service (messages go through env->send), read any
 * clock, parse scenarios, or include service headers.
 */
#ifndef FLEETSIM_FLEET_H
#define FLEETSIM_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetsim/config.h"
#include "fleetsim/image.h"
#include "fleetsim/msg.h"
#include "fleetsim/units.h"

struct fs_sim;
struct fs_metrics;
struct fs_fleet;
struct fs_keystore;

/* A list of names (units, hosts), as written. */
struct fs_name_list {
    uint32_t count;           /* entries */
    const char *const *items; /* entries (borrowed) */
};

/* An app manifest as the device enforces it: what the app may touch. */
struct fs_app_caps {
    enum fs_core core;                 /* core the app runs on */
    uint32_t ngpio;                    /* entries of gpio */
    const uint32_t *gpio;              /* GPIO numbers */
    struct fs_name_list uart;          /* serial units */
    struct fs_name_list i2c;           /* I2C units */
    struct fs_name_list spi;           /* SPI units */
    struct fs_name_list adc;           /* ADC channels or controllers */
    struct fs_name_list allowed_hosts; /* network hosts */
};

/*
 * What a device needs to know of catalog image i besides its signed
 * manifest (kind, security version and length come from the catalog).
 */
struct fs_image_config {
    const char *id;          /* label of devices{} and updates{} */
    double crash_per_us;     /* crashes per device-microsecond */
    double telemetry_per_us; /* sensor reports per device-us; 0 none */
    struct fs_app_caps caps; /* apps only (zero for OS images) */
};

/* One cohort: devices first_device .. first_device + count - 1. */
struct fs_cohort_config {
    uint32_t first_device;     /* id of its first device */
    uint32_t count;            /* devices, >= 1 */
    uint32_t product;          /* product index (update binding) */
    const char *product_name;  /* devices{product} label */
    uint64_t ram_bytes;        /* product hardware budget */
    uint64_t flash_bytes;      /* product flash */
    uint64_t reserved_bytes;   /* of it, boot code and keystore */
    uint32_t group;            /* group index (update binding) */
    const char *group_name;    /* devices{group} label */
    uint32_t os;               /* catalog index of the OS at manufacture */
    uint32_t napps;            /* entries of apps */
    const uint32_t *apps;      /* catalog indexes of its apps, each placed
                                  on the core its manifest names */
    uint64_t bandwidth_bps;    /* link bandwidth */
    int64_t latency_us;        /* one way */
    uint32_t availability_ppm; /* share of time online */
    uint32_t nwear;            /* entries of wear_shares */
    const struct fs_share *wear_shares; /* per wear part, of the cohort */
    struct fs_name_list app_signers;    /* names of the signers of its
                                           product's app images: the only
                                           keys its devices trust for apps
                                           (OS images: the platform key) */
};

/* Everything the fleet is built from; borrowed for the fleet's life. */
struct fs_fleet_config {
    int64_t duration_us;                    /* run length (wear onsets) */
    uint32_t defenses;                      /* bit (1u << fs_defense) on */
    struct fs_service_config service;       /* settings at the start */
    uint32_t ncohorts;                      /* entries of cohorts */
    const struct fs_cohort_config *cohorts; /* consecutive device ids
                                               from 0, in order */
    uint32_t nimages;                       /* entries of images */
    const struct fs_image_config *images;   /* per catalog index */
};

/* What the runner hands the fleet; all pointers are borrowed. */
struct fs_fleet_env {
    struct fs_sim *sim;                   /* engine (its FS_CTX_FLEET slot
                                             is set) */
    const struct fs_fleet_config *config; /* what to build */
    struct fs_catalog *catalog;           /* signed images and signer keys */
    struct fs_metrics *metrics;           /* metric registry */
    struct fs_msgpool *pool;              /* messages in flight */
    /* device -> service: the runner delivers m after latency_us. */
    void (*send)(void *ctx, struct fs_msg *m, int64_t latency_us);
    void *ctx; /* first argument of send and next_nonce */
    /* The nonce the service's next challenge to device will carry, or
       false (NULL: unknown); only for starting signature work ahead. */
    bool (*next_nonce)(void *ctx, uint32_t device, unsigned char nonce[16]);
    /* Simulated time at which the run stops (0: not known): signature
       work ahead for an exchange due later is not started. */
    int64_t end_us;
    /* device's telemetry will carry certificate c, first at about due_us
       (NULL: nobody to tell); only for starting signature work ahead. */
    void (*cert_ahead)(void *ctx, uint32_t device, const struct fs_cert *c,
                       int64_t due_us);
};

/* Total devices of a configuration (sum of cohort counts). */
uint64_t fs_fleet_config_devices(const struct fs_fleet_config *c);
/* The cohort device belongs to, or NULL when out of range. O(log n). */
const struct fs_cohort_config *
fs_fleet_config_cohort_of(const struct fs_fleet_config *c, uint64_t device);

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

/* Number of devices. */
uint32_t fs_fleet_count(const struct fs_fleet *f);

/*
 * Manufacture every device of env->config: keys from each device's
 * FS_RNG_KEYS stream, slot A holding the cohort's OS and apps, counters
 * at those images' security versions, trusting the platform key for OS
 * images and its cohort's app_signers for apps. Registers the fleet in the
 * engine's FS_CTX_FLEET slot. Returns 0, or FS_ELIMIT when an app signer's
 * catalog index is past what a keystore holds or the fleet is too large.
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
 * read instead of the configuration's (check-in interval, probation,
 * download timeout). Timers already set keep their time; the next ones
 * use the new values.
 */
void fs_fleet_set_service(struct fs_fleet *f,
                          const struct fs_service_config *changes);

/* A service->device message arrives; the fleet returns m to the pool. */
void fs_fleet_receive(struct fs_fleet *f, struct fs_msg *m);
/*
 * A service->device message m has just been sent: start, on crypto workers,
 * the signature its device will make when m arrives (a CHALLENGE's
 * evidence), from the device's state now. Changes nothing in the model; a
 * run without workers does nothing.
 */
void fs_fleet_prefetch(struct fs_fleet *f, const struct fs_msg *m);

/* The keystores of the fleet's devices (keystore.h). */
struct fs_keystore *fs_fleet_keystore(struct fs_fleet *f);

/* The configuration of device's cohort. */
const struct fs_cohort_config *fs_fleet_cohort(const struct fs_fleet *f,
                                               uint32_t device);
/* True when the device's link is up now. */
bool fs_fleet_is_online(const struct fs_fleet *f, uint32_t device);
/* One-way latency of the device's link in microseconds. */
int64_t fs_fleet_latency_us(const struct fs_fleet *f, uint32_t device);
/*
 * The device's public key (the factory's record, for registration),
 * read through the keystore without its caller gate.
 */
void fs_fleet_public_key(const struct fs_fleet *f, uint32_t device,
                         unsigned char pk[FS_KEY_PUB_BYTES]);
/* Bytes of memory the fleet holds (devices, side tables, caches). */
size_t fs_fleet_bytes(const struct fs_fleet *f);
/* Full consistency check: every device, and the series counts. */
bool fs_fleet_check(const struct fs_fleet *f);

/* Current state of a device (FS_DEV_OFFLINE when running without net). */
enum fs_dev_state fs_fleet_state(const struct fs_fleet *f, uint32_t device);
/* True when the device runs code its trusted keys did not sign, etc. */
bool fs_fleet_is_compromised(const struct fs_fleet *f, uint32_t device);
/* Why a device counts compromised: bits of enum fs_fleet_comp (0 clean). */
enum fs_fleet_comp {
    FS_FLEET_COMP_BOOT = 1u, /* booted code its trusted keys did not sign */
    FS_FLEET_COMP_ATTACK =
        2u /* an attack marked it (fs_fleet_set_compromised) */
};
unsigned fs_fleet_compromised_why(const struct fs_fleet *f, uint32_t device);
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

#endif
