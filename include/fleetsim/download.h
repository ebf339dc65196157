/*
 * include/fleetsim/download.h - the service's update download server.
 *
 * Owns: the chunk size, why a session ends, and the session counts.
 * Invariants: at most max_downloads sessions at once, one per device; the
 * rest wait in a FIFO queue.
 * Does not: check who may download what (images are public bytes).
 */
#ifndef FLEETSIM_DOWNLOAD_H
#define FLEETSIM_DOWNLOAD_H

#include <stdint.h>

struct fs_svc;

/* Why a download session ended (FS_REC_SVC_DL_END value). */
enum fs_download_end {
    FS_DOWNLOAD_ABANDONED = 0, /* DOWNLOAD_END, not completed */
    FS_DOWNLOAD_COMPLETED = 1, /* DOWNLOAD_END, completed */
    FS_DOWNLOAD_TIMED_OUT = 2, /* no request for download_timeout */
    FS_DOWNLOAD_DEQUEUED = 3   /* a queued request withdrawn by DOWNLOAD_END */
};

/* Bytes the download server sends per CHUNK (less at the image's end). */
#define FS_DOWNLOAD_CHUNK_BYTES (256u * 1024u)

/* Download sessions in use, and requests waiting for one. */
uint32_t fs_download_active(const struct fs_svc *s);
uint32_t fs_download_queued(const struct fs_svc *s);

#endif
