/*
 * tests/fuzz/fuzz_scn.c - libFuzzer harness for the scenario loader.
 *
 * Owns: one entry point that loads arbitrary bytes as a scenario.
 * Invariants: every input either loads or is rejected with a positioned
 * message; nothing crashes and nothing leaks (checked per input).
 * Does not: run anything beyond the loader.
 *
 * Build and run (new inputs go to the first, scratch, directory):
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -Iinclude \
 *     -fsanitize=fuzzer,address,undefined tests/fuzz/fuzz_scn.c \
 *     sim/scenario/scn_*.c sim/engine/units.c sim/scenario/expect.c
 * sim/model/metrics.c sim/engine/mem.c \ sim/engine/err.c -lyaml -lm -o
 * build/fuzz_scn mkdir -p /tmp/corpus
 *   ./build/fuzz_scn -max_total_time=60 /tmp/corpus tests/data tests/bad
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fleetsim/diag.h"
#include "fleetsim/err.h"
#include "fleetsim/mem.h"
#include "fleetsim/scn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Load data as a scenario; abort on a leak or an unpositioned error. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t live = fs_mem_live_blocks();
    struct fs_scn *scn = NULL;
    struct fs_diag diag;
    fs_diag_clear(&diag);
    int err =
        fs_scn_load_string("fuzz.yaml", (const char *)data, size, &scn, &diag);
    if (err == 0) {
        if (!fs_scn_check(scn))
            abort();
        fs_scn_destroy(scn);
    } else if (err != FS_ESCENARIO || diag.line <= 0 || diag.column <= 0 ||
               diag.msg[0] == '\0') {
        fprintf(stderr, "bad diag: err %d at %d:%d: %s\n", err, diag.line,
                diag.column, diag.msg);
        abort();
    }
    if (fs_mem_live_blocks() != live)
        abort();
    return 0;
}
