/*
 * layout.h - grid geometry of a room's composite picture: where each
 * participant's tile goes on a W x H canvas.
 *
 * Thread: pure functions, no state; called by whichever mixer worker composes
 * a room. No RFCs.
 */
#ifndef CV_LAYOUT_H
#define CV_LAYOUT_H

#define CV_LAYOUT_MAX 100 /* most tiles in one grid */
#define CV_LAYOUT_GAP 2   /* pixels between neighbouring tiles (even, for I420) */

typedef struct {
    int x, y, w, h;
} cv_rect_t;

/*
 * Grid for n tiles (0..CV_LAYOUT_MAX) on a W x H canvas (both even,
 * 2..CV_IMAGE_MAX_DIM). Columns x rows: 1 -> 1x1, 2 -> 2x1 (side by side),
 * 3-4 -> 2x2, 5-6 -> 3x2, 7-9 -> 3x3, 10-12 -> 4x3, 13-16 -> 4x4, then
 * cols = ceil(sqrt(n)), rows = ceil(n / cols).
 *
 * All tiles have the same size, the largest even size that fits with
 * CV_LAYOUT_GAP pixels between tiles; the grid is centred on the canvas.
 * Tiles fill row-major in the given order (tile i is always the i-th
 * participant, so tiles do not jump around); a last row that is not full is
 * centred horizontally. Every x, y, w, h is even, every rect lies inside the
 * canvas, no two rects overlap.
 *
 * Writes n rects to out (which may be NULL when n == 0). Returns n, or
 * CV_E_INVAL for n outside 0..CV_LAYOUT_MAX, a bad canvas size, out == NULL
 * with n > 0, or a canvas too small to give every tile at least 2 x 2.
 */
int cv_layout_grid(int n, int W, int H, cv_rect_t *out);

/*
 * The grid shape for n tiles (1..CV_LAYOUT_MAX) as above, without placing it.
 * Returns 0 or CV_E_INVAL.
 */
int cv_layout_shape(int n, int *cols, int *rows);

/* Presenter layout: out[0] is the large tile (a screen share) on the left
 * three quarters of the W x H canvas; out[1..n_small] are the small tiles
 * stacked in the right quarter (a grid of the strip when they do not fit in
 * one column). Even coordinates, CV_LAYOUT_GAP between tiles. Returns
 * 1 + n_small, or CV_E_INVAL. Pure. */
int cv_layout_presenter(int n_small, int W, int H, cv_rect_t *out);

#endif
