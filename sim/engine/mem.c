/*
 * sim/engine/mem.c - the allocator wrappers, the live-block counter and the
 * arena.
 *
 * Owns: every call to the C heap in fleetsim, and the one permitted
 * process-wide mutable counter (live blocks, atomic so the crypto thread
 * pool may allocate).
 * Invariants: no wrapper returns NULL; the counter equals allocations minus
 * frees.
 * Does not: decide anything in the model.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "fleetsim/mem.h"

static atomic_size_t live_blocks;

_Noreturn void
fs_panic(const char *file, int line, const char *msg)
{
    fprintf(stderr, "fleetsim: internal error at %s:%d: %s\n", file, line, msg);
    abort();
}

static void *
oom_check(void *p, size_t size)
{
    if (p == NULL) {
        fprintf(stderr, "fleetsim: out of memory allocating %zu bytes\n", size);
        abort();
    }
    atomic_fetch_add(&live_blocks, 1);
    return p;
}

void *
fs_xmalloc(size_t size)
{
    return oom_check(malloc(size ? size : 1), size);
}

void *
fs_xcalloc(size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        fs_panic(__FILE__, __LINE__, "allocation size overflow");
    return oom_check(calloc(n ? n : 1, size ? size : 1), n * size);
}

void *
fs_xrealloc(void *p, size_t size)
{
    if (p == NULL)
        return fs_xmalloc(size);
    void *q = realloc(p, size ? size : 1);
    if (q == NULL) {
        fprintf(stderr, "fleetsim: out of memory allocating %zu bytes\n", size);
        abort();
    }
    return q;
}

void
fs_free(void *p)
{
    if (p == NULL)
        return;
    atomic_fetch_sub(&live_blocks, 1);
    free(p);
}

char *
fs_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = fs_xmalloc(n);
    memcpy(d, s, n);
    return d;
}

size_t
fs_mem_live_blocks(void)
{
    return atomic_load(&live_blocks);
}

size_t
fs_mem_peak_rss_bytes(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (size_t)ru.ru_maxrss * 1024u;
}

/* Arena blocks are at least this large; bigger requests get their own. */
#define ARENA_BLOCK_BYTES ((size_t)64 * 1024)

struct fs_arena_block {
    struct fs_arena_block *next; /* older block */
    size_t cap_bytes;            /* usable bytes in data */
    size_t used_bytes;           /* bytes handed out from data */
    max_align_t data[];          /* the memory itself */
};

void
fs_arena_init(struct fs_arena *a)
{
    a->head = NULL;
    a->used_bytes = 0;
}

void
fs_arena_fini(struct fs_arena *a)
{
    struct fs_arena_block *b = a->head;
    while (b != NULL) {
        struct fs_arena_block *next = b->next;
        fs_free(b);
        b = next;
    }
    a->head = NULL;
    a->used_bytes = 0;
}

void *
fs_arena_alloc(struct fs_arena *a, size_t size)
{
    const size_t align = sizeof(max_align_t);
    size_t need = (size + align - 1) / align * align;
    if (need == 0)
        need = align;
    struct fs_arena_block *b = a->head;
    if (b == NULL || b->cap_bytes - b->used_bytes < need) {
        size_t cap = need > ARENA_BLOCK_BYTES ? need : ARENA_BLOCK_BYTES;
        b = fs_xmalloc(sizeof(*b) + cap);
        b->cap_bytes = cap;
        b->used_bytes = 0;
        b->next = a->head;
        a->head = b;
    }
    void *p = (char *)b->data + b->used_bytes;
    b->used_bytes += need;
    a->used_bytes += need;
    memset(p, 0, size);
    return p;
}

char *
fs_arena_strdup(struct fs_arena *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = fs_arena_alloc(a, n);
    memcpy(d, s, n);
    return d;
}
