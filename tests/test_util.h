/* OK / NOT OK reporting shared by the test programs: one line per check, non-zero exit on any failure. */
#ifndef GS_TEST_UTIL_H
#define GS_TEST_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static int gs_test_failed;

/* Prints "OK <what>" or "NOT OK <what>" and returns `ok`, so a check can guard the next one. */
__attribute__((format(printf, 2, 3), unused)) static bool gs_check(bool ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s ", ok ? "OK" : "NOT OK");
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
    fflush(stdout);
    if (!ok)
        gs_test_failed++;
    return ok;
}

/* The test program's exit status: 0 when every check passed. */
__attribute__((unused)) static int gs_test_done(const char *name)
{
    printf("%s: %s (%d failed checks)\n", name, gs_test_failed ? "NOT OK" : "OK", gs_test_failed);
    return gs_test_failed ? 1 : 0;
}

#endif
