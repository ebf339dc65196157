/*
 * device/firewall.c - the per-core peripheral and network firewalls.
 *
 * Owns: each device's peripheral owner map (peripheral -> owning core),
 * built at every boot from the manifests of the apps that booted; the
 * decision whether code on a core may touch a peripheral (only its owner,
 * in a mode its app's manifest claims) or connect to a host; the
 * peripheral_conflict rule of app updates; the counting of every check in
 * firewall{kind, result}, and the firewall_violation report (for the app
 * on the core) queued whenever a check blocks.
 * Invariants: a peripheral has at most one owner per device; real-time
 * cores never reach the network, whatever the defences say; a check
 * changes nothing but the counters, the record and, when it blocks, the
 * device's report queue. The map holds 2 bits per peripheral that any
 * catalog app claims (0: no owner, 1 + core), so a device costs
 * ceil(peripherals / 4) bytes.
 * Decisions: peripherals are what the loader's clash rule compares: a
 * GPIO number, a serial unit (uart, i2c and spi share one namespace of
 * ISU blocks, names compared without case) or an ADC entry (without
 * case); a peripheral two booted apps claim (possible only after a
 * fall-back boot: the loader refuses such a cohort) goes to the first in
 * boot order (hl, rt0, rt1); the owner may use a serial unit only in the
 * modes its manifest claims it in.
 * Does not: act on a violation otherwise (attacks are elsewhere).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetsim/firewall.h"
#include "fleetsim/mem.h"
#include "fleetsim/metrics.h"
#include "fleetsim/repq.h"

#include "device_int.h"

/* Peripheral identities: what two claims must share to clash. */
enum fw_block { FWB_GPIO = 0, FWB_SERIAL, FWB_ADC };

/* One peripheral some catalog app claims. */
struct fw_key {
    const char *name; /* serial unit or ADC entry (borrowed); NULL: GPIO */
    uint32_t gpio;    /* GPIO number */
    uint8_t block;    /* enum fw_block */
};

/* One claim of an app manifest: a peripheral and the class it uses. */
struct fw_claim {
    uint32_t key; /* index into keys */
    uint8_t cls;  /* enum fs_periph */
};

/* The fleet's firewall tables. */
struct dev_fw {
    uint32_t nkeys;          /* peripherals any app claims */
    uint32_t stride;         /* owner-map bytes per device */
    struct fw_key *keys;     /* sorted by fw_key_cmp */
    uint32_t *first;         /* claims of image i: first[i] .. first[i+1] */
    struct fw_claim *claims; /* every image's claims, by image */
    uint8_t *owner;          /* ndevs * stride: 2 bits per peripheral */
};

/* Count one firewall check of kind k; blocked checks are also recorded. */
void
fs__fw_count(struct fs_fleet *f, uint32_t id, enum fs_fw_kind k, bool allowed)
{
    fs_metrics_add(f->env.metrics, f->fw_series[k][allowed ? 0 : 1], 1);
    if (!allowed)
        fs__fleet_record(f, FS_REC_DEV_FW_BLOCKED, id, k);
}

/* ---- peripheral identities --------------------------------------------- */

static int
ascii_casecmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        int x = (unsigned char)*a, y = (unsigned char)*b;
        if (x >= 'A' && x <= 'Z')
            x += 'a' - 'A';
        if (y >= 'A' && y <= 'Z')
            y += 'a' - 'A';
        if (x != y || x == 0)
            return x - y;
    }
}

static int
key_cmp(const struct fw_key *a, const struct fw_key *b)
{
    if (a->block != b->block)
        return a->block < b->block ? -1 : 1;
    if (a->block == FWB_GPIO)
        return a->gpio < b->gpio ? -1 : a->gpio > b->gpio;
    return ascii_casecmp(a->name, b->name);
}

static int
key_qcmp(const void *a, const void *b)
{
    return key_cmp(a, b);
}

static enum fw_block
block_of(enum fs_periph cls)
{
    switch (cls) {
    case FS_PERIPH_GPIO:
        return FWB_GPIO;
    case FS_PERIPH_ADC:
        return FWB_ADC;
    case FS_PERIPH_UART:
    case FS_PERIPH_I2C:
    case FS_PERIPH_SPI:
        break;
    }
    return FWB_SERIAL;
}

/* The key of (cls, name) as an access names it; false if malformed. */
static bool
probe_key(enum fs_periph cls, const char *name, struct fw_key *k)
{
    k->block = (uint8_t)block_of(cls);
    k->name = name;
    k->gpio = 0;
    if (k->block != FWB_GPIO)
        return name != NULL && name[0] != '\0';
    if (name == NULL || name[0] == '\0')
        return false;
    for (const char *p = name; *p; p++) {
        if (*p < '0' || *p > '9' || k->gpio > 65535)
            return false;
        k->gpio = k->gpio * 10 + (uint32_t)(*p - '0');
    }
    k->name = NULL;
    return k->gpio <= 65535;
}

/* Index of key k in the sorted table, or UINT32_MAX. */
static uint32_t
key_find(const struct dev_fw *fw, const struct fw_key *k)
{
    uint32_t lo = 0, hi = fw->nkeys;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = key_cmp(k, &fw->keys[mid]);
        if (c == 0)
            return mid;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return UINT32_MAX;
}

/* Call fn(ctx, key, cls) for every claim of caps, in manifest order. */
static void
caps_each(const struct fs_app_caps *caps,
          void (*fn)(void *ctx, const struct fw_key *k, enum fs_periph cls),
          void *ctx)
{
    for (uint32_t i = 0; i < caps->ngpio; i++) {
        struct fw_key k = {NULL, caps->gpio[i], FWB_GPIO};
        fn(ctx, &k, FS_PERIPH_GPIO);
    }
    const struct fs_name_list *l[4] = {&caps->uart, &caps->i2c, &caps->spi,
                                       &caps->adc};
    static const enum fs_periph cl[4] = {FS_PERIPH_UART, FS_PERIPH_I2C,
                                         FS_PERIPH_SPI, FS_PERIPH_ADC};
    for (unsigned j = 0; j < 4; j++)
        for (uint32_t i = 0; i < l[j]->count; i++) {
            struct fw_key k = {l[j]->items[i], 0, (uint8_t)block_of(cl[j])};
            fn(ctx, &k, cl[j]);
        }
}

/* Builder state of fs__fw_init. */
struct fw_build {
    struct dev_fw *fw;
    uint32_t n; /* entries written */
};

static void
count_claim(void *ctx, const struct fw_key *k, enum fs_periph cls)
{
    (void)k;
    (void)cls;
    ((struct fw_build *)ctx)->n++;
}

static void
collect_key(void *ctx, const struct fw_key *k, enum fs_periph cls)
{
    struct fw_build *b = ctx;
    (void)cls;
    b->fw->keys[b->n++] = *k;
}

static void
index_claim(void *ctx, const struct fw_key *k, enum fs_periph cls)
{
    struct fw_build *b = ctx;
    uint32_t key = key_find(b->fw, k);
    FS_ASSERT(key != UINT32_MAX);
    b->fw->claims[b->n++] = (struct fw_claim){key, (uint8_t)cls};
}

/*
 * Build the peripheral table from every catalog image's manifest and an
 * empty owner map per device (no owner until the first boot).
 */
void
fs__fw_init(struct fs_fleet *f)
{
    const struct fs_fleet_config *cfg = f->cfg;
    struct dev_fw *fw = fs_xcalloc(1, sizeof(*fw));
    struct fw_build b = {fw, 0};
    for (uint32_t i = 0; i < cfg->nimages; i++)
        caps_each(&cfg->images[i].caps, count_claim, &b);
    uint32_t nclaims = b.n;
    fw->keys = fs_xcalloc(nclaims ? nclaims : 1, sizeof(*fw->keys));
    fw->claims = fs_xcalloc(nclaims ? nclaims : 1, sizeof(*fw->claims));
    fw->first = fs_xcalloc((size_t)cfg->nimages + 1, sizeof(*fw->first));
    b.n = 0;
    for (uint32_t i = 0; i < cfg->nimages; i++)
        caps_each(&cfg->images[i].caps, collect_key, &b);
    qsort(fw->keys, nclaims, sizeof(*fw->keys), key_qcmp);
    uint32_t nkeys = 0;
    for (uint32_t i = 0; i < nclaims; i++)
        if (nkeys == 0 || key_cmp(&fw->keys[nkeys - 1], &fw->keys[i]) != 0)
            fw->keys[nkeys++] = fw->keys[i];
    fw->nkeys = nkeys;
    b.n = 0;
    for (uint32_t i = 0; i < cfg->nimages; i++) {
        fw->first[i] = b.n;
        caps_each(&cfg->images[i].caps, index_claim, &b);
    }
    fw->first[cfg->nimages] = b.n;
    fw->stride = (nkeys + 3) / 4;
    size_t bytes = (size_t)f->ndevs * fw->stride;
    fw->owner = fs_xcalloc(bytes ? bytes : 1, 1);
    f->fw = fw;
}

/* Free the firewall tables. */
void
fs__fw_fini(struct fs_fleet *f)
{
    struct dev_fw *fw = f->fw;
    if (fw == NULL)
        return;
    fs_free(fw->owner);
    fs_free(fw->first);
    fs_free(fw->claims);
    fs_free(fw->keys);
    fs_free(fw);
    f->fw = NULL;
}

/* Bytes the firewall tables hold. */
size_t
fs__fw_bytes(const struct fs_fleet *f)
{
    const struct dev_fw *fw = f->fw;
    size_t nclaims = fw->first[f->cfg->nimages];
    return sizeof(*fw) + (size_t)fw->nkeys * sizeof(*fw->keys) +
           nclaims * sizeof(*fw->claims) +
           ((size_t)f->cfg->nimages + 1) * sizeof(*fw->first) +
           (size_t)f->ndevs * fw->stride;
}

/* ---- the owner map --------------------------------------------------------
 */

/* Owner of peripheral key on device id: 1 + core, 0 for none. */
static unsigned
owner_of(const struct dev_fw *fw, uint32_t id, uint32_t key)
{
    const uint8_t *row = fw->owner + (size_t)id * fw->stride;
    return (row[key / 4] >> (key % 4 * 2)) & 3u;
}

static void
set_owner(struct dev_fw *fw, uint32_t id, uint32_t key, unsigned v)
{
    uint8_t *row = fw->owner + (size_t)id * fw->stride;
    unsigned sh = key % 4 * 2;
    row[key / 4] = (uint8_t)((row[key / 4] & ~(3u << sh)) | (v << sh));
}

/*
 * The boot chain finished: give each peripheral to the first core (hl,
 * rt0, rt1) whose booted app claims it. A device left without code (in
 * recovery) owns nothing.
 */
void
fs__fw_boot(struct fs_fleet *f, uint32_t id)
{
    struct dev_fw *fw = f->fw;
    memset(fw->owner + (size_t)id * fw->stride, 0, fw->stride);
    const struct fs_dev *d = &f->devs[id];
    for (unsigned c = 0; c < FS_APPS_MAX; c++) {
        uint32_t app = fs__fleet_running_app(f, d, c);
        if (app == FS_NO_IMAGE)
            continue;
        for (uint32_t i = fw->first[app]; i < fw->first[app + 1]; i++)
            if (owner_of(fw, id, fw->claims[i].key) == 0)
                set_owner(fw, id, fw->claims[i].key, c + 1);
    }
}

/*
 * Would app image img, installed on the core its manifest names, claim a
 * peripheral that another core's app holds on device id now?
 */
bool
fs__fw_conflict(const struct fs_fleet *f, uint32_t id, uint32_t img)
{
    const struct dev_fw *fw = f->fw;
    FS_ASSERT(img < f->cfg->nimages);
    unsigned mine = (unsigned)fs__fleet_image(f, img)->caps.core + 1;
    for (uint32_t i = fw->first[img]; i < fw->first[img + 1]; i++) {
        unsigned o = owner_of(fw, id, fw->claims[i].key);
        if (o != 0 && o != mine)
            return true;
    }
    return false;
}

/* Does image img's manifest claim peripheral key in class cls? */
static bool
claims(const struct dev_fw *fw, uint32_t img, uint32_t key, enum fs_periph cls)
{
    for (uint32_t i = fw->first[img]; i < fw->first[img + 1]; i++)
        if (fw->claims[i].key == key && fw->claims[i].cls == cls)
            return true;
    return false;
}

static bool
strlist_has(const struct fs_name_list *l, const char *name)
{
    for (uint32_t i = 0; i < l->count; i++)
        if (strcmp(l->items[i], name) == 0)
            return true;
    return false;
}

/* Count one check; a blocked one is recorded and reported as the OS would. */
static bool
fw_decide(struct fs_fleet *f, uint32_t device, enum fs_fw_kind k, uint32_t app,
          bool ok)
{
    fs__fw_count(f, device, k, ok);
    if (!ok)
        fs_repq_add(f, device, FS_REP_FIREWALL_VIOLATION, app);
    return ok;
}

/* Peripheral access check; see firewall.h. */
bool
fs_fw_peripheral(struct fs_fleet *f, uint32_t device, unsigned core,
                 enum fs_periph cls, const char *name)
{
    FS_ASSERT(device < f->ndevs);
    const struct dev_fw *fw = f->fw;
    bool ok = false;
    uint32_t img = FS_NO_IMAGE;
    if (core < FS_APPS_MAX) {
        img = fs__fleet_running_app(f, &f->devs[device], core);
        struct fw_key k;
        uint32_t key = probe_key(cls, name, &k) ? key_find(fw, &k) : UINT32_MAX;
        ok = key != UINT32_MAX && img != FS_NO_IMAGE &&
             owner_of(fw, device, key) == core + 1 && claims(fw, img, key, cls);
    }
    if (!fs__fleet_defense_on(f, FS_DEF_PERIPHERAL_FIREWALL))
        ok = true;
    return fw_decide(f, device, FS_FW_PERIPHERAL, img, ok);
}

/* Network connect check; see firewall.h. */
bool
fs_fw_connect(struct fs_fleet *f, uint32_t device, unsigned core,
              const char *host)
{
    FS_ASSERT(device < f->ndevs);
    bool ok = false;
    uint32_t img = core < FS_APPS_MAX
                       ? fs__fleet_running_app(f, &f->devs[device], core)
                       : FS_NO_IMAGE;
    if (core == FS_CORE_HL) {
        ok = img != FS_NO_IMAGE &&
             strlist_has(&fs__fleet_image(f, img)->caps.allowed_hosts, host);
        if (!fs__fleet_defense_on(f, FS_DEF_NETWORK_FIREWALL))
            ok = true;
    }
    return fw_decide(f, device, FS_FW_NETWORK, img, ok);
}
