/*
 * include/fleetsim/run.h - one simulation run of a loaded scenario.
 *
 * Owns: struct fs_run, which ties a scenario to an engine, the metrics
 * registry and the model, schedules the timeline, checks the expectations
 * at their times, and writes the outputs of the run itself (fleet.db,
 * trace.zst, summary.json; report/ builds report.html from fleet.db).
 * Invariants: expectations with at: T are evaluated after every event at or
 * before T and before any later one; outputs are written whole or not at
 * all (temporary names, then rename).
 * Does not: read the wall clock (the caller passes wall seconds in), parse
 * command lines, or draw progress.
 */
#ifndef FLEETSIM_RUN_H
#define FLEETSIM_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fleetsim/crypto.h"
#include "fleetsim/diag.h"

struct fs_arena;
struct fs_scn;
struct fs_sim;
struct fs_svc;
struct fs_svc_config;
struct fs_metrics;
struct fs_run;
struct fs_msgpool;

/* The program's version (summary.json, trace headers, --version). */
#define FS_FLEETSIM_VERSION "0.1.0"
/* summary.json's format_version (docs/outputs.md). */
#define FS_RUN_SUMMARY_FORMAT_VERSION 2

struct fs_run_opts {
    bool seed_set;           /* true: seed overrides the scenario's */
    uint64_t seed;           /* --seed */
    unsigned threads;        /* --threads: crypto worker threads, 0 = default */
    const char *trace_path;  /* write a zstd trace here, or NULL */
    bool check;              /* run integrity checks after every event */
    int64_t sample_every_us; /* --sample: metric sample spacing; 0 = a
                                hundredth of the duration */
    enum fs_crypto_kind crypto; /* --crypto: signature scheme (0: real) */
    /* Benchmarks only: a clock that times the run's crypto (crypto.h). */
    uint64_t (*crypto_clock)(void);
};

/* Outcome of one expectation. */
struct fs_run_result {
    const char *text; /* the expression as written */
    int64_t at_us;    /* when checked; -1 = end of run */
    int line;         /* source line of the expectation */
    bool checked;     /* false when the run stopped before its time */
    bool held;        /* verdict */
    char seen[96];    /* value seen, as text */
};

/*
 * Prepare a run of scn (borrowed; it must outlive the run). Returns 0,
 * FS_ELIMIT or FS_EIO with a message in diag.
 */
int fs_run_create(const struct fs_scn *scn, const struct fs_run_opts *opts,
                  struct fs_run **out, struct fs_diag *diag);
/* Destroy r and everything it owns; NULL is a no-op. */
void fs_run_destroy(struct fs_run *r);

/*
 * Run at most max_events events (a batch for the host loop). Sets *out_done
 * once the scenario's duration is reached and the end-of-run expectations
 * are evaluated. Returns 0 or FS_EINTR after fs_run_stop.
 */
int fs_run_step(struct fs_run *r, uint64_t max_events, bool *out_done);

/* Stop at the next event boundary (SIGINT). */
void fs_run_stop(struct fs_run *r);
/* True when fs_run_stop was called. */
bool fs_run_is_stopped(const struct fs_run *r);

/* The scenario's simulated duration and the current simulated time. */
int64_t fs_run_duration_us(const struct fs_run *r);
int64_t fs_run_now_us(const struct fs_run *r);
/* Events handled so far. */
uint64_t fs_run_events(const struct fs_run *r);
/* Seed in effect. */
uint64_t fs_run_seed(const struct fs_run *r);
/* The name of canonical record kind (e.g. "deployment_wave_opened"), or
 * NULL for a kind the model does not write. */
const char *fs_run_record_kind_name(uint16_t kind);
/* Threads doing signature work: --threads, or the machine's cores. */
unsigned fs_run_threads(const struct fs_run *r);
/* The thread count a run with opts uses (opts->threads, or the cores). */
unsigned fs_run_default_threads(const struct fs_run_opts *opts);

/* --crypto: the signature scheme of the run. */
enum fs_crypto_kind fs_run_crypto(const struct fs_run *r);
/* Devices in the fleet. */
uint64_t fs_run_devices(const struct fs_run *r);
/* Engine and metrics, for reports and tests. */
struct fs_sim *fs_run_sim(struct fs_run *r);
const struct fs_metrics *fs_run_metrics(const struct fs_run *r);

/* The security service and the fleet of the run (for reports, tests). */
struct fs_svc *fs_run_svc(struct fs_run *r);
struct fs_fleet *fs_run_fleet(struct fs_run *r);
/* The message pool the run's parties share (tests and fuzzers inject
   messages from it). */
struct fs_msgpool *fs_run_msgpool(struct fs_run *r);
struct fs_catalog *fs_run_catalog(struct fs_run *r);

/* The scenario being run. */
const struct fs_scn *fs_run_scn(const struct fs_run *r);
/* True once the run reached its duration and checked every expectation. */
bool fs_run_is_done(const struct fs_run *r);

/* Expectation results, in scenario order. */
const struct fs_run_result *fs_run_results(const struct fs_run *r,
                                           size_t *out_count);
/* Count of expectations checked and not held. */
size_t fs_run_failures(const struct fs_run *r);
/* Attack attempts counted undecided at the end of the run (0 before). */
uint64_t fs_run_undecided(const struct fs_run *r);
/* True when an expectation names attacks{outcome="undecided"}. */
bool fs_run_names_undecided(const struct fs_run *r);

/*
 * Time series of the count metrics: the run samples every count series at
 * (about) 240 evenly spaced simulated times, between events, so sampling
 * never changes the run. Sample i was taken at times[i]; each entry says
 * which sample, which series (fs_metrics_series_info) and its value.
 */
struct fs_run_sample {
    uint32_t sample; /* index into the times array */
    uint32_t series; /* metrics series index */
    int64_t value;   /* its count then */
};
void fs_run_samples(const struct fs_run *r, const int64_t **out_times,
                    size_t *out_ntimes, const struct fs_run_sample **out,
                    size_t *out_count);

/* Hex fingerprint of the run's canonical record so far. */
void fs_run_fingerprint(struct fs_run *r, char hex[65]);

/* Create path and its parents (mkdir -p); 0, or -1 with errno set. */
int fs_run_mkdirs(const char *path);

/*
 * Outputs, in two steps so that files built from the database (report.html,
 * report/) can go in between: fs_run_write_db finishes the trace and writes
 * dir/fleet.db (dir is created if missing); fs_run_write_summary renames the
 * trace to dir/trace.zst and writes dir/summary.json last, so its presence
 * says every other output is whole. Each file is written under a temporary
 * name and renamed, so a failure leaves no half-written file. wall_s is the
 * caller's measurement and appears only in summary.json; a negative wall_s
 * writes null there for it and for peak_rss_bytes, so that the file does
 * not depend on the machine (run --no-timing). Both return 0, or
 * FS_EIO/FS_EDB with diag filled.
 */
int fs_run_write_db(struct fs_run *r, const char *dir, struct fs_diag *diag);
int fs_run_write_summary(struct fs_run *r, const char *dir, double wall_s,
                         struct fs_diag *diag);

/* ---- the service's configuration (sim/run/svc_config.c) ---- */

/*
 * The security service's configuration of scn into *out: products, groups,
 * images and cohorts by the scenario's indexes, the settings, the defence
 * bitset and the largest max_downloads the timeline sets. Its arrays are
 * allocated in arena and point into scn: both must outlive the service.
 */
void fs_run_svc_config(const struct fs_scn *scn, struct fs_arena *arena,
                       struct fs_svc_config *out);

/*
 * Add every deploy action of scn to svc as a deployment, in timeline
 * order (so their ids are 0, 1, ...). When deploy_of_action is not NULL
 * (scn->nactions entries), write to entry i the id of the deployment
 * action i acts on (deploy: its own; resume, cancel: its target's), or
 * UINT32_MAX. Returns 0 or the first error of fs_rollout_add.
 */
int fs_run_svc_deploys(const struct fs_scn *scn, struct fs_svc *svc,
                       uint32_t *deploy_of_action);

/* ---- merged databases (sim/run/merge.c) ---- */

/*
 * Join the run databases in_paths[0..n) (n >= 1; fleet.db of schema 3)
 * into one merged database at out_path (docs/fleet-db.md "Merged
 * databases"): a runs table (run 1 is in_paths[0], and so on), run_keys,
 * a merge table, and every per-run table with a leading run column. The
 * inputs are attached at most 10 at a time and only read. out_path is
 * written whole: as fs_run_merge_tmp_path names it, renamed when complete,
 * removed on failure. The same inputs give the same bytes. Returns 0;
 * FS_EDB naming the input that is missing or not a run database of schema
 * 3 (a merged database included) or whose tables differ from the first's;
 * FS_EUSAGE naming an input given twice or an out_path that is an input;
 * FS_EDB or FS_EIO naming out_path when it cannot be written.
 */
int fs_run_merge(const char *out_path, const char *const *in_paths, size_t n,
                 struct fs_diag *diag);

/* The temporary name fs_run_merge writes out_path under: .NAME.tmp beside
 * it (for a signal handler to remove). */
void fs_run_merge_tmp_path(const char *out_path, char *buf, size_t len);

#endif
