/*
 * include/fleetsim/attack.h - the attacker and the fault injector.
 *
 * Owns: carrying out the timeline's attack and fault actions against the
 * model: choosing targets from the seed, crafting bad images, metadata,
 * evidence and accesses, sitting on the network path between devices and
 * the service, and counting every attempt in attacks{kind, outcome}.
 * Invariants: an attempt's outcome is decided by what the model's own
 * checks did with the attacker's input, never by the attack's kind; every
 * attempt ends blocked or succeeded at most once, and one still open when
 * the run ends is counted undecided.
 * Does not: turn defences on or off (scn->defenses does), or change what
 * the device and service check.
 */
#ifndef FLEETSIM_ATTACK_H
#define FLEETSIM_ATTACK_H

#include <stdbool.h>
#include <stdint.h>

struct fs_sim;
struct fs_scn;
struct fs_scn_action;
struct fs_catalog;
struct fs_metrics;
struct fs_msgpool;
struct fs_msg;
struct fs_fleet;
struct fs_svc;

struct fs_attack_env {
    struct fs_sim *sim;         /* engine */
    const struct fs_scn *scn;   /* scenario */
    struct fs_catalog *catalog; /* images and vendor keys */
    struct fs_metrics *metrics; /* registry */
    struct fs_msgpool *pool;    /* messages */
    struct fs_fleet *fleet;     /* devices */
    struct fs_svc *svc;         /* security service */
    /* Inject m on the path: to the service, or to device m->device, after
       delay_us plus the device's latency. Ownership of m passes on. */
    void (*to_svc)(void *ctx, struct fs_msg *m, int64_t delay_us);
    void (*to_device)(void *ctx, struct fs_msg *m, int64_t delay_us);
    void *ctx; /* first argument of both */
};

/* Canonical record kinds of the attacker (fs_sim_record). */
enum fs_attack_record {
    FS_REC_ATK_ATTEMPT = 300, /* device = target; value = attack kind */
    FS_REC_ATK_BLOCKED,       /* device = target; value = attack kind */
    FS_REC_ATK_SUCCEEDED,     /* device = target; value = attack kind */
    FS_REC_ATK_FAULT_START,   /* device = target; value = fault kind */
    FS_REC_ATK_FAULT_END,     /* device = target; value = fault kind */
    FS_REC_ATK_UNDECIDED      /* at the end; value = kind << 32 | open
                                 attempts of that kind */
};
/* Target field of records about no particular device (floods, outages). */
#define FS_ATK_NO_DEVICE UINT32_MAX

/*
 * A checkin_flood is blocked when at least this share (parts per million)
 * of the genuine check-ins that reached the service during the flood were
 * served: a challenge, not a refusal, reached the device within its answer
 * timeout. Otherwise it succeeded; with no genuine check-in during the
 * flood it stays undecided.
 */
#define FS_ATK_FLOOD_SERVED_PPM 990000u

struct fs_attack;

/* Totals of one attack kind, for tests and reports. */
struct fs_attack_totals {
    uint64_t attempted; /* attempts started */
    uint64_t blocked;   /* attempts the model stopped */
    uint64_t succeeded; /* attempts that got through */
    uint64_t undecided; /* attempts still open when the run ended
                           (fs_attack_finish) */
};

int fs_attack_create(const struct fs_attack_env *env, struct fs_attack **out);
void fs_attack_destroy(struct fs_attack *a);

/* A timeline attack or fault action fires now. */
void fs_attack_fire(struct fs_attack *a, const struct fs_scn_action *act);

/*
 * Path hooks, called by the runner as a message is delivered. Return true
 * when the attacker (or a fault) took m: it then owns m (forwards, alters,
 * drops or returns it to the pool); false delivers m unchanged.
 */
bool fs_attack_on_to_svc(struct fs_attack *a, struct fs_msg *m);
bool fs_attack_on_to_device(struct fs_attack *a, struct fs_msg *m);

/*
 * The run reached its end: count every attempt still open as
 * attacks{kind, outcome="undecided"} (once; later calls do nothing).
 */
void fs_attack_finish(struct fs_attack *a);

/* Totals of attack kind k (an enum fs_scn_attack_kind) so far. */
void fs_attack_totals(const struct fs_attack *a, unsigned k,
                      struct fs_attack_totals *out);

/* Consistency: every attempt ended at most once, counters agree. */
bool fs_attack_check(const struct fs_attack *a);

#endif
