/*
 * include/fleetsim/expect.h - expectations: `METRIC{labels} OP VALUE`.
 *
 * Owns: parsing an expectation string into struct fs_expr and evaluating it
 * against a metrics registry.
 * Invariants: a parsed expression names a known family, known label keys of
 * that family, and a value kind that fits the family.
 * Does not: decide when expectations are checked (the runner does).
 */
#ifndef FLEETSIM_EXPECT_H
#define FLEETSIM_EXPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetsim/diag.h"
#include "fleetsim/mem.h"
#include "fleetsim/metrics.h"

enum fs_cmp {
    FS_CMP_EQ,
    FS_CMP_NE,
    FS_CMP_LT,
    FS_CMP_LE,
    FS_CMP_GT,
    FS_CMP_GE
};

enum fs_value_kind {
    FS_VAL_NUMBER,   /* plain number */
    FS_VAL_DURATION, /* duration with a unit */
    FS_VAL_STRING,   /* quoted string */
    FS_VAL_PERCENT   /* share of the unlabelled family */
};

struct fs_expr {
    const char *text;                              /* as written (arena) */
    enum fs_metric metric;                         /* family */
    size_t nsel;                                   /* selectors used */
    struct fs_label_sel sel[FS_METRIC_LABELS_MAX]; /* label selectors */
    int sel_column[FS_METRIC_LABELS_MAX]; /* 1-based column of each value */
    uint32_t reached_ppm;                 /* rollout_time only */
    const char *rollout_id;               /* rollout_* id label */
    enum fs_cmp op;                       /* comparison */
    enum fs_value_kind kind;              /* kind of value */
    double number;                        /* NUMBER or PERCENT */
    __int128 number_e9;                   /* NUMBER exactly, times 10^9 */
    uint32_t percent_ppm;                 /* PERCENT, exact */
    int64_t duration_us;                  /* DURATION */
    const char *string;                   /* STRING (arena) */
};

/*
 * Parse text into *out, copying strings into arena. On error returns
 * FS_ESCENARIO and fills diag with the message and the 1-based column
 * within text (diag->line is left 0; the caller adds file and line).
 */
int fs_expect_parse(const char *text, struct fs_arena *arena,
                    struct fs_expr *out, struct fs_diag *diag);

/*
 * Evaluate e against m. Writes the value seen as text to seen (for reports)
 * and returns true when the expectation holds.
 */
bool fs_expect_eval(const struct fs_expr *e, const struct fs_metrics *m,
                    char *seen, size_t seen_len);

/* Text of an operator ("<="). */
const char *fs_cmp_text(enum fs_cmp op);

#endif
