/*
 * include/fleetsim/diag.h - diagnostics with a source position.
 *
 * Owns: struct fs_diag, the caller-supplied place where a failing call puts
 * its message, and the FILE:LINE:COLUMN formatting of it.
 * Invariants: line and column are 1-based, 0 when unknown.
 * Does not: print anything by itself.
 */
#ifndef FLEETSIM_DIAG_H
#define FLEETSIM_DIAG_H

#include <stdio.h>

struct fs_diag {
    char file[256]; /* source file name, or "" */
    int line;       /* 1-based line, 0 when unknown */
    int column;     /* 1-based column, 0 when unknown */
    char msg[512];  /* what went wrong and what was expected */
};

/* Reset d to "no error". */
void fs_diag_clear(struct fs_diag *d);

/* Record a message at file:line:column in d, printf style. Returns err. */
int fs_diag_set(struct fs_diag *d, int err, const char *file, int line,
                int column, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Print d as "FILE:LINE:COLUMN: error: MSG" (parts omitted when unknown). */
void fs_diag_print(const struct fs_diag *d, FILE *fp);

#endif
