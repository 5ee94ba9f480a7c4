/*
 * webm.c - a recording's WebM file through libavformat's Matroska muxer
 * (webm.h). Our own AVIOContext writes to the descriptor, so that every
 * write error is seen here and counted bytes are the file's.
 *
 * FFmpeg's libraries are loaded (dlopen) when the first file is opened, not
 * linked: Debian's libavformat brings some 130 shared libraries with it
 * (codecs this file never uses, whose start-up code would run in every
 * daemon), and a server that records nothing should map none of them.
 */
#include "webm.h"

#include "err.h"
#include "log.h"
#include "mem.h"

#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/mem.h>

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define IO_BUF 65536
#define CLUSTER_MS "1000" /* a cluster is closed, and so written, at least this often */
#define OPUS_HEAD_LEN 19  /* RFC 7845 §5.1, mapping family 0 */
#define OPUS_FRAME_MS 20  /* the mixer's audio period */
#define V 0               /* stream index of the picture */
#define A 1               /* ... of the sound */

#define STR_(x) #x
#define STR(x) STR_(x)
#define SONAME(lib, major) "lib" lib ".so." STR(major)

/* The functions used, from the libraries loaded at the first open. */
static struct {
    __typeof__(&av_malloc) malloc;
    __typeof__(&av_mallocz) mallocz;
    __typeof__(&av_free) free;
    __typeof__(&av_freep) freep;
    __typeof__(&av_dict_set) dict_set;
    __typeof__(&av_dict_free) dict_free;
    __typeof__(&av_channel_layout_default) layout_default;
    __typeof__(&av_packet_alloc) packet_alloc;
    __typeof__(&av_packet_free) packet_free;
    __typeof__(&av_packet_unref) packet_unref;
    __typeof__(&avio_alloc_context) io_alloc;
    __typeof__(&avio_context_free) io_free;
    __typeof__(&avio_flush) io_flush;
    __typeof__(&avformat_alloc_output_context2) alloc_output;
    __typeof__(&avformat_new_stream) new_stream;
    __typeof__(&avformat_free_context) free_context;
    __typeof__(&avformat_write_header) write_header;
    __typeof__(&av_write_frame) write_frame;
    __typeof__(&av_write_trailer) write_trailer;
} av;
static pthread_once_t av_once = PTHREAD_ONCE_INIT;
static int av_loaded;

#define SYM(lib, field, name)                                                                      \
    ok &= (*(void **)&av.field = (lib) ? dlsym((lib), name) : NULL) != NULL

static void load_av(void)
{
    void *u = dlopen(SONAME("avutil", LIBAVUTIL_VERSION_MAJOR), RTLD_NOW | RTLD_LOCAL);
    void *c = dlopen(SONAME("avcodec", LIBAVCODEC_VERSION_MAJOR), RTLD_NOW | RTLD_LOCAL);
    void *f = dlopen(SONAME("avformat", LIBAVFORMAT_VERSION_MAJOR), RTLD_NOW | RTLD_LOCAL);
    int ok = 1;
    SYM(u, malloc, "av_malloc");
    SYM(u, mallocz, "av_mallocz");
    SYM(u, free, "av_free");
    SYM(u, freep, "av_freep");
    SYM(u, dict_set, "av_dict_set");
    SYM(u, dict_free, "av_dict_free");
    SYM(u, layout_default, "av_channel_layout_default");
    SYM(c, packet_alloc, "av_packet_alloc");
    SYM(c, packet_free, "av_packet_free");
    SYM(c, packet_unref, "av_packet_unref");
    SYM(f, io_alloc, "avio_alloc_context");
    SYM(f, io_free, "avio_context_free");
    SYM(f, io_flush, "avio_flush");
    SYM(f, alloc_output, "avformat_alloc_output_context2");
    SYM(f, new_stream, "avformat_new_stream");
    SYM(f, free_context, "avformat_free_context");
    SYM(f, write_header, "avformat_write_header");
    SYM(f, write_frame, "av_write_frame");
    SYM(f, write_trailer, "av_write_trailer");
    av_loaded = ok; /* the libraries stay loaded: later recordings use them */
    if (!ok)
        CV_WARN("recording: FFmpeg's libavformat %d could not be loaded (%s)",
                LIBAVFORMAT_VERSION_MAJOR, SONAME("avformat", LIBAVFORMAT_VERSION_MAJOR));
}

struct cv_webm {
    AVFormatContext *fmt;
    AVIOContext *io;
    AVPacket *pkt;
    int fd;
    int io_errno;    /* first write error, 0 = none */
    int64_t pos;     /* where the next write goes */
    int64_t size;    /* bytes in the file */
    int started;     /* the first video key frame was written */
    int64_t t0_us;   /* its mixer time */
    int64_t last[2]; /* newest timestamp per track, ms, -1 = none */
};

static int on_write(void *opaque, uint8_t *buf, int n)
{
    cv_webm_t *w = opaque;
    if (w->io_errno)
        return AVERROR(w->io_errno);
    for (int done = 0; done < n;) {
        ssize_t k = write(w->fd, buf + done, (size_t)(n - done));
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            w->io_errno = k < 0 ? errno : ENOSPC;
            return AVERROR(w->io_errno);
        }
        done += (int)k;
    }
    w->pos += n;
    if (w->pos > w->size)
        w->size = w->pos;
    return n;
}

static int64_t on_seek(void *opaque, int64_t offset, int whence)
{
    cv_webm_t *w = opaque;
    if (whence & AVSEEK_SIZE)
        return w->size;
    off_t at = lseek(w->fd, (off_t)offset, whence & ~AVSEEK_FORCE);
    if (at < 0)
        return AVERROR(errno);
    w->pos = at;
    return at;
}

/* RFC 7845 §5.1: "OpusHead", version 1, one channel, no pre-skip, 48 kHz,
 * no gain, mapping family 0. */
static int opus_head(AVCodecParameters *par)
{
    static const uint8_t head[OPUS_HEAD_LEN] = {
        'O',  'p',  'u', 's', 'H', 'e', 'a', 'd', /* magic */
        1,                                        /* version */
        1,                                        /* channels */
        0,    0,                                  /* pre-skip, LE */
        0x80, 0xbb, 0,   0,                       /* 48000 Hz, LE */
        0,    0,                                  /* output gain */
        0,                                        /* mapping family */
    };
    par->extradata = av.mallocz(OPUS_HEAD_LEN + AV_INPUT_BUFFER_PADDING_SIZE);
    if (!par->extradata)
        return CV_E_NOMEM;
    memcpy(par->extradata, head, OPUS_HEAD_LEN);
    par->extradata_size = OPUS_HEAD_LEN;
    return 0;
}

static int add_streams(cv_webm_t *w, int width, int height)
{
    AVStream *v = av.new_stream(w->fmt, NULL);
    AVStream *a = av.new_stream(w->fmt, NULL);
    if (!v || !a)
        return CV_E_CODEC;
    v->time_base = (AVRational){1, 1000};
    v->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
    v->codecpar->codec_id = AV_CODEC_ID_VP8;
    v->codecpar->width = width;
    v->codecpar->height = height;
    a->time_base = (AVRational){1, 1000};
    a->codecpar->codec_type = AVMEDIA_TYPE_AUDIO;
    a->codecpar->codec_id = AV_CODEC_ID_OPUS;
    a->codecpar->sample_rate = 48000;
    a->codecpar->frame_size = 48 * OPUS_FRAME_MS;
    av.layout_default(&a->codecpar->ch_layout, 1);
    return opus_head(a->codecpar) < 0 ? CV_E_CODEC : 0;
}

static void free_all(cv_webm_t *w)
{
    if (w->fmt)
        av.free_context(w->fmt);
    if (w->io) {
        av.freep(&w->io->buffer);
        av.io_free(&w->io);
    }
    av.packet_free(&w->pkt);
    if (w->fd >= 0)
        close(w->fd);
    free(w);
}

int cv_webm_load(void)
{
    pthread_once(&av_once, load_av);
    return av_loaded;
}

cv_webm_t *cv_webm_open(int fd, int width, int height, int *err)
{
    if (!cv_webm_load()) {
        close(fd);
        *err = CV_E_UNSUPPORTED;
        return NULL;
    }
    cv_webm_t *w = cv_xcalloc(1, sizeof(*w));
    w->fd = fd;
    w->last[V] = w->last[A] = -1;
    *err = CV_E_CODEC;
    uint8_t *buf = av.malloc(IO_BUF);
    if (buf)
        w->io = av.io_alloc(buf, IO_BUF, 1, w, NULL, on_write, on_seek);
    if (!w->io)
        av.free(buf);
    w->pkt = av.packet_alloc();
    if (!w->io || !w->pkt || av.alloc_output(&w->fmt, NULL, "webm", NULL) < 0 ||
        add_streams(w, width, height) < 0)
        goto fail;
    w->fmt->pb = w->io;
    AVDictionary *opt = NULL;
    av.dict_set(&opt, "cluster_time_limit", CLUSTER_MS, 0);
    int rc = av.write_header(w->fmt, &opt);
    av.dict_free(&opt);
    if (rc >= 0)
        av.io_flush(w->io);
    if (rc < 0 || w->io_errno) {
        *err = w->io_errno ? CV_E_IO : CV_E_CODEC;
        goto fail;
    }
    *err = 0;
    return w;
fail:
    free_all(w);
    return NULL;
}

int cv_webm_write(cv_webm_t *w, const cv_frame_t *f)
{
    if (w->io_errno)
        return CV_E_IO;
    int video = f->kind == CV_FRAME_VIDEO;
    if (!w->started) {
        if (!video || !f->keyframe)
            return 0;
        w->started = 1;
        w->t0_us = f->t_us;
    }
    if (f->t_us < w->t0_us || f->len == 0 || f->len > INT32_MAX)
        return 0;
    int64_t ms = (f->t_us - w->t0_us) / 1000;
    int s = video ? V : A;
    if (ms <= w->last[s])
        return 0; /* each track's times must rise */
    AVPacket *p = w->pkt;
    av.packet_unref(p);
    p->data = (uint8_t *)f->data;
    p->size = (int)f->len;
    p->stream_index = s;
    p->pts = p->dts = ms;
    p->duration = video ? 0 : OPUS_FRAME_MS;
    p->flags = !video || f->keyframe ? AV_PKT_FLAG_KEY : 0;
    int rc = av.write_frame(w->fmt, p);
    p->data = NULL;
    p->size = 0;
    av.io_flush(w->io); /* a cluster just closed goes to the file now */
    if (w->io_errno || rc < 0)
        return w->io_errno ? CV_E_IO : 0;
    w->last[s] = ms;
    return 1;
}

int64_t cv_webm_bytes(const cv_webm_t *w)
{
    return w->size;
}

int64_t cv_webm_last_ms(const cv_webm_t *w)
{
    return w->last[V] > w->last[A] ? w->last[V] : w->last[A];
}

int cv_webm_close(cv_webm_t *w, int64_t *size)
{
    if (!w)
        return 0;
    int rc = 0;
    if (!w->io_errno) {
        rc = av.write_trailer(w->fmt);
        av.io_flush(w->io);
    }
    int failed = rc < 0 || w->io_errno;
    if (size)
        *size = w->size;
    free_all(w);
    return failed ? CV_E_IO : 0;
}
