/*
 * layout.c - grid geometry for the composite picture: a near-square grid of
 * equal tiles, row-major in join order, the partial last row centred.
 *
 * Thread: pure, no state; any mixer worker. No RFCs.
 */
#include "layout.h"

#include "err.h"
#include "image.h"

/* Columns for n tiles (1..CV_LAYOUT_MAX): the fixed table up to 16, then the
 * smallest c with c * c >= n (ceil(sqrt(n)) without floating point). */
static int grid_cols(int n)
{
    static const int small[17] = {0, 1, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4};
    if (n <= 16)
        return small[n];
    int c = 1;
    while (c * c < n)
        c++;
    return c;
}

int cv_layout_shape(int n, int *cols, int *rows)
{
    if (n < 1 || n > CV_LAYOUT_MAX || !cols || !rows)
        return CV_E_INVAL;
    *cols = grid_cols(n);
    *rows = (n + *cols - 1) / *cols;
    return 0;
}

/* Largest even tile length so that k tiles and k - 1 gaps fit in len. */
static int tile_len(int len, int k)
{
    return ((len - (k - 1) * CV_LAYOUT_GAP) / k) & ~1;
}

/* Even offset that centres a span of span pixels in len pixels. */
static int centre(int len, int span)
{
    return ((len - span) / 2) & ~1;
}

int cv_layout_grid(int n, int W, int H, cv_rect_t *out)
{
    if (n < 0 || n > CV_LAYOUT_MAX || (n > 0 && !out))
        return CV_E_INVAL;
    if (W < 2 || H < 2 || W > CV_IMAGE_MAX_DIM || H > CV_IMAGE_MAX_DIM || ((W | H) & 1))
        return CV_E_INVAL;
    if (n == 0)
        return 0;

    int cols, rows;
    cv_layout_shape(n, &cols, &rows);
    int tw = tile_len(W, cols), th = tile_len(H, rows);
    if (tw < 2 || th < 2)
        return CV_E_INVAL;

    int step_x = tw + CV_LAYOUT_GAP, step_y = th + CV_LAYOUT_GAP;
    int y0 = centre(H, rows * step_y - CV_LAYOUT_GAP);
    for (int i = 0; i < n; i++) {
        int r = i / cols, c = i % cols;
        /* tiles in this row: cols, except in a partial last row */
        int in_row = (r == rows - 1) ? n - r * cols : cols;
        int x0 = centre(W, in_row * step_x - CV_LAYOUT_GAP);
        out[i].x = x0 + c * step_x;
        out[i].y = y0 + r * step_y;
        out[i].w = tw;
        out[i].h = th;
    }
    return n;
}

/* Columns for n tiles of 16:9 pictures in a w x h area: the count that
 * gives each picture the most room once fitted (tall strips stack). */
static int strip_cols(int n, int w, int h)
{
    int best = 1;
    int64_t best_area = -1;
    for (int c = 1; c <= n; c++) {
        int rows = (n + c - 1) / c;
        int64_t tw = (w - (c - 1) * CV_LAYOUT_GAP) / c,
                th = (h - (rows - 1) * CV_LAYOUT_GAP) / rows;
        int64_t fw = tw < th * 16 / 9 ? tw : th * 16 / 9; /* fitted width */
        if (fw * fw > best_area) {
            best_area = fw * fw;
            best = c;
        }
    }
    return best;
}

int cv_layout_presenter(int n_small, int W, int H, cv_rect_t *out)
{
    if (n_small < 0 || n_small + 1 > CV_LAYOUT_MAX || !out || W < 16 || H < 16 || (W | H) & 1)
        return CV_E_INVAL;
    int big_w = n_small ? (W * 3 / 4) & ~1 : W;
    out[0] = (cv_rect_t){.x = 0, .y = 0, .w = big_w, .h = H};
    if (n_small == 0)
        return 1;
    int sx = big_w + CV_LAYOUT_GAP, sw = (W - sx) & ~1;
    int cols = strip_cols(n_small, sw, H), rows = (n_small + cols - 1) / cols;
    int tw = ((sw - (cols - 1) * CV_LAYOUT_GAP) / cols) & ~1;
    int th = ((H - (rows - 1) * CV_LAYOUT_GAP) / rows) & ~1;
    int fh = tw * 9 / 16 & ~1; /* no taller than a 16:9 picture needs */
    if (fh >= 2 && fh < th)
        th = fh;
    if (tw < 2 || th < 2)
        return CV_E_INVAL;
    int used_h = rows * th + (rows - 1) * CV_LAYOUT_GAP;
    int y0 = ((H - used_h) / 2) & ~1; /* the strip centred vertically */
    for (int i = 0; i < n_small; i++) {
        int r = i / cols, c = i % cols;
        out[1 + i] = (cv_rect_t){.x = sx + c * (tw + CV_LAYOUT_GAP),
                                 .y = y0 + r * (th + CV_LAYOUT_GAP),
                                 .w = tw,
                                 .h = th};
    }
    return 1 + n_small;
}
