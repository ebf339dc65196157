/*
 * sim/model/crypto.c - counted signature operations for the model, inline
 * or on libuv's thread pool.
 *
 * Owns: the calls into libsodium's signature API (or, with --crypto model,
 * into the stand-in of crypto_model.c) made on behalf of devices and the
 * service; struct fs_crypto, their counts and scheme; and, when workers are
 * on, the jobs started ahead of their use (a ring of queued jobs shared with
 * the workers under one mutex, a table of started signatures and checks
 * found by their inputs, the key generations waiting for fs_crypto_drain).
 * Invariants: one count per operation, in either scheme (workers included);
 * an operation is counted when the model asks for it, never
 * when a worker runs it, so counts are the same with any thread count; the
 * main thread waits for a job (or runs it itself) before it copies a result
 * out, and a result is taken only for exactly the inputs it was computed
 * from; a worker reads and writes only its job, between taking it (queued
 * -> running) and publishing it (done); jobs are allocated and freed on the
 * main thread only.
 * Does not: cache a result for more than the one use it was started for,
 * read a clock of its own (only the one a benchmark hands to
 * fs_crypto_create), or read anything of the model.
 */
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#include <sodium.h>
#include <uv.h>

#include "fleetsim/crypto.h"
#include "fleetsim/ctx.h"
#include "fleetsim/err.h"
#include "fleetsim/mem.h"
#include "fleetsim/sim.h"

#include "crypto_int.h"

/* Longest message a job carries; longer ones are signed inline. */
#define JOB_MSG_MAX 256
/* Jobs allocated at a time. */
#define JOB_CHUNK 256
/* Queued jobs past which the main thread runs the oldest one itself. */
#define QUEUE_MAX 512
/* Started signatures kept for a taker; past that, no more are prefetched. */
#define TABLE_MAX 8192
#define TABLE_BUCKETS 16384
/* A started check nobody took within this much simulated time is dropped. */
#define TABLE_HORIZON_US (600 * 1000000LL)
/* Checks started for a use hours away (a certificate's first check by the
   cloud) live on a list of their own: this long, and at most this many. */
#define LONG_HORIZON_US (48 * 3600 * 1000000LL)
#define LONG_MAX_JOBS 16384
/* Key generations waiting for fs_crypto_drain before the oldest is taken. */
#define KEYGEN_MAX 1024

enum job_state { JOB_FREE = 0, JOB_QUEUED, JOB_RUNNING, JOB_DONE };
enum job_op { OP_KEYGEN = 0, OP_SIGN, OP_SIGN_CHECK, OP_VERIFY };

struct fs_crypto_job {
    _Atomic int state;           /* enum job_state, shared with the workers */
    uint8_t op;                  /* enum job_op */
    bool in_table;               /* findable by table_find */
    bool long_lived;             /* kept on the long age list */
    bool on_msg;                 /* a message's pending signature */
    bool sign_taken;             /* its signature was used */
    bool verify_taken;           /* its check was used */
    uint16_t len;                /* bytes of msg */
    int verify_rc;               /* crypto_sign_verify_detached's answer */
    uint64_t hash;               /* of msg and the public half of sk */
    int64_t started_us;          /* simulated time it was started */
    uint64_t keygen_ns;          /* time inside libsodium, with a bench clock */
    uint64_t sign_ns;            /* ditto */
    uint64_t verify_ns;          /* ditto */
    unsigned char *out;          /* where the result goes: a message's signature
                                    or a keystore's secret key */
    struct fs_crypto_job *hnext; /* table bucket chain */
    struct fs_crypto_job *older; /* table age list, or keygen list */
    struct fs_crypto_job *newer; /* ditto */
    struct fs_crypto_job *next_free;
    struct fs_crypto *owner; /* the counters it belongs to */
    unsigned char sk[64];    /* secret key (keygen: the seed in, key out) */
    unsigned char sig[64];   /* the signature made */
    unsigned char msg[JOB_MSG_MAX];
};

/* Queued jobs, oldest at head (a power-of-two ring that grows). */
struct job_ring {
    struct fs_crypto_job **jobs;
    size_t cap, head, len;
};
/* Needed within a network latency or so, and needed much later (work
   ahead of a check-in): a thread takes the first kind first, so that the
   second is left for when there is nothing more pressing. */
enum { RQ_SOON = 0, RQ_LATER = 1 };
/* A job whose result is due this much simulated time later goes RQ_LATER. */
#define LATER_US (1000000LL)

/* Jobs oldest first, linked through older/newer: the table's age lists
   and the key generations waiting to be copied out. */
struct job_list {
    struct fs_crypto_job *oldest, *newest;
    size_t len;
};
enum { AGE_SHORT = 0, AGE_LONG = 1 };

/* One long-running work item in libuv's pool. */
struct crypto_worker {
    uv_work_t req;
    struct fs_crypto *c;
};

struct fs_crypto {
    struct fs_crypto_stats st;    /* counts and time inside the calls */
    struct fs_crypto_waste waste; /* work done ahead and not used */
    _Atomic uint64_t worker_ns;   /* workers' time in jobs (bench clock) */
    fs_crypto_clock_fn *bench_ns; /* benchmark clock, or NULL */
    enum fs_crypto_kind kind;     /* the scheme (FS_CRYPTO_REAL = 0); set
                                     before the first job, read by workers */
    struct fs_sim *sim;           /* the engine it is attached to */
    unsigned nworkers;            /* 0: everything inline */
    /* shared with the workers, under mu */
    uv_loop_t loop; /* owns the workers' requests */
    uv_mutex_t mu;
    uv_cond_t cv;
    struct job_ring rq[2]; /* queued jobs: RQ_SOON first, then RQ_LATER */
    bool stop;             /* workers leave when both are empty */
    struct crypto_worker *workers;
    /* main thread only */
    struct fs_crypto_job *free; /* free jobs */
    void **chunks;              /* job memory */
    size_t nchunks, cap_chunks;
    struct fs_crypto_job **buckets; /* TABLE_BUCKETS chains */
    struct job_list age[2]; /* the table's jobs by start: AGE_SHORT, AGE_LONG */
    struct job_list kg;     /* key generations to copy out */
};

/* The counters attached to sim, or the scratch sink none when there are none.
 */
static struct fs_crypto *
counters(struct fs_sim *sim, struct fs_crypto *none)
{
    struct fs_crypto *c = fs_sim_ctx(sim, FS_CTX_CRYPTO);
    return c != NULL ? c : none;
}

/* Benchmark clock reading, or 0 when none is installed. */
static uint64_t
tick(const struct fs_crypto *c)
{
    return c->bench_ns != NULL ? c->bench_ns() : 0;
}

/* ---- the work itself (any thread) ---------------------------------- */

/* The three operations in scheme kind (libsodium's argument shapes). */
static void
op_keygen(enum fs_crypto_kind kind, unsigned char *pk, unsigned char *sk,
          const unsigned char *seed)
{
    if (kind == FS_CRYPTO_MODEL)
        fs__crypto_model_keygen(pk, sk, seed);
    else
        crypto_sign_seed_keypair(pk, sk, seed);
}

static void
op_sign(enum fs_crypto_kind kind, unsigned char *sig, const unsigned char *m,
        size_t len, const unsigned char *sk)
{
    if (kind == FS_CRYPTO_MODEL)
        fs__crypto_model_sign(sig, NULL, m, len, sk);
    else
        crypto_sign_detached(sig, NULL, m, len, sk);
}

/* 0 when sig is m's signature under pk. */
static int
op_verify(enum fs_crypto_kind kind, const unsigned char *sig,
          const unsigned char *m, size_t len, const unsigned char *pk)
{
    if (kind == FS_CRYPTO_MODEL)
        return fs__crypto_model_verify(sig, m, len, pk);
    return crypto_sign_verify_detached(sig, m, len, pk);
}

/* Run j's operation into j; publish it done. */
static void
job_compute(const struct fs_crypto *c, struct fs_crypto_job *j)
{
    uint64_t t0 = tick(c);
    if (j->op == OP_KEYGEN) {
        unsigned char seed[32], pk[32];
        memcpy(seed, j->sk, sizeof(seed));
        op_keygen(c->kind, pk, j->sk, seed);
        sodium_memzero(seed, sizeof(seed));
        j->keygen_ns = tick(c) - t0;
    } else if (j->op == OP_VERIFY) {
        j->verify_rc = op_verify(c->kind, j->sig, j->msg, j->len, j->sk + 32);
        j->verify_ns = tick(c) - t0;
    } else {
        op_sign(c->kind, j->sig, j->msg, j->len, j->sk);
        uint64_t t1 = tick(c);
        j->sign_ns = t1 - t0;
        if (j->op == OP_SIGN_CHECK) {
            j->verify_rc =
                op_verify(c->kind, j->sig, j->msg, j->len, j->sk + 32);
            j->verify_ns = tick(c) - t1;
        }
    }
    atomic_store_explicit(&j->state, JOB_DONE, memory_order_release);
}

/* Take j from the queued state; false when another thread has it. */
static bool
job_claim(struct fs_crypto_job *j)
{
    int expect = JOB_QUEUED;
    return atomic_compare_exchange_strong_explicit(
        &j->state, &expect, JOB_RUNNING, memory_order_acquire,
        memory_order_relaxed);
}

/* Pop the oldest job of q, or NULL (mu held). */
static struct fs_crypto_job *
ring_take(struct job_ring *q)
{
    if (q->len == 0)
        return NULL;
    struct fs_crypto_job *j = q->jobs[q->head];
    q->head = (q->head + 1) & (q->cap - 1);
    q->len--;
    return j;
}

/* The next job to run: the oldest one due soon, else the oldest due later
   (mu held); NULL when none is queued. */
static struct fs_crypto_job *
ring_pop(struct fs_crypto *c)
{
    struct fs_crypto_job *j = ring_take(&c->rq[RQ_SOON]);
    return j != NULL ? j : ring_take(&c->rq[RQ_LATER]);
}

/* Append j to q, growing it when full; returns q's length (mu held). */
static size_t
ring_put(struct job_ring *q, struct fs_crypto_job *j)
{
    if (q->len == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 1024;
        struct fs_crypto_job **jobs = fs_xcalloc(cap, sizeof(*jobs));
        for (size_t i = 0; i < q->len; i++)
            jobs[i] = q->jobs[(q->head + i) & (q->cap - 1)];
        fs_free(q->jobs);
        q->jobs = jobs;
        q->cap = cap;
        q->head = 0;
    }
    q->jobs[(q->head + q->len) & (q->cap - 1)] = j;
    return ++q->len;
}

/* A worker: run queued jobs until told to stop and the ring is empty. */
static void
worker_main(uv_work_t *req)
{
    struct crypto_worker *w = req->data;
    struct fs_crypto *c = w->c;
    for (;;) {
        uv_mutex_lock(&c->mu);
        while (c->rq[RQ_SOON].len == 0 && c->rq[RQ_LATER].len == 0 && !c->stop)
            uv_cond_wait(&c->cv, &c->mu);
        struct fs_crypto_job *j = ring_pop(c);
        uv_mutex_unlock(&c->mu);
        if (j == NULL)
            return; /* stopped and empty */
        if (job_claim(j)) {
            uint64_t t0 = tick(c);
            job_compute(c, j);
            atomic_fetch_add_explicit(&c->worker_ns, tick(c) - t0,
                                      memory_order_relaxed);
        }
    }
}

static void
worker_after(uv_work_t *req, int status)
{
    (void)req;
    (void)status;
}

/* ---- main thread ---------------------------------------------------- */

/* Run claimed job j here, on the main thread. */
static void
main_compute(struct fs_crypto *c, struct fs_crypto_job *j)
{
    uint64_t t0 = tick(c);
    job_compute(c, j);
    c->waste.main_crypto_ns += tick(c) - t0;
    c->waste.jobs++;
}

/* Run one queued job here; false when none is queued. */
static bool
run_one(struct fs_crypto *c)
{
    uv_mutex_lock(&c->mu);
    struct fs_crypto_job *j = ring_pop(c);
    uv_mutex_unlock(&c->mu);
    if (j == NULL)
        return false;
    if (job_claim(j))
        main_compute(c, j);
    return true;
}

/* Until a worker has published j, run queued jobs (help) or yield. */
static void
wait_done(struct fs_crypto *c, struct fs_crypto_job *j, bool help)
{
    while (atomic_load_explicit(&j->state, memory_order_acquire) != JOB_DONE)
        if (!help || !run_one(c)) {
            uint64_t t0 = tick(c);
            sched_yield();
            c->waste.spin_ns += tick(c) - t0;
        }
}

/* Wait until j is done, running it (or other queued jobs) meanwhile. */
static void
job_wait(struct fs_crypto *c, struct fs_crypto_job *j)
{
    if (atomic_load_explicit(&j->state, memory_order_acquire) == JOB_DONE)
        return;
    uint64_t t0 = tick(c);
    if (job_claim(j)) {
        main_compute(c, j);
    } else {
        c->waste.main_waits++;
        wait_done(c, j, true);
    }
    c->waste.wait_ns += tick(c) - t0;
}

static struct fs_crypto_job *
job_new(struct fs_crypto *c, enum job_op op)
{
    if (c->free == NULL) {
        if (c->nchunks == c->cap_chunks) {
            c->cap_chunks = c->cap_chunks ? c->cap_chunks * 2 : 16;
            c->chunks =
                fs_xrealloc(c->chunks, c->cap_chunks * sizeof(c->chunks[0]));
        }
        struct fs_crypto_job *chunk = fs_xcalloc(JOB_CHUNK, sizeof(*chunk));
        c->chunks[c->nchunks++] = chunk;
        for (size_t i = JOB_CHUNK; i-- > 0;) {
            chunk[i].next_free = c->free;
            c->free = &chunk[i];
        }
    }
    struct fs_crypto_job *j = c->free;
    c->free = j->next_free;
    j->op = (uint8_t)op;
    j->in_table = j->long_lived = false;
    j->on_msg = j->sign_taken = j->verify_taken = false;
    j->verify_rc = 0;
    j->keygen_ns = j->sign_ns = j->verify_ns = 0;
    j->out = NULL;
    j->hnext = j->older = j->newer = j->next_free = NULL;
    j->owner = c;
    j->started_us = fs_sim_now_us(c->sim);
    return j;
}

/* Return j to the free list once nothing refers to it. */
static void
job_release(struct fs_crypto *c, struct fs_crypto_job *j)
{
    if (j->in_table || j->on_msg)
        return;
    int expect = JOB_QUEUED;
    if (!atomic_compare_exchange_strong(&j->state, &expect, JOB_FREE)) {
        wait_done(c, j, false); /* a worker is on it */
        atomic_store_explicit(&j->state, JOB_FREE, memory_order_relaxed);
    }
    sodium_memzero(j->sk, sizeof(j->sk));
    j->next_free = c->free;
    c->free = j;
}

/*
 * Queue j for the workers, due soon or later; run the next one here while
 * too many due soon wait (work due later is bounded by TABLE_MAX instead).
 */
static void
job_submit(struct fs_crypto *c, struct fs_crypto_job *j, bool later)
{
    atomic_store_explicit(&j->state, JOB_QUEUED, memory_order_release);
    c->waste.started++;
    uv_mutex_lock(&c->mu);
    size_t len = ring_put(&c->rq[later ? RQ_LATER : RQ_SOON], j);
    uv_cond_signal(&c->cv);
    uv_mutex_unlock(&c->mu);
    for (; !later && len > QUEUE_MAX; len--)
        if (!run_one(c))
            break;
}

/* FNV-1a of msg then the public key pk. */
static uint64_t
inputs_hash(const unsigned char *msg, size_t len, const unsigned char pk[32])
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ msg[i]) * 1099511628211ull;
    for (size_t i = 0; i < 32; i++)
        h = (h ^ pk[i]) * 1099511628211ull;
    return h;
}

/* True when j makes a check (a verify() may take it). */
static bool
has_check(const struct fs_crypto_job *j)
{
    return j->op == OP_SIGN_CHECK || j->op == OP_VERIFY;
}

/* Append j to list a (main thread). */
static void
list_append(struct job_list *a, struct fs_crypto_job *j)
{
    j->older = a->newest;
    j->newer = NULL;
    if (a->newest != NULL)
        a->newest->newer = j;
    else
        a->oldest = j;
    a->newest = j;
    a->len++;
}

/* Take j out of list a (main thread). */
static void
list_unlink(struct job_list *a, struct fs_crypto_job *j)
{
    if (j->older != NULL)
        j->older->newer = j->newer;
    else
        a->oldest = j->newer;
    if (j->newer != NULL)
        j->newer->older = j->older;
    else
        a->newest = j->older;
    a->len--;
    j->older = j->newer = NULL;
}

static void
table_remove(struct fs_crypto *c, struct fs_crypto_job *j)
{
    if (!j->in_table)
        return;
    struct fs_crypto_job **p = &c->buckets[j->hash & (TABLE_BUCKETS - 1)];
    while (*p != j)
        p = &(*p)->hnext;
    *p = j->hnext;
    list_unlink(&c->age[j->long_lived ? AGE_LONG : AGE_SHORT], j);
    j->hnext = NULL;
    j->in_table = false;
    job_release(c, j);
}

/* Drop the oldest job of list a, which nobody took. */
static void
table_drop_oldest(struct fs_crypto *c, struct job_list *a)
{
    struct fs_crypto_job *j = a->oldest;
    c->waste.unused_sign += !j->sign_taken;
    c->waste.unused_verify += has_check(j) && !j->verify_taken;
    table_remove(c, j);
}

/* Drop started work nobody took: too old, or too much of it. */
static void
table_expire(struct fs_crypto *c)
{
    int64_t now = fs_sim_now_us(c->sim);
    struct job_list *s = &c->age[AGE_SHORT], *l = &c->age[AGE_LONG];
    while (s->oldest != NULL && now - s->oldest->started_us > TABLE_HORIZON_US)
        table_drop_oldest(c, s);
    while (l->oldest != NULL && (l->len > LONG_MAX_JOBS ||
                                 now - l->oldest->started_us > LONG_HORIZON_US))
        table_drop_oldest(c, l);
}

static void
table_insert(struct fs_crypto *c, struct fs_crypto_job *j)
{
    struct fs_crypto_job **b = &c->buckets[j->hash & (TABLE_BUCKETS - 1)];
    j->hnext = *b;
    *b = j;
    list_append(&c->age[j->long_lived ? AGE_LONG : AGE_SHORT], j);
    j->in_table = true;
    table_expire(c); /* after: a long list one too long drops its oldest */
}

/*
 * The started signature of msg by sk not yet used (want_sign), or the
 * started check of msg under pk not yet used; NULL when there is none.
 */
static struct fs_crypto_job *
table_find(struct fs_crypto *c, const unsigned char *msg, size_t len,
           const unsigned char *key, bool want_sign)
{
    const unsigned char *pk = want_sign ? key + 32 : key;
    uint64_t h = inputs_hash(msg, len, pk);
    for (struct fs_crypto_job *j = c->buckets[h & (TABLE_BUCKETS - 1)];
         j != NULL; j = j->hnext) {
        if (j->hash != h || j->len != len || memcmp(j->msg, msg, len) != 0)
            continue;
        if (want_sign ? (j->op != OP_VERIFY && !j->sign_taken &&
                         memcmp(j->sk, key, 64) == 0)
                      : (has_check(j) && !j->verify_taken &&
                         memcmp(j->sk + 32, pk, 32) == 0))
            return j;
    }
    return NULL;
}

/*
 * A new signing job of msg by sk, queued (due later or soon), in the table
 * when check_ahead.
 */
static struct fs_crypto_job *
sign_start(struct fs_crypto *c, const unsigned char *msg, size_t len,
           const unsigned char sk[64], bool check_ahead, bool later)
{
    struct fs_crypto_job *j = job_new(c, check_ahead ? OP_SIGN_CHECK : OP_SIGN);
    memcpy(j->sk, sk, 64);
    memcpy(j->msg, msg, len);
    j->len = (uint16_t)len;
    j->hash = inputs_hash(msg, len, sk + 32);
    if (check_ahead)
        table_insert(c, j);
    job_submit(c, j, later);
    return j;
}

/* ---- lifecycle ------------------------------------------------------ */

int
fs_crypto_create(fs_crypto_clock_fn *bench_ns, struct fs_crypto **out)
{
    if (out == NULL)
        return FS_EINVAL;
    struct fs_crypto *c = fs_xcalloc(1, sizeof(*c));
    c->bench_ns = bench_ns;
    *out = c;
    return 0;
}

int
fs_crypto_set_threads(struct fs_crypto *c, unsigned threads)
{
    if (c == NULL || threads == 0 || threads > FS_CRYPTO_THREADS_MAX ||
        c->nworkers != 0)
        return FS_EINVAL;
    if (threads == 1)
        return 0;
    if (uv_loop_init(&c->loop) != 0)
        return FS_EIO;
    uv_mutex_init(&c->mu);
    uv_cond_init(&c->cv);
    c->buckets = fs_xcalloc(TABLE_BUCKETS, sizeof(*c->buckets));
    c->nworkers = threads - 1;
    c->workers = fs_xcalloc(c->nworkers, sizeof(*c->workers));
    for (unsigned i = 0; i < c->nworkers; i++) {
        c->workers[i].c = c;
        c->workers[i].req.data = &c->workers[i];
        uv_queue_work(&c->loop, &c->workers[i].req, worker_main, worker_after);
    }
    return 0;
}

bool
fs_crypto_ahead(const struct fs_sim *sim)
{
    const struct fs_crypto *c = fs_sim_ctx(sim, FS_CTX_CRYPTO);
    return c != NULL && c->nworkers != 0;
}

unsigned
fs_crypto_threads(const struct fs_crypto *c)
{
    return c->nworkers + 1;
}

void
fs_crypto_destroy(struct fs_crypto *c)
{
    if (c == NULL)
        return;
    if (c->nworkers != 0) {
        /* key generations never taken (their keystore may be gone): wait
           for each and drop it, copying nothing out; the engine may be
           destroyed already, so nothing here goes through it */
        while (c->kg.oldest != NULL) {
            struct fs_crypto_job *j = c->kg.oldest;
            list_unlink(&c->kg, j);
            job_wait(c, j);
            job_release(c, j);
        }
        uv_mutex_lock(&c->mu);
        c->stop = true;
        uv_cond_broadcast(&c->cv);
        uv_mutex_unlock(&c->mu);
        uv_run(&c->loop, UV_RUN_DEFAULT); /* the workers' after callbacks */
        uv_loop_close(&c->loop);
        uv_cond_destroy(&c->cv);
        uv_mutex_destroy(&c->mu);
        for (size_t i = 0; i < c->nchunks; i++) {
            sodium_memzero(c->chunks[i],
                           JOB_CHUNK * sizeof(struct fs_crypto_job));
            fs_free(c->chunks[i]);
        }
        fs_free(c->chunks);
        fs_free(c->rq[RQ_SOON].jobs);
        fs_free(c->rq[RQ_LATER].jobs);
        fs_free(c->buckets);
        fs_free(c->workers);
    }
    fs_free(c);
}

void
fs_crypto_attach(struct fs_sim *sim, struct fs_crypto *c)
{
    if (c != NULL)
        c->sim = sim;
    fs_sim_set_ctx(sim, FS_CTX_CRYPTO, c);
}

struct fs_crypto *
fs_crypto_of(const struct fs_sim *sim)
{
    return fs_sim_ctx(sim, FS_CTX_CRYPTO);
}

const struct fs_crypto_stats *
fs_crypto_counts(const struct fs_crypto *c)
{
    return &c->st;
}

const struct fs_crypto_waste *
fs_crypto_waste(struct fs_crypto *c)
{
    c->waste.worker_ns =
        atomic_load_explicit(&c->worker_ns, memory_order_relaxed);
    return &c->waste;
}

void
fs_crypto_set_kind(struct fs_crypto *c, enum fs_crypto_kind kind)
{
    c->kind = kind;
}

enum fs_crypto_kind
fs_crypto_kind_of(const struct fs_sim *sim)
{
    const struct fs_crypto *c = fs_sim_ctx(sim, FS_CTX_CRYPTO);
    return c != NULL ? c->kind : FS_CRYPTO_REAL;
}

/* ---- operations ----------------------------------------------------- */

void
fs_crypto_keygen(struct fs_sim *sim, unsigned char pk[32], unsigned char sk[64],
                 const unsigned char seed[32])
{
    struct fs_crypto none = {0};
    struct fs_crypto *c = counters(sim, &none);
    uint64_t t0 = tick(c);
    op_keygen(c->kind, pk, sk, seed);
    uint64_t dt = tick(c) - t0;
    c->st.keygen_ns += dt;
    c->waste.main_crypto_ns += dt;
    c->st.keygen++;
}

/* Copy the oldest waiting key generation out. */
static void
keygen_take(struct fs_crypto *c)
{
    struct fs_crypto_job *j = c->kg.oldest;
    list_unlink(&c->kg, j);
    job_wait(c, j);
    memcpy(j->out, j->sk, 64);
    c->st.keygen_ns += j->keygen_ns;
    job_release(c, j);
}

void
fs_crypto_keygen_start(struct fs_sim *sim, unsigned char sk[64],
                       const unsigned char seed[32])
{
    struct fs_crypto *c = fs_sim_ctx(sim, FS_CTX_CRYPTO);
    if (c == NULL || c->nworkers == 0) {
        unsigned char pk[32];
        fs_crypto_keygen(sim, pk, sk, seed);
        return;
    }
    c->st.keygen++;
    struct fs_crypto_job *j = job_new(c, OP_KEYGEN);
    memcpy(j->sk, seed, 32);
    j->out = sk;
    list_append(&c->kg, j);
    job_submit(c, j, false);
    while (c->kg.len > KEYGEN_MAX)
        keygen_take(c);
}

void
fs_crypto_drain(struct fs_sim *sim)
{
    struct fs_crypto *c = fs_sim_ctx(sim, FS_CTX_CRYPTO);
    if (c == NULL)
        return;
    while (c->kg.oldest != NULL)
        keygen_take(c);
}

void
fs_crypto_sign(struct fs_sim *sim, unsigned char sig[64],
               const unsigned char *msg, size_t len, const unsigned char sk[64])
{
    struct fs_crypto none = {0};
    struct fs_crypto *c = counters(sim, &none);
    if (c->nworkers != 0 && len <= JOB_MSG_MAX) {
        struct fs_crypto_job *j = table_find(c, msg, len, sk, true);
        if (j != NULL) {
            job_wait(c, j);
            memcpy(sig, j->sig, 64);
            j->sign_taken = true;
            c->st.sign_ns += j->sign_ns;
            c->st.sign++;
            if (!has_check(j))
                table_remove(c, j); /* nothing more in it to take */
            return;
        }
    }
    uint64_t t0 = tick(c);
    op_sign(c->kind, sig, msg, len, sk);
    uint64_t dt = tick(c) - t0;
    c->st.sign_ns += dt;
    c->waste.main_crypto_ns += dt;
    c->st.sign++;
}

void
fs_crypto_sign_deferred(struct fs_sim *sim, unsigned char sig[64],
                        const unsigned char *msg, size_t len,
                        const unsigned char sk[64], bool check_ahead,
                        struct fs_crypto_job **pending)
{
    struct fs_crypto *c = fs_sim_ctx(sim, FS_CTX_CRYPTO);
    FS_ASSERT(pending != NULL && *pending == NULL);
    if (c == NULL || c->nworkers == 0 || len > JOB_MSG_MAX) {
        fs_crypto_sign(sim, sig, msg, len, sk);
        return;
    }
    struct fs_crypto_job *j = table_find(c, msg, len, sk, true);
    if (j == NULL)
        j = sign_start(c, msg, len, sk, check_ahead, false);
    j->sign_taken = true;
    j->on_msg = true;
    j->out = sig;
    c->st.sign++;
    *pending = j;
    if (!has_check(j))
        table_remove(c, j); /* nothing more in it to take; the message
                               holds it until settled */
}

void
fs_crypto_settle(struct fs_crypto_job **pending)
{
    struct fs_crypto_job *j = *pending;
    if (j == NULL)
        return;
    *pending = NULL;
    struct fs_crypto *c = j->owner;
    job_wait(c, j);
    memcpy(j->out, j->sig, 64);
    c->st.sign_ns += j->sign_ns;
    j->out = NULL;
    j->on_msg = false;
    job_release(c, j);
}

void
fs_crypto_prefetch_sign(struct fs_sim *sim, const unsigned char *msg,
                        size_t len, const unsigned char sk[64], bool check,
                        int64_t due_us)
{
    struct fs_crypto *c = fs_sim_ctx(sim, FS_CTX_CRYPTO);
    if (c == NULL || c->nworkers == 0 || len > JOB_MSG_MAX ||
        table_find(c, msg, len, sk, true) != NULL)
        return;
    table_expire(c);
    if (c->age[AGE_SHORT].len >= TABLE_MAX)
        return; /* enough started already: the oldest are needed first */
    struct fs_crypto_job *j = sign_start(
        c, msg, len, sk, check, due_us - fs_sim_now_us(sim) >= LATER_US);
    if (!check)
        table_insert(c, j); /* findable for its signature alone */
}

void
fs_crypto_prefetch_verify(struct fs_sim *sim, const unsigned char sig[64],
                          const unsigned char *msg, size_t len,
                          const unsigned char pk[32], int64_t due_us)
{
    struct fs_crypto *c = fs_sim_ctx(sim, FS_CTX_CRYPTO);
    if (c == NULL || c->nworkers == 0 || len > JOB_MSG_MAX ||
        table_find(c, msg, len, pk, false) != NULL)
        return;
    int64_t ahead_us = due_us - fs_sim_now_us(sim);
    bool long_lived = ahead_us >= TABLE_HORIZON_US;
    table_expire(c);
    if (!long_lived && c->age[AGE_SHORT].len >= TABLE_MAX)
        return; /* enough started already */
    struct fs_crypto_job *j = job_new(c, OP_VERIFY);
    memset(j->sk, 0, 32);
    memcpy(j->sk + 32, pk, 32);
    memcpy(j->sig, sig, 64);
    memcpy(j->msg, msg, len);
    j->len = (uint16_t)len;
    j->hash = inputs_hash(msg, len, pk);
    j->sign_taken = true; /* it has no signature to give */
    j->long_lived = long_lived;
    table_insert(c, j);
    job_submit(c, j, ahead_us >= LATER_US);
}

int
fs_crypto_verify(struct fs_sim *sim, const unsigned char sig[64],
                 const unsigned char *msg, size_t len,
                 const unsigned char pk[32])
{
    struct fs_crypto none = {0};
    struct fs_crypto *c = counters(sim, &none);
    if (c->nworkers != 0 && len <= JOB_MSG_MAX) {
        struct fs_crypto_job *j = table_find(c, msg, len, pk, false);
        if (j != NULL) {
            job_wait(c, j);
            if (memcmp(j->sig, sig, 64) == 0) {
                int rc = j->verify_rc;
                j->verify_taken = true;
                c->st.verify_ns += j->verify_ns;
                c->st.verify++;
                table_remove(c, j);
                return rc == 0 ? 0 : FS_EBADSIG;
            }
        }
    }
    uint64_t t0 = tick(c);
    int rc = op_verify(c->kind, sig, msg, len, pk);
    uint64_t dt = tick(c) - t0;
    c->st.verify_ns += dt;
    c->waste.main_crypto_ns += dt;
    c->st.verify++;
    return rc == 0 ? 0 : FS_EBADSIG;
}
