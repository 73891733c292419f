/* Monotonic clock for kernel timing (nanoseconds, unaffected by wall-clock changes). */
#ifndef GS_CLOCK_H
#define GS_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t gs_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline double gs_now_s(void) { return (double)gs_now_ns() * 1e-9; }

#endif
