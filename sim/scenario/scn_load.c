/*
 * sim/scenario/scn_load.c - loading a scenario: the public entry points and the
 * top-level sections (service, defenses, products, groups, images).
 *
 * Owns: fs_scn_load, fs_scn_load_string, fs_scn_destroy, the lookups, and
 * the defaults of every top-level section.
 * Invariants: a failed load frees everything it allocated and leaves *out
 * untouched; the first error found is the one reported.
 * Does not: parse YAML text itself (scn_yaml.c), the fleet and expect
 * sections (scn_fleet.c), the timeline (scn_timeline.c) or cross-checks
 * (scn_check.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "fleetsim/err.h"
#include "fleetsim/sim.h"
#include "scn_int.h"

#define US_PER_S ((int64_t)1000000)
#define US_PER_H (3600 * US_PER_S)

static const char *const feed_names[] = {"retail", "retail-eval"};

static void
service_defaults(struct fs_service_config *s)
{
    memset(s, 0, sizeof(*s));
    s->checkin_interval_us = 20 * US_PER_H;
    s->cert_lifetime_us = 24 * US_PER_H;
    s->nonce_lifetime_us = 5 * 60 * US_PER_S;
    s->manifest_lifetime_us = 7 * 24 * US_PER_H;
    s->egress_bps = 10000000000ull;
    s->max_downloads = 10000;
    s->probation_us = 10 * 60 * US_PER_S;
    s->download_timeout_us = US_PER_H;
}

/* A duration in [min_us, FS_SIM_TIME_MAX_US]. */
static int
bounded_duration(struct fs__scn_ld *ld, const struct fs__scn_node *n,
                 const char *key, int64_t min_us, int64_t *out_us)
{
    int64_t v;
    int err = fs__scn_duration(ld, n, key, &v);
    if (err != 0)
        return err;
    if (v < min_us)
        return fs__scn_err(ld, n,
                           "'%s': %s is too short; expected a "
                           "duration above zero",
                           key, n->text);
    if (v > FS_SIM_TIME_MAX_US)
        return fs__scn_err(ld, n,
                           "'%s': %s is too long; at most 10 years "
                           "(3660d) is allowed",
                           key, n->text);
    *out_us = v;
    return 0;
}

/* checkin_rate_limit: none, a whole number, or N/s. */
static int
rate_limit(struct fs__scn_ld *ld, const struct fs__scn_node *n,
           uint64_t *out_per_s)
{
    const char *key = "checkin_rate_limit";
    if (n->kind == FS__NODE_SCALAR && strcmp(n->text, "none") == 0) {
        *out_per_s = 0;
        return 0;
    }
    if (n->kind == FS__NODE_SCALAR && n->len > 2 &&
        strcmp(n->text + n->len - 2, "/s") == 0) {
        double per_us;
        int err = fs__scn_rate(ld, n, key, "s", &per_us);
        if (err != 0)
            return err;
        double per_s = per_us * 1e6 + 0.5;
        if (per_s < 1.0 || per_s > 1e12)
            return fs__scn_err(ld, n,
                               "'%s': expected from 1/s to "
                               "1000000000000/s, or none",
                               key);
        *out_per_s = (uint64_t)per_s;
        return 0;
    }
    return fs__scn_uint(ld, n, key, 1, 1000000000000ull, out_per_s);
}

static int
service_key(struct fs__scn_ld *ld, int k, const struct fs__scn_node *n,
            struct fs_service_config *s)
{
    const char *key = fs_service_key_name((enum fs_service_key)k);
    uint64_t u;
    int err;
    switch (k) {
    case FS_SVC_CHECKIN_INTERVAL:
        return bounded_duration(ld, n, key, 1, &s->checkin_interval_us);
    case FS_SVC_CERT_LIFETIME:
        return bounded_duration(ld, n, key, 1, &s->cert_lifetime_us);
    case FS_SVC_NONCE_LIFETIME:
        return bounded_duration(ld, n, key, 1, &s->nonce_lifetime_us);
    case FS_SVC_MANIFEST_LIFETIME:
        return bounded_duration(ld, n, key, 1, &s->manifest_lifetime_us);
    case FS_SVC_MIN_OS:
        if (n->kind == FS__NODE_SCALAR && strcmp(n->text, "none") == 0) {
            s->has_min_os = false;
            s->min_os = NULL;
            return 0;
        }
        err = fs__scn_version(ld, n, key, &s->min_os_version);
        s->has_min_os = err == 0;
        s->min_os = n->text;
        return err;
    case FS_SVC_EGRESS:
        err = fs__scn_bandwidth(ld, n, key, &s->egress_bps);
        if (err == 0 && s->egress_bps == 0)
            err = fs__scn_err(ld, n,
                              "'egress': expected a bandwidth above "
                              "zero");
        return err;
    case FS_SVC_MAX_DOWNLOADS:
        err = fs__scn_uint(ld, n, key, 1, FS_SCN_DEVICES_MAX, &u);
        s->max_downloads = (uint32_t)u;
        return err;
    case FS_SVC_PROBATION:
        return bounded_duration(ld, n, key, 0, &s->probation_us);
    case FS_SVC_DOWNLOAD_TIMEOUT:
        return bounded_duration(ld, n, key, 1, &s->download_timeout_us);
    default:
        return rate_limit(ld, n, &s->checkin_rate_limit_per_s);
    }
}

/*
 * Parse a service mapping (top-level service, or set_service) over *out:
 * only keys written are changed, and each sets its bit in out->given.
 */
int
fs__scn_service(struct fs__scn_ld *ld, const struct fs__scn_node *n,
                const char *what, struct fs_service_config *out)
{
    const struct fs__scn_node *v[FS_SVC_KEY_COUNT];
    const char *keys[FS_SVC_KEY_COUNT];
    for (int k = 0; k < FS_SVC_KEY_COUNT; k++)
        keys[k] = fs_service_key_name((enum fs_service_key)k);
    int err = fs__scn_map_keys(ld, n, what, keys, FS_SVC_KEY_COUNT, v);
    if (err != 0)
        return err;
    for (int k = 0; k < FS_SVC_KEY_COUNT; k++) {
        if (v[k] == NULL)
            continue;
        err = service_key(ld, k, v[k], out);
        if (err != 0)
            return err;
        out->given |= 1u << k;
    }
    return 0;
}

static int
load_defenses(struct fs__scn_ld *ld, const struct fs__scn_node *n)
{
    const struct fs__scn_node *v[FS_DEF_COUNT];
    const char *names[FS_DEF_COUNT];
    for (int d = 0; d < FS_DEF_COUNT; d++)
        names[d] = fs_defense_name((enum fs_defense)d);
    int err = fs__scn_map_keys(ld, n, "defenses", names, FS_DEF_COUNT, v);
    if (err != 0)
        return err;
    ld->scn->defenses = FS_DEF_ALL;
    for (int d = 0; d < FS_DEF_COUNT; d++) {
        bool on;
        if (v[d] == NULL)
            continue;
        err = fs__scn_bool(ld, v[d], names[d], &on);
        if (err != 0)
            return err;
        if (!on)
            ld->scn->defenses &= ~(1u << d);
    }
    return 0;
}

static int
load_product(struct fs__scn_ld *ld, const struct fs__scn_node *n,
             struct fs_scn_product *p)
{
    static const char *const keys[] = {"name", "hardware", "os_feed"};
    static const char *const hw[] = {"mt3620"};
    const struct fs__scn_node *v[3];
    int feed = 0;
    int hw_index = 0;
    int err = fs__scn_map_keys(ld, n, "a product", keys, 3, v);
    if (err == 0)
        err = fs__scn_require(ld, n, "a product", "name", v[0]);
    if (err == 0)
        err = fs__scn_name(ld, v[0], "name", &p->name);
    if (err == 0 && v[1] != NULL)
        err = fs__scn_enum(ld, v[1], "hardware", hw, 1, &hw_index);
    if (err == 0 && v[2] != NULL)
        err = fs__scn_enum(ld, v[2], "os_feed", feed_names, 2, &feed);
    if (err != 0)
        return err;
    p->pos = fs__scn_pos(ld, n);
    p->hardware = hw[hw_index];
    p->ram_bytes = 4u << 20;
    p->flash_bytes = 16u << 20;
    p->reserved_bytes = 1u << 20;
    p->os_feed = (enum fs_feed)(FS_FEED_RETAIL + feed);
    if (!fs__scn_table_put(ld->arena, &ld->scn->names->products, p->name, p))
        return fs__scn_err(ld, v[0], "duplicate product name '%s'", p->name);
    return 0;
}

static int
load_products(struct fs__scn_ld *ld, const struct fs__scn_node *n)
{
    struct fs_scn *scn = ld->scn;
    uint32_t count;
    int err = fs__scn_seq(ld, n, "products", FS_SCN_PRODUCTS_MAX, &count);
    if (err != 0)
        return err;
    if (count == 0)
        return fs__scn_err(ld, n,
                           "'products': expected at least one "
                           "product");
    scn->products = fs_arena_alloc(ld->arena, count * sizeof(*scn->products));
    for (const struct fs__scn_node *e = n->head; e; e = e->next) {
        struct fs_scn_product *p = &scn->products[scn->nproducts];
        p->index = scn->nproducts++;
        err = load_product(ld, e, p);
        if (err != 0)
            return err;
    }
    return 0;
}

static int
load_group(struct fs__scn_ld *ld, const struct fs__scn_node *n,
           struct fs_scn_group *g)
{
    static const char *const keys[] = {"name", "policy", "os_feed"};
    static const char *const policies[] = {"update-all", "no-app-updates",
                                           "no-updates"};
    const struct fs__scn_node *v[3];
    int policy = 0;
    int feed = -1;
    int err = fs__scn_map_keys(ld, n, "a group", keys, 3, v);
    if (err == 0)
        err = fs__scn_require(ld, n, "a group", "name", v[0]);
    if (err == 0)
        err = fs__scn_name(ld, v[0], "name", &g->name);
    if (err == 0 && v[1] != NULL)
        err = fs__scn_enum(ld, v[1], "policy", policies, 3, &policy);
    if (err == 0 && v[2] != NULL)
        err = fs__scn_enum(ld, v[2], "os_feed", feed_names, 2, &feed);
    if (err != 0)
        return err;
    g->pos = fs__scn_pos(ld, n);
    g->policy = (enum fs_policy)policy;
    g->os_feed = (enum fs_feed)(FS_FEED_RETAIL + feed);
    if (!fs__scn_table_put(ld->arena, &ld->scn->names->groups, g->name, g))
        return fs__scn_err(ld, v[0], "duplicate group name '%s'", g->name);
    return 0;
}

static int
load_groups(struct fs__scn_ld *ld, const struct fs__scn_node *n,
            uint32_t ncohorts)
{
    struct fs_scn *scn = ld->scn;
    uint32_t count = 0;
    int err = n ? fs__scn_seq(ld, n, "groups", FS_SCN_GROUPS_MAX, &count) : 0;
    if (err != 0)
        return err;
    /* Room for the implicit groups cohorts may add. */
    size_t cap = (size_t)count + ncohorts + 1;
    scn->groups = fs_arena_alloc(ld->arena, cap * sizeof(*scn->groups));
    for (const struct fs__scn_node *e = count ? n->head : NULL; e;
         e = e->next) {
        struct fs_scn_group *g = &scn->groups[scn->ngroups];
        g->index = scn->ngroups++;
        err = load_group(ld, e, g);
        if (err != 0)
            return err;
    }
    return 0;
}

/* The sections in the order they are loaded. */
enum top_key {
    TOP_SCENARIO,
    TOP_DESCRIPTION,
    TOP_SEED,
    TOP_DURATION,
    TOP_SERVICE,
    TOP_DEFENSES,
    TOP_PRODUCTS,
    TOP_GROUPS,
    TOP_IMAGES,
    TOP_FLEET,
    TOP_TIMELINE,
    TOP_EXPECT,
    TOP_COUNT
};

static const char *const top_keys[TOP_COUNT] = {
    "scenario", "description", "seed",   "duration", "service",  "defenses",
    "products", "groups",      "images", "fleet",    "timeline", "expect",
};

static int
scenario_name(struct fs__scn_ld *ld, const struct fs__scn_node *n)
{
    int err = fs__scn_scalar(ld, n, "scenario", "a scenario name");
    if (err != 0)
        return err;
    bool ok = n->len <= FS_NAME_BYTES_MAX;
    for (size_t i = 0; ok && i < n->len; i++) {
        char c = n->text[i];
        ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
             (i > 0 && c == '-');
    }
    if (!ok)
        return fs__scn_err(ld, n,
                           "'scenario': invalid name '%.64s'; "
                           "expected lower-case letters, digits and "
                           "'-' ([a-z0-9][a-z0-9-]*, at most %d)",
                           n->text, FS_NAME_BYTES_MAX);
    ld->scn->name = n->text;
    return 0;
}

static int
load_head(struct fs__scn_ld *ld, const struct fs__scn_node *root,
          const struct fs__scn_node **v)
{
    struct fs_scn *scn = ld->scn;
    const char *what = "the scenario's top level";
    static const int required[] = {TOP_SCENARIO, TOP_DURATION, TOP_PRODUCTS,
                                   TOP_IMAGES, TOP_FLEET};
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        int err = fs__scn_require(ld, root, what, top_keys[required[i]],
                                  v[required[i]]);
        if (err != 0)
            return err;
    }
    int err = scenario_name(ld, v[TOP_SCENARIO]);
    if (err == 0 && v[TOP_DESCRIPTION] != NULL &&
        !fs__scn_is_null(v[TOP_DESCRIPTION]))
        err = fs__scn_str(ld, v[TOP_DESCRIPTION], "description",
                          &scn->description);
    if (err == 0 && v[TOP_SEED] != NULL)
        err = fs__scn_uint(ld, v[TOP_SEED], "seed", 0, UINT64_MAX, &scn->seed);
    if (err == 0)
        err = bounded_duration(ld, v[TOP_DURATION], "duration", 1,
                               &scn->duration_us);
    if (err == 0 && v[TOP_SERVICE] != NULL)
        err = fs__scn_service(ld, v[TOP_SERVICE], "service", &scn->service);
    if (err == 0 && v[TOP_DEFENSES] != NULL)
        err = load_defenses(ld, v[TOP_DEFENSES]);
    return err;
}

static int
load_root(struct fs__scn_ld *ld, const struct fs__scn_node *root)
{
    const struct fs__scn_node *v[TOP_COUNT];
    if (root == NULL || fs__scn_is_null(root))
        return fs__scn_err_at(ld, 1, 1,
                              "empty scenario: expected a mapping "
                              "with at least scenario, duration, "
                              "products, images and fleet");
    if (root->kind != FS__NODE_MAP)
        return fs__scn_err(ld, root,
                           "expected a mapping (scenario:, "
                           "duration:, ...) at the top level, got "
                           "%s",
                           fs__scn_kind_name(root));
    int err = fs__scn_map_keys(ld, root, "the scenario's top level", top_keys,
                               TOP_COUNT, v);
    if (err == 0)
        err = load_head(ld, root, v);
    if (err == 0)
        err = load_products(ld, v[TOP_PRODUCTS]);
    if (err == 0)
        err = load_groups(
            ld, v[TOP_GROUPS],
            v[TOP_FLEET]->kind == FS__NODE_SEQ ? v[TOP_FLEET]->count : 0);
    if (err == 0)
        err = fs__scn_images(ld, v[TOP_IMAGES]);
    if (err == 0)
        err = fs__scn_fleet(ld, v[TOP_FLEET]);
    if (err == 0 && v[TOP_TIMELINE] != NULL)
        err = fs__scn_timeline(ld, v[TOP_TIMELINE]);
    if (err == 0 && v[TOP_EXPECT] != NULL)
        err = fs__scn_expects(ld, v[TOP_EXPECT]);
    if (err == 0)
        err = fs__scn_finish(ld);
    return err;
}

/*
 * Load len bytes of text named name, with nparams parameters applied. On
 * failure everything allocated is freed.
 */
static int
load_text(const char *name, const char *text, size_t len,
          const struct fs_scn_param *params, size_t nparams,
          struct fs_scn **out, struct fs_diag *diag)
{
    struct fs_diag local;
    struct fs_scn *scn = fs_xcalloc(1, sizeof(*scn));
    fs_arena_init(&scn->arena);
    scn->file = fs_arena_strdup(&scn->arena, name ? name : "<string>");
    scn->description = "";
    scn->seed = 1;
    scn->defenses = FS_DEF_ALL;
    service_defaults(&scn->service);
    scn->names = fs_arena_alloc(&scn->arena, sizeof(*scn->names));
    struct fs__scn_ld ld = {.scn = scn,
                            .arena = &scn->arena,
                            .diag = diag ? diag : &local,
                            .file = scn->file};
    struct fs__scn_node *root = NULL;
    int err = 0;
    if (len > FS_SCN_FILE_BYTES_MAX)
        err = fs__scn_err_at(&ld, 1, 1,
                             "file too large (%zu bytes); at "
                             "most %u bytes are allowed",
                             len, FS_SCN_FILE_BYTES_MAX);
    if (err == 0)
        err = fs__scn_yaml_parse(&ld, text ? text : "", text ? len : 0, &root);
    if (err == 0 && nparams > 0)
        err = fs__scn_set_apply(&ld, root, params, nparams);
    if (err == 0) {
        err = load_root(&ld, root);
        if (err != 0)
            fs__scn_set_blame(&ld);
    }
    if (err != 0) {
        fs_scn_destroy(scn);
        return err;
    }
    crypto_generichash(scn->file_blake2b, sizeof(scn->file_blake2b),
                       (const unsigned char *)(text ? text : ""),
                       text ? len : 0, NULL, 0);
    *out = scn;
    return 0;
}

/*
 * Load len bytes of text named name. See scn.h. On failure everything
 * allocated is freed.
 */
int
fs_scn_load_string(const char *name, const char *text, size_t len,
                   struct fs_scn **out, struct fs_diag *diag)
{
    return load_text(name, text, len, NULL, 0, out, diag);
}

/* Read the whole file at path into a heap buffer. */
static int
read_file(const char *path, char **out, size_t *out_len, struct fs_diag *diag)
{
    FILE *fp = NULL;
    if (strcmp(path, "-") == 0) {
        fp = fdopen(dup(STDIN_FILENO), "rb");
    } else {
        /* O_NONBLOCK so a FIFO with no writer cannot hang the open; what is
           not a regular file is refused before anything is read. */
        int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            return fs_diag_set(diag, FS_EIO, path, 0, 0, "cannot open: %s",
                               strerror(errno));
        struct stat st;
        if (fstat(fd, &st) != 0) {
            int e = errno;
            close(fd);
            return fs_diag_set(diag, FS_EIO, path, 0, 0, "cannot stat: %s",
                               strerror(e));
        }
        if (!S_ISREG(st.st_mode)) {
            const char *what = S_ISDIR(st.st_mode)    ? "a directory"
                               : S_ISFIFO(st.st_mode) ? "a FIFO"
                               : S_ISSOCK(st.st_mode) ? "a socket"
                                                      : "a device";
            close(fd);
            return fs_diag_set(diag, FS_EIO, path, 0, 0,
                               "not a regular file (%s); a scenario is read "
                               "from a file, or from standard input as '-'",
                               what);
        }
        int flags = fcntl(fd, F_GETFL);
        if (flags >= 0)
            (void)fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
        fp = fdopen(fd, "rb");
        if (fp == NULL)
            close(fd);
    }
    if (fp == NULL)
        return fs_diag_set(diag, FS_EIO, path, 0, 0, "cannot open: %s",
                           strerror(errno));
    size_t cap = 65536;
    size_t len = 0;
    char *buf = fs_xmalloc(cap);
    int err = 0;
    for (;;) {
        if (len == cap) {
            if (cap > FS_SCN_FILE_BYTES_MAX) {
                err = fs_diag_set(diag, FS_ESCENARIO, path, 1, 1,
                                  "file too large; at most %u bytes are "
                                  "allowed",
                                  FS_SCN_FILE_BYTES_MAX);
                goto out_free_buf;
            }
            cap *= 2;
            buf = fs_xrealloc(buf, cap);
        }
        size_t got = fread(buf + len, 1, cap - len, fp);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(fp)) {
        err = fs_diag_set(diag, FS_EIO, path, 0, 0, "cannot read: %s",
                          strerror(errno));
        goto out_free_buf;
    }
    fclose(fp);
    *out = buf;
    *out_len = len;
    return 0;

out_free_buf:
    fs_free(buf);
    fclose(fp);
    return err;
}

/* Load the scenario file at path with parameters. See scn.h. */
int
fs_scn_load_params(const char *path, const struct fs_scn_param *params,
                   size_t nparams, struct fs_scn **out, struct fs_diag *diag)
{
    struct fs_diag local;
    char *text = NULL;
    size_t len = 0;
    int err = read_file(path, &text, &len, diag ? diag : &local);
    if (err != 0)
        return err;
    err = load_text(path, text, len, params, nparams, out, diag);
    fs_free(text);
    return err;
}

/* Load the scenario file at path. See scn.h. */
int
fs_scn_load(const char *path, struct fs_scn **out, struct fs_diag *diag)
{
    return fs_scn_load_params(path, NULL, 0, out, diag);
}

/* Free scn and its arena. */
void
fs_scn_destroy(struct fs_scn *scn)
{
    if (scn == NULL)
        return;
    fs_arena_fini(&scn->arena);
    fs_free(scn);
}

/* Look an image up by id. */
const struct fs_scn_image *
fs_scn_image_find(const struct fs_scn *scn, const char *id)
{
    return fs__scn_table_get(&scn->names->images, id);
}

/* Look a group up by name (listed or implied by a cohort). */
const struct fs_scn_group *
fs_scn_group_find(const struct fs_scn *scn, const char *name)
{
    return fs__scn_table_get(&scn->names->groups, name);
}

/* Look a product up by name. */
const struct fs_scn_product *
fs_scn_product_find(const struct fs_scn *scn, const char *name)
{
    return fs__scn_table_get(&scn->names->products, name);
}

/* Look a deploy action up by its id. */
const struct fs_scn_action *
fs_scn_deploy_find(const struct fs_scn *scn, const char *id)
{
    return fs__scn_table_get(&scn->names->deploys, id);
}

/* Total devices in the fleet. */
uint64_t
fs_scn_device_count(const struct fs_scn *scn)
{
    return scn->ndevices;
}

/* True when defence d is on in the scenario's defence set. */
bool
fs_scn_defense_on(const struct fs_scn *scn, enum fs_defense d)
{
    return fs_defense_on(scn->defenses, d);
}
