/*
 * test_compositor.c - the composite picture checked pixel by pixel: solid
 * pictures land in their tiles with their colour, aspect kept (landscape and
 * portrait sources, black bars), gaps stay black, a placeholder is grey with
 * its name in the centre and nothing outside its tile, only the speaker has
 * the border, pictures are not damaged (PSNR against blit_fit alone); the
 * bitmap font against hand-drawn known answers; long and UTF-8 names.
 */
#include "check.h"

#include "compositor.h"
#include "err.h"
#include "font.h"
#include "image.h"
#include "layout.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CW 1280
#define CH 720
#define BRIGHT 200 /* text is 235; every source colour and the border are below this */

/* Source colours (Y, U, V), BT.601 limited range. */
static const uint8_t red[3] = {81, 90, 240};
static const uint8_t green[3] = {145, 54, 34};
static const uint8_t blue[3] = {41, 240, 110};
static const uint8_t orange[3] = {151, 44, 201};

static uint8_t *py(const cv_image_t *im, int x, int y)
{
    return im->y + (size_t)y * im->stride_y + x;
}

static uint8_t pu(const cv_image_t *im, int x, int y)
{
    return im->u[(size_t)(y / 2) * im->stride_u + x / 2];
}

static uint8_t pv(const cv_image_t *im, int x, int y)
{
    return im->v[(size_t)(y / 2) * im->stride_v + x / 2];
}

static int is_colour(const cv_image_t *im, int x, int y, uint8_t cy, uint8_t cu, uint8_t cv)
{
    return *py(im, x, y) == cy && pu(im, x, y) == cu && pv(im, x, y) == cv;
}

static int is_border(const cv_image_t *im, int x, int y)
{
    return is_colour(im, x, y, CV_COMPOSE_BORDER_Y, CV_COMPOSE_BORDER_U, CV_COMPOSE_BORDER_V);
}

static void solid(cv_image_t *im, int w, int h, const uint8_t c[3])
{
    cv_image_alloc(im, w, h);
    cv_image_fill(im, c[0], c[1], c[2]);
}

/* A picture with detail everywhere: diagonal luma ramps, chroma bands. */
static void textured(cv_image_t *im, int w, int h)
{
    cv_image_alloc(im, w, h);
    for (int r = 0; r < h; r++)
        for (int c = 0; c < w; c++)
            *py(im, c, r) = (uint8_t)(20 + (c * 3 + r * 2) % 190 + ((c / 8 + r / 8) & 1) * 10);
    for (int r = 0; r < h / 2; r++)
        for (int c = 0; c < w / 2; c++) {
            im->u[(size_t)r * im->stride_u + c] = (uint8_t)(100 + (c % 64));
            im->v[(size_t)r * im->stride_v + c] = (uint8_t)(90 + (r % 80));
        }
}

/* A view (no copy) of the rectangle (x, y, w, h) of im; x, y even. */
static cv_image_t view(const cv_image_t *im, int x, int y, int w, int h)
{
    cv_image_t v = *im;
    v.mem = NULL;
    v.w = w;
    v.h = h;
    v.y = im->y + (size_t)y * im->stride_y + x;
    v.u = im->u + (size_t)(y / 2) * im->stride_u + x / 2;
    v.v = im->v + (size_t)(y / 2) * im->stride_v + x / 2;
    return v;
}

static int inside(const cv_rect_t *r, int x, int y)
{
    return x >= r->x && x < r->x + r->w && y >= r->y && y < r->y + r->h;
}

/* Pixels of im outside every rect that are not black (Y, U and V). */
static int non_black_outside(const cv_image_t *im, const cv_rect_t *rects, int n)
{
    int bad = 0;
    for (int y = 0; y < im->h; y++)
        for (int x = 0; x < im->w; x++) {
            int in = 0;
            for (int i = 0; i < n && !in; i++)
                in = inside(&rects[i], x, y);
            if (!in)
                bad += !is_colour(im, x, y, CV_IMAGE_BLACK_Y, CV_IMAGE_BLACK_U, CV_IMAGE_BLACK_V);
        }
    return bad;
}

/* Pixels of the d-pixel-wide ring just inside r that have the border colour. */
static int border_pixels(const cv_image_t *im, const cv_rect_t *r, int d)
{
    int n = 0;
    for (int y = r->y; y < r->y + r->h; y++)
        for (int x = r->x; x < r->x + r->w; x++) {
            int ring = x < r->x + d || x >= r->x + r->w - d || y < r->y + d || y >= r->y + r->h - d;
            n += ring && is_border(im, x, y);
        }
    return n;
}

/* Mean Y, U, V of the middle half of a rect are the colour within 1. */
static int centre_is(const cv_image_t *im, int x, int y, int w, int h, const uint8_t c[3])
{
    double my, mu, mv;
    cv_image_mean(im, x + w / 4, y + h / 4, w / 2, h / 2, &my, &mu, &mv);
    return fabs(my - c[0]) <= 1.0 && fabs(mu - c[1]) <= 1.0 && fabs(mv - c[2]) <= 1.0;
}

/* Bright (text) pixels inside the rect (x, y, w, h), with their bounding box. */
static int bright_in(const cv_image_t *im, int x, int y, int w, int h, int box[4])
{
    int n = 0;
    box[0] = INT_MAX, box[1] = INT_MAX, box[2] = -1, box[3] = -1;
    for (int r = y; r < y + h; r++)
        for (int c = x; c < x + w; c++)
            if (*py(im, c, r) >= BRIGHT) {
                n++;
                box[0] = c < box[0] ? c : box[0];
                box[1] = r < box[1] ? r : box[1];
                box[2] = c > box[2] ? c : box[2];
                box[3] = r > box[3] ? r : box[3];
            }
    return n;
}

/*
 * Scene 1: five tiles on 1280x720 (3x2, last row of two centred):
 * 0 red 640x360, 1 green 360x640 (pillarbox), 2 blue 320x240, 3 orange
 * 320x240 speaking, 4 placeholder "Alice".
 */
static void check_scene(void)
{
    cv_image_t canvas, src[4];
    cv_image_alloc(&canvas, CW, CH);
    solid(&src[0], 640, 360, red);
    solid(&src[1], 360, 640, green);
    solid(&src[2], 320, 240, blue);
    solid(&src[3], 320, 240, orange);
    const uint8_t *colour[4] = {red, green, blue, orange};
    cv_tile_t tiles[5] = {
        {&src[0], "Red", 0},    {&src[1], "Green", 0}, {&src[2], "Blue", 0},
        {&src[3], "Orange", 1}, {NULL, "Alice", 0},
    };
    cv_image_fill(&canvas, 200, 30, 30); /* stale content must be overwritten */
    CHECK_EQ(cv_compose_grid(&canvas, tiles, 5), 0);
    cv_rect_t r[5];
    CHECK_EQ(cv_layout_grid(5, CW, CH, r), 5);

    /* each picture in its tile, at its colour */
    for (int i = 0; i < 4; i++) {
        int fx, fy, fw, fh;
        cv_image_fit_rect(r[i].x, r[i].y, r[i].w, r[i].h, src[i].w, src[i].h, &fx, &fy, &fw, &fh);
        CHECK(centre_is(&canvas, fx, fy, fw, fh, colour[i]));
    }
    /* the portrait picture: full tile height, about 358 * 360 / 640 wide, bars black */
    int fx, fy, fw, fh;
    cv_image_fit_rect(r[1].x, r[1].y, r[1].w, r[1].h, 360, 640, &fx, &fy, &fw, &fh);
    CHECK(fh == r[1].h && abs(fw - r[1].h * 360 / 640) <= 2 && fw < r[1].w / 2);
    int bars = 0, bar_px = 0;
    for (int y = r[1].y; y < r[1].y + r[1].h; y++)
        for (int x = r[1].x; x < r[1].x + r[1].w; x++)
            if (x < fx || x >= fx + fw) {
                bar_px++;
                bars += !is_colour(&canvas, x, y, 16, 128, 128);
            }
    CHECK(bar_px > r[1].h * 100);
    CHECK_EQ(bars, 0);
    /* just inside the picture edge it is green, not black */
    CHECK(*py(&canvas, fx + 2, r[1].y + r[1].h / 2) == green[0]);
    CHECK(*py(&canvas, fx + fw - 3, r[1].y + r[1].h / 2) == green[0]);

    /* gaps, margins and the space beside the centred last row: black */
    CHECK_EQ(non_black_outside(&canvas, r, 5), 0);
    CHECK(r[3].x > 100); /* there is such space left of the last row */

    /* the placeholder: grey, white text in its centre band, nothing else */
    const cv_rect_t *a = &r[4];
    double my, mu, mv;
    cv_image_mean(&canvas, a->x, a->y, a->w, a->h, &my, &mu, &mv);
    CHECK(my > CV_COMPOSE_TILE_Y && my < CV_COMPOSE_TILE_Y + 40);
    CHECK(fabs(mu - 128) < 0.01 && fabs(mv - 128) < 0.01);
    int box[4], other = 0;
    int band = bright_in(&canvas, a->x, a->y + a->h / 4, a->w, a->h / 2, box);
    CHECK(band > 200);
    CHECK_EQ(bright_in(&canvas, a->x, a->y, a->w, a->h / 4, box), 0);
    CHECK_EQ(bright_in(&canvas, a->x, a->y + 3 * a->h / 4, a->w, a->h - 3 * a->h / 4, box), 0);
    int all = bright_in(&canvas, a->x, a->y, a->w, a->h, box);
    CHECK_EQ(all, band);
    /* text centred horizontally (within a couple of pixels) and vertically */
    CHECK(abs((box[0] + box[2] + 1) / 2 - (a->x + a->w / 2)) <= 2);
    CHECK(abs((box[1] + box[3] + 1) / 2 - (a->y + a->h / 2)) <= 4);
    for (int y = a->y; y < a->y + a->h; y++)
        for (int x = a->x; x < a->x + a->w; x++)
            other += *py(&canvas, x, y) != CV_COMPOSE_TILE_Y && *py(&canvas, x, y) != 235;
    CHECK_EQ(other, 0);
    /* nothing bright anywhere else on the canvas */
    CHECK_EQ(bright_in(&canvas, 0, 0, CW, CH, box), all);

    /* the speaker's border: the whole 4-px ring, and not deeper; no one else's */
    int ring = 2 * CV_COMPOSE_BORDER * (r[3].w + r[3].h - 2 * CV_COMPOSE_BORDER);
    CHECK_EQ(border_pixels(&canvas, &r[3], CV_COMPOSE_BORDER), ring);
    CHECK_EQ(border_pixels(&canvas, &r[3], CV_COMPOSE_BORDER + 1), ring);
    for (int i = 0; i < 5; i++)
        if (i != 3)
            CHECK_EQ(border_pixels(&canvas, &r[i], 8), 0);
    /* inside the border the picture (or its bar) is untouched */
    CHECK(!is_border(&canvas, r[3].x + CV_COMPOSE_BORDER, r[3].y + r[3].h / 2));

    /* the same scene with nobody speaking has no border pixels at all */
    tiles[3].speaking = 0;
    CHECK_EQ(cv_compose_grid(&canvas, tiles, 5), 0);
    CHECK_EQ(border_pixels(&canvas, &r[3], 8), 0);
    CHECK(centre_is(&canvas, r[3].x, r[3].y, r[3].w, r[3].h, orange));

    /* a speaking placeholder gets the border too, over the grey */
    tiles[4].speaking = 1;
    CHECK_EQ(cv_compose_grid(&canvas, tiles, 5), 0);
    CHECK_EQ(border_pixels(&canvas, &r[4], CV_COMPOSE_BORDER),
             2 * CV_COMPOSE_BORDER * (r[4].w + r[4].h - 2 * CV_COMPOSE_BORDER));

    /* a picture that cannot be scaled shows as a placeholder */
    cv_image_t broken = src[0];
    broken.stride_y = 10; /* narrower than its width */
    tiles[0].pic = &broken;
    CHECK_EQ(cv_compose_grid(&canvas, tiles, 5), 0);
    cv_image_mean(&canvas, r[0].x, r[0].y, r[0].w, r[0].h, &my, NULL, NULL);
    CHECK(my > CV_COMPOSE_TILE_Y && my < CV_COMPOSE_TILE_Y + 40);
    CHECK(bright_in(&canvas, r[0].x, r[0].y, r[0].w, r[0].h, box) > 50);

    for (int i = 0; i < 4; i++)
        cv_image_free(&src[i]);
    cv_image_free(&canvas);
}

/* The tile of canvas against blit_fit of the source alone into a picture of the tile's size. */
static double tile_psnr(const cv_image_t *canvas, const cv_rect_t *r, const cv_image_t *src,
                        int inset)
{
    cv_image_t ref;
    cv_image_alloc(&ref, r->w, r->h);
    cv_image_blit_fit(&ref, 0, 0, r->w, r->h, src->y, src->stride_y, src->u, src->stride_u, src->v,
                      src->stride_v, src->w, src->h);
    cv_image_t a = view(canvas, r->x + inset, r->y + inset, r->w - 2 * inset, r->h - 2 * inset);
    cv_image_t b = view(&ref, inset, inset, r->w - 2 * inset, r->h - 2 * inset);
    double p = cv_image_psnr_y(&a, &b);
    cv_image_free(&ref);
    return p;
}

/* Scene 2: textured pictures, down- and upscaled, are not damaged. */
static void check_fidelity(void)
{
    cv_image_t canvas, src[3];
    cv_image_alloc(&canvas, CW, CH);
    textured(&src[0], 640, 480);
    textured(&src[1], 960, 540);
    textured(&src[2], 176, 144);
    cv_tile_t tiles[4] = {
        {&src[0], "Ann", 0}, {&src[1], "Ben", 0}, {NULL, "Bob Marley", 0}, {&src[2], "Cy", 1}};
    CHECK_EQ(cv_compose_grid(&canvas, tiles, 4), 0);
    cv_rect_t r[4];
    cv_layout_grid(4, CW, CH, r);
    CHECK(tile_psnr(&canvas, &r[0], &src[0], 0) >= 40.0);
    CHECK(tile_psnr(&canvas, &r[1], &src[1], 0) >= 40.0);
    /* the speaker: everything inside the border */
    CHECK(tile_psnr(&canvas, &r[3], &src[2], CV_COMPOSE_BORDER) >= 40.0);
    /* and the check can fail: the speaker's whole tile includes the border */
    CHECK(tile_psnr(&canvas, &r[3], &src[2], 0) < 40.0);
    /* the placeholder shows initials "BM" large above the name: two text blocks */
    int box[4];
    CHECK(bright_in(&canvas, r[2].x, r[2].y, r[2].w, r[2].h, box) > 300);
    int rows_with_text = 0, runs = 0, prev = 0;
    for (int y = r[2].y; y < r[2].y + r[2].h; y++) {
        int any = bright_in(&canvas, r[2].x, y, r[2].w, 1, box) > 0;
        rows_with_text += any;
        runs += any && !prev;
        prev = any;
    }
    CHECK(rows_with_text > 7 * 4);
    CHECK(runs >= 2);
    for (int i = 0; i < 3; i++)
        cv_image_free(&src[i]);
    cv_image_free(&canvas);
}

/* Known answers: glyphs drawn by cv_draw_text against the hand-drawn rows. */
static void check_font(void)
{
    static const char *const a_rows[7] = {
        ".###.", /* row 0 of 'A' */
        "#...#", /* row 1 */
        "#...#", /* row 2 */
        "#####", /* row 3: the bar */
        "#...#", /* row 4 */
        "#...#", /* row 5 */
        "#...#", /* row 6 */
    };
    static const char *const g_rows[7] = {
        ".....", /* row 0 of 'g': x-height starts at row 1 */
        ".####", /* row 1 */
        "#...#", /* row 2 */
        "#...#", /* row 3 */
        ".####", /* row 4 */
        "....#", /* row 5: descender */
        ".###.", /* row 6 */
    };
    cv_image_t im;
    cv_image_alloc(&im, 32, 24);
    CHECK_EQ(cv_draw_text(&im, 3, 2, 1, "Ag", 235), 11);
    int bad = 0;
    for (int r = 0; r < 7; r++)
        for (int c = 0; c < 5; c++) {
            bad += (*py(&im, 3 + c, 2 + r) == 235) != (a_rows[r][c] == '#');
            bad += (*py(&im, 9 + c, 2 + r) == 235) != (g_rows[r][c] == '#');
        }
    CHECK_EQ(bad, 0);
    /* the blank column between glyphs and everything around stays black */
    int lit = 0;
    for (int r = 0; r < 24; r++)
        for (int c = 0; c < 32; c++)
            lit += *py(&im, c, r) == 235;
    CHECK_EQ(lit, 18 + 16);

    /* scale 3: each font pixel a 3x3 block; 'A' row 0 col 1 */
    cv_image_fill(&im, 16, 60, 200);
    CHECK_EQ(cv_draw_text(&im, 0, 0, 3, "A", 235), 15);
    CHECK(*py(&im, 3, 0) == 235 && *py(&im, 5, 2) == 235 && *py(&im, 2, 0) == 16);
    CHECK(*py(&im, 0, 3) == 235 && *py(&im, 0, 20) == 235 && *py(&im, 0, 21) == 16);
    CHECK(pu(&im, 3, 0) == 128 && pv(&im, 3, 0) == 128); /* neutral chroma under text */
    CHECK(pu(&im, 30, 22) == 60 && pv(&im, 30, 22) == 200);

    /* every printable glyph differs from '?' except '?' itself; others map to '?' */
    int same = 0;
    for (int c = 32; c < 127; c++)
        same += memcmp(cv_font_glyph(c), cv_font_glyph('?'), CV_FONT_ROWS) == 0;
    CHECK_EQ(same, 1);
    CHECK(cv_font_glyph(31) == cv_font_glyph('?') && cv_font_glyph(200) == cv_font_glyph('?'));
    CHECK(cv_font_glyph(-5) == cv_font_glyph('?'));

    /* widths: 6 px per glyph less the last blank column; UTF-8 sequences are one '?' */
    CHECK_EQ(cv_text_width("Alice", 1), 29);
    CHECK_EQ(cv_text_width("Alice", 2), 58);
    CHECK_EQ(cv_text_width("", 3), 0);
    CHECK_EQ(cv_text_width(NULL, 3), 0);
    CHECK_EQ(cv_text_width("x", 0), 0);
    CHECK_EQ(cv_text_width("Zo\xc3\xab", 1), 17);        /* "Zoë" -> "Zo?" */
    CHECK_EQ(cv_text_width("\xf0\x9f\x98\x80!", 1), 11); /* emoji + '!' */
    CHECK_EQ(cv_text_width("\x80\x80\xff\xfe", 1), 17);  /* junk: "???" (80 80 is one) */
    CHECK_EQ(cv_text_width("a\tb\n", 1), 23);            /* controls show as '?' */
    const char *s = "\xc3\xa9t\xc3";                     /* "ét" + cut sequence */
    CHECK_EQ(cv_font_next(&s), '?');
    CHECK_EQ(cv_font_next(&s), 't');
    CHECK_EQ(cv_font_next(&s), '?');
    CHECK_EQ(cv_font_next(&s), 0);
    CHECK_EQ(cv_font_next(&s), 0);

    /* clipping: text partly or wholly off the picture, huge coordinates */
    cv_image_fill(&im, 16, 128, 128);
    CHECK_EQ(cv_draw_text(&im, -7, -3, 2, "Hello", 235), 58);
    CHECK_EQ(cv_draw_text(&im, 28, 15, 4, "WWW", 235), 68);
    CHECK_EQ(cv_draw_text(&im, INT_MAX, INT_MIN, CV_TEXT_MAX_SCALE, "x", 235), 5 * 64);
    CHECK_EQ(cv_draw_text(&im, INT_MIN, INT_MAX, CV_TEXT_MAX_SCALE, "x", 235), 5 * 64);
    CHECK_EQ(cv_draw_text(&im, 0, 0, 0, "x", 235), CV_E_INVAL);
    CHECK_EQ(cv_draw_text(&im, 0, 0, CV_TEXT_MAX_SCALE + 1, "x", 235), CV_E_INVAL);
    CHECK_EQ(cv_draw_text(NULL, 0, 0, 1, "x", 235), CV_E_INVAL);
    CHECK_EQ(cv_draw_text(&im, 0, 0, 1, NULL, 235), 0);
    cv_image_free(&im);
}

/* Names that are long, UTF-8, junk or blank never leave their tile. */
static void check_names(void)
{
    static char longname[4000];
    memset(longname, 'W', sizeof(longname) - 1);
    static char utf8[1200];
    for (size_t i = 0; i + 8 < sizeof(utf8); i += 8)
        memcpy(utf8 + i, "Zo\xc3\xab \xf0\x9f\x98\x80", 8);
    const char *names[] = {longname, utf8, "\xff\xfe\x80\x80", "   ", "", NULL, "x\x01y", "A B C"};
    const int nn = sizeof(names) / sizeof(names[0]);
    static const int sizes[][2] = {{1280, 720}, {640, 360}, {320, 180}};
    static const int counts[] = {1, 2, 7, 17, 100};
    cv_tile_t tiles[CV_LAYOUT_MAX];
    cv_rect_t r[CV_LAYOUT_MAX];
    for (size_t s = 0; s < 3; s++) {
        cv_image_t canvas;
        cv_image_alloc(&canvas, sizes[s][0], sizes[s][1]);
        for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
            int n = counts[k];
            for (int i = 0; i < n; i++)
                tiles[i] = (cv_tile_t){NULL, names[i % nn], i == 1};
            int rc = cv_compose_grid(&canvas, tiles, n);
            if (cv_layout_grid(n, canvas.w, canvas.h, r) < 0) {
                CHECK_EQ(rc, CV_E_INVAL);
                continue;
            }
            CHECK_EQ(rc, 0);
            CHECK_EQ(non_black_outside(&canvas, r, n), 0);
            /* text keeps a 2-px margin inside each tile */
            int box[4], edge = 0;
            for (int i = 0; i < n; i++) {
                if (bright_in(&canvas, r[i].x + 2, r[i].y + 2, r[i].w - 4, r[i].h - 4, box) !=
                    bright_in(&canvas, r[i].x, r[i].y, r[i].w, r[i].h, box))
                    edge++;
            }
            CHECK_EQ(edge, 0);
        }
        cv_image_free(&canvas);
    }
    /* the long name is cut: one tile, scale-1 .. 4 text ends with '.' inside the tile */
    cv_image_t canvas;
    cv_image_alloc(&canvas, 640, 360);
    cv_tile_t one = {NULL, longname, 0};
    CHECK_EQ(cv_compose_grid(&canvas, &one, 1), 0);
    int box[4];
    CHECK(bright_in(&canvas, 0, 0, 640, 360, box) > 0);
    CHECK(box[0] >= 2 && box[2] <= 637);
    /* the name is the lowest line (scale 1, 7 rows); its last glyph is '.', lit
     * only in its two bottom rows, where a 'W' would light the right column */
    int name_top = box[3] - (CV_FONT_ROWS - 1), line[4];
    CHECK(bright_in(&canvas, 0, name_top, 640, CV_FONT_ROWS, line) > 0);
    CHECK_EQ(bright_in(&canvas, line[2] - 1, name_top, 2, CV_FONT_ROWS - 2, box), 0);
    CHECK_EQ(bright_in(&canvas, line[2] - 1, name_top + CV_FONT_ROWS - 2, 2, 2, box), 4);
    CHECK(line[2] - line[0] > 500); /* cut to the tile width, not much shorter */
    cv_image_free(&canvas);
}

static void check_args(void)
{
    cv_image_t canvas, small;
    cv_image_alloc(&canvas, 64, 36);
    cv_image_alloc(&small, 20, 20);
    cv_tile_t t[CV_LAYOUT_MAX];
    for (int i = 0; i < CV_LAYOUT_MAX; i++)
        t[i] = (cv_tile_t){NULL, "N", 0};
    CHECK_EQ(cv_compose_grid(NULL, t, 1), CV_E_INVAL);
    CHECK_EQ(cv_compose_grid(&canvas, NULL, 1), CV_E_INVAL);
    CHECK_EQ(cv_compose_grid(&canvas, t, -1), CV_E_INVAL);
    CHECK_EQ(cv_compose_grid(&canvas, t, CV_LAYOUT_MAX + 1), CV_E_INVAL);
    CHECK_EQ(cv_compose_grid(&small, t, CV_LAYOUT_MAX), CV_E_INVAL);
    cv_image_t odd = canvas;
    odd.w = 63;
    CHECK_EQ(cv_compose_grid(&odd, t, 1), CV_E_INVAL);
    cv_image_t empty = {0};
    CHECK_EQ(cv_compose_grid(&empty, t, 1), CV_E_INVAL);
    /* no tiles: a black canvas */
    cv_image_fill(&canvas, 99, 99, 99);
    CHECK_EQ(cv_compose_grid(&canvas, NULL, 0), 0);
    CHECK_EQ(non_black_outside(&canvas, NULL, 0), 0);
    /* 2x2 tiles on the smallest canvas that holds 100: no text fits, borders cover */
    cv_image_t tiny;
    cv_image_alloc(&tiny, 38, 38);
    t[5].speaking = 1;
    CHECK_EQ(cv_compose_grid(&tiny, t, CV_LAYOUT_MAX), 0);
    cv_rect_t r[CV_LAYOUT_MAX];
    cv_layout_grid(CV_LAYOUT_MAX, 38, 38, r);
    CHECK(is_border(&tiny, r[5].x, r[5].y) && is_border(&tiny, r[5].x + 1, r[5].y + 1));
    CHECK(is_colour(&tiny, r[6].x, r[6].y, CV_COMPOSE_TILE_Y, 128, 128));
    cv_image_free(&tiny);
    cv_image_free(&small);
    cv_image_free(&canvas);
}

int main(void)
{
    check_scene();
    check_fidelity();
    check_font();
    check_names();
    check_args();
    return CHECK_DONE("test_compositor");
}
