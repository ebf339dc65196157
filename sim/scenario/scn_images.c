/*
 * sim/scenario/scn_images.c - the images section: OS and app images, app
 * manifests (capabilities), signers, and version numbers.
 *
 * Owns: struct fs_scn_image filling, fs_version_parse/cmp, and the
 * signer table ("oem" plus every image's signer).
 * Invariants: image ids are unique; app-only keys appear only on apps; an
 * app names an existing product; security_version is left 0 here when not
 * written (scn_check.c ranks it).
 * Does not: sign anything or check sizes against flash (that is the
 * runtime's no_space outcome).
 */
#include <string.h>

#include "fleetsim/err.h"
#include "scn_int.h"

enum cap_key {
    CAP_CORE,
    CAP_GPIO,
    CAP_UART,
    CAP_I2C,
    CAP_SPI,
    CAP_ADC,
    CAP_HOSTS,
    CAP_COUNT
};

static int
load_gpio(struct fs__scn_ld *ld, const struct fs__scn_node *n,
          struct fs_scn_caps *c)
{
    uint32_t count;
    int err = fs__scn_seq(ld, n, "gpio", FS_SCN_LIST_MAX, &count);
    if (err != 0)
        return err;
    c->ngpio = count;
    c->gpio = fs_arena_alloc(ld->arena, count * sizeof(*c->gpio));
    c->gpio_pos = fs_arena_alloc(ld->arena, count * sizeof(*c->gpio_pos));
    uint32_t i = 0;
    for (const struct fs__scn_node *e = count ? n->head : NULL; e;
         e = e->next, i++) {
        uint64_t g;
        err = fs__scn_uint(ld, e, "gpio", 0, 65535, &g);
        if (err != 0)
            return err;
        c->gpio[i] = (uint32_t)g;
        c->gpio_pos[i] = fs__scn_pos(ld, e);
    }
    return 0;
}

static int
load_caps(struct fs__scn_ld *ld, const struct fs__scn_node *n,
          struct fs_scn_caps *c)
{
    static const char *const keys[CAP_COUNT] = {
        "core", "gpio", "uart", "i2c", "spi", "adc", "allowed_hosts"};
    static const char *const cores[] = {"hl", "rt0", "rt1"};
    const struct fs__scn_node *v[CAP_COUNT];
    int err = fs__scn_map_keys(ld, n, "capabilities", keys, CAP_COUNT, v);
    if (err != 0)
        return err;
    int core = 0;
    if (v[CAP_CORE] != NULL)
        err = fs__scn_enum(ld, v[CAP_CORE], "core", cores, 3, &core);
    c->core = (enum fs_core)core;
    if (err == 0 && v[CAP_GPIO] != NULL)
        err = load_gpio(ld, v[CAP_GPIO], c);
    struct fs_scn_strlist *lists[] = {&c->uart, &c->i2c, &c->spi, &c->adc,
                                      &c->allowed_hosts};
    for (int k = CAP_UART; err == 0 && k < CAP_COUNT; k++)
        if (v[k] != NULL)
            err = fs__scn_strlist(ld, v[k], keys[k], lists[k - CAP_UART]);
    return err;
}

enum img_key {
    IMG_ID,
    IMG_KIND,
    IMG_VERSION,
    IMG_SECURITY_VERSION,
    IMG_SIZE,
    IMG_CRASH_RATE,
    IMG_NAME, /* app-only keys from here on */
    IMG_PRODUCT,
    IMG_SIGNER,
    IMG_CAPABILITIES,
    IMG_TELEMETRY,
    IMG_COUNT
};

static const char *const img_keys[IMG_COUNT] = {
    "id",   "kind",    "version", "security_version", "size",      "crash_rate",
    "name", "product", "signer",  "capabilities",     "telemetry",
};

static int
load_app(struct fs__scn_ld *ld, const struct fs__scn_node *n,
         const struct fs__scn_node **v, struct fs_scn_image *img)
{
    void *ref;
    int err = fs__scn_require(ld, n, "an app image", "name", v[IMG_NAME]);
    if (err == 0)
        err = fs__scn_name(ld, v[IMG_NAME], "name", &img->name);
    if (err == 0)
        err = fs__scn_require(ld, n, "an app image", "product", v[IMG_PRODUCT]);
    if (err == 0)
        err = fs__scn_ref(ld, v[IMG_PRODUCT], "product",
                          &ld->scn->names->products, "product", &ref);
    if (err != 0)
        return err;
    img->product = ref;
    img->signer = "oem";
    if (v[IMG_SIGNER] != NULL)
        err = fs__scn_name(ld, v[IMG_SIGNER], "signer", &img->signer);
    if (err == 0 && v[IMG_CAPABILITIES] != NULL)
        err = load_caps(ld, v[IMG_CAPABILITIES], &img->caps);
    if (err == 0 && v[IMG_TELEMETRY] != NULL)
        err = fs__scn_rate(ld, v[IMG_TELEMETRY], "telemetry", "hd",
                           &img->telemetry_per_us);
    if (err == 0 && img->telemetry_per_us > FS_SCN_DEVICE_RATE_MAX_PER_S / 1e6)
        err = fs__scn_err(ld, v[IMG_TELEMETRY],
                          "'telemetry': at most 1 per second per device "
                          "(3600/h) is supported");
    if (err != 0)
        return err;
    struct fs__scn_table *signers = &ld->scn->names->signers;
    if (fs__scn_table_put(ld->arena, signers, img->signer,
                          (void *)img->signer)) {
        if (ld->scn->nsigners >= FS_SCN_SIGNERS_MAX)
            return fs__scn_err(ld, v[IMG_SIGNER],
                               "too many signer names: at most %u",
                               FS_SCN_SIGNERS_MAX);
        ld->scn->signers[ld->scn->nsigners++] = img->signer;
    }
    return 0;
}

static int
load_kind(struct fs__scn_ld *ld, const struct fs__scn_node **v,
          struct fs_scn_image *img)
{
    static const char *const kinds[] = {"os", "app"};
    int kind = 0;
    if (v[IMG_KIND] != NULL) {
        int err = fs__scn_enum(ld, v[IMG_KIND], "kind", kinds, 2, &kind);
        if (err != 0)
            return err;
    }
    img->kind = (enum fs_image_kind)kind;
    if (img->kind == FS_IMAGE_APP)
        return 0;
    for (int k = IMG_NAME; k < IMG_COUNT; k++) {
        if (v[k] == NULL)
            continue;
        const struct fs__scn_node *key = v[k]; /* value; key sits before */
        return fs__scn_err(ld, key,
                           "'%s' applies to app images only, and "
                           "image '%s' has kind os (add kind: app)",
                           img_keys[k], img->id);
    }
    return 0;
}

static int
load_image(struct fs__scn_ld *ld, const struct fs__scn_node *n,
           struct fs_scn_image *img)
{
    const char *what = "an image";
    const struct fs__scn_node *v[IMG_COUNT];
    uint64_t sv;
    int err = fs__scn_map_keys(ld, n, what, img_keys, IMG_COUNT, v);
    if (err == 0)
        err = fs__scn_require(ld, n, what, "id", v[IMG_ID]);
    if (err == 0)
        err = fs__scn_name(ld, v[IMG_ID], "id", &img->id);
    if (err == 0)
        err = load_kind(ld, v, img);
    if (err == 0)
        err = fs__scn_require(ld, n, what, "version", v[IMG_VERSION]);
    if (err == 0)
        err = fs__scn_version(ld, v[IMG_VERSION], "version", &img->ver);
    if (err == 0 && v[IMG_SECURITY_VERSION] != NULL) {
        err = fs__scn_uint(ld, v[IMG_SECURITY_VERSION], "security_version", 1,
                           UINT32_MAX, &sv);
        img->security_version = (uint32_t)sv;
        img->security_version_given = true;
    }
    if (err == 0)
        err = fs__scn_require(ld, n, what, "size", v[IMG_SIZE]);
    if (err == 0)
        err = fs__scn_size(ld, v[IMG_SIZE], "size", &img->size_bytes);
    if (err == 0 && img->size_bytes == 0)
        err = fs__scn_err(ld, v[IMG_SIZE],
                          "'size': expected a size above "
                          "zero");
    if (err == 0 && img->size_bytes > FS_SCN_IMAGE_BYTES_MAX)
        err = fs__scn_err(ld, v[IMG_SIZE], "'size': at most 1GiB is supported");
    if (err == 0 && v[IMG_CRASH_RATE] != NULL)
        err = fs__scn_rate(ld, v[IMG_CRASH_RATE], "crash_rate", "hd",
                           &img->crash_per_us);
    if (err == 0 && img->crash_per_us > FS_SCN_DEVICE_RATE_MAX_PER_S / 1e6)
        err = fs__scn_err(ld, v[IMG_CRASH_RATE],
                          "'crash_rate': at most 1 per second per device "
                          "(3600/h) is supported");
    if (err == 0 && img->kind == FS_IMAGE_APP)
        err = load_app(ld, n, v, img);
    if (err != 0)
        return err;
    img->pos = fs__scn_pos(ld, n);
    img->version = v[IMG_VERSION]->text;
    if (!fs__scn_table_put(ld->arena, &ld->scn->names->images, img->id, img))
        return fs__scn_err(ld, v[IMG_ID], "duplicate image id '%s'", img->id);
    return 0;
}

/*
 * Load the images list: at least one OS image, unique ids. Also sets up
 * the signer list with "oem" first.
 */
int
fs__scn_images(struct fs__scn_ld *ld, const struct fs__scn_node *n)
{
    struct fs_scn *scn = ld->scn;
    uint32_t count;
    int err = fs__scn_seq(ld, n, "images", FS_SCN_IMAGES_MAX, &count);
    if (err != 0)
        return err;
    scn->images = fs_arena_alloc(ld->arena, count * sizeof(*scn->images));
    scn->signers =
        fs_arena_alloc(ld->arena, (count + 1) * sizeof(*scn->signers));
    scn->signers[scn->nsigners++] = "oem";
    fs__scn_table_put(ld->arena, &scn->names->signers, "oem", (void *)"oem");
    bool have_os = false;
    for (const struct fs__scn_node *e = count ? n->head : NULL; e;
         e = e->next) {
        struct fs_scn_image *img = &scn->images[scn->nimages];
        img->index = scn->nimages++;
        err = load_image(ld, e, img);
        if (err != 0)
            return err;
        have_os = have_os || img->kind == FS_IMAGE_OS;
    }
    if (!have_os)
        return fs__scn_err(ld, n,
                           "'images': expected at least one image "
                           "of kind os");
    return 0;
}
