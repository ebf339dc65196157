/*
 * sim/cli/cli.c - option parsing, file collection and run summaries for the
 * CLI.
 *
 * Owns: what each command accepts and how its errors read, and the order
 * in which `run` puts its outputs in place.
 * Invariants: on a usage error nothing has been created or written.
 * Does not: simulate, read the clock, or exit the process.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fleetsim/bench.h"
#include "fleetsim/cli.h"
#include "fleetsim/crypto.h"
#include "fleetsim/diag.h"
#include "fleetsim/mem.h"
#include "fleetsim/report.h"
#include "fleetsim/run.h"
#include "fleetsim/units.h"

bool
fs_cli_parse_u64(const char *s, uint64_t *out)
{
    if (s == NULL || *s < '0' || *s > '9')
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    *out = (uint64_t)v;
    return true;
}

static int
usage_error(const char *cmd, const char *what, const char *arg)
{
    fprintf(stderr, "fleetsim %s: %s%s%s\n(see 'fleetsim %s --help')\n", cmd,
            what, arg ? ": " : "", arg ? arg : "", cmd);
    return -1;
}

/* Fetch the value of an option that takes one. */
static char *
opt_value(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc)
        return NULL;
    return argv[++*i];
}

int
fs_cli_parse_set(const char *cmd, char *arg, struct fs_scn_param *out)
{
    char *eq = arg != NULL ? strchr(arg, '=') : NULL;
    if (eq == NULL || eq == arg)
        return usage_error(cmd,
                           "--set needs KEY=VALUE (a dotted path such as "
                           "service.egress, then the value)",
                           arg);
    *eq = '\0';
    out->key = arg;
    out->value = eq + 1;
    return 0;
}

static int
parse_run_opt(int argc, char **argv, int *i, struct fs_cli_run *o)
{
    const char *a = argv[*i];
    uint64_t v;
    if (strcmp(a, "--seed") == 0) {
        if (!fs_cli_parse_u64(opt_value(argc, argv, i), &v))
            return usage_error("run", "--seed needs a non-negative integer",
                               NULL);
        o->seed_set = true;
        o->seed = v;
    } else if (strcmp(a, "--out") == 0) {
        o->out_dir = opt_value(argc, argv, i);
        if (o->out_dir == NULL || *o->out_dir == '\0')
            return usage_error("run", "--out needs a directory", NULL);
    } else if (strcmp(a, "--threads") == 0) {
        if (!fs_cli_parse_u64(opt_value(argc, argv, i), &v) || v < 1 || v > 256)
            return usage_error("run", "--threads needs a number 1..256", NULL);
        o->threads = (unsigned)v;
    } else if (strcmp(a, "--set") == 0) {
        if (o->nparams == FS_SCN_PARAMS_MAX)
            return usage_error("run", "too many --set options (at most 64)",
                               NULL);
        if (fs_cli_parse_set("run", opt_value(argc, argv, i),
                             &o->params[o->nparams]) != 0)
            return -1;
        o->nparams++;
    } else if (strcmp(a, "--crypto") == 0) {
        const char *s = opt_value(argc, argv, i);
        if (fs_crypto_kind_parse(s, &o->crypto) != 0)
            return usage_error("run", "--crypto needs real or model", s);
    } else if (strcmp(a, "--trace") == 0) {
        o->trace = true;
    } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
        o->quiet = true;
    } else if (strcmp(a, "--check") == 0) {
        o->check = true;
    } else if (strcmp(a, "--wait") == 0) {
        o->wait = true;
    } else if (strcmp(a, "--no-timing") == 0) {
        o->no_timing = true;
    } else if (strcmp(a, "--sample") == 0) {
        const char *why = NULL;
        const char *s = opt_value(argc, argv, i);
        if (s == NULL || fs_units_duration(s, &o->sample_us, &why) != 0 ||
            o->sample_us <= 0)
            return usage_error("run",
                               "--sample needs a positive duration such as "
                               "1h or 30m",
                               s);
    } else if (strcmp(a, "--max-memory") == 0) {
        const char *why = NULL;
        const char *s = opt_value(argc, argv, i);
        if (s == NULL || fs_units_size(s, &o->max_memory_bytes, &why) != 0 ||
            o->max_memory_bytes == 0)
            return usage_error("run",
                               "--max-memory needs a size such as 4GiB or "
                               "512MB",
                               s);
    } else {
        return usage_error("run", "unknown option", a);
    }
    return 0;
}

int
fs_cli_parse_run(int argc, char **argv, struct fs_cli_run *out)
{
    struct fs_cli_run o;
    memset(&o, 0, sizeof(o));
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
            return 1;
        if (a[0] == '-' && a[1] != '\0') {
            if (parse_run_opt(argc, argv, &i, &o) != 0)
                return -1;
            continue;
        }
        if (o.file != NULL)
            return usage_error("run", "one scenario file at a time", a);
        o.file = a;
    }
    if (o.file == NULL)
        return usage_error("run", "missing scenario FILE", NULL);
    *out = o;
    return 0;
}

int
fs_cli_parse_test(int argc, char **argv, struct fs_cli_test *out)
{
    struct fs_cli_test o;
    memset(&o, 0, sizeof(o));
    o.paths = argv + 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
            return 1;
        if (strcmp(a, "--seed") == 0) {
            if (!fs_cli_parse_u64(opt_value(argc, argv, &i), &o.seed))
                return usage_error("test",
                                   "--seed needs a non-negative "
                                   "integer",
                                   NULL);
            o.seed_set = true;
            continue;
        }
        if (strcmp(a, "--crypto") == 0) {
            const char *s = opt_value(argc, argv, &i);
            if (fs_crypto_kind_parse(s, &o.crypto) != 0)
                return usage_error("test", "--crypto needs real or model", s);
            continue;
        }
        if (strcmp(a, "--write-digests") == 0) {
            o.write_digests = true;
            continue;
        }
        if (strcmp(a, "--threads") == 0) {
            uint64_t v;
            if (!fs_cli_parse_u64(opt_value(argc, argv, &i), &v) || v < 1 ||
                v > 256)
                return usage_error("test", "--threads needs a number 1..256",
                                   NULL);
            o.threads = (unsigned)v;
            continue;
        }
        if (strcmp(a, "--junit") == 0) {
            o.junit = opt_value(argc, argv, &i);
            if (o.junit == NULL || o.junit[0] == '\0')
                return usage_error("test", "--junit needs a FILE", NULL);
            continue;
        }
        if (a[0] == '-' && a[1] != '\0')
            return usage_error("test", "unknown option", a);
        /* Compact the positional arguments in place, in order. */
        o.paths[o.npaths++] = argv[i];
    }
    if (o.npaths == 0)
        return usage_error("test", "missing FILE or DIR", NULL);
    *out = o;
    return 0;
}

static void
paths_add(struct fs_cli_paths *p, const char *path)
{
    if (p->count == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 16;
        p->items = fs_xrealloc(p->items, p->cap * sizeof(*p->items));
    }
    p->items[p->count++] = fs_xstrdup(path);
}

void
fs_cli_paths_fini(struct fs_cli_paths *p)
{
    for (size_t i = 0; i < p->count; i++)
        fs_free(p->items[i]);
    fs_free(p->items);
    memset(p, 0, sizeof(*p));
}

static bool
is_yaml(const char *name)
{
    size_t n = strlen(name);
    return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
           (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

static int
cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Add the YAML files under dir, recursively, sorted by name per level. */
static int
collect_dir(const char *dir, struct fs_cli_paths *out, int depth)
{
    if (depth > 32)
        return 0;
    struct fs_cli_paths names = {0};
    DIR *d = opendir(dir);
    if (d == NULL)
        return -1;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] != '.')
            paths_add(&names, de->d_name);
    closedir(d);
    if (names.count > 1)
        qsort(names.items, names.count, sizeof(char *), cmp_names);
    for (size_t i = 0; i < names.count; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, names.items[i]);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            collect_dir(path, out, depth + 1);
        else if (S_ISREG(st.st_mode) && is_yaml(names.items[i]))
            paths_add(out, path);
    }
    fs_cli_paths_fini(&names);
    return 0;
}

int
fs_cli_collect_yaml(char **paths, size_t npaths, struct fs_cli_paths *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < npaths; i++) {
        struct stat st;
        if (stat(paths[i], &st) != 0) {
            fprintf(stderr, "fleetsim test: %s: %s\n", paths[i],
                    strerror(errno));
            return -1;
        }
        if (S_ISDIR(st.st_mode)) {
            char dir[4096];
            snprintf(dir, sizeof(dir), "%s", paths[i]);
            size_t n = strlen(dir);
            while (n > 1 && dir[n - 1] == '/')
                dir[--n] = '\0';
            collect_dir(dir, out, 0);
        } else {
            paths_add(out, paths[i]);
        }
    }
    if (out->count == 0) {
        fprintf(stderr, "fleetsim test: no scenario files found\n");
        return -1;
    }
    return 0;
}

int
fs_cli_write_outputs(struct fs_run *run, const char *dir, double wall_s,
                     struct fs_diag *diag)
{
    int err = fs_run_write_db(run, dir, diag);
    if (err != 0)
        return err;
    char db[4200], html[4200];
    snprintf(db, sizeof(db), "%s/fleet.db", dir);
    snprintf(html, sizeof(html), "%s/report.html", dir);
    err = fs_report_write(db, html, diag);
    if (err != 0)
        return err;
    return fs_run_write_summary(run, dir, wall_s, diag);
}

void
fs_cli_print_run_summary(FILE *fp, struct fs_run *run, const char *out_dir,
                         double wall_s)
{
    char simt[32], fp_hex[65];
    fs_units_format_duration_human(fs_run_now_us(run), simt, sizeof(simt));
    fs_run_fingerprint(run, fp_hex);
    uint64_t ev = fs_run_events(run);
    fprintf(fp, "devices      %" PRIu64 "\n", fs_run_devices(run));
    fprintf(fp, "seed         %" PRIu64 "\n", fs_run_seed(run));
    if (fs_run_crypto(run) == FS_CRYPTO_MODEL)
        fputs("crypto       model (keyed BLAKE2b stand-in for Ed25519)\n", fp);
    fprintf(fp, "simulated    %s\n", simt);
    fprintf(fp, "events       %" PRIu64 " (%.2fM/s)\n", ev,
            wall_s > 0 ? (double)ev / wall_s / 1e6 : 0.0);
    fprintf(fp, "wall time    %.2f s\n", wall_s);
    fprintf(fp, "peak memory  %.1f MiB\n",
            (double)fs_mem_peak_rss_bytes() / (1024.0 * 1024.0));
    fprintf(fp, "fingerprint  %s\n", fp_hex);
    size_t n;
    const struct fs_run_result *res = fs_run_results(run, &n);
    size_t held = 0, failed = 0;
    for (size_t i = 0; i < n; i++) {
        const char *verdict = !res[i].checked ? "NOT REACHED"
                              : res[i].held   ? "held"
                                              : "FAILED";
        held += res[i].checked && res[i].held;
        failed += res[i].checked && !res[i].held;
        fprintf(fp, "  %-11s %s   (seen %s)\n", verdict, res[i].text,
                res[i].checked ? res[i].seen : "-");
    }
    fprintf(fp, "expectations %zu held, %zu failed", held, failed);
    if (held + failed < n)
        fprintf(fp, ", %zu not reached", n - held - failed);
    fputc('\n', fp);
    uint64_t open_n = fs_run_undecided(run);
    if (open_n > 0)
        fprintf(fp,
                "undecided    %" PRIu64 " attack attempts still open at the "
                "end (attacks{outcome=\"undecided\"})\n",
                open_n);
    fprintf(fp, "outputs      %s/summary.json, %s/report.html, %s/fleet.db\n",
            out_dir, out_dir, out_dir);
}

int
fs_cli_bench_engine(int argc, char **argv, const char *help)
{
    uint64_t pending = 1000000, events = 5000000;
    enum fs_bench_mode mode = FS_BENCH_ENGINE;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(help, stdout);
            return 0;
        }
        if (strcmp(a, "--pending") == 0 || strcmp(a, "--events") == 0) {
            uint64_t *dst = a[2] == 'p' ? &pending : &events;
            if (!fs_cli_parse_u64(opt_value(argc, argv, &i), dst) ||
                *dst == 0 || *dst > 100000000)
                return usage_error("bench", "needs a number 1..100000000", a)
                           ? 2
                           : 2;
        } else if (strcmp(a, "--heap") == 0) {
            mode = FS_BENCH_HEAP;
        } else if (strcmp(a, "--queue") == 0) {
            mode = FS_BENCH_QUEUE;
        } else if (strcmp(a, "--ids") == 0) {
            mode = FS_BENCH_ENGINE_IDS;
        } else if (strcmp(a, "--json") == 0) {
            json = true;
        } else {
            usage_error("bench", "unknown option", a);
            return 2;
        }
    }
    struct fs_bench_engine_result r;
    if (fs_bench_engine((size_t)pending, events, mode, &r) != 0)
        return 2;
    fs_bench_engine_print(stdout, &r, json);
    return 0;
}

int
fs_cli_bench_rollout(int argc, char **argv, const char *help)
{
    uint64_t devices = 10000, threads = 0; /* 0: the cores */
    enum fs_crypto_kind crypto = FS_CRYPTO_REAL;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(help, stdout);
            return 0;
        }
        if (strcmp(a, "--devices") == 0) {
            if (!fs_cli_parse_u64(opt_value(argc, argv, &i), &devices) ||
                devices == 0 || devices > 10000000) {
                usage_error("bench", "--devices needs a number 1..10000000",
                            NULL);
                return 2;
            }
        } else if (strcmp(a, "--threads") == 0) {
            if (!fs_cli_parse_u64(opt_value(argc, argv, &i), &threads) ||
                threads == 0 || threads > 256) {
                usage_error("bench", "--threads needs a number 1..256", NULL);
                return 2;
            }
        } else if (strcmp(a, "--crypto") == 0) {
            const char *v = opt_value(argc, argv, &i);
            if (fs_crypto_kind_parse(v, &crypto) != 0) {
                usage_error("bench", "--crypto needs real or model", v);
                return 2;
            }
        } else if (strcmp(a, "--json") == 0) {
            json = true;
        } else {
            usage_error("bench", "unknown option", a);
            return 2;
        }
    }
    struct fs_bench_rollout_result r;
    if (fs_bench_rollout(devices, (unsigned)threads, crypto, &r) != 0)
        return 2;
    fs_bench_rollout_print(stdout, &r, json);
    return 0;
}
