/*
 * report/diff.c - `fleetsim diff A B`: where two traces part.
 *
 * Owns: reading two zstd-compressed canonical records side by side and
 * finding the first record that differs.
 * Invariants: records are compared whole (24 bytes); a trace that ends
 * early differs at its end.
 * Does not: interpret record kinds beyond printing their fields.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <zstd.h>

#include "fleetsim/err.h"
#include "fleetsim/mem.h"
#include "fleetsim/report.h"
#include "fleetsim/sim.h"

/* One trace being decompressed record by record. */
struct trace_reader {
    FILE *fp;                               /* compressed file */
    ZSTD_DCtx *dctx;                        /* decompressor */
    unsigned char *in;                      /* compressed input buffer */
    size_t in_cap;                          /* its size */
    ZSTD_inBuffer zin;                      /* input window */
    unsigned char rec[FS_SIM_RECORD_BYTES]; /* last record read */
    int err; /* FS_EIO on a read or format error */
};

static int
reader_open(struct trace_reader *r, const char *path)
{
    memset(r, 0, sizeof(*r));
    r->fp = fopen(path, "rb");
    if (r->fp == NULL)
        return FS_EIO;
    r->dctx = ZSTD_createDCtx();
    r->in_cap = ZSTD_DStreamInSize();
    r->in = fs_xmalloc(r->in_cap);
    r->zin.src = r->in;
    return r->dctx != NULL ? 0 : FS_EIO;
}

static void
reader_close(struct trace_reader *r)
{
    if (r->fp != NULL)
        fclose(r->fp);
    ZSTD_freeDCtx(r->dctx);
    fs_free(r->in);
}

/* Read the next record into r->rec; false at the end or on error. */
static bool
reader_next(struct trace_reader *r)
{
    ZSTD_outBuffer out = {r->rec, sizeof(r->rec), 0};
    while (out.pos < out.size) {
        if (r->zin.pos == r->zin.size) {
            r->zin.size = fread(r->in, 1, r->in_cap, r->fp);
            r->zin.pos = 0;
            if (r->zin.size == 0)
                break;
        }
        size_t rc = ZSTD_decompressStream(r->dctx, &out, &r->zin);
        if (ZSTD_isError(rc)) {
            r->err = FS_EIO;
            return false;
        }
    }
    if (out.pos != 0 && out.pos != out.size)
        r->err = FS_EIO;
    return out.pos == out.size;
}

static uint64_t
get_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void
print_record(FILE *fp, const char *label, const unsigned char *rec)
{
    fprintf(fp,
            "  %s: time %" PRId64 " us, kind %u, object %u, value %" PRId64
            "\n",
            label, (int64_t)get_le(rec, 8), (unsigned)get_le(rec + 8, 2),
            (unsigned)get_le(rec + 12, 4), (int64_t)get_le(rec + 16, 8));
}

int
fs_report_diff(const char *path_a, const char *path_b, FILE *fp, bool *out_same)
{
    struct trace_reader a, b;
    int err = reader_open(&a, path_a);
    int err_b = reader_open(&b, path_b);
    if (err != 0 || err_b != 0) {
        fprintf(stderr, "fleetsim diff: cannot open %s\n",
                err != 0 ? path_a : path_b);
        goto out_close;
    }
    for (uint64_t i = 0;; i++) {
        bool ha = reader_next(&a), hb = reader_next(&b);
        if (a.err != 0 || b.err != 0) {
            err = FS_EIO;
            fprintf(stderr, "fleetsim diff: %s is not a fleetsim trace\n",
                    a.err != 0 ? path_a : path_b);
            goto out_close;
        }
        if (!ha && !hb) {
            fprintf(fp, "traces are identical (%" PRIu64 " records)\n", i);
            *out_same = true;
            goto out_close;
        }
        if (ha && hb && memcmp(a.rec, b.rec, FS_SIM_RECORD_BYTES) == 0)
            continue;
        fprintf(fp, "traces part at record %" PRIu64 ":\n", i);
        if (ha)
            print_record(fp, path_a, a.rec);
        else
            fprintf(fp, "  %s: ends here\n", path_a);
        if (hb)
            print_record(fp, path_b, b.rec);
        else
            fprintf(fp, "  %s: ends here\n", path_b);
        *out_same = false;
        goto out_close;
    }
out_close:
    reader_close(&b);
    reader_close(&a);
    return err != 0 ? err : err_b;
}
