/*
 * include/fleetsim/sim.h - the discrete-event engine.
 *
 * Owns: simulated time, the pending-event queue, the run-lifetime arena,
 * the canonical event record (fingerprint and optional zstd trace).
 * Invariants: time never goes backwards; events fire in (time, seq) order
 * where seq is the order of scheduling; handlers never re-enter fs_sim_run;
 * queries (const functions) change nothing.
 * Does not: read the wall clock, know about devices, the service or any
 * other layer above it (they attach their state to anonymous context
 * slots, whose numbering is theirs: fleetsim/ctx.h).
 */
#ifndef FLEETSIM_SIM_H
#define FLEETSIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetsim/mem.h"

struct fs_sim;

/* An event handler: sim is the engine, arg the payload given at schedule. */
typedef void fs_event_fn(struct fs_sim *sim, void *arg);

/* Largest simulated time the engine accepts: 10 years in microseconds. */
#define FS_SIM_TIME_MAX_US ((int64_t)10 * 366 * 24 * 3600 * 1000000)

/* Bytes of one canonical record (see fs_sim_record). */
#define FS_SIM_RECORD_BYTES 24

/*
 * Create an engine at time 0 whose random streams derive from seed.
 * pending_hint sizes the event pool up front (0 for a small default).
 */
int fs_sim_create(uint64_t seed, size_t pending_hint, struct fs_sim **out);
/* Destroy sim, its queue, arena and trace; NULL is a no-op. */
void fs_sim_destroy(struct fs_sim *sim);

/*
 * Anonymous context slots (libuv's loop->data, a few of them): the layers
 * above attach their state so that handlers whose arg is a bare index find
 * it. The engine never reads them; which layer owns which slot is decided
 * above it (fleetsim/ctx.h).
 */
#define FS_SIM_CTX_SLOTS 8

/* Attach ptr to slot (< FS_SIM_CTX_SLOTS); NULL detaches. */
void fs_sim_set_ctx(struct fs_sim *sim, unsigned slot, void *ptr);
/* The pointer attached to slot (< FS_SIM_CTX_SLOTS), or NULL. */
void *fs_sim_ctx(const struct fs_sim *sim, unsigned slot);

/* Current simulated time in microseconds. */
int64_t fs_sim_now_us(const struct fs_sim *sim);

/* The root seed all random streams derive from. */
uint64_t fs_sim_seed(const struct fs_sim *sim);

/* The run-lifetime arena, released by fs_sim_destroy. */
struct fs_arena *fs_sim_arena(struct fs_sim *sim);

/*
 * Schedule fn(sim, arg) at now + delay_us (delay_us >= 0). Writes the event
 * id to *out_id when out_id is not NULL; an id is never 0, so 0 can mean
 * "no event". Only events whose id was asked for can be cancelled, and
 * only they use an id slot (16 bytes while pending). Returns 0, FS_EINVAL
 * for a negative delay, or FS_ELIMIT past FS_SIM_TIME_MAX_US.
 */
int fs_sim_schedule(struct fs_sim *sim, int64_t delay_us, fs_event_fn *fn,
                    void *arg, uint64_t *out_id);

/* As fs_sim_schedule, at the absolute time at_us (>= now). */
int fs_sim_schedule_at(struct fs_sim *sim, int64_t at_us, fs_event_fn *fn,
                       void *arg, uint64_t *out_id);

/*
 * Cancel the event id so that it never fires. Any id is accepted: one that
 * already fired (the running handler's own included), was already
 * cancelled or was never issued (0 among them) is a no-op that leaves
 * nothing behind, as uv_timer_stop is. A cancelled event keeps its queue
 * entry (and id slot) until its time comes, when fs_sim_run drops it; ids
 * are (slot, generation) pairs, so a dropped id never matches again.
 */
void fs_sim_cancel(struct fs_sim *sim, uint64_t id);

/*
 * Run events in order until the next one would be later than until_us, or
 * max_events have run, or fs_sim_stop was called. Time is then advanced to
 * until_us if the queue ran dry or the next event is later. Writes the count
 * run to *out_ran. Returns 0, or FS_EINTR when stopped.
 */
int fs_sim_run(struct fs_sim *sim, int64_t until_us, uint64_t max_events,
               uint64_t *out_ran);

/*
 * Ask fs_sim_run to return at the next event boundary. The stop holds (every
 * later fs_sim_run returns FS_EINTR at once) until fs_sim_resume.
 */
void fs_sim_stop(struct fs_sim *sim);
/* Clear a stop: fs_sim_run runs the pending events again. */
void fs_sim_resume(struct fs_sim *sim);
/* True once fs_sim_stop was called, until fs_sim_resume. */
bool fs_sim_is_stopped(const struct fs_sim *sim);

/* Events run since creation (cancelled ones not counted). */
uint64_t fs_sim_events(const struct fs_sim *sim);
/* Events that will still fire (cancelled ones not counted). */
size_t fs_sim_pending(const struct fs_sim *sim);
/*
 * Time of the earliest queued event, or INT64_MAX when none. A cancelled
 * event counts until fs_sim_run drops it, so this is a lower bound on the
 * next handler's time (exact when nothing cancelled is queued). Changes
 * nothing: the engine keeps the front's time up to date as it goes.
 */
int64_t fs_sim_next_us(const struct fs_sim *sim);
/* Bytes held for pending events: the queue and the id slots. */
size_t fs_sim_bytes(const struct fs_sim *sim);

/*
 * Append one canonical record (now, kind, device, value) to the run record:
 * it is hashed into the fingerprint and, when a trace is open, written to it.
 */
void fs_sim_record(struct fs_sim *sim, uint16_t kind, uint32_t device,
                   int64_t value);

/*
 * A reader of the run record: called with every record as fs_sim_record
 * appends it (after hashing it). It only reads: it must not schedule,
 * record or change the model, so the fingerprint never depends on it.
 */
typedef void fs_sim_record_fn(void *ctx, int64_t t_us, uint16_t kind,
                              uint32_t device, int64_t value);
/* Set (fn NULL: clear) the one record hook. */
void fs_sim_set_record_hook(struct fs_sim *sim, fs_sim_record_fn *fn,
                            void *ctx);

/*
 * The trace file (docs/outputs.md): one zstd frame with its content
 * checksum whose content is FS_SIM_TRACE_MAGIC (8 bytes), the format
 * version (uint32 LE), the header's length (uint32 LE) and the header (text
 * written by the caller, not hashed), then the records, then an end record
 * (kind FS_SIM_TRACE_END_KIND, object 0, value = records) followed by the
 * 32-byte fingerprint.
 */
#define FS_SIM_TRACE_MAGIC "FSTRACE\n"
#define FS_SIM_TRACE_FORMAT 1
#define FS_SIM_TRACE_END_KIND 0xffffu
#define FS_SIM_TRACE_HEADER_MAX ((size_t)1 << 20)

/* Open a zstd-compressed trace at path with header (header_len bytes,
 * borrowed) before any record was appended; records from now on go there
 * too. Returns 0, FS_EINVAL (records already appended, header too long or
 * a trace open) or FS_EIO. */
int fs_sim_trace_open(struct fs_sim *sim, const char *path, const char *header,
                      size_t header_len);
/* Flush and close the trace (also done by fs_sim_destroy). */
int fs_sim_trace_close(struct fs_sim *sim);

/* The errno of the trace's first failed write (ENOSPC on a full disk), or 0;
 * valid after fs_sim_trace_close returned an error. */
int fs_sim_trace_errno(const struct fs_sim *sim);

/* Records appended so far. */
uint64_t fs_sim_records(const struct fs_sim *sim);

/*
 * Write the hex BLAKE2b-256 fingerprint of all records so far to hex
 * (65 bytes with the NUL). Does not end the record; may be called again.
 */
void fs_sim_fingerprint(struct fs_sim *sim, char hex[65]);

/* Internal consistency check of the engine (queue order, id slots); O(n). */
bool fs_sim_check(const struct fs_sim *sim);

#endif
