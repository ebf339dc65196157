/*
 * sim/attack/attack.c - the attacker and fault injector: set-up, targets,
 * counting, and dispatch of timeline actions and path messages.
 *
 * Owns: struct fs_attack, choosing each action's targets from the seed
 * (the action's FS_RNG_ATTACK stream), the attacks{kind, outcome} series
 * and their totals, and routing each fired action and each message on the
 * network path to the module that carries that attack out
 * (sim/attack/attack_attest.c, sim/attack/attack_local.c,
 * sim/attack/attack_flood.c). Invariants: targets are drawn at create,
 * uniformly without replacement among the devices the targets mapping matches,
 * and kept sorted by id; an attempt counts attempted once and ends blocked or
 * succeeded at most once, decided by what the model's own checks did (never by
 * its kind); every message the hooks take is forwarded, held or returned to the
 * pool exactly once.
 * Does not: turn defences on or off, change what devices and the service
 * check, or read any clock but the engine's.
 */
#include <string.h>

#include "fleetsim/attack.h"
#include "fleetsim/ctx.h"
#include "fleetsim/mem.h"
#include "fleetsim/metrics.h"
#include "fleetsim/units.h"

#include "attack_int.h"

static const char *const outcome_names[4] = {"attempted", "blocked",
                                             "succeeded", "undecided"};

/* Series of attacks{kind=k, outcome=o}, created on first use. */
static uint32_t
atk_series(struct fs_attack *a, unsigned k, unsigned o)
{
    FS_ASSERT(k < FS_ATK_COUNT);
    FS_ASSERT(o < 4);
    if (a->series[k][o] == UINT32_MAX) {
        const char *v[2] = {fs_scn_attack_name((enum fs_scn_attack_kind)k),
                            outcome_names[o]};
        a->series[k][o] = fs_metrics_series(a->env.metrics, FS_M_ATTACKS, v);
    }
    return a->series[k][o];
}

/* An attempt of attack kind on device starts (device may be NO_DEVICE). */
void
fs__attack_attempt(struct fs_attack *a, unsigned kind, uint32_t device)
{
    a->totals[kind].attempted++;
    fs_metrics_add(a->env.metrics, atk_series(a, kind, 0), 1);
    fs_sim_record(a->env.sim, FS_REC_ATK_ATTEMPT, device, (int64_t)kind);
}

/* An attempt ends; succeeded is what the model's checks let through. */
void
fs__attack_end(struct fs_attack *a, unsigned kind, uint32_t device,
               bool succeeded)
{
    struct fs_attack_totals *t = &a->totals[kind];
    FS_ASSERT(t->blocked + t->succeeded < t->attempted);
    if (succeeded)
        t->succeeded++;
    else
        t->blocked++;
    fs_metrics_add(a->env.metrics, atk_series(a, kind, succeeded ? 2 : 1), 1);
    fs_sim_record(a->env.sim,
                  succeeded ? FS_REC_ATK_SUCCEEDED : FS_REC_ATK_BLOCKED, device,
                  (int64_t)kind);
}

/* The target of ac on device, or NULL (binary search). */
struct atk_target *
fs__attack_find(struct atk_action *ac, uint32_t device)
{
    uint32_t lo = 0, hi = ac->ntargets;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        uint32_t d = ac->targets[mid].device;
        if (d == device)
            return &ac->targets[mid];
        if (d < device)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* (Re)arm t's timer to run fn(sim, t) after delay_us. */
void
fs__attack_timer(struct atk_target *t, int64_t delay_us, fs_event_fn *fn)
{
    struct fs_sim *sim = t->act->a->env.sim;
    if (t->t_timer != 0)
        fs_sim_cancel(sim, t->t_timer);
    t->t_timer = 0;
    if (fs_sim_schedule(sim, delay_us, fn, t, &t->t_timer) != 0)
        t->t_timer = 0; /* past the end of simulated time */
}

/*
 * The payload stream of target t: the action's stream at a counter of its
 * own, so payloads do not depend on the order attempts happen in.
 */
void
fs__attack_payload_rng(const struct atk_action *ac, const struct atk_target *t,
                       struct fs_rng *out)
{
    *out = ac->rng;
    out->counter = ATK_PAYLOAD_COUNTER + ((uint64_t)t->index << 16);
}

/* A message built by the attacker (forged is set for accounting only). */
struct fs_msg *
fs__attack_msg(struct fs_attack *a, uint8_t kind, uint32_t device)
{
    struct fs_msg *m = fs_msgpool_get(a->env.pool);
    m->kind = kind;
    m->device = device;
    m->forged = true;
    return m;
}

/*
 * Choose the targets of ac: the devices tg names, drawn from the action's
 * stream by fs_scn_targets_pick (selection sampling, sorted by id).
 */
static void
select_targets(struct fs_attack *a, struct atk_action *ac,
               const struct fs_scn_targets *tg)
{
    uint32_t *ids;
    uint32_t k = fs_scn_targets_pick(a->env.scn, tg, &ac->rng, &ids);
    ac->ntargets = k;
    ac->targets = fs_xcalloc(k ? k : 1, sizeof(*ac->targets));
    for (uint32_t i = 0; i < k; i++) {
        struct atk_target *t = &ac->targets[i];
        t->act = ac;
        t->device = ids[i];
        t->index = i;
    }
    fs_free(ids);
}

/* Set up the state of one attack or fault action. */
static void
setup_action(struct fs_attack *a, uint32_t i)
{
    const struct fs_scn_action *act = &a->env.scn->actions[i];
    struct atk_action *ac = &a->acts[i];
    ac->a = a;
    ac->act = act;
    ac->is_fault = act->kind == FS_ACT_FAULT;
    ac->kind = ac->is_fault ? (unsigned)act->u.fault.kind
                            : (unsigned)act->u.attack.kind;
    fs_rng_seed(&ac->rng, fs_sim_seed(a->env.sim), UINT32_MAX - act->file_index,
                FS_RNG_ATTACK);
    const struct fs_scn_targets *tg =
        ac->is_fault ? &act->u.fault.targets : &act->u.attack.targets;
    if (tg->given)
        select_targets(a, ac, tg);
    if (!ac->is_fault && ac->kind == FS_ATK_REPLAY_ATTESTATION) {
        ac->rec = fs_xcalloc(ac->ntargets ? ac->ntargets : 1, sizeof(*ac->rec));
        a->watch[a->nwatch++] = i;
    }
    if (!ac->is_fault && ac->kind == FS_ATK_CHECKIN_FLOOD) {
        uint32_t ndevs = fs_fleet_count(a->env.fleet);
        ac->flood = fs_xcalloc(1, sizeof(*ac->flood));
        ac->flood->pending_us = fs_xcalloc(ndevs ? ndevs : 1, sizeof(int64_t));
        for (uint32_t d = 0; d < ndevs; d++)
            ac->flood->pending_us[d] = -1;
        a->floods[a->nfloods++] = i;
    }
    if (!ac->is_fault && fs__attack_is_update_kind(ac->kind)) {
        ac->upd = fs_xcalloc(ac->ntargets ? ac->ntargets : 1, sizeof(*ac->upd));
        a->upds[a->nupds++] = i;
        fs__attack_upd_setup(ac);
    }
    if (ac->is_fault && ac->kind == FS_FAULT_NETWORK_OUTAGE &&
        a->offline_holds == NULL)
        a->offline_holds = fs_xcalloc(fs_fleet_count(a->env.fleet) + 1u, 1);
}

int
fs_attack_create(const struct fs_attack_env *env, struct fs_attack **out)
{
    struct fs_attack *a = fs_xcalloc(1, sizeof(*a));
    a->env = *env;
    const struct fs_scn *scn = env->scn;
    a->nacts = scn->nactions;
    a->acts = fs_xcalloc(a->nacts ? a->nacts : 1, sizeof(*a->acts));
    a->watch = fs_xcalloc(a->nacts ? a->nacts : 1, sizeof(*a->watch));
    a->floods = fs_xcalloc(a->nacts ? a->nacts : 1, sizeof(*a->floods));
    a->upds = fs_xcalloc(a->nacts ? a->nacts : 1, sizeof(*a->upds));
    memset(a->series, 0xff, sizeof(a->series));
    for (uint32_t i = 0; i < a->nacts; i++) {
        enum fs_scn_action_kind k = scn->actions[i].kind;
        if (k == FS_ACT_ATTACK || k == FS_ACT_FAULT)
            setup_action(a, i);
    }
    fs_sim_set_ctx(env->sim, FS_CTX_ATTACK, a);
    *out = a;
    return 0;
}

void
fs_attack_destroy(struct fs_attack *a)
{
    if (a == NULL)
        return;
    if (fs_sim_ctx(a->env.sim, FS_CTX_ATTACK) == a)
        fs_sim_set_ctx(a->env.sim, FS_CTX_ATTACK, NULL);
    for (uint32_t i = 0; i < a->nacts; i++) {
        struct atk_action *ac = &a->acts[i];
        if (ac->flood != NULL)
            fs_free(ac->flood->pending_us);
        fs_free(ac->flood);
        fs__attack_upd_destroy(ac);
        fs_free(ac->rec);
        fs_free(ac->targets);
    }
    fs_free(a->offline_holds);
    fs_free(a->upds);
    fs_free(a->floods);
    fs_free(a->watch);
    fs_free(a->acts);
    fs_free(a);
}

static void
fire_attack(struct atk_action *ac)
{
    switch ((enum fs_scn_attack_kind)ac->kind) {
    case FS_ATK_REPLAY_ATTESTATION:
    case FS_ATK_CLONE_IDENTITY:
        fs__attack_attest_fire(ac);
        break;
    case FS_ATK_MALICIOUS_FLASH:
        fs__attack_flash_fire(ac);
        break;
    case FS_ATK_COMPROMISED_APP:
        fs__attack_app_fire(ac);
        break;
    case FS_ATK_CHECKIN_FLOOD:
        fs__attack_flood_fire(ac);
        break;
    default:
        if (fs__attack_is_update_kind(ac->kind))
            fs__attack_upd_fire(ac);
        break;
    }
}

static void
fire_fault(struct atk_action *ac)
{
    switch ((enum fs_scn_fault_kind)ac->kind) {
    case FS_FAULT_NETWORK_OUTAGE:
        fs__attack_netout_fire(ac);
        break;
    case FS_FAULT_SERVICE_OUTAGE:
        fs__attack_svcout_fire(ac);
        break;
    case FS_FAULT_FLASH_CORRUPTION:
        fs__attack_rot_fire(ac);
        break;
    case FS_FAULT_POWER_LOSS:
        fs__attack_power_fire(ac);
        break;
    default:
        break;
    }
}

void
fs_attack_fire(struct fs_attack *a, const struct fs_scn_action *act)
{
    FS_ASSERT(act >= a->env.scn->actions);
    size_t i = (size_t)(act - a->env.scn->actions);
    FS_ASSERT(i < a->nacts);
    struct atk_action *ac = &a->acts[i];
    FS_ASSERT(ac->act == act);
    if (ac->fired)
        return;
    ac->fired = true;
    if (ac->is_fault)
        fire_fault(ac);
    else
        fire_attack(ac);
}

/*
 * A message reaches the service. The attacker copies what it wants first
 * (it sits before the service), then a service outage swallows the
 * message; otherwise a flood in progress notes genuine HELLOs.
 */
bool
fs_attack_on_to_svc(struct fs_attack *a, struct fs_msg *m)
{
    if (m->kind == FS_MSG_EVIDENCE && !m->forged && a->nwatch > 0)
        fs__attack_attest_watch(a, m);
    if (m->kind == FS_MSG_DOWNLOAD_END && a->nupds > 0)
        fs__attack_upd_to_svc(a, m);
    if (a->svc_down > 0) {
        a->dropped_outage++;
        fs_msgpool_put(a->env.pool, m);
        return true;
    }
    if (m->kind == FS_MSG_HELLO && !m->forged && a->nfloods > 0)
        fs__attack_flood_saw_hello(a, m);
    return false;
}

/* A service answer reaches its device (or the attacker it went to). */
bool
fs_attack_on_to_device(struct fs_attack *a, struct fs_msg *m)
{
    if (a->nupds > 0 && fs__attack_upd_to_device(a, m))
        return true;
    return fs__attack_service_answer(a, m);
}

/* Count the attempts still open as undecided; see attack.h. */
void
fs_attack_finish(struct fs_attack *a)
{
    if (a->finished)
        return;
    a->finished = true;
    for (unsigned k = 0; k < FS_ATK_COUNT; k++) {
        struct fs_attack_totals *t = &a->totals[k];
        FS_ASSERT(t->blocked + t->succeeded <= t->attempted);
        t->undecided = t->attempted - t->blocked - t->succeeded;
        if (t->undecided == 0)
            continue;
        fs_metrics_add(a->env.metrics, atk_series(a, k, 3),
                       (int64_t)t->undecided);
        fs_sim_record(
            a->env.sim, FS_REC_ATK_UNDECIDED, FS_ATK_NO_DEVICE,
            (int64_t)((uint64_t)k << 32 | (t->undecided & 0xffffffffu)));
    }
}

void
fs_attack_totals(const struct fs_attack *a, unsigned k,
                 struct fs_attack_totals *out)
{
    FS_ASSERT(k < FS_ATK_COUNT);
    *out = a->totals[k];
}

static bool
action_ok(const struct fs_attack *a, const struct atk_action *ac)
{
    if (ac->act == NULL)
        return ac->ntargets == 0 && ac->targets == NULL;
    uint32_t ndevs = fs_fleet_count(a->env.fleet);
    for (uint32_t i = 0; i < ac->ntargets; i++) {
        const struct atk_target *t = &ac->targets[i];
        if (t->act != ac || t->index != i || t->device >= ndevs)
            return false;
        if (i > 0 && ac->targets[i - 1].device >= t->device)
            return false;
        if (t->phase > ATK_DELIVER || t->tries > ATK_TRIES_MAX)
            return false;
    }
    return !ac->fired || ac->act->at_us <= fs_sim_now_us(a->env.sim);
}

bool
fs_attack_check(const struct fs_attack *a)
{
    if (a == NULL)
        return false;
    for (unsigned k = 0; k < FS_ATK_COUNT; k++) {
        const struct fs_attack_totals *t = &a->totals[k];
        if (t->blocked + t->succeeded + t->undecided > t->attempted)
            return false;
    }
    for (uint32_t i = 0; i < a->nacts; i++)
        if (!action_ok(a, &a->acts[i]))
            return false;
    return a->nwatch <= a->nacts && a->nfloods <= a->nacts &&
           a->nupds <= a->nacts;
}
