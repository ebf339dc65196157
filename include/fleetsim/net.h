/*
 * include/fleetsim/net.h - the network link and check-in client of every
 * device.
 *
 * Owns: each device's link (its own outage process), the check-in
 * exchange (HELLO, CHALLENGE, EVIDENCE, answer) with its timeout and
 * backoff, and the check-in failure reasons.
 * Invariants: a device sends nothing while its link is down; one exchange
 * at a time per device.
 * Does not: decide what the service answers, or deliver messages (the
 * runner does, through fs_fleet_env.send).
 */
#ifndef FLEETSIM_NET_H
#define FLEETSIM_NET_H

#include <stdint.h>

/* Why a check-in failed (FS_REC_DEV_CHECKIN_FAIL). */
enum fs_checkin_fail {
    FS_CHECKIN_OFFLINE = 0,
    FS_CHECKIN_TIMEOUT,
    FS_CHECKIN_REFUSED,
    FS_CHECKIN_REJECTED
};

/* How long a device waits for a service answer before giving up (us). */
int64_t fs_net_answer_timeout_us(void);

#endif
