/*
 * sim/model/metrics.c - the registry of labelled metric series.
 *
 * Owns: the static table of families and label keys (scenario-format.md,
 * "expect"), the series array in creation order, interned label strings,
 * and the id -> alias table used when matching `os="24.01"` to image ids.
 * Invariants: series indexes are stable for the registry's lifetime; no
 * listing depends on hashing or addresses; label values are interned once.
 * Does not: know what the series mean; the model feeds them.
 */
#include <stdint.h>
#include <string.h>

#include "fleetsim/err.h"
#include "fleetsim/mem.h"
#include "fleetsim/metrics.h"

struct family_def {
    const char *name;                         /* as in expressions */
    enum fs_metric_kind kind;                 /* value kind */
    const char *labels[FS_METRIC_LABELS_MAX]; /* label keys, NULL-ended */
};

static const struct family_def families[FS_M_COUNT] = {
    [FS_M_DEVICES] = {"devices",
                      FS_MK_COUNT,
                      {"product", "group", "os", "app", "state",
                       "compromised"}},
    [FS_M_ATTESTATIONS] = {"attestations", FS_MK_COUNT, {"result", "reason"}},
    [FS_M_CERTIFICATES] = {"certificates", FS_MK_COUNT, {"result"}},
    [FS_M_UPDATES] = {"updates", FS_MK_COUNT, {"image", "result", "reason"}},
    [FS_M_ERROR_REPORTS] = {"error_reports", FS_MK_COUNT, {"kind", "image"}},
    [FS_M_ATTACKS] = {"attacks", FS_MK_COUNT, {"kind", "outcome"}},
    [FS_M_FIREWALL] = {"firewall", FS_MK_COUNT, {"kind", "result"}},
    [FS_M_TICKETS] = {"tickets", FS_MK_COUNT, {"reason"}},
    [FS_M_ROLLOUT_STATE] = {"rollout_state", FS_MK_STRING, {"id"}},
    [FS_M_ROLLOUT_WAVE] = {"rollout_wave", FS_MK_COUNT, {"id"}},
    [FS_M_ROLLOUT_TIME] = {"rollout_time", FS_MK_DURATION, {"id", "reached"}},
};

static const char *const v_state[] = {"running", "updating", "rebooting",
                                      "offline", "recovery", NULL};
static const char *const v_bool[] = {"true", "false", NULL};
static const char *const v_pass[] = {"pass", "fail", NULL};
static const char *const v_att_reason[] = {
    "bad_signature", "unknown_device", "stale_nonce", "measurement_mismatch",
    "os_too_old",    "revoked",        NULL};
static const char *const v_cert[] = {"issued", "rejected", NULL};
static const char *const v_upd_result[] = {
    "offered",  "downloaded", "installed",   "confirmed",
    "rejected", "failed",     "rolled_back", NULL};
static const char *const v_upd_reason[] = {
    "bad_signature", "untrusted_key", "revoked_key", "rollback",
    "hash_mismatch", "too_long",      "timeout",     "expired_manifest",
    "wrong_product", "wrong_group",   "no_space",    "peripheral_conflict",
    "power_loss",    "crash",         NULL};
static const char *const v_err_kind[] = {"app_crash",
                                         "os_crash",
                                         "boot_failure",
                                         "firewall_violation",
                                         "update_failure",
                                         "tamper",
                                         NULL};
static const char *const v_attack_kind[] = {"unsigned_image",
                                            "foreign_key",
                                            "rollback",
                                            "tamper_in_transit",
                                            "endless_data",
                                            "slow_retrieval",
                                            "freeze",
                                            "mix_and_match",
                                            "replay_attestation",
                                            "clone_identity",
                                            "malicious_flash",
                                            "compromised_app",
                                            "leaked_key",
                                            "checkin_flood",
                                            NULL};
static const char *const v_outcome[] = {"attempted", "blocked", "succeeded",
                                        "undecided", NULL};
static const char *const v_fw_kind[] = {"peripheral", "network", "keystore",
                                        NULL};
static const char *const v_fw_result[] = {"allowed", "blocked", NULL};

const char *
fs_metric_name(enum fs_metric f)
{
    if ((unsigned)f >= FS_M_COUNT)
        return NULL;
    return families[f].name;
}

enum fs_metric
fs_metric_lookup(const char *name, size_t len)
{
    for (int f = 0; f < FS_M_COUNT; f++)
        if (strlen(families[f].name) == len &&
            memcmp(families[f].name, name, len) == 0)
            return (enum fs_metric)f;
    return FS_M_COUNT;
}

const char *const *
fs_metric_labels(enum fs_metric f, size_t *out_count)
{
    size_t n = 0;
    while (n < FS_METRIC_LABELS_MAX && families[f].labels[n] != NULL)
        n++;
    *out_count = n;
    return families[f].labels;
}

int
fs_metric_label_index(enum fs_metric f, const char *key, size_t len)
{
    for (int i = 0; i < FS_METRIC_LABELS_MAX; i++) {
        const char *k = families[f].labels[i];
        if (k == NULL)
            break;
        if (strlen(k) == len && memcmp(k, key, len) == 0)
            return i;
    }
    return -1;
}

const char *const *
fs_metric_label_values(enum fs_metric f, int label)
{
    const char *key = families[f].labels[label];
    switch (f) {
    case FS_M_DEVICES:
        if (strcmp(key, "state") == 0)
            return v_state;
        if (strcmp(key, "compromised") == 0)
            return v_bool;
        return NULL;
    case FS_M_ATTESTATIONS:
        return strcmp(key, "result") == 0 ? v_pass : v_att_reason;
    case FS_M_CERTIFICATES:
        return v_cert;
    case FS_M_UPDATES:
        if (strcmp(key, "result") == 0)
            return v_upd_result;
        if (strcmp(key, "reason") == 0)
            return v_upd_reason;
        return NULL;
    case FS_M_ERROR_REPORTS:
        return strcmp(key, "kind") == 0 ? v_err_kind : NULL;
    case FS_M_ATTACKS:
        return strcmp(key, "kind") == 0 ? v_attack_kind : v_outcome;
    case FS_M_FIREWALL:
        return strcmp(key, "kind") == 0 ? v_fw_kind : v_fw_result;
    default:
        return NULL;
    }
}

enum fs_metric_kind
fs_metric_kind(enum fs_metric f)
{
    return families[f].kind;
}

struct series {
    enum fs_metric family;                    /* which family */
    const char *values[FS_METRIC_LABELS_MAX]; /* interned, NULL = none */
    int64_t count;                            /* FS_MK_COUNT value */
    const char *string;                       /* FS_MK_STRING value */
};

struct alias {
    const char *id;    /* interned value as stored in series */
    const char *alias; /* interned alternative text that also matches */
};

struct fs_metrics {
    struct series *series;               /* creation order */
    size_t nseries;                      /* used */
    size_t cap_series;                   /* allocated */
    const char **strings;                /* interned strings, each heap-owned */
    size_t nstrings;                     /* used */
    size_t cap_strings;                  /* allocated */
    struct alias *aliases;               /* id -> alias */
    size_t naliases;                     /* used */
    size_t cap_aliases;                  /* allocated */
    fs_rollout_time_fn *rollout_time_fn; /* rollout_time source */
    void *rollout_time_ctx;              /* its context */
};

int
fs_metrics_create(struct fs_metrics **out)
{
    *out = fs_xcalloc(1, sizeof(**out));
    return 0;
}

void
fs_metrics_destroy(struct fs_metrics *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->nstrings; i++)
        fs_free((void *)m->strings[i]);
    fs_free(m->strings);
    fs_free(m->series);
    fs_free(m->aliases);
    fs_free(m);
}

/* Return the interned copy of s (linear: label vocabularies are small). */
static const char *
intern(struct fs_metrics *m, const char *s)
{
    if (s == NULL)
        return NULL;
    for (size_t i = 0; i < m->nstrings; i++)
        if (strcmp(m->strings[i], s) == 0)
            return m->strings[i];
    if (m->nstrings == m->cap_strings) {
        m->cap_strings = m->cap_strings ? m->cap_strings * 2 : 64;
        m->strings =
            fs_xrealloc(m->strings, m->cap_strings * sizeof(*m->strings));
    }
    m->strings[m->nstrings] = fs_xstrdup(s);
    return m->strings[m->nstrings++];
}

uint32_t
fs_metrics_series(struct fs_metrics *m, enum fs_metric f,
                  const char *const *values)
{
    FS_ASSERT((unsigned)f < FS_M_COUNT);
    size_t nl;
    fs_metric_labels(f, &nl);
    const char *iv[FS_METRIC_LABELS_MAX] = {0};
    for (size_t i = 0; i < nl; i++)
        iv[i] = intern(m, values ? values[i] : NULL);
    for (size_t s = 0; s < m->nseries; s++) {
        if (m->series[s].family != f)
            continue;
        if (memcmp(m->series[s].values, iv, sizeof(iv)) == 0)
            return (uint32_t)s;
    }
    if (m->nseries == m->cap_series) {
        m->cap_series = m->cap_series ? m->cap_series * 2 : 64;
        m->series = fs_xrealloc(m->series, m->cap_series * sizeof(*m->series));
    }
    struct series *sr = &m->series[m->nseries];
    memset(sr, 0, sizeof(*sr));
    sr->family = f;
    memcpy(sr->values, iv, sizeof(iv));
    FS_ASSERT(m->nseries < UINT32_MAX);
    return (uint32_t)m->nseries++;
}

void
fs_metrics_add(struct fs_metrics *m, uint32_t series, int64_t delta)
{
    FS_ASSERT(series < m->nseries);
    m->series[series].count += delta;
}

void
fs_metrics_set(struct fs_metrics *m, uint32_t series, int64_t value)
{
    FS_ASSERT(series < m->nseries);
    m->series[series].count = value;
}

void
fs_metrics_set_string(struct fs_metrics *m, uint32_t series, const char *value)
{
    FS_ASSERT(series < m->nseries);
    m->series[series].string = intern(m, value);
}

void
fs_metrics_alias(struct fs_metrics *m, const char *id, const char *alias)
{
    if (m->naliases == m->cap_aliases) {
        m->cap_aliases = m->cap_aliases ? m->cap_aliases * 2 : 32;
        m->aliases =
            fs_xrealloc(m->aliases, m->cap_aliases * sizeof(*m->aliases));
    }
    m->aliases[m->naliases].id = intern(m, id);
    m->aliases[m->naliases].alias = intern(m, alias);
    m->naliases++;
}

void
fs_metrics_set_rollout_time(struct fs_metrics *m, fs_rollout_time_fn *fn,
                            void *ctx)
{
    m->rollout_time_fn = fn;
    m->rollout_time_ctx = ctx;
}

/* Does one stored id (len bytes at id) match the wanted text? */
static bool
one_matches(const struct fs_metrics *m, const char *id, size_t len,
            const char *want)
{
    if (strlen(want) == len && memcmp(id, want, len) == 0)
        return true;
    for (size_t i = 0; i < m->naliases; i++) {
        const struct alias *a = &m->aliases[i];
        if (strlen(a->id) == len && memcmp(a->id, id, len) == 0 &&
            strcmp(a->alias, want) == 0)
            return true;
    }
    return false;
}

/* A stored value may list several ids separated by ','. */
static bool
value_matches(const struct fs_metrics *m, const char *stored, const char *want)
{
    if (stored == NULL)
        return false;
    const char *p = stored;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (one_matches(m, p, len, want))
            return true;
        if (comma == NULL)
            return false;
        p = comma + 1;
    }
}

static bool
series_matches(const struct fs_metrics *m, const struct series *s,
               const struct fs_label_sel *sel, size_t nsel)
{
    for (size_t i = 0; i < nsel; i++) {
        FS_ASSERT(sel[i].label >= 0);
        FS_ASSERT(sel[i].label < FS_METRIC_LABELS_MAX);
        if (!value_matches(m, s->values[sel[i].label], sel[i].value))
            return false;
    }
    return true;
}

int64_t
fs_metrics_sum(const struct fs_metrics *m, enum fs_metric f,
               const struct fs_label_sel *sel, size_t nsel)
{
    int64_t sum = 0;
    for (size_t s = 0; s < m->nseries; s++)
        if (m->series[s].family == f &&
            series_matches(m, &m->series[s], sel, nsel))
            sum += m->series[s].count;
    return sum;
}

const char *
fs_metrics_string(const struct fs_metrics *m, enum fs_metric f,
                  const struct fs_label_sel *sel, size_t nsel)
{
    for (size_t s = 0; s < m->nseries; s++)
        if (m->series[s].family == f &&
            series_matches(m, &m->series[s], sel, nsel))
            return m->series[s].string;
    return NULL;
}

int
fs_metrics_rollout_time(const struct fs_metrics *m, const char *id,
                        uint32_t share_ppm, int64_t *out_us)
{
    if (m->rollout_time_fn == NULL)
        return FS_ENOENT;
    return m->rollout_time_fn(m->rollout_time_ctx, id, share_ppm, out_us);
}

size_t
fs_metrics_count(const struct fs_metrics *m)
{
    return m->nseries;
}

void
fs_metrics_visit(const struct fs_metrics *m, fs_metrics_visit_fn *fn, void *ctx)
{
    for (size_t s = 0; s < m->nseries; s++) {
        const struct series *sr = &m->series[s];
        size_t nl;
        fs_metric_labels(sr->family, &nl);
        fn(ctx, sr->family, sr->values, nl, sr->count, sr->string);
    }
}

void
fs_metrics_series_info(const struct fs_metrics *m, uint32_t idx,
                       enum fs_metric *out_family,
                       const char *const **out_values, int64_t *out_count)
{
    FS_ASSERT(idx < m->nseries);
    *out_family = m->series[idx].family;
    *out_values = m->series[idx].values;
    *out_count = m->series[idx].count;
}

bool
fs_metrics_check(const struct fs_metrics *m)
{
    if (m->nseries > m->cap_series || m->nstrings > m->cap_strings)
        return false;
    for (size_t s = 0; s < m->nseries; s++) {
        const struct series *sr = &m->series[s];
        if ((unsigned)sr->family >= FS_M_COUNT)
            return false;
        if (fs_metric_kind(sr->family) == FS_MK_COUNT && sr->string != NULL)
            return false;
    }
    return true;
}
