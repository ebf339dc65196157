/*
 * report/svg.c - one line chart as inline SVG: the drawing every chart of
 * report.html and compare.html goes through.
 *
 * Owns: the chart layout (a viewBox, so it scales to the page width), the
 * time axis in m/h/d with nice ticks and gridlines, nice y ticks, axis
 * titles, event markers (vertical lines), reference lines (50/90/99%),
 * hover values (an SVG <title> on every drawn point), the HTML legend and
 * the panel of its own for series too small to see beside the largest.
 * Invariants: output depends only on the chart given (fixed number
 * formats, no clock), so the same data draws the same bytes; every drawn
 * data point is a <circle class="pt">, which tests/browser-check.sh counts.
 * Does not: read the database or decide what is charted.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report_int.h"

#define W 720
#define H 270
#define PAD_L 62
#define PAD_R 14
#define PAD_T 34
#define PAD_B 44
/* Most hover points drawn per line (evenly spread, the last always). */
#define POINTS_MAX 48
/* A series whose largest value is below 1/SMALL_DIV of the chart's largest
 * gets a panel of its own too. */
#define SMALL_DIV 20

static const char *const palette[FS__REPORT_COLORS] = {
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};

const char *
fs__report_color(unsigned i)
{
    return palette[i % FS__REPORT_COLORS];
}

#define MIN_US INT64_C(60000000)
#define HOUR_US (60 * MIN_US)
#define DAY_US (24 * HOUR_US)

void
fs__report_fmt_time(int64_t t_us, char *buf, size_t len)
{
    int64_t d = t_us / DAY_US, h = t_us % DAY_US / HOUR_US;
    int64_t m = t_us % HOUR_US / MIN_US;
    if (t_us == 0)
        snprintf(buf, len, "0");
    else if (d > 0 && h == 0 && m == 0)
        snprintf(buf, len, "%" PRId64 "d", d);
    else if (d > 0 && m == 0)
        snprintf(buf, len, "%" PRId64 "d%" PRId64 "h", d, h);
    else if (d > 0)
        snprintf(buf, len, "%" PRId64 "d%" PRId64 "h%02" PRId64 "m", d, h, m);
    else if (h > 0 && m == 0)
        snprintf(buf, len, "%" PRId64 "h", h);
    else if (h > 0)
        snprintf(buf, len, "%" PRId64 "h%02" PRId64 "m", h, m);
    else if (m > 0)
        snprintf(buf, len, "%" PRId64 "m", m);
    else
        snprintf(buf, len, "%.1fs", (double)t_us / 1e6);
}

/* A value as a short fixed-format number (thousands as k, M). */
static void
fmt_num(double v, const char *unit, char *buf, size_t len)
{
    double a = fabs(v);
    if (a >= 1e6)
        snprintf(buf, len, "%.3gM%s", v / 1e6, unit);
    else if (a >= 1e4)
        snprintf(buf, len, "%.3gk%s", v / 1e3, unit);
    else if (a == floor(a))
        snprintf(buf, len, "%.0f%s", v, unit);
    else if (a >= 10)
        snprintf(buf, len, "%.1f%s", v, unit);
    else
        snprintf(buf, len, "%.3g%s", v, unit);
}

/* Time tick step: the smallest of a fixed list giving at most 8 ticks. */
static int64_t
time_step(int64_t t_end)
{
    static const int64_t steps[] = {
        MIN_US,      5 * MIN_US,  10 * MIN_US, 15 * MIN_US, 30 * MIN_US,
        HOUR_US,     2 * HOUR_US, 3 * HOUR_US, 6 * HOUR_US, 12 * HOUR_US,
        DAY_US,      2 * DAY_US,  7 * DAY_US,  14 * DAY_US, 28 * DAY_US,
        91 * DAY_US, 365 * DAY_US};
    size_t n = sizeof(steps) / sizeof(steps[0]);
    for (size_t i = 0; i < n; i++)
        if (t_end / steps[i] <= 8)
            return steps[i];
    return steps[n - 1];
}

/* Nice y step (1, 2 or 5 times a power of ten) for at most 5 ticks. */
static double
y_step(double ymax, bool integer)
{
    double raw = ymax / 5, mag = pow(10, floor(log10(raw)));
    double norm = raw / mag;
    double step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
    return integer && step < 1 ? 1 : step;
}

struct frame {
    int64_t t_end;  /* right end of the time axis */
    double ymax;    /* top of the y axis */
    double pw, ph;  /* plot width and height */
    const char *yu; /* unit after y values ("" or "%") */
};

static double
fx(const struct frame *f, int64_t t)
{
    return PAD_L + f->pw * (double)t / (double)f->t_end;
}

static double
fy(const struct frame *f, double v)
{
    double y = PAD_T + f->ph - f->ph * v / f->ymax;
    return y < PAD_T ? PAD_T : y;
}

static void
axes(FILE *fp, const struct fs__report_chart *c, const struct frame *f,
     bool integer)
{
    char b[32];
    int64_t ts = time_step(f->t_end);
    fputs("<g class=\"grid\" stroke=\"#e4e4e4\">\n", fp);
    for (int64_t t = 0; t <= f->t_end; t += ts)
        fprintf(fp, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                fx(f, t), PAD_T, fx(f, t), PAD_T + f->ph);
    double ys = y_step(f->ymax, integer);
    for (double v = ys; v <= f->ymax * 1.0001; v += ys)
        fprintf(fp, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                PAD_L, fy(f, v), PAD_L + f->pw, fy(f, v));
    fputs("</g>\n<g class=\"ticks\" fill=\"#444\">\n", fp);
    for (int64_t t = 0; t <= f->t_end; t += ts) {
        fs__report_fmt_time(t, b, sizeof(b));
        fprintf(fp,
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s"
                "</text>\n",
                fx(f, t), PAD_T + f->ph + 14, b);
    }
    for (double v = 0; v <= f->ymax * 1.0001; v += ys) {
        fmt_num(v, f->yu, b, sizeof(b));
        fprintf(fp, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                PAD_L - 5, fy(f, v) + 4, b);
    }
    fprintf(fp,
            "</g>\n<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" "
            "fill=\"none\" stroke=\"#888\"/>\n"
            "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">"
            "time since start of run</text>\n"
            "<text transform=\"translate(14 %.1f) rotate(-90)\" "
            "text-anchor=\"middle\">",
            PAD_L, PAD_T, f->pw, f->ph, PAD_L + f->pw / 2, H - 6,
            PAD_T + f->ph / 2);
    fs__report_html_text(fp, c->y_title);
    fputs("</text>\n", fp);
}

static void
marks(FILE *fp, const struct fs__report_chart *c, const struct frame *f)
{
    char b[32];
    for (size_t i = 0; i < c->nmarks; i++) {
        const struct fs__report_mark *m = &c->marks[i];
        if (m->t_us < 0 || m->t_us > f->t_end)
            continue;
        double x = fx(f, m->t_us);
        fs__report_fmt_time(m->t_us, b, sizeof(b));
        fputs("<g class=\"mark\"><title>", fp);
        fs__report_html_text(fp, m->label);
        fprintf(fp,
                " at %s</title>"
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" "
                "stroke=\"%s\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>"
                "<text x=\"%.1f\" y=\"%zu\" fill=\"%s\" font-size=\"10\">",
                b, x, PAD_T - 2, x, PAD_T + f->ph, m->color, x + 2,
                (size_t)PAD_T - 22 + (i % 3) * 9, m->color);
        fs__report_html_text(fp, m->short_label);
        fputs("</text></g>\n", fp);
    }
    for (size_t i = 0; i < c->nhlines; i++) {
        double y = fy(f, c->hlines[i]);
        fprintf(fp,
                "<g class=\"ref\"><line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" "
                "y2=\"%.1f\" stroke=\"#999\" stroke-dasharray=\"2 3\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" "
                "fill=\"#666\" font-size=\"10\">%s</text></g>\n",
                PAD_L, y, PAD_L + f->pw, y, PAD_L + f->pw - 3, y - 2,
                c->hline_labels[i]);
    }
}

static void
line(FILE *fp, const struct fs__report_chart *c, const struct frame *f,
     const struct fs__report_line *l)
{
    char tv[32], tt[32];
    const char *col = fs__report_color(l->color);
    fprintf(fp,
            "<polyline fill=\"none\" stroke-width=\"1.8\" stroke=\"%s\"%s "
            "points=\"",
            col, l->dashed ? " stroke-dasharray=\"6 3\"" : "");
    for (size_t i = 0; i < l->n; i++)
        fprintf(fp, "%s%.1f,%.1f", i ? " " : "", fx(f, l->t_us[i]),
                fy(f, l->v[i]));
    fputs("\"/>\n", fp);
    size_t step = l->n > POINTS_MAX ? (l->n + POINTS_MAX - 1) / POINTS_MAX : 1;
    for (size_t i = 0; i < l->n; i++) {
        if (i % step != 0 && i != l->n - 1)
            continue;
        fmt_num(l->v[i], c->y_unit, tv, sizeof(tv));
        fs__report_fmt_time(l->t_us[i], tt, sizeof(tt));
        fprintf(fp,
                "<circle class=\"pt\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.6\" "
                "fill=\"%s\"><title>",
                fx(f, l->t_us[i]), fy(f, l->v[i]), col);
        fs__report_html_text(fp, l->name);
        fprintf(fp, ": %s at %s</title></circle>\n", tv, tt);
    }
}

static double
line_max(const struct fs__report_line *l)
{
    double m = 0;
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i] > m)
            m = l->v[i];
    return m;
}

static void
panel(FILE *fp, const struct fs__report_chart *c, const char *title,
      const struct fs__report_line *const *ls, size_t n, bool with_marks)
{
    struct frame f = {c->t_end_us > 0 ? c->t_end_us : 1, c->y_max, 0, 0,
                      c->y_unit};
    f.pw = W - PAD_L - PAD_R;
    f.ph = H - PAD_T - PAD_B;
    if (!with_marks || f.ymax <= 0) {
        f.ymax = 0;
        for (size_t i = 0; i < n; i++)
            if (line_max(ls[i]) > f.ymax)
                f.ymax = line_max(ls[i]);
        if (with_marks)
            for (size_t i = 0; i < c->nhlines; i++)
                if (c->hlines[i] > f.ymax)
                    f.ymax = c->hlines[i];
    }
    bool integer = c->y_unit[0] == '\0' && !c->fractional;
    if (f.ymax <= 0)
        f.ymax = 1;
    double ys = y_step(f.ymax, integer);
    f.ymax = ceil(f.ymax / ys - 1e-9) * ys;
    fputs("<figure class=\"chart\"><figcaption>", fp);
    fs__report_html_text(fp, title);
    fprintf(fp,
            "</figcaption>\n<svg class=\"chart\" viewBox=\"0 0 %d %d\" "
            "role=\"img\" "
            "font-size=\"11\" font-family=\"sans-serif\">\n<title>",
            W, H);
    fs__report_html_text(fp, title);
    fputs("</title>\n", fp);
    axes(fp, c, &f, integer);
    if (with_marks)
        marks(fp, c, &f);
    for (size_t i = 0; i < n; i++)
        line(fp, c, &f, ls[i]);
    fputs("</svg>\n<p class=\"legend\">", fp);
    char b[32];
    for (size_t i = 0; i < n; i++) {
        const struct fs__report_line *l = ls[i];
        fprintf(fp, "<span class=\"key\"><span style=\"color:%s\">%s</span> ",
                fs__report_color(l->color), l->dashed ? "&#9476;" : "&#9632;");
        fs__report_html_text(fp, l->name);
        fmt_num(l->n ? l->v[l->n - 1] : 0, c->y_unit, b, sizeof(b));
        fprintf(fp, " (%s)</span> ", b);
    }
    if (with_marks && c->nmarks > 0)
        fputs("<span class=\"key\">dashed verticals: events (hover for "
              "what and when)</span>",
              fp);
    fputs("</p></figure>\n", fp);
}

void
fs__report_chart(FILE *fp, const struct fs__report_chart *c)
{
    const struct fs__report_line *all[FS__REPORT_LINES_MAX] = {0};
    const struct fs__report_line *small[FS__REPORT_LINES_MAX];
    size_t n = 0, ns = 0;
    double top = 0;
    for (size_t i = 0; i < c->nlines && n < FS__REPORT_LINES_MAX; i++) {
        all[n++] = &c->lines[i];
        if (line_max(&c->lines[i]) > top)
            top = line_max(&c->lines[i]);
    }
    for (size_t i = 0; i < n; i++) {
        double m = line_max(all[i]);
        if (m > 0 && m * SMALL_DIV < top)
            small[ns++] = all[i];
    }
    panel(fp, c, c->title, all, n, true);
    if (ns > 0 && ns < n) {
        char t[200];
        snprintf(t, sizeof(t), "%s: the small series on a scale of their own",
                 c->title);
        panel(fp, c, t, small, ns, false);
    }
}
