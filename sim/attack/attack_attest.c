/*
 * sim/attack/attack_attest.c - attacks on attestation: replay_attestation and
 * clone_identity.
 *
 * Owns: the attacker's own check-in exchanges in a target's name (HELLO
 * claiming the device id -> the CHALLENGE the service addressed to that
 * exchange -> EVIDENCE the attacker supplies -> CERT or REJECTED), the
 * evidence copied off the path for replays, and the rogue keys of clones.
 * Invariants: an attempt succeeds only when the service itself issued a
 * certificate to the attacker's exchange, and the target is then marked
 * compromised (a party other than the device holds a certificate in its
 * name), and is blocked only by the service's REJECTED answer (an
 * exchange that got no verdict is retried, never counted); the attacker
 * never reads a device key (a clone signs with its
 * own key, drawn from the target's payload stream); the attacker's
 * messages travel the same path, with the same latency, as the device's.
 * Does not: touch the verifier: fs_attest_verify decides every attempt.
 */
#include <string.h>

#include <sodium.h>

#include "fleetsim/crypto.h"
#include "fleetsim/mem.h"

#include "attack_int.h"

static void exchange_timeout(struct fs_sim *sim, void *arg);
static void exchange_retry(struct fs_sim *sim, void *arg);

static bool
is_attest_kind(const struct atk_action *ac)
{
    return ac->act != NULL && !ac->is_fault &&
           (ac->kind == FS_ATK_REPLAY_ATTESTATION ||
            ac->kind == FS_ATK_CLONE_IDENTITY);
}

/* Start (or retry) the attacker's exchange in t's name: send a HELLO. */
static void
start_exchange(struct atk_target *t)
{
    struct fs_attack *a = t->act->a;
    if (t->tries == 0)
        fs__attack_attempt(a, t->act->kind, t->device);
    if (t->tries < ATK_TRIES_MAX)
        t->tries++;
    t->phase = ATK_WAIT_CHALLENGE;
    struct fs_msg *m = fs__attack_msg(a, FS_MSG_HELLO, t->device);
    a->env.to_svc(a->env.ctx, m, 0);
    fs__attack_timer(t, ATK_ANSWER_TIMEOUT_US, exchange_timeout);
}

/*
 * The exchange got no certificate and no verdict (no answer, or the
 * service refused the check-in before verifying anything): the verifier
 * decided nothing, so try again ATK_RETRY_US later, as the same attempt.
 * After ATK_TRIES_MAX tries the attacker keeps trying at a slower pace.
 */
static void
retry_later(struct atk_target *t)
{
    t->phase = ATK_IDLE;
    int64_t delay_us = ATK_RETRY_US;
    if (t->tries >= ATK_TRIES_MAX)
        delay_us *= 10;
    fs__attack_timer(t, delay_us, exchange_retry);
}

static void
exchange_timeout(struct fs_sim *sim, void *arg)
{
    (void)sim;
    struct atk_target *t = arg;
    t->t_timer = 0;
    retry_later(t);
}

static void
exchange_retry(struct fs_sim *sim, void *arg)
{
    (void)sim;
    struct atk_target *t = arg;
    t->t_timer = 0;
    start_exchange(t);
}

/* Images a clone claims: what the target runs, or what it shipped with. */
static void
clone_claims(struct fs_attack *a, uint32_t device, struct fs_evidence *ev)
{
    ev->os_image = fs_fleet_running_os(a->env.fleet, device);
    for (unsigned c = 0; c < FS_APPS_MAX; c++)
        ev->apps[c] = fs_fleet_running_app(a->env.fleet, device, c);
    if (ev->os_image != FS_NO_IMAGE)
        return;
    const struct fs_scn_cohort *co = fs_scn_cohort_of(a->env.scn, device);
    ev->os_image = co->os->index;
    if (co->app != NULL)
        ev->apps[co->app->caps.core] = co->app->index;
    for (uint32_t i = 0; i < co->nrt_apps; i++)
        ev->apps[co->rt_apps[i]->caps.core] = co->rt_apps[i]->index;
}

/*
 * A clone's evidence: the target's id, the fresh nonce, the reference
 * measurements anyone can compute from the signed catalog, signed with
 * the rogue device's own key.
 */
static void
forge_clone(struct atk_target *t, const unsigned char nonce[FS_NONCE_BYTES],
            struct fs_evidence *ev)
{
    struct fs_attack *a = t->act->a;
    memset(ev, 0, sizeof(*ev));
    ev->device = t->device;
    memcpy(ev->nonce, nonce, FS_NONCE_BYTES);
    clone_claims(a, t->device, ev);
    fs_attest_expected(a->env.catalog, ev->os_image, ev->apps, ev->pcr_boot,
                       ev->pcr_apps);
    ev->counter_os = a->env.scn->images[ev->os_image].security_version;
    struct fs_rng r;
    fs__attack_payload_rng(t->act, t, &r);
    unsigned char seed[crypto_sign_SEEDBYTES];
    unsigned char pk[crypto_sign_PUBLICKEYBYTES];
    unsigned char sk[crypto_sign_SECRETKEYBYTES];
    fs_rng_bytes(&r, seed, sizeof(seed));
    enum fs_crypto_kind kind = fs_crypto_kind_of(a->env.sim);
    fs_crypto_plain_keygen(kind, pk, sk, seed);
    unsigned char buf[FS_EVIDENCE_BYTES];
    size_t n = fs_evidence_encode(ev, buf);
    fs_crypto_plain_sign(kind, ev->sig, buf, n, sk);
    sodium_memzero(sk, sizeof(sk));
    sodium_memzero(seed, sizeof(seed));
}

/* Fire: each target's exchange starts now (a replay needs a recording). */
void
fs__attack_attest_fire(struct atk_action *ac)
{
    for (uint32_t i = 0; i < ac->ntargets; i++) {
        struct atk_target *t = &ac->targets[i];
        if (ac->kind == FS_ATK_REPLAY_ATTESTATION && !t->have_rec)
            t->phase = ATK_WAIT_RECORD;
        else
            start_exchange(t);
    }
}

/*
 * Genuine EVIDENCE passes the attacker: a replay copies its targets'
 * evidence until it has used it; one that was waiting starts now.
 */
void
fs__attack_attest_watch(struct fs_attack *a, const struct fs_msg *m)
{
    for (uint32_t w = 0; w < a->nwatch; w++) {
        struct atk_action *ac = &a->acts[a->watch[w]];
        struct atk_target *t = fs__attack_find(ac, m->device);
        if (t == NULL)
            continue;
        bool waiting = t->phase == ATK_WAIT_RECORD;
        if (!waiting && (t->phase != ATK_IDLE || t->tries != 0))
            continue;
        ac->rec[t->index] = m->u.evidence.ev;
        t->have_rec = true;
        if (waiting)
            start_exchange(t);
    }
}

/* The target whose exchange is waiting for an answer of this kind. */
static struct atk_target *
waiting_target(struct fs_attack *a, const struct fs_msg *m)
{
    bool to_hello = m->kind == FS_MSG_CHALLENGE || m->kind == FS_MSG_REFUSED;
    bool to_ev = m->kind == FS_MSG_CERT || m->kind == FS_MSG_REJECTED ||
                 m->kind == FS_MSG_REFUSED;
    for (uint32_t i = 0; i < a->nacts; i++) {
        struct atk_action *ac = &a->acts[i];
        if (!ac->fired || !is_attest_kind(ac))
            continue;
        struct atk_target *t = fs__attack_find(ac, m->device);
        if (t == NULL)
            continue;
        if ((t->phase == ATK_WAIT_CHALLENGE && to_hello) ||
            (t->phase == ATK_WAIT_ANSWER && to_ev))
            return t;
    }
    return NULL;
}

/* Answer our challenge: reuse m as the EVIDENCE message. */
static void
send_evidence(struct atk_target *t, struct fs_msg *m)
{
    struct fs_attack *a = t->act->a;
    unsigned char nonce[FS_NONCE_BYTES];
    memcpy(nonce, m->u.nonce, FS_NONCE_BYTES);
    memset(&m->u, 0, sizeof(m->u));
    m->kind = FS_MSG_EVIDENCE;
    if (t->act->kind == FS_ATK_REPLAY_ATTESTATION)
        m->u.evidence.ev = t->act->rec[t->index];
    else
        forge_clone(t, nonce, &m->u.evidence.ev);
    t->phase = ATK_WAIT_ANSWER;
    a->env.to_svc(a->env.ctx, m, 0);
    fs__attack_timer(t, ATK_ANSWER_TIMEOUT_US, exchange_timeout);
}

/*
 * A service answer to one of the attacker's exchanges arrives; the
 * attacker owns m. A certificate in the target's name is a success.
 */
void
fs__attack_attest_answer(struct fs_attack *a, struct fs_msg *m)
{
    struct atk_target *t = waiting_target(a, m);
    if (t == NULL) {
        fs_msgpool_put(a->env.pool, m); /* late answer to an old try */
        return;
    }
    if (m->kind == FS_MSG_CHALLENGE) {
        send_evidence(t, m);
        return;
    }
    if (t->t_timer != 0)
        fs_sim_cancel(a->env.sim, t->t_timer);
    t->t_timer = 0;
    if (m->kind == FS_MSG_REFUSED) {
        retry_later(t);
    } else {
        bool got_cert = m->kind == FS_MSG_CERT && m->u.cert.device == t->device;
        t->phase = ATK_DONE;
        if (got_cert)
            fs_fleet_set_compromised(a->env.fleet, t->device, true);
        fs__attack_end(a, t->act->kind, t->device, got_cert);
    }
    fs_msgpool_put(a->env.pool, m);
}
