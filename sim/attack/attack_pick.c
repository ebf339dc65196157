/*
 * sim/attack/attack_pick.c - what the update-path attacker delivers: the
 * images it chooses and the records and manifests it forges or fetches.
 *
 * Owns: choosing the image an update-path attack names for a target (by
 * what the target runs, read through the fleet's public functions), the
 * attacker's own records and manifests (garbage or its own key), genuine
 * fresh catalog records fetched from the service as any client may
 * (fs_svc_catalog_record), and the pairs mix_and_match and the transfer
 * attacks use.
 * Invariants: every random byte comes from the target's payload stream;
 * the attacker never holds the service's or the platform's key.
 * Does not: deliver anything or judge an attempt (attack_update.c).
 */
#include <string.h>

#include <sodium.h>

#include "fleetsim/crypto.h"

#include "attack_int.h"

/* Fill buf with bytes from t's payload stream. */
void
fs__attack_garbage(const struct atk_target *t, unsigned char *buf, size_t n)
{
    struct fs_rng r;
    fs__attack_payload_rng(t->act, t, &r);
    fs_rng_bytes(&r, buf, n);
}

/* foreign_key: sign sm with the action's key, or with one of our own. */
void
fs__attack_sign_foreign(const struct atk_target *t,
                        struct fs_signed_manifest *sm)
{
    const struct fs_attack *a = t->act->a;
    const char *name = t->act->act->u.attack.signer;
    uint32_t k =
        name ? fs_catalog_signer_find(a->env.catalog, name) : UINT32_MAX;
    if (k != UINT32_MAX) {
        sm->m.signer = k;
        fs_catalog_sign(a->env.catalog, k, sm);
        return;
    }
    unsigned char seed[32], pk[FS_KEY_PUB_BYTES], sk[FS_KEY_SEC_BYTES];
    unsigned char enc[FS_MANIFEST_BYTES];
    fs__attack_garbage(t, seed, sizeof(seed));
    fs_crypto_keygen(a->env.sim, pk, sk, seed);
    sm->m.signer = fs_catalog_signers(a->env.catalog);
    fs_manifest_encode(&sm->m, enc);
    fs_crypto_sign(a->env.sim, sm->sig, enc, sizeof(enc), sk);
    sodium_memzero(sk, sizeof(sk));
}

/* ---- what the attacker knows of images ---------------------------------- */

/* The catalog manifest of image img. */
const struct fs_manifest *
fs__attack_man(const struct fs_attack *a, uint32_t img)
{
    return &fs_catalog_manifest(a->env.catalog, img)->m;
}

/* The image kind an action aims at: its image's, else the OS. */
enum fs_image_kind
fs__attack_aim_kind(const struct atk_action *ac)
{
    const struct fs_scn_image *im = ac->act->u.attack.image;
    return im != NULL
               ? (enum fs_image_kind)fs__attack_man(ac->a, im->index)->kind
               : FS_IMAGE_OS;
}

/* Does device run img (its OS or any of its apps)? */
bool
fs__attack_runs(const struct fs_attack *a, uint32_t device, uint32_t img)
{
    if (fs_fleet_running_os(a->env.fleet, device) == img)
        return true;
    for (unsigned c = 0; c < FS_APPS_MAX; c++)
        if (fs_fleet_running_app(a->env.fleet, device, c) == img)
            return true;
    return false;
}

/*
 * The running image of kind on device: the OS, or the first app of the
 * device's product in core order; FS_NO_IMAGE when none.
 */
uint32_t
fs__attack_running_of(const struct fs_attack *a, uint32_t device,
                      enum fs_image_kind kind)
{
    if (kind == FS_IMAGE_OS)
        return fs_fleet_running_os(a->env.fleet, device);
    uint32_t product = fs_scn_cohort_of(a->env.scn, device)->product->index;
    for (unsigned c = 0; c < FS_APPS_MAX; c++) {
        uint32_t app = fs_fleet_running_app(a->env.fleet, device, c);
        if (app != FS_NO_IMAGE && fs__attack_man(a, app)->product == product)
            return app;
    }
    return FS_NO_IMAGE;
}

/*
 * Is img newer than what device runs of its kind (an app: of the device's
 * product only) and not running?
 */
bool
fs__attack_newer(const struct fs_attack *a, uint32_t device, uint32_t img)
{
    const struct fs_manifest *m = fs__attack_man(a, img);
    uint32_t product = fs_scn_cohort_of(a->env.scn, device)->product->index;
    if (fs__attack_runs(a, device, img) ||
        (m->kind == FS_IMAGE_APP && m->product != product))
        return false;
    uint32_t cur =
        fs__attack_running_of(a, device, (enum fs_image_kind)m->kind);
    return cur == FS_NO_IMAGE ||
           m->version_rank > fs__attack_man(a, cur)->version_rank;
}

/* The newest image of kind newer than device runs, or FS_NO_IMAGE. */
uint32_t
fs__attack_newest_newer(const struct fs_attack *a, uint32_t device,
                        enum fs_image_kind kind)
{
    uint32_t best = FS_NO_IMAGE;
    for (uint32_t i = 0; i < fs_catalog_images(a->env.catalog); i++) {
        if (fs__attack_man(a, i)->kind != kind ||
            !fs__attack_newer(a, device, i))
            continue;
        if (best == FS_NO_IMAGE || fs__attack_man(a, i)->version_rank >
                                       fs__attack_man(a, best)->version_rank)
            best = i;
    }
    return best;
}

/*
 * The image a forged offer names: the action's image unless the device
 * runs it, else the newest image of the aimed kind for the device's
 * product it does not run, else any of that kind it does not run.
 */
uint32_t
fs__attack_forge_image(const struct atk_target *t)
{
    const struct fs_attack *a = t->act->a;
    const struct fs_scn_image *im = t->act->act->u.attack.image;
    if (im != NULL && !fs__attack_runs(a, t->device, im->index))
        return im->index;
    enum fs_image_kind kind = fs__attack_aim_kind(t->act);
    uint32_t product = fs_scn_cohort_of(a->env.scn, t->device)->product->index;
    uint32_t best = FS_NO_IMAGE, any = FS_NO_IMAGE;
    for (uint32_t i = 0; i < fs_catalog_images(a->env.catalog); i++) {
        const struct fs_manifest *m = fs__attack_man(a, i);
        if (m->kind != kind || fs__attack_runs(a, t->device, i))
            continue;
        uint32_t *slot =
            (kind == FS_IMAGE_OS || m->product == product) ? &best : &any;
        if (*slot == FS_NO_IMAGE ||
            m->version_rank > fs__attack_man(a, *slot)->version_rank)
            *slot = i;
    }
    return best != FS_NO_IMAGE ? best : any;
}

/* Sign rec with a key pair of the attacker's own (no device trusts it). */
static void
sign_record_own(const struct atk_target *t, struct fs_update_record *rec)
{
    const struct fs_attack *a = t->act->a;
    unsigned char seed[32], pk[FS_KEY_PUB_BYTES], sk[FS_KEY_SEC_BYTES];
    unsigned char enc[FS_RECORD_BYTES];
    fs__attack_garbage(t, seed, sizeof(seed));
    fs_crypto_keygen(a->env.sim, pk, sk, seed);
    size_t n = fs_update_record_encode(rec, enc);
    fs_crypto_sign(a->env.sim, rec->sig, enc, n, sk);
    sodium_memzero(sk, sizeof(sk));
}

/*
 * unsigned_image and foreign_key: a record and manifest of the attacker's
 * own making for img, bound to the target's product and group, claiming a
 * metadata version and a security version above anything the service
 * signs. Neither verifies under a key the device trusts.
 */
void
fs__attack_forge(const struct atk_target *t, uint32_t img,
                 struct fs_update_record *rec, struct fs_signed_manifest *sm)
{
    const struct fs_attack *a = t->act->a;
    const struct fs_scn_cohort *co = fs_scn_cohort_of(a->env.scn, t->device);
    *sm = *fs_catalog_manifest(a->env.catalog, img);
    if (sm->m.kind == FS_IMAGE_APP)
        sm->m.product = co->product->index;
    uint32_t sv = 0;
    for (uint32_t i = 0; i < fs_catalog_images(a->env.catalog); i++)
        if (fs__attack_man(a, i)->kind == sm->m.kind &&
            fs__attack_man(a, i)->security_version > sv)
            sv = fs__attack_man(a, i)->security_version;
    sm->m.security_version = sv + 1;
    if (t->act->kind == FS_ATK_FOREIGN_KEY)
        fs__attack_sign_foreign(t, sm);
    else
        fs__attack_garbage(t, sm->sig, sizeof(sm->sig));
    memset(rec, 0, sizeof(*rec));
    rec->deployment = FS_DEP_CATALOG + img;
    rec->product = co->product->index;
    rec->group = co->group->index;
    rec->version = UINT64_C(1) << 40;
    rec->expires_us =
        fs_sim_now_us(a->env.sim) + a->env.scn->service.manifest_lifetime_us;
    rec->target = sm->m;
    if (t->act->kind == FS_ATK_FOREIGN_KEY)
        sign_record_own(t, rec);
    else
        fs__attack_garbage(t, rec->sig, sizeof(rec->sig));
}

/* The genuine fresh catalog record of img bound to (product, group). */
bool
fs__attack_fetch(const struct fs_attack *a, uint32_t img, uint32_t product,
                 uint32_t group, struct fs_update_record *rec,
                 struct fs_signed_manifest *sm)
{
    if (fs_svc_catalog_record(a->env.svc, img, product, group, rec) != 0)
        return false;
    *sm = *fs_catalog_manifest(a->env.catalog, img);
    return true;
}

/* A group other than g (the first), or UINT32_MAX when there is none. */
static uint32_t
other_group(const struct fs_scn *scn, uint32_t g)
{
    for (uint32_t i = 0; i < scn->ngroups; i++)
        if (i != g)
            return i;
    return UINT32_MAX;
}

/*
 * mix_and_match: a genuine fresh record bound elsewhere. img an app of
 * another product: its record, bound to that product; img newer than the
 * target runs: its record bound to another group of the target's product
 * (another product when there is a single group). False when neither.
 */
static bool
mix_record(const struct atk_target *t, uint32_t img,
           struct fs_update_record *rec, struct fs_signed_manifest *sm)
{
    const struct fs_attack *a = t->act->a;
    const struct fs_scn *scn = a->env.scn;
    const struct fs_scn_cohort *co = fs_scn_cohort_of(scn, t->device);
    uint32_t product = co->product->index, group = co->group->index;
    if (img == FS_NO_IMAGE)
        return false;
    const struct fs_manifest *m = fs__attack_man(a, img);
    if (m->kind == FS_IMAGE_APP && m->product != product)
        return !fs__attack_runs(a, t->device, img) &&
               fs__attack_fetch(a, img, m->product, group, rec, sm);
    if (!fs__attack_newer(a, t->device, img))
        return false;
    uint32_t g = other_group(scn, group);
    if (g != UINT32_MAX)
        return fs__attack_fetch(a, img, product, g, rec, sm);
    for (uint32_t p = 0; p < scn->nproducts; p++)
        if (p != product)
            return fs__attack_fetch(a, img, p, group, rec, sm);
    return false;
}

/* An app image of a product other than the target's, or FS_NO_IMAGE. */
static uint32_t
foreign_app(const struct fs_attack *a, uint32_t device)
{
    uint32_t product = fs_scn_cohort_of(a->env.scn, device)->product->index;
    for (uint32_t i = 0; i < fs_catalog_images(a->env.catalog); i++)
        if (fs__attack_man(a, i)->kind == FS_IMAGE_APP &&
            fs__attack_man(a, i)->product != product &&
            !fs__attack_runs(a, device, i))
            return i;
    return FS_NO_IMAGE;
}

/*
 * mix_and_match's pair: the action's image bound elsewhere if it can be
 * (an app the target cannot use that way, such as one it runs: another
 * product's app instead); else a newer app of the target's product bound
 * to another group, a newer OS bound to another group, or another
 * product's app. An OS image no newer than the target runs: none.
 */
bool
fs__attack_mix_pick(const struct atk_target *t, struct fs_update_record *rec,
                    struct fs_signed_manifest *sm)
{
    const struct fs_attack *a = t->act->a;
    const struct fs_scn_image *im = t->act->act->u.attack.image;
    if (im != NULL)
        return mix_record(t, im->index, rec, sm) ||
               (fs__attack_man(a, im->index)->kind == FS_IMAGE_APP &&
                mix_record(t, foreign_app(a, t->device), rec, sm));
    return mix_record(t, fs__attack_newest_newer(a, t->device, FS_IMAGE_APP),
                      rec, sm) ||
           mix_record(t, fs__attack_newest_newer(a, t->device, FS_IMAGE_OS),
                      rec, sm) ||
           mix_record(t, foreign_app(a, t->device), rec, sm);
}

/*
 * The download the attacks on the transfer ride on: the genuine offer in
 * m (a record naming an image the target does not run) when there is
 * one, else the genuine fresh catalog record of the action's image (or
 * the newest OS image) newer than the target runs.
 */
bool
fs__attack_ride_pick(const struct atk_target *t, const struct fs_msg *m,
                     struct fs_update_record *rec,
                     struct fs_signed_manifest *sm)
{
    const struct fs_attack *a = t->act->a;
    for (unsigned i = 0; i < m->u.metadata.nrecords && i < FS_RECORDS_PER_MSG;
         i++) {
        const struct fs_update_record *r = &m->u.metadata.records[i];
        if (r->target.image < fs_catalog_images(a->env.catalog) &&
            !fs__attack_runs(a, t->device, r->target.image)) {
            *rec = *r;
            *sm = m->u.metadata.images[i];
            return true;
        }
    }
    const struct fs_scn_image *im = t->act->act->u.attack.image;
    uint32_t img = FS_NO_IMAGE;
    if (im != NULL && fs__attack_newer(a, t->device, im->index))
        img = im->index;
    else if (im == NULL)
        img = fs__attack_newest_newer(a, t->device, FS_IMAGE_OS);
    if (img == FS_NO_IMAGE)
        return false;
    const struct fs_scn_cohort *co = fs_scn_cohort_of(a->env.scn, t->device);
    return fs__attack_fetch(a, img, co->product->index, co->group->index, rec,
                            sm);
}
