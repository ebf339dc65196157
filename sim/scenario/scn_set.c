/*
 * sim/scenario/scn_set.c - `--set KEY=VALUE` parameters applied to the
 * parsed YAML tree, before the loader validates it.
 *
 * Owns: the meaning of a parameter's dotted path (mapping keys, list
 * indexes from 0, through the tree as expanded: anchors copied, merge
 * keys merged) and the messages for a path that names nothing.
 * Invariants: only scalars are replaced, or one key added to a mapping
 * that exists; a replaced or added node carries the parameter's KEY, so a
 * validation error at it names `--set KEY`; nothing else in the tree
 * changes.
 * Does not: interpret the value (the loader checks it as if written in
 * the file), or create mappings or list entries.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetsim/err.h"
#include "scn_int.h"

static int set_err(struct fs__scn_ld *ld, const struct fs_scn_param *p,
                   const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
set_err(struct fs__scn_ld *ld, const struct fs_scn_param *p, const char *fmt,
        ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return fs_diag_set(ld->diag, FS_ESCENARIO, ld->file, 0, 0, "--set %s: %s",
                       p->key, msg);
}

static bool
all_digits(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s != '\0'; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

static bool
has_control(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

/* The value of key in map, or NULL. */
static struct fs__scn_node *
map_find(struct fs__scn_node *map, const char *key)
{
    for (struct fs__scn_node *k = map->head; k && k->next; k = k->next->next)
        if (k->kind == FS__NODE_SCALAR && strcmp(k->text, key) == 0)
            return k->next;
    return NULL;
}

/* A new scalar at the position of at, marked as given by p. */
static struct fs__scn_node *
new_scalar(struct fs__scn_ld *ld, const struct fs__scn_node *at,
           const struct fs_scn_param *p, const char *text)
{
    struct fs__scn_node *n = fs_arena_alloc(ld->arena, sizeof(*n));
    memset(n, 0, sizeof(*n));
    n->kind = FS__NODE_SCALAR;
    n->style = FS__STYLE_PLAIN;
    n->line = at->line;
    n->column = at->column;
    n->text = fs_arena_strdup(ld->arena, text);
    n->len = strlen(text);
    n->set_key = p->key;
    return n;
}

/* Append key: value (both given by p) to map. */
static void
map_add(struct fs__scn_ld *ld, struct fs__scn_node *map, const char *key,
        const struct fs_scn_param *p)
{
    struct fs__scn_node *k = new_scalar(ld, map, p, key);
    struct fs__scn_node *v = new_scalar(ld, map, p, p->value);
    k->next = v;
    if (map->tail != NULL)
        map->tail->next = k;
    else
        map->head = k;
    map->tail = v;
    map->count += 2;
}

/* One step of the path: the child of node named by part, or NULL with the
 * error recorded. at is the path up to node, for messages. */
static struct fs__scn_node *
step(struct fs__scn_ld *ld, const struct fs_scn_param *p,
     struct fs__scn_node *node, const char *at, const char *part, int *err)
{
    if (node->kind == FS__NODE_MAP) {
        struct fs__scn_node *v = map_find(node, part);
        if (v == NULL)
            *err = set_err(ld, p, "%s has no key '%s'", at, part);
        return v;
    }
    if (node->kind == FS__NODE_SEQ) {
        if (!all_digits(part)) {
            *err = set_err(ld, p,
                           "%s is a list; expected an index (0, 1, ...) "
                           "where the path has '%s'",
                           at, part);
            return NULL;
        }
        unsigned long long i = strtoull(part, NULL, 10);
        struct fs__scn_node *e = node->head;
        for (unsigned long long j = 0; e != NULL && j < i; j++)
            e = e->next;
        if (e == NULL || strlen(part) > 9) {
            *err = set_err(ld, p, "%s is a list of %u entries (indexes from 0)",
                           at, node->count);
            return NULL;
        }
        return e;
    }
    *err = set_err(ld, p,
                   "%s is a single value, not a mapping or a list; the path "
                   "cannot go on to '%s'",
                   at, part);
    return NULL;
}

static int
set_one(struct fs__scn_ld *ld, struct fs__scn_node *root,
        const struct fs_scn_param *p)
{
    char path[FS_SCN_PARAM_KEY_BYTES_MAX + 1];
    char at[FS_SCN_PARAM_KEY_BYTES_MAX + 32] = "the top level";
    snprintf(path, sizeof(path), "%s", p->key);
    struct fs__scn_node *node = root;
    char *part = path;
    int err = 0;
    for (;;) {
        char *dot = strchr(part, '.');
        if (dot != NULL)
            *dot = '\0';
        if (dot == NULL && node->kind == FS__NODE_MAP &&
            map_find(node, part) == NULL) {
            map_add(ld, node, part, p); /* a new last key */
            return 0;
        }
        struct fs__scn_node *next = step(ld, p, node, at, part, &err);
        if (next == NULL)
            return err;
        snprintf(at, sizeof(at), "'%.*s'", (int)(part + strlen(part) - path),
                 p->key);
        node = next;
        if (dot == NULL)
            break;
        part = dot + 1;
    }
    if (node->kind != FS__NODE_SCALAR)
        return set_err(ld, p,
                       "%s is %s; --set replaces a single value (name one "
                       "of its keys or entries)",
                       at, fs__scn_kind_name(node));
    node->text = fs_arena_strdup(ld->arena, p->value);
    node->len = strlen(p->value);
    node->style = FS__STYLE_PLAIN;
    node->alias_line = node->alias_column = 0;
    node->set_key = p->key;
    ld->set_nodes[ld->nset_nodes++] = node;
    return 0;
}

/*
 * Apply nparams parameters to the tree at root, in order, and keep copies
 * in ld->scn->params. Returns 0 or FS_ESCENARIO (ld->diag: "--set KEY:
 * what is wrong", no position).
 */
int
fs__scn_set_apply(struct fs__scn_ld *ld, struct fs__scn_node *root,
                  const struct fs_scn_param *params, size_t nparams)
{
    static const struct fs_scn_param none = {"", ""};
    if (nparams > FS_SCN_PARAMS_MAX)
        return fs_diag_set(ld->diag, FS_ESCENARIO, ld->file, 0, 0,
                           "--set: at most %u parameters", FS_SCN_PARAMS_MAX);
    struct fs_scn *scn = ld->scn;
    scn->params = fs_arena_alloc(ld->arena, (nparams + 1) * sizeof(*params));
    for (size_t i = 0; i < nparams; i++) {
        const struct fs_scn_param *p = &params[i];
        if (p->key == NULL || p->key[0] == '\0' || p->value == NULL)
            return set_err(ld, &none, "expected KEY=VALUE");
        if (strlen(p->key) > FS_SCN_PARAM_KEY_BYTES_MAX ||
            strlen(p->value) > FS_SCN_PARAM_VALUE_BYTES_MAX)
            return set_err(ld, p, "KEY or VALUE too long");
        if (has_control(p->key) || has_control(p->value))
            return set_err(ld, p,
                           "a control character (newline, tab) "
                           "in KEY or VALUE");
        for (size_t j = 0; j < i; j++)
            if (strcmp(params[j].key, p->key) == 0)
                return set_err(ld, p, "given twice");
        size_t klen = strlen(p->key);
        if (p->key[0] == '.' || p->key[klen - 1] == '.' ||
            strstr(p->key, "..") != NULL)
            return set_err(ld, p, "an empty part in the path");
        if (root == NULL || root->kind != FS__NODE_MAP)
            return set_err(ld, p, "the scenario is not a mapping");
        struct fs_scn_param *copy = &scn->params[scn->nparams];
        copy->key = fs_arena_strdup(ld->arena, p->key);
        copy->value = fs_arena_strdup(ld->arena, p->value);
        int err = set_one(ld, root, copy);
        if (err != 0)
            return err;
        scn->nparams++;
    }
    return 0;
}

/*
 * After a failed load with parameters: when the error sits at a value a
 * parameter replaced and does not name it yet, say so (errors found after
 * parsing, from positions, do not see the node); an error elsewhere says
 * the load had parameters, which may be its cause.
 */
void
fs__scn_set_blame(struct fs__scn_ld *ld)
{
    struct fs_diag *d = ld->diag;
    if (strstr(d->msg, "--set ") != NULL || ld->scn->nparams == 0)
        return;
    for (uint32_t i = 0; i < ld->nset_nodes; i++) {
        const struct fs__scn_node *n = ld->set_nodes[i];
        if (n->line != d->line || n->column != d->column)
            continue;
        size_t len = strlen(d->msg);
        snprintf(d->msg + len, sizeof(d->msg) - len,
                 " (the value given by --set %s)", n->set_key);
        return;
    }
    /* Elsewhere: the parameters may still be the cause. */
    const struct fs_scn_param *p = &ld->scn->params[0];
    size_t len = strlen(d->msg);
    snprintf(d->msg + len, sizeof(d->msg) - len, " (loaded with --set %s=%s%s)",
             p->key, p->value, ld->scn->nparams > 1 ? " and more" : "");
}
