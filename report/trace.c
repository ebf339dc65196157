/*
 * report/trace.c - reading a trace.zst and proving it whole.
 *
 * Owns: the reader of the trace format (docs/outputs.md): the header, the
 * records one by one, and the checks that the file is one complete zstd
 * frame (content checksum verified by zstd), of a format this program
 * reads, whose end record counts and fingerprints exactly the records
 * before it, with nothing after.
 * Invariants: a record is handed out only when it was read whole; the end
 * is reported only after every check passed, so a cut or corrupted trace
 * always ends in an error, never in a short but "valid" trace.
 * Does not: know the model's record kinds (their names come from the
 * header) or run anything.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>
#include <zstd.h>

#include "fleetsim/err.h"
#include "fleetsim/mem.h"
#include "fleetsim/report.h"
#include "fleetsim/sim.h"

#define KIND_NAMES_MAX 1024 /* kinds named from the header */
#define KIND_NAME_BYTES 48  /* longest name kept, with its NUL */

struct fs_trace {
    char path[4096];                /* for messages */
    FILE *fp;                       /* compressed file */
    ZSTD_DCtx *dctx;                /* decompressor */
    unsigned char *in;              /* compressed input buffer */
    size_t in_cap;                  /* its size in bytes */
    ZSTD_inBuffer zin;              /* input window */
    bool frame_done;                /* zstd said the frame ended */
    bool at_end;                    /* the end record was verified */
    uint64_t records;               /* records handed out */
    crypto_generichash_state hash;  /* over records handed out */
    char fingerprint[65];           /* from the end record */
    struct fs_trace_info info;      /* the header */
    char (*names)[KIND_NAME_BYTES]; /* kind names from the header */
};

static uint64_t
get_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static int
bad(struct fs_trace *t, struct fs_diag *diag, const char *what)
{
    return fs_diag_set(diag, FS_EIO, t->path, 0, 0,
                       "not a complete fleetsim trace: %s", what);
}

/*
 * Read exactly len decompressed bytes into buf. Returns 1 when read, 0 at
 * a clean end of the content before any byte, or FS_EIO with diag.
 */
static int
read_exact(struct fs_trace *t, void *buf, size_t len, struct fs_diag *diag)
{
    ZSTD_outBuffer out = {buf, len, 0};
    while (out.pos < out.size) {
        if (t->frame_done)
            break;
        if (t->zin.pos == t->zin.size) {
            t->zin.size = fread(t->in, 1, t->in_cap, t->fp);
            t->zin.pos = 0;
            if (ferror(t->fp))
                return fs_diag_set(diag, FS_EIO, t->path, 0, 0,
                                   "cannot read: %s", strerror(errno));
            if (t->zin.size == 0)
                return bad(t, diag, "the file is cut short");
        }
        size_t rc = ZSTD_decompressStream(t->dctx, &out, &t->zin);
        if (ZSTD_isError(rc))
            return fs_diag_set(diag, FS_EIO, t->path, 0, 0,
                               "not a complete fleetsim trace: %s "
                               "(corrupted?)",
                               ZSTD_getErrorName(rc));
        if (rc == 0)
            t->frame_done = true;
    }
    if (out.pos == 0 && t->frame_done)
        return 0;
    if (out.pos != out.size)
        return bad(t, diag, "the content ends inside a record");
    return 1;
}

/* key=value lines of the header into t->info and t->names. */
static void
parse_header(struct fs_trace *t, char *text)
{
    for (char *line = text; line != NULL && *line != '\0';) {
        char *nl = strchr(line, '\n');
        if (nl != NULL)
            *nl = '\0';
        char *eq = strchr(line, '=');
        if (eq != NULL) {
            *eq = '\0';
            const char *k = line, *v = eq + 1;
            struct fs_trace_info *in = &t->info;
            if (strcmp(k, "fleetsim_version") == 0)
                snprintf(in->fleetsim_version, sizeof(in->fleetsim_version),
                         "%s", v);
            else if (strcmp(k, "scenario") == 0)
                snprintf(in->scenario, sizeof(in->scenario), "%s", v);
            else if (strcmp(k, "scenario_blake2b") == 0)
                snprintf(in->scenario_blake2b, sizeof(in->scenario_blake2b),
                         "%s", v);
            else if (strcmp(k, "seed") == 0)
                in->seed = strtoull(v, NULL, 10);
            else if (strcmp(k, "seed_set") == 0)
                in->seed_set = strcmp(v, "1") == 0;
            else if (strcmp(k, "crypto") == 0)
                snprintf(in->crypto, sizeof(in->crypto), "%s", v);
            else if (strcmp(k, "set") == 0) {
                size_t used = strlen(in->sets), n = strlen(v);
                if (used + n + 2 > sizeof(in->sets)) {
                    in->sets_truncated = true;
                } else {
                    memcpy(in->sets + used, v, n);
                    memcpy(in->sets + used + n, "\n", 2);
                    in->nsets++;
                }
            } else if (strcmp(k, "kind") == 0) {
                char *sp;
                unsigned long kind = strtoul(v, &sp, 10);
                if (kind < KIND_NAMES_MAX && *sp == ' ')
                    snprintf(t->names[kind], KIND_NAME_BYTES, "%s", sp + 1);
            }
        }
        line = nl != NULL ? nl + 1 : NULL;
    }
}

static int
read_header(struct fs_trace *t, struct fs_diag *diag)
{
    unsigned char pre[16];
    int rc = read_exact(t, pre, sizeof(pre), diag);
    if (rc <= 0)
        return rc < 0 ? rc : bad(t, diag, "empty");
    if (memcmp(pre, FS_SIM_TRACE_MAGIC, 8) != 0)
        return bad(t, diag,
                   "no trace header (not a trace, or written by "
                   "a fleetsim before trace format 1)");
    t->info.format = (unsigned)get_le(pre + 8, 4);
    uint64_t hlen = get_le(pre + 12, 4);
    if (t->info.format > FS_SIM_TRACE_FORMAT)
        return fs_diag_set(diag, FS_EIO, t->path, 0, 0,
                           "trace format %u is newer than this fleetsim "
                           "reads (format %u): use a newer fleetsim",
                           t->info.format, FS_SIM_TRACE_FORMAT);
    if (t->info.format == 0 || hlen > FS_SIM_TRACE_HEADER_MAX)
        return bad(t, diag, "bad header");
    char *text = fs_xmalloc(hlen + 1);
    rc = hlen > 0 ? read_exact(t, text, hlen, diag) : 1;
    if (rc <= 0) {
        fs_free(text);
        return rc < 0 ? rc : bad(t, diag, "the header is cut short");
    }
    text[hlen] = '\0';
    parse_header(t, text);
    fs_free(text);
    return 0;
}

int
fs_report_trace_open(const char *path, struct fs_trace **out,
                     struct fs_diag *diag)
{
    struct fs_trace *t = fs_xcalloc(1, sizeof(*t));
    snprintf(t->path, sizeof(t->path), "%s", path);
    struct stat st;
    int err = 0;
    t->fp = fopen(path, "rb");
    if (t->fp == NULL)
        err = fs_diag_set(diag, FS_EIO, path, 0, 0, "cannot open: %s",
                          strerror(errno));
    else if (fstat(fileno(t->fp), &st) != 0 || !S_ISREG(st.st_mode))
        err = fs_diag_set(diag, FS_EIO, path, 0, 0,
                          "not a trace: not a regular file");
    else if (st.st_size == 0)
        err = bad(t, diag, "the file is empty");
    if (err == 0) {
        t->dctx = ZSTD_createDCtx();
        FS_ASSERT(t->dctx != NULL);
        t->in_cap = ZSTD_DStreamInSize();
        t->in = fs_xmalloc(t->in_cap);
        t->zin.src = t->in;
        t->names = fs_xcalloc(KIND_NAMES_MAX, sizeof(*t->names));
        crypto_generichash_init(&t->hash, NULL, 0, 32);
        err = read_header(t, diag);
    }
    if (err != 0) {
        fs_report_trace_close(t);
        return err;
    }
    *out = t;
    return 0;
}

void
fs_report_trace_close(struct fs_trace *t)
{
    if (t == NULL)
        return;
    if (t->fp != NULL)
        fclose(t->fp);
    ZSTD_freeDCtx(t->dctx);
    fs_free(t->in);
    fs_free(t->names);
    fs_free(t);
}

const struct fs_trace_info *
fs_report_trace_info(const struct fs_trace *t)
{
    return &t->info;
}

const char *
fs_report_trace_kind_name(const struct fs_trace *t, uint16_t kind)
{
    return kind < KIND_NAMES_MAX && t->names[kind][0] != '\0' ? t->names[kind]
                                                              : NULL;
}

/* After the end record: the fingerprint matches, nothing follows. */
static int
check_end(struct fs_trace *t, const unsigned char *rec, struct fs_diag *diag)
{
    unsigned char fp[32], mine[32], extra;
    int rc = read_exact(t, fp, sizeof(fp), diag);
    if (rc <= 0)
        return rc < 0 ? rc : bad(t, diag, "the end record is cut short");
    if (get_le(rec + 16, 8) != t->records)
        return bad(t, diag, "the end record counts other records");
    crypto_generichash_state copy = t->hash;
    crypto_generichash_final(&copy, mine, sizeof(mine));
    if (sodium_memcmp(fp, mine, sizeof(mine)) != 0)
        return bad(t, diag, "the fingerprint does not match the records");
    rc = read_exact(t, &extra, 1, diag);
    if (rc != 0)
        return rc < 0 ? rc : bad(t, diag, "data after the end record");
    if (!t->frame_done)
        return bad(t, diag, "the compressed frame does not end");
    if (t->zin.pos != t->zin.size || fread(&extra, 1, 1, t->fp) != 0)
        return bad(t, diag, "bytes after the compressed frame");
    sodium_bin2hex(t->fingerprint, sizeof(t->fingerprint), fp, sizeof(fp));
    t->at_end = true;
    return 0;
}

int
fs_report_trace_next(struct fs_trace *t, struct fs_trace_rec *out,
                     bool *out_has, struct fs_diag *diag)
{
    *out_has = false;
    if (t->at_end)
        return 0;
    unsigned char rec[FS_SIM_RECORD_BYTES];
    int rc = read_exact(t, rec, sizeof(rec), diag);
    if (rc <= 0)
        return rc < 0 ? rc : bad(t, diag, "no end record (cut short?)");
    uint16_t kind = (uint16_t)get_le(rec + 8, 2);
    if (kind == FS_SIM_TRACE_END_KIND)
        return check_end(t, rec, diag);
    crypto_generichash_update(&t->hash, rec, sizeof(rec));
    t->records++;
    out->t_us = (int64_t)get_le(rec, 8);
    out->kind = kind;
    out->object = (uint32_t)get_le(rec + 12, 4);
    out->value = (int64_t)get_le(rec + 16, 8);
    *out_has = true;
    return 0;
}

uint64_t
fs_report_trace_records(const struct fs_trace *t)
{
    return t->records;
}

const char *
fs_report_trace_fingerprint(const struct fs_trace *t)
{
    return t->at_end ? t->fingerprint : NULL;
}

int
fs_report_trace_verify(const char *path, struct fs_trace_info *info,
                       char fingerprint[65], uint64_t *out_records,
                       struct fs_diag *diag)
{
    struct fs_trace *t;
    int err = fs_report_trace_open(path, &t, diag);
    if (err != 0)
        return err;
    struct fs_trace_rec rec;
    bool has = true;
    while (err == 0 && has)
        err = fs_report_trace_next(t, &rec, &has, diag);
    if (err == 0) {
        if (info != NULL)
            *info = t->info;
        if (fingerprint != NULL)
            memcpy(fingerprint, t->fingerprint, 65);
        if (out_records != NULL)
            *out_records = t->records;
    }
    fs_report_trace_close(t);
    return err;
}
