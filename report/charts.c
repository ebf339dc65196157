/*
 * report/charts.c - inline SVG charts of the run's metric time series.
 *
 * Owns: reading the metric_samples table of fleet.db back, grouping the
 * sampled count series of one family by one label (optionally of one
 * image) and handing them to the chart drawing (svg.c), as counts or as a
 * rate per hour (error reports per image).
 * Invariants: samples are read ORDER BY t_us, series, the order the run
 * took them, and lines appear in the order their label value first appears
 * there, so the same database draws the same bytes; numbers are printed
 * with fixed formats.
 * Does not: sample anything (the run does), write the database, or read
 * the clock.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "fleetsim/err.h"
#include "fleetsim/mem.h"
#include "fleetsim/metrics.h"
#include "fleetsim/units.h"
#include "report_int.h"

/* Most lines one chart draws; further label values are summed as "other". */
#define CHART_LINES_MAX 8

/* One sampled value: which sample (index into the times), which series. */
struct sample {
    uint32_t sample; /* index into samples.times */
    uint32_t series; /* index into fs__report_db.series */
    int64_t value;   /* its count then */
};

/* The metric_samples table in memory. */
struct samples {
    int64_t *times;   /* distinct sample times, ascending */
    size_t ntimes;    /* their count */
    struct sample *e; /* every row, in (time, series) order */
    size_t ne;        /* their count */
};

struct chart {
    size_t nlines;                          /* lines drawn */
    const char *names[CHART_LINES_MAX + 1]; /* label value per line */
    int64_t *values;                        /* nlines x ntimes */
    size_t ntimes;                          /* samples */
    int64_t max;                            /* largest value */
};

/* Which series of a family a chart sums. */
struct pick {
    enum fs_metric f; /* family */
    int label;        /* the label whose values are the lines */
    int only;         /* a label that must equal only_value; -1 none */
    const char *only_value;
};

/* Line index for label value v, adding it (or "other") when new. */
static size_t
chart_line(struct chart *c, const char *v)
{
    const char *name = v;
    for (size_t i = 0; i < c->nlines; i++)
        if (strcmp(c->names[i], name) == 0)
            return i;
    if (c->nlines == CHART_LINES_MAX) {
        c->names[CHART_LINES_MAX] = "other";
        return CHART_LINES_MAX;
    }
    c->names[c->nlines] = name;
    return c->nlines++;
}

static void
chart_build(const struct fs__report_db *rd, const struct samples *sm,
            const struct pick *pk, struct chart *c)
{
    size_t nt = sm->ntimes;
    memset(c, 0, sizeof(*c));
    c->ntimes = nt;
    c->values =
        fs_xcalloc((CHART_LINES_MAX + 1) * (nt ? nt : 1), sizeof(int64_t));
    for (size_t i = 0; i < sm->ne; i++) {
        const struct fs__report_series *sr = &rd->series[sm->e[i].series];
        if (sr->family != pk->f || sr->values[pk->label] == NULL)
            continue; /* series without that label (a pass has no reason) */
        if (pk->only >= 0 && (sr->values[pk->only] == NULL ||
                              strcmp(sr->values[pk->only], pk->only_value)))
            continue;
        size_t line = chart_line(c, sr->values[pk->label]);
        int64_t *slot = &c->values[line * nt + sm->e[i].sample];
        *slot += sm->e[i].value;
    }
    if (c->names[CHART_LINES_MAX] != NULL)
        c->nlines = CHART_LINES_MAX + 1;
    for (size_t i = 0; i < c->nlines * nt; i++)
        if (c->values[i] > c->max)
            c->max = c->values[i];
}

/* Buckets a rate chart averages over (about; whole sample intervals). */
#define RATE_BUCKETS 48

/*
 * Draw c: the counts as they are, or (rate_per_h) each line's increase per
 * hour of simulated time over about RATE_BUCKETS equal intervals, drawn at
 * each interval's end.
 */
static void
chart_draw(FILE *fp, const struct chart *c, const int64_t *times,
           const char *title, const char *y_title, bool rate_per_h)
{
    size_t nt = c->ntimes;
    size_t step = rate_per_h && nt > RATE_BUCKETS
                      ? (nt + RATE_BUCKETS - 1) / RATE_BUCKETS
                      : 1;
    size_t np = 0;
    int64_t *t = fs_xcalloc(nt + 1, sizeof(int64_t));
    for (size_t i = 0; i < nt; i += step)
        t[np++] = times[i];
    if (np > 0 && t[np - 1] != times[nt - 1])
        t[np++] = times[nt - 1];
    double *v = fs_xcalloc(c->nlines * np + 1, sizeof(double));
    struct fs__report_line lines[CHART_LINES_MAX + 1];
    for (size_t l = 0; l < c->nlines; l++) {
        const int64_t *cv = &c->values[l * nt];
        for (size_t i = 0, j = 0; i < nt && j < np; i++) {
            if (times[i] != t[j])
                continue;
            double x = (double)cv[i];
            if (rate_per_h) {
                size_t from = i >= step ? i - step : 0;
                int64_t dt = times[i] - times[from];
                x = dt > 0 ? (double)(cv[i] - cv[from]) * 3600e6 / (double)dt
                           : 0;
            }
            v[l * np + j++] = x;
        }
        lines[l] = (struct fs__report_line){c->names[l], t,    &v[l * np], np,
                                            (unsigned)l, false};
    }
    struct fs__report_chart ch = {
        title, y_title, "",        rate_per_h, np ? t[np - 1] : 1,
        0,     lines,   c->nlines, NULL,       0,
        NULL,  NULL,    0};
    fs__report_chart(fp, &ch);
    fs_free(v);
    fs_free(t);
}

/* One chart, unless the family never counted anything. */
static void
chart_section(const struct fs__report_db *rd, const struct samples *sm,
              FILE *fp, const struct pick *pk, const char *title,
              const char *y_title, bool rate_per_h)
{
    struct chart c;
    chart_build(rd, sm, pk, &c);
    if (c.max > 0)
        chart_draw(fp, &c, sm->times, title, y_title, rate_per_h);
    fs_free(c.values);
}

static void
simple(const struct fs__report_db *rd, const struct samples *sm, FILE *fp,
       enum fs_metric f, int label, const char *title, const char *y_title)
{
    struct pick pk = {f, label, -1, NULL};
    chart_section(rd, sm, fp, &pk, title, y_title, false);
}

/* Update steps by result, one chart per image (in metrics order). */
static void
updates_by_image(const struct fs__report_db *rd, const struct samples *sm,
                 FILE *fp)
{
    const char *seen[32];
    size_t n = 0;
    for (size_t i = 0; i < rd->nseries && n < 32; i++) {
        const struct fs__report_series *s = &rd->series[i];
        if (s->family != FS_M_UPDATES || s->values[0] == NULL)
            continue;
        size_t k = 0;
        while (k < n && strcmp(seen[k], s->values[0]) != 0)
            k++;
        if (k < n)
            continue;
        seen[n++] = s->values[0];
        char title[200];
        snprintf(title, sizeof(title), "Update steps of %s by result",
                 s->values[0]);
        struct pick pk = {FS_M_UPDATES, 1, 0, s->values[0]};
        chart_section(rd, sm, fp, &pk, title, "devices (cumulative)", false);
    }
}

/* Read metric_samples into sm; every series must be a metrics row. */
static int
samples_load(struct fs__report_db *rd, struct samples *sm, struct fs_diag *diag)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(rd->db,
                           "SELECT t_us, series, value FROM metric_samples"
                           " ORDER BY t_us, series",
                           -1, &st, NULL) != SQLITE_OK)
        return fs__report_db_fail(rd, diag);
    size_t cap_t = 0, cap_e = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t t = sqlite3_column_int64(st, 0);
        int64_t series = sqlite3_column_int64(st, 1);
        if (series < 0 || (uint64_t)series >= rd->nseries) {
            sqlite3_finalize(st);
            return fs_diag_set(diag, FS_EDB, rd->path, 0, 0,
                               "not a fleet database: metric_samples names "
                               "series %" PRId64 ", not in metrics",
                               series);
        }
        if (sm->ntimes == 0 || sm->times[sm->ntimes - 1] != t) {
            if (sm->ntimes == cap_t) {
                cap_t = cap_t ? cap_t * 2 : 256;
                sm->times = fs_xrealloc(sm->times, cap_t * sizeof(int64_t));
            }
            sm->times[sm->ntimes++] = t;
        }
        if (sm->ne == cap_e) {
            cap_e = cap_e ? cap_e * 2 : 1024;
            sm->e = fs_xrealloc(sm->e, cap_e * sizeof(*sm->e));
        }
        sm->e[sm->ne++] =
            (struct sample){(uint32_t)(sm->ntimes - 1), (uint32_t)series,
                            sqlite3_column_int64(st, 2)};
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : fs__report_db_fail(rd, diag);
}

int
fs__report_charts(struct fs__report_db *rd, FILE *fp, struct fs_diag *diag)
{
    struct samples sm = {0};
    int err = samples_load(rd, &sm, diag);
    if (err == 0 && sm.ntimes > 0) {
        fputs("<h2>Over time</h2>\n<p class=\"note\">Sampled metric series "
              "(metric_samples). Hover a point for its value and time; a "
              "series too small to see beside the largest is drawn again "
              "below on a scale of its own.</p>\n",
              fp);
        simple(rd, &sm, fp, FS_M_DEVICES, 2, "Devices by running OS",
               "devices");
        simple(rd, &sm, fp, FS_M_DEVICES, 3, "Devices by apps", "devices");
        simple(rd, &sm, fp, FS_M_DEVICES, 4, "Devices by state", "devices");
        updates_by_image(rd, &sm, fp);
        struct pick rate = {FS_M_ERROR_REPORTS, 1, -1, NULL};
        chart_section(rd, &sm, fp, &rate, "Error reports per hour by image",
                      "reports per hour", true);
        simple(rd, &sm, fp, FS_M_ERROR_REPORTS, 0, "Error reports by kind",
               "reports (cumulative)");
        simple(rd, &sm, fp, FS_M_ATTESTATIONS, 0, "Attestations by result",
               "attestations (cumulative)");
        simple(rd, &sm, fp, FS_M_ATTESTATIONS, 1,
               "Failed attestations by reason", "failures (cumulative)");
        struct pick atk = {FS_M_ATTACKS, 0, 1, "attempted"};
        chart_section(rd, &sm, fp, &atk, "Attacks attempted by kind",
                      "attempts (cumulative)", false);
        simple(rd, &sm, fp, FS_M_ATTACKS, 1, "Attacks by outcome",
               "attack steps (cumulative)");
        simple(rd, &sm, fp, FS_M_TICKETS, 0, "Tickets by reason",
               "tickets (cumulative)");
    }
    fs_free(sm.times);
    fs_free(sm.e);
    return err;
}
