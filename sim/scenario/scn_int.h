/*
 * sim/scenario/scn_int.h - internals shared by the sim/scenario/scn_*.c files.
 *
 * Owns: the YAML node tree the loader walks, the loader context, the name
 * tables behind fs_scn_*_find, and the helpers that turn a node into a
 * checked value or a positioned error.
 * Invariants: nodes live in the scenario's arena; every helper either
 * writes its out-parameter and returns 0, or fills the diag and returns
 * FS_ESCENARIO, leaving the out-parameter untouched.
 * Does not: reach outside sim/scenario/scn_*.c.
 */
#ifndef FLEETSIM_SCN_INT_H
#define FLEETSIM_SCN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetsim/diag.h"
#include "fleetsim/scn.h"

enum fs__scn_node_kind { FS__NODE_SCALAR, FS__NODE_SEQ, FS__NODE_MAP };

/* Scalar styles, as far as positions and nulls care. */
enum fs__scn_style {
    FS__STYLE_PLAIN,
    FS__STYLE_QUOTED, /* single or double quoted */
    FS__STYLE_BLOCK   /* literal | or folded > */
};

struct fs__scn_node {
    enum fs__scn_node_kind kind; /* scalar, sequence or mapping */
    enum fs__scn_style style;    /* scalars only */
    int line;                    /* 1-based start line */
    int column;                  /* 1-based start column */
    const char *text;            /* scalars: NUL-terminated (arena) */
    size_t len;                  /* scalars: bytes of text */
    uint32_t count;              /* children; a mapping has 2 per pair */
    struct fs__scn_node *head;   /* first child (key, value, key, ...) */
    struct fs__scn_node *tail;   /* last child */
    struct fs__scn_node *next;   /* next sibling */
    int alias_line;              /* copied from an anchor by the alias at */
    int alias_column;            /* this position; 0 when written here */
    const char *set_key;         /* given by --set KEY (scn_set.c), or NULL */
};

/* An open-addressing string table; only looked up, never iterated. */
struct fs__scn_table {
    uint32_t cap;      /* slots, a power of two or 0 */
    uint32_t count;    /* entries */
    const char **keys; /* NULL: empty slot */
    void **vals;       /* value of each key */
};

struct fs_scn_names {
    struct fs__scn_table products; /* name -> struct fs_scn_product */
    struct fs__scn_table groups;   /* name -> struct fs_scn_group */
    struct fs__scn_table images;   /* id -> struct fs_scn_image */
    struct fs__scn_table deploys;  /* id -> struct fs_scn_action */
    struct fs__scn_table signers;  /* key name -> itself */
};

/* The loader's state for one fs_scn_load call. */
struct fs__scn_ld {
    struct fs_scn *scn;                  /* being built */
    struct fs_arena *arena;              /* &scn->arena */
    struct fs_diag *diag;                /* where the first error goes */
    const char *file;                    /* scn->file */
    const struct fs__scn_node *timeline; /* kept for the second pass */
    const struct fs__scn_node *set_nodes[FS_SCN_PARAMS_MAX]; /* replaced */
    uint32_t nset_nodes; /* entries of set_nodes */
};

/* scn_yaml.c: parse text into a node tree (event API, no recursion). */
int fs__scn_yaml_parse(struct fs__scn_ld *ld, const char *text, size_t len,
                       struct fs__scn_node **out_root);

/* scn_set.c: apply --set parameters to the tree (before validation), and
 * name the parameter in an error found at a value one of them gave. */
int fs__scn_set_apply(struct fs__scn_ld *ld, struct fs__scn_node *root,
                      const struct fs_scn_param *params, size_t nparams);
void fs__scn_set_blame(struct fs__scn_ld *ld);

/* scn_keys.c: errors, mappings, lists and scalars. */
int fs__scn_err(struct fs__scn_ld *ld, const struct fs__scn_node *at,
                const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int fs__scn_err_at(struct fs__scn_ld *ld, int line, int column, const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));
struct fs_scn_pos fs__scn_pos(const struct fs__scn_ld *ld,
                              const struct fs__scn_node *n);
bool fs__scn_is_null(const struct fs__scn_node *n);
const char *fs__scn_kind_name(const struct fs__scn_node *n);
const char *fs__scn_hint(const char *word, const char *const *cands, size_t n);
int fs__scn_map_keys(struct fs__scn_ld *ld, const struct fs__scn_node *map,
                     const char *what, const char *const *keys, size_t nkeys,
                     const struct fs__scn_node **vals);
int fs__scn_require(struct fs__scn_ld *ld, const struct fs__scn_node *map,
                    const char *what, const char *key,
                    const struct fs__scn_node *val);
int fs__scn_seq(struct fs__scn_ld *ld, const struct fs__scn_node *n,
                const char *key, uint32_t max, uint32_t *out_count);
int fs__scn_scalar(struct fs__scn_ld *ld, const struct fs__scn_node *n,
                   const char *key, const char *expected);
int fs__scn_str(struct fs__scn_ld *ld, const struct fs__scn_node *n,
                const char *key, const char **out);
int fs__scn_name(struct fs__scn_ld *ld, const struct fs__scn_node *n,
                 const char *key, const char **out);
int fs__scn_bool(struct fs__scn_ld *ld, const struct fs__scn_node *n,
                 const char *key, bool *out);
int fs__scn_uint(struct fs__scn_ld *ld, const struct fs__scn_node *n,
                 const char *key, uint64_t min, uint64_t max, uint64_t *out);
int fs__scn_enum(struct fs__scn_ld *ld, const struct fs__scn_node *n,
                 const char *key, const char *const *names, size_t nnames,
                 int *out);
int fs__scn_duration(struct fs__scn_ld *ld, const struct fs__scn_node *n,
                     const char *key, int64_t *out_us);
int fs__scn_size(struct fs__scn_ld *ld, const struct fs__scn_node *n,
                 const char *key, uint64_t *out_bytes);
int fs__scn_bandwidth(struct fs__scn_ld *ld, const struct fs__scn_node *n,
                      const char *key, uint64_t *out_bps);
int fs__scn_rate(struct fs__scn_ld *ld, const struct fs__scn_node *n,
                 const char *key, const char *units, double *out_per_us);
int fs__scn_share(struct fs__scn_ld *ld, const struct fs__scn_node *n,
                  const char *key, struct fs_share *out);
int fs__scn_percent(struct fs__scn_ld *ld, const struct fs__scn_node *n,
                    const char *key, uint32_t *out_ppm);
int fs__scn_version(struct fs__scn_ld *ld, const struct fs__scn_node *n,
                    const char *key, struct fs_version *out);
int fs__scn_strlist(struct fs__scn_ld *ld, const struct fs__scn_node *n,
                    const char *key, struct fs_scn_strlist *out);

/* scn_keys.c: the name tables. */
void *fs__scn_table_get(const struct fs__scn_table *t, const char *key);
bool fs__scn_table_put(struct fs_arena *a, struct fs__scn_table *t,
                       const char *key, void *val);
int fs__scn_ref(struct fs__scn_ld *ld, const struct fs__scn_node *n,
                const char *key, const struct fs__scn_table *t,
                const char *what, void **out);

/* scn_load.c: the service mapping (shared with set_service). */
int fs__scn_service(struct fs__scn_ld *ld, const struct fs__scn_node *n,
                    const char *what, struct fs_service_config *out);

/* scn_images.c: the images list. */
int fs__scn_images(struct fs__scn_ld *ld, const struct fs__scn_node *n);

/* scn_fleet.c: the fleet and expect lists. */
int fs__scn_fleet(struct fs__scn_ld *ld, const struct fs__scn_node *n);
int fs__scn_expects(struct fs__scn_ld *ld, const struct fs__scn_node *n);
/* Check that expectation labels name what the scenario defines. */
int fs__scn_expect_names(struct fs__scn_ld *ld);

/* scn_timeline.c: the timeline list. */
int fs__scn_timeline(struct fs__scn_ld *ld, const struct fs__scn_node *n);

/* scn_check.c: cross-object rules and derived values after parsing. */
int fs__scn_finish(struct fs__scn_ld *ld);

#endif
