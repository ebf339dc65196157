/*
 * sim/attack/attack_update.c - the attacks on the update path: unsigned_image,
 * foreign_key, rollback, tamper_in_transit, endless_data, slow_retrieval,
 * freeze, mix_and_match and leaked_key.
 *
 * Owns: what the attacker between a target and the service does to the
 * METADATA the service sends at each check-in and to the CHUNKs (replace
 * it with its own answer, withhold and replay, flip, extend, trickle), the
 * records a freeze saw its targets accept, and judging each attempt by
 * what the target did with the attacker's input.
 * Invariants: an action attempts each target at its first check-in after
 * its time, in every fleet state (the attempt is counted there), and
 * answers the METADATA of that check-in with its own when it has
 * something to deliver; an answer the device neither refused nor took
 * (offline, busy) is made again at its next check-in, as the same
 * attempt; with nothing to deliver (no newer image to ride on) the
 * attempt stays open and ends undecided. The verdict is read from the
 * device after it took a message the attacker delivered (fs_fleet_receive
 * is called here, synchronously), from its new update outcomes and its
 * update state (fs_update_view): a new outcome "rejected" for the
 * attacker's image (or "failed" with reason timeout) is blocked; the
 * device writing the attacker's image into a slot is succeeded
 * (tamper_in_transit: with flipped bits among what it took). freeze is
 * blocked by an expired_manifest refusal and succeeds when the device
 * takes the replayed record without a refusal past its expiry;
 * slow_retrieval succeeds when the device still asks for the trickled
 * image longer than download_timeout after the trickle began (and is then
 * held until the run ends); endless_data succeeds when the device's offset
 * passed the length its record declares. A message dropped (device
 * offline) or whose step a power cut replaced decides nothing. No outcome
 * is set by the kind of the attack or of a message.
 * Decisions (the attacker holds everything its row needs but what the
 * defence protects; the choices are made in attack_pick.c): unsigned_image
 * delivers a record and a manifest of its own making (no valid signature) for
 * the action's image (else the newest image of the aimed kind of the target's
 * product it does not run), claiming a higher metadata and security version;
 * foreign_key does the same signed with the action's key or one of its own, and
 * for an image newer than the target runs uses the genuine fresh catalog record
 * with only the manifest re-signed (refused untrusted_key);
 * rollback delivers the genuine fresh catalog record of the action's older
 * image with its vendor manifest; mix_and_match a genuine fresh record
 * bound elsewhere (see mix_pick); the transfer attacks ride on the genuine
 * offer, else on the genuine fresh catalog record of a newer image;
 * freeze replays the newest record of the aimed kind the target had
 * accepted before at: (the factory record at least) and withholds every
 * other METADATA until decided; leaked_key signs the action's image
 * (default: the newest app of the target's product it does not run) with
 * the stolen key and uploads it as the key's owner would when the action
 * fires (fs_upload_sign: the service signs a record unless the key is
 * revoked by then), then offers it at each target's check-in. A leaked_key
 * success marks the device compromised only when the device had been told
 * the key was revoked. Every other compromise is the device's own (secure
 * boot of a forged slot).
 * Does not: decide a check, or look at device state beyond the public
 * functions of the device headers (physical.h for access from outside).
 */
#include <string.h>

#include <sodium.h>

#include "fleetsim/crypto.h"
#include "fleetsim/mem.h"

#include "attack_int.h"

bool
fs__attack_is_update_kind(unsigned kind)
{
    switch ((enum fs_scn_attack_kind)kind) {
    case FS_ATK_UNSIGNED_IMAGE:
    case FS_ATK_FOREIGN_KEY:
    case FS_ATK_ROLLBACK:
    case FS_ATK_TAMPER_IN_TRANSIT:
    case FS_ATK_ENDLESS_DATA:
    case FS_ATK_SLOW_RETRIEVAL:
    case FS_ATK_FREEZE:
    case FS_ATK_MIX_AND_MATCH:
    case FS_ATK_LEAKED_KEY:
        return true;
    default:
        return false;
    }
}

void
fs__attack_upd_destroy(struct atk_action *ac)
{
    if (ac->upd == NULL)
        return;
    for (uint32_t i = 0; i < ac->ntargets; i++)
        if (ac->upd[i].held != NULL)
            fs_msgpool_put(ac->a->env.pool, ac->upd[i].held);
    fs_free(ac->upd);
    ac->upd = NULL;
}

static struct atk_upd *
upd_of(struct atk_target *t)
{
    return &t->act->upd[t->index];
}

/* End t's attempt once; phase DONE. */
static void
upd_end(struct atk_target *t, bool succeeded)
{
    struct fs_attack *a = t->act->a;
    t->phase = ATK_DONE;
    if (succeeded && t->act->kind == FS_ATK_LEAKED_KEY &&
        upd_of(t)->revoked_seen)
        fs_fleet_set_compromised(a->env.fleet, t->device, true);
    fs__attack_end(a, t->act->kind, t->device, succeeded);
}

/* ---- judging ------------------------------------------------------------- */

/* Outcomes the device holds now (its queue only grows between uploads). */
static size_t
outcomes(struct fs_attack *a, uint32_t device, struct fs_update_report *rep)
{
    size_t n =
        fs_update_reports(a->env.fleet, device, rep, FS_UPDATES_PER_MSG * 2);
    return n < FS_UPDATES_PER_MSG * 2 ? n : FS_UPDATES_PER_MSG * 2;
}

/*
 * Did the device refuse the attacker's image among outcomes [from, n)
 * counted at since_us or later? *expired is set when one of those
 * refusals was of an expired record.
 */
static bool
refused(const struct atk_upd *u, const struct fs_update_report *rep,
        size_t from, size_t n, int64_t since_us, bool *expired)
{
    bool any = false;
    for (size_t i = from; i < n; i++) {
        if (rep[i].image != u->image && rep[i].image != u->rec_image)
            continue;
        if (rep[i].at_us < since_us)
            continue;
        if (rep[i].result == FS_UPD_REJECTED ||
            (rep[i].result == FS_UPD_FAILED &&
             rep[i].reason == FS_UPR_TIMEOUT)) {
            any = true;
            if (expired != NULL && rep[i].result == FS_UPD_REJECTED &&
                rep[i].reason == FS_UPR_EXPIRED_MANIFEST)
                *expired = true;
        }
    }
    return any;
}

/* What t's device made of one message the attacker handed it. */
struct took {
    bool delivered;               /* the device was online and got it */
    bool refused;                 /* it counted a refusal of our image */
    bool expired;                 /* ... one for an expired record */
    struct fs_update_view before; /* its update state before */
    struct fs_update_view after;  /* ... and after */
    uint64_t acc_before;          /* version it accepted of the
                                     deployment of u->rec, before */
    uint64_t acc_after;           /* ... and after */
};

/*
 * Hand m to t's device as the network would and read what the device's
 * own checks did with it into *k. Ownership of m passes to the fleet.
 * Returns k->delivered.
 */
static bool
deliver(struct atk_target *t, struct fs_msg *m, struct took *k)
{
    struct fs_attack *a = t->act->a;
    struct fs_fleet *f = a->env.fleet;
    struct fs_update_report rep[FS_UPDATES_PER_MSG * 2];
    uint32_t dep = upd_of(t)->rec.deployment;
    memset(k, 0, sizeof(*k));
    fs_update_view(f, t->device, &k->before);
    k->after = k->before;
    k->acc_before = fs_update_accepted_version(f, t->device, dep);
    k->acc_after = k->acc_before;
    if (!fs_fleet_is_online(f, t->device)) {
        fs_msgpool_put(a->env.pool, m);
        return false;
    }
    size_t n0 = outcomes(a, t->device, rep);
    fs_fleet_receive(f, m);
    size_t n1 = outcomes(a, t->device, rep);
    fs_update_view(f, t->device, &k->after);
    k->acc_after = fs_update_accepted_version(f, t->device, dep);
    k->delivered = true;
    k->refused = refused(upd_of(t), rep, n0, n1, INT64_MIN, &k->expired);
    return true;
}

/* The device writes (or already runs on probation) our image. */
static bool
writes_ours(const struct atk_upd *u, const struct fs_update_view *v)
{
    return v->image == u->image && v->stage >= FS_UPD_STAGE_WRITING;
}

/* The device took the offer of our image: its update moved onto it. */
static bool
started_ours(const struct atk_upd *u, const struct took *k)
{
    const struct fs_update_view *b = &k->before, *v = &k->after;
    return v->image == u->image && v->stage >= FS_UPD_STAGE_DOWNLOADING &&
           (b->image != v->image || b->stage != v->stage);
}

/*
 * Did the device let the attack through, by its own state after k? Each
 * attack names what getting through means; slow_retrieval is judged by
 * time (trickle_deliver).
 */
static bool
got_through(const struct atk_target *t, const struct took *k)
{
    const struct atk_upd *u = &t->act->upd[t->index];
    const struct fs_update_view *v = &k->after;
    switch ((enum fs_scn_attack_kind)t->act->kind) {
    case FS_ATK_ENDLESS_DATA:
        /* It took bytes past the length its signed record declares. */
        return v->image == u->image && v->offset_bytes > v->length_bytes;
    case FS_ATK_TAMPER_IN_TRANSIT:
        return writes_ours(u, v) && v->flips_taken > 0;
    case FS_ATK_SLOW_RETRIEVAL:
        return false;
    case FS_ATK_FREEZE:
        /* It accepted the stale record: the version it holds for that
           deployment rose, or it started on the offer. */
        return k->acc_after > k->acc_before || started_ours(u, k) ||
               writes_ours(u, v);
    default:
        return writes_ours(u, v);
    }
}

/*
 * Deliver one chunk of our download and judge it: a refusal the device
 * counted is blocked, getting through is succeeded; anything else
 * (dropped, cut off by a power loss, not taken) leaves the attempt open.
 */
static void
deliver_chunk(struct atk_target *t, struct fs_msg *m)
{
    struct took k;
    if (!deliver(t, m, &k) || t->phase != ATK_DELIVER)
        return;
    if (k.refused) {
        upd_of(t)->trickle = false;
        upd_end(t, false);
    } else if (got_through(t, &k)) {
        upd_end(t, true);
    }
}

/*
 * Deliver the attacker's METADATA and judge it as deliver_chunk does.
 * When the device neither refused it nor took it (offline, busy,
 * running it, a remembered refusal), the attack tries again at the next
 * check-in; the attempt stays the one already counted.
 */
static void
deliver_offer(struct atk_target *t, struct fs_msg *m)
{
    struct took k;
    bool got = deliver(t, m, &k);
    if (t->phase != ATK_DELIVER)
        return;
    if (got && k.refused) {
        upd_end(t, false);
    } else if (got && got_through(t, &k)) {
        upd_end(t, true);
    } else if (!got || !started_ours(upd_of(t), &k)) {
        t->phase = ATK_WAIT_CHECKIN;
    }
}

/* ---- building the attacker's offer --------------------------------------- */

/* Put (rec, sm) as the only offer of m. */
static void
offer_only(struct fs_msg *m, const struct fs_update_record *rec,
           const struct fs_signed_manifest *sm)
{
    m->u.metadata.nrecords = 1;
    m->u.metadata.records[0] = *rec;
    m->u.metadata.images[0] = *sm;
}

/*
 * Turn m (a genuine METADATA to t's device) into the attack's answer.
 * Returns false when the attack has nothing to deliver at this check-in
 * (t keeps waiting; the attempt stays open).
 */
static bool
rewrite(struct atk_target *t, struct fs_msg *m)
{
    struct atk_action *ac = t->act;
    struct fs_attack *a = ac->a;
    struct atk_upd *u = upd_of(t);
    const struct fs_scn_attack *at = &ac->act->u.attack;
    const struct fs_scn_cohort *co = fs_scn_cohort_of(a->env.scn, t->device);
    struct fs_update_record rec;
    struct fs_signed_manifest sm;
    switch ((enum fs_scn_attack_kind)ac->kind) {
    case FS_ATK_UNSIGNED_IMAGE:
    case FS_ATK_FOREIGN_KEY: {
        uint32_t img = fs__attack_forge_image(t);
        if (img == FS_NO_IMAGE)
            return false;
        /* foreign_key: a genuine record of a newer image with the image
           re-signed by a key of its own; else a record of its own too */
        if (ac->kind == FS_ATK_FOREIGN_KEY &&
            fs__attack_newer(a, t->device, img) &&
            fs__attack_fetch(a, img, co->product->index, co->group->index, &rec,
                             &sm))
            fs__attack_sign_foreign(t, &sm);
        else
            fs__attack_forge(t, img, &rec, &sm);
        break;
    }
    case FS_ATK_ROLLBACK:
        if (at->image == NULL ||
            !fs__attack_fetch(a, at->image->index, co->product->index,
                              co->group->index, &rec, &sm))
            return false;
        break;
    case FS_ATK_TAMPER_IN_TRANSIT:
    case FS_ATK_ENDLESS_DATA:
    case FS_ATK_SLOW_RETRIEVAL:
        if (!fs__attack_ride_pick(t, m, &rec, &sm))
            return false;
        break;
    case FS_ATK_MIX_AND_MATCH:
        if (!fs__attack_mix_pick(t, &rec, &sm))
            return false;
        break;
    case FS_ATK_LEAKED_KEY:
        if (!u->have)
            return false;
        rec = u->rec;
        sm = u->sm;
        u->revoked_seen = sm.m.signer < 64 &&
                          (m->u.metadata.revoked_signers >> sm.m.signer & 1u);
        break;
    default:
        return false;
    }
    offer_only(m, &rec, &sm);
    m->forged = true;
    u->image = sm.m.image;
    u->rec_image = rec.target.image;
    u->length = sm.m.length_bytes;
    return true;
}

/* ---- check-ins ----------------------------------------------------------- */

/* Count t's attempt (once per target; tries notes that it was counted). */
static void
count_attempt(struct atk_target *t)
{
    if (t->tries == 0) {
        t->tries = 1;
        fs__attack_attempt(t->act->a, t->act->kind, t->device);
    }
}

/* The attack acts on t's check-in: count it and start following it. */
static void
begin(struct atk_target *t)
{
    struct fs_attack *a = t->act->a;
    if (t->t_timer != 0)
        fs_sim_cancel(a->env.sim, t->t_timer);
    t->t_timer = 0;
    t->phase = ATK_DELIVER;
    count_attempt(t);
}

/*
 * freeze: from at: on, answer each of t's check-ins with the newest
 * record the device had accepted before at: (u->rec, the factory record
 * at least), withholding everything newer. The device's record checks
 * decide: an expired_manifest refusal is blocked; taking the record
 * without a refusal although it was signed longer than manifest_lifetime
 * ago (now past its expiry) is succeeded; anything else stays open and
 * the replay is made again at the next check-in.
 */
static bool
freeze_meta(struct atk_target *t, struct fs_msg *m)
{
    struct fs_attack *a = t->act->a;
    struct atk_upd *u = upd_of(t);
    if (!u->have)
        return false;
    count_attempt(t);
    uint64_t revoked = m->u.metadata.revoked_signers;
    offer_only(m, &u->rec, &u->sm);
    m->u.metadata.revoked_signers = revoked;
    m->forged = true;
    u->image = u->sm.m.image;
    u->rec_image = u->rec.target.image;
    t->phase = ATK_DELIVER;
    struct took k;
    bool got = deliver(t, m, &k);
    if (t->phase != ATK_DELIVER)
        return true;
    if (got && k.expired)
        upd_end(t, false);
    else if (got && !k.refused && fs_sim_now_us(a->env.sim) > u->rec.expires_us)
        upd_end(t, true);
    else
        t->phase = ATK_HOLD;
    return true;
}

/* A genuine METADATA reaches a target waiting for its check-in. */
static bool
on_meta(struct atk_target *t, struct fs_msg *m)
{
    if (t->act->kind == FS_ATK_FREEZE)
        return freeze_meta(t, m);
    count_attempt(t);
    if (!rewrite(t, m)) {
        t->phase = ATK_WAIT_CHECKIN;
        return false;
    }
    begin(t);
    deliver_offer(t, m);
    return true;
}

/* ---- chunks -------------------------------------------------------------- */

static void
trickle_deliver(struct fs_sim *sim, void *arg)
{
    (void)sim;
    struct atk_target *t = arg;
    struct atk_upd *u = upd_of(t);
    struct fs_attack *a = t->act->a;
    t->t_timer = 0;
    struct fs_msg *m = u->held;
    u->held = NULL;
    if (m == NULL)
        return;
    if (t->phase != ATK_DELIVER) {
        if (fs_fleet_is_online(a->env.fleet, t->device))
            fs_fleet_receive(a->env.fleet, m);
        else
            fs_msgpool_put(a->env.pool, m);
        return;
    }
    deliver_chunk(t, m);
    if (t->phase != ATK_DELIVER)
        return;
    struct fs_update_report rep[FS_UPDATES_PER_MSG * 2];
    size_t n = outcomes(a, t->device, rep);
    if (refused(u, rep, 0, n, u->start_us, NULL)) {
        u->trickle = false;
        upd_end(t, false); /* gave up on the trickle */
        return;
    }
    /* Still asking for our image, with no progress, past the timeout. */
    struct fs_update_view v;
    fs_update_view(a->env.fleet, t->device, &v);
    int64_t limit = a->env.scn->service.download_timeout_us;
    if (fs_sim_now_us(a->env.sim) - u->start_us > limit + ATK_TRICKLE_US &&
        v.image == u->image && v.stage == FS_UPD_STAGE_DOWNLOADING)
        upd_end(t, true); /* stalled past download_timeout */
}

/* A genuine chunk of the attacked image reaches t's device. */
static bool
on_chunk(struct atk_target *t, struct fs_msg *m)
{
    struct atk_upd *u = upd_of(t);
    struct fs_attack *a = t->act->a;
    switch ((enum fs_scn_attack_kind)t->act->kind) {
    case FS_ATK_TAMPER_IN_TRANSIT: {
        /* Flip until the device has taken a flipped bit of this image
           (a flipped chunk that was dropped or cut off does not count). */
        struct fs_update_view v;
        fs_update_view(a->env.fleet, t->device, &v);
        bool holds = v.image == u->image && v.flips_taken > 0;
        if (!holds && m->u.chunk.len > 0) {
            struct fs_rng r;
            fs__attack_payload_rng(t->act, t, &r);
            m->u.chunk.nflips = 1;
            m->u.chunk.flips[0] =
                m->u.chunk.offset * 8 + fs_rng_below(&r, m->u.chunk.len * 8ull);
            u->flipped = true;
        }
        break;
    }
    case FS_ATK_ENDLESS_DATA:
        if (m->u.chunk.offset + m->u.chunk.len >= u->length)
            m->u.chunk.len += ATK_ENDLESS_BYTES;
        break;
    case FS_ATK_SLOW_RETRIEVAL:
        if (u->held != NULL) {
            fs_msgpool_put(a->env.pool, m); /* one trickle at a time */
            return true;
        }
        if (!u->trickle) {
            u->trickle = true;
            u->start_us = fs_sim_now_us(a->env.sim);
        }
        if (m->u.chunk.len > ATK_TRICKLE_BYTES)
            m->u.chunk.len = ATK_TRICKLE_BYTES;
        u->held = m;
        fs__attack_timer(t, ATK_TRICKLE_US, trickle_deliver);
        return true;
    default:
        break;
    }
    deliver_chunk(t, m);
    return true;
}

/* ---- hooks --------------------------------------------------------------- */

/* ---- freeze: what the device accepted before at: ------------------------ */

/* The candidate record was accepted by the device: it becomes u->rec. */
static void
freeze_promote(struct atk_target *t)
{
    struct fs_attack *a = t->act->a;
    struct atk_upd *u = upd_of(t);
    if (!u->cand_have)
        return;
    uint64_t v =
        fs_update_accepted_version(a->env.fleet, t->device, u->cand.deployment);
    if (v < u->cand.version)
        return;
    if (!u->have || u->cand.version > u->rec.version) {
        u->rec = u->cand;
        u->sm = u->cand_sm;
        u->have = true;
    }
    u->cand_have = false;
}

/*
 * Before at:, a genuine METADATA to a freeze target: keep its newest
 * record of the aimed kind as the candidate (the device accepts it or
 * not once it arrives; freeze_promote looks).
 */
static void
freeze_watch(struct atk_target *t, const struct fs_msg *m)
{
    struct atk_upd *u = upd_of(t);
    freeze_promote(t);
    enum fs_image_kind kind = fs__attack_aim_kind(t->act);
    for (unsigned i = 0; i < m->u.metadata.nrecords && i < FS_RECORDS_PER_MSG;
         i++) {
        const struct fs_update_record *r = &m->u.metadata.records[i];
        if (r->target.kind != kind || (u->have && r->version <= u->rec.version))
            continue;
        if (u->cand_have && r->version <= u->cand.version)
            continue;
        u->cand = *r;
        u->cand_sm = m->u.metadata.images[i];
        u->cand_have = true;
    }
}

/*
 * At create (time 0): the factory record of each freeze target's image
 * of the aimed kind (the OS when it runs no app of its product), as any
 * client may fetch it; the device left the factory holding it.
 */
void
fs__attack_upd_setup(struct atk_action *ac)
{
    struct fs_attack *a = ac->a;
    if (ac->kind != FS_ATK_FREEZE)
        return;
    for (uint32_t i = 0; i < ac->ntargets; i++) {
        struct atk_target *t = &ac->targets[i];
        struct atk_upd *u = &ac->upd[i];
        uint32_t img =
            fs__attack_running_of(a, t->device, fs__attack_aim_kind(ac));
        if (img == FS_NO_IMAGE)
            img = fs_fleet_running_os(a->env.fleet, t->device);
        const struct fs_scn_cohort *co =
            fs_scn_cohort_of(a->env.scn, t->device);
        u->have = fs__attack_fetch(a, img, co->product->index, co->group->index,
                                   &u->rec, &u->sm);
    }
}

/* Leaked key: sign the malicious app and upload it for each target. */
static uint32_t
leaked_image(struct fs_attack *a, uint32_t device)
{
    const struct fs_scn *scn = a->env.scn;
    const struct fs_scn_cohort *co = fs_scn_cohort_of(scn, device);
    uint32_t best = FS_NO_IMAGE;
    for (uint32_t i = 0; i < scn->nimages; i++) {
        const struct fs_signed_manifest *sm =
            fs_catalog_manifest(a->env.catalog, i);
        if (sm->m.kind != FS_IMAGE_APP || sm->m.product != co->product->index)
            continue;
        bool runs = false;
        for (unsigned c = 0; c < FS_APPS_MAX; c++)
            runs = runs || fs_fleet_running_app(a->env.fleet, device, c) == i;
        if (!runs &&
            (best == FS_NO_IMAGE ||
             sm->m.version_rank >
                 fs_catalog_manifest(a->env.catalog, best)->m.version_rank))
            best = i;
    }
    return best;
}

static void
leaked_prepare(struct atk_action *ac)
{
    struct fs_attack *a = ac->a;
    const struct fs_scn_attack *at = &ac->act->u.attack;
    uint32_t k =
        fs_catalog_signer_find(a->env.catalog, at->signer ? at->signer : "oem");
    if (k == UINT32_MAX)
        return;
    for (uint32_t i = 0; i < ac->ntargets; i++) {
        struct atk_target *t = &ac->targets[i];
        struct atk_upd *u = &ac->upd[i];
        uint32_t img =
            at->image ? at->image->index : leaked_image(a, t->device);
        if (img == FS_NO_IMAGE)
            continue;
        u->sm = *fs_catalog_manifest(a->env.catalog, img);
        u->sm.m.signer = k;
        fs_catalog_sign(a->env.catalog, k, &u->sm);
        if (fs_upload_sign(a->env.svc, &u->sm, t->device, &u->rec) != 0) {
            /* The service refused: the attacker can only forge a record. */
            memset(&u->rec, 0, sizeof(u->rec));
            const struct fs_scn_cohort *co =
                fs_scn_cohort_of(a->env.scn, t->device);
            u->rec.deployment = UINT32_MAX;
            u->rec.product = co->product->index;
            u->rec.group = co->group->index;
            u->rec.version = UINT32_MAX;
            u->rec.expires_us = a->env.scn->duration_us + 1;
            u->rec.target = u->sm.m;
            fs__attack_garbage(t, u->rec.sig, sizeof(u->rec.sig));
        }
        u->have = true;
    }
}

/* An update-path action's time has come: targets wait for a check-in. */
void
fs__attack_upd_fire(struct atk_action *ac)
{
    if (ac->kind == FS_ATK_LEAKED_KEY)
        leaked_prepare(ac);
    for (uint32_t i = 0; i < ac->ntargets; i++) {
        if (ac->kind == FS_ATK_FREEZE)
            freeze_promote(&ac->targets[i]);
        ac->targets[i].phase = ATK_WAIT_CHECKIN;
    }
}

/* One update action's view of a message to its target t. */
static bool
to_target(struct atk_target *t, struct fs_msg *m)
{
    struct atk_upd *u = upd_of(t);
    switch (t->phase) {
    case ATK_WAIT_CHECKIN:
    case ATK_HOLD:
        if (m->kind == FS_MSG_METADATA && !m->forged)
            return on_meta(t, m);
        return false;
    case ATK_DELIVER:
        if (m->kind == FS_MSG_METADATA && m->forged) {
            deliver_offer(t, m);
            return true;
        }
        if (m->kind == FS_MSG_CHUNK && m->u.chunk.image == u->image)
            return on_chunk(t, m);
        return false;
    case ATK_DONE:
        if (u->trickle && m->kind == FS_MSG_CHUNK &&
            m->u.chunk.image == u->image)
            return on_chunk(t, m);
        return false;
    default:
        return false;
    }
}

/* A message on its way to a device; true when the attacker took it. */
bool
fs__attack_upd_to_device(struct fs_attack *a, struct fs_msg *m)
{
    if (m->kind != FS_MSG_METADATA && m->kind != FS_MSG_CHUNK)
        return false;
    if (m->device >= fs_fleet_count(a->env.fleet))
        return false;
    for (uint32_t i = 0; i < a->nupds; i++) {
        struct atk_action *ac = &a->acts[a->upds[i]];
        if (!ac->fired) {
            struct atk_target *w = NULL;
            if (ac->kind == FS_ATK_FREEZE && m->kind == FS_MSG_METADATA &&
                !m->forged)
                w = fs__attack_find(ac, m->device);
            if (w != NULL)
                freeze_watch(w, m);
            continue;
        }
        struct atk_target *t = fs__attack_find(ac, m->device);
        if (t != NULL && to_target(t, m))
            return true;
    }
    return false;
}

/*
 * A message on its way to the service: a target that abandons the
 * download being trickled has given up on it (judged by its outcomes
 * since the trickle began).
 */
void
fs__attack_upd_to_svc(struct fs_attack *a, const struct fs_msg *m)
{
    if (m->device >= fs_fleet_count(a->env.fleet) || m->u.end.completed)
        return;
    for (uint32_t i = 0; i < a->nupds; i++) {
        struct atk_action *ac = &a->acts[a->upds[i]];
        struct atk_target *t = fs__attack_find(ac, m->device);
        if (t == NULL || ac->kind != FS_ATK_SLOW_RETRIEVAL)
            continue;
        struct atk_upd *u = upd_of(t);
        if (!u->trickle)
            continue;
        struct fs_update_report rep[FS_UPDATES_PER_MSG * 2];
        size_t n = outcomes(a, t->device, rep);
        if (!refused(u, rep, 0, n, u->start_us, NULL))
            continue;
        u->trickle = false;
        if (t->phase == ATK_DELIVER)
            upd_end(t, false);
    }
}
