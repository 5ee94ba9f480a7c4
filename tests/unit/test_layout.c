/*
 * test_layout.c - grid geometry: shapes for 1..100 tiles, who a grid of 500
 * shows, exact rects for a few small grids, and the invariants of every grid (even, inside the
 * canvas, equal sizes, no overlaps with at least the gap between tiles, row-major order, rows
 * centred, tiles as large as fit); n = 0 and bad arguments.
 */
#include "check.h"

#include "err.h"
#include "layout.h"

#include <stdlib.h>

static const int counts[] = {1, 2, 3, 4, 5, 9, 10, 16, 17, 50, 100};
/* expected columns x rows for the counts above */
static const int shapes[][2] = {
    {1, 1}, {2, 1}, {2, 2}, {2, 2}, {3, 2}, {3, 3}, {4, 3}, {4, 4}, {5, 4}, {8, 7}, {10, 10},
};
static const int canvases[][2] = {{1280, 720}, {640, 360}};

static int overlap_1d(int a, int alen, int b, int blen, int gap)
{
    /* 1 if [a, a+alen) and [b, b+blen) come closer than gap */
    return a < b + blen + gap && b < a + alen + gap;
}

static void check_shapes(void)
{
    for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
        int c = 0, r = 0;
        CHECK_EQ(cv_layout_shape(counts[k], &c, &r), 0);
        CHECK_EQ(c, shapes[k][0]);
        CHECK_EQ(r, shapes[k][1]);
    }
    /* the table up to 16 and ceil(sqrt(n)) beyond: every n */
    int c = 0, r = 0;
    cv_layout_shape(6, &c, &r);
    CHECK(c == 3 && r == 2);
    cv_layout_shape(7, &c, &r);
    CHECK(c == 3 && r == 3);
    cv_layout_shape(12, &c, &r);
    CHECK(c == 4 && r == 3);
    cv_layout_shape(13, &c, &r);
    CHECK(c == 4 && r == 4);
    cv_layout_shape(26, &c, &r); /* ceil(sqrt(26)) = 6, ceil(26/6) = 5 */
    CHECK(c == 6 && r == 5);
    cv_layout_shape(64, &c, &r);
    CHECK(c == 8 && r == 8);
    cv_layout_shape(65, &c, &r);
    CHECK(c == 9 && r == 8);
    for (int n = 1; n <= CV_LAYOUT_MAX; n++) {
        cv_layout_shape(n, &c, &r);
        CHECK(c * r >= n && c * (r - 1) < n && c >= r && c - r <= 1);
    }
    CHECK_EQ(cv_layout_shape(0, &c, &r), CV_E_INVAL);
    CHECK_EQ(cv_layout_shape(101, &c, &r), CV_E_INVAL);
    CHECK_EQ(cv_layout_shape(4, NULL, &r), CV_E_INVAL);
}

/* Every invariant of one grid of n tiles on W x H. */
static void check_grid(int n, int W, int H)
{
    cv_rect_t out[CV_LAYOUT_MAX + 1];
    out[n].x = 12345; /* sentinel: nothing written past n rects */
    CHECK_EQ(cv_layout_grid(n, W, H, out), n);
    CHECK_EQ(out[n].x, 12345);
    int cols = 0, rows = 0;
    cv_layout_shape(n, &cols, &rows);
    int tw = out[0].w, th = out[0].h;
    int bad = 0;
    for (int i = 0; i < n; i++) {
        const cv_rect_t *a = &out[i];
        bad += ((a->x | a->y | a->w | a->h) & 1) != 0;
        bad += a->x < 0 || a->y < 0 || a->x + a->w > W || a->y + a->h > H;
        bad += a->w != tw || a->h != th || a->w < 2 || a->h < 2;
        /* row-major: same row same y and x growing; next row lower */
        if (i % cols)
            bad += a->y != out[i - 1].y || a->x != out[i - 1].x + tw + CV_LAYOUT_GAP;
        else if (i)
            bad += a->y != out[i - 1].y + th + CV_LAYOUT_GAP;
        for (int j = i + 1; j < n; j++) {
            const cv_rect_t *b = &out[j];
            bad += overlap_1d(a->x, a->w, b->x, b->w, CV_LAYOUT_GAP) &&
                   overlap_1d(a->y, a->h, b->y, b->h, CV_LAYOUT_GAP);
        }
    }
    CHECK_EQ(bad, 0);
    /* each row, the partial last one too, is centred: margins differ by <= 2 */
    for (int r = 0; r < rows; r++) {
        int first = r * cols, last = (r == rows - 1) ? n - 1 : first + cols - 1;
        int left = out[first].x, right = W - (out[last].x + out[last].w);
        CHECK(abs(left - right) <= 2);
    }
    int top = out[0].y, bottom = H - (out[n - 1].y + th);
    CHECK(abs(top - bottom) <= 2);
    /* tiles are as large as fit: 2 px more would not */
    CHECK(cols * (tw + 2) + (cols - 1) * CV_LAYOUT_GAP > W);
    CHECK(rows * (th + 2) + (rows - 1) * CV_LAYOUT_GAP > H);
}

static void check_rects(const cv_rect_t *got, const int (*want)[4], int n)
{
    for (int i = 0; i < n; i++) {
        CHECK_EQ(got[i].x, want[i][0]);
        CHECK_EQ(got[i].y, want[i][1]);
        CHECK_EQ(got[i].w, want[i][2]);
        CHECK_EQ(got[i].h, want[i][3]);
    }
}

static void check_known(void)
{
    cv_rect_t out[CV_LAYOUT_MAX];
    /* one tile: the whole canvas */
    static const int one[][4] = {{0, 0, 1280, 720}};
    CHECK_EQ(cv_layout_grid(1, 1280, 720, out), 1);
    check_rects(out, one, 1);
    /* two side by side: (1280 - 2) / 2 = 639 -> 638 wide, full height */
    static const int two[][4] = {{0, 0, 638, 720}, {640, 0, 638, 720}};
    CHECK_EQ(cv_layout_grid(2, 1280, 720, out), 2);
    check_rects(out, two, 2);
    /* three: 2x2, the lone last tile centred: (1280 - 638) / 2 = 321 -> 320 */
    static const int three[][4] = {{0, 0, 638, 358}, {640, 0, 638, 358}, {320, 360, 638, 358}};
    CHECK_EQ(cv_layout_grid(3, 1280, 720, out), 3);
    check_rects(out, three, 3);
    /* five: 3x2, (1280 - 4) / 3 = 425 -> 424 wide, grid 1276 wide from x = 2;
     * last row of two is 850 wide: (1280 - 850) / 2 = 215 -> 214 */
    static const int five[][4] = {
        {2, 0, 424, 358},     {428, 0, 424, 358},   {854, 0, 424, 358},
        {214, 360, 424, 358}, {640, 360, 424, 358},
    };
    CHECK_EQ(cv_layout_grid(5, 1280, 720, out), 5);
    check_rects(out, five, 5);
    /* 100 on 640x360: 10x10 of (640 - 18) / 10 = 62 by (360 - 18) / 10 = 34;
     * grid 638 x 358, offsets (2 / 2) & ~1 = 0 */
    CHECK_EQ(cv_layout_grid(100, 640, 360, out), 100);
    CHECK(out[0].w == 62 && out[0].h == 34 && out[0].x == 0 && out[0].y == 0);
    CHECK(out[99].x == 9 * 64 && out[99].y == 9 * 36);
    /* 17 on 640x360: 5x4 of 126 x 88 (grid 638 x 358 from 0, 0); the last row,
     * tiles 15 and 16, is 254 wide from (640 - 254) / 2 = 193 -> 192 */
    CHECK_EQ(cv_layout_grid(17, 640, 360, out), 17);
    CHECK(out[0].w == 126 && out[0].h == 88 && out[0].x == 0 && out[0].y == 0);
    CHECK(out[14].x == 4 * 128 && out[14].y == 180);
    CHECK(out[15].x == 192 && out[15].y == 270 && out[16].x == 320 && out[16].y == 270);
}

static void check_bad(void)
{
    cv_rect_t out[CV_LAYOUT_MAX];
    CHECK_EQ(cv_layout_grid(0, 1280, 720, out), 0);
    CHECK_EQ(cv_layout_grid(0, 1280, 720, NULL), 0);
    CHECK_EQ(cv_layout_grid(-1, 1280, 720, out), CV_E_INVAL);
    CHECK_EQ(cv_layout_grid(101, 1280, 720, out), CV_E_INVAL);
    CHECK_EQ(cv_layout_grid(1, 1280, 720, NULL), CV_E_INVAL);
    CHECK_EQ(cv_layout_grid(1, 1281, 720, out), CV_E_INVAL);
    CHECK_EQ(cv_layout_grid(1, 1280, 721, out), CV_E_INVAL);
    CHECK_EQ(cv_layout_grid(1, 0, 720, out), CV_E_INVAL);
    CHECK_EQ(cv_layout_grid(1, 1280, -2, out), CV_E_INVAL);
    CHECK_EQ(cv_layout_grid(1, 4098, 720, out), CV_E_INVAL);
    /* too small: 10 columns need 10 * 2 + 9 * 2 = 38 px */
    CHECK_EQ(cv_layout_grid(100, 36, 360, out), CV_E_INVAL);
    CHECK_EQ(cv_layout_grid(100, 38, 38, out), 100);
    CHECK(out[0].w == 2 && out[0].h == 2);
    CHECK_EQ(cv_layout_grid(1, 2, 2, out), 1);
    CHECK(out[0].x == 0 && out[0].y == 0 && out[0].w == 2 && out[0].h == 2);
}

/* The presenter layout: the screen large on the left, the others in a strip. */
static void test_presenter(int n_small, int W, int H)
{
    cv_rect_t r[CV_LAYOUT_MAX];
    int n = cv_layout_presenter(n_small, W, H, r);
    CHECK_EQ(n, n_small + 1);
    if (n != n_small + 1)
        return;
    CHECK_EQ(r[0].x, 0);
    CHECK_EQ(r[0].y, 0);
    CHECK_EQ(r[0].h, H);
    CHECK_EQ(r[0].w, n_small ? (W * 3 / 4) & ~1 : W);
    for (int i = 0; i < n; i++) {
        CHECK(((r[i].x | r[i].y | r[i].w | r[i].h) & 1) == 0);
        CHECK(r[i].x >= 0 && r[i].y >= 0 && r[i].w >= 2 && r[i].h >= 2);
        CHECK(r[i].x + r[i].w <= W && r[i].y + r[i].h <= H);
        if (i > 0) /* small tiles right of the big one, with a gap */
            CHECK(r[i].x >= r[0].w + CV_LAYOUT_GAP);
        for (int j = 0; j < i; j++) {
            int apart = r[i].x >= r[j].x + r[j].w || r[j].x >= r[i].x + r[i].w ||
                        r[i].y >= r[j].y + r[j].h || r[j].y >= r[i].y + r[i].h;
            CHECK(apart);
        }
    }
}

/* Two cameras beside a screen share stack in the strip, each as wide as the strip. */
static void test_presenter_stacks(void)
{
    cv_rect_t r[3];
    CHECK_EQ(cv_layout_presenter(2, 1280, 720, r), 3);
    CHECK_EQ(r[1].x, r[2].x);
    CHECK(r[2].y > r[1].y);
    CHECK(r[1].w >= 300);    /* the strip is 318 wide */
    CHECK(r[1].h <= r[1].w); /* not a tall sliver */
}

/* Invariants of any arrangement: even, inside, at least 2 x 2, apart. */
static void check_apart(const cv_rect_t *r, int n, int W, int H)
{
    for (int i = 0; i < n; i++) {
        CHECK(((r[i].x | r[i].y | r[i].w | r[i].h) & 1) == 0);
        CHECK(r[i].x >= 0 && r[i].y >= 0 && r[i].w >= 2 && r[i].h >= 2);
        CHECK(r[i].x + r[i].w <= W && r[i].y + r[i].h <= H);
        for (int j = 0; j < i; j++)
            CHECK(!(overlap_1d(r[i].x, r[i].w, r[j].x, r[j].w, 0) &&
                    overlap_1d(r[i].y, r[i].h, r[j].y, r[j].h, 0)));
    }
}

/* Speaker layout: the large tile across the top, the strip in one row below. */
static void test_speaker_geometry(void)
{
    cv_rect_t r[CV_LAYOUT_STRIP_MAX + 2];
    for (int c = 0; c < 2; c++) {
        int W = canvases[c][0], H = canvases[c][1];
        for (int n = 0; n <= CV_LAYOUT_STRIP_MAX; n++) {
            r[n + 1].x = 777; /* sentinel */
            CHECK_EQ(cv_layout_speaker(n, W, H, r), n + 1);
            CHECK_EQ(r[n + 1].x, 777);
            check_apart(r, n + 1, W, H);
            CHECK(r[0].x == 0 && r[0].y == 0 && r[0].w == W);
            CHECK(r[0].h >= (n ? H * 2 / 3 : H));
            for (int i = 1; i <= n; i++) {
                CHECK(r[i].y >= r[0].h + CV_LAYOUT_GAP);
                CHECK(r[i].w == r[1].w && r[i].h == r[1].h && r[i].y == r[1].y);
                CHECK(r[i].h * 16 <= r[i].w * 9 + 32); /* no taller than 16:9 */
                if (i > 1)
                    CHECK_EQ(r[i].x, r[i - 1].x + r[i - 1].w + CV_LAYOUT_GAP);
            }
            if (n) /* the strip centred */
                CHECK(abs(r[1].x - (W - r[n].x - r[n].w)) <= 2);
        }
    }
    /* 4 on 1280x720: strip 180 high, tiles (1280 - 6) / 4 = 318 -> 318 x 178 */
    CHECK_EQ(cv_layout_speaker(4, 1280, 720, r), 5);
    CHECK(r[0].h == 538 && r[1].x == 0 && r[1].y == 540 && r[1].w == 318 && r[1].h == 178);
    CHECK(r[4].x == 3 * 320);
    /* 1 on 1280x720: a 320 x 180 tile centred under the speaker */
    CHECK_EQ(cv_layout_speaker(1, 1280, 720, r), 2);
    CHECK(r[1].w == 320 && r[1].h == 180 && r[1].x == 480 && r[1].y == 540);
    CHECK_EQ(cv_layout_speaker(CV_LAYOUT_STRIP_MAX + 1, 1280, 720, r), CV_E_INVAL);
    CHECK_EQ(cv_layout_speaker(-1, 1280, 720, r), CV_E_INVAL);
    CHECK_EQ(cv_layout_speaker(1, 1280, 721, r), CV_E_INVAL);
    CHECK_EQ(cv_layout_speaker(1, 1280, 720, NULL), CV_E_INVAL);
}

/* Lecture layout: the large tiles on the left, the student small on the right. */
static void test_lecture_geometry(void)
{
    cv_rect_t r[CV_LAYOUT_BIG_MAX + 2];
    for (int c = 0; c < 2; c++) {
        int W = canvases[c][0], H = canvases[c][1];
        for (int big = 1; big <= CV_LAYOUT_BIG_MAX; big++) {
            for (int small = 0; small <= 1; small++) {
                CHECK_EQ(cv_layout_lecture(big, small, W, H, r), big + small);
                check_apart(r, big + small, W, H);
                int big_w = small ? (W * 3 / 4) & ~1 : W;
                for (int i = 0; i < big; i++) {
                    CHECK(r[i].x + r[i].w <= big_w);
                    if (small) /* a large tile is larger than the small one */
                        CHECK(r[i].w > r[big].w);
                }
                if (small)
                    CHECK(r[big].x >= big_w + CV_LAYOUT_GAP);
            }
        }
    }
    /* lecturer alone: the whole canvas; with a student: 960 wide, the student
     * 318 x 178 centred at the right: (720 - 178) / 2 = 271 -> 270 */
    CHECK_EQ(cv_layout_lecture(1, 0, 1280, 720, r), 1);
    CHECK(r[0].x == 0 && r[0].y == 0 && r[0].w == 1280 && r[0].h == 720);
    CHECK_EQ(cv_layout_lecture(1, 1, 1280, 720, r), 2);
    CHECK(r[0].w == 960 && r[0].h == 720);
    CHECK(r[1].x == 962 && r[1].y == 270 && r[1].w == 318 && r[1].h == 178);
    CHECK_EQ(cv_layout_lecture(0, 1, 1280, 720, r), CV_E_INVAL);
    CHECK_EQ(cv_layout_lecture(1, 2, 1280, 720, r), CV_E_INVAL);
    CHECK_EQ(cv_layout_lecture(CV_LAYOUT_BIG_MAX + 1, 0, 1280, 720, r), CV_E_INVAL);
}

/* Whether position `pos` is among the k shown ones. */
static int shown_has(const int *shown, int k, int pos)
{
    for (int i = 0; i < k; i++)
        if (shown[i] == pos)
            return 1;
    return 0;
}

static void test_plan_grid(void)
{
    cv_layout_member_t m[6] = {{.id = 10}, {.id = 11}, {.id = 12}, {.id = 13}, {.id = 14}};
    int shown[CV_LAYOUT_MAX];
    cv_rect_t r[CV_LAYOUT_MAX], g[CV_LAYOUT_MAX];
    CHECK_EQ(cv_layout_plan(CV_LAYOUT_GRID, m, 5, 12, NULL, 0, 1280, 720, shown, r), 5);
    cv_layout_grid(5, 1280, 720, g);
    for (int i = 0; i < 5; i++) {
        CHECK_EQ(shown[i], i);
        CHECK(r[i].x == g[i].x && r[i].y == g[i].y && r[i].w == g[i].w);
    }
    /* a screen share (position 3): large, the others in the strip, in order */
    m[3].screen = 1;
    CHECK_EQ(cv_layout_plan(CV_LAYOUT_GRID, m, 5, -1, NULL, 0, 1280, 720, shown, r), 5);
    CHECK_EQ(shown[0], 3);
    CHECK(shown[1] == 0 && shown[2] == 1 && shown[3] == 2 && shown[4] == 4);
    CHECK_EQ(r[0].w, 960);
    CHECK_EQ(cv_layout_plan(CV_LAYOUT_GRID, m, 0, -1, NULL, 0, 1280, 720, shown, r), 0);
    CHECK_EQ(cv_layout_plan(7, m, 5, -1, NULL, 0, 1280, 720, shown, r), CV_E_INVAL);
    CHECK_EQ(cv_layout_plan(CV_LAYOUT_GRID, m, CV_LAYOUT_MEMBERS_MAX + 1, -1, NULL, 0, 1280, 720,
                            shown, r),
             CV_E_INVAL);
    CHECK_EQ(cv_layout_plan(CV_LAYOUT_GRID, m, 5, -1, NULL, 2, 1280, 720, shown, r), CV_E_INVAL);
}

/* A grid of 500: CV_LAYOUT_MAX shown, in join order: the screen share, the
 * active speaker, those speaking and the recent speakers first, then the
 * first to join. */
static void test_plan_grid_big(void)
{
    static cv_layout_member_t m[CV_LAYOUT_MEMBERS_MAX];
    int shown[CV_LAYOUT_MAX], recent[3] = {1200, 1450, 1010};
    cv_rect_t r[CV_LAYOUT_MAX], g[CV_LAYOUT_MAX];
    for (int i = 0; i < CV_LAYOUT_MEMBERS_MAX; i++)
        m[i] = (cv_layout_member_t){.id = 1000 + i};
    /* nobody speaking: the first CV_LAYOUT_MAX, as a plain grid */
    CHECK_EQ(cv_layout_plan(CV_LAYOUT_GRID, m, 500, -1, NULL, 0, 1280, 720, shown, r),
             CV_LAYOUT_MAX);
    cv_layout_grid(CV_LAYOUT_MAX, 1280, 720, g);
    int order = 1;
    for (int i = 0; i < CV_LAYOUT_MAX; i++)
        order &= shown[i] == i && r[i].x == g[i].x && r[i].y == g[i].y && r[i].w == g[i].w;
    CHECK(order);
    /* active 1450 (position 450), 300 speaking, recent speakers 200, 450, 10 (ids 1000 + i) */
    m[300].speaking = 1;
    CHECK_EQ(cv_layout_plan(CV_LAYOUT_GRID, m, 500, 1450, recent, 3, 1280, 720, shown, r),
             CV_LAYOUT_MAX);
    int want[CV_LAYOUT_MAX], k = 0;
    for (int i = 0; i < 97; i++)
        want[k++] = i; /* 10 among them: 97 of the first, then 200, 300, 450 */
    want[k++] = 200;
    want[k++] = 300;
    want[k++] = 450;
    order = 1;
    for (int i = 0; i < CV_LAYOUT_MAX; i++)
        order &= shown[i] == want[i];
    CHECK(order);
    /* a screen share at 480: large, and 99 of the others in the strip or a grid */
    m[480].screen = 1;
    int c = cv_layout_plan(CV_LAYOUT_GRID, m, 500, 1450, recent, 3, 1280, 720, shown, r);
    CHECK_EQ(c, CV_LAYOUT_MAX);
    int has_screen = 0, has_active = 0, has_speaking = 0, sorted = 1;
    for (int i = 0; i < c; i++) {
        has_screen |= shown[i] == 480;
        has_active |= shown[i] == 450;
        has_speaking |= shown[i] == 300;
        if (i > 0 && shown[i] != 480 && shown[i - 1] != 480)
            sorted &= shown[i] > shown[i - 1];
    }
    CHECK(has_screen && has_active && has_speaking && sorted);
    /* the speaker and lecture layouts choose among all of them as before */
    m[480].screen = 0;
    m[499].lecturer = 1;
    CHECK_EQ(cv_layout_plan(CV_LAYOUT_LECTURE, m, 500, 1450, recent, 3, 1280, 720, shown, r), 2);
    CHECK(shown[0] == 499 && shown[1] == 300);
    m[450].speaking = 1;
    CHECK_EQ(cv_layout_plan(CV_LAYOUT_LECTURE, m, 500, 1450, recent, 3, 1280, 720, shown, r), 2);
    CHECK(shown[0] == 499 && shown[1] == 450);
    CHECK_EQ(cv_layout_plan(CV_LAYOUT_SPEAKER, m, 500, 1450, recent, 3, 1280, 720, shown, r), 3);
    CHECK(shown[0] == 450 && shown[1] == 200 && shown[2] == 10);
}

static void test_plan_speaker(void)
{
    cv_layout_member_t m[8];
    for (int i = 0; i < 8; i++)
        m[i] = (cv_layout_member_t){.id = 20 + i};
    int shown[CV_LAYOUT_MAX];
    cv_rect_t r[CV_LAYOUT_MAX], s[CV_LAYOUT_MAX];
    /* nobody has spoken: the first member alone, the whole canvas */
    CHECK_EQ(cv_layout_plan(CV_LAYOUT_SPEAKER, m, 8, -1, NULL, 0, 1280, 720, shown, r), 1);
    CHECK_EQ(shown[0], 0);
    CHECK(r[0].w == 1280 && r[0].h == 720);
    /* 25 speaks large; recent 25 (large, skipped), 22, 99 (gone), 27, 21, 23, 24: the
     * strip holds 22 27 21 23 in that order, 24 does not fit */
    static const int recent[] = {25, 22, 99, 27, 21, 23, 24};
    int k = cv_layout_plan(CV_LAYOUT_SPEAKER, m, 8, 25, recent, 7, 1280, 720, shown, r);
    CHECK_EQ(k, 1 + CV_LAYOUT_STRIP_MAX);
    CHECK_EQ(shown[0], 5);
    CHECK(shown[1] == 2 && shown[2] == 7 && shown[3] == 1 && shown[4] == 3);
    CHECK(!shown_has(shown, k, 4) && !shown_has(shown, k, 0));
    cv_layout_speaker(4, 1280, 720, s);
    for (int i = 0; i < k; i++)
        CHECK(r[i].x == s[i].x && r[i].y == s[i].y && r[i].w == s[i].w && r[i].h == s[i].h);
    /* a screen share is large; the active speaker first in the strip */
    m[6].screen = 1;
    k = cv_layout_plan(CV_LAYOUT_SPEAKER, m, 8, 25, recent, 2, 1280, 720, shown, r);
    CHECK_EQ(k, 3);
    CHECK(shown[0] == 6 && shown[1] == 5 && shown[2] == 2);
}

static void test_plan_lecture(void)
{
    cv_layout_member_t m[51];
    for (int i = 0; i < 51; i++)
        m[i] = (cv_layout_member_t){.id = i};
    int shown[CV_LAYOUT_MAX];
    cv_rect_t r[CV_LAYOUT_MAX], l[CV_LAYOUT_MAX];
    m[3].lecturer = 1;
    /* the lecturer alone while no student speaks */
    CHECK_EQ(cv_layout_plan(CV_LAYOUT_LECTURE, m, 51, 3, NULL, 0, 1280, 720, shown, r), 1);
    CHECK_EQ(shown[0], 3);
    CHECK(r[0].w == 1280 && r[0].h == 720);
    /* student 40 speaks (and is the active speaker): small; nobody else */
    m[40].speaking = 1;
    CHECK_EQ(cv_layout_plan(CV_LAYOUT_LECTURE, m, 51, 40, NULL, 0, 1280, 720, shown, r), 2);
    CHECK(shown[0] == 3 && shown[1] == 40);
    cv_layout_lecture(1, 1, 1280, 720, l);
    CHECK(r[1].x == l[1].x && r[1].y == l[1].y && r[1].w == l[1].w);
    /* the lecturer speaking and active: the speaking student is still shown */
    m[3].speaking = 1;
    CHECK_EQ(cv_layout_plan(CV_LAYOUT_LECTURE, m, 51, 3, NULL, 0, 1280, 720, shown, r), 2);
    CHECK(shown[0] == 3 && shown[1] == 40);
    /* two students speak: the active one is shown */
    m[12].speaking = 1;
    CHECK_EQ(cv_layout_plan(CV_LAYOUT_LECTURE, m, 51, 40, NULL, 0, 1280, 720, shown, r), 2);
    CHECK_EQ(shown[1], 40);
    /* a screen share joins the lecturer large, in join order */
    m[50].screen = 1;
    CHECK_EQ(cv_layout_plan(CV_LAYOUT_LECTURE, m, 51, 12, NULL, 0, 1280, 720, shown, r), 3);
    CHECK(shown[0] == 3 && shown[1] == 50 && shown[2] == 12);
    cv_layout_lecture(2, 1, 1280, 720, l);
    for (int i = 0; i < 3; i++)
        CHECK(r[i].x == l[i].x && r[i].y == l[i].y && r[i].w == l[i].w && r[i].h == l[i].h);
    /* no lecturer, no screen: the active speaker large */
    m[3].lecturer = 0;
    m[50].screen = 0;
    CHECK_EQ(cv_layout_plan(CV_LAYOUT_LECTURE, m, 51, 12, NULL, 0, 1280, 720, shown, r), 2);
    CHECK(shown[0] == 12 && (shown[1] == 3 || shown[1] == 40));
}

/* Portrait canvases (taller than wide): in every mode and for 1..20
 * members (with and without a screen share and a lecturer), every tile is
 * even, inside the frame, and no two come closer than the gap; two in the
 * grid stack; the speaker's large tile is on top with the strip below it;
 * the presenter's and lecture's small tiles are below the large ones. */
static void test_portrait(void)
{
    static const int frames[][2] = {{360, 640}, {180, 320}, {608, 1080}};
    for (size_t f = 0; f < sizeof(frames) / sizeof(frames[0]); f++) {
        int W = frames[f][0], H = frames[f][1];
        CHECK(H > W);
        for (int mode = CV_LAYOUT_GRID; mode <= CV_LAYOUT_LECTURE; mode++)
            for (int n = 1; n <= 20; n++)
                for (int extra = 0; extra < 3; extra++) {
                    cv_layout_member_t m[20] = {{0}};
                    int recent[4] = {2, 1, 3, 0}, shown[20];
                    cv_rect_t r[20];
                    for (int i = 0; i < n; i++)
                        m[i] = (cv_layout_member_t){.id = i, .speaking = i == 1};
                    if (extra == 1)
                        m[n - 1].screen = 1;
                    if (extra == 2)
                        m[0].lecturer = 1;
                    int k = cv_layout_plan(mode, m, n, 1 % n, recent, 4, W, H, shown, r);
                    CHECK(k >= 1 && k <= n);
                    int bad = 0;
                    for (int i = 0; i < k; i++) {
                        bad |= r[i].x < 0 || r[i].y < 0 || r[i].w < 2 || r[i].h < 2 ||
                               r[i].x + r[i].w > W || r[i].y + r[i].h > H ||
                               ((r[i].x | r[i].y | r[i].w | r[i].h) & 1);
                        for (int j = 0; j < i; j++)
                            bad |= overlap_1d(r[i].x, r[i].w, r[j].x, r[j].w, CV_LAYOUT_GAP) &&
                                   overlap_1d(r[i].y, r[i].h, r[j].y, r[j].h, CV_LAYOUT_GAP);
                    }
                    CHECK(!bad);
                    if (bad)
                        fprintf(stderr, "  portrait %dx%d mode %d n %d extra %d\n", W, H, mode, n,
                                extra);
                    /* speaker, presenter: the large tile first, the others below it */
                    if (mode == CV_LAYOUT_SPEAKER || (mode == CV_LAYOUT_GRID && extra == 1))
                        for (int i = 1; i < k; i++)
                            CHECK(r[i].y >= r[0].y + r[0].h);
                }
        cv_rect_t g[2];
        CHECK_EQ(cv_layout_grid(2, W, H, g), 2);
        CHECK(g[0].x == g[1].x && g[1].y >= g[0].y + g[0].h && g[0].w > g[0].h / 2);
        cv_rect_t s[3];
        CHECK_EQ(cv_layout_speaker(2, W, H, s), 3);
        CHECK(s[0].y == 0 && s[0].w == W && s[1].y > s[0].h && s[2].y > s[0].h);
        CHECK(s[0].h > H / 2);
        cv_rect_t p[4];
        CHECK_EQ(cv_layout_presenter(3, W, H, p), 4);
        CHECK(p[0].w == W && p[0].h > H / 2);
        for (int i = 1; i < 4; i++)
            CHECK(p[i].y >= p[0].h + CV_LAYOUT_GAP && p[i].y + p[i].h <= H);
        cv_rect_t l[3];
        CHECK_EQ(cv_layout_lecture(2, 1, W, H, l), 3);
        CHECK(l[2].y >= l[0].y + l[0].h && l[2].y >= l[1].y + l[1].h);
    }
}

int main(void)
{
    test_portrait();
    test_speaker_geometry();
    test_lecture_geometry();
    test_plan_grid();
    test_plan_grid_big();
    test_plan_speaker();
    test_plan_lecture();
    test_presenter_stacks();
    test_presenter(0, 1280, 720);
    test_presenter(1, 1280, 720);
    test_presenter(3, 1280, 720);
    test_presenter(8, 640, 360);
    test_presenter(50, 1280, 720);
    CHECK_EQ(cv_layout_presenter(-1, 1280, 720, NULL), CV_E_INVAL);
    CHECK_EQ(cv_layout_presenter(CV_LAYOUT_MAX, 1280, 720, (cv_rect_t[CV_LAYOUT_MAX + 1]){{0}}),
             CV_E_INVAL);
    CHECK_EQ(cv_layout_presenter(2, 1279, 720, (cv_rect_t[4]){{0}}), CV_E_INVAL);
    check_shapes();
    check_known();
    for (size_t c = 0; c < sizeof(canvases) / sizeof(canvases[0]); c++)
        for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++)
            check_grid(counts[k], canvases[c][0], canvases[c][1]);
    for (int n = 1; n <= CV_LAYOUT_MAX; n++)
        check_grid(n, 1920, 1080);
    check_bad();
    return CHECK_DONE("test_layout");
}
