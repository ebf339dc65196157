/*
 * device/device_int.h - the device model's private structures.
 *
 * Owns: struct fs_dev (one packed record per device), struct fs_fleet, the
 * per-cohort shared data, and the helpers the device/ files share
 * (fs__<module>_<verb>, each defined in device/<module>.c). The keystore's
 * state is not here: it is private to device/keystore.c.
 * Invariants: a device's timers are engine event ids, 0 when not pending;
 * a handler clears its own id before anything else; dev->state is never
 * FS_DEV_OFFLINE (offline is derived from state running + !online).
 * Does not: get included outside device/.
 */
#ifndef FLEETSIM_DEVICE_INT_H
#define FLEETSIM_DEVICE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "fleetsim/boot.h"
#include "fleetsim/firewall.h"
#include "fleetsim/fleet.h"
#include "fleetsim/image.h"
#include "fleetsim/keystore.h"
#include "fleetsim/mem.h"
#include "fleetsim/msg.h"
#include "fleetsim/net.h"
#include "fleetsim/physical.h"
#include "fleetsim/repq.h"
#include "fleetsim/rng.h"
#include "fleetsim/sim.h"
#include "fleetsim/slots.h"
#include "fleetsim/update.h"

/* Streams a device keeps counters for (FS_RNG_KEYS is used only once). */
enum dev_stream { DS_FAULTS = 0, DS_NET, DS_ROLLOUT, DS_BOOT, DS_COUNT };

/* Exchange phase of the check-in client. */
enum dev_xchg { XCHG_IDLE = 0, XCHG_WAIT_CHALLENGE, XCHG_WAIT_ANSWER };

/* Check-in protocol constants. */
#define DEV_ANSWER_TIMEOUT_US ((int64_t)120 * 1000000) /* 2 min */
/* How long before a periodic check-in its evidence signature is started
   on the crypto workers (fleetsim/crypto.h); no effect on the model. */
#define DEV_SIGN_AHEAD_US ((int64_t)30 * 1000000)
#define DEV_BACKOFF_MIN_US ((int64_t)60 * 1000000)   /* 1 min */
#define DEV_BACKOFF_MAX_US ((int64_t)3600 * 1000000) /* 1 h */
#define DEV_OFFLINE_MEAN_US (4.0 * 3600 * 1e6)       /* 4 h */
#define DEV_BOOT_SPREAD_US ((int64_t)60 * 1000000)   /* first minute */
#define DEV_BOOT_MIN_US ((int64_t)10 * 1000000)      /* 10 s */
#define DEV_BOOT_JITTER_US ((int64_t)20 * 1000000)   /* + up to 20 s */

/* Wear model: drying temperature, noise and drift after onset. */
#define DEV_TEMP_NOMINAL_MILLI 65000.0
#define DEV_TEMP_NOISE_SD_MILLI 500.0
#define DEV_TEMP_DRIFT_MILLI_PER_DAY 1500.0

/* Refused update records a device remembers (not retried). */
#define DEV_REJ_MAX 2

/*
 * Deployments whose newest accepted record version a device remembers for
 * the freshness check, most recently accepted first; accepting a record of
 * another deployment forgets the least recently accepted one. At least one
 * METADATA's worth, so the records of one message never evict each other.
 */
#define DEV_FRESH_MAX 4
_Static_assert(DEV_FRESH_MAX >= FS_RECORDS_PER_MSG,
               "a METADATA's records must fit the freshness table");

/* Power-cut arming of a device. */
enum dev_cut { CUT_NONE = 0, CUT_EXACT, CUT_PHASE };

/* Update timing and bounds. */
#define DEV_WRITE_STEP_BYTES ((uint64_t)64 * 1024) /* flash write unit */
#define DEV_WRITE_STEP_US ((int64_t)20 * 1000)     /* 20 ms per unit */
#define DEV_PROGRESS_BYTES ((uint64_t)64 * 1024)   /* resets the timeout */
#define DEV_POWER_OFF_US ((int64_t)5 * 1000000)    /* dark after a cut */
#define UPD_FLIPS_MAX 8   /* flipped bits a download remembers */
#define UPD_REPORTS_MAX 8 /* update outcomes waiting for upload */
#define UPD_OUT_INLINE 4  /* of them, held in struct fs_dev */
#define UPD_OUT_MORE (UPD_REPORTS_MAX - UPD_OUT_INLINE) /* in a side block */
#define UPD_CHUNK_SESSIONS 256 /* sessions per pool chunk */

/* Where an update session is. */
enum upd_state {
    UPD_NONE = 0,   /* nothing in progress; holds reports only */
    UPD_DL_IDLE,    /* download stopped (offered, abandoned, power cut) */
    UPD_DL_WAIT,    /* DOWNLOAD_REQ sent, waiting for a chunk */
    UPD_DL_QUEUED,  /* the service queued the request */
    UPD_DOWNLOADED, /* every byte here, not installed */
    UPD_WRITING,    /* writing the inactive slot */
    UPD_BOOTING,    /* pending slot marked, rebooting into it */
    UPD_PROBATION   /* new image runs, not yet confirmed */
};

/*
 * One update in progress on one device, from the session pool. Held only
 * while a device downloads (or keeps a stopped download to resume),
 * installs or is on probation; outcomes waiting for upload live in the
 * device (struct dev_out). Index 0 of the pool is never used.
 */
struct dev_upd {
    struct fs_signed_manifest sm;  /* image manifest as received */
    struct fs_manifest target;     /* the signed record's target */
    uint64_t rec_version;          /* the record's version */
    uint32_t rec_tag;              /* (record, manifest) identity,
                                      fs__update_tag */
    uint64_t offset_bytes;         /* bytes received so far */
    uint64_t mark_bytes;           /* offset at the last timer reset */
    uint64_t flips[UPD_FLIPS_MAX]; /* first flipped bits received */
    uint64_t t_timer;              /* timeout, write or probation */
    int64_t write_start_us;        /* when writing began */
    uint32_t next_free;            /* free-list link, 0 = end */
    uint32_t device;               /* holder, UINT32_MAX when free */
    uint32_t deployment;           /* the record's deployment */
    uint32_t nflips_seen;          /* flips received (may exceed kept) */
    uint32_t write_done;           /* write units done */
    uint32_t write_steps;          /* write units in all */
    uint8_t st;                    /* enum upd_state */
    uint8_t what;                  /* enum fs_slot_of */
    uint8_t old_ab;                /* slot that ran before */
    uint8_t new_ab;                /* slot written */
    uint8_t nflips;                /* entries of flips used */
    uint8_t installed;             /* installed already counted */
    uint8_t stepwise;              /* writing one event per unit */
    uint8_t forged;                /* manifest failed sig or trust
                                      checks that were turned off */
};

/*
 * One update outcome waiting for upload: a struct fs_update_report in 16
 * bytes (fs_fleet_create keeps image indices below UINT16_MAX).
 */
struct dev_out {
    int64_t at_us;       /* when it happened on the device */
    uint32_t deployment; /* deploy action index, or UINT32_MAX */
    uint16_t image;      /* image index */
    uint8_t result;      /* enum fs_update_result */
    uint8_t reason;      /* enum fs_update_reason */
};

/* Outcomes past the UPD_OUT_INLINE a device holds (rare), pooled. */
struct dev_out_more {
    struct dev_out e[UPD_OUT_MORE]; /* outcomes UPD_OUT_INLINE.. */
    uint32_t next_free;             /* free-list link, 0 = end */
};

/*
 * An image index in 16 bits (FS_NO_IMAGE as UINT16_MAX); fs_fleet_create
 * refuses more images or cohorts than 16 bits index.
 */
static inline uint16_t
fs__fleet_img16(uint32_t image)
{
    FS_ASSERT(image == FS_NO_IMAGE || image < UINT16_MAX);
    return image == FS_NO_IMAGE ? UINT16_MAX : (uint16_t)image;
}

static inline uint32_t
fs__fleet_img32(uint16_t image)
{
    return image == UINT16_MAX ? FS_NO_IMAGE : image;
}

/* One aggregated error-report entry of a device (kind 0xFF = empty). */
struct dev_rep {
    int64_t first_us; /* first event still held, simulated time */
    int64_t last_us;  /* last event, simulated time */
    uint16_t image;   /* image index, FS_NO_IMAGE as UINT16_MAX
                         (fs__fleet_img16) */
    uint16_t count;   /* events held */
    uint16_t sent;    /* events of this entry in the upload in flight */
    uint8_t kind;     /* enum fs_report_kind, 0xFF when empty */
};

/* One device. Cohort-wide data lives in struct dev_cohort. */
struct fs_dev {
    unsigned char cert_sig[FS_SIG_BYTES]; /* certificate: CA signature */
    int64_t cert_not_after_us;            /* certificate expiry */
    uint64_t cert_serial;                 /* certificate serial */
    int64_t wear_onset_us;                /* degradation start, or -1 */
    struct dev_rep rep[FS_REPQ_ENTRIES];  /* error-report queue */
    uint64_t t_boot;                      /* power-on / boot-done event */
    uint64_t t_fault;                     /* next crash (OS or any app) */
    uint64_t t_telem;                     /* next telemetry reading */
    uint64_t t_checkin;                   /* next check-in attempt */
    uint64_t t_timeout;                   /* exchange answer timeout */
    uint64_t t_net;                       /* next link up/down toggle */
    uint16_t slot_os[2];                  /* OS image in slots A, B
                                             (fs__fleet_img16) */
    uint16_t slot_app[FS_APPS_MAX][2];    /* app image per core, A, B */
    uint32_t rng_ctr[DS_COUNT];           /* draws made per stream */
    uint32_t series;                      /* devices{} series */
    uint32_t flips;                       /* flip-table index, 0 = none */
    uint32_t rep_dropped;                 /* report events dropped */
    uint16_t cohort;                      /* index into config->cohorts */
    uint16_t boots;                       /* boots started */
    uint8_t active;                       /* bit i: fs_slot_of i runs B */
    uint8_t state;                        /* enum fs_dev_state */
    uint8_t online;                       /* link up */
    uint8_t comp_boot;                    /* booted untrusted code */
    uint8_t comp_ext;                     /* compromised by an attack */
    uint8_t has_cert;                     /* holds a certificate */
    uint8_t xchg;                         /* enum dev_xchg */
    uint8_t backoff_exp;                  /* failed check-ins in a row */
    uint8_t wear_part;                    /* FS_PART_NONE or part index */
    uint8_t nout;                         /* update outcomes held (out[],
                                             then out_more) */
    uint8_t nout_sent;                    /* of them, in the upload in
                                             flight */
    uint8_t cut_mode;                     /* enum dev_cut (updates) */
    uint8_t cut_phase;                    /* enum fs_phase (CUT_PHASE) */
    uint8_t forged;                       /* bit what * 2 + ab: slot holds
                                             an image installed from a
                                             manifest no trusted key signed */
    uint8_t rej_next;                     /* next rej_* entry to reuse */
    /* updates (device/update.c, device/install.c) */
    uint64_t revoked;                   /* signers revoked, learned */
    uint64_t fresh_ver[DEV_FRESH_MAX];  /* newest record version
                                           accepted, per deployment in
                                           fresh_dep; 0 = empty; most
                                           recently accepted first */
    uint32_t fresh_dep[DEV_FRESH_MAX];  /* ... their deployments */
    uint32_t rej_dep[DEV_REJ_MAX];      /* remembered refused records:
                                           deployment, UINT32_MAX = none */
    uint32_t rej_tag[DEV_REJ_MAX];      /* ... identity of what was
                                           refused: record version and
                                           signature, manifest signature
                                           (fs__update_tag) */
    uint32_t upd;                       /* update session, 0 = none */
    uint32_t out_more;                  /* outcome block past out[],
                                           0 = none */
    struct dev_out out[UPD_OUT_INLINE]; /* first outcomes to upload,
                                           oldest first */
    uint32_t upd_steps;                 /* update and boot steps taken */
    uint32_t cut_step;                  /* power cut at this step; 0 =
                                           not drawn yet */
};

/* Flipped bits of all slots of one device (rare: flash rot, attacks). */
struct dev_flips {
    uint8_t n[4][2];                       /* flips per slot */
    uint8_t area[4][2][FS_SLOT_FLIPS_MAX]; /* enum fs_flip_area */
    uint64_t bit[4][2][FS_SLOT_FLIPS_MAX]; /* bit within area */
};

/* Per-cohort data shared by its devices. */
struct dev_cohort {
    const struct fs_cohort_config *cc; /* the cohort's configuration */
    double on_mean_us;                 /* mean online period */
    double off_mean_us;                /* mean offline period */
    uint64_t trust_app;                /* bit per catalog signer its
                                          devices trust for apps */
};

/* A cached devices{} series: key and series index. */
struct dev_series_slot {
    uint32_t cohort;           /* UINT32_MAX when empty */
    uint32_t os;               /* running OS or FS_NO_IMAGE */
    uint32_t app[FS_APPS_MAX]; /* running apps per core */
    uint8_t state;             /* enum fs_dev_state */
    uint8_t compromised;       /* 0 or 1 */
    uint32_t series;           /* index in the registry */
};

struct fs_fleet {
    struct fs_fleet_env env;           /* borrowed collaborators */
    const struct fs_fleet_config *cfg; /* env.config */
    struct fs_keystore *ks;            /* every device's keystore */
    struct fs_service_config svc;      /* live service settings: the
                                       configuration's, then each
                                       set_service applied; read
                                       these, never cfg->service */
    uint64_t seed;                     /* root seed */
    uint32_t ndevs;                    /* devices */
    uint32_t ncohorts;                 /* cohorts */
    struct fs_dev *devs;               /* one per device id */
    struct dev_cohort *cohorts;        /* one per cohort */
    struct dev_flips *flips;           /* entry 0 unused */
    uint32_t nflips;                   /* entries used, incl. 0 */
    uint32_t cap_flips;                /* entries allocated */
    struct dev_series_slot *cache;     /* open addressing */
    uint32_t cache_cap;                /* power of two */
    uint32_t cache_used;               /* slots filled */
    uint32_t fw_series[3][2];          /* firewall{kind, result} */
    struct dev_fw *fw;                 /* peripheral owner maps
                                          (device/firewall.c) */
    uint64_t reports_dropped;          /* fleet-wide drops */
    struct dev_upd **upd_chunks;       /* session pool, in chunks */
    uint32_t upd_nchunks;              /* chunks allocated */
    uint32_t upd_cap_chunks;           /* chunk pointers allocated */
    uint32_t upd_used;                 /* high-water index, incl. 0 */
    uint32_t upd_free;                 /* free list head, 0 = empty */
    uint32_t upd_live;                 /* sessions held */
    struct dev_out_more *out_blocks;   /* outcome blocks; 0 unused */
    uint32_t out_used;                 /* high-water index, incl. 0 */
    uint32_t out_cap;                  /* blocks allocated */
    uint32_t out_free;                 /* free list head, 0 = empty */
    uint32_t *upd_series;              /* updates{} series per (image,
                                          result, reason); UINT32_MAX
                                          until first used */
};

/* device/fleet.c */
struct fs_fleet *fs__fleet_of(struct fs_sim *sim);
void *fs__fleet_arg(uint32_t id);
uint32_t fs__fleet_id_of(void *arg);
void fs__fleet_rng(const struct fs_fleet *f, uint32_t id, enum dev_stream s,
                   struct fs_rng *r);
void fs__fleet_rng_save(struct fs_fleet *f, uint32_t id, enum dev_stream s,
                        const struct fs_rng *r);
int64_t fs__fleet_now(const struct fs_fleet *f);
void fs__fleet_record(struct fs_fleet *f, uint16_t kind, uint32_t id,
                      int64_t v);
void fs__fleet_timer(struct fs_fleet *f, uint64_t *t, int64_t delay_us,
                     fs_event_fn *fn, uint32_t id);
void fs__fleet_cancel(struct fs_fleet *f, uint64_t *t);
const struct fs_image_config *fs__fleet_image(const struct fs_fleet *f,
                                              uint32_t img);
bool fs__fleet_defense_on(const struct fs_fleet *f, enum fs_defense d);
uint32_t fs__fleet_running_app(const struct fs_fleet *f, const struct fs_dev *d,
                               unsigned core);
uint32_t fs__fleet_running_os(const struct fs_fleet *f, const struct fs_dev *d);
void fs__fleet_set_state(struct fs_fleet *f, uint32_t id, enum fs_dev_state s);

/* device/series.c */
uint32_t fs__series_find(struct fs_fleet *f, const struct fs_dev *d);
uint32_t fs__series_peek(const struct fs_fleet *f, const struct fs_dev *d);
void fs__series_update(struct fs_fleet *f, uint32_t id);
void fs__series_fini(struct fs_fleet *f);

/* device/keystore.c */
struct fs_keystore *fs__keystore_create(struct fs_sim *sim, uint32_t ndevs,
                                        uint32_t series_allowed,
                                        uint32_t series_blocked,
                                        struct fs_metrics *metrics);
void fs__keystore_destroy(struct fs_keystore *ks);
void fs__keystore_manufacture(struct fs_keystore *ks, uint32_t id,
                              uint64_t seed, uint64_t trusted_os,
                              uint64_t trusted_app, uint32_t counter_os,
                              uint32_t counter_app);
/*
 * Start device's signature of msg ahead of the fs_keystore_sign_deferred
 * that will ask for it; no gate and no record, since nothing in the model
 * happens (a run with no workers does nothing).
 */
void fs__keystore_prefetch_sign(struct fs_keystore *ks, uint32_t device,
                                const unsigned char *msg, size_t msg_len,
                                int64_t due_us);
/* Register pcr of device without the gate, for such work ahead only. */
void fs__keystore_peek_pcr(const struct fs_keystore *ks, uint32_t device,
                           unsigned pcr, unsigned char out[FS_HASH_BYTES]);
size_t fs__keystore_bytes(const struct fs_keystore *ks);
size_t fs__keystore_device_bytes(void);

/* device/firewall.c */
void fs__fw_count(struct fs_fleet *f, uint32_t id, enum fs_fw_kind k,
                  bool allowed);
void fs__fw_init(struct fs_fleet *f);
void fs__fw_fini(struct fs_fleet *f);
size_t fs__fw_bytes(const struct fs_fleet *f);
void fs__fw_boot(struct fs_fleet *f, uint32_t id);
bool fs__fw_conflict(const struct fs_fleet *f, uint32_t id, uint32_t img);

/* device/slots.c */
void fs__slots_fini(struct fs_fleet *f);
size_t fs__slots_apply_flips(const struct fs_fleet *f, uint32_t id,
                             unsigned what, unsigned ab, uint64_t length_bytes,
                             unsigned char enc[FS_MANIFEST_BYTES],
                             unsigned char sig[FS_SIG_BYTES], uint64_t *cbits);

/* device/boot.c */
void fs__boot_power_on(struct fs_sim *sim, void *arg);
void fs__boot_reboot(struct fs_fleet *f, uint32_t id);

/* device/apps.c */
void fs__apps_start(struct fs_fleet *f, uint32_t id);
void fs__apps_stop(struct fs_fleet *f, uint32_t id);
void fs__apps_wear_assign(struct fs_fleet *f);
void fs__apps_cert_ahead(struct fs_fleet *f, uint32_t id);

/* device/net.c */
void fs__net_start(struct fs_fleet *f, uint32_t id);
void fs__net_checkin_now(struct fs_fleet *f, uint32_t id);
void fs__net_checkin_abort(struct fs_fleet *f, uint32_t id);
void fs__net_receive(struct fs_fleet *f, struct fs_msg *m);

/* device/update.c */
void fs__update_init(struct fs_fleet *f);
void fs__update_fini(struct fs_fleet *f);
struct dev_upd *fs__update_of(struct fs_fleet *f, uint32_t id);
struct dev_upd *fs__update_get(struct fs_fleet *f, uint32_t id);
void fs__update_release(struct fs_fleet *f, uint32_t id);
void fs__update_outcome(struct fs_fleet *f, uint32_t id, uint32_t image,
                        uint32_t deployment, enum fs_update_result res,
                        enum fs_update_reason why);
uint32_t fs__update_tag(const struct fs_update_record *rec,
                        const struct fs_signed_manifest *sm);
void fs__update_remember(struct fs_fleet *f, uint32_t id, uint32_t dep,
                         uint32_t tag);
void fs__update_metadata(struct fs_fleet *f, uint32_t id,
                         const struct fs_msg *m);
void fs__update_chunk(struct fs_fleet *f, uint32_t id, const struct fs_msg *m);
void fs__update_queued(struct fs_fleet *f, uint32_t id, const struct fs_msg *m);
void fs__update_online(struct fs_fleet *f, uint32_t id);
void fs__update_send_end(struct fs_fleet *f, uint32_t id, bool completed);
size_t fs__update_reports_take(struct fs_fleet *f, uint32_t id,
                               struct fs_update_report *out, size_t max);
void fs__update_reports_ack(struct fs_fleet *f, uint32_t id);
void fs__update_reports_unsend(struct fs_fleet *f, uint32_t id);
bool fs__update_check(const struct fs_fleet *f, uint32_t id);

/* device/install.c */
void fs__install_begin(struct fs_fleet *f, uint32_t id);
void fs__install_interrupt(struct fs_fleet *f, uint32_t id,
                           enum fs_update_reason why);
bool fs__install_crash(struct fs_fleet *f, uint32_t id, bool os);
void fs__install_booted(struct fs_fleet *f, uint32_t id);
void fs__install_stepwise(struct fs_fleet *f, uint32_t id);

/* device/physical.c */
bool fs__physical_step(struct fs_fleet *f, uint32_t id, enum fs_phase ph,
                       uint32_t remaining);

/*
 * Test seams, declared for tests in fleetsim/testing.h (which nothing
 * outside tests/ may include); repeated here so their definitions have
 * prototypes.
 */
size_t fs_fleet_device_bytes(void);
int fs_physical_arm_power_loss_at(struct fs_fleet *f, uint32_t device,
                                  uint32_t step);
bool fs_physical_power_loss_armed(const struct fs_fleet *f, uint32_t device);
uint32_t fs_physical_steps(const struct fs_fleet *f, uint32_t device);
uint32_t fs_update_sessions(const struct fs_fleet *f);
bool fs_update_in_progress(const struct fs_fleet *f, uint32_t device);
unsigned fs_apps_wear_part(const struct fs_fleet *f, uint32_t device);
int64_t fs_apps_wear_onset_us(const struct fs_fleet *f, uint32_t device);

/* device/repq.c */
void fs__repq_init(struct fs_dev *d);
bool fs__repq_check(const struct fs_dev *d);
void fs__repq_unsend(struct fs_dev *d);

#endif
