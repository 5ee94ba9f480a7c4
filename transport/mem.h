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

/* Giving freed memory back to the system. glibc keeps what a thread frees in
 * its arena, holes and all, so a big room that drops its hidden senders'
 * decoders would keep their pages: whoever frees something big asks with
 * cv_mem_trim_later, and a periodic caller runs cv_mem_trim_due, which trims
 * (malloc_trim) when asked, at most once per CV_MEM_TRIM_GAP_US over all
 * threads (an ask waits for the next call after that); returns 1 when it
 * trimmed. Any thread. */
#define CV_MEM_TRIM_GAP_US 1000000
void cv_mem_trim_later(void);
int cv_mem_trim_due(void);

#endif
