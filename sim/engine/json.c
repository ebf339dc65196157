/*
 * sim/engine/json.c - JSON string escaping for the output writers.
 *
 * Owns: fs_json_write_string.
 * Invariants: see include/fleetsim/json.h.
 * Does not: know any output's layout, allocate, or keep state.
 */
#include "fleetsim/json.h"

void
fs_json_write_string(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(fp, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", fp);
        else if (*p < 0x20)
            fprintf(fp, "\\u%04x", *p);
        else
            fputc(*p, fp);
    }
    fputc('"', fp);
}
