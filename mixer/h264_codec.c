/*
 * h264_codec.c - H.264 decoding and encoding over libavcodec (FFmpeg 5 API:
 * avcodec_send_packet / avcodec_receive_frame, avcodec_send_frame /
 * avcodec_receive_packet; the encoder is libx264).
 *
 * Thread: every cv_h264_dec_t belongs to one mixer worker thread at a time.
 *
 * A hostile sender cannot make us allocate a huge picture: libavcodec checks
 * each SPS's size against max_pixels before it allocates, and we check what
 * comes out again.
 */
#include "h264_codec.h"

#include "err.h"
#include "log.h"
#include "mem.h"

#include <libavcodec/avcodec.h>
#include <libavutil/dict.h>
#include <libavutil/frame.h>
#include <libavutil/log.h>
#include <libavutil/version.h>
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct cv_h264_dec {
    AVCodecContext *ctx;
    AVPacket *pkt;
    AVFrame *pic; /* the picture last given out */
    AVFrame *tmp;
    uint8_t *buf; /* the access unit with libavcodec's zeroed padding after it */
    size_t cap;
    int broken; /* a decode failed: only a key frame is taken */
};

/* The functions used, from FFmpeg's libraries loaded (dlopen) when the first
 * decoder or encoder is made: linked in, they would bring ~130 libraries into
 * every daemon, H.264 or not, and libnuma's start-up would make a system call
 * outside the service's filter. */
static struct {
    __typeof__(&av_dict_free) av_dict_free;
    __typeof__(&av_dict_set) av_dict_set;
    __typeof__(&av_frame_alloc) av_frame_alloc;
    __typeof__(&av_frame_free) av_frame_free;
    __typeof__(&av_frame_move_ref) av_frame_move_ref;
    __typeof__(&av_frame_unref) av_frame_unref;
    __typeof__(&av_log_set_level) av_log_set_level;
    __typeof__(&av_packet_alloc) av_packet_alloc;
    __typeof__(&av_packet_free) av_packet_free;
    __typeof__(&av_packet_unref) av_packet_unref;
    __typeof__(&avcodec_alloc_context3) avcodec_alloc_context3;
    __typeof__(&avcodec_find_decoder) avcodec_find_decoder;
    __typeof__(&avcodec_find_encoder_by_name) avcodec_find_encoder_by_name;
    __typeof__(&avcodec_flush_buffers) avcodec_flush_buffers;
    __typeof__(&avcodec_free_context) avcodec_free_context;
    __typeof__(&avcodec_open2) avcodec_open2;
    __typeof__(&avcodec_receive_frame) avcodec_receive_frame;
    __typeof__(&avcodec_receive_packet) avcodec_receive_packet;
    __typeof__(&avcodec_send_frame) avcodec_send_frame;
    __typeof__(&avcodec_send_packet) avcodec_send_packet;
} av;
static pthread_once_t av_once = PTHREAD_ONCE_INIT;
static int av_loaded;

#define STR_(x) #x
#define STR(x) STR_(x)
#define SONAME(lib, major) "lib" lib ".so." STR(major)
#define SYM(lib, name) ok &= (*(void **)&av.name = (lib) ? dlsym((lib), #name) : NULL) != NULL

/* libavcodec would write a line to stderr for every bad slice a peer sends;
 * what fails is counted by the room instead. Its log level is process-wide. */
static void load_av(void)
{
    void *u = dlopen(SONAME("avutil", LIBAVUTIL_VERSION_MAJOR), RTLD_NOW | RTLD_LOCAL);
    void *c = dlopen(SONAME("avcodec", LIBAVCODEC_VERSION_MAJOR), RTLD_NOW | RTLD_LOCAL);
    int ok = 1;
    SYM(u, av_dict_free);
    SYM(u, av_dict_set);
    SYM(u, av_frame_alloc);
    SYM(u, av_frame_free);
    SYM(u, av_frame_move_ref);
    SYM(u, av_frame_unref);
    SYM(u, av_log_set_level);
    SYM(c, av_packet_alloc);
    SYM(c, av_packet_free);
    SYM(c, av_packet_unref);
    SYM(c, avcodec_alloc_context3);
    SYM(c, avcodec_find_decoder);
    SYM(c, avcodec_find_encoder_by_name);
    SYM(c, avcodec_flush_buffers);
    SYM(c, avcodec_free_context);
    SYM(c, avcodec_open2);
    SYM(c, avcodec_receive_frame);
    SYM(c, avcodec_receive_packet);
    SYM(c, avcodec_send_frame);
    SYM(c, avcodec_send_packet);
    av_loaded = ok; /* the libraries stay loaded for the decoders and encoders to come */
    if (ok)
        av.av_log_set_level(AV_LOG_QUIET);
    else
        CV_WARN("h264: FFmpeg's libavcodec %d could not be loaded (%s)", LIBAVCODEC_VERSION_MAJOR,
                SONAME("avcodec", LIBAVCODEC_VERSION_MAJOR));
}

static int have_av(void)
{
    pthread_once(&av_once, load_av);
    return av_loaded;
}

void cv_h264_dec_destroy(cv_h264_dec_t *d)
{
    if (!d)
        return;
    av.avcodec_free_context(&d->ctx);
    av.av_packet_free(&d->pkt);
    av.av_frame_free(&d->pic);
    av.av_frame_free(&d->tmp);
    free(d->buf);
    free(d);
    cv_mem_trim_later(); /* its frame buffers, a MiB or more */
}

cv_h264_dec_t *cv_h264_dec_create(void)
{
    if (!have_av())
        return NULL;
    cv_h264_dec_t *d = calloc(1, sizeof(*d));
    const AVCodec *codec = av.avcodec_find_decoder(AV_CODEC_ID_H264);
    if (!d || !codec)
        goto fail;
    d->ctx = av.avcodec_alloc_context3(codec);
    d->pkt = av.av_packet_alloc();
    d->pic = av.av_frame_alloc();
    d->tmp = av.av_frame_alloc();
    if (!d->ctx || !d->pkt || !d->pic || !d->tmp)
        goto fail;
    d->ctx->thread_count = 1;
    d->ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
    d->ctx->err_recognition = AV_EF_CRCCHECK | AV_EF_BITSTREAM | AV_EF_EXPLODE;
    d->ctx->max_pixels = CV_H264_DEC_MAX_PIXELS;
    if (av.avcodec_open2(d->ctx, codec, NULL) < 0)
        goto fail;
    return d;
fail:
    CV_WARN("h264 decoder init failed");
    cv_h264_dec_destroy(d);
    return NULL;
}

/* The picture in d->tmp is usable: 8-bit 4:2:0, a sane size, not corrupt. */
static int picture_ok(const AVFrame *f)
{
    if (f->format != AV_PIX_FMT_YUV420P && f->format != AV_PIX_FMT_YUVJ420P)
        return 0;
    if (f->width <= 0 || f->height <= 0 || f->width > CV_H264_DEC_MAX_DIM ||
        f->height > CV_H264_DEC_MAX_DIM || (long long)f->width * f->height > CV_H264_DEC_MAX_PIXELS)
        return 0;
    return !(f->flags & AV_FRAME_FLAG_CORRUPT) && f->decode_error_flags == 0;
}

/* Copies the access unit behind the padding libavcodec's readers may touch. */
static int stage(cv_h264_dec_t *d, const uint8_t *data, size_t len)
{
    size_t need = len + AV_INPUT_BUFFER_PADDING_SIZE;
    if (need > d->cap) {
        uint8_t *b = realloc(d->buf, need);
        if (!b)
            return CV_E_NOMEM;
        d->buf = b;
        d->cap = need;
    }
    memcpy(d->buf, data, len);
    memset(d->buf + len, 0, AV_INPUT_BUFFER_PADDING_SIZE);
    d->pkt->data = d->buf;
    d->pkt->size = (int)len;
    return 0;
}

/* Takes every picture libavcodec has ready; keeps the last good one.
 * Returns 1 with a picture, 0 without, CV_E_CODEC on a bad one. */
static int drain(cv_h264_dec_t *d)
{
    int got = 0, rc;
    while ((rc = av.avcodec_receive_frame(d->ctx, d->tmp)) == 0) {
        if (!picture_ok(d->tmp)) {
            av.av_frame_unref(d->tmp);
            return CV_E_CODEC;
        }
        av.av_frame_unref(d->pic);
        av.av_frame_move_ref(d->pic, d->tmp);
        got = 1;
    }
    return rc == AVERROR(EAGAIN) || rc == AVERROR_EOF ? got : CV_E_CODEC;
}

int cv_h264_dec_decode(cv_h264_dec_t *d, const uint8_t *data, size_t len, int keyframe,
                       cv_image_t *out)
{
    if (!d || !data || !out || len == 0 || len > INT_MAX - AV_INPUT_BUFFER_PADDING_SIZE)
        return CV_E_INVAL;
    if (d->broken && !keyframe)
        return CV_E_CODEC; /* it would refer to what failed */
    if (stage(d, data, len) < 0)
        return CV_E_CODEC;
    int rc = av.avcodec_send_packet(d->ctx, d->pkt);
    if (rc == AVERROR(EAGAIN)) { /* a picture waits to be taken first */
        if (drain(d) < 0)
            goto bad;
        rc = av.avcodec_send_packet(d->ctx, d->pkt);
    }
    if (rc < 0) {
        CV_DEBUG("h264 decode: error %d", rc);
        goto bad;
    }
    int got = drain(d);
    if (got < 0)
        goto bad;
    d->broken = 0;
    if (!got)
        return 0;
    memset(out, 0, sizeof(*out));
    out->w = d->pic->width;
    out->h = d->pic->height;
    out->y = d->pic->data[0];
    out->u = d->pic->data[1];
    out->v = d->pic->data[2];
    out->stride_y = d->pic->linesize[0];
    out->stride_u = d->pic->linesize[1];
    out->stride_v = d->pic->linesize[2];
    out->mem = NULL;
    return 1;
bad:
    d->broken = 1;
    av.avcodec_flush_buffers(d->ctx);
    return CV_E_CODEC;
}

/* ---- encoder ---- */

struct cv_h264_enc {
    AVCodecContext *ctx;
    AVFrame *frame;
    AVPacket *pkt;
    int want_key;
    int64_t last_pts;
};

void cv_h264_enc_destroy(cv_h264_enc_t *e)
{
    if (!e)
        return;
    av.avcodec_free_context(&e->ctx);
    av.av_frame_free(&e->frame);
    av.av_packet_free(&e->pkt);
    free(e);
}

static int enc_cfg_ok(const cv_h264_enc_cfg_t *c)
{
    return c && c->width >= 16 && c->height >= 16 && c->width <= 1920 && c->height <= 1080 &&
           !((c->width | c->height) & 1) && c->fps >= 1 && c->fps <= 120 && c->bitrate_kbps >= 10 &&
           c->bitrate_kbps <= 50000 && c->keyframe_max_dist >= 0;
}

/* libx264's own options: the profile browsers all decode, no delay, IDR on request. */
static int open_x264(AVCodecContext *ctx, const AVCodec *codec)
{
    AVDictionary *o = NULL;
    av.av_dict_set(&o, "preset", "ultrafast", 0);
    av.av_dict_set(&o, "tune", "zerolatency", 0);
    av.av_dict_set(&o, "profile", "baseline", 0);
    av.av_dict_set(&o, "forced-idr", "1", 0);
    /* IDRs only on request or every gop_size; parameter sets in each; no delimiters */
    av.av_dict_set(&o, "x264-params", "scenecut=0:repeat-headers=1:aud=0", 0);
    int rc = av.avcodec_open2(ctx, codec, &o);
    av.av_dict_free(&o);
    return rc;
}

cv_h264_enc_t *cv_h264_enc_create(const cv_h264_enc_cfg_t *cfg)
{
    if (!enc_cfg_ok(cfg) || !have_av())
        return NULL;
    cv_h264_enc_t *e = calloc(1, sizeof(*e));
    const AVCodec *codec = av.avcodec_find_encoder_by_name("libx264");
    if (!e || !codec)
        goto fail;
    e->ctx = av.avcodec_alloc_context3(codec);
    e->frame = av.av_frame_alloc();
    e->pkt = av.av_packet_alloc();
    if (!e->ctx || !e->frame || !e->pkt)
        goto fail;
    AVCodecContext *c = e->ctx;
    c->width = cfg->width;
    c->height = cfg->height;
    c->pix_fmt = AV_PIX_FMT_YUV420P;
    c->time_base = (AVRational){1, 90000};
    c->framerate = (AVRational){cfg->fps, 1};
    c->bit_rate = (int64_t)cfg->bitrate_kbps * 1000;
    c->rc_max_rate = c->bit_rate;
    c->rc_buffer_size = (int)c->bit_rate; /* one second */
    c->gop_size = cfg->keyframe_max_dist ? cfg->keyframe_max_dist : 3000;
    c->max_b_frames = 0;
    c->thread_count = 1;
    c->profile = FF_PROFILE_H264_CONSTRAINED_BASELINE;
    if (open_x264(c, codec) < 0)
        goto fail;
    e->frame->format = AV_PIX_FMT_YUV420P;
    e->frame->width = cfg->width;
    e->frame->height = cfg->height;
    e->last_pts = INT64_MIN;
    return e;
fail:
    CV_WARN("h264 encoder init failed");
    cv_h264_enc_destroy(e);
    return NULL;
}

void cv_h264_enc_request_keyframe(cv_h264_enc_t *e)
{
    if (e)
        e->want_key = 1;
}

/* Takes the access unit libavcodec has ready, if any. */
static int take_packet(cv_h264_enc_t *e, uint8_t *out, size_t cap, int *keyframe)
{
    int rc = av.avcodec_receive_packet(e->ctx, e->pkt);
    if (rc == AVERROR(EAGAIN))
        return 0;
    if (rc < 0)
        return CV_E_CODEC;
    int n = e->pkt->size, key = !!(e->pkt->flags & AV_PKT_FLAG_KEY);
    if (n <= 0 || (size_t)n > cap) {
        av.av_packet_unref(e->pkt);
        e->want_key = 1; /* what follows would refer to what is lost */
        return n <= 0 ? 0 : CV_E_NOSPACE;
    }
    memcpy(out, e->pkt->data, (size_t)n);
    av.av_packet_unref(e->pkt);
    *keyframe = key;
    if (key)
        e->want_key = 0;
    return n;
}

int cv_h264_enc_encode(cv_h264_enc_t *e, const cv_image_t *im, int64_t pts90k, uint8_t *out,
                       size_t cap, int *keyframe)
{
    if (keyframe)
        *keyframe = 0;
    if (!e || !im || !out || !keyframe)
        return CV_E_INVAL;
    if (im->w != e->ctx->width || im->h != e->ctx->height)
        return CV_E_INVAL;
    if (pts90k <= e->last_pts)
        pts90k = e->last_pts + 1;
    e->last_pts = pts90k;
    AVFrame *f = e->frame;
    f->data[0] = im->y;
    f->data[1] = im->u;
    f->data[2] = im->v;
    f->linesize[0] = im->stride_y;
    f->linesize[1] = im->stride_u;
    f->linesize[2] = im->stride_v;
    f->pts = pts90k;
    f->pict_type = e->want_key ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
    f->key_frame = e->want_key;
    if (av.avcodec_send_frame(e->ctx, f) < 0)
        return CV_E_CODEC;
    return take_packet(e, out, cap, keyframe);
}
