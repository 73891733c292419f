/* `gradscope info`: what this machine is and what it can do, measured. */
#include <stdio.h>
#include <stdlib.h>

#include "harness/cli.h"
#include "harness/machine.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: gradscope info [--json] [--no-measure] [--isa ISA] [--threads N]\n"
               "  --json        print the description as JSON (the format results/*/meta.json embeds)\n"
               "  --no-measure  skip the peak FLOP/s and bandwidth measurement (about 3 s)\n" GS_CLI_COMMON_HELP);
}

int gs_cmd_info(int argc, char **argv)
{
    enum { OPT_JSON = GS_OPT_FIRST_FREE, OPT_NO_MEASURE };
    static const struct option longopts[] = {
        GS_CLI_COMMON_LONGOPTS, {"json", no_argument, NULL, OPT_JSON},
        {"no-measure", no_argument, NULL, OPT_NO_MEASURE}, {"help", no_argument, NULL, 'h'}, {0, 0, 0, 0},
    };
    gs_cli_common_t common = GS_CLI_COMMON_DEFAULTS;
    bool json = false, measure = true;
    int code, exit_code = GS_EXIT_OK;
    optind = 1;
    while ((code = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (gs_cli_common_opt(code, optarg, &common, &exit_code)) {
            if (exit_code != GS_EXIT_OK)
                return exit_code;
        } else if (code == OPT_JSON) {
            json = true;
        } else if (code == OPT_NO_MEASURE) {
            measure = false;
        } else if (code == 'h') {
            usage(stdout);
            return GS_EXIT_OK;
        } else {
            usage(stderr);
            return GS_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "gradscope info: unexpected argument '%s'\n", argv[optind]);
        return GS_EXIT_USAGE;
    }
    if ((exit_code = gs_cli_setup(&common)) != GS_EXIT_OK)
        return exit_code;

    gs_peak_t peak;
    if (measure) {
        gs_status_t st = gs_peak_measure(&peak);
        if (st != GS_OK) {
            gs_cli_error("info", st, "peak measurement failed");
            return GS_EXIT_FAIL;
        }
    }
    if (json) {
        cJSON *j = gs_machine_json(measure ? &peak : NULL);
        char *text = cJSON_Print(j);
        puts(text);
        free(text);
        cJSON_Delete(j);
    } else {
        gs_machine_print(measure ? &peak : NULL);
    }
    return GS_EXIT_OK;
}
