/*
 * webmprobe.c - what a recording holds, read and decoded with libavformat
 * and libavcodec (the libraries ffprobe is made of), for
 * tests/integration/recording.sh and bench/run:
 *
 *   webmprobe FILE [--colour Y,U,V]... [--tone HZ]...
 *
 * prints one "key=value" line each: the codecs and picture size; the
 * container's duration (-1 if it has none: a file never finished); the first
 * and last packet time of each track and the packet counts (ms); pictures
 * decoded and decode errors; for each --colour, the share of sampled pixels
 * (every 4th of every 4th row of every 5th picture) within 24 of it in Y, U
 * and V ("colourN="); for each --tone, how far above its neighbours (+/-17 Hz)
 * that frequency stands in the decoded sound, in dB, by the Goertzel
 * algorithm over whole seconds ("toneN="). Exit 1 if the file does not open.
 */
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARGS 8
#define NEAR 24
#define BLOCK 48000 /* one second of 48 kHz sound */

static int n_col, n_tone;
static int col[MAX_ARGS][3];
static double tone_hz[MAX_ARGS];
static uint64_t col_hits[MAX_ARGS], col_samples;

/* Goertzel state per frequency probed: the tone, and its two neighbours. */
typedef struct {
    double s1, s2, coeff, sum;
} goertzel_t;
static goertzel_t gz[MAX_ARGS][3];
static int block_n;

static void gz_init(goertzel_t *g, double hz)
{
    g->coeff = 2 * cos(2 * M_PI * hz / 48000.0);
    g->s1 = g->s2 = 0;
}

static void gz_block_end(void)
{
    for (int i = 0; i < n_tone; i++)
        for (int k = 0; k < 3; k++) {
            goertzel_t *g = &gz[i][k];
            g->sum += g->s1 * g->s1 + g->s2 * g->s2 - g->coeff * g->s1 * g->s2;
            g->s1 = g->s2 = 0;
        }
    block_n = 0;
}

static void on_sample(double x)
{
    for (int i = 0; i < n_tone; i++)
        for (int k = 0; k < 3; k++) {
            goertzel_t *g = &gz[i][k];
            double s = x + g->coeff * g->s1 - g->s2;
            g->s2 = g->s1;
            g->s1 = s;
        }
    if (++block_n == BLOCK)
        gz_block_end();
}

static void on_picture(const AVFrame *f, int n)
{
    if (n % 5 || f->format != AV_PIX_FMT_YUV420P)
        return;
    for (int y = 0; y < f->height; y += 4)
        for (int x = 0; x < f->width; x += 4) {
            int Y = f->data[0][y * f->linesize[0] + x];
            int U = f->data[1][(y / 2) * f->linesize[1] + x / 2];
            int V = f->data[2][(y / 2) * f->linesize[2] + x / 2];
            col_samples++;
            for (int c = 0; c < n_col; c++)
                col_hits[c] += abs(Y - col[c][0]) <= NEAR && abs(U - col[c][1]) <= NEAR &&
                               abs(V - col[c][2]) <= NEAR;
        }
}

static void on_sound(const AVFrame *f)
{
    for (int i = 0; i < f->nb_samples; i++) {
        double x;
        if (f->format == AV_SAMPLE_FMT_FLTP || f->format == AV_SAMPLE_FMT_FLT)
            x = ((const float *)
                     f->data[0])[f->format == AV_SAMPLE_FMT_FLT ? i * f->ch_layout.nb_channels : i];
        else if (f->format == AV_SAMPLE_FMT_S16)
            x = ((const int16_t *)f->data[0])[i * f->ch_layout.nb_channels] / 32768.0;
        else
            return;
        on_sample(x);
    }
}

static AVCodecContext *open_dec(const AVStream *s)
{
    const AVCodec *c = avcodec_find_decoder(s->codecpar->codec_id);
    AVCodecContext *d = c ? avcodec_alloc_context3(c) : NULL;
    if (!d || avcodec_parameters_to_context(d, s->codecpar) < 0 || avcodec_open2(d, c, NULL) < 0)
        avcodec_free_context(&d);
    return d;
}

static int parse_args(int argc, char **argv)
{
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--colour") == 0 && n_col < MAX_ARGS &&
            sscanf(argv[i + 1], "%d,%d,%d", &col[n_col][0], &col[n_col][1], &col[n_col][2]) == 3)
            n_col++;
        else if (strcmp(argv[i], "--tone") == 0 && n_tone < MAX_ARGS)
            tone_hz[n_tone++] = atof(argv[i + 1]);
        else
            return -1;
    }
    for (int i = 0; i < n_tone; i++)
        for (int k = 0; k < 3; k++)
            gz_init(&gz[i][k], tone_hz[i] + (k - 1) * 17.0);
    return 0;
}

int main(int argc, char **argv)
{
    AVFormatContext *fmt = NULL;
    if (argc < 2 || (argc % 2) != 0 || parse_args(argc, argv) < 0) {
        fprintf(stderr, "usage: webmprobe FILE [--colour Y,U,V]... [--tone HZ]...\n");
        return 2;
    }
    if (avformat_open_input(&fmt, argv[1], NULL, NULL) < 0 ||
        avformat_find_stream_info(fmt, NULL) < 0) {
        fprintf(stderr, "webmprobe: cannot read %s\n", argv[1]);
        return 1;
    }
    AVCodecContext *dec[8] = {0};
    int64_t first[2] = {-1, -1}, last[2] = {-1, -1}, count[2] = {0, 0};
    int pictures = 0, errors = 0;
    for (unsigned i = 0; i < fmt->nb_streams && i < 8; i++) {
        const AVCodecParameters *p = fmt->streams[i]->codecpar;
        printf("%s=%s\n", p->codec_type == AVMEDIA_TYPE_VIDEO ? "video" : "audio",
               avcodec_get_name(p->codec_id));
        if (p->codec_type == AVMEDIA_TYPE_VIDEO)
            printf("width=%d\nheight=%d\n", p->width, p->height);
        dec[i] = open_dec(fmt->streams[i]);
    }
    printf("duration_ms=%lld\n",
           fmt->duration == AV_NOPTS_VALUE ? -1LL : (long long)(fmt->duration / 1000));
    AVPacket *pkt = av_packet_alloc();
    AVFrame *frame = av_frame_alloc();
    while (av_read_frame(fmt, pkt) >= 0) {
        AVStream *s = fmt->streams[pkt->stream_index];
        int v = s->codecpar->codec_type == AVMEDIA_TYPE_VIDEO;
        int64_t ms = av_rescale_q(pkt->pts, s->time_base, (AVRational){1, 1000});
        if (first[v] < 0)
            first[v] = ms;
        last[v] = ms;
        count[v]++;
        AVCodecContext *d = pkt->stream_index < 8 ? dec[pkt->stream_index] : NULL;
        if (d && avcodec_send_packet(d, pkt) < 0)
            errors++;
        while (d && avcodec_receive_frame(d, frame) >= 0) {
            if (v)
                on_picture(frame, pictures++);
            else
                on_sound(frame);
        }
        av_packet_unref(pkt);
    }
    printf("first_video_ms=%lld\nfirst_audio_ms=%lld\n", (long long)first[1], (long long)first[0]);
    printf("last_video_ms=%lld\nlast_audio_ms=%lld\n", (long long)last[1], (long long)last[0]);
    printf("video_packets=%lld\naudio_packets=%lld\n", (long long)count[1], (long long)count[0]);
    printf("pictures=%d\ndecode_errors=%d\n", pictures, errors);
    for (int c = 0; c < n_col; c++)
        printf("colour%d=%.4f\n", c, col_samples ? (double)col_hits[c] / (double)col_samples : 0);
    for (int i = 0; i < n_tone; i++) {
        double side = (gz[i][0].sum + gz[i][2].sum) / 2 + 1e-12;
        printf("tone%d=%.1f\n", i, 10 * log10((gz[i][1].sum + 1e-12) / side));
    }
    for (int i = 0; i < 8; i++)
        avcodec_free_context(&dec[i]);
    av_frame_free(&frame);
    av_packet_free(&pkt);
    avformat_close_input(&fmt);
    return 0;
}
