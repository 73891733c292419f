/* How many OpenMP threads a piece of work earns. */
#ifndef GS_PAR_H
#define GS_PAR_H

#include <omp.h>

/* As many threads as get at least `per_thread` units of `work` each, up to the pool's size; 1 (run
 * on the caller, no parallel region) when a second thread would get less. Work-proportional rather
 * than all-or-nothing: a fork/join costs ~1-2 us with a warm pool on 2 cores and grows with the
 * team, so a many-core machine must not wake every core for a few microseconds of work. */
static inline int gs_par_threads(double work, double per_thread)
{
    const double fit = work / per_thread;
    if (fit < 2.0) /* most calls of a training step: not even a call into the OpenMP runtime */
        return 1;
    const int max = omp_get_max_threads();
    return fit >= (double)max ? max : (int)fit;
}

#endif
