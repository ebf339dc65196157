/*
 * tests/fuzz/fuzz_units.c - libFuzzer harness for the units.
 *
 * Owns: one entry point that parses arbitrary text as every unit kind and
 * formats what parses back, checking the round trip and the bounds.
 * Invariants: a parsed duration is within [0, FS_UNITS_DURATION_MAX_US]
 * and formats back to the same value; formatting into any small buffer
 * stays inside it.
 * Does not: know YAML.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleetsim/mem.h"
#include "fleetsim/units.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 256)
        return 0;
    char *s = fs_xmalloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    const char *why = NULL;
    int64_t us;
    if (fs_units_duration(s, &us, &why) == 0) {
        if (us < 0 || us > FS_UNITS_DURATION_MAX_US)
            abort();
        char buf[64];
        fs_units_format_duration(us, buf, sizeof(buf));
        int64_t back;
        if (fs_units_duration(buf, &back, NULL) != 0 || back != us)
            abort();
        unsigned len = size > 0 ? (unsigned)(data[0] % 24) : 0;
        char *small = fs_xmalloc(len + 1);
        fs_units_format_duration_human(us, small, len);
        fs_units_format_duration(us, small, len);
        fs_free(small);
    } else if (why == NULL) {
        abort();
    }
    uint64_t v;
    (void)fs_units_size(s, &v, NULL);
    (void)fs_units_bandwidth(s, &v, NULL);
    struct fs_rate r;
    if (fs_units_rate(s, &r, NULL) == 0 && !(r.per_us >= 0))
        abort();
    struct fs_share sh;
    if (fs_units_share(s, &sh, NULL) == 0) {
        if (sh.is_percent && sh.ppm > 1000000)
            abort();
        if (fs_share_of(&sh, UINT32_MAX) > UINT32_MAX && sh.is_percent)
            abort();
    }
    fs_free(s);
    return 0;
}
