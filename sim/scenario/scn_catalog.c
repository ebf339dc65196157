/*
 * sim/scenario/scn_catalog.c - the image catalog's configuration out of a
 * loaded scenario.
 *
 * Owns: the translation of a scenario's images and signer names (image
 * signers, then attack signers and revoked keys, in timeline order) into
 * struct fs_catalog_config, and building the catalog from it.
 * Invariants: the order of images and signer names is the scenario's, so
 * every catalog index, key and signature is what it always was.
 * Does not: sign or hash anything itself (the catalog does), or keep the
 * configuration past the call (the catalog copies what it needs).
 */
#include "fleetsim/err.h"
#include "fleetsim/image.h"
#include "fleetsim/mem.h"
#include "fleetsim/scn.h"

int
fs_scn_catalog_create(const struct fs_scn *scn, uint64_t seed,
                      enum fs_crypto_kind crypto, struct fs_catalog **out)
{
    struct fs_catalog_image *images =
        fs_xcalloc(scn->nimages ? scn->nimages : 1, sizeof(*images));
    const char **signers =
        fs_xcalloc((size_t)scn->nsigners + scn->nactions + 1, sizeof(*signers));
    for (uint32_t i = 0; i < scn->nimages; i++) {
        const struct fs_scn_image *img = &scn->images[i];
        images[i] = (struct fs_catalog_image){
            .kind = img->kind,
            .version = img->ver,
            .security_version = img->security_version,
            .size_bytes = img->size_bytes,
            .product = img->product ? img->product->index : UINT32_MAX,
            .signer = img->signer,
        };
    }
    uint32_t n = 0;
    for (uint32_t s = 0; s < scn->nsigners; s++)
        signers[n++] = scn->signers[s];
    for (uint32_t a = 0; a < scn->nactions; a++) {
        const struct fs_scn_action *act = &scn->actions[a];
        if (act->kind == FS_ACT_ATTACK && act->u.attack.signer != NULL)
            signers[n++] = act->u.attack.signer;
        if (act->kind == FS_ACT_REVOKE_KEY)
            signers[n++] = act->u.key;
    }
    struct fs_catalog_config cfg = {
        .seed = seed,
        .nimages = scn->nimages,
        .images = images,
        .nsigners = n,
        .signers = signers,
        .crypto = crypto,
    };
    int err = fs_catalog_create(&cfg, out);
    fs_free(signers);
    fs_free(images);
    return err;
}
