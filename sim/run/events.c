/*
 * sim/run/events.c - the events and device_deployments tables of fleet.db,
 * from the run record.
 *
 * Owns: turning canonical trace records (read through the engine's record
 * hook) into event rows (deployment_started ... fault_ended, with the
 * deciding check of blocked attacks), the per (device, deployment) offer
 * and outcome rows, error reports per (image, kind, day) and each device's
 * last update outcome and last successful attack; writing events,
 * device_deployments and error_reports_daily.
 * Invariants: only reads records and the service's public queries, so the
 * fingerprint never depends on it; rows keep record order (seq).
 * Does not: decide anything, or change the model.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "fleetsim/attack.h"
#include "fleetsim/boot.h"
#include "fleetsim/err.h"
#include "fleetsim/firewall.h"
#include "fleetsim/fleet.h"
#include "fleetsim/mem.h"
#include "fleetsim/msg.h"
#include "fleetsim/rollout.h"
#include "fleetsim/scn.h"
#include "fleetsim/service.h"
#include "fleetsim/sim.h"
#include "run_int.h"

enum ev_name {
    EV_DEPLOYMENT_STARTED,
    EV_WAVE_OPENED,
    EV_HALTED,
    EV_RESUMED,
    EV_CANCELLED,
    EV_COMPLETED,
    EV_KEY_REVOKED,
    EV_DEVICE_REVOKED,
    EV_ATTACK_BEGUN,
    EV_ATTACK_ENDED,
    EV_FAULT_BEGUN,
    EV_FAULT_ENDED,
    EV_COUNT
};

static const char *const ev_names[EV_COUNT] = {
    "deployment_started", "wave_opened",  "halted",      "resumed",
    "cancelled",          "completed",    "key_revoked", "device_revoked",
    "attack_begun",       "attack_ended", "fault_begun", "fault_ended"};

/* One events row; -1 (or NULL) for a column that does not apply. */
struct ev_row {
    int64_t t_us;
    int64_t deployment, wave, target, devices;
    double rate;    /* < 0: none */
    uint8_t name;   /* enum ev_name */
    int8_t kind;    /* attack kind, or -1 */
    int8_t fault;   /* fault kind, or -1 */
    int8_t outcome; /* 0 blocked, 1 succeeded, 2 undecided, -1 none */
    int8_t rule;    /* FS_HALT_*, or 0 */
    uint16_t check; /* blocked attack_ended: deciding check (ck_*), or 0 */
};

/* Classes of a deciding check: class << 8 | code. */
enum ev_check_class {
    CK_UPDATE = 1, /* the device refused an update: fs_update_reason */
    CK_BOOT,       /* secure boot refused a slot: fs_boot_result */
    CK_FIREWALL,   /* the firewall blocked an access: fs_fw_kind */
    CK_ATTEST,     /* the service failed an attestation: fs_attest_reason */
    CK_FLOOD       /* check-in front door served the genuine devices */
};

/* One update record of a device in a deployment. */
struct ev_upd {
    int64_t t_us;
    uint32_t device, deployment;
    int32_t wave;   /* offers: wave open then; reports: -1 */
    int16_t result; /* -1 for an offer, -2 for an error report */
    int16_t reason;
};

struct fs__run_events {
    struct fs_svc *svc;       /* for the rates of halts */
    struct fs__run_dev *devs; /* by device id, grown on first record */
    uint32_t ndevs;           /* entries of devs */
    uint64_t *rep_days;       /* error reports by (image, kind, day) */
    uint32_t nimages;         /* images (row nimages: no image) */
    uint32_t ndays;           /* days of rep_days (last one: later) */
    const char **deploy_ids;  /* by deployment index */
    uint32_t *deploy_image;   /* by deployment: image index */
    uint32_t ndeploys;        /* deployments */
    int64_t *wave_open;       /* by deployment: last wave opened */
    struct ev_row *rows;      /* events */
    size_t nrows, cap_rows;   /* used, allocated */
    struct ev_upd *upds;      /* offers and update reports */
    size_t nupds, cap_upds;   /* used, allocated */
};

/* Simulated microseconds of a day (error_reports_daily). */
#define EV_DAY_US INT64_C(86400000000)

struct fs__run_events *
fs__run_events_create(const struct fs_scn *scn, struct fs_svc *svc)
{
    struct fs__run_events *e = fs_xcalloc(1, sizeof(*e));
    e->svc = svc;
    for (uint32_t i = 0; i < scn->nactions; i++)
        if (scn->actions[i].kind == FS_ACT_DEPLOY)
            e->ndeploys++;
    e->deploy_ids = fs_xcalloc(e->ndeploys + 1, sizeof(*e->deploy_ids));
    e->deploy_image = fs_xcalloc(e->ndeploys + 1, sizeof(*e->deploy_image));
    e->wave_open = fs_xcalloc(e->ndeploys + 1, sizeof(*e->wave_open));
    e->nimages = scn->nimages;
    e->ndays = (uint32_t)(scn->duration_us / EV_DAY_US) + 2;
    e->rep_days = fs_xcalloc((size_t)(e->nimages + 1) * FS_REP_COUNT * e->ndays,
                             sizeof(*e->rep_days));
    uint32_t n = 0;
    for (uint32_t i = 0; i < scn->nactions; i++)
        if (scn->actions[i].kind == FS_ACT_DEPLOY) {
            e->deploy_image[n] = scn->actions[i].u.deploy.image->index;
            e->deploy_ids[n++] = scn->actions[i].u.deploy.id;
        }
    return e;
}

void
fs__run_events_destroy(struct fs__run_events *e)
{
    if (e == NULL)
        return;
    fs_free(e->devs);
    fs_free(e->rep_days);
    fs_free(e->deploy_ids);
    fs_free(e->deploy_image);
    fs_free(e->wave_open);
    fs_free(e->rows);
    fs_free(e->upds);
    fs_free(e);
}

static struct ev_row *
ev_push(struct fs__run_events *e, int64_t t_us, enum ev_name name)
{
    if (e->nrows == e->cap_rows) {
        e->cap_rows = e->cap_rows ? 2 * e->cap_rows : 256;
        e->rows = fs_xrealloc(e->rows, e->cap_rows * sizeof(*e->rows));
    }
    struct ev_row *r = &e->rows[e->nrows++];
    *r = (struct ev_row){t_us,          -1, -1, -1, -1, -1.0,
                         (uint8_t)name, -1, -1, -1, 0,  0};
    return r;
}

static void
upd_push(struct fs__run_events *e, const struct ev_upd *u)
{
    if (e->nupds == e->cap_upds) {
        e->cap_upds = e->cap_upds ? 2 * e->cap_upds : 1024;
        e->upds = fs_xrealloc(e->upds, e->cap_upds * sizeof(*e->upds));
    }
    e->upds[e->nupds++] = *u;
}

/* The per-device entry of device, grown (zeroed, no update) on first use. */
static struct fs__run_dev *
ev_dev(struct fs__run_events *e, uint32_t device)
{
    if (device >= e->ndevs) {
        FS_ASSERT(device < FS_SCN_DEVICES_MAX);
        uint64_t n = e->ndevs ? e->ndevs : 1024;
        while (n <= device)
            n *= 2;
        e->devs = fs_xrealloc(e->devs, (size_t)n * sizeof(*e->devs));
        for (uint32_t i = e->ndevs; i < n; i++)
            e->devs[i] = (struct fs__run_dev){-1, 0, 0, 0, 0, -1};
        e->ndevs = (uint32_t)n;
    }
    return &e->devs[device];
}

/* The last update outcome and attack of device, or NULL; see run_int.h. */
const struct fs__run_dev *
fs__run_events_dev(const struct fs__run_events *e, uint32_t device)
{
    return device < e->ndevs ? &e->devs[device] : NULL;
}

/*
 * Note a refusing check on d: the first since the last attack on it began
 * decides (a refusal that follows, e.g. the attestation of a device secure
 * boot sent to recovery, is a consequence).
 */
static void
ev_check(struct fs__run_dev *d, unsigned cls, uint64_t code)
{
    if (d->check == 0)
        d->check = (uint16_t)(cls << 8 | (code & 0xffu));
}

/* A device-side record: the last update and the last refusing check. */
static void
ev_device(struct fs__run_events *e, int64_t t_us, uint16_t kind,
          uint32_t device, int64_t value)
{
    uint64_t v = (uint64_t)value;
    /* An id no fleet has (an attacker's claim the service refused) gives
       no device a row: it must not size the table either. */
    if (device >= FS_SCN_DEVICES_MAX)
        return;
    if (kind == FS_REC_DEV_UPDATE) {
        struct fs__run_dev *d = ev_dev(e, device);
        d->upd_us = t_us;
        d->upd_image = (uint16_t)(v >> 16);
        d->upd_result = (uint8_t)(v >> 8);
        d->upd_reason = (uint8_t)v;
        if (d->upd_result == FS_UPD_REJECTED ||
            (d->upd_result == FS_UPD_FAILED && d->upd_reason != 0))
            ev_check(d, CK_UPDATE, d->upd_reason);
    } else if (kind == FS_REC_DEV_BOOT_STAGE && (v & 0xff) != FS_BOOT_OK &&
               (v & 0xff) != FS_BOOT_EMPTY) {
        ev_check(ev_dev(e, device), CK_BOOT, v & 0xff);
    } else if (kind == FS_REC_DEV_FW_BLOCKED) {
        ev_check(ev_dev(e, device), CK_FIREWALL, v & 0xff);
    } else if (kind == FS_REC_SVC_ATTEST && v != FS_ATT_OK) {
        ev_check(ev_dev(e, device), CK_ATTEST, v & 0xff);
    }
}

/* An error report the service took in: counted by (image, kind, day). */
static void
ev_report(struct fs__run_events *e, int64_t t_us, int64_t value)
{
    uint64_t v = (uint64_t)value;
    uint32_t kind = (uint32_t)(v >> 56);
    uint32_t image = (uint32_t)((v >> 32) & 0xffffff);
    if (image >= e->nimages)
        image = e->nimages;
    if (kind >= FS_REP_COUNT)
        return;
    int64_t day = t_us / EV_DAY_US;
    if (day >= (int64_t)e->ndays)
        day = e->ndays - 1;
    e->rep_days[((size_t)image * FS_REP_COUNT + kind) * e->ndays +
                (size_t)day] += v & 0xffffffffu;
}

/* The rate that tripped a halt of deployment dep, now. */
static double
halt_rate(struct fs__run_events *e, uint32_t dep, int rule)
{
    struct fs_rollout_info info;
    if (dep >= e->ndeploys ||
        fs_rollout_info(e->svc, e->deploy_ids[dep], &info) != 0 ||
        info.offered == 0)
        return -1.0;
    uint32_t n = rule == FS_HALT_ERROR_RATE ? info.errors : info.failures;
    return (double)n / (double)info.offered;
}

/* The devices offered deployment dep so far: what a halt's rate is over. */
static int64_t
halt_offered(struct fs__run_events *e, uint32_t dep)
{
    struct fs_rollout_info info;
    if (dep >= e->ndeploys ||
        fs_rollout_info(e->svc, e->deploy_ids[dep], &info) != 0)
        return -1;
    return info.offered;
}

static void
ev_deploy(struct fs__run_events *e, int64_t t_us, uint16_t kind, uint32_t dep,
          int64_t value)
{
    struct ev_row *r;
    switch (kind) {
    case FS_REC_SVC_DEPLOY_START:
        r = ev_push(e, t_us, EV_DEPLOYMENT_STARTED);
        r->devices = value;
        break;
    case FS_REC_SVC_WAVE_OPEN:
        r = ev_push(e, t_us, EV_WAVE_OPENED);
        r->wave = value;
        if (dep < e->ndeploys)
            e->wave_open[dep] = value;
        break;
    case FS_REC_SVC_HALT:
        r = ev_push(e, t_us, EV_HALTED);
        r->rule = (int8_t)value;
        r->rate = halt_rate(e, dep, (int)value);
        r->devices = halt_offered(e, dep);
        break;
    case FS_REC_SVC_RESUME:
        r = ev_push(e, t_us, EV_RESUMED);
        r->wave = value;
        break;
    case FS_REC_SVC_CANCEL:
        r = ev_push(e, t_us, EV_CANCELLED);
        break;
    default: /* FS_REC_SVC_COMPLETE */
        r = ev_push(e, t_us, EV_COMPLETED);
        r->devices = value;
        break;
    }
    r->deployment = dep;
}

static void
ev_attack(struct fs__run_events *e, int64_t t_us, uint16_t kind,
          uint32_t device, int64_t value)
{
    struct ev_row *r;
    int64_t target = device == FS_ATK_NO_DEVICE ? -1 : (int64_t)device;
    switch (kind) {
    case FS_REC_ATK_ATTEMPT:
        r = ev_push(e, t_us, EV_ATTACK_BEGUN);
        r->kind = (int8_t)value;
        if (target >= 0)
            ev_dev(e, device)->check = 0;
        break;
    case FS_REC_ATK_BLOCKED:
    case FS_REC_ATK_SUCCEEDED:
        r = ev_push(e, t_us, EV_ATTACK_ENDED);
        r->kind = (int8_t)value;
        r->outcome = kind == FS_REC_ATK_SUCCEEDED;
        if (target >= 0 && r->outcome == 1)
            ev_dev(e, device)->attack_kind = (int8_t)value;
        else if (target >= 0)
            r->check = ev_dev(e, device)->check;
        else
            r->check = CK_FLOOD << 8;
        break;
    case FS_REC_ATK_UNDECIDED:
        r = ev_push(e, t_us, EV_ATTACK_ENDED);
        r->kind = (int8_t)((uint64_t)value >> 32);
        r->outcome = 2;
        r->devices = value & 0xffffffff;
        break;
    case FS_REC_ATK_FAULT_START:
        r = ev_push(e, t_us, EV_FAULT_BEGUN);
        r->fault = (int8_t)value;
        break;
    default: /* FS_REC_ATK_FAULT_END */
        r = ev_push(e, t_us, EV_FAULT_ENDED);
        r->fault = (int8_t)value;
        break;
    }
    r->target = target;
}

void
fs__run_events_record(void *ctx, int64_t t_us, uint16_t kind, uint32_t device,
                      int64_t value)
{
    struct fs__run_events *e = ctx;
    if (kind >= FS_REC_SVC_DEPLOY_START && kind <= FS_REC_SVC_COMPLETE) {
        ev_deploy(e, t_us, kind, device, value);
    } else if (kind >= FS_REC_ATK_ATTEMPT && kind <= FS_REC_ATK_UNDECIDED) {
        ev_attack(e, t_us, kind, device, value);
    } else if (kind == FS_REC_SVC_REVOKE_SIGNER) {
        ev_push(e, t_us, EV_KEY_REVOKED)->target = device;
    } else if (kind == FS_REC_SVC_REVOKE_DEVICE) {
        ev_push(e, t_us, EV_DEVICE_REVOKED)->target = device;
    } else if (kind == FS_REC_SVC_OFFER) {
        uint32_t dep = (uint32_t)((uint64_t)value >> 32);
        int32_t wave = dep < e->ndeploys ? (int32_t)e->wave_open[dep] : -1;
        struct ev_upd u = {t_us, device, dep, wave, -1, 0};
        upd_push(e, &u);
    } else if (kind == FS_REC_DEV_UPDATE || kind == FS_REC_DEV_BOOT_STAGE ||
               kind == FS_REC_DEV_FW_BLOCKED || kind == FS_REC_SVC_ATTEST) {
        ev_device(e, t_us, kind, device, value);
    } else if (kind == FS_REC_SVC_REPORT) {
        ev_report(e, t_us, value);
        uint32_t image = (uint32_t)(((uint64_t)value >> 32) & 0xffffff);
        for (uint32_t d = 0; d < e->ndeploys; d++)
            if (e->deploy_image[d] == image) {
                struct ev_upd u = {t_us, device, d, -1, -2, 0};
                upd_push(e, &u);
            }
    } else if (kind == FS_REC_SVC_UPDATE_REPORT) {
        uint64_t v = (uint64_t)value;
        uint32_t dep = (uint32_t)(v >> 16);
        if (dep >= e->ndeploys)
            return;
        struct ev_upd u = {t_us,
                           device,
                           dep,
                           -1,
                           (int16_t)((v >> 8) & 0xff),
                           (int16_t)(v & 0xff)};
        upd_push(e, &u);
    }
}

static void
bind_opt(sqlite3_stmt *st, int col, int64_t v)
{
    if (v >= 0)
        sqlite3_bind_int64(st, col, v);
    else
        sqlite3_bind_null(st, col);
}

static const char *const outcome_names[3] = {"blocked", "succeeded",
                                             "undecided"};

static const char *const boot_names[] = {
    "ok",       "empty",   "wrong_kind", "untrusted_key", "bad_signature",
    "bad_hash", "rollback"};
static const char *const fw_names[] = {"peripheral", "network", "keystore"};

/* The text of a deciding check ("update:bad_signature"), into out. */
static void
check_text(uint16_t check, char *out, size_t cap)
{
    unsigned code = check & 0xffu;
    switch (check >> 8) {
    case CK_UPDATE:
        snprintf(out, cap, "update:%s",
                 fs_update_reason_name((enum fs_update_reason)code));
        break;
    case CK_BOOT:
        snprintf(out, cap, "secure_boot:%s",
                 code < 7 ? boot_names[code] : "unknown");
        break;
    case CK_FIREWALL:
        snprintf(out, cap, "firewall:%s",
                 code < 3 ? fw_names[code] : "unknown");
        break;
    case CK_ATTEST:
        snprintf(out, cap, "attestation:%s",
                 fs_msg_attest_reason_name((enum fs_attest_reason)code));
        break;
    case CK_FLOOD:
        snprintf(out, cap, "checkin_front_door");
        break;
    default:
        snprintf(out, cap, "unrecorded");
        break;
    }
}

static int
events_write(const struct fs__run_events *e, sqlite3 *db)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO events VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
                           -1, &st, NULL) != SQLITE_OK)
        return SQLITE_ERROR;
    int rc = SQLITE_OK;
    for (size_t i = 0; i < e->nrows && rc == SQLITE_OK; i++) {
        const struct ev_row *r = &e->rows[i];
        sqlite3_bind_int64(st, 1, (int64_t)i);
        sqlite3_bind_int64(st, 2, r->t_us);
        sqlite3_bind_text(st, 3, ev_names[r->name], -1, SQLITE_STATIC);
        bind_opt(st, 4, r->deployment);
        bind_opt(st, 5, r->wave);
        if (r->kind >= 0)
            sqlite3_bind_text(
                st, 6, fs_scn_attack_name((enum fs_scn_attack_kind)r->kind), -1,
                SQLITE_STATIC);
        else if (r->fault >= 0)
            sqlite3_bind_text(
                st, 6, fs_scn_fault_name((enum fs_scn_fault_kind)r->fault), -1,
                SQLITE_STATIC);
        bind_opt(st, 7, r->target);
        if (r->outcome >= 0)
            sqlite3_bind_text(st, 8, outcome_names[r->outcome], -1,
                              SQLITE_STATIC);
        if (r->rule != 0)
            sqlite3_bind_text(st, 9,
                              r->rule == FS_HALT_ERROR_RATE ? "error_rate"
                                                            : "failure_rate",
                              -1, SQLITE_STATIC);
        if (r->rate >= 0)
            sqlite3_bind_double(st, 10, r->rate);
        bind_opt(st, 11, r->devices);
        char check[64];
        if (r->name == EV_ATTACK_ENDED && r->outcome == 0) {
            check_text(r->check, check, sizeof(check));
            sqlite3_bind_text(st, 12, check, -1, SQLITE_TRANSIENT);
        }
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
    sqlite3_finalize(st);
    return rc;
}

/* Raw update rows, then device_deployments aggregated from them by SQL. */
static int
upds_write(const struct fs__run_events *e, sqlite3 *db)
{
    sqlite3_stmt *st;
    int rc = sqlite3_exec(db,
                          "CREATE TEMP TABLE upd(seq INTEGER PRIMARY KEY,"
                          " t_us INTEGER, device INTEGER, deployment INTEGER,"
                          " wave INTEGER, result TEXT, reason TEXT);"
                          "CREATE INDEX temp.upd_dd ON upd(device,"
                          " deployment, seq);",
                          NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return rc;
    if (sqlite3_prepare_v2(db, "INSERT INTO upd VALUES(?,?,?,?,?,?,?)", -1, &st,
                           NULL) != SQLITE_OK)
        return SQLITE_ERROR;
    for (size_t i = 0; i < e->nupds && rc == SQLITE_OK; i++) {
        const struct ev_upd *u = &e->upds[i];
        sqlite3_bind_int64(st, 1, (int64_t)i);
        sqlite3_bind_int64(st, 2, u->t_us);
        sqlite3_bind_int64(st, 3, u->device);
        sqlite3_bind_int64(st, 4, u->deployment);
        bind_opt(st, 5, u->wave);
        if (u->result == -2) {
            sqlite3_bind_text(st, 6, "error_report", -1, SQLITE_STATIC);
        } else if (u->result >= 0) {
            sqlite3_bind_text(
                st, 6, fs_update_result_name((enum fs_update_result)u->result),
                -1, SQLITE_STATIC);
            if (u->reason != 0)
                sqlite3_bind_text(
                    st, 7,
                    fs_update_reason_name((enum fs_update_reason)u->reason), -1,
                    SQLITE_STATIC);
        }
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK)
        return rc;
    /* Offered devices, plus any that reported without an offer. */
    return sqlite3_exec(
        db,
        "INSERT INTO device_deployments"
        " SELECT device, deployment,"
        "  min(CASE WHEN result IS NULL THEN wave END),"
        "  min(CASE WHEN result IS NULL THEN t_us END),"
        "  min(CASE WHEN result = 'confirmed' THEN t_us END),"
        "  (SELECT u2.result FROM upd u2 WHERE u2.device = u.device"
        "   AND u2.deployment = u.deployment AND u2.result IS NOT NULL"
        "   AND u2.result <> 'error_report'"
        "   ORDER BY u2.seq DESC LIMIT 1),"
        "  (SELECT u2.reason FROM upd u2 WHERE u2.device = u.device"
        "   AND u2.deployment = u.deployment AND u2.result IS NOT NULL"
        "   AND u2.result <> 'error_report'"
        "   ORDER BY u2.seq DESC LIMIT 1),"
        "  max(result IN ('failed','rolled_back','rejected')) IS 1,"
        "  (SELECT u2.result FROM upd u2 WHERE u2.device = u.device"
        "   AND u2.deployment = u.deployment"
        "   AND u2.result IN ('failed','rolled_back','rejected')"
        "   ORDER BY u2.seq LIMIT 1),"
        "  (SELECT u2.reason FROM upd u2 WHERE u2.device = u.device"
        "   AND u2.deployment = u.deployment"
        "   AND u2.result IN ('failed','rolled_back','rejected')"
        "   ORDER BY u2.seq LIMIT 1),"
        "  max(result = 'error_report') IS 1"
        " FROM upd u GROUP BY device, deployment"
        " HAVING count(CASE WHEN result IS NOT 'error_report' THEN 1 END) > 0"
        " ORDER BY device, deployment;"
        "DROP TABLE upd;",
        NULL, NULL, NULL);
}

int
fs__run_events_write(const struct fs__run_events *e, sqlite3 *db)
{
    int rc = sqlite3_exec(
        db,
        "CREATE TABLE events(seq INTEGER PRIMARY KEY, t_us INTEGER NOT NULL,"
        " name TEXT NOT NULL, deployment INTEGER, wave INTEGER, kind TEXT,"
        " target INTEGER, outcome TEXT, rule TEXT, rate REAL,"
        " devices INTEGER, detail TEXT);"
        "CREATE INDEX events_name ON events(name, t_us);"
        "CREATE INDEX events_deployment ON events(deployment, t_us);"
        "CREATE TABLE device_deployments(device INTEGER NOT NULL,"
        " deployment INTEGER NOT NULL, wave INTEGER, offered_us INTEGER,"
        " confirmed_us INTEGER, last_result TEXT, last_reason TEXT,"
        " failed INTEGER NOT NULL, fail_result TEXT, fail_reason TEXT,"
        " errored INTEGER NOT NULL, PRIMARY KEY(device, deployment));"
        "CREATE INDEX device_deployments_dep ON"
        " device_deployments(deployment, wave, confirmed_us);",
        NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = events_write(e, db);
    if (rc == SQLITE_OK)
        rc = upds_write(e, db);
    return rc;
}

/* error_reports_daily: reports taken in, by (image, kind, day). */
int
fs__run_events_write_reports(const struct fs__run_events *e,
                             const struct fs_scn *scn, sqlite3 *db)
{
    int rc = sqlite3_exec(
        db,
        "CREATE TABLE error_reports_daily(image TEXT, kind TEXT NOT NULL,"
        " day INTEGER NOT NULL, count INTEGER NOT NULL,"
        " PRIMARY KEY(image, kind, day));",
        NULL, NULL, NULL);
    sqlite3_stmt *st;
    if (rc != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO error_reports_daily VALUES(?,?,?,?)",
                           -1, &st, NULL) != SQLITE_OK)
        return SQLITE_ERROR;
    for (uint32_t i = 0; i <= e->nimages && rc == SQLITE_OK; i++)
        for (unsigned k = 0; k < FS_REP_COUNT && rc == SQLITE_OK; k++)
            for (uint32_t d = 0; d < e->ndays && rc == SQLITE_OK; d++) {
                uint64_t n =
                    e->rep_days[((size_t)i * FS_REP_COUNT + k) * e->ndays + d];
                if (n == 0)
                    continue;
                if (i < e->nimages && i < scn->nimages)
                    sqlite3_bind_text(st, 1, scn->images[i].id, -1,
                                      SQLITE_STATIC);
                sqlite3_bind_text(
                    st, 2, fs_msg_report_kind_name((enum fs_report_kind)k), -1,
                    SQLITE_STATIC);
                sqlite3_bind_int64(st, 3, d);
                sqlite3_bind_int64(st, 4, (int64_t)n);
                rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
                sqlite3_reset(st);
                sqlite3_clear_bindings(st);
            }
    sqlite3_finalize(st);
    return rc;
}
