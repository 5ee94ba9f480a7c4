/*
 * test_h264_codec.c - the H.264 decoder (mixer/h264_codec.c) on streams that
 * libavcodec's x264 encoder makes here: pictures checked by rectangle means,
 * a corrupt access unit refused, the decoder waiting for a key frame after it,
 * a stream without parameter sets and pictures too wide refused; and our
 * encoder's access units: constrained baseline, parameter sets before each
 * IDR, an IDR on request.
 */
#include "check.h"
#include "err.h"
#include "h264_codec.h"
#include "image.h"

#include <libavcodec/avcodec.h>
#include <libavutil/log.h>
#include <libavutil/opt.h>
#include <stdlib.h>
#include <string.h>

#define W 320
#define H 240
#define NFRAMES 12

/* Two halves: left (60, 100, 180), right (190, 160, 90) in Y, U, V. */
static const uint8_t left[3] = {60, 100, 180}, right[3] = {190, 160, 90};

typedef struct {
    uint8_t *data;
    int len, key;
} au_t;

static au_t aus[NFRAMES];

static void paint(AVFrame *f, int w, int h)
{
    for (int p = 0; p < 3; p++) {
        int pw = p ? w / 2 : w, ph = p ? h / 2 : h;
        for (int y = 0; y < ph; y++)
            for (int x = 0; x < pw; x++)
                f->data[p][y * f->linesize[p] + x] = x < pw / 2 ? left[p] : right[p];
    }
}

/* Encodes n pictures of w x h (high profile, no B frames, a key frame every
 * gop) into out; returns how many access units came out, -1 without x264. */
static int encode(int w, int h, int n, int gop, au_t *out)
{
    const AVCodec *c = avcodec_find_encoder_by_name("libx264");
    if (!c)
        return -1;
    AVCodecContext *e = avcodec_alloc_context3(c);
    e->width = w;
    e->height = h;
    e->pix_fmt = AV_PIX_FMT_YUV420P;
    e->time_base = (AVRational){1, 30};
    e->gop_size = gop;
    e->max_b_frames = 0;
    av_opt_set(e->priv_data, "preset", "veryfast", 0); /* CABAC, 8x8: high */
    av_opt_set(e->priv_data, "tune", "zerolatency", 0);
    av_opt_set(e->priv_data, "profile", "high", 0);
    if (avcodec_open2(e, c, NULL) < 0) {
        avcodec_free_context(&e);
        return -1;
    }
    AVFrame *f = av_frame_alloc();
    f->width = w;
    f->height = h;
    f->format = AV_PIX_FMT_YUV420P;
    av_frame_get_buffer(f, 0);
    AVPacket *pkt = av_packet_alloc();
    int got = 0;
    for (int i = 0; i <= n; i++) {
        if (i < n) {
            av_frame_make_writable(f);
            paint(f, w, h);
            f->pts = i;
            avcodec_send_frame(e, f);
        } else {
            avcodec_send_frame(e, NULL);
        }
        while (avcodec_receive_packet(e, pkt) == 0) {
            if (got < n) {
                out[got].data = malloc((size_t)pkt->size);
                memcpy(out[got].data, pkt->data, (size_t)pkt->size);
                out[got].len = pkt->size;
                out[got].key = !!(pkt->flags & AV_PKT_FLAG_KEY);
                got++;
            }
            av_packet_unref(pkt);
        }
    }
    av_packet_free(&pkt);
    av_frame_free(&f);
    avcodec_free_context(&e);
    return got;
}

static int near(double got, double want)
{
    return got > want - 6 && got < want + 6;
}

static void check_halves(const cv_image_t *im)
{
    double y, u, v;
    cv_image_mean(im, 16, 16, W / 2 - 32, H - 32, &y, &u, &v);
    CHECK(near(y, left[0]) && near(u, left[1]) && near(v, left[2]));
    cv_image_mean(im, W / 2 + 16, 16, W / 2 - 32, H - 32, &y, &u, &v);
    CHECK(near(y, right[0]) && near(u, right[1]) && near(v, right[2]));
}

static void test_decode(void)
{
    cv_h264_dec_t *d = cv_h264_dec_create();
    CHECK(d != NULL);
    cv_image_t im;
    CHECK(aus[0].key && !aus[1].key);
    CHECK_EQ(cv_h264_dec_decode(d, aus[0].data, (size_t)aus[0].len, 1, &im), 1);
    CHECK_EQ(im.w, W);
    CHECK_EQ(im.h, H);
    CHECK(im.mem == NULL);
    check_halves(&im);
    for (int i = 1; i < 4; i++) {
        CHECK_EQ(cv_h264_dec_decode(d, aus[i].data, (size_t)aus[i].len, 0, &im), 1);
        check_halves(&im);
    }
    CHECK_EQ(cv_h264_dec_decode(d, NULL, 3, 0, &im), CV_E_INVAL);
    CHECK_EQ(cv_h264_dec_decode(d, aus[0].data, 0, 1, &im), CV_E_INVAL);
    cv_h264_dec_destroy(d);
    cv_h264_dec_destroy(NULL);
}

static void test_corrupt(void)
{
    cv_h264_dec_t *d = cv_h264_dec_create();
    cv_image_t im;
    CHECK_EQ(cv_h264_dec_decode(d, aus[0].data, (size_t)aus[0].len, 1, &im), 1);
    /* a slice NAL unit of garbage: start code, an IDR header, then 0xff bytes */
    uint8_t bad[64];
    memset(bad, 0xff, sizeof bad);
    bad[0] = bad[1] = bad[2] = 0;
    bad[3] = 1;
    bad[4] = 0x65;
    CHECK_EQ(cv_h264_dec_decode(d, bad, sizeof bad, 0, &im), CV_E_CODEC);
    /* the next inter picture refers to what failed: refused until a key frame */
    CHECK_EQ(cv_h264_dec_decode(d, aus[1].data, (size_t)aus[1].len, 0, &im), CV_E_CODEC);
    int k = 0;
    while (k < NFRAMES && !(aus[k].key && k > 0))
        k++;
    CHECK(k < NFRAMES); /* the second key frame */
    if (k < NFRAMES) {
        CHECK_EQ(cv_h264_dec_decode(d, aus[k].data, (size_t)aus[k].len, 1, &im), 1);
        check_halves(&im);
    }
    cv_h264_dec_destroy(d);
}

static void test_no_params(void)
{
    /* a fresh decoder given an inter picture: nothing to decode it with */
    cv_h264_dec_t *d = cv_h264_dec_create();
    cv_image_t im;
    CHECK(cv_h264_dec_decode(d, aus[1].data, (size_t)aus[1].len, 0, &im) <= 0);
    CHECK_EQ(cv_h264_dec_decode(d, aus[0].data, (size_t)aus[0].len, 1, &im), 1);
    cv_h264_dec_destroy(d);
}

static void test_too_wide(void)
{
    /* 4112 x 16 is a small area but wider than CV_H264_DEC_MAX_DIM */
    au_t wide[1];
    if (encode(4112, 16, 1, 10, wide) != 1) {
        CHECK(0);
        return;
    }
    cv_h264_dec_t *d = cv_h264_dec_create();
    cv_image_t im;
    CHECK_EQ(cv_h264_dec_decode(d, wide[0].data, (size_t)wide[0].len, 1, &im), CV_E_CODEC);
    /* the decoder goes on with a stream it can take */
    CHECK_EQ(cv_h264_dec_decode(d, aus[0].data, (size_t)aus[0].len, 1, &im), 1);
    check_halves(&im);
    cv_h264_dec_destroy(d);
    free(wide[0].data);
}

/* The NAL unit types of an Annex-B access unit, in order; returns the count. */
static int nal_types(const uint8_t *p, int len, int *types, int max)
{
    int n = 0;
    for (int i = 0; i + 3 < len && n < max; i++)
        if (p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 1) {
            types[n++] = p[i + 3] & 0x1f;
            i += 3;
        }
    return n;
}

static void paint_image(cv_image_t *im)
{
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            im->y[y * im->stride_y + x] = x < W / 2 ? left[0] : right[0];
    for (int y = 0; y < H / 2; y++)
        for (int x = 0; x < W / 2; x++) {
            im->u[y * im->stride_u + x] = x < W / 4 ? left[1] : right[1];
            im->v[y * im->stride_v + x] = x < W / 4 ? left[2] : right[2];
        }
}

/* Our encoder: constrained baseline, SPS and PPS before each IDR, an IDR on
 * request only, and pictures our decoder shows as they were painted. */
static void test_encode(void)
{
    cv_h264_enc_cfg_t cfg = {.width = W, .height = H, .fps = 30, .bitrate_kbps = 500};
    cv_h264_enc_t *e = cv_h264_enc_create(&cfg);
    CHECK(e != NULL);
    cv_h264_dec_t *d = cv_h264_dec_create();
    if (!e || !d) {
        cv_h264_dec_destroy(d);
        return;
    }
    cv_image_t im, out;
    cv_image_alloc(&im, W, H);
    paint_image(&im);
    static uint8_t buf[200000];
    int key = 0, types[16], keys = 0, decoded = 0;
    for (int i = 0; i < 10; i++) {
        if (i == 6)
            cv_h264_enc_request_keyframe(e);
        int n = cv_h264_enc_encode(e, &im, i * 3000, buf, sizeof buf, &key);
        CHECK(n > 0);
        if (n <= 0)
            continue;
        int k = nal_types(buf, n, types, 16);
        if (i == 0 || i == 6) {
            CHECK(key);
            /* SPS, PPS, then (after an optional SEI) the IDR slice */
            CHECK(k >= 3 && types[0] == 7 && types[1] == 8 && types[k - 1] == 5);
            /* profile_idc 66, constraint_set1: constrained baseline */
            CHECK(buf[4] == 0x67 && buf[5] == 66 && (buf[6] & 0x40));
        } else {
            CHECK(!key && k >= 1 && types[k - 1] == 1);
        }
        keys += key;
        if (cv_h264_dec_decode(d, buf, (size_t)n, key, &out) == 1) {
            decoded++;
            check_halves(&out);
        }
    }
    CHECK_EQ(keys, 2);
    CHECK_EQ(decoded, 10);
    cv_image_t small;
    cv_image_alloc(&small, W / 2, H / 2);
    CHECK_EQ(cv_h264_enc_encode(e, &small, 40000, buf, sizeof buf, &key), CV_E_INVAL);
    CHECK_EQ(cv_h264_enc_encode(e, &im, 43000, buf, 8, &key), CV_E_NOSPACE);
    int n = cv_h264_enc_encode(e, &im, 46000, buf, sizeof buf, &key);
    CHECK(n > 0 && key); /* what was lost is replaced by an IDR */
    cv_image_free(&small);
    cv_image_free(&im);
    cv_h264_dec_destroy(d);
    cv_h264_enc_destroy(e);
    cv_h264_enc_destroy(NULL);
    cfg.width = 17;
    CHECK(cv_h264_enc_create(&cfg) == NULL);
}

int main(void)
{
    av_log_set_level(AV_LOG_QUIET);
    int n = encode(W, H, NFRAMES, 6, aus);
    CHECK_EQ(n, NFRAMES);
    if (n == NFRAMES) {
        test_decode();
        test_corrupt();
        test_no_params();
        test_too_wide();
    }
    test_encode();
    for (int i = 0; i < n; i++)
        free(aus[i].data);
    return CHECK_DONE("test_h264_codec");
}
