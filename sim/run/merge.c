/*
 * sim/run/merge.c - `fleetsim merge`: run databases (fleet.db, schema 3)
 * joined into one merged database.
 *
 * Owns: the merged schema (runs, run_keys, merge, and every per-run table
 * of the inputs with a leading run column, in its keys and indexes too;
 * docs/fleet-db.md "Merged databases"), the checks on the inputs, and
 * placing the output whole (.NAME.tmp beside it, renamed when complete).
 * Invariants: runs are numbered 1, 2, ... in the order of the inputs; rows
 * are copied in each input's rowid order, tables and indexes in name order,
 * so the same inputs give the same bytes; at most MERGE_ATTACH_MAX inputs
 * are attached at once (Debian's sqlite allows 10); inputs are opened
 * read-only and never changed.
 * Does not: simulate, read the clock, or know what the tables mean.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "fleetsim/err.h"
#include "fleetsim/mem.h"
#include "fleetsim/run.h"

/* Inputs attached at once: Debian builds sqlite with SQLITE_MAX_ATTACHED
 * 10, the default. */
#define MERGE_ATTACH_MAX 10
/* The merged database's format (merge.schema_version). */
#define MERGE_SCHEMA "1"
/* The run databases it takes (run.schema_version, PRAGMA user_version). */
#define MERGE_RUN_SCHEMA 3

/* One per-run table of the inputs, as the first input has it. */
struct merge_table {
    char *name;     /* table name */
    char *cols;     /* its columns, comma-separated, quoted */
    char *create;   /* CREATE TABLE of the merged copy */
    char *shape;    /* name(col type notnull pk,...): inputs must agree */
    char **indexes; /* CREATE INDEX of the merged copy, by index name */
    size_t nindexes;
};

struct merge {
    struct merge_table *tables; /* by name */
    size_t ntables;
    char *shape; /* all tables' shapes joined: the first input's */
};

static int
db_fail(sqlite3 *db, const char *path, const char *what, struct fs_diag *diag)
{
    return fs_diag_set(diag, FS_EDB, path, 0, 0, "%s: %s", what,
                       db ? sqlite3_errmsg(db) : "out of memory");
}

/* Append s to the heap string *buf (NULL = empty). */
static void
append(char **buf, const char *s)
{
    size_t have = *buf ? strlen(*buf) : 0, len = strlen(s);
    *buf = fs_xrealloc(*buf, have + len + 1);
    memcpy(*buf + have, s, len + 1);
}

/* Append the identifier s double-quoted. */
static void
append_ident(char **buf, const char *s)
{
    append(buf, "\"");
    for (const char *p = s; *p; p++) {
        char c[2] = {*p, '\0'};
        append(buf, *p == '"' ? "\"\"" : c);
    }
    append(buf, "\"");
}

/* The columns of table name in db into t (cols, create, shape). */
static int
table_columns(sqlite3 *db, const char *schema, struct merge_table *t)
{
    char *sql =
        sqlite3_mprintf("PRAGMA \"%w\".table_info(\"%w\")", schema, t->name);
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    sqlite3_free(sql);
    if (rc != SQLITE_OK)
        return rc;
    char *pk[64] = {0};
    append(&t->create, "CREATE TABLE ");
    append_ident(&t->create, t->name);
    append(&t->create, "(run INTEGER NOT NULL");
    append(&t->shape, t->name);
    append(&t->shape, "(");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 1);
        const char *type = (const char *)sqlite3_column_text(st, 2);
        int notnull = sqlite3_column_int(st, 3), k = sqlite3_column_int(st, 5);
        char tail[64];
        if (t->cols != NULL)
            append(&t->cols, ",");
        append_ident(&t->cols, name);
        append(&t->create, ", ");
        append_ident(&t->create, name);
        append(&t->create, " ");
        append(&t->create, type ? type : "");
        append(&t->create, notnull ? " NOT NULL" : "");
        snprintf(tail, sizeof(tail), " %s %d %d,", type ? type : "", notnull,
                 k);
        append(&t->shape, name);
        append(&t->shape, tail);
        if (k > 0 && k < 64)
            pk[k] = fs_xstrdup(name);
    }
    sqlite3_finalize(st);
    if (pk[1] != NULL) {
        append(&t->create, ", PRIMARY KEY(run");
        for (int k = 1; k < 64 && pk[k] != NULL; k++) {
            append(&t->create, ", ");
            append_ident(&t->create, pk[k]);
        }
        append(&t->create, ")");
    }
    for (int k = 0; k < 64; k++)
        fs_free(pk[k]);
    append(&t->create, ")");
    append(&t->shape, ");");
    return rc == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
}

/* The indexes made by CREATE INDEX on t, each again with run first. */
static int
table_indexes(sqlite3 *db, struct merge_table *t)
{
    sqlite3_stmt *st, *cols;
    int rc = sqlite3_prepare_v2(db,
                                "SELECT name FROM sqlite_master WHERE"
                                " type = 'index' AND tbl_name = ?1 AND"
                                " sql IS NOT NULL ORDER BY name",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *iname = (const char *)sqlite3_column_text(st, 0);
        char *sql = sqlite3_mprintf("PRAGMA index_info(\"%w\")", iname);
        char *create = NULL;
        append(&create, "CREATE INDEX ");
        append_ident(&create, iname);
        append(&create, " ON ");
        append_ident(&create, t->name);
        append(&create, "(run");
        rc = sqlite3_prepare_v2(db, sql, -1, &cols, NULL);
        sqlite3_free(sql);
        while (rc == SQLITE_OK && sqlite3_step(cols) == SQLITE_ROW) {
            append(&create, ", ");
            append_ident(&create, (const char *)sqlite3_column_text(cols, 2));
        }
        sqlite3_finalize(cols);
        append(&create, ")");
        t->indexes =
            fs_xrealloc(t->indexes, (t->nindexes + 1) * sizeof(*t->indexes));
        t->indexes[t->nindexes++] = create;
        append(&t->shape, create);
        append(&t->shape, ";");
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
}

static void
merge_fini(struct merge *m)
{
    for (size_t i = 0; i < m->ntables; i++) {
        struct merge_table *t = &m->tables[i];
        fs_free(t->name);
        fs_free(t->cols);
        fs_free(t->create);
        fs_free(t->shape);
        for (size_t k = 0; k < t->nindexes; k++)
            fs_free(t->indexes[k]);
        fs_free(t->indexes);
    }
    fs_free(m->tables);
    fs_free(m->shape);
    memset(m, 0, sizeof(*m));
}

/* The per-run tables of db (every table but run) into m, by name. */
static int
read_tables(sqlite3 *db, struct merge *m)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db,
                                "SELECT name FROM sqlite_master WHERE"
                                " type = 'table' AND name <> 'run' AND"
                                " name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
                                " ORDER BY name",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    while (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        m->tables =
            fs_xrealloc(m->tables, (m->ntables + 1) * sizeof(*m->tables));
        struct merge_table *t = &m->tables[m->ntables++];
        memset(t, 0, sizeof(*t));
        t->name = fs_xstrdup((const char *)sqlite3_column_text(st, 0));
        rc = table_columns(db, "main", t);
        if (rc == SQLITE_OK)
            rc = table_indexes(db, t);
        if (rc == SQLITE_OK)
            append(&m->shape, t->shape);
    }
    sqlite3_finalize(st);
    return rc;
}

/* An integer from one row of SQL on db; -1 when none. */
static int64_t
query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW &&
        sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/*
 * Check that path is a run's fleet.db of schema 3 and read its tables into
 * *m (which must be empty). FS_EDB with diag naming path when it is not.
 */
static int
check_input(const char *path, struct merge *m, struct fs_diag *diag)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return fs_diag_set(diag, FS_EDB, path, 0, 0, "cannot open: %s",
                           strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return fs_diag_set(diag, FS_EDB, path, 0, 0,
                           "not a fleet database: not a regular file");
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
    if (rc != SQLITE_OK) {
        rc = db_fail(db, path, "cannot open", diag);
        sqlite3_close(db);
        return rc;
    }
    int err = 0;
    int64_t user_version = query_int(db, "PRAGMA user_version");
    if (user_version < 0)
        err = db_fail(db, path, "not a fleet database", diag);
    else if (query_int(db, "SELECT count(*) FROM sqlite_master WHERE"
                           " name = 'merge'") > 0)
        err = fs_diag_set(diag, FS_EDB, path, 0, 0,
                          "a merged database: merge the run databases "
                          "themselves");
    else if (user_version != MERGE_RUN_SCHEMA ||
             query_int(db, "SELECT CAST(value AS INTEGER) FROM run WHERE"
                           " key = 'schema_version'") != MERGE_RUN_SCHEMA)
        err = fs_diag_set(diag, FS_EDB, path, 0, 0,
                          "not a fleet database of schema %d (user_version "
                          "%" PRId64 ")",
                          MERGE_RUN_SCHEMA, user_version);
    else if (read_tables(db, m) != SQLITE_OK)
        err = db_fail(db, path, "not a fleet database", diag);
    sqlite3_close(db);
    return err;
}

/* Check every input, that they are distinct files with the same tables,
 * and that out is none of them; the first input's tables into *m. */
static int
check_inputs(const char *out_path, const char *const *in, size_t n,
             struct merge *m, struct fs_diag *diag)
{
    struct stat *ids = fs_xcalloc(n, sizeof(*ids)), osb;
    bool have_out = stat(out_path, &osb) == 0;
    int err = 0;
    for (size_t i = 0; i < n && err == 0; i++) {
        struct merge other = {0};
        err = check_input(in[i], i == 0 ? m : &other, diag);
        if (err == 0 && i > 0 && strcmp(other.shape, m->shape) != 0)
            err = fs_diag_set(diag, FS_EDB, in[i], 0, 0,
                              "not a fleet database like %s: its tables or "
                              "indexes differ",
                              in[0]);
        merge_fini(&other);
        if (err == 0 && stat(in[i], &ids[i]) != 0)
            err = fs_diag_set(diag, FS_EDB, in[i], 0, 0, "cannot open: %s",
                              strerror(errno));
        for (size_t k = 0; k < i && err == 0; k++)
            if (ids[k].st_dev == ids[i].st_dev &&
                ids[k].st_ino == ids[i].st_ino)
                err = fs_diag_set(diag, FS_EUSAGE, in[i], 0, 0,
                                  "given twice (input %zu is the same file "
                                  "as input %zu, %s)",
                                  i + 1, k + 1, in[k]);
        if (err == 0 && have_out && osb.st_dev == ids[i].st_dev &&
            osb.st_ino == ids[i].st_ino)
            err = fs_diag_set(diag, FS_EUSAGE, out_path, 0, 0,
                              "the output is input %zu: it would be "
                              "overwritten",
                              i + 1);
    }
    fs_free(ids);
    return err;
}

static const char merged_schema[] =
    "PRAGMA journal_mode=OFF;"
    "PRAGMA synchronous=OFF;"
    "PRAGMA user_version=3;"
    "CREATE TABLE merge(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE runs(run INTEGER PRIMARY KEY, path TEXT NOT NULL,"
    " scenario TEXT, seed TEXT, parameters TEXT NOT NULL, fingerprint TEXT,"
    " completed INTEGER, devices INTEGER, events INTEGER,"
    " sim_time_us INTEGER);"
    "CREATE TABLE run_keys(run INTEGER NOT NULL, key TEXT NOT NULL,"
    " value TEXT NOT NULL, PRIMARY KEY(run, key));";

/* The runs row and run_keys rows of input run (attached as alias). */
static int
copy_run(sqlite3 *db, const char *alias, int64_t run, const char *path)
{
    char *sql = sqlite3_mprintf(
        "INSERT INTO runs SELECT ?1, ?2,"
        " (SELECT value FROM \"%w\".run WHERE key = 'scenario'),"
        " (SELECT value FROM \"%w\".run WHERE key = 'seed'),"
        " coalesce((SELECT value FROM \"%w\".run"
        "  WHERE key = 'parameters'), ''),"
        " (SELECT value FROM \"%w\".run WHERE key = 'fingerprint'),"
        " (SELECT CAST(value AS INTEGER) FROM \"%w\".run"
        "  WHERE key = 'completed'),"
        " (SELECT CAST(value AS INTEGER) FROM \"%w\".run"
        "  WHERE key = 'devices'),"
        " (SELECT CAST(value AS INTEGER) FROM \"%w\".run"
        "  WHERE key = 'events'),"
        " (SELECT CAST(value AS INTEGER) FROM \"%w\".run"
        "  WHERE key = 'sim_time_us');"
        "INSERT INTO run_keys SELECT ?1, key, value FROM \"%w\".run"
        " ORDER BY key;",
        alias, alias, alias, alias, alias, alias, alias, alias, alias);
    int rc = SQLITE_OK;
    for (const char *p = sql; rc == SQLITE_OK && *p != '\0';) {
        sqlite3_stmt *st;
        rc = sqlite3_prepare_v2(db, p, -1, &st, &p);
        if (rc != SQLITE_OK || st == NULL)
            break;
        sqlite3_bind_int64(st, 1, run);
        if (sqlite3_bind_parameter_count(st) >= 2)
            sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
        sqlite3_finalize(st);
    }
    sqlite3_free(sql);
    return rc;
}

/* Every per-run table of input run (attached as alias) into the merge. */
static int
copy_tables(sqlite3 *db, const struct merge *m, const char *alias, int64_t run)
{
    int rc = SQLITE_OK;
    for (size_t i = 0; i < m->ntables && rc == SQLITE_OK; i++) {
        const struct merge_table *t = &m->tables[i];
        char *sql = sqlite3_mprintf("INSERT INTO main.\"%w\" SELECT ?1, %s"
                                    " FROM \"%w\".\"%w\" ORDER BY rowid",
                                    t->name, t->cols, alias, t->name);
        sqlite3_stmt *st;
        rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
        sqlite3_free(sql);
        if (rc != SQLITE_OK)
            break;
        sqlite3_bind_int64(st, 1, run);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
        sqlite3_finalize(st);
    }
    return rc;
}

/* A read-only URI for path: file:PATH?mode=ro with %, ? and # escaped. */
static char *
ro_uri(const char *path)
{
    char *uri = NULL;
    append(&uri, "file:");
    for (const char *p = path; *p; p++) {
        char c[4] = {*p, '\0'};
        if (*p == '%' || *p == '?' || *p == '#')
            snprintf(c, sizeof(c), "%%%02X", (unsigned char)*p);
        append(&uri, c);
    }
    append(&uri, "?mode=ro");
    return uri;
}

/* Inputs in[from..to) attached, copied as runs from+1..., detached. */
static int
copy_batch(sqlite3 *db, const struct merge *m, const char *const *in,
           size_t from, size_t to)
{
    int rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    size_t attached = from;
    for (; attached < to && rc == SQLITE_OK; attached++) {
        char *uri = ro_uri(in[attached]);
        char *sql = sqlite3_mprintf("ATTACH %Q AS \"in%lld\"", uri,
                                    (long long)(attached - from));
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
        sqlite3_free(sql);
        fs_free(uri);
    }
    if (rc != SQLITE_OK)
        attached--;
    for (size_t i = from; i < to && rc == SQLITE_OK; i++) {
        char alias[32];
        snprintf(alias, sizeof(alias), "in%zu", i - from);
        rc = copy_run(db, alias, (int64_t)i + 1, in[i]);
        if (rc == SQLITE_OK)
            rc = copy_tables(db, m, alias, (int64_t)i + 1);
    }
    int crc = sqlite3_exec(db, rc == SQLITE_OK ? "COMMIT" : "ROLLBACK", NULL,
                           NULL, NULL);
    rc = rc == SQLITE_OK ? crc : rc;
    for (size_t i = from; i < attached; i++) {
        char *sql = sqlite3_mprintf("DETACH \"in%lld\"", (long long)(i - from));
        int drc = sqlite3_exec(db, sql, NULL, NULL, NULL);
        sqlite3_free(sql);
        rc = rc == SQLITE_OK ? drc : rc;
    }
    return rc;
}

/* The merged schema, the merge key/values and the per-run tables. */
static int
create_schema(sqlite3 *db, const struct merge *m, size_t n)
{
    int rc = sqlite3_exec(db, merged_schema, NULL, NULL, NULL);
    char *sql =
        sqlite3_mprintf("INSERT INTO merge VALUES('schema_version', '%q'),"
                        " ('run_schema_version', '%d'), ('runs', '%lld')",
                        MERGE_SCHEMA, MERGE_RUN_SCHEMA, (long long)n);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_free(sql);
    for (size_t i = 0; i < m->ntables && rc == SQLITE_OK; i++)
        rc = sqlite3_exec(db, m->tables[i].create, NULL, NULL, NULL);
    return rc;
}

static int
create_indexes(sqlite3 *db, const struct merge *m)
{
    int rc = SQLITE_OK;
    for (size_t i = 0; i < m->ntables; i++)
        for (size_t k = 0; k < m->tables[i].nindexes && rc == SQLITE_OK; k++)
            rc = sqlite3_exec(db, m->tables[i].indexes[k], NULL, NULL, NULL);
    return rc;
}

void
fs_run_merge_tmp_path(const char *out_path, char *buf, size_t len)
{
    const char *slash = strrchr(out_path, '/');
    if (slash != NULL)
        snprintf(buf, len, "%.*s/.%s.tmp", (int)(slash - out_path), out_path,
                 slash + 1);
    else
        snprintf(buf, len, ".%s.tmp", out_path);
}

/* Write the merge of in[0..n) described by m into the file tmp. */
static int
write_merged(const char *tmp, const struct merge *m, const char *const *in,
             size_t n, const char *out_path, struct fs_diag *diag)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(
        tmp, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI,
        NULL);
    if (rc != SQLITE_OK) {
        rc = db_fail(db, out_path, "cannot write", diag);
        sqlite3_close(db);
        return rc;
    }
    int max = sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, -1);
    size_t batch =
        max > 0 && max < MERGE_ATTACH_MAX ? (size_t)max : MERGE_ATTACH_MAX;
    rc = create_schema(db, m, n);
    for (size_t from = 0; from < n && rc == SQLITE_OK; from += batch)
        rc = copy_batch(db, m, in, from, from + batch < n ? from + batch : n);
    if (rc == SQLITE_OK)
        rc = create_indexes(db, m);
    int err = 0;
    if (rc != SQLITE_OK)
        err = db_fail(db, out_path, "cannot merge", diag);
    if (sqlite3_close(db) != SQLITE_OK && err == 0)
        err = fs_diag_set(diag, FS_EDB, out_path, 0, 0, "cannot close");
    return err;
}

int
fs_run_merge(const char *out_path, const char *const *in_paths, size_t n,
             struct fs_diag *diag)
{
    FS_ASSERT(n > 0);
    FS_ASSERT(out_path != NULL);
    struct merge m = {0};
    int err = check_inputs(out_path, in_paths, n, &m, diag);
    char tmp[4200];
    fs_run_merge_tmp_path(out_path, tmp, sizeof(tmp));
    if (err == 0) {
        unlink(tmp);
        err = write_merged(tmp, &m, in_paths, n, out_path, diag);
    }
    if (err == 0 && rename(tmp, out_path) != 0)
        err = fs_diag_set(diag, FS_EIO, out_path, 0, 0, "cannot rename: %s",
                          strerror(errno));
    if (err != 0)
        unlink(tmp);
    merge_fini(&m);
    return err;
}
