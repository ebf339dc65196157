/*
 * sim/run/run.c - one run: scenario + engine + metrics + model + expectations.
 *
 * Owns: the order in which a run happens: timeline actions are scheduled
 * at load in (at, file order), expectation checks happen between events
 * (after everything at or before their time), the end-of-run checks happen
 * at the scenario's duration. Its outputs are written by db.c and outputs.c.
 * Invariants: results are in scenario order; an expectation is evaluated
 * exactly once; the run never passes the scenario's duration.
 * Does not: read the wall clock or draw progress (sim/cli/main.c does).
 * This file and sim/cli/main.c are the top of the stack: the only sim/ files
 * that may include device/ and service/ headers.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "fleetsim/attack.h"
#include "fleetsim/ctx.h"
#include "fleetsim/crypto.h"
#include "fleetsim/err.h"
#include "fleetsim/expect.h"
#include "fleetsim/fleet.h"
#include "fleetsim/image.h"
#include "fleetsim/msg.h"
#include "fleetsim/metrics.h"
#include "fleetsim/registry.h"
#include "fleetsim/rng.h"
#include "fleetsim/rollout.h"
#include "fleetsim/service.h"
#include "fleetsim/run.h"
#include "fleetsim/scn.h"
#include "fleetsim/sim.h"
#include "run_int.h"

/* Canonical record kinds written by the runner (device field = index). */
enum {
    REC_ACTION = 1, /* a timeline action fired; value = action kind */
    REC_EXPECT = 2, /* an expectation was checked; value = held */
    REC_END = 3     /* the run reached its end; value = events */
};

struct fs_run {
    const struct fs_scn *scn;          /* borrowed scenario */
    struct fs_sim *sim;                /* engine */
    struct fs_metrics *metrics;        /* registry */
    struct fs_run_opts opts;           /* options (trace path not owned) */
    uint64_t seed;                     /* seed in effect */
    struct fs_run_result *results;     /* one per expectation */
    size_t *order;                     /* expectation indexes by check time */
    size_t next_check;                 /* next index into order */
    bool done;                         /* duration reached, end checked */
    struct fs_catalog *catalog;        /* signed images, vendor keys */
    struct fs_crypto *crypto;          /* counts of signature operations */
    uint64_t evidence_in_flight;       /* device evidence not yet delivered */
    struct fs_msgpool pool;            /* messages in flight */
    struct fs_fleet_config *fleet_cfg; /* what the fleet is built from */
    struct fs_fleet *fleet;            /* the devices */
    struct fs_svc *svc;                /* the security service */
    uint32_t *deploy_of_action;        /* by action: deployment id, or -1 */
    struct fs_attack *attack;          /* attacker and fault injector */
    bool attack_finished;              /* undecided attempts counted */
    uint64_t msgs_lost;                /* answers to devices gone offline */
    int64_t sample_every_us;           /* spacing of metric samples */
    int64_t next_sample_us;            /* next sample, INT64_MAX when done */
    int64_t *sample_times;             /* time of each sample taken */
    size_t nsamples;                   /* samples taken */
    size_t cap_samples;                /* allocated */
    struct fs_run_sample *entries;     /* values of count series */
    size_t nentries;                   /* used */
    size_t cap_entries;                /* allocated */
    struct fs__run_events *events;     /* events rows for fleet.db */
};

/* Samples a run takes of its metrics, evenly spaced over its duration. */
#define RUN_SAMPLES 100
/* Most samples --sample may ask for. */
#define RUN_SAMPLES_MAX 100000

/* A message reaches the service. */
static void
deliver_to_svc(struct fs_sim *sim, void *arg)
{
    struct fs_run *r = fs_sim_ctx(sim, FS_CTX_RUN);
    struct fs_msg *m = arg;
    fs_crypto_settle(&m->crypto); /* its signature, made ahead */
    if (m->kind == FS_MSG_EVIDENCE && r->evidence_in_flight > 0)
        r->evidence_in_flight--;
    if (fs_attack_on_to_svc(r->attack, arg))
        return;
    fs_svc_receive(r->svc, arg);
}

/* A message reaches its device, unless the device lost its network. */
static void
deliver_to_device(struct fs_sim *sim, void *arg)
{
    struct fs_run *r = fs_sim_ctx(sim, FS_CTX_RUN);
    struct fs_msg *m = arg;
    fs_crypto_settle(&m->crypto);
    if (fs_attack_on_to_device(r->attack, m))
        return;
    if (!fs_fleet_is_online(r->fleet, m->device)) {
        r->msgs_lost++;
        fs_msgpool_put(&r->pool, m);
        return;
    }
    fs_fleet_receive(r->fleet, m);
}

static void
device_send(void *ctx, struct fs_msg *m, int64_t latency_us)
{
    struct fs_run *r = ctx;
    int err = fs_sim_schedule(r->sim, latency_us, deliver_to_svc, m, NULL);
    if (err != 0)
        fs_msgpool_put(&r->pool, m); /* past the end of simulated time */
    else if (m->kind == FS_MSG_EVIDENCE && r->evidence_in_flight++ == 0)
        /* the certificate it may earn, when no other evidence can reach
           the service first and take the serial that is predicted */
        fs_svc_prefetch_issue(r->svc, m->device,
                              fs_sim_now_us(r->sim) + latency_us);
}

/* The service's next nonce for device, for signature work ahead. */
static bool
next_nonce(void *ctx, uint32_t device, unsigned char nonce[16])
{
    struct fs_run *r = ctx;
    return fs_svc_next_nonce(r->svc, device, nonce);
}

/* A device's next telemetry will carry c: the cloud's check, ahead. */
static void
cert_ahead(void *ctx, uint32_t device, const struct fs_cert *c, int64_t due_us)
{
    struct fs_run *r = ctx;
    fs_svc_prefetch_cert(r->svc, device, c, due_us);
}

/* The attacker's injections travel the same path as genuine messages. */
static void
inject_to_svc(void *ctx, struct fs_msg *m, int64_t delay_us)
{
    struct fs_run *r = ctx;
    int64_t latency_us = fs_fleet_latency_us(r->fleet, m->device) + delay_us;
    if (fs_sim_schedule(r->sim, latency_us, deliver_to_svc, m, NULL) != 0)
        fs_msgpool_put(&r->pool, m);
}

static void
service_send(void *ctx, struct fs_msg *m, int64_t delay_us)
{
    struct fs_run *r = ctx;
    int64_t latency_us = fs_fleet_latency_us(r->fleet, m->device) + delay_us;
    int err = fs_sim_schedule(r->sim, latency_us, deliver_to_device, m, NULL);
    if (err != 0)
        fs_msgpool_put(&r->pool, m);
    else
        fs_fleet_prefetch(r->fleet, m); /* the answer's signature, ahead */
}

/* Register every image's version as an alias of its id, for os="24.01". */
static void
setup_aliases(struct fs_run *r)
{
    for (uint32_t i = 0; i < r->scn->nimages; i++)
        fs_metrics_alias(r->metrics, r->scn->images[i].id,
                         r->scn->images[i].version);
}

/*
 * Factory metadata: every device leaves the factory holding the service's
 * record of each of its factory images, signed at time 0 (the catalog
 * records, expiring after manifest_lifetime); the service serves the same
 * records until it re-signs them.
 */
static int
sign_factory_metadata(struct fs_run *r)
{
    const struct fs_scn *scn = r->scn;
    for (uint32_t c = 0; c < scn->ncohorts; c++) {
        const struct fs_scn_cohort *co = &scn->cohorts[c];
        uint32_t p = co->product->index, g = co->group->index;
        struct fs_update_record rec;
        int err = fs_svc_catalog_record(r->svc, co->os->index, p, g, &rec);
        if (co->app != NULL && err == 0)
            err = fs_svc_catalog_record(r->svc, co->app->index, p, g, &rec);
        for (uint32_t k = 0; k < co->nrt_apps && err == 0; k++)
            err = fs_svc_catalog_record(r->svc, co->rt_apps[k]->index, p, g,
                                        &rec);
        if (err != 0 && err != FS_ELIMIT)
            return err;
    }
    return 0;
}

/* Build the model: catalog, service, fleet; register every device. */
static int
setup_model(struct fs_run *r, struct fs_diag *diag)
{
    const struct fs_scn *scn = r->scn;
    int err = fs_scn_catalog_create(scn, r->seed, r->opts.crypto, &r->catalog);
    if (err != 0)
        return fs_diag_set(diag, err, scn->file, 0, 0,
                           "cannot build the image catalog");
    fs_msgpool_init(&r->pool);
    struct fs_arena *arena = fs_sim_arena(r->sim);
    struct fs_svc_config sc;
    fs_run_svc_config(scn, arena, &sc);
    struct fs_svc_env se = {r->sim,   r->catalog,   r->metrics,
                            &r->pool, service_send, r};
    err = fs_svc_create(&se, &sc, &r->svc);
    if (err == 0) {
        r->deploy_of_action = fs_arena_alloc(
            arena, (scn->nactions + 1) * sizeof(*r->deploy_of_action));
        err = fs_run_svc_deploys(scn, r->svc, r->deploy_of_action);
    }
    if (err != 0)
        return fs_diag_set(diag, err, scn->file, 0, 0,
                           "cannot start the service: %s", fs_strerror(err));
    r->fleet_cfg = fs_scn_fleet_config_create(scn);
    struct fs_fleet_env fe = {.sim = r->sim,
                              .config = r->fleet_cfg,
                              .catalog = r->catalog,
                              .metrics = r->metrics,
                              .pool = &r->pool,
                              .send = device_send,
                              .ctx = r,
                              .next_nonce = next_nonce,
                              .end_us = scn->duration_us,
                              .cert_ahead = cert_ahead};
    err = fs_fleet_create(&fe, &r->fleet);
    if (err != 0)
        return fs_diag_set(diag, err, scn->file, 0, 0,
                           "cannot manufacture the fleet: %s",
                           fs_strerror(err));
    for (uint32_t c = 0; c < scn->ncohorts; c++) {
        const struct fs_scn_cohort *co = &scn->cohorts[c];
        for (uint64_t d = co->first_device; d < co->first_device + co->count;
             d++) {
            unsigned char pk[FS_KEY_PUB_BYTES];
            fs_fleet_public_key(r->fleet, (uint32_t)d, pk);
            err = fs_registry_add(r->svc, (uint32_t)d, pk, co->product->index,
                                  co->group->index);
            if (err != 0)
                return fs_diag_set(diag, err, scn->file, co->pos.line,
                                   co->pos.column, "cannot register: %s",
                                   fs_strerror(err));
        }
    }
    err = sign_factory_metadata(r);
    if (err != 0)
        return fs_diag_set(diag, err, scn->file, 0, 0,
                           "cannot sign factory metadata: %s",
                           fs_strerror(err));
    struct fs_attack_env ae = {
        r->sim,   scn,    r->catalog,    r->metrics,   &r->pool,
        r->fleet, r->svc, inject_to_svc, service_send, r};
    err = fs_attack_create(&ae, &r->attack);
    if (err != 0)
        return fs_diag_set(diag, err, scn->file, 0, 0,
                           "cannot set up the attacker: %s", fs_strerror(err));
    return fs_fleet_start(r->fleet);
}

static void
teardown_model(struct fs_run *r)
{
    fs_attack_destroy(r->attack);
    fs_fleet_destroy(r->fleet);
    fs_scn_fleet_config_destroy(r->fleet_cfg);
    fs_svc_destroy(r->svc);
    fs_msgpool_fini(&r->pool);
    fs_catalog_destroy(r->catalog);
}

static int
cmp_check_time(const void *a, const void *b, void *ctx)
{
    const struct fs_run *r = ctx;
    size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
    int64_t ta = r->results[ia].at_us, tb = r->results[ib].at_us;
    if (ta < 0)
        ta = INT64_MAX;
    if (tb < 0)
        tb = INT64_MAX;
    if (ta != tb)
        return ta < tb ? -1 : 1;
    return ia < ib ? -1 : ia > ib;
}

struct action_ctx {
    struct fs_run *run;                 /* the run */
    const struct fs_scn_action *action; /* the action */
};

/*
 * revoke_device: the service revokes the devices the action's targets
 * name, drawn from the seed (stream FS_RNG_SCENARIO of id UINT32_MAX -
 * the action's file index), in id order.
 */
static void
revoke_devices(struct fs_run *r, const struct fs_scn_action *a)
{
    struct fs_rng rng;
    fs_rng_seed(&rng, fs_sim_seed(r->sim), UINT32_MAX - a->file_index,
                FS_RNG_SCENARIO);
    uint32_t *ids;
    uint32_t n = fs_scn_targets_pick(r->scn, &a->u.revoke, &rng, &ids);
    for (uint32_t i = 0; i < n; i++)
        (void)fs_registry_revoke_device(r->svc, ids[i]);
    fs_free(ids);
}

static void
fire_action(struct fs_sim *sim, void *arg)
{
    struct action_ctx *ac = arg;
    struct fs_run *r = ac->run;
    const struct fs_scn_action *a = ac->action;
    uint32_t deploy = r->deploy_of_action[a - r->scn->actions];
    fs_sim_record(sim, REC_ACTION, a->file_index, (int64_t)a->kind);
    switch (a->kind) {
    case FS_ACT_DEPLOY:
        fs_rollout_start(r->svc, deploy);
        break;
    case FS_ACT_RESUME:
        fs_rollout_resume(r->svc, deploy);
        break;
    case FS_ACT_CANCEL:
        fs_rollout_cancel(r->svc, deploy);
        break;
    case FS_ACT_ATTACK:
    case FS_ACT_FAULT:
        fs_attack_fire(r->attack, a);
        break;
    case FS_ACT_REVOKE_KEY:
        fs_registry_revoke_signer(r->svc, a->u.key);
        break;
    case FS_ACT_REVOKE_DEVICE:
        revoke_devices(r, a);
        break;
    case FS_ACT_SET_SERVICE:
        fs_svc_set_service(r->svc, &a->u.service);
        fs_fleet_set_service(r->fleet, &a->u.service);
        break;
    default:
        break;
    }
}

static int
schedule_timeline(struct fs_run *r, struct fs_diag *diag)
{
    const struct fs_scn *scn = r->scn;
    struct fs_arena *arena = fs_sim_arena(r->sim);
    for (uint32_t i = 0; i < scn->nactions; i++) {
        const struct fs_scn_action *a = &scn->actions[i];
        struct action_ctx *ac = fs_arena_alloc(arena, sizeof(*ac));
        ac->run = r;
        ac->action = a;
        int err = fs_sim_schedule_at(r->sim, a->at_us, fire_action, ac, NULL);
        if (err != 0)
            return fs_diag_set(diag, err, a->pos.file, a->pos.line,
                               a->pos.column, "cannot schedule action: %s",
                               fs_strerror(err));
    }
    return 0;
}

static void
setup_results(struct fs_run *r)
{
    const struct fs_scn *scn = r->scn;
    size_t n = scn->nexpects;
    r->results = fs_xcalloc(n ? n : 1, sizeof(*r->results));
    r->order = fs_xcalloc(n ? n : 1, sizeof(*r->order));
    for (size_t i = 0; i < n; i++) {
        r->results[i].text = scn->expects[i].expr.text;
        r->results[i].at_us = scn->expects[i].at_us;
        r->results[i].line = scn->expects[i].pos.line;
        r->order[i] = i;
    }
    if (n > 1)
        qsort_r(r->order, n, sizeof(*r->order), cmp_check_time, r);
}

int
fs_run_create(const struct fs_scn *scn, const struct fs_run_opts *opts,
              struct fs_run **out, struct fs_diag *diag)
{
    if (opts->sample_every_us > 0 &&
        scn->duration_us / opts->sample_every_us > RUN_SAMPLES_MAX) {
        fs_diag_set(diag, FS_ELIMIT, scn->file, 0, 0,
                    "--sample: more than %d samples over the duration; "
                    "choose a longer interval",
                    RUN_SAMPLES_MAX);
        return FS_ELIMIT;
    }
    struct fs_run *r = fs_xcalloc(1, sizeof(*r));
    r->scn = scn;
    r->opts = *opts;
    r->seed = opts->seed_set ? opts->seed : scn->seed;
    size_t hint = scn->ndevices * 4 + 1024;
    int err = fs_sim_create(r->seed, hint, &r->sim);
    if (err != 0) {
        fs_diag_set(diag, err, scn->file, 0, 0, "cannot start the engine");
        goto out_free_run;
    }
    fs_metrics_create(&r->metrics);
    fs_sim_set_ctx(r->sim, FS_CTX_RUN, r);
    fs_crypto_create(opts->crypto_clock, &r->crypto);
    fs_crypto_set_kind(r->crypto, opts->crypto);
    fs_crypto_attach(r->sim, r->crypto);
    err = fs_crypto_set_threads(r->crypto, fs_run_default_threads(opts));
    if (err != 0) {
        fs_diag_set(diag, err, scn->file, 0, 0,
                    "cannot start %u crypto threads", opts->threads);
        goto out_destroy_sim;
    }
    setup_aliases(r);
    if (opts->trace_path != NULL) {
        size_t hlen;
        char *hdr = fs__run_trace_header(scn, r->seed, opts->seed_set,
                                         opts->crypto, &hlen);
        err = fs_sim_trace_open(r->sim, opts->trace_path, hdr, hlen);
        fs_free(hdr);
        if (err != 0) {
            fs_diag_set(diag, err, opts->trace_path, 0, 0,
                        "cannot open the trace: %s", strerror(errno));
            goto out_destroy_sim;
        }
    }
    setup_results(r);
    r->sample_every_us = opts->sample_every_us > 0
                             ? opts->sample_every_us
                             : scn->duration_us / RUN_SAMPLES;
    if (r->sample_every_us < 1)
        r->sample_every_us = 1;
    err = setup_model(r, diag);
    if (err != 0)
        goto out_teardown_model;
    r->events = fs__run_events_create(scn, r->svc);
    fs_sim_set_record_hook(r->sim, fs__run_events_record, r->events);
    err = schedule_timeline(r, diag);
    if (err != 0)
        goto out_teardown_model;
    *out = r;
    return 0;

out_teardown_model:
    teardown_model(r);
    fs_free(r->sample_times);
    fs_free(r->entries);
    fs_free(r->order);
    fs_free(r->results);
out_destroy_sim:
    fs_metrics_destroy(r->metrics);
    fs_sim_destroy(r->sim);
    fs_crypto_destroy(r->crypto);
    if (opts->trace_path != NULL)
        remove(opts->trace_path); /* no half-written trace is left */
out_free_run:
    fs_free(r);
    return err;
}

void
fs_run_destroy(struct fs_run *r)
{
    if (r == NULL)
        return;
    teardown_model(r);
    fs_free(r->sample_times);
    fs_free(r->entries);
    fs_free(r->order);
    fs_free(r->results);
    fs__run_events_destroy(r->events);
    fs_metrics_destroy(r->metrics);
    fs_sim_destroy(r->sim);
    fs_crypto_destroy(r->crypto);
    fs_free(r);
}

/* Record the value of every count series now. */
static void
sample_take(struct fs_run *r)
{
    if (r->nsamples == r->cap_samples) {
        r->cap_samples = r->cap_samples ? r->cap_samples * 2 : 64;
        r->sample_times =
            fs_xrealloc(r->sample_times, r->cap_samples * sizeof(int64_t));
    }
    uint32_t idx = (uint32_t)r->nsamples;
    r->sample_times[r->nsamples++] = fs_sim_now_us(r->sim);
    size_t n = fs_metrics_count(r->metrics);
    for (size_t i = 0; i < n; i++) {
        enum fs_metric f;
        const char *const *values;
        int64_t count;
        fs_metrics_series_info(r->metrics, (uint32_t)i, &f, &values, &count);
        if (fs_metric_kind(f) != FS_MK_COUNT)
            continue;
        if (r->nentries == r->cap_entries) {
            r->cap_entries = r->cap_entries ? r->cap_entries * 2 : 1024;
            r->entries =
                fs_xrealloc(r->entries, r->cap_entries * sizeof(*r->entries));
        }
        r->entries[r->nentries++] =
            (struct fs_run_sample){idx, (uint32_t)i, count};
    }
}

/* After sampling at `at`, the next sample time (INT64_MAX after the end). */
static void
sample_advance(struct fs_run *r)
{
    int64_t end = r->scn->duration_us;
    if (r->next_sample_us >= end)
        r->next_sample_us = INT64_MAX;
    else if (r->next_sample_us > end - r->sample_every_us)
        r->next_sample_us = end;
    else
        r->next_sample_us += r->sample_every_us;
}

void
fs_run_samples(const struct fs_run *r, const int64_t **out_times,
               size_t *out_ntimes, const struct fs_run_sample **out,
               size_t *out_count)
{
    *out_times = r->sample_times;
    *out_ntimes = r->nsamples;
    *out = r->entries;
    *out_count = r->nentries;
}

static void
check_one(struct fs_run *r, size_t i)
{
    struct fs_run_result *res = &r->results[i];
    const struct fs_scn_expect *ex = &r->scn->expects[i];
    res->held =
        fs_expect_eval(&ex->expr, r->metrics, res->seen, sizeof(res->seen));
    res->checked = true;
    fs_sim_record(r->sim, REC_EXPECT, (uint32_t)i, res->held);
}

/* Time of the next pending check, or the duration for end-of-run ones. */
static int64_t
next_check_us(const struct fs_run *r)
{
    if (r->next_check >= r->scn->nexpects)
        return r->scn->duration_us;
    int64_t t = r->results[r->order[r->next_check]].at_us;
    return t < 0 || t > r->scn->duration_us ? r->scn->duration_us : t;
}

int
fs_run_step(struct fs_run *r, uint64_t max_events, bool *out_done)
{
    uint64_t budget = max_events;
    while (!r->done && budget > 0) {
        int64_t until = next_check_us(r);
        if (r->next_sample_us < until)
            until = r->next_sample_us;
        uint64_t ran = 0;
        int err = fs_sim_run(r->sim, until, budget, &ran);
        budget -= ran;
        if (r->opts.check) {
            FS_ASSERT(fs_sim_check(r->sim));
            FS_ASSERT(fs_metrics_check(r->metrics));
            FS_ASSERT(fs_catalog_check(r->catalog));
            FS_ASSERT(fs_fleet_check(r->fleet));
            FS_ASSERT(fs_svc_check(r->svc));
            FS_ASSERT(fs_attack_check(r->attack));
        }
        if (err != 0) {
            *out_done = false;
            return err;
        }
        /* Budget spent before every event at or before `until` ran: the
           checks must wait, or they would see half of time `until`. */
        if (fs_sim_now_us(r->sim) < until || fs_sim_next_us(r->sim) <= until)
            break;
        if (until == r->scn->duration_us && !r->attack_finished) {
            fs_attack_finish(r->attack); /* before the end's checks */
            r->attack_finished = true;
        }
        if (r->next_sample_us <= until) {
            sample_take(r);
            sample_advance(r);
        }
        while (r->next_check < r->scn->nexpects && next_check_us(r) <= until) {
            check_one(r, r->order[r->next_check]);
            r->next_check++;
        }
        if (until == r->scn->duration_us && r->next_check >= r->scn->nexpects &&
            r->next_sample_us == INT64_MAX) {
            fs_sim_record(r->sim, REC_END, 0, (int64_t)fs_sim_events(r->sim));
            r->done = true;
        }
    }
    *out_done = r->done;
    return 0;
}

void
fs_run_stop(struct fs_run *r)
{
    fs_sim_stop(r->sim);
}

bool
fs_run_is_stopped(const struct fs_run *r)
{
    return fs_sim_is_stopped(r->sim);
}

int64_t
fs_run_duration_us(const struct fs_run *r)
{
    return r->scn->duration_us;
}

int64_t
fs_run_now_us(const struct fs_run *r)
{
    return fs_sim_now_us(r->sim);
}

uint64_t
fs_run_events(const struct fs_run *r)
{
    return fs_sim_events(r->sim);
}

unsigned
fs_run_default_threads(const struct fs_run_opts *opts)
{
    if (opts->threads != 0)
        return opts->threads;
    if (opts->crypto == FS_CRYPTO_MODEL)
        return 1; /* the stand-in costs less than handing it to a worker */
    unsigned n = uv_available_parallelism();
    return n < 1 ? 1 : n > FS_CRYPTO_THREADS_MAX ? FS_CRYPTO_THREADS_MAX : n;
}

unsigned
fs_run_threads(const struct fs_run *r)
{
    return fs_crypto_threads(r->crypto);
}

enum fs_crypto_kind
fs_run_crypto(const struct fs_run *r)
{
    return r->opts.crypto;
}

uint64_t
fs_run_seed(const struct fs_run *r)
{
    return r->seed;
}

uint64_t
fs_run_devices(const struct fs_run *r)
{
    return r->scn->ndevices;
}

struct fs_sim *
fs_run_sim(struct fs_run *r)
{
    return r->sim;
}

const struct fs_metrics *
fs_run_metrics(const struct fs_run *r)
{
    return r->metrics;
}

struct fs_svc *
fs_run_svc(struct fs_run *r)
{
    return r->svc;
}

struct fs_fleet *
fs_run_fleet(struct fs_run *r)
{
    return r->fleet;
}

struct fs_msgpool *
fs_run_msgpool(struct fs_run *r)
{
    return &r->pool;
}

struct fs_catalog *
fs_run_catalog(struct fs_run *r)
{
    return r->catalog;
}

const struct fs_scn *
fs_run_scn(const struct fs_run *r)
{
    return r->scn;
}

const struct fs_run_result *
fs_run_results(const struct fs_run *r, size_t *out_count)
{
    *out_count = r->scn->nexpects;
    return r->results;
}

/* Attack attempts counted undecided at the end (0 before it). */
uint64_t
fs_run_undecided(const struct fs_run *r)
{
    uint64_t n = 0;
    for (unsigned k = 0; k < FS_ATK_COUNT; k++) {
        struct fs_attack_totals t;
        fs_attack_totals(r->attack, k, &t);
        n += t.undecided;
    }
    return n;
}

/* Does an expectation name attacks{outcome="undecided"}? */
bool
fs_run_names_undecided(const struct fs_run *r)
{
    for (size_t i = 0; i < r->scn->nexpects; i++) {
        const struct fs_expr *e = &r->scn->expects[i].expr;
        if (e->metric != FS_M_ATTACKS)
            continue;
        for (size_t j = 0; j < e->nsel; j++)
            if (strcmp(e->sel[j].value, "undecided") == 0)
                return true;
    }
    return false;
}

size_t
fs_run_failures(const struct fs_run *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->scn->nexpects; i++)
        n += r->results[i].checked && !r->results[i].held;
    return n;
}

void
fs_run_fingerprint(struct fs_run *r, char hex[65])
{
    fs_sim_fingerprint(r->sim, hex);
}

bool
fs_run_is_done(const struct fs_run *r)
{
    return r->done;
}

const char *
fs__run_trace_path(const struct fs_run *r)
{
    return r->opts.trace_path;
}

const struct fs__run_events *
fs__run_events_of(const struct fs_run *r)
{
    return r->events;
}
