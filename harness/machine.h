/* The machine description every result carries: CPU, ISA, topology, binding, measured peaks, versions. */
#ifndef GS_MACHINE_H
#define GS_MACHINE_H

#include <cjson/cJSON.h>

#include "core/peak.h"

/* A new JSON object describing this machine and run set-up; `peak` may be NULL (not measured). */
cJSON *gs_machine_json(const gs_peak_t *peak);

/* The same, as human-readable text on stdout. */
void gs_machine_print(const gs_peak_t *peak);

#endif
