/*
 * service/service_int.h - the service's internal state, shared by service/.
 *
 * Owns: struct fs_svc and the per-device registry entry.
 * Invariants: devs has one entry per fleet device, indexed by id; every
 * array is sized in fs_svc_create and never grows; a live nonce has an
 * expiry > 0; secret keys are wiped at destroy.
 * Does not: get included outside service/.
 */
#ifndef FLEETSIM_SERVICE_INT_H
#define FLEETSIM_SERVICE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "fleetsim/image.h"
#include "fleetsim/msg.h"
#include "fleetsim/rng.h"
#include "fleetsim/scn.h"
#include "fleetsim/service.h"

/* Bits of svc_dev.flags. */
#define SVC_DEV_REGISTERED 0x01u /* registered at manufacture */
#define SVC_DEV_REVOKED 0x02u    /* revoked: fails attestation and certs */
#define SVC_DEV_NONCE_LIVE 0x04u /* nonce issued and not yet used */
#define SVC_DEV_FLAGS_ALL 0x07u

/* svc_dev.last_result before any attestation. */
#define SVC_RESULT_NONE 0xffu

/* Entries of the (os, apps) -> reference measurement cache. */
#define SVC_MEAS_CACHE 1024u

/* One registered device: about 104 bytes. */
struct svc_dev {
    unsigned char pk[FS_KEY_PUB_BYTES];    /* registered public key */
    unsigned char nonce[FS_NONCE_BYTES];   /* outstanding challenge */
    int64_t nonce_expiry_us;               /* last valid time of nonce */
    int64_t last_attest_us;                /* last verdict time, -1 never */
    int64_t cert_not_after_us;             /* last cert's expiry, -1 none */
    uint64_t cert_serial;                  /* last cert's serial, 0 none */
    uint64_t cert_tag;                     /* keyed hash of the last cert
                                              whose CA signature verified */
    int32_t ewma_milli;                    /* drift EWMA, millidegrees */
    uint32_t tickets;                      /* bit per part index (31: >= 31) */
    uint16_t product;                      /* product index */
    uint16_t group;                        /* group index */
    uint16_t samples;                      /* telemetry readings, saturating */
    uint8_t flags;                         /* SVC_DEV_* */
    uint8_t last_result;                   /* fs_attest_reason, or NONE */
};

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
    uint64_t count;                        /* events */
    int64_t first_us;                      /* first event, -1 none */
    int64_t last_us;                       /* last event, -1 none */
    uint32_t series;                       /* metric series, UINT32_MAX */
};

/* A tickets{reason} series, found by part name. */
struct svc_ticket_series {
    const char *part;                      /* part name (scenario-owned) */
    uint32_t series;                       /* metric series */
};

struct fs_svc {
    struct fs_svc_env env;                 /* borrowed collaborators */
    struct fs_scn_service cfg;             /* settings in effect */
    struct fs_rng rng;                     /* service FS_RNG_KEYS stream */
    unsigned char ca_pk[FS_KEY_PUB_BYTES]; /* CA public key */
    unsigned char ca_sk[FS_KEY_SEC_BYTES]; /* CA secret key */
    unsigned char tag_key[16];             /* key of the cert memo tags */
    uint32_t ndevs;                        /* fleet size */
    uint32_t nregistered;                  /* devices registered */
    struct svc_dev *devs;                  /* by device id */
    uint64_t next_serial;                  /* next certificate serial */
    int64_t rate_second;                   /* simulated second counted */
    uint64_t rate_count;                   /* HELLOs in that second */
    uint32_t nsigners;                     /* catalog signers */
    uint8_t *signer_revoked;               /* by signer index */
    int64_t *signer_revoked_us;            /* revocation time, -1 none */
    struct svc_meas *meas;                 /* SVC_MEAS_CACHE entries */
    uint32_t nimages;                      /* catalog images */
    struct svc_errrep *errrep;             /* (nimages + 1) * FS_REP_COUNT */
    fs_errrep_hook_fn *errrep_hook;        /* report hook, or NULL */
    void *errrep_ctx;                      /* its context */
    uint32_t nticket_series;               /* used entries */
    uint32_t cap_ticket_series;            /* allocated entries */
    struct svc_ticket_series *ticket_series; /* by first use */
    uint32_t att_series[FS_ATT_COUNT];     /* attestations series */
    uint32_t cert_series[2];               /* certificates issued/rejected */
    struct fs_svc_stats stats;             /* decision counters */
};

/* Metric series of attestation verdict r (created on first use). */
uint32_t fs_svc_att_series(struct fs_svc *s, enum fs_attest_reason r);
/* Metric series certificates{result=issued (true) | rejected}. */
uint32_t fs_svc_cert_series(struct fs_svc *s, bool issued);

/* Handle an EVIDENCE message (service/attest.c); owns m. */
void fs_attest_receive(struct fs_svc *s, struct fs_msg *m);
/* Take in the report entries of an EVIDENCE message (service/errrep.c). */
void fs_errrep_intake(struct fs_svc *s, const struct fs_msg *m);
/* Handle a TELEMETRY message (service/cloud.c); owns m. */
void fs_cloud_receive(struct fs_svc *s, struct fs_msg *m);

/* The registry entry of a registered device, or NULL. */
struct svc_dev *fs_svc_dev(struct fs_svc *s, uint32_t device);

/* Lowercase hex of n bytes into out (2n + 1 bytes). */
void fs_svc_hex(const unsigned char *in, size_t n, char *out);

#endif
