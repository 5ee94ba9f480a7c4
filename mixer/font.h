/*
 * font.h - a tiny 5x7 bitmap font for printable ASCII (32..126), drawn for
 * conclave, used to write names on placeholder tiles of the composite.
 *
 * Thread: read-only tables and pure functions; any thread. No RFCs.
 */
#ifndef CV_FONT_H
#define CV_FONT_H

#include <stdint.h>

#define CV_FONT_COLS 5    /* glyph columns */
#define CV_FONT_ROWS 7    /* glyph rows */
#define CV_FONT_ADVANCE 6 /* pen advance per character (one blank column) */

/*
 * The 7 rows of the glyph of character c, top row first; in each row bit 4 is
 * the leftmost column and bit 0 the rightmost. Characters outside 32..126
 * give the '?' glyph. The returned pointer is to static read-only data.
 */
const uint8_t *cv_font_glyph(int c);

/*
 * Reads the next character to draw from the NUL-terminated string *s and
 * advances *s past it. Printable ASCII is returned as is; any other byte
 * (control characters, and every byte >= 0x80 together with the UTF-8
 * continuation bytes 0x80..0xBF that follow it) is returned as one '?'.
 * Returns 0 at the end of the string (and does not advance).
 */
int cv_font_next(const char **s);

#endif
