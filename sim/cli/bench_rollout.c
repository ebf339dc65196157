/*
 * sim/cli/bench_rollout.c - `fleetsim bench rollout`: an OS rollout to N
 * devices.
 *
 * Owns: the built-in rollout scenario, running it to its end, and the
 * measurement of its crypto floor: the time the run itself spent inside
 * Ed25519 operations, read with a clock this file installs in the run's
 * crypto counters (fs_run_opts.crypto_clock, read back with fs_crypto_of).
 * Benchmarks measure wall time by design: this file (like sim/cli/bench.c) may
 * read the monotonic clock; nothing it measures feeds back into the model.
 * Invariants: the run is the same as `fleetsim run` of that scenario; the
 * floor counts only operations the run really made.
 * Does not: change the model or its outputs.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "fleetsim/bench.h"
#include "fleetsim/units.h"
#include "fleetsim/crypto.h"
#include "fleetsim/fleet.h"
#include "fleetsim/err.h"
#include "fleetsim/image.h"
#include "fleetsim/mem.h"
#include "fleetsim/metrics.h"
#include "fleetsim/run.h"
#include "fleetsim/scn.h"
#include "fleetsim/service.h"
#include "fleetsim/sim.h"

static const char scenario_fmt[] =
    "scenario: bench-rollout\n"
    "seed: 1\n"
    "duration: 3d\n"
    "service: {checkin_interval: 20h, max_downloads: 10000, "
    "egress: 10Gbps, probation: 10m}\n"
    "products: [{name: BENCH}]\n"
    "images:\n"
    "  - {id: os-1, kind: os, version: \"1.0\", size: 4MiB}\n"
    "  - {id: os-2, kind: os, version: \"2.0\", size: 4MiB}\n"
    "fleet:\n"
    "  - {product: BENCH, count: %" PRIu64 ", os: os-1,\n"
    "     network: {bandwidth: 10Mbps, latency: 50ms}}\n"
    "timeline:\n"
    "  - at: 1h\n"
    "    deploy: {id: rollout, image: os-2}\n"
    "expect:\n"
    "  - devices{os=\"2.0\"} >= 99%%\n";

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The benchmark clock handed to the run's crypto: monotonic nanoseconds. */
static uint64_t
clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Per-operation costs and the floor, from the run's own crypto time. */
static void
crypto_floor(struct fs_bench_rollout_result *r,
             const struct fs_crypto_stats *cs)
{
    r->keygen_us = cs->keygen ? (double)cs->keygen_ns / 1e3 / cs->keygen : 0;
    r->sign_us = cs->sign ? (double)cs->sign_ns / 1e3 / cs->sign : 0;
    r->verify_us = cs->verify ? (double)cs->verify_ns / 1e3 / cs->verify : 0;
    r->crypto_floor_s =
        (double)(cs->keygen_ns + cs->sign_ns + cs->verify_ns) / 1e9 +
        (double)r->catalog_verify * r->verify_us / 1e6;
}

static void
collect(struct fs_run *run, struct fs_bench_rollout_result *r)
{
    struct fs_sim *sim = fs_run_sim(run);
    const struct fs_metrics *m = fs_run_metrics(run);
    const struct fs_crypto_stats *cs = fs_crypto_counts(fs_crypto_of(sim));
    r->events = fs_run_events(run);
    r->sim_days = (double)fs_run_now_us(run) / 86400e6;
    r->peak_rss_bytes = fs_mem_peak_rss_bytes();
    r->model_bytes =
        fs_fleet_bytes(fs_run_fleet(run)) + fs_svc_bytes(fs_run_svc(run));
    r->keygen = cs->keygen;
    r->sign = cs->sign;
    r->verify = cs->verify;
    r->catalog_verify = fs_catalog_verifies(fs_run_catalog(run));
    r->catalog_memo = fs_catalog_memo_hits(fs_run_catalog(run));
    crypto_floor(r, cs);
    const struct fs_crypto_waste *w = fs_crypto_waste(fs_crypto_of(sim));
    r->threads = fs_run_threads(run);
    r->main_wait_s = (double)w->wait_ns / 1e9;
    r->main_waits = w->main_waits;
    r->unused_sign = w->unused_sign;
    r->unused_verify = w->unused_verify;
    r->jobs_started = w->started;
    r->main_crypto_s = (double)w->main_crypto_ns / 1e9;
    r->main_spin_s = (double)w->spin_ns / 1e9;
    r->worker_busy_s = (double)w->worker_ns / 1e9;
    fs_run_fingerprint(run, r->fingerprint);
    struct fs_label_sel sel = {1, "confirmed"};
    r->confirmed = fs_metrics_sum(m, FS_M_UPDATES, &sel, 1);
    if (fs_metrics_rollout_time(m, "rollout", 990000, &r->rollout_99_us) != 0)
        r->rollout_99_us = INT64_MAX;
}

int
fs_bench_rollout(uint64_t devices, unsigned threads, enum fs_crypto_kind crypto,
                 struct fs_bench_rollout_result *out)
{
    char text[sizeof(scenario_fmt) + 32];
    snprintf(text, sizeof(text), scenario_fmt, devices);
    struct fs_diag diag;
    fs_diag_clear(&diag);
    struct fs_scn *scn;
    if (fs_scn_load_string("bench-rollout", text, strlen(text), &scn, &diag) !=
        0) {
        fs_diag_print(&diag, stderr);
        return FS_ESCENARIO;
    }
    struct fs_run_opts opts = {
        .threads = threads, .crypto = crypto, .crypto_clock = clock_ns};
    struct fs_run *run;
    memset(out, 0, sizeof(*out));
    out->devices = devices;
    out->crypto = crypto;
    double t0 = now_s();
    int err = fs_run_create(scn, &opts, &run, &diag);
    if (err != 0) {
        fs_diag_print(&diag, stderr);
        fs_scn_destroy(scn);
        return err;
    }
    bool done = false;
    while (!done && err == 0)
        err = fs_run_step(run, 1000000, &done);
    out->wall_s = now_s() - t0;
    collect(run, out);
    out->serial_s = out->wall_s - out->main_crypto_s - out->main_spin_s;
    fs_run_destroy(run);
    fs_scn_destroy(scn);
    return err;
}

int
fs_bench_rollout_print(FILE *f, const struct fs_bench_rollout_result *r,
                       bool json)
{
    double ev_s = r->wall_s > 0 ? (double)r->events / r->wall_s : 0;
    double days_s = r->wall_s > 0 ? r->sim_days / r->wall_s : 0;
    double per_dev = r->devices ? (double)r->peak_rss_bytes / r->devices : 0;
    double r99 =
        r->rollout_99_us == INT64_MAX ? -1 : (double)r->rollout_99_us / 1e6;
    unsigned th = r->threads ? r->threads : 1;
    double ratio =
        r->crypto_floor_s > 0 ? r->wall_s / (r->crypto_floor_s / th) : 0;
    /* the part of one thread's work that stays on the main thread */
    double serial_frac = r->serial_s + r->crypto_floor_s > 0
                             ? r->serial_s / (r->serial_s + r->crypto_floor_s)
                             : 0;
    if (json) {
        fprintf(f,
                "{\"devices\": %" PRIu64 ", \"events\": %" PRIu64
                ", \"wall_s\": %.3f, \"events_per_s\": %.0f, "
                "\"sim_days_per_wall_s\": %.4f, \"peak_rss_bytes\": %zu, "
                "\"bytes_per_device\": %.0f, \"model_bytes\": %zu, "
                "\"confirmed\": %" PRId64 ", \"rollout_99_s\": %.0f, "
                "\"keygen\": %" PRIu64 ", \"sign\": %" PRIu64
                ", \"verify\": %" PRIu64 ", \"catalog_verify\": %" PRIu64
                ", \"catalog_memo_hits\": %" PRIu64
                ", \"keygen_us\": %.2f, \"sign_us\": %.2f, "
                "\"verify_us\": %.2f, \"crypto_floor_s\": %.3f, "
                "\"threads\": %u, \"wall_over_floor\": %.3f, "
                "\"main_wait_s\": %.3f, \"main_waits\": %" PRIu64
                ", \"unused_sign\": %" PRIu64 ", \"unused_verify\": %" PRIu64
                ", \"jobs_started\": %" PRIu64
                ", \"main_crypto_s\": %.3f, \"main_spin_s\": %.3f, "
                "\"worker_busy_s\": %.3f, \"serial_s\": %.3f, "
                "\"serial_fraction\": %.4f"
                ", \"fingerprint\": \"%s\", \"crypto\": \"%s\"}\n",
                r->devices, r->events, r->wall_s, ev_s, days_s,
                r->peak_rss_bytes, per_dev, r->model_bytes, r->confirmed, r99,
                r->keygen, r->sign, r->verify, r->catalog_verify,
                r->catalog_memo, r->keygen_us, r->sign_us, r->verify_us,
                r->crypto_floor_s, th, ratio, r->main_wait_s, r->main_waits,
                r->unused_sign, r->unused_verify, r->jobs_started,
                r->main_crypto_s, r->main_spin_s, r->worker_busy_s, r->serial_s,
                serial_frac, r->fingerprint, fs_crypto_kind_name(r->crypto));
    } else {
        char r99_s[32] = "not reached";
        if (r99 >= 0)
            fs_units_format_duration_human((int64_t)(r99 * 1e6), r99_s,
                                           sizeof(r99_s));
        fprintf(f,
                "devices            %" PRIu64 "\n"
                "events             %" PRIu64 "\n"
                "wall time          %.2f s\n"
                "events/s           %.0f\n"
                "sim days / wall s  %.4f\n"
                "peak memory        %.1f MiB (%.0f B/device)\n"
                "model bytes        %zu\n"
                "confirmed          %" PRId64 "\n"
                "time to 99%%        %s simulated\n"
                "crypto             %s: keygen %" PRIu64
                " x %.1f us, sign %" PRIu64 " x %.1f us, verify %" PRIu64
                " x %.1f us\n"
                "vendor sig checks  %" PRIu64 " done, %" PRIu64 " from memo\n"
                "crypto floor       %.2f s on one thread; %u threads: "
                "wall / (floor / threads) = %.2f\n"
                "main thread        waited %.2f s for results (%" PRIu64
                " times on a worker); started ahead and unused: %" PRIu64
                " signatures, %" PRIu64 " checks\n"
                "thread time        main: model %.2f s, crypto %.2f s, "
                "yielding %.2f s; workers: crypto %.2f s; serial fraction "
                "%.3f\n"
                "fingerprint        %s\n",
                r->devices, r->events, r->wall_s, ev_s, days_s,
                (double)r->peak_rss_bytes / 1048576.0, per_dev, r->model_bytes,
                r->confirmed, r99_s, fs_crypto_kind_name(r->crypto), r->keygen,
                r->keygen_us, r->sign, r->sign_us, r->verify, r->verify_us,
                r->catalog_verify, r->catalog_memo, r->crypto_floor_s, th,
                ratio, r->main_wait_s, r->main_waits, r->unused_sign,
                r->unused_verify, r->serial_s, r->main_crypto_s, r->main_spin_s,
                r->worker_busy_s, serial_frac, r->fingerprint);
    }
    return ferror(f) ? FS_EIO : 0;
}
