/*
 * report/report.c - report.html from a fleet.db: opening the database,
 * reading its metric series back, and putting the page in place whole.
 *
 * Owns: the read-only opening of fleet.db, splitting the metrics table's
 * label text (key="value",key="value") back into values, and the
 * temporary-name-then-rename discipline for report.html.
 * Invariants: reads only the database file (never the live run), so
 * `fleetsim report fleet.db` rebuilds the run's page byte for byte; the
 * database is never written.
 * Does not: simulate, read the clock, or know the scenario format.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "fleetsim/err.h"
#include "fleetsim/mem.h"
#include "fleetsim/metrics.h"
#include "fleetsim/report.h"
#include "report_int.h"

void
fs__report_html_text(FILE *fp, const char *s)
{
    for (const char *p = s; p && *p; p++) {
        switch (*p) {
        case '<':
            fputs("&lt;", fp);
            break;
        case '>':
            fputs("&gt;", fp);
            break;
        case '&':
            fputs("&amp;", fp);
            break;
        case '"':
            fputs("&quot;", fp);
            break;
        default:
            fputc(*p, fp);
        }
    }
}

int
fs__report_db_fail(struct fs__report_db *rd, struct fs_diag *diag)
{
    return fs_diag_set(diag, FS_EDB, rd->path, 0, 0, "not a fleet database: %s",
                       sqlite3_errmsg(rd->db));
}

/* Index of the label key of keys[from..n) that s starts with, followed by
 * '="'; -1 when none. */
static int
key_at(const char *s, const char *const *keys, size_t from, size_t n)
{
    for (size_t k = from; k < n; k++) {
        size_t len = strlen(keys[k]);
        if (strncmp(s, keys[k], len) == 0 && s[len] == '=' && s[len + 1] == '"')
            return (int)k;
    }
    return -1;
}

/*
 * sim/run/db.c writes labels into a 512-byte buffer: a text of 511 bytes
 * may have been cut short, and its last value is then taken as it stands.
 */
#define LABELS_CUT_LEN 511

/*
 * Split labels (as sim/run/db.c wrote them: key="value" pairs in key order,
 * joined by ',', keys without a value left out) into out->values. A value
 * ends at the first '"' followed by the end or by ',' and a later key.
 */
static bool
split_labels(struct fs__report_db *rd, const char *labels,
             struct fs__report_series *out)
{
    size_t nl;
    const char *const *keys = fs_metric_labels(out->family, &nl);
    bool cut = strlen(labels) >= LABELS_CUT_LEN;
    const char *p = labels;
    size_t next = 0;
    while (*p != '\0') {
        int k = key_at(p, keys, next, nl);
        if (k < 0)
            return cut;
        const char *start = p + strlen(keys[k]) + 2, *q = start;
        while (*q != '\0' &&
               !(*q == '"' && (q[1] == '\0' ||
                               (q[1] == ',' &&
                                key_at(q + 2, keys, (size_t)k + 1, nl) >= 0))))
            q++;
        if (*q == '\0' && !cut)
            return false;
        size_t len = (size_t)(q - start);
        char *v = fs_arena_alloc(&rd->arena, len + 1);
        memcpy(v, start, len);
        out->values[k] = v;
        next = (size_t)k + 1;
        if (*q == '\0')
            break;
        p = q[1] == ',' ? q + 2 : q + 1;
    }
    return true;
}

/* Load the metrics table into rd->series, checking idx runs 0, 1, ... */
static int
load_series(struct fs__report_db *rd, struct fs_diag *diag)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(rd->db,
                           "SELECT idx, metric, labels, value, string"
                           " FROM metrics ORDER BY idx",
                           -1, &st, NULL) != SQLITE_OK)
        return fs__report_db_fail(rd, diag);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 1);
        const char *labels = (const char *)sqlite3_column_text(st, 2);
        enum fs_metric f =
            name ? fs_metric_lookup(name, strlen(name)) : FS_M_COUNT;
        if (sqlite3_column_int64(st, 0) != (int64_t)rd->nseries ||
            f == FS_M_COUNT || labels == NULL) {
            sqlite3_finalize(st);
            return fs_diag_set(diag, FS_EDB, rd->path, 0, 0,
                               "not a fleet database: bad metrics row %zu",
                               rd->nseries);
        }
        if (rd->nseries == cap) {
            cap = cap ? cap * 2 : 64;
            rd->series = fs_xrealloc(rd->series, cap * sizeof(*rd->series));
        }
        struct fs__report_series *s = &rd->series[rd->nseries];
        memset(s, 0, sizeof(*s));
        s->family = f;
        s->value = sqlite3_column_int64(st, 3);
        const char *str = (const char *)sqlite3_column_text(st, 4);
        if (str != NULL)
            s->string = fs_arena_strdup(&rd->arena, str);
        if (!split_labels(rd, labels, s)) {
            sqlite3_finalize(st);
            return fs_diag_set(diag, FS_EDB, rd->path, 0, 0,
                               "not a fleet database: bad labels '%s' in "
                               "metrics row %zu",
                               labels, rd->nseries);
        }
        rd->nseries++;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : fs__report_db_fail(rd, diag);
}

int
fs__report_db_open(struct fs__report_db *rd, const char *path,
                   struct fs_diag *diag)
{
    memset(rd, 0, sizeof(*rd));
    rd->path = path;
    fs_arena_init(&rd->arena);
    if (access(path, R_OK) != 0) {
        int e = errno;
        fs_arena_fini(&rd->arena);
        return fs_diag_set(diag, FS_EDB, path, 0, 0, "cannot open: %s",
                           strerror(e));
    }
    int rc = sqlite3_open_v2(path, &rd->db, SQLITE_OPEN_READONLY, NULL);
    int err = 0;
    if (rc != SQLITE_OK)
        err = fs_diag_set(diag, FS_EDB, path, 0, 0, "cannot open: %s",
                          rd->db ? sqlite3_errmsg(rd->db) : "out of memory");
    if (err == 0 && fs__report_has_table(rd, "merge"))
        err = fs_diag_set(diag, FS_EDB, path, 0, 0,
                          "a merged database (fleetsim merge): 'fleetsim "
                          "report %s' alone shows its sweep",
                          path);
    if (err == 0)
        err = load_series(rd, diag);
    if (err != 0)
        fs__report_db_close(rd);
    return err;
}

void
fs__report_db_close(struct fs__report_db *rd)
{
    sqlite3_close(rd->db);
    rd->db = NULL;
    fs_free(rd->series);
    rd->series = NULL;
    rd->nseries = 0;
    fs_arena_fini(&rd->arena);
}

int
fs_report_html(const char *db_path, FILE *fp, struct fs_diag *diag)
{
    struct fs__report_db rd;
    int err = fs__report_db_open(&rd, db_path, diag);
    if (err != 0)
        return err;
    err = fs__report_page(&rd, fp, diag);
    fs__report_db_close(&rd);
    return err;
}

int
fs__report_write_whole(const char *out_path, fs__report_page_fn *page,
                       void *arg, struct fs_diag *diag)
{
    /* The temporary file sits beside the output: .NAME.tmp */
    char tmp[4200];
    const char *slash = strrchr(out_path, '/');
    if (slash != NULL)
        snprintf(tmp, sizeof(tmp), "%.*s/.%s.tmp", (int)(slash - out_path),
                 out_path, slash + 1);
    else
        snprintf(tmp, sizeof(tmp), ".%s.tmp", out_path);
    FILE *fp = fopen(tmp, "w");
    if (fp == NULL)
        return fs_diag_set(diag, FS_EIO, out_path, 0, 0, "cannot write: %s",
                           strerror(errno));
    int err = page(arg, fp, diag);
    if (fflush(fp) != 0 || ferror(fp))
        err = err ? err : FS_EIO;
    if (fclose(fp) != 0)
        err = err ? err : FS_EIO;
    if (err == FS_EIO)
        fs_diag_set(diag, FS_EIO, out_path, 0, 0, "cannot write: %s",
                    strerror(errno));
    if (err == 0 && rename(tmp, out_path) != 0)
        err = fs_diag_set(diag, FS_EIO, out_path, 0, 0, "cannot rename: %s",
                          strerror(errno));
    if (err != 0)
        unlink(tmp);
    return err;
}

static int
run_page(void *arg, FILE *fp, struct fs_diag *diag)
{
    return fs__report_page(arg, fp, diag);
}

int
fs_report_write(const char *db_path, const char *out_path, struct fs_diag *diag)
{
    struct fs__report_db rd;
    int err = fs__report_db_open(&rd, db_path, diag);
    if (err != 0)
        return err;
    err = fs__report_write_whole(out_path, run_page, &rd, diag);
    fs__report_db_close(&rd);
    return err;
}
