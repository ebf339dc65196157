/*
 * include/fleetsim/ctx.h - which layer owns which of the engine's context
 * slots.
 *
 * Owns: the numbering of the anonymous slots of fs_sim_set_ctx/fs_sim_ctx
 * (libuv's loop->data, one per layer that needs one), so that handlers
 * whose arg is a bare index can find their layer's state.
 * Invariants: one owner per slot; FS_CTX_COUNT <= FS_SIM_CTX_SLOTS; an
 * owner sets its slot when it is created and clears it when destroyed.
 * Does not: give any layer access to another's state (each reads only its
 * own slot), or appear in the engine, which knows slots by number only.
 */
#ifndef FLEETSIM_CTX_H
#define FLEETSIM_CTX_H

#include "fleetsim/sim.h"

enum fs_ctx_slot {
    FS_CTX_RUN = 0, /* struct fs_run (sim/run) */
    FS_CTX_FLEET,   /* struct fs_fleet (device/) */
    FS_CTX_SVC,     /* struct fs_svc (service/) */
    FS_CTX_ATTACK,  /* struct fs_attack (sim/attack) */
    FS_CTX_CRYPTO,  /* struct fs_crypto counters (sim/model/crypto.c) */
    FS_CTX_COUNT
};

_Static_assert(FS_CTX_COUNT <= FS_SIM_CTX_SLOTS,
               "more context owners than engine slots");

#endif
