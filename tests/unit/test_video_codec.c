/*
 * test_video_codec.c - VP8 encode/decode round trips through libvpx, the
 * decoder's handling of corrupt input, and the I420 picture helpers
 * (alloc limits, fill, letterboxed blit_fit, PSNR, means).
 */
#include "check.h"

#include "err.h"
#include "image.h"
#include "video_codec.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define W 320
#define H 240
#define NFRAMES 30
#define FRAME_CAP 65536

/* Quadrant colours (Y, U, V), BT.601 limited range, and the moving square. */
static const uint8_t quad[4][3] = {
    {81, 90, 240},   /* top left: red */
    {145, 54, 34},   /* top right: green */
    {41, 240, 110},  /* bottom left: blue */
    {180, 128, 128}, /* bottom right: light grey */
};
static const uint8_t square[3] = {235, 128, 128}; /* white */

/* Frame i: four quadrants with a fine diagonal luma texture (-8..+8, mean 0
 * over its 17-sample period, so the codec has detail to spend bits on) and a
 * 16x16 white square moving right along y=112. */
static void draw_frame(cv_image_t *im, int i)
{
    cv_image_fill_rect(im, 0, 0, W / 2, H / 2, quad[0][0], quad[0][1], quad[0][2]);
    cv_image_fill_rect(im, W / 2, 0, W / 2, H / 2, quad[1][0], quad[1][1], quad[1][2]);
    cv_image_fill_rect(im, 0, H / 2, W / 2, H / 2, quad[2][0], quad[2][1], quad[2][2]);
    cv_image_fill_rect(im, W / 2, H / 2, W / 2, H / 2, quad[3][0], quad[3][1], quad[3][2]);
    for (int r = 0; r < H; r++)
        for (int c = 0; c < W; c++)
            im->y[r * im->stride_y + c] += (uint8_t)((c * 3 + r * 5) % 17 - 8);
    cv_image_fill_rect(im, 16 + 8 * i, 112, 16, 16, square[0], square[1], square[2]);
}

/* Inner part of quadrant q, away from the edges and from the square's path
 * (rows 112..127): rows 8..99 on top, 140..231 at the bottom. */
static void quad_rect(int q, int *x, int *y, int *w, int *h)
{
    *x = (q & 1) ? W / 2 + 8 : 8;
    *y = (q & 2) ? H / 2 + 20 : 8;
    *w = W / 2 - 16;
    *h = H / 2 - 28;
}

static int near(double got, double want, double tol)
{
    return fabs(got - want) <= tol;
}

static void check_quadrants(const cv_image_t *im)
{
    for (int q = 0; q < 4; q++) {
        int x, y, w, h;
        double my, mu, mv;
        quad_rect(q, &x, &y, &w, &h);
        cv_image_mean(im, x, y, w, h, &my, &mu, &mv);
        CHECK(near(my, quad[q][0], 3.0));
        CHECK(near(mu, quad[q][1], 4.0));
        CHECK(near(mv, quad[q][2], 4.0));
        if (!near(my, quad[q][0], 3.0) || !near(mu, quad[q][1], 4.0) || !near(mv, quad[q][2], 4.0))
            fprintf(stderr, "quadrant %d: %.1f %.1f %.1f\n", q, my, mu, mv);
    }
}

static cv_vp8_enc_cfg_t test_cfg(void)
{
    cv_vp8_enc_cfg_t c = {.width = W,
                          .height = H,
                          .fps = 30,
                          .bitrate_kbps = 500,
                          .threads = 1,
                          .cpu_used = -8,
                          .keyframe_max_dist = 3000};
    return c;
}

/* Tiny deterministic generator for the "random" bytes. */
static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

static void test_image_alloc(void)
{
    cv_image_t im;
    CHECK_EQ(cv_image_alloc(&im, 0, 0), CV_E_INVAL);
    CHECK(im.mem == NULL && im.y == NULL);
    CHECK_EQ(cv_image_alloc(&im, 0, 2), CV_E_INVAL);
    CHECK_EQ(cv_image_alloc(&im, 1, 2), CV_E_INVAL);
    CHECK_EQ(cv_image_alloc(&im, 3, 4), CV_E_INVAL);
    CHECK_EQ(cv_image_alloc(&im, 4, 3), CV_E_INVAL);
    CHECK_EQ(cv_image_alloc(&im, -2, 2), CV_E_INVAL);
    CHECK_EQ(cv_image_alloc(&im, 2, -2), CV_E_INVAL);
    CHECK_EQ(cv_image_alloc(&im, 4098, 2), CV_E_INVAL);
    CHECK_EQ(cv_image_alloc(&im, 2, 4098), CV_E_INVAL);
    CHECK_EQ(cv_image_alloc(&im, 1 << 30, 1 << 30), CV_E_INVAL);

    CHECK_EQ(cv_image_alloc(&im, 2, 2), 0);
    CHECK(im.w == 2 && im.h == 2 && im.mem != NULL);
    CHECK(im.y[0] == 16 && im.y[1] == 16 && im.u[0] == 128 && im.v[0] == 128); /* black */
    cv_image_free(&im);
    CHECK(im.mem == NULL && im.y == NULL && im.w == 0);
    cv_image_free(&im); /* free of a zeroed picture */
    cv_image_free(NULL);

    CHECK_EQ(cv_image_alloc(&im, 4096, 2), 0);
    CHECK(im.stride_y >= 4096 && im.stride_u >= 2048 && im.stride_v >= 2048);
    cv_image_free(&im);
}

static void test_image_psnr_mean(void)
{
    cv_image_t a, b, c;
    CHECK_EQ(cv_image_alloc(&a, 2, 2), 0);
    CHECK_EQ(cv_image_alloc(&b, 2, 2), 0);
    CHECK_EQ(cv_image_alloc(&c, 4, 2), 0);
    CHECK(cv_image_psnr_y(&a, &b) == 99.0);
    b.y[0] = 16 + 200; /* one of 4 samples off by 200: MSE 10000 -> 6.02 dB */
    CHECK(near(cv_image_psnr_y(&a, &b), 10.0 * log10(255.0 * 255.0 / 10000.0), 1e-9));
    CHECK(cv_image_psnr_y(&a, &c) == -1.0);

    cv_image_fill(&c, 10, 20, 30);
    CHECK_EQ(cv_image_fill_rect(&c, 2, 0, 2, 2, 50, 60, 70), 0);
    CHECK_EQ(cv_image_fill_rect(&c, 2, 0, 4, 2, 0, 0, 0), CV_E_INVAL); /* past the edge */
    CHECK_EQ(cv_image_fill_rect(&c, 1, 0, 2, 2, 0, 0, 0), CV_E_INVAL); /* odd x */
    double my, mu, mv;
    cv_image_mean(&c, 0, 0, 4, 2, &my, &mu, &mv);
    CHECK(my == 30.0 && mu == 40.0 && mv == 50.0);
    cv_image_mean(&c, 2, 0, 100, 100, &my, &mu, &mv); /* clipped to 2x2 */
    CHECK(my == 50.0 && mu == 60.0 && mv == 70.0);
    cv_image_mean(&c, 8, 0, 2, 2, &my, &mu, &mv); /* outside: empty */
    CHECK(my == 0.0 && mu == 0.0 && mv == 0.0);
    cv_image_free(&a);
    cv_image_free(&b);
    cv_image_free(&c);
}

static void check_black(const cv_image_t *im, int x, int y, int w, int h)
{
    double my, mu, mv;
    cv_image_mean(im, x, y, w, h, &my, &mu, &mv);
    CHECK(my == 16.0 && mu == 128.0 && mv == 128.0);
}

static void test_blit_fit(void)
{
    cv_image_t src, dst;
    double my, mu, mv;
    int fx, fy, fw, fh;
    CHECK_EQ(cv_image_alloc(&src, 640, 360), 0);
    CHECK_EQ(cv_image_alloc(&dst, 320, 320), 0);
    cv_image_fill(&src, 145, 54, 34);
    cv_image_fill(&dst, 200, 100, 100); /* not black: the bars must be drawn */

    /* 16:9 into a square: full width 320, height 180, bars of 70 rows */
    CHECK_EQ(cv_image_fit_rect(0, 0, 320, 320, 640, 360, &fx, &fy, &fw, &fh), 0);
    CHECK(fx == 0 && fy == 70 && fw == 320 && fh == 180);
    CHECK_EQ(cv_image_blit_fit(&dst, 0, 0, 320, 320, src.y, src.stride_y, src.u, src.stride_u,
                               src.v, src.stride_v, 640, 360),
             0);
    check_black(&dst, 0, 0, 320, 70);
    check_black(&dst, 0, 250, 320, 70);
    cv_image_mean(&dst, 0, 70, 320, 180, &my, &mu, &mv);
    CHECK(my == 145.0 && mu == 54.0 && mv == 34.0);

    /* 3:4 into a square: pillarbox, 240 wide centred at x = 40 */
    CHECK_EQ(cv_image_fit_rect(0, 0, 320, 320, 240, 320, &fx, &fy, &fw, &fh), 0);
    CHECK(fx == 40 && fy == 0 && fw == 240 && fh == 320);

    /* into a 120x60 sub-rectangle at (100, 50): 106x60 at (106, 50); the
     * rest of dst is untouched */
    cv_image_fill(&dst, 200, 100, 100);
    CHECK_EQ(cv_image_fit_rect(100, 50, 120, 60, 640, 360, &fx, &fy, &fw, &fh), 0);
    CHECK(fx == 106 && fy == 50 && fw == 106 && fh == 60);
    CHECK_EQ(cv_image_blit_fit(&dst, 100, 50, 120, 60, src.y, src.stride_y, src.u, src.stride_u,
                               src.v, src.stride_v, 640, 360),
             0);
    check_black(&dst, 100, 50, 6, 60);
    check_black(&dst, 212, 50, 8, 60);
    cv_image_mean(&dst, 106, 50, 106, 60, &my, &mu, &mv);
    CHECK(my == 145.0 && mu == 54.0 && mv == 34.0);
    cv_image_mean(&dst, 0, 0, 320, 50, &my, &mu, &mv);
    CHECK(my == 200.0 && mu == 100.0 && mv == 100.0);
    cv_image_mean(&dst, 0, 110, 320, 210, &my, &mu, &mv);
    CHECK(my == 200.0 && mu == 100.0 && mv == 100.0);
    cv_image_mean(&dst, 98, 50, 2, 60, &my, &mu, &mv);
    CHECK(my == 200.0);
    cv_image_mean(&dst, 220, 50, 2, 60, &my, &mu, &mv);
    CHECK(my == 200.0);

    /* bad rectangles and sources */
    CHECK_EQ(cv_image_blit_fit(&dst, 1, 0, 100, 100, src.y, src.stride_y, src.u, src.stride_u,
                               src.v, src.stride_v, 640, 360),
             CV_E_INVAL);
    CHECK_EQ(cv_image_blit_fit(&dst, 0, 0, 322, 100, src.y, src.stride_y, src.u, src.stride_u,
                               src.v, src.stride_v, 640, 360),
             CV_E_INVAL);
    CHECK_EQ(cv_image_blit_fit(&dst, 0, 0, 0, 100, src.y, src.stride_y, src.u, src.stride_u, src.v,
                               src.stride_v, 640, 360),
             CV_E_INVAL);
    CHECK_EQ(cv_image_blit_fit(&dst, 0, 0, 100, 100, src.y, 10, src.u, src.stride_u, src.v,
                               src.stride_v, 640, 360),
             CV_E_INVAL);
    CHECK_EQ(cv_image_blit_fit(&dst, 0, 0, 100, 100, src.y, src.stride_y, src.u, src.stride_u,
                               src.v, src.stride_v, 0, 360),
             CV_E_INVAL);
    cv_image_free(&src);
    cv_image_free(&dst);
}

/* Encodes frames [first, first+n) of the test sequence; checks each decodes
 * to a close picture. Returns the number of key frames seen. */
static int round_trip(cv_vp8_enc_t *enc, cv_vp8_dec_t *dec, cv_image_t *src, int first, int n,
                      uint8_t *buf)
{
    int keys = 0;
    for (int i = first; i < first + n; i++) {
        int key = -1;
        draw_frame(src, i % NFRAMES);
        int len = cv_vp8_enc_encode(enc, src, (int64_t)i * 3000, buf, FRAME_CAP, &key);
        CHECK(len > 0);
        if (len <= 0)
            continue;
        if (i == 0)
            CHECK_EQ(key, 1);
        keys += key;
        cv_image_t out = {0};
        CHECK_EQ(cv_vp8_dec_decode(dec, buf, (size_t)len, &out), 1);
        CHECK(out.w == W && out.h == H && out.mem == NULL);
        double psnr = cv_image_psnr_y(&out, src);
        CHECK(psnr >= 30.0);
        if (psnr < 30.0)
            fprintf(stderr, "frame %d: PSNR %.2f dB\n", i, psnr);
        if (i == first + n - 1)
            check_quadrants(&out);
    }
    return keys;
}

/* RFC 6386 section 9.1 key frame header claiming 8000x8000 (over our limit). */
static const uint8_t huge_key[] = {
    0x50, 0x42, 0x00, /* frame tag: key frame (bit 0 = 0), version 0, shown */
    0x9d, 0x01, 0x2a, /* start code */
    0x40, 0x1f,       /* width 8000, scale 0 (little endian) */
    0x40, 0x1f,       /* height 8000, scale 0 */
    0x00, 0x00,       /* a little payload */
};

/* A key frame tag with a wrong start code. */
static const uint8_t bad_start[] = {
    0x50, 0x42, 0x00, /* frame tag: key frame */
    0x9d, 0x01, 0x2b, /* start code with its last byte wrong */
    0x40, 0x01,       /* width 320 */
    0xf0, 0x00,       /* height 240 */
};

static void test_corrupt(cv_vp8_enc_t *enc, cv_vp8_dec_t *dec, cv_image_t *src, uint8_t *buf)
{
    cv_image_t out = {0};
    uint8_t junk[200];
    uint32_t seed = 12345;
    int r;

    /* random bytes, as an inter frame and as a key frame */
    for (int k = 0; k < 4; k++) {
        for (size_t j = 0; j < sizeof(junk); j++)
            junk[j] = (uint8_t)lcg(&seed);
        junk[0] = (uint8_t)((junk[0] & ~1u) | (k & 1));
        r = cv_vp8_dec_decode(dec, junk, sizeof(junk), &out);
        CHECK(r == CV_E_CODEC || r == 0);
    }
    CHECK_EQ(cv_vp8_dec_decode(dec, huge_key, sizeof(huge_key), &out), CV_E_CODEC);
    CHECK_EQ(cv_vp8_dec_decode(dec, bad_start, sizeof(bad_start), &out), CV_E_CODEC);
    CHECK_EQ(cv_vp8_dec_decode(dec, huge_key, 0, &out), CV_E_INVAL);
    CHECK_EQ(cv_vp8_dec_decode(dec, NULL, 10, &out), CV_E_INVAL);

    /* a truncated key frame, then the whole one, then an inter frame */
    int key = 0;
    cv_vp8_enc_request_keyframe(enc);
    draw_frame(src, 5);
    int len = cv_vp8_enc_encode(enc, src, 100 * 3000, buf, FRAME_CAP, &key);
    CHECK(len > 100);
    CHECK_EQ(key, 1);
    if (len <= 100)
        return;
    r = cv_vp8_dec_decode(dec, buf, (size_t)len / 3, &out);
    CHECK(r == CV_E_CODEC || r == 0);
    r = cv_vp8_dec_decode(dec, buf, 12, &out);
    CHECK(r == CV_E_CODEC || r == 0);
    CHECK_EQ(cv_vp8_dec_decode(dec, buf, (size_t)len, &out), 1);
    CHECK(cv_image_psnr_y(&out, src) >= 30.0);
    draw_frame(src, 6);
    len = cv_vp8_enc_encode(enc, src, 101 * 3000, buf, FRAME_CAP, &key);
    CHECK(len > 0);
    CHECK_EQ(key, 0);
    CHECK_EQ(cv_vp8_dec_decode(dec, buf, (size_t)len, &out), 1);
    CHECK(cv_image_psnr_y(&out, src) >= 30.0);
    check_quadrants(&out);

    /* a fresh decoder refuses an inter frame: it needs a key frame first */
    cv_vp8_dec_t *fresh = cv_vp8_dec_create();
    CHECK(fresh != NULL);
    CHECK_EQ(cv_vp8_dec_decode(fresh, buf, (size_t)len, &out), CV_E_CODEC);
    cv_vp8_dec_destroy(fresh);
}

static void test_encoder_api(cv_vp8_enc_t *enc, cv_image_t *src, uint8_t *buf)
{
    int key = -1;
    cv_image_t small;
    CHECK_EQ(cv_image_alloc(&small, 160, 120), 0);
    CHECK_EQ(cv_vp8_enc_encode(enc, &small, 200 * 3000, buf, FRAME_CAP, &key), CV_E_INVAL);
    cv_image_free(&small);

    /* too small an output buffer: the frame is lost and the next is a key frame */
    draw_frame(src, 7);
    CHECK_EQ(cv_vp8_enc_encode(enc, src, 201 * 3000, buf, 4, &key), CV_E_NOSPACE);
    draw_frame(src, 8);
    CHECK(cv_vp8_enc_encode(enc, src, 202 * 3000, buf, FRAME_CAP, &key) > 0);
    CHECK_EQ(key, 1);

    /* bad configurations */
    cv_vp8_enc_cfg_t c = test_cfg();
    c.width = 321;
    CHECK(cv_vp8_enc_create(&c) == NULL);
    c = test_cfg();
    c.fps = 0;
    CHECK(cv_vp8_enc_create(&c) == NULL);
    c = test_cfg();
    c.bitrate_kbps = 0;
    CHECK(cv_vp8_enc_create(&c) == NULL);
    CHECK(cv_vp8_enc_create(NULL) == NULL);
    cv_vp8_enc_destroy(NULL);
    cv_vp8_dec_destroy(NULL);
}

static void test_codec(void)
{
    cv_vp8_enc_cfg_t cfg = test_cfg();
    cv_vp8_enc_t *enc = cv_vp8_enc_create(&cfg);
    cv_vp8_dec_t *dec = cv_vp8_dec_create();
    uint8_t *buf = malloc(FRAME_CAP);
    cv_image_t src;
    CHECK(enc != NULL && dec != NULL && buf != NULL);
    CHECK_EQ(cv_image_alloc(&src, W, H), 0);
    if (!enc || !dec || !buf)
        goto out;

    /* 30 frames: exactly one key frame, the first */
    CHECK_EQ(round_trip(enc, dec, &src, 0, NFRAMES, buf), 1);

    /* a requested key frame comes next, then inter frames again */
    cv_vp8_enc_request_keyframe(enc);
    CHECK_EQ(round_trip(enc, dec, &src, NFRAMES, 1, buf), 1);
    CHECK_EQ(round_trip(enc, dec, &src, NFRAMES + 1, 3, buf), 0);

    test_corrupt(enc, dec, &src, buf);
    test_encoder_api(enc, &src, buf);
out:
    cv_image_free(&src);
    free(buf);
    cv_vp8_dec_destroy(dec);
    cv_vp8_enc_destroy(enc);
}

int main(void)
{
    test_image_alloc();
    test_image_psnr_mean();
    test_blit_fit();
    test_codec();
    return CHECK_DONE("test_video_codec");
}
