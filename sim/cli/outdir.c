/*
 * sim/cli/outdir.c - a run's claim on its output folder, and the checks made
 * before the first simulated event.
 *
 * Owns: creating the out folder, the lock that lets one run own it at a time
 * (an flock on DIR/.fleetsim.lock, removed when the run lets go), and the
 * estimates of free space and memory a run needs.
 * Invariants: a refusal leaves the folder as it was (a folder made here is
 * removed again when empty); the lock file exists only while a run holds it.
 * Does not: simulate, write any output, or exit the process.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "fleetsim/cli.h"
#include "fleetsim/diag.h"
#include "fleetsim/err.h"
#include "fleetsim/run.h"

/* Bytes of memory one simulated device costs at most, measured at 1M devices
 * by `fleetsim bench rollout` (1372 B), with margin; and what the process
 * needs besides the fleet (code, catalog, sqlite's cache, zstd's window). */
#define DEVICE_MEMORY_BYTES 1536u
#define FIXED_MEMORY_BYTES (96u << 20)
/* Bytes of output per device, a floor: fleet.db took 130 B per device for
 * dw100-fleet (10k devices) and 420 B for os-rollout-3waves (100k); a trace
 * about 1 KB per device for dw100-fleet. A run refused on these is sure not
 * to fit; one that passes may still fill the disk, and then fails cleanly. */
#define DEVICE_DB_BYTES 128u
#define DEVICE_TRACE_BYTES 512u
#define FIXED_OUTPUT_BYTES (256u << 10)

static void
mib(uint64_t b, char *buf, size_t n)
{
    snprintf(buf, n, "%.1f MiB", (double)b / (1024.0 * 1024.0));
}

int
fs_cli_outdir_open(struct fs_cli_outdir *od, const char *dir, bool wait,
                   struct fs_diag *diag)
{
    memset(od, 0, sizeof(*od));
    od->lock_fd = -1;
    if (snprintf(od->path, sizeof(od->path), "%s", dir) >=
            (int)sizeof(od->path) ||
        snprintf(od->lock_path, sizeof(od->lock_path), "%s/.fleetsim.lock",
                 dir) >= (int)sizeof(od->lock_path))
        return fs_diag_set(diag, FS_EINVAL, dir, 0, 0,
                           "output folder path too long");
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return fs_diag_set(diag, FS_EINVAL, dir, 0, 0,
                               "the output folder is not a folder");
    } else if (errno == ENOENT) {
        if (fs_run_mkdirs(dir) != 0)
            return fs_diag_set(diag, FS_EIO, dir, 0, 0,
                               "cannot create the output folder: %s",
                               strerror(errno));
        od->created = true;
    } else {
        return fs_diag_set(diag, FS_EIO, dir, 0, 0,
                           "cannot use the output folder: %s", strerror(errno));
    }
    if (access(dir, W_OK | X_OK) != 0) {
        int e = errno;
        fs_cli_outdir_close(od);
        return fs_diag_set(diag, FS_EIO, dir, 0, 0,
                           "the output folder is not writable: %s",
                           strerror(e));
    }
    /* Lock, then make sure the file locked is still the one at the path: a
     * run letting go unlinks it, and a waiter may hold the unlinked one. */
    for (;;) {
        int fd = open(od->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
        if (fd < 0) {
            int e = errno;
            fs_cli_outdir_close(od);
            return fs_diag_set(diag, FS_EIO, od->lock_path, 0, 0,
                               "cannot create the lock file: %s", strerror(e));
        }
        int rc;
        do
            rc = flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB);
        while (rc != 0 && errno == EINTR && wait);
        if (rc != 0) {
            int e = errno;
            close(fd);
            od->created = false; /* another run uses the folder */
            if (e == EWOULDBLOCK)
                return fs_diag_set(diag, FS_EUSAGE, dir, 0, 0,
                                   "another fleetsim run is writing to this "
                                   "folder (use --wait to wait for it, or "
                                   "--out to choose another)");
            return fs_diag_set(diag, FS_EIO, od->lock_path, 0, 0,
                               "cannot lock: %s", strerror(e));
        }
        struct stat a, b;
        if (fstat(fd, &a) == 0 && stat(od->lock_path, &b) == 0 &&
            a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
            od->lock_fd = fd;
            return 0;
        }
        close(fd);
    }
}

void
fs_cli_outdir_close(struct fs_cli_outdir *od)
{
    if (od->lock_fd >= 0) {
        unlink(od->lock_path); /* while still holding it */
        close(od->lock_fd);
        od->lock_fd = -1;
    }
    if (od->created) {
        rmdir(od->path); /* only when nothing was written into it */
        od->created = false;
    }
}

uint64_t
fs_cli_memory_limit_bytes(uint64_t max_memory_bytes, const char **which)
{
    uint64_t limit = UINT64_MAX;
    *which = "no limit";
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0) {
        limit = (uint64_t)pages * (uint64_t)page;
        *which = "the machine's memory";
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        (uint64_t)rl.rlim_cur < limit) {
        limit = (uint64_t)rl.rlim_cur;
        *which = "the address-space limit (ulimit -v)";
    }
    if (max_memory_bytes > 0 && max_memory_bytes < limit) {
        limit = max_memory_bytes;
        *which = "--max-memory";
    }
    return limit;
}

int
fs_cli_check_resources(const char *dir, uint64_t devices, bool trace,
                       uint64_t max_memory_bytes, struct fs_diag *diag)
{
    char a[32], b[32];
    uint64_t need_mem = FIXED_MEMORY_BYTES + devices * DEVICE_MEMORY_BYTES;
    const char *which;
    uint64_t limit = fs_cli_memory_limit_bytes(max_memory_bytes, &which);
    if (need_mem > limit) {
        mib(need_mem, a, sizeof(a));
        mib(limit, b, sizeof(b));
        return fs_diag_set(diag, FS_ELIMIT, NULL, 0, 0,
                           "a fleet of %" PRIu64 " devices needs about %s of "
                           "memory; %s allows %s",
                           devices, a, which, b);
    }
    uint64_t need_disk = FIXED_OUTPUT_BYTES + devices * DEVICE_DB_BYTES +
                         (trace ? devices * DEVICE_TRACE_BYTES : 0);
    struct statvfs vfs;
    if (statvfs(dir, &vfs) == 0) {
        uint64_t avail = (uint64_t)vfs.f_bavail * (uint64_t)vfs.f_frsize;
        if (need_disk > avail) {
            mib(need_disk, a, sizeof(a));
            mib(avail, b, sizeof(b));
            return fs_diag_set(diag, FS_ELIMIT, dir, 0, 0,
                               "the outputs need about %s; %s free", a, b);
        }
    }
    return 0;
}
