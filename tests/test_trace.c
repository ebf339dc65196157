/*
 * tests/test_trace.c - the trace reader (report/trace.c) against traces the
 * engine writes (sim/engine/sim.c).
 *
 * Owns: the cmocka group for reading traces: a whole trace reads back its
 * header, kind names, records and fingerprint; a trace cut at every byte,
 * with any one byte flipped (but the rare flip zstd cannot see, which
 * leaves the content intact), empty, a folder or /dev/null is an error
 * (FS_EIO with a message naming the file), never a short valid trace.
 * Invariants: every test works in its own temporary folder and removes it;
 * teardown checks no block is left allocated.
 * Does not: check `fleetsim diff` or `replay` (tests/cli-checks.sh does).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fleetsim/err.h"
#include "fleetsim/mem.h"
#include "fleetsim/report.h"
#include "fleetsim/run.h"
#include "fleetsim/service.h"
#include "fleetsim/sim.h"

#define NRECORDS 300

static const char header[] = "fleetsim_version=9.9.9\n"
                             "scenario=s.yaml\n"
                             "scenario_blake2b=00ff\n"
                             "seed=7\n"
                             "seed_set=1\n"
                             "kind=100 device_boot_started\n";

struct fixture {
    char dir[64];         /* temporary folder */
    char path[128];       /* the trace written there */
    char fp[65];          /* its fingerprint as the engine computed it */
    unsigned char *bytes; /* the file's bytes */
    size_t len;           /* their count */
};

static int
setup(void **state)
{
    struct fixture *f = fs_xcalloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/fs-trace-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/t.zst", f->dir);
    struct fs_sim *sim;
    assert_int_equal(fs_sim_create(1, 0, &sim), 0);
    assert_int_equal(
        fs_sim_trace_open(sim, f->path, header, sizeof(header) - 1), 0);
    for (int i = 0; i < NRECORDS; i++)
        fs_sim_record(sim, (uint16_t)(100 + i % 3), (uint32_t)i, i * 7);
    fs_sim_fingerprint(sim, f->fp);
    assert_int_equal(fs_sim_trace_close(sim), 0);
    fs_sim_destroy(sim);
    FILE *fp = fopen(f->path, "rb");
    assert_non_null(fp);
    f->bytes = fs_xmalloc(1 << 20);
    f->len = fread(f->bytes, 1, 1 << 20, fp);
    fclose(fp);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    char p[160];
    snprintf(p, sizeof(p), "%s/x.zst", f->dir);
    unlink(p);
    unlink(f->path);
    rmdir(f->dir);
    fs_free(f->bytes);
    fs_free(f);
    assert_int_equal(fs_mem_live_blocks(), 0);
    return 0;
}

/* Read the trace at path to its end; 0 when whole and valid. */
static int
read_all(const char *path, uint64_t *out_n, struct fs_diag *diag)
{
    struct fs_trace *t;
    int err = fs_report_trace_open(path, &t, diag);
    if (err != 0)
        return err;
    struct fs_trace_rec r;
    bool has = true;
    uint64_t n = 0;
    while (err == 0 && has) {
        err = fs_report_trace_next(t, &r, &has, diag);
        n += err == 0 && has;
    }
    fs_report_trace_close(t);
    if (out_n != NULL)
        *out_n = n;
    return err;
}

static void
write_bytes(const char *path, const unsigned char *b, size_t len)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(b, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

static void
test_trace_reads_back_whole(void **state)
{
    struct fixture *f = *state;
    struct fs_diag diag;
    fs_diag_clear(&diag);
    struct fs_trace *t;
    assert_int_equal(fs_report_trace_open(f->path, &t, &diag), 0);
    const struct fs_trace_info *in = fs_report_trace_info(t);
    assert_int_equal(in->format, FS_SIM_TRACE_FORMAT);
    assert_string_equal(in->fleetsim_version, "9.9.9");
    assert_string_equal(in->scenario, "s.yaml");
    assert_true(in->seed == 7 && in->seed_set);
    assert_string_equal(fs_report_trace_kind_name(t, 100),
                        "device_boot_started");
    assert_null(fs_report_trace_kind_name(t, 101));
    struct fs_trace_rec r;
    bool has = true;
    for (int i = 0; i < NRECORDS; i++) {
        assert_int_equal(fs_report_trace_next(t, &r, &has, &diag), 0);
        assert_true(has);
        assert_true(r.kind == 100 + i % 3 && r.object == (uint32_t)i);
        assert_true(r.value == i * 7);
    }
    assert_null(fs_report_trace_fingerprint(t));
    assert_int_equal(fs_report_trace_next(t, &r, &has, &diag), 0);
    assert_false(has);
    assert_string_equal(fs_report_trace_fingerprint(t), f->fp);
    fs_report_trace_close(t);
}

static void
test_trace_cut_anywhere_is_an_error(void **state)
{
    struct fixture *f = *state;
    char p[160];
    snprintf(p, sizeof(p), "%s/x.zst", f->dir);
    for (size_t off = 0; off < f->len; off++) {
        write_bytes(p, f->bytes, off);
        struct fs_diag diag;
        fs_diag_clear(&diag);
        assert_int_equal(read_all(p, NULL, &diag), FS_EIO);
        assert_non_null(strstr(diag.file, "x.zst"));
    }
    write_bytes(p, f->bytes, f->len); /* the whole file reads */
    uint64_t n;
    struct fs_diag diag;
    assert_int_equal(read_all(p, &n, &diag), 0);
    assert_int_equal(n, NRECORDS);
}

static void
test_trace_any_flipped_byte_is_an_error(void **state)
{
    struct fixture *f = *state;
    char p[160];
    snprintf(p, sizeof(p), "%s/x.zst", f->dir);
    size_t benign = 0;
    for (size_t off = 0; off < f->len; off++) {
        f->bytes[off] ^= 0x01;
        write_bytes(p, f->bytes, f->len);
        f->bytes[off] ^= 0x01;
        struct fs_diag diag;
        fs_diag_clear(&diag);
        uint64_t n = 0;
        int err = read_all(p, &n, &diag);
        /* A few flips zstd cannot see (the frame header's window size,
         * unused bits of an entropy table) leave the content intact: then
         * every record must read back, proven by the checksum and the end
         * record; no flip may give a short or different valid trace. */
        if (err == 0 && n != NRECORDS)
            fail_msg("flipped byte %zu of %zu reads as valid", off, f->len);
        benign += err == 0;
        if (err != 0)
            assert_int_equal(err, FS_EIO);
    }
    assert_true(benign * 100 < f->len); /* under 1% of the places */
}

static void
test_trace_not_a_file_is_an_error(void **state)
{
    struct fixture *f = *state;
    char p[160];
    snprintf(p, sizeof(p), "%s/x.zst", f->dir);
    write_bytes(p, f->bytes, 0);
    const char *paths[] = {p, f->dir, "/dev/null", "/nonexistent/t.zst"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct fs_diag diag;
        fs_diag_clear(&diag);
        assert_int_equal(read_all(paths[i], NULL, &diag), FS_EIO);
        assert_string_equal(diag.file, paths[i]);
    }
}

static void
test_trace_opens_only_before_records(void **state)
{
    struct fixture *f = *state;
    char p[160];
    snprintf(p, sizeof(p), "%s/x.zst", f->dir);
    struct fs_sim *sim;
    assert_int_equal(fs_sim_create(1, 0, &sim), 0);
    fs_sim_record(sim, 100, 0, 0);
    assert_int_equal(fs_sim_trace_open(sim, p, "", 0), FS_EINVAL);
    fs_sim_destroy(sim);
}

static void
test_trace_run_names_every_model_kind(void **state)
{
    (void)state;
    assert_string_equal(fs_run_record_kind_name(FS_REC_SVC_WAVE_OPEN),
                        "deployment_wave_opened");
    for (unsigned k = FS_REC_SVC_CHALLENGE; k <= FS_REC_SVC_DL_END; k++)
        assert_non_null(fs_run_record_kind_name((uint16_t)k));
    assert_null(fs_run_record_kind_name(FS_SIM_TRACE_END_KIND));
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_trace_reads_back_whole),
        T(test_trace_cut_anywhere_is_an_error),
        T(test_trace_any_flipped_byte_is_an_error),
        T(test_trace_not_a_file_is_an_error),
        T(test_trace_opens_only_before_records),
        T(test_trace_run_names_every_model_kind),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
