/*
 * include/fleetsim/rollout.h - deployments: targets, waves, gates, halts.
 *
 * Owns: adding a deployment to the service (struct fs_deploy_config), its
 * id, starting, resuming and cancelling it, describing it, and the
 * rollout_time metric source.
 * Invariants: a deployment's id is the order it was added in (0, 1, ...)
 * and names it in records, messages and fleet.db; its targets and waves
 * are fixed when it is added (so a start allocates nothing); states go
 * pending -> running -> halted / completed / cancelled; every state
 * change is a canonical record.
 * Does not: know where a deployment came from (the runner keeps the
 * timeline's actions), or serve downloads (download.h).
 */
#ifndef FLEETSIM_ROLLOUT_H
#define FLEETSIM_ROLLOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "fleetsim/config.h"
#include "fleetsim/units.h"

struct fs_svc;

/* Why a deployment halted (FS_REC_SVC_HALT value). */
#define FS_HALT_ERROR_RATE 1
#define FS_HALT_FAILURE_RATE 2

/*
 * A deployment as it is added. Targets are the devices whose group takes
 * the image (policy), of the image's product for an app, on feed for an
 * OS image (FS_FEED_NONE: any feed), in groups to (nto 0: any group).
 * to and waves are read during fs_rollout_add only; id is borrowed and
 * must outlive the service.
 */
struct fs_deploy_config {
    const char *id;                 /* unique among deployments */
    uint32_t image;                 /* catalog index of the image offered */
    uint32_t nto;                   /* entries of to; 0: every group */
    const uint32_t *to;             /* target group indexes */
    enum fs_feed feed;              /* OS feed of the targets, or NONE */
    uint32_t nwaves;                /* entries of waves; 0: one wave of all */
    const struct fs_share *waves;   /* cumulative shares of the targets */
    int64_t wave_interval_us;       /* least time between wave openings */
    uint32_t advance_when_ppm;      /* share of a wave confirmed to go on */
    bool has_halt_error_rate;       /* halt on the error-report share */
    uint32_t halt_error_rate_ppm;   /* share of offered sending errors */
    bool has_halt_failure_rate;     /* halt on the failure share */
    uint32_t halt_failure_rate_ppm; /* share of offered failing */
    uint32_t halt_min_devices;      /* judge rates from this many offered */
    /* per wave (nwaves entries, or NULL): the group index of a group
       wave, UINT32_MAX for a share wave; read during fs_rollout_add */
    const uint32_t *wave_group;
    bool has_after;   /* after given: */
    uint32_t after;   /* start only once this deployment completed */
    uint32_t retries; /* more offers to a target that failed */
};

/* A deployment as the service sees it (fs_rollout_info). */
struct fs_rollout_info {
    uint32_t index;                 /* deployment id (records) */
    const char *state;              /* rollout_state value */
    uint32_t wave;                  /* waves opened (rollout_wave) */
    uint32_t nwaves;                /* waves of the deploy */
    const uint32_t *bound;          /* cumulative rank bound per wave */
    uint32_t targets;               /* target devices */
    uint32_t offered;               /* targets offered so far */
    uint32_t confirmed;             /* targets confirmed (or already on it) */
    uint32_t errors;                /* offered targets that sent errors */
    uint32_t failures;              /* offered targets failed/rolled back */
    int64_t start_us;               /* start time, -1 while pending */
    const int64_t *opened_us;       /* per wave: when it opened, or -1 */
    const uint32_t *wave_confirmed; /* per wave: targets confirmed */
};

/*
 * Add the deployment cfg, pending: fix its targets (their seeded order,
 * stream FS_RNG_ROLLOUT of id UINT32_MAX - 1 - deployment id) and waves,
 * and create its rollout_state / rollout_wave series. Writes its id to
 * *out_id. Returns 0, or FS_EINVAL for an image outside the catalog, a
 * group index out of range or an id already used.
 */
int fs_rollout_add(struct fs_svc *s, const struct fs_deploy_config *cfg,
                   uint32_t *out_id);
/* The id of the deployment called id, or UINT32_MAX. */
uint32_t fs_rollout_find(const struct fs_svc *s, const char *id);

/*
 * Start deployment deploy now: open its first wave, rollout_state
 * running. A deployment that is not pending is left alone. One with an
 * `after` that has not completed stays pending and starts when that one
 * completes (never, if it is cancelled). Returns 0 or FS_ENOENT for an
 * unknown id (likewise resume and cancel).
 */
int fs_rollout_start(struct fs_svc *s, uint32_t deploy);
/* Reopen a halted deployment (resume); others are left alone. */
int fs_rollout_resume(struct fs_svc *s, uint32_t deploy);
/* Stop offering a deployment (cancel) unless completed or cancelled. */
int fs_rollout_cancel(struct fs_svc *s, uint32_t deploy);

/*
 * Describe the deployment called id into *out (borrowed pointers stay valid
 * while s lives). Returns 0 or FS_ENOENT.
 */
int fs_rollout_info(const struct fs_svc *s, const char *id,
                    struct fs_rollout_info *out);

/*
 * rollout_time: the duration from the start of deployment id until
 * share_ppm of its targets confirmed (by the devices' reported times), or
 * INT64_MAX when not reached or not started. Returns 0 or FS_ENOENT. It is
 * installed as the metrics' rollout_time source by fs_svc_create.
 */
int fs_rollout_time(void *svc, const char *id, uint32_t share_ppm,
                    int64_t *out_us);

#endif
