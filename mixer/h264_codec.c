/*
 * h264_codec.c - H.264 decoding over libavcodec (FFmpeg 5 API:
 * avcodec_send_packet / avcodec_receive_frame).
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

#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <libavutil/log.h>
#include <limits.h>
#include <pthread.h>
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

/* libavcodec would write a line to stderr for every bad slice a peer sends;
 * what fails is counted by the room instead. Its log level is process-wide. */
static pthread_once_t quiet_once = PTHREAD_ONCE_INIT;

static void quiet(void)
{
    av_log_set_level(AV_LOG_QUIET);
}

void cv_h264_dec_destroy(cv_h264_dec_t *d)
{
    if (!d)
        return;
    avcodec_free_context(&d->ctx);
    av_packet_free(&d->pkt);
    av_frame_free(&d->pic);
    av_frame_free(&d->tmp);
    free(d->buf);
    free(d);
}

cv_h264_dec_t *cv_h264_dec_create(void)
{
    cv_h264_dec_t *d = calloc(1, sizeof(*d));
    const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_H264);
    if (!d || !codec)
        goto fail;
    pthread_once(&quiet_once, quiet);
    d->ctx = avcodec_alloc_context3(codec);
    d->pkt = av_packet_alloc();
    d->pic = av_frame_alloc();
    d->tmp = av_frame_alloc();
    if (!d->ctx || !d->pkt || !d->pic || !d->tmp)
        goto fail;
    d->ctx->thread_count = 1;
    d->ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
    d->ctx->err_recognition = AV_EF_CRCCHECK | AV_EF_BITSTREAM | AV_EF_EXPLODE;
    d->ctx->max_pixels = CV_H264_DEC_MAX_PIXELS;
    if (avcodec_open2(d->ctx, codec, NULL) < 0)
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
    while ((rc = avcodec_receive_frame(d->ctx, d->tmp)) == 0) {
        if (!picture_ok(d->tmp)) {
            av_frame_unref(d->tmp);
            return CV_E_CODEC;
        }
        av_frame_unref(d->pic);
        av_frame_move_ref(d->pic, d->tmp);
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
    int rc = avcodec_send_packet(d->ctx, d->pkt);
    if (rc == AVERROR(EAGAIN)) { /* a picture waits to be taken first */
        if (drain(d) < 0)
            goto bad;
        rc = avcodec_send_packet(d->ctx, d->pkt);
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
    avcodec_flush_buffers(d->ctx);
    return CV_E_CODEC;
}
