/* Reading the bench summary's printed table back in the tests that check it. */
#ifndef GS_TEST_SUMMARY_TEXT_H
#define GS_TEST_SUMMARY_TEXT_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* The line of the table for (shape, threads), or NULL. */
__attribute__((unused)) static const char *summary_row(const char *text, const char *shape, int threads)
{
    for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        char s[64];
        int t;
        if (sscanf(line, "%63s %d", s, &t) == 2 && strcmp(s, shape) == 0 && t == threads)
            return line;
    }
    return NULL;
}

/* Whether the line at `line` contains `what` before its end. */
__attribute__((unused)) static bool on_line(const char *line, const char *what)
{
    const char *hit = line ? strstr(line, what) : NULL, *end = line ? strchr(line, '\n') : NULL;
    return hit && (!end || hit < end);
}

#endif
