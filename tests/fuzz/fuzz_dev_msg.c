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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t live = fs_mem_live_blocks();
    if (size < 1)
        return 0;
    struct fuzz_world w;
    fuzz_world_create(&w, data[0]);
    data++;
    size--;
    for (int i = 0; i < 16 && size > 0; i++) {
        uint8_t how;
        fuzz_take(&data, &size, &how, 1);
        struct fs_msg *m = fuzz_msg_take(&w, &data, &size);
        fs_fleet_receive(fs_run_fleet(w.run), m);
        fuzz_world_step(&w, how);
    }
    fuzz_world_step(&w, 500);
    fuzz_world_destroy(&w);
    if (fs_mem_live_blocks() != live)
        abort();
    return 0;
}
