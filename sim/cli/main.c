/*
 * sim/cli/main.c - the fleetsim command: argument parsing and the libuv host
 * loop.
 *
 * Owns: the command line, exit statuses (0 ok, 1 expectations failed,
 * 2 bad input or usage, 128+N stopped by signal N), the progress line, the
 * signals that stop a run (SIGINT, SIGTERM, SIGHUP), and the
 * only wall-clock reads of the program (elapsed time, printed to stderr and
 * recorded as wall_s; never fed into the model).
 * Invariants: every command answers --help with exit 0 and bad usage with
 * exit 2; outputs are written by fs_cli_write_outputs, whole or not at all.
 * Does not: decide anything in the model or schedule simulated events.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <uv.h>

#include "fleetsim/bench.h"
#include "fleetsim/cli.h"
#include "fleetsim/crypto.h"
#include "fleetsim/err.h"
#include "fleetsim/mem.h"
#include "fleetsim/report.h"
#include "fleetsim/run.h"
#include "fleetsim/scn.h"
#include "fleetsim/sim.h"
#include "fleetsim/units.h"

#define FLEETSIM_VERSION FS_FLEETSIM_VERSION

enum { EXIT_OK = 0, EXIT_EXPECT = 1, EXIT_USAGE = 2, EXIT_INTR = 130 };

/* The signals that stop a run: the first at an event boundary, with the
 * outputs written for the time simulated; a second at once, without. */
static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP};
#define NSTOP_SIGNALS (sizeof(stop_signals) / sizeof(stop_signals[0]))

/*
 * What a second signal removes before the process exits. The one piece of
 * process-wide mutable state in fleetsim: a signal handler has no argument
 * to be passed through, so it lives here, in the command layer, written
 * before the handlers are installed and only read by them (unlink(2) and
 * _exit(2) are async-signal-safe).
 */
#define NDOOMED 6
static struct {
    char paths[NDOOMED][4200];     /* temporary files, then the lock file */
    volatile sig_atomic_t signals; /* signals seen so far */
    volatile sig_atomic_t first;   /* the first one */
} stop_state;

static void
stop_now(int signum)
{
    for (int i = 0; i < NDOOMED; i++)
        if (stop_state.paths[i][0] != '\0')
            unlink(stop_state.paths[i]);
    _exit(128 + signum);
}

/* Handler while outputs are written (the host loop no longer runs): the
 * first signal is noted and the writing finishes; a second stops at once. */
static void
on_signal_writing(int signum)
{
    if (stop_state.signals++ > 0)
        stop_now(signum);
    stop_state.first = signum;
}

/* Outside the host loop (building the fleet, writing outputs), signals go
 * to on_signal_writing. */
static void
stop_state_catch(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal_writing;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NSTOP_SIGNALS; i++)
        sigaction(stop_signals[i], &sa, NULL);
}

static void
stop_state_arm(const char *out_dir, bool trace)
{
    static const char *const names[NDOOMED] = {
        "trace.zst.tmp",    ".fleet.db.tmp",     ".fleet.db.tmp-journal",
        ".report.html.tmp", ".summary.json.tmp", ".fleetsim.lock"};
    for (int i = 0; i < NDOOMED; i++) {
        if (i == 0 && !trace)
            stop_state.paths[i][0] = '\0';
        else
            snprintf(stop_state.paths[i], sizeof(stop_state.paths[i]), "%s/%s",
                     out_dir, names[i]);
    }
    stop_state_catch();
}

/* Events handled per libuv idle callback: large enough to amortise. */
#define BATCH_EVENTS 200000

struct host {
    uv_loop_t loop;                 /* the host loop */
    uv_idle_t idle;                 /* runs batches of simulated events */
    uv_timer_t timer;               /* redraws the progress line */
    uv_signal_t sig[NSTOP_SIGNALS]; /* stop at an event boundary */
    struct fs_run *run;             /* the run being driven */
    bool progress;        /* draw the progress line (stderr is a tty) */
    bool drawn;           /* a progress line is on screen */
    uint64_t start_ns;    /* wall clock at start */
    uint64_t last_ns;     /* wall clock of last redraw */
    uint64_t last_events; /* events at last redraw */
    int err;              /* result of the last step */
};

static double
elapsed_s(uint64_t start_ns)
{
    return (double)(uv_hrtime() - start_ns) / 1e9;
}

static void
on_idle(uv_idle_t *h)
{
    struct host *host = h->data;
    bool done = false;
    host->err = fs_run_step(host->run, BATCH_EVENTS, &done);
    if (done || host->err != 0)
        uv_stop(&host->loop);
}

static void
on_timer(uv_timer_t *t)
{
    struct host *host = t->data;
    uint64_t now = uv_hrtime();
    uint64_t ev = fs_run_events(host->run);
    double dt = (double)(now - host->last_ns) / 1e9;
    double rate = dt > 0 ? (double)(ev - host->last_events) / dt : 0;
    double sim_now = (double)fs_run_now_us(host->run);
    double sim_end = (double)fs_run_duration_us(host->run);
    double frac = sim_end > 0 ? sim_now / sim_end : 1;
    double wall = elapsed_s(host->start_ns);
    double eta = frac > 0.001 ? wall / frac - wall : -1;
    char simt[32];
    fs_units_format_duration_human(fs_run_now_us(host->run), simt,
                                   sizeof(simt));
    int width = 30, fill = (int)(frac * width);
    char bar[40];
    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    char eta_s[32] = "--";
    if (eta >= 0)
        fs_units_format_duration_human((int64_t)(eta * 1e6), eta_s,
                                       sizeof(eta_s));
    fprintf(stderr, "\r[%s] %5.1f%% sim %-8s %8.2fM ev/s  ETA %-8s ", bar,
            frac * 100, simt, rate / 1e6, eta_s);
    fflush(stderr);
    host->drawn = true;
    host->last_ns = now;
    host->last_events = ev;
}

static void
on_signal(uv_signal_t *s, int signum)
{
    struct host *host = s->data;
    if (stop_state.signals++ > 0)
        stop_now(signum);
    stop_state.first = signum;
    fs_run_stop(host->run);
}

/* Drive run to its end (or SIGINT) from a libuv loop. Returns fs_run_step's
 * last result. */
static int
host_drive(struct fs_run *run, bool quiet)
{
    struct host host;
    memset(&host, 0, sizeof(host));
    host.run = run;
    host.progress = !quiet && isatty(STDERR_FILENO);
    host.start_ns = host.last_ns = uv_hrtime();
    uv_loop_init(&host.loop);
    uv_idle_init(&host.loop, &host.idle);
    host.idle.data = &host;
    uv_idle_start(&host.idle, on_idle);
    for (size_t i = 0; i < NSTOP_SIGNALS; i++) {
        uv_signal_init(&host.loop, &host.sig[i]);
        host.sig[i].data = &host;
        uv_signal_start(&host.sig[i], on_signal, stop_signals[i]);
    }
    uv_timer_init(&host.loop, &host.timer);
    host.timer.data = &host;
    if (host.progress)
        uv_timer_start(&host.timer, on_timer, 250, 250);
    if (stop_state.signals > 0) /* caught while the fleet was built */
        fs_run_stop(run);
    uv_run(&host.loop, UV_RUN_DEFAULT);
    /* Clear the progress line, and the ^C a terminal echoed onto it. */
    if (host.drawn || (stop_state.signals > 0 && isatty(STDERR_FILENO)))
        fprintf(stderr, "\r%*s\r", 79, "");
    uv_close((uv_handle_t *)&host.idle, NULL);
    /* Closing a signal handle puts back the default action (libuv); the
     * writing-phase handler takes over right after. */
    for (size_t i = 0; i < NSTOP_SIGNALS; i++)
        uv_close((uv_handle_t *)&host.sig[i], NULL);
    stop_state_catch();
    uv_close((uv_handle_t *)&host.timer, NULL);
    uv_run(&host.loop, UV_RUN_DEFAULT);
    uv_loop_close(&host.loop);
    return host.err;
}

static int
load_or_report(const char *path, const struct fs_scn_param *params,
               size_t nparams, struct fs_scn **out)
{
    struct fs_diag diag;
    fs_diag_clear(&diag);
    int err = fs_scn_load_params(path, params, nparams, out, &diag);
    if (err != 0) {
        fs_diag_print(&diag, stderr);
        return err;
    }
    return 0;
}

/* ------------------------------------------------------------------ run */

static const char run_help[] =
    "usage: fleetsim run FILE [options]\n"
    "\n"
    "Simulate the scenario FILE and write its outputs to out/<scenario>/:\n"
    "summary.json, fleet.db, report.html (and trace.zst with --trace).\n"
    "\n"
    "options:\n"
    "  --seed N       override the scenario's seed\n"
    "  --set KEY=VALUE  replace one value of the scenario before it is\n"
    "                 checked (repeatable): KEY is a dotted path into the\n"
    "                 file (service.egress, seed, timeline.0.at; a number\n"
    "                 indexes a list), VALUE what is written there; a last\n"
    "                 key the mapping lacks is added. Recorded in fleet.db\n"
    "                 and summary.json as the run's parameters\n"
    "  --out DIR      write outputs to DIR instead of out/<scenario>\n"
    "  --threads N    threads doing signature work (default: the machine's\n"
    "                 cores; 1 with --crypto model, whose stand-in costs\n"
    "                 less than a hand-over); outputs are the same bytes\n"
    "                 for any N\n"
    "  --crypto real|model  signature scheme: real Ed25519 (default), or\n"
    "                 model, a keyed BLAKE2b stand-in that keeps every\n"
    "                 check's outcome, for big sweeps (recorded in\n"
    "                 summary.json, fleet.db and the report)\n"
    "  --trace        also write trace.zst, the compressed event record\n"
    "  --check        run integrity checks after every batch (slow)\n"
    "  --quiet        no progress line, no summary on stdout\n"
    "  --no-timing    write null for wall_s and peak_rss_bytes in\n"
    "                 summary.json, so that a run repeated writes the same\n"
    "                 bytes in every file (sweep jobs use it)\n"
    "  --wait         when another run holds the out folder, wait for it\n"
    "                 (default: refuse at once, exit 2)\n"
    "  --sample DURATION  spacing of the metric samples in fleet.db\n"
    "                 (e.g. 1h, 30m; default: a hundredth of the duration)\n"
    "  --max-memory SIZE  refuse a fleet whose memory estimate exceeds SIZE\n"
    "                 (e.g. 4GiB); the machine's memory and ulimit -v are\n"
    "                 always checked\n"
    "  -h, --help     this text\n"
    "\n"
    "Before the first event the run checks that the out folder can be\n"
    "created and written, that no other run holds it, and that free space\n"
    "and memory suffice for estimates of the outputs and the fleet.\n"
    "SIGINT, SIGTERM or SIGHUP stop the run at an event boundary and write\n"
    "the outputs for the time simulated, marked incomplete; a second signal\n"
    "stops at once, writing nothing and removing temporary files.\n"
    "\n"
    "exit status: 0 all expectations held, 1 some failed, 2 bad input or\n"
    "usage, 128+N stopped by signal N (130 SIGINT, 143 SIGTERM, 129 SIGHUP).\n";

static int
cmd_run(int argc, char **argv)
{
    struct fs_cli_run o;
    int rc = fs_cli_parse_run(argc, argv, &o);
    if (rc != 0)
        return rc == 1 ? (fputs(run_help, stdout), EXIT_OK) : EXIT_USAGE;
    struct fs_scn *scn;
    if (load_or_report(o.file, o.params, o.nparams, &scn) != 0)
        return EXIT_USAGE;
    char out_dir[PATH_MAX];
    snprintf(out_dir, sizeof(out_dir), "%s", o.out_dir ? o.out_dir : "");
    if (o.out_dir == NULL)
        snprintf(out_dir, sizeof(out_dir), "out/%s", scn->name);
    char trace_path[PATH_MAX + 16];
    snprintf(trace_path, sizeof(trace_path), "%s/trace.zst.tmp", out_dir);
    struct fs_run_opts ro = {.seed_set = o.seed_set,
                             .seed = o.seed,
                             .threads = o.threads,
                             .crypto = o.crypto,
                             .trace_path = o.trace ? trace_path : NULL,
                             .check = o.check,
                             .sample_every_us = o.sample_us};
    struct fs_diag diag;
    fs_diag_clear(&diag);
    struct fs_run *run;
    /* Everything that can refuse the run does so before the first event:
     * the folder (creatable, writable, not in use), its free space and the
     * memory the fleet needs. */
    struct fs_cli_outdir od;
    if (fs_cli_outdir_open(&od, out_dir, o.wait, &diag) != 0) {
        fs_diag_print(&diag, stderr);
        fs_scn_destroy(scn);
        return EXIT_USAGE;
    }
    stop_state_arm(out_dir, o.trace);
    if (fs_cli_check_resources(out_dir, fs_scn_device_count(scn), o.trace,
                               o.max_memory_bytes, &diag) != 0 ||
        fs_run_create(scn, &ro, &run, &diag) != 0) {
        fs_diag_print(&diag, stderr);
        fs_cli_outdir_close(&od);
        fs_scn_destroy(scn);
        return EXIT_USAGE;
    }
    od.created = false; /* from here the folder holds this run's outputs */
    uint64_t start_ns = uv_hrtime();
    int err = host_drive(run, o.quiet);
    double wall = elapsed_s(start_ns);
    int status = EXIT_OK;
    if (fs_cli_write_outputs(run, out_dir, o.no_timing ? -1.0 : wall, &diag) !=
        0) {
        fs_diag_print(&diag, stderr);
        status = EXIT_USAGE;
        for (int i = 0; i + 1 < NDOOMED; i++) /* temporaries; lock below */
            if (stop_state.paths[i][0] != '\0')
                unlink(stop_state.paths[i]);
    } else if (!o.quiet) {
        fs_cli_print_run_summary(stdout, run, out_dir, wall);
    }
    if (status == EXIT_OK && fs_run_failures(run) > 0)
        status = EXIT_EXPECT;
    if (stop_state.signals > 0) {
        char simt[32];
        fs_units_format_duration_human(fs_run_now_us(run), simt, sizeof(simt));
        fprintf(stderr,
                "fleetsim: stopped by %s at simulated %s; outputs %s for "
                "the time simulated, marked incomplete\n",
                stop_state.first == SIGTERM  ? "SIGTERM"
                : stop_state.first == SIGHUP ? "SIGHUP"
                                             : "SIGINT",
                simt, status == EXIT_USAGE ? "NOT written" : "written");
        status = 128 + stop_state.first;
    } else if (err == FS_EINTR) {
        status = EXIT_INTR;
    }
    fs_cli_outdir_close(&od);
    fs_run_destroy(run);
    fs_scn_destroy(scn);
    return status;
}

/* ----------------------------------------------------------------- test */

static const char test_help[] =
    "usage: fleetsim test [--seed N] [--threads N] [--crypto real|model]\n"
    "                     [--write-digests] [--junit FILE] FILE|DIR...\n"
    "\n"
    "Simulate each scenario (DIRs are searched recursively for *.yaml, in\n"
    "name order) and check its expect list. Prints one line per failing\n"
    "expectation and ends with 'N passed, N failed' (scenarios).\n"
    "When FILE.digest exists beside FILE.yaml, the run's fingerprint must\n"
    "equal the one it pins for the seed used (lines 'seed=N HEX'; a bare\n"
    "HEX line pins the scenario's own seed); a seed it does not pin is not\n"
    "checked, and said so. --write-digests records the fingerprint for the\n"
    "seed used instead of checking, keeping the other seeds' pins.\n"
    "--crypto model runs them with the model signature scheme (see\n"
    "'fleetsim run --help'); the default is real Ed25519.\n"
    "--junit FILE also writes the results as JUnit XML (one testcase per\n"
    "scenario file; each failed expectation with its line, expression and\n"
    "the value seen), as CI systems read it.\n"
    "--threads N sets the threads doing signature work (default: the\n"
    "machine's cores; 1 with --crypto model); fingerprints do not depend\n"
    "on it.\n"
    "Nothing is written to out/.\n"
    "\n"
    "exit status: 0 every expectation of every scenario held, 1 some failed,\n"
    "2 a scenario did not load or bad usage, 130 interrupted.\n";

struct test_totals {
    unsigned passed;  /* scenarios whose expectations all held */
    unsigned failed;  /* scenarios with a failure */
    bool load_error;  /* some scenario did not load */
    bool interrupted; /* SIGINT */
};

/* One pinned fingerprint of a NAME.digest file: a line "seed=N HEX", or a
 * bare "HEX" (the form before seeds were recorded) for the scenario's own
 * seed. */
struct digest_pin {
    uint64_t seed;
    char hex[65];
};
#define DIGEST_PINS_MAX 64

static size_t
digest_read(FILE *fp, uint64_t scenario_seed, struct digest_pin *pins)
{
    size_t n = 0;
    char line[160];
    while (n < DIGEST_PINS_MAX && fgets(line, sizeof(line), fp) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        char *hex = line;
        pins[n].seed = scenario_seed;
        if (strncmp(line, "seed=", 5) == 0) {
            char *sp = strchr(line, ' ');
            if (sp == NULL)
                continue;
            *sp = '\0';
            if (!fs_cli_parse_u64(line + 5, &pins[n].seed))
                continue;
            hex = sp + 1;
        }
        if (strlen(hex) != 64)
            continue;
        memcpy(pins[n].hex, hex, 65);
        n++;
    }
    return n;
}

/*
 * Check (or with write, record) run's fingerprint against the NAME.digest
 * beside path, for the seed the run used. A file pins one fingerprint per
 * seed; a seed it does not pin is not checked (and said so).
 */
static bool
check_digest(const char *path, const struct fs_scn *scn, struct fs_run *run,
             bool write, struct fs_junit *junit)
{
    char dpath[PATH_MAX + 16];
    snprintf(dpath, sizeof(dpath), "%s", path);
    char *dot = strrchr(dpath, '.');
    if (dot != NULL && strchr(dot, '/') == NULL)
        *dot = '\0';
    strncat(dpath, ".digest", sizeof(dpath) - strlen(dpath) - 1);
    char hex[65];
    fs_run_fingerprint(run, hex);
    uint64_t seed = fs_run_seed(run);
    struct digest_pin pins[DIGEST_PINS_MAX + 1];
    size_t n = 0;
    FILE *fp = fopen(dpath, "r");
    if (fp != NULL) {
        n = digest_read(fp, scn->seed, pins);
        fclose(fp);
    } else if (!write) {
        return true; /* not pinned */
    }
    size_t at = n;
    for (size_t i = 0; i < n; i++)
        if (pins[i].seed == seed)
            at = i;
    if (write) {
        if (at == n) {
            if (n == DIGEST_PINS_MAX)
                return false;
            n++;
        }
        pins[at].seed = seed;
        memcpy(pins[at].hex, hex, 65);
        fp = fopen(dpath, "w");
        if (fp == NULL)
            return false;
        for (size_t i = 0; i < n; i++)
            fprintf(fp, "seed=%" PRIu64 " %s\n", pins[i].seed, pins[i].hex);
        return fclose(fp) == 0;
    }
    if (at == n) {
        printf("%s: fingerprint not checked: %s pins no fingerprint for seed "
               "%" PRIu64 "\n",
               path, dpath, seed);
        return true;
    }
    if (strcmp(pins[at].hex, hex) != 0) {
        printf("%s: fingerprint %s differs from %s (seed %" PRIu64 ": %s)\n",
               path, hex, dpath, seed, pins[at].hex);
        if (junit != NULL)
            fs_junit_failure(junit,
                             "%s: fingerprint %s differs from %s (seed "
                             "%" PRIu64 ": %s)",
                             path, hex, dpath, seed, pins[at].hex);
        return false;
    }
    return true;
}

static void
test_one(const char *path, const struct fs_cli_test *o, struct test_totals *t,
         struct fs_junit *junit)
{
    struct fs_scn *scn;
    if (load_or_report(path, NULL, 0, &scn) != 0) {
        printf("%s: does not load\n", path);
        if (junit != NULL)
            fs_junit_error(junit, "%s: does not load (fleetsim validate %s)",
                           path, path);
        t->failed++;
        t->load_error = true;
        return;
    }
    if (junit != NULL)
        fs_junit_rename(junit, scn->name);
    struct fs_run_opts ro = {.seed_set = o->seed_set,
                             .seed = o->seed,
                             .threads = o->threads,
                             .crypto = o->crypto};
    struct fs_diag diag;
    fs_diag_clear(&diag);
    struct fs_run *run;
    if (fs_run_create(scn, &ro, &run, &diag) != 0) {
        fs_diag_print(&diag, stderr);
        if (junit != NULL)
            fs_junit_error(junit, "%s: cannot run: %s", path, diag.msg);
        t->failed++;
        t->load_error = true;
        fs_scn_destroy(scn);
        return;
    }
    int err = host_drive(run, true);
    size_t n;
    const struct fs_run_result *res = fs_run_results(run, &n);
    bool ok = err == 0;
    for (size_t i = 0; i < n; i++) {
        if (res[i].checked && res[i].held)
            continue;
        ok = false;
        printf("%s:%d: %s: expected %s, seen %s\n", path, res[i].line,
               scn->name, res[i].text,
               res[i].checked ? res[i].seen : "(not reached)");
        if (junit != NULL)
            fs_junit_failure(junit, "%s:%d: expected %s, seen %s", path,
                             res[i].line, res[i].text,
                             res[i].checked ? res[i].seen : "(not reached)");
    }
    uint64_t open_n = fs_run_undecided(run);
    if (err == 0 && open_n > 0 && !fs_run_names_undecided(run)) {
        ok = false;
        printf("%s: %s: %" PRIu64 " attack attempts undecided at the end, "
               "and no expectation names attacks{outcome=\"undecided\"}\n",
               path, scn->name, open_n);
    }
    if (err == FS_EINTR)
        t->interrupted = true;
    if (!check_digest(path, scn, run, o->write_digests, junit))
        ok = false;
    if (ok)
        t->passed++;
    else
        t->failed++;
    fs_run_destroy(run);
    fs_scn_destroy(scn);
}

static int
cmd_test(int argc, char **argv)
{
    struct fs_cli_test o;
    int rc = fs_cli_parse_test(argc, argv, &o);
    if (rc != 0)
        return rc == 1 ? (fputs(test_help, stdout), EXIT_OK) : EXIT_USAGE;
    struct fs_cli_paths files;
    if (fs_cli_collect_yaml(o.paths, o.npaths, &files) != 0) {
        fs_cli_paths_fini(&files);
        return EXIT_USAGE;
    }
    stop_state_catch();
    struct test_totals t = {0};
    struct fs_junit junit;
    fs_junit_init(&junit);
    struct fs_junit *jp = o.junit != NULL ? &junit : NULL;
    for (size_t i = 0;
         i < files.count && !t.interrupted && stop_state.signals == 0; i++) {
        uint64_t start_ns = uv_hrtime();
        if (jp != NULL)
            fs_junit_case_begin(jp, files.items[i], NULL);
        test_one(files.items[i], &o, &t, jp);
        if (jp != NULL)
            fs_junit_case_end(jp, elapsed_s(start_ns));
    }
    printf("%u passed, %u failed\n", t.passed, t.failed);
    fs_cli_paths_fini(&files);
    if (jp != NULL) {
        struct fs_diag diag;
        fs_diag_clear(&diag);
        int err = fs_junit_write(jp, o.junit, &diag);
        fs_junit_fini(jp);
        if (err != 0) {
            fs_diag_print(&diag, stderr);
            return EXIT_USAGE;
        }
    }
    if (t.interrupted)
        return stop_state.signals > 0 ? 128 + stop_state.first : EXIT_INTR;
    if (t.load_error)
        return EXIT_USAGE;
    return t.failed ? EXIT_EXPECT : EXIT_OK;
}

/* ------------------------------------------------------------- validate */

static const char validate_help[] =
    "usage: fleetsim validate [--set KEY=VALUE]... FILE...\n"
    "\n"
    "Load each scenario and report the first error in each as\n"
    "FILE:LINE:COLUMN: error: MESSAGE. Nothing is simulated or written.\n"
    "--set KEY=VALUE (repeatable) replaces a value first, as 'fleetsim run'\n"
    "does; an error at that value names --set KEY.\n"
    "\n"
    "exit status: 0 all valid, 2 some file invalid or bad usage.\n";

static int
cmd_validate(int argc, char **argv)
{
    struct fs_scn_param params[FS_SCN_PARAMS_MAX];
    size_t nparams = 0;
    int nfiles = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return fputs(validate_help, stdout), EXIT_OK;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--set") == 0) {
            if (nparams == FS_SCN_PARAMS_MAX) {
                fprintf(stderr, "fleetsim validate: at most %u --set\n",
                        FS_SCN_PARAMS_MAX);
                return EXIT_USAGE;
            }
            if (fs_cli_parse_set("validate", i + 1 < argc ? argv[++i] : NULL,
                                 &params[nparams]) != 0)
                return EXIT_USAGE;
            nparams++;
        } else {
            /* Any other argument is a FILE, as before --set existed. */
            argv[1 + nfiles++] = argv[i]; /* compact FILEs in place */
        }
    }
    if (nfiles == 0)
        return fputs(validate_help, stderr), EXIT_USAGE;
    int status = EXIT_OK;
    for (int i = 1; i <= nfiles; i++) {
        struct fs_scn *scn;
        if (load_or_report(argv[i], params, nparams, &scn) != 0) {
            status = EXIT_USAGE;
            continue;
        }
        printf("%s: ok (%s, %" PRIu64 " devices)\n", argv[i], scn->name,
               fs_scn_device_count(scn));
        fs_scn_destroy(scn);
    }
    return status;
}

/* ---------------------------------------------------------------- bench */

static const char bench_help[] =
    "usage: fleetsim bench engine [--pending N] [--events E] "
    "[--ids | --queue | --heap] [--json]\n"
    "       fleetsim bench rollout [--devices N] [--threads T] "
    "[--crypto real|model] [--json]\n"
    "\n"
    "engine: the hold model on the engine (fs_sim_schedule + fs_sim_run):\n"
    "N pending events, each handler rescheduling itself at now + Exp(1 s),\n"
    "E events in all (defaults 1000000 and 5000000). --ids schedules every\n"
    "event with an id (the cancellable path). --queue measures the ladder\n"
    "queue alone (pop + push, no engine), --heap the reference 4-ary heap\n"
    "alone. Prints the mode, events/s, peak memory and bytes per pending\n"
    "event; --json prints one JSON object (key events_per_s) for scripts.\n"
    "\n"
    "rollout: a built-in OS rollout (4 MiB image, 10 Mbps links) to N\n"
    "devices (default 10000), run to completion: prints devices, events,\n"
    "wall time, events/s, simulated days per wall second, peak memory,\n"
    "bytes per device, time to 99% confirmed, and the count and measured\n"
    "cost of each crypto operation, with the run's crypto floor (their\n"
    "time summed, as one thread would take it).\n"
    "--threads T runs the signature work on T threads (default: the\n"
    "machine's cores; 1 with --crypto model); wall_over_floor is\n"
    "wall / (floor / T), main_wait_s the main thread's time waiting for a\n"
    "worker's result, unused_sign/unused_verify the work started ahead and\n"
    "never taken. The fingerprint is the same for any T.\n"
    "--crypto model runs it with the model signature scheme (same counts,\n"
    "the stand-in's costs); JSON key crypto says which.\n";

static int
cmd_bench(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "--help") == 0)
        return fputs(bench_help, argc < 2 ? stderr : stdout),
               argc < 2 ? EXIT_USAGE : EXIT_OK;
    if (strcmp(argv[1], "engine") == 0)
        return fs_cli_bench_engine(argc - 1, argv + 1, bench_help);
    if (strcmp(argv[1], "rollout") == 0)
        return fs_cli_bench_rollout(argc - 1, argv + 1, bench_help);
    fprintf(stderr, "fleetsim bench: unknown benchmark '%s'\n%s", argv[1],
            bench_help);
    return EXIT_USAGE;
}

/* ----------------------------------------------------------------- diff */

static const char diff_help[] =
    "usage: fleetsim diff A/trace.zst B/trace.zst\n"
    "\n"
    "Compare two traces written by 'fleetsim run --trace' and print the\n"
    "first record where they part (time, kind, object, value), or that they\n"
    "are identical.\n"
    "\n"
    "exit status: 0 identical, 1 different, 2 unreadable or bad usage.\n";

static int
cmd_diff(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return fputs(diff_help, stdout), EXIT_OK;
    if (argc != 3)
        return fputs(diff_help, stderr), EXIT_USAGE;
    bool same = false;
    if (fs_report_diff(argv[1], argv[2], stdout, &same) != 0)
        return EXIT_USAGE;
    return same ? EXIT_OK : EXIT_EXPECT;
}

/* --------------------------------------------------------------- replay */

static const char replay_help[] =
    "usage: fleetsim replay TRACE [--scenario FILE]\n"
    "\n"
    "Re-run the scenario a trace (trace.zst of 'fleetsim run --trace')\n"
    "records in its header, with the recorded seed, signature scheme and\n"
    "--set options, and say whether the fingerprint reproduces. The trace is "
    "verified whole first. The\n"
    "scenario is read from the path in the header, or from FILE; its bytes\n"
    "must hash (BLAKE2b) to the one recorded. Nothing is written.\n"
    "\n"
    "options:\n"
    "  --scenario FILE  the scenario file, when it moved since the run\n"
    "  -h, --help       this text\n"
    "\n"
    "exit status: 0 reproduced, 1 the fingerprint differs, 2 the trace is\n"
    "not a complete valid trace, the scenario is missing or is not the one\n"
    "recorded, or bad usage.\n";

static int
cmd_replay(int argc, char **argv)
{
    const char *trace = NULL, *scenario = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return fputs(replay_help, stdout), EXIT_OK;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--scenario") == 0 && i + 1 < argc &&
            scenario == NULL)
            scenario = argv[++i];
        else if (argv[i][0] != '-' && trace == NULL)
            trace = argv[i];
        else
            return fprintf(stderr,
                           "fleetsim replay: unexpected argument "
                           "'%s'\n%s",
                           argv[i], replay_help),
                   EXIT_USAGE;
    }
    if (trace == NULL)
        return fputs(replay_help, stderr), EXIT_USAGE;
    struct fs_diag diag;
    fs_diag_clear(&diag);
    struct fs_trace_info info;
    char want[65];
    uint64_t nrec;
    if (fs_report_trace_verify(trace, &info, want, &nrec, &diag) != 0) {
        fs_diag_print(&diag, stderr);
        return EXIT_USAGE;
    }
    if (scenario == NULL)
        scenario = info.scenario;
    /* the run's --set options, from the header's set= lines */
    struct fs_scn_param params[FS_SCN_PARAMS_MAX];
    size_t nparams = 0;
    if (info.sets_truncated || info.nsets > FS_SCN_PARAMS_MAX) {
        fprintf(stderr,
                "fleetsim replay: %s records more --set options than "
                "this fleetsim takes\n",
                trace);
        return EXIT_USAGE;
    }
    for (char *line = info.sets, *nl; (nl = strchr(line, '\n')) != NULL;
         line = nl + 1) {
        *nl = '\0';
        char *eq = strchr(line, '=');
        if (eq == NULL) {
            fprintf(stderr, "fleetsim replay: %s has a bad set= line '%s'\n",
                    trace, line);
            return EXIT_USAGE;
        }
        *eq = '\0';
        params[nparams].key = line;
        params[nparams].value = eq + 1;
        nparams++;
    }
    struct fs_scn *scn;
    if (load_or_report(scenario, params, nparams, &scn) != 0) {
        fprintf(stderr,
                "fleetsim replay: cannot load the scenario %s "
                "(recorded in %s; give --scenario FILE)\n",
                scenario, trace);
        return EXIT_USAGE;
    }
    char hex[65];
    sodium_bin2hex(hex, sizeof(hex), scn->file_blake2b,
                   sizeof(scn->file_blake2b));
    if (strcmp(hex, info.scenario_blake2b) != 0) {
        fprintf(stderr,
                "fleetsim replay: %s is not the scenario %s was run from: "
                "its BLAKE2b is %s, the trace records %s\n",
                scenario, trace, hex, info.scenario_blake2b);
        fs_scn_destroy(scn);
        return EXIT_USAGE;
    }
    enum fs_crypto_kind crypto = FS_CRYPTO_REAL; /* traces without the key */
    if (info.crypto[0] != '\0' &&
        fs_crypto_kind_parse(info.crypto, &crypto) != 0) {
        fprintf(stderr,
                "fleetsim replay: %s records crypto=%s, which this fleetsim "
                "does not know (real or model)\n",
                trace, info.crypto);
        fs_scn_destroy(scn);
        return EXIT_USAGE;
    }
    struct fs_run_opts ro = {
        .seed_set = true, .seed = info.seed, .crypto = crypto};
    struct fs_run *run;
    if (fs_run_create(scn, &ro, &run, &diag) != 0) {
        fs_diag_print(&diag, stderr);
        fs_scn_destroy(scn);
        return EXIT_USAGE;
    }
    stop_state_catch();
    int err = host_drive(run, true);
    char got[65];
    fs_run_fingerprint(run, got);
    int status;
    if (err != 0) {
        fprintf(stderr, "fleetsim replay: the run stopped early\n");
        status = stop_state.signals > 0 ? 128 + stop_state.first : EXIT_INTR;
    } else if (strcmp(got, want) == 0) {
        printf("%s: reproduced: %s seed %" PRIu64 " crypto %s, %zu --set, "
               "gives fingerprint %s (%" PRIu64 " records)\n",
               trace, scenario, info.seed, fs_crypto_kind_name(crypto), nparams,
               got, nrec);
        status = EXIT_OK;
    } else {
        printf("%s: NOT reproduced: %s seed %" PRIu64 " crypto %s gives "
               "fingerprint %s, the trace records %s (written by fleetsim "
               "%s, this is %s)\n",
               trace, scenario, info.seed, fs_crypto_kind_name(crypto), got,
               want, info.fleetsim_version, FLEETSIM_VERSION);
        status = EXIT_EXPECT;
    }
    fs_run_destroy(run);
    fs_scn_destroy(scn);
    return status;
}

/* --------------------------------------------------------------- report */

static const char report_help[] =
    "usage: fleetsim report FILE.db [-o FILE]\n"
    "       fleetsim report A/fleet.db B/fleet.db [-o FILE]\n"
    "       fleetsim report MERGED.db [-o FILE] [--json]\n"
    "\n"
    "Build report.html from the fleet.db a run wrote, alone: the page is the\n"
    "one 'fleetsim run' wrote beside it, byte for byte. Writes FILE (default:\n"
    "report.html in the database's folder) under a temporary name, then\n"
    "renames it. The database is only read.\n"
    "\n"
    "With two databases, compare the runs (two seeds, two rollout policies)\n"
    "side by side: per deployment (matched by id) times to 50/90/99%,\n"
    "failures, halts, errors, and fleet-wide attestations, differences\n"
    "marked, adoption curves overlaid. FILE defaults to compare.html.\n"
    "\n"
    "With a merged database (fleetsim merge), show the sweep: runs grouped\n"
    "by scenario and parameters, per deployment the median, 5th and 95th\n"
    "percentile (nearest rank) across runs of the times to 50/90/99%,\n"
    "halts and failures, and the attack outcomes. FILE defaults to\n"
    "sweep.html (sweep-report.json with --json; not sweep.json, which is\n"
    "a sweep folder's job list) in the database's folder.\n"
    "\n"
    "options:\n"
    "  -o FILE        write the report to FILE\n"
    "  --json         (merged database) write the sweep as JSON\n"
    "  -h, --help     this text\n"
    "\n"
    "exit status: 0 written, 2 the database cannot be read or is not a\n"
    "fleet database, the report cannot be written, or bad usage.\n";

/* NAME in the folder of db (or the current one) into buf. */
static void
beside(const char *db, const char *name, char *buf, size_t len)
{
    const char *slash = strrchr(db, '/');
    if (slash != NULL)
        snprintf(buf, len, "%.*s/%s", (int)(slash - db), db, name);
    else
        snprintf(buf, len, "%s", name);
}

static int
cmd_report(int argc, char **argv)
{
    const char *db = NULL, *db_b = NULL, *out = NULL;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return fputs(report_help, stdout), EXIT_OK;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 && i + 1 == argc) {
            fprintf(stderr, "fleetsim report: -o needs a FILE\n%s",
                    report_help);
            return EXIT_USAGE;
        } else if (strcmp(argv[i], "-o") == 0 && out == NULL) {
            out = argv[++i];
        } else if (strcmp(argv[i], "--json") == 0 && !json) {
            json = true;
        } else if (argv[i][0] != '-' && db == NULL) {
            db = argv[i];
        } else if (argv[i][0] != '-' && db_b == NULL) {
            db_b = argv[i];
        } else {
            fprintf(stderr, "fleetsim report: unexpected argument '%s'\n%s",
                    argv[i], report_help);
            return EXIT_USAGE;
        }
    }
    if (db == NULL)
        return fputs(report_help, stderr), EXIT_USAGE;
    bool merged = db_b == NULL && fs_report_is_merged(db);
    if (json && !merged) {
        fprintf(stderr,
                "fleetsim report: --json is for a merged database "
                "(fleetsim merge); %s is not one\n",
                db);
        return EXIT_USAGE;
    }
    char def[PATH_MAX + 16];
    if (out == NULL && db_b == NULL) {
        beside(db,
               !merged ? "report.html"
               : json  ? "sweep-report.json"
                       : "sweep.html",
               def, sizeof(def));
        out = def;
    }
    struct fs_diag diag;
    fs_diag_clear(&diag);
    int err =
        db_b != NULL
            ? fs_report_compare(db, db_b, out ? out : "compare.html", &diag)
        : merged ? fs_report_sweep(db, out, json, &diag)
                 : fs_report_write(db, out, &diag);
    if (err != 0) {
        fs_diag_print(&diag, stderr);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* ---------------------------------------------------------------- merge */

static const char merge_help[] =
    "usage: fleetsim merge OUT.db RUN.db...\n"
    "\n"
    "Join the fleet.db files of runs (schema 3) into one merged database:\n"
    "a runs table (run 1 is the first RUN.db, and so on, in the order\n"
    "given: scenario, seed, parameters, fingerprint, completed), and every\n"
    "table of a run with a leading run column. 'fleetsim report OUT.db'\n"
    "then shows the sweep (docs/fleet-db.md, Merged databases). OUT.db is\n"
    "written under a temporary name beside it and renamed when complete;\n"
    "the inputs are only read. The same inputs give the same bytes.\n"
    "\n"
    "options:\n"
    "  -h, --help     this text\n"
    "\n"
    "exit status: 0 written, 2 an input is missing, not a run's fleet.db of\n"
    "schema 3 (a merged database included) or given twice, OUT.db is one of\n"
    "the inputs or cannot be written, or bad usage.\n";

/* A signal while merging removes the temporary file and stops at once. */
static void
stop_state_arm_merge(const char *tmp)
{
    memset(stop_state.paths, 0, sizeof(stop_state.paths));
    snprintf(stop_state.paths[0], sizeof(stop_state.paths[0]), "%s", tmp);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = stop_now;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NSTOP_SIGNALS; i++)
        sigaction(stop_signals[i], &sa, NULL);
}

static int
cmd_merge(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return fputs(merge_help, stdout), EXIT_OK;
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "fleetsim merge: unknown option '%s'\n%s", argv[i],
                    merge_help);
            return EXIT_USAGE;
        }
    }
    if (argc < 3) {
        fprintf(stderr,
                "fleetsim merge: needs OUT.db and at least one "
                "RUN.db\n%s",
                merge_help);
        return EXIT_USAGE;
    }
    char tmp[4200];
    fs_run_merge_tmp_path(argv[1], tmp, sizeof(tmp));
    stop_state_arm_merge(tmp);
    struct fs_diag diag;
    fs_diag_clear(&diag);
    if (fs_run_merge(argv[1], (const char *const *)argv + 2, (size_t)(argc - 2),
                     &diag) != 0) {
        fputs("fleetsim merge: ", stderr);
        fs_diag_print(&diag, stderr);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* ----------------------------------------------------------------- main */

static const char main_help[] =
    "usage: fleetsim COMMAND [options]\n"
    "\n"
    "A deterministic discrete-event simulator of secured IoT fleets.\n"
    "\n"
    "commands:\n"
    "  run FILE         simulate a scenario, write out/<scenario>/\n"
    "  test FILE|DIR... simulate scenarios and check their expectations\n"
    "  validate FILE... check scenario files without simulating\n"
    "  sweep FILE       write the jobs of a sweep over seeds and --set\n"
    "                   values (GNU parallel, Slurm, Kubernetes)\n"
    "  bench engine     measure the event engine (hold model)\n"
    "  bench rollout    measure an OS rollout to N devices\n"
    "  diff A B         first record where two traces part\n"
    "  replay TRACE     re-run a trace's scenario, check it reproduces\n"
    "  report FILE.db   rebuild report.html from a run's fleet.db\n"
    "  report A.db B.db compare two runs side by side (compare.html)\n"
    "  merge OUT RUN... join run databases into one (report shows the sweep)\n"
    "  report MERGED.db the sweep across the runs of a merged database\n"
    "\n"
    "  fleetsim COMMAND --help   help on one command\n"
    "  fleetsim --version        print the version\n";

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(main_help, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "help") == 0 && argc > 2) {
        /* fleetsim help COMMAND is fleetsim COMMAND --help */
        char help_opt[] = "--help";
        char *hargv[] = {argv[0], argv[2], help_opt, NULL};
        if (strcmp(argv[2], "help") != 0)
            return main(3, hargv);
    }
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 ||
        strcmp(cmd, "help") == 0) {
        fputs(main_help, stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("fleetsim %s (scenario format 1.1)\n", FLEETSIM_VERSION);
        return EXIT_OK;
    }
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "test") == 0)
        return cmd_test(argc - 1, argv + 1);
    if (strcmp(cmd, "validate") == 0)
        return cmd_validate(argc - 1, argv + 1);
    if (strcmp(cmd, "bench") == 0)
        return cmd_bench(argc - 1, argv + 1);
    if (strcmp(cmd, "diff") == 0)
        return cmd_diff(argc - 1, argv + 1);
    if (strcmp(cmd, "report") == 0)
        return cmd_report(argc - 1, argv + 1);
    if (strcmp(cmd, "merge") == 0)
        return cmd_merge(argc - 1, argv + 1);
    if (strcmp(cmd, "replay") == 0)
        return cmd_replay(argc - 1, argv + 1);
    if (strcmp(cmd, "sweep") == 0)
        return fs_cli_sweep(argc - 1, argv + 1);
    fprintf(stderr, "fleetsim: unknown command '%s'\n\n%s", cmd, main_help);
    return EXIT_USAGE;
}
