/*
 * sim/cli/junit.c - JUnit XML for `fleetsim test --junit FILE`.
 *
 * Owns: the test cases of one `fleetsim test` (one per scenario file), their
 * failures and errors, and writing them as one JUnit XML document, whole:
 * into a temporary file beside FILE, then renamed over it.
 * Invariants: every text is XML-escaped; cases keep the order they ran in;
 * counts in the testsuite element agree with the cases below it.
 * Does not: run scenarios or decide what failed (main.c does), or read any
 * clock (times are handed in).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fleetsim/cli.h"
#include "fleetsim/diag.h"
#include "fleetsim/err.h"
#include "fleetsim/mem.h"

/* Append the text of fmt to the growing buffer (*buf, *len, *cap). */
static void
buf_vadd(char **buf, size_t *len, size_t *cap, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    FS_ASSERT(n >= 0);
    if (*len + (size_t)n + 1 > *cap) {
        size_t want = *cap ? *cap : 256;
        while (want < *len + (size_t)n + 1)
            want *= 2;
        *buf = fs_xrealloc(*buf, want);
        *cap = want;
    }
    vsnprintf(*buf + *len, *cap - *len, fmt, ap);
    *len += (size_t)n;
}

static void
buf_add(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vadd(buf, len, cap, fmt, ap);
    va_end(ap);
}

/* Append s with &, <, >, " and control characters escaped. */
static void
buf_xml(char **buf, size_t *len, size_t *cap, const char *s)
{
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '&')
            buf_add(buf, len, cap, "&amp;");
        else if (c == '<')
            buf_add(buf, len, cap, "&lt;");
        else if (c == '>')
            buf_add(buf, len, cap, "&gt;");
        else if (c == '"')
            buf_add(buf, len, cap, "&quot;");
        else if (c < 0x20 && c != '\n' && c != '\t')
            buf_add(buf, len, cap, "?"); /* not representable in XML 1.0 */
        else
            buf_add(buf, len, cap, "%c", (char)c);
    }
}

void
fs_junit_init(struct fs_junit *j)
{
    memset(j, 0, sizeof(*j));
}

void
fs_junit_fini(struct fs_junit *j)
{
    fs_free(j->cases);
    fs_free(j->detail);
    memset(j, 0, sizeof(*j));
}

void
fs_junit_case_begin(struct fs_junit *j, const char *file, const char *name)
{
    FS_ASSERT(!j->open);
    j->open = true;
    j->case_failures = 0;
    j->case_error = false;
    j->dlen = 0;
    if (j->detail != NULL)
        j->detail[0] = '\0';
    snprintf(j->file, sizeof(j->file), "%s", file);
    fs_junit_rename(j, name);
}

void
fs_junit_rename(struct fs_junit *j, const char *name)
{
    FS_ASSERT(j->open);
    snprintf(j->name, sizeof(j->name), "%.127s", name != NULL ? name : j->file);
}

void
fs_junit_failure(struct fs_junit *j, const char *fmt, ...)
{
    FS_ASSERT(j->open);
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    buf_add(&j->detail, &j->dlen, &j->dcap, "%s\n", line);
    j->case_failures++;
}

void
fs_junit_error(struct fs_junit *j, const char *fmt, ...)
{
    FS_ASSERT(j->open);
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    buf_add(&j->detail, &j->dlen, &j->dcap, "%s\n", line);
    j->case_error = true;
}

void
fs_junit_case_end(struct fs_junit *j, double time_s)
{
    FS_ASSERT(j->open);
    j->open = false;
    j->tests++;
    buf_add(&j->cases, &j->len, &j->cap, "    <testcase classname=\"");
    buf_xml(&j->cases, &j->len, &j->cap, j->file);
    buf_add(&j->cases, &j->len, &j->cap, "\" name=\"");
    buf_xml(&j->cases, &j->len, &j->cap, j->name);
    buf_add(&j->cases, &j->len, &j->cap, "\" time=\"%.3f\"", time_s);
    j->time_s += time_s;
    if (!j->case_error && j->case_failures == 0) {
        buf_add(&j->cases, &j->len, &j->cap, "/>\n");
        return;
    }
    const char *tag = j->case_error ? "error" : "failure";
    if (j->case_error)
        j->errors++;
    else
        j->failures++;
    buf_add(&j->cases, &j->len, &j->cap, ">\n      <%s message=\"", tag);
    if (j->case_error)
        buf_add(&j->cases, &j->len, &j->cap, "the scenario did not run");
    else
        buf_add(&j->cases, &j->len, &j->cap, "%u check%s failed",
                j->case_failures, j->case_failures == 1 ? "" : "s");
    buf_add(&j->cases, &j->len, &j->cap, "\" type=\"%s\">",
            j->case_error ? "load" : "expectation");
    buf_xml(&j->cases, &j->len, &j->cap, j->detail ? j->detail : "");
    buf_add(&j->cases, &j->len, &j->cap, "</%s>\n    </testcase>\n", tag);
}

int
fs_junit_write(const struct fs_junit *j, const char *path, struct fs_diag *diag)
{
    FS_ASSERT(!j->open);
    char tmp[4096];
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path + 1) : 0;
    if (snprintf(tmp, sizeof(tmp), "%.*s.%s.tmp", dirlen, path,
                 slash ? slash + 1 : path) >= (int)sizeof(tmp))
        return fs_diag_set(diag, FS_EIO, path, 0, 0, "path too long");
    FILE *fp = fopen(tmp, "w");
    if (fp == NULL)
        return fs_diag_set(diag, FS_EIO, path, 0, 0, "cannot write: %s",
                           strerror(errno));
    fprintf(fp,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<testsuites name=\"fleetsim\" tests=\"%u\" failures=\"%u\" "
            "errors=\"%u\" time=\"%.3f\">\n"
            "  <testsuite name=\"fleetsim test\" tests=\"%u\" failures=\"%u\" "
            "errors=\"%u\" skipped=\"0\" time=\"%.3f\">\n",
            j->tests, j->failures, j->errors, j->time_s, j->tests, j->failures,
            j->errors, j->time_s);
    if (j->len > 0)
        fwrite(j->cases, 1, j->len, fp);
    fprintf(fp, "  </testsuite>\n</testsuites>\n");
    bool bad = ferror(fp) != 0;
    if (fclose(fp) != 0 || bad || rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        return fs_diag_set(diag, FS_EIO, path, 0, 0, "cannot write: %s",
                           strerror(e));
    }
    return 0;
}
