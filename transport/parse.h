/*
 * parse.h - strict reading of decimal numbers in text from users (the ini
 * file, a tier list): digits only, in a range, overflow refused.
 *
 * Pure: no allocation, no locale, no errno; any thread.
 */
#ifndef CV_PARSE_H
#define CV_PARSE_H

/* Reads a decimal number at the start of s: one or more ASCII digits (no
 * sign, no blanks, no base prefix) whose value is in min..max. With end NULL
 * the number must be all of s; otherwise *end is set just past its last
 * digit and what follows is the caller's to read. Returns 0 with the value in
 * *out, or CV_E_INVAL (no digit first, trailing bytes with end NULL, a value
 * out of min..max or too large for a long); *out and *end are then left as
 * they were. Borrows s until return. */
int cv_parse_long(const char *s, long min, long max, long *out, const char **end);

#endif
