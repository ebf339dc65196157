/*
 * sim/attack.c - the attacker and fault injector (being written: this
 * version carries out no attack yet and leaves every message alone).
 *
 * Owns: attack and fault actions of the timeline.
 * Does not: decide outcomes by kind.
 */
#include "fleetsim/attack.h"
#include "fleetsim/mem.h"

struct fs_attack {
    struct fs_attack_env env; /* collaborators */
};

int
fs_attack_create(const struct fs_attack_env *env, struct fs_attack **out)
{
    struct fs_attack *a = fs_xcalloc(1, sizeof(*a));
    a->env = *env;
    *out = a;
    return 0;
}

void
fs_attack_destroy(struct fs_attack *a)
{
    fs_free(a);
}

void
fs_attack_fire(struct fs_attack *a, const struct fs_scn_action *act)
{
    (void)a;
    (void)act;
}

bool
fs_attack_on_to_svc(struct fs_attack *a, struct fs_msg *m)
{
    (void)a;
    (void)m;
    return false;
}

bool
fs_attack_on_to_device(struct fs_attack *a, struct fs_msg *m)
{
    (void)a;
    (void)m;
    return false;
}

bool
fs_attack_check(const struct fs_attack *a)
{
    return a != NULL;
}
