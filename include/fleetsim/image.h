/*
 * include/fleetsim/image.h - the signed image catalog and the vendor keys.
 *
 * Owns: struct fs_catalog: every configured image as a signed manifest
 * over deterministic content, the signer key pairs (platform, oem,
 * update-service and every other configured signer name), and the memo of
 * verified (key, message, signature) triples.
 * Invariants: keys and content derive from the seed and names only; a
 * manifest's signature covers its canonical bytes (fs_manifest_encode);
 * the verify memo only ever remembers checks that really passed; every
 * key, signature and check is in the scheme the configuration names.
 * Does not: decide trust (the device keystore and the service registry do),
 * hold per-device state, or read a scenario (it takes plain configuration,
 * struct fs_catalog_config; the scenario layer builds one).
 */
#ifndef FLEETSIM_IMAGE_H
#define FLEETSIM_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetsim/crypto.h"

#include "fleetsim/config.h"

#define FS_KEY_PUB_BYTES 32  /* Ed25519 public key */
#define FS_KEY_SEC_BYTES 64  /* Ed25519 secret key (seed || public) */
#define FS_SIG_BYTES 64      /* Ed25519 signature */
#define FS_HASH_BYTES 32     /* BLAKE2b-256 */
#define FS_MANIFEST_BYTES 96 /* canonical encoding of a manifest */

/*
 * Signer index 0 is always the platform key (OS images), 1 is "oem", 2 is
 * the update service's metadata key ("update-service"; devices trust it for
 * update metadata only, never for images).
 */
#define FS_SIGNER_PLATFORM 0u
#define FS_SIGNER_OEM 1u
#define FS_SIGNER_UPDATE 2u

/* What a signer vouches for: the fields a device checks before install. */
struct fs_manifest {
    uint32_t image;                    /* catalog index */
    uint8_t kind;                      /* enum fs_image_kind */
    uint32_t product;                  /* product index; UINT32_MAX for OS */
    uint32_t signer;                   /* signer index */
    uint32_t security_version;         /* anti-rollback value */
    uint64_t length_bytes;             /* declared size */
    uint32_t version_rank;             /* order among images of its kind */
    unsigned char hash[FS_HASH_BYTES]; /* BLAKE2b of the content */
};

struct fs_signed_manifest {
    struct fs_manifest m;            /* the manifest */
    unsigned char sig[FS_SIG_BYTES]; /* signer's signature over it */
};

struct fs_catalog;

/* One image as the catalog needs it. */
struct fs_catalog_image {
    enum fs_image_kind kind;   /* OS or app */
    struct fs_version version; /* orders the images of one kind */
    uint32_t security_version; /* anti-rollback value */
    uint64_t size_bytes;       /* declared size: the content's length */
    uint32_t product;          /* product index; UINT32_MAX for none */
    const char *signer;        /* apps: a configured signer's name; OS
                                  images are signed by the platform key */
};

/* What a catalog is built from (borrowed; the catalog copies what it keeps). */
struct fs_catalog_config {
    uint64_t seed;                         /* root of keys and content */
    uint32_t nimages;                      /* entries of images */
    const struct fs_catalog_image *images; /* by catalog index */
    uint32_t nsigners;                     /* entries of signers */
    const char *const *signers; /* signer names after platform, oem and
                                   update-service, in index order; a
                                   repeated name keeps its first index */
    enum fs_crypto_kind crypto; /* signature scheme (0: real Ed25519) */
};

/*
 * Build the catalog of cfg: derive signer keys from cfg's seed and the
 * names, generate each image's content, hash it and sign its manifest.
 * Returns 0, or FS_EINVAL when an app names a signer not configured.
 */
int fs_catalog_create(const struct fs_catalog_config *cfg,
                      struct fs_catalog **out);
void fs_catalog_destroy(struct fs_catalog *c);

/* Counts. */
uint32_t fs_catalog_images(const struct fs_catalog *c);
uint32_t fs_catalog_signers(const struct fs_catalog *c);

/* The signed manifest of image i (i < fs_catalog_images). */
const struct fs_signed_manifest *fs_catalog_manifest(const struct fs_catalog *c,
                                                     uint32_t i);
/* Public key of signer s; its name ("platform", "oem", ...). */
const unsigned char *fs_catalog_signer_pk(const struct fs_catalog *c,
                                          uint32_t s);
const char *fs_catalog_signer_name(const struct fs_catalog *c, uint32_t s);
/*
 * Secret key of signer s, for sealing it at rest in the service store.
 * Nothing in the model signs with it except fs_catalog_sign.
 */
const unsigned char *fs_catalog_signer_sk(const struct fs_catalog *c,
                                          uint32_t s);
/* Signer index by name, or UINT32_MAX. */
uint32_t fs_catalog_signer_find(const struct fs_catalog *c, const char *name);

/*
 * Sign a manifest with signer s's secret key. This is the vendor's (or an
 * attacker holding a leaked key) act; devices and the service never call
 * it for their own keys.
 */
void fs_catalog_sign(const struct fs_catalog *c, uint32_t s,
                     struct fs_signed_manifest *sm);

/* Canonical bytes of m (FS_MANIFEST_BYTES). */
void fs_manifest_encode(const struct fs_manifest *m,
                        unsigned char out[FS_MANIFEST_BYTES]);

/*
 * Verify sig over msg with pk, remembering triples that passed so an
 * identical check later is answered from memory. Returns 0 or FS_EBADSIG.
 * Counts real verifications and memo hits for the benchmarks.
 */
int fs_catalog_verify(struct fs_catalog *c, const unsigned char *pk,
                      const unsigned char *msg, size_t msg_len,
                      const unsigned char *sig);

/* Real signature verifications performed, and answers from the memo. */
uint64_t fs_catalog_verifies(const struct fs_catalog *c);
uint64_t fs_catalog_memo_hits(const struct fs_catalog *c);

/* Content hash of image i as it should be (its manifest hash). */
const unsigned char *fs_catalog_hash(const struct fs_catalog *c, uint32_t i);

/*
 * Hash image i's content with nflips bit positions inverted (flash rot or
 * tampering): the real BLAKE2b over the modified bytes. With nflips == 0 it
 * returns the remembered hash of the pristine content.
 */
void fs_catalog_hash_modified(const struct fs_catalog *c, uint32_t i,
                              const uint64_t *flip_bits, size_t nflips,
                              unsigned char out[FS_HASH_BYTES]);

/* The fixed hashes of the boot stages before the OS (per hardware). */
const unsigned char *fs_catalog_monitor_hash(const struct fs_catalog *c);
const unsigned char *fs_catalog_bootloader_hash(const struct fs_catalog *c);

/* BLAKE2b extend: reg = H(reg || value). */
void fs_measure_extend(unsigned char reg[FS_HASH_BYTES],
                       const unsigned char value[FS_HASH_BYTES]);

bool fs_catalog_check(const struct fs_catalog *c);

#endif
