/*
 * compositor.h - draws a room's composite picture: every participant's newest
 * decoded picture, fitted with its aspect ratio kept into its grid tile
 * (layout.h), a grey placeholder with the name for a participant without
 * video, and a coloured border around the active speaker. Also draws text in
 * the built-in bitmap font (font.h).
 *
 * Thread: pure and single-threaded; called by the mixer worker that composes
 * a room, on a canvas that worker owns. No RFCs; colours are limited-range
 * BT.601 like image.h.
 */
#ifndef CV_COMPOSITOR_H
#define CV_COMPOSITOR_H

#include "image.h"
#include "layout.h"

#include <stdint.h>

/* Placeholder tile: dark grey. */
#define CV_COMPOSE_TILE_Y 48
#define CV_COMPOSE_TILE_U 128
#define CV_COMPOSE_TILE_V 128
/* Text on placeholders: white. */
#define CV_COMPOSE_TEXT_Y 235
/* Active speaker border: bright yellow-green (RGB about 170, 255, 0). */
#define CV_COMPOSE_BORDER_Y 188
#define CV_COMPOSE_BORDER_U 29
#define CV_COMPOSE_BORDER_V 109
#define CV_COMPOSE_BORDER 4 /* border thickness in pixels (2 on tiles under 16 px) */

/* Largest text scale cv_draw_text accepts (a glyph is 5s x 7s pixels). */
#define CV_TEXT_MAX_SCALE 64

typedef struct {
    const cv_image_t *pic; /* newest decoded picture of this participant, or NULL:
                              camera off / not yet sent. Borrowed until return. */
    const char *name;      /* shown on the placeholder tile; may be NULL or "";
                              UTF-8 is fine (non-ASCII shows as '?') */
    int speaking;          /* active speaker: border drawn inside the tile */
} cv_tile_t;

/*
 * Composites n tiles (0..CV_LAYOUT_MAX) into canvas (allocated, even size)
 * with the grid of cv_layout_grid: background black; each tile's picture
 * scaled with cv_image_blit_fit into its rect (letterbox / pillarbox bars
 * black); a tile without a picture is a dark grey placeholder showing the
 * initials in large letters above the name, or only the name on small tiles,
 * centred, in the bitmap font at a scale that suits the tile (names too long
 * are cut and end in '.'); nothing is drawn outside a tile's rect. The border
 * of a speaking tile is CV_COMPOSE_BORDER pixels wide, inside the rect, over
 * the picture. Pictures are not otherwise touched (no labels over video).
 * A picture that cannot be scaled (empty, bad strides) shows as a placeholder.
 * tiles[i].pic must not be the canvas. tiles may be NULL when n == 0.
 * Returns 0, or CV_E_INVAL for a bad canvas, n out of range, tiles NULL with
 * n > 0, or a canvas too small for n tiles of at least 2 x 2.
 */
int cv_compose_grid(cv_image_t *canvas, const cv_tile_t *tiles, int n);

/* The same with the caller's rectangles (even, inside the canvas), e.g. from
 * cv_layout_presenter. Returns 0 or CV_E_INVAL. */
int cv_compose_rects(cv_image_t *canvas, const cv_tile_t *tiles, const cv_rect_t *rects, int n);

/*
 * Draws text (NUL-terminated, UTF-8 tolerant as cv_font_next) with its top
 * left corner at (x, y), each font pixel a scale x scale block: Y samples set
 * to luma, the chroma samples under them set neutral (128). Clipped to the
 * picture; x and y may be anywhere. Returns the width of the text in pixels
 * (as cv_text_width, whether or not all of it was visible), or CV_E_INVAL
 * for a bad picture or a scale outside 1..CV_TEXT_MAX_SCALE. NULL text is
 * empty.
 */
int cv_draw_text(cv_image_t *im, int x, int y, int scale, const char *text, uint8_t luma);

/*
 * Width in pixels of text at scale (1..CV_TEXT_MAX_SCALE): characters times
 * CV_FONT_ADVANCE * scale, less the blank column after the last one; 0 for
 * NULL or empty text or a bad scale; saturates at INT_MAX. Height is
 * CV_FONT_ROWS * scale.
 */
int cv_text_width(const char *text, int scale);

#endif
