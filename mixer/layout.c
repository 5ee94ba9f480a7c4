/*
 * layout.c - geometry of the composite picture: a near-square grid of equal
 * tiles, row-major in join order, the partial last row centred; the
 * presenter, speaker and lecture arrangements; and who each mode shows.
 *
 * Thread: pure, no state; any mixer worker. No RFCs.
 */
#include "layout.h"

#include "err.h"
#include "image.h"

#include <string.h>

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
    if (H > W) { /* portrait: the shape turned, so 2 stack */
        int t = cols;
        cols = rows;
        rows = t;
    }
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

/* Places n 16:9 pictures in the area (x, y, w, h): the column count that
 * gives each the most room, rows no taller than a 16:9 picture needs, the
 * block centred vertically. Returns 0, or CV_E_INVAL if a tile would be
 * under 2 x 2. */
static int place(int n, int x, int y, int w, int h, cv_rect_t *out)
{
    int cols = strip_cols(n, w, h), rows = (n + cols - 1) / cols;
    int tw = ((w - (cols - 1) * CV_LAYOUT_GAP) / cols) & ~1;
    int th = ((h - (rows - 1) * CV_LAYOUT_GAP) / rows) & ~1;
    int fh = tw * 9 / 16 & ~1; /* no taller than a 16:9 picture needs */
    if (fh >= 2 && fh < th)
        th = fh;
    if (tw < 2 || th < 2)
        return CV_E_INVAL;
    int used_h = rows * th + (rows - 1) * CV_LAYOUT_GAP;
    int y0 = y + (((h - used_h) / 2) & ~1);
    for (int i = 0; i < n; i++) {
        int r = i / cols, c = i % cols;
        out[i] = (cv_rect_t){.x = x + c * (tw + CV_LAYOUT_GAP),
                             .y = y0 + r * (th + CV_LAYOUT_GAP),
                             .w = tw,
                             .h = th};
    }
    return 0;
}

static int canvas_ok(int W, int H)
{
    return W >= 16 && H >= 16 && W <= CV_IMAGE_MAX_DIM && H <= CV_IMAGE_MAX_DIM && !((W | H) & 1);
}

int cv_layout_presenter(int n_small, int W, int H, cv_rect_t *out)
{
    if (n_small < 0 || n_small + 1 > CV_LAYOUT_MAX || !out || !canvas_ok(W, H))
        return CV_E_INVAL;
    if (H > W) { /* portrait: the large tile on top, the others below */
        int big_h = n_small ? (H * 3 / 4) & ~1 : H;
        out[0] = (cv_rect_t){.x = 0, .y = 0, .w = W, .h = big_h};
        if (n_small == 0)
            return 1;
        int sy = big_h + CV_LAYOUT_GAP;
        if (place(n_small, 0, sy, W, (H - sy) & ~1, out + 1) < 0)
            return CV_E_INVAL;
        return 1 + n_small;
    }
    int big_w = n_small ? (W * 3 / 4) & ~1 : W;
    out[0] = (cv_rect_t){.x = 0, .y = 0, .w = big_w, .h = H};
    if (n_small == 0)
        return 1;
    int sx = big_w + CV_LAYOUT_GAP;
    if (place(n_small, sx, 0, (W - sx) & ~1, H, out + 1) < 0)
        return CV_E_INVAL;
    return 1 + n_small;
}

int cv_layout_speaker(int n_small, int W, int H, cv_rect_t *out)
{
    if (n_small < 0 || n_small > CV_LAYOUT_STRIP_MAX || !out || !canvas_ok(W, H))
        return CV_E_INVAL;
    if (n_small == 0) {
        out[0] = (cv_rect_t){.x = 0, .y = 0, .w = W, .h = H};
        return 1;
    }
    int sh = (H / 4) & ~1; /* the strip's height */
    int big_h = H - sh - CV_LAYOUT_GAP;
    out[0] = (cv_rect_t){.x = 0, .y = 0, .w = W, .h = big_h};
    int tw = ((W - (n_small - 1) * CV_LAYOUT_GAP) / n_small) & ~1;
    int fw = (sh * 16 / 9) & ~1; /* a 16:9 picture as tall as the strip */
    if (fw < tw)
        tw = fw;
    int th = sh;
    if (tw * 9 / 16 < th) /* narrow canvas: tiles no taller than their picture */
        th = (tw * 9 / 16) & ~1;
    if (tw < 2 || th < 2)
        return CV_E_INVAL;
    int used = n_small * tw + (n_small - 1) * CV_LAYOUT_GAP;
    int x0 = ((W - used) / 2) & ~1;
    int y0 = big_h + CV_LAYOUT_GAP + (((sh - th) / 2) & ~1);
    for (int i = 0; i < n_small; i++)
        out[1 + i] = (cv_rect_t){.x = x0 + i * (tw + CV_LAYOUT_GAP), .y = y0, .w = tw, .h = th};
    return 1 + n_small;
}

int cv_layout_lecture(int n_big, int n_small, int W, int H, cv_rect_t *out)
{
    if (n_big < 1 || n_big > CV_LAYOUT_BIG_MAX || n_small < 0 || n_small > 1 || !out ||
        !canvas_ok(W, H))
        return CV_E_INVAL;
    if (H > W) { /* portrait: the large tiles on top, the small one below */
        int big_h = n_small ? (H * 3 / 4) & ~1 : H;
        if (n_big == 1)
            out[0] = (cv_rect_t){.x = 0, .y = 0, .w = W, .h = big_h};
        else if (place(n_big, 0, 0, W, big_h, out) < 0)
            return CV_E_INVAL;
        int sy = big_h + CV_LAYOUT_GAP;
        if (n_small && place(1, 0, sy, W, (H - sy) & ~1, out + n_big) < 0)
            return CV_E_INVAL;
        return n_big + n_small;
    }
    int big_w = n_small ? (W * 3 / 4) & ~1 : W;
    if (n_big == 1)
        out[0] = (cv_rect_t){.x = 0, .y = 0, .w = big_w, .h = H};
    else if (place(n_big, 0, 0, big_w, H, out) < 0)
        return CV_E_INVAL;
    if (n_small) {
        int sx = big_w + CV_LAYOUT_GAP;
        if (place(1, sx, 0, (W - sx) & ~1, H, out + n_big) < 0)
            return CV_E_INVAL;
    }
    return n_big + n_small;
}

/* ---- who is shown ---- */

static int find_id(const cv_layout_member_t *m, int n, int id)
{
    for (int i = 0; i < n; i++)
        if (m[i].id == id)
            return i;
    return -1;
}

static int first_screen(const cv_layout_member_t *m, int n)
{
    for (int i = 0; i < n; i++)
        if (m[i].screen)
            return i;
    return -1;
}

static void take(unsigned char *on, int i, int *k)
{
    if (i >= 0 && !on[i] && *k < CV_LAYOUT_MAX) {
        on[i] = 1;
        (*k)++;
    }
}

/* The members a grid shows (all of them up to CV_LAYOUT_MAX, else chosen as
 * layout.h says), as positions in join order. Returns how many. */
static int grid_pick(const cv_layout_member_t *m, int n, int active, const int *recent,
                     int n_recent, int *sel)
{
    unsigned char on[CV_LAYOUT_MEMBERS_MAX] = {0};
    int k = 0, c = 0;
    take(on, first_screen(m, n), &k);
    take(on, find_id(m, n, active), &k);
    for (int i = 0; i < n && k < CV_LAYOUT_MAX; i++)
        if (m[i].speaking)
            take(on, i, &k);
    for (int i = 0; i < n_recent && k < CV_LAYOUT_MAX; i++)
        take(on, find_id(m, n, recent[i]), &k);
    for (int i = 0; i < n && k < CV_LAYOUT_MAX; i++)
        take(on, i, &k);
    for (int i = 0; i < n; i++)
        if (on[i])
            sel[c++] = i;
    return c;
}

static int plan_grid(const cv_layout_member_t *m, int n, int active, const int *recent,
                     int n_recent, int W, int H, int *shown, cv_rect_t *rects)
{
    int sel[CV_LAYOUT_MAX];
    int c = grid_pick(m, n, active, recent, n_recent, sel), screen = -1, k = 0;
    for (int i = 0; i < c && screen < 0; i++)
        if (m[sel[i]].screen)
            screen = sel[i];
    if (screen >= 0) {
        shown[k++] = screen;
        for (int i = 0; i < c; i++)
            if (!m[sel[i]].screen)
                shown[k++] = sel[i];
        if (cv_layout_presenter(k - 1, W, H, rects) == k)
            return k;
    }
    memcpy(shown, sel, sizeof(int) * (size_t)c);
    return cv_layout_grid(c, W, H, rects);
}

/* SPEAKER's large tile: the first screen, else the active speaker, else the first member. */
static int speaker_big(const cv_layout_member_t *m, int n, int active)
{
    int big = first_screen(m, n);
    if (big < 0)
        big = find_id(m, n, active);
    return big < 0 ? 0 : big;
}

static int plan_speaker(const cv_layout_member_t *m, int n, int active, const int *recent,
                        int n_recent, int W, int H, int *shown, cv_rect_t *rects)
{
    int k = 0;
    shown[k++] = speaker_big(m, n, active);
    for (int i = 0; i < n_recent && k < 1 + CV_LAYOUT_STRIP_MAX; i++) {
        int at = find_id(m, n, recent[i]);
        int dup = at < 0;
        for (int j = 0; j < k && !dup; j++)
            dup = shown[j] == at;
        if (!dup)
            shown[k++] = at;
    }
    return cv_layout_speaker(k - 1, W, H, rects);
}

static int plan_lecture(const cv_layout_member_t *m, int n, int active, int W, int H, int *shown,
                        cv_rect_t *rects)
{
    int k = 0;
    for (int i = 0; i < n && k < CV_LAYOUT_BIG_MAX; i++)
        if (m[i].lecturer || m[i].screen)
            shown[k++] = i;
    if (k == 0)
        shown[k++] = speaker_big(m, n, active);
    int n_big = k, small = -1;
    int a = find_id(m, n, active);
    if (a >= 0 && m[a].speaking)
        small = a;
    for (int j = 0; j < n_big && small >= 0; j++)
        if (shown[j] == small)
            small = -1;
    for (int i = 0; i < n && small < 0; i++) {
        int big = 0;
        for (int j = 0; j < n_big; j++)
            big |= shown[j] == i;
        if (m[i].speaking && !big)
            small = i;
    }
    if (small >= 0)
        shown[k++] = small;
    return cv_layout_lecture(n_big, k - n_big, W, H, rects);
}

int cv_layout_plan(int mode, const cv_layout_member_t *members, int n, int active,
                   const int *recent, int n_recent, int W, int H, int *shown, cv_rect_t *rects)
{
    if (n < 0 || n > CV_LAYOUT_MEMBERS_MAX || (n > 0 && (!members || !shown || !rects)) ||
        n_recent < 0 || (n_recent > 0 && !recent) || !canvas_ok(W, H))
        return CV_E_INVAL;
    if (n == 0)
        return 0;
    switch (mode) {
    case CV_LAYOUT_GRID: return plan_grid(members, n, active, recent, n_recent, W, H, shown, rects);
    case CV_LAYOUT_SPEAKER:
        return plan_speaker(members, n, active, recent, n_recent, W, H, shown, rects);
    case CV_LAYOUT_LECTURE: return plan_lecture(members, n, active, W, H, shown, rects);
    default: return CV_E_INVAL;
    }
}
