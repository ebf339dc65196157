/*
 * include/fleetsim/store.h - the service's tables in fleet.db.
 *
 * Owns: writing the service's state (docs/fleet-db.md: devices,
 * attestations, error_reports, signers, secrets, deployments, waves) and
 * opening a sealed secret again.
 * Invariants: one savepoint per write; secrets are sealed at rest; the
 * bytes follow from the run alone.
 * Does not: open or close the database.
 */
#ifndef FLEETSIM_STORE_H
#define FLEETSIM_STORE_H

#include <stddef.h>

#include "fleetsim/image.h"

struct fs_svc;
struct sqlite3;

/*
 * Create and fill the service tables in the open database db inside one
 * transaction (a savepoint, so it nests in the caller's). Secrets are
 * sealed with crypto_secretbox_easy. Returns 0 or FS_EDB.
 */
int fs_store_write(struct fs_svc *s, struct sqlite3 *db);

/*
 * Open a sealed secret (a secrets.sealed blob of fs_store_write) into
 * sk. Returns 0, FS_EINVAL for a wrong length, or FS_EBADSIG when it does
 * not open under the key of this run's seed.
 */
int fs_store_unseal(const struct fs_svc *s, const void *sealed, size_t len,
                    unsigned char sk[FS_KEY_SEC_BYTES]);

#endif
