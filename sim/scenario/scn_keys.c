/*
 * sim/scenario/scn_keys.c - checked values out of YAML nodes, and positioned
 * errors.
 *
 * Owns: the loader's vocabulary of expectations (a mapping with these keys,
 * a list of at most N, a name, a duration, ...), "did you mean" hints, and
 * the string tables behind fs_scn_*_find.
 * Invariants: every helper either writes its out-parameter and returns 0,
 * or records one error (the first wins) and returns FS_ESCENARIO; messages
 * say what was expected at that position.
 * Does not: know which keys a given mapping has (its caller passes them).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "fleetsim/err.h"
#include "scn_int.h"

/*
 * Record an error at line:column of the scenario file. Returns
 * FS_ESCENARIO so callers can write `return fs__scn_err_at(...)`.
 */
int
fs__scn_err_at(struct fs__scn_ld *ld, int line, int column, const char *fmt,
               ...)
{
    char msg[sizeof(ld->diag->msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return fs_diag_set(ld->diag, FS_ESCENARIO, ld->file, line, column, "%s",
                       msg);
}

/* Record an error at node at (see fs__scn_err_at). */
int
fs__scn_err(struct fs__scn_ld *ld, const struct fs__scn_node *at,
            const char *fmt, ...)
{
    char msg[sizeof(ld->diag->msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (at->set_key != NULL)
        return fs__scn_err_at(ld, at->line, at->column,
                              "%s (the value given by --set %s)", msg,
                              at->set_key);
    if (at->alias_line > 0)
        return fs__scn_err_at(ld, at->line, at->column,
                              "%s (in the value anchored at line %d, used "
                              "through the alias at line %d, column %d)",
                              msg, at->line, at->alias_line, at->alias_column);
    return fs__scn_err_at(ld, at->line, at->column, "%s", msg);
}

/* The position of node n, for the loaded structures. */
struct fs_scn_pos
fs__scn_pos(const struct fs__scn_ld *ld, const struct fs__scn_node *n)
{
    struct fs_scn_pos p = {ld->file, n->line, n->column};
    return p;
}

/* True for an empty plain scalar, "~" or "null": YAML's null. */
bool
fs__scn_is_null(const struct fs__scn_node *n)
{
    if (n->kind != FS__NODE_SCALAR || n->style != FS__STYLE_PLAIN)
        return false;
    return n->len == 0 || strcmp(n->text, "~") == 0 ||
           strcasecmp(n->text, "null") == 0;
}

/* "a mapping", "a list", "nothing" or "a value", for messages. */
const char *
fs__scn_kind_name(const struct fs__scn_node *n)
{
    if (n->kind == FS__NODE_MAP)
        return "a mapping";
    if (n->kind == FS__NODE_SEQ)
        return "a list";
    return fs__scn_is_null(n) ? "nothing" : "a value";
}

static size_t
edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a);
    size_t lb = strlen(b);
    if (la > 63 || lb > 63)
        return 64;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = diag + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/*
 * The candidate closest to word when it is close enough to be a likely
 * typo (distance <= 2, or <= 1 for short words), else NULL.
 */
const char *
fs__scn_hint(const char *word, const char *const *cands, size_t n)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t i = 0; i < n; i++) {
        size_t d =
            strcasecmp(word, cands[i]) == 0 ? 0 : edit_distance(word, cands[i]);
        size_t limit = strlen(cands[i]) <= 3 ? 1 : 2;
        if (d <= limit && d < best_d) {
            best = cands[i];
            best_d = d;
        }
    }
    return best;
}

static void
list_names(const char *const *names, size_t n, char *buf, size_t len)
{
    buf[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; i < n && used + 1 < len; i++) {
        int w =
            snprintf(buf + used, len - used, "%s%s", i ? ", " : "", names[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

static int
unknown_key(struct fs__scn_ld *ld, const struct fs__scn_node *k,
            const char *what, const char *const *keys, size_t nkeys)
{
    const char *hint = fs__scn_hint(k->text, keys, nkeys);
    if (hint != NULL)
        return fs__scn_err(ld, k,
                           "unknown key '%s' in %s; did you mean "
                           "'%s'?",
                           k->text, what, hint);
    char names[300];
    list_names(keys, nkeys, names, sizeof(names));
    return fs__scn_err(ld, k, "unknown key '%s' in %s; expected one of: %s",
                       k->text, what, names);
}

/*
 * Check that map is a mapping (null counts as empty) whose keys are all
 * among keys, each at most once, and write each key's value (or NULL) to
 * vals[i]. what names the mapping in messages ("a product").
 */
int
fs__scn_map_keys(struct fs__scn_ld *ld, const struct fs__scn_node *map,
                 const char *what, const char *const *keys, size_t nkeys,
                 const struct fs__scn_node **vals)
{
    for (size_t i = 0; i < nkeys; i++)
        vals[i] = NULL;
    if (fs__scn_is_null(map))
        return 0;
    if (map->kind != FS__NODE_MAP)
        return fs__scn_err(ld, map,
                           "expected %s (a mapping of key: value), "
                           "got %s",
                           what, fs__scn_kind_name(map));
    for (const struct fs__scn_node *k = map->head; k; k = k->next->next) {
        if (k->kind != FS__NODE_SCALAR)
            return fs__scn_err(ld, k, "expected a plain key in %s, got %s",
                               what, fs__scn_kind_name(k));
        size_t i = 0;
        while (i < nkeys && strcmp(keys[i], k->text) != 0)
            i++;
        if (i == nkeys)
            return unknown_key(ld, k, what, keys, nkeys);
        if (vals[i] != NULL)
            return fs__scn_err(ld, k,
                               "duplicate key '%s' in %s (first "
                               "given at line %d)",
                               k->text, what, vals[i]->line);
        vals[i] = k->next;
    }
    return 0;
}

/* Error at map's position when the required key has no value. */
int
fs__scn_require(struct fs__scn_ld *ld, const struct fs__scn_node *map,
                const char *what, const char *key,
                const struct fs__scn_node *val)
{
    if (val != NULL && !fs__scn_is_null(val))
        return 0;
    if (val != NULL)
        return fs__scn_err(ld, val, "'%s' of %s needs a value", key, what);
    return fs__scn_err(ld, map,
                       "missing required key '%s' in %s at line "
                       "%d",
                       key, what, map->line);
}

/*
 * Check that n is a list (null counts as empty) of at most max entries
 * and write its length.
 */
int
fs__scn_seq(struct fs__scn_ld *ld, const struct fs__scn_node *n,
            const char *key, uint32_t max, uint32_t *out_count)
{
    if (fs__scn_is_null(n)) {
        *out_count = 0;
        return 0;
    }
    if (n->kind != FS__NODE_SEQ)
        return fs__scn_err(ld, n, "'%s': expected a list, got %s", key,
                           fs__scn_kind_name(n));
    if (n->count > max)
        return fs__scn_err(ld, n,
                           "'%s': too many entries (%u); at most %u "
                           "are allowed",
                           key, n->count, max);
    *out_count = n->count;
    return 0;
}

/* Check that n is a non-null scalar; expected describes what it should be. */
int
fs__scn_scalar(struct fs__scn_ld *ld, const struct fs__scn_node *n,
               const char *key, const char *expected)
{
    if (n->kind == FS__NODE_SCALAR && !fs__scn_is_null(n))
        return 0;
    return fs__scn_err(ld, n, "'%s': expected %s, got %s", key, expected,
                       fs__scn_kind_name(n));
}

/* Any non-empty text (descriptions, versions). */
int
fs__scn_str(struct fs__scn_ld *ld, const struct fs__scn_node *n,
            const char *key, const char **out)
{
    int err = fs__scn_scalar(ld, n, key, "text");
    if (err != 0)
        return err;
    *out = n->text;
    return 0;
}

/* A name or id: [A-Za-z0-9][A-Za-z0-9._-]*, at most 64 bytes. */
int
fs__scn_name(struct fs__scn_ld *ld, const struct fs__scn_node *n,
             const char *key, const char **out)
{
    int err = fs__scn_scalar(ld, n, key, "a name");
    if (err != 0)
        return err;
    const char *s = n->text;
    bool ok = n->len <= FS_NAME_BYTES_MAX;
    for (size_t i = 0; ok && i < n->len; i++) {
        char c = s[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                     (c >= '0' && c <= '9');
        ok = alnum || (i > 0 && (c == '.' || c == '_' || c == '-'));
    }
    if (!ok)
        return fs__scn_err(ld, n,
                           "'%s': invalid name '%.64s'; expected "
                           "letters, digits, '.', '_' or '-' (at most "
                           "%d, starting with a letter or digit)",
                           key, s, FS_NAME_BYTES_MAX);
    *out = s;
    return 0;
}

/* true/false (also yes/no, on/off), any case. */
int
fs__scn_bool(struct fs__scn_ld *ld, const struct fs__scn_node *n,
             const char *key, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on"};
    static const char *const no[] = {"false", "no", "off"};
    int err = fs__scn_scalar(ld, n, key, "true or false");
    if (err != 0)
        return err;
    for (size_t i = 0; i < 3; i++) {
        if (strcasecmp(n->text, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(n->text, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return fs__scn_err(ld, n, "'%s': expected true or false, got '%.64s'", key,
                       n->text);
}

/* A whole number in [min, max], decimal digits only. */
int
fs__scn_uint(struct fs__scn_ld *ld, const struct fs__scn_node *n,
             const char *key, uint64_t min, uint64_t max, uint64_t *out)
{
    int err = fs__scn_scalar(ld, n, key, "a whole number");
    if (err != 0)
        return err;
    const char *s = n->text;
    uint64_t v = 0;
    bool range = false;
    size_t i = 0;
    if (s[0] == '+')
        i++;
    if (s[i] == '\0')
        goto out_not_number;
    for (; s[i] != '\0'; i++) {
        if (s[i] < '0' || s[i] > '9')
            goto out_not_number;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            range = true;
        else
            v = v * 10 + d;
    }
    if (range || v < min || v > max)
        return fs__scn_err(ld, n,
                           "'%s': %.64s is out of range; expected a "
                           "whole number from %llu to %llu",
                           key, s, (unsigned long long)min,
                           (unsigned long long)max);
    *out = v;
    return 0;

out_not_number:
    if (s[0] == '-')
        return fs__scn_err(ld, n,
                           "'%s': %.64s is negative; expected a whole "
                           "number from %llu to %llu",
                           key, s, (unsigned long long)min,
                           (unsigned long long)max);
    return fs__scn_err(ld, n, "'%s': expected a whole number, got '%.64s'", key,
                       s);
}

/* One of names (exact), with a hint when close. Writes the index. */
int
fs__scn_enum(struct fs__scn_ld *ld, const struct fs__scn_node *n,
             const char *key, const char *const *names, size_t nnames, int *out)
{
    bool scalar = n->kind == FS__NODE_SCALAR && !fs__scn_is_null(n);
    for (size_t i = 0; scalar && i < nnames; i++) {
        if (strcmp(n->text, names[i]) == 0) {
            *out = (int)i;
            return 0;
        }
    }
    char list[400];
    list_names(names, nnames, list, sizeof(list));
    if (!scalar)
        return fs__scn_err(ld, n, "'%s': expected one of %s, got %s", key, list,
                           fs__scn_kind_name(n));
    const char *hint = fs__scn_hint(n->text, names, nnames);
    if (hint != NULL)
        return fs__scn_err(ld, n,
                           "'%s': unknown value '%.64s'; did you mean "
                           "'%s'?",
                           key, n->text, hint);
    return fs__scn_err(ld, n,
                       "'%s': unknown value '%.64s'; expected one of "
                       "%s",
                       key, n->text, list);
}

static int
unit_error(struct fs__scn_ld *ld, const struct fs__scn_node *n, const char *key,
           const char *kind, const char *why)
{
    return fs__scn_err(ld, n, "'%s': invalid %s '%.64s': %s", key, kind,
                       n->text, why);
}

/* A duration ("14d"), in microseconds. */
int
fs__scn_duration(struct fs__scn_ld *ld, const struct fs__scn_node *n,
                 const char *key, int64_t *out_us)
{
    const char *why = NULL;
    int err = fs__scn_scalar(ld, n, key, "a duration such as 250ms or 14d");
    if (err != 0)
        return err;
    if (fs_units_duration(n->text, out_us, &why) != 0)
        return unit_error(ld, n, key, "duration", why);
    return 0;
}

/* A size ("4MiB"), in bytes. */
int
fs__scn_size(struct fs__scn_ld *ld, const struct fs__scn_node *n,
             const char *key, uint64_t *out_bytes)
{
    const char *why = NULL;
    int err = fs__scn_scalar(ld, n, key, "a size such as 4MiB");
    if (err != 0)
        return err;
    if (fs_units_size(n->text, out_bytes, &why) != 0)
        return unit_error(ld, n, key, "size", why);
    return 0;
}

/* A bandwidth ("2Mbps"), in bits per second. */
int
fs__scn_bandwidth(struct fs__scn_ld *ld, const struct fs__scn_node *n,
                  const char *key, uint64_t *out_bps)
{
    const char *why = NULL;
    int err = fs__scn_scalar(ld, n, key, "a bandwidth such as 2Mbps");
    if (err != 0)
        return err;
    if (fs_units_bandwidth(n->text, out_bps, &why) != 0)
        return unit_error(ld, n, key, "bandwidth", why);
    return 0;
}

/* A rate whose unit is one of the characters of units ("hd" or "s"). */
int
fs__scn_rate(struct fs__scn_ld *ld, const struct fs__scn_node *n,
             const char *key, const char *units, double *out_per_us)
{
    const char *why = NULL;
    struct fs_rate r;
    int err = fs__scn_scalar(ld, n, key, "a rate such as 0.002/h");
    if (err != 0)
        return err;
    if (fs_units_rate(n->text, &r, &why) != 0)
        return unit_error(ld, n, key, "rate", why);
    if (r.per_us != 0.0 && strchr(units, r.unit) == NULL)
        return fs__scn_err(ld, n,
                           "'%s': invalid rate '%.64s': expected a "
                           "rate per %s",
                           key, n->text,
                           strcmp(units, "s") == 0 ? "second (/s)"
                                                   : "hour or day (/h, /d)");
    *out_per_us = r.per_us;
    return 0;
}

/* A share: percentage or plain count. */
int
fs__scn_share(struct fs__scn_ld *ld, const struct fs__scn_node *n,
              const char *key, struct fs_share *out)
{
    const char *why = NULL;
    int err = fs__scn_scalar(ld, n, key, "a share such as 10% or 250");
    if (err != 0)
        return err;
    if (fs_units_share(n->text, out, &why) != 0)
        return unit_error(ld, n, key, "share", why);
    return 0;
}

/* A percentage only ("95%"), in parts per million. */
int
fs__scn_percent(struct fs__scn_ld *ld, const struct fs__scn_node *n,
                const char *key, uint32_t *out_ppm)
{
    struct fs_share sh;
    int err = fs__scn_share(ld, n, key, &sh);
    if (err != 0)
        return err;
    if (!sh.is_percent && sh.count != 0)
        return fs__scn_err(ld, n,
                           "'%s': expected a percentage such as 95%%, "
                           "got '%.64s'",
                           key, n->text);
    *out_ppm = sh.is_percent ? sh.ppm : 0;
    return 0;
}

/* A version ("23.10"): dot-separated whole numbers. */
int
fs__scn_version(struct fs__scn_ld *ld, const struct fs__scn_node *n,
                const char *key, struct fs_version *out)
{
    int err = fs__scn_scalar(ld, n, key, "a version such as \"23.10\"");
    if (err != 0)
        return err;
    if (fs_version_parse(n->text, out) != 0)
        return fs__scn_err(ld, n,
                           "'%s': invalid version '%.64s'; expected "
                           "dot-separated whole numbers such as "
                           "23.10 or 1.5.0 (at most %d fields)",
                           key, n->text, FS_VERSION_FIELDS_MAX);
    return 0;
}

/* A list of names (numbers allowed and kept as written). */
int
fs__scn_strlist(struct fs__scn_ld *ld, const struct fs__scn_node *n,
                const char *key, struct fs_scn_strlist *out)
{
    uint32_t count;
    int err = fs__scn_seq(ld, n, key, FS_SCN_LIST_MAX, &count);
    if (err != 0)
        return err;
    out->count = count;
    out->items = fs_arena_alloc(ld->arena, count * sizeof(*out->items));
    out->pos = fs_arena_alloc(ld->arena, count * sizeof(*out->pos));
    uint32_t i = 0;
    for (const struct fs__scn_node *e = count ? n->head : NULL; e;
         e = e->next, i++) {
        const char *s;
        if (strcmp(key, "allowed_hosts") == 0)
            err = fs__scn_str(ld, e, key, &s);
        else
            err = fs__scn_name(ld, e, key, &s);
        if (err != 0)
            return err;
        out->items[i] = s;
        out->pos[i] = fs__scn_pos(ld, e);
    }
    return 0;
}

/* ---- name tables ---- */

static uint32_t
hash_str(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

/* The value stored under key, or NULL. */
void *
fs__scn_table_get(const struct fs__scn_table *t, const char *key)
{
    if (t->cap == 0)
        return NULL;
    uint32_t mask = t->cap - 1;
    for (uint32_t i = hash_str(key) & mask;; i = (i + 1) & mask) {
        if (t->keys[i] == NULL)
            return NULL;
        if (strcmp(t->keys[i], key) == 0)
            return t->vals[i];
    }
}

static void
table_insert(struct fs__scn_table *t, const char *key, void *val)
{
    uint32_t mask = t->cap - 1;
    uint32_t i = hash_str(key) & mask;
    while (t->keys[i] != NULL)
        i = (i + 1) & mask;
    t->keys[i] = key;
    t->vals[i] = val;
    t->count++;
}

/*
 * Store val under key (borrowed; must outlive the table). Returns false,
 * storing nothing, when key is already present. Tables grow in the arena.
 */
bool
fs__scn_table_put(struct fs_arena *a, struct fs__scn_table *t, const char *key,
                  void *val)
{
    if (fs__scn_table_get(t, key) != NULL)
        return false;
    if ((t->count + 1) * 2 > t->cap) {
        struct fs__scn_table old = *t;
        t->cap = old.cap ? old.cap * 2 : 16;
        t->count = 0;
        t->keys = fs_arena_alloc(a, t->cap * sizeof(*t->keys));
        t->vals = fs_arena_alloc(a, t->cap * sizeof(*t->vals));
        for (uint32_t i = 0; i < old.cap; i++)
            if (old.keys[i] != NULL)
                table_insert(t, old.keys[i], old.vals[i]);
    }
    table_insert(t, key, val);
    return true;
}

/*
 * Resolve the name in node n through table t. what names the kind of
 * object ("image"); a miss is an error with a hint when a key is close.
 */
int
fs__scn_ref(struct fs__scn_ld *ld, const struct fs__scn_node *n,
            const char *key, const struct fs__scn_table *t, const char *what,
            void **out)
{
    const char *name;
    int err = fs__scn_name(ld, n, key, &name);
    if (err != 0)
        return err;
    void *v = fs__scn_table_get(t, name);
    if (v != NULL) {
        *out = v;
        return 0;
    }
    const char *best = NULL;
    size_t best_len = 0;
    for (uint32_t i = 0; i < t->cap; i++) {
        if (t->keys[i] == NULL)
            continue;
        const char *h = fs__scn_hint(name, &t->keys[i], 1);
        /* Deterministic pick among several close names: the shortest,
         * then the smallest in byte order. */
        if (h != NULL && (best == NULL || strlen(h) < best_len ||
                          (strlen(h) == best_len && strcmp(h, best) < 0))) {
            best = h;
            best_len = strlen(h);
        }
    }
    if (best != NULL)
        return fs__scn_err(ld, n,
                           "'%s': unknown %s '%s'; did you mean "
                           "'%s'?",
                           key, what, name, best);
    return fs__scn_err(ld, n, "'%s': unknown %s '%s'; no %s has that name", key,
                       what, name, what);
}
