/*
 * include/fleetsim/cloud.h - the product cloud: the relying party for
 * telemetry, and its wear drift detector.
 *
 * Owns: the drift detector's constants and its step.
 * Invariants: integer arithmetic only, identical on every machine.
 * Does not: reply to telemetry.
 */
#ifndef FLEETSIM_CLOUD_H
#define FLEETSIM_CLOUD_H

#include <stdbool.h>
#include <stdint.h>

/* Drift detector constants (telemetry is drying temperature x 1000). */
#define FS_CLOUD_DRIFT_NOMINAL_MILLI 65000 /* healthy mean, millidegrees C */
#define FS_CLOUD_DRIFT_LIMIT_MILLI 3000    /* |EWMA - nominal| that flags */
#define FS_CLOUD_DRIFT_SHIFT 3             /* EWMA weight 1/8 per reading */
#define FS_CLOUD_DRIFT_MIN_SAMPLES 4       /* readings before it may flag */
#define FS_CLOUD_PART_NONE 255             /* telemetry part: no wear part */

/*
 * One drift-detector step: fold value_milli into the EWMA *ewma_milli
 * (start it at FS_CLOUD_DRIFT_NOMINAL_MILLI) and count *samples. Returns
 * true when the device now counts as drifting.
 */
bool fs_cloud_drift_step(int32_t *ewma_milli, uint16_t *samples,
                         int32_t value_milli);

#endif
