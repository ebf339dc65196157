/*
 * service/rollout.c - deployments (being written: this version tracks
 * rollout_state only and offers nothing yet).
 *
 * Owns: deployment states.
 * Does not: talk to devices directly.
 */
#include "fleetsim/metrics.h"
#include "fleetsim/scn.h"
#include "fleetsim/service.h"
#include "service_int.h"

static void
set_state(struct fs_svc *s, const struct fs_scn_action *a, const char *state)
{
    const char *labels[1] = {a->u.deploy.id};
    uint32_t series =
        fs_metrics_series(s->env.metrics, FS_M_ROLLOUT_STATE, labels);
    fs_metrics_set_string(s->env.metrics, series, state);
}

void
fs_svc_deploy_start(struct fs_svc *s, const struct fs_scn_action *deploy)
{
    set_state(s, deploy, "running");
}

void
fs_svc_deploy_resume(struct fs_svc *s, const struct fs_scn_action *deploy)
{
    set_state(s, deploy, "running");
}

void
fs_svc_deploy_cancel(struct fs_svc *s, const struct fs_scn_action *deploy)
{
    set_state(s, deploy, "cancelled");
}
