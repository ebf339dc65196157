/*
 * report/rollout.c - the deployments of a run as report.html shows them:
 * one section per deployment (adoption curve with its events marked, wave
 * table, events), then updates by image and result, error reports as a
 * rate per image, attestation failures by reason, attack outcomes by kind
 * and devices by state.
 *
 * Owns: reading deployments, waves, device_deployments and events back
 * (fs__report_deploys_load, shared with the comparison page), times to
 * 50/90/99% confirmed, and those sections of the page.
 * Invariants: every SELECT has an ORDER BY; tables that an older fleet.db
 * lacks (events, device_deployments) are looked up in sqlite_master first
 * and their part is left out, never an error. Confirmed counts here are the
 * service's (confirmed reports taken in, device_deployments.confirmed_us).
 * Does not: write the database or see the live run.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "fleetsim/err.h"
#include "fleetsim/mem.h"
#include "fleetsim/metrics.h"
#include "fleetsim/units.h"
#include "report_int.h"

const int fs__report_reach_pct[FS__REPORT_NREACH] = {50, 90, 99};

/* Points of an adoption curve. */
#define CURVE_POINTS 241

bool
fs__report_has_table(struct fs__report_db *rd, const char *name)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(rd->db,
                           "SELECT count(*) FROM sqlite_master WHERE name = ?1"
                           " AND type IN ('table', 'view')",
                           -1, &st, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    bool yes = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) > 0;
    sqlite3_finalize(st);
    return yes;
}

int
fs__report_sim_end(struct fs__report_db *rd, int64_t *out, struct fs_diag *diag)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(rd->db,
                           "SELECT value FROM run WHERE key = 'sim_time_us'"
                           " ORDER BY key",
                           -1, &st, NULL) != SQLITE_OK)
        return fs__report_db_fail(rd, diag);
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? (int64_t)sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return fs_diag_set(diag, FS_EDB, rd->path, 0, 0,
                           "not a fleet database: no 'sim_time_us' in table "
                           "run");
    return 0;
}

static const char *
col_text(struct fs__report_db *rd, sqlite3_stmt *st, int i)
{
    const char *s = (const char *)sqlite3_column_text(st, i);
    return fs_arena_strdup(&rd->arena, s ? s : "");
}

static int64_t
col_i64(sqlite3_stmt *st, int i, int64_t if_null)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL
               ? if_null
               : sqlite3_column_int64(st, i);
}

/* The times of column col of device_deployments for deployment idx. */
static int
load_times(struct fs__report_db *rd, int64_t idx, const char *col,
           int64_t **out, size_t *out_n, struct fs_diag *diag)
{
    char sql[200];
    snprintf(sql, sizeof(sql),
             "SELECT %s FROM device_deployments WHERE deployment = ?1"
             " AND %s IS NOT NULL ORDER BY %s, device",
             col, col, col);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(rd->db, sql, -1, &st, NULL) != SQLITE_OK)
        return fs__report_db_fail(rd, diag);
    sqlite3_bind_int64(st, 1, idx);
    size_t cap = 0, n = 0;
    int64_t *v = NULL;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            v = fs_xrealloc(v, cap * sizeof(*v));
        }
        v[n++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    *out = v;
    *out_n = n;
    return rc == SQLITE_DONE ? 0 : fs__report_db_fail(rd, diag);
}

static const char *
event_color(const char *name)
{
    if (strcmp(name, "halted") == 0 || strcmp(name, "cancelled") == 0)
        return "#c00";
    if (strcmp(name, "resumed") == 0)
        return "#080";
    if (strcmp(name, "completed") == 0)
        return "#555";
    return "#6a3d9a";
}

/* The events of deployment d as chart marks. */
static int
load_marks(struct fs__report_db *rd, struct fs__report_deploy *d,
           struct fs_diag *diag)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(rd->db,
                           "SELECT t_us, name, wave, rule, rate, devices"
                           " FROM events WHERE deployment = ?1"
                           " ORDER BY seq",
                           -1, &st, NULL) != SQLITE_OK)
        return fs__report_db_fail(rd, diag);
    sqlite3_bind_int64(st, 1, d->idx);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = col_text(rd, st, 1);
        char lab[160], sh[40];
        int64_t wave = col_i64(st, 2, 0);
        if (strcmp(name, "wave_opened") == 0) {
            snprintf(lab, sizeof(lab), "wave %" PRId64 " opened", wave);
            snprintf(sh, sizeof(sh), "wave %" PRId64, wave);
        } else if (strcmp(name, "halted") == 0) {
            snprintf(lab, sizeof(lab), "halted: %s %.2f%% of offered",
                     (const char *)col_text(rd, st, 3),
                     100.0 * sqlite3_column_double(st, 4));
            snprintf(sh, sizeof(sh), "halt");
            d->halts++;
        } else if (strcmp(name, "resumed") == 0) {
            snprintf(lab, sizeof(lab), "resumed in wave %" PRId64, wave);
            snprintf(sh, sizeof(sh), "resume");
        } else if (strcmp(name, "completed") == 0) {
            snprintf(lab, sizeof(lab), "completed, %" PRId64 " confirmed",
                     col_i64(st, 5, 0));
            snprintf(sh, sizeof(sh), "done");
        } else if (strcmp(name, "deployment_started") == 0) {
            snprintf(lab, sizeof(lab), "started, %" PRId64 " targets",
                     col_i64(st, 5, 0));
            snprintf(sh, sizeof(sh), "start");
        } else {
            snprintf(lab, sizeof(lab), "%s", name);
            snprintf(sh, sizeof(sh), "%.12s", name);
        }
        if (d->nmarks == cap) {
            cap = cap ? cap * 2 : 8;
            d->marks = fs_xrealloc(d->marks, cap * sizeof(*d->marks));
        }
        d->marks[d->nmarks++] = (struct fs__report_mark){
            sqlite3_column_int64(st, 0), fs_arena_strdup(&rd->arena, lab),
            fs_arena_strdup(&rd->arena, sh), event_color(name)};
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : fs__report_db_fail(rd, diag);
}

/* Time from start until k of the sorted times; -1 when fewer. */
static int64_t
reach(const int64_t *t, size_t n, int64_t k, int64_t start_us)
{
    if (k <= 0)
        k = 1;
    if ((uint64_t)k > n)
        return -1;
    return t[k - 1] - start_us;
}

static int
deploy_extras(struct fs__report_db *rd, struct fs__report_deploy *d,
              bool have_dd, bool have_ev, struct fs_diag *diag)
{
    int err = 0;
    if (have_dd)
        err = load_times(rd, d->idx, "confirmed_us", &d->conf_us, &d->nconf,
                         diag);
    if (err == 0 && have_dd)
        err = load_times(rd, d->idx, "offered_us", &d->off_us, &d->noff, diag);
    if (err == 0 && have_ev)
        err = load_marks(rd, d, diag);
    for (int i = 0; i < FS__REPORT_NREACH; i++)
        d->reach_us[i] =
            have_dd && d->start_us >= 0
                ? reach(d->conf_us, d->nconf,
                        (d->targets * fs__report_reach_pct[i] + 99) / 100,
                        d->start_us)
                : -1;
    return err;
}

int
fs__report_deploys_load(struct fs__report_db *rd,
                        struct fs__report_deploy **out, size_t *out_n,
                        struct fs_diag *diag)
{
    *out = NULL;
    *out_n = 0;
    if (!fs__report_has_table(rd, "deployments"))
        return 0;
    bool have_dd = fs__report_has_table(rd, "device_deployments");
    bool have_ev = fs__report_has_table(rd, "events");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(
            rd->db,
            "SELECT idx, id, image, state, start_us, waves_opened, targets,"
            " offered, confirmed, errors, failures,"
            " (SELECT count(*) FROM waves w WHERE w.deployment = d.idx)"
            " FROM deployments d ORDER BY idx",
            -1, &st, NULL) != SQLITE_OK)
        return fs__report_db_fail(rd, diag);
    size_t cap = 0, n = 0;
    struct fs__report_deploy *v = NULL;
    int rc, err = 0;
    while (err == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            v = fs_xrealloc(v, cap * sizeof(*v));
        }
        struct fs__report_deploy *d = &v[n++];
        memset(d, 0, sizeof(*d));
        d->idx = sqlite3_column_int64(st, 0);
        d->id = col_text(rd, st, 1);
        d->image = col_text(rd, st, 2);
        d->state = col_text(rd, st, 3);
        d->start_us = col_i64(st, 4, -1);
        d->waves_opened = col_i64(st, 5, 0);
        d->targets = col_i64(st, 6, 0);
        d->offered = col_i64(st, 7, 0);
        d->confirmed = col_i64(st, 8, 0);
        d->errors = col_i64(st, 9, 0);
        d->failures = col_i64(st, 10, 0);
        d->nwaves = col_i64(st, 11, 0);
        err = deploy_extras(rd, d, have_dd, have_ev, diag);
    }
    sqlite3_finalize(st);
    if (err == 0 && rc != SQLITE_DONE)
        err = fs__report_db_fail(rd, diag);
    if (err != 0) {
        fs__report_deploys_free(v, n);
        return err;
    }
    *out = v;
    *out_n = n;
    return 0;
}

void
fs__report_deploys_free(struct fs__report_deploy *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        fs_free(d[i].conf_us);
        fs_free(d[i].off_us);
        fs_free(d[i].marks);
    }
    fs_free(d);
}

void
fs__report_curve(const struct fs__report_deploy *d, bool offered,
                 int64_t t_end_us, int64_t *t_us, double *v, size_t npts)
{
    const int64_t *t = offered ? d->off_us : d->conf_us;
    size_t n = offered ? d->noff : d->nconf, k = 0;
    double denom = d->targets > 0 ? (double)d->targets : 1;
    for (size_t i = 0; i < npts; i++) {
        t_us[i] = npts > 1 ? t_end_us * (int64_t)i / (int64_t)(npts - 1) : 0;
        while (k < n && t[k] <= t_us[i])
            k++;
        v[i] = 100.0 * (double)k / denom;
    }
}

/* A duration for a table cell, "-" when unreached (< 0). */
static void
cell_dur(FILE *fp, int64_t us)
{
    char b[40] = "-";
    if (us >= 0)
        fs_units_format_duration_human(us, b, sizeof(b));
    fprintf(fp, "<td>%s</td>", b);
}

static void
deploy_summary(FILE *fp, const struct fs__report_deploy *d)
{
    char st[40] = "never";
    if (d->start_us >= 0)
        fs__report_fmt_time(d->start_us, st, sizeof(st));
    fs__report_table_open(fp, "<tr><th>state</th><th>started</th>"
                              "<th>waves opened</th><th>targets</th>"
                              "<th>offered</th><th>confirmed</th>"
                              "<th>errors</th><th>failures</th>"
                              "<th>halts</th></tr>\n");
    fprintf(fp, "<tr><td class=\"st-%s\">%s</td><td>%s</td>", d->state,
            d->state, st);
    fprintf(fp,
            "<td>%" PRId64 " of %" PRId64 "</td><td>%" PRId64 "</td>"
            "<td>%" PRId64 "</td><td>%" PRId64 "</td><td>%" PRId64 "</td>"
            "<td>%" PRId64 "</td><td>%" PRId64 "</td></tr>\n",
            d->waves_opened, d->nwaves, d->targets, d->offered, d->confirmed,
            d->errors, d->failures, d->halts);
    fs__report_table_close(fp);
    fs__report_table_open(fp, "<tr><th>time to</th><th>50% confirmed</th>"
                              "<th>90% confirmed</th>"
                              "<th>99% confirmed</th></tr>\n"
                              "<tr><th>from the start</th>");
    for (int i = 0; i < FS__REPORT_NREACH; i++)
        cell_dur(fp, d->reach_us[i]);
    fputs("</tr>\n", fp);
    fs__report_table_close(fp);
}

static void
deploy_chart(FILE *fp, const struct fs__report_deploy *d, int64_t t_end_us)
{
    int64_t t[CURVE_POINTS];
    double vc[CURVE_POINTS], vo[CURVE_POINTS];
    fs__report_curve(d, false, t_end_us, t, vc, CURVE_POINTS);
    fs__report_curve(d, true, t_end_us, t, vo, CURVE_POINTS);
    struct fs__report_line lines[2] = {
        {"confirmed (service)", t, vc, CURVE_POINTS, 0, false},
        {"offered", t, vo, CURVE_POINTS, 1, true}};
    static const double h[] = {50, 90, 99};
    static const char *const hl[] = {"50%", "90%", "99%"};
    char title[300];
    snprintf(title, sizeof(title),
             "Adoption of %s: share of the %" PRId64 " targets", d->image,
             d->targets);
    struct fs__report_chart c = {
        title, "% of targets", "%",       true, t_end_us, 100, lines,
        2,     d->marks,       d->nmarks, h,    hl,       3};
    fs__report_chart(fp, &c);
}

/* Wave table: members from waves, the rest from device_deployments. */
static int
wave_table(struct fs__report_db *rd, FILE *fp,
           const struct fs__report_deploy *d, bool have_dd,
           struct fs_diag *diag)
{
    sqlite3_stmt *st;
    const char *sql =
        have_dd ? "SELECT w.wave, w.devices, w.confirmed, w.opened_us,"
                  " (SELECT count(*) FROM device_deployments x WHERE"
                  "  x.deployment = w.deployment AND x.wave = w.wave"
                  "  AND x.offered_us IS NOT NULL),"
                  " (SELECT count(*) FROM device_deployments x WHERE"
                  "  x.deployment = w.deployment AND x.wave = w.wave"
                  "  AND x.errored = 1),"
                  " (SELECT count(*) FROM device_deployments x WHERE"
                  "  x.deployment = w.deployment AND x.wave = w.wave"
                  "  AND x.failed = 1)"
                  " FROM waves w WHERE w.deployment = ?1 ORDER BY w.wave"
                : "SELECT wave, devices, confirmed, opened_us, NULL, NULL, NULL"
                  " FROM waves WHERE deployment = ?1 ORDER BY wave";
    if (sqlite3_prepare_v2(rd->db, sql, -1, &st, NULL) != SQLITE_OK)
        return fs__report_db_fail(rd, diag);
    sqlite3_bind_int64(st, 1, d->idx);
    fs__report_table_open(fp, "<tr><th>wave</th><th>opened</th>"
                              "<th>targets</th><th>offered</th>"
                              "<th>confirmed</th><th>errors</th>"
                              "<th>failures</th><th>state</th>"
                              "<th>to 50%</th><th>to 90%</th>"
                              "<th>to 99%</th></tr>\n");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t w = sqlite3_column_int64(st, 0);
        int64_t members = sqlite3_column_int64(st, 1); /* this wave's own */
        int64_t conf = sqlite3_column_int64(st, 2);
        int64_t opened = col_i64(st, 3, -1);
        char ot[32] = "-";
        if (opened >= 0)
            fs__report_fmt_time(opened, ot, sizeof(ot));
        const char *state =
            opened < 0        ? "not opened"
            : conf >= members ? "done"
            : w == d->waves_opened && strcmp(d->state, "running") != 0
                ? d->state
                : "open";
        fprintf(fp, "<tr><td>%" PRId64 "</td><td>%s</td><td>%" PRId64 "</td>",
                w, ot, members);
        for (int c = 4; c <= 6; c++) {
            if (c == 5)
                fprintf(fp, "<td>%" PRId64 "</td>", conf);
            if (sqlite3_column_type(st, c) == SQLITE_NULL)
                fputs("<td>-</td>", fp);
            else
                fprintf(fp, "<td>%" PRId64 "</td>",
                        (int64_t)sqlite3_column_int64(st, c));
        }
        fprintf(fp, "<td class=\"st-%s\">%s</td>", state, state);
        for (int i = 0; i < FS__REPORT_NREACH; i++) {
            int64_t k = (members * fs__report_reach_pct[i] + 99) / 100;
            /* the k-th confirmation among this wave's devices */
            int64_t at = -1;
            sqlite3_stmt *q = NULL;
            if (have_dd && opened >= 0 &&
                sqlite3_prepare_v2(rd->db,
                                   "SELECT confirmed_us FROM device_deployments"
                                   " WHERE deployment = ?1 AND wave = ?2 AND"
                                   " confirmed_us IS NOT NULL"
                                   " ORDER BY confirmed_us, device"
                                   " LIMIT 1 OFFSET ?3",
                                   -1, &q, NULL) == SQLITE_OK) {
                sqlite3_bind_int64(q, 1, d->idx);
                sqlite3_bind_int64(q, 2, w);
                sqlite3_bind_int64(q, 3, k > 0 ? k - 1 : 0);
                if (sqlite3_step(q) == SQLITE_ROW)
                    at = sqlite3_column_int64(q, 0) - opened;
            }
            sqlite3_finalize(q);
            cell_dur(fp, at < 0 ? -1 : at);
        }
        fputs("</tr>\n", fp);
    }
    sqlite3_finalize(st);
    fs__report_table_close(fp);
    if (have_dd)
        fputs("<p class=\"note\">targets and confirmed: the wave's own "
              "devices (waves table); offered, errors, failures and the "
              "times: devices by the wave open when they were first "
              "offered (device_deployments.wave).</p>\n",
              fp);
    return rc == SQLITE_DONE ? 0 : fs__report_db_fail(rd, diag);
}

static void
event_list(FILE *fp, const struct fs__report_deploy *d)
{
    if (d->nmarks == 0)
        return;
    fputs("<details><summary>Events of this deployment</summary>\n", fp);
    fs__report_table_open(fp, "<tr><th>time</th><th>event</th></tr>\n");
    for (size_t i = 0; i < d->nmarks; i++) {
        char b[32];
        fs__report_fmt_time(d->marks[i].t_us, b, sizeof(b));
        fprintf(fp, "<tr><td>%s</td><td>", b);
        fs__report_html_text(fp, d->marks[i].label);
        fputs("</td></tr>\n", fp);
    }
    fs__report_table_close(fp);
    fputs("</details>\n", fp);
}

static int
deploy_sections(struct fs__report_db *rd, FILE *fp, int64_t t_end_us,
                struct fs_diag *diag)
{
    struct fs__report_deploy *d;
    size_t n;
    int err = fs__report_deploys_load(rd, &d, &n, diag);
    if (err != 0 || n == 0)
        return err;
    bool have_dd = fs__report_has_table(rd, "device_deployments");
    fputs("<h2>Deployments</h2>\n<p class=\"note\">Confirmed counts are the "
          "service's: devices whose <code>confirmed</code> report it took "
          "in (<code>device_deployments.confirmed_us</code>). The "
          "<code>updates{result=\"confirmed\"}</code> metric counts the "
          "devices' own confirmations, which can be ahead by reports still "
          "on their way. Times to 50/90/99% are from the start of the "
          "deployment (of a wave: from its opening).</p>\n",
          fp);
    for (size_t i = 0; i < n && err == 0; i++) {
        fputs("<section class=\"deploy\"><h3>", fp);
        fs__report_html_text(fp, d[i].id);
        fputs(" <small>(", fp);
        fs__report_html_text(fp, d[i].image);
        fputs(")</small></h3>\n", fp);
        deploy_summary(fp, &d[i]);
        if (have_dd)
            deploy_chart(fp, &d[i], t_end_us);
        err = wave_table(rd, fp, &d[i], have_dd, diag);
        event_list(fp, &d[i]);
        fputs("</section>\n", fp);
    }
    fs__report_deploys_free(d, n);
    return err;
}

/*
 * Final counts of family f as a table: rows by label rl, columns by label
 * cl (each in order of first appearance in the metrics table).
 */
static void
cross_table(const struct fs__report_db *rd, FILE *fp, enum fs_metric f, int rl,
            int cl, const char *title, const char *corner)
{
    const char *rows[64], *cols[16];
    size_t nr = 0, nc = 0;
    int64_t cell[64][16];
    memset(cell, 0, sizeof(cell));
    for (size_t i = 0; i < rd->nseries; i++) {
        const struct fs__report_series *s = &rd->series[i];
        if (s->family != f || s->string != NULL)
            continue;
        const char *r = s->values[rl] ? s->values[rl] : "-";
        const char *c = s->values[cl] ? s->values[cl] : "-";
        size_t ri = 0, ci = 0;
        while (ri < nr && strcmp(rows[ri], r) != 0)
            ri++;
        while (ci < nc && strcmp(cols[ci], c) != 0)
            ci++;
        if ((ri == nr && nr == 64) || (ci == nc && nc == 16))
            continue;
        if (ri == nr)
            rows[nr++] = r;
        if (ci == nc)
            cols[nc++] = c;
        cell[ri][ci] += s->value;
    }
    if (nr == 0)
        return;
    fprintf(fp, "<h3>%s</h3>\n<div class=\"tw\"><table><tr><th>%s</th>", title,
            corner);
    for (size_t c = 0; c < nc; c++) {
        fputs("<th>", fp);
        fs__report_html_text(fp, cols[c]);
        fputs("</th>", fp);
    }
    fputs("</tr>\n", fp);
    for (size_t r = 0; r < nr; r++) {
        fputs("<tr><th>", fp);
        fs__report_html_text(fp, rows[r]);
        fputs("</th>", fp);
        for (size_t c = 0; c < nc; c++)
            fprintf(fp, "<td>%" PRId64 "</td>", cell[r][c]);
        fputs("</tr>\n", fp);
    }
    fs__report_table_close(fp);
}

/* attack_ended events by kind and outcome. */
static int
attack_table(struct fs__report_db *rd, FILE *fp, struct fs_diag *diag)
{
    if (!fs__report_has_table(rd, "events"))
        return 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(
            rd->db,
            "SELECT kind,"
            " sum(CASE WHEN outcome = 'blocked' THEN 1 ELSE 0 END),"
            " sum(CASE WHEN outcome = 'succeeded' THEN 1 ELSE 0 END),"
            " sum(CASE WHEN outcome = 'undecided' THEN coalesce(devices, 1)"
            " ELSE 0 END), min(t_us), max(t_us)"
            " FROM events WHERE name = 'attack_ended'"
            " GROUP BY kind ORDER BY kind",
            -1, &st, NULL) != SQLITE_OK)
        return fs__report_db_fail(rd, diag);
    int rc, n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n++ == 0) {
            fputs("<h3>Attack outcomes by kind (events)</h3>\n", fp);
            fs__report_table_open(fp, "<tr><th>kind</th><th>blocked</th>"
                                      "<th>succeeded</th><th>undecided</th>"
                                      "<th>first ended</th>"
                                      "<th>last ended</th></tr>\n");
        }
        char a[32], b[32];
        fs__report_fmt_time(sqlite3_column_int64(st, 4), a, sizeof(a));
        fs__report_fmt_time(sqlite3_column_int64(st, 5), b, sizeof(b));
        fputs("<tr><th>", fp);
        fs__report_html_text(fp, (const char *)sqlite3_column_text(st, 0));
        int64_t succ = (int64_t)sqlite3_column_int64(st, 2);
        fprintf(fp,
                "</th><td>%" PRId64 "</td><td%s>%" PRId64 "</td><td>%" PRId64
                "</td><td>%s</td><td>%s</td></tr>\n",
                (int64_t)sqlite3_column_int64(st, 1),
                succ ? " class=\"failed\"" : "", succ,
                (int64_t)sqlite3_column_int64(st, 3), a, b);
    }
    sqlite3_finalize(st);
    if (n > 0)
        fs__report_table_close(fp);
    return rc == SQLITE_DONE ? 0 : fs__report_db_fail(rd, diag);
}

/* Devices by state from the devices table, when it has the column. */
static int
state_table(struct fs__report_db *rd, FILE *fp)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(rd->db,
                           "SELECT state, count(*) FROM devices"
                           " GROUP BY state ORDER BY state",
                           -1, &st, NULL) != SQLITE_OK)
        return 0; /* an older fleet.db: no state column */
    int n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n++ == 0) {
            fputs("<h3>Devices by state at the end (devices table)</h3>\n", fp);
            fs__report_table_open(fp,
                                  "<tr><th>state</th><th>devices</th></tr>\n");
        }
        fputs("<tr><td>", fp);
        fs__report_html_text(fp, (const char *)sqlite3_column_text(st, 0));
        fprintf(fp, "</td><td>%" PRId64 "</td></tr>\n",
                (int64_t)sqlite3_column_int64(st, 1));
    }
    sqlite3_finalize(st);
    if (n > 0)
        fs__report_table_close(fp);
    return 0;
}

int
fs__report_rollouts(struct fs__report_db *rd, FILE *fp, int64_t t_end_us,
                    struct fs_diag *diag)
{
    int err = deploy_sections(rd, fp, t_end_us, diag);
    if (err != 0)
        return err;
    fputs("<h2>Outcomes</h2>\n", fp);
    cross_table(rd, fp, FS_M_UPDATES, 0, 1,
                "Update steps by image and result (devices' reports)", "image");
    cross_table(rd, fp, FS_M_ERROR_REPORTS, 1, 0,
                "Error reports by image and kind", "image");
    cross_table(rd, fp, FS_M_ATTESTATIONS, 1, 0,
                "Attestations by reason and result", "reason");
    cross_table(rd, fp, FS_M_ATTACKS, 0, 1,
                "Attacks by kind and outcome (metric)", "kind");
    err = attack_table(rd, fp, diag);
    if (err == 0)
        err = state_table(rd, fp);
    return err;
}
