/*
 * device/net.c - a device's network link and its check-in client.
 *
 * Owns: the link's outage process (alternating exponential online and
 * offline periods from the device's FS_RNG_NET stream, long-run online
 * share = the cohort's availability), and the check-in exchange HELLO ->
 * CHALLENGE -> EVIDENCE (+ reports, update outcomes) -> CERT | REJECTED,
 * with its answer timeout, retry backoff and periodic schedule; update
 * messages (METADATA, QUEUED, CHUNK) are handed to device/update.c.
 * Invariants: one exchange per device at a time; t_timeout is pending
 * exactly while an exchange is; an offline device sends nothing and
 * drops what arrives; jitter comes from the FS_RNG_ROLLOUT stream.
 * Does not: decide attestation (the service does) or deliver messages
 * (the runner does, through env->send).
 */
#include <string.h>

#include "fleetsim/crypto.h"
#include "fleetsim/keystore.h"
#include "fleetsim/msg.h"
#include "fleetsim/rng.h"
#include "fleetsim/sim.h"

#include "device_int.h"

static void dev_net_toggle(struct fs_sim *sim, void *arg);
static void dev_checkin_fire(struct fs_sim *sim, void *arg);
static void dev_answer_timeout(struct fs_sim *sim, void *arg);
static void dev_sign_ahead(struct fs_sim *sim, void *arg);
static void *ahead_arg(uint32_t id, uint64_t checkin_timer);

static void
arm_toggle(struct fs_fleet *f, uint32_t id, struct fs_rng *r)
{
    struct fs_dev *d = &f->devs[id];
    const struct dev_cohort *dc = &f->cohorts[d->cohort];
    double mean_us = d->online ? dc->on_mean_us : dc->off_mean_us;
    int64_t at_us = fs_rng_exp_us(r, mean_us);
    fs__fleet_timer(f, &d->t_net, at_us, dev_net_toggle, id);
}

/*
 * Start device id's outage process: its first state is drawn from the
 * stationary distribution (online with probability = availability), and
 * the rest of that period is exponential (memoryless).
 */
void
fs__net_start(struct fs_fleet *f, uint32_t id)
{
    struct fs_dev *d = &f->devs[id];
    uint32_t ppm = f->cohorts[d->cohort].cc->availability_ppm;
    if (ppm >= 1000000u || ppm == 0) {
        d->online = ppm != 0;
        fs__series_update(f, id);
        if (d->online)
            fs__update_online(f, id);
        return;
    }
    struct fs_rng r;
    fs__fleet_rng(f, id, DS_NET, &r);
    d->online = fs_rng_below(&r, 1000000u) < ppm;
    arm_toggle(f, id, &r);
    fs__fleet_rng_save(f, id, DS_NET, &r);
    if (!d->online)
        fs__fleet_record(f, FS_REC_DEV_NET, id, 0);
    fs__series_update(f, id);
    if (d->online)
        fs__update_online(f, id); /* a link restored after a forced cut */
}

static void
dev_net_toggle(struct fs_sim *sim, void *arg)
{
    struct fs_fleet *f = fs__fleet_of(sim);
    uint32_t id = fs__fleet_id_of(arg);
    struct fs_dev *d = &f->devs[id];
    d->t_net = 0;
    d->online = !d->online;
    fs__fleet_record(f, FS_REC_DEV_NET, id, d->online);
    fs__series_update(f, id);
    if (d->online)
        fs__update_online(f, id);
    struct fs_rng r;
    fs__fleet_rng(f, id, DS_NET, &r);
    arm_toggle(f, id, &r);
    fs__fleet_rng_save(f, id, DS_NET, &r);
}

/* Delay in [base * 0.9, base * 1.1) (frac_ppm = 100000) from ROLLOUT. */
static int64_t
jittered(struct fs_fleet *f, uint32_t id, int64_t base_us, uint32_t frac_ppm)
{
    struct fs_rng r;
    fs__fleet_rng(f, id, DS_ROLLOUT, &r);
    double u = fs_rng_unit(&r) * 2.0 - 1.0;
    fs__fleet_rng_save(f, id, DS_ROLLOUT, &r);
    double v = (double)base_us * (1.0 + u * frac_ppm / 1e6);
    return v < 1 ? 1 : (int64_t)v;
}

static void
end_exchange(struct fs_fleet *f, uint32_t id)
{
    struct fs_dev *d = &f->devs[id];
    fs__fleet_cancel(f, &d->t_timeout);
    d->xchg = XCHG_IDLE;
}

/* A check-in failed: forget the upload in flight and back off. */
static void
checkin_failed(struct fs_fleet *f, uint32_t id, enum fs_checkin_fail why)
{
    struct fs_dev *d = &f->devs[id];
    end_exchange(f, id);
    fs__repq_unsend(d);
    fs__update_reports_unsend(f, id);
    fs__fleet_record(f, FS_REC_DEV_CHECKIN_FAIL, id, why);
    int64_t delay_us = DEV_BACKOFF_MIN_US;
    for (unsigned i = 0; i < d->backoff_exp && delay_us < DEV_BACKOFF_MAX_US;
         i++)
        delay_us *= 2;
    if (delay_us > DEV_BACKOFF_MAX_US)
        delay_us = DEV_BACKOFF_MAX_US;
    if (d->backoff_exp < UINT8_MAX)
        d->backoff_exp++;
    fs__fleet_timer(f, &d->t_checkin, jittered(f, id, delay_us, 200000),
                    dev_checkin_fire, id);
}

/* The exchange ended with an answer: next check-in one period later. */
static void
checkin_done(struct fs_fleet *f, uint32_t id)
{
    struct fs_dev *d = &f->devs[id];
    end_exchange(f, id);
    d->backoff_exp = 0;
    int64_t period_us = f->svc.checkin_interval_us;
    int64_t delay_us = jittered(f, id, period_us, 100000);
    fs__fleet_timer(f, &d->t_checkin, delay_us, dev_checkin_fire, id);
    /* scheduled with or without crypto workers, so that the engine's
       events are the same for any thread count */
    if (delay_us > DEV_SIGN_AHEAD_US)
        fs_sim_schedule(f->env.sim, delay_us - DEV_SIGN_AHEAD_US,
                        dev_sign_ahead, ahead_arg(id, d->t_checkin), NULL);
}

/*
 * The payload of a dev_sign_ahead event: the device and, where a pointer
 * has room, the low half of the id of the check-in timer it works ahead
 * for, so that an ahead event whose check-in was moved since does nothing.
 */
static void *
ahead_arg(uint32_t id, uint64_t checkin_timer)
{
    if (sizeof(uintptr_t) < sizeof(uint64_t))
        return fs__fleet_arg(id);
    return (void *)(uintptr_t)((uint64_t)id | (uint64_t)(uint32_t)checkin_timer
                                                  << 32);
}

/* False when the check-in an ahead event with payload arg was for moved. */
static bool
ahead_current(const struct fs_dev *d, void *arg)
{
    if (sizeof(uintptr_t) < sizeof(uint64_t))
        return true;
    return (uint32_t)((uint64_t)(uintptr_t)arg >> 32) == (uint32_t)d->t_checkin;
}

static void
send(struct fs_fleet *f, uint32_t id, struct fs_msg *m)
{
    f->env.send(f->env.ctx, m, fs_fleet_latency_us(f, id));
}

/*
 * Start a check-in now unless one is in progress or the device is
 * booting. Offline counts as a failed attempt (backoff).
 */
void
fs__net_checkin_now(struct fs_fleet *f, uint32_t id)
{
    struct fs_dev *d = &f->devs[id];
    if (d->xchg != XCHG_IDLE || d->state == FS_DEV_REBOOTING)
        return;
    fs__fleet_cancel(f, &d->t_checkin);
    if (!d->online) {
        checkin_failed(f, id, FS_CHECKIN_OFFLINE);
        return;
    }
    struct fs_msg *m = fs_msgpool_get(f->env.pool);
    m->kind = FS_MSG_HELLO;
    m->device = id;
    d->xchg = XCHG_WAIT_CHALLENGE;
    fs__fleet_timer(f, &d->t_timeout, DEV_ANSWER_TIMEOUT_US, dev_answer_timeout,
                    id);
    fs__fleet_record(f, FS_REC_DEV_CHECKIN_SENT, id, d->backoff_exp);
    send(f, id, m);
}

/* Abandon any exchange and pending check-in (reboot). */
void
fs__net_checkin_abort(struct fs_fleet *f, uint32_t id)
{
    struct fs_dev *d = &f->devs[id];
    end_exchange(f, id);
    fs__repq_unsend(d);
    fs__update_reports_unsend(f, id);
    fs__fleet_cancel(f, &d->t_checkin);
}

static void
dev_checkin_fire(struct fs_sim *sim, void *arg)
{
    struct fs_fleet *f = fs__fleet_of(sim);
    uint32_t id = fs__fleet_id_of(arg);
    f->devs[id].t_checkin = 0;
    fs__net_checkin_now(f, id);
}

static void
dev_answer_timeout(struct fs_sim *sim, void *arg)
{
    struct fs_fleet *f = fs__fleet_of(sim);
    uint32_t id = fs__fleet_id_of(arg);
    f->devs[id].t_timeout = 0;
    checkin_failed(f, id, FS_CHECKIN_TIMEOUT);
}

/* Fill the evidence of device id for nonce and have the keystore sign. */
static void
fill_evidence(struct fs_fleet *f, uint32_t id,
              const unsigned char nonce[FS_NONCE_BYTES], struct fs_evidence *ev,
              bool peek)
{
    const struct fs_dev *d = &f->devs[id];
    memset(ev, 0, sizeof(*ev));
    ev->device = id;
    memcpy(ev->nonce, nonce, FS_NONCE_BYTES);
    if (peek) {
        fs__keystore_peek_pcr(f->ks, id, 0, ev->pcr_boot);
        fs__keystore_peek_pcr(f->ks, id, 1, ev->pcr_apps);
        ev->counter_os = fs_keystore_peek_counter(f->ks, id, FS_KS_COUNTER_OS);
        ev->counter_app =
            fs_keystore_peek_counter(f->ks, id, FS_KS_COUNTER_APP);
    } else {
        fs_keystore_read_pcr(f->ks, id, FS_KS_MONITOR, 0, ev->pcr_boot);
        fs_keystore_read_pcr(f->ks, id, FS_KS_MONITOR, 1, ev->pcr_apps);
        fs_keystore_counter(f->ks, id, FS_KS_MONITOR, FS_KS_COUNTER_OS,
                            &ev->counter_os);
        fs_keystore_counter(f->ks, id, FS_KS_MONITOR, FS_KS_COUNTER_APP,
                            &ev->counter_app);
    }
    ev->os_image = fs__fleet_running_os(f, d);
    for (unsigned c = 0; c < FS_APPS_MAX; c++)
        ev->apps[c] = fs__fleet_running_app(f, d, c);
}

/*
 * The evidence device id gives for nonce, signed by its key into m (the
 * signature is filled in when m is delivered; see fleetsim/crypto.h).
 */
static void
build_evidence(struct fs_fleet *f, uint32_t id,
               const unsigned char nonce[FS_NONCE_BYTES], struct fs_msg *m)
{
    struct fs_evidence *ev = &m->u.evidence.ev;
    fill_evidence(f, id, nonce, ev, false);
    unsigned char buf[FS_EVIDENCE_BYTES];
    size_t len = fs_evidence_encode(ev, buf);
    fs_keystore_sign_deferred(f->ks, id, FS_KS_MONITOR, buf, len, ev->sig,
                              &m->crypto);
}

/* Start the signature of the evidence device id would give for nonce,
   expected to be needed at simulated time due_us. */
static void
prefetch_evidence(struct fs_fleet *f, uint32_t id,
                  const unsigned char nonce[FS_NONCE_BYTES], int64_t due_us)
{
    struct fs_evidence ev;
    fill_evidence(f, id, nonce, &ev, true);
    unsigned char buf[FS_EVIDENCE_BYTES];
    size_t len = fs_evidence_encode(&ev, buf);
    fs__keystore_prefetch_sign(f->ks, id, buf, len, due_us);
}

/*
 * DEV_SIGN_AHEAD_US before a periodic check-in: start the signature of the
 * evidence it will give, with the nonce the service will issue next and
 * the device as it is now. It is taken only if both are still so when the
 * challenge arrives; nothing in the model changes either way. Not started
 * for a check-in after the run's end, or one that has been moved since
 * (another exchange rescheduled it), which would never use it.
 */
static void
dev_sign_ahead(struct fs_sim *sim, void *arg)
{
    struct fs_fleet *f = fs__fleet_of(sim);
    uint32_t id = fs__fleet_id_of(arg);
    unsigned char nonce[FS_NONCE_BYTES];
    if (!fs_crypto_ahead(sim) || !ahead_current(&f->devs[id], arg) ||
        (f->env.end_us > 0 &&
         fs_sim_now_us(sim) + DEV_SIGN_AHEAD_US > f->env.end_us) ||
        f->env.next_nonce == NULL || !f->env.next_nonce(f->env.ctx, id, nonce))
        return;
    prefetch_evidence(f, id, nonce, fs_sim_now_us(sim) + DEV_SIGN_AHEAD_US);
}

/*
 * A CHALLENGE m is on its way to its device: start the signature of the
 * evidence the device would answer with now, which it takes on arrival
 * when nothing it measures has changed (fleetsim/crypto.h). Reads the
 * device without the gate and changes nothing.
 */
void
fs_fleet_prefetch(struct fs_fleet *f, const struct fs_msg *m)
{
    if (m->kind != FS_MSG_CHALLENGE || m->device >= f->ndevs ||
        !fs_crypto_ahead(f->env.sim))
        return;
    prefetch_evidence(f, m->device, m->u.nonce,
                      fs_sim_now_us(f->env.sim)); /* a latency away */
}

/* CHALLENGE: answer with signed evidence and the pending reports. */
static void
on_challenge(struct fs_fleet *f, uint32_t id, const struct fs_msg *in)
{
    struct fs_dev *d = &f->devs[id];
    struct fs_msg *m = fs_msgpool_get(f->env.pool);
    m->kind = FS_MSG_EVIDENCE;
    m->device = id;
    build_evidence(f, id, in->u.nonce, m);
    m->u.evidence.nreports =
        (uint8_t)fs_repq_take(f, id, m->u.evidence.reports, FS_REPORTS_PER_MSG);
    m->u.evidence.nupdates = (uint8_t)fs__update_reports_take(
        f, id, m->u.evidence.updates, FS_UPDATES_PER_MSG);
    d->xchg = XCHG_WAIT_ANSWER;
    fs__fleet_timer(f, &d->t_timeout, DEV_ANSWER_TIMEOUT_US, dev_answer_timeout,
                    id);
    fs__fleet_record(f, FS_REC_DEV_EVIDENCE_SENT, id, m->u.evidence.nreports);
    send(f, id, m);
}

static void
on_cert(struct fs_fleet *f, uint32_t id, const struct fs_msg *in)
{
    struct fs_dev *d = &f->devs[id];
    d->has_cert = 1;
    d->cert_not_after_us = in->u.cert.not_after_us;
    d->cert_serial = in->u.cert.serial;
    memcpy(d->cert_sig, in->u.cert.sig, FS_SIG_BYTES);
    fs__apps_cert_ahead(f, id);
    fs_repq_ack(f, id);
    fs__update_reports_ack(f, id);
    checkin_done(f, id);
}

/* Take a service message for a device (see fs_fleet_receive). */
void
fs__net_receive(struct fs_fleet *f, struct fs_msg *m)
{
    uint32_t id = m->device;
    struct fs_dev *d = &f->devs[id];
    uint8_t kind = m->kind;
    bool wait_ch = d->xchg == XCHG_WAIT_CHALLENGE;
    bool wait_ans = d->xchg == XCHG_WAIT_ANSWER;
    if (!d->online || d->state == FS_DEV_REBOOTING)
        kind = 0; /* nobody listening: dropped */
    if (kind != 0)
        fs__fleet_record(f, FS_REC_DEV_ANSWER, id, kind);
    switch (kind) {
    case FS_MSG_CHALLENGE:
        if (wait_ch)
            on_challenge(f, id, m);
        break;
    case FS_MSG_REFUSED:
        if (wait_ch || wait_ans)
            checkin_failed(f, id, FS_CHECKIN_REFUSED);
        break;
    case FS_MSG_CERT:
        if (wait_ans)
            on_cert(f, id, m);
        break;
    case FS_MSG_REJECTED:
        if (wait_ans) {
            /* Reports count as delivered only where the service took
               them: after a verdict showing the device proved itself. */
            if (fs_msg_attest_proved((enum fs_attest_reason)m->u.rejected)) {
                fs_repq_ack(f, id);
                fs__update_reports_ack(f, id);
            }
            checkin_failed(f, id, FS_CHECKIN_REJECTED);
        }
        break;
    case FS_MSG_METADATA:
        fs__update_metadata(f, id, m);
        break;
    case FS_MSG_QUEUED:
        fs__update_queued(f, id, m);
        break;
    case FS_MSG_CHUNK:
        fs__update_chunk(f, id, m);
        break;
    default:
        break;
    }
    fs_msgpool_put(f->env.pool, m);
}

/* The check-in client's answer timeout. */
int64_t
fs_net_answer_timeout_us(void)
{
    return DEV_ANSWER_TIMEOUT_US;
}
