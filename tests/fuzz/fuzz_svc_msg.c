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

/* To the service from a fleet device's address, or from outside. */
static uint64_t
deliver(struct fuzz_world *w, uint8_t how, struct fs_msg *m)
{
    if (how & 1) {
        fs_svc_receive_from(fs_run_svc(w->run), m, drop_reply,
                            fs_run_msgpool(w->run));
    } else {
        /* From the network address of a fleet device: the sender's id is
           that address, so it is one of the 8 (what the message claims
           inside, such as the evidence's device, is still any value). */
        m->device %= 8;
        fs_svc_receive(fs_run_svc(w->run), m);
    }
    return how >> 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_world_feed(data, size, deliver);
}
