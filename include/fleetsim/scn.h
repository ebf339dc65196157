/*
 * include/fleetsim/scn.h - a loaded, validated scenario.
 *
 * Owns: struct fs_scn and everything it points to (one arena), the limits
 * a scenario is checked against, and lookups by name.
 * Invariants: after a successful load every reference is resolved to a
 * pointer into the same struct fs_scn, every default is applied, every
 * limit below holds, and every object carries the file position it came
 * from so later (runtime) errors can cite it. The structure is read-only
 * after loading.
 * Does not: simulate anything, sign images, or print; errors go into a
 * caller-supplied struct fs_diag as FILE:LINE:COLUMN and a message.
 */
#ifndef FLEETSIM_SCN_H
#define FLEETSIM_SCN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetsim/config.h"
#include "fleetsim/crypto.h"
#include "fleetsim/diag.h"
#include "fleetsim/expect.h"
#include "fleetsim/mem.h"
#include "fleetsim/units.h"

/* Documented limits, checked at load (docs/scenario-format.md). */
#define FS_SCN_DEVICES_MAX 10000000u /* devices in the whole fleet */
#define FS_SCN_COHORTS_MAX 10000u    /* fleet entries */
#define FS_SCN_IMAGES_MAX 10000u     /* images */
#define FS_SCN_PRODUCTS_MAX 1000u    /* products */
#define FS_SCN_GROUPS_MAX 1000u      /* groups, listed or implied */
#define FS_SCN_ACTIONS_MAX 200000u   /* timeline entries */
#define FS_SCN_EXPECTS_MAX 10000u    /* expect entries */
#define FS_SCN_LIST_MAX 1000u        /* entries of any inner list or map */
#define FS_SCN_DEPTH_MAX 32          /* YAML nesting levels */
#define FS_SCN_FILE_BYTES_MAX (64u * 1024 * 1024)      /* scenario file size */
#define FS_SCN_IMAGE_BYTES_MAX (1024ull * 1024 * 1024) /* image size */
#define FS_SCN_SIGNERS_MAX 60u /* image signer names (device trust set) */
#define FS_SCN_DEVICE_RATE_MAX_PER_S 1.0 /* crash_rate, telemetry */
#define FS_SCN_FLOOD_RATE_MAX_PER_S 1e7  /* checkin_flood rate */

struct fs_fleet_config;

/* Where something was written: borrowed file name, 1-based line/column. */
struct fs_scn_pos {
    const char *file; /* the scenario's file name (owned by the fs_scn) */
    int line;         /* 1-based line */
    int column;       /* 1-based column */
};

/* The attack kinds of the attack table. */
enum fs_scn_attack_kind {
    FS_ATK_UNSIGNED_IMAGE = 0,
    FS_ATK_FOREIGN_KEY,
    FS_ATK_ROLLBACK,
    FS_ATK_TAMPER_IN_TRANSIT,
    FS_ATK_ENDLESS_DATA,
    FS_ATK_SLOW_RETRIEVAL,
    FS_ATK_FREEZE,
    FS_ATK_MIX_AND_MATCH,
    FS_ATK_REPLAY_ATTESTATION,
    FS_ATK_CLONE_IDENTITY,
    FS_ATK_MALICIOUS_FLASH,
    FS_ATK_COMPROMISED_APP,
    FS_ATK_LEAKED_KEY,
    FS_ATK_CHECKIN_FLOOD,
    FS_ATK_COUNT
};

enum fs_scn_fault_kind {
    FS_FAULT_POWER_LOSS = 0,
    FS_FAULT_NETWORK_OUTAGE,
    FS_FAULT_SERVICE_OUTAGE,
    FS_FAULT_FLASH_CORRUPTION,
    FS_FAULT_COUNT
};

enum fs_scn_slot { FS_SLOT_ACTIVE = 0, FS_SLOT_INACTIVE };

struct fs_scn_product {
    struct fs_scn_pos pos;   /* the mapping */
    uint32_t index;          /* position in fs_scn.products */
    const char *name;        /* unique */
    const char *hardware;    /* "mt3620" */
    uint64_t ram_bytes;      /* 4 MiB for mt3620 */
    uint64_t flash_bytes;    /* 16 MiB for mt3620 */
    uint64_t reserved_bytes; /* 1 MiB: boot code, monitor, keystore */
    enum fs_feed os_feed;    /* default retail */
};

struct fs_scn_group {
    struct fs_scn_pos pos; /* the mapping, or the first cohort using it */
    uint32_t index;        /* position in fs_scn.groups */
    const char *name;      /* unique */
    bool implicit;         /* not listed; created by a cohort's group */
    enum fs_policy policy; /* default update-all */
    enum fs_feed os_feed;  /* FS_FEED_NONE: the product's feed */
};

/* A list of strings with the position of each entry. */
struct fs_scn_strlist {
    uint32_t count;         /* entries */
    const char **items;     /* entries as written (ints as text) */
    struct fs_scn_pos *pos; /* position of each entry */
};

/* An app manifest: what the app may touch. */
struct fs_scn_caps {
    enum fs_core core;                   /* default hl */
    uint32_t ngpio;                      /* entries of gpio */
    uint32_t *gpio;                      /* GPIO numbers */
    struct fs_scn_pos *gpio_pos;         /* position of each gpio entry */
    struct fs_scn_strlist uart;          /* serial units */
    struct fs_scn_strlist i2c;           /* I2C units */
    struct fs_scn_strlist spi;           /* SPI units */
    struct fs_scn_strlist adc;           /* ADC channels or controllers */
    struct fs_scn_strlist allowed_hosts; /* network hosts */
};

struct fs_scn_image {
    struct fs_scn_pos pos;       /* the mapping */
    uint32_t index;              /* position in fs_scn.images */
    const char *id;              /* unique */
    enum fs_image_kind kind;     /* default os */
    const char *version;         /* as written */
    struct fs_version ver;       /* parsed for comparison */
    uint32_t security_version;   /* given, or rank in version order */
    bool security_version_given; /* written in the file */
    uint64_t size_bytes;         /* declared size */
    double crash_per_us;         /* crashes per device-microsecond */
    /* Apps only (NULL / zero for OS images). */
    const char *name;                     /* app name */
    const struct fs_scn_product *product; /* product it is built for */
    const char *signer;                   /* key name; "oem" by default */
    struct fs_scn_caps caps;              /* manifest */
    double telemetry_per_us; /* sensor reports per device-us; 0 none */
};

/* Part name -> share of the cohort whose part degrades. */
struct fs_scn_wear {
    struct fs_scn_pos pos; /* the key */
    const char *part;      /* part name */
    struct fs_share share; /* of the cohort */
};

struct fs_scn_cohort {
    struct fs_scn_pos pos;                /* the mapping */
    uint32_t index;                       /* position in fs_scn.cohorts */
    const struct fs_scn_product *product; /* required */
    uint64_t count;                       /* devices, >= 1 */
    uint64_t first_device;                /* id of its first device */
    const struct fs_scn_group *group;     /* default group "default" */
    const struct fs_scn_image *os;        /* kind os, at manufacture */
    const struct fs_scn_image *app;       /* high-level app, or NULL */
    uint32_t nrt_apps;                    /* entries of rt_apps */
    const struct fs_scn_image **rt_apps;  /* real-time apps */
    uint64_t bandwidth_bps;               /* default 10Mbps */
    int64_t latency_us;                   /* one way, default 50ms */
    uint32_t availability_ppm;            /* default 100% = 1000000 */
    uint32_t nwear;                       /* entries of wear */
    struct fs_scn_wear *wear;             /* in file order */
};

/* Attack or fault targets: a share of the fleet, optionally narrowed. */
struct fs_scn_targets {
    bool given;                           /* targets: was written */
    const struct fs_scn_group *group;     /* NULL: any group */
    const struct fs_scn_product *product; /* NULL: any product */
    struct fs_share share;                /* of the matching devices */
};

enum fs_scn_action_kind {
    FS_ACT_DEPLOY = 0,
    FS_ACT_RESUME,
    FS_ACT_CANCEL,
    FS_ACT_REVOKE_KEY,
    FS_ACT_SET_SERVICE,
    FS_ACT_ATTACK,
    FS_ACT_FAULT,
    FS_ACT_REVOKE_DEVICE /* (1.1) */
};

struct fs_scn_deploy {
    const char *id;                   /* unique among deploys */
    const struct fs_scn_image *image; /* what is offered */
    uint32_t nto;                     /* 0: default targets */
    const struct fs_scn_group **to;   /* target groups */
    enum fs_feed feed;                /* NONE: every feed */
    uint32_t nwaves;                  /* >= 1 */
    struct fs_share *waves;           /* cumulative; default [100%] */
    int64_t wave_interval_us;         /* default 0 */
    uint32_t advance_when_ppm;        /* default 0 */
    bool has_halt_error_rate;         /* halt_if.error_rate given */
    uint32_t halt_error_rate_ppm;     /* share sending error reports */
    bool has_halt_failure_rate;       /* halt_if.failure_rate given */
    uint32_t halt_failure_rate_ppm;   /* share failing / rolling back */
    uint32_t halt_min_devices;        /* halt_if.min_devices; default 1 */
    /* per wave: the group of a {group: G} wave, NULL for a share wave */
    const struct fs_scn_group **wave_group;
    const struct fs_scn_action *after; /* after: this deploy, or NULL */
    uint32_t retries;                  /* more offers after a failure; 1 */
};

struct fs_scn_attack {
    enum fs_scn_attack_kind kind;
    struct fs_scn_targets targets;    /* not for checkin_flood */
    const struct fs_scn_image *image; /* optional; rollback: required */
    const char *signer;               /* optional key name */
    double rate_per_us;               /* checkin_flood: per second/1e6 */
    int64_t for_us;                   /* checkin_flood duration */
};

struct fs_scn_fault {
    enum fs_scn_fault_kind kind;
    struct fs_scn_targets targets; /* not for service_outage */
    enum fs_phase during;          /* power_loss; default any */
    int64_t for_us;                /* outages */
    enum fs_scn_slot slot;         /* flash_corruption; def. active */
};

struct fs_scn_action {
    struct fs_scn_pos pos;        /* the entry's mapping */
    uint32_t file_index;          /* position in the timeline list */
    int64_t at_us;                /* when, from the start */
    enum fs_scn_action_kind kind; /* which member below is valid */
    union {
        struct fs_scn_deploy deploy;        /* FS_ACT_DEPLOY */
        const struct fs_scn_action *target; /* RESUME, CANCEL */
        const char *key;                    /* REVOKE_KEY */
        struct fs_service_config service;   /* SET_SERVICE */
        struct fs_scn_attack attack;        /* FS_ACT_ATTACK */
        struct fs_scn_fault fault;          /* FS_ACT_FAULT */
        struct fs_scn_targets revoke;       /* REVOKE_DEVICE: targets */
    } u;
};

struct fs_scn_expect {
    struct fs_scn_pos pos; /* the expression's position */
    struct fs_expr expr;   /* parsed expression */
    struct fs_scn_pos sel_pos[FS_METRIC_LABELS_MAX]; /* of each label value */
    int64_t at_us;                                   /* -1: end of the run */
};

struct fs_scn_names; /* private lookup tables */

/*
 * One `--set KEY=VALUE`: KEY is a dotted path into the scenario's YAML
 * tree after anchors and merge keys are expanded (`service.egress`,
 * `timeline.0.at`: a number indexes a list), VALUE a plain scalar that
 * replaces the scalar there, or is added as the path's last key to a
 * mapping that exists. Applied before validation, so the value is checked
 * as if written in the file.
 */
struct fs_scn_param {
    const char *key;   /* dotted path */
    const char *value; /* plain scalar text */
};
#define FS_SCN_PARAMS_MAX 64              /* --set options of one run */
#define FS_SCN_PARAM_KEY_BYTES_MAX 256    /* of one KEY */
#define FS_SCN_PARAM_VALUE_BYTES_MAX 1024 /* of one VALUE */

struct fs_scn {
    struct fs_arena arena;            /* owns everything below */
    const char *file;                 /* name used in positions */
    unsigned char file_blake2b[32];   /* BLAKE2b-256 of the loaded bytes */
    const char *name;                 /* scenario: */
    const char *description;          /* "" when absent */
    uint64_t seed;                    /* default 1 */
    int64_t duration_us;              /* > 0, <= FS_SIM_TIME_MAX_US */
    struct fs_service_config service; /* with defaults applied */
    uint32_t defenses;                /* bit (1u << fs_scn_defense) on */
    uint32_t nproducts;
    struct fs_scn_product *products;
    uint32_t ngroups; /* listed, then implied ones */
    struct fs_scn_group *groups;
    uint32_t nimages;
    struct fs_scn_image *images;
    uint32_t ncohorts;
    struct fs_scn_cohort *cohorts;
    uint64_t ndevices; /* sum of cohort counts */
    uint32_t nactions;
    struct fs_scn_action *actions; /* sorted by (at_us, file_index) */
    uint32_t nexpects;
    struct fs_scn_expect *expects; /* file order */
    uint32_t nsigners;
    const char **signers;        /* "oem", then image signers */
    uint32_t nparams;            /* --set options applied */
    struct fs_scn_param *params; /* in command-line order (arena) */
    struct fs_scn_names *names;  /* private */
};

/*
 * Load and validate the scenario at path. On success writes a new
 * scenario to *out (free it with fs_scn_destroy) and returns 0. On failure
 * returns FS_ESCENARIO (or FS_EIO when the file cannot be read), fills diag
 * with FILE:LINE:COLUMN and what was expected, and leaves *out unchanged.
 */
int fs_scn_load(const char *path, struct fs_scn **out, struct fs_diag *diag);

/*
 * As fs_scn_load, for len bytes of text named name (used as the file in
 * positions). text need not be NUL-terminated.
 */
int fs_scn_load_string(const char *name, const char *text, size_t len,
                       struct fs_scn **out, struct fs_diag *diag);

/*
 * As fs_scn_load, with nparams `--set` parameters applied to the parsed
 * tree, in order, before validation (see struct fs_scn_param). A path that
 * names nothing, runs through a scalar, or ends at a mapping or list, and
 * a KEY given twice, are FS_ESCENARIO with a message naming `--set KEY`;
 * so is a validation error at a value a parameter gave. The scenario keeps
 * copies of the parameters (scn->params).
 */
int fs_scn_load_params(const char *path, const struct fs_scn_param *params,
                       size_t nparams, struct fs_scn **out,
                       struct fs_diag *diag);

/* Free scn and everything it owns; NULL is a no-op. */
void fs_scn_destroy(struct fs_scn *scn);

/* Lookups by name; NULL when absent. */
const struct fs_scn_image *fs_scn_image_find(const struct fs_scn *scn,
                                             const char *id);
const struct fs_scn_group *fs_scn_group_find(const struct fs_scn *scn,
                                             const char *name);
const struct fs_scn_product *fs_scn_product_find(const struct fs_scn *scn,
                                                 const char *name);
/* The deploy action with this id, or NULL. */
const struct fs_scn_action *fs_scn_deploy_find(const struct fs_scn *scn,
                                               const char *id);

/* Total devices in the fleet (sum of cohort counts). */
uint64_t fs_scn_device_count(const struct fs_scn *scn);

/* The cohort device id belongs to, or NULL when out of range. O(log n). */
const struct fs_scn_cohort *fs_scn_cohort_of(const struct fs_scn *scn,
                                             uint64_t device);

struct fs_rng;
/*
 * Draw the devices targets tg names (its share of the devices whose
 * cohort matches its group and product), uniformly without replacement
 * from rng, into a new array of ids in increasing order (*out, freed with
 * fs_free; allocated even when empty). Returns how many.
 */
uint32_t fs_scn_targets_pick(const struct fs_scn *scn,
                             const struct fs_scn_targets *tg,
                             struct fs_rng *rng, uint32_t **out);

/*
 * The configuration the device fleet is built from (fleet.h): cohorts,
 * the device facts of each image, trusted signer names, defences and
 * service settings. It borrows scn's strings, so scn must outlive it.
 * Free it with fs_scn_fleet_config_destroy.
 */
struct fs_fleet_config *fs_scn_fleet_config_create(const struct fs_scn *scn);
/* Free a configuration of fs_scn_fleet_config_create; NULL is a no-op. */
void fs_scn_fleet_config_destroy(struct fs_fleet_config *cfg);

struct fs_catalog;

/*
 * Build the image catalog of scn's images and signer names with seed (the
 * run's: scn's own unless overridden) in signature scheme crypto; free it
 * with fs_catalog_destroy. Returns fs_catalog_create's result.
 */
int fs_scn_catalog_create(const struct fs_scn *scn, uint64_t seed,
                          enum fs_crypto_kind crypto, struct fs_catalog **out);

/* True when defence d is on. */
bool fs_scn_defense_on(const struct fs_scn *scn, enum fs_defense d);

/* Names as written in the format; NULL if invalid. */
const char *fs_scn_attack_name(enum fs_scn_attack_kind k);
const char *fs_scn_fault_name(enum fs_scn_fault_kind k);

/* Structural self-check of a loaded scenario (references, limits). */
bool fs_scn_check(const struct fs_scn *scn);

#endif
