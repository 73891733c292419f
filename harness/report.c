/* The report step: argument checks, then scripts/report.py through posix_spawn (no shell, so no quoting
 * of paths), waited for. */
#include "harness/report.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define PYTHON_DEFAULT "/usr/bin/python3"
#define SCRIPT GS_SOURCE_DIR "/scripts/report.py"

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* summary.csv, or any <scenario>/meta.json: what gradscope train and run-all leave. */
static bool holds_results(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    if (is_file(path))
        return true;
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool found = false;
    for (struct dirent *e; !found && (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        int n = snprintf(path, sizeof path, "%s/%s/meta.json", dir, e->d_name);
        found = n > 0 && (size_t)n < sizeof path && is_file(path);
    }
    closedir(d);
    return found;
}

static gs_status_t check_run_dir(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0)
        return gs_error(GS_EINVAL, "%s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return gs_error(GS_EINVAL, "%s: not a folder (expected a results/<run>/ folder)", dir);
    if (!holds_results(dir))
        return gs_error(GS_EINVAL,
                        "%s: not a gradscope run folder (no summary.csv and no <scenario>/meta.json inside; "
                        "expected a results/<run>/ folder of gradscope train or run-all)",
                        dir);
    return GS_OK;
}

gs_status_t gs_report_check(const gs_report_args_t *a)
{
    if (!a || a->nruns < 1)
        return gs_error(GS_EINVAL, "which run folder? (gradscope report RUN_DIR... [--out DIR])");
    if (a->nruns > 1 && !a->out)
        return gs_error(GS_EINVAL, "%d run folders: --out DIR is required (a single run reports into RUN_DIR/report)",
                        a->nruns);
    for (int i = 0; i < a->nruns; i++) {
        gs_status_t st = check_run_dir(a->runs[i]);
        if (st != GS_OK)
            return st;
    }
    for (int i = 0; i < a->nbench; i++) {
        const char *f = a->bench[i];
        if (!f[0])
            return gs_error(GS_EINVAL, "--bench: which FILE.json?");
        if (access(f, F_OK) != 0)
            return gs_error(GS_EINVAL, "--bench %s: %s", f, strerror(errno));
        if (!is_file(f) || access(f, R_OK) != 0)
            return gs_error(GS_EINVAL, "--bench %s: not a readable file", f);
    }
    return GS_OK;
}

/* python script [--out DIR] [--bench F...] -- RUN...: the runs after "--" so that a folder named like
 * an option stays a folder. Caller frees the array (not the strings). */
static char **script_argv(const gs_report_args_t *a, const char *python)
{
    char **argv = calloc((size_t)(a->nruns + a->nbench + 8), sizeof *argv);
    if (!argv)
        return NULL;
    int n = 0;
    argv[n++] = (char *)python;
    argv[n++] = (char *)SCRIPT;
    if (a->out) {
        argv[n++] = (char *)"--out";
        argv[n++] = (char *)a->out;
    }
    if (a->nbench > 0)
        argv[n++] = (char *)"--bench";
    for (int i = 0; i < a->nbench; i++)
        argv[n++] = (char *)a->bench[i];
    argv[n++] = (char *)"--";
    for (int i = 0; i < a->nruns; i++)
        argv[n++] = (char *)a->runs[i];
    argv[n] = NULL;
    return argv;
}

gs_status_t gs_report_run(const gs_report_args_t *a, int *exit_code)
{
    if (!exit_code)
        return gs_error(GS_EINVAL, "gs_report_run: exit_code is NULL");
    gs_status_t st = gs_report_check(a);
    if (st != GS_OK)
        return st;
    if (access(SCRIPT, R_OK) != 0)
        return gs_error(GS_EIO, "%s: %s (the report script of the source tree this gradscope was built from)", SCRIPT,
                        strerror(errno));
    const char *env = getenv("GRADSCOPE_PYTHON");
    const char *python = env && *env ? env : PYTHON_DEFAULT;
    char **argv = script_argv(a, python);
    if (!argv)
        return gs_error(GS_ENOMEM, "gs_report_run: no memory for %d arguments", a->nruns + a->nbench + 8);
    fflush(NULL); /* the child shares our stdout: what we printed comes first */
    pid_t pid;
    int err = posix_spawnp(&pid, python, NULL, NULL, argv, environ);
    free(argv);
    if (err != 0)
        return gs_error(GS_EIO, "cannot run %s: %s (set $GRADSCOPE_PYTHON to a Python 3 interpreter)", python,
                        strerror(err));
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return gs_error(GS_EIO, "waiting for %s %s: %s", python, SCRIPT, strerror(errno));
    if (WIFSIGNALED(status))
        return gs_error(GS_EIO, "%s %s was killed by signal %d (%s)", python, SCRIPT, WTERMSIG(status),
                        strsignal(WTERMSIG(status)));
    *exit_code = WEXITSTATUS(status);
    return GS_OK;
}
