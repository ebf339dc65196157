/*
 * include/fleetsim/service.h - the security service: the object, its
 * configuration and its network entry.
 *
 * Owns: struct fs_svc and its lifecycle, the configuration it is created
 * with (struct fs_svc_config: fleet size, products, groups, images, the
 * runs of alike devices, settings, defences), taking device messages
 * (from the fleet, or from a sender outside it), settings changes, the
 * capacity for attestation work, the canonical record kinds of every
 * service module, and the service's counters. The modules of the service
 * have headers of their own: registry.h, attest.h, cert.h, rollout.h,
 * download.h, errrep.h, cloud.h, upload.h and store.h.
 * Invariants: every decision is a canonical record (kinds FS_REC_SVC_*);
 * every answer that costs attestation work leaves through env->send after
 * its wait in the backlog (0 under capacity), whoever caused the load;
 * keys and nonces derive from the engine's seed only; per-device
 * signatures (evidence, certificates) are always really computed; after
 * fs_svc_create and the fs_rollout_add calls, handling a message
 * allocates nothing except the first time a metric series is used and
 * when the download queue's ring must grow (it never shrinks).
 * Does not: include device or scenario headers, deliver messages
 * (env->send does), read any clock, or keep an open database.
 */
#ifndef FLEETSIM_SERVICE_H
#define FLEETSIM_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetsim/cert.h"
#include "fleetsim/config.h"
#include "fleetsim/image.h"
#include "fleetsim/msg.h"

struct fs_sim;
struct fs_catalog;
struct fs_metrics;
struct fs_msgpool;

/* Canonical record kinds written by the service (fs_sim_record). */
enum fs_svc_record {
    FS_REC_SVC_CHALLENGE = 200, /* nonce issued; value = nonce's first 8 B */
    FS_REC_SVC_REFUSED,         /* HELLO refused; value = HELLOs this second */
    FS_REC_SVC_ATTEST,          /* verdict; value = enum fs_attest_reason */
    FS_REC_SVC_CERT,            /* certificate issued; value = serial */
    FS_REC_SVC_REPORT,          /* report entry taken in; see below */
    FS_REC_SVC_TELEMETRY,       /* value = fs_cert_result (0 ok) */
    FS_REC_SVC_TICKET,          /* ticket raised; value = part index */
    FS_REC_SVC_REVOKE_SIGNER,   /* device = signer index; value = 0 */
    FS_REC_SVC_REVOKE_DEVICE,   /* device revoked; value = 0 */
    FS_REC_SVC_SET_SERVICE,     /* settings changed; value = given bits */
    FS_REC_SVC_DEPLOY_START,    /* device = deployment; value = targets */
    FS_REC_SVC_WAVE_OPEN,       /* device = deployment; value = wave (1..) */
    FS_REC_SVC_HALT,   /* device = deployment; value = FS_HALT_* (rollout.h) */
    FS_REC_SVC_RESUME, /* device = deployment; value = wave */
    FS_REC_SVC_CANCEL, /* device = deployment; value = old state */
    FS_REC_SVC_COMPLETE,      /* device = deployment; value = confirmed */
    FS_REC_SVC_RECORD_SIGN,   /* device = deployment; value = version */
    FS_REC_SVC_OFFER,         /* first offer to a device; value =
                                 deployment << 32 | record version */
    FS_REC_SVC_METADATA,      /* value = records | revoked mask << 8 */
    FS_REC_SVC_UPDATE_REPORT, /* value = deployment << 16 | result << 8
                                 | reason (deployment UINT32_MAX: none) */
    FS_REC_SVC_DL_START,      /* value = image << 40 | offset */
    FS_REC_SVC_DL_QUEUED,     /* value = requests waiting */
    FS_REC_SVC_DL_CHUNK,      /* chunk sent; value: see below */
    FS_REC_SVC_DL_END         /* value = enum fs_download_end (download.h) */
};
/*
 * FS_REC_SVC_REPORT value: kind << 56 | (image & 0xffffff) << 32 | count,
 * with image 0xffffff for "no image".
 * FS_REC_SVC_DL_CHUNK value: offset (bytes) << 24 | len (bytes, < 2^24).
 */

struct fs_svc;

/* A product as the service sees it. */
struct fs_svc_product {
    const char *name;     /* unique; devices.product in fleet.db */
    enum fs_feed os_feed; /* the OS feed of its devices */
};

/* A device group as the service sees it. */
struct fs_svc_group {
    const char *name;      /* unique; devices.device_group in fleet.db */
    enum fs_policy policy; /* which updates its devices take */
    enum fs_feed os_feed;  /* FS_FEED_NONE: the product's feed */
};

/* An image of the catalog (same index) as the service sees it. */
struct fs_svc_image {
    const char *id;            /* unique; metric labels and fleet.db */
    enum fs_image_kind kind;   /* OS or app */
    struct fs_version version; /* compared with min_os */
    uint32_t product;          /* apps: product index; OS: UINT32_MAX */
};

/*
 * A run of consecutive device ids alike for the service (one fleet
 * entry): product, group and the names of the wear parts its telemetry
 * may name (part index -> name).
 */
struct fs_svc_cohort {
    uint64_t first_device;    /* id of its first device */
    uint64_t count;           /* devices, >= 1 */
    uint32_t product;         /* product index */
    uint32_t group;           /* group index */
    uint32_t nparts;          /* entries of parts */
    const char *const *parts; /* wear part names by part index */
};

/*
 * What the service is created with. Borrowed: every array and string must
 * outlive the service. Cohorts are in device order and cover devices 0 ..
 * ndevices - 1 without gaps.
 */
struct fs_svc_config {
    uint64_t ndevices;                     /* fleet size (< UINT32_MAX) */
    struct fs_service_config settings;     /* settings at the start */
    uint32_t max_downloads_most;           /* largest max_downloads any later
                                              fs_svc_set_service sets (sizes
                                              the session table) */
    uint32_t defenses;                     /* bit (1u << fs_defense) on */
    uint32_t nproducts;                    /* entries of products */
    const struct fs_svc_product *products; /* by product index */
    uint32_t ngroups;                      /* entries of groups */
    const struct fs_svc_group *groups;     /* by group index */
    uint32_t nimages;                      /* entries of images */
    const struct fs_svc_image *images;     /* by catalog index */
    uint32_t ncohorts;                     /* entries of cohorts */
    const struct fs_svc_cohort *cohorts;   /* in device order */
};

/* The service's collaborators (borrowed; they outlive it). */
struct fs_svc_env {
    struct fs_sim *sim;         /* engine: time, seed, canonical record */
    struct fs_catalog *catalog; /* signed images */
    struct fs_metrics *metrics; /* metric registry */
    struct fs_msgpool *pool;    /* message pool */
    /* service -> device: the runner delivers m to device m->device after
       that device's latency plus delay_us (transfer time); ownership of
       m passes to the runner. */
    void (*send)(void *ctx, struct fs_msg *m, int64_t delay_us);
    void *ctx; /* first argument of send */
};

/* Counters of the service's own decisions, for tests and reports. */
struct fs_svc_stats {
    uint64_t hellos;               /* HELLOs received */
    uint64_t challenges;           /* nonces issued */
    uint64_t refused;              /* HELLOs refused by the rate limit */
    uint64_t door_unknown;         /* HELLOs from unknown ids answered at
                                      the door (REJECTED, no work) */
    uint64_t answers_queued;       /* work answers that waited in the backlog */
    uint64_t attest[FS_ATT_COUNT]; /* verdicts by reason (FS_ATT_OK = pass) */
    uint64_t certs_issued;         /* certificates signed */
    uint64_t reports;              /* report events taken in (sum of counts) */
    uint64_t reports_unproved;     /* EVIDENCE messages whose reports or
                                      update outcomes were not taken: the
                                      sender did not prove its identity */
    uint64_t telemetry[FS_CERT_COUNT]; /* telemetry by cert check result */
    uint64_t tickets;                  /* tickets raised */
    uint64_t metadata;                 /* METADATA messages sent */
    uint64_t offers;                   /* records offered (sum over messages) */
    uint64_t records_signed;           /* update records signed */
    uint64_t downloads_started;        /* sessions started */
    uint64_t downloads_queued;         /* requests put in the queue */
    uint64_t downloads_ended;          /* sessions ended by DOWNLOAD_END */
    uint64_t downloads_timed_out;      /* sessions dropped for no progress */
    uint64_t chunks;                   /* CHUNK messages sent */
    uint64_t chunk_bytes;              /* bytes in them */
};

/*
 * Create the service for cfg: registry arrays sized for the whole fleet,
 * the CA key pair and nonce stream from the service's FS_RNG_KEYS stream
 * (device id UINT32_MAX). env and cfg are copied (cfg's arrays are
 * borrowed). Deployments are added afterwards with fs_rollout_add.
 * Returns 0 or FS_EINVAL.
 */
int fs_svc_create(const struct fs_svc_env *env, const struct fs_svc_config *cfg,
                  struct fs_svc **out);
/* Destroy s and wipe its secrets; NULL is a no-op. */
void fs_svc_destroy(struct fs_svc *s);

/*
 * Take a device->service message. The service owns m from here: it either
 * reuses it for the reply (passed to env->send) or returns it to the pool.
 */
void fs_svc_receive(struct fs_svc *s, struct fs_msg *m);
/*
 * The nonce the next challenge to registered device will carry, unless
 * another is issued first: false for an id the registry does not know.
 * Changes nothing; the runner uses it to start signature work ahead.
 */
bool fs_svc_next_nonce(struct fs_svc *s, uint32_t device,
                       unsigned char nonce[FS_NONCE_BYTES]);

/*
 * Certificate c is what device's telemetry will carry from now on, first
 * at about simulated time due_us: start the cloud's check of its CA
 * signature ahead (fs_crypto_prefetch_verify), when the cloud has not
 * checked that certificate already. Changes nothing; for the runner.
 */
void fs_svc_prefetch_cert(struct fs_svc *s, uint32_t device,
                          const struct fs_cert *c, int64_t due_us);

/*
 * Evidence from device reaches the service at simulated time arrive_us:
 * start the signature of the certificate the service would issue then if
 * nothing else is issued first (fs_crypto_prefetch_sign). Changes
 * nothing; for the runner.
 */
void fs_svc_prefetch_issue(struct fs_svc *s, uint32_t device,
                           int64_t arrive_us);

/*
 * Take m as fs_svc_receive does, but from a sender outside the fleet: the
 * service's answer goes to reply(ctx, answer, delay_us) (the sender's own
 * address) instead of env->send. Every check is the service's own, and
 * so is the backlog: a work answer to an outside sender takes its place in
 * it like any other, and reply gets its wait as delay_us.
 */
void fs_svc_receive_from(struct fs_svc *s, struct fs_msg *m,
                         void (*reply)(void *ctx, struct fs_msg *m,
                                       int64_t delay_us),
                         void *ctx);

/*
 * set_service: apply the settings marked in changes->given from now on
 * (max_downloads up to cfg->max_downloads_most sessions).
 */
void fs_svc_set_service(struct fs_svc *s,
                        const struct fs_service_config *changes);

/*
 * Fresh signed update metadata for catalog image bound to (product, group),
 * as any client may fetch it (a device, or an attacker on the path): the
 * record is cached per (image, product, group), deployment field
 * FS_DEP_CATALOG + image, and re-signed with the next record version once
 * less than half of manifest_lifetime is left, exactly as deployment
 * records are. Copies it to *out. Returns 0, FS_EINVAL for an index out
 * of range, or FS_ELIMIT when the image's signer is revoked (the service
 * vouches for no such image). May grow the cache (rare).
 */
int fs_svc_catalog_record(struct fs_svc *s, uint32_t image, uint32_t product,
                          uint32_t group, struct fs_update_record *out);

/* Copy the service's decision counters to *out. */
void fs_svc_stats(const struct fs_svc *s, struct fs_svc_stats *out);
/* Bytes of memory the service holds (registry, caches, tables). */
size_t fs_svc_bytes(const struct fs_svc *s);
/* Internal consistency check (counters, flags, nonces, deployments). */
bool fs_svc_check(const struct fs_svc *s);

/*
 * The service's capacity for attestation work: the answers that cost it
 * work (CHALLENGE, and the verdicts CERT and REJECTED) it can produce per
 * simulated second. It is provisioned for its fleet: eight times the whole
 * fleet checking in within one minute,
 *
 *     answers_per_s = max(FS_SVC_ANSWERS_MIN_PER_S, 8 x fleet / 60),
 *
 * fixed at fs_svc_create. Answers beyond it queue FIFO in the service's
 * backlog: every work answer is placed there when the service decides it,
 * whoever caused the load (devices, an attacker, the fleet itself), and
 * leaves through env->send with delay_us = its wait. Within a simulated
 * second that still has room an answer waits 0, so runs that never exceed
 * the capacity are unchanged by the model. Refusals by the rate limit
 * (REFUSED) and its front door's answers to unknown ids (REJECTED,
 * unknown_device) cost nothing and never wait; the METADATA that follows a CERT
 * leaves with it.
 */
#define FS_SVC_ANSWERS_MIN_PER_S 1000u

#endif
