/*
 * test_room_h264.c - a room with a VP8 sender and two H.264 senders (x264
 * through libavcodec): every tile shows its sender's colour in the VP8
 * composite; one H.264 sender's garbage costs only its own tile (its decoder
 * error is flagged, the other tiles stay right) until its next key frame.
 * Then one H.264 sender receives the composite as H.264: it decodes with
 * every colour, a key frame it asks for comes as an IDR without one in the
 * VP8 stream, and the tier's H.264 encoder exists only while it receives.
 */
#include "check.h"
#include "err.h"
#include "frame.h"
#include "h264_codec.h"
#include "image.h"
#include "outtiers.h"
#include "room.h"
#include "video_codec.h"

#include <libavcodec/avcodec.h>
#include <libavutil/log.h>
#include <libavutil/opt.h>
#include <stdlib.h>
#include <string.h>

#define W 640
#define H 360
#define SW 320
#define SH 240
#define TICK_US 33333

static const cv_room_cfg_t CFG = {.width = W,
                                  .height = H,
                                  .fps = 30,
                                  .video_kbps = 1500,
                                  .audio_bps = 32000,
                                  .max_participants = 8};

/* Y, U, V of each sender's picture: A (VP8), B and C (H.264) */
static const uint8_t colour[3][3] = {{81, 90, 240}, {145, 54, 34}, {63, 202, 100}};

typedef struct {
    cv_part_t *p;
    int notified;
    int h264;
    cv_vp8_enc_t *vp8;
    AVCodecContext *x264;
    AVFrame *pic;
    AVPacket *pkt;
    cv_image_t src;
    uint8_t *buf;
} sender_t;

static void on_notify(void *ud)
{
    (*(int *)ud)++;
}

static int sender_init(sender_t *s, cv_room_t *r, const char *name, int k, int h264)
{
    memset(s, 0, sizeof(*s));
    s->p = cv_room_join(r, name, on_notify, &s->notified);
    s->h264 = h264;
    if (cv_image_alloc(&s->src, SW, SH) < 0 || !s->p)
        return -1;
    cv_image_fill_rect(&s->src, 0, 0, SW, SH, colour[k][0], colour[k][1], colour[k][2]);
    s->buf = malloc(SW * SH * 2);
    if (!h264) {
        cv_vp8_enc_cfg_t ec = {.width = SW,
                               .height = SH,
                               .fps = 30,
                               .bitrate_kbps = 500,
                               .threads = 1,
                               .cpu_used = -6};
        s->vp8 = cv_vp8_enc_create(&ec);
        return s->vp8 ? 0 : -1;
    }
    const AVCodec *c = avcodec_find_encoder_by_name("libx264");
    if (!c)
        return -1;
    s->x264 = avcodec_alloc_context3(c);
    s->x264->width = SW;
    s->x264->height = SH;
    s->x264->pix_fmt = AV_PIX_FMT_YUV420P;
    s->x264->time_base = (AVRational){1, 30};
    s->x264->gop_size = 1000; /* key frames only when asked */
    s->x264->max_b_frames = 0;
    av_opt_set(s->x264->priv_data, "preset", "veryfast", 0);
    av_opt_set(s->x264->priv_data, "tune", "zerolatency", 0);
    if (avcodec_open2(s->x264, c, NULL) < 0)
        return -1;
    s->pic = av_frame_alloc();
    s->pkt = av_packet_alloc();
    s->pic->width = SW;
    s->pic->height = SH;
    s->pic->format = AV_PIX_FMT_YUV420P;
    return av_frame_get_buffer(s->pic, 0);
}

static void sender_cleanup(sender_t *s, cv_room_t *r)
{
    if (s->p)
        cv_room_leave(r, s->p);
    cv_vp8_enc_destroy(s->vp8);
    avcodec_free_context(&s->x264);
    av_frame_free(&s->pic);
    av_packet_free(&s->pkt);
    cv_image_free(&s->src);
    free(s->buf);
}

static void push(sender_t *s, const uint8_t *data, size_t len, int key, int64_t now)
{
    cv_frame_t *f = cv_frame_new(CV_FRAME_VIDEO, len);
    memcpy(f->data, data, len);
    f->keyframe = key;
    f->codec = s->h264 ? CV_FRAME_H264 : CV_FRAME_VP8;
    f->t_us = now;
    CHECK_EQ(cv_part_push(s->p, f), 0);
}

/* Encodes its picture for tick t and pushes it (key: an IDR asked for). */
static void camera(sender_t *s, int t, int key, int64_t now)
{
    if (!s->h264) {
        int k = 0,
            n = cv_vp8_enc_encode(s->vp8, &s->src, (int64_t)t * 3000, s->buf, SW * SH * 2, &k);
        if (n > 0)
            push(s, s->buf, (size_t)n, k, now);
        return;
    }
    av_frame_make_writable(s->pic);
    for (int p = 0; p < 3; p++) {
        const uint8_t *from = p == 0 ? s->src.y : p == 1 ? s->src.u : s->src.v;
        int stride = p == 0 ? s->src.stride_y : p == 1 ? s->src.stride_u : s->src.stride_v;
        int w = p ? SW / 2 : SW, h = p ? SH / 2 : SH;
        for (int y = 0; y < h; y++)
            memcpy(s->pic->data[p] + y * s->pic->linesize[p], from + y * stride, (size_t)w);
    }
    s->pic->pts = t;
    s->pic->pict_type = key ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
    s->pic->key_frame = key;
    avcodec_send_frame(s->x264, s->pic);
    while (avcodec_receive_packet(s->x264, s->pkt) == 0) {
        push(s, s->pkt->data, (size_t)s->pkt->size, !!(s->pkt->flags & AV_PKT_FLAG_KEY), now);
        av_packet_unref(s->pkt);
    }
}

/* The composite a receiver gets, decoded (VP8, or H.264 with hdec). */
typedef struct {
    cv_vp8_dec_t *dec;
    cv_h264_dec_t *hdec;
    cv_image_t pic;
    int have;
    int frames, keys, wrong_codec; /* video frames since the last count */
} screen_t;

static int screen_decode(screen_t *sc, const cv_frame_t *f, cv_image_t *out)
{
    int codec = sc->hdec ? CV_FRAME_H264 : CV_FRAME_VP8;
    sc->frames++;
    sc->keys += f->keyframe;
    if (f->codec != codec) {
        sc->wrong_codec++;
        return 0;
    }
    if (!sc->have && !f->keyframe)
        return 0;
    return sc->hdec ? cv_h264_dec_decode(sc->hdec, f->data, f->len, f->keyframe, out)
                    : cv_vp8_dec_decode(sc->dec, f->data, f->len, out);
}

static void screen_drain(screen_t *sc, cv_part_t *p)
{
    cv_frame_t *f;
    while ((f = cv_part_pop(p))) {
        cv_image_t out;
        if (f->kind == CV_FRAME_VIDEO && screen_decode(sc, f, &out) == 1) {
            cv_image_free(&sc->pic);
            cv_image_alloc(&sc->pic, out.w, out.h);
            for (int y = 0; y < out.h; y++)
                memcpy(sc->pic.y + y * sc->pic.stride_y, out.y + y * out.stride_y, (size_t)out.w);
            for (int y = 0; y < out.h / 2; y++) {
                memcpy(sc->pic.u + y * sc->pic.stride_u, out.u + y * out.stride_u,
                       (size_t)out.w / 2);
                memcpy(sc->pic.v + y * sc->pic.stride_v, out.v + y * out.stride_v,
                       (size_t)out.w / 2);
            }
            sc->have = 1;
        }
        cv_frame_unref(f);
    }
}

/* Whether the patch around (cx, cy) of the composite is sender k's colour. */
static int shows(const screen_t *sc, int cx, int cy, int k)
{
    double y, u, v;
    if (!sc->have)
        return 0;
    cv_image_mean(&sc->pic, cx - 30, cy - 20, 60, 40, &y, &u, &v);
    return y > colour[k][0] - 8 && y < colour[k][0] + 8 && u > colour[k][1] - 8 &&
           u < colour[k][1] + 8 && v > colour[k][2] - 8 && v < colour[k][2] + 8;
}

/* The encoders of a tier follow the codecs of its receivers. */
static void test_outtiers_codecs(void)
{
    cv_outtiers_t ts;
    cv_outtier_cfg_t cfg[2] = {{.width = 320, .height = 180, .fps = 30, .kbps = 400},
                               {.width = 160, .height = 90, .fps = 15, .kbps = 100}};
    CHECK_EQ(cv_outtiers_init(&ts, cfg, 2, 30), 0);
    CHECK_EQ(cv_outtiers_set_codecs(&ts, 1, 0), 1u); /* VP8 on tier 0 only */
    CHECK(ts.t[0].enc && !ts.t[0].henc && !ts.t[1].active);
    CHECK_EQ(ts.created, 1);
    CHECK_EQ(cv_outtiers_set_codecs(&ts, 1, 2), 3u); /* H.264 on tier 1 */
    CHECK(ts.t[0].enc && !ts.t[0].henc && !ts.t[1].enc && ts.t[1].henc);
    CHECK_EQ(cv_outtiers_top(&ts), 0);
    int key = 0;
    CHECK_EQ(cv_outtiers_encode_h264(&ts, 0, 0, 0, &key), CV_E_INVAL); /* none on tier 0 */
    CHECK_EQ(cv_outtiers_encode(&ts, 1, &ts.t[0].img, 0, 0, &key), CV_E_INVAL);
    cv_outtiers_scale(&ts, 1, &ts.t[0].img);
    int n = cv_outtiers_encode_h264(&ts, 1, 0, 0, &key);
    CHECK(n > 4 && key && ts.buf[4] == 0x67);        /* an IDR, its SPS first */
    CHECK_EQ(cv_outtiers_set_codecs(&ts, 0, 3), 3u); /* tier 0: H.264 instead of VP8 */
    CHECK(!ts.t[0].enc && ts.t[0].henc && ts.t[0].active);
    CHECK_EQ(ts.created, 3);
    CHECK_EQ(ts.destroyed, 1);
    CHECK_EQ(cv_outtiers_set_codecs(&ts, 0, 0), 0u); /* nobody receives */
    CHECK(!ts.t[0].active && !ts.t[0].henc && !ts.t[1].active && !ts.t[1].henc);
    CHECK_EQ(ts.destroyed, 3);
    CHECK_EQ(cv_outtiers_set_active(&ts, 2), 2u); /* the VP8-only form */
    CHECK(ts.t[1].enc && !ts.t[1].henc);
    cv_outtiers_cleanup(&ts);
}

/* B receives the composite as H.264 from now on, A still as VP8. */
static void h264_receiver(cv_room_t *r, sender_t *s, screen_t *sc, int *t, int64_t *now,
                          const int at[3][2])
{
    screen_t hb = {.hdec = cv_h264_dec_create()};
    cv_frame_t *f;
    while ((f = cv_part_pop(s[1].p)))
        cv_frame_unref(f); /* what it got as VP8 */
    cv_part_set_video_codec(s[1].p, CV_FRAME_H264);
    sc->frames = sc->keys = 0;
    for (int k = 0; k < 30; k++, (*t)++, *now += TICK_US) {
        for (int i = 0; i < 3; i++)
            camera(&s[i], *t, 0, *now);
        cv_room_video_tick(r, *now);
        screen_drain(sc, s[0].p);
        screen_drain(&hb, s[1].p);
    }
    CHECK_EQ(hb.wrong_codec, 0);
    CHECK(hb.frames >= 28);
    CHECK_EQ(hb.keys, 1); /* its first frame, nothing more */
    for (int i = 0; i < 3; i++)
        CHECK(shows(&hb, at[i][0], at[i][1], i));
    CHECK(sc->frames >= 28 && sc->wrong_codec == 0 && sc->keys == 0); /* A: VP8 goes on */
    /* B asks for a key frame (PLI): an IDR for it, no key frame for A */
    hb.frames = hb.keys = sc->frames = 0;
    cv_part_request_keyframe(s[1].p);
    for (int k = 0; k < 5; k++, (*t)++, *now += TICK_US) {
        for (int i = 0; i < 3; i++)
            camera(&s[i], *t, 0, *now);
        cv_room_video_tick(r, *now);
        screen_drain(sc, s[0].p);
        screen_drain(&hb, s[1].p);
    }
    CHECK_EQ(hb.keys, 1);
    CHECK_EQ(sc->keys, 0);
    CHECK(sc->frames >= 4);
    for (int i = 0; i < 3; i++)
        CHECK(shows(&hb, at[i][0], at[i][1], i));
    cv_h264_dec_destroy(hb.hdec);
    cv_image_free(&hb.pic);
}

int main(void)
{
    av_log_set_level(AV_LOG_QUIET);
    test_outtiers_codecs();
    cv_room_t *r = cv_room_create(&CFG, 0);
    sender_t s[3];
    CHECK_EQ(sender_init(&s[0], r, "A", 0, 0), 0);
    CHECK_EQ(sender_init(&s[1], r, "B", 1, 1), 0);
    CHECK_EQ(sender_init(&s[2], r, "C", 2, 1), 0);
    screen_t sc = {.dec = cv_vp8_dec_create()};
    /* where the three tiles' centres are: two on top, one centred below */
    static const int at[3][2] = {{W / 4, H / 4}, {3 * W / 4, H / 4}, {W / 2, 3 * H / 4}};
    int t = 0;
    int64_t now = 0;
    for (; t < 30; t++, now += TICK_US) {
        for (int i = 0; i < 3; i++)
            camera(&s[i], t, t == 0, now);
        cv_room_video_tick(r, now);
        screen_drain(&sc, s[0].p);
    }
    for (int i = 0; i < 3; i++)
        CHECK(shows(&sc, at[i][0], at[i][1], i));
    cv_room_stats_t st;
    cv_room_get_stats(r, &st);
    CHECK_EQ(st.decode_errors, 0);
    CHECK(st.decoded >= 85);
    CHECK_EQ(cv_part_take_decoder_error(s[2].p), 0);

    /* C sends garbage for 10 ticks (a slice of 0xff), then good inter frames */
    uint8_t junk[200];
    memset(junk, 0xff, sizeof junk);
    junk[0] = junk[1] = junk[2] = 0;
    junk[3] = 1;
    junk[4] = 0x41;
    for (int k = 0; k < 20; k++, t++, now += TICK_US) {
        camera(&s[0], t, 0, now);
        camera(&s[1], t, 0, now);
        if (k < 10)
            push(&s[2], junk, sizeof junk, 0, now);
        else
            camera(&s[2], t, 0, now);
        cv_room_video_tick(r, now);
        screen_drain(&sc, s[0].p);
        CHECK(shows(&sc, at[0][0], at[0][1], 0));
        CHECK(shows(&sc, at[1][0], at[1][1], 1));
    }
    cv_room_get_stats(r, &st);
    CHECK(st.decode_errors >= 20); /* the junk and every inter frame after it */
    CHECK_EQ(cv_part_take_decoder_error(s[2].p), 1);
    CHECK_EQ(cv_part_take_decoder_error(s[1].p), 0);
    CHECK_EQ(cv_part_take_decoder_error(s[0].p), 0);
    uint64_t errors = st.decode_errors;
    /* a key frame, as the PLI would bring: C decodes again */
    for (int k = 0; k < 10; k++, t++, now += TICK_US) {
        for (int i = 0; i < 3; i++)
            camera(&s[i], t, i == 2 && k == 0, now);
        cv_room_video_tick(r, now);
        screen_drain(&sc, s[0].p);
    }
    cv_room_get_stats(r, &st);
    CHECK_EQ(st.decode_errors, errors);
    for (int i = 0; i < 3; i++)
        CHECK(shows(&sc, at[i][0], at[i][1], i));

    h264_receiver(r, s, &sc, &t, &now, at);

    for (int i = 0; i < 3; i++)
        sender_cleanup(&s[i], r);
    cv_vp8_dec_destroy(sc.dec);
    cv_image_free(&sc.pic);
    cv_room_destroy(r);
    return CHECK_DONE("test_room_h264");
}
