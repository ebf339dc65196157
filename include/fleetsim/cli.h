/*
 * include/fleetsim/cli.h - command-line parsing and printing for fleetsim.
 *
 * Owns: the option tables of each command, number parsing with errors,
 * collecting scenario files from directories in name order, and the text
 * a finished run prints.
 * Invariants: a usage error is reported before anything is created.
 * Does not: simulate anything or read the wall clock.
 */
#ifndef FLEETSIM_CLI_H
#define FLEETSIM_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fleetsim/crypto.h"
#include "fleetsim/scn.h"

struct fs_run;
struct fs_diag;

struct fs_cli_run {
    const char *file;           /* scenario path */
    bool seed_set;              /* --seed given */
    uint64_t seed;              /* its value */
    const char *out_dir;        /* --out, or NULL */
    unsigned threads;           /* --threads, 0 when not given */
    enum fs_crypto_kind crypto; /* --crypto, FS_CRYPTO_REAL when not given */
    bool trace;                 /* --trace */
    bool quiet;                 /* --quiet */
    bool check;                 /* --check */
    bool wait;                  /* --wait: wait for another run's lock */
    bool no_timing;             /* --no-timing: no wall time, no RSS */
    uint64_t max_memory_bytes;  /* --max-memory, 0 when not given */
    int64_t sample_us;          /* --sample, 0 when not given */
    size_t nparams;             /* --set options given */
    struct fs_scn_param params[FS_SCN_PARAMS_MAX]; /* in order (argv) */
};

struct fs_cli_test {
    bool seed_set;              /* --seed given */
    uint64_t seed;              /* its value */
    bool write_digests;         /* --write-digests */
    unsigned threads;           /* --threads, 0 when not given */
    enum fs_crypto_kind crypto; /* --crypto, FS_CRYPTO_REAL when not given */
    const char *junit;          /* --junit FILE, or NULL */
    char **paths;               /* FILE|DIR arguments (borrowed from argv) */
    size_t npaths;              /* their count */
};

struct fs_cli_paths {
    char **items; /* heap-owned paths, sorted */
    size_t count; /* used */
    size_t cap;   /* allocated */
};

/* A run's hold on its output folder (see sim/cli/outdir.c). */
struct fs_cli_outdir {
    char path[4096];      /* the folder */
    char lock_path[4200]; /* DIR/.fleetsim.lock */
    int lock_fd;          /* held flock, or -1 */
    bool created;         /* made by fs_cli_outdir_open */
};

/*
 * Create dir when missing, check it is a writable folder and lock it for
 * this run (wait: block until another run lets go; else refuse at once).
 * Returns 0, or an error with diag set (the folder is left as it was).
 */
int fs_cli_outdir_open(struct fs_cli_outdir *od, const char *dir, bool wait,
                       struct fs_diag *diag);
/* Let go of the folder: remove the lock file, and the folder when it was
 * made by open and is still empty. Safe to call twice. */
void fs_cli_outdir_close(struct fs_cli_outdir *od);

/* The smallest of the machine's memory, RLIMIT_AS and max_memory_bytes (0:
 * none); which names the one that decided. */
uint64_t fs_cli_memory_limit_bytes(uint64_t max_memory_bytes,
                                   const char **which);

/*
 * Before the first event: refuse (FS_ELIMIT, diag set) a fleet of devices
 * whose memory estimate exceeds the limit above, or outputs (with trace)
 * whose size estimate exceeds the free space in dir.
 */
int fs_cli_check_resources(const char *dir, uint64_t devices, bool trace,
                           uint64_t max_memory_bytes, struct fs_diag *diag);

/*
 * Parse `run` arguments (argv[0] is "run"). Returns 0 when parsed, 1 when
 * help was asked, -1 after printing a usage error to stderr.
 */
int fs_cli_parse_run(int argc, char **argv, struct fs_cli_run *out);
/* Parse `test` arguments the same way. */
int fs_cli_parse_test(int argc, char **argv, struct fs_cli_test *out);

/*
 * Split `--set KEY=VALUE` (arg, borrowed from argv) at its first '=' into
 * *out, pointing into arg (which is cut at the '='). cmd names the command
 * in the error. Returns 0, or -1 after printing a usage error.
 */
int fs_cli_parse_set(const char *cmd, char *arg, struct fs_scn_param *out);

/* Parse a decimal unsigned integer; false on garbage or overflow. */
bool fs_cli_parse_u64(const char *s, uint64_t *out);

/*
 * Collect the .yaml/.yml files named by paths (directories searched
 * recursively), each directory's entries in name order. Prints an error and
 * returns -1 when a path does not exist or nothing was found.
 */
int fs_cli_collect_yaml(char **paths, size_t npaths, struct fs_cli_paths *out);
void fs_cli_paths_fini(struct fs_cli_paths *p);

/*
 * Write every output of run into dir, each whole: fleet.db (the run), then
 * report.html built from that fleet.db alone (report/), then trace.zst and
 * summary.json last (the run). Returns 0, or FS_EIO/FS_EDB with diag.
 */
int fs_cli_write_outputs(struct fs_run *run, const char *dir, double wall_s,
                         struct fs_diag *diag);

/* The summary `run` prints on stdout after writing its outputs. */
void fs_cli_print_run_summary(FILE *fp, struct fs_run *run, const char *out_dir,
                              double wall_s);

/*
 * `fleetsim sweep ...` (argv[0] is "sweep", sim/cli/sweep.c): write the
 * jobs of a sweep over seeds and --set values for GNU parallel, Slurm or
 * Kubernetes. Returns the exit status (0, or 2 with a message).
 */
int fs_cli_sweep(int argc, char **argv);

/* `fleetsim bench engine ...` (argv[0] is "engine"); returns exit status. */
int fs_cli_bench_engine(int argc, char **argv, const char *help);

/* `fleetsim bench rollout ...` (argv[0] is "rollout"); returns exit status. */
int fs_cli_bench_rollout(int argc, char **argv, const char *help);

/* The JUnit XML of one `fleetsim test` (sim/cli/junit.c). */
struct fs_junit {
    char *cases;            /* <testcase> elements so far */
    size_t len;             /* bytes used in cases */
    size_t cap;             /* bytes allocated */
    char *detail;           /* failure text of the open case */
    size_t dlen;            /* bytes used in detail */
    size_t dcap;            /* bytes allocated */
    unsigned tests;         /* cases ended */
    unsigned failures;      /* cases with a failed check */
    unsigned errors;        /* cases that did not load or run */
    double time_s;          /* wall seconds of all cases */
    bool open;              /* a case is begun and not ended */
    char file[1024];        /* the open case's scenario file */
    char name[128];         /* ... and its name (the scenario's) */
    unsigned case_failures; /* failed checks of the open case */
    bool case_error;        /* the open case did not load or run */
};

/* Start an empty document; nothing is allocated until a case is added. */
void fs_junit_init(struct fs_junit *j);
/* Free what j holds. */
void fs_junit_fini(struct fs_junit *j);
/* Begin the case of scenario file (its scenario name, or NULL). */
void fs_junit_case_begin(struct fs_junit *j, const char *file,
                         const char *name);
/* Name the open case (the scenario's name once it loaded). */
void fs_junit_rename(struct fs_junit *j, const char *name);
/* One failed check of the open case (an expectation, a digest). */
void fs_junit_failure(struct fs_junit *j, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The open case did not load or could not run. */
void fs_junit_error(struct fs_junit *j, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* End the open case, which took time_s wall seconds. */
void fs_junit_case_end(struct fs_junit *j, double time_s);
/*
 * Write the document to path whole (a temporary file beside it, renamed
 * over it). Returns 0, or FS_EIO with diag naming path and the cause.
 */
int fs_junit_write(const struct fs_junit *j, const char *path,
                   struct fs_diag *diag);

#endif
