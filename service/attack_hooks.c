/*
 * service/attack_hooks.c - the service as seen from outside the fleet:
 * its capacity for attestation work, and requests from senders that are
 * not fleet devices.
 *
 * Owns: the capacity figure of the service and the FIFO backlog
 * arithmetic of its answers (the backlog state itself is held by the
 * caller, one per service), and routing an outside sender's answers back
 * to that sender.
 * Invariants: under capacity an answer never waits (runs without an
 * overload are unchanged by the model); answers leave in the order they
 * were placed; fs_svc_receive_from restores env->send before returning.
 * Does not: decide anything about a request: rate limit, challenge and
 * verdict are fs_svc_receive's own.
 */
#include "fleetsim/service.h"
#include "fleetsim/sim.h"

#include "service_int.h"

#define US_PER_S INT64_C(1000000)

/* Answers per second: 8 x the fleet within a minute, at least the floor. */
uint64_t
fs_svc_answers_per_s(const struct fs_svc *s)
{
    uint64_t per_s = (uint64_t)s->ndevs * 8 / 60;
    return per_s < FS_SVC_ANSWERS_MIN_PER_S ? FS_SVC_ANSWERS_MIN_PER_S
                                            : per_s;
}

/* An empty backlog at s's capacity. */
void
fs_svc_load_init(struct fs_svc_load *ld, const struct fs_svc *s)
{
    ld->second = -1;
    ld->used = 0;
    ld->per_s = fs_svc_answers_per_s(s);
}

/* Place one answer; see service.h. */
int64_t
fs_svc_load_wait_us(struct fs_svc_load *ld, int64_t at_us)
{
    FS_ASSERT(ld->per_s > 0);
    int64_t sec = at_us / US_PER_S;
    if (ld->second < sec) {
        ld->second = sec;
        ld->used = 0;
    }
    if (ld->used >= ld->per_s) {
        ld->second++;
        ld->used = 0;
    }
    uint64_t idx = ld->used++;
    if (ld->second == sec)
        return 0; /* this second still has room: no backlog */
    int64_t start_us = ld->second * US_PER_S +
                       (int64_t)(idx * (uint64_t)US_PER_S / ld->per_s);
    return start_us > at_us ? start_us - at_us : 0;
}

/* fs_svc_receive with the answer routed to reply; see service.h. */
void
fs_svc_receive_from(struct fs_svc *s, struct fs_msg *m,
                    void (*reply)(void *ctx, struct fs_msg *m,
                                  int64_t delay_us),
                    void *ctx)
{
    void (*send)(void *, struct fs_msg *, int64_t) = s->env.send;
    void *send_ctx = s->env.ctx;
    s->env.send = reply;
    s->env.ctx = ctx;
    fs_svc_receive(s, m);
    s->env.send = send;
    s->env.ctx = send_ctx;
}
