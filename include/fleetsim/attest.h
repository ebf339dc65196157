/*
 * include/fleetsim/attest.h - the service's attestation verifier.
 *
 * Owns: the reference measurements a verifier expects of a device running
 * given images (the verifier itself is reached through fs_svc_receive;
 * tests reach it directly through fleetsim/testing.h).
 * Invariants: references only come from catalog manifests whose vendor
 * signature verifies.
 * Does not: keep state of its own here (the cache lives in the service).
 */
#ifndef FLEETSIM_ATTEST_H
#define FLEETSIM_ATTEST_H

#include <stdbool.h>
#include <stdint.h>

#include "fleetsim/image.h"
#include "fleetsim/msg.h"

struct fs_catalog;

/*
 * Reference measurements of a device running image os and apps (one per
 * core, FS_NO_IMAGE for none): pcr_boot = extend(extend(extend(0, monitor),
 * bootloader), hash(os)); pcr_apps = extend over each present app hash in
 * core order, from 0. Returns false when an index is not a catalog image
 * of the right kind or its manifest signature does not verify.
 */
bool fs_attest_expected(struct fs_catalog *c, uint32_t os,
                        const uint32_t apps[FS_APPS_MAX],
                        unsigned char pcr_boot[FS_HASH_BYTES],
                        unsigned char pcr_apps[FS_HASH_BYTES]);

#endif
