/*
 * include/fleetsim/msg.h - messages between devices and the service.
 *
 * Owns: the wire structs of the check-in protocol (hello, challenge,
 * evidence, certificate, refusal, error reports, telemetry), their
 * canonical encodings for signing, and a pooled allocator for messages in
 * flight.
 * Invariants: a message is owned by exactly one party at a time: the
 * sender fills it, the engine carries it, the receiver returns it to the
 * pool. The pool only grows, so steady state allocates nothing.
 * Does not: deliver anything (the runner schedules deliveries) or decide.
 *
 * Protocol (one exchange per device at a time):
 *   device  HELLO(id)                      -> service
 *   service CHALLENGE(nonce) or REFUSED     -> device
 *   device  EVIDENCE(signed) + REPORTS      -> service
 *   service CERT(signed) or REJECTED(reason) -> device
 *   device  TELEMETRY(cert, value)          -> product cloud (service side)
 *
 * Updates (after a CERT, on the same check-in):
 *   service METADATA(signed update records, revoked signers) -> device
 *   device  DOWNLOAD_REQ(image, offset, link bps)  -> service
 *   service QUEUED (all max_downloads slots busy; wait)  -> device
 *   service CHUNK(offset, len) after its transfer time   -> device
 *   device  DOWNLOAD_REQ(next offset) ... until the declared length
 *   device  DOWNLOAD_END(done or abandoned)        -> service (frees slot)
 *   device  update outcomes ride on the next EVIDENCE (u.evidence.updates)
 */
#ifndef FLEETSIM_MSG_H
#define FLEETSIM_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetsim/image.h"

struct fs_crypto_job;

#define FS_NONCE_BYTES 16
#define FS_NO_IMAGE UINT32_MAX /* "no image in this slot" */
#define FS_APPS_MAX 3          /* hl, rt0, rt1 */
#define FS_REPORTS_PER_MSG 8   /* aggregated report entries per upload */
#define FS_EVIDENCE_BYTES 192  /* canonical encoding upper bound */
#define FS_CERT_BYTES 64       /* canonical encoding upper bound */
#define FS_PART_NONE 0xFFu     /* telemetry from a device with no wear part */
#define FS_RECORDS_PER_MSG 4   /* update records per METADATA message */
#define FS_UPDATES_PER_MSG 4   /* update outcomes per EVIDENCE message */
#define FS_CHUNK_FLIPS_MAX 2   /* bits an attacker may flip in a chunk */
#define FS_RECORD_BYTES 192    /* canonical encoding upper bound */

enum fs_msg_kind {
    FS_MSG_HELLO = 1,
    FS_MSG_CHALLENGE,
    FS_MSG_REFUSED, /* rate limited or service down: retry later */
    FS_MSG_EVIDENCE,
    FS_MSG_CERT,
    FS_MSG_REJECTED, /* attestation failed; reason in u.rejected */
    FS_MSG_TELEMETRY,
    FS_MSG_METADATA,     /* signed update records for this device */
    FS_MSG_DOWNLOAD_REQ, /* send image bytes from offset */
    FS_MSG_QUEUED,       /* request waits for a download slot */
    FS_MSG_CHUNK,        /* image bytes [offset, offset + len) */
    FS_MSG_DOWNLOAD_END  /* download finished or abandoned: free the slot */
};

/* Update results and reasons, in scenario-format.md order ("updates"). */
enum fs_update_result {
    FS_UPD_OFFERED = 0,
    FS_UPD_DOWNLOADED,
    FS_UPD_INSTALLED,
    FS_UPD_CONFIRMED,
    FS_UPD_REJECTED,
    FS_UPD_FAILED,
    FS_UPD_ROLLED_BACK,
    FS_UPD_RESULT_COUNT
};

enum fs_update_reason {
    FS_UPR_NONE = 0,
    FS_UPR_BAD_SIGNATURE,
    FS_UPR_UNTRUSTED_KEY,
    FS_UPR_REVOKED_KEY,
    FS_UPR_ROLLBACK,
    FS_UPR_HASH_MISMATCH,
    FS_UPR_TOO_LONG,
    FS_UPR_TIMEOUT,
    FS_UPR_EXPIRED_MANIFEST,
    FS_UPR_WRONG_PRODUCT,
    FS_UPR_WRONG_GROUP,
    FS_UPR_NO_SPACE,
    FS_UPR_PERIPHERAL_CONFLICT,
    FS_UPR_POWER_LOSS,
    FS_UPR_CRASH,
    FS_UPR_COUNT
};

/*
 * The deployment field of a catalog record (metadata the service keeps
 * fresh for every catalog image, whether deployed or not): FS_DEP_CATALOG
 * plus the image index. Deployment ids stay below FS_DEP_CATALOG, so the
 * two never collide; FS_DEP_NONE (UINT32_MAX) names no deployment.
 */
#define FS_DEP_CATALOG 0x80000000u
#define FS_DEP_NONE UINT32_MAX
#define FS_DEP_IS_CATALOG(dep) ((dep) >= FS_DEP_CATALOG && (dep) != FS_DEP_NONE)

/*
 * Signed update metadata for one deployment (or one catalog image, see
 * FS_DEP_CATALOG) and one (product, group): what the update service
 * vouches for. Signed once per (deployment, group, refresh) by the
 * update-service key, so identical records verify from the memo.
 */
struct fs_update_record {
    uint32_t deployment;             /* deploy action index, or
                                        FS_DEP_CATALOG + image */
    uint32_t product;                /* binding: product index */
    uint32_t group;                  /* binding: group index */
    uint64_t version;                /* metadata version, increasing */
    int64_t expires_us;              /* not valid after this time */
    struct fs_manifest target;       /* the image it points at */
    unsigned char sig[FS_SIG_BYTES]; /* update-service signature */
};

/* An update outcome a device reports at check-in. */
struct fs_update_report {
    uint32_t image;      /* image index */
    uint32_t deployment; /* deploy action index, or UINT32_MAX */
    uint8_t result;      /* enum fs_update_result */
    uint8_t reason;      /* enum fs_update_reason */
    int64_t at_us;       /* when it happened on the device */
};

/* Error-report kinds, in scenario-format.md order. */
enum fs_report_kind {
    FS_REP_APP_CRASH = 0,
    FS_REP_OS_CRASH,
    FS_REP_BOOT_FAILURE,
    FS_REP_FIREWALL_VIOLATION,
    FS_REP_UPDATE_FAILURE,
    FS_REP_TAMPER,
    FS_REP_COUNT
};

/* Attestation failure reasons, in scenario-format.md order. */
enum fs_attest_reason {
    FS_ATT_OK = 0,
    FS_ATT_BAD_SIGNATURE,
    FS_ATT_UNKNOWN_DEVICE,
    FS_ATT_STALE_NONCE,
    FS_ATT_MEASUREMENT_MISMATCH,
    FS_ATT_OS_TOO_OLD,
    FS_ATT_REVOKED,
    FS_ATT_COUNT
};

/* What a device's keystore signs: its state, bound to a fresh nonce. */
struct fs_evidence {
    uint32_t device;                       /* claimed device id */
    unsigned char nonce[FS_NONCE_BYTES];   /* from the challenge */
    unsigned char pcr_boot[FS_HASH_BYTES]; /* monitor, bootloader, OS */
    unsigned char pcr_apps[FS_HASH_BYTES]; /* apps in core order */
    uint32_t os_image;                     /* image index claimed running */
    uint32_t apps[FS_APPS_MAX];            /* per core, or FS_NO_IMAGE */
    uint32_t counter_os;                   /* anti-rollback counter, OS */
    uint32_t counter_app;                  /* anti-rollback counter, apps */
    unsigned char sig[FS_SIG_BYTES];       /* device key over the rest */
};

/* A device certificate issued by the service CA. */
struct fs_cert {
    uint32_t device;                    /* subject */
    unsigned char pk[FS_KEY_PUB_BYTES]; /* subject key */
    int64_t not_after_us;               /* expiry, simulated time */
    uint64_t serial;                    /* issue order */
    unsigned char sig[FS_SIG_BYTES];    /* CA signature */
};

/* One aggregated error-report entry. */
struct fs_report_entry {
    uint8_t kind;     /* enum fs_report_kind */
    uint32_t image;   /* image index, or FS_NO_IMAGE */
    uint32_t count;   /* events aggregated */
    int64_t first_us; /* first event time */
    int64_t last_us;  /* last event time */
};

struct fs_msg {
    struct fs_msg *next_free;     /* pool link while free */
    uint8_t kind;                 /* enum fs_msg_kind */
    uint32_t device;              /* the device the exchange belongs to */
    bool forged;                  /* built by an attacker (for accounting only;
                                     never consulted by checks) */
    struct fs_crypto_job *crypto; /* a signature in it still being made
                                     (fleetsim/crypto.h), settled on
                                     delivery and when it is put back */
    union {
        unsigned char nonce[FS_NONCE_BYTES]; /* CHALLENGE */
        struct {
            struct fs_evidence ev; /* EVIDENCE */
            uint8_t nreports;      /* entries used */
            struct fs_report_entry reports[FS_REPORTS_PER_MSG];
            uint8_t nupdates; /* entries used */
            struct fs_update_report updates[FS_UPDATES_PER_MSG];
        } evidence;
        struct {
            uint8_t nrecords; /* METADATA */
            struct fs_update_record records[FS_RECORDS_PER_MSG];
            /* the image manifests the records point at, as the vendor
               signed them (or as an attacker forged them) */
            struct fs_signed_manifest images[FS_RECORDS_PER_MSG];
            uint64_t revoked_signers; /* bit per signer index */
        } metadata;
        struct {
            uint32_t image;      /* DOWNLOAD_REQ */
            uint32_t deployment; /* which offer */
            uint64_t offset;     /* first byte wanted */
            uint64_t link_bps;   /* device bandwidth */
        } download;
        struct {
            uint32_t image;                     /* CHUNK */
            uint64_t offset;                    /* first byte */
            uint32_t len;                       /* bytes */
            uint8_t nflips;                     /* bits flipped in flight */
            uint64_t flips[FS_CHUNK_FLIPS_MAX]; /* absolute bit offsets */
        } chunk;
        struct {
            uint32_t image; /* DOWNLOAD_END */
            bool completed; /* false: abandoned */
        } end;
        struct fs_cert cert; /* CERT */
        uint8_t rejected;    /* enum fs_attest_reason */
        struct {
            struct fs_cert cert; /* presented certificate */
            uint32_t app_image;  /* sending app */
            int32_t value_milli; /* sensor value x 1000 */
            uint8_t part;        /* wear part index */
        } telemetry;
    } u;
};

/* Canonical bytes of e without its signature; returns the length. */
size_t fs_evidence_encode(const struct fs_evidence *e,
                          unsigned char out[FS_EVIDENCE_BYTES]);
/* Canonical bytes of r without its signature; returns the length. */
size_t fs_update_record_encode(const struct fs_update_record *r,
                               unsigned char out[FS_RECORD_BYTES]);

/* Canonical bytes of c without its signature; returns the length. */
size_t fs_cert_encode(const struct fs_cert *c,
                      unsigned char out[FS_CERT_BYTES]);

struct fs_msgpool {
    struct fs_msg *free; /* free list */
    void **chunks;       /* allocated chunks */
    size_t nchunks;      /* used */
    size_t cap_chunks;   /* allocated */
    size_t live;         /* messages handed out */
    size_t peak;         /* most handed out at once */
};

void fs_msgpool_init(struct fs_msgpool *p);
void fs_msgpool_fini(struct fs_msgpool *p);
/* A zeroed message; grows the pool in chunks when empty. */
struct fs_msg *fs_msgpool_get(struct fs_msgpool *p);
/* Return m to the pool. */
void fs_msgpool_put(struct fs_msgpool *p, struct fs_msg *m);

/* Names as in scenario-format.md ("app_crash", "stale_nonce"). */
const char *fs_msg_report_kind_name(enum fs_report_kind k);
const char *fs_msg_attest_reason_name(enum fs_attest_reason r);
/*
 * True when verdict r means the device proved who it is in that check-in
 * (pass, measurement_mismatch, os_too_old): only then does the service
 * take the check-in's error reports and update outcomes, and only then
 * may the device drop them as delivered.
 */
bool fs_msg_attest_proved(enum fs_attest_reason r);
const char *fs_update_result_name(enum fs_update_result r);
/* "" for FS_UPR_NONE. */
const char *fs_update_reason_name(enum fs_update_reason r);

#endif
