/*
 * report/diff.c - `fleetsim diff A B`: where two traces part.
 *
 * Owns: reading two traces side by side (report/trace.c) and finding the
 * first record that differs, printed with the kind's name.
 * Invariants: records are compared whole; both traces are read to their
 * verified end before any verdict, so a cut or corrupted trace is an
 * error, never "identical" or "different".
 * Does not: interpret record values beyond printing their fields.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fleetsim/err.h"
#include "fleetsim/report.h"
#include "fleetsim/units.h"

static void
print_record(FILE *fp, const char *label, const struct fs_trace *t,
             const struct fs_trace_rec *r)
{
    char when[32];
    fs_units_format_duration_human(r->t_us, when, sizeof(when));
    const char *name = fs_report_trace_kind_name(t, r->kind);
    fprintf(fp, "  %s: at %s (%" PRId64 " us), ", label, when, r->t_us);
    if (name != NULL)
        fprintf(fp, "%s (kind %u)", name, (unsigned)r->kind);
    else
        fprintf(fp, "kind %u", (unsigned)r->kind);
    fprintf(fp, ", object %u, value %" PRId64 "\n", (unsigned)r->object,
            r->value);
}

/* Both headers' differences that explain a divergence. */
static void
print_header_diff(FILE *fp, const struct fs_trace_info *a,
                  const struct fs_trace_info *b)
{
    if (strcmp(a->scenario_blake2b, b->scenario_blake2b) != 0)
        fprintf(fp, "  scenarios differ: %s and %s\n", a->scenario,
                b->scenario);
    if (a->seed != b->seed)
        fprintf(fp, "  seeds differ: %" PRIu64 " and %" PRIu64 "\n", a->seed,
                b->seed);
    if (strcmp(a->fleetsim_version, b->fleetsim_version) != 0)
        fprintf(fp, "  written by fleetsim %s and %s\n", a->fleetsim_version,
                b->fleetsim_version);
}

static bool
same_record(const struct fs_trace_rec *x, const struct fs_trace_rec *y)
{
    return x->t_us == y->t_us && x->kind == y->kind && x->object == y->object &&
           x->value == y->value;
}

int
fs_report_diff(const char *path_a, const char *path_b, FILE *fp, bool *out_same)
{
    struct fs_diag diag;
    fs_diag_clear(&diag);
    struct fs_trace *a = NULL, *b = NULL;
    int err = fs_report_trace_open(path_a, &a, &diag);
    if (err == 0)
        err = fs_report_trace_open(path_b, &b, &diag);
    bool parted = false, ha = true, hb = true;
    uint64_t at = 0;
    struct fs_trace_rec ra, rb, pa, pb;
    bool pha = false, phb = false;
    while (err == 0 && (ha || hb)) {
        if (ha)
            err = fs_report_trace_next(a, &ra, &ha, &diag);
        if (err == 0 && hb)
            err = fs_report_trace_next(b, &rb, &hb, &diag);
        if (err != 0 || parted || (!ha && !hb))
            continue;
        if (ha && hb && same_record(&ra, &rb)) {
            at++;
            continue;
        }
        parted = true; /* keep reading: both must prove whole */
        pa = ra, pb = rb, pha = ha, phb = hb;
    }
    if (err != 0) {
        fs_diag_print(&diag, stderr);
    } else if (!parted) {
        fprintf(fp, "traces are identical (%" PRIu64 " records)\n", at);
        *out_same = true;
    } else {
        fprintf(fp, "traces part at record %" PRIu64 ":\n", at);
        if (pha)
            print_record(fp, path_a, a, &pa);
        else
            fprintf(fp, "  %s: ends here\n", path_a);
        if (phb)
            print_record(fp, path_b, b, &pb);
        else
            fprintf(fp, "  %s: ends here\n", path_b);
        print_header_diff(fp, fs_report_trace_info(a), fs_report_trace_info(b));
        *out_same = false;
    }
    fs_report_trace_close(b);
    fs_report_trace_close(a);
    return err != 0 ? FS_EIO : 0;
}
