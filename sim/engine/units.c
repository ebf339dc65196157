/*
 * sim/engine/units.c - the scenario format's units: durations, sizes,
 * bandwidths, rates and shares.
 *
 * Owns: converting unit text to integers (or a double for rates) and back
 * for durations.
 * Invariants: integer results are exact (decimals are scaled with integer
 * arithmetic and rounded to nearest, ties up); nothing overflows silently,
 * a value too large for its type is an error; a missing or unknown unit is
 * an error, except that a bare 0 is accepted wherever a unit is expected.
 * Does not: know YAML or file positions, allocate, or keep state.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fleetsim/err.h"
#include "fleetsim/units.h"

/* Most decimal places accepted after the point. */
#define FRAC_DIGITS_MAX 9
#define FRAC_SCALE 1000000000ull

/* A parsed unsigned decimal number: ip + frac / 10^9. */
struct decimal {
    uint64_t ip;      /* integer part */
    uint64_t frac;    /* fraction scaled to 10^9 */
    bool has_point;   /* a decimal point was written */
    const char *rest; /* first character after the number */
};

struct unit {
    const char *name; /* as written after the number */
    uint64_t mult;    /* value of one unit in the base unit */
};

static const struct unit duration_units[] = {
    {"us", 1},
    {"ms", 1000},
    {"s", 1000000},
    {"m", 60000000},
    {"h", 3600000000ull},
    {"d", 86400000000ull},
    {"w", 604800000000ull},
};

static const struct unit size_units[] = {
    {"B", 1},
    {"KB", 1000},
    {"MB", 1000000},
    {"GB", 1000000000},
    {"KiB", 1024},
    {"MiB", 1024 * 1024},
    {"GiB", 1024 * 1024 * 1024},
};

static const struct unit bandwidth_units[] = {
    {"bps", 1},
    {"kbps", 1000},
    {"Mbps", 1000000},
    {"Gbps", 1000000000},
};

static void
set_why(const char **why, const char *text)
{
    if (why != NULL)
        *why = text;
}

/*
 * Parse digits[.digits] at s. Returns 0, or FS_EINVAL with *why set when
 * there is no number, it is negative, it overflows or has too many decimals.
 */
static int
parse_decimal(const char *s, struct decimal *d, const char **why)
{
    memset(d, 0, sizeof(*d));
    if (*s == '-') {
        set_why(why, "a negative value is not allowed here");
        return FS_EINVAL;
    }
    if (*s == '+')
        s++;
    if (*s < '0' || *s > '9') {
        set_why(why, "expected a number");
        return FS_EINVAL;
    }
    for (; *s >= '0' && *s <= '9'; s++) {
        uint64_t digit = (uint64_t)(*s - '0');
        if (d->ip > (UINT64_MAX - digit) / 10) {
            set_why(why, "number too large");
            return FS_EINVAL;
        }
        d->ip = d->ip * 10 + digit;
    }
    if (*s == '.') {
        d->has_point = true;
        s++;
        if (*s < '0' || *s > '9') {
            set_why(why, "expected digits after the decimal point");
            return FS_EINVAL;
        }
        uint64_t scale = FRAC_SCALE;
        for (int n = 0; *s >= '0' && *s <= '9'; s++, n++) {
            if (n >= FRAC_DIGITS_MAX) {
                set_why(why, "too many decimal places (at most 9)");
                return FS_EINVAL;
            }
            scale /= 10;
            d->frac += (uint64_t)(*s - '0') * scale;
        }
    }
    d->rest = s;
    return 0;
}

/*
 * d * mult rounded to nearest (ties up), or FS_EINVAL when it does not fit
 * in max. The fraction part is split so no product overflows: frac < 10^9
 * and mult = a * 10^9 + b with b < 10^9.
 */
static int
scale_decimal(const struct decimal *d, uint64_t mult, uint64_t max,
              uint64_t *out)
{
    if (mult != 0 && d->ip > max / mult)
        return FS_EINVAL;
    uint64_t whole = d->ip * mult;
    uint64_t a = mult / FRAC_SCALE;
    uint64_t b = mult % FRAC_SCALE;
    uint64_t part = d->frac * a + (d->frac * b + FRAC_SCALE / 2) / FRAC_SCALE;
    if (part > max - whole)
        return FS_EINVAL;
    *out = whole + part;
    return 0;
}

static const struct unit *
find_unit(const struct unit *units, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(units[i].name, name) == 0)
            return &units[i];
    return NULL;
}

/* A bare "0" (any number of zeros, no decimals) needs no unit. */
static bool
is_bare_zero(const struct decimal *d)
{
    return d->ip == 0 && d->frac == 0 && *d->rest == '\0';
}

static int
parse_with_units(const char *s, const struct unit *units, size_t nunits,
                 uint64_t max, uint64_t *out, const char **why,
                 const char *why_missing, const char *why_unknown)
{
    struct decimal d;
    int err = parse_decimal(s, &d, why);
    if (err != 0)
        return err;
    if (is_bare_zero(&d)) {
        *out = 0;
        return 0;
    }
    if (*d.rest == '\0') {
        set_why(why, why_missing);
        return FS_EINVAL;
    }
    const struct unit *u = find_unit(units, nunits, d.rest);
    if (u == NULL) {
        set_why(why, why_unknown);
        return FS_EINVAL;
    }
    if (scale_decimal(&d, u->mult, max, out) != 0) {
        set_why(why, "value too large");
        return FS_EINVAL;
    }
    return 0;
}

/*
 * Parse a duration ("250ms", "1.5h", "14d") into microseconds.
 * Returns 0 or FS_EINVAL with *why set.
 */
int
fs_units_duration(const char *s, int64_t *out_us, const char **why)
{
    uint64_t v;
    int err = parse_with_units(
        s, duration_units, sizeof(duration_units) / sizeof(duration_units[0]),
        (uint64_t)FS_UNITS_DURATION_MAX_US, &v, why,
        "missing unit; expected a duration such as 250ms, 1.5h or 14d "
        "(units us, ms, s, m, h, d, w)",
        "unknown unit; expected a duration unit: us, ms, s, m, h, d or w");
    if (err == 0)
        *out_us = (int64_t)v;
    else if (why != NULL && strcmp(*why, "value too large") == 0)
        set_why(why, "duration too long; at most 100 years (36500d)");
    return err;
}

/* a + b for times and durations, saturated to [INT64_MIN, INT64_MAX]. */
int64_t
fs_units_time_add_us(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    if (b < 0 && a < INT64_MIN - b)
        return INT64_MIN;
    return a + b;
}

/*
 * Parse a size ("4MiB", "300KiB", "2GB") into bytes.
 * Returns 0 or FS_EINVAL with *why set.
 */
int
fs_units_size(const char *s, uint64_t *out_bytes, const char **why)
{
    return parse_with_units(
        s, size_units, sizeof(size_units) / sizeof(size_units[0]), INT64_MAX,
        out_bytes, why,
        "missing unit; expected a size such as 4MiB or 300KiB "
        "(units B, KB, MB, GB, KiB, MiB, GiB)",
        "unknown unit; expected a size unit: B, KB, MB, GB, KiB, MiB or GiB");
}

/*
 * Parse a bandwidth ("2Mbps") into bits per second.
 * Returns 0 or FS_EINVAL with *why set.
 */
int
fs_units_bandwidth(const char *s, uint64_t *out_bps, const char **why)
{
    return parse_with_units(
        s, bandwidth_units,
        sizeof(bandwidth_units) / sizeof(bandwidth_units[0]), INT64_MAX,
        out_bps, why,
        "missing unit; expected a bandwidth such as 2Mbps "
        "(units bps, kbps, Mbps, Gbps)",
        "unknown unit; expected a bandwidth unit: bps, kbps, Mbps or Gbps");
}

/*
 * Parse a rate ("0.002/h", "4/d", "50000/s") into mean events per
 * microsecond. A bare 0 is accepted (unit 'h'). Returns 0 or FS_EINVAL.
 */
int
fs_units_rate(const char *s, struct fs_rate *out, const char **why)
{
    struct decimal d;
    int err = parse_decimal(s, &d, why);
    if (err != 0)
        return err;
    if (is_bare_zero(&d)) {
        out->per_us = 0.0;
        out->unit = 'h';
        return 0;
    }
    if (*d.rest == '\0') {
        set_why(why, "missing unit; expected a rate such as 0.002/h, 4/d "
                     "or 50000/s");
        return FS_EINVAL;
    }
    double per;
    if (strcmp(d.rest, "/h") == 0)
        per = 3600e6;
    else if (strcmp(d.rest, "/d") == 0)
        per = 86400e6;
    else if (strcmp(d.rest, "/s") == 0)
        per = 1e6;
    else {
        set_why(why, "unknown unit; expected a rate unit: /h, /d or /s");
        return FS_EINVAL;
    }
    double v = (double)d.ip + (double)d.frac / (double)FRAC_SCALE;
    if (v > FS_UNITS_RATE_MAX) {
        set_why(why, "rate too high; at most 1000000000 per unit");
        return FS_EINVAL;
    }
    out->per_us = v / per;
    out->unit = d.rest[1];
    return 0;
}

/*
 * Parse a share: "10%" (up to 100%, kept in parts per million) or a plain
 * whole count "250". Returns 0 or FS_EINVAL with *why set.
 */
int
fs_units_share(const char *s, struct fs_share *out, const char **why)
{
    struct decimal d;
    int err = parse_decimal(s, &d, why);
    if (err != 0)
        return err;
    memset(out, 0, sizeof(*out));
    if (*d.rest == '\0') {
        if (d.has_point) {
            set_why(why, "a count must be a whole number; write a "
                         "percentage such as 0.5% for a fraction");
            return FS_EINVAL;
        }
        out->count = d.ip;
        return 0;
    }
    if (strcmp(d.rest, "%") != 0) {
        set_why(why, "expected a percentage such as 10% or a plain count");
        return FS_EINVAL;
    }
    uint64_t ppm;
    if (d.ip > 100 || scale_decimal(&d, 10000, UINT32_MAX, &ppm) != 0 ||
        ppm > 1000000) {
        set_why(why, "a share cannot exceed 100%");
        return FS_EINVAL;
    }
    out->is_percent = true;
    out->ppm = (uint32_t)ppm;
    return 0;
}

/*
 * The share of n items sh stands for: a percentage rounded to nearest
 * (ties up), or the count capped at n.
 */
uint64_t
fs_share_of(const struct fs_share *sh, uint64_t n)
{
    if (!sh->is_percent)
        return sh->count < n ? sh->count : n;
    /* n * ppm may overflow for huge n: split n. */
    uint64_t q = n / 1000000;
    uint64_t r = n % 1000000;
    return q * sh->ppm + (r * sh->ppm + 500000) / 1000000;
}

/* Write v / unit with k decimals (trailing zeros trimmed) into buf. */
static void
format_in_unit(uint64_t v, const struct unit *u, char *buf, size_t len)
{
    uint64_t whole = v / u->mult;
    uint64_t rem = v % u->mult;
    if (rem == 0) {
        snprintf(buf, len, "%llu%s", (unsigned long long)whole, u->name);
        return;
    }
    uint64_t frac = rem * 1000 / u->mult; /* exact: checked by caller */
    char digits[24];
    snprintf(digits, sizeof(digits), "%03llu",
             (unsigned long long)(frac % 1000));
    for (int i = 2; i > 0 && digits[i] == '0'; i--)
        digits[i] = '\0';
    snprintf(buf, len, "%llu.%s%s", (unsigned long long)whole, digits, u->name);
}

/*
 * Format us in the largest unit that expresses it exactly with at most
 * three decimals ("5400000000" -> "1.5h", "90000000" -> "1.5m",
 * "864000000000" -> "10d"), so fs_units_duration reads it back unchanged.
 */
void
fs_units_format_duration(int64_t us, char *buf, unsigned buf_len)
{
    if (buf_len == 0)
        return;
    if (us == 0) {
        snprintf(buf, buf_len, "0s");
        return;
    }
    const char *sign = us < 0 ? "-" : "";
    uint64_t v = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;
    size_t n = sizeof(duration_units) / sizeof(duration_units[0]);
    size_t i = n;
    while (--i > 0) {
        const struct unit *u = &duration_units[i];
        if (v >= u->mult && (v % u->mult) * 1000 % u->mult == 0)
            break;
    }
    char text[48];
    format_in_unit(v, &duration_units[i], text, sizeof(text));
    snprintf(buf, buf_len, "%s%s", sign, text);
}

void
fs_units_format_duration_human(int64_t us, char *buf, unsigned buf_len)
{
    static const struct {
        const char *name; /* unit suffix */
        double us;        /* microseconds per unit */
    } units[] = {
        {"d", 86400e6}, {"h", 3600e6}, {"m", 60e6}, {"s", 1e6}, {"ms", 1e3}};
    if (buf_len == 0)
        return;
    char text[64];
    double v = (double)us;
    double mag = v < 0 ? -v : v;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (mag >= units[i].us) {
            snprintf(text, sizeof(text), "%.2f", v / units[i].us);
            /* Drop trailing zeros of the fixed two decimals. */
            char *p = text + strlen(text) - 1;
            while (*p == '0')
                *p-- = '\0';
            if (*p == '.')
                *p = '\0';
            snprintf(buf, buf_len, "%s%s", text, units[i].name);
            return;
        }
    }
    if (us == 0)
        snprintf(buf, buf_len, "0s");
    else
        snprintf(buf, buf_len, "%" PRId64 "us", us);
}
