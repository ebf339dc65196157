/*
 * sim/scenario/scn_yaml.c - YAML text to the loader's node tree.
 *
 * Owns: the only use of libyaml in fleetsim, and the translation of its
 * errors into positioned FS_ESCENARIO diagnostics.
 * Invariants: uses the event API with an explicit, fixed-size stack, so
 * no input (however deep) recurses or grows the C stack; nesting deeper
 * than FS_SCN_DEPTH_MAX is an error reported at the first level too deep;
 * exactly one document; anchors and aliases are rejected.
 * Does not: interpret scalars (every scalar is kept as written).
 */
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "fleetsim/err.h"
#include "scn_int.h"

/* The parse in progress: open containers from the root down. */
struct builder {
    struct fs__scn_ld *ld;
    struct fs__scn_node *stack[FS_SCN_DEPTH_MAX + 1]; /* open containers */
    int depth;                                        /* entries in stack */
    struct fs__scn_node *root;                        /* first node */
    int documents;                                    /* documents started */
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
    n->kind = kind;
    n->line = (int)mark->line + 1;
    n->column = (int)mark->column + 1;
    return n;
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
    struct fs__scn_node *n = new_node(b, FS__NODE_SCALAR, m);
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
    struct fs__scn_node *n = new_node(b, k, m);
    attach(b, n);
    b->stack[b->depth++] = n;
    return 0;
}

static const unsigned char *
event_anchor(const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        return ev->data.scalar.anchor;
    case YAML_SEQUENCE_START_EVENT:
        return ev->data.sequence_start.anchor;
    case YAML_MAPPING_START_EVENT:
        return ev->data.mapping_start.anchor;
    default:
        return NULL;
    }
}

/* Handle one event; sets *done at the end of the stream. */
static int
on_event(struct builder *b, const yaml_event_t *ev, bool *done)
{
    const yaml_mark_t *m = &ev->start_mark;
    int line = (int)m->line + 1;
    int column = (int)m->column + 1;
    if (event_anchor(ev) != NULL || ev->type == YAML_ALIAS_EVENT)
        return fs__scn_err_at(b->ld, line, column,
                              "YAML anchors (&name) and aliases (*name) are "
                              "not supported; write the value out in full");
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
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        FS_ASSERT(b->depth > 0);
        b->depth--;
        return 0;
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
