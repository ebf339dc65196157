/*
 * include/fleetsim/cert.h - the service's certificate authority and the
 * relying party's certificate check.
 *
 * Owns: the CA public key as others see it, the outcome of checking a
 * presented certificate, and the pure check itself.
 * Invariants: the CA signature is always really verified by fs_cert_check
 * (in the run's signature scheme, fleetsim/crypto.h).
 * Does not: issue certificates on request (the service does after a
 * passing attestation) or remember checks (the product cloud does).
 */
#ifndef FLEETSIM_CERT_H
#define FLEETSIM_CERT_H

#include <stdbool.h>
#include <stdint.h>

#include "fleetsim/crypto.h"
#include "fleetsim/image.h"
#include "fleetsim/msg.h"

struct fs_svc;

/* Outcome of the product cloud's certificate check. */
enum fs_cert_result {
    FS_CERT_OK = 0,
    FS_CERT_BAD_SIGNATURE, /* not signed by the service CA */
    FS_CERT_EXPIRED,       /* not_after_us < now */
    FS_CERT_WRONG_SUBJECT, /* not the sender, or not its registered key */
    FS_CERT_REVOKED,       /* subject device revoked */
    FS_CERT_COUNT
};

/*
 * The relying party's check of a presented certificate, pure: CA
 * signature (always really verified, in scheme crypto; not counted),
 * expiry, subject (sender and its registered key; registered_pk NULL means
 * unknown sender), revocation.
 */
enum fs_cert_result
fs_cert_check(enum fs_crypto_kind crypto, const struct fs_cert *c,
              const unsigned char ca_pk[FS_KEY_PUB_BYTES], uint32_t sender,
              const unsigned char *registered_pk, bool revoked, int64_t now_us);
/* Name of a cert check result ("ok", "bad_signature", ...). */
const char *fs_cert_result_name(enum fs_cert_result r);

/* The service CA's public key. */
const unsigned char *fs_cert_ca_pk(const struct fs_svc *s);

#endif
