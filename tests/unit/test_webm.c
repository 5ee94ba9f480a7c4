/*
 * test_webm.c - the recording's WebM muxer: 3 s of a VP8 picture (30 fps)
 * and an Opus tone (20 ms packets), given mixer times, read back with
 * libavformat's own demuxer: the codecs, the picture size, every packet
 * in order with its time in milliseconds from the first key frame, audio
 * before that key frame left out; a file never closed (the process killed)
 * still reads up to its last second; a write error (the descriptor turned
 * into /dev/full) is reported and the file closes without a crash.
 */
#include "check.h"

#include "audio_codec.h"
#include "err.h"
#include "image.h"
#include "video_codec.h"
#include "webm.h"

#include <libavformat/avformat.h>

#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define W 320
#define H 180
#define T0 1000000000LL /* a mixer time, microseconds */

typedef struct {
    int video, audio, keys;
    int64_t first_v, first_a, last_v, last_a; /* ms */
    int ordered;                              /* each track's times rise */
    int vp8, opus, w, h;
} readback_t;

static void read_back(const char *path, readback_t *rb)
{
    memset(rb, 0, sizeof(*rb));
    rb->first_v = rb->first_a = rb->last_v = rb->last_a = -1;
    rb->ordered = 1;
    AVFormatContext *fmt = NULL;
    if (avformat_open_input(&fmt, path, NULL, NULL) < 0)
        return;
    avformat_find_stream_info(fmt, NULL);
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        AVCodecParameters *p = fmt->streams[i]->codecpar;
        if (p->codec_id == AV_CODEC_ID_VP8) {
            rb->vp8 = 1;
            rb->w = p->width;
            rb->h = p->height;
        }
        rb->opus |= p->codec_id == AV_CODEC_ID_OPUS;
    }
    AVPacket *pkt = av_packet_alloc();
    while (av_read_frame(fmt, pkt) >= 0) {
        AVStream *s = fmt->streams[pkt->stream_index];
        int64_t ms = av_rescale_q(pkt->pts, s->time_base, (AVRational){1, 1000});
        if (s->codecpar->codec_id == AV_CODEC_ID_VP8) {
            rb->ordered &= ms > rb->last_v;
            if (rb->first_v < 0)
                rb->first_v = ms;
            rb->last_v = ms;
            rb->video++;
            rb->keys += !!(pkt->flags & AV_PKT_FLAG_KEY);
        } else {
            rb->ordered &= ms > rb->last_a;
            if (rb->first_a < 0)
                rb->first_a = ms;
            rb->last_a = ms;
            rb->audio++;
        }
        av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    avformat_close_input(&fmt);
}

static cv_frame_t *frame_of(int kind, const uint8_t *data, int len, int64_t t_us, int key)
{
    cv_frame_t *f = cv_frame_new(kind, (size_t)len);
    memcpy(f->data, data, (size_t)len);
    f->t_us = t_us;
    f->keyframe = key;
    return f;
}

/* Feeds `seconds` of media: audio from 100 ms before the first picture.
 * With kill_at_ms > 0, stops feeding there and leaves the file unclosed.
 * With full_at_ms > 0, the descriptor becomes /dev/full there. Returns the
 * number of writes that failed. */
static int feed(cv_webm_t *w, int fd, double seconds, int kill_at_ms, int full_at_ms)
{
    cv_vp8_enc_cfg_t ec = {.width = W, .height = H, .fps = 30, .bitrate_kbps = 300, .threads = 1};
    cv_vp8_enc_t *enc = cv_vp8_enc_create(&ec);
    cv_opus_enc_t *aenc = cv_opus_enc_create(1, 32000, 0, 0);
    CHECK(enc != NULL && aenc != NULL);
    cv_image_t im;
    cv_image_alloc(&im, W, H);
    static uint8_t buf[W * H * 2];
    int16_t pcm[CV_AUDIO_FRAME];
    int failed = 0, full = 0;
    int64_t end_us = T0 + (int64_t)(seconds * 1e6);
    int64_t next_v = T0, next_a = T0 - 100000;
    for (int i = 0; next_v < end_us || next_a < end_us; i++) {
        int video = next_v <= next_a;
        int64_t t = video ? next_v : next_a;
        if (kill_at_ms > 0 && t - T0 >= kill_at_ms * 1000LL)
            break;
        if (full_at_ms > 0 && !full && t - T0 >= full_at_ms * 1000LL) {
            int devfull = open("/dev/full", O_WRONLY);
            CHECK(devfull >= 0 && dup2(devfull, fd) == fd);
            close(devfull);
            full = 1;
        }
        cv_frame_t *f;
        if (video) {
            cv_image_fill(&im, (uint8_t)(40 + i % 100), 128, 128);
            int key = 0;
            int n = cv_vp8_enc_encode(enc, &im, (t - T0) * 9 / 100, buf, sizeof(buf), &key);
            next_v += 33333;
            if (n <= 0)
                continue;
            f = frame_of(CV_FRAME_VIDEO, buf, n, t, key);
        } else {
            for (int k = 0; k < CV_AUDIO_FRAME; k++)
                pcm[k] = (int16_t)(8000 * sin(2 * M_PI * 440 * (i * CV_AUDIO_FRAME + k) / 48000.0));
            int n = cv_opus_enc_encode(aenc, pcm, buf, sizeof(buf));
            next_a += 20000;
            if (n <= 0)
                continue;
            f = frame_of(CV_FRAME_AUDIO, buf, n, t, 0);
        }
        failed += cv_webm_write(w, f) < 0;
        cv_frame_unref(f);
    }
    cv_image_free(&im);
    cv_vp8_enc_destroy(enc);
    cv_opus_enc_destroy(aenc);
    return failed;
}

static int temp_file(char *path)
{
    strcpy(path, "/tmp/test_webm.XXXXXX");
    return mkstemp(path);
}

static void test_whole_file(void)
{
    char path[64];
    int fd = temp_file(path), err = 1;
    cv_webm_t *w = cv_webm_open(fd, W, H, &err);
    CHECK(w != NULL);
    CHECK_EQ(err, 0);
    CHECK_EQ(feed(w, fd, 3.0, 0, 0), 0);
    CHECK(cv_webm_bytes(w) > 10000);
    CHECK_EQ(cv_webm_last_ms(w), 2999);
    CHECK_EQ(cv_webm_close(w, NULL), 0);
    readback_t rb;
    read_back(path, &rb);
    CHECK(rb.vp8 && rb.opus);
    CHECK_EQ(rb.w, W);
    CHECK_EQ(rb.h, H);
    CHECK_EQ(rb.video, 91);    /* every 33333 us before 3 s: k = 0..90 */
    CHECK_EQ(rb.audio, 150);   /* 3 s of 20 ms, none of the 5 before the picture */
    CHECK_EQ(rb.first_v, 0);   /* the first key frame starts the clock */
    CHECK_EQ(rb.first_a, 0);   /* audio at the same mixer time is at 0 too */
    CHECK_EQ(rb.last_a, 2980); /* 149 x 20 ms */
    CHECK_EQ(rb.last_v, 2999); /* 90 x 33333 us */
    CHECK(rb.keys >= 1);
    CHECK(rb.ordered);
    unlink(path);
}

/* Never closed: what a SIGKILL leaves. Clusters close at least every second,
 * so all but the last second or so reads back. */
static void test_unclosed(void)
{
    char path[64];
    int fd = temp_file(path), err = 1;
    int keep = dup(fd);
    cv_webm_t *w = cv_webm_open(fd, W, H, &err);
    CHECK(w != NULL);
    CHECK_EQ(feed(w, fd, 10.0, 6000, 0), 0);
    readback_t rb;
    read_back(path, &rb); /* w is left open, as a killed process leaves it */
    CHECK(rb.vp8 && rb.opus);
    CHECK(rb.last_v >= 4000 && rb.last_v < 6000);
    CHECK(rb.last_a >= 4000 && rb.last_a < 6000);
    CHECK(rb.ordered);
    cv_webm_close(w, NULL);
    close(keep);
    unlink(path);
}

static void test_write_error(void)
{
    char path[64];
    int fd = temp_file(path), err = 0;
    /* the header cannot be written */
    int devfull = open("/dev/full", O_WRONLY);
    CHECK(cv_webm_open(devfull, W, H, &err) == NULL);
    CHECK_EQ(err, CV_E_IO);
    /* the disk fills after 2 s */
    cv_webm_t *w = cv_webm_open(fd, W, H, &err);
    CHECK(w != NULL);
    int failed = feed(w, fd, 5.0, 0, 2000);
    CHECK(failed >= 1);
    CHECK(cv_webm_last_ms(w) < 3100); /* nothing is written after the failure */
    CHECK_EQ(cv_webm_close(w, NULL), CV_E_IO);
    readback_t rb;
    read_back(path, &rb); /* what reached the file before still reads */
    CHECK(rb.video >= 20);
    unlink(path);
}

int main(void)
{
    test_whole_file();
    test_unclosed();
    test_write_error();
    return CHECK_DONE("test_webm");
}
