/* gradscope command-line entry: picks the subcommand and hands it the rest of argv. */
#include <stdio.h>
#include <string.h>

#include "harness/cli.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command_t;

static const command_t commands[] = {
    {"info", gs_cmd_info, "CPU, ISA, topology, caches, binding, measured FP32 peak and memory bandwidth"},
    {"validate", gs_cmd_validate, "check kernels against oneDNN (validate gemm [PROBLEM...] [--shapes FILE])"},
    {"bench", gs_cmd_bench, "Google Benchmark micro-benchmarks (bench <op> [--benchmark_* flags])"},
    {"list", gs_cmd_list, "the scenario catalog, one line each"},
    {"train", gs_cmd_train, "train scenarios on Fashion-MNIST (train NAME... [--epochs N] [--subset N] ...)"},
    {"run-all", gs_cmd_run_all, "train the whole catalog and print the summary table"},
    {"report", gs_cmd_report, "HTML + Markdown report of result folders (report RUN_DIR... [--out DIR])"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: gradscope <command> [options]   (gradscope <command> --help for its options)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return GS_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return GS_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("gradscope %s\n", GS_VERSION);
        return GS_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "gradscope: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return GS_EXIT_USAGE;
}
