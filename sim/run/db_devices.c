/*
 * sim/run/db_devices.c - the devices and device_apps tables of fleet.db.
 *
 * Owns: one devices row per device (what it runs, its state, why it counts
 * compromised, its anti-rollback counters, its last update outcome, and the
 * service's view of it joined from service_devices) and one device_apps row
 * per app core in use (docs/fleet-db.md).
 * Invariants: reads the fleet only through its public read-only getters
 * (fleet.h, slots.h, keystore.h) and the run's record collector; rows go in
 * by device id; the fingerprint never depends on anything here.
 * Does not: change the model, or write any other table.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "fleetsim/fleet.h"
#include "fleetsim/image.h"
#include "fleetsim/keystore.h"
#include "fleetsim/msg.h"
#include "fleetsim/run.h"
#include "fleetsim/scn.h"
#include "fleetsim/slots.h"
#include "run_int.h"

static const char devices_schema[] =
    "CREATE TABLE devices(id INTEGER PRIMARY KEY, product TEXT NOT NULL,"
    " device_group TEXT NOT NULL, os TEXT, os_version TEXT, app TEXT,"
    " app_version TEXT, state TEXT NOT NULL, compromised INTEGER NOT NULL,"
    " compromised_why TEXT, counter_os INTEGER NOT NULL,"
    " counter_app INTEGER NOT NULL, last_update_image TEXT,"
    " last_update_result TEXT, last_update_reason TEXT,"
    " last_update_us INTEGER, revoked INTEGER, last_attest_us INTEGER,"
    " last_attest_result TEXT, cert_serial INTEGER,"
    " cert_not_after_us INTEGER);"
    "CREATE TABLE device_apps(device INTEGER NOT NULL, core TEXT NOT NULL,"
    " app TEXT, version TEXT, slot_a TEXT, slot_b TEXT, active_slot TEXT,"
    " state TEXT NOT NULL, PRIMARY KEY(device, core));";

static const char devices_indexes[] =
    "CREATE INDEX devices_state ON devices(state);"
    "CREATE INDEX devices_compromised ON devices(compromised);"
    "CREATE INDEX devices_os ON devices(os);"
    "CREATE INDEX device_apps_app ON device_apps(app);";

static const char *const state_names[] = {"running", "updating", "rebooting",
                                          "offline", "recovery"};
static const char *const core_names[FS_APPS_MAX] = {"hl", "rt0", "rt1"};

/* Binding helper: an image id of the scenario, or NULL for no image. */
static void
bind_image(sqlite3_stmt *st, int col, const struct fs_scn *scn, uint32_t img,
           bool version)
{
    if (img == FS_NO_IMAGE || img >= scn->nimages)
        sqlite3_bind_null(st, col);
    else
        sqlite3_bind_text(
            st, col, version ? scn->images[img].version : scn->images[img].id,
            -1, SQLITE_STATIC);
}

/* Service columns 17..21 from the service_devices cursor sv (at id). */
static void
bind_service(sqlite3_stmt *st, sqlite3_stmt *sv, int *sv_rc, uint32_t id)
{
    while (*sv_rc == SQLITE_ROW && sqlite3_column_int64(sv, 0) < id)
        *sv_rc = sqlite3_step(sv);
    if (*sv_rc != SQLITE_ROW || sqlite3_column_int64(sv, 0) != id)
        return;
    for (int c = 1; c <= 5; c++)
        sqlite3_bind_value(st, 16 + c, sqlite3_column_value(sv, c));
}

/* compromised_why: "untrusted_boot", "attack:KIND", comma-separated. */
static void
bind_why(sqlite3_stmt *st, unsigned why, const struct fs__run_dev *rd)
{
    char buf[96] = "";
    if (why & FS_FLEET_COMP_BOOT)
        strcpy(buf, "untrusted_boot");
    if (why & FS_FLEET_COMP_ATTACK) {
        size_t n = strlen(buf);
        const char *kind =
            rd != NULL && rd->attack_kind >= 0
                ? fs_scn_attack_name((enum fs_scn_attack_kind)rd->attack_kind)
                : "unknown";
        snprintf(buf + n, sizeof(buf) - n, "%sattack:%s", n ? "," : "", kind);
    }
    if (buf[0] != '\0')
        sqlite3_bind_text(st, 10, buf, -1, SQLITE_TRANSIENT);
}

static void
put_device(struct fs_run *r, sqlite3_stmt *st, uint32_t id,
           const struct fs__run_dev *rd)
{
    struct fs_fleet *f = fs_run_fleet(r);
    const struct fs_scn *scn = fs_run_scn(r);
    const struct fs_cohort_config *cc = fs_fleet_cohort(f, id);
    struct fs_keystore *ks = fs_fleet_keystore(f);
    uint32_t os = fs_fleet_running_os(f, id);
    uint32_t app = fs_fleet_running_app(f, id, 0);
    unsigned why = fs_fleet_compromised_why(f, id);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, cc->product_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, cc->group_name, -1, SQLITE_STATIC);
    bind_image(st, 4, scn, os, false);
    bind_image(st, 5, scn, os, true);
    bind_image(st, 6, scn, app, false);
    bind_image(st, 7, scn, app, true);
    sqlite3_bind_text(st, 8, state_names[fs_fleet_state(f, id)], -1,
                      SQLITE_STATIC);
    sqlite3_bind_int(st, 9, why != 0);
    bind_why(st, why, rd);
    sqlite3_bind_int64(st, 11,
                       fs_keystore_peek_counter(ks, id, FS_KS_COUNTER_OS));
    sqlite3_bind_int64(st, 12,
                       fs_keystore_peek_counter(ks, id, FS_KS_COUNTER_APP));
    if (rd != NULL && rd->upd_us >= 0) {
        bind_image(st, 13, scn,
                   rd->upd_image == UINT16_MAX ? FS_NO_IMAGE : rd->upd_image,
                   false);
        sqlite3_bind_text(
            st, 14,
            fs_update_result_name((enum fs_update_result)rd->upd_result), -1,
            SQLITE_STATIC);
        if (rd->upd_reason != 0)
            sqlite3_bind_text(
                st, 15,
                fs_update_reason_name((enum fs_update_reason)rd->upd_reason),
                -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 16, rd->upd_us);
    }
}

/* device_apps rows of device id: every core whose slots hold an app. */
static int
put_apps(struct fs_run *r, sqlite3_stmt *st, uint32_t id)
{
    struct fs_fleet *f = fs_run_fleet(r);
    const struct fs_scn *scn = fs_run_scn(r);
    int rc = SQLITE_OK;
    for (unsigned c = 0; c < FS_APPS_MAX && rc == SQLITE_OK; c++) {
        enum fs_slot_of what = (enum fs_slot_of)(FS_SLOT_HL + c);
        uint32_t run = fs_fleet_running_app(f, id, c);
        uint32_t a = fs_slots_get(f, id, what, 0);
        uint32_t b = fs_slots_get(f, id, what, 1);
        if (run == FS_NO_IMAGE && a == FS_NO_IMAGE && b == FS_NO_IMAGE)
            continue;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, core_names[c], -1, SQLITE_STATIC);
        bind_image(st, 3, scn, run, false);
        bind_image(st, 4, scn, run, true);
        bind_image(st, 5, scn, a, false);
        bind_image(st, 6, scn, b, false);
        sqlite3_bind_text(st, 7, fs_slots_active(f, id, what) ? "b" : "a", -1,
                          SQLITE_STATIC);
        sqlite3_bind_text(st, 8, run != FS_NO_IMAGE ? "running" : "stopped", -1,
                          SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
    return rc;
}

/* Create and fill devices and device_apps; see run_int.h. */
int
fs__run_db_devices(struct fs_run *r, sqlite3 *db)
{
    sqlite3_stmt *st = NULL, *ap = NULL, *sv = NULL;
    int rc = sqlite3_exec(db, devices_schema, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db,
                                "INSERT INTO devices VALUES(?,?,?,?,?,?,?,?,?,"
                                "?,?,?,?,?,?,?,?,?,?,?,?)",
                                -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(
            db, "INSERT INTO device_apps VALUES(?,?,?,?,?,?,?,?)", -1, &ap,
            NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(
            db,
            "SELECT id, revoked, last_attest_us, last_attest_result,"
            " cert_serial, cert_not_after_us FROM service_devices ORDER BY id",
            -1, &sv, NULL);
    const struct fs__run_events *ev = fs__run_events_of(r);
    uint32_t n = fs_fleet_count(fs_run_fleet(r));
    int sv_rc = rc == SQLITE_OK ? sqlite3_step(sv) : SQLITE_DONE;
    for (uint32_t id = 0; id < n && rc == SQLITE_OK; id++) {
        put_device(r, st, id, fs__run_events_dev(ev, id));
        bind_service(st, sv, &sv_rc, id);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        if (rc == SQLITE_OK)
            rc = put_apps(r, ap, id);
    }
    sqlite3_finalize(sv);
    sqlite3_finalize(ap);
    sqlite3_finalize(st);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, devices_indexes, NULL, NULL, NULL);
    return rc;
}
