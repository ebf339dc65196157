/*
 * report/charts.c - inline SVG charts of the run's metric time series.
 *
 * Owns: reading the metric_samples table of fleet.db back, grouping the
 * sampled count series of one family by one label and drawing them as a
 * line chart inside report.html (no scripts, no external resources).
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
#define CHART_W 640
#define CHART_H 220
#define PAD_L 64
#define PAD_B 28
#define PAD_T 12
#define PAD_R 12

static const char *const palette[CHART_LINES_MAX + 1] = {
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#17becf", "#7f7f7f"};

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
            enum fs_metric f, int label, struct chart *c)
{
    size_t nt = sm->ntimes;
    memset(c, 0, sizeof(*c));
    c->ntimes = nt;
    c->values =
        fs_xcalloc((CHART_LINES_MAX + 1) * (nt ? nt : 1), sizeof(int64_t));
    for (size_t i = 0; i < sm->ne; i++) {
        const struct fs__report_series *sr = &rd->series[sm->e[i].series];
        if (sr->family != f || sr->values[label] == NULL)
            continue; /* series without that label (a pass has no reason) */
        size_t line = chart_line(c, sr->values[label]);
        int64_t *slot = &c->values[line * nt + sm->e[i].sample];
        *slot += sm->e[i].value;
    }
    if (c->names[CHART_LINES_MAX] != NULL)
        c->nlines = CHART_LINES_MAX + 1;
    for (size_t i = 0; i < c->nlines * nt; i++)
        if (c->values[i] > c->max)
            c->max = c->values[i];
}

static void
chart_svg(FILE *fp, const struct chart *c, const int64_t *times)
{
    int64_t t_end = c->ntimes ? times[c->ntimes - 1] : 1;
    if (t_end <= 0)
        t_end = 1;
    double pw = CHART_W - PAD_L - PAD_R, ph = CHART_H - PAD_T - PAD_B;
    char t0[32], t1[32];
    fs_units_format_duration(0, t0, sizeof(t0));
    fs_units_format_duration(t_end, t1, sizeof(t1));
    fprintf(fp,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
            "height=\"%d\" font-size=\"11\" font-family=\"sans-serif\">\n"
            "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" "
            "fill=\"none\" stroke=\"#999\"/>\n"
            "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%" PRId64 "</text>\n"
            "<text x=\"%d\" y=\"%.0f\" text-anchor=\"end\">0</text>\n"
            "<text x=\"%d\" y=\"%d\">%s</text>\n"
            "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n",
            CHART_W, CHART_H, PAD_L, PAD_T, pw, ph, PAD_L - 4, PAD_T + 10,
            c->max, PAD_L - 4, PAD_T + ph, PAD_L, CHART_H - 8, t0,
            CHART_W - PAD_R, CHART_H - 8, t1);
    for (size_t l = 0; l < c->nlines; l++) {
        fprintf(fp,
                "<polyline fill=\"none\" stroke-width=\"1.5\" "
                "stroke=\"%s\" points=\"",
                palette[l]);
        for (size_t i = 0; i < c->ntimes; i++) {
            double x = PAD_L + pw * (double)times[i] / (double)t_end;
            double v = (double)c->values[l * c->ntimes + i];
            double y = PAD_T + ph - (c->max > 0 ? ph * v / (double)c->max : 0);
            fprintf(fp, "%s%.1f,%.1f", i ? " " : "", x, y);
        }
        fputs("\"/>\n", fp);
    }
    fputs("</svg>\n<p class=\"legend\">", fp);
    for (size_t l = 0; l < c->nlines; l++) {
        fprintf(fp, "<span style=\"color:%s\">&#9632;</span> ", palette[l]);
        fs__report_html_text(fp, c->names[l]);
        fprintf(fp, " (%" PRId64 ")&nbsp; ",
                c->ntimes ? c->values[l * c->ntimes + c->ntimes - 1] : 0);
    }
    fputs("</p>\n", fp);
}

/* One chart, unless the family never counted anything. */
static void
chart_section(const struct fs__report_db *rd, const struct samples *sm,
              FILE *fp, enum fs_metric f, int label, const char *title)
{
    struct chart c;
    chart_build(rd, sm, f, label, &c);
    if (c.max > 0) {
        fprintf(fp, "<h3>%s</h3>\n", title);
        chart_svg(fp, &c, sm->times);
    }
    fs_free(c.values);
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
    if (err == 0) {
        fputs("<h2>Over time</h2>\n", fp);
        chart_section(rd, &sm, fp, FS_M_DEVICES, 2, "Devices by running OS");
        chart_section(rd, &sm, fp, FS_M_DEVICES, 3, "Devices by apps");
        chart_section(rd, &sm, fp, FS_M_DEVICES, 4, "Devices by state");
        chart_section(rd, &sm, fp, FS_M_UPDATES, 1, "Update steps by result");
        chart_section(rd, &sm, fp, FS_M_ATTESTATIONS, 0,
                      "Attestations by result");
        chart_section(rd, &sm, fp, FS_M_ATTESTATIONS, 1,
                      "Failed attestations by reason");
        chart_section(rd, &sm, fp, FS_M_ERROR_REPORTS, 0,
                      "Error reports by kind");
        chart_section(rd, &sm, fp, FS_M_ATTACKS, 1, "Attacks by outcome");
        chart_section(rd, &sm, fp, FS_M_TICKETS, 0, "Tickets by reason");
    }
    fs_free(sm.times);
    fs_free(sm.e);
    return err;
}
