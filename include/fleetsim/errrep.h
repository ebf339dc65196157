/*
 * include/fleetsim/errrep.h - the service's error-report intake.
 *
 * Owns: the totals of taken-in error reports per (image, kind) as others
 * read them, and the report hook.
 * Invariants: totals only grow; reports are taken in whatever the
 * attestation verdict.
 * Does not: decide halts (rollout.h).
 */
#ifndef FLEETSIM_ERRREP_H
#define FLEETSIM_ERRREP_H

#include <stdint.h>

#include "fleetsim/msg.h"

struct fs_svc;

/* Totals of taken-in error reports of one (image, kind). */
struct fs_errrep_total {
    uint64_t count;   /* events */
    int64_t first_us; /* earliest event time, or -1 when none */
    int64_t last_us;  /* latest event time, or -1 when none */
};

/*
 * Totals for image (a catalog index, or FS_NO_IMAGE) and kind; zeros and
 * -1 times when none or out of range.
 */
void fs_errrep_get(const struct fs_svc *s, uint32_t image,
                   enum fs_report_kind kind, struct fs_errrep_total *out);

/* Called for every report entry taken in. */
typedef void fs_errrep_hook_fn(void *ctx, uint32_t device, uint32_t image,
                               enum fs_report_kind kind, uint32_t count);
/* Install (or clear with NULL) the report hook. */
void fs_errrep_set_hook(struct fs_svc *s, fs_errrep_hook_fn *fn, void *ctx);

#endif
