/* Proves the SIMDe build of the AVX-512 kernels contains no AVX-512 instruction (no zmm, no opmask, no EVEX-only register), so it runs on AVX2-only CPUs. */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_util.h"

/* Registers only AVX-512 (EVEX) code can name: zmm, the opmask registers k0-k7 (AT&T "%k1"),
 * and xmm16-31 / ymm16-31. */
#define AVX512_REGISTERS "zmm|%k[0-7]|[xy]mm(1[6-9]|2[0-9]|3[01])"

typedef struct {
    long lines, instructions, hits;
    bool has_emu_symbol;
    char first_hit[200];
} scan_t;

static void scan_line(const char *line, const regex_t *re, scan_t *s)
{
    s->lines++;
    if (strchr(line, '\t'))
        s->instructions++; /* objdump -d separates address, bytes and mnemonic with tabs */
    if (strstr(line, "_emu>:"))
        s->has_emu_symbol = true;
    if (regexec(re, line, 0, NULL, 0) == 0 && s->hits++ == 0)
        snprintf(s->first_hit, sizeof s->first_hit, "%.199s", line);
}

static void check_object(const char *objdump, const char *obj, const regex_t *re)
{
    if (!gs_check(access(obj, R_OK) == 0, "object %s exists", obj))
        return;
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' -d --no-show-raw-insn '%s'", objdump, obj);
    FILE *p = popen(cmd, "r");
    if (!gs_check(p != NULL, "ran %s", cmd))
        return;
    scan_t s = {0};
    char line[1024];
    while (fgets(line, sizeof line, p))
        scan_line(line, re, &s);
    int rc = pclose(p);
    gs_check(rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0 && s.instructions > 0,
             "objdump disassembled %s (%ld instruction lines)", obj, s.instructions);
    gs_check(s.has_emu_symbol, "%s defines an _emu symbol (the emulated build, not the native one)", obj);
    gs_check(s.hits == 0, "%s uses no AVX-512 register (%ld lines do%s%s)", obj, s.hits, s.hits ? ", first: " : "",
             s.first_hit);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s OBJDUMP OBJECT...\n", argv[0]);
        gs_check(false, "given objdump and at least one emulated object file");
        return gs_test_done("test_emulated_avx512_has_no_zmm");
    }
    regex_t re;
    if (regcomp(&re, AVX512_REGISTERS, REG_EXTENDED | REG_NOSUB) != 0)
        return 2;
    for (int i = 2; i < argc; i++)
        check_object(argv[1], argv[i], &re);
    regfree(&re);
    return gs_test_done("test_emulated_avx512_has_no_zmm");
}
