/*
 * service/download.c - the update download server.
 *
 * Owns: the download sessions (a table sized at create for the most
 * max_downloads the config ever allows, at most one per device), the
 * FIFO queue of requests waiting for a session, sending image chunks at
 * the device's share of the egress bandwidth, and dropping sessions that
 * make no progress for download_timeout.
 * Invariants: sessions in use == devices flagged DL_ACTIVE <= table size;
 * a device holds at most one session and at most one live queue entry
 * (older entries are stale by generation); new sessions start only while
 * fewer than max_downloads are in use; a chunk never reaches past the
 * image's declared length; each session has at most one timeout timer.
 * Does not: check who may download what (images are public bytes; the
 * device verifies), or allocate except to grow the queue ring (it only
 * grows, so steady state allocates nothing) and messages from the pool.
 */
#include <string.h>

#include "fleetsim/mem.h"
#include "fleetsim/sim.h"

#include "service_int.h"

#define DL_QUEUE_MIN 256u

/* Size the session table; see service_int.h. */
void
fs__download_init(struct fs_svc *s)
{
    uint64_t most = s->settings.max_downloads;
    if (s->config.max_downloads_most > most)
        most = s->config.max_downloads_most;
    if (most > s->ndevs)
        most = s->ndevs;
    s->nsessions = most ? (uint32_t)most : 1;
    s->sessions = fs_xcalloc(s->nsessions, sizeof(*s->sessions));
    s->free_sessions = fs_xcalloc(s->nsessions, sizeof(uint32_t));
    for (uint32_t i = 0; i < s->nsessions; i++) {
        s->sessions[i].svc = s;
        s->free_sessions[i] = s->nsessions - 1 - i;
    }
    s->nfree = s->nsessions;
}

/* Free the session table and queue. */
void
fs__download_fini(struct fs_svc *s)
{
    fs_free(s->queue);
    fs_free(s->free_sessions);
    fs_free(s->sessions);
}

/* Transfer time of len bytes at min(link, egress / sessions in use). */
static int64_t
dl_transfer_us(const struct fs_svc *s, uint32_t len, uint64_t link_bps)
{
    uint64_t share = s->settings.egress_bps / (s->nactive ? s->nactive : 1);
    uint64_t bps = share;
    if (link_bps != 0 && link_bps < bps)
        bps = link_bps;
    if (bps == 0)
        bps = 1;
    uint64_t bits_us = (uint64_t)len * 8u * 1000000u;
    uint64_t us = (bits_us + bps - 1) / bps;
    return us > 0 ? (int64_t)us : 1;
}

/* Turn m into the chunk of image at offset for device and send it. */
static void
dl_send_chunk(struct fs_svc *s, struct fs_msg *m, uint32_t device,
              uint32_t image, uint64_t offset, uint64_t link_bps)
{
    uint64_t length =
        fs_catalog_manifest(s->env.catalog, image)->m.length_bytes;
    FS_ASSERT(offset < length);
    uint64_t left = length - offset;
    uint32_t len = left < FS_DOWNLOAD_CHUNK_BYTES ? (uint32_t)left
                                                  : FS_DOWNLOAD_CHUNK_BYTES;
    memset(&m->u, 0, sizeof(m->u));
    m->kind = FS_MSG_CHUNK;
    m->device = device;
    m->u.chunk.image = image;
    m->u.chunk.offset = offset;
    m->u.chunk.len = len;
    s->stats.chunks++;
    s->stats.chunk_bytes += len;
    fs_sim_record(s->env.sim, FS_REC_SVC_DL_CHUNK, device,
                  (int64_t)((offset << 24) | len));
    s->env.send(s->env.ctx, m, dl_transfer_us(s, len, link_bps));
}

static void dl_timer(struct fs_sim *sim, void *arg);

static void
dl_arm(struct fs_svc *s, struct svc_session *ss, int64_t at_us)
{
    if (ss->timer_armed)
        return;
    if (fs_sim_schedule_at(s->env.sim, at_us, dl_timer, ss, NULL) == 0)
        ss->timer_armed = true;
}

/* Give device a free session for image. */
static void
dl_start(struct fs_svc *s, struct svc_dev *dv, uint32_t device, uint32_t image,
         uint64_t offset)
{
    FS_ASSERT(s->nfree > 0);
    uint32_t slot = s->free_sessions[--s->nfree];
    struct svc_session *ss = &s->sessions[slot];
    FS_ASSERT(!ss->active);
    ss->active = true;
    ss->device = device;
    ss->image = image;
    ss->last_req_us = fs_sim_now_us(s->env.sim);
    s->nactive++;
    dv->flags |= SVC_DEV_DL_ACTIVE;
    dv->dl_slot = slot;
    s->stats.downloads_started++;
    fs_sim_record(s->env.sim, FS_REC_SVC_DL_START, device,
                  (int64_t)(((uint64_t)(image & 0xffffffu) << 40) |
                            (offset & 0xffffffffffu)));
    dl_arm(s, ss, ss->last_req_us + s->settings.download_timeout_us);
}

static void
dl_stop(struct fs_svc *s, struct svc_dev *dv, uint32_t device,
        enum fs_download_end why)
{
    struct svc_session *ss = &s->sessions[dv->dl_slot];
    FS_ASSERT(ss->active);
    FS_ASSERT(ss->device == device);
    ss->active = false;
    s->free_sessions[s->nfree++] = dv->dl_slot;
    s->nactive--;
    dv->flags &= (uint8_t)~SVC_DEV_DL_ACTIVE;
    dv->dl_slot = 0;
    fs_sim_record(s->env.sim, FS_REC_SVC_DL_END, device, (int64_t)why);
}

static void
dl_timer(struct fs_sim *sim, void *arg)
{
    struct svc_session *ss = arg;
    struct fs_svc *s = ss->svc;
    ss->timer_armed = false;
    if (!ss->active)
        return;
    int64_t due = ss->last_req_us + s->settings.download_timeout_us;
    if (fs_sim_now_us(sim) < due) {
        dl_arm(s, ss, due);
        return;
    }
    s->stats.downloads_timed_out++;
    dl_stop(s, &s->devs[ss->device], ss->device, FS_DOWNLOAD_TIMED_OUT);
    fs__download_drain(s);
}

/* Append a request to the ring, doubling it when full. */
static void
dl_enqueue(struct fs_svc *s, struct svc_dev *dv, const struct svc_qent *e)
{
    if (s->qlen == s->qcap) {
        uint32_t cap = s->qcap ? s->qcap * 2 : DL_QUEUE_MIN;
        struct svc_qent *q = fs_xcalloc(cap, sizeof(*q));
        for (uint32_t i = 0; i < s->qlen; i++)
            q[i] = s->queue[(s->qhead + i) % s->qcap];
        fs_free(s->queue);
        s->queue = q;
        s->qcap = cap;
        s->qhead = 0;
    }
    s->queue[(s->qhead + s->qlen) % s->qcap] = *e;
    s->qlen++;
    dv->flags |= SVC_DEV_DL_QUEUED;
    s->nqueued++;
    s->stats.downloads_queued++;
}

/* Withdraw device's queue entry (it stays in the ring, stale). */
static void
dl_unqueue(struct fs_svc *s, struct svc_dev *dv)
{
    dv->flags &= (uint8_t)~SVC_DEV_DL_QUEUED;
    dv->dl_gen++;
    s->nqueued--;
}

/* Start queued requests while sessions are free. */
void
fs__download_drain(struct fs_svc *s)
{
    while (s->qlen > 0 && s->nactive < s->settings.max_downloads &&
           s->nfree > 0) {
        struct svc_qent e = s->queue[s->qhead];
        s->qhead = (s->qhead + 1) % s->qcap;
        s->qlen--;
        struct svc_dev *dv = &s->devs[e.device];
        if (!(dv->flags & SVC_DEV_DL_QUEUED) || dv->dl_gen != e.gen)
            continue;
        dl_unqueue(s, dv);
        dl_start(s, dv, e.device, e.image, e.offset);
        struct fs_msg *m = fs_msgpool_get(s->env.pool);
        dl_send_chunk(s, m, e.device, e.image, e.offset, e.link_bps);
    }
}

static void
dl_reply_queued(struct fs_svc *s, struct fs_msg *m, uint32_t device)
{
    fs_sim_record(s->env.sim, FS_REC_SVC_DL_QUEUED, device,
                  (int64_t)s->nqueued);
    memset(&m->u, 0, sizeof(m->u));
    m->kind = FS_MSG_QUEUED;
    s->env.send(s->env.ctx, m, 0);
}

/* DOWNLOAD_REQ: serve, keep serving, or queue; owns m. */
void
fs__download_request(struct fs_svc *s, struct fs_msg *m)
{
    uint32_t device = m->device;
    struct svc_dev *dv = fs__registry_dev(s, device);
    uint32_t image = m->u.download.image;
    uint64_t offset = m->u.download.offset;
    if (dv == NULL || image >= s->nimages ||
        offset >= fs_catalog_manifest(s->env.catalog, image)->m.length_bytes) {
        fs_msgpool_put(s->env.pool, m);
        return;
    }
    uint64_t link = m->u.download.link_bps;
    if (dv->flags & SVC_DEV_DL_ACTIVE) {
        struct svc_session *ss = &s->sessions[dv->dl_slot];
        ss->image = image;
        ss->last_req_us = fs_sim_now_us(s->env.sim);
        dl_send_chunk(s, m, device, image, offset, link);
        return;
    }
    if (dv->flags & SVC_DEV_DL_QUEUED) {
        /* Asked again while waiting (its link came back): it keeps its
           place, and its entry's offset still holds (nothing was sent). */
        dl_reply_queued(s, m, device);
        return;
    }
    if (s->nqueued == 0 && s->nactive < s->settings.max_downloads &&
        s->nfree > 0) {
        dl_start(s, dv, device, image, offset);
        dl_send_chunk(s, m, device, image, offset, link);
        return;
    }
    struct svc_qent e = {device, image, offset, link, dv->dl_gen};
    dl_enqueue(s, dv, &e);
    dl_reply_queued(s, m, device);
}

/* DOWNLOAD_END: end the session or withdraw the request; owns m. */
void
fs__download_end(struct fs_svc *s, struct fs_msg *m)
{
    uint32_t device = m->device;
    bool completed = m->u.end.completed;
    fs_msgpool_put(s->env.pool, m);
    struct svc_dev *dv = fs__registry_dev(s, device);
    if (dv == NULL)
        return;
    if (dv->flags & SVC_DEV_DL_QUEUED) {
        dl_unqueue(s, dv);
        fs_sim_record(s->env.sim, FS_REC_SVC_DL_END, device,
                      FS_DOWNLOAD_DEQUEUED);
    }
    if (!(dv->flags & SVC_DEV_DL_ACTIVE))
        return;
    s->stats.downloads_ended++;
    dl_stop(s, dv, device,
            completed ? FS_DOWNLOAD_COMPLETED : FS_DOWNLOAD_ABANDONED);
    fs__download_drain(s);
}

/* Sessions in use; see download.h. */
uint32_t
fs_download_active(const struct fs_svc *s)
{
    return s->nactive;
}

/* Requests waiting; see download.h. */
uint32_t
fs_download_queued(const struct fs_svc *s)
{
    return s->nqueued;
}

/* Bytes held by sessions and the queue ring. */
size_t
fs__download_bytes(const struct fs_svc *s)
{
    return (size_t)s->nsessions * (sizeof(*s->sessions) + sizeof(uint32_t)) +
           (size_t)s->qcap * sizeof(*s->queue);
}

/* Sessions, flags and queue counts agree. */
bool
fs__download_check(const struct fs_svc *s)
{
    uint32_t active = 0, queued = 0;
    for (uint32_t d = 0; d < s->ndevs; d++) {
        const struct svc_dev *dv = &s->devs[d];
        queued += (dv->flags & SVC_DEV_DL_QUEUED) != 0;
        if (!(dv->flags & SVC_DEV_DL_ACTIVE))
            continue;
        active++;
        if (dv->dl_slot >= s->nsessions || !s->sessions[dv->dl_slot].active ||
            s->sessions[dv->dl_slot].device != d)
            return false;
    }
    uint32_t in_use = 0;
    for (uint32_t i = 0; i < s->nsessions; i++)
        in_use += s->sessions[i].active;
    return active == s->nactive && in_use == s->nactive &&
           s->nfree + s->nactive == s->nsessions && queued == s->nqueued &&
           s->nqueued <= s->qlen && s->qlen <= s->qcap;
}
