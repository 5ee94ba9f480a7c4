/*
 * compositor.c - the composite picture of a room: pictures fitted into grid
 * tiles (cv_image_blit_fit, libyuv underneath), placeholders with names in
 * the bitmap font, the active speaker's border; plus clipped text drawing.
 *
 * Thread: pure, single-threaded; the mixer worker composing a room owns the
 * canvas for the duration of the call. No RFCs.
 */
#include "compositor.h"

#include "err.h"
#include "font.h"
#include "layout.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#define NAME_MAX_GLYPHS 128   /* glyphs kept of a name: more than any tile shows */
#define NAME_MAX_SCALE 4      /* largest scale of a name line */
#define NAME_SCALE_STEP 60    /* one step of name scale per this many tile rows */
#define INITIALS_MAX_SCALE 16 /* largest scale of the initials */
#define NEUTRAL 128           /* chroma of grey */

/* A clip rectangle, half-open: columns x0..x1-1, rows y0..y1-1. */
typedef struct {
    int x0, y0, x1, y1;
} clip_t;

/* A name as the glyph codes to draw, trimmed of leading and trailing blanks. */
typedef struct {
    uint8_t c[NAME_MAX_GLYPHS];
    int n;
    int cut; /* the name had more than NAME_MAX_GLYPHS glyphs */
} glyphs_t;

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

static int mini(int a, int b)
{
    return a < b ? a : b;
}

/* Width in pixels of n glyphs at scale s, without the blank column after the last. */
static int width_of(int64_t n, int s)
{
    if (n <= 0)
        return 0;
    int64_t w = n * CV_FONT_ADVANCE * s - s;
    return w > INT_MAX ? INT_MAX : (int)w;
}

/* Sets the s x s block at (x, y), clipped, to luma, and the chroma under it to neutral. */
static void put_block(cv_image_t *im, const clip_t *c, int64_t x, int64_t y, int s, uint8_t luma)
{
    int x0 = (int)max64(x, c->x0), y0 = (int)max64(y, c->y0);
    int x1 = (int)min64(x + s, c->x1), y1 = (int)min64(y + s, c->y1);
    if (x0 >= x1 || y0 >= y1)
        return;
    for (int r = y0; r < y1; r++)
        memset(im->y + (size_t)r * im->stride_y + x0, luma, (size_t)(x1 - x0));
    /* chroma samples covering the block; with even clip edges they stay inside */
    int cx0 = x0 / 2, cx1 = (x1 + 1) / 2;
    for (int r = y0 / 2; r < (y1 + 1) / 2; r++) {
        memset(im->u + (size_t)r * im->stride_u + cx0, NEUTRAL, (size_t)(cx1 - cx0));
        memset(im->v + (size_t)r * im->stride_v + cx0, NEUTRAL, (size_t)(cx1 - cx0));
    }
}

static void draw_glyph(cv_image_t *im, const clip_t *c, int64_t x, int64_t y, int s, int ch,
                       uint8_t luma)
{
    if (x >= c->x1 || x + (int64_t)CV_FONT_COLS * s <= c->x0)
        return;
    const uint8_t *g = cv_font_glyph(ch);
    for (int row = 0; row < CV_FONT_ROWS; row++)
        for (int col = 0; col < CV_FONT_COLS; col++)
            if (g[row] & (0x10 >> col))
                put_block(im, c, x + (int64_t)col * s, y + (int64_t)row * s, s, luma);
}

static int image_ok(const cv_image_t *im)
{
    return im && im->y && im->u && im->v && im->w > 0 && im->h > 0;
}

int cv_draw_text(cv_image_t *im, int x, int y, int scale, const char *text, uint8_t luma)
{
    if (!image_ok(im) || scale < 1 || scale > CV_TEXT_MAX_SCALE)
        return CV_E_INVAL;
    clip_t c = {0, 0, im->w, im->h};
    int64_t pen = x, n = 0;
    int ch;
    while ((ch = cv_font_next(&text)) != 0) {
        draw_glyph(im, &c, pen, y, scale, ch, luma);
        pen += (int64_t)CV_FONT_ADVANCE * scale;
        n++;
    }
    return width_of(n, scale);
}

int cv_text_width(const char *text, int scale)
{
    if (scale < 1 || scale > CV_TEXT_MAX_SCALE)
        return 0;
    int64_t n = 0;
    while (cv_font_next(&text) != 0)
        n++;
    return width_of(n, scale);
}

static void name_glyphs(const char *name, glyphs_t *g)
{
    int ch;
    g->n = 0;
    g->cut = 0;
    while ((ch = cv_font_next(&name)) != 0) {
        if (ch == ' ' && g->n == 0)
            continue;
        if (g->n == NAME_MAX_GLYPHS) {
            g->cut = 1;
            break;
        }
        g->c[g->n++] = (uint8_t)ch;
    }
    while (g->n > 0 && g->c[g->n - 1] == ' ')
        g->n--;
}

static uint8_t upper(uint8_t c)
{
    return (c >= 'a' && c <= 'z') ? (uint8_t)(c - 'a' + 'A') : c;
}

/* Initials: first glyph of the first and of the last word; "?" for no name. */
static int initials(const glyphs_t *g, uint8_t out[2])
{
    if (g->n == 0) {
        out[0] = '?';
        return 1;
    }
    out[0] = upper(g->c[0]);
    for (int i = g->n - 1; i > 0; i--) {
        if (g->c[i - 1] == ' ') {
            out[1] = upper(g->c[i]);
            return 2;
        }
    }
    return 1;
}

static void draw_glyphs(cv_image_t *im, const clip_t *c, int x, int y, int s, const uint8_t *gl,
                        int n)
{
    for (int i = 0; i < n; i++)
        draw_glyph(im, c, x + (int64_t)i * CV_FONT_ADVANCE * s, y, s, gl[i], CV_COMPOSE_TEXT_Y);
}

/*
 * Scale (smax down to 1) at which the name fits in avail_w; at scale 1 the
 * name is cut to what fits, its last shown glyph becoming '.'. Writes the
 * glyphs to show into shown and returns their count (0: nothing fits).
 */
static int fit_name(const glyphs_t *g, int avail_w, int smax, int *scale, uint8_t *shown)
{
    int n = g->n, s = smax;
    while (s > 1 && width_of(n, s) > avail_w)
        s--;
    *scale = s;
    int cut = g->cut;
    if (width_of(n, s) > avail_w) {
        n = (avail_w + 1) / CV_FONT_ADVANCE; /* width_of(n, 1) = 6n - 1, so n < g->n */
        cut = 1;
    }
    if (n < 0 || n > NAME_MAX_GLYPHS)
        n = 0;
    memcpy(shown, g->c, (size_t)n);
    if (cut && n > 0)
        shown[n - 1] = '.';
    return n;
}

static void draw_placeholder(cv_image_t *im, const cv_rect_t *r, const char *name)
{
    cv_image_fill_rect(im, r->x, r->y, r->w, r->h, CV_COMPOSE_TILE_Y, CV_COMPOSE_TILE_U,
                       CV_COMPOSE_TILE_V);
    clip_t clip = {r->x, r->y, r->x + r->w, r->y + r->h};
    int margin = mini(r->w, r->h) / 16;
    if (margin < 2)
        margin = 2;
    int aw = r->w - 2 * margin, ah = r->h - 2 * margin;
    if (aw < CV_FONT_COLS || ah < CV_FONT_ROWS)
        return;

    glyphs_t g;
    name_glyphs(name, &g);
    uint8_t shown[NAME_MAX_GLYPHS];
    int smax = r->h / NAME_SCALE_STEP;
    smax = smax < 1 ? 1 : mini(smax, NAME_MAX_SCALE);
    int sn = 1, nn = g.n ? fit_name(&g, aw, smax, &sn, shown) : 0;

    uint8_t ini[2];
    int ni = initials(&g, ini);
    int si = mini(ah / 3 / CV_FONT_ROWS, aw / width_of(ni, 1));
    si = mini(si, INITIALS_MAX_SCALE);

    int name_h = nn ? CV_FONT_ROWS * sn : 0, gap = nn ? 4 * sn : 0;
    int ini_h = CV_FONT_ROWS * si;
    if (si >= 2 * sn && ini_h + gap + name_h <= ah) {
        /* initials large, the name under them, the pair centred */
        int y = r->y + (r->h - ini_h - gap - name_h) / 2;
        draw_glyphs(im, &clip, r->x + (r->w - width_of(ni, si)) / 2, y, si, ini, ni);
        draw_glyphs(im, &clip, r->x + (r->w - width_of(nn, sn)) / 2, y + ini_h + gap, sn, shown,
                    nn);
    } else if (nn) {
        draw_glyphs(im, &clip, r->x + (r->w - width_of(nn, sn)) / 2, r->y + (r->h - name_h) / 2, sn,
                    shown, nn);
    } else if (si >= 1) {
        draw_glyphs(im, &clip, r->x + (r->w - width_of(ni, si)) / 2, r->y + (r->h - ini_h) / 2, si,
                    ini, ni);
    }
}

/* The speaker's border, inside the rect: CV_COMPOSE_BORDER wide, 2 on tiny tiles. */
static void draw_border(cv_image_t *im, const cv_rect_t *r)
{
    int b = CV_COMPOSE_BORDER;
    if (mini(r->w, r->h) < 4 * b)
        b = 2;
    uint8_t y = CV_COMPOSE_BORDER_Y, u = CV_COMPOSE_BORDER_U, v = CV_COMPOSE_BORDER_V;
    if (2 * b >= r->w || 2 * b >= r->h) {
        cv_image_fill_rect(im, r->x, r->y, r->w, r->h, y, u, v);
        return;
    }
    cv_image_fill_rect(im, r->x, r->y, r->w, b, y, u, v);
    cv_image_fill_rect(im, r->x, r->y + r->h - b, r->w, b, y, u, v);
    cv_image_fill_rect(im, r->x, r->y + b, b, r->h - 2 * b, y, u, v);
    cv_image_fill_rect(im, r->x + r->w - b, r->y + b, b, r->h - 2 * b, y, u, v);
}

static void draw_tile(cv_image_t *canvas, const cv_rect_t *r, const cv_tile_t *t)
{
    const cv_image_t *p = t->pic;
    int drawn = 0;
    if (image_ok(p))
        drawn = cv_image_blit_fit(canvas, r->x, r->y, r->w, r->h, p->y, p->stride_y, p->u,
                                  p->stride_u, p->v, p->stride_v, p->w, p->h) == 0;
    if (!drawn)
        draw_placeholder(canvas, r, t->name);
    if (t->speaking)
        draw_border(canvas, r);
}

int cv_compose_grid(cv_image_t *canvas, const cv_tile_t *tiles, int n)
{
    if (!image_ok(canvas) || ((canvas->w | canvas->h) & 1))
        return CV_E_INVAL;
    if (n < 0 || n > CV_LAYOUT_MAX || (n > 0 && !tiles))
        return CV_E_INVAL;
    cv_rect_t rects[CV_LAYOUT_MAX];
    int rc = cv_layout_grid(n, canvas->w, canvas->h, rects);
    if (rc < 0)
        return rc;
    cv_image_fill(canvas, CV_IMAGE_BLACK_Y, CV_IMAGE_BLACK_U, CV_IMAGE_BLACK_V);
    for (int i = 0; i < n; i++)
        draw_tile(canvas, &rects[i], &tiles[i]);
    return 0;
}

int cv_compose_rects(cv_image_t *canvas, const cv_tile_t *tiles, const cv_rect_t *rects, int n)
{
    if (!image_ok(canvas) || ((canvas->w | canvas->h) & 1))
        return CV_E_INVAL;
    if (n < 0 || n > CV_LAYOUT_MAX || (n > 0 && (!tiles || !rects)))
        return CV_E_INVAL;
    for (int i = 0; i < n; i++) {
        const cv_rect_t *r = &rects[i];
        if (r->x < 0 || r->y < 0 || r->w < 2 || r->h < 2 || ((r->x | r->y | r->w | r->h) & 1) ||
            r->x + r->w > canvas->w || r->y + r->h > canvas->h)
            return CV_E_INVAL;
    }
    cv_image_fill(canvas, CV_IMAGE_BLACK_Y, CV_IMAGE_BLACK_U, CV_IMAGE_BLACK_V);
    for (int i = 0; i < n; i++)
        draw_tile(canvas, &rects[i], &tiles[i]);
    return 0;
}
