/*
 * service/rollout.c - deployments: targets, waves, gates, halts.
 *
 * Owns: struct svc_deploy for every deployment: its target devices and
 * their seeded order, the waves and their gates (wave_interval,
 * advance_when), the halt checks (error_rate, failure_rate), the states
 * pending -> running -> halted / completed / cancelled, the per-target
 * offer / confirm / failure / error bits, the confirm times behind
 * rollout_time, and the rollout_state / rollout_wave metrics.
 * Invariants: targets and ranks are fixed when a deployment is added, from
 * the config's cohorts (so a start allocates nothing); wave k holds exactly the
 * ranks below bound[k] = fs_share_of(waves[k], targets), made non-decreasing;
 * each target is counted at most once as offered, confirmed, failed and
 * errored; counters never exceed the targets; every state change is a
 * canonical record.
 * Does not: build METADATA (offer.c), serve downloads (download.c), or
 * count updates{} results other than "offered" (the devices do).
 */
#include <stdlib.h>
#include <string.h>

#include "fleetsim/err.h"
#include "fleetsim/mem.h"
#include "fleetsim/metrics.h"
#include "fleetsim/sim.h"
#include "fleetsim/units.h"

#include "service_int.h"

static const char *const state_names[] = {"pending", "running", "halted",
                                          "completed", "cancelled"};

/* A cohort's OS feed: its group's, else its product's. */
static enum fs_feed
rollout_feed(const struct fs_svc_config *cfg, const struct fs_svc_cohort *co)
{
    if (cfg->groups[co->group].os_feed != FS_FEED_NONE)
        return cfg->groups[co->group].os_feed;
    return cfg->products[co->product].os_feed;
}

/* True when the devices of cohort co are targets of deployment dp. */
static bool
rollout_cohort_targeted(const struct fs_svc_config *cfg,
                        const struct fs_deploy_config *dp,
                        const struct fs_svc_cohort *co)
{
    const struct fs_svc_image *img = &cfg->images[dp->image];
    enum fs_policy policy = cfg->groups[co->group].policy;
    bool is_app = img->kind == FS_IMAGE_APP;
    if (policy == FS_POLICY_NO_UPDATES)
        return false;
    if (is_app && policy == FS_POLICY_NO_APP_UPDATES)
        return false;
    if (is_app && co->product != img->product)
        return false;
    if (!is_app && dp->feed != FS_FEED_NONE &&
        rollout_feed(cfg, co) != dp->feed)
        return false;
    if (dp->nto == 0)
        return true;
    for (uint32_t i = 0; i < dp->nto; i++)
        if (dp->to[i] == co->group)
            return true;
    return false;
}

/* Give each targeted cohort the record slot of its (group, product). */
static void
rollout_slots(struct svc_deploy *d, const struct fs_svc_config *cfg,
              const struct fs_deploy_config *dp)
{
    d->slot_of_cohort =
        fs_xcalloc(cfg->ncohorts ? cfg->ncohorts : 1, sizeof(uint32_t));
    for (uint32_t c = 0; c < cfg->ncohorts; c++) {
        const struct fs_svc_cohort *co = &cfg->cohorts[c];
        d->slot_of_cohort[c] = UINT32_MAX;
        if (!rollout_cohort_targeted(cfg, dp, co))
            continue;
        for (uint32_t p = 0; p < c; p++) {
            const struct fs_svc_cohort *po = &cfg->cohorts[p];
            if (d->slot_of_cohort[p] != UINT32_MAX && po->group == co->group &&
                po->product == co->product) {
                d->slot_of_cohort[c] = d->slot_of_cohort[p];
                break;
            }
        }
        if (d->slot_of_cohort[c] == UINT32_MAX)
            d->slot_of_cohort[c] = d->nslots++;
        uint64_t first = co->first_device, end = first + co->count;
        if (d->ntargets == 0 || first < d->lo)
            d->lo = (uint32_t)first;
        if (d->ntargets == 0 || end > (uint64_t)d->lo + d->span)
            d->span = (uint32_t)(end - d->lo);
        d->ntargets += (uint32_t)co->count;
    }
    d->records = fs_xcalloc(d->nslots ? d->nslots : 1, sizeof(*d->records));
}

/* True when some wave of dp is a group wave. */
static bool
rollout_has_group_waves(const struct fs_deploy_config *dp)
{
    for (uint32_t k = 0; dp->wave_group != NULL && k < dp->nwaves; k++)
        if (dp->wave_group[k] != UINT32_MAX)
            return true;
    return false;
}

/*
 * Group waves (1.1): reorder the seeded order order[] (device ids, with
 * their groups in group_of[]) wave by wave. A group wave takes every
 * target of its group, in seeded order; a share wave takes, from the pool
 * of targets in no group wave, enough to reach its cumulative share of
 * that pool. bound[k] is the count placed by the end of wave k. Targets
 * no wave takes (waves ending below 100%) come last and are never offered.
 */
static void
rollout_order_groups(struct svc_deploy *d, const struct fs_deploy_config *dp,
                     int64_t *order, const uint32_t *group_of)
{
    uint32_t n = d->ntargets;
    uint8_t *placed = fs_xcalloc(n ? n : 1, 1);
    uint8_t *in_group_wave = fs_xcalloc(n ? n : 1, 1);
    uint32_t pool = 0;
    for (uint32_t i = 0; i < n; i++) {
        for (uint32_t k = 0; k < dp->nwaves; k++)
            if (dp->wave_group[k] != UINT32_MAX &&
                dp->wave_group[k] == group_of[i])
                in_group_wave[i] = 1;
        pool += !in_group_wave[i];
    }
    int64_t *out = fs_xmalloc((n ? n : 1) * sizeof(*out));
    uint32_t len = 0, pool_taken = 0, pool_next = 0;
    for (uint32_t k = 0; k < dp->nwaves; k++) {
        if (dp->wave_group[k] != UINT32_MAX) {
            for (uint32_t i = 0; i < n; i++)
                if (!placed[i] && group_of[i] == dp->wave_group[k]) {
                    placed[i] = 1;
                    out[len++] = order[i];
                }
        } else {
            uint64_t need = fs_share_of(&dp->waves[k], pool);
            for (; pool_taken < need && pool_next < n; pool_next++) {
                if (placed[pool_next] || in_group_wave[pool_next])
                    continue;
                placed[pool_next] = 1;
                out[len++] = order[pool_next];
                pool_taken++;
            }
        }
        d->bound[k] = len;
    }
    for (uint32_t i = 0; i < n; i++)
        if (!placed[i])
            out[len++] = order[i];
    FS_ASSERT(len == n);
    memcpy(order, out, (n ? n : 1) * sizeof(*out));
    fs_free(out);
    fs_free(in_group_wave);
    fs_free(placed);
}

/*
 * Order the targets by a seeded permutation (Fisher-Yates over the target
 * ids in device order, stream FS_RNG_ROLLOUT of id UINT32_MAX - 1 - index)
 * and remember each one's rank; group waves then reorder it (their bounds
 * replace the share bounds). confirm_us serves as scratch.
 */
static void
rollout_rank(struct svc_deploy *d, const struct fs_svc_config *cfg,
             const struct fs_deploy_config *dp, uint64_t seed)
{
    d->rank = fs_xmalloc((d->span ? d->span : 1) * sizeof(uint32_t));
    d->flags = fs_xcalloc(d->span ? d->span : 1, 1);
    d->fails = fs_xcalloc(d->span ? d->span : 1, 1);
    d->confirm_us = fs_xcalloc(d->ntargets ? d->ntargets : 1, sizeof(int64_t));
    bool groups = rollout_has_group_waves(dp);
    uint32_t *group_of =
        groups ? fs_xmalloc((d->ntargets ? d->ntargets : 1) * sizeof(uint32_t))
               : NULL;
    for (uint32_t i = 0; i < d->span; i++)
        d->rank[i] = UINT32_MAX;
    uint32_t n = 0;
    for (uint32_t c = 0; c < cfg->ncohorts; c++) {
        if (d->slot_of_cohort[c] == UINT32_MAX)
            continue;
        const struct fs_svc_cohort *co = &cfg->cohorts[c];
        for (uint64_t k = 0; k < co->count; k++) {
            if (groups)
                group_of[n] = co->group;
            d->confirm_us[n++] = (int64_t)(co->first_device + k);
        }
    }
    FS_ASSERT(n == d->ntargets);
    struct fs_rng r;
    fs_rng_seed(&r, seed, UINT32_MAX - 1 - d->index, FS_RNG_ROLLOUT);
    for (uint32_t i = n; i > 1; i--) {
        uint32_t j = (uint32_t)fs_rng_below(&r, i);
        int64_t t = d->confirm_us[i - 1];
        d->confirm_us[i - 1] = d->confirm_us[j];
        d->confirm_us[j] = t;
        if (groups) {
            uint32_t g = group_of[i - 1];
            group_of[i - 1] = group_of[j];
            group_of[j] = g;
        }
    }
    if (groups)
        rollout_order_groups(d, dp, d->confirm_us, group_of);
    fs_free(group_of);
    for (uint32_t i = 0; i < n; i++)
        d->rank[(uint32_t)d->confirm_us[i] - d->lo] = i;
    memset(d->confirm_us, 0, (d->ntargets ? d->ntargets : 1) * sizeof(int64_t));
}

/* Wave bounds: exact cumulative shares of the targets, non-decreasing. */
static void
rollout_waves(struct svc_deploy *d, const struct fs_deploy_config *dp)
{
    d->nwaves = dp->nwaves ? dp->nwaves : 1;
    d->bound = fs_xcalloc(d->nwaves, sizeof(uint32_t));
    d->wave_confirmed = fs_xcalloc(d->nwaves, sizeof(uint32_t));
    d->opened_us = fs_xcalloc(d->nwaves, sizeof(int64_t));
    for (uint32_t k = 0; k < d->nwaves; k++) {
        uint64_t b = d->ntargets;
        if (dp->nwaves > 0)
            b = fs_share_of(&dp->waves[k], d->ntargets);
        if (k > 0 && b < d->bound[k - 1])
            b = d->bound[k - 1];
        d->bound[k] = (uint32_t)b;
        d->opened_us[k] = -1;
    }
}

static void
rollout_set_metrics(struct svc_deploy *d)
{
    struct fs_metrics *m = d->svc->env.metrics;
    fs_metrics_set_string(m, d->state_series, state_names[d->state]);
    fs_metrics_set(m, d->wave_series, (int64_t)d->wave);
}

/* Deployment tables start empty; rollout_time reads them. */
void
fs__rollout_init(struct fs_svc *s)
{
    s->ndeploys = 0;
    s->cap_deploys = 0;
    s->deploys = NULL;
    fs_metrics_set_rollout_time(s->env.metrics, fs_rollout_time, s);
}

/* Add a deployment; see rollout.h. */
int
fs_rollout_add(struct fs_svc *s, const struct fs_deploy_config *cfg,
               uint32_t *out_id)
{
    const struct fs_svc_config *sc = &s->config;
    if (cfg->id == NULL || cfg->image >= sc->nimages ||
        cfg->image >= s->nimages || fs_rollout_find(s, cfg->id) != UINT32_MAX ||
        s->ndeploys >= UINT32_MAX - 2 ||
        (cfg->nwaves > 0 && cfg->waves == NULL) ||
        (cfg->has_after &&
         (cfg->after == s->ndeploys || cfg->after >= UINT32_MAX - 2)))
        return FS_EINVAL;
    for (uint32_t k = 0; cfg->wave_group != NULL && k < cfg->nwaves; k++)
        if (cfg->wave_group[k] != UINT32_MAX &&
            cfg->wave_group[k] >= sc->ngroups)
            return FS_EINVAL;
    for (uint32_t i = 0; i < cfg->nto; i++)
        if (cfg->to[i] >= sc->ngroups)
            return FS_EINVAL;
    if (s->ndeploys == s->cap_deploys) {
        uint32_t cap = s->cap_deploys ? s->cap_deploys * 2 : 4;
        struct svc_deploy **n = fs_xcalloc(cap, sizeof(*n));
        for (uint32_t i = 0; i < s->ndeploys; i++)
            n[i] = s->deploys[i];
        fs_free(s->deploys);
        s->deploys = n;
        s->cap_deploys = cap;
    }
    struct svc_deploy *d = fs_xcalloc(1, sizeof(*d));
    d->svc = s;
    d->cfg = *cfg;
    d->cfg.nto = 0;
    d->cfg.to = NULL;
    d->cfg.nwaves = 0;
    d->cfg.waves = NULL;
    d->index = s->ndeploys;
    d->image = cfg->image;
    d->state = SVC_DS_PENDING;
    d->start_us = -1;
    d->offered_series = UINT32_MAX;
    d->cfg.wave_group = NULL;
    if (d->cfg.halt_min_devices == 0)
        d->cfg.halt_min_devices = 1;
    rollout_slots(d, sc, cfg);
    rollout_waves(d, cfg);
    rollout_rank(d, sc, cfg, fs_sim_seed(s->env.sim));
    const char *v[1] = {cfg->id};
    d->state_series = fs_metrics_series(s->env.metrics, FS_M_ROLLOUT_STATE, v);
    d->wave_series = fs_metrics_series(s->env.metrics, FS_M_ROLLOUT_WAVE, v);
    rollout_set_metrics(d);
    s->deploys[s->ndeploys++] = d;
    *out_id = d->index;
    return 0;
}

/* The id of the deployment called id; see rollout.h. */
uint32_t
fs_rollout_find(const struct fs_svc *s, const char *id)
{
    for (uint32_t i = 0; i < s->ndeploys; i++)
        if (strcmp(s->deploys[i]->cfg.id, id) == 0)
            return i;
    return UINT32_MAX;
}

/* Free every deployment. */
void
fs__rollout_fini(struct fs_svc *s)
{
    for (uint32_t i = 0; i < s->ndeploys; i++) {
        struct svc_deploy *d = s->deploys[i];
        fs_free(d->records);
        fs_free(d->slot_of_cohort);
        fs_free(d->confirm_us);
        fs_free(d->flags);
        fs_free(d->fails);
        fs_free(d->rank);
        fs_free(d->opened_us);
        fs_free(d->wave_confirmed);
        fs_free(d->bound);
        fs_free(d);
    }
    fs_free(s->deploys);
    fs_metrics_set_rollout_time(s->env.metrics, NULL, NULL);
}

/* The rank of device among d's targets, or UINT32_MAX. */
uint32_t
fs__rollout_rank(const struct svc_deploy *d, uint32_t device)
{
    if (device < d->lo || device - d->lo >= d->span)
        return UINT32_MAX;
    return d->rank[device - d->lo];
}

/* The 0-based wave holding rank. */
static uint32_t
rollout_wave_of(const struct svc_deploy *d, uint32_t rank)
{
    for (uint32_t k = 0; k < d->nwaves; k++)
        if (rank < d->bound[k])
            return k;
    return d->nwaves;
}

static struct svc_deploy *
rollout_get(const struct fs_svc *s, uint32_t deploy)
{
    return deploy < s->ndeploys ? s->deploys[deploy] : NULL;
}

static void
rollout_set_state(struct svc_deploy *d, enum svc_deploy_state st)
{
    d->state = (uint8_t)st;
    rollout_set_metrics(d);
}

static void rollout_begin(struct svc_deploy *d);

/* Completed once every device of the last wave's bound confirmed. */
static void
rollout_check_complete(struct svc_deploy *d)
{
    if (d->state != SVC_DS_RUNNING)
        return;
    uint32_t done = 0;
    for (uint32_t k = 0; k < d->nwaves; k++)
        done += d->wave_confirmed[k];
    if (done < d->bound[d->nwaves - 1])
        return;
    rollout_set_state(d, SVC_DS_COMPLETED);
    fs_sim_record(d->svc->env.sim, FS_REC_SVC_COMPLETE, d->index, done);
    /* Deployments waiting for this one (after:) start now, in id order. */
    struct fs_svc *s = d->svc;
    for (uint32_t i = 0; i < s->ndeploys; i++) {
        struct svc_deploy *e = s->deploys[i];
        if (e->cfg.has_after && e->cfg.after == d->index && e->start_asked &&
            e->state == SVC_DS_PENDING)
            rollout_begin(e);
    }
}

/* True when wave k (0-based, opened) passed its advance_when gate. */
static bool
rollout_gate_passed(const struct svc_deploy *d, uint32_t k)
{
    uint64_t size = d->bound[k] - (k > 0 ? d->bound[k - 1] : 0);
    uint64_t want = d->cfg.advance_when_ppm;
    return (uint64_t)d->wave_confirmed[k] * 1000000u >= want * size;
}

static void rollout_timer(struct fs_sim *sim, void *arg);

static void
rollout_open_wave(struct svc_deploy *d)
{
    FS_ASSERT(d->wave < d->nwaves);
    d->opened_us[d->wave++] = fs_sim_now_us(d->svc->env.sim);
    rollout_set_metrics(d);
    fs_sim_record(d->svc->env.sim, FS_REC_SVC_WAVE_OPEN, d->index, d->wave);
}

/*
 * Open further waves while the deployment runs and the gates allow it;
 * arm the timer for the wave_interval boundary when that is what waits.
 * Bounded by nwaves.
 */
static void
rollout_advance(struct svc_deploy *d)
{
    struct fs_sim *sim = d->svc->env.sim;
    int64_t interval = d->cfg.wave_interval_us;
    while (d->state == SVC_DS_RUNNING && d->wave < d->nwaves) {
        int64_t due = fs_units_time_add_us(d->opened_us[d->wave - 1], interval);
        if (fs_sim_now_us(sim) < due) {
            if (!d->timer_armed &&
                fs_sim_schedule_at(sim, due, rollout_timer, d, NULL) == 0)
                d->timer_armed = true;
            break;
        }
        if (!rollout_gate_passed(d, d->wave - 1))
            break;
        rollout_open_wave(d);
    }
    rollout_check_complete(d);
}

static void
rollout_timer(struct fs_sim *sim, void *arg)
{
    struct svc_deploy *d = arg;
    (void)sim;
    d->timer_armed = false;
    rollout_advance(d);
}

/* Start a pending deployment now: running, first wave open. */
static void
rollout_begin(struct svc_deploy *d)
{
    struct fs_svc *s = d->svc;
    d->start_us = fs_sim_now_us(s->env.sim);
    fs_sim_record(s->env.sim, FS_REC_SVC_DEPLOY_START, d->index, d->ntargets);
    rollout_set_state(d, SVC_DS_RUNNING);
    rollout_open_wave(d);
    rollout_advance(d);
}

/* Start a pending deployment, or let it wait for its after:; see
   rollout.h. */
int
fs_rollout_start(struct fs_svc *s, uint32_t deploy)
{
    struct svc_deploy *d = rollout_get(s, deploy);
    if (d == NULL)
        return FS_ENOENT;
    if (d->state != SVC_DS_PENDING || d->start_asked)
        return 0;
    d->start_asked = true;
    if (d->cfg.has_after) {
        const struct svc_deploy *first = rollout_get(s, d->cfg.after);
        if (first == NULL)
            return FS_ENOENT;
        if (first->state != SVC_DS_COMPLETED)
            return 0; /* pending until first completes */
    }
    rollout_begin(d);
    return 0;
}

/* Resume a halted deployment; see rollout.h. */
int
fs_rollout_resume(struct fs_svc *s, uint32_t deploy)
{
    struct svc_deploy *d = rollout_get(s, deploy);
    if (d == NULL)
        return FS_ENOENT;
    if (d->state != SVC_DS_HALTED)
        return 0;
    rollout_set_state(d, SVC_DS_RUNNING);
    fs_sim_record(s->env.sim, FS_REC_SVC_RESUME, d->index, d->wave);
    rollout_advance(d);
    return 0;
}

/* Cancel a deployment; see rollout.h. */
int
fs_rollout_cancel(struct fs_svc *s, uint32_t deploy)
{
    struct svc_deploy *d = rollout_get(s, deploy);
    if (d == NULL)
        return FS_ENOENT;
    if (d->state == SVC_DS_COMPLETED || d->state == SVC_DS_CANCELLED)
        return 0;
    fs_sim_record(s->env.sim, FS_REC_SVC_CANCEL, d->index, d->state);
    rollout_set_state(d, SVC_DS_CANCELLED);
    return 0;
}

/* Halt a running deployment whose error or failure share is exceeded,
   once at least halt_min_devices targets were offered. */
void
fs__rollout_check_halt(struct svc_deploy *d)
{
    const struct fs_deploy_config *dp = &d->cfg;
    if (d->state != SVC_DS_RUNNING || d->noffered == 0 ||
        d->noffered < dp->halt_min_devices)
        return;
    uint64_t offered = d->noffered;
    int why = 0;
    if (dp->has_halt_error_rate &&
        (uint64_t)d->nerrors * 1000000u > dp->halt_error_rate_ppm * offered)
        why = FS_HALT_ERROR_RATE;
    else if (dp->has_halt_failure_rate &&
             (uint64_t)d->nfailures * 1000000u >
                 dp->halt_failure_rate_ppm * offered)
        why = FS_HALT_FAILURE_RATE;
    if (why == 0)
        return;
    rollout_set_state(d, SVC_DS_HALTED);
    fs_sim_record(d->svc->env.sim, FS_REC_SVC_HALT, d->index, why);
}

/* A target confirmed; see service_int.h. */
void
fs__rollout_confirmed(struct svc_deploy *d, uint32_t device, int64_t at_us)
{
    uint32_t rank = fs__rollout_rank(d, device);
    if (rank == UINT32_MAX || d->state == SVC_DS_PENDING)
        return;
    uint8_t *f = &d->flags[device - d->lo];
    if (*f & SVC_DT_CONFIRMED)
        return;
    *f |= SVC_DT_CONFIRMED;
    FS_ASSERT(d->nconfirmed < d->ntargets);
    d->confirm_us[d->nconfirmed++] = at_us > d->start_us ? at_us : d->start_us;
    d->confirm_sorted = false;
    uint32_t k = rollout_wave_of(d, rank);
    if (k < d->nwaves)
        d->wave_confirmed[k]++;
    rollout_advance(d);
}

/* One update outcome of device for deployment d. */
static void
rollout_outcome(struct svc_deploy *d, uint32_t device,
                const struct fs_update_report *u)
{
    if (u->image != d->image || fs__rollout_rank(d, device) == UINT32_MAX)
        return;
    if (u->result == FS_UPD_CONFIRMED) {
        fs__rollout_confirmed(d, device, u->at_us);
        return;
    }
    if (u->result != FS_UPD_FAILED && u->result != FS_UPD_ROLLED_BACK)
        return;
    uint8_t *f = &d->flags[device - d->lo];
    if (!(*f & SVC_DT_OFFERED))
        return;
    /* retries: the record it acted on is signed anew at the next offer
       of its slot, so it tries again (at most cfg.retries more times;
       offer.c stops offering after that). */
    uint8_t *tries = &d->fails[device - d->lo];
    if (*tries < UINT8_MAX)
        (*tries)++;
    if (*tries <= d->cfg.retries) {
        const struct fs_svc_cohort *co = fs__svc_cohort_of(d->svc, device);
        uint32_t slot =
            co ? d->slot_of_cohort[co - d->svc->config.cohorts] : UINT32_MAX;
        if (slot < d->nslots)
            d->records[slot].stale = true;
    }
    if (*f & SVC_DT_FAILED)
        return; /* devices, not attempts */
    *f |= SVC_DT_FAILED;
    d->nfailures++;
    fs__rollout_check_halt(d);
}

/* Take in the update outcomes of an EVIDENCE message. */
void
fs__rollout_intake(struct fs_svc *s, const struct fs_msg *m)
{
    unsigned n = m->u.evidence.nupdates;
    if (n > FS_UPDATES_PER_MSG)
        n = FS_UPDATES_PER_MSG;
    uint32_t device = m->device;
    if (fs__registry_dev(s, device) == NULL)
        return;
    for (unsigned i = 0; i < n; i++) {
        const struct fs_update_report *u = &m->u.evidence.updates[i];
        uint64_t v = ((uint64_t)(u->deployment & 0xffffffffffu) << 16) |
                     ((uint64_t)u->result << 8) | u->reason;
        fs_sim_record(s->env.sim, FS_REC_SVC_UPDATE_REPORT, device, (int64_t)v);
        if (u->deployment < s->ndeploys)
            rollout_outcome(s->deploys[u->deployment], device, u);
    }
}

/* An error report of image from device; may halt deployments. */
void
fs__rollout_error(struct fs_svc *s, uint32_t device, uint32_t image)
{
    for (uint32_t i = 0; i < s->ndeploys; i++) {
        struct svc_deploy *d = s->deploys[i];
        if (d->image != image || fs__rollout_rank(d, device) == UINT32_MAX)
            continue;
        uint8_t *f = &d->flags[device - d->lo];
        if ((*f & SVC_DT_ERROR) || !(*f & SVC_DT_OFFERED))
            continue;
        *f |= SVC_DT_ERROR;
        d->nerrors++;
        fs__rollout_check_halt(d);
    }
}

static int
rollout_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* rollout_time of deployment id; see rollout.h. */
int
fs_rollout_time(void *svc, const char *id, uint32_t share_ppm, int64_t *out_us)
{
    struct fs_svc *s = svc;
    struct svc_deploy *d = rollout_get(s, fs_rollout_find(s, id));
    if (d == NULL)
        return FS_ENOENT;
    /* Reached once confirmed / targets >= share: ceil(share * targets). */
    uint64_t need = ((uint64_t)d->ntargets * share_ppm + 999999u) / 1000000u;
    if (d->start_us < 0 || need > d->nconfirmed) {
        *out_us = INT64_MAX;
        return 0;
    }
    if (need == 0) {
        *out_us = 0;
        return 0;
    }
    if (!d->confirm_sorted) {
        qsort(d->confirm_us, d->nconfirmed, sizeof(int64_t), rollout_cmp_i64);
        d->confirm_sorted = true;
    }
    *out_us = d->confirm_us[need - 1] - d->start_us;
    return 0;
}

/* Describe deployment id; see rollout.h. */
int
fs_rollout_info(const struct fs_svc *s, const char *id,
                struct fs_rollout_info *out)
{
    for (uint32_t i = 0; i < s->ndeploys; i++) {
        const struct svc_deploy *d = s->deploys[i];
        if (strcmp(d->cfg.id, id) != 0)
            continue;
        out->index = d->index;
        out->state = state_names[d->state];
        out->wave = d->wave;
        out->nwaves = d->nwaves;
        out->bound = d->bound;
        out->targets = d->ntargets;
        out->offered = d->noffered;
        out->confirmed = d->nconfirmed;
        out->errors = d->nerrors;
        out->failures = d->nfailures;
        out->start_us = d->start_us;
        out->opened_us = d->opened_us;
        out->wave_confirmed = d->wave_confirmed;
        return 0;
    }
    return FS_ENOENT;
}

/* Bytes held by deployments. */
size_t
fs__rollout_bytes(const struct fs_svc *s)
{
    size_t n = (size_t)s->cap_deploys * sizeof(*s->deploys) +
               (size_t)s->ndeploys * sizeof(struct svc_deploy);
    for (uint32_t i = 0; i < s->ndeploys; i++) {
        const struct svc_deploy *d = s->deploys[i];
        n += (size_t)d->span * (sizeof(uint32_t) + 2) +
             (size_t)d->ntargets * sizeof(int64_t) +
             (size_t)d->nwaves * (2 * sizeof(uint32_t) + sizeof(int64_t)) +
             (size_t)s->config.ncohorts * sizeof(uint32_t) +
             (size_t)d->nslots * sizeof(*d->records);
    }
    return n;
}

/* Counters agree with the per-target bits (O(span)). */
static bool
rollout_check_one(const struct svc_deploy *d)
{
    uint32_t offered = 0, confirmed = 0, errors = 0, failures = 0;
    uint32_t targets = 0;
    for (uint32_t i = 0; i < d->span; i++) {
        if (d->rank[i] == UINT32_MAX) {
            if (d->flags[i] != 0)
                return false;
            continue;
        }
        targets++;
        offered += (d->flags[i] & SVC_DT_OFFERED) != 0;
        confirmed += (d->flags[i] & SVC_DT_CONFIRMED) != 0;
        errors += (d->flags[i] & SVC_DT_ERROR) != 0;
        failures += (d->flags[i] & SVC_DT_FAILED) != 0;
    }
    uint32_t in_waves = 0;
    for (uint32_t k = 0; k < d->nwaves; k++) {
        if (k > 0 && d->bound[k] < d->bound[k - 1])
            return false;
        in_waves += d->wave_confirmed[k];
    }
    return targets == d->ntargets && offered == d->noffered &&
           confirmed == d->nconfirmed && errors == d->nerrors &&
           failures == d->nfailures && in_waves <= confirmed &&
           d->wave <= d->nwaves && d->state <= SVC_DS_CANCELLED &&
           d->bound[d->nwaves - 1] <= d->ntargets &&
           (d->state != SVC_DS_PENDING || d->start_us < 0) &&
           (d->state == SVC_DS_PENDING || d->state == SVC_DS_CANCELLED ||
            d->start_us >= 0);
}

/* Every deployment's counters agree with its per-target bits. */
bool
fs__rollout_check(const struct fs_svc *s)
{
    for (uint32_t i = 0; i < s->ndeploys; i++)
        if (!rollout_check_one(s->deploys[i]))
            return false;
    return true;
}
