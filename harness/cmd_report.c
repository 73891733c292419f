/* `gradscope report RUN_DIR... [--out DIR] [--bench FILE.json...]`: the HTML + Markdown report of result
 * folders, drawn by scripts/report.py. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cli.h"
#include "harness/report.h"

enum { OPT_OUT = GS_OPT_FIRST_FREE };

static void usage(FILE *f)
{
    fprintf(f,
            "usage: gradscope report RUN_DIR... [--out DIR] [--bench FILE.json...]\n"
            "\n"
            "Writes DIR/index.html (figures as PNG files in DIR/figures/, referenced relatively: keep the folder\n"
            "together) and DIR/summary.md (the tables, with links to the figures) from result folders of\n"
            "gradscope train / run-all: per scenario curves, gradient flow, saturation; the study's figures\n"
            "across scenarios; kernel time, %% of measured peak, roofline, native vs oneDNN, thread scaling;\n"
            "machines side by side when the folders come from different CPUs or --isa/--threads runs.\n"
            "\n"
            "  RUN_DIR            a results/<run>/ folder (summary.csv or <scenario>/meta.json inside)\n"
            "  --out DIR          report folder (default RUN_DIR/report; required for several RUN_DIRs);\n"
            "                     written under a temporary name and renamed when complete\n"
            "  --bench FILE.json  Google Benchmark JSON of gradscope bench, merged into the kernel and\n"
            "                     across-CPU views (takes every following argument that ends in .json)\n"
            "  --help             this text\n"
            "\n"
            "Runs $GRADSCOPE_PYTHON (default /usr/bin/python3) on %s/scripts/report.py.\n"
            "Without matplotlib (Debian python3-matplotlib) it warns and writes the tables only, exit 0.\n"
            "Exit: 0 written; 1 written but a file was missing or malformed (each named), or the script could\n"
            "not run; 2 usage error (a RUN_DIR that is not a run folder, a missing --bench file).\n",
            GS_SOURCE_DIR);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Moves the --bench files out of argv (getopt cannot take several values per option): `--bench F`,
 * `--bench=F`, and after either every following argument ending in .json. Returns the new argc. */
static int take_bench_files(int argc, char **argv, const char **bench, int *nbench)
{
    int kept = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) { /* the rest are run folders */
            while (i < argc)
                argv[kept++] = argv[i++];
            break;
        }
        const bool inline_value = strncmp(a, "--bench=", 8) == 0;
        if (strcmp(a, "--bench") != 0 && !inline_value) {
            argv[kept++] = argv[i];
            continue;
        }
        if (inline_value)
            bench[(*nbench)++] = a + 8;
        else if (i + 1 < argc)
            bench[(*nbench)++] = argv[++i];
        else
            bench[(*nbench)++] = ""; /* reported by the check as a missing file */
        while (i + 1 < argc && argv[i + 1][0] != '-' && ends_with(argv[i + 1], ".json"))
            bench[(*nbench)++] = argv[++i];
    }
    argv[kept] = NULL;
    return kept;
}

int gs_cmd_report(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"out", required_argument, NULL, OPT_OUT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char **bench = calloc((size_t)argc + 1, sizeof *bench);
    if (!bench)
        return GS_EXIT_FAIL;
    int nbench = 0;
    argc = take_bench_files(argc, argv, bench, &nbench);
    gs_report_args_t a = {.bench = bench, .nbench = nbench};
    int code, rc = GS_EXIT_OK;
    optind = 1;
    while (rc == GS_EXIT_OK && (code = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (code) {
        case OPT_OUT: a.out = optarg; break;
        case 'h':
            usage(stdout);
            free(bench);
            return GS_EXIT_OK;
        default: rc = GS_EXIT_USAGE;
        }
    }
    if (rc != GS_EXIT_OK) {
        usage(stderr);
        free(bench);
        return rc;
    }
    a.runs = (const char *const *)(argv + optind);
    a.nruns = argc - optind;
    gs_status_t st = gs_report_check(&a);
    if (st != GS_OK) {
        fprintf(stderr, "gradscope report: %s\n", gs_error_detail());
        free(bench);
        return GS_EXIT_USAGE;
    }
    if ((st = gs_report_run(&a, &rc)) != GS_OK) {
        fprintf(stderr, "gradscope report: %s\n", gs_error_detail());
        rc = GS_EXIT_FAIL;
    }
    free(bench);
    return rc;
}
