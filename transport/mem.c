/*
 * mem.c - aborting allocators. Any thread.
 */
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
    fprintf(stderr, "conclave: out of memory (%zu bytes)\n", n);
    abort();
}

void *cv_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *cv_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        oom(count * size);
    return p;
}

void *cv_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *cv_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = cv_xmalloc(n);
    memcpy(d, s, n);
    return d;
}
