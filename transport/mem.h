/*
 * mem.h - allocation that aborts on out-of-memory (docs/STYLE.md, Memory).
 * Any thread.
 */
#ifndef CV_MEM_H
#define CV_MEM_H

#include <stddef.h>

void *cv_xmalloc(size_t n);
void *cv_xcalloc(size_t count, size_t size);
void *cv_xrealloc(void *p, size_t n);
char *cv_xstrdup(const char *s);

#endif
