/* Proves parallel regions get threads in proportion to their work: one thread below two threads'
 * worth, then one more per `per_thread` units, capped by the pool (16 here, whatever the CPU). */
#include <omp.h>

#include "core/par.h"
#include "kernels/act/eltwise_par.h"
#include "test_util.h"

int main(void)
{
    omp_set_num_threads(16);
    const struct {
        double work, per_thread;
        int want;
    } cases[] = {
        {0, 1000, 1}, {1999, 1000, 1}, {2000, 1000, 2}, {15999, 1000, 15}, {16000, 1000, 16}, {1e12, 1000, 16},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const int got = gs_par_threads(cases[i].work, cases[i].per_thread);
        gs_check(got == cases[i].want, "%.0f units at %.0f per thread: %d thread(s) (expected %d)", cases[i].work,
                 cases[i].per_thread, got, cases[i].want);
    }
    /* The element-wise kernels: a 64x128 activation stays on the caller, a 256-image LeNet
     * activation (1.2M floats) gets every thread, 128K streamed floats only 4 of the 16. */
    gs_check(gs_eltwise_threads(64 * 128, true) == 1, "64x128 sigmoid: 1 thread");
    gs_check(gs_eltwise_threads(256L * 6 * 28 * 28, true) == 16, "256x6x28x28 sigmoid: 16 threads");
    gs_check(gs_eltwise_threads(128L * 1024, false) == 4, "128K-float SGD update: 4 threads");
    omp_set_num_threads(2);
    gs_check(gs_par_threads(1e12, 1000) == 2, "the pool caps it: 2 threads of 2");
    return gs_test_done("test_par_threads_follow_work");
}
