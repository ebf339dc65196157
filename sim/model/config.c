/*
 * sim/model/config.c - the configuration vocabulary: versions, defence and
 * service-setting names, and applying a change of service settings.
 *
 * Owns: the format's names of the defences and service keys.
 * Invariants: pure functions of their arguments.
 * Does not: parse YAML or allocate.
 */
#include <stddef.h>

#include "fleetsim/config.h"
#include "fleetsim/err.h"

static const char *const defense_names[FS_DEF_COUNT] = {
    "verify_signatures",     "verify_hashes",       "verify_lengths",
    "anti_rollback",         "download_timeout",    "manifest_expiry",
    "manifest_binding",      "nonce_freshness",     "measured_boot",
    "attestation_signature", "peripheral_firewall", "network_firewall",
    "key_revocation",        "checkin_rate_limit",
};

static const char *const service_keys[FS_SVC_KEY_COUNT] = {
    "checkin_interval",   "cert_lifetime", "nonce_lifetime",
    "manifest_lifetime",  "min_os",        "egress",
    "max_downloads",      "probation",     "download_timeout",
    "checkin_rate_limit",
};

/* Name of defence d as written in the format, or NULL. */
const char *
fs_defense_name(enum fs_defense d)
{
    return (unsigned)d < FS_DEF_COUNT ? defense_names[d] : NULL;
}

/* Name of service key k as written in the format, or NULL. */
const char *
fs_service_key_name(enum fs_service_key k)
{
    return (unsigned)k < FS_SVC_KEY_COUNT ? service_keys[k] : NULL;
}

/* True when bit d of defenses is on. See config.h. */
bool
fs_defense_on(uint32_t defenses, enum fs_defense d)
{
    return (unsigned)d < FS_DEF_COUNT && (defenses >> d) & 1u;
}

/* Parse "23.10" into fields. See config.h. */
int
fs_version_parse(const char *s, struct fs_version *out)
{
    struct fs_version v = {0};
    const char *p = s;
    for (;;) {
        if (v.nfields == FS_VERSION_FIELDS_MAX || *p < '0' || *p > '9')
            return FS_EINVAL;
        uint64_t f = 0;
        for (; *p >= '0' && *p <= '9'; p++) {
            f = f * 10 + (uint64_t)(*p - '0');
            if (f > UINT32_MAX)
                return FS_EINVAL;
        }
        v.field[v.nfields++] = (uint32_t)f;
        if (*p == '\0')
            break;
        if (*p++ != '.')
            return FS_EINVAL;
    }
    *out = v;
    return 0;
}

/* Numeric field-by-field comparison; missing fields are 0. See config.h. */
int
fs_version_cmp(const struct fs_version *a, const struct fs_version *b)
{
    uint32_t n = a->nfields > b->nfields ? a->nfields : b->nfields;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t x = i < a->nfields ? a->field[i] : 0;
        uint32_t y = i < b->nfields ? b->field[i] : 0;
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

/* Copy the settings changes gives into settings. See config.h. */
void
fs_service_config_apply(struct fs_service_config *settings,
                        const struct fs_service_config *changes)
{
    uint32_t g = changes->given;
    struct fs_service_config *c = settings;
#define SCN_TAKE_(bit, field)                                                  \
    if (g & (1u << (bit)))                                                     \
        c->field = changes->field;
    SCN_TAKE_(FS_SVC_CHECKIN_INTERVAL, checkin_interval_us)
    SCN_TAKE_(FS_SVC_CERT_LIFETIME, cert_lifetime_us)
    SCN_TAKE_(FS_SVC_NONCE_LIFETIME, nonce_lifetime_us)
    SCN_TAKE_(FS_SVC_MANIFEST_LIFETIME, manifest_lifetime_us)
    SCN_TAKE_(FS_SVC_EGRESS, egress_bps)
    SCN_TAKE_(FS_SVC_MAX_DOWNLOADS, max_downloads)
    SCN_TAKE_(FS_SVC_PROBATION, probation_us)
    SCN_TAKE_(FS_SVC_DOWNLOAD_TIMEOUT, download_timeout_us)
    SCN_TAKE_(FS_SVC_CHECKIN_RATE_LIMIT, checkin_rate_limit_per_s)
#undef SCN_TAKE_
    if (g & (1u << FS_SVC_MIN_OS)) {
        c->has_min_os = changes->has_min_os;
        c->min_os = changes->min_os;
        c->min_os_version = changes->min_os_version;
    }
    c->given |= g;
}
