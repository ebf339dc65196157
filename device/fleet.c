/*
 * device/fleet.c - the fleet: manufacture, power-on, accessors, state.
 *
 * Owns: the device array (one struct fs_dev per device id), the per-cohort
 * shared data, each device's state and its devices{} series membership.
 * Invariants: every device is counted in exactly one devices{} series
 * (dev->series), moved with -1/+1 on every change of cohort, running
 * images, state, link or compromise; dev->state is never FS_DEV_OFFLINE.
 * Does not: allocate after fs_fleet_create except for a new series-cache
 * size or flip-table entry; read any clock; include service headers.
 */
#include <string.h>

#include "fleetsim/crypto.h"
#include "fleetsim/ctx.h"
#include "fleetsim/err.h"
#include "fleetsim/fleet.h"
#include "fleetsim/keystore.h"
#include "fleetsim/mem.h"
#include "fleetsim/metrics.h"
#include "fleetsim/rng.h"
#include "fleetsim/sim.h"

#include "device_int.h"

static const enum fs_rng_stream stream_of[DS_COUNT] = {
    [DS_FAULTS] = FS_RNG_FAULTS,
    [DS_NET] = FS_RNG_NET,
    [DS_ROLLOUT] = FS_RNG_ROLLOUT,
    [DS_BOOT] = FS_RNG_BOOT};

/* The fleet registered in the engine that runs our handlers. */
struct fs_fleet *
fs__fleet_of(struct fs_sim *sim)
{
    struct fs_fleet *f = fs_sim_ctx(sim, FS_CTX_FLEET);
    FS_ASSERT(f != NULL);
    return f;
}

/* Event payload for device id. */
void *
fs__fleet_arg(uint32_t id)
{
    return (void *)(uintptr_t)id;
}

/* Device id of an event payload. */
uint32_t
fs__fleet_id_of(void *arg)
{
    return (uint32_t)(uintptr_t)arg;
}

/* Load stream s of device id, positioned after the draws already made. */
void
fs__fleet_rng(const struct fs_fleet *f, uint32_t id, enum dev_stream s,
              struct fs_rng *r)
{
    fs_rng_seed(r, f->seed, id, stream_of[s]);
    r->counter = f->devs[id].rng_ctr[s];
}

/* Store the position of stream s of device id after drawing from r. */
void
fs__fleet_rng_save(struct fs_fleet *f, uint32_t id, enum dev_stream s,
                   const struct fs_rng *r)
{
    FS_ASSERT(r->counter <= UINT32_MAX);
    f->devs[id].rng_ctr[s] = (uint32_t)r->counter;
}

/* Current simulated time. */
int64_t
fs__fleet_now(const struct fs_fleet *f)
{
    return fs_sim_now_us(f->env.sim);
}

/* Append a canonical record. */
void
fs__fleet_record(struct fs_fleet *f, uint16_t kind, uint32_t id, int64_t v)
{
    fs_sim_record(f->env.sim, kind, id, v);
}

/* (Re)arm timer *t of device id to fire fn after delay_us. */
void
fs__fleet_timer(struct fs_fleet *f, uint64_t *t, int64_t delay_us,
                fs_event_fn *fn, uint32_t id)
{
    fs__fleet_cancel(f, t);
    int err = fs_sim_schedule(f->env.sim, delay_us, fn, fs__fleet_arg(id), t);
    if (err != 0)
        *t = 0; /* past the engine's horizon: never fires */
}

/* Cancel timer *t if pending. */
void
fs__fleet_cancel(struct fs_fleet *f, uint64_t *t)
{
    if (*t != 0)
        fs_sim_cancel(f->env.sim, *t);
    *t = 0;
}

/* The configuration of catalog image img. */
const struct fs_image_config *
fs__fleet_image(const struct fs_fleet *f, uint32_t img)
{
    FS_ASSERT(img < f->cfg->nimages);
    return &f->cfg->images[img];
}

/* True when defence d is on in the fleet's configuration. */
bool
fs__fleet_defense_on(const struct fs_fleet *f, enum fs_defense d)
{
    return fs_defense_on(f->cfg->defenses, d);
}

static bool
dev_has_code(const struct fs_dev *d)
{
    return d->state != FS_DEV_RECOVERY;
}

/* Running OS image of d, or FS_NO_IMAGE in recovery. */
uint32_t
fs__fleet_running_os(const struct fs_fleet *f, const struct fs_dev *d)
{
    (void)f;
    if (!dev_has_code(d))
        return FS_NO_IMAGE;
    return fs__fleet_img32(d->slot_os[d->active & 1u]);
}

/* Running app of d on core, or FS_NO_IMAGE. */
uint32_t
fs__fleet_running_app(const struct fs_fleet *f, const struct fs_dev *d,
                      unsigned core)
{
    (void)f;
    FS_ASSERT(core < FS_APPS_MAX);
    if (!dev_has_code(d))
        return FS_NO_IMAGE;
    return fs__fleet_img32(d->slot_app[core][(d->active >> (core + 1)) & 1u]);
}

/* Set the state of device id, record it and move its series. */
void
fs__fleet_set_state(struct fs_fleet *f, uint32_t id, enum fs_dev_state s)
{
    FS_ASSERT(s != FS_DEV_OFFLINE);
    struct fs_dev *d = &f->devs[id];
    if (d->state != s) {
        d->state = (uint8_t)s;
        fs__fleet_record(f, FS_REC_DEV_STATE, id, s);
    }
    fs__series_update(f, id);
}

static void
dev_cohorts_init(struct fs_fleet *f)
{
    const struct fs_fleet_config *cfg = f->cfg;
    f->ncohorts = cfg->ncohorts;
    f->cohorts =
        fs_xcalloc(cfg->ncohorts ? cfg->ncohorts : 1, sizeof(*f->cohorts));
    for (uint32_t c = 0; c < cfg->ncohorts; c++) {
        struct dev_cohort *dc = &f->cohorts[c];
        dc->cc = &cfg->cohorts[c];
        double a = dc->cc->availability_ppm / 1e6;
        dc->off_mean_us = DEV_OFFLINE_MEAN_US;
        dc->on_mean_us = a < 1.0 ? DEV_OFFLINE_MEAN_US * a / (1.0 - a) : 0;
    }
}

/* Place app image img on the core its manifest names. */
static void
dev_place_app(const struct fs_fleet *f, struct fs_dev *d, uint32_t img)
{
    unsigned core = (unsigned)fs__fleet_image(f, img)->caps.core;
    FS_ASSERT(core < FS_APPS_MAX);
    d->slot_app[core][0] = fs__fleet_img16(img);
}

/*
 * Give slot B a copy of every factory image in slot A when both copies fit
 * the product's flash, so that a device whose slot A is damaged (a
 * malicious flash, rotten bits) falls back to a good image as the boot
 * chain intends; otherwise slot B stays empty.
 */
static void
dev_copy_to_b(const struct fs_fleet *f, struct fs_dev *d,
              const struct fs_cohort_config *cc)
{
    uint64_t total = 0;
    uint32_t imgs[1 + FS_APPS_MAX];
    unsigned n = 0;
    imgs[n++] = fs__fleet_img32(d->slot_os[0]);
    for (unsigned c = 0; c < FS_APPS_MAX; c++)
        if (fs__fleet_img32(d->slot_app[c][0]) != FS_NO_IMAGE)
            imgs[n++] = fs__fleet_img32(d->slot_app[c][0]);
    for (unsigned i = 0; i < n; i++)
        total +=
            2 * fs_catalog_manifest(f->env.catalog, imgs[i])->m.length_bytes;
    uint64_t room = cc->flash_bytes > cc->reserved_bytes
                        ? cc->flash_bytes - cc->reserved_bytes
                        : 0;
    if (total > room)
        return;
    d->slot_os[1] = d->slot_os[0];
    for (unsigned c = 0; c < FS_APPS_MAX; c++)
        d->slot_app[c][1] = d->slot_app[c][0];
}

/* The security version catalog image img is signed with. */
static uint32_t
security_version(const struct fs_fleet *f, uint32_t img)
{
    return fs_catalog_manifest(f->env.catalog, img)->m.security_version;
}

static void
dev_manufacture(struct fs_fleet *f, uint32_t id, uint32_t cohort)
{
    struct fs_dev *d = &f->devs[id];
    const struct fs_cohort_config *cc = &f->cfg->cohorts[cohort];
    FS_ASSERT(cohort < UINT16_MAX);
    d->cohort = (uint16_t)cohort;
    d->series = UINT32_MAX;
    d->wear_onset_us = -1;
    d->wear_part = FS_PART_NONE;
    d->state = FS_DEV_REBOOTING;
    d->online = 1;
    for (unsigned i = 0; i < DEV_REJ_MAX; i++)
        d->rej_dep[i] = UINT32_MAX;
    for (unsigned ab = 0; ab < 2; ab++) {
        d->slot_os[ab] = fs__fleet_img16(FS_NO_IMAGE);
        for (unsigned c = 0; c < FS_APPS_MAX; c++)
            d->slot_app[c][ab] = fs__fleet_img16(FS_NO_IMAGE);
    }
    d->slot_os[0] = fs__fleet_img16(cc->os);
    for (uint32_t i = 0; i < cc->napps; i++)
        dev_place_app(f, d, cc->apps[i]);
    dev_copy_to_b(f, d, cc);
    uint32_t app_min = UINT32_MAX;
    for (unsigned c = 0; c < FS_APPS_MAX; c++) {
        uint32_t img = fs__fleet_img32(d->slot_app[c][0]);
        if (img == FS_NO_IMAGE)
            continue;
        uint32_t sv = security_version(f, img);
        if (sv < app_min)
            app_min = sv;
    }
    fs__repq_init(d);
    fs__keystore_manufacture(f->ks, id, f->seed, 1ull << FS_SIGNER_PLATFORM,
                             f->cohorts[cohort].trust_app,
                             security_version(f, cc->os),
                             app_min == UINT32_MAX ? 0 : app_min);
}

/*
 * Each cohort's app trust set: the catalog indexes of its app_signers
 * (names the catalog does not know trust nothing).
 */
static int
dev_trust_init(struct fs_fleet *f)
{
    for (uint32_t c = 0; c < f->ncohorts; c++) {
        const struct fs_name_list *l = &f->cohorts[c].cc->app_signers;
        uint64_t mask = 0;
        for (uint32_t s = 0; s < l->count; s++) {
            uint32_t k = fs_catalog_signer_find(f->env.catalog, l->items[s]);
            if (k == UINT32_MAX)
                continue;
            if (k >= 64)
                return FS_ELIMIT;
            mask |= 1ull << k;
        }
        f->cohorts[c].trust_app = mask;
    }
    return 0;
}

static void
dev_fw_series_init(struct fs_fleet *f)
{
    static const char *const kinds[3] = {"peripheral", "network", "keystore"};
    static const char *const results[2] = {"allowed", "blocked"};
    for (unsigned k = 0; k < 3; k++)
        for (unsigned r = 0; r < 2; r++) {
            const char *v[2] = {kinds[k], results[r]};
            f->fw_series[k][r] =
                fs_metrics_series(f->env.metrics, FS_M_FIREWALL, v);
        }
}

/* Total devices of configuration c. */
uint64_t
fs_fleet_config_devices(const struct fs_fleet_config *c)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < c->ncohorts; i++)
        n += c->cohorts[i].count;
    return n;
}

/* The cohort of device by binary search over first_device. */
const struct fs_cohort_config *
fs_fleet_config_cohort_of(const struct fs_fleet_config *c, uint64_t device)
{
    uint32_t lo = 0, hi = c->ncohorts;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const struct fs_cohort_config *cc = &c->cohorts[mid];
        if (device < cc->first_device)
            hi = mid;
        else if (device - cc->first_device >= cc->count)
            lo = mid + 1;
        else
            return cc;
    }
    return NULL;
}

/*
 * Manufacture the fleet of env->config. See fleet.h. The device array is
 * one allocation; key generation is the dominant cost (one Ed25519 key
 * pair per device).
 */
int
fs_fleet_create(const struct fs_fleet_env *env, struct fs_fleet **out)
{
    const struct fs_fleet_config *cfg = env->config;
    uint64_t n = fs_fleet_config_devices(cfg);
    if (n >= UINT32_MAX || cfg->nimages >= UINT16_MAX ||
        cfg->ncohorts >= UINT16_MAX)
        return FS_ELIMIT;
    struct fs_fleet *f = fs_xcalloc(1, sizeof(*f));
    f->env = *env;
    f->cfg = cfg;
    f->svc = cfg->service;
    f->seed = fs_sim_seed(env->sim);
    f->ndevs = (uint32_t)n;
    dev_cohorts_init(f);
    int err = dev_trust_init(f);
    if (err != 0)
        goto out_free_cohorts;
    dev_fw_series_init(f);
    fs__fw_init(f);
    f->ks =
        fs__keystore_create(env->sim, f->ndevs, f->fw_series[FS_FW_KEYSTORE][0],
                            f->fw_series[FS_FW_KEYSTORE][1], env->metrics);
    f->devs = fs_xcalloc(n ? n : 1, sizeof(*f->devs));
    for (uint32_t c = 0; c < cfg->ncohorts; c++) {
        const struct fs_cohort_config *cc = &cfg->cohorts[c];
        for (uint32_t i = 0; i < cc->count; i++)
            dev_manufacture(f, cc->first_device + i, c);
    }
    fs_crypto_drain(env->sim); /* every key is made before anyone reads it */
    fs__apps_wear_assign(f);
    fs__update_init(f);
    for (uint32_t id = 0; id < f->ndevs; id++)
        fs__series_update(f, id);
    fs_sim_set_ctx(env->sim, FS_CTX_FLEET, f);
    *out = f;
    return 0;

out_free_cohorts:
    fs_free(f->cohorts);
    fs_free(f);
    return err;
}

/* Free the fleet and its side tables. */
void
fs_fleet_destroy(struct fs_fleet *f)
{
    if (f == NULL)
        return;
    if (fs_sim_ctx(f->env.sim, FS_CTX_FLEET) == f)
        fs_sim_set_ctx(f->env.sim, FS_CTX_FLEET, NULL);
    fs__keystore_destroy(f->ks);
    fs__series_fini(f);
    fs__slots_fini(f);
    fs__update_fini(f);
    fs__fw_fini(f);
    fs_free(f->devs);
    fs_free(f->cohorts);
    fs_free(f);
}

/*
 * A set_service action: take the keys changes->given marks (bit 1u <<
 * FS_SVC_*) into the fleet's copy of the settings. Later timers use them
 * (a check-in, download timeout or probation already scheduled keeps its
 * time).
 */
void
fs_fleet_set_service(struct fs_fleet *f,
                     const struct fs_service_config *changes)
{
    fs_service_config_apply(&f->svc, changes);
}

/*
 * Power every device on: its first boot starts at a time drawn from its
 * FS_RNG_BOOT stream within the first minute; its link starts its outage
 * process. Returns 0.
 */
int
fs_fleet_start(struct fs_fleet *f)
{
    for (uint32_t id = 0; id < f->ndevs; id++) {
        struct fs_rng r;
        fs__fleet_rng(f, id, DS_BOOT, &r);
        int64_t at_us = (int64_t)fs_rng_below(&r, DEV_BOOT_SPREAD_US);
        fs__fleet_rng_save(f, id, DS_BOOT, &r);
        fs__fleet_timer(f, &f->devs[id].t_boot, at_us, fs__boot_power_on, id);
        fs__net_start(f, id);
    }
    return 0;
}

/* A service message for m->device arrives; m goes back to the pool. */
void
fs_fleet_receive(struct fs_fleet *f, struct fs_msg *m)
{
    if (m->device >= f->ndevs) {
        fs_msgpool_put(f->env.pool, m);
        return;
    }
    fs__net_receive(f, m);
}

/* Number of devices in the fleet. */
uint32_t
fs_fleet_count(const struct fs_fleet *f)
{
    return f->ndevs;
}

/* True when device's link is up. */
bool
fs_fleet_is_online(const struct fs_fleet *f, uint32_t device)
{
    FS_ASSERT(device < f->ndevs);
    return f->devs[device].online != 0;
}

/* One-way latency of device's cohort link. */
int64_t
fs_fleet_latency_us(const struct fs_fleet *f, uint32_t device)
{
    FS_ASSERT(device < f->ndevs);
    return f->cohorts[f->devs[device].cohort].cc->latency_us;
}

/* The configuration of device's cohort. */
const struct fs_cohort_config *
fs_fleet_cohort(const struct fs_fleet *f, uint32_t device)
{
    FS_ASSERT(device < f->ndevs);
    return f->cohorts[f->devs[device].cohort].cc;
}

/* The keystores of the fleet's devices. */
struct fs_keystore *
fs_fleet_keystore(struct fs_fleet *f)
{
    return f->ks;
}

/* The factory's record of device's public key, read through the keystore. */
void
fs_fleet_public_key(const struct fs_fleet *f, uint32_t device,
                    unsigned char pk[FS_KEY_PUB_BYTES])
{
    FS_ASSERT(device < f->ndevs);
    fs_keystore_peek_public_key(f->ks, device, pk);
}

/* Bytes of one device: its record and its keystore, for benchmarks. */
size_t
fs_fleet_device_bytes(void)
{
    return sizeof(struct fs_dev) + fs__keystore_device_bytes();
}

/* Memory held by the fleet, in bytes. */
size_t
fs_fleet_bytes(const struct fs_fleet *f)
{
    return sizeof(*f) + (size_t)f->ndevs * sizeof(struct fs_dev) +
           fs__keystore_bytes(f->ks) + fs__fw_bytes(f) +
           f->ncohorts * sizeof(struct dev_cohort) +
           f->cap_flips * sizeof(struct dev_flips) +
           f->cache_cap * sizeof(struct dev_series_slot) +
           (size_t)f->upd_nchunks * UPD_CHUNK_SESSIONS *
               sizeof(struct dev_upd) +
           (size_t)f->upd_cap_chunks * sizeof(*f->upd_chunks) +
           (size_t)f->out_cap * sizeof(*f->out_blocks) +
           (size_t)f->cfg->nimages * FS_UPD_RESULT_COUNT * FS_UPR_COUNT *
               sizeof(*f->upd_series);
}

/* State of device as the devices{} metric labels it. */
enum fs_dev_state
fs_fleet_state(const struct fs_fleet *f, uint32_t device)
{
    FS_ASSERT(device < f->ndevs);
    const struct fs_dev *d = &f->devs[device];
    if (d->state == FS_DEV_RUNNING && !d->online)
        return FS_DEV_OFFLINE;
    return (enum fs_dev_state)d->state;
}

/* True when device booted untrusted code or an attack marked it. */
bool
fs_fleet_is_compromised(const struct fs_fleet *f, uint32_t device)
{
    FS_ASSERT(device < f->ndevs);
    return f->devs[device].comp_boot || f->devs[device].comp_ext;
}

/* Bits of enum fs_fleet_comp saying why device counts compromised. */
unsigned
fs_fleet_compromised_why(const struct fs_fleet *f, uint32_t device)
{
    FS_ASSERT(device < f->ndevs);
    const struct fs_dev *d = &f->devs[device];
    return (d->comp_boot ? FS_FLEET_COMP_BOOT : 0u) |
           (d->comp_ext ? FS_FLEET_COMP_ATTACK : 0u);
}

/* Mark device compromised by an attack (or clear that mark). */
void
fs_fleet_set_compromised(struct fs_fleet *f, uint32_t device, bool on)
{
    FS_ASSERT(device < f->ndevs);
    f->devs[device].comp_ext = on;
    fs__fleet_record(f, FS_REC_DEV_COMPROMISED, device,
                     fs_fleet_is_compromised(f, device));
    fs__series_update(f, device);
}

/* True once device stored a certificate. */
bool
fs_fleet_has_cert(const struct fs_fleet *f, uint32_t device)
{
    FS_ASSERT(device < f->ndevs);
    return f->devs[device].has_cert != 0;
}

/* OS image device runs, or FS_NO_IMAGE in recovery. */
uint32_t
fs_fleet_running_os(const struct fs_fleet *f, uint32_t device)
{
    FS_ASSERT(device < f->ndevs);
    return fs__fleet_running_os(f, &f->devs[device]);
}

/* App image device runs on core, or FS_NO_IMAGE. */
uint32_t
fs_fleet_running_app(const struct fs_fleet *f, uint32_t device, unsigned core)
{
    FS_ASSERT(device < f->ndevs);
    return fs__fleet_running_app(f, &f->devs[device], core);
}

/* Error-report events dropped fleet-wide. */
uint64_t
fs_fleet_reports_dropped(const struct fs_fleet *f)
{
    return f->reports_dropped;
}

static bool
dev_check_one(const struct fs_fleet *f, const struct fs_dev *d)
{
    if (d->state > FS_DEV_RECOVERY || d->state == FS_DEV_OFFLINE)
        return false;
    if (d->cohort >= f->ncohorts || d->series == UINT32_MAX)
        return false;
    if (d->xchg > XCHG_WAIT_ANSWER || (d->flips != 0 && d->flips >= f->nflips))
        return false;
    if ((d->xchg == XCHG_IDLE) != (d->t_timeout == 0))
        return false;
    if (d->cut_mode > CUT_PHASE)
        return false;
    return fs__repq_check(d);
}

/*
 * Check every device record and that the devices{} series hold exactly
 * ndevs devices in total (each device in its own cached series).
 */
bool
fs_fleet_check(const struct fs_fleet *f)
{
    for (uint32_t id = 0; id < f->ndevs; id++) {
        const struct fs_dev *d = &f->devs[id];
        if (!dev_check_one(f, d) || !fs__update_check(f, id) ||
            fs_keystore_peek_counter(f->ks, id, FS_KS_COUNTER_OS) == UINT32_MAX)
            return false;
        if (fs__series_peek(f, d) != d->series)
            return false;
    }
    int64_t total = fs_metrics_sum(f->env.metrics, FS_M_DEVICES, NULL, 0);
    return total == (int64_t)f->ndevs;
}
