/*
 * report/compare.c - `fleetsim report A/fleet.db B/fleet.db`: two runs side
 * by side in one self-contained compare.html.
 *
 * Owns: the comparison page: both runs' facts, fleet-wide totals
 * (attestations, error reports, failed updates, attacks that succeeded),
 * and per deployment (matched by id; one present in only one run is shown
 * with the other side empty) time to 50/90/99%, failures, halts, errors,
 * with every differing value marked, and the two adoption curves overlaid
 * (A solid, B dashed) with both runs' events.
 * Invariants: reads both databases read-only with ORDER BY, so the same
 * pair gives the same bytes; a bad file is named in the message.
 * Does not: judge which run is better, or write either database.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "fleetsim/err.h"
#include "fleetsim/mem.h"
#include "fleetsim/report.h"
#include "fleetsim/units.h"
#include "report_int.h"

#define CURVE_POINTS 241

/* One side of the comparison. */
struct side {
    struct fs__report_db rd;     /* its database */
    struct fs__report_deploy *d; /* its deployments */
    size_t nd;                   /* their count */
    int64_t end_us;              /* simulated end */
};

struct cmp {
    struct side s[2];
};

/* Text of run.key, or "-". */
static const char *
run_value(struct fs__report_db *rd, const char *key)
{
    sqlite3_stmt *st;
    const char *v = "-";
    if (sqlite3_prepare_v2(rd->db,
                           "SELECT value FROM run WHERE key = ?1 ORDER BY key",
                           -1, &st, NULL) != SQLITE_OK)
        return v;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        v = fs_arena_strdup(&rd->arena,
                            (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return v;
}

/* One integer from sql (a single row, single column); 0 when none. */
static int64_t
query_i64(struct fs__report_db *rd, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = 0;
    if (sqlite3_prepare_v2(rd->db, sql, -1, &st, NULL) != SQLITE_OK)
        return 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = (int64_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Sum of the final counts of metric family name with label text like. */
static int64_t
metric_sum(const struct fs__report_db *rd, enum fs_metric f, int label,
           const char *value)
{
    int64_t sum = 0;
    for (size_t i = 0; i < rd->nseries; i++) {
        const struct fs__report_series *s = &rd->series[i];
        if (s->family == f && s->string == NULL && s->values[label] &&
            strcmp(s->values[label], value) == 0)
            sum += s->value;
    }
    return sum;
}

static void
row_text(FILE *fp, const char *name, const char *a, const char *b)
{
    bool differ = strcmp(a, b) != 0;
    fprintf(fp, "<tr><th>%s</th><td>", name);
    fs__report_html_text(fp, a);
    fprintf(fp, "</td><td%s>", differ ? " class=\"diff\"" : "");
    fs__report_html_text(fp, b);
    fprintf(fp, "</td><td>%s</td></tr>\n", differ ? "differs" : "");
}

static void
row_int(FILE *fp, const char *name, int64_t a, int64_t b)
{
    fprintf(fp, "<tr><th>%s</th><td>%" PRId64 "</td><td%s>%" PRId64 "</td><td>",
            name, a, a != b ? " class=\"diff\"" : "", b);
    if (a != b)
        fprintf(fp, "%+" PRId64, b - a);
    fputs("</td></tr>\n", fp);
}

static void
row_dur(FILE *fp, const char *name, int64_t a, int64_t b)
{
    char ta[40] = "unreached", tb[40] = "unreached", td[48] = "";
    if (a >= 0)
        fs_units_format_duration_human(a, ta, sizeof(ta));
    if (b >= 0)
        fs_units_format_duration_human(b, tb, sizeof(tb));
    if (a >= 0 && b >= 0 && a != b) {
        fs_units_format_duration_human(b > a ? b - a : a - b, td + 1,
                                       sizeof(td) - 1);
        td[0] = b > a ? '+' : '-';
    } else if ((a < 0) != (b < 0)) {
        snprintf(td, sizeof(td), "reached in one run only");
    }
    fprintf(fp, "<tr><th>%s</th><td>%s</td><td%s>%s</td><td>%s</td></tr>\n",
            name, ta, a != b ? " class=\"diff\"" : "", tb, td);
}

static const char head3[] = "<tr><th></th><th>A</th><th>B</th>"
                            "<th>difference (B - A)</th></tr>\n";

static void
runs_table(struct cmp *c, FILE *fp, const char *pa, const char *pb)
{
    static const char *const keys[] = {"scenario",   "seed",    "devices",
                                       "events",     "threads", "crypto",
                                       "fingerprint"};
    fs__report_table_open(fp, head3);
    row_text(fp, "file", pa, pb);
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        row_text(fp, keys[i], run_value(&c->s[0].rd, keys[i]),
                 run_value(&c->s[1].rd, keys[i]));
    char ea[32], eb[32];
    fs__report_fmt_time(c->s[0].end_us, ea, sizeof(ea));
    fs__report_fmt_time(c->s[1].end_us, eb, sizeof(eb));
    row_text(fp, "simulated", ea, eb);
    fs__report_table_close(fp);
}

static void
totals_table(struct cmp *c, FILE *fp)
{
    struct fs__report_db *a = &c->s[0].rd, *b = &c->s[1].rd;
    static const char *const q[][2] = {
        {"expectations failed", "SELECT count(*) FROM expectations"
                                " WHERE checked = 1 AND held = 0"},
        {"attestations passed", "SELECT coalesce(sum(count), 0) FROM"
                                " attestations WHERE result = 'pass'"},
        {"attestations failed", "SELECT coalesce(sum(count), 0) FROM"
                                " attestations WHERE result = 'fail'"},
        {"error reports", "SELECT coalesce(sum(count), 0) FROM error_reports"},
    };
    fputs("<h2>Fleet totals</h2>\n", fp);
    fs__report_table_open(fp, head3);
    for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++)
        row_int(fp, q[i][0], query_i64(a, q[i][1]), query_i64(b, q[i][1]));
    static const char *const res[] = {"confirmed", "failed", "rolled_back",
                                      "rejected"};
    for (size_t i = 0; i < 4; i++) {
        char name[64];
        snprintf(name, sizeof(name), "update steps %s", res[i]);
        row_int(fp, name, metric_sum(a, FS_M_UPDATES, 1, res[i]),
                metric_sum(b, FS_M_UPDATES, 1, res[i]));
    }
    row_int(fp, "attack steps succeeded",
            metric_sum(a, FS_M_ATTACKS, 1, "succeeded"),
            metric_sum(b, FS_M_ATTACKS, 1, "succeeded"));
    fs__report_table_close(fp);
}

static const struct fs__report_deploy *
find(const struct side *s, const char *id)
{
    for (size_t i = 0; i < s->nd; i++)
        if (strcmp(s->d[i].id, id) == 0)
            return &s->d[i];
    return NULL;
}

/* Both curves of one deployment id; either side may be NULL. */
static void
overlay(FILE *fp, const struct fs__report_deploy *da,
        const struct fs__report_deploy *db, int64_t end_us)
{
    int64_t t[CURVE_POINTS];
    double va[CURVE_POINTS], vb[CURVE_POINTS];
    struct fs__report_line lines[2];
    size_t nl = 0, nm = 0;
    const struct fs__report_deploy *ds[2] = {da, db};
    double *vs[2] = {va, vb};
    static const char *const names[2] = {"A confirmed", "B confirmed"};
    size_t cap = (da ? da->nmarks : 0) + (db ? db->nmarks : 0);
    struct fs__report_mark *m = fs_xcalloc(cap + 1, sizeof(*m));
    char(*labels)[200] = fs_xcalloc(cap + 1, sizeof(*labels));
    for (int k = 0; k < 2; k++) {
        if (ds[k] == NULL)
            continue;
        fs__report_curve(ds[k], false, end_us, t, vs[k], CURVE_POINTS);
        lines[nl++] = (struct fs__report_line){
            names[k], t, vs[k], CURVE_POINTS, (unsigned)k, k == 1};
        for (size_t i = 0; i < ds[k]->nmarks; i++) {
            snprintf(labels[nm], sizeof(labels[nm]), "%s: %s", k ? "B" : "A",
                     ds[k]->marks[i].label);
            m[nm] = ds[k]->marks[i];
            m[nm].label = labels[nm];
            m[nm].color = fs__report_color((unsigned)k);
            nm++;
        }
    }
    static const double h[] = {50, 90, 99};
    static const char *const hl[] = {"50%", "90%", "99%"};
    struct fs__report_chart ch = {
        "Adoption, A (solid) and B (dashed), with both runs' events",
        "% of targets confirmed",
        "%",
        true,
        end_us,
        100,
        lines,
        nl,
        m,
        nm,
        h,
        hl,
        3};
    fs__report_chart(fp, &ch);
    fs_free(labels);
    fs_free(m);
}

static void
deploy_block(FILE *fp, const struct fs__report_deploy *a,
             const struct fs__report_deploy *b, int64_t end_us)
{
    static const struct fs__report_deploy none = {.id = "-",
                                                  .image = "-",
                                                  .state = "absent",
                                                  .start_us = -1,
                                                  .reach_us = {-1, -1, -1}};
    const struct fs__report_deploy *x = a ? a : &none, *y = b ? b : &none;
    fputs("<section class=\"deploy\"><h3>", fp);
    fs__report_html_text(fp, a ? a->id : b->id);
    fputs("</h3>\n", fp);
    fs__report_table_open(fp, head3);
    row_text(fp, "image", x->image, y->image);
    row_text(fp, "state", x->state, y->state);
    row_int(fp, "waves opened", x->waves_opened, y->waves_opened);
    row_int(fp, "targets", x->targets, y->targets);
    row_int(fp, "offered", x->offered, y->offered);
    row_int(fp, "confirmed (service)", x->confirmed, y->confirmed);
    row_int(fp, "failures", x->failures, y->failures);
    row_int(fp, "errors", x->errors, y->errors);
    row_int(fp, "halts", x->halts, y->halts);
    for (int i = 0; i < FS__REPORT_NREACH; i++) {
        char name[32];
        snprintf(name, sizeof(name), "time to %d%%", fs__report_reach_pct[i]);
        row_dur(fp, name, x->reach_us[i], y->reach_us[i]);
    }
    fs__report_table_close(fp);
    overlay(fp, a, b, end_us);
    fputs("</section>\n", fp);
}

static int
compare_page(void *arg, FILE *fp, struct fs_diag *diag)
{
    struct cmp *c = arg;
    (void)diag;
    const char *pa = c->s[0].rd.path, *pb = c->s[1].rd.path;
    int64_t end =
        c->s[0].end_us > c->s[1].end_us ? c->s[0].end_us : c->s[1].end_us;
    fprintf(fp,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>fleetsim: compare</title><meta name=\"viewport\" "
            "content=\"width=device-width,initial-scale=1\"><style>%s"
            "</style></head><body>\n<h1>Two runs compared</h1>\n"
            "<p class=\"note\">A is the first database, B the second. Values "
            "of B that differ from A are marked in red, with B - A beside "
            "them. Confirmed counts and times to 50/90/99%% are the "
            "service's (confirmed reports taken in), from the start of each "
            "deployment.</p>\n",
            fs__report_css);
    runs_table(c, fp, pa, pb);
    totals_table(c, fp);
    fputs("<h2>Deployments</h2>\n", fp);
    for (size_t i = 0; i < c->s[0].nd; i++)
        deploy_block(fp, &c->s[0].d[i], find(&c->s[1], c->s[0].d[i].id), end);
    for (size_t i = 0; i < c->s[1].nd; i++)
        if (find(&c->s[0], c->s[1].d[i].id) == NULL)
            deploy_block(fp, NULL, &c->s[1].d[i], end);
    if (c->s[0].nd + c->s[1].nd == 0)
        fputs("<p>Neither run has a deployment.</p>\n", fp);
    fputs("</body></html>\n", fp);
    return ferror(fp) ? FS_EIO : 0;
}

static int
side_open(struct side *s, const char *path, struct fs_diag *diag)
{
    memset(s, 0, sizeof(*s));
    int err = fs__report_db_open(&s->rd, path, diag);
    if (err != 0)
        return err;
    err = fs__report_sim_end(&s->rd, &s->end_us, diag);
    if (err == 0)
        err = fs__report_deploys_load(&s->rd, &s->d, &s->nd, diag);
    if (err != 0)
        fs__report_db_close(&s->rd);
    return err;
}

static void
side_close(struct side *s)
{
    fs__report_deploys_free(s->d, s->nd);
    fs__report_db_close(&s->rd);
}

int
fs_report_compare(const char *path_a, const char *path_b, const char *out_path,
                  struct fs_diag *diag)
{
    struct cmp c;
    int err = side_open(&c.s[0], path_a, diag);
    if (err != 0)
        return err;
    err = side_open(&c.s[1], path_b, diag);
    if (err != 0)
        goto out_close_a;
    err = fs__report_write_whole(out_path, compare_page, &c, diag);
    side_close(&c.s[1]);
out_close_a:
    side_close(&c.s[0]);
    return err;
}
