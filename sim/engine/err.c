/*
 * sim/engine/err.c - texts and names of the fleetsim error codes, and
 * diagnostics.
 *
 * Owns: fs_strerror(), fs_errname(), and struct fs_diag formatting.
 * Invariants: every code of FS_ERRORS has a text and a name.
 * Does not: print anything unless asked (fs_diag_print).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fleetsim/diag.h"
#include "fleetsim/err.h"

const char *
fs_strerror(int err)
{
    switch (err) {
    case FS_OK:
        return "success";
#define FS_ERR_TEXT_(name, val, text)                                          \
    case name:                                                                 \
        return text;
        FS_ERRORS(FS_ERR_TEXT_)
#undef FS_ERR_TEXT_
    }
    return "unknown error";
}

const char *
fs_errname(int err)
{
    switch (err) {
    case FS_OK:
        return "FS_OK";
#define FS_ERR_NAME_(name, val, text)                                          \
    case name:                                                                 \
        return #name;
        FS_ERRORS(FS_ERR_NAME_)
#undef FS_ERR_NAME_
    }
    return "FS_EUNKNOWN";
}

void
fs_diag_clear(struct fs_diag *d)
{
    d->file[0] = '\0';
    d->line = 0;
    d->column = 0;
    d->msg[0] = '\0';
}

int
fs_diag_set(struct fs_diag *d, int err, const char *file, int line, int column,
            const char *fmt, ...)
{
    if (d == NULL)
        return err;
    snprintf(d->file, sizeof(d->file), "%s", file ? file : "");
    d->line = line;
    d->column = column;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
    va_end(ap);
    return err;
}

void
fs_diag_print(const struct fs_diag *d, FILE *fp)
{
    if (d->file[0] != '\0') {
        fputs(d->file, fp);
        if (d->line > 0) {
            fprintf(fp, ":%d", d->line);
            if (d->column > 0)
                fprintf(fp, ":%d", d->column);
        }
        fputs(": ", fp);
    }
    fprintf(fp, "error: %s\n", d->msg);
}
