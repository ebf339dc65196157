/*
 * tests/test_expect.c - expectations: parsing every form and every error,
 * and evaluation against a hand-filled metrics registry.
 *
 * Owns: the cmocka group for sim/scenario/expect.c.
 * Invariants: every error test checks the error code, the 1-based column
 * of the offending character and a piece of the message; teardown checks
 * that no block is left allocated.
 * Does not: load scenarios or simulate; the registry is filled by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fleetsim/err.h"
#include "fleetsim/expect.h"
#include "fleetsim/mem.h"
#include "fleetsim/metrics.h"

#define US_S INT64_C(1000000)
#define US_M (60 * US_S)
#define US_H (3600 * US_S)
#define US_D (24 * US_H)

static int
teardown(void **state)
{
    (void)state;
    assert_int_equal(fs_mem_live_blocks(), 0);
    return 0;
}

/* Parse text, which must succeed, into *e; strings live in arena. */
static void
parse_ok(struct fs_arena *arena, const char *text, struct fs_expr *e)
{
    struct fs_diag d;
    fs_diag_clear(&d);
    memset(e, 0xa5, sizeof(*e));
    int err = fs_expect_parse(text, arena, e, &d);
    if (err != 0)
        fail_msg("'%s': unexpected error at column %d: %s", text, d.column,
                 d.msg);
    assert_string_equal(e->text, text);
}

/* Parse text, which must fail at column with a message holding substr. */
static void
parse_bad(const char *text, int column, const char *substr)
{
    struct fs_arena arena;
    struct fs_expr e;
    struct fs_diag d;
    fs_arena_init(&arena);
    fs_diag_clear(&d);
    memset(&e, 0x5a, sizeof(e));
    int err = fs_expect_parse(text, &arena, &e, &d);
    if (err != FS_ESCENARIO || d.column != column ||
        strstr(d.msg, substr) == NULL)
        fail_msg("'%s': got %d at column %d: %s; wanted column %d: ...%s...",
                 text, err, d.column, d.msg, column, substr);
    assert_int_equal(d.line, 0); /* the caller adds file and line */
    /* *out is untouched on failure. */
    unsigned char *p = (unsigned char *)&e;
    for (size_t i = 0; i < sizeof(e); i++)
        assert_int_equal(p[i], 0x5a);
    fs_arena_fini(&arena);
}

/* The value of label key in e's selectors, or NULL when not selected. */
static const char *
sel_value(const struct fs_expr *e, const char *key)
{
    int idx = fs_metric_label_index(e->metric, key, strlen(key));
    for (size_t i = 0; i < e->nsel; i++)
        if (e->sel[i].label == idx)
            return e->sel[i].value;
    return NULL;
}

/* ===================================================== parsing, good */

static void
test_parse_every_operator(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        enum fs_cmp op;
        const char *optext;
    } cases[] = {
        {"devices == 5", FS_CMP_EQ, "=="},
        {"devices != 5", FS_CMP_NE, "!="},
        {"devices < 5", FS_CMP_LT, "<"},
        {"devices <= 5", FS_CMP_LE, "<="},
        {"devices > 5", FS_CMP_GT, ">"},
        {"devices >= 5", FS_CMP_GE, ">="},
        /* Spacing is free around the operator. */
        {"devices>=5", FS_CMP_GE, ">="},
        {"devices<5", FS_CMP_LT, "<"},
        {"  devices   !=\t5  ", FS_CMP_NE, "!="},
    };
    struct fs_arena arena;
    fs_arena_init(&arena);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fs_expr e;
        parse_ok(&arena, cases[i].text, &e);
        assert_int_equal(e.metric, FS_M_DEVICES);
        assert_int_equal(e.op, cases[i].op);
        assert_int_equal(e.kind, FS_VAL_NUMBER);
        assert_true(e.number == 5.0);
        assert_int_equal(e.nsel, 0);
        assert_string_equal(fs_cmp_text(e.op), cases[i].optext);
    }
    fs_arena_fini(&arena);
}

static void
test_parse_every_family(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        enum fs_metric f;
    } cases[] = {
        {"devices == 1", FS_M_DEVICES},
        {"attestations == 1", FS_M_ATTESTATIONS},
        {"certificates == 1", FS_M_CERTIFICATES},
        {"updates == 1", FS_M_UPDATES},
        {"error_reports == 1", FS_M_ERROR_REPORTS},
        {"attacks == 1", FS_M_ATTACKS},
        {"firewall == 1", FS_M_FIREWALL},
        {"tickets == 1", FS_M_TICKETS},
        {"rollout_state{id=\"d\"} == \"running\"", FS_M_ROLLOUT_STATE},
        {"rollout_wave{id=\"d\"} == 1", FS_M_ROLLOUT_WAVE},
        {"rollout_time{id=\"d\", reached=\"50%\"} < 1h", FS_M_ROLLOUT_TIME},
    };
    struct fs_arena arena;
    fs_arena_init(&arena);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fs_expr e;
        parse_ok(&arena, cases[i].text, &e);
        assert_int_equal(e.metric, cases[i].f);
    }
    fs_arena_fini(&arena);
}

static void
test_parse_labels(void **state)
{
    (void)state;
    struct fs_arena arena;
    struct fs_expr e;
    fs_arena_init(&arena);

    parse_ok(&arena,
             "devices{product=\"DW100\", group='field-a', os=\"24.01\","
             "app=\"app-1.5.0\",state=\"running\", compromised=\"false\"}"
             " >= 3",
             &e);
    assert_int_equal(e.metric, FS_M_DEVICES);
    assert_int_equal(e.nsel, 6);
    assert_string_equal(sel_value(&e, "product"), "DW100");
    assert_string_equal(sel_value(&e, "group"), "field-a");
    assert_string_equal(sel_value(&e, "os"), "24.01");
    assert_string_equal(sel_value(&e, "app"), "app-1.5.0");
    assert_string_equal(sel_value(&e, "state"), "running");
    assert_string_equal(sel_value(&e, "compromised"), "false");
    assert_null(e.rollout_id);

    /* Selectors keep the order written, whatever the family's order. */
    parse_ok(&arena, "attestations{reason=\"os_too_old\", result=\"fail\"} > 0",
             &e);
    assert_int_equal(e.nsel, 2);
    assert_int_equal(e.sel[0].label, 1);
    assert_string_equal(e.sel[0].value, "os_too_old");
    assert_int_equal(e.sel[1].label, 0);
    assert_string_equal(e.sel[1].value, "fail");

    /* Empty braces, spaces inside braces, and escapes in values. */
    parse_ok(&arena, "tickets{} == 0", &e);
    assert_int_equal(e.nsel, 0);
    parse_ok(&arena, "tickets{ reason = \"heater\" } == 0", &e);
    assert_string_equal(sel_value(&e, "reason"), "heater");
    parse_ok(&arena, "updates{image=\"a\\\"b\\\\c\"} == 0", &e);
    assert_string_equal(sel_value(&e, "image"), "a\"b\\c");
    /* Free-form labels accept any value. */
    parse_ok(&arena, "error_reports{kind=\"app_crash\", image=\"x y\"} >= 0",
             &e);
    assert_string_equal(sel_value(&e, "image"), "x y");

    /* Every closed value of a few families parses. */
    parse_ok(&arena,
             "updates{result=\"rolled_back\", reason=\"power_loss\"}"
             " == 0",
             &e);
    parse_ok(&arena,
             "attacks{kind=\"checkin_flood\", outcome=\"blocked\"}"
             " == 0",
             &e);
    parse_ok(&arena, "firewall{kind=\"keystore\", result=\"allowed\"} == 0",
             &e);
    parse_ok(&arena, "certificates{result=\"rejected\"} == 0", &e);

    /* The value returned is copied into the arena, not the input. */
    char buf[64];
    snprintf(buf, sizeof(buf), "tickets{reason=\"fan\"} == 1");
    parse_ok(&arena, buf, &e);
    memset(buf, 'x', sizeof(buf) - 1);
    assert_string_equal(sel_value(&e, "reason"), "fan");
    assert_string_equal(e.text, "tickets{reason=\"fan\"} == 1");
    fs_arena_fini(&arena);
}

static void
test_parse_values(void **state)
{
    (void)state;
    struct fs_arena arena;
    struct fs_expr e;
    fs_arena_init(&arena);

    parse_ok(&arena, "devices == 0", &e);
    assert_int_equal(e.kind, FS_VAL_NUMBER);
    assert_true(e.number == 0.0);
    parse_ok(&arena, "devices >= 10000", &e);
    assert_true(e.number == 10000.0);
    parse_ok(&arena, "devices <= 2.5", &e);
    assert_true(e.number == 2.5);

    parse_ok(&arena, "devices{os=\"24.01\"} >= 99%", &e);
    assert_int_equal(e.kind, FS_VAL_PERCENT);
    assert_true(e.number == 99.0);
    parse_ok(&arena, "devices{state=\"offline\"} < 12.5%", &e);
    assert_int_equal(e.kind, FS_VAL_PERCENT);
    assert_true(e.number == 12.5);
    parse_ok(&arena, "devices == 100%", &e);
    assert_true(e.number == 100.0);
    parse_ok(&arena, "devices == 0%", &e);
    assert_int_equal(e.kind, FS_VAL_PERCENT);
    assert_true(e.number == 0.0);

    parse_ok(&arena, "rollout_time{id=\"x\", reached=\"99%\"} <= 6h", &e);
    assert_int_equal(e.metric, FS_M_ROLLOUT_TIME);
    assert_int_equal(e.kind, FS_VAL_DURATION);
    assert_int_equal(e.duration_us, 6 * US_H);
    assert_int_equal(e.reached_ppm, 990000);
    assert_string_equal(e.rollout_id, "x");
    /* reached is not a selector; id is. */
    assert_int_equal(e.nsel, 1);
    assert_string_equal(sel_value(&e, "id"), "x");
    parse_ok(&arena, "rollout_time{reached=\"0.5%\", id=\"y\"} > 90m", &e);
    assert_int_equal(e.reached_ppm, 5000);
    assert_int_equal(e.duration_us, 90 * US_M);
    assert_string_equal(e.rollout_id, "y");
    parse_ok(&arena, "rollout_time{id=\"y\", reached=\"100%\"} < 1.5d", &e);
    assert_int_equal(e.reached_ppm, 1000000);
    assert_int_equal(e.duration_us, 36 * US_H);
    parse_ok(&arena, "rollout_time{id=\"y\", reached=\"1%\"} != 250ms", &e);
    assert_int_equal(e.duration_us, 250000);

    parse_ok(&arena, "rollout_state{id=\"x\"} == \"completed\"", &e);
    assert_int_equal(e.metric, FS_M_ROLLOUT_STATE);
    assert_int_equal(e.kind, FS_VAL_STRING);
    assert_string_equal(e.string, "completed");
    assert_string_equal(e.rollout_id, "x");
    assert_int_equal(e.op, FS_CMP_EQ);
    parse_ok(&arena, "rollout_state{id='x'} != 'halted'", &e);
    assert_string_equal(e.string, "halted");
    assert_int_equal(e.op, FS_CMP_NE);
    parse_ok(&arena, "rollout_state{id=\"x\"} == \"\"", &e);
    assert_string_equal(e.string, "");

    parse_ok(&arena, "rollout_wave{id=\"x\"} >= 2", &e);
    assert_int_equal(e.kind, FS_VAL_NUMBER);
    assert_string_equal(e.rollout_id, "x");
    fs_arena_fini(&arena);
}

/* ====================================================== parsing, bad */

static void
test_parse_err_unknown_metric(void **state)
{
    (void)state;
    parse_bad("devicez == 1", 1, "unknown metric 'devicez'");
    parse_bad("   widgets == 1", 4, "unknown metric 'widgets'");
    parse_bad("== 1", 1, "unknown metric ''");
    parse_bad("", 1, "unknown metric");
    /* Case matters. */
    parse_bad("Devices == 1", 1, "unknown metric 'Devices'");
}

static void
test_parse_err_unknown_label(void **state)
{
    (void)state;
    parse_bad("devices{colour=\"red\"} == 1", 9,
              "unknown label 'colour' for devices; expected one of: "
              "product, group, os, app, state, compromised");
    parse_bad("attestations{result=\"pass\", resul=\"x\"} == 1", 29,
              "unknown label 'resul' for attestations; expected one of: "
              "result, reason");
    parse_bad("tickets{ kind=\"x\"} == 1", 10, "expected one of: reason");
}

static void
test_parse_err_unknown_closed_value(void **state)
{
    (void)state;
    /* The column is the opening quote of the value. */
    parse_bad("devices{state=\"asleep\"} == 1", 15,
              "unknown value \"asleep\" for label 'state'; expected one of: "
              "running, updating, rebooting, offline, recovery");
    parse_bad("devices{compromised=\"yes\"} == 0", 21,
              "expected one of: true, false");
    parse_bad("attestations{result=\"pass\", reason=\"too_old\"} == 0", 36,
              "unknown value \"too_old\" for label 'reason'");
    parse_bad("updates{result=\"done\"} == 0", 16,
              "unknown value \"done\" for label 'result'");
    parse_bad("attacks{kind=\"dos\"} == 0", 14, "for label 'kind'");
}

static void
test_parse_err_missing_operator(void **state)
{
    (void)state;
    parse_bad("devices 5", 9, "expected an operator");
    parse_bad("devices{state=\"running\"} 5", 26, "expected an operator");
    parse_bad("devices", 8, "expected an operator");
    parse_bad("devices = 5", 9, "expected an operator: == != < <= > >=");
    parse_bad("devices => 5", 9, "expected an operator");
}

static void
test_parse_err_unterminated_string(void **state)
{
    (void)state;
    /* The column is the opening quote. */
    parse_bad("rollout_state{id=\"x\"} == \"completed", 26,
              "unterminated string");
    parse_bad("devices{os=\"24.01} == 1", 12, "unterminated string");
    parse_bad("rollout_state{id=\"x\"} == 'done\"", 26, "unterminated string");
}

static void
test_parse_err_trailing_text(void **state)
{
    (void)state;
    parse_bad("devices == 5 devices", 14, "unexpected text after the value");
    parse_bad("rollout_state{id=\"x\"} == \"a\" \"b\"", 30,
              "unexpected text after the value");
    parse_bad("devices == 5 # comment", 14, "unexpected text");
}

static void
test_parse_err_wrong_kind(void **state)
{
    (void)state;
    /* The column is the start of the value. */
    parse_bad("devices == 6h", 12,
              "devices is a count; compare it with a number or a "
              "percentage");
    parse_bad("attestations >= \"many\"", 17, "attestations is a count");
    parse_bad("rollout_state{id=\"x\"} == 3", 26,
              "rollout_state holds a string; compare it with a quoted "
              "string");
    parse_bad("rollout_state{id=\"x\"} == 50%", 26, "holds a string");
    parse_bad("rollout_time{id=\"x\", reached=\"99%\"} <= 5", 40,
              "rollout_time is a duration; compare it with a duration");
    parse_bad("rollout_time{id=\"x\", reached=\"99%\"} <= \"6h\"", 40,
              "is a duration");
    parse_bad("rollout_wave{id=\"x\"} == \"2\"", 25, "rollout_wave is a count");
    /* Strings compare only for equality; the column is the expression. */
    parse_bad("rollout_state{id=\"x\"} < \"running\"", 1,
              "strings compare only with == or !=");
    /* Values that are none of the kinds. */
    parse_bad("devices == abc", 12, "expected a number, a duration");
    parse_bad("devices == 5x", 12, "expected a number, a duration");
    parse_bad("devices ==", 11, "expected a number");
    parse_bad("devices == -1h", 12, "expected a number");
}

static void
test_parse_err_rollout_without_id(void **state)
{
    (void)state;
    parse_bad("rollout_state == \"running\"", 1,
              "rollout_state needs an id=\"DEPLOYMENT\" label");
    parse_bad("rollout_wave{} == 1", 1,
              "rollout_wave needs an id=\"DEPLOYMENT\" label");
    parse_bad("rollout_time{reached=\"99%\"} <= 6h", 1,
              "rollout_time needs an id=\"DEPLOYMENT\" label");
}

static void
test_parse_err_rollout_time_without_reached(void **state)
{
    (void)state;
    parse_bad("rollout_time{id=\"x\"} <= 6h", 1,
              "rollout_time needs a reached=\"N%\" label");
    /* reached must be a percentage; the column is its opening quote. */
    parse_bad("rollout_time{id=\"x\", reached=\"5\"} <= 6h", 30,
              "reached= needs a percentage like \"99%\"");
    parse_bad("rollout_time{id=\"x\", reached=\"lots\"} <= 6h", 30,
              "reached= needs a percentage");
}

static void
test_parse_err_label_syntax(void **state)
{
    (void)state;
    parse_bad("devices{os=\"1\", os=\"2\"} == 1", 17, "label given twice");
    parse_bad("devices{os \"1\"} == 1", 12, "expected '=' after the label");
    parse_bad("devices{os=1} == 1", 12, "expected a quoted string");
    parse_bad("devices{os=\"1\" state=\"running\"} == 1", 16,
              "expected ',' or '}' in the labels");
    parse_bad("devices{os=\"1\"", 8, "unclosed '{'");
    parse_bad("devices{=\"1\"} == 1", 9, "expected a label name");
    parse_bad("devices{os=\"1\",} == 1", 16, "expected a label name");
    parse_bad("devices == 101%", 12, "bad percentage");
}

/* =================================================== evaluation */

/* Values of the devices family, in label order. */
static uint32_t
dev_series(struct fs_metrics *m, const char *product, const char *group,
           const char *os, const char *app, const char *st, const char *comp)
{
    const char *v[6] = {product, group, os, app, st, comp};
    return fs_metrics_series(m, FS_M_DEVICES, v);
}

/* Evaluate text against m; returns the verdict, writes what was seen. */
static bool
eval_text(const struct fs_metrics *m, const char *text, char *seen,
          size_t seen_len)
{
    struct fs_arena arena;
    struct fs_expr e;
    fs_arena_init(&arena);
    parse_ok(&arena, text, &e);
    memset(seen, 0, seen_len);
    bool held = fs_expect_eval(&e, m, seen, seen_len);
    fs_arena_fini(&arena);
    return held;
}

static void
expect_eval(const struct fs_metrics *m, const char *text, bool want,
            const char *want_seen)
{
    char seen[96];
    bool held = eval_text(m, text, seen, sizeof(seen));
    if (held != want || (want_seen != NULL && strcmp(seen, want_seen) != 0))
        fail_msg("'%s': got %s (seen '%s'); wanted %s (seen '%s')", text,
                 held ? "held" : "failed", seen, want ? "held" : "failed",
                 want_seen ? want_seen : "*");
}

/*
 * A small fleet: 10 devices.
 *   4  DW100 field-a os-23.04 app-1.4.0             running   false
 *   3  DW100 field-b os-24.01 app-1.5.0             running   false
 *   1  DW100 field-b os-24.01 app-1.5.0             offline   false
 *   2  HX7   field-a os-24.01 hx-app-2.0,hx-rt-1.0  updating  true
 */
static struct fs_metrics *
make_fleet(void)
{
    struct fs_metrics *m = NULL;
    assert_int_equal(fs_metrics_create(&m), 0);
    fs_metrics_alias(m, "os-23.04", "23.04");
    fs_metrics_alias(m, "os-24.01", "24.01");
    fs_metrics_alias(m, "app-1.4.0", "1.4.0");
    fs_metrics_alias(m, "app-1.5.0", "1.5.0");
    fs_metrics_alias(m, "hx-app-2.0", "2.0");
    fs_metrics_alias(m, "hx-rt-1.0", "1.0");
    fs_metrics_add(m,
                   dev_series(m, "DW100", "field-a", "os-23.04", "app-1.4.0",
                              "running", "false"),
                   4);
    fs_metrics_add(m,
                   dev_series(m, "DW100", "field-b", "os-24.01", "app-1.5.0",
                              "running", "false"),
                   3);
    fs_metrics_add(m,
                   dev_series(m, "DW100", "field-b", "os-24.01", "app-1.5.0",
                              "offline", "false"),
                   1);
    fs_metrics_add(m,
                   dev_series(m, "HX7", "field-a", "os-24.01",
                              "hx-app-2.0,hx-rt-1.0", "updating", "true"),
                   2);
    /* A gauge that went up and back down to zero stays a series of 0. */
    uint32_t s =
        dev_series(m, "HX7", "field-b", "os-23.04", NULL, "rebooting", "false");
    fs_metrics_add(m, s, 1);
    fs_metrics_add(m, s, -1);
    return m;
}

static void
test_eval_counts_and_subsets(void **state)
{
    (void)state;
    struct fs_metrics *m = make_fleet();
    expect_eval(m, "devices == 10", true, "10");
    expect_eval(m, "devices{} == 10", true, "10");
    expect_eval(m, "devices != 10", false, "10");
    expect_eval(m, "devices < 10", false, NULL);
    expect_eval(m, "devices <= 10", true, NULL);
    expect_eval(m, "devices > 9", true, NULL);
    expect_eval(m, "devices >= 11", false, NULL);
    expect_eval(m, "devices{product=\"DW100\"} == 8", true, "8");
    expect_eval(m, "devices{product=\"HX7\"} == 2", true, "2");
    expect_eval(m, "devices{group=\"field-b\"} == 4", true, "4");
    expect_eval(m, "devices{product=\"DW100\", group=\"field-a\"} == 4", true,
                "4");
    expect_eval(m, "devices{state=\"running\"} == 7", true, "7");
    expect_eval(m, "devices{state=\"offline\"} == 1", true, "1");
    expect_eval(m, "devices{state=\"rebooting\"} == 0", true, "0");
    expect_eval(m, "devices{state=\"recovery\"} == 0", true, "0");
    expect_eval(m, "devices{compromised=\"true\"} == 2", true, "2");
    expect_eval(m, "devices{compromised=\"true\", state=\"running\"} == 0",
                true, "0");
    expect_eval(m, "devices{product=\"NOPE\"} == 0", true, "0");
    /* Values compare exactly: no prefixes, no case folding. */
    expect_eval(m, "devices{product=\"DW\"} == 0", true, "0");
    expect_eval(m, "devices{product=\"dw100\"} == 0", true, "0");
    /* A series with no value for a label never matches a selector on it. */
    expect_eval(m, "devices{app=\"\"} == 0", true, "0");
    fs_metrics_destroy(m);
}

/* Counts compare as integers against the exact decimal literal; only plain
   decimals are numbers (no hex, exponent, inf or nan). */
static void
test_eval_counts_exact(void **state)
{
    (void)state;
    struct fs_metrics *m = make_fleet();
    expect_eval(m, "devices == 10.0", true, "10");
    expect_eval(m, "devices == 10.000000001", false, "10");
    expect_eval(m, "devices < 10.000000001", true, "10");
    expect_eval(m, "devices > 9.999999999", true, "10");
    expect_eval(m, "devices >= 10.000000001", false, "10");
    expect_eval(m, "devices != 10.000000001", true, "10");
    expect_eval(m, "devices > -1", true, "10");
    expect_eval(m, "devices <= 999999999999999999", true, "10");
    fs_metrics_destroy(m);
}

static void
test_parse_err_not_decimal(void **state)
{
    (void)state;
    parse_bad("devices == 0x2", 12, "expected a number");
    parse_bad("devices == 1e1", 12, "expected a number");
    parse_bad("devices == inf", 12, "expected a number");
    parse_bad("devices == nan", 12, "expected a number");
    parse_bad("devices == 2.0000000000000001", 12, "expected a number");
    parse_bad("devices == 1.", 12, "expected a number");
    parse_bad("devices{group=\"field-a\", group=\"field-a\"} == 1", 26,
              "label given twice");
}

static void
test_eval_aliases(void **state)
{
    (void)state;
    struct fs_metrics *m = make_fleet();
    /* The id matches, and so does its alias (the image's version). */
    expect_eval(m, "devices{os=\"os-24.01\"} == 6", true, "6");
    expect_eval(m, "devices{os=\"24.01\"} == 6", true, "6");
    expect_eval(m, "devices{os=\"23.04\"} == 4", true, "4");
    expect_eval(m, "devices{os=\"24.0\"} == 0", true, "0");
    expect_eval(m, "devices{os=\"24.01.0\"} == 0", true, "0");
    expect_eval(m, "devices{os=\"os-24\"} == 0", true, "0");
    /* An alias of one id does not leak onto another id. */
    expect_eval(m, "devices{os=\"1.5.0\"} == 0", true, "0");
    /* A comma-joined app list matches any member, by id or alias. */
    expect_eval(m, "devices{app=\"hx-app-2.0\"} == 2", true, "2");
    expect_eval(m, "devices{app=\"hx-rt-1.0\"} == 2", true, "2");
    expect_eval(m, "devices{app=\"1.0\"} == 2", true, "2");
    expect_eval(m, "devices{app=\"2.0\"} == 2", true, "2");
    expect_eval(m, "devices{app=\"hx-app\"} == 0", true, "0");
    expect_eval(m, "devices{app=\"1.5.0\"} == 4", true, "4");
    expect_eval(m, "devices{app=\"app-1.5.0\", state=\"running\"} == 3", true,
                "3");
    expect_eval(m, "devices{os=\"24.01\", app=\"1.0\"} == 2", true, "2");
    expect_eval(m, "devices{os=\"23.04\", app=\"1.0\"} == 0", true, "0");
    fs_metrics_destroy(m);
}

static void
test_eval_percentages(void **state)
{
    (void)state;
    struct fs_metrics *m = make_fleet();
    /* 6 of 10 devices run 24.01. */
    expect_eval(m, "devices{os=\"24.01\"} == 60%", true, "6 (60.00% of 10)");
    expect_eval(m, "devices{os=\"24.01\"} >= 60%", true, NULL);
    expect_eval(m, "devices{os=\"24.01\"} > 60%", false, NULL);
    expect_eval(m, "devices{os=\"24.01\"} >= 59.9%", true, NULL);
    expect_eval(m, "devices{os=\"24.01\"} >= 60.1%", false, NULL);
    expect_eval(m, "devices{os=\"24.01\"} < 61%", true, NULL);
    expect_eval(m, "devices{os=\"24.01\"} != 60%", false, NULL);
    expect_eval(m, "devices == 100%", true, "10 (100.00% of 10)");
    expect_eval(m, "devices{state=\"offline\"} <= 10%", true,
                "1 (10.00% of 10)");
    expect_eval(m, "devices{state=\"offline\"} < 10%", false, NULL);
    expect_eval(m, "devices{state=\"recovery\"} == 0%", true,
                "0 (0.00% of 10)");
    /* The whole is the unlabelled family, not the other selectors. */
    expect_eval(m, "devices{product=\"HX7\", os=\"24.01\"} == 20%", true, NULL);

    /* A family with no series (total 0): 0 of 0 is every percentage. */
    expect_eval(m, "tickets == 0%", true, "0 (0.00% of 0)");
    expect_eval(m, "tickets{reason=\"heater\"} <= 0%", true, NULL);
    expect_eval(m, "tickets{reason=\"heater\"} >= 50%", true, NULL);
    expect_eval(m, "tickets{reason=\"heater\"} > 0%", false, NULL);
    expect_eval(m, "tickets{reason=\"heater\"} < 100%", false, NULL);
    fs_metrics_destroy(m);
}

/*
 * A percentage of a whole must compare exactly when the share is exact:
 * 7 of 100 is 7%. Computing number / 100 * total in double gives
 * 7.000000000000001 for 7% of 100 (also 14, 28, 55, 56 %), so `>= 7%`
 * fails with 7 of 100. Skipped (not failed) while sim/scenario/expect.c has it.
 */
static void
test_eval_percentages_exact(void **state)
{
    (void)state;
    static const int pct[] = {7, 14, 28, 29, 55, 56, 57, 58, 1, 50, 99};
    struct fs_metrics *m = NULL;
    assert_int_equal(fs_metrics_create(&m), 0);
    uint32_t yes =
        fs_metrics_series(m, FS_M_TICKETS, (const char *const[]){"fan"});
    uint32_t no =
        fs_metrics_series(m, FS_M_TICKETS, (const char *const[]){"heater"});
    int wrong = 0;
    char first[256] = "";
    for (size_t i = 0; i < sizeof(pct) / sizeof(pct[0]); i++) {
        static const char *const ops[] = {"==", ">=", "<="};
        fs_metrics_set(m, yes, pct[i]);
        fs_metrics_set(m, no, 100 - pct[i]);
        for (size_t k = 0; k < 3; k++) {
            char text[64], seen[96];
            snprintf(text, sizeof(text), "tickets{reason=\"fan\"} %s %d%%",
                     ops[k], pct[i]);
            if (!eval_text(m, text, seen, sizeof(seen))) {
                if (wrong++ == 0)
                    snprintf(first, sizeof(first), "'%s' fails with %s", text,
                             seen);
            }
        }
    }
    fs_metrics_destroy(m);
    if (wrong > 0)
        print_message("%d comparisons wrong, e.g. %s\n", wrong, first);
    assert_int_equal(wrong, 0);
}

static void
test_eval_strings(void **state)
{
    (void)state;
    struct fs_metrics *m = NULL;
    assert_int_equal(fs_metrics_create(&m), 0);
    uint32_t x =
        fs_metrics_series(m, FS_M_ROLLOUT_STATE, (const char *const[]){"x"});
    uint32_t y =
        fs_metrics_series(m, FS_M_ROLLOUT_STATE, (const char *const[]){"y"});
    fs_metrics_set_string(m, x, "running");
    fs_metrics_set_string(m, y, "pending");
    expect_eval(m, "rollout_state{id=\"x\"} == \"running\"", true,
                "\"running\"");
    expect_eval(m, "rollout_state{id=\"x\"} != \"running\"", false, NULL);
    expect_eval(m, "rollout_state{id=\"x\"} == \"completed\"", false,
                "\"running\"");
    expect_eval(m, "rollout_state{id=\"x\"} != \"completed\"", true, NULL);
    expect_eval(m, "rollout_state{id=\"y\"} == 'pending'", true, NULL);
    /* Strings compare exactly. */
    expect_eval(m, "rollout_state{id=\"x\"} == \"Running\"", false, NULL);
    expect_eval(m, "rollout_state{id=\"x\"} == \"run\"", false, NULL);
    /* Later changes are seen. */
    fs_metrics_set_string(m, x, "completed");
    expect_eval(m, "rollout_state{id=\"x\"} == \"completed\"", true,
                "\"completed\"");
    /* No such deployment: seen as the empty string. */
    expect_eval(m, "rollout_state{id=\"z\"} == \"running\"", false, "\"\"");
    expect_eval(m, "rollout_state{id=\"z\"} == \"\"", true, "\"\"");

    /* rollout_wave is a count keyed by id. */
    uint32_t w =
        fs_metrics_series(m, FS_M_ROLLOUT_WAVE, (const char *const[]){"x"});
    expect_eval(m, "rollout_wave{id=\"x\"} == 0", true, "0");
    fs_metrics_set(m, w, 3);
    expect_eval(m, "rollout_wave{id=\"x\"} == 3", true, "3");
    expect_eval(m, "rollout_wave{id=\"y\"} == 0", true, "0");
    fs_metrics_destroy(m);
}

/* rollout_time source for the tests: deployment "x" reaches 50% at 5h and
 * 99% at 6h and never 100%; "z" reached everything at 0; others unknown. */
struct rt_calls {
    int calls;         /* how often the source was asked */
    char last_id[32];  /* id of the last call */
    uint32_t last_ppm; /* share of the last call */
};

static int
rollout_time_src(void *ctx, const char *id, uint32_t share_ppm, int64_t *out_us)
{
    struct rt_calls *c = ctx;
    c->calls++;
    snprintf(c->last_id, sizeof(c->last_id), "%s", id);
    c->last_ppm = share_ppm;
    if (strcmp(id, "z") == 0) {
        *out_us = 0;
        return 0;
    }
    if (strcmp(id, "x") != 0)
        return FS_ENOENT;
    if (share_ppm <= 500000)
        *out_us = 5 * US_H;
    else if (share_ppm <= 990000)
        *out_us = 6 * US_H;
    else
        *out_us = INT64_MAX;
    return 0;
}

static void
test_eval_rollout_time(void **state)
{
    (void)state;
    struct fs_metrics *m = NULL;
    assert_int_equal(fs_metrics_create(&m), 0);

    /* No source installed: every deployment is unreached. */
    expect_eval(m, "rollout_time{id=\"x\", reached=\"50%\"} > 3650d", true,
                "never");

    struct rt_calls calls = {0, "", 0};
    fs_metrics_set_rollout_time(m, rollout_time_src, &calls);
    expect_eval(m, "rollout_time{id=\"x\", reached=\"99%\"} <= 6h", true, "6h");
    assert_int_equal(calls.calls, 1);
    assert_string_equal(calls.last_id, "x");
    assert_int_equal(calls.last_ppm, 990000);
    expect_eval(m, "rollout_time{id=\"x\", reached=\"99%\"} < 6h", false, "6h");
    expect_eval(m, "rollout_time{id=\"x\", reached=\"99%\"} == 360m", true,
                NULL);
    expect_eval(m, "rollout_time{id=\"x\", reached=\"99%\"} != 6h", false,
                NULL);
    expect_eval(m, "rollout_time{id=\"x\", reached=\"50%\"} < 5.5h", true,
                "5h");
    assert_int_equal(calls.last_ppm, 500000);
    expect_eval(m, "rollout_time{id=\"x\", reached=\"50%\"} >= 5h", true, NULL);
    expect_eval(m, "rollout_time{id=\"z\", reached=\"100%\"} <= 0s", true,
                NULL);

    /* Unreached compares as infinite. */
    expect_eval(m, "rollout_time{id=\"x\", reached=\"100%\"} <= 6h", false,
                "never");
    expect_eval(m, "rollout_time{id=\"x\", reached=\"100%\"} < 3660d", false,
                "never");
    expect_eval(m, "rollout_time{id=\"x\", reached=\"100%\"} > 3660d", true,
                "never");
    expect_eval(m, "rollout_time{id=\"x\", reached=\"100%\"} >= 1us", true,
                NULL);
    expect_eval(m, "rollout_time{id=\"x\", reached=\"100%\"} != 6h", true,
                NULL);
    expect_eval(m, "rollout_time{id=\"x\", reached=\"100%\"} == 6h", false,
                NULL);
    /* An unknown deployment is unreached too. */
    expect_eval(m, "rollout_time{id=\"q\", reached=\"1%\"} > 1d", true,
                "never");
    expect_eval(m, "rollout_time{id=\"q\", reached=\"1%\"} <= 1d", false,
                "never");
    assert_string_equal(calls.last_id, "q");
    assert_int_equal(calls.last_ppm, 10000);
    fs_metrics_destroy(m);
}

/* The seen text is cut to the buffer given, never overrun. */
static void
test_eval_seen_truncated(void **state)
{
    (void)state;
    struct fs_metrics *m = make_fleet();
    char seen[8];
    memset(seen, 'Z', sizeof(seen));
    struct fs_arena arena;
    struct fs_expr e;
    fs_arena_init(&arena);
    parse_ok(&arena, "devices{os=\"24.01\"} >= 50%", &e);
    assert_true(fs_expect_eval(&e, m, seen, 5));
    assert_string_equal(seen, "6 (6");
    assert_int_equal(seen[5], 'Z');
    fs_arena_fini(&arena);
    fs_metrics_destroy(m);
}

int
main(void)
{
#define T(name) cmocka_unit_test_teardown(name, teardown)
    const struct CMUnitTest tests[] = {
        T(test_parse_every_operator),
        T(test_parse_every_family),
        T(test_parse_labels),
        T(test_parse_values),
        T(test_parse_err_unknown_metric),
        T(test_parse_err_unknown_label),
        T(test_parse_err_unknown_closed_value),
        T(test_parse_err_missing_operator),
        T(test_parse_err_unterminated_string),
        T(test_parse_err_trailing_text),
        T(test_parse_err_wrong_kind),
        T(test_parse_err_rollout_without_id),
        T(test_parse_err_rollout_time_without_reached),
        T(test_parse_err_label_syntax),
        T(test_eval_counts_and_subsets),
        T(test_eval_counts_exact),
        T(test_parse_err_not_decimal),
        T(test_eval_aliases),
        T(test_eval_percentages),
        T(test_eval_percentages_exact),
        T(test_eval_strings),
        T(test_eval_rollout_time),
        T(test_eval_seen_truncated),
    };
#undef T
    return cmocka_run_group_tests_name("expect", tests, NULL, NULL);
}
