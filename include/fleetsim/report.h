/*
 * include/fleetsim/report.h - what is built from a run's files afterwards:
 * report.html from fleet.db, compare.html from two of them, sweep.html or
 * sweep.json from a merged database (fleetsim merge), and the comparison
 * of two traces.
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
#include <stdint.h>
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

/* True when the file at db_path is a merged database (fleetsim merge):
 * one with a merge table. False for anything else, unreadable included. */
bool fs_report_is_merged(const char *db_path);

/*
 * Build the sweep report of the merged database at db_path into out_path
 * (whole, as fs_report_write): sweep.html, or sweep.json when json is
 * true (docs/outputs.md). Runs are grouped by scenario and parameters;
 * per group and deployment the median, 5th and 95th percentile (nearest
 * rank) of the times to 50/90/99% confirmed, halts and failures, and the
 * attack outcomes. Returns 0, FS_EDB (not a merged fleet database; diag
 * names db_path) or FS_EIO (out_path cannot be written).
 */
int fs_report_sweep(const char *db_path, const char *out_path, bool json,
                    struct fs_diag *diag);

/*
 * Compare two traces (trace.zst) record by record and print where they
 * part, or that they are identical, to fp. Sets *out_same. Returns 0, or
 * FS_EIO when a file cannot be read or is not a trace.
 */
int fs_report_diff(const char *path_a, const char *path_b, FILE *fp,
                   bool *out_same);

/* A trace's header (report/trace.c; the format is in docs/outputs.md). */
/* Room for the KEY=VALUE lines of the most --set options a run takes
   (64 of them, keys up to 256 bytes and values up to 1024). */
#define FS_TRACE_SETS_BYTES (64 * (256 + 1024 + 2))

struct fs_trace_info {
    unsigned format;           /* trace format version */
    char fleetsim_version[64]; /* the program that wrote it */
    char scenario[4096];       /* the scenario's path as it was run */
    char scenario_blake2b[65]; /* hex BLAKE2b-256 of the scenario's bytes */
    uint64_t seed;             /* seed the run used */
    bool seed_set;             /* the seed came from --seed */
    char crypto[16];           /* signature scheme ("real", "model"); ""
                                  when the trace predates the key */
    unsigned nsets;            /* --set options of the run, in order */
    bool sets_truncated;       /* more than sets holds (not replayable) */
    char sets[FS_TRACE_SETS_BYTES]; /* their KEY=VALUE lines, each ending
                                       in a newline */
};

/* One canonical record. */
struct fs_trace_rec {
    int64_t t_us;    /* simulated time, microseconds */
    uint16_t kind;   /* record kind */
    uint32_t object; /* device or object index */
    int64_t value;   /* kind-specific value */
};

struct fs_trace;

/*
 * Open the trace at path and read its header. Returns 0, or FS_EIO with
 * diag naming path and why (missing, not a regular file, empty, not a
 * trace, a newer format, cut short, corrupted).
 */
int fs_report_trace_open(const char *path, struct fs_trace **out,
                         struct fs_diag *diag);
/* The next record into *out (*out_has true), or, at the end, *out_has
 * false after the end record's count and fingerprint and the zstd frame's
 * checksum were verified. Returns 0, or FS_EIO with diag. */
int fs_report_trace_next(struct fs_trace *t, struct fs_trace_rec *out,
                         bool *out_has, struct fs_diag *diag);
const struct fs_trace_info *fs_report_trace_info(const struct fs_trace *t);
/* The name the header gives kind (e.g. "deployment_wave_opened"), or NULL. */
const char *fs_report_trace_kind_name(const struct fs_trace *t, uint16_t kind);
/* Records read so far. */
uint64_t fs_report_trace_records(const struct fs_trace *t);
/* The verified fingerprint (hex) once the end was reached, else NULL. */
const char *fs_report_trace_fingerprint(const struct fs_trace *t);
void fs_report_trace_close(struct fs_trace *t);
/* Read the whole trace at path and verify it; its header, fingerprint and
 * record count out (each may be NULL). Returns 0 or FS_EIO with diag. */
int fs_report_trace_verify(const char *path, struct fs_trace_info *info,
                           char fingerprint[65], uint64_t *out_records,
                           struct fs_diag *diag);

#endif
