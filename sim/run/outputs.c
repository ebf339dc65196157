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
#include <math.h>
#include <stdlib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "fleetsim/err.h"
#include "fleetsim/json.h"
#include "fleetsim/mem.h"
#include "fleetsim/metrics.h"
#include "fleetsim/rollout.h"
#include "fleetsim/run.h"
#include "fleetsim/scn.h"
#include "fleetsim/sim.h"
#include "run_int.h"

/* Write s as a JSON string literal (with quotes) to fp. */
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
        fs_json_write_string(mj->fp, values[i]);
        first = false;
    }
    if (fs_metric_kind(f) == FS_MK_STRING) {
        fputs("}, \"value\": ", mj->fp);
        fs_json_write_string(mj->fp, string ? string : "");
        fputc('}', mj->fp);
    } else {
        fprintf(mj->fp, "}, \"value\": %" PRId64 "}", count);
    }
    mj->first = false;
}

/*
 * The number and unit of an expectation's value as text (as fs_expect_eval
 * writes it): "1.71d" is 147744 s, "19994 (99.97% of 20000)" is 19994
 * count, "12.5%" is 12.5 percent. Prints "null" for both when not a number.
 */
static void
json_value_number(FILE *fp, const char *seen)
{
    char *end;
    double v = strtod(seen, &end);
    if (end == seen || !isfinite(v)) {
        fputs(", \"value_number\": null, \"value_unit\": null", fp);
        return;
    }
    char tok[64];
    size_t n = strcspn(seen, " (");
    int64_t us;
    const char *why;
    snprintf(tok, sizeof(tok), "%.*s", (int)(n < 63 ? n : 63), seen);
    if (*end != '\0' && *end != ' ' && *end != '%' &&
        fs_units_duration(tok, &us, &why) == 0) {
        fprintf(fp, ", \"value_number\": %.6f, \"value_unit\": \"s\"",
                (double)us / 1e6);
        return;
    }
    fprintf(fp, ", \"value_number\": %.17g, \"value_unit\": \"%s\"", v,
            *end == '%' ? "percent" : "count");
}

/* A count from fleet.db (db may be NULL: then null). */
static void
json_db_count(FILE *fp, sqlite3 *db, const char *sql, uint32_t dep)
{
    sqlite3_stmt *st = NULL;
    if (db == NULL || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fputs("null", fp);
        sqlite3_finalize(st);
        return;
    }
    sqlite3_bind_int64(st, 1, dep);
    if (sqlite3_step(st) == SQLITE_ROW)
        fprintf(fp, "%lld", (long long)sqlite3_column_int64(st, 0));
    else
        fputs("null", fp);
    sqlite3_finalize(st);
}

static void
json_time_to(FILE *fp, struct fs_svc *svc, const char *id, uint32_t ppm)
{
    int64_t us = INT64_MAX;
    if (fs_rollout_time(svc, id, ppm, &us) != 0 || us == INT64_MAX)
        fputs("null", fp);
    else
        fprintf(fp, "%.6f", (double)us / 1e6);
}

/* The deployments array: the service's view, failures from fleet.db. */
static void
summary_deployments(struct fs_run *run, const char *db_path, FILE *fp)
{
    const struct fs_scn *scn = fs_run_scn(run);
    struct fs_svc *svc = fs_run_svc(run);
    sqlite3 *db = NULL;
    if (db_path == NULL || sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY,
                                           NULL) != SQLITE_OK) {
        sqlite3_close(db);
        db = NULL;
    }
    bool first = true;
    fputs(",\n  \"deployments\": [", fp);
    for (uint32_t i = 0; i < scn->nactions; i++) {
        if (scn->actions[i].kind != FS_ACT_DEPLOY)
            continue;
        const struct fs_scn_deploy *d = &scn->actions[i].u.deploy;
        struct fs_rollout_info info;
        if (svc == NULL || fs_rollout_info(svc, d->id, &info) != 0)
            continue;
        fprintf(fp, "%s\n    {\"id\": ", first ? "" : ",");
        fs_json_write_string(fp, d->id);
        fputs(", \"image\": ", fp);
        fs_json_write_string(fp, d->image->id);
        fputs(", \"state\": ", fp);
        fs_json_write_string(fp, info.state);
        fprintf(fp,
                ", \"targets\": %" PRIu32 ", \"waves\": %" PRIu32
                ", \"waves_opened\": %" PRIu32 ", \"offered\": %" PRIu32
                ", \"confirmed\": %" PRIu32 ", \"failed\": ",
                info.targets, info.nwaves, info.wave, info.offered,
                info.confirmed);
        json_db_count(fp, db,
                      "SELECT count(*) FROM device_deployments WHERE"
                      " deployment = ?1 AND failed <> 0 AND"
                      " coalesce(fail_result, '') <> 'rolled_back'",
                      info.index);
        fputs(", \"rolled_back\": ", fp);
        json_db_count(fp, db,
                      "SELECT count(*) FROM device_deployments WHERE"
                      " deployment = ?1 AND failed <> 0 AND"
                      " fail_result = 'rolled_back'",
                      info.index);
        fputs(", \"halts\": ", fp);
        json_db_count(fp, db,
                      "SELECT count(*) FROM events WHERE name = 'halted'"
                      " AND deployment = ?1",
                      info.index);
        static const uint32_t ppm[3] = {500000, 900000, 990000};
        static const char *const key[3] = {"time_to_50_s", "time_to_90_s",
                                           "time_to_99_s"};
        for (int k = 0; k < 3; k++) {
            fprintf(fp, ", \"%s\": ", key[k]);
            json_time_to(fp, svc, d->id, ppm[k]);
        }
        fputc('}', fp);
        first = false;
    }
    fputs(first ? "]" : "\n  ]", fp);
    sqlite3_close(db);
}

/* A duration as {"value": N, "unit": "us", "text": "2.27d"} under key. */
static void
json_duration(FILE *fp, const char *key, int64_t us)
{
    char text[32];
    fs_units_format_duration_human(us, text, sizeof(text));
    fprintf(fp,
            ",\n  \"%s\": {\"value\": %" PRId64 ", \"unit\": \"us\", "
            "\"text\": ",
            key, us);
    fs_json_write_string(fp, text);
    fputc('}', fp);
}

/* summary.json into fp. */
static int
summary_json(struct fs_run *run, double wall_s, const char *db_path, FILE *fp)
{
    const struct fs_scn *scn = fs_run_scn(run);
    char hex[65];
    fs_run_fingerprint(run, hex);
    fprintf(fp, "{\n  \"format_version\": %d", FS_RUN_SUMMARY_FORMAT_VERSION);
    fputs(",\n  \"fleetsim_version\": ", fp);
    fs_json_write_string(fp, FS_FLEETSIM_VERSION);
    fputs(",\n  \"scenario\": ", fp);
    fs_json_write_string(fp, scn->name);
    fprintf(fp, ",\n  \"seed\": %" PRIu64, fs_run_seed(run));
    fprintf(fp, ",\n  \"threads\": %u", fs_run_threads(run));
    fprintf(fp, ",\n  \"crypto\": \"%s\"",
            fs_crypto_kind_name(fs_run_crypto(run)));
    fputs(",\n  \"parameters\": {", fp);
    for (uint32_t i = 0; i < scn->nparams; i++) {
        fputs(i ? ", " : "", fp);
        fs_json_write_string(fp, scn->params[i].key);
        fputs(": ", fp);
        fs_json_write_string(fp, scn->params[i].value);
    }
    fputc('}', fp);
    fprintf(fp, ",\n  \"devices\": %" PRIu64, fs_run_devices(run));
    fprintf(fp, ",\n  \"events\": %" PRIu64, fs_run_events(run));
    fprintf(fp, ",\n  \"sim_time_us\": %" PRId64, fs_run_now_us(run));
    fprintf(fp, ",\n  \"duration_us\": %" PRId64, fs_run_duration_us(run));
    fprintf(fp, ",\n  \"completed\": %s",
            fs_run_is_done(run) ? "true" : "false");
    json_duration(fp, "sim_time", fs_run_now_us(run));
    json_duration(fp, "duration", fs_run_duration_us(run));
    if (wall_s < 0) { /* --no-timing: the file is the same on every run */
        fputs(",\n  \"wall_s\": null,\n  \"peak_rss_bytes\": null", fp);
    } else {
        fprintf(fp, ",\n  \"wall_s\": %.3f", wall_s);
        fprintf(fp, ",\n  \"peak_rss_bytes\": %zu", fs_mem_peak_rss_bytes());
    }
    fprintf(fp, ",\n  \"fingerprint\": \"%s\"", hex);
    size_t n;
    const struct fs_run_result *res = fs_run_results(run, &n);
    fprintf(fp, ",\n  \"expectations_failed\": %zu", fs_run_failures(run));
    fputs(",\n  \"expectations\": [", fp);
    for (size_t i = 0; i < n; i++) {
        fprintf(fp, "%s\n    {\"expr\": ", i ? "," : "");
        fs_json_write_string(fp, res[i].text);
        fprintf(fp, ", \"at_us\": %" PRId64 ", \"line\": %d, ", res[i].at_us,
                res[i].line);
        if (!res[i].checked) {
            fputs("\"value\": null, \"value_number\": null, "
                  "\"value_unit\": null, \"verdict\": \"not_reached\"}",
                  fp);
            continue;
        }
        fputs("\"value\": ", fp);
        fs_json_write_string(fp, res[i].seen);
        json_value_number(fp, res[i].seen);
        fprintf(fp, ", \"verdict\": \"%s\"}", res[i].held ? "held" : "failed");
    }
    fputs(n ? "\n  ]" : "]", fp);
    summary_deployments(run, db_path, fp);
    fputs(",\n  \"metrics\": [", fp);
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
    /* An earlier run's summary.json says its outputs are whole: it goes
     * before any output of this run replaces one of them. */
    char old_summary[4096];
    snprintf(old_summary, sizeof(old_summary), "%s/summary.json", dir);
    if (remove(old_summary) != 0 && errno != ENOENT)
        return fs_diag_set(diag, FS_EIO, old_summary, 0, 0,
                           "cannot remove an earlier run's summary: %s",
                           strerror(errno));
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
    char db_path[4096];
    snprintf(db_path, sizeof(db_path), "%s/fleet.db", dir);
    int err = summary_json(r, wall_s, db_path, fp);
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
