/*
 * report/html.c - the self-contained HTML report of a run.
 *
 * Owns: report.html: summary, expectation results, every metric series.
 * Invariants: no external resources (opens offline); no wall-clock figures,
 * so the same scenario and seed give the same bytes.
 * Does not: compute anything the run did not record.
 */
#include <inttypes.h>
#include <stdio.h>

#include "fleetsim/err.h"
#include "fleetsim/metrics.h"
#include "fleetsim/report.h"
#include "fleetsim/run.h"
#include "fleetsim/scn.h"
#include "fleetsim/units.h"

static const char css[] =
    "body{font-family:system-ui,sans-serif;margin:2em;max-width:70em;"
    "color:#222}table{border-collapse:collapse;margin:1em 0}"
    "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}"
    "th{background:#f4f4f4}.held{color:#070}.failed{color:#b00;"
    "font-weight:bold}.nr{color:#a60}code{font-size:95%}"
    "svg{background:#fff}.legend{font-size:90%;margin-top:0}";

static void
metric_row(void *ctx, enum fs_metric f, const char *const *values,
           size_t nvalues, int64_t count, const char *string)
{
    FILE *fp = ctx;
    size_t nl;
    const char *const *keys = fs_metric_labels(f, &nl);
    fprintf(fp, "<tr><td><code>%s{", fs_metric_name(f));
    bool first = true;
    for (size_t i = 0; i < nvalues; i++) {
        if (values[i] == NULL)
            continue;
        fprintf(fp, "%s%s=\"", first ? "" : ", ", keys[i]);
        fs_report_html_text(fp, values[i]);
        fputc('"', fp);
        first = false;
    }
    fputs("}</code></td><td>", fp);
    if (fs_metric_kind(f) == FS_MK_STRING)
        fs_report_html_text(fp, string ? string : "");
    else
        fprintf(fp, "%" PRId64, count);
    fputs("</td></tr>\n", fp);
}

static void
expectations_table(struct fs_run *run, FILE *fp)
{
    size_t n;
    const struct fs_run_result *res = fs_run_results(run, &n);
    fprintf(fp, "<h2>Expectations</h2>\n");
    if (n == 0) {
        fputs("<p>The scenario states no expectations.</p>\n", fp);
        return;
    }
    fputs("<table><tr><th>line</th><th>expectation</th><th>checked at</th>"
          "<th>seen</th><th>verdict</th></tr>\n",
          fp);
    for (size_t i = 0; i < n; i++) {
        char at[32] = "end";
        if (res[i].at_us >= 0)
            fs_units_format_duration(res[i].at_us, at, sizeof(at));
        const char *cls = !res[i].checked ? "nr"
                          : res[i].held   ? "held"
                                          : "failed";
        const char *verdict = !res[i].checked ? "not reached"
                              : res[i].held   ? "held"
                                              : "FAILED";
        fprintf(fp, "<tr><td>%d</td><td><code>", res[i].line);
        fs_report_html_text(fp, res[i].text);
        fprintf(fp, "</code></td><td>%s</td><td>", at);
        fs_report_html_text(fp, res[i].checked ? res[i].seen : "-");
        fprintf(fp, "</td><td class=\"%s\">%s</td></tr>\n", cls, verdict);
    }
    fputs("</table>\n", fp);
}

int
fs_report_html(struct fs_run *run, FILE *fp)
{
    const struct fs_scn *scn = fs_run_scn(run);
    char hex[65], simt[32], dur[32];
    fs_run_fingerprint(run, hex);
    fs_units_format_duration(fs_run_now_us(run), simt, sizeof(simt));
    fs_units_format_duration(fs_run_duration_us(run), dur, sizeof(dur));
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<title>fleetsim: ",
          fp);
    fs_report_html_text(fp, scn->name);
    fprintf(fp, "</title><style>%s</style></head><body>\n<h1>", css);
    fs_report_html_text(fp, scn->name);
    fputs("</h1>\n<p>", fp);
    fs_report_html_text(fp, scn->description);
    fprintf(fp,
            "</p>\n<table>\n"
            "<tr><th>devices</th><td>%" PRIu64 "</td></tr>\n"
            "<tr><th>seed</th><td>%" PRIu64 "</td></tr>\n"
            "<tr><th>simulated</th><td>%s of %s%s</td></tr>\n"
            "<tr><th>events</th><td>%" PRIu64 "</td></tr>\n"
            "<tr><th>expectations failed</th><td>%zu</td></tr>\n"
            "<tr><th>fingerprint</th><td><code>%s</code></td></tr>\n"
            "</table>\n",
            fs_run_devices(run), fs_run_seed(run), simt, dur,
            fs_run_is_done(run) ? "" : " (interrupted)", fs_run_events(run),
            fs_run_failures(run), hex);
    expectations_table(run, fp);
    fs_report_charts(run, fp);
    fputs("<h2>Metrics at the end of the run</h2>\n"
          "<table><tr><th>series</th><th>value</th></tr>\n",
          fp);
    fs_metrics_visit(fs_run_metrics(run), metric_row, fp);
    fputs("</table>\n</body></html>\n", fp);
    return ferror(fp) ? FS_EIO : 0;
}
