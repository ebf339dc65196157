/*
 * include/fleetsim/units.h - parsing of the scenario format's units.
 *
 * Owns: the text forms of durations, sizes, bandwidths, rates and shares
 * (scenario-format.md "Units") and their conversion to integers.
 * Invariants: a value with a missing or unknown unit is an error; results
 * never overflow (too large is an error, not a wrap).
 * Does not: know YAML or file positions; callers add those.
 */
#ifndef FLEETSIM_UNITS_H
#define FLEETSIM_UNITS_H

#include <stdbool.h>
#include <stdint.h>

/* Longest duration the format accepts: 100 years of 365 days. */
#define FS_UNITS_DURATION_MAX_US ((int64_t)36500 * 86400 * 1000000)

/* Highest rate the format accepts, in events per unit as written. */
#define FS_UNITS_RATE_MAX 1e9

/* A share: either a percentage of some whole or a plain count. */
struct fs_share {
    bool is_percent; /* true: ppm is meaningful; false: count is */
    uint32_t ppm;    /* parts per million of the whole (100% = 1e6) */
    uint64_t count;  /* a plain number of items */
};

/* A rate: mean events per unit of time. */
struct fs_rate {
    double per_us; /* mean events per microsecond */
    char unit;     /* 'h', 'd' or 's' as written */
};

/*
 * Each parser returns 0 and writes *out, or FS_EINVAL and points *why at a
 * static sentence saying what was expected (why may be NULL).
 */
int fs_units_duration(const char *s, int64_t *out_us, const char **why);
int fs_units_size(const char *s, uint64_t *out_bytes, const char **why);
int fs_units_bandwidth(const char *s, uint64_t *out_bps, const char **why);
int fs_units_rate(const char *s, struct fs_rate *out, const char **why);
int fs_units_share(const char *s, struct fs_share *out, const char **why);

/* a + b for times and durations, saturated instead of overflowing. */
int64_t fs_units_time_add_us(int64_t a, int64_t b);

/* Apply a share to a whole of n items, rounding to nearest (ties up). */
uint64_t fs_share_of(const struct fs_share *sh, uint64_t n);

/*
 * Format a duration for people: the largest unit (s, m, h, d) in which it
 * is at least 1, with up to two decimals ("5.77h", "36s", "250ms").
 */
void fs_units_format_duration_human(int64_t us, char *buf, unsigned buf_len);

/* Format a duration as the shortest exact text ("90m" -> "1.5h" style). */
void fs_units_format_duration(int64_t us, char *buf, unsigned buf_len);

#endif
