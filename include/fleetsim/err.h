/*
 * include/fleetsim/err.h - the one list of fleetsim error codes.
 *
 * Owns: the error enum, fs_strerror() and fs_errname().
 * Invariants: codes are negative, 0 is success, values are never renumbered
 * because they are persisted in fleet databases and traces.
 * Does not: carry third-party codes; those are translated at the boundary.
 */
#ifndef FLEETSIM_ERR_H
#define FLEETSIM_ERR_H

#define FS_ERRORS(X)                                                           \
    X(FS_EINVAL, -1, "invalid argument")                                       \
    X(FS_ENOENT, -2, "no such object")                                         \
    X(FS_ELIMIT, -3, "configured limit reached")                               \
    X(FS_ESCENARIO, -4, "scenario rejected")                                   \
    X(FS_EDB, -5, "storage layer failed")                                      \
    X(FS_EBADSIG, -6, "signature did not verify")                              \
    X(FS_EROLLBACK, -7, "image older than rollback floor")                     \
    X(FS_EIO, -8, "input/output error")                                        \
    X(FS_EINTR, -9, "interrupted")                                             \
    X(FS_EUSAGE, -10, "bad command-line usage")                                \
    X(FS_EEXPECT, -11, "expectation failed")

enum fs_err {
    FS_OK = 0,
#define FS_ERR_ENUM_(name, val, text) name = val,
    FS_ERRORS(FS_ERR_ENUM_)
#undef FS_ERR_ENUM_
};

/* Human-readable text for err; never NULL, unknown codes get a fixed text. */
const char *fs_strerror(int err);

/* Symbolic name for err ("FS_EBADSIG"); never NULL. */
const char *fs_errname(int err);

#endif
