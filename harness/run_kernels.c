/* The kernels step of a run: `validate all` and the micro-benchmarks, each a child process of this
 * binary, writing into results/<run>/.kernels.partial/ and renamed to kernels/ when complete.
 *
 * Why child processes rather than calling the validate and bench commands' functions here:
 * - Google Benchmark keeps its registered benchmarks and parsed flags in process-wide state that
 *   cannot be reset, so a second bench in one process would rerun the first one's cases;
 * - each step sets its own thread pool, binding and dispatch table (gs_cli_setup), which the
 *   training that follows must not inherit, and the thread-scaling steps need a pool per count;
 * - a step that crashes (a kernel bug is what validation exists to find) loses its own file, not
 *   the run.
 * The price is a start-up per step: hwloc, and for each bench the peak measurement (about 2 s). */
#define _GNU_SOURCE
#include "harness/run_kernels.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/cpu.h"
#include "core/topo.h"
#include "harness/validate_record.h"

extern char **environ;

/* Test-only: a comma-separated subset of the benchmark ops below, so a test of this step runs the
 * real steps in seconds (unset: all of them). */
#define BENCH_OPS_ENV "GS_KERNELS_BENCH_OPS"

/* Thread scaling (1, 2, 4, ... N) for the compute-bound ops; 1 and N for the rest (the report's format). */
static const char *const scaling_ops[] = {"gemm", "conv"};
static const char *const quick_ops[] = {"pool", "bn", "act", "softmax_ce", "optim"};
enum { NSCALING = 2, NQUICK = 5, MAX_ARGS = 16, PATH_CAP = 4096, MAX_FAIL_LINES = 20 };

typedef struct {
    const gs_run_kernels_opts_t *o;
    gs_run_kernels_result_t *r;
    char dir[PATH_CAP];        /* .kernels.partial, where every step writes */
    int total;                 /* steps planned, for the progress lines */
    bool bench_on[NSCALING + NQUICK];
    gs_status_t first_error;   /* of the first step that could not run or left no file */
    char first_error_msg[512];
} plan_t;

/* One child's command line; argv points into the buffers. */
typedef struct {
    const char *argv[MAX_ARGS + 1];
    int argc;
    char threads[16], thread_list[16], path[PATH_CAP + 64], out_flag[PATH_CAP + 96];
} cmdline_t;

static void arg(cmdline_t *c, const char *s)
{
    if (c->argc < MAX_ARGS)
        c->argv[c->argc++] = s;
    c->argv[c->argc] = NULL;
}

/* "gradscope <cmd> <op>" plus the options every step shares: the run's threads and forced ISA. */
static void cmdline_start(cmdline_t *c, const plan_t *p, const char *cmd, const char *op)
{
    memset(c, 0, sizeof *c);
    arg(c, "gradscope");
    arg(c, cmd);
    arg(c, op);
    snprintf(c->threads, sizeof c->threads, "%d", p->o->threads);
    arg(c, "--threads");
    arg(c, c->threads);
    if (p->o->isa >= 0) {
        arg(c, "--isa");
        arg(c, gs_isa_name((gs_isa_t)p->o->isa));
    }
}

static bool bench_selected(const plan_t *p, int i) { return p->bench_on[i]; }

/* Which benchmark ops run: all, or those GS_KERNELS_BENCH_OPS names. */
static gs_status_t choose_bench_ops(plan_t *p)
{
    const char *env = getenv(BENCH_OPS_ENV);
    for (int i = 0; i < NSCALING + NQUICK; i++)
        p->bench_on[i] = !env;
    if (!env)
        return GS_OK;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", env);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int found = -1;
        for (int i = 0; i < NSCALING + NQUICK && found < 0; i++)
            if (strcmp(tok, i < NSCALING ? scaling_ops[i] : quick_ops[i - NSCALING]) == 0)
                found = i;
        if (found < 0)
            return gs_error(GS_EINVAL, "%s: '%s' is not one of gemm, conv, pool, bn, act, softmax_ce, optim",
                            BENCH_OPS_ENV, tok);
        p->bench_on[found] = true;
    }
    return GS_OK;
}

/* The training process's main thread is OpenMP thread 0, bound to one core, and a child inherits
 * that mask: its OpenMP would see one CPU. Children start on the CPUs this process started on
 * instead (the whole machine, or what taskset or a cgroup gave it). Returns whether to restore. */
static bool widen_affinity(cpu_set_t *saved)
{
    return sched_getaffinity(0, sizeof *saved, saved) == 0 && gs_topo_set_start_affinity();
}

/* Runs the command with stdin from /dev/null and stdout and stderr appended to the log (after a
 * line naming the command); *status is waitpid's. */
static gs_status_t spawn_wait(const plan_t *p, const cmdline_t *c, const char *log_name, int *status)
{
    char log_path[PATH_CAP + 64];
    snprintf(log_path, sizeof log_path, "%s/%s", p->dir, log_name);
    const int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return gs_error(GS_EIO, "%s: cannot write (%s)", log_path, strerror(errno));
    dprintf(fd, "\n====");
    for (int i = 0; i < c->argc; i++)
        dprintf(fd, " %s", c->argv[i]);
    dprintf(fd, "\n");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fd, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, fd, STDERR_FILENO);
    const char *exe = p->o->exe ? p->o->exe : "/proc/self/exe";
    cpu_set_t saved;
    const bool restore = widen_affinity(&saved);
    pid_t pid;
    /* posix_spawn takes argv as char *const[] for historical reasons; it does not write to it. */
    const int err = posix_spawn(&pid, exe, &fa, NULL, (char *const *)c->argv, environ);
    if (restore)
        sched_setaffinity(0, sizeof saved, &saved);
    posix_spawn_file_actions_destroy(&fa);
    close(fd);
    if (err)
        return gs_error(GS_EIO, "cannot start %s: %s", exe, strerror(err));
    while (waitpid(pid, status, 0) < 0)
        if (errno != EINTR)
            return gs_error(GS_EIO, "waiting for %s: %s", exe, strerror(errno));
    return GS_OK;
}

/* A step that could not run, or ran without leaving its file: remembered, reported, and the folder
 * stays .partial; the other steps still run. */
static void step_failed(plan_t *p, int index, const char *what, const char *log_name, gs_status_t st, const char *why)
{
    fprintf(stderr, "kernels [%d/%d] %s: FAILED: %s (see %s/%s)\n", index, p->total, what, why, p->dir, log_name);
    if (p->first_error == GS_OK) {
        p->first_error = st;
        snprintf(p->first_error_msg, sizeof p->first_error_msg, "kernels step '%s': %s", what, why);
    }
}

/* Runs one step and classifies its end: 0 done, 1 done with failed checks (the file records them),
 * -1 failed (it could not run, was killed, rejected its arguments, or left no file). */
static int run_step(plan_t *p, int index, const char *what, const cmdline_t *c, const char *log_name,
                    const char *file, double *seconds)
{
    const double t0 = gs_now_s();
    int status = 0;
    gs_status_t st = spawn_wait(p, c, log_name, &status);
    *seconds = gs_now_s() - t0;
    p->r->steps++;
    char why[256], path[PATH_CAP + 64];
    struct stat sb;
    snprintf(path, sizeof path, "%s/%s", p->dir, file);
    if (st != GS_OK)
        snprintf(why, sizeof why, "%s", gs_error_detail());
    else if (WIFSIGNALED(status))
        snprintf(why, sizeof why, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else if (WEXITSTATUS(status) > 1)
        snprintf(why, sizeof why, "exit status %d", WEXITSTATUS(status));
    else if (stat(path, &sb) != 0 || sb.st_size == 0)
        snprintf(why, sizeof why, "exit status %d but no %s", WEXITSTATUS(status), file);
    else
        return WEXITSTATUS(status);
    step_failed(p, index, what, log_name, st != GS_OK ? st : GS_EIO, why);
    return -1;
}

/* Rows and FAIL rows of validate.csv (our own format: the result is the last field). */
static void count_checks(const char *path, int *rows, int *failed)
{
    *rows = *failed = 0;
    FILE *f = fopen(path, "r");
    char line[1024];
    for (bool header = true; f && fgets(line, sizeof line, f); header = false) {
        if (header)
            continue;
        (*rows)++;
        line[strcspn(line, "\n")] = '\0';
        const char *last = strrchr(line, ',');
        *failed += last && strcmp(last + 1, "FAIL") == 0;
    }
    if (f)
        fclose(f);
}

/* The FAIL lines and their repro lines from validate.log, so a failure is seen where run-all runs. */
static void print_failures(const plan_t *p)
{
    char path[PATH_CAP + 64], line[2048];
    snprintf(path, sizeof path, "%s/validate.log", p->dir);
    FILE *f = fopen(path, "r");
    int shown = 0, more = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "repro:", 6) != 0 && !(line[0] != '#' && strstr(line, " FAIL")))
            continue;
        if (shown < MAX_FAIL_LINES) {
            fprintf(stderr, "kernels:   %s", line);
            shown++;
        } else {
            more++;
        }
    }
    if (more)
        fprintf(stderr, "kernels:   ... %d more lines in %s\n", more, path);
    if (f)
        fclose(f);
}

static void validate_step(plan_t *p, int index)
{
    cmdline_t c;
    cmdline_start(&c, p, "validate", "all");
    snprintf(c.path, sizeof c.path, "%s/validate.csv", p->dir);
    arg(&c, "--csv");
    arg(&c, c.path);
    double s;
    const int rc = run_step(p, index, "validate all", &c, "validate.log", "validate.csv", &s);
    if (rc < 0)
        return;
    int rows, failed;
    count_checks(c.path, &rows, &failed);
    fprintf(stderr, "kernels [%d/%d] validate all: %d checks, %d failed (%.1f s)\n", index, p->total, rows, failed, s);
    if (rc == 1 || failed) {
        p->r->checks_failed++;
        print_failures(p);
    }
}

/* One `bench <op> --quick` into `file`; thread_list NULL: the default 1 and N. */
static void bench_step(plan_t *p, int index, const char *op, const char *thread_list, const char *file)
{
    cmdline_t c;
    cmdline_start(&c, p, "bench", op);
    arg(&c, "--quick");
    char what[64];
    if (thread_list) {
        snprintf(c.thread_list, sizeof c.thread_list, "%s", thread_list);
        arg(&c, "--thread-list");
        arg(&c, c.thread_list);
        snprintf(what, sizeof what, "bench %s, %s thread%s", op, thread_list, strcmp(thread_list, "1") ? "s" : "");
    } else if (p->o->threads > 1) {
        snprintf(what, sizeof what, "bench %s, 1 and %d threads", op, p->o->threads);
    } else {
        snprintf(what, sizeof what, "bench %s, 1 thread", op);
    }
    snprintf(c.out_flag, sizeof c.out_flag, "--benchmark_out=%s/%s", p->dir, file);
    arg(&c, c.out_flag);
    double s;
    const int rc = run_step(p, index, what, &c, "bench.log", file, &s);
    if (rc == 1) {
        p->r->checks_failed++;
        fprintf(stderr, "kernels [%d/%d] %s: a result disagreed with oneDNN, recorded in %s (%.1f s)\n", index,
                p->total, what, file, s);
    } else if (rc == 0) {
        fprintf(stderr, "kernels [%d/%d] %s: %s (%.1f s)\n", index, p->total, what, file, s);
    }
}

/* Thread-scaling points: 1, 2, 4, ... and the full count, so a many-core machine pays for
 * log2(N) + 1 processes per op, not N. */
static int next_scaling_count(int k, int n) { return k >= n ? n + 1 : (2 * k < n ? 2 * k : n); }

static int scaling_points(int n)
{
    int count = 0;
    for (int k = 1; k <= n; k = next_scaling_count(k, n))
        count++;
    return count;
}

static void run_steps(plan_t *p)
{
    int index = 0;
    validate_step(p, ++index);
    for (int i = 0; i < NSCALING; i++)
        for (int k = 1; bench_selected(p, i) && k <= p->o->threads; k = next_scaling_count(k, p->o->threads)) {
            char list[16], file[64];
            snprintf(list, sizeof list, "%d", k);
            snprintf(file, sizeof file, "bench-%s-threads%d.json", scaling_ops[i], k);
            bench_step(p, ++index, scaling_ops[i], list, file);
        }
    for (int i = 0; i < NQUICK; i++)
        if (bench_selected(p, NSCALING + i)) {
            char file[64];
            snprintf(file, sizeof file, "bench-%s.json", quick_ops[i]);
            bench_step(p, ++index, quick_ops[i], NULL, file);
        }
}

gs_status_t gs_run_kernels(const gs_run_kernels_opts_t *o, gs_run_kernels_result_t *r)
{
    memset(r, 0, sizeof *r);
    if (!o || !o->run_dir || o->threads < 1)
        return gs_error(GS_EINVAL, "kernels step: no run folder or threads < 1");
    plan_t p = {.o = o, .r = r, .first_error = GS_OK};
    gs_status_t st = choose_bench_ops(&p);
    if (st != GS_OK)
        return st;
    p.total = 1;
    for (int i = 0; i < NSCALING + NQUICK; i++)
        p.total += bench_selected(&p, i) ? (i < NSCALING ? scaling_points(o->threads) : 1) : 0;
    char final_dir[PATH_CAP + 16];
    if (snprintf(p.dir, sizeof p.dir, "%s/.kernels.partial", o->run_dir) >= (int)sizeof p.dir)
        return gs_error(GS_EINVAL, "%s: run folder path too long", o->run_dir);
    snprintf(final_dir, sizeof final_dir, "%s/kernels", o->run_dir);
    if (mkdir(p.dir, 0755) != 0)
        return gs_error(GS_EIO, "%s: cannot create folder (%s)", p.dir, strerror(errno));
    const double t0 = gs_now_s();
    fflush(stdout); /* the run's own lines first: the children write to their logs, this to stderr */
    fprintf(stderr, "kernels: %d steps (validate all, then the benchmarks) into %s\n", p.total, p.dir);
    run_steps(&p);
    r->seconds = gs_now_s() - t0;
    if (p.first_error != GS_OK)
        return gs_error(p.first_error, "%s; the files so far stay in %s", p.first_error_msg, p.dir);
    if (rename(p.dir, final_dir) != 0)
        return gs_error(GS_EIO, "%s: cannot rename to %s (%s)", p.dir, final_dir, strerror(errno));
    fprintf(stderr, "kernels: %d steps in %.0f s -> %s%s\n", r->steps, r->seconds, final_dir,
            r->checks_failed ? " (with failed checks: see above)" : "");
    return GS_OK;
}
