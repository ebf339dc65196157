/*
 * service/errrep.c - error-report intake.
 *
 * Owns: the per-(image, kind) totals of error reports taken in, their
 * error_reports{kind, image} metric series, and the report hook.
 * Invariants: totals only grow; first_us <= last_us once count > 0;
 * reports are taken only from check-ins in which the device proved who
 * it is (attest.c decides, before calling the intake); an entry with a
 * bad kind is ignored.
 * Does not: decide rollout halts (it tells rollout.c, and the hook), or
 * allocate except the first time a series is used.
 */
#include <string.h>

#include "fleetsim/metrics.h"
#include "fleetsim/sim.h"

#include "service_int.h"

/* Row of (image, kind); the "no image" row is nimages. */
static struct svc_errrep *
errrep_row(const struct fs_svc *s, uint32_t image, unsigned kind)
{
    uint32_t row = image < s->nimages ? image : s->nimages;
    return &s->errrep[(size_t)row * FS_REP_COUNT + kind];
}

static uint32_t
errrep_series(struct fs_svc *s, struct svc_errrep *e, uint32_t image,
              unsigned kind)
{
    if (e->series == UINT32_MAX) {
        const char *img =
            image < s->config.nimages ? s->config.images[image].id : NULL;
        const char *v[2] = {fs_msg_report_kind_name((enum fs_report_kind)kind),
                            img};
        e->series = fs_metrics_series(s->env.metrics, FS_M_ERROR_REPORTS, v);
    }
    return e->series;
}

/* Take in the report entries of an EVIDENCE message. */
void
fs__errrep_intake(struct fs_svc *s, const struct fs_msg *m)
{
    unsigned n = m->u.evidence.nreports;
    if (n > FS_REPORTS_PER_MSG)
        n = FS_REPORTS_PER_MSG;
    for (unsigned i = 0; i < n; i++) {
        const struct fs_report_entry *r = &m->u.evidence.reports[i];
        if (r->kind >= FS_REP_COUNT || r->count == 0)
            continue;
        uint32_t image = r->image < s->nimages ? r->image : FS_NO_IMAGE;
        struct svc_errrep *e = errrep_row(s, image, r->kind);
        if (e->count == 0 || r->first_us < e->first_us)
            e->first_us = r->first_us;
        if (e->count == 0 || r->last_us > e->last_us)
            e->last_us = r->last_us;
        e->count += r->count;
        s->stats.reports += r->count;
        fs_metrics_add(s->env.metrics, errrep_series(s, e, image, r->kind),
                       (int64_t)r->count);
        uint64_t v = ((uint64_t)r->kind << 56) |
                     ((uint64_t)(image & 0xffffffu) << 32) | r->count;
        fs_sim_record(s->env.sim, FS_REC_SVC_REPORT, m->device, (int64_t)v);
        if (image != FS_NO_IMAGE)
            fs__rollout_error(s, m->device, image);
        if (s->errrep_hook != NULL)
            s->errrep_hook(s->errrep_ctx, m->device, image,
                           (enum fs_report_kind)r->kind, r->count);
    }
}

/* Totals of (image, kind); see errrep.h. */
void
fs_errrep_get(const struct fs_svc *s, uint32_t image, enum fs_report_kind kind,
              struct fs_errrep_total *out)
{
    out->count = 0;
    out->first_us = -1;
    out->last_us = -1;
    if ((unsigned)kind >= FS_REP_COUNT ||
        (image >= s->nimages && image != FS_NO_IMAGE))
        return;
    const struct svc_errrep *e = errrep_row(s, image, (unsigned)kind);
    out->count = e->count;
    out->first_us = e->first_us;
    out->last_us = e->last_us;
}

/* Install the report hook; see errrep.h. */
void
fs_errrep_set_hook(struct fs_svc *s, fs_errrep_hook_fn *fn, void *ctx)
{
    s->errrep_hook = fn;
    s->errrep_ctx = ctx;
}
