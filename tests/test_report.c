/*
 * tests/test_report.c - report.html built from fleet.db alone.
 *
 * Owns: the cmocka group for report/ (fs_report_write, fs_report_html):
 * the page rebuilt from a run's fleet.db equals, byte for byte, the one the
 * run wrote; the database is only read; bad inputs fail with FS_EDB or
 * FS_EIO and a message naming the file; label values are split back
 * exactly; fleetsim merge and the sweep page of a merged database.
 * Invariants: every test works in its own temporary folder and removes it;
 * teardown checks no block is left allocated.
 * Does not: check the trace diff (tests/cli-checks.sh does) or the model.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "fleetsim/cli.h"
#include "fleetsim/err.h"
#include "fleetsim/mem.h"
#include "fleetsim/report.h"
#include "fleetsim/run.h"
#include "fleetsim/scn.h"

/* 20 devices for a day: attestations, crashes, and expectations that hold,
 * fail and (when stopped early) are not reached. */
static const char small_yaml[] = "scenario: report-small\n"
                                 "description: A small <fleet> & \"friends\"\n"
                                 "seed: 11\n"
                                 "duration: 1d\n"
                                 "products:\n"
                                 "  - name: DW100\n"
                                 "images:\n"
                                 "  - id: os-23.04\n"
                                 "    version: \"23.04\"\n"
                                 "    size: 4MiB\n"
                                 "    crash_rate: 0.2/d\n"
                                 "fleet:\n"
                                 "  - product: DW100\n"
                                 "    count: 20\n"
                                 "    os: os-23.04\n"
                                 "expect:\n"
                                 "  - devices == 20\n"
                                 "  - attestations{result=\"pass\"} > 0\n"
                                 "  - that: devices == 21\n"
                                 "    at: 12h\n";

static int
teardown(void **state)
{
    (void)state;
    assert_int_equal(fs_mem_live_blocks(), 0);
    return 0;
}

static char *
read_file(const char *path, size_t *out_len)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        fail_msg("cannot open %s", path);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    long len = ftell(fp);
    assert_true(len > 0);
    rewind(fp);
    char *buf = malloc((size_t)len + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)len, fp), (size_t)len);
    buf[len] = '\0';
    fclose(fp);
    *out_len = (size_t)len;
    return buf;
}

static void
assert_same_file(const char *a, const char *b)
{
    size_t la, lb;
    char *xa = read_file(a, &la), *xb = read_file(b, &lb);
    if (la != lb || memcmp(xa, xb, la) != 0)
        fail_msg("%s and %s differ", a, b);
    free(xa);
    free(xb);
}

static void
remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    char path[4200];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* Run small_yaml into dir; to its end, or stopped after some events. */
static void
run_into(const char *dir, bool stop_early)
{
    struct fs_scn *scn = NULL;
    struct fs_diag d;
    fs_diag_clear(&d);
    if (fs_scn_load_string("report.yaml", small_yaml, strlen(small_yaml), &scn,
                           &d) != 0)
        fail_msg("load: %d:%d: %s", d.line, d.column, d.msg);
    struct fs_run_opts o;
    memset(&o, 0, sizeof(o));
    struct fs_run *r = NULL;
    if (fs_run_create(scn, &o, &r, &d) != 0)
        fail_msg("create: %s", d.msg);
    bool done = false;
    if (stop_early) {
        assert_int_equal(fs_run_step(r, 40, &done), 0);
        fs_run_stop(r);
        (void)fs_run_step(r, 40, &done);
        assert_false(done);
    } else {
        while (!done)
            assert_int_equal(fs_run_step(r, 1000, &done), 0);
    }
    if (fs_cli_write_outputs(r, dir, 0.25, &d) != 0)
        fail_msg("write %s: %s: %s", dir, d.file, d.msg);
    fs_run_destroy(r);
    fs_scn_destroy(scn);
}

/* The page rebuilt from fleet.db is the run's page, and fleet.db is only
 * read. */
static void
check_rebuild(bool stop_early, const char *must_have)
{
    char dir[] = "/tmp/fleetsim-test-report-XXXXXX";
    assert_non_null(mkdtemp(dir));
    run_into(dir, stop_early);
    char db[4200], html[4200], again[4200], copy[4200];
    snprintf(db, sizeof(db), "%s/fleet.db", dir);
    snprintf(html, sizeof(html), "%s/report.html", dir);
    snprintf(again, sizeof(again), "%s/again.html", dir);
    snprintf(copy, sizeof(copy), "%s/db-before", dir);
    size_t ldb;
    char *before = read_file(db, &ldb);

    struct fs_diag d;
    fs_diag_clear(&d);
    if (fs_report_write(db, again, &d) != 0)
        fail_msg("report: %s: %s", d.file, d.msg);
    assert_same_file(html, again);

    /* The same bytes through a FILE. */
    char *mem = NULL;
    size_t lmem = 0;
    FILE *fp = open_memstream(&mem, &lmem);
    assert_non_null(fp);
    assert_int_equal(fs_report_html(db, fp, &d), 0);
    fclose(fp);
    size_t lh;
    char *page = read_file(html, &lh);
    assert_int_equal(lmem, lh);
    assert_memory_equal(mem, page, lh);
    assert_non_null(strstr(page, must_have));
    assert_non_null(strstr(page, "<svg"));
    assert_non_null(strstr(page, "devices == 21"));
    free(mem);
    free(page);

    size_t lafter;
    char *after = read_file(db, &lafter);
    assert_int_equal(ldb, lafter);
    assert_memory_equal(before, after, ldb);
    free(before);
    free(after);
    remove_dir(dir);
}

static void
test_report_rebuilds_run_page(void **state)
{
    (void)state;
    check_rebuild(false, "<td>1d of 1d</td>");
}

static void
test_report_rebuilds_stopped_run(void **state)
{
    (void)state;
    check_rebuild(true, " (interrupted)</td>");
}

/* Bad inputs: FS_EDB naming the database, FS_EIO naming the output; the
 * output is never left behind, whole or half. */
static void
test_report_bad_inputs(void **state)
{
    (void)state;
    char dir[] = "/tmp/fleetsim-test-report-bad-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char missing[4200], text[4200], other[4200], out[4200], good[4200];
    snprintf(missing, sizeof(missing), "%s/missing.db", dir);
    snprintf(text, sizeof(text), "%s/text.db", dir);
    snprintf(other, sizeof(other), "%s/other.db", dir);
    snprintf(out, sizeof(out), "%s/out.html", dir);
    FILE *fp = fopen(text, "w");
    assert_non_null(fp);
    fputs("scenario: not a database at all, just some text\n", fp);
    fclose(fp);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(other, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TABLE t(x); INSERT INTO t VALUES(1);",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);

    const char *const bad[] = {missing, text, other};
    for (size_t i = 0; i < 3; i++) {
        struct fs_diag d;
        fs_diag_clear(&d);
        assert_int_equal(fs_report_write(bad[i], out, &d), FS_EDB);
        assert_string_equal(d.file, bad[i]);
        assert_true(d.msg[0] != '\0');
        assert_int_equal(access(out, F_OK), -1);
    }
    assert_int_equal(access(missing, F_OK), -1); /* not created */

    /* A good database, an output folder that does not exist. */
    run_into(dir, false);
    snprintf(good, sizeof(good), "%s/fleet.db", dir);
    snprintf(out, sizeof(out), "%s/no/such/folder/report.html", dir);
    struct fs_diag d;
    fs_diag_clear(&d);
    assert_int_equal(fs_report_write(good, out, &d), FS_EIO);
    assert_string_equal(d.file, out);
    remove_dir(dir);
}

/* compare.html: two runs side by side, the same bytes for the same pair,
 * and a bad database on either side named (FS_EDB), nothing written. */
static void
test_report_compare(void **state)
{
    (void)state;
    char dir[] = "/tmp/fleetsim-test-report-cmp-XXXXXX";
    assert_non_null(mkdtemp(dir));
    run_into(dir, false);
    char db[4200], out[4200], again[4200], text[4200];
    snprintf(db, sizeof(db), "%s/fleet.db", dir);
    snprintf(out, sizeof(out), "%s/compare.html", dir);
    snprintf(again, sizeof(again), "%s/again.html", dir);
    snprintf(text, sizeof(text), "%s/text.db", dir);
    struct fs_diag d;
    fs_diag_clear(&d);
    if (fs_report_compare(db, db, out, &d) != 0)
        fail_msg("compare: %s: %s", d.file, d.msg);
    assert_int_equal(fs_report_compare(db, db, again, &d), 0);
    assert_same_file(out, again);
    size_t len;
    char *page = read_file(out, &len);
    assert_non_null(strstr(page, "Two runs compared"));
    assert_null(strstr(page, "class=\"diff\"")); /* a run equals itself */
    free(page);
    FILE *fp = fopen(text, "w");
    assert_non_null(fp);
    fputs("not a database\n", fp);
    fclose(fp);
    const char *const pairs[][2] = {{db, text}, {text, db}};
    for (size_t i = 0; i < 2; i++) {
        remove(out);
        fs_diag_clear(&d);
        assert_int_equal(fs_report_compare(pairs[i][0], pairs[i][1], out, &d),
                         FS_EDB);
        assert_string_equal(d.file, text);
        assert_int_equal(access(out, F_OK), -1);
    }
    remove_dir(dir);
}

/* A fleet.db written by hand: label values with ',' and '"' in them come
 * back whole, and optional run keys show when present. */
static void
test_report_labels_split_back(void **state)
{
    (void)state;
    char dir[] = "/tmp/fleetsim-test-report-lab-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[4200];
    snprintf(path, sizeof(path), "%s/fleet.db", dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    static const char sql[] =
        "CREATE TABLE run(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE expectations(idx INTEGER PRIMARY KEY, expr TEXT NOT "
        "NULL, at_us INTEGER NOT NULL, line INTEGER NOT NULL,"
        " checked INTEGER NOT NULL, held INTEGER, seen TEXT);"
        "CREATE TABLE metrics(idx INTEGER PRIMARY KEY, metric TEXT NOT NULL,"
        " labels TEXT NOT NULL, value INTEGER, string TEXT);"
        "CREATE TABLE metric_samples(t_us INTEGER NOT NULL,"
        " series INTEGER NOT NULL, value INTEGER NOT NULL,"
        " PRIMARY KEY(t_us, series));"
        "INSERT INTO run VALUES('scenario','hand'),('fingerprint','ab'),"
        "('seed','1'),('devices','3'),('events','9'),"
        "('sim_time_us','3600000000'),('completed','0'),"
        "('description','made by hand'),('duration_us','7200000000');"
        "INSERT INTO expectations VALUES(0,'devices == 3',-1,4,0,NULL,NULL);"
        "INSERT INTO metrics VALUES"
        "(0,'devices','product=\"a,b\",app=\"x\",y\",state=\"running\"',3,"
        "NULL),"
        "(1,'rollout_state','id=\"os\"',NULL,'running'),"
        "(2,'attestations','result=\"pass\"',0,NULL);"
        "INSERT INTO metric_samples VALUES(0,0,1),(0,2,0),(3600000000,0,3),"
        "(3600000000,2,5);";
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    char *mem = NULL;
    size_t lmem = 0;
    FILE *fp = open_memstream(&mem, &lmem);
    assert_non_null(fp);
    struct fs_diag d;
    fs_diag_clear(&d);
    if (fs_report_html(path, fp, &d) != 0)
        fail_msg("report: %s", d.msg);
    fclose(fp);
    assert_non_null(strstr(mem, "<p>made by hand</p>"));
    assert_non_null(strstr(mem, "<td>1h of 2h (interrupted)</td>"));
    assert_non_null(strstr(mem,
                           "<code>devices{product=\"a,b\", app=\"x&quot;,y\", "
                           "state=\"running\"}</code></td><td>3</td>"));
    assert_non_null(
        strstr(mem, "<code>rollout_state{id=\"os\"}</code></td><td>running"));
    assert_non_null(strstr(mem, "Attestations by result"));
    assert_non_null(strstr(mem, "not reached"));
    free(mem);
    remove_dir(dir);
}

/* fleetsim merge and the sweep: two runs merged (runs in argument order,
 * rows per run), the same bytes again, the sweep's JSON and page; an input
 * given twice, a merged input and the merged database given to the
 * single-run page refused, naming the file; no block left allocated. */
static void
test_report_merge_sweep(void **state)
{
    (void)state;
    char dir[] = "/tmp/fleetsim-test-report-merge-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char a[256], b[256], dba[4200], dbb[4200], m[4200], m2[4200];
    char json[4200], html[4200];
    snprintf(a, sizeof(a), "%s/a", dir);
    snprintf(b, sizeof(b), "%s/b", dir);
    run_into(a, false);
    run_into(b, true);
    snprintf(dba, sizeof(dba), "%s/fleet.db", a);
    snprintf(dbb, sizeof(dbb), "%s/fleet.db", b);
    snprintf(m, sizeof(m), "%s/m.db", dir);
    snprintf(m2, sizeof(m2), "%s/m2.db", dir);
    snprintf(json, sizeof(json), "%s/sweep.json", dir);
    snprintf(html, sizeof(html), "%s/sweep.html", dir);
    const char *const in[] = {dba, dbb, dba};
    struct fs_diag d;
    fs_diag_clear(&d);
    if (fs_run_merge(m, in, 2, &d) != 0)
        fail_msg("merge: %s: %s", d.file, d.msg);
    assert_int_equal(fs_run_merge(m2, in, 2, &d), 0);
    assert_same_file(m, m2);
    assert_true(fs_report_is_merged(m));
    assert_false(fs_report_is_merged(dba));
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(m, &db, SQLITE_OPEN_READONLY, NULL), 0);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT group_concat(run || ':' ||"
                                        " completed, ',') FROM (SELECT * FROM"
                                        " runs ORDER BY run)",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "1:1,2:0");
    sqlite3_finalize(st);
    sqlite3_close(db);
    assert_int_equal(fs_report_sweep(m, json, true, &d), 0);
    assert_int_equal(fs_report_sweep(m, html, false, &d), 0);
    size_t len;
    char *text = read_file(json, &len);
    assert_non_null(strstr(text, "\"percentile\": \"nearest-rank\""));
    assert_non_null(strstr(text, "\"runs\": 2,"));
    free(text);
    text = read_file(html, &len);
    assert_non_null(strstr(text, "Sweep: 2 runs in 1 group<"));
    free(text);
    remove(m2);
    assert_int_equal(fs_run_merge(m2, in, 3, &d), FS_EUSAGE);
    assert_string_equal(d.file, dba);
    const char *const merged_in[] = {dba, m};
    assert_int_equal(fs_run_merge(m2, merged_in, 2, &d), FS_EDB);
    assert_string_equal(d.file, m);
    assert_int_equal(access(m2, F_OK), -1);
    assert_int_equal(fs_report_write(m, html, &d), FS_EDB);
    assert_string_equal(d.file, m);
    remove_dir(a);
    remove_dir(b);
    remove_dir(dir);
}

int
main(void)
{
#define T(name) cmocka_unit_test_teardown(name, teardown)
    const struct CMUnitTest tests[] = {
        T(test_report_rebuilds_run_page), T(test_report_rebuilds_stopped_run),
        T(test_report_bad_inputs),        T(test_report_labels_split_back),
        T(test_report_compare),           T(test_report_merge_sweep),
    };
#undef T
    return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
