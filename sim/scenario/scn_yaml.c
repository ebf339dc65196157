/*
 * sim/scenario/scn_yaml.c - YAML text to the loader's node tree.
 *
 * Owns: the only use of libyaml in fleetsim, and the translation of its
 * errors into positioned FS_ESCENARIO diagnostics.
 * Invariants: uses the event API with an explicit, fixed-size stack, so
 * no input (however deep) recurses or grows the C stack; nesting deeper
 * than FS_SCN_DEPTH_MAX is an error reported at the first level too deep;
 * exactly one document. Anchors, aliases and merge keys (`<<`) are
 * expanded while building: an alias is a copy of its anchor's value (so
 * the tree stays a tree), copied without recursion, and the whole tree,
 * copies included, holds at most FS_SCN_NODES_MAX nodes, so a "billion
 * laughs" file is refused as soon as its expansion passes the bound.
 * Does not: interpret scalars (every scalar is kept as written).
 */
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "fleetsim/err.h"
#include "scn_int.h"

/* Most nodes of one scenario, aliases expanded. */
#define FS_SCN_NODES_MAX 1000000u

/* An anchor: its name and the node it names (open while being built). */
struct anchor {
    const char *name;          /* as written after & (arena) */
    struct fs__scn_node *node; /* the anchored value */
    int depth;                 /* stack depth at which it was opened */
    struct anchor *next;       /* earlier anchors (a later one shadows) */
};

/* The parse in progress: open containers from the root down. */
struct builder {
    struct fs__scn_ld *ld;
    struct fs__scn_node *stack[FS_SCN_DEPTH_MAX + 1]; /* open containers */
    int depth;                                        /* entries in stack */
    struct fs__scn_node *root;                        /* first node */
    int documents;                                    /* documents started */
    uint32_t nodes;                                   /* made so far */
    struct anchor *anchors;                           /* newest first */
};

/* Line and column (1-based) of byte offset in text. */
static void
offset_position(const char *text, size_t len, size_t offset, int *line,
                int *column)
{
    int l = 1;
    int c = 1;
    for (size_t i = 0; i < offset && i < len; i++) {
        if (text[i] == '\n') {
            l++;
            c = 1;
        } else {
            c++;
        }
    }
    *line = l;
    *column = c;
}

static int
yaml_error(struct fs__scn_ld *ld, const yaml_parser_t *p, const char *text,
           size_t len)
{
    const char *problem = p->problem ? p->problem : "unknown error";
    if (p->error == YAML_READER_ERROR) {
        int line;
        int column;
        offset_position(text, len, p->problem_offset, &line, &column);
        return fs__scn_err_at(ld, line, column,
                              "not a text file: invalid UTF-8 or control "
                              "character (%s, byte 0x%02x); expected UTF-8 "
                              "YAML text",
                              problem, (unsigned)(p->problem_value & 0xff));
    }
    if (p->error == YAML_MEMORY_ERROR)
        return fs__scn_err_at(ld, 1, 1, "invalid YAML: out of memory");
    int line = (int)p->problem_mark.line + 1;
    int column = (int)p->problem_mark.column + 1;
    if (p->context != NULL)
        return fs__scn_err_at(ld, line, column,
                              "invalid YAML: %s (%s started at line %d, "
                              "column %d)",
                              problem, p->context,
                              (int)p->context_mark.line + 1,
                              (int)p->context_mark.column + 1);
    return fs__scn_err_at(ld, line, column, "invalid YAML: %s", problem);
}

static struct fs__scn_node *
new_node(struct builder *b, enum fs__scn_node_kind kind,
         const yaml_mark_t *mark)
{
    struct fs__scn_node *n = fs_arena_alloc(b->ld->arena, sizeof(*n));
    memset(n, 0, sizeof(*n));
    n->kind = kind;
    n->line = (int)mark->line + 1;
    n->column = (int)mark->column + 1;
    b->nodes++;
    return n;
}

static void attach(struct builder *b, struct fs__scn_node *n);

static int
too_many_nodes(struct builder *b, int line, int column)
{
    return fs__scn_err_at(b->ld, line, column,
                          "the file expands to more than %u YAML nodes "
                          "(anchors and aliases included); at most %u "
                          "are allowed",
                          FS_SCN_NODES_MAX, FS_SCN_NODES_MAX);
}

/* Remember the anchor (if any) of the event that made n. */
static void
anchor_put(struct builder *b, const unsigned char *name, struct fs__scn_node *n)
{
    if (name == NULL)
        return;
    struct anchor *a = fs_arena_alloc(b->ld->arena, sizeof(*a));
    size_t len = strlen((const char *)name);
    char *copy = fs_arena_alloc(b->ld->arena, len + 1);
    memcpy(copy, name, len + 1);
    a->name = copy;
    a->node = n;
    a->depth = b->depth;
    a->next = b->anchors;
    b->anchors = a;
}

static struct anchor *
anchor_find(struct builder *b, const unsigned char *name)
{
    for (struct anchor *a = b->anchors; a != NULL; a = a->next)
        if (strcmp(a->name, (const char *)name) == 0)
            return a;
    return NULL;
}

/*
 * A copy of the tree at src, every node marked as reached through the
 * alias at (line, column); iterative (an explicit stack of at most
 * FS_SCN_DEPTH_MAX levels), and refused past the node bound or when the
 * copy would nest deeper than FS_SCN_DEPTH_MAX below base_depth.
 */
static int
copy_tree(struct builder *b, const struct fs__scn_node *src, int base_depth,
          int line, int column, struct fs__scn_node **out)
{
    struct {
        const struct fs__scn_node *from; /* next child to copy */
        struct fs__scn_node *to;         /* the copy being filled */
    } st[FS_SCN_DEPTH_MAX + 1];
    int top = 0;
    struct fs__scn_node *root = NULL;
    const struct fs__scn_node *n = src;
    for (;;) {
        if (b->nodes >= FS_SCN_NODES_MAX)
            return too_many_nodes(b, line, column);
        struct fs__scn_node *c = fs_arena_alloc(b->ld->arena, sizeof(*c));
        *c = *n;
        c->head = c->tail = c->next = NULL;
        c->count = 0;
        c->alias_line = line;
        c->alias_column = column;
        b->nodes++;
        if (top == 0) {
            root = c;
        } else {
            struct fs__scn_node *parent = st[top - 1].to;
            if (parent->tail != NULL)
                parent->tail->next = c;
            else
                parent->head = c;
            parent->tail = c;
            parent->count++;
        }
        if (n->kind != FS__NODE_SCALAR && n->head != NULL) {
            if (base_depth + top + 1 > FS_SCN_DEPTH_MAX)
                return fs__scn_err_at(b->ld, line, column,
                                      "nesting too deep through this alias: "
                                      "at most %d levels of mappings and "
                                      "lists are allowed",
                                      FS_SCN_DEPTH_MAX);
            st[top].from = n->head;
            st[top].to = c;
            top++;
            n = n->head;
            continue;
        }
        /* climb to the next sibling still to copy */
        while (top > 0) {
            const struct fs__scn_node *next = st[top - 1].from->next;
            if (next != NULL) {
                st[top - 1].from = next;
                n = next;
                break;
            }
            top--;
        }
        if (top == 0)
            break;
    }
    *out = root;
    return 0;
}

/* *NAME: a copy of the anchored value, hung where the alias stands. */
static int
on_alias(struct builder *b, const yaml_event_t *ev)
{
    const yaml_mark_t *m = &ev->start_mark;
    int line = (int)m->line + 1, column = (int)m->column + 1;
    struct anchor *a = anchor_find(b, ev->data.alias.anchor);
    if (a == NULL)
        return fs__scn_err_at(b->ld, line, column,
                              "alias *%s names no anchor defined before it",
                              (const char *)ev->data.alias.anchor);
    for (int i = 0; i < b->depth; i++)
        if (b->stack[i] == a->node)
            return fs__scn_err_at(b->ld, line, column,
                                  "alias *%s is inside the value it names "
                                  "(anchored at line %d): a value cannot "
                                  "contain itself",
                                  a->name, a->node->line);
    struct fs__scn_node *copy = NULL;
    int err = copy_tree(b, a->node, b->depth, line, column, &copy);
    if (err != 0)
        return err;
    attach(b, copy);
    return 0;
}

/* True for a plain `<<` key (YAML's merge key). */
static bool
is_merge_key(const struct fs__scn_node *k)
{
    return k->kind == FS__NODE_SCALAR && k->style == FS__STYLE_PLAIN &&
           strcmp(k->text, "<<") == 0;
}

/* True when map (pairs from head) has the scalar key text, before stop. */
static bool
map_has_key(const struct fs__scn_node *map, const char *text)
{
    for (const struct fs__scn_node *k = map->head; k && k->next;
         k = k->next->next)
        if (k->kind == FS__NODE_SCALAR && !is_merge_key(k) &&
            strcmp(k->text, text) == 0)
            return true;
    return false;
}

/*
 * Merge keys in the mapping just closed: `<<: *a` or `<<: [*a, *b]` adds
 * the pairs of those mappings whose keys the mapping does not give itself
 * (its own keys win; among the merged, the first source wins), after its
 * own pairs. Anything else after `<<` is an error.
 */
static int
merge_keys(struct builder *b, struct fs__scn_node *map)
{
    bool any = false;
    for (const struct fs__scn_node *k = map->head; k && k->next;
         k = k->next->next)
        any = any || is_merge_key(k);
    if (!any)
        return 0;
    struct fs__scn_node *own_head = NULL, *own_tail = NULL;
    struct fs__scn_node *src[64];
    int nsrc = 0;
    uint32_t count = 0;
    for (struct fs__scn_node *k = map->head, *next; k && k->next; k = next) {
        struct fs__scn_node *v = k->next;
        next = v->next;
        if (!is_merge_key(k)) {
            if (own_tail != NULL)
                own_tail->next = k;
            else
                own_head = k;
            own_tail = v;
            v->next = NULL;
            count += 2;
            continue;
        }
        struct fs__scn_node *one = v->kind == FS__NODE_SEQ ? v->head : v;
        for (; one != NULL; one = v->kind == FS__NODE_SEQ ? one->next : NULL) {
            if (one->kind != FS__NODE_MAP)
                return fs__scn_err_at(b->ld, one->line, one->column,
                                      "'<<' (merge key): expected a "
                                      "mapping or a list of mappings, "
                                      "usually an alias such as *defaults");
            if (nsrc == (int)(sizeof(src) / sizeof(src[0])))
                return fs__scn_err_at(b->ld, one->line, one->column,
                                      "'<<' (merge key): at most 64 "
                                      "mappings may be merged into one");
            src[nsrc++] = one;
        }
    }
    map->head = own_head;
    map->tail = own_tail;
    map->count = count;
    for (int i = 0; i < nsrc; i++) {
        for (struct fs__scn_node *k = src[i]->head, *next; k && k->next;
             k = next) {
            struct fs__scn_node *v = k->next;
            next = v->next;
            if (k->kind == FS__NODE_SCALAR && map_has_key(map, k->text))
                continue;
            if (map->tail != NULL)
                map->tail->next = k;
            else
                map->head = k;
            map->tail = v;
            v->next = NULL;
            map->count += 2;
        }
    }
    return 0;
}

/* Hang n under the innermost open container, or make it the root. */
static void
attach(struct builder *b, struct fs__scn_node *n)
{
    if (b->depth == 0) {
        b->root = n;
        return;
    }
    struct fs__scn_node *parent = b->stack[b->depth - 1];
    if (parent->tail != NULL)
        parent->tail->next = n;
    else
        parent->head = n;
    parent->tail = n;
    parent->count++;
}

static int
on_scalar(struct builder *b, const yaml_event_t *ev)
{
    struct fs__scn_ld *ld = b->ld;
    const yaml_mark_t *m = &ev->start_mark;
    size_t len = ev->data.scalar.length;
    if (memchr(ev->data.scalar.value, '\0', len) != NULL)
        return fs__scn_err_at(ld, (int)m->line + 1, (int)m->column + 1,
                              "a NUL character is not allowed in a value");
    if (b->nodes >= FS_SCN_NODES_MAX)
        return too_many_nodes(b, (int)m->line + 1, (int)m->column + 1);
    struct fs__scn_node *n = new_node(b, FS__NODE_SCALAR, m);
    anchor_put(b, ev->data.scalar.anchor, n);
    char *text = fs_arena_alloc(ld->arena, len + 1);
    memcpy(text, ev->data.scalar.value, len);
    n->text = text;
    n->len = len;
    switch (ev->data.scalar.style) {
    case YAML_SINGLE_QUOTED_SCALAR_STYLE:
    case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
        n->style = FS__STYLE_QUOTED;
        break;
    case YAML_LITERAL_SCALAR_STYLE:
    case YAML_FOLDED_SCALAR_STYLE:
        n->style = FS__STYLE_BLOCK;
        break;
    default:
        n->style = FS__STYLE_PLAIN;
        break;
    }
    attach(b, n);
    return 0;
}

static int
on_open(struct builder *b, const yaml_event_t *ev, enum fs__scn_node_kind k)
{
    const yaml_mark_t *m = &ev->start_mark;
    if (b->depth >= FS_SCN_DEPTH_MAX)
        return fs__scn_err_at(b->ld, (int)m->line + 1, (int)m->column + 1,
                              "nesting too deep: at most %d levels of "
                              "mappings and lists are allowed",
                              FS_SCN_DEPTH_MAX);
    if (b->nodes >= FS_SCN_NODES_MAX)
        return too_many_nodes(b, (int)m->line + 1, (int)m->column + 1);
    struct fs__scn_node *n = new_node(b, k, m);
    attach(b, n);
    anchor_put(b,
               k == FS__NODE_MAP ? ev->data.mapping_start.anchor
                                 : ev->data.sequence_start.anchor,
               n);
    b->stack[b->depth++] = n;
    return 0;
}

/* Handle one event; sets *done at the end of the stream. */
static int
on_event(struct builder *b, const yaml_event_t *ev, bool *done)
{
    const yaml_mark_t *m = &ev->start_mark;
    int line = (int)m->line + 1;
    int column = (int)m->column + 1;
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++b->documents > 1)
            return fs__scn_err_at(b->ld, line, column,
                                  "a scenario file holds one YAML "
                                  "document; found a second one");
        return 0;
    case YAML_SCALAR_EVENT:
        return on_scalar(b, ev);
    case YAML_SEQUENCE_START_EVENT:
        return on_open(b, ev, FS__NODE_SEQ);
    case YAML_MAPPING_START_EVENT:
        return on_open(b, ev, FS__NODE_MAP);
    case YAML_ALIAS_EVENT:
        return on_alias(b, ev);
    case YAML_SEQUENCE_END_EVENT:
        FS_ASSERT(b->depth > 0);
        b->depth--;
        return 0;
    case YAML_MAPPING_END_EVENT:
        FS_ASSERT(b->depth > 0);
        b->depth--;
        return merge_keys(b, b->stack[b->depth]);
    case YAML_STREAM_END_EVENT:
        *done = true;
        return 0;
    default:
        return 0;
    }
}

/*
 * Parse len bytes of text into a tree of nodes in ld's arena and write the
 * root (NULL for an empty document) to *out_root. Returns 0 or
 * FS_ESCENARIO with ld->diag filled.
 */
int
fs__scn_yaml_parse(struct fs__scn_ld *ld, const char *text, size_t len,
                   struct fs__scn_node **out_root)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return fs__scn_err_at(ld, 1, 1, "cannot initialise the YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    struct builder b = {.ld = ld};
    int err = 0;
    bool done = false;
    while (!done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            err = yaml_error(ld, &parser, text, len);
            goto out_delete_parser;
        }
        err = on_event(&b, &ev, &done);
        yaml_event_delete(&ev);
        if (err != 0)
            goto out_delete_parser;
    }
    *out_root = b.root;

out_delete_parser:
    yaml_parser_delete(&parser);
    return err;
}
