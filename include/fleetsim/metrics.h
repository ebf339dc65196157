/*
 * include/fleetsim/metrics.h - labelled counters, gauges and string gauges.
 *
 * Owns: the metric families of scenario-format.md ("expect"), their label
 * keys, and the series the model updates.
 * Invariants: a series is found once (fs_metrics_series) and then updated
 * by index in O(1); series are kept in creation order, never hashed, so
 * every listing is deterministic.
 * Does not: know the device model; the model reports changes here.
 */
#ifndef FLEETSIM_METRICS_H
#define FLEETSIM_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fs_metric {
    FS_M_DEVICES = 0,
    FS_M_ATTESTATIONS,
    FS_M_CERTIFICATES,
    FS_M_UPDATES,
    FS_M_ERROR_REPORTS,
    FS_M_ATTACKS,
    FS_M_FIREWALL,
    FS_M_TICKETS,
    FS_M_ROLLOUT_STATE,
    FS_M_ROLLOUT_WAVE,
    FS_M_ROLLOUT_TIME,
    FS_M_COUNT
};

/* Most label keys any family has. */
#define FS_METRIC_LABELS_MAX 6

/* The value kind a family holds. */
enum fs_metric_kind {
    FS_MK_COUNT,   /* integer counter or gauge, summed over series */
    FS_MK_STRING,  /* one string per series (rollout_state) */
    FS_MK_DURATION /* microseconds, INT64_MAX for "never" (rollout_time) */
};

/* Name of family f ("devices"), or NULL for an invalid f. */
const char *fs_metric_name(enum fs_metric f);
/* Look a family up by name; returns FS_M_COUNT when unknown. */
enum fs_metric fs_metric_lookup(const char *name, size_t len);
/* Label keys of family f, in order, and their count. */
const char *const *fs_metric_labels(enum fs_metric f, size_t *out_count);
/* Index of label key in family f, or -1. */
int fs_metric_label_index(enum fs_metric f, const char *key, size_t len);
/* Allowed values of a label (NULL when free-form), NULL-terminated. */
const char *const *fs_metric_label_values(enum fs_metric f, int label);
/* The kind of value family f holds. */
enum fs_metric_kind fs_metric_kind(enum fs_metric f);

struct fs_metrics;

/*
 * Source of rollout_time values: the duration from the deployment's start
 * until share_ppm of its targets confirmed, or INT64_MAX when not reached;
 * returns FS_ENOENT for an unknown id.
 */
typedef int fs_rollout_time_fn(void *ctx, const char *id, uint32_t share_ppm,
                               int64_t *out_us);

int fs_metrics_create(struct fs_metrics **out);
void fs_metrics_destroy(struct fs_metrics *m);

/*
 * Find or create the series of family f with the given label values, one
 * per label key of f in order; NULL means "no value". Strings are copied.
 * Returns the series index for fs_metrics_add / fs_metrics_set_string.
 */
uint32_t fs_metrics_series(struct fs_metrics *m, enum fs_metric f,
                           const char *const *values);

/* Add delta to a FS_MK_COUNT series (gauges go down with negative delta). */
void fs_metrics_add(struct fs_metrics *m, uint32_t series, int64_t delta);
/* Set the value of a count series outright. */
void fs_metrics_set(struct fs_metrics *m, uint32_t series, int64_t value);
/* Set the string of a FS_MK_STRING series (copied). */
void fs_metrics_set_string(struct fs_metrics *m, uint32_t series,
                           const char *value);

/*
 * Declare that a label value written as id also matches the selector text
 * alias (an image id "os-24.01" matches os="24.01"). Values holding several
 * ids separated by ',' match when any of them matches.
 */
void fs_metrics_alias(struct fs_metrics *m, const char *id, const char *alias);

/* Install the rollout_time source. */
void fs_metrics_set_rollout_time(struct fs_metrics *m, fs_rollout_time_fn *fn,
                                 void *ctx);

/* A label selector: label index within the family, and the wanted value. */
struct fs_label_sel {
    int label;         /* index into fs_metric_labels(f) */
    const char *value; /* wanted value, as written in the expression */
};

/* Sum of the count series of f matching every selector. */
int64_t fs_metrics_sum(const struct fs_metrics *m, enum fs_metric f,
                       const struct fs_label_sel *sel, size_t nsel);

/*
 * String value of the first series of f (creation order) matching every
 * selector, or NULL when none does.
 */
const char *fs_metrics_string(const struct fs_metrics *m, enum fs_metric f,
                              const struct fs_label_sel *sel, size_t nsel);

/* rollout_time lookup through the installed source. */
int fs_metrics_rollout_time(const struct fs_metrics *m, const char *id,
                            uint32_t share_ppm, int64_t *out_us);

/* Number of series, and a visitor for writing them out in order. */
size_t fs_metrics_count(const struct fs_metrics *m);
typedef void fs_metrics_visit_fn(void *ctx, enum fs_metric f,
                                 const char *const *values, size_t nvalues,
                                 int64_t count, const char *string);
void fs_metrics_visit(const struct fs_metrics *m, fs_metrics_visit_fn *fn,
                      void *ctx);

/* Family, label values (one per label key) and count of series idx. */
void fs_metrics_series_info(const struct fs_metrics *m, uint32_t idx,
                            enum fs_metric *out_family,
                            const char *const **out_values, int64_t *out_count);

bool fs_metrics_check(const struct fs_metrics *m);

#endif
