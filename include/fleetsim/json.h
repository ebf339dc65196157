/*
 * include/fleetsim/json.h - JSON text pieces shared by the writers of
 * summary.json and the sweep report.
 *
 * Owns: escaping a C string as a JSON string.
 * Invariants: the output is valid JSON for any input bytes (quotes,
 * backslashes and control characters are escaped; other bytes pass as they
 * are).
 * Does not: build documents, allocate, or keep state.
 */
#ifndef FLEETSIM_JSON_H
#define FLEETSIM_JSON_H

#include <stdio.h>

/* Write s to fp as a double-quoted JSON string; NULL writes "". */
void fs_json_write_string(FILE *fp, const char *s);

#endif
