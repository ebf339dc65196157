/*
 * device/update.c - update metadata and downloads on the device.
 *
 * Owns: the pool of update sessions (only devices that update hold one),
 * the outcomes waiting for upload (UPD_OUT_INLINE in the device, the rest
 * in pooled blocks, rare), the updates{} series the device counts
 * (every result but "offered"), the checks of signed update records
 * (signature, expiry, binding, freshness), the choice of the offer to
 * take, and the download: DOWNLOAD_REQ, QUEUED, CHUNK, DOWNLOAD_END, the
 * no-progress timeout and the declared-length bound.
 * Invariants: a device holds at most one session (dev->upd); a session's
 * t_timer runs only in UPD_DL_WAIT (timeout), UPD_WRITING (write) and
 * UPD_PROBATION (probation); the session pool only grows (one chunk of
 * UPD_CHUNK_SESSIONS at a time, rare) and pointers into it stay valid;
 * nothing here looks at who sent a message (m->forged).
 * Decisions: QUEUED suspends the no-progress timeout (the service owns its
 * queue; a queued device waits for its turn and keeps its place); the
 * timeout counts as progress only DEV_PROGRESS_BYTES received since the
 * last reset, so a trickle of a few bytes cannot keep a download alive;
 * when the link comes back a waiting or queued device asks again from its
 * offset; an abandoned or interrupted download resumes from its offset
 * when the same image is offered again; freshness is kept per deployment
 * (versions of different deployments do not compare), for the
 * DEV_FRESH_MAX deployments most recently accepted.
 * Does not: install (device/install.c), talk to the service except by
 * messages, or include service headers.
 */
#include <string.h>

#include "fleetsim/mem.h"
#include "fleetsim/metrics.h"
#include "fleetsim/msg.h"
#include "fleetsim/sim.h"

#include "device_int.h"

static void upd_timeout(struct fs_sim *sim, void *arg);

/* ---- session pool ------------------------------------------------------ */

static struct dev_upd *
pool_at(const struct fs_fleet *f, uint32_t i)
{
    FS_ASSERT(i > 0 && i < f->upd_used);
    return &f->upd_chunks[i / UPD_CHUNK_SESSIONS][i % UPD_CHUNK_SESSIONS];
}

/* Size the updates{} series cache; called by fs_fleet_create. */
void
fs__update_init(struct fs_fleet *f)
{
    size_t n = (size_t)f->cfg->nimages * FS_UPD_RESULT_COUNT * FS_UPR_COUNT;
    f->upd_series = fs_xmalloc((n ? n : 1) * sizeof(*f->upd_series));
    for (size_t i = 0; i < n; i++)
        f->upd_series[i] = UINT32_MAX;
    f->upd_used = 1; /* index 0 means "none" */
    f->out_used = 1; /* likewise */
}

/* Free the session pool and the series cache. */
void
fs__update_fini(struct fs_fleet *f)
{
    for (uint32_t c = 0; c < f->upd_nchunks; c++)
        fs_free(f->upd_chunks[c]);
    fs_free(f->upd_chunks);
    fs_free(f->upd_series);
    fs_free(f->out_blocks);
    f->out_blocks = NULL;
    f->out_used = f->out_cap = f->out_free = 0;
    f->upd_chunks = NULL;
    f->upd_series = NULL;
    f->upd_nchunks = f->upd_cap_chunks = 0;
}

/* The session of device id, or NULL. */
struct dev_upd *
fs__update_of(struct fs_fleet *f, uint32_t id)
{
    uint32_t i = f->devs[id].upd;
    return i == 0 ? NULL : pool_at(f, i);
}

static uint32_t
pool_take(struct fs_fleet *f)
{
    if (f->upd_free != 0) {
        uint32_t i = f->upd_free;
        f->upd_free = pool_at(f, i)->next_free;
        return i;
    }
    if (f->upd_used >= f->upd_nchunks * UPD_CHUNK_SESSIONS) {
        if (f->upd_nchunks == f->upd_cap_chunks) {
            f->upd_cap_chunks = f->upd_cap_chunks ? f->upd_cap_chunks * 2 : 4;
            f->upd_chunks = fs_xrealloc(
                f->upd_chunks, f->upd_cap_chunks * sizeof(*f->upd_chunks));
        }
        f->upd_chunks[f->upd_nchunks++] =
            fs_xcalloc(UPD_CHUNK_SESSIONS, sizeof(struct dev_upd));
    }
    FS_ASSERT(f->upd_used < UINT32_MAX);
    return f->upd_used++;
}

/*
 * The session of device id, taken from the pool when it has none. May
 * allocate a pool chunk (rare; pointers to other sessions stay valid).
 */
struct dev_upd *
fs__update_get(struct fs_fleet *f, uint32_t id)
{
    struct fs_dev *d = &f->devs[id];
    if (d->upd != 0)
        return pool_at(f, d->upd);
    uint32_t i = pool_take(f);
    struct dev_upd *s = pool_at(f, i);
    memset(s, 0, sizeof(*s));
    s->device = id;
    s->st = UPD_NONE;
    d->upd = i;
    f->upd_live++;
    return s;
}

/* Give the session back once it has nothing left to do. */
void
fs__update_release(struct fs_fleet *f, uint32_t id)
{
    struct fs_dev *d = &f->devs[id];
    struct dev_upd *s = fs__update_of(f, id);
    if (s == NULL || s->st != UPD_NONE)
        return;
    FS_ASSERT(s->t_timer == 0);
    s->device = UINT32_MAX;
    s->next_free = f->upd_free;
    f->upd_free = d->upd;
    d->upd = 0;
    FS_ASSERT(f->upd_live > 0);
    f->upd_live--;
}

/* ---- outcomes ----------------------------------------------------------- */

/*
 * Outcome i (< nout) of device d: the first UPD_OUT_INLINE in the device,
 * the rest in its block.
 */
static struct dev_out *
out_at(const struct fs_fleet *f, struct fs_dev *d, unsigned i)
{
    if (i < UPD_OUT_INLINE)
        return &d->out[i];
    FS_ASSERT(d->out_more != 0 && d->out_more < f->out_used);
    FS_ASSERT(i < UPD_REPORTS_MAX);
    return &f->out_blocks[d->out_more].e[i - UPD_OUT_INLINE];
}

/* Give d a block for outcomes past UPD_OUT_INLINE (grows the pool, rare). */
static void
out_more_take(struct fs_fleet *f, struct fs_dev *d)
{
    FS_ASSERT(d->out_more == 0);
    uint32_t i = f->out_free;
    if (i != 0) {
        f->out_free = f->out_blocks[i].next_free;
    } else {
        /* out_used starts at 1 (index 0 means "none") while out_cap
           starts at 0: grow whenever the next index is past the end. */
        if (f->out_used >= f->out_cap) {
            f->out_cap = f->out_cap ? f->out_cap * 2 : 16;
            f->out_blocks = fs_xrealloc(
                f->out_blocks, (size_t)f->out_cap * sizeof(*f->out_blocks));
        }
        FS_ASSERT(f->out_used < UINT32_MAX);
        i = f->out_used++;
    }
    d->out_more = i;
}

/* Return d's block once its outcomes fit in the device again. */
static void
out_more_drop(struct fs_fleet *f, struct fs_dev *d)
{
    if (d->out_more == 0 || d->nout > UPD_OUT_INLINE)
        return;
    f->out_blocks[d->out_more].next_free = f->out_free;
    f->out_free = d->out_more;
    d->out_more = 0;
}

static struct fs_update_report
out_report(const struct dev_out *o)
{
    return (struct fs_update_report){.image = o->image,
                                     .deployment = o->deployment,
                                     .result = o->result,
                                     .reason = o->reason,
                                     .at_us = o->at_us};
}

/* Copy up to max of the outcomes device id holds into out. */
static size_t
reports_copy(const struct fs_fleet *f, uint32_t id,
             struct fs_update_report *out, size_t max)
{
    struct fs_dev *d = &f->devs[id];
    size_t n = d->nout < max ? d->nout : max;
    for (size_t i = 0; i < n; i++)
        out[i] = out_report(out_at(f, d, (unsigned)i));
    return d->nout;
}

static uint32_t
series_of(struct fs_fleet *f, uint32_t image, enum fs_update_result res,
          enum fs_update_reason why)
{
    FS_ASSERT(image < f->cfg->nimages);
    size_t k = ((size_t)image * FS_UPD_RESULT_COUNT + res) * FS_UPR_COUNT + why;
    if (f->upd_series[k] == UINT32_MAX) {
        const char *v[3] = {
            fs__fleet_image(f, image)->id, fs_update_result_name(res),
            why == FS_UPR_NONE ? NULL : fs_update_reason_name(why)};
        f->upd_series[k] = fs_metrics_series(f->env.metrics, FS_M_UPDATES, v);
    }
    return f->upd_series[k];
}

/*
 * Count one update outcome of device id: updates{image, result, reason},
 * a canonical record, and a report queued for the next EVIDENCE (dropped
 * when UPD_REPORTS_MAX are already waiting).
 */
void
fs__update_outcome(struct fs_fleet *f, uint32_t id, uint32_t image,
                   uint32_t deployment, enum fs_update_result res,
                   enum fs_update_reason why)
{
    FS_ASSERT(res != FS_UPD_OFFERED);
    FS_ASSERT(res < FS_UPD_RESULT_COUNT && why < FS_UPR_COUNT);
    fs_metrics_add(f->env.metrics, series_of(f, image, res, why), 1);
    fs__fleet_record(f, FS_REC_DEV_UPDATE, id,
                     (int64_t)image << 16 | res << 8 | why);
    struct fs_dev *d = &f->devs[id];
    if (d->nout >= UPD_REPORTS_MAX)
        return;
    if (d->nout == UPD_OUT_INLINE)
        out_more_take(f, d);
    FS_ASSERT(image < UINT16_MAX);
    *out_at(f, d, d->nout++) = (struct dev_out){.at_us = fs__fleet_now(f),
                                                .deployment = deployment,
                                                .image = (uint16_t)image,
                                                .result = (uint8_t)res,
                                                .reason = (uint8_t)why};
}

/*
 * The identity of an offer: a short digest of the record's version and
 * signature and of the manifest's signature, so a refusal of an
 * attacker's substitute never matches the genuine (record, manifest).
 */
uint32_t
fs__update_tag(const struct fs_update_record *rec,
               const struct fs_signed_manifest *sm)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (unsigned i = 0; i < 8; i++)
        h = (h ^ (uint8_t)(rec->version >> (8 * i))) * 16777619u;
    for (unsigned i = 0; i < FS_SIG_BYTES; i++)
        h = (h ^ rec->sig[i]) * 16777619u;
    for (unsigned i = 0; i < FS_SIG_BYTES; i++)
        h = (h ^ sm->sig[i]) * 16777619u;
    return h;
}

/* Remember a refused offer (dep, tag) so that later offers of it are
   skipped. */
void
fs__update_remember(struct fs_fleet *f, uint32_t id, uint32_t dep, uint32_t tag)
{
    struct fs_dev *d = &f->devs[id];
    unsigned i = d->rej_next % DEV_REJ_MAX;
    d->rej_dep[i] = dep;
    d->rej_tag[i] = tag;
    d->rej_next = (uint8_t)((i + 1) % DEV_REJ_MAX);
}

static bool
remembered(const struct fs_dev *d, uint32_t dep, uint32_t tag)
{
    for (unsigned i = 0; i < DEV_REJ_MAX; i++)
        if (d->rej_dep[i] == dep && d->rej_tag[i] == tag)
            return true;
    return false;
}

/* ---- reports on EVIDENCE ------------------------------------------------ */

/* Copy up to max waiting outcomes into out and mark them in flight. */
size_t
fs__update_reports_take(struct fs_fleet *f, uint32_t id,
                        struct fs_update_report *out, size_t max)
{
    struct fs_dev *d = &f->devs[id];
    size_t n = d->nout < max ? d->nout : max;
    reports_copy(f, id, out, n);
    d->nout_sent = (uint8_t)n;
    return n;
}

/* The service answered the EVIDENCE: drop the outcomes it carried. */
void
fs__update_reports_ack(struct fs_fleet *f, uint32_t id)
{
    struct fs_dev *d = &f->devs[id];
    if (d->nout_sent == 0)
        return;
    FS_ASSERT(d->nout_sent <= d->nout);
    unsigned left = (unsigned)(d->nout - d->nout_sent);
    for (unsigned i = 0; i < left; i++)
        *out_at(f, d, i) = *out_at(f, d, i + d->nout_sent);
    d->nout = (uint8_t)left;
    d->nout_sent = 0;
    out_more_drop(f, d);
}

/* The upload was lost: the outcomes go again next time. */
void
fs__update_reports_unsend(struct fs_fleet *f, uint32_t id)
{
    f->devs[id].nout_sent = 0;
}

/* ---- messages ------------------------------------------------------------ */

static void
send_msg(struct fs_fleet *f, uint32_t id, struct fs_msg *m)
{
    f->env.send(f->env.ctx, m, fs_fleet_latency_us(f, id));
}

/* Tell the service the download ended (frees its download slot). */
void
fs__update_send_end(struct fs_fleet *f, uint32_t id, bool completed)
{
    struct dev_upd *s = fs__update_of(f, id);
    FS_ASSERT(s != NULL);
    struct fs_msg *m = fs_msgpool_get(f->env.pool);
    m->kind = FS_MSG_DOWNLOAD_END;
    m->device = id;
    m->u.end.image = s->sm.m.image;
    m->u.end.completed = completed;
    send_msg(f, id, m);
}

static void
arm_timeout(struct fs_fleet *f, uint32_t id, struct dev_upd *s)
{
    int64_t t_us = f->svc.download_timeout_us;
    s->mark_bytes = s->offset_bytes;
    if (!fs__fleet_defense_on(f, FS_DEF_DOWNLOAD_TIMEOUT) || t_us <= 0) {
        fs__fleet_cancel(f, &s->t_timer);
        return;
    }
    fs__fleet_timer(f, &s->t_timer, t_us, upd_timeout, id);
}

/* Ask for the bytes from the session's offset on. */
static void
request(struct fs_fleet *f, uint32_t id, struct dev_upd *s, bool rearm)
{
    struct fs_msg *m = fs_msgpool_get(f->env.pool);
    m->kind = FS_MSG_DOWNLOAD_REQ;
    m->device = id;
    m->u.download.image = s->sm.m.image;
    m->u.download.deployment = s->deployment;
    m->u.download.offset = s->offset_bytes;
    m->u.download.link_bps = f->cohorts[f->devs[id].cohort].cc->bandwidth_bps;
    s->st = UPD_DL_WAIT;
    if (rearm)
        arm_timeout(f, id, s);
    fs__fleet_record(f, FS_REC_DEV_DOWNLOAD_REQ, id, (int64_t)s->offset_bytes);
    send_msg(f, id, m);
}

/* No progress for download_timeout: abandon, retry at a later check-in. */
static void
upd_timeout(struct fs_sim *sim, void *arg)
{
    struct fs_fleet *f = fs__fleet_of(sim);
    uint32_t id = fs__fleet_id_of(arg);
    struct dev_upd *s = fs__update_of(f, id);
    FS_ASSERT(s != NULL);
    s->t_timer = 0;
    FS_ASSERT(s->st == UPD_DL_WAIT);
    s->st = UPD_DL_IDLE;
    fs__update_send_end(f, id, false);
    fs__update_outcome(f, id, s->sm.m.image, s->deployment, FS_UPD_FAILED,
                       FS_UPR_TIMEOUT);
    fs_repq_add(f, id, FS_REP_UPDATE_FAILURE, s->sm.m.image);
}

/* ---- metadata --------------------------------------------------------------
 */

static bool
valid_indices(const struct fs_fleet *f, const struct fs_update_record *rec,
              const struct fs_signed_manifest *sm)
{
    uint32_t n = f->cfg->nimages;
    return rec->target.image < n && sm->m.image < n &&
           rec->target.kind <= FS_IMAGE_APP;
}

/* ---- freshness, per deployment -------------------------------------- */

/*
 * Record versions come from one service-wide counter, so only versions of
 * the same deployment compare: a record older than one already accepted
 * for its deployment is a replay (freeze). Records of other deployments,
 * of the same image kind or not, are older or newer by the order in which
 * the service happened to sign them and say nothing about each other.
 */

/* Newest version accepted for deployment dep, 0 when none is known. */
static uint64_t
fresh_of(const struct fs_dev *d, uint32_t dep)
{
    for (unsigned i = 0; i < DEV_FRESH_MAX; i++)
        if (d->fresh_ver[i] != 0 && d->fresh_dep[i] == dep)
            return d->fresh_ver[i];
    return 0;
}

/*
 * Record that version of deployment dep was accepted: its entry moves to
 * the front (most recently accepted) keeping the higher version; a new
 * deployment takes the front and forgets the last entry.
 */
static void
fresh_accept(struct fs_dev *d, uint32_t dep, uint64_t version)
{
    if (version == 0)
        return; /* no service record has version 0: nothing to keep */
    unsigned i = 0;
    while (i < DEV_FRESH_MAX - 1 &&
           !(d->fresh_ver[i] != 0 && d->fresh_dep[i] == dep))
        i++;
    if (d->fresh_ver[i] != 0 && d->fresh_dep[i] == dep &&
        d->fresh_ver[i] > version)
        version = d->fresh_ver[i];
    memmove(&d->fresh_ver[1], &d->fresh_ver[0], i * sizeof(d->fresh_ver[0]));
    memmove(&d->fresh_dep[1], &d->fresh_dep[0], i * sizeof(d->fresh_dep[0]));
    d->fresh_ver[0] = version;
    d->fresh_dep[0] = dep;
}

/* Newest record version device id accepted for deployment dep (0: none). */
uint64_t
fs_update_accepted_version(const struct fs_fleet *f, uint32_t device,
                           uint32_t dep)
{
    FS_ASSERT(device < f->ndevs);
    return fresh_of(&f->devs[device], dep);
}

/* ---- record checks ------------------------------------------------------ */

/*
 * The record checks; fresh is the newest version accepted for the
 * record's deployment before this message (0: none). Returns FS_UPR_NONE
 * when the record holds.
 */
static enum fs_update_reason
record_check(struct fs_fleet *f, uint32_t id,
             const struct fs_update_record *rec, uint64_t fresh)
{
    const struct fs_dev *d = &f->devs[id];
    unsigned char buf[FS_RECORD_BYTES];
    size_t len = fs_update_record_encode(rec, buf);
    const unsigned char *pk =
        fs_catalog_signer_pk(f->env.catalog, FS_SIGNER_UPDATE);
    if (fs__fleet_defense_on(f, FS_DEF_VERIFY_SIGNATURES) &&
        fs_catalog_verify(f->env.catalog, pk, buf, len, rec->sig) != 0)
        return FS_UPR_BAD_SIGNATURE;
    bool expiry = fs__fleet_defense_on(f, FS_DEF_MANIFEST_EXPIRY);
    if (expiry && rec->expires_us < fs__fleet_now(f))
        return FS_UPR_EXPIRED_MANIFEST;
    const struct fs_cohort_config *cc = f->cohorts[d->cohort].cc;
    if (fs__fleet_defense_on(f, FS_DEF_MANIFEST_BINDING)) {
        if (rec->product != cc->product)
            return FS_UPR_WRONG_PRODUCT;
        if (rec->group != cc->group)
            return FS_UPR_WRONG_GROUP;
    }
    if (expiry && rec->version < fresh)
        return FS_UPR_EXPIRED_MANIFEST;
    return FS_UPR_NONE;
}

static bool
runs_image(const struct fs_fleet *f, const struct fs_dev *d, uint32_t img)
{
    if (fs__fleet_running_os(f, d) == img)
        return true;
    for (unsigned c = 0; c < FS_APPS_MAX; c++)
        if (fs__fleet_running_app(f, d, c) == img)
            return true;
    return false;
}

/* A session that cannot take a new offer now (busy with an update). */
static bool
busy(const struct dev_upd *s)
{
    return s != NULL && s->st != UPD_NONE && s->st != UPD_DL_IDLE &&
           s->st != UPD_DOWNLOADED;
}

/* Does the device act on a verified record: not for what it runs, not
   for the image of the update it is busy with? */
static bool
acts_on(struct fs_fleet *f, uint32_t id, const struct fs_update_record *rec,
        const struct fs_signed_manifest *sm)
{
    const struct fs_dev *d = &f->devs[id];
    if (runs_image(f, d, rec->target.image) || runs_image(f, d, sm->m.image))
        return false;
    return !busy(fs__update_of(f, id));
}

/* Same offer as the stopped download: same image and same target. */
static bool
same_offer(const struct dev_upd *s, const struct fs_update_record *rec,
           const struct fs_signed_manifest *sm)
{
    return s != NULL && (s->st == UPD_DL_IDLE || s->st == UPD_DOWNLOADED) &&
           s->sm.m.image == sm->m.image &&
           s->target.length_bytes == rec->target.length_bytes &&
           memcmp(s->target.hash, rec->target.hash, FS_HASH_BYTES) == 0;
}

/* Take offer (rec, sm): resume the stopped download or start anew. */
static void
take_offer(struct fs_fleet *f, uint32_t id, const struct fs_update_record *rec,
           const struct fs_signed_manifest *sm)
{
    struct dev_upd *s = fs__update_get(f, id);
    FS_ASSERT(!busy(s));
    bool resume = same_offer(s, rec, sm);
    s->sm = *sm;
    s->target = rec->target;
    s->deployment = rec->deployment;
    s->rec_version = rec->version;
    s->rec_tag = fs__update_tag(rec, sm);
    if (resume && s->st == UPD_DOWNLOADED) {
        fs__install_begin(f, id);
        return;
    }
    if (!resume) {
        s->offset_bytes = 0;
        s->nflips = 0;
        s->nflips_seen = 0;
    }
    request(f, id, s, true);
}

/*
 * METADATA: learn revocations, verify every record (outcomes counted),
 * including those naming what the device runs, then act on one verified
 * offer: the stopped download's image if offered again, else the first
 * verified record naming an image it does not run. One update at a time.
 * A refused offer is remembered by its identity (fs__update_tag) and not
 * checked again.
 */
void
fs__update_metadata(struct fs_fleet *f, uint32_t id, const struct fs_msg *m)
{
    struct fs_dev *d = &f->devs[id];
    d->revoked |= m->u.metadata.revoked_signers;
    unsigned n = m->u.metadata.nrecords;
    if (n > FS_RECORDS_PER_MSG)
        n = FS_RECORDS_PER_MSG;
    /* every record is judged against the table as it was before this
       message; the accepted ones enter it after the loop */
    uint64_t fresh[FS_RECORDS_PER_MSG];
    for (unsigned i = 0; i < n; i++)
        fresh[i] = fresh_of(d, m->u.metadata.records[i].deployment);
    bool accepted[FS_RECORDS_PER_MSG] = {false};
    int pick = -1;
    for (unsigned i = 0; i < n; i++) {
        const struct fs_update_record *rec = &m->u.metadata.records[i];
        const struct fs_signed_manifest *sm = &m->u.metadata.images[i];
        uint32_t tag = fs__update_tag(rec, sm);
        if (!valid_indices(f, rec, sm) || remembered(d, rec->deployment, tag))
            continue;
        enum fs_update_reason why = record_check(f, id, rec, fresh[i]);
        if (why != FS_UPR_NONE) {
            fs__update_outcome(f, id, rec->target.image, rec->deployment,
                               FS_UPD_REJECTED, why);
            if (why != FS_UPR_BAD_SIGNATURE)
                fs__update_remember(f, id, rec->deployment, tag);
            continue;
        }
        accepted[i] = true;
        if (!acts_on(f, id, rec, sm))
            continue;
        if (pick < 0 || same_offer(fs__update_of(f, id), rec, sm))
            pick = (int)i;
    }
    for (unsigned i = 0; i < n; i++)
        if (accepted[i])
            fresh_accept(d, m->u.metadata.records[i].deployment,
                         m->u.metadata.records[i].version);
    if (pick >= 0)
        take_offer(f, id, &m->u.metadata.records[pick],
                   &m->u.metadata.images[pick]);
    fs__update_release(f, id);
}

/* ---- download ------------------------------------------------------------ */

static void
keep_flips(struct dev_upd *s, const struct fs_msg *m)
{
    unsigned n = m->u.chunk.nflips;
    if (n > FS_CHUNK_FLIPS_MAX)
        n = FS_CHUNK_FLIPS_MAX;
    for (unsigned i = 0; i < n; i++) {
        s->nflips_seen++;
        if (s->nflips < UPD_FLIPS_MAX)
            s->flips[s->nflips++] = m->u.chunk.flips[i];
    }
}

/* A chunk past the declared length (verify_lengths on): refuse it all. */
static void
too_long(struct fs_fleet *f, uint32_t id, struct dev_upd *s)
{
    fs__fleet_cancel(f, &s->t_timer);
    s->st = UPD_NONE;
    fs__update_send_end(f, id, false);
    fs__update_outcome(f, id, s->sm.m.image, s->deployment, FS_UPD_REJECTED,
                       FS_UPR_TOO_LONG);
    fs__update_release(f, id);
}

/*
 * CHUNK: take the bytes at our offset (others are stale duplicates), stop
 * at the declared length, keep the flipped bits, ask for more or finish.
 */
void
fs__update_chunk(struct fs_fleet *f, uint32_t id, const struct fs_msg *m)
{
    struct dev_upd *s = fs__update_of(f, id);
    if (s == NULL || (s->st != UPD_DL_WAIT && s->st != UPD_DL_QUEUED))
        return;
    if (m->u.chunk.image != s->sm.m.image ||
        m->u.chunk.offset != s->offset_bytes || m->u.chunk.len == 0)
        return;
    uint64_t len = s->target.length_bytes;
    uint64_t end = s->offset_bytes + m->u.chunk.len;
    uint64_t left = len > s->offset_bytes ? len - s->offset_bytes : 1;
    uint32_t remaining =
        (uint32_t)((left + m->u.chunk.len - 1) / m->u.chunk.len);
    if (fs__physical_step(f, id, FS_PHASE_DOWNLOAD, remaining))
        return; /* power cut instead of this step */
    if (end > len && fs__fleet_defense_on(f, FS_DEF_VERIFY_LENGTHS)) {
        too_long(f, id, s);
        return;
    }
    bool was_queued = s->st == UPD_DL_QUEUED;
    s->offset_bytes = end;
    keep_flips(s, m);
    fs__fleet_record(f, FS_REC_DEV_CHUNK, id, (int64_t)end);
    if (end == len) {
        fs__fleet_cancel(f, &s->t_timer);
        s->st = UPD_DOWNLOADED;
        fs__update_send_end(f, id, true);
        fs__update_outcome(f, id, s->sm.m.image, s->deployment,
                           FS_UPD_DOWNLOADED, FS_UPR_NONE);
        fs__install_begin(f, id);
        return;
    }
    bool progress = was_queued || end - s->mark_bytes >= DEV_PROGRESS_BYTES;
    request(f, id, s, progress);
}

/* QUEUED: wait for a download slot; the timeout is suspended meanwhile. */
void
fs__update_queued(struct fs_fleet *f, uint32_t id, const struct fs_msg *m)
{
    struct dev_upd *s = fs__update_of(f, id);
    (void)m; /* its payload is not needed: one download at a time */
    if (s == NULL || s->st != UPD_DL_WAIT)
        return;
    s->st = UPD_DL_QUEUED;
    fs__fleet_cancel(f, &s->t_timer);
}

/* The link is back: a waiting download asks again from its offset. */
void
fs__update_online(struct fs_fleet *f, uint32_t id)
{
    struct dev_upd *s = fs__update_of(f, id);
    if (s == NULL || f->devs[id].state == FS_DEV_REBOOTING)
        return;
    if (s->st == UPD_DL_WAIT)
        request(f, id, s, false);
    else if (s->st == UPD_DL_QUEUED)
        request(f, id, s, true);
}

/* Consistency of device id's session (fs_fleet_check). */
bool
fs__update_check(const struct fs_fleet *f, uint32_t id)
{
    const struct fs_dev *d = &f->devs[id];
    if (d->nout_sent > d->nout || d->nout > UPD_REPORTS_MAX ||
        (d->out_more != 0) != (d->nout > UPD_OUT_INLINE) ||
        d->out_more >= f->out_used)
        return false;
    if (d->upd == 0)
        return true;
    if (d->upd >= f->upd_used)
        return false;
    const struct dev_upd *s = pool_at(f, d->upd);
    if (s->device != id || s->st > UPD_PROBATION || s->nflips > UPD_FLIPS_MAX)
        return false;
    bool timed =
        s->st == UPD_DL_WAIT || s->st == UPD_WRITING || s->st == UPD_PROBATION;
    if (!timed && s->t_timer != 0)
        return false;
    return s->st == UPD_NONE || s->what <= FS_SLOT_RT1;
}

/* Copy device's update outcomes waiting for upload; see update.h. */
size_t
fs_update_reports(const struct fs_fleet *f, uint32_t device,
                  struct fs_update_report *out, size_t max)
{
    FS_ASSERT(device < f->ndevs);
    return reports_copy(f, device, out, max);
}

/* Copy where device's update stands; see update.h. */
void
fs_update_view(const struct fs_fleet *f, uint32_t device,
               struct fs_update_view *out)
{
    FS_ASSERT(device < f->ndevs);
    const struct fs_dev *d = &f->devs[device];
    memset(out, 0, sizeof(*out));
    out->image = FS_NO_IMAGE;
    out->stage = FS_UPD_STAGE_NONE;
    if (d->upd == 0)
        return;
    const struct dev_upd *s = pool_at(f, d->upd);
    static const uint8_t stage_of[] = {
        [UPD_NONE] = FS_UPD_STAGE_NONE,
        [UPD_DL_IDLE] = FS_UPD_STAGE_STOPPED,
        [UPD_DL_WAIT] = FS_UPD_STAGE_DOWNLOADING,
        [UPD_DL_QUEUED] = FS_UPD_STAGE_DOWNLOADING,
        [UPD_DOWNLOADED] = FS_UPD_STAGE_DOWNLOADED,
        [UPD_WRITING] = FS_UPD_STAGE_WRITING,
        [UPD_BOOTING] = FS_UPD_STAGE_BOOTING,
        [UPD_PROBATION] = FS_UPD_STAGE_PROBATION};
    FS_ASSERT(s->st < sizeof(stage_of));
    out->stage = stage_of[s->st];
    if (s->st == UPD_NONE)
        return;
    out->image = s->sm.m.image;
    out->offset_bytes = s->offset_bytes;
    out->length_bytes = s->target.length_bytes;
    out->flips_taken = s->nflips_seen;
}

/* Sessions held. */
uint32_t
fs_update_sessions(const struct fs_fleet *f)
{
    return f->upd_live;
}

/* True between a download's start and its confirmation or refusal. */
bool
fs_update_in_progress(const struct fs_fleet *f, uint32_t device)
{
    FS_ASSERT(device < f->ndevs);
    uint32_t i = f->devs[device].upd;
    if (i == 0)
        return false;
    const struct dev_upd *s = pool_at(f, i);
    return s->st != UPD_NONE;
}
