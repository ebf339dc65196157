/*
 * include/fleetsim/bytes.h - little-endian byte writing for the canonical
 * encodings.
 *
 * Owns: the one way sim/ lays integers out in bytes that are hashed, signed
 * or traced (manifests, evidence, certificates, records).
 * Invariants: little-endian, exactly n bytes, independent of the host.
 * Does not: allocate or check bounds (callers size their buffers).
 */
#ifndef FLEETSIM_BYTES_H
#define FLEETSIM_BYTES_H

#include <stdint.h>

/* Write the low n bytes of v at p, least significant first; return p + n. */
static inline unsigned char *
fs_bytes_put_le(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
    return p + n;
}

#endif
