/*
 * tests/fuzz/world.h - a small running fleet for the message fuzzers.
 *
 * Owns: one scenario (8 devices, an OS and an app deployment in flight),
 * a run of it stepped to a point where exchanges, offers and downloads are
 * open, and the turning of fuzz bytes into messages of any kind.
 * Invariants: every run is created and destroyed per input, so inputs do
 * not depend on each other; nothing here decides anything the model checks.
 * Does not: check outcomes; the fuzzers only look for crashes, sanitizer
 * reports, leaks and broken integrity checks.
 */
#ifndef FLEETSIM_FUZZ_WORLD_H
#define FLEETSIM_FUZZ_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleetsim/diag.h"
#include "fleetsim/mem.h"
#include "fleetsim/msg.h"
#include "fleetsim/run.h"
#include "fleetsim/scn.h"

static const char fuzz_world_yaml[] =
    "scenario: fuzz-world\n"
    "duration: 1d\n"
    "service: {checkin_interval: 10m, probation: 1m, max_downloads: 2}\n"
    "products: [{name: P}]\n"
    "images:\n"
    "  - {id: os-1, kind: os, version: \"1\", size: 64KiB}\n"
    "  - {id: os-2, kind: os, version: \"2\", size: 64KiB}\n"
    "  - {id: app-1, kind: app, name: a, product: P, version: 1.0.0, size: "
    "16KiB, capabilities: {core: hl, gpio: [1]}}\n"
    "  - {id: app-2, kind: app, name: a, product: P, version: 2.0.0, size: "
    "16KiB, capabilities: {core: hl, gpio: [1]}}\n"
    "fleet:\n"
    "  - {product: P, count: 8, os: os-1, app: app-1, network: {bandwidth: "
    "1Mbps, latency: 50ms}}\n"
    "timeline:\n"
    "  - {at: 0s, deploy: {id: os, image: os-2, waves: [50%, 100%]}}\n"
    "  - {at: 0s, deploy: {id: app, image: app-2}}\n";

struct fuzz_world {
    struct fs_scn *scn;
    struct fs_run *run;
};

/* Build the world and step it to a random-ish point chosen by the input. */
static inline void
fuzz_world_create(struct fuzz_world *w, uint8_t step)
{
    struct fs_diag diag;
    fs_diag_clear(&diag);
    if (fs_scn_load_string("fuzz-world.yaml", fuzz_world_yaml,
                           sizeof(fuzz_world_yaml) - 1, &w->scn, &diag) != 0)
        abort();
    struct fs_run_opts opts = {.check = true};
    if (fs_run_create(w->scn, &opts, &w->run, &diag) != 0)
        abort();
    bool done = false;
    if (fs_run_step(w->run, 20u * step, &done) != 0)
        abort();
}

static inline void
fuzz_world_destroy(struct fuzz_world *w)
{
    fs_run_destroy(w->run);
    fs_scn_destroy(w->scn);
}

/* Consume n bytes of input into out (zeros past its end). */
static inline void
fuzz_take(const uint8_t **data, size_t *size, void *out, size_t n)
{
    size_t k = *size < n ? *size : n;
    memset(out, 0, n);
    memcpy(out, *data, k);
    *data += k;
    *size -= k;
}

/*
 * A message from the input: kind, device and the union's bytes as given.
 * Counts and ids are whatever the bytes say: the receivers must cope with
 * any value, as a decoder of bytes from the network would have to.
 */
static inline struct fs_msg *
fuzz_msg_take(struct fuzz_world *w, const uint8_t **data, size_t *size)
{
    struct fs_msg *m = fs_msgpool_get(fs_run_msgpool(w->run));
    uint8_t hdr[5];
    fuzz_take(data, size, hdr, sizeof(hdr));
    m->kind = (uint8_t)(hdr[0] % 14); /* includes 0 and one past the last */
    uint32_t dev = (uint32_t)hdr[1] | (uint32_t)hdr[2] << 8 |
                   (uint32_t)hdr[3] << 16 | (uint32_t)hdr[4] << 24;
    /* Mostly real devices, sometimes any id at all. */
    m->device = (hdr[4] & 0x80) ? dev : dev % 10;
    uint16_t len;
    fuzz_take(data, size, &len, sizeof(len));
    size_t n = len % (sizeof(m->u) + 1);
    fuzz_take(data, size, &m->u, n < *size ? n : *size);
    /* A bool holds 0 or 1 whatever was on the wire (a decoder would make
       it so); every other field keeps the input's bytes. */
    unsigned char raw;
    memcpy(&raw, &m->u.end.completed, 1);
    if (m->kind == FS_MSG_DOWNLOAD_END)
        m->u.end.completed = raw & 1;
    return m;
}

/* Step the run a little after an injection; a broken invariant aborts. */
static inline void
fuzz_world_step(struct fuzz_world *w, uint64_t events)
{
    bool done = false;
    if (fs_run_step(w->run, events, &done) != 0)
        abort();
}

/*
 * One fuzz input: the first byte picks the world's starting point, then up
 * to 16 (how, message) pairs; deliver hands each message to its receiver
 * and returns how many events to run after it. A leak aborts.
 */
static inline int
fuzz_world_feed(const uint8_t *data, size_t size,
                uint64_t (*deliver)(struct fuzz_world *w, uint8_t how,
                                    struct fs_msg *m))
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
        fuzz_world_step(&w, deliver(&w, how, m));
    }
    fuzz_world_step(&w, 500);
    fuzz_world_destroy(&w);
    if (fs_mem_live_blocks() != live)
        abort();
    return 0;
}

#endif
