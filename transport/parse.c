/*
 * parse.c - strict decimal numbers (see parse.h). Pure; any thread.
 */
#include "parse.h"

#include "err.h"

#include <limits.h>

int cv_parse_long(const char *s, long min, long max, long *out, const char **end)
{
    long v = 0;
    const char *p = s;
    if (*p < '0' || *p > '9')
        return CV_E_INVAL;
    for (; *p >= '0' && *p <= '9'; p++) {
        int d = *p - '0';
        if (v > (LONG_MAX - d) / 10)
            return CV_E_INVAL; /* would not fit in a long */
        v = v * 10 + d;
        if (v > max)
            return CV_E_INVAL;
    }
    if ((!end && *p) || v < min)
        return CV_E_INVAL;
    if (end)
        *end = p;
    *out = v;
    return 0;
}
