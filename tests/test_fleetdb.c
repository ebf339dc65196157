/*
 * tests/test_fleetdb.c - the questions of docs/fleet-db.md, answered on
 * fixture runs.
 *
 * Owns: running fixture scenarios (scenarios/app-halt-fix.yaml and two of
 * scenarios/attacks/) through the library into a temporary folder, and
 * running each query of the "Questions" section of docs/fleet-db.md,
 * extracted by its <!-- query: NAME --> marker, on the fleet.db written.
 * Invariants: every answer is checked against an independent source (the
 * metrics or metric_samples tables, which the metric registry fills, not
 * the event collector or the service tables), and at least one answer of
 * each query is non-empty, so every check can fail; queries run with
 * PRAGMA reverse_unordered_selects=ON; no block is left allocated.
 * Does not: check the model (test_run.c, test_service.c do).
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
#include "fleetsim/mem.h"
#include "fleetsim/run.h"
#include "fleetsim/scn.h"

/* A fixture run's database, open read-only, and its temporary folder. */
struct fx {
    char dir[256]; /* temporary out folder */
    sqlite3 *db;   /* its fleet.db */
    size_t live0;  /* blocks live before the run (a failed test before
                      this one may have left some) */
};

static const char *
test_dir(void)
{
    const char *d = getenv("FLEETSIM_TEST_DIR");
    return d != NULL ? d : "tests";
}

/* The SQL of query name from docs/fleet-db.md (fs_free it). */
static char *
doc_query(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/../docs/fleet-db.md", test_dir());
    FILE *fp = fopen(path, "r");
    if (fp == NULL)
        fail_msg("cannot open %s", path);
    char *text = fs_xmalloc(1 << 20);
    size_t n = fread(text, 1, (1 << 20) - 1, fp);
    fclose(fp);
    text[n] = '\0';
    char marker[128];
    snprintf(marker, sizeof(marker), "\n<!-- query: %s -->\n```sql\n", name);
    char *from = strstr(text, marker);
    if (from == NULL)
        fail_msg("no query %s in %s", name, path);
    from += strlen(marker);
    char *to = strstr(from, "```\n<!-- end -->");
    if (to == NULL)
        fail_msg("query %s has no end marker", name);
    memmove(text, from, (size_t)(to - from));
    text[to - from] = '\0';
    return text;
}

/* Run the scenario at rel (from the repository root) into a temporary
 * folder and open its fleet.db. */
static void
fx_run(struct fx *x, const char *rel)
{
    char path[512];
    x->live0 = fs_mem_live_blocks();
    snprintf(path, sizeof(path), "%s/../%s", test_dir(), rel);
    struct fs_diag d;
    fs_diag_clear(&d);
    struct fs_scn *scn;
    if (fs_scn_load(path, &scn, &d) != 0)
        fail_msg("%s: %s", path, d.msg);
    struct fs_run_opts o = {0};
    struct fs_run *r;
    assert_int_equal(fs_run_create(scn, &o, &r, &d), 0);
    bool done = false;
    while (!done)
        assert_int_equal(fs_run_step(r, 1000000, &done), 0);
    snprintf(x->dir, sizeof(x->dir), "/tmp/fleetsim-test-fleetdb-XXXXXX");
    assert_non_null(mkdtemp(x->dir));
    if (fs_cli_write_outputs(r, x->dir, 0, &d) != 0)
        fail_msg("write %s: %s", x->dir, d.msg);
    fs_run_destroy(r);
    fs_scn_destroy(scn);
    snprintf(path, sizeof(path), "%s/fleet.db", x->dir);
    assert_int_equal(sqlite3_open_v2(path, &x->db, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_exec(x->db, "PRAGMA reverse_unordered_selects=ON",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
}

static void
fx_done(struct fx *x)
{
    sqlite3_close(x->db);
    DIR *dp = opendir(x->dir);
    struct dirent *e;
    while (dp != NULL && (e = readdir(dp)) != NULL) {
        char p[512];
        if (e->d_name[0] == '.' &&
            (e->d_name[1] == '\0' || (e->d_name[1] == '.' && !e->d_name[2])))
            continue;
        snprintf(p, sizeof(p), "%s/%s", x->dir, e->d_name);
        unlink(p);
    }
    if (dp != NULL)
        closedir(dp);
    rmdir(x->dir);
    assert_int_equal(fs_mem_live_blocks(), x->live0);
}

static sqlite3_stmt *
prep(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s\n%s", sqlite3_errmsg(db), sql);
    return st;
}

/* One integer from sql with text parameters a, b, c (NULL: unbound). */
static int64_t
one(sqlite3 *db, const char *sql, const char *a, const char *b, const char *c)
{
    sqlite3_stmt *st = prep(db, sql);
    const char *p[3] = {a, b, c};
    for (int i = 0; i < 3; i++)
        if (p[i] != NULL)
            sqlite3_bind_text(st, i + 1, p[i], -1, SQLITE_TRANSIENT);
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0)
                                               : INT64_MIN;
    sqlite3_finalize(st);
    return v;
}

/* Final value of the metric series of family m with labels k1=v1, k2=v2
 * (and k3=v3 when given), summed, read through metrics and metric_labels. */
static const char metric_sum[] =
    "SELECT coalesce(sum(m.value), 0) FROM metrics m"
    " WHERE m.metric = ?1"
    " AND (SELECT count(*) FROM metric_labels l WHERE l.series = m.idx"
    "  AND l.key || '=' || l.value IN (?2, ?3)) = 2 - (?3 IS NULL)";

static void
test_fleetdb_failed_updates(void **state)
{
    (void)state;
    struct fx x;
    fx_run(&x, "scenarios/app-halt-fix.yaml");
    char *q = doc_query("failed_updates");
    sqlite3_stmt *st = prep(x.db, q);
    int rows = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *img = (const char *)sqlite3_column_text(st, 2);
        const char *res = (const char *)sqlite3_column_text(st, 4);
        const char *why = (const char *)sqlite3_column_text(st, 5);
        /* The device side counted such an outcome (reason as the label). */
        int64_t n = one(x.db,
                        "SELECT coalesce(sum(value), 0) FROM metrics m"
                        " WHERE metric = 'updates' AND labels ="
                        " printf('image=\"%s\",result=\"%s\"%s', ?1, ?2,"
                        " CASE WHEN ?3 IS NULL THEN '' ELSE"
                        " printf(',reason=\"%s\"', ?3) END)",
                        img, res, why);
        assert_true(n >= 1);
        rows++;
    }
    sqlite3_finalize(st);
    /* As many failed devices as the devices counted failures. */
    int64_t failed = one(x.db,
                         "SELECT coalesce(sum(m.value), 0) FROM metrics m"
                         " JOIN metric_labels l ON l.series = m.idx"
                         " AND l.key = 'result' AND l.value IN"
                         " ('failed', 'rolled_back', 'rejected')"
                         " WHERE m.metric = 'updates'",
                         NULL, NULL, NULL);
    assert_int_equal(rows, failed);
    assert_true(rows > 0);
    fs_free(q);
    fx_done(&x);
}

/* Device-side confirmed count of image at the first sample at or after
 * t_us (metric_samples through metric_labels). */
static int64_t
confirmed_at(sqlite3 *db, const char *image, int64_t t_us)
{
    char t[32];
    snprintf(t, sizeof(t), "%lld", (long long)t_us);
    return one(db,
               "SELECT coalesce(sum(s.value), 0) FROM metric_samples s"
               " JOIN metric_labels i ON i.series = s.series"
               " AND i.metric = 'updates' AND i.key = 'image' AND i.value = ?1"
               " JOIN metric_labels r ON r.series = s.series"
               " AND r.key = 'result' AND r.value = 'confirmed'"
               " WHERE s.t_us = (SELECT min(t_us) FROM metric_samples"
               " WHERE t_us >= CAST(?2 AS INTEGER))",
               image, t, NULL);
}

static void
test_fleetdb_time_to_confirmed(void **state)
{
    (void)state;
    struct fx x;
    fx_run(&x, "scenarios/app-halt-fix.yaml");
    char *q = doc_query("time_to_confirmed");
    sqlite3_stmt *st = prep(x.db, q);
    int reached = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (sqlite3_column_type(st, 1) != SQLITE_NULL)
            continue; /* per wave: the deployment rows are checked */
        const char *id = (const char *)sqlite3_column_text(st, 0);
        int64_t pct = sqlite3_column_int64(st, 2);
        int64_t need = one(x.db,
                           "SELECT (CAST(?2 AS INTEGER) * targets + 99) / 100"
                           " FROM deployments WHERE id = ?1",
                           id, (const char *)sqlite3_column_text(st, 2), NULL);
        char img[128];
        sqlite3_stmt *d = prep(x.db, "SELECT image, start_us, confirmed"
                                     " FROM deployments WHERE id = ?1");
        sqlite3_bind_text(d, 1, id, -1, SQLITE_TRANSIENT);
        assert_int_equal(sqlite3_step(d), SQLITE_ROW);
        snprintf(img, sizeof(img), "%s", sqlite3_column_text(d, 0));
        int64_t start_us = sqlite3_column_int64(d, 1);
        int64_t confirmed = sqlite3_column_int64(d, 2);
        sqlite3_finalize(d);
        if (sqlite3_column_type(st, 3) == SQLITE_NULL) {
            assert_true(confirmed < need); /* never reached */
            continue;
        }
        /* Devices confirm before the service hears of it: by then the
         * device side had at least pct% confirmed. */
        int64_t at = start_us + sqlite3_column_int64(st, 3);
        assert_true(confirmed_at(x.db, img, at) >= need);
        /* ... and it is the first time the service had need of them. */
        char t[32];
        snprintf(t, sizeof(t), "%lld", (long long)at);
        static const char upto[] =
            "SELECT count(*) FROM device_deployments dd JOIN deployments d"
            " ON d.idx = dd.deployment WHERE d.id = ?1"
            " AND dd.confirmed_us %s CAST(?2 AS INTEGER)";
        char sql[256];
        snprintf(sql, sizeof(sql), upto, "<=");
        assert_true(one(x.db, sql, id, t, NULL) >= need);
        snprintf(sql, sizeof(sql), upto, "<");
        assert_true(one(x.db, sql, id, t, NULL) < need);
        assert_true(pct == 50 || pct == 90 || pct == 99);
        reached++;
    }
    sqlite3_finalize(st);
    assert_int_equal(reached, 3);
    fs_free(q);
    fx_done(&x);
}

static void
test_fleetdb_error_reports_per_day(void **state)
{
    (void)state;
    struct fx x;
    fx_run(&x, "scenarios/app-halt-fix.yaml");
    char *q = doc_query("error_reports_per_day");
    /* Per image, the days sum to the error_reports{image} metric. */
    char sql[4096];
    snprintf(sql, sizeof(sql),
             "SELECT image, sum(reports) FROM (%.*s) GROUP BY image"
             " ORDER BY image",
             (int)(strlen(q) - 2), q); /* without the ";\n" */
    sqlite3_stmt *st = prep(x.db, sql);
    int images = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        char ki[128];
        snprintf(ki, sizeof(ki), "image=%s", sqlite3_column_text(st, 0));
        int64_t m = one(x.db,
                        "SELECT coalesce(sum(m.value), 0) FROM metrics m"
                        " JOIN metric_labels l ON l.series = m.idx"
                        " AND l.key || '=' || l.value = ?1"
                        " WHERE m.metric = 'error_reports'",
                        ki, NULL, NULL);
        assert_int_equal(sqlite3_column_int64(st, 1), m);
        assert_true(m > 0);
        images++;
    }
    sqlite3_finalize(st);
    assert_int_equal(images, 3);
    /* More than one day holds reports: the split is by day. */
    snprintf(sql, sizeof(sql), "SELECT count(DISTINCT day) FROM (%.*s)",
             (int)(strlen(q) - 2), q);
    assert_true(one(x.db, sql, NULL, NULL, NULL) >= 2);
    fs_free(q);
    fx_done(&x);
}

static void
test_fleetdb_compromised(void **state)
{
    (void)state;
    struct fx x;
    fx_run(&x, "scenarios/attacks/malicious-flash-nodefense.yaml");
    char *q = doc_query("compromised");
    sqlite3_stmt *st = prep(x.db, q);
    int rows = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *why = (const char *)sqlite3_column_text(st, 6);
        assert_non_null(why);
        assert_non_null(strstr(why, "attack:malicious_flash"));
        rows++;
    }
    sqlite3_finalize(st);
    assert_int_equal(
        rows, one(x.db, metric_sum, "devices", "compromised=true", NULL));
    assert_true(rows > 0);
    fs_free(q);
    fx_done(&x);
}

/* attack_outcomes on the run of rel agrees with attacks{kind, outcome}. */
static int
check_attacks(const char *rel, const char *check)
{
    struct fx x;
    fx_run(&x, rel);
    char *q = doc_query("attack_outcomes");
    sqlite3_stmt *st = prep(x.db, q);
    int rows = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        char k[64], o[64];
        snprintf(k, sizeof(k), "kind=%s", sqlite3_column_text(st, 0));
        snprintf(o, sizeof(o), "outcome=%s", sqlite3_column_text(st, 1));
        assert_int_equal(sqlite3_column_int64(st, 3),
                         one(x.db, metric_sum, "attacks", k, o));
        if (check != NULL)
            assert_string_equal((const char *)sqlite3_column_text(st, 2),
                                check);
        rows++;
    }
    sqlite3_finalize(st);
    fs_free(q);
    fx_done(&x);
    return rows;
}

static void
test_fleetdb_attack_outcomes(void **state)
{
    (void)state;
    assert_int_equal(check_attacks("scenarios/attacks/unsigned-image.yaml",
                                   "update:bad_signature"),
                     1);
    assert_int_equal(check_attacks("scenarios/attacks/malicious-flash.yaml",
                                   "secure_boot:bad_hash"),
                     1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fleetdb_failed_updates),
        cmocka_unit_test(test_fleetdb_time_to_confirmed),
        cmocka_unit_test(test_fleetdb_error_reports_per_day),
        cmocka_unit_test(test_fleetdb_compromised),
        cmocka_unit_test(test_fleetdb_attack_outcomes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
