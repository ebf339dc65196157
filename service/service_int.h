/*
 * service/service_int.h - the service's internal state, shared by service/.
 *
 * Owns: struct fs_svc, the per-device registry entry, the deployments'
 * and download sessions' state, and the fs__<module>_ functions the
 * service's files share.
 * Invariants: devs has one entry per fleet device, indexed by id; every
 * array is sized in fs_svc_create (the deployments' in fs_rollout_add) and
 * never grows afterwards, except the download queue ring; a live nonce has
 * an expiry > 0; secret keys are wiped at destroy.
 * Does not: get included outside service/, or see the scenario: all the
 * service knows of the run is its struct fs_svc_config.
 */
#ifndef FLEETSIM_SERVICE_INT_H
#define FLEETSIM_SERVICE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "fleetsim/image.h"
#include "fleetsim/msg.h"
#include "fleetsim/attest.h"
#include "fleetsim/cert.h"
#include "fleetsim/cloud.h"
#include "fleetsim/download.h"
#include "fleetsim/errrep.h"
#include "fleetsim/registry.h"
#include "fleetsim/rng.h"
#include "fleetsim/rollout.h"
#include "fleetsim/service.h"
#include "fleetsim/store.h"
#include "fleetsim/upload.h"

/* Bits of svc_dev.flags. */
#define SVC_DEV_REGISTERED 0x01u /* registered at manufacture */
#define SVC_DEV_REVOKED 0x02u    /* revoked: fails attestation and certs */
#define SVC_DEV_NONCE_LIVE 0x04u /* nonce issued and not yet used */
#define SVC_DEV_DL_ACTIVE 0x08u  /* holds download session dl_slot */
#define SVC_DEV_DL_QUEUED 0x10u  /* waits in the download queue */
#define SVC_DEV_FLAGS_ALL 0x1fu

/* svc_dev.last_result before any attestation. */
#define SVC_RESULT_NONE 0xffu

/* Entries of the (os, apps) -> reference measurement cache. */
#define SVC_MEAS_CACHE 1024u

/* One registered device: 112 bytes. */
struct svc_dev {
    unsigned char pk[FS_KEY_PUB_BYTES];  /* registered public key */
    unsigned char nonce[FS_NONCE_BYTES]; /* outstanding challenge */
    int64_t nonce_expiry_us;             /* last valid time of nonce */
    int64_t last_attest_us;              /* last verdict time, -1 never */
    int64_t cert_not_after_us;           /* last cert's expiry, -1 none */
    uint64_t cert_serial;                /* last cert's serial, 0 none */
    uint64_t cert_tag;                   /* keyed hash of the last cert
                                            whose CA signature verified */
    int32_t ewma_milli;                  /* drift EWMA, millidegrees */
    uint32_t tickets;                    /* bit per part index (31: >= 31) */
    uint16_t product;                    /* product index */
    uint16_t group;                      /* group index */
    uint16_t samples;                    /* telemetry readings, saturating */
    uint8_t flags;                       /* SVC_DEV_* */
    uint8_t last_result;                 /* fs_attest_reason, or NONE */
    uint32_t dl_slot;                    /* session index if DL_ACTIVE */
    uint8_t dl_gen;                      /* queue entry generation */
    uint16_t last_os;                    /* OS image of the last passing
                                            attestation, or SVC_OS_NONE */
    uint32_t challenges;                 /* challenges issued to it */
};

#define SVC_OS_NONE 0xffffu

/* A remembered reference measurement of one (os, apps) combination. */
struct svc_meas {
    uint32_t os;                           /* os image index */
    uint32_t apps[FS_APPS_MAX];            /* app image per core */
    bool used;                             /* entry holds a value */
    bool valid;                            /* indexes named signed images */
    unsigned char boot[FS_HASH_BYTES];     /* expected pcr_boot */
    unsigned char apps_pcr[FS_HASH_BYTES]; /* expected pcr_apps */
};

/* Error-report totals of one (image, kind) and its metric series. */
struct svc_errrep {
    uint64_t count;   /* events */
    int64_t first_us; /* first event, -1 none */
    int64_t last_us;  /* last event, -1 none */
    uint32_t series;  /* metric series, UINT32_MAX */
};

/* A tickets{reason} series, found by part name. */
struct svc_ticket_series {
    const char *part; /* part name (borrowed from the config) */
    uint32_t series;  /* metric series */
};

/* Deployment states, in rollout_state order. */
enum svc_deploy_state {
    SVC_DS_PENDING = 0,
    SVC_DS_RUNNING,
    SVC_DS_HALTED,
    SVC_DS_COMPLETED,
    SVC_DS_CANCELLED
};

/* Bits of svc_deploy.flags, per target device. */
#define SVC_DT_OFFERED 0x01u   /* METADATA with this deployment sent */
#define SVC_DT_CONFIRMED 0x02u /* confirmed the image (or already ran it) */
#define SVC_DT_FAILED 0x04u    /* reported failed or rolled_back */
#define SVC_DT_ERROR 0x08u     /* sent an error report for the image */

/* A signed update record of one (deployment, group, product). */
struct svc_record {
    struct fs_update_record rec; /* version 0: never signed */
    int64_t signed_us;           /* when it was signed */
    bool stale;                  /* a target failed on it: sign anew */
};

/*
 * A catalog record: fresh signed metadata for one image bound to one
 * (product, group), whoever asked for it (offer.c). image UINT32_MAX marks
 * an empty entry of the open-addressing table.
 */
struct svc_catrec {
    uint32_t image;      /* catalog index, UINT32_MAX when empty */
    uint32_t product;    /* binding: product index */
    uint32_t group;      /* binding: group index */
    struct svc_record r; /* the record and when it was signed */
};

/*
 * One deployment. Its target devices are fixed when it is added (they
 * follow from the config's cohorts); rank is their place in the seeded
 * order, so wave k holds the ranks below bound[k].
 */
struct svc_deploy {
    struct fs_svc *svc;          /* back pointer, for timers */
    struct fs_deploy_config cfg; /* as added; to and waves NULL */
    uint32_t index;              /* deployment id (records) */
    uint32_t image;              /* catalog index of the image */
    uint8_t state;               /* enum svc_deploy_state */
    bool timer_armed;            /* wave gate timer pending */
    uint32_t wave;               /* waves opened, 0..nwaves */
    uint32_t nwaves;             /* entries of bound */
    int64_t start_us;            /* start time, -1 before */
    int64_t *opened_us;          /* per wave: opened at, or -1 */
    uint32_t ntargets;           /* target devices */
    uint32_t *bound;             /* cumulative rank bound/wave */
    uint32_t *wave_confirmed;    /* confirmations per wave */
    uint32_t lo;                 /* first device id covered */
    uint32_t span;               /* device ids covered */
    uint32_t *rank;              /* by id - lo; UINT32_MAX none */
    uint8_t *flags;              /* by id - lo; SVC_DT_* */
    uint8_t *fails;              /* by id - lo; failed attempts (255 max) */
    bool start_asked;            /* started while its `after` ran */
    int64_t *confirm_us;         /* ntargets confirm times */
    uint32_t nconfirmed;         /* entries of confirm_us used */
    bool confirm_sorted;         /* confirm_us is sorted */
    uint32_t noffered;           /* targets offered */
    uint32_t nerrors;            /* offered, sent error report */
    uint32_t nfailures;          /* offered, failed/rolled back */
    uint32_t offered_series;     /* updates{offered}, lazily */
    uint32_t state_series;       /* rollout_state{id} */
    uint32_t wave_series;        /* rollout_wave{id} */
    uint32_t *slot_of_cohort;    /* ncohorts; UINT32_MAX none */
    uint32_t nslots;             /* (group, product) records */
    struct svc_record *records;  /* nslots */
};

/* A download session: one device being served chunks. */
struct svc_session {
    struct fs_svc *svc;  /* back pointer, for timers */
    uint32_t device;     /* who, if active */
    uint32_t image;      /* what it downloads */
    int64_t last_req_us; /* last request time */
    bool active;         /* in use */
    bool timer_armed;    /* timeout timer pending */
};

/* A download request waiting for a session. */
struct svc_qent {
    uint32_t device;   /* requester */
    uint32_t image;    /* image index */
    uint64_t offset;   /* first byte wanted */
    uint64_t link_bps; /* device bandwidth */
    uint8_t gen;       /* must equal dev dl_gen */
};

/* A FIFO backlog of work answers (see "capacity" in service.h). */
struct svc_load {
    int64_t second; /* simulated second being filled, -1 at start */
    uint64_t used;  /* answers placed in that second */
    uint64_t per_s; /* capacity, answers per second */
};

struct fs_svc {
    struct fs_svc_env env;                   /* borrowed collaborators */
    struct fs_svc_config config;             /* as created (borrowed) */
    struct fs_service_config settings;       /* settings in effect */
    struct fs_rng rng;                       /* service FS_RNG_KEYS stream */
    unsigned char ca_pk[FS_KEY_PUB_BYTES];   /* CA public key */
    unsigned char ca_sk[FS_KEY_SEC_BYTES];   /* CA secret key */
    unsigned char tag_key[16];               /* key of the cert memo tags */
    unsigned char nonce_key[32];             /* key of per-device nonces */
    uint32_t ndevs;                          /* fleet size */
    uint32_t nregistered;                    /* devices registered */
    struct svc_dev *devs;                    /* by device id */
    uint64_t next_serial;                    /* next certificate serial */
    int64_t rate_second;                     /* simulated second counted */
    uint64_t rate_count;                     /* HELLOs in that second */
    struct svc_load load;                    /* backlog of work answers */
    uint32_t nsigners;                       /* catalog signers */
    uint8_t *signer_revoked;                 /* by signer index */
    int64_t *signer_revoked_us;              /* revocation time, -1 none */
    struct svc_meas *meas;                   /* SVC_MEAS_CACHE entries */
    uint32_t nimages;                        /* catalog images */
    struct svc_errrep *errrep;               /* (nimages + 1) * FS_REP_COUNT */
    fs_errrep_hook_fn *errrep_hook;          /* report hook, or NULL */
    void *errrep_ctx;                        /* its context */
    uint32_t nticket_series;                 /* used entries */
    uint32_t cap_ticket_series;              /* allocated entries */
    struct svc_ticket_series *ticket_series; /* by first use */
    uint32_t att_series[FS_ATT_COUNT];       /* attestations series */
    uint32_t cert_series[2];                 /* certificates issued/rejected */
    struct fs_svc_stats stats;               /* decision counters */
    uint32_t ndeploys;                       /* deployments added */
    uint32_t cap_deploys;                    /* entries of deploys */
    struct svc_deploy **deploys;             /* by id (order added) */
    uint64_t record_version;                 /* last record version used */
    struct svc_catrec *catrecs;              /* catalog records, open
                                                addressing by (image,
                                                product, group) */
    uint32_t catrec_cap;                     /* entries (power of two) */
    uint32_t catrec_used;                    /* entries filled */
    uint32_t nsessions;                      /* session table size */
    uint32_t nactive;                        /* sessions in use */
    struct svc_session *sessions;            /* nsessions */
    uint32_t *free_sessions;                 /* stack of free indexes */
    uint32_t nfree;                          /* entries of free_sessions */
    struct svc_qent *queue;                  /* ring of waiting requests */
    uint32_t qcap;                           /* ring capacity (grows) */
    uint32_t qhead;                          /* index of the oldest */
    uint32_t qlen;                           /* entries, stale included */
    uint32_t nqueued;                        /* devices with DL_QUEUED */
};

/* ---- svc.c ---- */

/*
 * Send m, an answer that costs attestation work (CHALLENGE, CERT or
 * REJECTED), through env->send after its wait in the backlog. Returns that
 * wait in microseconds, 0 under capacity, for what must leave with m.
 */
int64_t fs__svc_send_work(struct fs_svc *s, struct fs_msg *m);
/* Start an empty backlog at s's capacity. */
void fs__svc_load_init(struct svc_load *ld, const struct fs_svc *s);
/*
 * Place one answer produced at at_us in the backlog (FIFO, per_s answers
 * per simulated second; at_us must not decrease between calls) and return
 * how long it waits before it leaves the service, in microseconds: 0
 * unless earlier answers already filled the capacity of at_us's second.
 */
int64_t fs__svc_load_wait_us(struct svc_load *ld, int64_t at_us);
/* Metric series of attestation verdict r (created on first use). */
uint32_t fs__svc_att_series(struct fs_svc *s, enum fs_attest_reason r);
/* Metric series certificates{result=issued (true) | rejected}. */
uint32_t fs__svc_cert_series(struct fs_svc *s, bool issued);
/* The config cohort device belongs to, or NULL outside the fleet. */
/* Halt d when a halt_if rule trips (rollout.c); offers call it too, since
   a new offer can bring the offered count up to halt_if.min_devices. */
void fs__rollout_check_halt(struct svc_deploy *d);
const struct fs_svc_cohort *fs__svc_cohort_of(const struct fs_svc *s,
                                              uint64_t device);
/* True when defence d is on. */
bool fs__svc_defense_on(const struct fs_svc *s, enum fs_defense d);
/* Test seams (also declared in fleetsim/testing.h; keep them alike). */
uint64_t fs_svc_answers_per_s(const struct fs_svc *s);
int64_t fs_svc_backlog_us(const struct fs_svc *s);
size_t fs_svc_bytes_per_device(void);

/* ---- registry.c ---- */

/* The registry entry of a registered device, or NULL. */
struct svc_dev *fs__registry_dev(struct fs_svc *s, uint32_t device);

/* ---- attest.c ---- */

/*
 * Issue a fresh challenge nonce for device (16 bytes from the service's
 * stream), remembering it as the device's one outstanding nonce, expiring
 * after nonce_lifetime. Unknown devices get a nonce that is not
 * remembered. Writes it to nonce. Does not apply the rate limit.
 */
void fs__attest_challenge(struct fs_svc *s, uint32_t device,
                          unsigned char nonce[FS_NONCE_BYTES]);
/* Handle an EVIDENCE message; owns m. */
void fs__attest_receive(struct fs_svc *s, struct fs_msg *m);
/* Test seam (also declared in fleetsim/testing.h; keep them alike). */
enum fs_attest_reason fs_attest_verify(struct fs_svc *s,
                                       const struct fs_evidence *ev);

/* ---- cert.c ---- */

/*
 * Sign a certificate for registered device valid until now + cert_lifetime
 * with the next serial. Returns 0 or FS_EINVAL for an unknown device.
 */
int fs__cert_issue(struct fs_svc *s, uint32_t device, struct fs_cert *out,
                   struct fs_crypto_job **pending);

/* ---- errrep.c ---- */

/*
 * Take in the report entries of an EVIDENCE message (attest.c calls it
 * only for a check-in in which the device proved who it is).
 */
void fs__errrep_intake(struct fs_svc *s, const struct fs_msg *m);

/* ---- cloud.c ---- */

/* Handle a TELEMETRY message; owns m. */
void fs__cloud_receive(struct fs_svc *s, struct fs_msg *m);

/* ---- rollout.c ---- */

/* Deployment tables: empty at create, freed at destroy. */
void fs__rollout_init(struct fs_svc *s);
void fs__rollout_fini(struct fs_svc *s);
/* Take in the update outcomes of an EVIDENCE message (likewise). */
void fs__rollout_intake(struct fs_svc *s, const struct fs_msg *m);
/* An error report of image from device arrived (count > 0). */
void fs__rollout_error(struct fs_svc *s, uint32_t device, uint32_t image);
/* The rank of device among d's targets, or UINT32_MAX. */
uint32_t fs__rollout_rank(const struct svc_deploy *d, uint32_t device);
/* A target of d confirmed at at_us (first time only). */
void fs__rollout_confirmed(struct svc_deploy *d, uint32_t device,
                           int64_t at_us);
/* Bytes held by deployments; consistency of their counters. */
size_t fs__rollout_bytes(const struct fs_svc *s);
bool fs__rollout_check(const struct fs_svc *s);

/* ---- offer.c ---- */

/*
 * After a check-in in which device proved who it is (evidence os and apps;
 * the verdict passed, or failed on what it runs): mark targets that already
 * run a deployment's image, and send METADATA to route_device with the
 * offers and revoked signers, delay_us after now so that it leaves with the
 * CERT or REJECTED it follows. A device that runs no OS (recovery) gets the
 * record of the OS it last attested with, so it can reinstall it.
 */
void fs__offer_send(struct fs_svc *s, uint32_t route_device, uint32_t device,
                    uint32_t os, const uint32_t apps[FS_APPS_MAX],
                    int64_t delay_us);

/* Catalog record table: empty at create, freed at destroy (offer.c). */
void fs__offer_init(struct fs_svc *s);
void fs__offer_fini(struct fs_svc *s);

/* ---- download.c ---- */

/* Session table at create, freed at destroy. */
void fs__download_init(struct fs_svc *s);
void fs__download_fini(struct fs_svc *s);
/* DOWNLOAD_REQ and DOWNLOAD_END; both own m. */
void fs__download_request(struct fs_svc *s, struct fs_msg *m);
void fs__download_end(struct fs_svc *s, struct fs_msg *m);
/* Start queued requests while sessions are free (after set_service). */
void fs__download_drain(struct fs_svc *s);
size_t fs__download_bytes(const struct fs_svc *s);
bool fs__download_check(const struct fs_svc *s);

#endif
