/*
 * include/fleetsim/mem.h - allocation wrappers and the run-lifetime arena.
 *
 * Owns: the only path to the heap (fs_xmalloc and friends), the live-block
 * counter, and struct fs_arena.
 * Invariants: allocation never returns NULL (out of memory aborts with a
 * message); fs_mem_live_blocks() returns to 0 when everything is freed.
 * Does not: model out-of-memory as a domain outcome.
 */
#ifndef FLEETSIM_MEM_H
#define FLEETSIM_MEM_H

#include <stddef.h>

/* Allocate size bytes; aborts on exhaustion, never returns NULL. */
void *fs_xmalloc(size_t size);

/* Allocate n * size zeroed bytes; aborts on overflow or exhaustion. */
void *fs_xcalloc(size_t n, size_t size);

/* Resize p (which may be NULL) to size bytes; aborts on exhaustion. */
void *fs_xrealloc(void *p, size_t size);

/* Free p from fs_xmalloc/fs_xcalloc/fs_xrealloc; NULL is a no-op. */
void fs_free(void *p);

/* Duplicate a NUL-terminated string on the heap. */
char *fs_xstrdup(const char *s);

/* Count of blocks allocated and not yet freed, process-wide. */
size_t fs_mem_live_blocks(void);

/* Peak resident set size of this process in bytes (from the OS), or 0. */
size_t fs_mem_peak_rss_bytes(void);

/* Print msg with file and line to stderr and abort. */
_Noreturn void fs_panic(const char *file, int line, const char *msg);

#define FS_ASSERT(c) ((c) ? (void)0 : fs_panic(__FILE__, __LINE__, #c))

/*
 * An arena: memory whose lifetime is the whole run, released at once by
 * fs_arena_fini(). Blocks are chained; nothing is freed individually.
 */
struct fs_arena_block;

struct fs_arena {
    struct fs_arena_block *head; /* newest block, or NULL */
    size_t used_bytes;           /* bytes handed out, for reports */
};

/* Make an empty arena in caller-owned storage. */
void fs_arena_init(struct fs_arena *a);
/* Release every block of the arena. */
void fs_arena_fini(struct fs_arena *a);

/* Return size zeroed bytes aligned for any type; never NULL. */
void *fs_arena_alloc(struct fs_arena *a, size_t size);

/* Copy s into the arena. */
char *fs_arena_strdup(struct fs_arena *a, const char *s);

#endif
