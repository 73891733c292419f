// The C interface of harness/gbench.h implemented on Google Benchmark; no C++ exception leaves it.
#include "harness/gbench.h"

#include <benchmark/benchmark.h>

#include <cstdarg>
#include <cstdio>
#include <exception>
#include <new>
#include <string>
#include <vector>

// The argument count travels with the state because benchmark::State::range() does not check
// its index in release builds.
struct gs_bench_state {
    benchmark::State *st;
    int nargs;
};

namespace {

benchmark::TimeUnit to_time_unit(gs_bench_unit_t unit)
{
    switch (unit) {
    case GS_BENCH_UNIT_US: return benchmark::kMicrosecond;
    case GS_BENCH_UNIT_MS: return benchmark::kMillisecond;
    case GS_BENCH_UNIT_S: return benchmark::kSecond;
    default: return benchmark::kNanosecond;
    }
}

benchmark::Counter::Flags to_counter_flags(unsigned flags)
{
    int f = benchmark::Counter::kDefaults;
    if (flags & GS_BENCH_COUNTER_RATE)
        f |= benchmark::Counter::kIsRate;
    if (flags & GS_BENCH_COUNTER_AVG_THREADS)
        f |= benchmark::Counter::kAvgThreads;
    if (flags & GS_BENCH_COUNTER_PER_ITERATION)
        f |= benchmark::Counter::kIsIterationInvariant;
    if (flags & GS_BENCH_COUNTER_AVG_ITERATIONS)
        f |= benchmark::Counter::kAvgIterations;
    if (flags & GS_BENCH_COUNTER_INVERT)
        f |= benchmark::Counter::kInvert;
    return static_cast<benchmark::Counter::Flags>(f);
}

// Google Benchmark aborts on inconsistent settings; refusing them here turns that into a status.
gs_status_t check_opts(const char *name, gs_bench_fn *fn, const gs_bench_opts_t *o)
{
    if (!name || !*name)
        return gs_error(GS_EINVAL, "bench: benchmark name is empty");
    if (!fn)
        return gs_error(GS_EINVAL, "bench %s: benchmark function is NULL", name);
    if (o->nargs < 0 || o->nargs > GS_BENCH_MAX_ARGS)
        return gs_error(GS_EINVAL, "bench %s: nargs=%d, expected 0..%d", name, o->nargs, GS_BENCH_MAX_ARGS);
    if (o->min_time_s < 0 || o->iterations < 0 || o->repetitions < 0)
        return gs_error(GS_EINVAL, "bench %s: min_time_s, iterations and repetitions must be >= 0", name);
    if (o->min_time_s > 0 && o->iterations > 0)
        return gs_error(GS_EINVAL, "bench %s: set min_time_s or iterations, not both", name);
    return GS_OK;
}

void apply_args(benchmark::internal::Benchmark *b, const gs_bench_opts_t *o)
{
    if (o->nargs == 0)
        return;
    std::vector<int64_t> args(o->args, o->args + o->nargs);
    std::vector<std::string> names;
    bool named = false;
    for (int i = 0; i < o->nargs; i++) {
        names.emplace_back(o->arg_names[i] ? o->arg_names[i] : "");
        named = named || o->arg_names[i];
    }
    if (named)
        b->ArgNames(names);
    b->Args(args);
}

void apply_opts(benchmark::internal::Benchmark *b, const gs_bench_opts_t *o)
{
    apply_args(b, o);
    if (o->real_time)
        b->UseRealTime();
    if (o->min_time_s > 0)
        b->MinTime(o->min_time_s);
    if (o->iterations > 0)
        b->Iterations(o->iterations);
    if (o->repetitions > 0)
        b->Repetitions(o->repetitions);
    if (o->unit != GS_BENCH_UNIT_DEFAULT)
        b->Unit(to_time_unit(o->unit));
}

} // namespace

extern "C" {

gs_status_t gs_bench_register(const char *name, gs_bench_fn *fn, void *user, const gs_bench_opts_t *opts)
{
    const gs_bench_opts_t defaults = {};
    const gs_bench_opts_t *o = opts ? opts : &defaults;
    gs_status_t st = check_opts(name, fn, o);
    if (st != GS_OK)
        return st;
    const int nargs = o->nargs;
    try {
        benchmark::internal::Benchmark *b =
            benchmark::RegisterBenchmark(name, [fn, user, nargs](benchmark::State &state) {
                gs_bench_state s = {&state, nargs};
                fn(&s, user);
            });
        apply_opts(b, o);
    } catch (const std::bad_alloc &) {
        return gs_error(GS_ENOMEM, "bench %s: out of memory while registering", name);
    } catch (const std::exception &e) {
        return gs_error(GS_EBACKEND, "bench %s: Google Benchmark: %s", name, e.what());
    }
    return GS_OK;
}

gs_status_t gs_bench_add_context(const char *key, const char *value)
{
    if (!key || !*key || !value)
        return gs_error(GS_EINVAL, "bench: context key or value is NULL or empty");
    try {
        benchmark::AddCustomContext(key, value);
    } catch (const std::exception &e) {
        return gs_error(GS_EBACKEND, "bench: context '%s': %s", key, e.what());
    }
    return GS_OK;
}

gs_status_t gs_bench_init(int *argc, char **argv)
{
    try {
        benchmark::Initialize(argc, argv);
    } catch (const std::exception &e) {
        return gs_error(GS_EBACKEND, "bench: Google Benchmark: %s", e.what());
    } catch (...) {
        return gs_error(GS_EBACKEND, "bench: Google Benchmark threw an unknown exception");
    }
    // Initialize() leaves only what it did not recognise after argv[0].
    if (*argc > 1)
        return gs_error(GS_EINVAL, "Google Benchmark did not accept '%s' (an unknown flag or a bad value; "
                        "its flags take the form --benchmark_NAME=VALUE)", argv[1]);
    return GS_OK;
}

gs_status_t gs_bench_run_specified(size_t *n_run)
{
    if (n_run)
        *n_run = 0;
    try {
        size_t n = benchmark::RunSpecifiedBenchmarks();
        benchmark::Shutdown();
        if (n_run)
            *n_run = n;
    } catch (const std::bad_alloc &) {
        return gs_error(GS_ENOMEM, "bench: out of memory in Google Benchmark");
    } catch (const std::exception &e) {
        return gs_error(GS_EBACKEND, "bench: Google Benchmark: %s", e.what());
    } catch (...) {
        return gs_error(GS_EBACKEND, "bench: Google Benchmark threw an unknown exception");
    }
    return GS_OK;
}

gs_status_t gs_bench_run(int *argc, char **argv, size_t *n_run)
{
    gs_status_t st = gs_bench_init(argc, argv);
    if (st != GS_OK) {
        if (n_run)
            *n_run = 0;
        return st;
    }
    return gs_bench_run_specified(n_run);
}

bool gs_bench_state_keep_running(gs_bench_state_t *state) { return state->st->KeepRunning(); }

bool gs_bench_state_keep_running_batch(gs_bench_state_t *state, int64_t batch)
{
    return state->st->KeepRunningBatch(batch);
}

int64_t gs_bench_state_arg(const gs_bench_state_t *state, int i)
{
    if (i < 0 || i >= state->nargs)
        return 0;
    return state->st->range(static_cast<std::size_t>(i));
}

int64_t gs_bench_state_iterations(const gs_bench_state_t *state) { return state->st->iterations(); }

// Google Benchmark aborts when the clock is paused or resumed after SkipWithError().
void gs_bench_state_pause(gs_bench_state_t *state)
{
    if (!state->st->error_occurred())
        state->st->PauseTiming();
}

void gs_bench_state_resume(gs_bench_state_t *state)
{
    if (!state->st->error_occurred())
        state->st->ResumeTiming();
}

void gs_bench_state_set_bytes_processed(gs_bench_state_t *state, int64_t bytes)
{
    try {
        state->st->SetBytesProcessed(bytes);
    } catch (const std::exception &) {
        state->st->SkipWithError("out of memory while setting bytes_per_second");
    }
}

void gs_bench_state_set_items_processed(gs_bench_state_t *state, int64_t items)
{
    try {
        state->st->SetItemsProcessed(items);
    } catch (const std::exception &) {
        state->st->SkipWithError("out of memory while setting items_per_second");
    }
}

void gs_bench_state_set_counter(gs_bench_state_t *state, const char *name, double value, unsigned flags)
{
    benchmark::Counter::OneK base =
        (flags & GS_BENCH_COUNTER_BASE_1024) ? benchmark::Counter::kIs1024 : benchmark::Counter::kIs1000;
    try {
        state->st->counters[name] = benchmark::Counter(value, to_counter_flags(flags), base);
    } catch (const std::exception &) {
        state->st->SkipWithError("out of memory while setting a counter");
    }
}

void gs_bench_state_set_label(gs_bench_state_t *state, const char *label)
{
    try {
        state->st->SetLabel(label);
    } catch (const std::exception &) {
        state->st->SkipWithError("out of memory while setting the label");
    }
}

void gs_bench_state_skip_with_error(gs_bench_state_t *state, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    state->st->SkipWithError(msg);
}

bool gs_bench_state_error_occurred(const gs_bench_state_t *state) { return state->st->error_occurred(); }

} // extern "C"
