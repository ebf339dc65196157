/*
 * device/slots.c - the A/B flash slots of a device.
 *
 * Owns: what each slot holds (image index, flipped bits), which slot is
 * active, and the flip table (one entry per device that has flips).
 * Invariants: putting an image into a slot clears its flips and its
 * forged bit; a slot carries at most FS_SLOT_FLIPS_MAX flips; the flip
 * table only grows; an active-slot change moves the devices{} series.
 * Does not: check or boot what a slot holds (device/boot.c).
 */
#include <string.h>

#include "fleetsim/err.h"
#include "fleetsim/mem.h"
#include "fleetsim/slots.h"

#include "device_int.h"

/* Bits of the manifest and signature areas a flip can land in. */
#define MANIFEST_BITS ((uint64_t)FS_MANIFEST_BYTES * 8)
#define SIG_BITS ((uint64_t)FS_SIG_BYTES * 8)

/* The slot's image (16 bits: read with fs__fleet_img32, set with _img16). */
static uint16_t *
slot_ref(struct fs_fleet *f, uint32_t device, enum fs_slot_of what, unsigned ab)
{
    FS_ASSERT(device < f->ndevs);
    FS_ASSERT(ab < 2);
    FS_ASSERT((unsigned)what <= FS_SLOT_RT1);
    struct fs_dev *d = &f->devs[device];
    if (what == FS_SLOT_OS)
        return &d->slot_os[ab];
    return &d->slot_app[what - 1][ab];
}

static struct dev_flips *
flips_of(const struct fs_fleet *f, const struct fs_dev *d)
{
    return d->flips == 0 ? NULL : &f->flips[d->flips];
}

/* Put image into slot ab of what, clearing its flips. */
void
fs_slots_set(struct fs_fleet *f, uint32_t device, enum fs_slot_of what,
             unsigned ab, uint32_t image)
{
    FS_ASSERT(image == FS_NO_IMAGE || image < f->cfg->nimages);
    *slot_ref(f, device, what, ab) = fs__fleet_img16(image);
    f->devs[device].forged &= (uint8_t) ~(1u << (what * 2 + ab));
    struct dev_flips *fl = flips_of(f, &f->devs[device]);
    if (fl != NULL)
        fl->n[what][ab] = 0;
}

/* Image in slot ab of what (FS_NO_IMAGE when empty). */
uint32_t
fs_slots_get(const struct fs_fleet *f, uint32_t device, enum fs_slot_of what,
             unsigned ab)
{
    return fs__fleet_img32(*slot_ref((struct fs_fleet *)f, device, what, ab));
}

/* Active slot of what: 0 = A, 1 = B. */
unsigned
fs_slots_active(const struct fs_fleet *f, uint32_t device, enum fs_slot_of what)
{
    FS_ASSERT(device < f->ndevs);
    return (f->devs[device].active >> what) & 1u;
}

/* Make slot ab of what active; the devices{} labels follow. */
void
fs_slots_set_active(struct fs_fleet *f, uint32_t device, enum fs_slot_of what,
                    unsigned ab)
{
    FS_ASSERT(device < f->ndevs);
    FS_ASSERT(ab < 2);
    struct fs_dev *d = &f->devs[device];
    d->active = (uint8_t)((d->active & ~(1u << what)) | (ab << what));
    fs__series_update(f, device);
}

/* Flip one bit of a slot. Returns 0 or FS_ELIMIT. Allocates on growth. */
int
fs_slots_flip(struct fs_fleet *f, uint32_t device, enum fs_slot_of what,
              unsigned ab, enum fs_flip_area area, uint64_t bit)
{
    (void)slot_ref(f, device, what, ab);
    struct fs_dev *d = &f->devs[device];
    if (d->flips == 0) {
        if (f->nflips == 0)
            f->nflips = 1; /* entry 0 means "none" */
        if (f->nflips >= f->cap_flips) {
            f->cap_flips = f->cap_flips ? f->cap_flips * 2 : 16;
            f->flips = fs_xrealloc(f->flips, f->cap_flips * sizeof(*f->flips));
        }
        memset(&f->flips[f->nflips], 0, sizeof(*f->flips));
        d->flips = f->nflips++;
    }
    struct dev_flips *fl = &f->flips[d->flips];
    uint8_t *n = &fl->n[what][ab];
    if (*n >= FS_SLOT_FLIPS_MAX)
        return FS_ELIMIT;
    fl->area[what][ab][*n] = (uint8_t)area;
    fl->bit[what][ab][*n] = bit;
    (*n)++;
    return 0;
}

/* Free the flip table. */
void
fs__slots_fini(struct fs_fleet *f)
{
    fs_free(f->flips);
    f->flips = NULL;
    f->nflips = f->cap_flips = 0;
}

/*
 * Apply the manifest and signature flips of slot ab of what on device id
 * to enc and sig; collect its content flips (reduced to the image's
 * length_bytes) into cbits and return how many.
 */
size_t
fs__slots_apply_flips(const struct fs_fleet *f, uint32_t id, unsigned what,
                      unsigned ab, uint64_t length_bytes,
                      unsigned char enc[FS_MANIFEST_BYTES],
                      unsigned char sig[FS_SIG_BYTES], uint64_t *cbits)
{
    const struct dev_flips *fl = flips_of(f, &f->devs[id]);
    size_t nc = 0;
    if (fl == NULL)
        return 0;
    for (unsigned i = 0; i < fl->n[what][ab]; i++) {
        uint64_t b = fl->bit[what][ab][i];
        switch (fl->area[what][ab][i]) {
        case FS_FLIP_MANIFEST:
            b %= MANIFEST_BITS;
            enc[b / 8] ^= (unsigned char)(1u << (b % 8));
            break;
        case FS_FLIP_SIG:
            b %= SIG_BITS;
            sig[b / 8] ^= (unsigned char)(1u << (b % 8));
            break;
        default:
            cbits[nc++] = length_bytes ? b % (length_bytes * 8) : b;
            break;
        }
    }
    return nc;
}
