/*
 * sim/scenario/scn_check.c - rules that span sections, values derived after
 * parsing, and the loaded scenario's self-check.
 *
 * Owns: security_version defaulting, the per-cohort app rules (one app per
 * core, no peripheral claimed twice), fs_scn_cohort_of, drawing the
 * devices a targets mapping names (fs_scn_targets_pick) and fs_scn_check.
 * Invariants: runs after every section parsed; reports at most one error.
 * Does not: parse YAML nodes beyond citing their positions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fleetsim/err.h"
#include "fleetsim/rng.h"
#include "fleetsim/sim.h"
#include "scn_int.h"

static int
image_rank_cmp(const void *pa, const void *pb)
{
    const struct fs_scn_image *a = *(const struct fs_scn_image *const *)pa;
    const struct fs_scn_image *b = *(const struct fs_scn_image *const *)pb;
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    int c = fs_version_cmp(&a->ver, &b->ver);
    if (c != 0)
        return c;
    return a->index < b->index ? -1 : a->index > b->index;
}

/*
 * Give every image without a written security_version its rank in version
 * order among images of its kind: 1 for the lowest version, equal versions
 * sharing a rank.
 */
static void
rank_security_versions(struct fs_scn *scn)
{
    const struct fs_scn_image **order =
        fs_xcalloc(scn->nimages ? scn->nimages : 1, sizeof(*order));
    for (uint32_t i = 0; i < scn->nimages; i++)
        order[i] = &scn->images[i];
    qsort(order, scn->nimages, sizeof(*order), image_rank_cmp);
    uint32_t rank = 0;
    for (uint32_t i = 0; i < scn->nimages; i++) {
        const struct fs_scn_image *prev = i ? order[i - 1] : NULL;
        if (prev == NULL || prev->kind != order[i]->kind)
            rank = 1;
        else if (fs_version_cmp(&prev->ver, &order[i]->ver) != 0)
            rank++;
        struct fs_scn_image *img = &scn->images[order[i]->index];
        if (!img->security_version_given)
            img->security_version = rank;
    }
    fs_free(order);
}

static const char *const core_names[] = {"hl", "rt0", "rt1"};

/* The first entry of a that is also in b (case-insensitive), or -1. */
static int
list_overlap(const struct fs_scn_strlist *a, const struct fs_scn_strlist *b,
             uint32_t *out_j)
{
    for (uint32_t i = 0; i < a->count; i++)
        for (uint32_t j = 0; j < b->count; j++)
            if (strcasecmp(a->items[i], b->items[j]) == 0) {
                *out_j = j;
                return (int)i;
            }
    return -1;
}

/*
 * Find a peripheral both a and b claim. Serial units (uart, i2c, spi)
 * share one namespace: ISU0 cannot be a UART for one app and I2C for
 * another. Writes a description to buf and returns true on a clash.
 */
static bool
caps_clash(const struct fs_scn_caps *a, const struct fs_scn_caps *b, char *buf,
           size_t len)
{
    for (uint32_t i = 0; i < a->ngpio; i++)
        for (uint32_t j = 0; j < b->ngpio; j++)
            if (a->gpio[i] == b->gpio[j]) {
                snprintf(buf, len, "gpio %u (lines %d and %d)", a->gpio[i],
                         a->gpio_pos[i].line, b->gpio_pos[j].line);
                return true;
            }
    const struct fs_scn_strlist *sa[] = {&a->uart, &a->i2c, &a->spi};
    const struct fs_scn_strlist *sb[] = {&b->uart, &b->i2c, &b->spi};
    for (int x = 0; x < 3; x++)
        for (int y = 0; y < 3; y++) {
            uint32_t j;
            int i = list_overlap(sa[x], sb[y], &j);
            if (i >= 0) {
                snprintf(buf, len, "serial unit %s (lines %d and %d)",
                         sa[x]->items[i], sa[x]->pos[i].line,
                         sb[y]->pos[j].line);
                return true;
            }
        }
    uint32_t j;
    int i = list_overlap(&a->adc, &b->adc, &j);
    if (i >= 0) {
        snprintf(buf, len, "adc %s (lines %d and %d)", a->adc.items[i],
                 a->adc.pos[i].line, b->adc.pos[j].line);
        return true;
    }
    return false;
}

static int
check_cohort_apps(struct fs__scn_ld *ld, const struct fs_scn_cohort *c)
{
    const struct fs_scn_image *apps[3];
    uint32_t n = 0;
    if (c->app != NULL)
        apps[n++] = c->app;
    for (uint32_t i = 0; i < c->nrt_apps; i++)
        apps[n++] = c->rt_apps[i];
    if (c->app != NULL && c->app->caps.core != FS_CORE_HL)
        return fs__scn_err_at(ld, c->pos.line, c->pos.column,
                              "cohort at line %d: 'app' '%s' is a real-time "
                              "app (core %s); list it under rt_apps",
                              c->pos.line, c->app->id,
                              core_names[c->app->caps.core]);
    for (uint32_t i = 0; i < c->nrt_apps; i++)
        if (c->rt_apps[i]->caps.core == FS_CORE_HL)
            return fs__scn_err_at(ld, c->pos.line, c->pos.column,
                                  "cohort at line %d: rt_apps entry '%s' is "
                                  "a high-level app (core hl); expected "
                                  "core rt0 or rt1",
                                  c->pos.line, c->rt_apps[i]->id);
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = i + 1; j < n; j++) {
            char what[160];
            if (apps[i]->caps.core == apps[j]->caps.core)
                return fs__scn_err_at(
                    ld, c->pos.line, c->pos.column,
                    "cohort at line %d: apps '%s' and '%s' both need core "
                    "%s",
                    c->pos.line, apps[i]->id, apps[j]->id,
                    core_names[apps[i]->caps.core]);
            if (caps_clash(&apps[i]->caps, &apps[j]->caps, what, sizeof(what)))
                return fs__scn_err_at(
                    ld, c->pos.line, c->pos.column,
                    "cohort at line %d: apps '%s' and '%s' both claim %s; "
                    "a peripheral belongs to one app",
                    c->pos.line, apps[i]->id, apps[j]->id, what);
        }
    return 0;
}

/*
 * Derive what depends on several sections and check the rules that span
 * them. Called once after every section loaded.
 */
int
fs__scn_finish(struct fs__scn_ld *ld)
{
    struct fs_scn *scn = ld->scn;
    rank_security_versions(scn);
    if (scn->ngroups > FS_SCN_GROUPS_MAX)
        return fs__scn_err_at(ld, scn->groups[FS_SCN_GROUPS_MAX].pos.line,
                              scn->groups[FS_SCN_GROUPS_MAX].pos.column,
                              "too many groups; at most %u are allowed",
                              FS_SCN_GROUPS_MAX);
    for (uint32_t i = 0; i < scn->ncohorts; i++) {
        const struct fs_scn_cohort *c = &scn->cohorts[i];
        /* Cohorts sharing their app set were already checked. */
        if (i > 0 && c->app == c[-1].app && c->nrt_apps == c[-1].nrt_apps &&
            (c->nrt_apps == 0 ||
             memcmp(c->rt_apps, c[-1].rt_apps,
                    c->nrt_apps * sizeof(*c->rt_apps)) == 0))
            continue;
        int err = check_cohort_apps(ld, c);
        if (err != 0)
            return err;
    }
    int err = fs__scn_expect_names(ld);
    if (err != 0)
        return err;
    FS_ASSERT(fs_scn_check(scn));
    return 0;
}

/* The cohort holding device id device, by binary search. */
const struct fs_scn_cohort *
fs_scn_cohort_of(const struct fs_scn *scn, uint64_t device)
{
    if (device >= scn->ndevices)
        return NULL;
    uint32_t lo = 0;
    uint32_t hi = scn->ncohorts;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (scn->cohorts[mid].first_device <= device)
            lo = mid;
        else
            hi = mid;
    }
    return &scn->cohorts[lo];
}

/* True when cohort co matches the group and product of tg. */
static bool
targets_match(const struct fs_scn_cohort *co, const struct fs_scn_targets *tg)
{
    if (tg->group != NULL && co->group != tg->group)
        return false;
    return tg->product == NULL || co->product == tg->product;
}

/*
 * Draw the devices tg names: k = its share of the n matching devices, by
 * selection sampling (Knuth's algorithm S) in id order, as the attacker
 * draws attack targets.
 */
uint32_t
fs_scn_targets_pick(const struct fs_scn *scn, const struct fs_scn_targets *tg,
                    struct fs_rng *rng, uint32_t **out)
{
    uint64_t n = 0;
    for (uint32_t c = 0; c < scn->ncohorts; c++)
        if (targets_match(&scn->cohorts[c], tg))
            n += scn->cohorts[c].count;
    uint64_t k = fs_share_of(&tg->share, n);
    if (k > n)
        k = n;
    uint32_t *ids = fs_xcalloc(k ? k : 1, sizeof(*ids));
    uint64_t seen = 0, picked = 0;
    for (uint32_t c = 0; c < scn->ncohorts && picked < k; c++) {
        const struct fs_scn_cohort *co = &scn->cohorts[c];
        if (!targets_match(co, tg))
            continue;
        for (uint64_t i = 0; i < co->count && picked < k; i++, seen++) {
            if (fs_rng_below(rng, n - seen) >= k - picked)
                continue;
            ids[picked++] = (uint32_t)(co->first_device + i);
        }
    }
    FS_ASSERT(picked == k);
    *out = ids;
    return (uint32_t)k;
}

static bool
check_actions(const struct fs_scn *scn)
{
    for (uint32_t i = 0; i < scn->nactions; i++) {
        const struct fs_scn_action *a = &scn->actions[i];
        if (a->at_us < 0 || a->at_us > scn->duration_us)
            return false;
        if (i > 0 &&
            (a[-1].at_us > a->at_us ||
             (a[-1].at_us == a->at_us && a[-1].file_index >= a->file_index)))
            return false;
        if ((a->kind == FS_ACT_RESUME || a->kind == FS_ACT_CANCEL) &&
            (a->u.target == NULL || a->u.target->kind != FS_ACT_DEPLOY))
            return false;
        if (a->kind == FS_ACT_DEPLOY &&
            (a->u.deploy.image == NULL || a->u.deploy.nwaves == 0))
            return false;
    }
    return true;
}

/* Structural self-check of a loaded scenario. See scn.h. */
bool
fs_scn_check(const struct fs_scn *scn)
{
    if (scn->duration_us <= 0 || scn->duration_us > FS_SIM_TIME_MAX_US)
        return false;
    if (scn->nproducts == 0 || scn->nimages == 0 || scn->ncohorts == 0)
        return false;
    if (scn->ndevices == 0 || scn->ndevices > FS_SCN_DEVICES_MAX)
        return false;
    uint64_t next = 0;
    for (uint32_t i = 0; i < scn->ncohorts; i++) {
        const struct fs_scn_cohort *c = &scn->cohorts[i];
        if (c->first_device != next || c->count == 0 || c->product == NULL ||
            c->group == NULL || c->os == NULL || c->os->kind != FS_IMAGE_OS)
            return false;
        next += c->count;
    }
    if (next != scn->ndevices)
        return false;
    for (uint32_t i = 0; i < scn->nimages; i++) {
        const struct fs_scn_image *img = &scn->images[i];
        if (img->security_version == 0 ||
            (img->kind == FS_IMAGE_APP && img->product == NULL))
            return false;
    }
    return check_actions(scn);
}
