/*
 * sim/model/image.c - the signed image catalog, vendor keys and the verify
 * memo.
 *
 * Owns: deterministic image content (generated from the seed and the image
 * id), its BLAKE2b hash, each image's manifest signed by its signer, the
 * signer key pairs, the hashes of the fixed boot stages, and the memo of
 * (key, message, signature) triples that verified.
 * Invariants: everything derives from (seed, names), so adding an image
 * does not change another image's content or keys; the memo holds only
 * triples that really passed the check of the catalog's scheme (real
 * Ed25519, or the --crypto model stand-in: fs_crypto_plain_*).
 * Does not: decide whether a signer is trusted; hold per-device state.
 */
#include <string.h>

#include <sodium.h>

#include "fleetsim/crypto.h"
#include "fleetsim/err.h"
#include "fleetsim/image.h"
#include "fleetsim/mem.h"
#include "fleetsim/rng.h"

#include "fleetsim/bytes.h"

/* Content is generated and hashed in chunks of this many bytes. */
#define CONTENT_CHUNK_BYTES ((size_t)64 * 1024)
/* The memo stops growing past this many remembered triples. */
#define MEMO_ENTRIES_MAX ((size_t)1 << 22)

struct signer {
    char *name;                         /* "platform", "oem", ... (owned) */
    unsigned char pk[FS_KEY_PUB_BYTES]; /* public key */
    unsigned char sk[FS_KEY_SEC_BYTES]; /* secret key (vendor side) */
};

struct memo_key {
    unsigned char h[16]; /* BLAKE2b-128 of pk || sig || msg; all-zero = empty */
};

struct fs_catalog {
    uint64_t seed;                                /* root seed */
    uint32_t nimages;                             /* manifests */
    struct fs_signed_manifest *manifests;         /* by image index */
    uint32_t nsigners;                            /* signers */
    struct signer *signers;                       /* by signer index */
    unsigned char monitor_hash[FS_HASH_BYTES];    /* security monitor */
    unsigned char bootloader_hash[FS_HASH_BYTES]; /* bootloader */
    struct memo_key *memo;                        /* open addressing */
    size_t memo_cap;                              /* power of two */
    size_t memo_used;                             /* entries */
    uint64_t verifies;                            /* real verifications */
    uint64_t memo_hits;                           /* answered from the memo */
    unsigned char *scratch;     /* CONTENT_CHUNK_BYTES for hashing */
    enum fs_crypto_kind crypto; /* signature scheme */
};

static void
seed_from_name(uint64_t seed, const char *purpose, const char *name,
               unsigned char out[32])
{
    crypto_generichash_state st;
    unsigned char s8[8];
    for (int i = 0; i < 8; i++)
        s8[i] = (unsigned char)(seed >> (8 * i));
    crypto_generichash_init(&st, NULL, 0, 32);
    crypto_generichash_update(&st, s8, sizeof(s8));
    crypto_generichash_update(&st, (const unsigned char *)purpose,
                              strlen(purpose) + 1);
    crypto_generichash_update(&st, (const unsigned char *)name, strlen(name));
    crypto_generichash_final(&st, out, 32);
}

static void
content_rng(const struct fs_catalog *c, uint32_t image, struct fs_rng *r)
{
    unsigned char s[32];
    seed_from_name(c->seed, "content", "", s);
    uint64_t k = 0;
    for (int i = 0; i < 8; i++)
        k |= (uint64_t)s[i] << (8 * i);
    fs_rng_seed(r, k, image, FS_RNG_SCENARIO);
}

/* Hash the content of image i, inverting the listed bit positions. */
static void
hash_content(const struct fs_catalog *c, uint32_t i, uint64_t len,
             const uint64_t *flips, size_t nflips,
             unsigned char out[FS_HASH_BYTES])
{
    unsigned char *buf = c->scratch;
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, FS_HASH_BYTES);
    struct fs_rng r;
    content_rng(c, i, &r);
    for (uint64_t off = 0; off < len; off += CONTENT_CHUNK_BYTES) {
        size_t n =
            (size_t)(len - off < CONTENT_CHUNK_BYTES ? len - off
                                                     : CONTENT_CHUNK_BYTES);
        fs_rng_bytes(&r, buf, n);
        for (size_t f = 0; f < nflips; f++) {
            uint64_t byte = flips[f] / 8;
            if (byte >= off && byte < off + n)
                buf[byte - off] ^= (unsigned char)(1u << (flips[f] % 8));
        }
        crypto_generichash_update(&st, buf, n);
    }
    crypto_generichash_final(&st, out, FS_HASH_BYTES);
}

static uint32_t
add_signer(struct fs_catalog *c, const char *name)
{
    for (uint32_t s = 0; s < c->nsigners; s++)
        if (strcmp(c->signers[s].name, name) == 0)
            return s;
    struct signer *sg = &c->signers[c->nsigners];
    unsigned char seed[32];
    seed_from_name(c->seed, "signer", name, seed);
    fs_crypto_plain_keygen(c->crypto, sg->pk, sg->sk, seed);
    sodium_memzero(seed, sizeof(seed));
    sg->name = fs_xstrdup(name);
    return c->nsigners++;
}

static uint32_t
version_rank(const struct fs_catalog_config *cfg,
             const struct fs_catalog_image *img)
{
    uint32_t rank = 1;
    for (uint32_t j = 0; j < cfg->nimages; j++) {
        const struct fs_catalog_image *o = &cfg->images[j];
        if (o->kind == img->kind &&
            fs_version_cmp(&o->version, &img->version) < 0)
            rank++;
    }
    return rank;
}

static int
build_manifest(struct fs_catalog *c, const struct fs_catalog_config *cfg,
               uint32_t i)
{
    const struct fs_catalog_image *img = &cfg->images[i];
    struct fs_signed_manifest *sm = &c->manifests[i];
    sm->m.image = i;
    sm->m.kind = img->kind == FS_IMAGE_OS ? FS_IMAGE_OS : FS_IMAGE_APP;
    sm->m.product = img->product;
    sm->m.signer = img->kind == FS_IMAGE_OS
                       ? FS_SIGNER_PLATFORM
                       : fs_catalog_signer_find(c, img->signer);
    if (sm->m.signer == UINT32_MAX)
        return FS_EINVAL;
    sm->m.security_version = img->security_version;
    sm->m.length_bytes = img->size_bytes;
    sm->m.version_rank = version_rank(cfg, img);
    hash_content(c, i, img->size_bytes, NULL, 0, sm->m.hash);
    fs_catalog_sign(c, sm->m.signer, sm);
    return 0;
}

int
fs_catalog_create(const struct fs_catalog_config *cfg, struct fs_catalog **out)
{
    if (sodium_init() < 0)
        return FS_EINVAL;
    struct fs_catalog *c = fs_xcalloc(1, sizeof(*c));
    c->seed = cfg->seed;
    c->crypto = cfg->crypto;
    c->scratch = fs_xmalloc(CONTENT_CHUNK_BYTES);
    c->signers = fs_xcalloc(3 + (size_t)cfg->nsigners, sizeof(*c->signers));
    add_signer(c, "platform");
    add_signer(c, "oem");
    add_signer(c, "update-service");
    for (uint32_t s = 0; s < cfg->nsigners; s++)
        add_signer(c, cfg->signers[s]);
    unsigned char h[32];
    seed_from_name(cfg->seed, "stage", "security-monitor", h);
    memcpy(c->monitor_hash, h, FS_HASH_BYTES);
    seed_from_name(cfg->seed, "stage", "bootloader", h);
    memcpy(c->bootloader_hash, h, FS_HASH_BYTES);
    c->nimages = cfg->nimages;
    c->manifests =
        fs_xcalloc(cfg->nimages ? cfg->nimages : 1, sizeof(*c->manifests));
    c->memo_cap = 1024;
    c->memo = fs_xcalloc(c->memo_cap, sizeof(*c->memo));
    for (uint32_t i = 0; i < cfg->nimages; i++) {
        int err = build_manifest(c, cfg, i);
        if (err != 0) {
            fs_catalog_destroy(c);
            return err;
        }
    }
    *out = c;
    return 0;
}

void
fs_catalog_destroy(struct fs_catalog *c)
{
    if (c == NULL)
        return;
    for (uint32_t s = 0; s < c->nsigners; s++)
        fs_free(c->signers[s].name);
    if (c->signers != NULL)
        sodium_memzero(c->signers, c->nsigners * sizeof(*c->signers));
    fs_free(c->signers);
    fs_free(c->manifests);
    fs_free(c->memo);
    fs_free(c->scratch);
    fs_free(c);
}

uint32_t
fs_catalog_images(const struct fs_catalog *c)
{
    return c->nimages;
}

uint32_t
fs_catalog_signers(const struct fs_catalog *c)
{
    return c->nsigners;
}

const struct fs_signed_manifest *
fs_catalog_manifest(const struct fs_catalog *c, uint32_t i)
{
    FS_ASSERT(i < c->nimages);
    return &c->manifests[i];
}

const unsigned char *
fs_catalog_signer_pk(const struct fs_catalog *c, uint32_t s)
{
    FS_ASSERT(s < c->nsigners);
    return c->signers[s].pk;
}

const unsigned char *
fs_catalog_signer_sk(const struct fs_catalog *c, uint32_t s)
{
    FS_ASSERT(s < c->nsigners);
    return c->signers[s].sk;
}

const char *
fs_catalog_signer_name(const struct fs_catalog *c, uint32_t s)
{
    FS_ASSERT(s < c->nsigners);
    return c->signers[s].name;
}

uint32_t
fs_catalog_signer_find(const struct fs_catalog *c, const char *name)
{
    for (uint32_t s = 0; s < c->nsigners; s++)
        if (strcmp(c->signers[s].name, name) == 0)
            return s;
    return UINT32_MAX;
}

void
fs_manifest_encode(const struct fs_manifest *m,
                   unsigned char out[FS_MANIFEST_BYTES])
{
    memset(out, 0, FS_MANIFEST_BYTES);
    memcpy(out, "FSMANIF1", 8);
    fs_bytes_put_le(out + 8, m->image, 4);
    out[12] = m->kind;
    fs_bytes_put_le(out + 16, m->product, 4);
    fs_bytes_put_le(out + 20, m->signer, 4);
    fs_bytes_put_le(out + 24, m->security_version, 4);
    fs_bytes_put_le(out + 28, m->length_bytes, 8);
    fs_bytes_put_le(out + 36, m->version_rank, 4);
    memcpy(out + 40, m->hash, FS_HASH_BYTES);
}

void
fs_catalog_sign(const struct fs_catalog *c, uint32_t s,
                struct fs_signed_manifest *sm)
{
    FS_ASSERT(s < c->nsigners);
    unsigned char buf[FS_MANIFEST_BYTES];
    fs_manifest_encode(&sm->m, buf);
    fs_crypto_plain_sign(c->crypto, sm->sig, buf, sizeof(buf),
                         c->signers[s].sk);
}

static void
memo_key_of(const unsigned char *pk, const unsigned char *msg, size_t len,
            const unsigned char *sig, struct memo_key *k)
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof(k->h));
    crypto_generichash_update(&st, pk, FS_KEY_PUB_BYTES);
    crypto_generichash_update(&st, sig, FS_SIG_BYTES);
    crypto_generichash_update(&st, msg, len);
    crypto_generichash_final(&st, k->h, sizeof(k->h));
    k->h[0] |= 1; /* never all-zero, which marks an empty slot */
}

static size_t
memo_slot(const struct fs_catalog *c, const struct memo_key *k)
{
    uint64_t h = 0;
    memcpy(&h, k->h + 8, sizeof(h));
    size_t mask = c->memo_cap - 1;
    size_t i = (size_t)h & mask;
    while (c->memo[i].h[0] != 0 && memcmp(c->memo[i].h, k->h, 16) != 0)
        i = (i + 1) & mask;
    return i;
}

static void
memo_insert(struct fs_catalog *c, const struct memo_key *k)
{
    if (c->memo_used >= MEMO_ENTRIES_MAX)
        return;
    if ((c->memo_used + 1) * 2 > c->memo_cap) {
        struct memo_key *old = c->memo;
        size_t old_cap = c->memo_cap;
        c->memo_cap *= 2;
        c->memo = fs_xcalloc(c->memo_cap, sizeof(*c->memo));
        for (size_t i = 0; i < old_cap; i++)
            if (old[i].h[0] != 0)
                c->memo[memo_slot(c, &old[i])] = old[i];
        fs_free(old);
    }
    size_t i = memo_slot(c, k);
    if (c->memo[i].h[0] == 0) {
        c->memo[i] = *k;
        c->memo_used++;
    }
}

int
fs_catalog_verify(struct fs_catalog *c, const unsigned char *pk,
                  const unsigned char *msg, size_t msg_len,
                  const unsigned char *sig)
{
    struct memo_key k;
    memo_key_of(pk, msg, msg_len, sig, &k);
    size_t i = memo_slot(c, &k);
    if (c->memo[i].h[0] != 0) {
        c->memo_hits++;
        return 0;
    }
    c->verifies++;
    if (fs_crypto_plain_verify(c->crypto, sig, msg, msg_len, pk) != 0)
        return FS_EBADSIG;
    memo_insert(c, &k);
    return 0;
}

uint64_t
fs_catalog_verifies(const struct fs_catalog *c)
{
    return c->verifies;
}

uint64_t
fs_catalog_memo_hits(const struct fs_catalog *c)
{
    return c->memo_hits;
}

const unsigned char *
fs_catalog_hash(const struct fs_catalog *c, uint32_t i)
{
    FS_ASSERT(i < c->nimages);
    return c->manifests[i].m.hash;
}

void
fs_catalog_hash_modified(const struct fs_catalog *c, uint32_t i,
                         const uint64_t *flip_bits, size_t nflips,
                         unsigned char out[FS_HASH_BYTES])
{
    FS_ASSERT(i < c->nimages);
    if (nflips == 0) {
        memcpy(out, c->manifests[i].m.hash, FS_HASH_BYTES);
        return;
    }
    hash_content(c, i, c->manifests[i].m.length_bytes, flip_bits, nflips, out);
}

const unsigned char *
fs_catalog_monitor_hash(const struct fs_catalog *c)
{
    return c->monitor_hash;
}

const unsigned char *
fs_catalog_bootloader_hash(const struct fs_catalog *c)
{
    return c->bootloader_hash;
}

void
fs_measure_extend(unsigned char reg[FS_HASH_BYTES],
                  const unsigned char value[FS_HASH_BYTES])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, FS_HASH_BYTES);
    crypto_generichash_update(&st, reg, FS_HASH_BYTES);
    crypto_generichash_update(&st, value, FS_HASH_BYTES);
    crypto_generichash_final(&st, reg, FS_HASH_BYTES);
}

bool
fs_catalog_check(const struct fs_catalog *c)
{
    if (c->nsigners < 3 || c->memo_used * 2 > c->memo_cap)
        return false;
    for (uint32_t i = 0; i < c->nimages; i++)
        if (c->manifests[i].m.image != i ||
            c->manifests[i].m.signer >= c->nsigners)
            return false;
    return true;
}
