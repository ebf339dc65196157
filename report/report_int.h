/*
 * report/report_int.h - what the files of report/ share: a fleet.db opened for
 * reading, with its metric series loaded once.
 *
 * Owns: struct fs__report_db, the read-only handle the page (html.c) and
 * the charts (charts.c) read from, and the HTML escaping both use.
 * Invariants: everything is read from the database with ORDER BY, so the
 * same file gives the same page; series[i] is row idx = i of the metrics
 * table, the series index metric_samples refers to.
 * Does not: write the database, or get included outside report/.
 */
#ifndef FLEETSIM_REPORT_INT_H
#define FLEETSIM_REPORT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "fleetsim/diag.h"
#include "fleetsim/mem.h"
#include "fleetsim/metrics.h"

/* One row of the metrics table, labels split back into their values. */
struct fs__report_series {
    enum fs_metric family;                    /* the metric family */
    const char *values[FS_METRIC_LABELS_MAX]; /* per label key; NULL = none */
    int64_t value;                            /* count (NULL string row) */
    const char *string;                       /* string series, or NULL */
};

struct fs__report_db {
    sqlite3 *db;                      /* opened read-only */
    const char *path;                 /* for messages */
    struct fs_arena arena;            /* label values and strings */
    struct fs__report_series *series; /* metrics rows in idx order */
    size_t nseries;                   /* their count */
};

/*
 * Open the fleet.db at path read-only and load its metric series. Returns
 * 0, or FS_EDB with diag naming the file (missing, not a database, not a
 * fleet database). On failure nothing is left to close.
 */
int fs__report_db_open(struct fs__report_db *rd, const char *path,
                       struct fs_diag *diag);
/* Close rd and release what it loaded. */
void fs__report_db_close(struct fs__report_db *rd);

/*
 * Record an SQLite failure of rd as "not a fleet database: ..." in diag;
 * returns FS_EDB.
 */
int fs__report_db_fail(struct fs__report_db *rd, struct fs_diag *diag);

/* Write s with HTML special characters escaped to fp. */
void fs__report_html_text(FILE *fp, const char *s);

/* The whole report.html page of rd into fp; 0, FS_EDB or FS_EIO. */
int fs__report_page(struct fs__report_db *rd, FILE *fp, struct fs_diag *diag);

/* The "Over time" section: SVG charts from metric_samples; 0 or FS_EDB. */
int fs__report_charts(struct fs__report_db *rd, FILE *fp, struct fs_diag *diag);

#endif
