/*
 * decode_bench.c - what one sender's video costs the mixer to decode, by
 * codec: the same moving synthetic picture (a gradient, a texture scrolling 2
 * pixels a frame, a square crossing it) is encoded at 30 fps as VP8 (libvpx,
 * as a browser sends it) and as H.264 (x264 through libavcodec: high profile
 * without B-frames and a key frame every 2 s as OBS sends it, and constrained
 * baseline as a browser sends it), then decoded with the mixer's decoders
 * (mixer/video_codec.c, mixer/h264_codec.c) on one thread. Prints the CPU time
 * per frame and the share of one core one such input takes in real time.
 *
 * usage: decode_bench [seconds=10] [width=1280] [height=720] [kbps=1500]
 * Exits 1 when an encoder is missing or a frame does not decode.
 */
#include "err.h"
#include "h264_codec.h"
#include "image.h"
#include "video_codec.h"

#include <libavcodec/avcodec.h>
#include <libavutil/log.h>
#include <libavutil/opt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define FPS 30

typedef struct {
    uint8_t **data;
    size_t *len;
    int *key;
    int n;
    size_t bytes;
} stream_t;

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

/* Frame t of the picture, into planes of any stride. */
static void paint(uint8_t *y, int sy, uint8_t *u, int su, uint8_t *v, int sv, int w, int h, int t)
{
    for (int r = 0; r < h; r++)
        for (int c = 0; c < w; c++) {
            unsigned x = (unsigned)(c + 2 * t), n = x * 2654435761u ^ (unsigned)r * 40503u;
            y[r * sy + c] = (uint8_t)(40 + (c + r) / 12 + ((n >> 13) & 31));
        }
    for (int r = 0; r < h / 2; r++)
        for (int c = 0; c < w / 2; c++) {
            u[r * su + c] = (uint8_t)(100 + c / 20);
            v[r * sv + c] = (uint8_t)(150 - r / 10);
        }
    int sq = h / 4, x0 = (t * 8) % (w - sq), y0 = (h - sq) / 2;
    for (int r = y0; r < y0 + sq; r++)
        memset(y + r * sy + x0, 230, (size_t)sq);
}

static void keep(stream_t *s, const uint8_t *p, size_t n, int key)
{
    s->data[s->n] = malloc(n);
    memcpy(s->data[s->n], p, n);
    s->len[s->n] = n;
    s->key[s->n] = key;
    s->bytes += n;
    s->n++;
}

static void stream_init(stream_t *s, int frames)
{
    memset(s, 0, sizeof(*s));
    s->data = calloc((size_t)frames, sizeof(*s->data));
    s->len = calloc((size_t)frames, sizeof(*s->len));
    s->key = calloc((size_t)frames, sizeof(*s->key));
}

static void stream_free(stream_t *s)
{
    for (int i = 0; i < s->n; i++)
        free(s->data[i]);
    free(s->data);
    free(s->len);
    free(s->key);
}

static int encode_vp8(stream_t *s, int w, int h, int frames, int kbps)
{
    cv_vp8_enc_cfg_t cfg = {.width = w,
                            .height = h,
                            .fps = FPS,
                            .bitrate_kbps = kbps,
                            .threads = 1,
                            .cpu_used = -6,
                            .keyframe_max_dist = 2 * FPS};
    cv_vp8_enc_t *e = cv_vp8_enc_create(&cfg);
    cv_image_t im;
    if (!e || cv_image_alloc(&im, w, h) < 0)
        return -1;
    size_t cap = (size_t)w * h * 2;
    uint8_t *buf = malloc(cap);
    for (int t = 0; t < frames; t++) {
        paint(im.y, im.stride_y, im.u, im.stride_u, im.v, im.stride_v, w, h, t);
        int key = 0, n = cv_vp8_enc_encode(e, &im, (int64_t)t * 3000, buf, cap, &key);
        if (n > 0)
            keep(s, buf, (size_t)n, key);
    }
    free(buf);
    cv_image_free(&im);
    cv_vp8_enc_destroy(e);
    return 0;
}

static int encode_h264(stream_t *s, int w, int h, int frames, int kbps, const char *profile,
                       const char *preset)
{
    const AVCodec *c = avcodec_find_encoder_by_name("libx264");
    if (!c)
        return -1;
    AVCodecContext *e = avcodec_alloc_context3(c);
    e->width = w;
    e->height = h;
    e->pix_fmt = AV_PIX_FMT_YUV420P;
    e->time_base = (AVRational){1, FPS};
    e->gop_size = 2 * FPS;
    e->max_b_frames = 0;
    e->bit_rate = (int64_t)kbps * 1000;
    e->thread_count = 1;
    av_opt_set(e->priv_data, "preset", preset, 0);
    av_opt_set(e->priv_data, "tune", "zerolatency", 0);
    av_opt_set(e->priv_data, "profile", profile, 0);
    AVFrame *f = av_frame_alloc();
    AVPacket *pkt = av_packet_alloc();
    int rc = -1;
    if (avcodec_open2(e, c, NULL) < 0)
        goto out;
    f->width = w;
    f->height = h;
    f->format = AV_PIX_FMT_YUV420P;
    if (av_frame_get_buffer(f, 0) < 0)
        goto out;
    for (int t = 0; t <= frames; t++) {
        if (t < frames) {
            av_frame_make_writable(f);
            paint(f->data[0], f->linesize[0], f->data[1], f->linesize[1], f->data[2],
                  f->linesize[2], w, h, t);
            f->pts = t;
        }
        avcodec_send_frame(e, t < frames ? f : NULL);
        while (avcodec_receive_packet(e, pkt) == 0) {
            if (s->n < frames)
                keep(s, pkt->data, (size_t)pkt->size, !!(pkt->flags & AV_PKT_FLAG_KEY));
            av_packet_unref(pkt);
        }
    }
    rc = 0;
out:
    av_packet_free(&pkt);
    av_frame_free(&f);
    avcodec_free_context(&e);
    return rc;
}

/* Decodes the stream once; returns the CPU seconds, or -1 when a frame failed. */
static double decode(const stream_t *s, int h264)
{
    cv_vp8_dec_t *v = h264 ? NULL : cv_vp8_dec_create();
    cv_h264_dec_t *d = h264 ? cv_h264_dec_create() : NULL;
    if (!v && !d)
        return -1;
    int pictures = 0;
    double t0 = cpu_s();
    for (int i = 0; i < s->n; i++) {
        cv_image_t im;
        int rc = h264 ? cv_h264_dec_decode(d, s->data[i], s->len[i], s->key[i], &im)
                      : cv_vp8_dec_decode(v, s->data[i], s->len[i], &im);
        if (rc < 0)
            break;
        pictures += rc;
    }
    double used = cpu_s() - t0;
    cv_vp8_dec_destroy(v);
    cv_h264_dec_destroy(d);
    return pictures == s->n ? used : -1;
}

static int report(const char *what, const stream_t *s, int h264, int seconds)
{
    double used = decode(s, h264);
    if (used < 0 || s->n == 0) {
        printf("  %-44s FAILED (%d frames)\n", what, s->n);
        return 1;
    }
    printf("  %-44s %4d frames, %5.0f kbit/s: %.2f ms CPU a frame, %.1f %% of a core at %d fps\n",
           what, s->n, s->bytes * 8.0 / 1000 / seconds, used * 1000 / s->n,
           100.0 * used / s->n * FPS, FPS);
    return 0;
}

int main(int argc, char **argv)
{
    int seconds = argc > 1 ? atoi(argv[1]) : 10;
    int w = argc > 2 ? atoi(argv[2]) : 1280, h = argc > 3 ? atoi(argv[3]) : 720;
    int kbps = argc > 4 ? atoi(argv[4]) : 1500;
    if (seconds < 1 || seconds > 60 || w < 64 || h < 64 || w > 1920 || h > 1080 || (w & 1) ||
        (h & 1) || kbps < 100 || kbps > 20000) {
        fprintf(stderr, "usage: decode_bench [seconds 1-60] [width] [height] [kbps]\n");
        return 2;
    }
    av_log_set_level(AV_LOG_QUIET);
    int frames = seconds * FPS, bad = 0;
    printf("  one %dx%d input at %d fps, %d kbit/s target, %d s, decoded on one thread\n", w, h,
           FPS, kbps, seconds);
    stream_t s;
    const struct {
        const char *what, *profile, *preset;
    } h264[] = {{"H.264 high (OBS: x264 veryfast, no B)", "high", "veryfast"},
                {"H.264 constrained baseline (browser)", "baseline", "ultrafast"}};
    stream_init(&s, frames);
    bad |=
        encode_vp8(&s, w, h, frames, kbps) < 0 || report("VP8 (libvpx, realtime)", &s, 0, seconds);
    stream_free(&s);
    for (int i = 0; i < 2; i++) {
        stream_init(&s, frames);
        int rc = encode_h264(&s, w, h, frames, kbps, h264[i].profile, h264[i].preset);
        if (rc < 0)
            printf("  %-44s no libx264 in libavcodec: not measured\n", h264[i].what);
        bad |= rc < 0 || report(h264[i].what, &s, 1, seconds);
        stream_free(&s);
    }
    return bad ? 1 : 0;
}
