/*
 * sim/model/msg.c - canonical encodings of signed messages, and the message
 * pool.
 *
 * Owns: the byte layout that evidence and certificates are signed over,
 * and the free list of messages in flight.
 * Invariants: encodings are little-endian and fixed-layout; the pool never
 * shrinks while in use and hands out zeroed messages.
 * Does not: deliver, verify or decide anything.
 */
#include <string.h>

#include "fleetsim/crypto.h"
#include "fleetsim/mem.h"
#include "fleetsim/msg.h"

#include "fleetsim/bytes.h"

/* Messages allocated per pool chunk. */
#define POOL_CHUNK_MSGS 1024

static unsigned char *
putb(unsigned char *p, const unsigned char *b, size_t n)
{
    memcpy(p, b, n);
    return p + n;
}

size_t
fs_evidence_encode(const struct fs_evidence *e,
                   unsigned char out[FS_EVIDENCE_BYTES])
{
    unsigned char *p = putb(out, (const unsigned char *)"FSEVID01", 8);
    p = fs_bytes_put_le(p, e->device, 4);
    p = putb(p, e->nonce, FS_NONCE_BYTES);
    p = putb(p, e->pcr_boot, FS_HASH_BYTES);
    p = putb(p, e->pcr_apps, FS_HASH_BYTES);
    p = fs_bytes_put_le(p, e->os_image, 4);
    for (int i = 0; i < FS_APPS_MAX; i++)
        p = fs_bytes_put_le(p, e->apps[i], 4);
    p = fs_bytes_put_le(p, e->counter_os, 4);
    p = fs_bytes_put_le(p, e->counter_app, 4);
    size_t n = (size_t)(p - out);
    FS_ASSERT(n <= FS_EVIDENCE_BYTES);
    return n;
}

size_t
fs_update_record_encode(const struct fs_update_record *r,
                        unsigned char out[FS_RECORD_BYTES])
{
    unsigned char *p = putb(out, (const unsigned char *)"FSUPDT01", 8);
    p = fs_bytes_put_le(p, r->deployment, 4);
    p = fs_bytes_put_le(p, r->product, 4);
    p = fs_bytes_put_le(p, r->group, 4);
    p = fs_bytes_put_le(p, r->version, 8);
    p = fs_bytes_put_le(p, (uint64_t)r->expires_us, 8);
    unsigned char m[FS_MANIFEST_BYTES];
    fs_manifest_encode(&r->target, m);
    p = putb(p, m, sizeof(m));
    size_t n = (size_t)(p - out);
    FS_ASSERT(n <= FS_RECORD_BYTES);
    return n;
}

size_t
fs_cert_encode(const struct fs_cert *c, unsigned char out[FS_CERT_BYTES])
{
    unsigned char *p = putb(out, (const unsigned char *)"FSCERT01", 8);
    p = fs_bytes_put_le(p, c->device, 4);
    p = putb(p, c->pk, FS_KEY_PUB_BYTES);
    p = fs_bytes_put_le(p, (uint64_t)c->not_after_us, 8);
    p = fs_bytes_put_le(p, c->serial, 8);
    size_t n = (size_t)(p - out);
    FS_ASSERT(n <= FS_CERT_BYTES);
    return n;
}

void
fs_msgpool_init(struct fs_msgpool *p)
{
    memset(p, 0, sizeof(*p));
}

void
fs_msgpool_fini(struct fs_msgpool *p)
{
    for (size_t i = 0; i < p->nchunks; i++)
        fs_free(p->chunks[i]);
    fs_free(p->chunks);
    memset(p, 0, sizeof(*p));
}

static void
pool_grow(struct fs_msgpool *p)
{
    if (p->nchunks == p->cap_chunks) {
        p->cap_chunks = p->cap_chunks ? p->cap_chunks * 2 : 8;
        p->chunks = fs_xrealloc(p->chunks, p->cap_chunks * sizeof(void *));
    }
    struct fs_msg *chunk = fs_xcalloc(POOL_CHUNK_MSGS, sizeof(*chunk));
    p->chunks[p->nchunks++] = chunk;
    for (size_t i = POOL_CHUNK_MSGS; i-- > 0;) {
        chunk[i].next_free = p->free;
        p->free = &chunk[i];
    }
}

struct fs_msg *
fs_msgpool_get(struct fs_msgpool *p)
{
    if (p->free == NULL)
        pool_grow(p);
    struct fs_msg *m = p->free;
    p->free = m->next_free;
    memset(m, 0, sizeof(*m));
    p->live++;
    if (p->live > p->peak)
        p->peak = p->live;
    return m;
}

void
fs_msgpool_put(struct fs_msgpool *p, struct fs_msg *m)
{
    FS_ASSERT(p->live > 0);
    fs_crypto_settle(&m->crypto);
    m->next_free = p->free;
    p->free = m;
    p->live--;
}

const char *
fs_msg_report_kind_name(enum fs_report_kind k)
{
    static const char *const names[FS_REP_COUNT] = {
        "app_crash",          "os_crash",       "boot_failure",
        "firewall_violation", "update_failure", "tamper"};
    return (unsigned)k < FS_REP_COUNT ? names[k] : "unknown";
}

const char *
fs_msg_attest_reason_name(enum fs_attest_reason r)
{
    static const char *const names[FS_ATT_COUNT] = {
        "ok",          "bad_signature",        "unknown_device",
        "stale_nonce", "measurement_mismatch", "os_too_old",
        "revoked"};
    return (unsigned)r < FS_ATT_COUNT ? names[r] : "unknown";
}

/* Verdicts of a check-in in which the device proved its identity. */
bool
fs_msg_attest_proved(enum fs_attest_reason r)
{
    return r == FS_ATT_OK || r == FS_ATT_MEASUREMENT_MISMATCH ||
           r == FS_ATT_OS_TOO_OLD;
}

const char *
fs_update_result_name(enum fs_update_result r)
{
    static const char *const names[FS_UPD_RESULT_COUNT] = {
        "offered",  "downloaded", "installed",  "confirmed",
        "rejected", "failed",     "rolled_back"};
    return (unsigned)r < FS_UPD_RESULT_COUNT ? names[r] : "unknown";
}

const char *
fs_update_reason_name(enum fs_update_reason r)
{
    static const char *const names[FS_UPR_COUNT] = {"",
                                                    "bad_signature",
                                                    "untrusted_key",
                                                    "revoked_key",
                                                    "rollback",
                                                    "hash_mismatch",
                                                    "too_long",
                                                    "timeout",
                                                    "expired_manifest",
                                                    "wrong_product",
                                                    "wrong_group",
                                                    "no_space",
                                                    "peripheral_conflict",
                                                    "power_loss",
                                                    "crash"};
    return (unsigned)r < FS_UPR_COUNT ? names[r] : "unknown";
}
