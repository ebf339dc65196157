/*
 * device/series.c - the devices{} series cache of the fleet.
 *
 * Owns: the open-addressing table from (cohort, running OS, running apps,
 * state, compromised) to the metric series index, and the label strings
 * built when a series is first seen.
 * Invariants: the table is only ever looked up, never iterated, so its
 * order cannot reach any output; at most half of its slots are used.
 * Does not: count devices (device/fleet.c moves them between series).
 */
#include <string.h>

#include "fleetsim/mem.h"
#include "fleetsim/metrics.h"
#include "fleetsim/rng.h"

#include "device_int.h"

/* Longest app label: three ids and two commas. */
#define APP_LABEL_BYTES (3 * (FS_NAME_BYTES_MAX + 1) + 1)

static const char *const state_names[] = {[FS_DEV_RUNNING] = "running",
                                          [FS_DEV_UPDATING] = "updating",
                                          [FS_DEV_REBOOTING] = "rebooting",
                                          [FS_DEV_OFFLINE] = "offline",
                                          [FS_DEV_RECOVERY] = "recovery"};

static void
key_of(const struct fs_fleet *f, const struct fs_dev *d,
       struct dev_series_slot *k)
{
    memset(k, 0, sizeof(*k));
    k->cohort = d->cohort;
    k->os = fs__fleet_running_os(f, d);
    for (unsigned c = 0; c < FS_APPS_MAX; c++)
        k->app[c] = fs__fleet_running_app(f, d, c);
    k->state = d->state;
    if (d->state == FS_DEV_RUNNING && !d->online)
        k->state = FS_DEV_OFFLINE;
    k->compromised = (d->comp_boot || d->comp_ext) ? 1 : 0;
}

static uint64_t
key_hash(const struct dev_series_slot *k)
{
    uint64_t h = fs_rng_mix64(k->cohort);
    h = fs_rng_mix64(h ^ k->os);
    for (unsigned c = 0; c < FS_APPS_MAX; c++)
        h = fs_rng_mix64(h ^ k->app[c]);
    return fs_rng_mix64(h ^ ((uint64_t)k->state << 8 | k->compromised));
}

static bool
key_eq(const struct dev_series_slot *a, const struct dev_series_slot *b)
{
    return a->cohort == b->cohort && a->os == b->os &&
           memcmp(a->app, b->app, sizeof(a->app)) == 0 &&
           a->state == b->state && a->compromised == b->compromised;
}

/* Slot holding k, or the empty slot where it belongs. */
static uint32_t
probe(const struct fs_fleet *f, const struct dev_series_slot *k)
{
    uint32_t mask = f->cache_cap - 1;
    uint32_t i = (uint32_t)key_hash(k) & mask;
    for (uint32_t n = 0; n < f->cache_cap; n++, i = (i + 1) & mask) {
        const struct dev_series_slot *s = &f->cache[i];
        if (s->cohort == UINT32_MAX || key_eq(s, k))
            return i;
    }
    fs_panic(__FILE__, __LINE__, "series cache full");
}

static void
cache_alloc(struct fs_fleet *f, uint32_t cap)
{
    f->cache = fs_xcalloc(cap, sizeof(*f->cache));
    f->cache_cap = cap;
    f->cache_used = 0;
    for (uint32_t i = 0; i < cap; i++)
        f->cache[i].cohort = UINT32_MAX;
}

static void
cache_grow(struct fs_fleet *f)
{
    struct dev_series_slot *old = f->cache;
    uint32_t old_cap = f->cache_cap;
    cache_alloc(f, old_cap ? old_cap * 2 : 64);
    for (uint32_t i = 0; i < old_cap; i++) {
        if (old[i].cohort == UINT32_MAX)
            continue;
        f->cache[probe(f, &old[i])] = old[i];
        f->cache_used++;
    }
    fs_free(old);
}

static uint32_t
series_create(struct fs_fleet *f, const struct dev_series_slot *k)
{
    const struct fs_cohort_config *cc = f->cohorts[k->cohort].cc;
    char apps[APP_LABEL_BYTES];
    size_t len = 0;
    apps[0] = '\0';
    for (unsigned c = 0; c < FS_APPS_MAX; c++) {
        if (k->app[c] == FS_NO_IMAGE)
            continue;
        const char *id = fs__fleet_image(f, k->app[c])->id;
        size_t n = strlen(id);
        FS_ASSERT(len + n + 2 <= sizeof(apps));
        if (len > 0)
            apps[len++] = ',';
        memcpy(apps + len, id, n + 1);
        len += n;
    }
    const char *v[6] = {cc->product_name,
                        cc->group_name,
                        k->os == FS_NO_IMAGE ? NULL
                                             : fs__fleet_image(f, k->os)->id,
                        len == 0 ? NULL : apps,
                        state_names[k->state],
                        k->compromised ? "true" : "false"};
    return fs_metrics_series(f->env.metrics, FS_M_DEVICES, v);
}

/* The series of d's current labels, created and cached on first use. */
uint32_t
fs__series_find(struct fs_fleet *f, const struct fs_dev *d)
{
    struct dev_series_slot k;
    key_of(f, d, &k);
    if ((f->cache_used + 1) * 2 > f->cache_cap)
        cache_grow(f);
    uint32_t i = probe(f, &k);
    if (f->cache[i].cohort == UINT32_MAX) {
        k.series = series_create(f, &k);
        f->cache[i] = k;
        f->cache_used++;
    }
    return f->cache[i].series;
}

/* As fs__series_find without creating: UINT32_MAX when not cached. */
uint32_t
fs__series_peek(const struct fs_fleet *f, const struct fs_dev *d)
{
    if (f->cache_cap == 0)
        return UINT32_MAX;
    struct dev_series_slot k;
    key_of(f, d, &k);
    uint32_t i = probe(f, &k);
    if (f->cache[i].cohort == UINT32_MAX)
        return UINT32_MAX;
    return f->cache[i].series;
}

/* Free the cache. */
void
fs__series_fini(struct fs_fleet *f)
{
    fs_free(f->cache);
    f->cache = NULL;
    f->cache_cap = 0;
}

/* Move device id to the series its current labels name. */
void
fs__series_update(struct fs_fleet *f, uint32_t id)
{
    struct fs_dev *d = &f->devs[id];
    uint32_t s = fs__series_find(f, d);
    if (s == d->series)
        return;
    if (d->series != UINT32_MAX)
        fs_metrics_add(f->env.metrics, d->series, -1);
    fs_metrics_add(f->env.metrics, s, 1);
    d->series = s;
}
