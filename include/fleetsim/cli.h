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

struct fs_run;

struct fs_cli_run {
    const char *file;    /* scenario path */
    bool seed_set;       /* --seed given */
    uint64_t seed;       /* its value */
    const char *out_dir; /* --out, or NULL */
    unsigned threads;    /* --threads, 0 when not given */
    bool trace;          /* --trace */
    bool quiet;          /* --quiet */
    bool check;          /* --check */
};

struct fs_cli_test {
    bool seed_set;      /* --seed given */
    uint64_t seed;      /* its value */
    bool write_digests; /* --write-digests */
    char **paths;       /* FILE|DIR arguments (borrowed from argv) */
    size_t npaths;      /* their count */
};

struct fs_cli_paths {
    char **items; /* heap-owned paths, sorted */
    size_t count; /* used */
    size_t cap;   /* allocated */
};

/*
 * Parse `run` arguments (argv[0] is "run"). Returns 0 when parsed, 1 when
 * help was asked, -1 after printing a usage error to stderr.
 */
int fs_cli_parse_run(int argc, char **argv, struct fs_cli_run *out);
/* Parse `test` arguments the same way. */
int fs_cli_parse_test(int argc, char **argv, struct fs_cli_test *out);

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
struct fs_diag;
int fs_cli_write_outputs(struct fs_run *run, const char *dir, double wall_s,
                         struct fs_diag *diag);

/* The summary `run` prints on stdout after writing its outputs. */
void fs_cli_print_run_summary(FILE *fp, struct fs_run *run, const char *out_dir,
                              double wall_s);

/* `fleetsim bench engine ...` (argv[0] is "engine"); returns exit status. */
int fs_cli_bench_engine(int argc, char **argv, const char *help);

/* `fleetsim bench rollout ...` (argv[0] is "rollout"); returns exit status. */
int fs_cli_bench_rollout(int argc, char **argv, const char *help);

#endif
