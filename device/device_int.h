/*
 * device/device_int.h - the device model's private structures.
 *
 * Owns: struct fs_dev (one packed record per device), struct fs_fleet, the
 * per-cohort shared data, and the helpers the device/ files share.
 * Invariants: a device's timers are engine event ids, 0 when not pending;
 * a handler clears its own id before anything else; dev->state is never
 * FS_DEV_OFFLINE (offline is derived from state running + !online).
 * Does not: get included outside device/.
 */
#ifndef FLEETSIM_DEVICE_INT_H
#define FLEETSIM_DEVICE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "fleetsim/device.h"
#include "fleetsim/image.h"
#include "fleetsim/msg.h"
#include "fleetsim/rng.h"
#include "fleetsim/scn.h"
#include "fleetsim/sim.h"

/* Streams a device keeps counters for (FS_RNG_KEYS is used only once). */
enum dev_stream { DS_FAULTS = 0, DS_NET, DS_ROLLOUT, DS_BOOT, DS_COUNT };

/* Exchange phase of the check-in client. */
enum dev_xchg { XCHG_IDLE = 0, XCHG_WAIT_CHALLENGE, XCHG_WAIT_ANSWER };

/* Check-in protocol constants. */
#define DEV_ANSWER_TIMEOUT_US ((int64_t)120 * 1000000)   /* 2 min */
#define DEV_BACKOFF_MIN_US ((int64_t)60 * 1000000)       /* 1 min */
#define DEV_BACKOFF_MAX_US ((int64_t)3600 * 1000000)     /* 1 h */
#define DEV_OFFLINE_MEAN_US (4.0 * 3600 * 1e6)           /* 4 h */
#define DEV_BOOT_SPREAD_US ((int64_t)60 * 1000000)       /* first minute */
#define DEV_BOOT_MIN_US ((int64_t)10 * 1000000)          /* 10 s */
#define DEV_BOOT_JITTER_US ((int64_t)20 * 1000000)       /* + up to 20 s */

/* Wear model: drying temperature, noise and drift after onset. */
#define DEV_TEMP_NOMINAL_MILLI 65000.0
#define DEV_TEMP_NOISE_SD_MILLI 500.0
#define DEV_TEMP_DRIFT_MILLI_PER_DAY 1500.0

/* One aggregated error-report entry of a device (kind 0xFF = empty). */
struct dev_rep {
    int64_t first_us;   /* first event still held, simulated time */
    int64_t last_us;    /* last event, simulated time */
    uint32_t image;     /* image index, or FS_NO_IMAGE */
    uint16_t count;     /* events held */
    uint16_t sent;      /* events of this entry in the upload in flight */
    uint8_t kind;       /* enum fs_report_kind, 0xFF when empty */
};

/* One device. Cohort-wide data lives in struct dev_cohort. */
struct fs_dev {
    unsigned char sk[FS_KEY_SEC_BYTES];    /* keystore: secret || public */
    unsigned char pcr[2][FS_HASH_BYTES];   /* keystore: boot, apps */
    unsigned char cert_sig[FS_SIG_BYTES];  /* certificate: CA signature */
    int64_t cert_not_after_us;             /* certificate expiry */
    uint64_t cert_serial;                  /* certificate serial */
    uint64_t trusted;                      /* keystore: bit s = signer s */
    int64_t wear_onset_us;                 /* degradation start, or -1 */
    struct dev_rep rep[FS_REPQ_ENTRIES];   /* error-report queue */
    uint64_t t_boot;                       /* power-on / boot-done event */
    uint64_t t_fault;                      /* next crash (OS or any app) */
    uint64_t t_telem;                      /* next telemetry reading */
    uint64_t t_checkin;                    /* next check-in attempt */
    uint64_t t_timeout;                    /* exchange answer timeout */
    uint64_t t_net;                        /* next link up/down toggle */
    uint32_t slot_os[2];                   /* OS image in slots A, B */
    uint32_t slot_app[FS_APPS_MAX][2];     /* app image per core, A, B */
    uint32_t counter[2];                   /* keystore: anti-rollback */
    uint32_t rng_ctr[DS_COUNT];            /* draws made per stream */
    uint32_t cohort;                       /* index into scn->cohorts */
    uint32_t series;                       /* devices{} series */
    uint32_t flips;                        /* flip-table index, 0 = none */
    uint32_t rep_dropped;                  /* report events dropped */
    uint16_t boots;                        /* boots started */
    uint8_t active;                        /* bit i: fs_slot_of i runs B */
    uint8_t state;                         /* enum fs_dev_state */
    uint8_t online;                        /* link up */
    uint8_t comp_boot;                     /* booted untrusted code */
    uint8_t comp_ext;                      /* compromised by an attack */
    uint8_t has_cert;                      /* holds a certificate */
    uint8_t xchg;                          /* enum dev_xchg */
    uint8_t backoff_exp;                   /* failed check-ins in a row */
    uint8_t wear_part;                     /* FS_PART_NONE or part index */
};

/* Flipped bits of all slots of one device (rare: flash rot, attacks). */
struct dev_flips {
    uint8_t n[4][2];                               /* flips per slot */
    uint8_t area[4][2][FS_SLOT_FLIPS_MAX];         /* enum fs_flip_area */
    uint64_t bit[4][2][FS_SLOT_FLIPS_MAX];         /* bit within area */
};

/* Per-cohort data shared by its devices. */
struct dev_cohort {
    const struct fs_scn_cohort *sc;        /* the scenario's cohort */
    double on_mean_us;                     /* mean online period */
    double off_mean_us;                    /* mean offline period */
};

/* A cached devices{} series: key and series index. */
struct dev_series_slot {
    uint32_t cohort;                       /* UINT32_MAX when empty */
    uint32_t os;                           /* running OS or FS_NO_IMAGE */
    uint32_t app[FS_APPS_MAX];             /* running apps per core */
    uint8_t state;                         /* enum fs_dev_state */
    uint8_t compromised;                   /* 0 or 1 */
    uint32_t series;                       /* index in the registry */
};

struct fs_fleet {
    struct fs_fleet_env env;               /* borrowed collaborators */
    uint64_t seed;                         /* root seed */
    uint32_t ndevs;                        /* devices */
    uint32_t ncohorts;                     /* cohorts */
    struct fs_dev *devs;                   /* one per device id */
    struct dev_cohort *cohorts;            /* one per cohort */
    struct dev_flips *flips;               /* entry 0 unused */
    uint32_t nflips;                       /* entries used, incl. 0 */
    uint32_t cap_flips;                    /* entries allocated */
    struct dev_series_slot *cache;         /* open addressing */
    uint32_t cache_cap;                    /* power of two */
    uint32_t cache_used;                   /* slots filled */
    uint32_t fw_series[3][2];              /* firewall{kind, result} */
    uint64_t reports_dropped;              /* fleet-wide drops */
};

/* device/fleet.c */
struct fs_fleet *fs__dev_fleet_of(struct fs_sim *sim);
void *fs__dev_arg(uint32_t id);
uint32_t fs__dev_id_of(void *arg);
void fs__dev_rng(const struct fs_fleet *f, uint32_t id, enum dev_stream s,
             struct fs_rng *r);
void fs__dev_rng_save(struct fs_fleet *f, uint32_t id, enum dev_stream s,
                  const struct fs_rng *r);
int64_t fs__dev_now(const struct fs_fleet *f);
void fs__dev_record(struct fs_fleet *f, uint16_t kind, uint32_t id, int64_t v);
void fs__dev_timer(struct fs_fleet *f, uint64_t *t, int64_t delay_us,
               fs_event_fn *fn, uint32_t id);
void fs__dev_cancel(struct fs_fleet *f, uint64_t *t);
const struct fs_scn_image *fs__dev_image(const struct fs_fleet *f,
                                         uint32_t img);
uint32_t fs__dev_running_app(const struct fs_fleet *f, const struct fs_dev *d,
                         unsigned core);
uint32_t fs__dev_running_os(const struct fs_fleet *f, const struct fs_dev *d);
void fs__dev_set_state(struct fs_fleet *f, uint32_t id, enum fs_dev_state s);
void fs__dev_series_update(struct fs_fleet *f, uint32_t id);

/* device/series.c */
uint32_t fs__dev_series_find(struct fs_fleet *f, const struct fs_dev *d);
uint32_t fs__dev_series_peek(const struct fs_fleet *f, const struct fs_dev *d);
void fs__dev_series_fini(struct fs_fleet *f);

/* device/keystore.c */
void fs__dev_keystore_manufacture(struct fs_fleet *f, uint32_t id);
void fs__dev_fw_count(struct fs_fleet *f, uint32_t id, enum fs_fw_kind k,
                  bool allowed);

/* device/boot.c */
void fs__dev_power_on(struct fs_sim *sim, void *arg);
void fs__dev_reboot(struct fs_fleet *f, uint32_t id);
void fs__dev_flips_fini(struct fs_fleet *f);

/* device/apps.c */
void fs__dev_apps_start(struct fs_fleet *f, uint32_t id);
void fs__dev_apps_stop(struct fs_fleet *f, uint32_t id);
void fs__dev_wear_assign(struct fs_fleet *f);

/* device/net.c */
void fs__dev_net_start(struct fs_fleet *f, uint32_t id);
void fs__dev_checkin_now(struct fs_fleet *f, uint32_t id);
void fs__dev_checkin_abort(struct fs_fleet *f, uint32_t id);
void fs__dev_receive(struct fs_fleet *f, struct fs_msg *m);

/* device/repq.c */
void fs__dev_repq_init(struct fs_dev *d);
bool fs__dev_repq_check(const struct fs_dev *d);
void fs__dev_repq_unsend(struct fs_dev *d);

#endif
