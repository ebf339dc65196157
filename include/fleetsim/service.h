/*
 * include/fleetsim/service.h - the security service and the product cloud.
 *
 * Owns: struct fs_svc: the device registry (id -> key, product, group,
 * revocation), signer revocation, the attestation verifier and its
 * challenge nonces, the certificate authority, the check-in rate limit,
 * the capacity for attestation work and the backlog of its answers,
 * error-report intake, deployments (targets, waves, gates, halts,
 * rollout_state / rollout_wave / rollout_time), signed update records and
 * METADATA offers, the download server (sessions, queue, egress share),
 * the product cloud's certificate check and wear drift detector, and
 * writing all of it to SQLite (docs/fleet-db.md).
 * Invariants: every decision is a canonical record (kinds FS_REC_SVC_*);
 * every answer that costs attestation work leaves through env->send after
 * its wait in the backlog (0 under capacity), whoever caused the load;
 * keys and nonces derive from the scenario seed only; per-device
 * signatures (evidence, certificates) are always really computed; after
 * fs_svc_create, handling a message allocates nothing except the first
 * time a metric series is used and when the download queue's ring must
 * grow (it never shrinks).
 * Does not: include device headers, deliver messages (env->send does),
 * read any clock, or keep an open database.
 */
#ifndef FLEETSIM_SERVICE_H
#define FLEETSIM_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetsim/image.h"
#include "fleetsim/msg.h"

struct fs_sim;
struct fs_scn;
struct fs_service_config;
struct fs_catalog;
struct fs_metrics;
struct fs_msgpool;
struct sqlite3;

/* Canonical record kinds written by the service (fs_sim_record). */
enum fs_svc_record {
    FS_REC_SVC_CHALLENGE = 200, /* nonce issued; value = nonce's first 8 B */
    FS_REC_SVC_REFUSED,         /* HELLO refused; value = HELLOs this second */
    FS_REC_SVC_ATTEST,          /* verdict; value = enum fs_attest_reason */
    FS_REC_SVC_CERT,            /* certificate issued; value = serial */
    FS_REC_SVC_REPORT,          /* report entry taken in; see below */
    FS_REC_SVC_TELEMETRY,       /* value = enum fs_cert_result (0 accepted) */
    FS_REC_SVC_TICKET,          /* ticket raised; value = part index */
    FS_REC_SVC_REVOKE_SIGNER,   /* device = signer index; value = 0 */
    FS_REC_SVC_REVOKE_DEVICE,   /* device revoked; value = 0 */
    FS_REC_SVC_SET_SERVICE,     /* settings changed; value = given bits */
    FS_REC_SVC_DEPLOY_START,    /* device = deployment; value = targets */
    FS_REC_SVC_WAVE_OPEN,       /* device = deployment; value = wave (1..) */
    FS_REC_SVC_HALT,            /* device = deployment; value = FS_HALT_* */
    FS_REC_SVC_RESUME,          /* device = deployment; value = wave */
    FS_REC_SVC_CANCEL,          /* device = deployment; value = old state */
    FS_REC_SVC_COMPLETE,        /* device = deployment; value = confirmed */
    FS_REC_SVC_RECORD_SIGN,     /* device = deployment; value = version */
    FS_REC_SVC_OFFER,           /* first offer to a device; value =
                                   deployment << 32 | record version */
    FS_REC_SVC_METADATA,        /* value = records | revoked mask << 8 */
    FS_REC_SVC_UPDATE_REPORT,   /* value = deployment << 16 | result << 8
                                   | reason (deployment UINT32_MAX: none) */
    FS_REC_SVC_DL_START,        /* value = image << 40 | offset */
    FS_REC_SVC_DL_QUEUED,       /* value = requests waiting */
    FS_REC_SVC_DL_CHUNK,        /* chunk sent; value: see below */
    FS_REC_SVC_DL_END           /* value = enum fs_dl_end_reason */
};
/*
 * FS_REC_SVC_REPORT value: kind << 56 | (image & 0xffffff) << 32 | count,
 * with image 0xffffff for "no image".
 * FS_REC_SVC_DL_CHUNK value: offset (bytes) << 24 | len (bytes, < 2^24).
 */

/* Why a deployment halted (FS_REC_SVC_HALT value). */
#define FS_HALT_ERROR_RATE 1
#define FS_HALT_FAILURE_RATE 2

/* Why a download session ended (FS_REC_SVC_DL_END value). */
enum fs_dl_end_reason {
    FS_DL_ABANDONED = 0, /* DOWNLOAD_END, not completed */
    FS_DL_COMPLETED = 1, /* DOWNLOAD_END, completed */
    FS_DL_TIMED_OUT = 2, /* no request for download_timeout */
    FS_DL_DEQUEUED = 3   /* a queued request withdrawn by DOWNLOAD_END */
};

/* Bytes the download server sends per CHUNK (less at the image's end). */
#define FS_SVC_CHUNK_BYTES (256u * 1024u)

/* Outcome of the product cloud's certificate check. */
enum fs_cert_result {
    FS_CERT_OK = 0,
    FS_CERT_BAD_SIGNATURE, /* not signed by the service CA */
    FS_CERT_EXPIRED,       /* not_after_us < now */
    FS_CERT_WRONG_SUBJECT, /* not the sender, or not its registered key */
    FS_CERT_REVOKED,       /* subject device revoked */
    FS_CERT_COUNT
};

/* Drift detector constants (telemetry is drying temperature x 1000). */
#define FS_SVC_DRIFT_NOMINAL_MILLI 65000 /* healthy mean, millidegrees C */
#define FS_SVC_DRIFT_LIMIT_MILLI 3000    /* |EWMA - nominal| that flags */
#define FS_SVC_DRIFT_SHIFT 3             /* EWMA weight 1/8 per reading */
#define FS_SVC_DRIFT_MIN_SAMPLES 4       /* readings before it may flag */
#define FS_SVC_PART_NONE 255             /* telemetry part: no wear part */

struct fs_svc;

struct fs_svc_env {
    struct fs_sim *sim;         /* engine: time and canonical record */
    const struct fs_scn *scn;   /* scenario (borrowed, outlives the svc) */
    struct fs_catalog *catalog; /* signed images (borrowed) */
    struct fs_metrics *metrics; /* metric registry (borrowed) */
    struct fs_msgpool *pool;    /* message pool (borrowed) */
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
    uint64_t answers_queued;       /* work answers that waited in the backlog */
    uint64_t attest[FS_ATT_COUNT]; /* verdicts by reason (FS_ATT_OK = pass) */
    uint64_t certs_issued;         /* certificates signed */
    uint64_t reports;              /* report events taken in (sum of counts) */
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

/* A deployment as the service sees it (fs_svc_deploy_info). */
struct fs_svc_deploy_info {
    uint32_t index;                 /* deployment index (records) */
    const char *state;              /* rollout_state value */
    uint32_t wave;                  /* waves opened (rollout_wave) */
    uint32_t nwaves;                /* waves of the deploy */
    const uint32_t *bound;          /* cumulative rank bound per wave */
    uint32_t targets;               /* target devices */
    uint32_t offered;               /* targets offered so far */
    uint32_t confirmed;             /* targets confirmed (or already on it) */
    uint32_t errors;                /* offered targets that sent errors */
    uint32_t failures;              /* offered targets failed/rolled back */
    int64_t start_us;               /* start time, -1 while pending */
    const int64_t *opened_us;       /* per wave: when it opened, or -1 */
    const uint32_t *wave_confirmed; /* per wave: targets confirmed */
};

/*
 * Create the service for env->scn: registry arrays sized for the whole
 * fleet, the CA key pair and nonce stream from the service's FS_RNG_KEYS
 * stream (device id UINT32_MAX). env is copied. Returns 0 or FS_EINVAL.
 */
int fs_svc_create(const struct fs_svc_env *env, struct fs_svc **out);
/* Destroy s and wipe its secrets; NULL is a no-op. */
void fs_svc_destroy(struct fs_svc *s);

/*
 * Register device at manufacture with its public key, product and group
 * indexes. Returns 0, or FS_EINVAL when device is outside the fleet or
 * already registered, or an index is out of range.
 */
int fs_svc_register(struct fs_svc *s, uint32_t device,
                    const unsigned char pk[32], uint32_t product,
                    uint32_t group);

/*
 * Take a device->service message. The service owns m from here: it either
 * reuses it for the reply (passed to env->send) or returns it to the pool.
 */
void fs_svc_receive(struct fs_svc *s, struct fs_msg *m);

/*
 * Stop trusting the signer called name (revoke_key). Returns 0, or
 * FS_ENOENT when the catalog has no such signer. Revoking twice is a no-op.
 */
int fs_svc_revoke_signer(struct fs_svc *s, const char *name);
/* True when signer index sg was revoked. */
bool fs_svc_signer_revoked(const struct fs_svc *s, uint32_t sg);

/* Revoke a registered device: it fails attestation and cert checks. */
int fs_svc_revoke_device(struct fs_svc *s, uint32_t device);

/* set_service: apply the keys marked in changes->given from now on. */
struct fs_scn_action;

/* A deploy action starts now: open its first wave, rollout_state running. */
void fs_svc_deploy_start(struct fs_svc *s, const struct fs_scn_action *deploy);
/* Reopen a halted deployment (resume). */
void fs_svc_deploy_resume(struct fs_svc *s, const struct fs_scn_action *deploy);
/* Stop offering a deployment (cancel). */
void fs_svc_deploy_cancel(struct fs_svc *s, const struct fs_scn_action *deploy);

/*
 * Describe the deployment called id into *out (borrowed pointers stay valid
 * while s lives). Returns 0 or FS_ENOENT.
 */
int fs_svc_deploy_info(const struct fs_svc *s, const char *id,
                       struct fs_svc_deploy_info *out);

/*
 * rollout_time: the duration from the start of deployment id until
 * share_ppm of its targets confirmed (by the devices' reported times), or
 * INT64_MAX when not reached or not started. Returns 0 or FS_ENOENT. It is
 * installed as the metrics' rollout_time source by fs_svc_create.
 */
int fs_svc_rollout_time(void *svc, const char *id, uint32_t share_ppm,
                        int64_t *out_us);

/* Download sessions in use, and requests waiting for one. */
uint32_t fs_svc_downloads_active(const struct fs_svc *s);
uint32_t fs_svc_downloads_queued(const struct fs_svc *s);

void fs_svc_set_service(struct fs_svc *s,
                        const struct fs_service_config *changes);

/*
 * Create and fill the service tables in the open database db inside one
 * transaction (a savepoint, so it nests in the caller's). Secrets are
 * sealed with crypto_secretbox_easy. Returns 0 or FS_EDB.
 */
int fs_svc_store_write(struct fs_svc *s, struct sqlite3 *db);

/*
 * Open a sealed secret (a secrets.sealed blob of fs_svc_store_write) into
 * sk. Returns 0, FS_EINVAL for a wrong length, or FS_EBADSIG when it does
 * not open under the key of this run's seed.
 */
int fs_store_unseal(const struct fs_svc *s, const void *sealed, size_t len,
                    unsigned char sk[FS_KEY_SEC_BYTES]);

/* Bytes of memory the service holds (registry, caches, tables). */
size_t fs_svc_bytes(const struct fs_svc *s);
/* Bytes of per-device state, per device. */
size_t fs_svc_bytes_per_device(void);
/* Internal consistency check (counters, flags, nonces). */
bool fs_svc_check(const struct fs_svc *s);

/* Copy the service's decision counters to *out. */
void fs_svc_stats(const struct fs_svc *s, struct fs_svc_stats *out);
/* The service CA's public key. */
const unsigned char *fs_svc_ca_pk(const struct fs_svc *s);

/*
 * Issue a fresh challenge nonce for device (16 bytes from the service's
 * stream), remembering it as the device's one outstanding nonce, expiring
 * after nonce_lifetime. Unknown devices get a nonce that is not
 * remembered. Writes it to nonce. Does not apply the rate limit.
 */
void fs_attest_challenge(struct fs_svc *s, uint32_t device,
                         unsigned char nonce[FS_NONCE_BYTES]);

/*
 * The verifier: check ev in the documented order (known, revoked,
 * signature, nonce, measurements, OS version) at the current simulated
 * time, skipping checks whose defence is off. A matching nonce is consumed.
 * Returns FS_ATT_OK or the first failing reason. Records and metrics are
 * left to the caller (fs_svc_receive).
 */
enum fs_attest_reason fs_attest_verify(struct fs_svc *s,
                                       const struct fs_evidence *ev);

/*
 * Reference measurements of a device running image os and apps (one per
 * core, FS_NO_IMAGE for none): pcr_boot = extend(extend(extend(0, monitor),
 * bootloader), hash(os)); pcr_apps = extend over each present app hash in
 * core order, from 0. Returns false when an index is not a catalog image
 * of the right kind or its manifest signature does not verify.
 */
bool fs_attest_expected(struct fs_catalog *c, uint32_t os,
                        const uint32_t apps[FS_APPS_MAX],
                        unsigned char pcr_boot[FS_HASH_BYTES],
                        unsigned char pcr_apps[FS_HASH_BYTES]);

/*
 * Sign a certificate for registered device valid until now + cert_lifetime
 * with the next serial. Returns 0 or FS_EINVAL for an unknown device.
 */
int fs_cert_issue(struct fs_svc *s, uint32_t device, struct fs_cert *out);

/*
 * The relying party's check of a presented certificate, pure: CA
 * signature (always really verified), expiry, subject (sender and its
 * registered key; registered_pk NULL means unknown sender), revocation.
 */
enum fs_cert_result fs_cert_check(const struct fs_cert *c,
                                  const unsigned char ca_pk[FS_KEY_PUB_BYTES],
                                  uint32_t sender,
                                  const unsigned char *registered_pk,
                                  bool revoked, int64_t now_us);
/* Name of a cert check result ("ok", "bad_signature", ...). */
const char *fs_cert_result_name(enum fs_cert_result r);

/*
 * One drift-detector step: fold value_milli into the EWMA *ewma_milli
 * (start it at FS_SVC_DRIFT_NOMINAL_MILLI) and count *samples. Returns
 * true when the device now counts as drifting.
 */
bool fs_svc_drift_step(int32_t *ewma_milli, uint16_t *samples,
                       int32_t value_milli);

/* Totals of taken-in error reports of one (image, kind). */
struct fs_errrep_total {
    uint64_t count;   /* events */
    int64_t first_us; /* earliest event time, or -1 when none */
    int64_t last_us;  /* latest event time, or -1 when none */
};

/*
 * Totals for image (a catalog index, or FS_NO_IMAGE) and kind; zeros and
 * -1 times when none or out of range.
 */
void fs_errrep_get(const struct fs_svc *s, uint32_t image,
                   enum fs_report_kind kind, struct fs_errrep_total *out);

/* Called for every report entry taken in (for rollout halts). */
typedef void fs_errrep_hook_fn(void *ctx, uint32_t device, uint32_t image,
                               enum fs_report_kind kind, uint32_t count);
/* Install (or clear with NULL) the report hook. */
void fs_errrep_set_hook(struct fs_svc *s, fs_errrep_hook_fn *fn, void *ctx);

/*
 * ---- capacity (service/svc.c) ----
 *
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
 * (REFUSED) cost nothing and never wait; the METADATA that follows a CERT
 * leaves with it.
 */
#define FS_SVC_ANSWERS_MIN_PER_S 1000u
/* Answers per simulated second s can produce (see above). */
uint64_t fs_svc_answers_per_s(const struct fs_svc *s);

/* A FIFO backlog of work answers (the service embeds one). */
struct fs_svc_load {
    int64_t second; /* simulated second being filled, -1 at start */
    uint64_t used;  /* answers placed in that second */
    uint64_t per_s; /* capacity, answers per second */
};

/* Start an empty backlog at s's capacity. */
void fs_svc_load_init(struct fs_svc_load *ld, const struct fs_svc *s);
/*
 * Place one answer produced at at_us in the backlog (FIFO, per_s answers
 * per simulated second; at_us must not decrease between calls) and return
 * how long it waits before it leaves the service, in microseconds: 0
 * unless earlier answers already filled the capacity of at_us's second.
 */
int64_t fs_svc_load_wait_us(struct fs_svc_load *ld, int64_t at_us);
/* Work answers placed in s's backlog wait this long if produced now. */
int64_t fs_svc_backlog_us(const struct fs_svc *s);

/* ---- attack hooks (service/attack_hooks.c; used by sim/attack/attack*.c only)
 * - */

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
 * An upload of sm in the name of its signer, as a vendor (or whoever holds
 * the vendor's key) makes one: when sm verifies under a catalog signer the
 * service has not revoked, write to out a record for sm bound to device's
 * product and group (deployment UINT32_MAX, the next record version,
 * expiring after manifest_lifetime), signed with the update-service key.
 * Returns 0, FS_EBADSIG (sm does not verify), FS_ELIMIT (its signer is
 * revoked) or FS_EINVAL (unknown device or signer).
 */
int fs_svc_sign_upload(struct fs_svc *s, const struct fs_signed_manifest *sm,
                       uint32_t device, struct fs_update_record *out);

#endif
