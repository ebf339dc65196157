/*
 * sim/run/outputs.c - the run's own outputs in its output folder: fleet.db,
 * trace.zst and summary.json, each put in place whole.
 *
 * Owns: the output folder, the temporary-name-then-rename discipline for
 * the files the run writes, and the text of summary.json.
 * Invariants: numbers are printed with fixed formats; lists follow the
 * scenario's or the registry's order, never a hash order; summary.json is
 * written last by fs_run_write_summary, so its presence says the other
 * outputs are whole.
 * Does not: read the clock (wall_s comes from the caller), simulate, or
 * build report.html (report/ does, from fleet.db).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fleetsim/err.h"
#include "fleetsim/mem.h"
#include "fleetsim/metrics.h"
#include "fleetsim/run.h"
#include "fleetsim/scn.h"
#include "fleetsim/sim.h"
#include "run_int.h"

/* Write s as a JSON string literal (with quotes) to fp. */
static void
json_string(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(fp, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", fp);
        else if (*p < 0x20)
            fprintf(fp, "\\u%04x", *p);
        else
            fputc(*p, fp);
    }
    fputc('"', fp);
}

struct metric_json {
    FILE *fp;   /* output */
    bool first; /* no comma before the first entry */
};

static void
metric_json_visit(void *ctx, enum fs_metric f, const char *const *values,
                  size_t nvalues, int64_t count, const char *string)
{
    struct metric_json *mj = ctx;
    size_t nl;
    const char *const *keys = fs_metric_labels(f, &nl);
    fprintf(mj->fp, "%s\n    {\"metric\": \"%s\", \"labels\": {",
            mj->first ? "" : ",", fs_metric_name(f));
    bool first = true;
    for (size_t i = 0; i < nvalues; i++) {
        if (values[i] == NULL)
            continue;
        fprintf(mj->fp, "%s\"%s\": ", first ? "" : ", ", keys[i]);
        json_string(mj->fp, values[i]);
        first = false;
    }
    if (fs_metric_kind(f) == FS_MK_STRING) {
        fputs("}, \"value\": ", mj->fp);
        json_string(mj->fp, string ? string : "");
        fputc('}', mj->fp);
    } else {
        fprintf(mj->fp, "}, \"value\": %" PRId64 "}", count);
    }
    mj->first = false;
}

/* summary.json into fp. */
static int
summary_json(struct fs_run *run, double wall_s, FILE *fp)
{
    const struct fs_scn *scn = fs_run_scn(run);
    char hex[65];
    fs_run_fingerprint(run, hex);
    fputs("{\n  \"scenario\": ", fp);
    json_string(fp, scn->name);
    fprintf(fp, ",\n  \"seed\": %" PRIu64, fs_run_seed(run));
    fprintf(fp, ",\n  \"devices\": %" PRIu64, fs_run_devices(run));
    fprintf(fp, ",\n  \"events\": %" PRIu64, fs_run_events(run));
    fprintf(fp, ",\n  \"sim_time_us\": %" PRId64, fs_run_now_us(run));
    fprintf(fp, ",\n  \"duration_us\": %" PRId64, fs_run_duration_us(run));
    fprintf(fp, ",\n  \"completed\": %s",
            fs_run_is_done(run) ? "true" : "false");
    fprintf(fp, ",\n  \"wall_s\": %.3f", wall_s);
    fprintf(fp, ",\n  \"peak_rss_bytes\": %zu", fs_mem_peak_rss_bytes());
    fprintf(fp, ",\n  \"fingerprint\": \"%s\"", hex);
    size_t n;
    const struct fs_run_result *res = fs_run_results(run, &n);
    fprintf(fp, ",\n  \"expectations_failed\": %zu", fs_run_failures(run));
    fputs(",\n  \"expectations\": [", fp);
    for (size_t i = 0; i < n; i++) {
        fprintf(fp, "%s\n    {\"expr\": ", i ? "," : "");
        json_string(fp, res[i].text);
        fprintf(fp, ", \"at_us\": %" PRId64 ", \"line\": %d, ", res[i].at_us,
                res[i].line);
        if (!res[i].checked) {
            fputs("\"value\": null, \"verdict\": \"not_reached\"}", fp);
            continue;
        }
        fputs("\"value\": ", fp);
        json_string(fp, res[i].seen);
        fprintf(fp, ", \"verdict\": \"%s\"}", res[i].held ? "held" : "failed");
    }
    fputs(n ? "\n  ],\n  \"metrics\": [" : "],\n  \"metrics\": [", fp);
    struct metric_json mj = {fp, true};
    fs_metrics_visit(fs_run_metrics(run), metric_json_visit, &mj);
    fputs(mj.first ? "]\n}\n" : "\n  ]\n}\n", fp);
    return ferror(fp) ? FS_EIO : 0;
}

int
fs_run_mkdirs(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

int
fs_run_write_db(struct fs_run *r, const char *dir, struct fs_diag *diag)
{
    int err = fs_sim_trace_close(fs_run_sim(r));
    if (err != 0)
        return fs_diag_set(diag, err, dir, 0, 0, "cannot finish the trace: %s",
                           strerror(fs_sim_trace_errno(fs_run_sim(r))));
    if (fs_run_mkdirs(dir) != 0)
        return fs_diag_set(diag, FS_EIO, dir, 0, 0,
                           "cannot create the output folder: %s",
                           strerror(errno));
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s/.fleet.db.tmp", dir);
    unlink(tmp);
    err = fs__run_db_write(r, tmp, diag);
    if (err != 0) {
        unlink(tmp);
        return err;
    }
    char final[4096];
    snprintf(final, sizeof(final), "%s/fleet.db", dir);
    if (rename(tmp, final) != 0)
        return fs_diag_set(diag, FS_EIO, final, 0, 0, "cannot rename: %s",
                           strerror(errno));
    return 0;
}

int
fs_run_write_summary(struct fs_run *r, const char *dir, double wall_s,
                     struct fs_diag *diag)
{
    char tmp[4096], final[4096];
    const char *trace_tmp = fs__run_trace_path(r);
    snprintf(final, sizeof(final), "%s/trace.zst", dir);
    if (trace_tmp != NULL) {
        if (rename(trace_tmp, final) != 0)
            return fs_diag_set(diag, FS_EIO, final, 0, 0, "cannot rename: %s",
                               strerror(errno));
    } else if (remove(final) != 0 && errno != ENOENT) {
        /* An earlier run's trace must not sit beside this run's outputs. */
        return fs_diag_set(diag, FS_EIO, final, 0, 0,
                           "cannot remove an earlier run's trace: %s",
                           strerror(errno));
    }
    /* summary.json last: its presence says every other output is whole. */
    snprintf(tmp, sizeof(tmp), "%s/.summary.json.tmp", dir);
    FILE *fp = fopen(tmp, "w");
    if (fp == NULL)
        return fs_diag_set(diag, FS_EIO, dir, 0, 0, "cannot write: %s",
                           strerror(errno));
    int err = summary_json(r, wall_s, fp);
    if (fflush(fp) != 0 || ferror(fp))
        err = err ? err : FS_EIO;
    if (fclose(fp) != 0)
        err = err ? err : FS_EIO;
    if (err != 0) {
        unlink(tmp);
        return fs_diag_set(diag, err, dir, 0, 0, "cannot write summary.json");
    }
    snprintf(final, sizeof(final), "%s/summary.json", dir);
    if (rename(tmp, final) != 0) {
        unlink(tmp);
        return fs_diag_set(diag, FS_EIO, final, 0, 0, "cannot rename: %s",
                           strerror(errno));
    }
    return 0;
}
