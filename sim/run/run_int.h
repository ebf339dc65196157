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

#include "fleetsim/diag.h"
#include "fleetsim/run.h"

/* The trace path the run was created with (its temporary name), or NULL. */
const char *fs__run_trace_path(const struct fs_run *r);

/*
 * Write fleet.db at path (a new file): the run's tables and the service's,
 * in one transaction. Returns 0 or FS_EDB with diag filled.
 */
int fs__run_db_write(struct fs_run *r, const char *path, struct fs_diag *diag);

#endif
