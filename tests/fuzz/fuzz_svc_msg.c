/*
 * tests/fuzz/fuzz_svc_msg.c - libFuzzer harness for what the service
 * receives: HELLO, EVIDENCE (with its error reports and update reports),
 * TELEMETRY (with its certificate), DOWNLOAD_REQ and DOWNLOAD_END, and any
 * other kind, with any field values, from a fleet device's address or from
 * outside the fleet.
 *
 * Owns: one entry point; the world is world.h's.
 * Does not: check verdicts, only that nothing crashes, leaks or breaks the
 * run's integrity checks (opts.check).
 */
#include "world.h"

#include "fleetsim/service.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
drop_reply(void *ctx, struct fs_msg *m, int64_t delay_us)
{
    (void)delay_us;
    fs_msgpool_put(ctx, m);
}

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
        if (how & 1)
            fs_svc_receive_from(fs_run_svc(w.run), m, drop_reply,
                                fs_run_msgpool(w.run));
        else {
            /* From the network address of a fleet device: the sender's
               id is that address, so it is one of the 8 (what the
               message claims inside, such as the evidence's device, is
               still any value). */
            m->device %= 8;
            fs_svc_receive(fs_run_svc(w.run), m);
        }
        fuzz_world_step(&w, how >> 1);
    }
    fuzz_world_step(&w, 500);
    fuzz_world_destroy(&w);
    if (fs_mem_live_blocks() != live)
        abort();
    return 0;
}
