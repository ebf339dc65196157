/*
 * tests/fuzz/fuzz_expect.c - libFuzzer harness for the expectation parser.
 *
 * Owns: one entry point that parses arbitrary text as `METRIC{labels} OP
 * VALUE` and, when it parses, evaluates it against an empty metrics set.
 * Invariants: a refusal carries a column inside the text and a message;
 * nothing crashes and nothing leaks.
 * Does not: load scenarios (fuzz_scn does).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetsim/diag.h"
#include "fleetsim/err.h"
#include "fleetsim/expect.h"
#include "fleetsim/mem.h"
#include "fleetsim/metrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t live = fs_mem_live_blocks();
    if (size > 4096)
        return 0;
    char *text = fs_xmalloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    struct fs_arena arena;
    fs_arena_init(&arena);
    struct fs_expr e;
    struct fs_diag d;
    fs_diag_clear(&d);
    int err = fs_expect_parse(text, &arena, &e, &d);
    if (err == 0) {
        struct fs_metrics *m = NULL;
        if (fs_metrics_create(&m) != 0)
            abort();
        char seen[96];
        (void)fs_expect_eval(&e, m, seen, sizeof(seen));
        if (memchr(seen, '\0', sizeof(seen)) == NULL)
            abort();
        fs_metrics_destroy(m);
    } else if (err != FS_ESCENARIO || d.column <= 0 || d.msg[0] == '\0' ||
               (size_t)d.column > strlen(text) + 1) {
        fprintf(stderr, "bad diag: %d at column %d: %s\n", err, d.column,
                d.msg);
        abort();
    }
    fs_arena_fini(&arena);
    fs_free(text);
    if (fs_mem_live_blocks() != live)
        abort();
    return 0;
}
