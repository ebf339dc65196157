/*
 * include/fleetsim/report.h - the outputs of a run.
 *
 * Owns: summary.json, report.html and fleet.db, and putting them in place
 * whole: each is written under a temporary name in the output folder and
 * renamed only when complete.
 * Invariants: fleet.db and report.html depend only on the scenario, the
 * seed and the model (never on wall time); summary.json also carries
 * wall_s, the one measured figure.
 * Does not: simulate or change the run.
 */
#ifndef FLEETSIM_REPORT_H
#define FLEETSIM_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "fleetsim/diag.h"

struct fs_run;

/*
 * Write every output of run into dir (created when missing). trace_tmp,
 * when not NULL, is the finished trace under its temporary name; it is
 * renamed to trace.zst. Returns 0 or FS_EIO/FS_EDB with diag filled.
 */
int fs_report_write_all(struct fs_run *run, const char *dir, double wall_s,
                        const char *trace_tmp, struct fs_diag *diag);

/* Create path and its parents (mkdir -p); 0, or -1 with errno set. */
int fs_report_mkdirs(const char *path);

/* Write s as a JSON string literal (with quotes) to fp. */
void fs_report_json_string(FILE *fp, const char *s);

/* Write s with HTML special characters escaped to fp. */
void fs_report_html_text(FILE *fp, const char *s);

/* summary.json into fp. */
int fs_report_summary_json(struct fs_run *run, double wall_s, FILE *fp);
/* report.html into fp. */
int fs_report_html(struct fs_run *run, FILE *fp);
/* fleet.db at path (a new file). */
int fs_report_db(struct fs_run *run, const char *path, struct fs_diag *diag);

/* The "Over time" section of report.html: SVG charts of sampled metrics. */
int fs_report_charts(struct fs_run *run, FILE *fp);

struct sqlite3;
/* The metric_samples table of fleet.db, in an open transaction. */
int fs_report_samples_db(struct fs_run *run, struct sqlite3 *db);

/*
 * Compare two traces (trace.zst) record by record and print where they
 * part, or that they are identical, to fp. Sets *out_same. Returns 0, or
 * FS_EIO when a file cannot be read or is not a trace.
 */
int fs_report_diff(const char *path_a, const char *path_b, FILE *fp,
                   bool *out_same);

#endif
