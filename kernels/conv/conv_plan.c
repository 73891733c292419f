/* Work decomposition of the SIMD convolutions: chunk sizes, block splits, thread counts. */
#include "kernels/conv/conv_plan.h"

#include "core/par.h"
#include "core/topo.h"

/* Below this many FLOPs per thread the fork and join cost more than the thread saves. */
#define FLOPS_PER_THREAD_MIN 1e6

long gs_conv_l2_budget(void)
{
    gs_topo_init();
    size_t l2 = gs_topo()->l2_bytes;
    if (l2 < 128 * 1024)
        l2 = 128 * 1024;
    return (long)(l2 / 2 / sizeof(float));
}

long gs_conv_l1_budget(void)
{
    gs_topo_init();
    size_t l1 = gs_topo()->l1d_bytes;
    if (l1 < 16 * 1024)
        l1 = 16 * 1024;
    return (long)(l1 / 2 / sizeof(float));
}

gs_conv_chunks_t gs_conv_plan_chunks(const gs_conv_shape_t *s, long krows, long nr, long elem_budget)
{
    long max_rows = elem_budget / (krows * s->ow > 0 ? krows * s->ow : 1);
    if (max_rows < 1)
        max_rows = 1;
    if (max_rows > s->oh)
        max_rows = s->oh;
    long best = 1;
    double best_fill = 0.0;
    for (long r = 1; r <= max_rows; r++) {
        /* The share of the chunk's tiles that holds pixels, counting the image's last, shorter chunk. */
        const long full = s->oh / r, last = s->oh % r;
        const double px = (double)(s->oh * s->ow);
        const double tiles = (double)full * (double)gs_conv_round_up(r * s->ow, nr) +
                             (double)gs_conv_round_up(last * s->ow, nr);
        const double fill = px / tiles;
        if (fill >= best_fill - 1e-12) {
            best = r;
            best_fill = fill;
        }
    }
    gs_conv_chunks_t c = {best, (s->oh + best - 1) / best, gs_conv_round_up(best * s->ow, nr)};
    return c;
}

long gs_conv_nblocks(long n, long max) { return (n + max - 1) / max; }

int gs_conv_threads(double flops, long units)
{
    const long nt = gs_par_threads(flops, FLOPS_PER_THREAD_MIN);
    return (int)(nt < units ? nt : units < 1 ? 1 : units);
}
