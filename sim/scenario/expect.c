/*
 * sim/scenario/expect.c - parsing and evaluating `METRIC{labels} OP VALUE`.
 *
 * Owns: the expectation grammar of scenario-format.md ("expect") and the
 * comparison rules, including percentages of the unlabelled family and
 * "unreached compares as infinite" for rollout_time.
 * Invariants: a parsed expression only names labels its family has, and
 * only values a closed label allows.
 * Does not: schedule checks or read files; the runner does both.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetsim/err.h"
#include "fleetsim/expect.h"
#include "fleetsim/units.h"

struct cursor {
    const char *text;       /* whole expression */
    const char *p;          /* next character */
    struct fs_arena *arena; /* where strings go */
    struct fs_diag *diag;   /* where errors go */
};

static int
fail(struct cursor *c, const char *at, const char *fmt, const char *arg)
{
    return fs_diag_set(c->diag, FS_ESCENARIO, NULL, 0, (int)(at - c->text) + 1,
                       fmt, arg ? arg : "");
}

static void
skip_ws(struct cursor *c)
{
    while (*c->p == ' ' || *c->p == '\t')
        c->p++;
}

static bool
is_ident(char ch)
{
    return isalnum((unsigned char)ch) || ch == '_';
}

/* A quoted string ("..." or '...'), with \" and \\ escapes. */
static int
parse_quoted(struct cursor *c, const char **out)
{
    const char *start = c->p;
    char q = *c->p;
    if (q != '"' && q != '\'')
        return fail(c, start, "expected a quoted string%s", NULL);
    size_t cap = strlen(c->p) + 1;
    char *buf = fs_arena_alloc(c->arena, cap);
    size_t n = 0;
    c->p++;
    while (*c->p != q) {
        if (*c->p == '\0')
            return fail(c, start, "unterminated string%s", NULL);
        if (*c->p == '\\' && (c->p[1] == q || c->p[1] == '\\'))
            c->p++;
        buf[n++] = *c->p++;
    }
    c->p++;
    buf[n] = '\0';
    *out = buf;
    return 0;
}

static int
check_label_value(struct cursor *c, const char *at, enum fs_metric f, int label,
                  const char *value)
{
    const char *const *allowed = fs_metric_label_values(f, label);
    if (allowed == NULL)
        return 0;
    for (size_t i = 0; allowed[i] != NULL; i++)
        if (strcmp(allowed[i], value) == 0)
            return 0;
    char list[256] = "";
    for (size_t i = 0; allowed[i] != NULL; i++) {
        strncat(list, i ? ", " : "", sizeof(list) - strlen(list) - 1);
        strncat(list, allowed[i], sizeof(list) - strlen(list) - 1);
    }
    return fs_diag_set(c->diag, FS_ESCENARIO, NULL, 0, (int)(at - c->text) + 1,
                       "unknown value \"%s\" for label '%s'; expected one "
                       "of: %s",
                       value, fs_metric_labels(f, &(size_t){0})[label], list);
}

/* One `key="value"` inside the braces. */
static int
parse_label(struct cursor *c, struct fs_expr *e)
{
    skip_ws(c);
    const char *kstart = c->p;
    while (is_ident(*c->p))
        c->p++;
    size_t klen = (size_t)(c->p - kstart);
    if (klen == 0)
        return fail(c, kstart, "expected a label name%s", NULL);
    int idx = fs_metric_label_index(e->metric, kstart, klen);
    if (idx < 0) {
        size_t n;
        const char *const *keys = fs_metric_labels(e->metric, &n);
        char list[160] = "";
        for (size_t i = 0; i < n; i++) {
            strncat(list, i ? ", " : "", sizeof(list) - strlen(list) - 1);
            strncat(list, keys[i], sizeof(list) - strlen(list) - 1);
        }
        return fs_diag_set(c->diag, FS_ESCENARIO, NULL, 0,
                           (int)(kstart - c->text) + 1,
                           "unknown label '%.*s' for %s; expected one of: %s",
                           (int)klen, kstart, fs_metric_name(e->metric), list);
    }
    for (size_t i = 0; i < e->nsel; i++)
        if (e->sel[i].label == idx)
            return fail(c, kstart, "label given twice%s", NULL);
    skip_ws(c);
    if (*c->p != '=')
        return fail(c, c->p, "expected '=' after the label name%s", NULL);
    c->p++;
    skip_ws(c);
    const char *vstart = c->p;
    const char *value;
    int err = parse_quoted(c, &value);
    if (err != 0)
        return err;
    err = check_label_value(c, vstart, e->metric, idx, value);
    if (err != 0)
        return err;
    const char *key = fs_metric_labels(e->metric, &(size_t){0})[idx];
    if (e->metric == FS_M_ROLLOUT_TIME && strcmp(key, "reached") == 0) {
        struct fs_share sh;
        const char *why;
        if (fs_units_share(value, &sh, &why) != 0 || !sh.is_percent)
            return fail(c, vstart,
                        "reached= needs a percentage like \"99%%\""
                        "%s",
                        NULL);
        e->reached_ppm = sh.ppm;
        return 0;
    }
    if (strcmp(key, "id") == 0)
        e->rollout_id = value;
    FS_ASSERT(e->nsel < FS_METRIC_LABELS_MAX);
    e->sel_column[e->nsel] = (int)(vstart - c->text) + 1;
    e->sel[e->nsel].label = idx;
    e->sel[e->nsel].value = value;
    e->nsel++;
    return 0;
}

static int
parse_labels(struct cursor *c, struct fs_expr *e)
{
    if (*c->p != '{')
        return 0;
    const char *open = c->p++;
    skip_ws(c);
    if (*c->p == '}') {
        c->p++;
        return 0;
    }
    for (;;) {
        int err = parse_label(c, e);
        if (err != 0)
            return err;
        skip_ws(c);
        if (*c->p == ',') {
            c->p++;
            continue;
        }
        if (*c->p == '}') {
            c->p++;
            return 0;
        }
        if (*c->p == '\0')
            return fail(c, open, "unclosed '{'%s", NULL);
        return fail(c, c->p, "expected ',' or '}' in the labels%s", NULL);
    }
}

static int
parse_op(struct cursor *c, struct fs_expr *e)
{
    static const struct {
        const char *text;
        enum fs_cmp op;
    } ops[] = {{"==", FS_CMP_EQ}, {"!=", FS_CMP_NE}, {"<=", FS_CMP_LE},
               {">=", FS_CMP_GE}, {"<", FS_CMP_LT},  {">", FS_CMP_GT}};
    skip_ws(c);
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        size_t n = strlen(ops[i].text);
        if (strncmp(c->p, ops[i].text, n) == 0) {
            e->op = ops[i].op;
            c->p += n;
            return 0;
        }
    }
    return fail(c, c->p, "expected an operator: == != < <= > >=%s", NULL);
}

/*
 * A plain decimal number: [-+]digits[.digits], at most 18 digits before the
 * point and 9 after, kept exactly as value * 10^9. Hex, exponents, inf and
 * nan are not numbers here. True when buf is one.
 */
static bool
parse_decimal_exact(const char *buf, __int128 *out_e9)
{
    const char *p = buf;
    bool neg = false;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    __int128 ip = 0;
    int nint = 0;
    for (; *p >= '0' && *p <= '9'; p++, nint++) {
        if (nint == 18)
            return false;
        ip = ip * 10 + (*p - '0');
    }
    if (nint == 0)
        return false;
    __int128 frac = 0;
    int nfrac = 0;
    if (*p == '.') {
        p++;
        for (; *p >= '0' && *p <= '9'; p++, nfrac++) {
            if (nfrac == 9)
                return false;
            frac = frac * 10 + (*p - '0');
        }
        if (nfrac == 0)
            return false;
    }
    if (*p != '\0')
        return false;
    for (int i = nfrac; i < 9; i++)
        frac *= 10;
    __int128 v = ip * 1000000000 + frac;
    *out_e9 = neg ? -v : v;
    return true;
}

static int
parse_number_value(struct cursor *c, struct fs_expr *e, const char *start)
{
    const char *end = start;
    while (*end != '\0' && *end != ' ' && *end != '\t')
        end++;
    size_t len = (size_t)(end - start);
    char buf[64];
    if (len == 0 || len >= sizeof(buf))
        return fail(c, start,
                    "expected a number, a duration, a percentage "
                    "or a quoted string%s",
                    NULL);
    memcpy(buf, start, len);
    buf[len] = '\0';
    c->p = end;
    const char *why = NULL;
    if (buf[len - 1] == '%') {
        struct fs_share sh;
        if (fs_units_share(buf, &sh, &why) != 0)
            return fail(c, start, "bad percentage: %s", why);
        e->kind = FS_VAL_PERCENT;
        e->number = (double)sh.ppm / 1e4;
        e->percent_ppm = sh.ppm;
        return 0;
    }
    if (parse_decimal_exact(buf, &e->number_e9)) {
        e->kind = FS_VAL_NUMBER;
        e->number = (double)e->number_e9 / 1e9;
        return 0;
    }
    if (fs_units_duration(buf, &e->duration_us, &why) != 0)
        return fail(c, start,
                    "expected a number, a duration, a percentage "
                    "or a quoted string: %s",
                    why);
    e->kind = FS_VAL_DURATION;
    return 0;
}

static int
check_kinds(struct cursor *c, struct fs_expr *e, const char *vstart)
{
    enum fs_metric_kind mk = fs_metric_kind(e->metric);
    if ((e->metric == FS_M_ROLLOUT_STATE || e->metric == FS_M_ROLLOUT_WAVE ||
         e->metric == FS_M_ROLLOUT_TIME) &&
        e->rollout_id == NULL)
        return fail(c, c->text, "%s needs an id=\"DEPLOYMENT\" label",
                    fs_metric_name(e->metric));
    if (e->metric == FS_M_ROLLOUT_TIME && e->reached_ppm == 0)
        return fail(c, c->text,
                    "rollout_time needs a reached=\"N%%\" "
                    "label%s",
                    NULL);
    if (mk == FS_MK_STRING) {
        if (e->kind != FS_VAL_STRING)
            return fail(c, vstart,
                        "%s holds a string; compare it with a "
                        "quoted string",
                        fs_metric_name(e->metric));
        if (e->op != FS_CMP_EQ && e->op != FS_CMP_NE)
            return fail(c, c->text, "strings compare only with == or !=%s",
                        NULL);
        return 0;
    }
    if (mk == FS_MK_DURATION) {
        if (e->kind != FS_VAL_DURATION)
            return fail(c, vstart,
                        "%s is a duration; compare it with a "
                        "duration like 6h",
                        fs_metric_name(e->metric));
        return 0;
    }
    if (e->kind != FS_VAL_NUMBER && e->kind != FS_VAL_PERCENT)
        return fail(c, vstart,
                    "%s is a count; compare it with a number or a "
                    "percentage",
                    fs_metric_name(e->metric));
    return 0;
}

int
fs_expect_parse(const char *text, struct fs_arena *arena, struct fs_expr *out,
                struct fs_diag *diag)
{
    struct cursor c = {text, text, arena, diag};
    struct fs_expr e;
    memset(&e, 0, sizeof(e));
    skip_ws(&c);
    const char *mstart = c.p;
    while (is_ident(*c.p))
        c.p++;
    e.metric = fs_metric_lookup(mstart, (size_t)(c.p - mstart));
    if (e.metric == FS_M_COUNT)
        return fs_diag_set(diag, FS_ESCENARIO, NULL, 0,
                           (int)(mstart - text) + 1,
                           "unknown metric '%.*s'; expected devices, "
                           "attestations, certificates, updates, "
                           "error_reports, attacks, firewall, tickets, "
                           "rollout_state, rollout_wave or rollout_time",
                           (int)(c.p - mstart), mstart);
    int err = parse_labels(&c, &e);
    if (err == 0)
        err = parse_op(&c, &e);
    if (err != 0)
        return err;
    skip_ws(&c);
    const char *vstart = c.p;
    if (*c.p == '"' || *c.p == '\'') {
        err = parse_quoted(&c, &e.string);
        e.kind = FS_VAL_STRING;
    } else {
        err = parse_number_value(&c, &e, vstart);
    }
    if (err != 0)
        return err;
    skip_ws(&c);
    if (*c.p != '\0')
        return fail(&c, c.p, "unexpected text after the value%s", NULL);
    err = check_kinds(&c, &e, vstart);
    if (err != 0)
        return err;
    e.text = fs_arena_strdup(arena, text);
    *out = e;
    return 0;
}

const char *
fs_cmp_text(enum fs_cmp op)
{
    static const char *const t[] = {"==", "!=", "<", "<=", ">", ">="};
    return t[op];
}

/* Does a comparison whose three-way result is sign (-1, 0, 1) satisfy op? */
static bool
cmp_sign(int sign, enum fs_cmp op)
{
    switch (op) {
    case FS_CMP_EQ:
        return sign == 0;
    case FS_CMP_NE:
        return sign != 0;
    case FS_CMP_LT:
        return sign < 0;
    case FS_CMP_LE:
        return sign <= 0;
    case FS_CMP_GT:
        return sign > 0;
    case FS_CMP_GE:
        return sign >= 0;
    }
    return false;
}

static bool
cmp_int(int64_t a, enum fs_cmp op, int64_t b)
{
    return cmp_sign((a > b) - (a < b), op);
}

static bool
eval_duration(const struct fs_expr *e, const struct fs_metrics *m, char *seen,
              size_t seen_len)
{
    int64_t us = INT64_MAX;
    if (fs_metrics_rollout_time(m, e->rollout_id, e->reached_ppm, &us) != 0)
        us = INT64_MAX;
    if (us == INT64_MAX)
        snprintf(seen, seen_len, "never");
    else
        fs_units_format_duration_human(us, seen, (unsigned)seen_len);
    return cmp_int(us, e->op, e->duration_us);
}

bool
fs_expect_eval(const struct fs_expr *e, const struct fs_metrics *m, char *seen,
               size_t seen_len)
{
    switch (fs_metric_kind(e->metric)) {
    case FS_MK_STRING: {
        const char *s = fs_metrics_string(m, e->metric, e->sel, e->nsel);
        snprintf(seen, seen_len, "\"%s\"", s ? s : "");
        bool eq = strcmp(s ? s : "", e->string) == 0;
        return e->op == FS_CMP_EQ ? eq : !eq;
    }
    case FS_MK_DURATION:
        return eval_duration(e, m, seen, seen_len);
    case FS_MK_COUNT:
        break;
    }
    int64_t v = fs_metrics_sum(m, e->metric, e->sel, e->nsel);
    if (e->kind == FS_VAL_PERCENT) {
        int64_t total = fs_metrics_sum(m, e->metric, NULL, 0);
        double share = total > 0 ? 100.0 * (double)v / (double)total : 0.0;
        snprintf(seen, seen_len, "%" PRId64 " (%.2f%% of %" PRId64 ")", v,
                 share, total);
        /* Exact: v / total against ppm / 1e6, compared as v * 1e6 and
           ppm * total in 128-bit integers (no rounding at 7% of 100). */
        __int128 lhs = (__int128)v * 1000000;
        __int128 rhs = (__int128)e->percent_ppm * total;
        return cmp_sign((lhs > rhs) - (lhs < rhs), e->op);
    }
    snprintf(seen, seen_len, "%" PRId64, v);
    /* Exact: the count against the literal, both times 10^9. */
    __int128 lhs = (__int128)v * 1000000000;
    return cmp_sign((lhs > e->number_e9) - (lhs < e->number_e9), e->op);
}
