/*
 * tests/fuzz/fuzz_dev_msg.c - libFuzzer harness for what a device
 * receives: CHALLENGE, REFUSED, CERT, REJECTED, METADATA (records, the
 * manifests they point at, revoked signers), QUEUED, CHUNK (offsets,
 * lengths, flipped bits) and any other kind, with any field values.
 *
 * Owns: one entry point; the world is world.h's.
 * Does not: check verdicts, only that nothing crashes, leaks or breaks the
 * run's integrity checks (opts.check).
 */
#include "world.h"

#include "fleetsim/fleet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* To a device, as if from the service (any id; the fleet checks it). */
static uint64_t
deliver(struct fuzz_world *w, uint8_t how, struct fs_msg *m)
{
    fs_fleet_receive(fs_run_fleet(w->run), m);
    return how;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_world_feed(data, size, deliver);
}
