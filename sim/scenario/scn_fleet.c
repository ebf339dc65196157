/*
 * sim/scenario/scn_fleet.c - the fleet section (cohorts, their network and
 * wear) and the expect section.
 *
 * Owns: struct fs_scn_cohort and struct fs_scn_expect filling, device
 * numbering, implicit groups, and placing expectation errors at their
 * file position.
 * Invariants: cohorts are numbered in file order and their devices take
 * consecutive ids from 0; the fleet never exceeds FS_SCN_DEVICES_MAX; a
 * group a cohort names but the groups list does not gets the defaults.
 * Does not: check peripheral conflicts between apps (scn_check.c).
 */
#include <string.h>

#include "fleetsim/err.h"
#include "scn_int.h"

#define US_PER_MS ((int64_t)1000)

/* The group called name, made with the defaults when not listed. */
static const struct fs_scn_group *
cohort_group(struct fs__scn_ld *ld, const char *name,
             const struct fs__scn_node *at)
{
    struct fs_scn *scn = ld->scn;
    struct fs_scn_group *g = fs__scn_table_get(&scn->names->groups, name);
    if (g != NULL)
        return g;
    g = &scn->groups[scn->ngroups];
    g->index = scn->ngroups++;
    g->pos = fs__scn_pos(ld, at);
    g->name = name;
    g->implicit = true;
    fs__scn_table_put(ld->arena, &scn->names->groups, name, g);
    return g;
}

static int
load_network(struct fs__scn_ld *ld, const struct fs__scn_node *n,
             struct fs_scn_cohort *c)
{
    static const char *const keys[] = {"bandwidth", "latency", "availability"};
    const struct fs__scn_node *v[3];
    int err = fs__scn_map_keys(ld, n, "network", keys, 3, v);
    if (err == 0 && v[0] != NULL)
        err = fs__scn_bandwidth(ld, v[0], "bandwidth", &c->bandwidth_bps);
    if (err == 0 && v[0] != NULL && c->bandwidth_bps == 0)
        err = fs__scn_err(ld, v[0],
                          "'bandwidth': expected a bandwidth "
                          "above zero");
    if (err == 0 && v[1] != NULL)
        err = fs__scn_duration(ld, v[1], "latency", &c->latency_us);
    if (err == 0 && v[1] != NULL && c->latency_us > 3600 * 1000 * US_PER_MS)
        err = fs__scn_err(ld, v[1], "'latency': at most 1h is allowed");
    if (err == 0 && v[2] != NULL)
        err = fs__scn_percent(ld, v[2], "availability", &c->availability_ppm);
    return err;
}

static int
load_wear(struct fs__scn_ld *ld, const struct fs__scn_node *n,
          struct fs_scn_cohort *c)
{
    if (fs__scn_is_null(n))
        return 0;
    if (n->kind != FS__NODE_MAP)
        return fs__scn_err(ld, n,
                           "'wear': expected a mapping of part name "
                           "to share (heater: 0.5%%), got %s",
                           fs__scn_kind_name(n));
    if (n->count / 2 > FS_SCN_LIST_MAX)
        return fs__scn_err(ld, n, "'wear': at most %u parts are allowed",
                           FS_SCN_LIST_MAX);
    c->wear = fs_arena_alloc(ld->arena, n->count / 2 * sizeof(*c->wear));
    for (const struct fs__scn_node *k = n->head; k; k = k->next->next) {
        struct fs_scn_wear *w = &c->wear[c->nwear];
        int err = fs__scn_name(ld, k, "wear", &w->part);
        if (err == 0)
            err = fs__scn_share(ld, k->next, w->part, &w->share);
        if (err != 0)
            return err;
        if (!w->share.is_percent && w->share.count > c->count)
            return fs__scn_err(ld, k->next,
                               "'%s': %llu devices is more than "
                               "the cohort's %llu",
                               w->part, (unsigned long long)w->share.count,
                               (unsigned long long)c->count);
        for (uint32_t i = 0; i < c->nwear; i++)
            if (strcmp(c->wear[i].part, w->part) == 0)
                return fs__scn_err(ld, k,
                                   "duplicate key '%s' in wear "
                                   "(first given at line %d)",
                                   w->part, c->wear[i].pos.line);
        w->pos = fs__scn_pos(ld, k);
        c->nwear++;
    }
    return 0;
}

/* Resolve an image reference of the given kind for cohort c. */
static int
cohort_image(struct fs__scn_ld *ld, const struct fs__scn_node *n,
             const char *key, enum fs_image_kind kind,
             const struct fs_scn_cohort *c, const struct fs_scn_image **out)
{
    void *ref;
    int err = fs__scn_ref(ld, n, key, &ld->scn->names->images, "image", &ref);
    if (err != 0)
        return err;
    const struct fs_scn_image *img = ref;
    if (img->kind != kind)
        return fs__scn_err(ld, n,
                           "'%s': image '%s' has kind %s; expected "
                           "an image of kind %s",
                           key, img->id,
                           img->kind == FS_IMAGE_OS ? "os" : "app",
                           kind == FS_IMAGE_OS ? "os" : "app");
    if (kind == FS_IMAGE_APP && img->product != c->product)
        return fs__scn_err(ld, n,
                           "'%s': app '%s' is built for product '%s', "
                           "but this cohort's product is '%s'",
                           key, img->id, img->product->name, c->product->name);
    *out = img;
    return 0;
}

static int
load_rt_apps(struct fs__scn_ld *ld, const struct fs__scn_node *n,
             struct fs_scn_cohort *c)
{
    uint32_t count;
    int err = fs__scn_seq(ld, n, "rt_apps", 2, &count);
    if (err != 0)
        return err;
    c->rt_apps = fs_arena_alloc(ld->arena, count * sizeof(*c->rt_apps));
    for (const struct fs__scn_node *e = count ? n->head : NULL; e;
         e = e->next) {
        err = cohort_image(ld, e, "rt_apps", FS_IMAGE_APP, c,
                           &c->rt_apps[c->nrt_apps]);
        if (err != 0)
            return err;
        c->nrt_apps++;
    }
    return 0;
}

enum cohort_key {
    CO_PRODUCT,
    CO_COUNT,
    CO_GROUP,
    CO_OS,
    CO_APP,
    CO_RT_APPS,
    CO_NETWORK,
    CO_WEAR,
    CO_KEYS
};

static int
load_cohort(struct fs__scn_ld *ld, const struct fs__scn_node *n,
            struct fs_scn_cohort *c)
{
    static const char *const keys[CO_KEYS] = {
        "product", "count", "group", "os", "app", "rt_apps", "network", "wear"};
    const char *what = "a fleet cohort";
    const struct fs__scn_node *v[CO_KEYS];
    void *ref;
    int err = fs__scn_map_keys(ld, n, what, keys, CO_KEYS, v);
    for (int k = CO_PRODUCT; err == 0 && k <= CO_OS; k++)
        if (k != CO_GROUP)
            err = fs__scn_require(ld, n, what, keys[k], v[k]);
    if (err == 0)
        err = fs__scn_ref(ld, v[CO_PRODUCT], "product",
                          &ld->scn->names->products, "product", &ref);
    if (err != 0)
        return err;
    c->product = ref;
    uint64_t room = FS_SCN_DEVICES_MAX - ld->scn->ndevices;
    err = fs__scn_uint(ld, v[CO_COUNT], "count", 1, FS_SCN_DEVICES_MAX,
                       &c->count);
    if (err == 0 && c->count > room)
        err = fs__scn_err(ld, v[CO_COUNT],
                          "'count': the fleet would exceed "
                          "%u devices, the most fleetsim "
                          "simulates",
                          FS_SCN_DEVICES_MAX);
    const char *group = "default";
    if (err == 0 && v[CO_GROUP] != NULL)
        err = fs__scn_name(ld, v[CO_GROUP], "group", &group);
    if (err == 0)
        c->group = cohort_group(ld, group, v[CO_GROUP] ? v[CO_GROUP] : n);
    if (err == 0)
        err = cohort_image(ld, v[CO_OS], "os", FS_IMAGE_OS, c, &c->os);
    if (err == 0 && v[CO_APP] != NULL && !fs__scn_is_null(v[CO_APP]))
        err = cohort_image(ld, v[CO_APP], "app", FS_IMAGE_APP, c, &c->app);
    if (err == 0 && v[CO_RT_APPS] != NULL)
        err = load_rt_apps(ld, v[CO_RT_APPS], c);
    if (err == 0 && v[CO_NETWORK] != NULL)
        err = load_network(ld, v[CO_NETWORK], c);
    if (err == 0 && v[CO_WEAR] != NULL)
        err = load_wear(ld, v[CO_WEAR], c);
    return err;
}

/* Load the fleet list: cohorts numbered in order, devices from 0. */
int
fs__scn_fleet(struct fs__scn_ld *ld, const struct fs__scn_node *n)
{
    struct fs_scn *scn = ld->scn;
    uint32_t count;
    int err = fs__scn_seq(ld, n, "fleet", FS_SCN_COHORTS_MAX, &count);
    if (err != 0)
        return err;
    if (count == 0)
        return fs__scn_err(ld, n, "'fleet': expected at least one cohort");
    scn->cohorts = fs_arena_alloc(ld->arena, count * sizeof(*scn->cohorts));
    for (const struct fs__scn_node *e = n->head; e; e = e->next) {
        struct fs_scn_cohort *c = &scn->cohorts[scn->ncohorts];
        c->index = scn->ncohorts++;
        c->pos = fs__scn_pos(ld, e);
        c->bandwidth_bps = 10000000;
        c->latency_us = 50 * US_PER_MS;
        c->availability_ppm = 1000000;
        err = load_cohort(ld, e, c);
        if (err != 0)
            return err;
        c->first_device = scn->ndevices;
        scn->ndevices += c->count;
    }
    return 0;
}

/*
 * The file position of column col (1-based) of the text of scalar n: plain
 * scalars start at the node, quoted ones one later; block scalars are
 * approximated by the line after the indicator.
 */
static struct fs_scn_pos
text_pos(const struct fs__scn_ld *ld, const struct fs__scn_node *n, int col)
{
    struct fs_scn_pos p = fs__scn_pos(ld, n);
    int off = col > 0 ? col - 1 : 0;
    p.column = n->column + off;
    if (n->style == FS__STYLE_QUOTED)
        p.column++;
    if (n->style == FS__STYLE_BLOCK) {
        p.line++;
        p.column = off + 1;
    }
    return p;
}

/* Parse the expression in scalar n, placing an error at its column. */
static int
parse_expr(struct fs__scn_ld *ld, const struct fs__scn_node *n,
           struct fs_scn_expect *e)
{
    int err = fs__scn_scalar(ld, n, "expect",
                             "an expectation such as "
                             "devices{os=\"24.01\"} >= 99%");
    if (err != 0)
        return err;
    struct fs_diag d;
    fs_diag_clear(&d);
    err = fs_expect_parse(n->text, ld->arena, &e->expr, &d);
    if (err == 0) {
        e->pos = fs__scn_pos(ld, n);
        for (size_t i = 0; i < e->expr.nsel; i++)
            e->sel_pos[i] = text_pos(ld, n, e->expr.sel_column[i]);
        return 0;
    }
    struct fs_scn_pos at = text_pos(ld, n, d.column);
    return fs__scn_err_at(ld, at.line, at.column,
                          "invalid expectation '%.200s': "
                          "%s",
                          n->text, d.msg[0] ? d.msg : "not understood");
}

static int
load_expect(struct fs__scn_ld *ld, const struct fs__scn_node *n,
            struct fs_scn_expect *e)
{
    static const char *const keys[] = {"that", "at"};
    const struct fs__scn_node *v[2];
    e->at_us = -1;
    if (n->kind == FS__NODE_SCALAR)
        return parse_expr(ld, n, e);
    if (n->kind != FS__NODE_MAP)
        return fs__scn_err(ld, n,
                           "'expect': expected an expectation string "
                           "or a mapping {that: EXPR, at: DURATION}, "
                           "got %s",
                           fs__scn_kind_name(n));
    int err = fs__scn_map_keys(ld, n, "an expectation", keys, 2, v);
    if (err == 0)
        err = fs__scn_require(ld, n, "an expectation", "that", v[0]);
    if (err == 0)
        err = parse_expr(ld, v[0], e);
    if (err == 0 && v[1] != NULL)
        err = fs__scn_duration(ld, v[1], "at", &e->at_us);
    if (err == 0 && v[1] != NULL && e->at_us > ld->scn->duration_us)
        err = fs__scn_err(ld, v[1],
                          "'at': %s is after the end of the run "
                          "(duration)",
                          v[1]->text);
    return err;
}

/* Load the expect list. */
int
fs__scn_expects(struct fs__scn_ld *ld, const struct fs__scn_node *n)
{
    struct fs_scn *scn = ld->scn;
    uint32_t count;
    int err = fs__scn_seq(ld, n, "expect", FS_SCN_EXPECTS_MAX, &count);
    if (err != 0)
        return err;
    scn->expects = fs_arena_alloc(ld->arena, count * sizeof(*scn->expects));
    for (const struct fs__scn_node *e = count ? n->head : NULL; e;
         e = e->next) {
        err = load_expect(ld, e, &scn->expects[scn->nexpects]);
        if (err != 0)
            return err;
        scn->nexpects++;
    }
    return 0;
}

/* The names a free-form label value may take, gathered from the scenario. */
struct names {
    const char **v; /* candidates (borrowed from the scenario) */
    size_t n;       /* used */
    size_t cap;     /* allocated */
};

static void
names_add(struct names *ns, const char *name)
{
    if (name == NULL)
        return;
    for (size_t i = 0; i < ns->n; i++)
        if (strcmp(ns->v[i], name) == 0)
            return;
    if (ns->n == ns->cap) {
        ns->cap = ns->cap ? ns->cap * 2 : 16;
        ns->v = fs_xrealloc(ns->v, ns->cap * sizeof(*ns->v));
    }
    ns->v[ns->n++] = name;
}

/* Image ids and versions of the images of kind (or of every kind). */
static void
names_images(const struct fs_scn *scn, struct names *ns, int kind)
{
    for (uint32_t i = 0; i < scn->nimages; i++)
        if (kind < 0 || scn->images[i].kind == (enum fs_image_kind)kind) {
            names_add(ns, scn->images[i].id);
            names_add(ns, scn->images[i].version);
        }
}

/*
 * Fill ns with what label key of family f may name in this scenario.
 * Returns false when the label is not free-form (its values are a fixed
 * list the expectation parser already checked) or is not a name.
 */
static bool
label_names(const struct fs_scn *scn, enum fs_metric f, const char *key,
            struct names *ns, const char **what)
{
    if (strcmp(key, "product") == 0) {
        *what = "product";
        for (uint32_t i = 0; i < scn->nproducts; i++)
            names_add(ns, scn->products[i].name);
    } else if (strcmp(key, "group") == 0) {
        *what = "group";
        for (uint32_t i = 0; i < scn->ngroups; i++)
            names_add(ns, scn->groups[i].name);
    } else if (strcmp(key, "os") == 0) {
        *what = "OS image id or version";
        names_images(scn, ns, FS_IMAGE_OS);
    } else if (strcmp(key, "app") == 0) {
        *what = "app image id or version";
        names_images(scn, ns, FS_IMAGE_APP);
    } else if (strcmp(key, "image") == 0) {
        *what = "image id or version";
        names_images(scn, ns, -1);
    } else if (strcmp(key, "id") == 0) {
        *what = "deployment id";
        for (uint32_t i = 0; i < scn->nactions; i++)
            if (scn->actions[i].kind == FS_ACT_DEPLOY)
                names_add(ns, scn->actions[i].u.deploy.id);
    } else if (f == FS_M_TICKETS && strcmp(key, "reason") == 0) {
        *what = "wear part";
        for (uint32_t i = 0; i < scn->ncohorts; i++)
            for (uint32_t w = 0; w < scn->cohorts[i].nwear; w++)
                names_add(ns, scn->cohorts[i].wear[w].part);
    } else {
        return false;
    }
    return true;
}

/*
 * Every label value of every expectation names something the scenario
 * defines (1.1): a typo is a load error with a hint, never a silent pass.
 */
int
fs__scn_expect_names(struct fs__scn_ld *ld)
{
    const struct fs_scn *scn = ld->scn;
    for (uint32_t x = 0; x < scn->nexpects; x++) {
        const struct fs_scn_expect *e = &scn->expects[x];
        for (size_t i = 0; i < e->expr.nsel; i++) {
            const struct fs_label_sel *sel = &e->expr.sel[i];
            if (fs_metric_label_values(e->expr.metric, sel->label) != NULL)
                continue;
            size_t nkeys;
            const char *key =
                fs_metric_labels(e->expr.metric, &nkeys)[sel->label];
            struct names ns = {0};
            const char *what = NULL;
            if (!label_names(scn, e->expr.metric, key, &ns, &what)) {
                fs_free(ns.v);
                continue;
            }
            bool found = false;
            for (size_t k = 0; k < ns.n && !found; k++)
                found = strcmp(ns.v[k], sel->value) == 0;
            const char *hint =
                found ? NULL : fs__scn_hint(sel->value, ns.v, ns.n);
            int err = 0;
            if (!found)
                err = fs__scn_err_at(
                    ld, e->sel_pos[i].line, e->sel_pos[i].column,
                    "expectation '%.200s': %s=\"%s\" names no %s of this "
                    "scenario%s%s%s",
                    e->expr.text, key, sel->value, what,
                    hint ? "; did you mean \"" : "", hint ? hint : "",
                    hint ? "\"?" : "");
            fs_free(ns.v);
            if (err != 0)
                return err;
        }
    }
    return 0;
}
