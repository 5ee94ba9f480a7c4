/*
 * log.c - leveled logging to stderr. Any thread.
 */
#include "log.h"

#include "err.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static atomic_int cur_level = CV_LOG_WARN;
static const char *const names[] = {"error", "warn", "info", "debug"};

void cv_log_set_level(int level)
{
    atomic_store(&cur_level, level);
}

int cv_log_parse_level(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return CV_E_INVAL;
}

void cv_log(int level, const char *fmt, ...)
{
    if (level > atomic_load(&cur_level) || level < 0)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "conclave: %s: %s\n", names[level], line);
}
