/*
 * sim/attack/attack_int.h - the attacker's private structures, shared by
 * sim/attack/attack*.c.
 *
 * Owns: struct fs_attack, one struct atk_action per timeline attack or
 * fault action, and one struct atk_target per device an action aims at.
 * Invariants: every array is sized in fs_attack_create and never grows;
 * targets of an action are sorted by device id; a target's timer is an
 * engine event id, 0 when none is pending; an attempt counts attempted
 * once and then blocked or succeeded at most once (fs__attack_end).
 * Does not: get included outside sim/attack/attack*.c.
 * Layering: like sim/run/run.c, the attacker sits at the top of the stack and
 * may include the device headers and service.h; it changes the model only
 * through their public functions (a device from outside: physical.h).
 */
#ifndef FLEETSIM_ATTACK_INT_H
#define FLEETSIM_ATTACK_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetsim/attack.h"
#include "fleetsim/firewall.h"
#include "fleetsim/fleet.h"
#include "fleetsim/keystore.h"
#include "fleetsim/net.h"
#include "fleetsim/physical.h"
#include "fleetsim/slots.h"
#include "fleetsim/update.h"
#include "fleetsim/msg.h"
#include "fleetsim/rng.h"
#include "fleetsim/scn.h"
#include "fleetsim/attest.h"
#include "fleetsim/service.h"
#include "fleetsim/upload.h"
#include "fleetsim/sim.h"

#define ATK_US_PER_S INT64_C(1000000)
/* The attacker's own exchanges: answer timeout, tries, retry spacing. */
#define ATK_ANSWER_TIMEOUT_US (120 * ATK_US_PER_S)
#define ATK_TRIES_MAX 3u
#define ATK_RETRY_US (60 * ATK_US_PER_S)
/* malicious_flash: how often and how long to watch the reboot. */
#define ATK_POLL_US (5 * ATK_US_PER_S)
#define ATK_POLLS_MAX 120u
/* checkin_flood: HELLOs are sent in batches this far apart. */
#define ATK_FLOOD_TICK_US (10 * INT64_C(1000))
/* Offset of per-target payload draws in an action's stream. */
#define ATK_PAYLOAD_COUNTER (UINT64_C(1) << 40)

/* Where one target's attempt stands. */
enum atk_phase {
    ATK_IDLE = 0,       /* not attempted yet */
    ATK_WAIT_RECORD,    /* replay: fired, waiting for evidence to copy */
    ATK_WAIT_CHALLENGE, /* our HELLO is out */
    ATK_WAIT_ANSWER,    /* our EVIDENCE is out */
    ATK_WAIT_BOOT,      /* malicious_flash: watching the reboot */
    ATK_ACTIVE,         /* a fault holds this target (network outage) */
    ATK_DONE,           /* ended */
    ATK_WAIT_CHECKIN,   /* update path: fired, waiting for a check-in */
    ATK_WAIT_META,      /* update path: CERT seen, METADATA may follow */
    ATK_HOLD,           /* freeze: withholding metadata until it expires */
    ATK_DELIVER         /* update path: the attacker's offer is out */
};

/* Update path: slow_retrieval sends this much every ATK_TRICKLE_US. */
#define ATK_TRICKLE_BYTES 16u
#define ATK_TRICKLE_US (4 * ATK_US_PER_S)
/* endless_data: bytes added past the declared length. */
#define ATK_ENDLESS_BYTES (256u * 1024u)

/* Update path: what the attacker delivers to one target. */
struct atk_upd {
    struct fs_update_record rec;       /* freeze: the newest record the
                                          device accepted (replayed);
                                          leaked: obtained */
    struct fs_signed_manifest sm;      /* the manifest that goes with rec */
    struct fs_update_record cand;      /* freeze: newest record sent to the
                                          device, not yet seen accepted */
    struct fs_signed_manifest cand_sm; /* ... its manifest */
    bool cand_have;                    /* freeze: cand holds something */
    struct fs_msg *held; /* slow_retrieval: chunk being trickled */
    uint32_t image;      /* image of the manifest delivered */
    uint32_t rec_image;  /* image the delivered record names */
    uint64_t length;     /* declared length of image */
    int64_t start_us;    /* slow_retrieval: trickle began */
    bool have;           /* rec and sm hold something */
    bool revoked_seen;   /* leaked_key: told the key is revoked */
    bool flipped;        /* tamper_in_transit: bits flipped */
    bool trickle;        /* slow_retrieval: still trickling */
};

struct atk_action;

/* One device an action aims at. */
struct atk_target {
    struct atk_action *act; /* owning action */
    uint32_t device;        /* device id */
    uint32_t index;         /* position in act->targets */
    uint8_t phase;          /* enum atk_phase */
    uint8_t tries;          /* exchanges started (replay, clone) */
    uint8_t slot_ab;        /* malicious_flash: slot written (0 A, 1 B) */
    bool have_rec;          /* replay: rec holds copied evidence */
    uint32_t image;         /* malicious_flash: image in that slot */
    uint32_t polls;         /* malicious_flash: reboot polls made */
    uint64_t t_timer;       /* pending event id, 0 when none */
};

/* State of a checkin_flood action. */
struct atk_flood {
    int64_t end_us;      /* flood stops at this time */
    double carry;        /* fractional HELLOs owed to the next tick */
    uint32_t next_id;    /* next bogus device id */
    uint64_t sent;       /* bogus HELLOs sent */
    uint64_t checkins;   /* genuine HELLOs that reached the service */
    uint64_t served;     /* ... answered within the answer timeout */
    uint64_t denied;     /* ... not answered in time */
    int64_t *pending_us; /* per device: HELLO arrival, -1 none */
    uint64_t t_tick;     /* pending tick event id */
};

/* One attack or fault action of the timeline. */
struct atk_action {
    struct fs_attack *a;             /* the attacker */
    const struct fs_scn_action *act; /* the scenario's action */
    bool is_fault;                   /* fault, not attack */
    unsigned kind;                   /* attack or fault kind */
    bool fired;                      /* its time has come */
    bool ended;                      /* outage over / flood judged */
    struct fs_rng rng;               /* action stream (FS_RNG_ATTACK) */
    uint32_t ntargets;               /* entries of targets */
    struct atk_target *targets;      /* sorted by device id */
    struct fs_evidence *rec;         /* replay: per target, or NULL */
    struct atk_flood *flood;         /* checkin_flood, or NULL */
    struct atk_upd *upd;             /* update path: per target */
    uint64_t t_end;                  /* outage end event id */
};

struct fs_attack {
    struct fs_attack_env env;         /* collaborators */
    uint32_t nacts;                   /* = scn->nactions */
    struct atk_action *acts;          /* by scn->actions index; kind-less
                                         entries have act == NULL */
    uint32_t *watch;                  /* indexes of replay actions */
    uint32_t nwatch;                  /* entries of watch */
    uint32_t *floods;                 /* indexes of flood actions */
    uint32_t nfloods;                 /* entries of floods */
    uint32_t *upds;                   /* indexes of update-path actions */
    uint32_t nupds;                   /* entries of upds */
    uint8_t *offline_holds;           /* per device: outages holding it */
    uint32_t svc_down;                /* service outages in effect */
    uint32_t series[FS_ATK_COUNT][4]; /* attacks{kind, outcome}, lazily */
    bool finished;                    /* undecided attempts counted */
    struct fs_attack_totals totals[FS_ATK_COUNT]; /* per kind */
    uint64_t dropped_outage;                      /* messages lost to outages */
};

/* sim/attack/attack.c */
void fs__attack_attempt(struct fs_attack *a, unsigned kind, uint32_t device);
void fs__attack_end(struct fs_attack *a, unsigned kind, uint32_t device,
                    bool succeeded);
struct atk_target *fs__attack_find(struct atk_action *ac, uint32_t device);
void fs__attack_timer(struct atk_target *t, int64_t delay_us, fs_event_fn *fn);
void fs__attack_payload_rng(const struct atk_action *ac,
                            const struct atk_target *t, struct fs_rng *out);
struct fs_msg *fs__attack_msg(struct fs_attack *a, uint8_t kind,
                              uint32_t device);

/* sim/attack/attack_attest.c: replay_attestation and clone_identity */
void fs__attack_attest_fire(struct atk_action *ac);
void fs__attack_attest_watch(struct fs_attack *a, const struct fs_msg *m);
void fs__attack_attest_answer(struct fs_attack *a, struct fs_msg *m);

/* sim/attack/attack_local.c: attacks and faults on the devices themselves */
void fs__attack_flash_fire(struct atk_action *ac);
void fs__attack_app_fire(struct atk_action *ac);
void fs__attack_rot_fire(struct atk_action *ac);
void fs__attack_netout_fire(struct atk_action *ac);
void fs__attack_power_fire(struct atk_action *ac);

/* sim/attack/attack_flood.c: the service side: floods and outages */
void fs__attack_flood_fire(struct atk_action *ac);
void fs__attack_svcout_fire(struct atk_action *ac);
void fs__attack_flood_saw_hello(struct fs_attack *a, const struct fs_msg *m);
bool fs__attack_service_answer(struct fs_attack *a, struct fs_msg *m);

/* sim/attack/attack_pick.c: what the update-path attacker delivers */
void fs__attack_garbage(const struct atk_target *t, unsigned char *buf,
                        size_t n);
void fs__attack_sign_foreign(const struct atk_target *t,
                             struct fs_signed_manifest *sm);
const struct fs_manifest *fs__attack_man(const struct fs_attack *a,
                                         uint32_t img);
enum fs_image_kind fs__attack_aim_kind(const struct atk_action *ac);
bool fs__attack_runs(const struct fs_attack *a, uint32_t device, uint32_t img);
uint32_t fs__attack_running_of(const struct fs_attack *a, uint32_t device,
                               enum fs_image_kind kind);
bool fs__attack_newer(const struct fs_attack *a, uint32_t device, uint32_t img);
uint32_t fs__attack_newest_newer(const struct fs_attack *a, uint32_t device,
                                 enum fs_image_kind kind);
uint32_t fs__attack_forge_image(const struct atk_target *t);
void fs__attack_forge(const struct atk_target *t, uint32_t img,
                      struct fs_update_record *rec,
                      struct fs_signed_manifest *sm);
bool fs__attack_fetch(const struct fs_attack *a, uint32_t img, uint32_t product,
                      uint32_t group, struct fs_update_record *rec,
                      struct fs_signed_manifest *sm);
bool fs__attack_mix_pick(const struct atk_target *t,
                         struct fs_update_record *rec,
                         struct fs_signed_manifest *sm);
bool fs__attack_ride_pick(const struct atk_target *t, const struct fs_msg *m,
                          struct fs_update_record *rec,
                          struct fs_signed_manifest *sm);

/* sim/attack/attack_update.c: the attacks on the update path */
bool fs__attack_is_update_kind(unsigned kind);
void fs__attack_upd_setup(struct atk_action *ac);
void fs__attack_upd_fire(struct atk_action *ac);
bool fs__attack_upd_to_device(struct fs_attack *a, struct fs_msg *m);
void fs__attack_upd_to_svc(struct fs_attack *a, const struct fs_msg *m);
void fs__attack_upd_destroy(struct atk_action *ac);

#endif
