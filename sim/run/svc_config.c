/*
 * sim/run/svc_config.c - the security service's configuration from a
 * loaded scenario, and its deployments from the timeline.
 *
 * Owns: turning struct fs_scn into struct fs_svc_config (products, groups,
 * images, cohorts by index; settings; the defence bitset; the largest
 * max_downloads the timeline sets) and each deploy action into a
 * struct fs_deploy_config, and the map from timeline actions to the
 * deployment ids the service gave them.
 * Invariants: indexes are the scenario's own (catalog index = image index);
 * deployments are added in timeline order, so their ids are 0, 1, ... in
 * that order, as the service's records and fleet.db expect.
 * Does not: keep state, or let the service see any fs_scn_* type.
 */
#include <string.h>

#include "fleetsim/err.h"
#include "fleetsim/mem.h"
#include "fleetsim/rollout.h"
#include "fleetsim/run.h"
#include "fleetsim/scn.h"
#include "fleetsim/service.h"

/* The service's configuration of scn; see run.h. */
void
fs_run_svc_config(const struct fs_scn *scn, struct fs_arena *arena,
                  struct fs_svc_config *out)
{
    memset(out, 0, sizeof(*out));
    out->ndevices = fs_scn_device_count(scn);
    out->settings = scn->service;
    out->defenses = scn->defenses;
    for (uint32_t i = 0; i < scn->nactions; i++) {
        const struct fs_scn_action *a = &scn->actions[i];
        if (a->kind == FS_ACT_SET_SERVICE &&
            (a->u.service.given & (1u << FS_SVC_MAX_DOWNLOADS)) &&
            a->u.service.max_downloads > out->max_downloads_most)
            out->max_downloads_most = a->u.service.max_downloads;
    }
    struct fs_svc_product *p =
        fs_arena_alloc(arena, (scn->nproducts + 1) * sizeof(*p));
    for (uint32_t i = 0; i < scn->nproducts; i++) {
        p[i].name = scn->products[i].name;
        p[i].os_feed = scn->products[i].os_feed;
    }
    struct fs_svc_group *g =
        fs_arena_alloc(arena, (scn->ngroups + 1) * sizeof(*g));
    for (uint32_t i = 0; i < scn->ngroups; i++) {
        g[i].name = scn->groups[i].name;
        g[i].policy = scn->groups[i].policy;
        g[i].os_feed = scn->groups[i].os_feed;
    }
    struct fs_svc_image *im =
        fs_arena_alloc(arena, (scn->nimages + 1) * sizeof(*im));
    for (uint32_t i = 0; i < scn->nimages; i++) {
        const struct fs_scn_image *si = &scn->images[i];
        im[i].id = si->id;
        im[i].kind = si->kind;
        im[i].version = si->ver;
        im[i].product = si->product ? si->product->index : UINT32_MAX;
    }
    struct fs_svc_cohort *co =
        fs_arena_alloc(arena, (scn->ncohorts + 1) * sizeof(*co));
    for (uint32_t i = 0; i < scn->ncohorts; i++) {
        const struct fs_scn_cohort *sc = &scn->cohorts[i];
        const char **parts =
            fs_arena_alloc(arena, (sc->nwear + 1) * sizeof(*parts));
        for (uint32_t k = 0; k < sc->nwear; k++)
            parts[k] = sc->wear[k].part;
        co[i].first_device = sc->first_device;
        co[i].count = sc->count;
        co[i].product = sc->product->index;
        co[i].group = sc->group->index;
        co[i].nparts = sc->nwear;
        co[i].parts = parts;
    }
    out->nproducts = scn->nproducts;
    out->products = p;
    out->ngroups = scn->ngroups;
    out->groups = g;
    out->nimages = scn->nimages;
    out->images = im;
    out->ncohorts = scn->ncohorts;
    out->cohorts = co;
}

/* Add one deploy action to svc; the group list is converted on the way. */
static int
add_deploy(const struct fs_scn *scn, const uint32_t *deploy_index,
           struct fs_svc *svc, const struct fs_scn_deploy *dp, uint32_t *id)
{
    uint32_t *to = fs_xcalloc(dp->nto ? dp->nto : 1, sizeof(*to));
    for (uint32_t i = 0; i < dp->nto; i++)
        to[i] = dp->to[i]->index;
    uint32_t *wave_group =
        fs_xcalloc(dp->nwaves ? dp->nwaves : 1, sizeof(*wave_group));
    for (uint32_t k = 0; k < dp->nwaves; k++)
        wave_group[k] = dp->wave_group != NULL && dp->wave_group[k] != NULL
                            ? dp->wave_group[k]->index
                            : UINT32_MAX;
    /* after: the deployment id of that deploy, its place among the deploy
       actions in timeline order (the order deployments are added in). */
    uint32_t after =
        dp->after != NULL ? deploy_index[dp->after - scn->actions] : UINT32_MAX;
    struct fs_deploy_config cfg = {
        .id = dp->id,
        .image = dp->image->index,
        .nto = dp->nto,
        .to = to,
        .feed = dp->feed,
        .nwaves = dp->nwaves,
        .waves = dp->waves,
        .wave_interval_us = dp->wave_interval_us,
        .advance_when_ppm = dp->advance_when_ppm,
        .has_halt_error_rate = dp->has_halt_error_rate,
        .halt_error_rate_ppm = dp->halt_error_rate_ppm,
        .has_halt_failure_rate = dp->has_halt_failure_rate,
        .halt_failure_rate_ppm = dp->halt_failure_rate_ppm,
        .halt_min_devices = dp->halt_min_devices,
        .wave_group = wave_group,
        .has_after = after != UINT32_MAX,
        .after = after,
        .retries = dp->retries,
    };
    int err = fs_rollout_add(svc, &cfg, id);
    fs_free(wave_group);
    fs_free(to);
    return err;
}

/* Every deploy action of scn as a deployment of svc; see run.h. */
int
fs_run_svc_deploys(const struct fs_scn *scn, struct fs_svc *svc,
                   uint32_t *deploy_of_action)
{
    /* Each deploy action's deployment id, known before any is added, so
       an after: may name a later one (one pass, not one per after:). */
    uint32_t *deploy_index =
        fs_xcalloc(scn->nactions ? scn->nactions : 1, sizeof(uint32_t));
    for (uint32_t i = 0, n = 0; i < scn->nactions; i++)
        deploy_index[i] =
            scn->actions[i].kind == FS_ACT_DEPLOY ? n++ : UINT32_MAX;
    for (uint32_t i = 0; i < scn->nactions; i++) {
        const struct fs_scn_action *a = &scn->actions[i];
        uint32_t id = UINT32_MAX;
        if (a->kind == FS_ACT_DEPLOY) {
            int err = add_deploy(scn, deploy_index, svc, &a->u.deploy, &id);
            if (err != 0) {
                fs_free(deploy_index);
                return err;
            }
        }
        if (deploy_of_action != NULL)
            deploy_of_action[i] = id;
    }
    fs_free(deploy_index);
    if (deploy_of_action == NULL)
        return 0;
    for (uint32_t i = 0; i < scn->nactions; i++) {
        const struct fs_scn_action *a = &scn->actions[i];
        if (a->kind == FS_ACT_RESUME || a->kind == FS_ACT_CANCEL)
            deploy_of_action[i] =
                deploy_of_action[(size_t)(a->u.target - scn->actions)];
    }
    return 0;
}
