/*
 * report/html.c - the self-contained HTML page of a run, from its fleet.db.
 *
 * Owns: report.html: summary, expectation results, then the deployments
 * and outcomes (rollout.c), the charts (charts.c) and every metric series
 * folded in a <details>; the page CSS (shared with compare.html) and the
 * scrolling table wrapper that keeps the page within 420 px.
 * Invariants: no external resources (opens offline); no wall-clock figures,
 * so the same database gives the same bytes; every figure comes from a
 * table of fleet.db (run, expectations, metrics, metric_samples).
 * Does not: compute anything the run did not record, or see the live run.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "fleetsim/err.h"
#include "fleetsim/metrics.h"
#include "fleetsim/units.h"
#include "report_int.h"

const char fs__report_css[] =
    "body{font-family:system-ui,sans-serif;margin:1em auto;max-width:62em;"
    "padding:0 1em;color:#222}h1,h2,h3,p{overflow-wrap:anywhere}"
    "table{border-collapse:collapse;margin:.5em 0}"
    ".tw{max-width:100%;overflow-x:auto}"
    "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}"
    "th{white-space:nowrap}"
    "th{background:#f4f4f4}.held{color:#070}.failed,.diff{color:#b00;"
    "font-weight:bold}.nr{color:#a60}code{font-size:95%}"
    ".st-halted,.st-cancelled{color:#b00}.st-completed,.st-done{color:#070}"
    "figure.chart{margin:1em 0;max-width:720px}"
    "figcaption{font-weight:bold;margin-bottom:.2em}"
    "svg.chart{width:100%;height:auto;display:block;background:#fff}"
    ".legend{font-size:90%;margin:.2em 0}.key{white-space:nowrap;"
    "margin-right:1em;display:inline-block}.note{color:#555;font-size:90%}"
    "section.deploy{border-top:2px solid #ddd;margin-top:1.5em}"
    "details{margin:1em 0}summary{cursor:pointer}";

void
fs__report_table_open(FILE *fp, const char *head)
{
    fprintf(fp, "<div class=\"tw\"><table>%s", head);
}

void
fs__report_table_close(FILE *fp)
{
    fputs("</table></div>\n", fp);
}

/* The run table's facts (text as stored; NULL when the key is absent). */
enum {
    RUN_SCENARIO,
    RUN_FINGERPRINT,
    RUN_SEED,
    RUN_DEVICES,
    RUN_EVENTS,
    RUN_SIM_TIME_US,
    RUN_COMPLETED,
    RUN_REQUIRED, /* keys below are optional */
    RUN_DESCRIPTION = RUN_REQUIRED,
    RUN_DURATION_US,
    RUN_CRYPTO,
    RUN_NKEYS
};

static const char *const run_keys[RUN_NKEYS] = {
    "scenario",    "fingerprint", "seed",        "devices",     "events",
    "sim_time_us", "completed",   "description", "duration_us", "crypto"};

static int
read_run(struct fs__report_db *rd, const char *out[RUN_NKEYS],
         struct fs_diag *diag)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(rd->db, "SELECT key, value FROM run ORDER BY key",
                           -1, &st, NULL) != SQLITE_OK)
        return fs__report_db_fail(rd, diag);
    for (size_t k = 0; k < RUN_NKEYS; k++)
        out[k] = NULL;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(st, 0);
        const char *value = (const char *)sqlite3_column_text(st, 1);
        for (size_t k = 0; key && value && k < RUN_NKEYS; k++)
            if (strcmp(key, run_keys[k]) == 0)
                out[k] = fs_arena_strdup(&rd->arena, value);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return fs__report_db_fail(rd, diag);
    for (size_t k = 0; k < RUN_REQUIRED; k++)
        if (out[k] == NULL)
            return fs_diag_set(diag, FS_EDB, rd->path, 0, 0,
                               "not a fleet database: no '%s' in table run",
                               run_keys[k]);
    return 0;
}

static void
metric_row(FILE *fp, const struct fs__report_series *sr)
{
    size_t nl;
    const char *const *keys = fs_metric_labels(sr->family, &nl);
    fprintf(fp, "<tr><td><code>%s{", fs_metric_name(sr->family));
    bool first = true;
    for (size_t i = 0; i < nl; i++) {
        if (sr->values[i] == NULL)
            continue;
        fprintf(fp, "%s%s=\"", first ? "" : ", ", keys[i]);
        fs__report_html_text(fp, sr->values[i]);
        fputc('"', fp);
        first = false;
    }
    fputs("}</code></td><td>", fp);
    if (fs_metric_kind(sr->family) == FS_MK_STRING)
        fs__report_html_text(fp, sr->string ? sr->string : "");
    else
        fprintf(fp, "%" PRId64, sr->value);
    fputs("</td></tr>\n", fp);
}

/* Expectations checked and not held. */
static int
count_failures(struct fs__report_db *rd, int64_t *out, struct fs_diag *diag)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(rd->db,
                           "SELECT count(*) FROM expectations"
                           " WHERE checked = 1 AND held = 0",
                           -1, &st, NULL) != SQLITE_OK)
        return fs__report_db_fail(rd, diag);
    int rc = sqlite3_step(st);
    *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : fs__report_db_fail(rd, diag);
}

static int
expectations_table(struct fs__report_db *rd, FILE *fp, struct fs_diag *diag)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(rd->db,
                           "SELECT expr, at_us, line, checked, held, seen"
                           " FROM expectations ORDER BY idx",
                           -1, &st, NULL) != SQLITE_OK)
        return fs__report_db_fail(rd, diag);
    fprintf(fp, "<h2>Expectations</h2>\n");
    size_t n = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n++ == 0)
            fs__report_table_open(fp, "<tr><th>line</th><th>expectation</th>"
                                      "<th>checked at</th><th>seen</th>"
                                      "<th>verdict</th></tr>\n");
        const char *text = (const char *)sqlite3_column_text(st, 0);
        int64_t at_us = sqlite3_column_int64(st, 1);
        int line = sqlite3_column_int(st, 2);
        bool checked = sqlite3_column_int(st, 3) != 0;
        bool held = sqlite3_column_int(st, 4) != 0;
        const char *seen = (const char *)sqlite3_column_text(st, 5);
        char at[32] = "end";
        if (at_us >= 0)
            fs_units_format_duration(at_us, at, sizeof(at));
        const char *cls = !checked ? "nr" : held ? "held" : "failed";
        const char *verdict = !checked ? "not reached"
                              : held   ? "held"
                                       : "FAILED";
        fprintf(fp, "<tr><td>%d</td><td><code>", line);
        fs__report_html_text(fp, text);
        fprintf(fp, "</code></td><td>%s</td><td>", at);
        fs__report_html_text(fp, checked && seen ? seen : "-");
        fprintf(fp, "</td><td class=\"%s\">%s</td></tr>\n", cls, verdict);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return fs__report_db_fail(rd, diag);
    if (n == 0)
        fputs("<p>The scenario states no expectations.</p>\n", fp);
    else
        fs__report_table_close(fp);
    return 0;
}

/* A run table value that must be a decimal integer. */
static int
run_int64(struct fs__report_db *rd, const char *key, const char *text,
          int64_t *out, struct fs_diag *diag)
{
    char *end;
    long long v = strtoll(text, &end, 10);
    if (end == text || *end != '\0')
        return fs_diag_set(diag, FS_EDB, rd->path, 0, 0,
                           "not a fleet database: run.%s is '%s'", key, text);
    *out = (int64_t)v;
    return 0;
}

int
fs__report_page(struct fs__report_db *rd, FILE *fp, struct fs_diag *diag)
{
    const char *run[RUN_NKEYS];
    int64_t now_us, dur_us = 0, failures = 0;
    int err = read_run(rd, run, diag);
    if (err == 0)
        err = run_int64(rd, "sim_time_us", run[RUN_SIM_TIME_US], &now_us, diag);
    bool completed = err == 0 && strcmp(run[RUN_COMPLETED], "1") == 0;
    /* A completed run stopped exactly at the scenario's duration. */
    bool have_dur = completed || run[RUN_DURATION_US] != NULL;
    if (err == 0 && completed)
        dur_us = now_us;
    else if (err == 0 && have_dur)
        err = run_int64(rd, "duration_us", run[RUN_DURATION_US], &dur_us, diag);
    if (err == 0)
        err = count_failures(rd, &failures, diag);
    if (err != 0)
        return err;
    char simt[32], dur[40] = "";
    fs_units_format_duration(now_us, simt, sizeof(simt));
    if (have_dur) {
        strcpy(dur, " of ");
        fs_units_format_duration(dur_us, dur + 4, sizeof(dur) - 4);
    }
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<title>fleetsim: ",
          fp);
    fs__report_html_text(fp, run[RUN_SCENARIO]);
    fprintf(fp,
            "</title><meta name=\"viewport\" content=\"width=device-width,"
            "initial-scale=1\"><style>%s</style></head><body>\n<h1>",
            fs__report_css);
    fs__report_html_text(fp, run[RUN_SCENARIO]);
    fputs("</h1>\n", fp);
    if (run[RUN_DESCRIPTION] != NULL) {
        fputs("<p>", fp);
        fs__report_html_text(fp, run[RUN_DESCRIPTION]);
        fputs("</p>\n", fp);
    }
    fs__report_table_open(fp, "\n<tr><th>devices</th><td>");
    fs__report_html_text(fp, run[RUN_DEVICES]);
    fputs("</td></tr>\n<tr><th>seed</th><td>", fp);
    fs__report_html_text(fp, run[RUN_SEED]);
    if (run[RUN_CRYPTO] != NULL) { /* absent in databases from before it */
        fputs("</td></tr>\n<tr><th>crypto</th><td>", fp);
        fs__report_html_text(fp, run[RUN_CRYPTO]);
        if (strcmp(run[RUN_CRYPTO], "model") == 0)
            fputs(" (keyed BLAKE2b stand-in for Ed25519)", fp);
        else if (strcmp(run[RUN_CRYPTO], "real") == 0)
            fputs(" (Ed25519)", fp);
    }
    fprintf(fp, "</td></tr>\n<tr><th>simulated</th><td>%s%s%s</td></tr>\n",
            simt, dur, completed ? "" : " (interrupted)");
    fputs("<tr><th>events</th><td>", fp);
    fs__report_html_text(fp, run[RUN_EVENTS]);
    fprintf(fp,
            "</td></tr>\n"
            "<tr><th>expectations failed</th><td>%" PRId64 "</td></tr>\n"
            "<tr><th>fingerprint</th><td><code>",
            failures);
    fs__report_html_text(fp, run[RUN_FINGERPRINT]);
    fputs("</code></td></tr>\n", fp);
    fs__report_table_close(fp);
    err = expectations_table(rd, fp, diag);
    if (err == 0)
        err = fs__report_rollouts(rd, fp, now_us, diag);
    if (err == 0)
        err = fs__report_charts(rd, fp, diag);
    if (err != 0)
        return err;
    fprintf(fp,
            "<h2>Metrics at the end of the run</h2>\n<details><summary>"
            "All %zu metric series</summary>\n",
            rd->nseries);
    fs__report_table_open(fp, "<tr><th>series</th><th>value</th></tr>\n");
    for (size_t i = 0; i < rd->nseries; i++)
        metric_row(fp, &rd->series[i]);
    fs__report_table_close(fp);
    fputs("</details>\n</body></html>\n", fp);
    return ferror(fp) ? FS_EIO : 0;
}
