/*
 * sim/cli/sweep.c - `fleetsim sweep`: the jobs of a sweep over seeds and
 * scenario parameters, written for an existing scheduler.
 *
 * Owns: the job order (seed slowest, then each --set in the order given,
 * the last fastest), job names (a run folder per job, named by its seed
 * and values), and the files of DIR: jobs.txt (one shell command per
 * line, for GNU parallel), sweep.sbatch (a Slurm job array), job.yaml (a
 * Kubernetes Indexed Job) and sweep.json (the jobs, for the merge step).
 * Invariants: every job is validated before anything is written; each file
 * is written under a temporary name and renamed; the same arguments give
 * the same bytes.
 * Does not: run any job, or merge their databases.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "fleetsim/cli.h"
#include "fleetsim/diag.h"
#include "fleetsim/mem.h"
#include "fleetsim/run.h"
#include "fleetsim/scn.h"

#define SWEEP_JOBS_MAX 100000u
#define SWEEP_VALUES_MAX 1000u /* values of one --set */
#define SWEEP_NAME_BYTES_MAX 200

enum { EMIT_PARALLEL = 1, EMIT_SLURM = 2, EMIT_K8S = 4 };

/* One --set KEY=V1,V2,...: the values, split (heap). */
struct sweep_param {
    const char *key; /* borrowed from argv */
    char *text;      /* the values' storage (heap) */
    char **values;   /* nvalues pointers into text (heap) */
    size_t nvalues;  /* >= 1 */
};

struct sweep {
    const char *file;                             /* as given */
    char file_abs[PATH_MAX];                      /* realpath */
    char exe[PATH_MAX];                           /* /proc/self/exe */
    const char *out;                              /* --out as given */
    char out_abs[PATH_MAX];                       /* absolute */
    uint64_t seed_lo;                             /* --seeds A */
    uint64_t seed_hi;                             /* --seeds B */
    struct sweep_param params[FS_SCN_PARAMS_MAX]; /* --set */
    size_t nparams;                               /* entries */
    unsigned emit;                                /* EMIT_* bits */
    bool force;                                   /* --force */
    const char *image;                            /* --image (k8s) */
    uint64_t parallelism;                         /* --parallelism, 0 */
    uint64_t njobs;                               /* product */
    const char *scenario_name;                    /* scn->name (copy) */
    char scenario_blake2b[65];                    /* hex */
};

static const char sweep_help[] =
    "usage: fleetsim sweep FILE --seeds A-B [--set KEY=V1,V2,...]...\n"
    "                      --out DIR [--emit parallel|slurm|k8s]...\n"
    "                      [--parallelism P] [--image IMAGE] [--force]\n"
    "\n"
    "Write the jobs of a sweep over seeds A..B (or one seed A) and the\n"
    "values of each --set (comma-separated; a value holds no comma), one\n"
    "job per combination: seed varies slowest, then each --set in the\n"
    "order given, the last fastest. Every job is validated first. DIR\n"
    "(created; refused when it exists and is not empty, unless --force,\n"
    "which rewrites the job files and keeps runs/) gets:\n"
    "  jobs.txt      one command per line: fleetsim run FILE --seed N\n"
    "                --set KEY=V... --out runs/NAME --quiet --no-timing,\n"
    "                absolute paths; run with  cd DIR && parallel -j2 <\n"
    "                jobs.txt  (resume: parallel --joblog LOG --resume);\n"
    "                NAME is seed=N,KEY=V,... with bytes other than\n"
    "                [A-Za-z0-9._+-] as %XX\n"
    "  sweep.json    the jobs (index, name, seed, parameters, run_dir)\n"
    "  sweep.sbatch  with --emit slurm: a job array, task i runs line\n"
    "                i+1 of jobs.txt (sbatch DIR/sweep.sbatch)\n"
    "  job.yaml      with --emit k8s: an Indexed Job, index i runs line\n"
    "                i+1 (kubectl apply -f DIR/job.yaml); DIR, FILE and\n"
    "                fleetsim are mounted from the node at the same paths\n"
    "                into IMAGE (default debian:bookworm-slim plus\n"
    "                fleetsim's libraries: give your own)\n"
    "--emit defaults to parallel (jobs.txt and sweep.json only) and may be\n"
    "repeated or a comma list. --parallelism P caps the jobs running at\n"
    "once in Slurm (%P) and Kubernetes (default: all, at most 100).\n"
    "A job run twice writes the same bytes. At most 100000 jobs.\n"
    "\n"
    "exit status: 0 written, 2 bad usage, a job that does not validate, or\n"
    "DIR cannot be written (nothing is left half-written).\n";

static int
sweep_usage(const char *what, const char *arg)
{
    fprintf(stderr, "fleetsim sweep: %s%s%s\n(see 'fleetsim sweep --help')\n",
            what, arg ? ": " : "", arg ? arg : "");
    return -1;
}

/* A = B or A-B, decimal, A <= B. */
static int
parse_seeds(const char *s, struct sweep *sw)
{
    if (s == NULL)
        return sweep_usage("--seeds needs A-B (e.g. 1-10) or one seed", NULL);
    char buf[64];
    if (strlen(s) >= sizeof(buf))
        return sweep_usage("--seeds: expected A-B, two whole numbers", s);
    snprintf(buf, sizeof(buf), "%s", s);
    char *dash = strchr(buf, '-');
    if (dash != NULL)
        *dash = '\0';
    uint64_t lo, hi;
    if (!fs_cli_parse_u64(buf, &lo) ||
        !fs_cli_parse_u64(dash ? dash + 1 : buf, &hi))
        return sweep_usage("--seeds: expected A-B, two whole numbers", s);
    if (lo > hi)
        return sweep_usage("--seeds: A is greater than B", s);
    sw->seed_lo = lo;
    sw->seed_hi = hi;
    return 0;
}

static int
parse_emit(const char *s, struct sweep *sw)
{
    if (s == NULL || *s == '\0')
        return sweep_usage("--emit needs parallel, slurm or k8s", NULL);
    const char *p = s;
    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        if (n == 8 && strncmp(p, "parallel", n) == 0)
            sw->emit |= EMIT_PARALLEL;
        else if (n == 5 && strncmp(p, "slurm", n) == 0)
            sw->emit |= EMIT_SLURM;
        else if (n == 3 && strncmp(p, "k8s", n) == 0)
            sw->emit |= EMIT_K8S;
        else
            return sweep_usage("--emit: expected parallel, slurm or k8s", s);
        p += n;
        if (*p == ',')
            p++;
    }
    return 0;
}

/* KEY=V1,V2,... into sw->params[sw->nparams]. */
static int
parse_set(char *arg, struct sweep *sw)
{
    if (sw->nparams == FS_SCN_PARAMS_MAX)
        return sweep_usage("too many --set options (at most 64)", NULL);
    struct fs_scn_param kv;
    if (fs_cli_parse_set("sweep", arg, &kv) != 0)
        return -1;
    if (strcmp(kv.key, "seed") == 0)
        return sweep_usage("--set seed: give the seeds with --seeds", NULL);
    for (size_t i = 0; i < sw->nparams; i++)
        if (strcmp(sw->params[i].key, kv.key) == 0)
            return sweep_usage("--set KEY given twice", kv.key);
    struct sweep_param *sp = &sw->params[sw->nparams];
    sp->key = kv.key;
    sp->text = fs_xstrdup(kv.value);
    sp->values = NULL;
    sp->nvalues = 0;
    sw->nparams++; /* freed with the others, even on error */
    char *p = sp->text;
    for (;;) {
        char *comma = strchr(p, ',');
        if (comma != NULL)
            *comma = '\0';
        if (*p == '\0') {
            fprintf(stderr,
                    "fleetsim sweep: --set %s: an empty value in the list "
                    "'%s'\n",
                    kv.key, kv.value);
            return -1;
        }
        if (sp->nvalues == SWEEP_VALUES_MAX)
            return sweep_usage("--set: at most 1000 values", kv.key);
        sp->values =
            fs_xrealloc(sp->values, (sp->nvalues + 1) * sizeof(*sp->values));
        sp->values[sp->nvalues++] = p;
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    return 0;
}

static int
parse_opt(int argc, char **argv, int *i, struct sweep *sw)
{
    const char *a = argv[*i];
    char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    if (strcmp(a, "--force") == 0) {
        sw->force = true;
        return 0;
    }
    (*i)++;
    if (strcmp(a, "--seeds") == 0)
        return parse_seeds(v, sw);
    if (strcmp(a, "--set") == 0)
        return parse_set(v, sw);
    if (strcmp(a, "--emit") == 0)
        return parse_emit(v, sw);
    if (strcmp(a, "--out") == 0) {
        if (v == NULL || *v == '\0')
            return sweep_usage("--out needs a directory", NULL);
        sw->out = v;
        return 0;
    }
    if (strcmp(a, "--image") == 0) {
        if (v == NULL || *v == '\0' || strpbrk(v, "\"\\\n ") != NULL)
            return sweep_usage("--image needs a container image name", v);
        sw->image = v;
        return 0;
    }
    if (strcmp(a, "--parallelism") == 0) {
        if (!fs_cli_parse_u64(v, &sw->parallelism) || sw->parallelism == 0 ||
            sw->parallelism > SWEEP_JOBS_MAX)
            return sweep_usage("--parallelism needs a number 1..100000", v);
        return 0;
    }
    return sweep_usage("unknown option", a);
}

static int
parse_args(int argc, char **argv, struct sweep *sw)
{
    bool seeds = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] == '-' && a[1] != '\0') {
            seeds = seeds || strcmp(a, "--seeds") == 0;
            if (parse_opt(argc, argv, &i, sw) != 0)
                return -1;
            continue;
        }
        if (sw->file != NULL)
            return sweep_usage("one scenario file at a time", a);
        sw->file = a;
    }
    if (sw->file == NULL)
        return sweep_usage("missing scenario FILE", NULL);
    if (!seeds)
        return sweep_usage("missing --seeds A-B", NULL);
    if (sw->out == NULL)
        return sweep_usage("missing --out DIR", NULL);
    if (sw->emit == 0)
        sw->emit = EMIT_PARALLEL;
    uint64_t n = sw->seed_hi - sw->seed_lo + 1; /* 0: the whole range */
    if (n == 0 || n > SWEEP_JOBS_MAX)
        return sweep_usage("too many jobs (at most 100000)", NULL);
    for (size_t i = 0; i < sw->nparams; i++) {
        n *= sw->params[i].nvalues;
        if (n > SWEEP_JOBS_MAX) {
            fprintf(stderr,
                    "fleetsim sweep: too many jobs: the seeds and values "
                    "give more than %u\n",
                    SWEEP_JOBS_MAX);
            return -1;
        }
    }
    sw->njobs = n;
    return 0;
}

/* ----------------------------------------------------------------- jobs */

/* The values of job j: its seed and each parameter's value index. */
static uint64_t
job_decode(const struct sweep *sw, uint64_t j, size_t *vidx)
{
    for (size_t k = sw->nparams; k-- > 0;) {
        vidx[k] = (size_t)(j % sw->params[k].nvalues);
        j /= sw->params[k].nvalues;
    }
    return sw->seed_lo + j;
}

/* Append s to buf with bytes outside [A-Za-z0-9._+-] as %XX. */
static size_t
name_put(char *buf, size_t cap, size_t len, const char *s)
{
    for (; *s != '\0' && len + 4 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                    c == '+' || c == '-';
        if (safe)
            buf[len++] = (char)c;
        else
            len += (size_t)snprintf(buf + len, cap - len, "%%%02X", c);
    }
    buf[len] = '\0';
    return len;
}

/*
 * The name of the job (seed, values): seed=N,KEY=V,... escaped, so two
 * jobs never share a name; past SWEEP_NAME_BYTES_MAX, its first bytes, '~'
 * and 16 hex digits of the full name's BLAKE2b.
 */
static void
job_name(const struct sweep *sw, uint64_t seed, const size_t *vidx,
         char out[SWEEP_NAME_BYTES_MAX + 1])
{
    size_t cap = 64 + FS_SCN_PARAMS_MAX * 3 *
                          (FS_SCN_PARAM_KEY_BYTES_MAX +
                           FS_SCN_PARAM_VALUE_BYTES_MAX + 2);
    char *full = fs_xmalloc(cap);
    size_t len = (size_t)snprintf(full, cap, "seed=%" PRIu64, seed);
    for (size_t k = 0; k < sw->nparams; k++) {
        full[len++] = ',';
        len = name_put(full, cap, len, sw->params[k].key);
        full[len++] = '=';
        len = name_put(full, cap, len, sw->params[k].values[vidx[k]]);
    }
    if (len <= SWEEP_NAME_BYTES_MAX) {
        memcpy(out, full, len + 1);
    } else {
        unsigned char h[8];
        crypto_generichash(h, sizeof(h), (const unsigned char *)full, len, NULL,
                           0);
        size_t keep = SWEEP_NAME_BYTES_MAX - 17;
        while (keep > 0 && full[keep - 1] == '%') /* no cut escape */
            keep--;
        memcpy(out, full, keep);
        out[keep] = '~';
        sodium_bin2hex(out + keep + 1, 17, h, sizeof(h));
    }
    fs_free(full);
}

/* Append s to fp as one shell word in single quotes. */
static void
shell_word(FILE *fp, const char *s)
{
    fputc('\'', fp);
    for (; *s != '\0'; s++) {
        if (*s == '\'')
            fputs("'\\''", fp);
        else
            fputc(*s, fp);
    }
    fputc('\'', fp);
}

/*
 * Append path to fp as the value of an #SBATCH option: in double quotes,
 * so that sbatch reads a path with spaces as one argument (unquoted it
 * stops at the space: "Invalid directive"), '"' and '\' escaped with a
 * backslash, and '%' doubled, which Slurm's file name patterns read as one
 * '%'. A DIR holding a '\' still fails under Slurm 22.05 (the tasks fail).
 */
static void
sbatch_path(FILE *fp, const char *path)
{
    fputc('"', fp);
    for (; *path != '\0'; path++) {
        if (*path == '"' || *path == '\\')
            fputc('\\', fp);
        if (*path == '%')
            fputc('%', fp);
        fputc(*path, fp);
    }
}

/* Append s to fp as a JSON (and YAML) double-quoted string. */
static void
json_str(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(fp, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            fprintf(fp, "\\u%04x", c);
        else
            fputc(c, fp);
    }
    fputc('"', fp);
}

static void
job_command(FILE *fp, const struct sweep *sw, uint64_t seed, const size_t *vidx,
            const char *name)
{
    shell_word(fp, sw->exe);
    fputs(" run ", fp);
    shell_word(fp, sw->file_abs);
    fprintf(fp, " --seed %" PRIu64, seed);
    for (size_t k = 0; k < sw->nparams; k++) {
        char kv[FS_SCN_PARAM_KEY_BYTES_MAX + FS_SCN_PARAM_VALUE_BYTES_MAX + 2];
        snprintf(kv, sizeof(kv), "%s=%s", sw->params[k].key,
                 sw->params[k].values[vidx[k]]);
        fputs(" --set ", fp);
        shell_word(fp, kv);
    }
    fputs(" --out ", fp);
    char dir[SWEEP_NAME_BYTES_MAX + 8];
    snprintf(dir, sizeof(dir), "runs/%s", name);
    shell_word(fp, dir);
    fputs(" --quiet --no-timing", fp);
}

/*
 * Load the scenario with the values of every combination of the
 * parameters (the seed does not change what loads), naming the first job
 * of a combination that fails. Keeps the scenario's name and hash.
 */
static int
validate_jobs(struct sweep *sw)
{
    uint64_t nseeds = sw->seed_hi - sw->seed_lo + 1;
    uint64_t combos = sw->njobs / nseeds;
    size_t vidx[FS_SCN_PARAMS_MAX];
    struct fs_scn_param kv[FS_SCN_PARAMS_MAX];
    for (uint64_t c = 0; c < combos; c++) {
        uint64_t seed = job_decode(sw, c, vidx);
        for (size_t k = 0; k < sw->nparams; k++) {
            kv[k].key = sw->params[k].key;
            kv[k].value = sw->params[k].values[vidx[k]];
        }
        struct fs_diag diag;
        fs_diag_clear(&diag);
        struct fs_scn *scn;
        if (fs_scn_load_params(sw->file, kv, sw->nparams, &scn, &diag) != 0) {
            char name[SWEEP_NAME_BYTES_MAX + 1];
            job_name(sw, seed, vidx, name);
            fprintf(stderr,
                    "fleetsim sweep: job %" PRIu64 " (%s) does not "
                    "validate:\n",
                    c, name);
            fs_diag_print(&diag, stderr);
            return -1;
        }
        if (c == 0) {
            sw->scenario_name = fs_xstrdup(scn->name);
            sodium_bin2hex(sw->scenario_blake2b, sizeof(sw->scenario_blake2b),
                           scn->file_blake2b, sizeof(scn->file_blake2b));
        }
        fs_scn_destroy(scn);
    }
    return 0;
}

/* ---------------------------------------------------------------- files */

static void
write_jobs_txt(FILE *fp, const struct sweep *sw)
{
    size_t vidx[FS_SCN_PARAMS_MAX];
    char name[SWEEP_NAME_BYTES_MAX + 1];
    for (uint64_t j = 0; j < sw->njobs; j++) {
        uint64_t seed = job_decode(sw, j, vidx);
        job_name(sw, seed, vidx, name);
        job_command(fp, sw, seed, vidx, name);
        fputc('\n', fp);
    }
}

static void
write_sweep_json(FILE *fp, const struct sweep *sw)
{
    fputs("{\n  \"format_version\": 1,\n  \"fleetsim\": ", fp);
    json_str(fp, sw->exe);
    fputs(",\n  \"fleetsim_version\": ", fp);
    json_str(fp, FS_FLEETSIM_VERSION);
    fputs(",\n  \"scenario\": ", fp);
    json_str(fp, sw->file_abs);
    fputs(",\n  \"scenario_name\": ", fp);
    json_str(fp, sw->scenario_name);
    fprintf(fp,
            ",\n  \"scenario_blake2b\": \"%s\",\n  \"seeds\": {\"from\": "
            "%" PRIu64 ", \"to\": %" PRIu64 "},\n  \"sets\": [",
            sw->scenario_blake2b, sw->seed_lo, sw->seed_hi);
    for (size_t k = 0; k < sw->nparams; k++) {
        fputs(k ? ",\n    {\"key\": " : "\n    {\"key\": ", fp);
        json_str(fp, sw->params[k].key);
        fputs(", \"values\": [", fp);
        for (size_t v = 0; v < sw->params[k].nvalues; v++) {
            fputs(v ? ", " : "", fp);
            json_str(fp, sw->params[k].values[v]);
        }
        fputs("]}", fp);
    }
    fprintf(fp, "%s],\n  \"jobs_count\": %" PRIu64 ",\n  \"jobs\": [",
            sw->nparams ? "\n  " : "", sw->njobs);
    size_t vidx[FS_SCN_PARAMS_MAX];
    char name[SWEEP_NAME_BYTES_MAX + 1];
    for (uint64_t j = 0; j < sw->njobs; j++) {
        uint64_t seed = job_decode(sw, j, vidx);
        job_name(sw, seed, vidx, name);
        fprintf(fp, "%s\n    {\"index\": %" PRIu64 ", \"name\": ", j ? "," : "",
                j);
        json_str(fp, name);
        fprintf(fp, ", \"seed\": %" PRIu64 ", \"parameters\": {", seed);
        for (size_t k = 0; k < sw->nparams; k++) {
            fputs(k ? ", " : "", fp);
            json_str(fp, sw->params[k].key);
            fputs(": ", fp);
            json_str(fp, sw->params[k].values[vidx[k]]);
        }
        char dir[SWEEP_NAME_BYTES_MAX + 8];
        snprintf(dir, sizeof(dir), "runs/%s", name);
        fputs("}, \"run_dir\": ", fp);
        json_str(fp, dir);
        fputs("}", fp);
    }
    fputs("\n  ]\n}\n", fp);
}

static void
write_sbatch(FILE *fp, const struct sweep *sw)
{
    fputs("#!/bin/bash\n", fp);
    fprintf(fp, "#SBATCH --job-name=fleetsim-%s\n", sw->scenario_name);
    fprintf(fp, "#SBATCH --array=0-%" PRIu64, sw->njobs - 1);
    if (sw->parallelism > 0)
        fprintf(fp, "%%%" PRIu64, sw->parallelism);
    fputs("\n#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n", fp);
    fputs("#SBATCH --output=", fp);
    sbatch_path(fp, sw->out_abs);
    fputs("/logs/%a.out\"\n", fp);
    fputs("# Written by fleetsim sweep: task i runs line i+1 of jobs.txt.\n"
          "# Submit with: sbatch sweep.sbatch (Slurm's MaxArraySize, 1001 by\n"
          "# default, must exceed the last index).\n"
          "set -eu\n",
          fp);
    fputs("cd ", fp);
    shell_word(fp, sw->out_abs);
    fputs("\nline=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" jobs.txt)\n"
          "[ -n \"$line\" ] || { echo \"no job $SLURM_ARRAY_TASK_ID\" >&2; "
          "exit 2; }\n"
          "exec /bin/sh -c \"$line\"\n",
          fp);
}

/* A DNS-1123 label from the scenario name: [a-z0-9-], at most 63. */
static void
k8s_name(const struct sweep *sw, char out[64])
{
    snprintf(out, 64, "fleetsim-sweep-%.40s", sw->scenario_name);
    size_t n = strlen(out);
    while (n > 0 && out[n - 1] == '-')
        out[--n] = '\0';
}

static void
k8s_mount(FILE *fp, const char *name, const char *path, bool ro)
{
    fprintf(fp, "            - name: %s\n              mountPath: ", name);
    json_str(fp, path);
    fprintf(fp, "\n%s", ro ? "              readOnly: true\n" : "");
}

static void
k8s_volume(FILE *fp, const char *name, const char *path, const char *type)
{
    fprintf(fp, "        - name: %s\n          hostPath:\n            path: ",
            name);
    json_str(fp, path);
    fprintf(fp, "\n            type: %s\n", type);
}

static void
write_job_yaml(FILE *fp, const struct sweep *sw)
{
    char name[64], scn_dir[PATH_MAX];
    k8s_name(sw, name);
    snprintf(scn_dir, sizeof(scn_dir), "%s", sw->file_abs);
    char *slash = strrchr(scn_dir, '/');
    if (slash != NULL && slash != scn_dir)
        *slash = '\0';
    bool own_scn_dir = strcmp(scn_dir, sw->out_abs) != 0;
    uint64_t par = sw->parallelism   ? sw->parallelism
                   : sw->njobs < 100 ? sw->njobs
                                     : 100;
    fputs("# Written by fleetsim sweep: index i runs line i+1 of jobs.txt.\n"
          "# The sweep folder, the scenario's folder and fleetsim are\n"
          "# mounted from the node at the same paths (a shared filesystem\n"
          "# when the cluster has more than one node); the image must hold\n"
          "# fleetsim's libraries (libuv1, libsodium23, libsqlite3-0,\n"
          "# libzstd1, libyaml-0-2). Submit: kubectl apply -f job.yaml\n",
          fp);
    fprintf(fp,
            "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: %s\n"
            "spec:\n  completionMode: Indexed\n  completions: %" PRIu64
            "\n  parallelism: %" PRIu64 "\n  backoffLimit: %" PRIu64
            "\n  template:\n    spec:\n      restartPolicy: Never\n"
            "      containers:\n        - name: fleetsim\n          image: ",
            name, sw->njobs, par, sw->njobs < 6 ? 6 : sw->njobs);
    json_str(fp, sw->image ? sw->image : "debian:bookworm-slim");
    fputs("\n          workingDir: ", fp);
    json_str(fp, sw->out_abs);
    fputs("\n          command:\n            - /bin/sh\n            - -c\n"
          "            - |\n"
          "              line=$(sed -n \"$((JOB_COMPLETION_INDEX + 1))p\" "
          "jobs.txt)\n"
          "              [ -n \"$line\" ] || exit 2\n"
          "              exec /bin/sh -c \"$line\"\n"
          "          volumeMounts:\n",
          fp);
    k8s_mount(fp, "sweep", sw->out_abs, false);
    if (own_scn_dir)
        k8s_mount(fp, "scenario", scn_dir, true);
    k8s_mount(fp, "fleetsim", sw->exe, true);
    fputs("      volumes:\n", fp);
    k8s_volume(fp, "sweep", sw->out_abs, "Directory");
    if (own_scn_dir)
        k8s_volume(fp, "scenario", scn_dir, "Directory");
    k8s_volume(fp, "fleetsim", sw->exe, "File");
}

/* One output: DIR/.NAME.tmp written by fn, renamed to DIR/NAME later. */
struct out_file {
    const char *name;
    void (*fn)(FILE *fp, const struct sweep *sw);
    char tmp[PATH_MAX + 32];
    char path[PATH_MAX + 32];
};

static int
write_tmp(struct out_file *f, const struct sweep *sw)
{
    snprintf(f->tmp, sizeof(f->tmp), "%s/.%s.tmp", sw->out_abs, f->name);
    snprintf(f->path, sizeof(f->path), "%s/%s", sw->out_abs, f->name);
    FILE *fp = fopen(f->tmp, "w");
    if (fp == NULL) {
        fprintf(stderr, "fleetsim sweep: %s: cannot create: %s\n", f->tmp,
                strerror(errno));
        return -1;
    }
    f->fn(fp, sw);
    bool bad = ferror(fp) != 0 || fflush(fp) != 0 || fsync(fileno(fp)) != 0;
    int e = errno;
    if (fclose(fp) != 0 || bad) {
        fprintf(stderr, "fleetsim sweep: %s: cannot write: %s\n", f->tmp,
                strerror(bad ? e : errno));
        unlink(f->tmp);
        return -1;
    }
    return 0;
}

/* DIR: absent (made), or an empty folder, or anything with --force. */
static int
prepare_dir(struct sweep *sw)
{
    struct stat st;
    if (stat(sw->out, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            fprintf(stderr, "fleetsim sweep: %s: not a directory\n", sw->out);
            return -1;
        }
        DIR *d = opendir(sw->out);
        struct dirent *de;
        bool empty = true;
        while (d != NULL && (de = readdir(d)) != NULL)
            if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                empty = false;
        if (d != NULL)
            closedir(d);
        if (!empty && !sw->force) {
            fprintf(stderr,
                    "fleetsim sweep: %s exists and is not empty; give "
                    "another --out, or --force to rewrite its job files "
                    "(runs/ is kept)\n",
                    sw->out);
            return -1;
        }
    } else if (fs_run_mkdirs(sw->out) != 0) {
        fprintf(stderr, "fleetsim sweep: %s: cannot create: %s\n", sw->out,
                strerror(errno));
        return -1;
    }
    if (realpath(sw->out, sw->out_abs) == NULL) {
        fprintf(stderr, "fleetsim sweep: %s: %s\n", sw->out, strerror(errno));
        return -1;
    }
    char sub[PATH_MAX + 16];
    snprintf(sub, sizeof(sub), "%s/runs", sw->out_abs);
    int err = mkdir(sub, 0777) != 0 && errno != EEXIST;
    if (!err && (sw->emit & EMIT_SLURM) != 0) { /* the tasks' output */
        snprintf(sub, sizeof(sub), "%s/logs", sw->out_abs);
        err = mkdir(sub, 0777) != 0 && errno != EEXIST;
    }
    if (err) {
        fprintf(stderr, "fleetsim sweep: %s: cannot create: %s\n", sub,
                strerror(errno));
        return -1;
    }
    return 0;
}

static int
write_files(struct sweep *sw)
{
    struct out_file files[4] = {{.name = "jobs.txt", .fn = write_jobs_txt},
                                {.name = "sweep.json", .fn = write_sweep_json},
                                {.name = "sweep.sbatch", .fn = write_sbatch},
                                {.name = "job.yaml", .fn = write_job_yaml}};
    bool want[4] = {true, true, (sw->emit & EMIT_SLURM) != 0,
                    (sw->emit & EMIT_K8S) != 0};
    size_t done = 0;
    for (; done < 4; done++)
        if (want[done] && write_tmp(&files[done], sw) != 0)
            break;
    for (size_t i = 0; i < 4; i++) {
        if (!want[i])
            continue;
        if (done < 4) {
            if (i < done)
                unlink(files[i].tmp);
        } else if (rename(files[i].tmp, files[i].path) != 0) {
            fprintf(stderr, "fleetsim sweep: %s: cannot rename: %s\n",
                    files[i].path, strerror(errno));
            done = 0;
        }
    }
    if (done < 4)
        return -1;
    printf("%" PRIu64 " jobs in %s/jobs.txt (%s/sweep.json", sw->njobs, sw->out,
           sw->out);
    if (want[2])
        printf(", sweep.sbatch");
    if (want[3])
        printf(", job.yaml");
    printf(")\nrun them: cd %s && parallel -j2 < jobs.txt\n", sw->out);
    return 0;
}

static void
sweep_fini(struct sweep *sw)
{
    for (size_t i = 0; i < sw->nparams; i++) {
        fs_free(sw->params[i].values);
        fs_free(sw->params[i].text);
    }
    fs_free((char *)sw->scenario_name);
}

/* Resolve the program and the scenario to absolute paths. */
static int
resolve_paths(struct sweep *sw)
{
    ssize_t n = readlink("/proc/self/exe", sw->exe, sizeof(sw->exe) - 1);
    if (n <= 0) {
        fprintf(stderr, "fleetsim sweep: cannot find this program's path "
                        "(/proc/self/exe)\n");
        return -1;
    }
    sw->exe[n] = '\0';
    if (realpath(sw->file, sw->file_abs) == NULL) {
        fprintf(stderr, "%s: error: cannot open: %s\n", sw->file,
                strerror(errno));
        return -1;
    }
    return 0;
}

/* `fleetsim sweep ...` (argv[0] is "sweep"); returns the exit status. */
int
fs_cli_sweep(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return fputs(sweep_help, stdout), 0;
    struct sweep *sw = fs_xcalloc(1, sizeof(*sw));
    int rc = 2;
    if (parse_args(argc, argv, sw) == 0 && resolve_paths(sw) == 0 &&
        validate_jobs(sw) == 0 && prepare_dir(sw) == 0 && write_files(sw) == 0)
        rc = 0;
    sweep_fini(sw);
    fs_free(sw);
    return rc;
}
