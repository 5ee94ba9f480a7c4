/*
 * names.h - the display names participants give themselves (?name= of a
 * join): what a name may hold, and the suffix that tells two equal names of
 * one room apart.
 *
 * A name is valid UTF-8 (shortest forms, no surrogates), 1 to
 * CV_NAME_MAX_CHARS characters, with no control character (C0, DEL, C1, line
 * and paragraph separators), no bidirectional formatting character (marks,
 * embeddings, overrides, isolates) and no invisible character (zero-width
 * space, joiners, word joiner, byte order mark, tags...): what the roster
 * shows is what others see, in the order they read it.
 *
 * Pure: no lock, no allocation.
 */
#ifndef CV_NAMES_H
#define CV_NAMES_H

#include <stddef.h>

#define CV_NAME_MAX_CHARS 64                      /* characters (code points) */
#define CV_NAME_MAX_BYTES (CV_NAME_MAX_CHARS * 4) /* the UTF-8 of that many */

/* Copies name into out (cap >= CV_NAME_MAX_BYTES + 1) without the spaces
 * at either end. Returns NULL when the result is a valid name (or empty: no
 * name), else a one-line reason (and out is ""). */
const char *cv_name_clean(const char *name, char *out, size_t cap);

/* 1 when a and b are the same name to a reader: equal but for the case of
 * ASCII letters. */
int cv_name_same(const char *a, const char *b);

/* The k-th (k >= 2) name of a room for `base` (a valid name): "base (k)",
 * base cut at a character boundary so the whole stays within
 * CV_NAME_MAX_CHARS. out: cap >= CV_NAME_MAX_BYTES + 1. */
void cv_name_numbered(const char *base, int k, char *out, size_t cap);

/* Characters in s, a valid UTF-8 string. */
size_t cv_name_chars(const char *s);

#endif
