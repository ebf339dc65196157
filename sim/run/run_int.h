/*
 * sim/run/run_int.h - what the files of sim/run/ share and nothing else sees.
 *
 * Owns: the declarations between run.c (the run itself), db.c (fleet.db)
 * and outputs.c (placing the outputs whole, summary.json).
 * Invariants: fleet.db is written from the run's public accessors only, so
 * the database holds what the run exposes and nothing else.
 * Does not: get included outside sim/run/.
 */
#ifndef FLEETSIM_RUN_INT_H
#define FLEETSIM_RUN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetsim/diag.h"
#include "fleetsim/run.h"

struct fs_scn;

/*
 * The header text of scn's trace run with seed (seed_set: --seed given) in
 * signature scheme crypto, in a heap buffer the caller frees; its length in
 * *out_len.
 */
char *fs__run_trace_header(const struct fs_scn *scn, uint64_t seed,
                           bool seed_set, enum fs_crypto_kind crypto,
                           size_t *out_len);

/* The trace path the run was created with (its temporary name), or NULL. */
const char *fs__run_trace_path(const struct fs_run *r);

/*
 * Write fleet.db at path (a new file): the run's tables and the service's,
 * in one transaction. Returns 0 or FS_EDB with diag filled.
 */
int fs__run_db_write(struct fs_run *r, const char *path, struct fs_diag *diag);

struct fs__run_events;
struct fs_scn;
struct fs_svc;
struct sqlite3;

/* The run's event collector (events.c), fed by the engine's record hook. */
struct fs__run_events *fs__run_events_create(const struct fs_scn *scn,
                                             struct fs_svc *svc);
void fs__run_events_destroy(struct fs__run_events *e);
/* The record hook (fs_sim_record_fn); ctx is the collector. */
void fs__run_events_record(void *ctx, int64_t t_us, uint16_t kind,
                           uint32_t device, int64_t value);
/* Create and fill events and device_deployments. Returns an SQLite code. */
int fs__run_events_write(const struct fs__run_events *e, struct sqlite3 *db);
/* What the collector kept of one device (from its records). */
struct fs__run_dev {
    int64_t upd_us;     /* last update outcome (device time), or -1 */
    uint16_t upd_image; /* ... its image index */
    uint8_t upd_result; /* ... enum fs_update_result */
    uint8_t upd_reason; /* ... enum fs_update_reason */
    uint16_t check;     /* last refusing check since an attack began */
    int8_t attack_kind; /* last attack that succeeded on it, or -1 */
};
/* What the collector kept of device, or NULL when it saw none of it. */
const struct fs__run_dev *fs__run_events_dev(const struct fs__run_events *e,
                                             uint32_t device);
/* Create and fill error_reports_daily. Returns an SQLite code. */
int fs__run_events_write_reports(const struct fs__run_events *e,
                                 const struct fs_scn *scn, struct sqlite3 *db);
/* Create and fill devices and device_apps (db_devices.c). */
int fs__run_db_devices(struct fs_run *r, struct sqlite3 *db);
/* The collector of r. */
const struct fs__run_events *fs__run_events_of(const struct fs_run *r);

#endif
