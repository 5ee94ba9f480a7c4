/*
 * mem.c - aborting allocators, and giving freed memory back. Any thread.
 */
#include "mem.h"

#include "clock.h"

#include <malloc.h>
#include <stdatomic.h>
#include <stdint.h>
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

static atomic_int trim_asked;
static _Atomic int64_t trim_last_us = INT64_MIN / 2;

void cv_mem_trim_later(void)
{
    atomic_store_explicit(&trim_asked, 1, memory_order_relaxed);
}

int cv_mem_trim_due(void)
{
    if (!atomic_load_explicit(&trim_asked, memory_order_relaxed))
        return 0;
    int64_t now = cv_now_us(), last = atomic_load(&trim_last_us);
    if (now - last < CV_MEM_TRIM_GAP_US ||
        !atomic_compare_exchange_strong(&trim_last_us, &last, now))
        return 0; /* too soon, or another thread trims now */
    atomic_store(&trim_asked, 0);
#ifdef __GLIBC__
    malloc_trim(0);
#endif
    return 1;
}
