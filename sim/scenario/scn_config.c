/*
 * sim/scenario/scn_config.c - the configuration the model is built from,
 * taken from a loaded scenario.
 *
 * Owns: struct fs_fleet_config making (cohorts with the signer names their
 * devices trust for apps, per-image device facts, defences, service
 * settings) and its arrays.
 * Invariants: the configuration holds plain values and borrowed strings
 * of the scenario (names, ids, manifest lists), so the scenario must
 * outlive it; every index in it is a catalog or scenario index.
 * Does not: validate (the loader did), or build the fleet.
 */
#include <string.h>

#include "fleetsim/fleet.h"
#include "fleetsim/mem.h"
#include "fleetsim/scn.h"

/* The configuration and the arrays it points to (one owner). */
struct scn_fleet_config {
    struct fs_fleet_config cfg;       /* first: what callers see */
    struct fs_cohort_config *cohorts; /* scn->ncohorts */
    struct fs_image_config *images;   /* scn->nimages */
    uint32_t *apps;                   /* every cohort's app indexes */
    struct fs_share *shares;          /* every cohort's wear shares */
    const char **signers;             /* per product, the signer names of
                                         its app images (room for
                                         scn->nsigners each: every image
                                         signer is one of those) */
    uint32_t *nsigners;               /* per product, entries used */
};

/*
 * The signer names of each product's app images, without repeats, in
 * image order: the keys that product's devices trust for apps.
 */
static void
app_signers_of(const struct fs_scn *scn, struct scn_fleet_config *h)
{
    h->signers = fs_xcalloc((size_t)scn->nproducts * scn->nsigners + 1,
                            sizeof(*h->signers));
    h->nsigners = fs_xcalloc(scn->nproducts + 1, sizeof(*h->nsigners));
    for (uint32_t i = 0; i < scn->nimages; i++) {
        const struct fs_scn_image *img = &scn->images[i];
        if (img->kind != FS_IMAGE_APP || img->product == NULL)
            continue;
        uint32_t p = img->product->index;
        const char **l = h->signers + (size_t)p * scn->nsigners;
        bool seen = false;
        for (uint32_t k = 0; k < h->nsigners[p] && !seen; k++)
            seen = strcmp(l[k], img->signer) == 0;
        if (!seen) {
            FS_ASSERT(h->nsigners[p] < scn->nsigners);
            l[h->nsigners[p]++] = img->signer;
        }
    }
}

static struct fs_name_list
names_of(const struct fs_scn_strlist *l)
{
    return (struct fs_name_list){l->count, l->items};
}

static void
image_of(const struct fs_scn_image *si, struct fs_image_config *ic)
{
    ic->id = si->id;
    ic->crash_per_us = si->crash_per_us;
    ic->telemetry_per_us = si->telemetry_per_us;
    ic->caps.core = si->caps.core;
    ic->caps.ngpio = si->caps.ngpio;
    ic->caps.gpio = si->caps.gpio;
    ic->caps.uart = names_of(&si->caps.uart);
    ic->caps.i2c = names_of(&si->caps.i2c);
    ic->caps.spi = names_of(&si->caps.spi);
    ic->caps.adc = names_of(&si->caps.adc);
    ic->caps.allowed_hosts = names_of(&si->caps.allowed_hosts);
}

static void
cohort_of(const struct fs_scn *scn, const struct scn_fleet_config *h,
          const struct fs_scn_cohort *sc, struct fs_cohort_config *cc,
          uint32_t *apps, struct fs_share *shares)
{
    cc->first_device = (uint32_t)sc->first_device;
    cc->count = (uint32_t)sc->count;
    cc->product = sc->product->index;
    cc->product_name = sc->product->name;
    cc->ram_bytes = sc->product->ram_bytes;
    cc->flash_bytes = sc->product->flash_bytes;
    cc->reserved_bytes = sc->product->reserved_bytes;
    cc->group = sc->group->index;
    cc->group_name = sc->group->name;
    cc->os = sc->os->index;
    cc->napps = 0;
    if (sc->app != NULL)
        apps[cc->napps++] = sc->app->index;
    for (uint32_t i = 0; i < sc->nrt_apps; i++)
        apps[cc->napps++] = sc->rt_apps[i]->index;
    cc->apps = apps;
    cc->bandwidth_bps = sc->bandwidth_bps;
    cc->latency_us = sc->latency_us;
    cc->availability_ppm = sc->availability_ppm;
    cc->nwear = sc->nwear;
    for (uint32_t w = 0; w < sc->nwear; w++)
        shares[w] = sc->wear[w].share;
    cc->wear_shares = shares;
    uint32_t p = sc->product->index;
    cc->app_signers = (struct fs_name_list){
        h->nsigners[p], h->signers + (size_t)p * scn->nsigners};
}

/*
 * The fleet configuration of scn (see scn.h). Cohorts keep the scenario's
 * order and device numbering; images are indexed as in the catalog.
 */
struct fs_fleet_config *
fs_scn_fleet_config_create(const struct fs_scn *scn)
{
    struct scn_fleet_config *h = fs_xcalloc(1, sizeof(*h));
    size_t napps = 0, nshares = 0;
    for (uint32_t c = 0; c < scn->ncohorts; c++) {
        napps += (scn->cohorts[c].app != NULL) + scn->cohorts[c].nrt_apps;
        nshares += scn->cohorts[c].nwear;
    }
    h->cohorts = fs_xcalloc(scn->ncohorts + 1, sizeof(*h->cohorts));
    h->images = fs_xcalloc(scn->nimages + 1, sizeof(*h->images));
    h->apps = fs_xcalloc(napps + 1, sizeof(*h->apps));
    h->shares = fs_xcalloc(nshares + 1, sizeof(*h->shares));
    for (uint32_t i = 0; i < scn->nimages; i++)
        image_of(&scn->images[i], &h->images[i]);
    app_signers_of(scn, h);
    size_t a = 0, s = 0;
    for (uint32_t c = 0; c < scn->ncohorts; c++) {
        cohort_of(scn, h, &scn->cohorts[c], &h->cohorts[c], h->apps + a,
                  h->shares + s);
        a += h->cohorts[c].napps;
        s += h->cohorts[c].nwear;
    }
    struct fs_fleet_config *cfg = &h->cfg;
    cfg->duration_us = scn->duration_us;
    cfg->defenses = scn->defenses;
    cfg->service = scn->service;
    cfg->ncohorts = scn->ncohorts;
    cfg->cohorts = h->cohorts;
    cfg->nimages = scn->nimages;
    cfg->images = h->images;
    return cfg;
}

/* Free a configuration made by fs_scn_fleet_config_create; NULL is a no-op. */
void
fs_scn_fleet_config_destroy(struct fs_fleet_config *cfg)
{
    if (cfg == NULL)
        return;
    struct scn_fleet_config *h = (struct scn_fleet_config *)cfg;
    fs_free(h->cohorts);
    fs_free(h->images);
    fs_free(h->apps);
    fs_free(h->shares);
    fs_free(h->signers);
    fs_free(h->nsigners);
    fs_free(h);
}
