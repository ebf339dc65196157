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

/* ------------------------------------------------------------ charts */

#define FS__REPORT_COLORS 10
#define FS__REPORT_LINES_MAX 10

/* One series of a chart: n points (t_us ascending). */
struct fs__report_line {
    const char *name;    /* legend and hover text */
    const int64_t *t_us; /* n times, microseconds from the start */
    const double *v;     /* n values */
    size_t n;            /* point count */
    unsigned color;      /* palette index */
    bool dashed;         /* drawn dashed (the second run of a comparison) */
};

/* An event drawn as a vertical line. */
struct fs__report_mark {
    int64_t t_us;            /* when */
    const char *label;       /* hover text ("halted: failure_rate 3.03%") */
    const char *short_label; /* drawn beside the line ("halt") */
    const char *color;       /* CSS colour */
};

struct fs__report_chart {
    const char *title;                   /* caption */
    const char *y_title;                 /* y axis title */
    const char *y_unit;                  /* after y values: "" or "%" */
    bool fractional;                     /* y values need not be integers */
    int64_t t_end_us;                    /* right end of the time axis */
    double y_max;                        /* top of the y axis; 0 = data */
    const struct fs__report_line *lines; /* series */
    size_t nlines;                       /* their count (at most 10) */
    const struct fs__report_mark *marks; /* events, or NULL */
    size_t nmarks;                       /* their count */
    const double *hlines;                /* reference values, or NULL */
    const char *const *hline_labels;     /* their labels ("50%") */
    size_t nhlines;                      /* their count */
};

/* Palette colour i (cycled). */
const char *fs__report_color(unsigned i);
/* A time from the start as 0, 45m, 6h, 1d6h, 2d. */
void fs__report_fmt_time(int64_t t_us, char *buf, size_t len);
/*
 * Draw c as an SVG figure with its legend; series below a twentieth of the
 * largest are drawn again in a panel of their own below it.
 */
void fs__report_chart(FILE *fp, const struct fs__report_chart *c);

/* ------------------------------------------------------- deployments */

/* Share thresholds reported for every deployment and wave. */
#define FS__REPORT_NREACH 3
extern const int fs__report_reach_pct[FS__REPORT_NREACH];

/* One row of the deployments table, with what the report derives. */
struct fs__report_deploy {
    int64_t idx;            /* deployments.idx */
    const char *id, *image; /* deployment id, image offered */
    const char *state;      /* at the end */
    int64_t start_us;       /* -1 when it never started */
    int64_t waves_opened;   /* highest wave opened */
    int64_t nwaves;         /* rows in the waves table */
    int64_t targets, offered, confirmed, errors, failures;
    int64_t halts;                       /* halted events */
    int64_t reach_us[FS__REPORT_NREACH]; /* from start; -1 unreached */
    int64_t *conf_us;                    /* confirm times, ascending */
    size_t nconf;                        /* their count */
    int64_t *off_us;                     /* offer times, ascending */
    size_t noff;                         /* their count */
    struct fs__report_mark *marks;       /* its events */
    size_t nmarks;                       /* their count */
};

/* True when fleet.db has a table or view of that name. */
bool fs__report_has_table(struct fs__report_db *rd, const char *name);
/*
 * Load every deployment of rd (ORDER BY idx) with its confirm and offer
 * times (device_deployments, when the table exists) and its events
 * (events, when it exists); *out is freed by fs__report_deploys_free.
 */
int fs__report_deploys_load(struct fs__report_db *rd,
                            struct fs__report_deploy **out, size_t *out_n,
                            struct fs_diag *diag);
void fs__report_deploys_free(struct fs__report_deploy *d, size_t n);
/*
 * The adoption curve of d on a grid of npts times over [0, t_end_us]:
 * confirmed (or offered when offered is true) as % of the targets.
 */
void fs__report_curve(const struct fs__report_deploy *d, bool offered,
                      int64_t t_end_us, int64_t *t_us, double *v, size_t npts);
/* Sections per deployment and the breakdown tables; 0 or FS_EDB. */
int fs__report_rollouts(struct fs__report_db *rd, FILE *fp, int64_t t_end_us,
                        struct fs_diag *diag);
/* The page CSS both pages use. */
extern const char fs__report_css[];
/* Open a horizontally scrolling wrapper and a table; close both. */
void fs__report_table_open(FILE *fp, const char *head);
void fs__report_table_close(FILE *fp);
/* A page writer for fs__report_write_whole. */
typedef int fs__report_page_fn(void *arg, FILE *fp, struct fs_diag *diag);
/*
 * Write page(arg) into out_path whole: as .NAME.tmp beside it, renamed
 * when complete, removed on failure. 0, the page's error, or FS_EIO.
 */
int fs__report_write_whole(const char *out_path, fs__report_page_fn *page,
                           void *arg, struct fs_diag *diag);
/* The run's simulated end (run.sim_time_us); 0 or FS_EDB. */
int fs__report_sim_end(struct fs__report_db *rd, int64_t *out,
                       struct fs_diag *diag);

#endif
