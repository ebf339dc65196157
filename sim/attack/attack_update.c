/*
 * sim/attack/attack_update.c - the attacks on the update path: unsigned_image,
 * foreign_key, rollback, tamper_in_transit, endless_data, slow_retrieval,
 * freeze, mix_and_match and leaked_key.
 *
 * Owns: what the attacker between a target and the service does to the
 * target's METADATA and CHUNK messages (rewrite, withhold, replay, trickle,
 * or its own METADATA injected at the target's check-in), the genuine
 * records it remembers from the path (mix_and_match), and judging each
 * attempt by what the target did with the attacker's input.
 * Invariants: an action acts on each target once, at the first check-in
 * after its time that carries what the attack needs (a genuine offer to
 * ride on; leaked_key and mix_and_match can bring their own), and counts
 * the attempt when it first changes the target's traffic; an offer the
 * device neither refused nor took (offline, busy, running that image, a
 * remembered refusal) is made again at its next check-in, as the same
 * attempt. The verdict is read from the device after it took a message the
 * attacker delivered (fs_fleet_receive is called here, synchronously),
 * from its new update outcomes and its update state
 * (fs_update_view): a new outcome "rejected" for the attacker's
 * image (or "failed" with reason timeout) is blocked; the device writing
 * the attacker's image into a slot is succeeded (tamper_in_transit: with
 * flipped bits among what it took). freeze is blocked by an
 * expired_manifest refusal and succeeds when the device accepted the
 * replayed record (fs_update_accepted_version of its deployment rose, or it
 * started on the offer); slow_retrieval succeeds when the device still
 * asks for the trickled image longer than download_timeout after the
 * trickle began (and is then held until the run ends); endless_data
 * succeeds when the device's offset passed the length its record declares.
 * A message dropped (device offline) or whose step a power cut replaced
 * decides nothing. No outcome is set by the kind of the attack or of a
 * message: a kind only names which device state counts as getting through.
 * Decisions: the attacker keeps only the first record of a genuine
 * METADATA it rewrites (it is on the path and may drop the rest), and
 * keeps the revoked-signer list as the service sent it. An "image" the
 * attacker delivers is a catalog image with a manifest of its own making
 * (slots hold catalog images): unsigned_image garbles the genuine
 * manifest's signature; foreign_key re-signs it with the action's
 * signer, or with a key pair of its own (an index no device knows) when
 * none is named; rollback offers the vendor-signed older image under the
 * current record; leaked_key signs the action's image (default: the
 * newest app of the target's product it does not run) with the stolen
 * key and uploads it to the service as the key's owner would when the
 * action fires (fs_upload_sign: the service signs a record unless the
 * key is revoked by then), then offers it at each target's check-in. A
 * leaked_key success marks the device compromised only when the device
 * had been told the key was revoked: only then does it run code its
 * trusted keys did not sign. Every other compromise is the device's own
 * (secure boot of a forged slot).
 * Does not: decide a check, or look at device state beyond the public
 * functions of the device headers (physical.h for access from outside).
 */
#include <string.h>

#include <sodium.h>

#include "fleetsim/crypto.h"
#include "fleetsim/mem.h"

#include "attack_int.h"

bool
atk_is_update_kind(unsigned kind)
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
atk_upd_destroy(struct atk_action *ac)
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
    atk_end(a, t->act->kind, t->device, succeeded);
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

/* Fill buf with bytes from t's payload stream. */
static void
garbage(const struct atk_target *t, unsigned char *buf, size_t n)
{
    struct fs_rng r;
    atk_payload_rng(t->act, t, &r);
    fs_rng_bytes(&r, buf, n);
}

/* foreign_key: sign sm with the action's key, or with one of our own. */
static void
sign_foreign(const struct atk_target *t, struct fs_signed_manifest *sm)
{
    const struct fs_attack *a = t->act->a;
    const char *name = t->act->act->u.attack.signer;
    uint32_t k =
        name ? fs_catalog_signer_find(a->env.catalog, name) : UINT32_MAX;
    if (k != UINT32_MAX) {
        sm->m.signer = k;
        fs_catalog_sign(a->env.catalog, k, sm);
        return;
    }
    unsigned char seed[32], pk[FS_KEY_PUB_BYTES], sk[FS_KEY_SEC_BYTES];
    unsigned char enc[FS_MANIFEST_BYTES];
    garbage(t, seed, sizeof(seed));
    fs_crypto_keygen(a->env.sim, pk, sk, seed);
    sm->m.signer = fs_catalog_signers(a->env.catalog);
    fs_manifest_encode(&sm->m, enc);
    fs_crypto_sign(a->env.sim, sm->sig, enc, sizeof(enc), sk);
    sodium_memzero(sk, sizeof(sk));
}

/* A remembered record bound elsewhere than device's product and group. */
static const struct atk_cap *
foreign_record(const struct fs_attack *a, uint32_t device)
{
    const struct fs_scn_cohort *co = fs_scn_cohort_of(a->env.scn, device);
    for (uint32_t i = 0; i < a->ncaps; i++) {
        const struct fs_update_record *r = &a->caps[i].rec;
        if (r->product != co->product->index || r->group != co->group->index)
            return &a->caps[i];
    }
    return NULL;
}

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
 * Turn m (a METADATA to t's device, genuine or empty) into the attack's
 * offer. Returns false when this check-in carries nothing the attack can
 * use (t keeps waiting).
 */
static bool
rewrite(struct atk_target *t, struct fs_msg *m)
{
    struct atk_action *ac = t->act;
    struct fs_attack *a = ac->a;
    struct atk_upd *u = upd_of(t);
    const struct fs_scn_attack *at = &ac->act->u.attack;
    bool genuine = m->u.metadata.nrecords > 0;
    struct fs_update_record rec;
    struct fs_signed_manifest sm;
    if (genuine) {
        rec = m->u.metadata.records[0];
        sm = m->u.metadata.images[0];
    }
    switch ((enum fs_scn_attack_kind)ac->kind) {
    case FS_ATK_UNSIGNED_IMAGE:
        if (!genuine)
            return false;
        garbage(t, sm.sig, sizeof(sm.sig));
        break;
    case FS_ATK_FOREIGN_KEY:
        if (!genuine)
            return false;
        sign_foreign(t, &sm);
        break;
    case FS_ATK_ROLLBACK:
        if (!genuine || at->image == NULL)
            return false;
        sm = *fs_catalog_manifest(a->env.catalog, at->image->index);
        break;
    case FS_ATK_TAMPER_IN_TRANSIT:
    case FS_ATK_ENDLESS_DATA:
    case FS_ATK_SLOW_RETRIEVAL:
        if (!genuine)
            return false;
        break;
    case FS_ATK_MIX_AND_MATCH: {
        const struct atk_cap *c = foreign_record(a, t->device);
        const struct fs_scn_cohort *co =
            fs_scn_cohort_of(a->env.scn, t->device);
        if (c != NULL) {
            rec = c->rec;
            sm = c->sm;
        } else if (genuine && at->image != NULL &&
                   at->image->kind == FS_IMAGE_APP &&
                   fs_catalog_manifest(a->env.catalog, at->image->index)
                           ->m.product != co->product->index) {
            sm = *fs_catalog_manifest(a->env.catalog, at->image->index);
        } else {
            return false;
        }
        break;
    }
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
    u->image = sm.m.image;
    u->rec_image = rec.target.image;
    u->length = sm.m.length_bytes;
    return true;
}

/* ---- check-ins ----------------------------------------------------------- */

/*
 * The attack acts on t's check-in: count it (once per target; tries
 * notes that it was counted) and start following it.
 */
static void
begin(struct atk_target *t)
{
    struct fs_attack *a = t->act->a;
    if (t->t_timer != 0)
        fs_sim_cancel(a->env.sim, t->t_timer);
    t->t_timer = 0;
    t->phase = ATK_DELIVER;
    if (t->tries == 0) {
        t->tries = 1;
        atk_attempt(a, t->act->kind, t->device);
    }
}

/*
 * freeze: withhold fresh metadata; once the first expired, replay it.
 * The device's record checks decide: an expired_manifest refusal is
 * blocked, accepting the record is succeeded; a replay it ignored
 * (offline, busy, running that image, a remembered refusal) is made
 * again at its next check-in.
 */
static bool
freeze_meta(struct atk_target *t, struct fs_msg *m)
{
    struct fs_attack *a = t->act->a;
    struct atk_upd *u = upd_of(t);
    if (t->phase != ATK_HOLD) {
        if (m->u.metadata.nrecords == 0)
            return false;
        u->rec = m->u.metadata.records[0];
        u->sm = m->u.metadata.images[0];
        u->have = true;
        u->image = u->rec_image = u->rec.target.image;
        if (t->t_timer != 0)
            fs_sim_cancel(a->env.sim, t->t_timer);
        t->t_timer = 0;
        t->phase = ATK_HOLD;
        t->tries = 1;
        atk_attempt(a, t->act->kind, t->device);
        fs_msgpool_put(a->env.pool, m);
        return true;
    }
    if (fs_sim_now_us(a->env.sim) <= u->rec.expires_us) {
        fs_msgpool_put(a->env.pool, m); /* hide the newer releases */
        return true;
    }
    offer_only(m, &u->rec, &u->sm);
    t->phase = ATK_DELIVER;
    struct took k;
    bool got = deliver(t, m, &k);
    if (t->phase != ATK_DELIVER)
        return true;
    if (got && k.expired)
        upd_end(t, false);
    else if (got && got_through(t, &k))
        upd_end(t, true);
    else
        t->phase = ATK_HOLD;
    return true;
}

/* A METADATA reaches a target waiting for its check-in. */
static bool
on_meta(struct atk_target *t, struct fs_msg *m)
{
    if (t->act->kind == FS_ATK_FREEZE)
        return freeze_meta(t, m);
    if (!rewrite(t, m)) {
        t->phase = ATK_WAIT_CHECKIN;
        return false;
    }
    begin(t);
    deliver_offer(t, m);
    return true;
}

/*
 * The check-in's CERT was delivered and no METADATA came with it: an
 * attack that can bring its own offer injects it as the service would.
 */
static void
checkin_end(struct fs_sim *sim, void *arg)
{
    (void)sim;
    struct atk_target *t = arg;
    struct fs_attack *a = t->act->a;
    t->t_timer = 0;
    if (t->phase != ATK_WAIT_META)
        return;
    t->phase = ATK_WAIT_CHECKIN;
    struct fs_msg *m = atk_msg(a, FS_MSG_METADATA, t->device);
    if (!rewrite(t, m)) {
        fs_msgpool_put(a->env.pool, m);
        return;
    }
    begin(t);
    a->env.to_device(a->env.ctx, m, 0);
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
            atk_payload_rng(t->act, t, &r);
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
        atk_timer(t, ATK_TRICKLE_US, trickle_deliver);
        return true;
    default:
        break;
    }
    deliver_chunk(t, m);
    return true;
}

/* ---- hooks --------------------------------------------------------------- */

/* Remember the genuine records of m, one per (product, group). */
static void
capture(struct fs_attack *a, const struct fs_msg *m)
{
    unsigned n = m->u.metadata.nrecords;
    for (unsigned i = 0; i < n && i < FS_RECORDS_PER_MSG; i++) {
        const struct fs_update_record *r = &m->u.metadata.records[i];
        bool seen = false;
        for (uint32_t c = 0; c < a->ncaps && !seen; c++)
            seen = a->caps[c].rec.product == r->product &&
                   a->caps[c].rec.group == r->group;
        if (seen || a->ncaps >= ATK_CAPS_MAX)
            continue;
        a->caps[a->ncaps].rec = *r;
        a->caps[a->ncaps].sm = m->u.metadata.images[i];
        a->ncaps++;
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
            garbage(t, u->rec.sig, sizeof(u->rec.sig));
        }
        u->have = true;
    }
}

void
atk_upd_fire(struct atk_action *ac)
{
    if (ac->kind == FS_ATK_LEAKED_KEY)
        leaked_prepare(ac);
    for (uint32_t i = 0; i < ac->ntargets; i++)
        ac->targets[i].phase = ATK_WAIT_CHECKIN;
}

/* One update action's view of a message to its target t. */
static bool
to_target(struct atk_target *t, struct fs_msg *m)
{
    struct atk_upd *u = upd_of(t);
    switch (t->phase) {
    case ATK_WAIT_CHECKIN:
        if (m->kind == FS_MSG_CERT && !m->forged) {
            t->phase = ATK_WAIT_META;
            atk_timer(t, 0, checkin_end);
            return false;
        }
        /* fall through */
    case ATK_WAIT_META:
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
atk_upd_to_device(struct fs_attack *a, struct fs_msg *m)
{
    if (m->kind != FS_MSG_CERT && m->kind != FS_MSG_METADATA &&
        m->kind != FS_MSG_CHUNK)
        return false;
    if (m->device >= fs_fleet_count(a->env.fleet))
        return false;
    if (a->capture && m->kind == FS_MSG_METADATA && !m->forged)
        capture(a, m);
    for (uint32_t i = 0; i < a->nupds; i++) {
        struct atk_action *ac = &a->acts[a->upds[i]];
        if (!ac->fired)
            continue;
        struct atk_target *t = atk_find(ac, m->device);
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
atk_upd_to_svc(struct fs_attack *a, const struct fs_msg *m)
{
    if (m->device >= fs_fleet_count(a->env.fleet) || m->u.end.completed)
        return;
    for (uint32_t i = 0; i < a->nupds; i++) {
        struct atk_action *ac = &a->acts[a->upds[i]];
        struct atk_target *t = atk_find(ac, m->device);
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
