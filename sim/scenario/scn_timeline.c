/*
 * sim/scenario/scn_timeline.c - the timeline: deploy, resume, cancel,
 * revoke_key, set_service, attack, fault and revoke_device actions.
 *
 * Owns: struct fs_scn_action filling, the per-kind rules of which keys an
 * attack or fault takes, the order actions run in, and resolving resume
 * and cancel to the deploy they name.
 * Invariants: after loading, scn->actions is sorted by (at_us, file_index)
 * (equal times keep file order); deploy ids are unique; a resume or cancel
 * runs after the deploy it names; every at is within the run.
 * Does not: decide what an action does at runtime.
 */
#include <stdlib.h>
#include <string.h>

#include "fleetsim/err.h"
#include "scn_int.h"

static const char *const attack_names[FS_ATK_COUNT] = {
    "unsigned_image",
    "foreign_key",
    "rollback",
    "tamper_in_transit",
    "endless_data",
    "slow_retrieval",
    "freeze",
    "mix_and_match",
    "replay_attestation",
    "clone_identity",
    "malicious_flash",
    "compromised_app",
    "leaked_key",
    "checkin_flood",
};

static const char *const fault_names[FS_FAULT_COUNT] = {
    "power_loss", "network_outage", "service_outage", "flash_corruption"};

/* Name of attack kind k as written in the format, or NULL. */
const char *
fs_scn_attack_name(enum fs_scn_attack_kind k)
{
    return (unsigned)k < FS_ATK_COUNT ? attack_names[k] : NULL;
}

/* Name of fault kind k as written in the format, or NULL. */
const char *
fs_scn_fault_name(enum fs_scn_fault_kind k)
{
    return (unsigned)k < FS_FAULT_COUNT ? fault_names[k] : NULL;
}

/* Timeline state kept between parsing and resolving. */
struct tl {
    struct fs__scn_table ids;          /* deploy id -> file-order action */
    const struct fs__scn_node **refs;  /* resume/cancel value by index */
    const struct fs__scn_node **after; /* deploy's after: by index */
};

static int
load_targets(struct fs__scn_ld *ld, const struct fs__scn_node *n,
             struct fs_scn_targets *t)
{
    static const char *const keys[] = {"group", "product", "share"};
    const struct fs__scn_node *v[3] = {NULL, NULL, n};
    void *ref;
    int err = 0;
    t->given = true;
    t->share.is_percent = true;
    t->share.ppm = 1000000;
    if (n->kind == FS__NODE_MAP)
        err = fs__scn_map_keys(ld, n, "targets", keys, 3, v);
    if (err == 0 && v[0] != NULL) {
        err = fs__scn_ref(ld, v[0], "group", &ld->scn->names->groups, "group",
                          &ref);
        t->group = ref;
    }
    if (err == 0 && v[1] != NULL) {
        err = fs__scn_ref(ld, v[1], "product", &ld->scn->names->products,
                          "product", &ref);
        t->product = ref;
    }
    if (err == 0 && v[2] != NULL)
        err = fs__scn_share(ld, v[2], "targets", &t->share);
    if (err == 0 && !t->share.is_percent && t->share.count > ld->scn->ndevices)
        err = fs__scn_err(ld, v[2],
                          "'targets': %llu devices is more than "
                          "the fleet's %llu",
                          (unsigned long long)t->share.count,
                          (unsigned long long)ld->scn->ndevices);
    return err;
}

/*
 * Check key presence for one kind: need[i] is 'r' (required), 'o'
 * (optional) or '-' (not allowed), for keys[1..nkeys-1] (keys[0] = kind).
 */
static int
check_applies(struct fs__scn_ld *ld, const struct fs__scn_node *map,
              const char *const *keys, const struct fs__scn_node **v,
              size_t nkeys, const char *need, const char *kind)
{
    for (size_t i = 1; i < nkeys; i++) {
        if (need[i - 1] == 'r' && (v[i] == NULL || fs__scn_is_null(v[i]))) {
            char what[64];
            snprintf(what, sizeof(what), "a %s action", kind);
            return fs__scn_require(ld, map, what, keys[i], v[i]);
        } else if (need[i - 1] == '-' && v[i] != NULL) {
            return fs__scn_err(ld, v[i], "'%s' does not apply to %s", keys[i],
                               kind);
        }
    }
    return 0;
}

static int
load_attack(struct fs__scn_ld *ld, const struct fs__scn_node *n,
            struct fs_scn_attack *a)
{
    static const char *const keys[] = {"kind",    "image", "signer",
                                       "targets", "rate",  "for"};
    /* image, signer, targets, rate, for */
    static const char *const need[FS_ATK_COUNT] = {
        "o-r--", "oor--", "r-r--", "o-r--", "o-r--", "o-r--", "o-r--",
        "o-r--", "--r--", "--r--", "o-r--", "o-r--", "oor--", "---rr"};
    const struct fs__scn_node *v[6];
    int kind;
    void *ref;
    int err = fs__scn_map_keys(ld, n, "an attack", keys, 6, v);
    if (err == 0)
        err = fs__scn_require(ld, n, "an attack", "kind", v[0]);
    if (err == 0)
        err = fs__scn_enum(ld, v[0], "kind", attack_names, FS_ATK_COUNT, &kind);
    if (err == 0)
        err = check_applies(ld, n, keys, v, 6, need[kind], attack_names[kind]);
    if (err != 0)
        return err;
    a->kind = (enum fs_scn_attack_kind)kind;
    if (v[1] != NULL)
        err = fs__scn_ref(ld, v[1], "image", &ld->scn->names->images, "image",
                          &ref);
    if (err == 0 && v[1] != NULL)
        a->image = ref;
    if (err == 0 && a->kind == FS_ATK_LEAKED_KEY) {
        a->signer = "oem";
        if (v[2] != NULL)
            err = fs__scn_ref(ld, v[2], "signer", &ld->scn->names->signers,
                              "signer", &ref);
        if (err == 0 && v[2] != NULL)
            a->signer = ref;
    } else if (err == 0 && v[2] != NULL) {
        err = fs__scn_name(ld, v[2], "signer", &a->signer);
    }
    if (err == 0 && v[3] != NULL)
        err = load_targets(ld, v[3], &a->targets);
    if (err == 0 && v[4] != NULL)
        err = fs__scn_rate(ld, v[4], "rate", "s", &a->rate_per_us);
    if (err == 0 && v[4] != NULL &&
        a->rate_per_us > FS_SCN_FLOOD_RATE_MAX_PER_S / 1e6)
        err = fs__scn_err(ld, v[4],
                          "'rate': at most 10000000/s is "
                          "supported");
    if (err == 0 && v[5] != NULL)
        err = fs__scn_duration(ld, v[5], "for", &a->for_us);
    return err;
}

static int
load_fault(struct fs__scn_ld *ld, const struct fs__scn_node *n,
           struct fs_scn_fault *f)
{
    static const char *const keys[] = {"kind", "targets", "during", "for",
                                       "slot"};
    static const char *const need[FS_FAULT_COUNT] = {"ro--", "r-r-", "--r-",
                                                     "r--o"};
    static const char *const phases[] = {"any", "download", "install", "boot"};
    static const char *const slots[] = {"active", "inactive"};
    const struct fs__scn_node *v[5];
    int kind;
    int e = 0;
    int err = fs__scn_map_keys(ld, n, "a fault", keys, 5, v);
    if (err == 0)
        err = fs__scn_require(ld, n, "a fault", "kind", v[0]);
    if (err == 0)
        err =
            fs__scn_enum(ld, v[0], "kind", fault_names, FS_FAULT_COUNT, &kind);
    if (err == 0)
        err = check_applies(ld, n, keys, v, 5, need[kind], fault_names[kind]);
    if (err != 0)
        return err;
    f->kind = (enum fs_scn_fault_kind)kind;
    if (v[1] != NULL)
        err = load_targets(ld, v[1], &f->targets);
    if (err == 0 && v[2] != NULL)
        err = fs__scn_enum(ld, v[2], "during", phases, 4, &e);
    f->during = (enum fs_phase)e;
    if (err == 0 && v[3] != NULL)
        err = fs__scn_duration(ld, v[3], "for", &f->for_us);
    e = 0;
    if (err == 0 && v[4] != NULL)
        err = fs__scn_enum(ld, v[4], "slot", slots, 2, &e);
    f->slot = (enum fs_scn_slot)e;
    return err;
}

static int
load_to(struct fs__scn_ld *ld, const struct fs__scn_node *n,
        struct fs_scn_deploy *d)
{
    const struct fs__scn_node *one = n;
    uint32_t count = 1;
    if (n->kind == FS__NODE_SEQ || fs__scn_is_null(n)) {
        int err = fs__scn_seq(ld, n, "to", FS_SCN_GROUPS_MAX, &count);
        if (err != 0)
            return err;
        one = count ? n->head : NULL;
    }
    d->to = fs_arena_alloc(ld->arena, count * sizeof(*d->to));
    for (const struct fs__scn_node *e = one; e && d->nto < count; e = e->next) {
        void *ref;
        int err =
            fs__scn_ref(ld, e, "to", &ld->scn->names->groups, "group", &ref);
        if (err != 0)
            return err;
        d->to[d->nto++] = ref;
    }
    return 0;
}

/*
 * waves: cumulative shares, or {group: G} (1.1). Shares must not decrease
 * from one share wave to the next; group waves stand apart (see
 * docs/scenario-format.md, "Updates and rollouts").
 */
static int
load_waves(struct fs__scn_ld *ld, const struct fs__scn_node *n,
           struct fs_scn_deploy *d)
{
    uint32_t count;
    int err = fs__scn_seq(ld, n, "waves", 100, &count);
    if (err == 0 && count == 0)
        err = fs__scn_err(ld, n, "'waves': expected at least one wave");
    if (err != 0)
        return err;
    d->waves = fs_arena_alloc(ld->arena, count * sizeof(*d->waves));
    d->wave_group = fs_arena_alloc(ld->arena, count * sizeof(*d->wave_group));
    const struct fs_share *prev = NULL;
    for (const struct fs__scn_node *e = n->head; e; e = e->next) {
        struct fs_share *w = &d->waves[d->nwaves];
        d->wave_group[d->nwaves] = NULL;
        if (e->kind == FS__NODE_MAP) {
            static const char *const keys[] = {"group"};
            const struct fs__scn_node *v[1] = {NULL};
            void *ref;
            err = fs__scn_map_keys(ld, e, "a wave", keys, 1, v);
            if (err == 0)
                err = fs__scn_require(ld, e, "a wave", "group", v[0]);
            if (err == 0)
                err = fs__scn_ref(ld, v[0], "group", &ld->scn->names->groups,
                                  "group", &ref);
            if (err != 0)
                return err;
            for (uint32_t k = 0; k < d->nwaves; k++)
                if (d->wave_group[k] == ref)
                    return fs__scn_err(ld, v[0],
                                       "'waves': group '%s' already has a "
                                       "wave of its own",
                                       v[0]->text);
            d->wave_group[d->nwaves] = ref;
            w->is_percent = true;
            w->ppm = 0;
            d->nwaves++;
            continue;
        }
        err = fs__scn_share(ld, e, "waves", w);
        if (err != 0)
            return err;
        if (prev != NULL && prev->is_percent == w->is_percent &&
            (w->is_percent ? w->ppm < prev->ppm : w->count < prev->count))
            return fs__scn_err(ld, e,
                               "'waves': %s is smaller than the wave "
                               "before it; waves are cumulative and "
                               "must not decrease",
                               e->text);
        prev = w;
        d->nwaves++;
    }
    return 0;
}

static int
load_halt(struct fs__scn_ld *ld, const struct fs__scn_node *n,
          struct fs_scn_deploy *d)
{
    static const char *const keys[] = {"error_rate", "failure_rate",
                                       "min_devices"};
    const struct fs__scn_node *v[3];
    int err = fs__scn_map_keys(ld, n, "halt_if", keys, 3, v);
    if (err == 0 && v[2] != NULL) {
        uint64_t min = 1;
        err =
            fs__scn_uint(ld, v[2], "min_devices", 1, FS_SCN_DEVICES_MAX, &min);
        d->halt_min_devices = (uint32_t)min;
    }
    if (err == 0 && v[0] != NULL) {
        d->has_halt_error_rate = true;
        err = fs__scn_percent(ld, v[0], "error_rate", &d->halt_error_rate_ppm);
    }
    if (err == 0 && v[1] != NULL) {
        d->has_halt_failure_rate = true;
        err = fs__scn_percent(ld, v[1], "failure_rate",
                              &d->halt_failure_rate_ppm);
    }
    return err;
}

enum dep_key {
    DEP_ID,
    DEP_IMAGE,
    DEP_TO,
    DEP_FEED,
    DEP_WAVES,
    DEP_WAVE_INTERVAL,
    DEP_ADVANCE_WHEN,
    DEP_HALT_IF,
    DEP_AFTER,
    DEP_RETRIES,
    DEP_KEYS
};

static int
load_deploy(struct fs__scn_ld *ld, struct tl *tl, const struct fs__scn_node *n,
            struct fs_scn_action *act)
{
    static const char *const keys[DEP_KEYS] = {
        "id",           "image",   "to",    "feed",   "waves", "wave_interval",
        "advance_when", "halt_if", "after", "retries"};
    static const char *const feeds[] = {"retail", "retail-eval"};
    struct fs_scn_deploy *d = &act->u.deploy;
    const struct fs__scn_node *v[DEP_KEYS];
    void *ref;
    int feed = -1;
    int err = fs__scn_map_keys(ld, n, "a deploy", keys, DEP_KEYS, v);
    if (err == 0)
        err = fs__scn_require(ld, n, "a deploy", "id", v[DEP_ID]);
    if (err == 0)
        err = fs__scn_name(ld, v[DEP_ID], "id", &d->id);
    if (err == 0 && !fs__scn_table_put(ld->arena, &tl->ids, d->id, act))
        err = fs__scn_err(ld, v[DEP_ID], "duplicate deploy id '%s'", d->id);
    if (err == 0)
        err = fs__scn_require(ld, n, "a deploy", "image", v[DEP_IMAGE]);
    if (err == 0)
        err = fs__scn_ref(ld, v[DEP_IMAGE], "image", &ld->scn->names->images,
                          "image", &ref);
    if (err != 0)
        return err;
    d->image = ref;
    if (v[DEP_TO] != NULL)
        err = load_to(ld, v[DEP_TO], d);
    if (err == 0 && v[DEP_FEED] != NULL && d->image->kind != FS_IMAGE_OS)
        err = fs__scn_err(ld, v[DEP_FEED],
                          "'feed' applies to OS images "
                          "only, and '%s' is an app",
                          d->image->id);
    if (err == 0 && v[DEP_FEED] != NULL)
        err = fs__scn_enum(ld, v[DEP_FEED], "feed", feeds, 2, &feed);
    d->feed = (enum fs_feed)(FS_FEED_RETAIL + feed);
    if (err == 0 && v[DEP_WAVES] != NULL)
        err = load_waves(ld, v[DEP_WAVES], d);
    if (err == 0 && v[DEP_WAVE_INTERVAL] != NULL)
        err = fs__scn_duration(ld, v[DEP_WAVE_INTERVAL], "wave_interval",
                               &d->wave_interval_us);
    if (err == 0 && v[DEP_ADVANCE_WHEN] != NULL)
        err = fs__scn_percent(ld, v[DEP_ADVANCE_WHEN], "advance_when",
                              &d->advance_when_ppm);
    d->halt_min_devices = 1;
    d->retries = 1;
    if (err == 0 && v[DEP_HALT_IF] != NULL)
        err = load_halt(ld, v[DEP_HALT_IF], d);
    if (err == 0 && v[DEP_RETRIES] != NULL) {
        uint64_t r = 1;
        err = fs__scn_uint(ld, v[DEP_RETRIES], "retries", 0, 100, &r);
        d->retries = (uint32_t)r;
    }
    if (err == 0 && v[DEP_AFTER] != NULL) {
        err = fs__scn_name(ld, v[DEP_AFTER], "after", &(const char *){NULL});
        tl->after[act->file_index] = v[DEP_AFTER];
    }
    if (err == 0 && d->nwaves == 0) {
        d->nwaves = 1;
        d->waves = fs_arena_alloc(ld->arena, sizeof(*d->waves));
        d->waves[0].is_percent = true;
        d->waves[0].ppm = 1000000;
        d->wave_group = fs_arena_alloc(ld->arena, sizeof(*d->wave_group));
        d->wave_group[0] = NULL;
    }
    return err;
}

enum act_key {
    ACT_AT,
    ACT_DEPLOY, /* action keys from here, in enum fs_scn_action_kind order */
    ACT_RESUME,
    ACT_CANCEL,
    ACT_REVOKE_KEY,
    ACT_SET_SERVICE,
    ACT_ATTACK,
    ACT_FAULT,
    ACT_REVOKE_DEVICE,
    ACT_KEYS
};

static const char *const act_keys[ACT_KEYS] = {
    "at",          "deploy", "resume", "cancel",       "revoke_key",
    "set_service", "attack", "fault",  "revoke_device"};

/* revoke_device: {targets: SHARE | COUNT | {group, product, share}}. */
static int
load_revoke_device(struct fs__scn_ld *ld, const struct fs__scn_node *n,
                   struct fs_scn_targets *t)
{
    static const char *const keys[] = {"targets"};
    const struct fs__scn_node *v[1] = {NULL};
    int err = fs__scn_map_keys(ld, n, "revoke_device", keys, 1, v);
    if (err == 0)
        err = fs__scn_require(ld, n, "revoke_device", "targets", v[0]);
    if (err == 0)
        err = load_targets(ld, v[0], t);
    return err;
}

static int
load_body(struct fs__scn_ld *ld, struct tl *tl, const struct fs__scn_node *n,
          struct fs_scn_action *act)
{
    void *ref;
    switch (act->kind) {
    case FS_ACT_DEPLOY:
        return load_deploy(ld, tl, n, act);
    case FS_ACT_RESUME:
    case FS_ACT_CANCEL:
        tl->refs[act->file_index] = n;
        return fs__scn_name(ld, n, act_keys[ACT_DEPLOY + act->kind],
                            &act->u.key);
    case FS_ACT_REVOKE_KEY:
        if (fs__scn_ref(ld, n, "revoke_key", &ld->scn->names->signers,
                        "signer key", &ref) != 0)
            return FS_ESCENARIO;
        act->u.key = ref;
        return 0;
    case FS_ACT_SET_SERVICE:
        return fs__scn_service(ld, n, "set_service", &act->u.service);
    case FS_ACT_ATTACK:
        return load_attack(ld, n, &act->u.attack);
    case FS_ACT_REVOKE_DEVICE:
        return load_revoke_device(ld, n, &act->u.revoke);
    default:
        return load_fault(ld, n, &act->u.fault);
    }
}

static int
load_action(struct fs__scn_ld *ld, struct tl *tl, const struct fs__scn_node *n,
            struct fs_scn_action *act)
{
    const struct fs__scn_node *v[ACT_KEYS];
    const char *what = "a timeline entry";
    int err = fs__scn_map_keys(ld, n, what, act_keys, ACT_KEYS, v);
    if (err == 0)
        err = fs__scn_require(ld, n, what, "at", v[ACT_AT]);
    if (err == 0)
        err = fs__scn_duration(ld, v[ACT_AT], "at", &act->at_us);
    if (err == 0 && act->at_us > ld->scn->duration_us)
        err = fs__scn_err(ld, v[ACT_AT],
                          "'at': %s is after the end of the "
                          "run (duration)",
                          v[ACT_AT]->text);
    if (err != 0)
        return err;
    int which = -1;
    for (int k = ACT_DEPLOY; k < ACT_KEYS; k++) {
        if (v[k] == NULL)
            continue;
        if (which >= 0) {
            /* Point at whichever of the two comes later in the file. */
            const struct fs__scn_node *at = v[k];
            if (v[which]->line > at->line ||
                (v[which]->line == at->line && v[which]->column > at->column))
                at = v[which];
            return fs__scn_err(ld, at,
                               "a timeline entry holds one action; "
                               "'%s' and '%s' are both given",
                               act_keys[which], act_keys[k]);
        }
        which = k;
    }
    if (which < 0)
        return fs__scn_err(ld, n,
                           "missing action in timeline entry at line "
                           "%d; expected one of deploy, resume, "
                           "cancel, revoke_key, set_service, attack, "
                           "fault, revoke_device",
                           n->line);
    act->pos = fs__scn_pos(ld, n);
    act->kind = (enum fs_scn_action_kind)(which - ACT_DEPLOY);
    return load_body(ld, tl, v[which], act);
}

static int
action_cmp(const void *pa, const void *pb)
{
    const struct fs_scn_action *a = pa;
    const struct fs_scn_action *b = pb;
    if (a->at_us != b->at_us)
        return a->at_us < b->at_us ? -1 : 1;
    return a->file_index < b->file_index ? -1 : a->file_index > b->file_index;
}

/* After sorting: index deploys and point resume/cancel at theirs. */
static int
resolve(struct fs__scn_ld *ld, struct tl *tl)
{
    struct fs_scn *scn = ld->scn;
    for (uint32_t i = 0; i < scn->nactions; i++)
        if (scn->actions[i].kind == FS_ACT_DEPLOY)
            fs__scn_table_put(ld->arena, &scn->names->deploys,
                              scn->actions[i].u.deploy.id, &scn->actions[i]);
    for (uint32_t i = 0; i < scn->nactions; i++) {
        struct fs_scn_action *a = &scn->actions[i];
        if (a->kind != FS_ACT_RESUME && a->kind != FS_ACT_CANCEL)
            continue;
        const char *key = a->kind == FS_ACT_RESUME ? "resume" : "cancel";
        const struct fs__scn_node *n = tl->refs[a->file_index];
        void *ref;
        if (fs__scn_ref(ld, n, key, &scn->names->deploys, "deploy", &ref))
            return FS_ESCENARIO;
        const struct fs_scn_action *d = ref;
        if (action_cmp(d, a) > 0)
            return fs__scn_err(ld, n,
                               "'%s': deploy '%s' (line %d) has not "
                               "started by this time; a %s must come "
                               "after its deploy",
                               key, d->u.deploy.id, d->pos.line, key);
        a->u.target = d;
    }
    for (uint32_t i = 0; i < scn->nactions; i++) {
        struct fs_scn_action *a = &scn->actions[i];
        const struct fs__scn_node *n =
            a->kind == FS_ACT_DEPLOY ? tl->after[a->file_index] : NULL;
        if (n == NULL)
            continue;
        void *ref;
        if (fs__scn_ref(ld, n, "after", &scn->names->deploys, "deploy", &ref))
            return FS_ESCENARIO;
        if (ref == a)
            return fs__scn_err(ld, n,
                               "'after': deploy '%s' cannot wait for "
                               "itself",
                               a->u.deploy.id);
        a->u.deploy.after = ref;
    }
    /* A chain of after: that comes back to where it started would keep
       every deploy on it pending for ever: refuse it. */
    for (uint32_t i = 0; i < scn->nactions; i++) {
        struct fs_scn_action *a = &scn->actions[i];
        if (a->kind != FS_ACT_DEPLOY || a->u.deploy.after == NULL)
            continue;
        const struct fs_scn_action *p = a->u.deploy.after;
        for (uint32_t steps = 0; p != NULL && steps <= scn->nactions; steps++) {
            if (p == a)
                return fs__scn_err(ld, tl->after[a->file_index],
                                   "'after': deploy '%s' waits for itself "
                                   "through a chain of after:",
                                   a->u.deploy.id);
            p = p->u.deploy.after;
        }
    }
    return 0;
}

/*
 * Load the timeline list into scn->actions, sorted by (at, file order),
 * with resume/cancel resolved.
 */
int
fs__scn_timeline(struct fs__scn_ld *ld, const struct fs__scn_node *n)
{
    struct fs_scn *scn = ld->scn;
    uint32_t count;
    int err = fs__scn_seq(ld, n, "timeline", FS_SCN_ACTIONS_MAX, &count);
    if (err != 0)
        return err;
    struct tl tl = {.refs = fs_arena_alloc(ld->arena, count * sizeof(*tl.refs)),
                    .after =
                        fs_arena_alloc(ld->arena, count * sizeof(*tl.after))};
    for (uint32_t i = 0; i < count; i++)
        tl.after[i] = NULL;
    scn->actions = fs_arena_alloc(ld->arena, count * sizeof(*scn->actions));
    for (const struct fs__scn_node *e = count ? n->head : NULL; e;
         e = e->next) {
        struct fs_scn_action *act = &scn->actions[scn->nactions];
        act->file_index = scn->nactions++;
        err = load_action(ld, &tl, e, act);
        if (err != 0)
            return err;
    }
    qsort(scn->actions, scn->nactions, sizeof(*scn->actions), action_cmp);
    return resolve(ld, &tl);
}
