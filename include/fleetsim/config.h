/*
 * include/fleetsim/config.h - the configuration vocabulary the scenario
 * loader hands to the device model and the service.
 *
 * Owns: versions and their order, image kinds, cores, OS feeds, group
 * update policies, update phases, the defence switches (a bitset) and the
 * security-service settings.
 * Invariants: plain values only; nothing here points into a parsed scenario,
 * so the scenario format can change without touching the model.
 * Does not: parse YAML, know file positions, or allocate.
 */
#ifndef FLEETSIM_CONFIG_H
#define FLEETSIM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define FS_NAME_BYTES_MAX 64    /* names and ids, NUL included */
#define FS_VERSION_FIELDS_MAX 8 /* numeric fields of a version */

/* A version "23.10" or "1.5.0": dot-separated unsigned integers. */
struct fs_version {
    uint32_t nfields;                      /* fields written, >= 1 */
    uint32_t field[FS_VERSION_FIELDS_MAX]; /* numeric fields */
};

/*
 * Parse a version ("23.10", "1.5.0") into *out. Returns 0, or FS_EINVAL
 * when it is not dot-separated unsigned integers (each < 2^32, at most
 * FS_VERSION_FIELDS_MAX fields).
 */
int fs_version_parse(const char *s, struct fs_version *out);

/*
 * Compare versions field by field numerically; missing fields count as 0
 * ("1.5" == "1.5.0", "23.10" > "23.9"). Returns <0, 0 or >0.
 */
int fs_version_cmp(const struct fs_version *a, const struct fs_version *b);

enum fs_image_kind { FS_IMAGE_OS = 0, FS_IMAGE_APP };

enum fs_core { FS_CORE_HL = 0, FS_CORE_RT0, FS_CORE_RT1 };

enum fs_feed {
    FS_FEED_NONE = 0,   /* not given (groups, deploys: no override) */
    FS_FEED_RETAIL,     /* "retail" */
    FS_FEED_RETAIL_EVAL /* "retail-eval" */
};

enum fs_policy {
    FS_POLICY_UPDATE_ALL = 0, /* "update-all" */
    FS_POLICY_NO_APP_UPDATES, /* "no-app-updates" */
    FS_POLICY_NO_UPDATES      /* "no-updates" */
};

/* The phase of an update a power cut is aimed at. */
enum fs_phase {
    FS_PHASE_ANY = 0, /* "any" (default) */
    FS_PHASE_DOWNLOAD,
    FS_PHASE_INSTALL,
    FS_PHASE_BOOT
};

/* The defences, in scenario-format.md order; all on by default. */
enum fs_defense {
    FS_DEF_VERIFY_SIGNATURES = 0,
    FS_DEF_VERIFY_HASHES,
    FS_DEF_VERIFY_LENGTHS,
    FS_DEF_ANTI_ROLLBACK,
    FS_DEF_DOWNLOAD_TIMEOUT,
    FS_DEF_MANIFEST_EXPIRY,
    FS_DEF_MANIFEST_BINDING,
    FS_DEF_NONCE_FRESHNESS,
    FS_DEF_MEASURED_BOOT,
    FS_DEF_ATTESTATION_SIGNATURE,
    FS_DEF_PERIPHERAL_FIREWALL,
    FS_DEF_NETWORK_FIREWALL,
    FS_DEF_KEY_REVOCATION,
    FS_DEF_CHECKIN_RATE_LIMIT,
    FS_DEF_COUNT
};

/* Every defence on: the default set. */
#define FS_DEF_ALL ((1u << FS_DEF_COUNT) - 1u)

/* True when bit d of the defence set defenses is on. */
bool fs_defense_on(uint32_t defenses, enum fs_defense d);

/* Name as written in the format ("verify_signatures"); NULL if invalid. */
const char *fs_defense_name(enum fs_defense d);

/* Bits of fs_service_config.given: which settings a change sets. */
enum fs_service_key {
    FS_SVC_CHECKIN_INTERVAL = 0,
    FS_SVC_CERT_LIFETIME,
    FS_SVC_NONCE_LIFETIME,
    FS_SVC_MANIFEST_LIFETIME,
    FS_SVC_MIN_OS,
    FS_SVC_EGRESS,
    FS_SVC_MAX_DOWNLOADS,
    FS_SVC_PROBATION,
    FS_SVC_DOWNLOAD_TIMEOUT,
    FS_SVC_CHECKIN_RATE_LIMIT,
    FS_SVC_KEY_COUNT
};

/* Name of service key k as written in the format, or NULL. */
const char *fs_service_key_name(enum fs_service_key k);

/* Security-service settings (top-level `service`, or a set_service). */
struct fs_service_config {
    uint32_t given;                    /* bit (1u << fs_service_key) set */
    int64_t checkin_interval_us;       /* default 20h */
    int64_t cert_lifetime_us;          /* default 24h */
    int64_t nonce_lifetime_us;         /* default 5m */
    int64_t manifest_lifetime_us;      /* default 7d */
    bool has_min_os;                   /* false: no minimum (default) */
    const char *min_os;                /* version text as written, or NULL */
    struct fs_version min_os_version;  /* parsed min_os */
    uint64_t egress_bps;               /* default 10Gbps, bits per second */
    uint32_t max_downloads;            /* default 10000 concurrent downloads */
    int64_t probation_us;              /* default 10m */
    int64_t download_timeout_us;       /* default 1h */
    uint64_t checkin_rate_limit_per_s; /* check-ins per second; 0 = none */
};

/*
 * Apply a change of settings: copy into settings every key that
 * changes->given marks (bit 1u << FS_SVC_*), and mark them given there.
 */
void fs_service_config_apply(struct fs_service_config *settings,
                             const struct fs_service_config *changes);

#endif
