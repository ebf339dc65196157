/*
 * include/fleetsim/report.h - what is built from a run's files afterwards:
 * report.html from fleet.db, compare.html from two of them, and the
 * comparison of two traces.
 *
 * Owns: report.html (docs/outputs.md) and its placement whole: written
 * under a temporary name beside it and renamed only when complete.
 * Invariants: reads only the files it is given (fleet.db, trace.zst),
 * never a live run, so `fleetsim report fleet.db` rebuilds the page the
 * run wrote byte for byte; the same database gives the same bytes (no
 * wall-clock figures); the database is opened read-only.
 * Does not: simulate, write fleet.db or summary.json (sim/run does), or
 * know the scenario format.
 */
#ifndef FLEETSIM_REPORT_H
#define FLEETSIM_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "fleetsim/diag.h"

/*
 * Write the report.html of the fleet.db at db_path into fp. Returns 0,
 * FS_EDB (missing, not a database, not a fleet database; diag names
 * db_path) or FS_EIO (fp failed).
 */
int fs_report_html(const char *db_path, FILE *fp, struct fs_diag *diag);

/*
 * Build the report of the fleet.db at db_path into out_path, whole: it is
 * written as .NAME.tmp beside out_path and renamed. Returns 0, FS_EDB as
 * fs_report_html, or FS_EIO (out_path cannot be written; diag names it).
 */
int fs_report_write(const char *db_path, const char *out_path,
                    struct fs_diag *diag);

/*
 * Build compare.html into out_path (whole, as fs_report_write): the runs
 * of the fleet.db files at path_a and path_b side by side, deployments
 * matched by id. Returns 0, FS_EDB naming the file that is missing or not
 * a fleet database, or FS_EIO (out_path cannot be written).
 */
int fs_report_compare(const char *path_a, const char *path_b,
                      const char *out_path, struct fs_diag *diag);

/*
 * Compare two traces (trace.zst) record by record and print where they
 * part, or that they are identical, to fp. Sets *out_same. Returns 0, or
 * FS_EIO when a file cannot be read or is not a trace.
 */
int fs_report_diff(const char *path_a, const char *path_b, FILE *fp,
                   bool *out_same);

#endif
