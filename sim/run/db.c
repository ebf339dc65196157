/*
 * sim/run/db.c - fleet.db, the SQLite database of a run.
 *
 * Owns: the schema of the run's own tables of fleet.db (run, expectations,
 * metrics, metric_labels, metric_samples, the question indexes;
 * docs/fleet-db.md) and filling the whole file,
 * the service's tables included (fs_store_write), in one transaction.
 * Invariants: rows go in in scenario or registry order; no SQL calls
 * CURRENT_TIMESTAMP or SQL random numbers; simulated times are bound
 * parameters. Everything report.html shows is in these tables: report/
 * builds it from the file alone.
 * Does not: hold the database open after writing; decide anything.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "fleetsim/err.h"
#include "fleetsim/metrics.h"
#include "fleetsim/run.h"
#include "fleetsim/scn.h"
#include "fleetsim/service.h"
#include "fleetsim/store.h"
#include "run_int.h"

static const char schema[] =
    "PRAGMA journal_mode=OFF;"
    "PRAGMA synchronous=OFF;"
    "PRAGMA user_version=3;"
    "CREATE TABLE run(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE expectations(idx INTEGER PRIMARY KEY, expr TEXT NOT NULL,"
    " at_us INTEGER NOT NULL, line INTEGER NOT NULL,"
    " checked INTEGER NOT NULL, held INTEGER, seen TEXT);"
    "CREATE TABLE metrics(idx INTEGER PRIMARY KEY, metric TEXT NOT NULL,"
    " labels TEXT NOT NULL, value INTEGER, string TEXT);"
    "CREATE TABLE metric_labels(series INTEGER NOT NULL, metric TEXT NOT NULL,"
    " key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY(series, key));";

/* The schema version: PRAGMA user_version and run.schema_version. */
#define FS__RUN_DB_SCHEMA "3"

/* Indexes for the questions of docs/fleet-db.md. */
static const char indexes[] =
    "CREATE INDEX metric_samples_series ON metric_samples(series, t_us);"
    "CREATE INDEX metric_labels_kv ON metric_labels(metric, key, value);"
    "CREATE INDEX device_deployments_confirmed ON"
    " device_deployments(deployment, confirmed_us);";

struct db_ctx {
    sqlite3 *db;        /* open database */
    sqlite3_stmt *stmt; /* insert into metrics */
    sqlite3_stmt *lab;  /* insert into metric_labels */
    int64_t idx;        /* next metrics row */
    int rc;             /* first SQLite error */
};

static void
db_metric(void *ctx, enum fs_metric f, const char *const *values,
          size_t nvalues, int64_t count, const char *string)
{
    struct db_ctx *c = ctx;
    size_t nl;
    const char *const *keys = fs_metric_labels(f, &nl);
    char labels[512] = "";
    for (size_t i = 0; i < nvalues; i++) {
        if (values[i] == NULL)
            continue;
        size_t used = strlen(labels);
        snprintf(labels + used, sizeof(labels) - used, "%s%s=\"%s\"",
                 used ? "," : "", keys[i], values[i]);
    }
    sqlite3_reset(c->stmt);
    sqlite3_bind_int64(c->stmt, 1, c->idx++);
    sqlite3_bind_text(c->stmt, 2, fs_metric_name(f), -1, SQLITE_STATIC);
    sqlite3_bind_text(c->stmt, 3, labels, -1, SQLITE_TRANSIENT);
    if (fs_metric_kind(f) == FS_MK_STRING) {
        sqlite3_bind_null(c->stmt, 4);
        sqlite3_bind_text(c->stmt, 5, string ? string : "", -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_int64(c->stmt, 4, count);
        sqlite3_bind_null(c->stmt, 5);
    }
    int rc = sqlite3_step(c->stmt);
    if (rc != SQLITE_DONE && c->rc == SQLITE_OK)
        c->rc = rc;
    for (size_t i = 0; i < nvalues; i++) {
        if (values[i] == NULL)
            continue;
        sqlite3_reset(c->lab);
        sqlite3_bind_int64(c->lab, 1, c->idx - 1);
        sqlite3_bind_text(c->lab, 2, fs_metric_name(f), -1, SQLITE_STATIC);
        sqlite3_bind_text(c->lab, 3, keys[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(c->lab, 4, values[i], -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(c->lab);
        if (rc != SQLITE_DONE && c->rc == SQLITE_OK)
            c->rc = rc;
    }
}

static int
put_kv(sqlite3 *db, const char *key, const char *value)
{
    sqlite3_stmt *st;
    int rc =
        sqlite3_prepare_v2(db, "INSERT INTO run VALUES(?1, ?2)", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The --set parameters: KEY=VALUE lines in command-line order joined by
 * newlines ("" when none). */
static int
put_parameters(const struct fs_scn *scn, sqlite3 *db)
{
    size_t len = 1;
    for (uint32_t i = 0; i < scn->nparams; i++)
        len += strlen(scn->params[i].key) + strlen(scn->params[i].value) + 2;
    char *text = fs_xmalloc(len);
    size_t at = 0;
    text[0] = '\0';
    for (uint32_t i = 0; i < scn->nparams; i++)
        at += (size_t)snprintf(text + at, len - at, "%s%s=%s", i ? "\n" : "",
                               scn->params[i].key, scn->params[i].value);
    int rc = put_kv(db, "parameters", text);
    fs_free(text);
    return rc;
}

static int
put_run(struct fs_run *run, sqlite3 *db)
{
    const struct fs_scn *scn = fs_run_scn(run);
    char hex[65], buf[64];
    fs_run_fingerprint(run, hex);
    int rc = put_kv(db, "scenario", scn->name);
    if (rc == SQLITE_OK)
        rc = put_kv(db, "fingerprint", hex);
    snprintf(buf, sizeof(buf), "%" PRIu64, fs_run_seed(run));
    if (rc == SQLITE_OK)
        rc = put_kv(db, "seed", buf);
    if (rc == SQLITE_OK)
        rc = put_kv(db, "crypto", fs_crypto_kind_name(fs_run_crypto(run)));
    snprintf(buf, sizeof(buf), "%" PRIu64, fs_run_devices(run));
    if (rc == SQLITE_OK)
        rc = put_kv(db, "devices", buf);
    snprintf(buf, sizeof(buf), "%" PRIu64, fs_run_events(run));
    if (rc == SQLITE_OK)
        rc = put_kv(db, "events", buf);
    snprintf(buf, sizeof(buf), "%" PRId64, fs_run_now_us(run));
    if (rc == SQLITE_OK)
        rc = put_kv(db, "sim_time_us", buf);
    if (rc == SQLITE_OK)
        rc = put_kv(db, "schema_version", FS__RUN_DB_SCHEMA);
    if (rc == SQLITE_OK)
        rc = put_kv(db, "completed", fs_run_is_done(run) ? "1" : "0");
    if (rc == SQLITE_OK)
        rc = put_parameters(scn, db);
    return rc;
}

static int
put_expectations(struct fs_run *run, sqlite3 *db)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(
        db, "INSERT INTO expectations VALUES(?1,?2,?3,?4,?5,?6,?7)", -1, &st,
        NULL);
    if (rc != SQLITE_OK)
        return rc;
    size_t n;
    const struct fs_run_result *res = fs_run_results(run, &n);
    for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, (int64_t)i);
        sqlite3_bind_text(st, 2, res[i].text, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, res[i].at_us);
        sqlite3_bind_int(st, 4, res[i].line);
        sqlite3_bind_int(st, 5, res[i].checked);
        if (res[i].checked) {
            sqlite3_bind_int(st, 6, res[i].held);
            sqlite3_bind_text(st, 7, res[i].seen, -1, SQLITE_STATIC);
        } else {
            sqlite3_bind_null(st, 6);
            sqlite3_bind_null(st, 7);
        }
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
    }
    sqlite3_finalize(st);
    return rc;
}

/* The metric_samples table: every sampled count series, by time. */
static int
put_samples(struct fs_run *run, sqlite3 *db)
{
    const int64_t *times;
    const struct fs_run_sample *e;
    size_t nt, ne;
    fs_run_samples(run, &times, &nt, &e, &ne);
    int rc = sqlite3_exec(db,
                          "CREATE TABLE metric_samples(t_us INTEGER NOT NULL,"
                          " series INTEGER NOT NULL, value INTEGER NOT NULL,"
                          " PRIMARY KEY(t_us, series));",
                          NULL, NULL, NULL);
    sqlite3_stmt *st = NULL;
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(
            db, "INSERT INTO metric_samples VALUES(?1, ?2, ?3)", -1, &st, NULL);
    for (size_t i = 0; i < ne && rc == SQLITE_OK; i++) {
        sqlite3_bind_int64(st, 1, times[e[i].sample]);
        sqlite3_bind_int64(st, 2, e[i].series);
        sqlite3_bind_int64(st, 3, e[i].value);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc;
}

int
fs__run_db_write(struct fs_run *run, const char *path, struct fs_diag *diag)
{
    sqlite3 *db;
    int rc = sqlite3_open(path, &db);
    if (rc != SQLITE_OK)
        goto out_close;
    rc = sqlite3_exec(db, schema, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = put_run(run, db);
    if (rc == SQLITE_OK)
        rc = put_expectations(run, db);
    if (rc == SQLITE_OK) {
        struct db_ctx c = {db, NULL, NULL, 0, SQLITE_OK};
        rc =
            sqlite3_prepare_v2(db, "INSERT INTO metrics VALUES(?1,?2,?3,?4,?5)",
                               -1, &c.stmt, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_prepare_v2(
                db, "INSERT INTO metric_labels VALUES(?1,?2,?3,?4)", -1, &c.lab,
                NULL);
        if (rc == SQLITE_OK) {
            fs_metrics_visit(fs_run_metrics(run), db_metric, &c);
            rc = c.rc;
        }
        sqlite3_finalize(c.stmt);
        sqlite3_finalize(c.lab);
    }
    if (rc == SQLITE_OK)
        rc = put_samples(run, db);
    if (rc == SQLITE_OK && fs_store_write(fs_run_svc(run), db) != 0)
        rc = SQLITE_ERROR;
    if (rc == SQLITE_OK)
        rc = fs__run_events_write(fs__run_events_of(run), db);
    if (rc == SQLITE_OK)
        rc = fs__run_events_write_reports(fs__run_events_of(run),
                                          fs_run_scn(run), db);
    if (rc == SQLITE_OK)
        rc = fs__run_db_devices(run, db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, indexes, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
out_close:
    if (rc != SQLITE_OK)
        fs_diag_set(diag, FS_EDB, path, 0, 0, "fleet database: %s",
                    sqlite3_errmsg(db));
    sqlite3_close(db);
    return rc == SQLITE_OK ? 0 : FS_EDB;
}
