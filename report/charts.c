/*
 * report/charts.c - inline SVG charts of the run's metric time series.
 *
 * Owns: grouping the sampled count series of one family by one label and
 * drawing them as a line chart inside report.html (no scripts, no external
 * resources), and the metric_samples table of fleet.db.
 * Invariants: lines appear in the order their label value first appears in
 * the registry, so the same run draws the same bytes; numbers are printed
 * with fixed formats.
 * Does not: sample anything (the run does) or read the clock.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "fleetsim/err.h"
#include "fleetsim/mem.h"
#include "fleetsim/metrics.h"
#include "fleetsim/report.h"
#include "fleetsim/run.h"
#include "fleetsim/units.h"

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
chart_build(struct fs_run *run, enum fs_metric f, int label, struct chart *c)
{
    const int64_t *times;
    const struct fs_run_sample *e;
    size_t nt, ne;
    fs_run_samples(run, &times, &nt, &e, &ne);
    memset(c, 0, sizeof(*c));
    c->ntimes = nt;
    c->values =
        fs_xcalloc((CHART_LINES_MAX + 1) * (nt ? nt : 1), sizeof(int64_t));
    const struct fs_metrics *m = fs_run_metrics(run);
    for (size_t i = 0; i < ne; i++) {
        enum fs_metric fam;
        const char *const *values;
        int64_t count;
        fs_metrics_series_info(m, e[i].series, &fam, &values, &count);
        if (fam != f || values[label] == NULL)
            continue; /* series without that label (a pass has no reason) */
        size_t line = chart_line(c, values[label]);
        int64_t *slot = &c->values[line * nt + e[i].sample];
        *slot += e[i].value;
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
        fs_report_html_text(fp, c->names[l]);
        fprintf(fp, " (%" PRId64 ")&nbsp; ",
                c->ntimes ? c->values[l * c->ntimes + c->ntimes - 1] : 0);
    }
    fputs("</p>\n", fp);
}

/* One chart, unless the family never counted anything. */
static void
chart_section(struct fs_run *run, FILE *fp, enum fs_metric f, int label,
              const char *title)
{
    struct chart c;
    chart_build(run, f, label, &c);
    if (c.max > 0) {
        const int64_t *times;
        const struct fs_run_sample *e;
        size_t nt, ne;
        fs_run_samples(run, &times, &nt, &e, &ne);
        fprintf(fp, "<h3>%s</h3>\n", title);
        chart_svg(fp, &c, times);
    }
    fs_free(c.values);
}

int
fs_report_charts(struct fs_run *run, FILE *fp)
{
    fputs("<h2>Over time</h2>\n", fp);
    chart_section(run, fp, FS_M_DEVICES, 2, "Devices by running OS");
    chart_section(run, fp, FS_M_DEVICES, 3, "Devices by apps");
    chart_section(run, fp, FS_M_DEVICES, 4, "Devices by state");
    chart_section(run, fp, FS_M_UPDATES, 1, "Update steps by result");
    chart_section(run, fp, FS_M_ATTESTATIONS, 0, "Attestations by result");
    chart_section(run, fp, FS_M_ATTESTATIONS, 1,
                  "Failed attestations by reason");
    chart_section(run, fp, FS_M_ERROR_REPORTS, 0, "Error reports by kind");
    chart_section(run, fp, FS_M_ATTACKS, 1, "Attacks by outcome");
    chart_section(run, fp, FS_M_TICKETS, 0, "Tickets by reason");
    return ferror(fp) ? FS_EIO : 0;
}

int
fs_report_samples_db(struct fs_run *run, struct sqlite3 *db)
{
    const int64_t *times;
    const struct fs_run_sample *e;
    size_t nt, ne;
    fs_run_samples(run, &times, &nt, &e, &ne);
    int rc = sqlite3_exec(db,
                          "CREATE TABLE metric_samples(t_us INTEGER NOT NULL,"
                          " series INTEGER NOT NULL, value INTEGER NOT NULL,"
                          " PRIMARY KEY(t_us, series));",
                          NULL, NULL, NULL);
    sqlite3_stmt *st = NULL;
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(
            db, "INSERT INTO metric_samples VALUES(?1, ?2, ?3)", -1, &st, NULL);
    for (size_t i = 0; i < ne && rc == SQLITE_OK; i++) {
        sqlite3_bind_int64(st, 1, times[e[i].sample]);
        sqlite3_bind_int64(st, 2, e[i].series);
        sqlite3_bind_int64(st, 3, e[i].value);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0 : FS_EDB;
}
