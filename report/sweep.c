/*
 * report/sweep.c - `fleetsim report MERGED.db`: the runs of a merged
 * database (fleetsim merge) as distributions, in sweep.html or
 * sweep-report.json.
 *
 * Owns: grouping runs by (scenario, parameters), and per group and
 * deployment id the median, 5th and 95th percentile (nearest rank) across
 * runs of the times to 50/90/99% confirmed, halts and failures, and per
 * group the attack outcomes by kind and outcome.
 * Invariants: each run's figures come from the code report.html uses
 * (fs__report_deploys_load), pointed at one run through temporary views
 * named like the run tables; every SELECT has an ORDER BY; groups appear in
 * the order of their first run, deployments in the order of their first
 * appearance; an unreached time counts as later than every reached one.
 * Does not: write the database (the views are in the connection's temp
 * schema), or judge which group is better.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "fleetsim/err.h"
#include "fleetsim/json.h"
#include "fleetsim/mem.h"
#include "fleetsim/report.h"
#include "fleetsim/units.h"
#include "report_int.h"

/* Unreached, in sorting: later than every time. */
#define UNREACHED INT64_MAX

struct sweep_run {
    int64_t run;                 /* runs.run */
    const char *path, *scenario; /* as merged */
    const char *seed, *params;   /* parameters: KEY=VALUE lines */
    const char *fingerprint;     /* hex */
    int64_t completed;           /* 1 when the run reached its end */
    size_t group;                /* index into groups */
};

struct sweep_group {
    const char *scenario, *params; /* what its runs share */
    size_t nruns;                  /* runs in it */
    size_t interrupted;            /* of them, not completed */
};

/* One deployment of one run. */
struct sweep_dep {
    size_t group;                        /* its run's group */
    size_t run;                          /* index into runs */
    size_t key;                          /* index into dep_ids */
    int64_t reach_us[FS__REPORT_NREACH]; /* UNREACHED when never */
    int64_t halts, failures;             /* counts */
};

/* Attempts of one attack kind that ended with one outcome in one run. */
struct sweep_att {
    size_t group, run; /* group; index into runs */
    size_t key;        /* index into att_keys */
    int64_t attempts;  /* count */
};

struct sweep {
    struct fs__report_db rd;
    struct sweep_run *runs;
    size_t nruns;
    struct sweep_group *groups;
    size_t ngroups;
    struct sweep_dep *deps;
    size_t ndeps;
    const char **dep_ids, **dep_images; /* deployment ids, first seen */
    size_t ndep_ids;
    struct sweep_att *atts;
    size_t natts;
    const char **att_keys; /* "KIND\tOUTCOME", sorted */
    size_t natt_keys;
};

/* Distribution of one figure over the runs of a group. */
struct sweep_stat {
    size_t n; /* values */
    int64_t median, p5, p95;
    size_t not_reached; /* UNREACHED values */
    int64_t total;      /* sum of the reached values */
};

static int
cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest rank: the value at rank ceil(p/100 * n) of v sorted, 1-based. */
static int64_t
nearest_rank(const int64_t *sorted, size_t n, int p)
{
    size_t rank = ((size_t)p * n + 99) / 100;
    if (rank < 1)
        rank = 1;
    return sorted[rank - 1];
}

static struct sweep_stat
stat_of(int64_t *v, size_t n)
{
    struct sweep_stat s = {n, 0, 0, 0, 0, 0};
    if (n == 0)
        return s;
    qsort(v, n, sizeof(*v), cmp_i64);
    s.median = nearest_rank(v, n, 50);
    s.p5 = nearest_rank(v, n, 5);
    s.p95 = nearest_rank(v, n, 95);
    for (size_t i = 0; i < n; i++) {
        if (v[i] == UNREACHED)
            s.not_reached++;
        else
            s.total += v[i];
    }
    return s;
}

static const char *
col_str(struct sweep *sw, sqlite3_stmt *st, int i)
{
    const char *s = (const char *)sqlite3_column_text(st, i);
    return fs_arena_strdup(&sw->rd.arena, s ? s : "");
}

/* The group of (scenario, params), added when new. */
static size_t
group_of(struct sweep *sw, const char *scenario, const char *params)
{
    for (size_t g = 0; g < sw->ngroups; g++)
        if (strcmp(sw->groups[g].scenario, scenario) == 0 &&
            strcmp(sw->groups[g].params, params) == 0)
            return g;
    sw->groups =
        fs_xrealloc(sw->groups, (sw->ngroups + 1) * sizeof(*sw->groups));
    sw->groups[sw->ngroups] = (struct sweep_group){scenario, params, 0, 0};
    return sw->ngroups++;
}

static int
load_runs(struct sweep *sw, struct fs_diag *diag)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(sw->rd.db,
                           "SELECT run, path, scenario, seed, parameters,"
                           " fingerprint, completed FROM runs ORDER BY run",
                           -1, &st, NULL) != SQLITE_OK)
        return fs__report_db_fail(&sw->rd, diag);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        sw->runs = fs_xrealloc(sw->runs, (sw->nruns + 1) * sizeof(*sw->runs));
        struct sweep_run *r = &sw->runs[sw->nruns++];
        r->run = sqlite3_column_int64(st, 0);
        r->path = col_str(sw, st, 1);
        r->scenario = col_str(sw, st, 2);
        r->seed = col_str(sw, st, 3);
        r->params = col_str(sw, st, 4);
        r->fingerprint = col_str(sw, st, 5);
        r->completed = sqlite3_column_int64(st, 6);
        r->group = group_of(sw, r->scenario, r->params);
        sw->groups[r->group].nruns++;
        sw->groups[r->group].interrupted += r->completed == 0;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : fs__report_db_fail(&sw->rd, diag);
}

/* Point the unqualified run tables at run through temporary views. */
static int
views_for(struct sweep *sw, int64_t run, struct fs_diag *diag)
{
    static const char *const tables[] = {"deployments", "waves",
                                         "device_deployments", "events"};
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        char *sql = sqlite3_mprintf(
            "DROP VIEW IF EXISTS temp.\"%w\";"
            "CREATE TEMP VIEW \"%w\" AS SELECT * FROM main.\"%w\""
            " WHERE run = %lld",
            tables[i], tables[i], tables[i], (long long)run);
        int rc = sqlite3_exec(sw->rd.db, sql, NULL, NULL, NULL);
        sqlite3_free(sql);
        if (rc != SQLITE_OK)
            return fs__report_db_fail(&sw->rd, diag);
    }
    return 0;
}

static size_t
dep_key(struct sweep *sw, const char *id, const char *image)
{
    for (size_t k = 0; k < sw->ndep_ids; k++)
        if (strcmp(sw->dep_ids[k], id) == 0)
            return k;
    sw->dep_ids =
        fs_xrealloc(sw->dep_ids, (sw->ndep_ids + 1) * sizeof(*sw->dep_ids));
    sw->dep_images = fs_xrealloc(sw->dep_images,
                                 (sw->ndep_ids + 1) * sizeof(*sw->dep_images));
    sw->dep_ids[sw->ndep_ids] = fs_arena_strdup(&sw->rd.arena, id);
    sw->dep_images[sw->ndep_ids] = fs_arena_strdup(&sw->rd.arena, image);
    return sw->ndep_ids++;
}

/* The deployments of run i, through the report's own loader. */
static int
load_run_deploys(struct sweep *sw, size_t i, struct fs_diag *diag)
{
    struct fs__report_deploy *d;
    size_t n;
    int err = fs__report_deploys_load(&sw->rd, &d, &n, diag);
    if (err != 0)
        return err;
    sw->deps = fs_xrealloc(sw->deps, (sw->ndeps + n) * sizeof(*sw->deps));
    for (size_t k = 0; k < n; k++) {
        struct sweep_dep *o = &sw->deps[sw->ndeps++];
        o->group = sw->runs[i].group;
        o->run = i;
        o->key = dep_key(sw, d[k].id, d[k].image);
        for (int p = 0; p < FS__REPORT_NREACH; p++)
            o->reach_us[p] =
                d[k].reach_us[p] < 0 ? UNREACHED : d[k].reach_us[p];
        o->halts = d[k].halts;
        o->failures = d[k].failures;
    }
    fs__report_deploys_free(d, n);
    return 0;
}

static size_t
att_key(struct sweep *sw, const char *kind, const char *outcome)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s\t%s", kind, outcome);
    size_t k = 0;
    while (k < sw->natt_keys && strcmp(sw->att_keys[k], buf) < 0)
        k++;
    if (k < sw->natt_keys && strcmp(sw->att_keys[k], buf) == 0)
        return k;
    sw->att_keys =
        fs_xrealloc(sw->att_keys, (sw->natt_keys + 1) * sizeof(*sw->att_keys));
    memmove(&sw->att_keys[k + 1], &sw->att_keys[k],
            (sw->natt_keys - k) * sizeof(*sw->att_keys));
    sw->att_keys[k] = fs_arena_strdup(&sw->rd.arena, buf);
    sw->natt_keys++;
    for (size_t a = 0; a < sw->natts; a++)
        if (sw->atts[a].key >= k)
            sw->atts[a].key++;
    return k;
}

/* The attack outcomes of run i (the attack_outcomes question). */
static int
load_run_attacks(struct sweep *sw, size_t i, struct fs_diag *diag)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(
            sw->rd.db,
            "SELECT kind, outcome, sum(CASE WHEN outcome = 'undecided'"
            " THEN devices ELSE 1 END) FROM events"
            " WHERE name = 'attack_ended' GROUP BY kind, outcome"
            " ORDER BY kind, outcome",
            -1, &st, NULL) != SQLITE_OK)
        return fs__report_db_fail(&sw->rd, diag);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *kind = (const char *)sqlite3_column_text(st, 0);
        const char *outcome = (const char *)sqlite3_column_text(st, 1);
        size_t key = att_key(sw, kind ? kind : "", outcome ? outcome : "");
        sw->atts = fs_xrealloc(sw->atts, (sw->natts + 1) * sizeof(*sw->atts));
        sw->atts[sw->natts++] = (struct sweep_att){sw->runs[i].group, i, key,
                                                   sqlite3_column_int64(st, 2)};
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : fs__report_db_fail(&sw->rd, diag);
}

/* The merged format this page reads: merge.schema_version 1. */
static int
merge_format(struct sweep *sw, struct fs_diag *diag)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(sw->rd.db,
                           "SELECT value FROM merge WHERE"
                           " key = 'schema_version' ORDER BY key",
                           -1, &st, NULL) != SQLITE_OK)
        return fs__report_db_fail(&sw->rd, diag);
    int err = 0;
    const char *v = sqlite3_step(st) == SQLITE_ROW
                        ? (const char *)sqlite3_column_text(st, 0)
                        : NULL;
    if (v == NULL || strcmp(v, "1") != 0)
        err = fs_diag_set(diag, FS_EDB, sw->rd.path, 0, 0,
                          "a merged database of format %s; this fleetsim "
                          "reads format 1",
                          v ? v : "(none)");
    sqlite3_finalize(st);
    return err;
}

static int
sweep_open(struct sweep *sw, const char *path, struct fs_diag *diag)
{
    memset(sw, 0, sizeof(*sw));
    sw->rd.path = path;
    fs_arena_init(&sw->rd.arena);
    if (sqlite3_open_v2(path, &sw->rd.db, SQLITE_OPEN_READONLY, NULL) !=
        SQLITE_OK)
        return fs_diag_set(diag, FS_EDB, path, 0, 0, "cannot open: %s",
                           sw->rd.db ? sqlite3_errmsg(sw->rd.db)
                                     : "out of memory");
    int err = merge_format(sw, diag);
    if (err == 0)
        err = load_runs(sw, diag);
    for (size_t i = 0; i < sw->nruns && err == 0; i++) {
        err = views_for(sw, sw->runs[i].run, diag);
        if (err == 0)
            err = load_run_deploys(sw, i, diag);
        if (err == 0)
            err = load_run_attacks(sw, i, diag);
    }
    return err;
}

static void
sweep_close(struct sweep *sw)
{
    fs_free(sw->runs);
    fs_free(sw->groups);
    fs_free(sw->deps);
    fs_free(sw->dep_ids);
    fs_free(sw->dep_images);
    fs_free(sw->atts);
    fs_free(sw->att_keys);
    sqlite3_close(sw->rd.db);
    fs_arena_fini(&sw->rd.arena);
}

/* Figure fig (0..2 reach, 3 halts, 4 failures) of deployment key in group
 * g, over the runs that have the deployment. */
static struct sweep_stat
dep_stat(const struct sweep *sw, size_t g, size_t key, int fig, int64_t *buf)
{
    size_t n = 0;
    for (size_t i = 0; i < sw->ndeps; i++) {
        const struct sweep_dep *o = &sw->deps[i];
        if (o->group != g || o->key != key)
            continue;
        buf[n++] = fig < FS__REPORT_NREACH    ? o->reach_us[fig]
                   : fig == FS__REPORT_NREACH ? o->halts
                                              : o->failures;
    }
    return stat_of(buf, n);
}

/* Attempts of attack key over every run of group g (0 when it has none). */
static struct sweep_stat
att_stat(const struct sweep *sw, size_t g, size_t key, int64_t *buf,
         size_t *out_with)
{
    size_t n = 0;
    *out_with = 0;
    for (size_t r = 0; r < sw->nruns; r++) {
        if (sw->runs[r].group != g)
            continue;
        buf[n] = 0;
        for (size_t a = 0; a < sw->natts; a++)
            if (sw->atts[a].run == r && sw->atts[a].key == key)
                buf[n] += sw->atts[a].attempts;
        *out_with += buf[n] > 0;
        n++;
    }
    return stat_of(buf, n);
}

/* ------------------------------------------------------------ HTML */

static void
html_params(FILE *fp, const char *params)
{
    if (params[0] == '\0') {
        fputs("<span class=\"note\">(none)</span>", fp);
        return;
    }
    for (const char *p = params; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char line[512];
        snprintf(line, sizeof(line), "%.*s", (int)len, p);
        fputs("<code>", fp);
        fs__report_html_text(fp, line);
        fputs(nl ? "</code><br>" : "</code>", fp);
        p += len + (nl != NULL);
    }
}

static void
html_group(FILE *fp, const struct sweep_group *g)
{
    fputs("<td>", fp);
    fs__report_html_text(fp, g->scenario);
    fputs("</td><td>", fp);
    html_params(fp, g->params);
    fputs("</td>", fp);
}

static void
fmt_dur(int64_t us, char *buf, size_t len)
{
    if (us == UNREACHED)
        snprintf(buf, len, "not reached");
    else
        fs_units_format_duration_human(us, buf, (unsigned)len);
}

static void
html_time_cell(FILE *fp, const struct sweep_stat *s)
{
    char m[40], lo[40], hi[40];
    fmt_dur(s->median, m, sizeof(m));
    fmt_dur(s->p5, lo, sizeof(lo));
    fmt_dur(s->p95, hi, sizeof(hi));
    fprintf(fp,
            "<td><b%s>%s</b><br><span class=\"note\">5th %s, 95th %s"
            "</span>",
            s->median == UNREACHED ? " class=\"nr\"" : "", m, lo, hi);
    if (s->not_reached > 0)
        fprintf(fp, "<br><span class=\"nr\">not reached in %zu of %zu</span>",
                s->not_reached, s->n);
    fputs("</td>", fp);
}

static void
html_count_cell(FILE *fp, const struct sweep_stat *s)
{
    fprintf(fp,
            "<td><b>%" PRId64 "</b><br><span class=\"note\">5th %" PRId64
            ", 95th %" PRId64 ", total %" PRId64 "</span></td>",
            s->median, s->p5, s->p95, s->total);
}

static void
html_runs(FILE *fp, const struct sweep *sw)
{
    fprintf(fp, "<details><summary>The %zu runs</summary>\n", sw->nruns);
    fs__report_table_open(fp, "<tr><th>run</th><th>database</th>"
                              "<th>scenario</th><th>seed</th>"
                              "<th>parameters</th><th>completed</th>"
                              "<th>fingerprint</th></tr>\n");
    for (size_t i = 0; i < sw->nruns; i++) {
        const struct sweep_run *r = &sw->runs[i];
        fprintf(fp, "<tr><td>%" PRId64 "</td><td>", r->run);
        fs__report_html_text(fp, r->path);
        fputs("</td><td>", fp);
        fs__report_html_text(fp, r->scenario);
        fputs("</td><td>", fp);
        fs__report_html_text(fp, r->seed);
        fputs("</td><td>", fp);
        html_params(fp, r->params);
        fprintf(fp, "</td><td>%s</td><td><code>", r->completed ? "yes" : "no");
        fs__report_html_text(fp, r->fingerprint);
        fputs("</code></td></tr>\n", fp);
    }
    fs__report_table_close(fp);
    fputs("</details>\n", fp);
}

/* Every run's own figures for deployment key, folded away. */
static void
html_deploy_runs(FILE *fp, const struct sweep *sw, size_t key)
{
    fputs("<details><summary>Each run</summary>\n", fp);
    fs__report_table_open(fp, "<tr><th>run</th><th>seed</th>"
                              "<th>parameters</th><th>50%</th><th>90%</th>"
                              "<th>99%</th><th>halts</th><th>failures</th>"
                              "</tr>\n");
    for (size_t i = 0; i < sw->ndeps; i++) {
        const struct sweep_dep *o = &sw->deps[i];
        if (o->key != key)
            continue;
        const struct sweep_run *r = &sw->runs[o->run];
        fprintf(fp, "<tr><td>%" PRId64 "</td><td>", r->run);
        fs__report_html_text(fp, r->seed);
        fputs("</td><td>", fp);
        html_params(fp, r->params);
        fputs("</td>", fp);
        for (int p = 0; p < FS__REPORT_NREACH; p++) {
            char t[40];
            fmt_dur(o->reach_us[p], t, sizeof(t));
            fprintf(fp, "<td%s>%s</td>",
                    o->reach_us[p] == UNREACHED ? " class=\"nr\"" : "", t);
        }
        fprintf(fp, "<td>%" PRId64 "</td><td>%" PRId64 "</td></tr>\n", o->halts,
                o->failures);
    }
    fs__report_table_close(fp);
    fputs("</details>\n", fp);
}

static void
html_deploy(FILE *fp, const struct sweep *sw, size_t key, int64_t *buf)
{
    fputs("<section class=\"deploy\"><h3>Deployment ", fp);
    fs__report_html_text(fp, sw->dep_ids[key]);
    fputs(" <span class=\"note\">(", fp);
    fs__report_html_text(fp, sw->dep_images[key]);
    fputs(")</span></h3>\n", fp);
    fs__report_table_open(fp, "<tr><th>scenario</th><th>parameters</th>"
                              "<th>runs</th><th>50% confirmed</th>"
                              "<th>90% confirmed</th><th>99% confirmed</th>"
                              "<th>halts</th><th>failures</th></tr>\n");
    for (size_t g = 0; g < sw->ngroups; g++) {
        struct sweep_stat s[FS__REPORT_NREACH + 2];
        for (int f = 0; f < FS__REPORT_NREACH + 2; f++)
            s[f] = dep_stat(sw, g, key, f, buf);
        if (s[0].n == 0)
            continue;
        fputs("<tr>", fp);
        html_group(fp, &sw->groups[g]);
        fprintf(fp, "<td>%zu", s[0].n);
        if (sw->groups[g].interrupted > 0)
            fprintf(fp, "<br><span class=\"nr\">%zu interrupted</span>",
                    sw->groups[g].interrupted);
        fputs("</td>", fp);
        for (int f = 0; f < FS__REPORT_NREACH; f++)
            html_time_cell(fp, &s[f]);
        html_count_cell(fp, &s[FS__REPORT_NREACH]);
        html_count_cell(fp, &s[FS__REPORT_NREACH + 1]);
        fputs("</tr>\n", fp);
    }
    fs__report_table_close(fp);
    html_deploy_runs(fp, sw, key);
    fputs("</section>\n", fp);
}

static void
html_attacks(FILE *fp, const struct sweep *sw, int64_t *buf)
{
    fputs("<h2>Attack outcomes</h2>\n", fp);
    if (sw->natt_keys == 0) {
        fputs("<p>No run has an attack.</p>\n", fp);
        return;
    }
    fs__report_table_open(fp, "<tr><th>scenario</th><th>parameters</th>"
                              "<th>kind</th><th>outcome</th><th>runs with "
                              "it</th><th>attempts per run</th></tr>\n");
    for (size_t g = 0; g < sw->ngroups; g++)
        for (size_t k = 0; k < sw->natt_keys; k++) {
            size_t with;
            struct sweep_stat s = att_stat(sw, g, k, buf, &with);
            if (with == 0)
                continue;
            const char *tab = strchr(sw->att_keys[k], '\t');
            char kind[256];
            snprintf(kind, sizeof(kind), "%.*s", (int)(tab - sw->att_keys[k]),
                     sw->att_keys[k]);
            fputs("<tr>", fp);
            html_group(fp, &sw->groups[g]);
            fputs("<td>", fp);
            fs__report_html_text(fp, kind);
            fprintf(fp, "</td><td class=\"%s\">",
                    strcmp(tab + 1, "succeeded") == 0 ? "failed" : "");
            fs__report_html_text(fp, tab + 1);
            fprintf(fp, "</td><td>%zu of %zu</td>", with, s.n);
            html_count_cell(fp, &s);
            fputs("</tr>\n", fp);
        }
    fs__report_table_close(fp);
}

static int
sweep_page(void *arg, FILE *fp, struct fs_diag *diag)
{
    struct sweep *sw = arg;
    (void)diag;
    int64_t *buf = fs_xcalloc(sw->nruns + 1, sizeof(*buf));
    fprintf(fp,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>fleetsim: sweep of %zu runs</title><meta name=\"viewport\" "
            "content=\"width=device-width,initial-scale=1\"><style>%s"
            "</style></head><body>\n<h1>Sweep: %zu run%s in %zu group%s</h1>\n"
            "<p class=\"note\">Runs are grouped by scenario and parameters; "
            "the seed is what varies within a group. Each figure is the "
            "median across the group's runs (bold), with the 5th and 95th "
            "percentile below it, all by nearest rank (the value at rank "
            "ceil(p/100 &times; n) of the n runs sorted). A time never "
            "reached counts as later than every reached one and is shown as "
            "not reached. Times to 50/90/99%% are the service's (confirmed "
            "reports taken in) from the start of each deployment.</p>\n",
            sw->nruns, fs__report_css, sw->nruns, sw->nruns == 1 ? "" : "s",
            sw->ngroups, sw->ngroups == 1 ? "" : "s");
    html_runs(fp, sw);
    fputs("<h2>Deployments</h2>\n", fp);
    for (size_t k = 0; k < sw->ndep_ids; k++)
        html_deploy(fp, sw, k, buf);
    if (sw->ndep_ids == 0)
        fputs("<p>No run has a deployment.</p>\n", fp);
    html_attacks(fp, sw, buf);
    fputs("</body></html>\n", fp);
    fs_free(buf);
    return ferror(fp) ? FS_EIO : 0;
}

/* ------------------------------------------------------------ JSON */

static void
json_time(FILE *fp, const char *name, int64_t us)
{
    if (us == UNREACHED)
        fprintf(fp, "\"%s\": null", name);
    else
        fprintf(fp, "\"%s\": %" PRId64, name, us);
}

static void
json_stat(FILE *fp, const struct sweep_stat *s, bool time)
{
    if (time) {
        fputs("{", fp);
        json_time(fp, "median_us", s->median);
        fputs(", ", fp);
        json_time(fp, "p5_us", s->p5);
        fputs(", ", fp);
        json_time(fp, "p95_us", s->p95);
        fprintf(fp, ", \"not_reached\": %zu}", s->not_reached);
    } else {
        fprintf(fp,
                "{\"median\": %" PRId64 ", \"p5\": %" PRId64
                ", \"p95\": %" PRId64 ", \"total\": %" PRId64 "}",
                s->median, s->p5, s->p95, s->total);
    }
}

static void
json_deploys(FILE *fp, const struct sweep *sw, size_t g, int64_t *buf)
{
    fputs("      \"deployments\": [", fp);
    bool first = true;
    for (size_t k = 0; k < sw->ndep_ids; k++) {
        struct sweep_stat s[FS__REPORT_NREACH + 2];
        for (int f = 0; f < FS__REPORT_NREACH + 2; f++)
            s[f] = dep_stat(sw, g, k, f, buf);
        if (s[0].n == 0)
            continue;
        fprintf(fp, "%s\n        {\"id\": ", first ? "" : ",");
        first = false;
        fs_json_write_string(fp, sw->dep_ids[k]);
        fputs(", \"image\": ", fp);
        fs_json_write_string(fp, sw->dep_images[k]);
        fprintf(fp, ", \"runs\": %zu, \"time_to\": {", s[0].n);
        for (int f = 0; f < FS__REPORT_NREACH; f++) {
            fprintf(fp, "%s\"%d\": ", f ? ", " : "", fs__report_reach_pct[f]);
            json_stat(fp, &s[f], true);
        }
        fputs("}, \"halts\": ", fp);
        json_stat(fp, &s[FS__REPORT_NREACH], false);
        fputs(", \"failures\": ", fp);
        json_stat(fp, &s[FS__REPORT_NREACH + 1], false);
        fputs("}", fp);
    }
    fputs(first ? "],\n" : "\n      ],\n", fp);
}

static void
json_attacks(FILE *fp, const struct sweep *sw, size_t g, int64_t *buf)
{
    fputs("      \"attacks\": [", fp);
    bool first = true;
    for (size_t k = 0; k < sw->natt_keys; k++) {
        size_t with;
        struct sweep_stat s = att_stat(sw, g, k, buf, &with);
        if (with == 0)
            continue;
        const char *tab = strchr(sw->att_keys[k], '\t');
        char kind[256];
        snprintf(kind, sizeof(kind), "%.*s", (int)(tab - sw->att_keys[k]),
                 sw->att_keys[k]);
        fprintf(fp, "%s\n        {\"kind\": ", first ? "" : ",");
        first = false;
        fs_json_write_string(fp, kind);
        fputs(", \"outcome\": ", fp);
        fs_json_write_string(fp, tab + 1);
        fprintf(fp, ", \"runs_with\": %zu, \"attempts\": ", with);
        json_stat(fp, &s, false);
        fputs("}", fp);
    }
    fputs(first ? "]\n" : "\n      ]\n", fp);
}

static void
json_runs(FILE *fp, const struct sweep *sw)
{
    fputs("  \"runs\": [", fp);
    for (size_t i = 0; i < sw->nruns; i++) {
        const struct sweep_run *r = &sw->runs[i];
        fprintf(fp, "%s\n    {\"run\": %" PRId64 ", \"path\": ", i ? "," : "",
                r->run);
        fs_json_write_string(fp, r->path);
        fputs(", \"scenario\": ", fp);
        fs_json_write_string(fp, r->scenario);
        fputs(", \"seed\": ", fp);
        fs_json_write_string(fp, r->seed);
        fputs(", \"parameters\": ", fp);
        fs_json_write_string(fp, r->params);
        fprintf(fp, ", \"group\": %zu, \"completed\": %s, \"fingerprint\": ",
                r->group, r->completed ? "true" : "false");
        fs_json_write_string(fp, r->fingerprint);
        fputs("}", fp);
    }
    fputs("\n  ],\n", fp);
}

static int
sweep_json(void *arg, FILE *fp, struct fs_diag *diag)
{
    struct sweep *sw = arg;
    (void)diag;
    int64_t *buf = fs_xcalloc(sw->nruns + 1, sizeof(*buf));
    fputs("{\n  \"format\": 1,\n  \"percentile\": \"nearest-rank\",\n", fp);
    json_runs(fp, sw);
    fputs("  \"groups\": [", fp);
    for (size_t g = 0; g < sw->ngroups; g++) {
        fprintf(fp, "%s\n    {\"group\": %zu, \"scenario\": ", g ? "," : "", g);
        fs_json_write_string(fp, sw->groups[g].scenario);
        fputs(", \"parameters\": ", fp);
        fs_json_write_string(fp, sw->groups[g].params);
        fprintf(fp, ", \"runs\": %zu, \"interrupted\": %zu,\n",
                sw->groups[g].nruns, sw->groups[g].interrupted);
        json_deploys(fp, sw, g, buf);
        json_attacks(fp, sw, g, buf);
        fputs("    }", fp);
    }
    fputs("\n  ]\n}\n", fp);
    fs_free(buf);
    return ferror(fp) ? FS_EIO : 0;
}

bool
fs_report_is_merged(const char *db_path)
{
    sqlite3 *db = NULL;
    bool yes = false;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) ==
        SQLITE_OK) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db,
                               "SELECT count(*) FROM sqlite_master WHERE"
                               " type = 'table' AND name = 'merge'",
                               -1, &st, NULL) == SQLITE_OK) {
            yes =
                sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) > 0;
            sqlite3_finalize(st);
        }
    }
    sqlite3_close(db);
    return yes;
}

int
fs_report_sweep(const char *db_path, const char *out_path, bool json,
                struct fs_diag *diag)
{
    struct sweep sw;
    int err = sweep_open(&sw, db_path, diag);
    if (err == 0)
        err = fs__report_write_whole(out_path, json ? sweep_json : sweep_page,
                                     &sw, diag);
    sweep_close(&sw);
    return err;
}
