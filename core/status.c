/* Status code names and the per-thread detail message of the last error. */
#include "core/status.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_detail[512];

const char *gs_status_str(gs_status_t s)
{
    static const char *const names[GS_ESTATUS_COUNT] = {
        [GS_OK] = "ok",
        [GS_EINVAL] = "invalid argument",
        [GS_ENOMEM] = "out of memory",
        [GS_EUNSUPPORTED] = "not supported on this CPU or build",
        [GS_EIO] = "input/output error",
        [GS_EFORMAT] = "bad format",
        [GS_EBACKEND] = "backend library error",
    };
    if ((unsigned)s >= GS_ESTATUS_COUNT)
        return "unknown status";
    return names[s];
}

gs_status_t gs_error(gs_status_t s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_detail, sizeof last_detail, fmt, ap);
    va_end(ap);
    return s;
}

const char *gs_error_detail(void) { return last_detail; }

void gs_error_clear(void) { last_detail[0] = '\0'; }
