/*
 * sim/run/trace_header.c - the header a run writes at the top of its trace,
 * and the names of the canonical record kinds.
 *
 * Owns: the header's text (docs/outputs.md: fleetsim version, scenario path
 * and BLAKE2b of its bytes, seed, overrides, signature scheme (crypto=real
 * or model), one "kind=N name" line per
 * record kind), and the kind name table, so a reader of the trace names
 * kinds without knowing the model's enums.
 * Invariants: every record kind the model writes has a name here; the
 * header is not part of the fingerprint.
 * Does not: write the trace (sim/engine/sim.c does) or read it (report/).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "fleetsim/attack.h"
#include "fleetsim/fleet.h"
#include "fleetsim/mem.h"
#include "fleetsim/run.h"
#include "fleetsim/scn.h"
#include "fleetsim/service.h"
#include "run_int.h"

#define KINDS_MAX 400

static const char *const kind_names[KINDS_MAX] = {
    [1] = "timeline_action",
    [2] = "expectation_checked",
    [3] = "run_ended",
    [FS_REC_DEV_BOOT_START] = "device_boot_started",
    [FS_REC_DEV_BOOT_STAGE] = "device_boot_stage",
    [FS_REC_DEV_BOOT_DONE] = "device_boot_done",
    [FS_REC_DEV_STATE] = "device_state",
    [FS_REC_DEV_APP_CRASH] = "device_app_crash",
    [FS_REC_DEV_OS_CRASH] = "device_os_crash",
    [FS_REC_DEV_CHECKIN_SENT] = "device_checkin_sent",
    [FS_REC_DEV_CHECKIN_FAIL] = "device_checkin_failed",
    [FS_REC_DEV_EVIDENCE_SENT] = "device_evidence_sent",
    [FS_REC_DEV_ANSWER] = "device_answer_taken",
    [FS_REC_DEV_TELEMETRY] = "device_telemetry",
    [FS_REC_DEV_NET] = "device_network",
    [FS_REC_DEV_REPORT_DROP] = "device_report_dropped",
    [FS_REC_DEV_FW_BLOCKED] = "device_firewall_blocked",
    [FS_REC_DEV_COMPROMISED] = "device_compromised",
    [FS_REC_DEV_UPDATE] = "device_update_outcome",
    [FS_REC_DEV_DOWNLOAD_REQ] = "device_download_requested",
    [FS_REC_DEV_CHUNK] = "device_chunk_taken",
    [FS_REC_DEV_INSTALL] = "device_install",
    [FS_REC_DEV_POWER_CUT] = "device_power_cut",
    [FS_REC_SVC_CHALLENGE] = "service_challenge",
    [FS_REC_SVC_REFUSED] = "service_hello_refused",
    [FS_REC_SVC_ATTEST] = "service_attestation",
    [FS_REC_SVC_CERT] = "service_certificate_issued",
    [FS_REC_SVC_REPORT] = "service_report_entry",
    [FS_REC_SVC_TELEMETRY] = "service_telemetry",
    [FS_REC_SVC_TICKET] = "service_ticket",
    [FS_REC_SVC_REVOKE_SIGNER] = "service_signer_revoked",
    [FS_REC_SVC_REVOKE_DEVICE] = "service_device_revoked",
    [FS_REC_SVC_SET_SERVICE] = "service_settings_changed",
    [FS_REC_SVC_DEPLOY_START] = "deployment_started",
    [FS_REC_SVC_WAVE_OPEN] = "deployment_wave_opened",
    [FS_REC_SVC_HALT] = "deployment_halted",
    [FS_REC_SVC_RESUME] = "deployment_resumed",
    [FS_REC_SVC_CANCEL] = "deployment_cancelled",
    [FS_REC_SVC_COMPLETE] = "deployment_completed",
    [FS_REC_SVC_RECORD_SIGN] = "deployment_record_signed",
    [FS_REC_SVC_OFFER] = "deployment_offer",
    [FS_REC_SVC_METADATA] = "service_metadata_sent",
    [FS_REC_SVC_UPDATE_REPORT] = "service_update_report",
    [FS_REC_SVC_DL_START] = "download_started",
    [FS_REC_SVC_DL_QUEUED] = "download_queued",
    [FS_REC_SVC_DL_CHUNK] = "download_chunk_sent",
    [FS_REC_SVC_DL_END] = "download_ended",
    [FS_REC_ATK_ATTEMPT] = "attack_attempt",
    [FS_REC_ATK_BLOCKED] = "attack_blocked",
    [FS_REC_ATK_SUCCEEDED] = "attack_succeeded",
    [FS_REC_ATK_FAULT_START] = "fault_started",
    [FS_REC_ATK_FAULT_END] = "fault_ended",
    [FS_REC_ATK_UNDECIDED] = "attack_undecided",
};

const char *
fs_run_record_kind_name(uint16_t kind)
{
    return kind < KINDS_MAX ? kind_names[kind] : NULL;
}

/* Append printf text to buf (cap bytes, *len used); truncation is caught
 * by the caller through *len >= cap. */
static void put(char *buf, size_t cap, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#include <stdarg.h>

static void
put(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = *len < cap ? vsnprintf(buf + *len, cap - *len, fmt, ap) : 0;
    va_end(ap);
    *len += n > 0 ? (size_t)n : 0;
}

char *
fs__run_trace_header(const struct fs_scn *scn, uint64_t seed, bool seed_set,
                     enum fs_crypto_kind crypto, size_t *out_len)
{
    size_t cap = 64 * 1024 + strlen(scn->file) * 2;
    for (uint32_t i = 0; i < scn->nparams; i++)
        cap += strlen(scn->params[i].key) + strlen(scn->params[i].value) + 8;
    char *buf = fs_xmalloc(cap);
    size_t len = 0;
    char hex[65];
    sodium_bin2hex(hex, sizeof(hex), scn->file_blake2b,
                   sizeof(scn->file_blake2b));
    put(buf, cap, &len, "fleetsim_version=%s\n", FS_FLEETSIM_VERSION);
    put(buf, cap, &len, "scenario=");
    for (const char *p = scn->file; *p != '\0'; p++) /* one line */
        put(buf, cap, &len, "%c", *p == '\n' ? '?' : *p);
    put(buf, cap, &len, "\nscenario_blake2b=%s\n", hex);
    put(buf, cap, &len, "seed=%" PRIu64 "\nseed_set=%d\n", seed,
        seed_set ? 1 : 0);
    put(buf, cap, &len, "crypto=%s\n", fs_crypto_kind_name(crypto));
    for (uint32_t i = 0; i < scn->nparams; i++) /* --set, in order */
        put(buf, cap, &len, "set=%s=%s\n", scn->params[i].key,
            scn->params[i].value);
    for (unsigned k = 0; k < KINDS_MAX; k++)
        if (kind_names[k] != NULL)
            put(buf, cap, &len, "kind=%u %s\n", k, kind_names[k]);
    FS_ASSERT(len < cap);
    *out_len = len;
    return buf;
}
