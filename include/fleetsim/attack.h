/*
 * include/fleetsim/attack.h - the attacker and the fault injector.
 *
 * Owns: carrying out the timeline's attack and fault actions against the
 * model: choosing targets from the seed, crafting bad images, metadata,
 * evidence and accesses, sitting on the network path between devices and
 * the service, and counting every attempt in attacks{kind, outcome}.
 * Invariants: an attempt's outcome is decided by what the model's own
 * checks did with the attacker's input, never by the attack's kind; every
 * attempt ends blocked or succeeded exactly once.
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
    struct fs_sim *sim;            /* engine */
    const struct fs_scn *scn;      /* scenario */
    struct fs_catalog *catalog;    /* images and vendor keys */
    struct fs_metrics *metrics;    /* registry */
    struct fs_msgpool *pool;       /* messages */
    struct fs_fleet *fleet;        /* devices */
    struct fs_svc *svc;            /* security service */
    /* Inject m on the path: to the service, or to device m->device, after
       delay_us plus the device's latency. Ownership of m passes on. */
    void (*to_svc)(void *ctx, struct fs_msg *m, int64_t delay_us);
    void (*to_device)(void *ctx, struct fs_msg *m, int64_t delay_us);
    void *ctx;                     /* first argument of both */
};

struct fs_attack;

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

bool fs_attack_check(const struct fs_attack *a);

#endif
