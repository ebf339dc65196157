/*
 * sim/attack/attack_flood.c - the service side of the path: checkin_flood and
 * service_outage.
 *
 * Owns: the flood's bogus HELLOs (unknown device ids, sent in batches
 * every ATK_FLOOD_TICK_US straight to the service's front door through
 * fs_svc_receive_from; their answers are lost), the account of the
 * genuine check-ins that reached the service during each flood, and the
 * service-outage switch.
 * Invariants: a genuine check-in during a flood is counted once, as
 * served (a challenge reached the device within its answer timeout) or
 * denied (a refusal reached it, or nothing did in time); an answer counts
 * for the check-in its device has pending when it arrives, as the device
 * itself takes it; the flood is one attempt per action, judged one answer
 * timeout after it stops: blocked when at least FS_ATK_FLOOD_SERVED_PPM
 * of those check-ins were served, succeeded otherwise, and left open
 * (undecided) when no genuine check-in reached the service during it.
 * Does not: decide whether a HELLO is refused (the service's rate limit
 * does), delay any answer (the service's own backlog does, see
 * service.h), or keep any state of the service's own.
 */
#include "fleetsim/mem.h"
#include "fleetsim/units.h"

#include "attack_int.h"

/* Bogus ids start past the fleet and stay within this many. */
#define FLOOD_IDS (UINT32_C(1) << 24)
/* The flood is judged this long after the answer timeout past its end. */
#define FLOOD_JUDGE_SLACK_US (60 * ATK_US_PER_S)

/* The service answered a bogus HELLO: the work is done, the answer lost. */
static void
flood_reply(void *ctx, struct fs_msg *m, int64_t delay_us)
{
    (void)delay_us;
    struct fs_attack *a = ctx;
    fs_msgpool_put(a->env.pool, m);
}

static void
flood_judge(struct fs_sim *sim, void *arg)
{
    (void)sim;
    struct atk_action *ac = arg;
    struct atk_flood *fl = ac->flood;
    uint32_t ndevs = fs_fleet_count(ac->a->env.fleet);
    ac->ended = true;
    for (uint32_t d = 0; d < ndevs; d++) {
        if (fl->pending_us[d] >= 0)
            fl->denied++;
        fl->pending_us[d] = -1;
    }
    uint64_t total = fl->served + fl->denied;
    if (total == 0)
        return; /* nobody genuine checked in: nothing to judge */
    bool served = fl->served * 1000000u >= total * FS_ATK_FLOOD_SERVED_PPM;
    fs__attack_end(ac->a, ac->kind, FS_ATK_NO_DEVICE, !served);
}

/* Send this tick's share of the flood's HELLOs. */
static void
flood_batch(struct atk_action *ac)
{
    struct fs_attack *a = ac->a;
    struct atk_flood *fl = ac->flood;
    uint32_t ndevs = fs_fleet_count(a->env.fleet);
    double want =
        ac->act->u.attack.rate_per_us * (double)ATK_FLOOD_TICK_US + fl->carry;
    uint64_t n = (uint64_t)want;
    fl->carry = want - (double)n;
    for (uint64_t i = 0; i < n; i++) {
        uint32_t id = ndevs + fl->next_id++ % FLOOD_IDS;
        struct fs_msg *m = fs__attack_msg(a, FS_MSG_HELLO, id);
        fl->sent++;
        if (a->svc_down > 0) {
            a->dropped_outage++;
            fs_msgpool_put(a->env.pool, m);
            continue;
        }
        fs_svc_receive_from(a->env.svc, m, flood_reply, a);
    }
}

static void
flood_tick(struct fs_sim *sim, void *arg)
{
    struct atk_action *ac = arg;
    struct atk_flood *fl = ac->flood;
    fl->t_tick = 0;
    int64_t now = fs_sim_now_us(sim);
    if (now >= fl->end_us) {
        int64_t judge_us = fs_net_answer_timeout_us() + FLOOD_JUDGE_SLACK_US;
        if (fs_sim_schedule(sim, judge_us, flood_judge, ac, NULL) != 0)
            ac->ended = true; /* the run ends first: never judged */
        return;
    }
    flood_batch(ac);
    int64_t next = fl->end_us - now;
    if (next > ATK_FLOOD_TICK_US)
        next = ATK_FLOOD_TICK_US;
    if (fs_sim_schedule(sim, next, flood_tick, ac, &fl->t_tick) != 0)
        fl->t_tick = 0;
}

/* The flood starts now and lasts the action's `for`. */
void
fs__attack_flood_fire(struct atk_action *ac)
{
    struct fs_attack *a = ac->a;
    struct atk_flood *fl = ac->flood;
    fs__attack_attempt(a, ac->kind, FS_ATK_NO_DEVICE);
    fl->end_us = fs_units_time_add_us(fs_sim_now_us(a->env.sim),
                                      ac->act->u.attack.for_us);
    fl->next_id = (uint32_t)fs_rng_below(&ac->rng, FLOOD_IDS);
    if (fs_sim_schedule(a->env.sim, 0, flood_tick, ac, &fl->t_tick) != 0)
        fl->t_tick = 0;
}

/* A genuine HELLO reaches the service: floods in progress count it. */
void
fs__attack_flood_saw_hello(struct fs_attack *a, const struct fs_msg *m)
{
    if (m->device >= fs_fleet_count(a->env.fleet))
        return;
    int64_t now = fs_sim_now_us(a->env.sim);
    for (uint32_t i = 0; i < a->nfloods; i++) {
        struct atk_action *ac = &a->acts[a->floods[i]];
        struct atk_flood *fl = ac->flood;
        if (!ac->fired || ac->ended || now >= fl->end_us)
            continue;
        if (fl->pending_us[m->device] >= 0)
            fl->denied++; /* the device gave up on the previous one */
        fl->pending_us[m->device] = now;
        fl->checkins++;
    }
}

/*
 * An answer to a genuine HELLO reaches device now: a challenge in time
 * serves the check-in; a refusal, or a challenge too late, denies it.
 */
static void
flood_answered(struct fs_attack *a, uint32_t device, bool refused)
{
    int64_t now = fs_sim_now_us(a->env.sim);
    int64_t up_us = fs_fleet_latency_us(a->env.fleet, device);
    for (uint32_t i = 0; i < a->nfloods; i++) {
        struct atk_action *ac = &a->acts[a->floods[i]];
        struct atk_flood *fl = ac->flood;
        int64_t sent_us = fl->pending_us[device];
        if (!ac->fired || ac->ended || sent_us < 0)
            continue;
        int64_t waited_us = now - sent_us + up_us;
        if (!refused && waited_us <= fs_net_answer_timeout_us())
            fl->served++;
        else
            fl->denied++;
        fl->pending_us[device] = -1;
    }
}

/*
 * A service answer arrives at its device, after whatever wait the
 * service's backlog gave it: floods in progress note answers to genuine
 * HELLOs, and answers to the attacker's own exchanges go to the attacker.
 * Returns true when the attacker took m.
 */
bool
fs__attack_service_answer(struct fs_attack *a, struct fs_msg *m)
{
    bool to_hello = m->kind == FS_MSG_CHALLENGE || m->kind == FS_MSG_REFUSED;
    if (!m->forged && to_hello && a->nfloods > 0 &&
        m->device < fs_fleet_count(a->env.fleet))
        flood_answered(a, m->device, m->kind == FS_MSG_REFUSED);
    if (m->forged) {
        fs__attack_attest_answer(a, m);
        return true;
    }
    return false;
}

static void
svcout_end(struct fs_sim *sim, void *arg)
{
    struct atk_action *ac = arg;
    FS_ASSERT(ac->a->svc_down > 0);
    ac->t_end = 0;
    ac->ended = true;
    ac->a->svc_down--;
    fs_sim_record(sim, FS_REC_ATK_FAULT_END, FS_ATK_NO_DEVICE,
                  (int64_t)ac->kind);
}

/* The service answers nothing from now for the fault's `for`. */
void
fs__attack_svcout_fire(struct atk_action *ac)
{
    struct fs_attack *a = ac->a;
    a->svc_down++;
    fs_sim_record(a->env.sim, FS_REC_ATK_FAULT_START, FS_ATK_NO_DEVICE,
                  (int64_t)ac->kind);
    if (fs_sim_schedule(a->env.sim, ac->act->u.fault.for_us, svcout_end, ac,
                        &ac->t_end) != 0)
        ac->t_end = 0; /* ends after the run */
}
