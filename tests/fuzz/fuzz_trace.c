/*
 * tests/fuzz/fuzz_trace.c - libFuzzer harness for the trace reader.
 *
 * Owns: one entry point that writes arbitrary bytes as a trace file and
 * diffs it against itself and against an empty file with `fleetsim diff`'s
 * code (fs_report_diff).
 * Invariants: the answer is a verdict or a clean refusal; nothing crashes
 * or leaks; a file never differs from itself when it reads as valid.
 * Does not: write traces (the engine does).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fleetsim/mem.h"
#include "fleetsim/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (path[0] == '\0')
        snprintf(path, sizeof(path), "/tmp/fleetsim-fuzz-trace-%d.zst",
                 (int)getpid());
    size_t live = fs_mem_live_blocks();
    FILE *fp = fopen(path, "wb");
    if (fp == NULL)
        abort();
    if (size > 0 && fwrite(data, 1, size, fp) != size)
        abort();
    fclose(fp);
    FILE *out = fopen("/dev/null", "w");
    bool same = false;
    int err = fs_report_diff(path, path, out, &same);
    if (err == 0 && !same)
        abort();
    (void)fs_report_diff(path, "/dev/null", out, &same);
    fclose(out);
    if (fs_mem_live_blocks() != live)
        abort();
    return 0;
}
