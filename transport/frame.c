/*
 * frame.c - refcounted media payloads. Any thread.
 */
#include "frame.h"

#include "mem.h"

#include <stdlib.h>
#include <string.h>

cv_frame_t *cv_frame_new(int kind, size_t len)
{
    cv_frame_t *f = cv_xmalloc(sizeof(*f) + len);
    memset(f, 0, sizeof(*f));
    atomic_init(&f->refs, 1);
    f->kind = kind;
    f->len = len;
    return f;
}

cv_frame_t *cv_frame_ref(cv_frame_t *f)
{
    atomic_fetch_add(&f->refs, 1);
    return f;
}

void cv_frame_unref(cv_frame_t *f)
{
    if (f && atomic_fetch_sub(&f->refs, 1) == 1)
        free(f);
}

void cv_frame_unref_void(void *f)
{
    cv_frame_unref(f);
}
