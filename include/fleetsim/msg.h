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
 */
#ifndef FLEETSIM_MSG_H
#define FLEETSIM_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetsim/image.h"

#define FS_NONCE_BYTES 16
#define FS_NO_IMAGE UINT32_MAX     /* "no image in this slot" */
#define FS_APPS_MAX 3              /* hl, rt0, rt1 */
#define FS_REPORTS_PER_MSG 8       /* aggregated report entries per upload */
#define FS_EVIDENCE_BYTES 192      /* canonical encoding upper bound */
#define FS_CERT_BYTES 64           /* canonical encoding upper bound */
#define FS_PART_NONE 0xFFu         /* telemetry from a device with no wear part */

enum fs_msg_kind {
    FS_MSG_HELLO = 1,
    FS_MSG_CHALLENGE,
    FS_MSG_REFUSED,     /* rate limited or service down: retry later */
    FS_MSG_EVIDENCE,
    FS_MSG_CERT,
    FS_MSG_REJECTED,    /* attestation failed; reason in u.rejected */
    FS_MSG_TELEMETRY
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
    uint32_t device;                        /* subject */
    unsigned char pk[FS_KEY_PUB_BYTES];     /* subject key */
    int64_t not_after_us;                   /* expiry, simulated time */
    uint64_t serial;                        /* issue order */
    unsigned char sig[FS_SIG_BYTES];        /* CA signature */
};

/* One aggregated error-report entry. */
struct fs_report_entry {
    uint8_t kind;        /* enum fs_report_kind */
    uint32_t image;      /* image index, or FS_NO_IMAGE */
    uint32_t count;      /* events aggregated */
    int64_t first_us;    /* first event time */
    int64_t last_us;     /* last event time */
};

struct fs_msg {
    struct fs_msg *next_free;   /* pool link while free */
    uint8_t kind;               /* enum fs_msg_kind */
    uint32_t device;            /* the device the exchange belongs to */
    bool forged;                /* built by an attacker (for accounting only;
                                   never consulted by checks) */
    union {
        unsigned char nonce[FS_NONCE_BYTES];       /* CHALLENGE */
        struct {
            struct fs_evidence ev;                 /* EVIDENCE */
            uint8_t nreports;                      /* entries used */
            struct fs_report_entry reports[FS_REPORTS_PER_MSG];
        } evidence;
        struct fs_cert cert;                       /* CERT */
        uint8_t rejected;                          /* enum fs_attest_reason */
        struct {
            struct fs_cert cert;                   /* presented certificate */
            uint32_t app_image;                    /* sending app */
            int32_t value_milli;                   /* sensor value x 1000 */
            uint8_t part;                          /* wear part index */
        } telemetry;
    } u;
};

/* Canonical bytes of e without its signature; returns the length. */
size_t fs_evidence_encode(const struct fs_evidence *e,
                          unsigned char out[FS_EVIDENCE_BYTES]);
/* Canonical bytes of c without its signature; returns the length. */
size_t fs_cert_encode(const struct fs_cert *c,
                      unsigned char out[FS_CERT_BYTES]);

struct fs_msgpool {
    struct fs_msg *free;     /* free list */
    void **chunks;           /* allocated chunks */
    size_t nchunks;          /* used */
    size_t cap_chunks;       /* allocated */
    size_t live;             /* messages handed out */
    size_t peak;             /* most handed out at once */
};

void fs_msgpool_init(struct fs_msgpool *p);
void fs_msgpool_fini(struct fs_msgpool *p);
/* A zeroed message; grows the pool in chunks when empty. */
struct fs_msg *fs_msgpool_get(struct fs_msgpool *p);
/* Return m to the pool. */
void fs_msgpool_put(struct fs_msgpool *p, struct fs_msg *m);

/* Names as in scenario-format.md ("app_crash", "stale_nonce"). */
const char *fs_report_kind_name(enum fs_report_kind k);
const char *fs_attest_reason_name(enum fs_attest_reason r);

#endif
