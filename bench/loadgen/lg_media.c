/*
 * lg_media.c - pre-encoding of the load generator's VP8 clips (libvpx, no
 * frame dropping so every frame of the loop exists) and Opus frames.
 */
#include "lg_media.h"

#include "audio_codec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vpx/vp8cx.h>
#include <vpx/vpx_encoder.h>

static void fill(vpx_image_t *im, int f, int n, int fps, int colour, int flash)
{
    int w = (int)im->d_w, h = (int)im->d_h;
    double a = colour * 2.399963; /* golden angle: neighbours get distant hues */
    uint8_t cy = (uint8_t)(70 + (colour * 37) % 60), cu = (uint8_t)(128 + 70 * cos(a)),
            cv = (uint8_t)(128 + 70 * sin(a));
    int white = flash && f % fps >= fps / 2 && f % fps < fps / 2 + 3; /* 3 frames */
    if (white) {
        cy = 235;
        cu = cv = 128;
    }
    for (int y = 0; y < h; y++)
        memset(im->planes[0] + (size_t)y * (size_t)im->stride[0], cy, (size_t)w);
    for (int y = 0; y < (h + 1) / 2; y++) {
        memset(im->planes[1] + (size_t)y * (size_t)im->stride[1], cu, (size_t)(w + 1) / 2);
        memset(im->planes[2] + (size_t)y * (size_t)im->stride[2], cv, (size_t)(w + 1) / 2);
    }
    if (white)
        return;
    int bw = w / 8, bx = (w - bw) * f / (n > 1 ? n - 1 : 1);
    for (int y = 0; y < h; y++)
        memset(im->planes[0] + (size_t)y * (size_t)im->stride[0] + bx, 24, (size_t)bw);
}

static int store(lg_clip_t *c, vpx_codec_ctx_t *enc, int f, int flash)
{
    const vpx_codec_cx_pkt_t *pkt;
    vpx_codec_iter_t it = NULL;
    while ((pkt = vpx_codec_get_cx_data(enc, &it))) {
        if (pkt->kind != VPX_CODEC_CX_FRAME_PKT)
            continue;
        lg_frame_t *fr = &c->f[f];
        free(fr->data);
        fr->data = malloc(pkt->data.frame.sz);
        if (!fr->data)
            return -1;
        memcpy(fr->data, pkt->data.frame.buf, pkt->data.frame.sz);
        fr->len = pkt->data.frame.sz;
        fr->key = (pkt->data.frame.flags & VPX_FRAME_IS_KEY) != 0;
        fr->flash_onset = flash && f % c->fps == c->fps / 2;
    }
    return c->f[f].len > 0 ? 0 : -1;
}

int lg_clip_encode(lg_clip_t *c, int w, int h, int fps, int n, int colour, int flash)
{
    memset(c, 0, sizeof(*c));
    vpx_codec_enc_cfg_t cfg;
    vpx_codec_ctx_t enc;
    if (vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &cfg, 0) != VPX_CODEC_OK)
        return -1;
    cfg.g_w = (unsigned)w;
    cfg.g_h = (unsigned)h;
    cfg.g_timebase.num = 1;
    cfg.g_timebase.den = fps;
    cfg.rc_target_bitrate = (unsigned)(w * h * fps / 400 / 1000 + 100); /* ~300 kbit/s QVGA */
    cfg.rc_end_usage = VPX_VBR;
    cfg.rc_dropframe_thresh = 0;
    cfg.rc_min_quantizer = 4;
    cfg.rc_max_quantizer = 48;
    cfg.g_lag_in_frames = 0;
    cfg.g_threads = 1;
    cfg.g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
    cfg.kf_mode = VPX_KF_DISABLED;
    if (vpx_codec_enc_init(&enc, vpx_codec_vp8_cx(), &cfg, 0) != VPX_CODEC_OK)
        return -1;
    vpx_codec_control(&enc, VP8E_SET_CPUUSED, 8);
    vpx_image_t *im = vpx_img_alloc(NULL, VPX_IMG_FMT_I420, (unsigned)w, (unsigned)h, 32);
    c->f = calloc((size_t)n, sizeof(*c->f));
    c->n = n;
    c->fps = fps;
    int rc = im && c->f ? 0 : -1;
    for (int f = 0; f < n && rc == 0; f++) {
        fill(im, f, n, fps, colour, flash);
        vpx_enc_frame_flags_t fl = f == 0 ? VPX_EFLAG_FORCE_KF : 0;
        if (vpx_codec_encode(&enc, im, f, 1, fl, VPX_DL_REALTIME) != VPX_CODEC_OK ||
            store(c, &enc, f, flash) < 0)
            rc = -1;
    }
    vpx_img_free(im);
    vpx_codec_destroy(&enc);
    if (rc < 0 || !c->f[0].key)
        rc = -1;
    if (rc < 0)
        lg_clip_free(c);
    return rc;
}

void lg_clip_free(lg_clip_t *c)
{
    for (int i = 0; c->f && i < c->n; i++)
        free(c->f[i].data);
    free(c->f);
    memset(c, 0, sizeof(*c));
}

int lg_opus_encode(lg_opus_t *out, int n, double freq)
{
    cv_opus_enc_t *e = cv_opus_enc_create(1, 32000, 0, 0);
    if (!e)
        return -1;
    int16_t pcm[CV_AUDIO_FRAME];
    int rc = 0;
    for (int f = 0; f < n && rc == 0; f++) {
        for (int i = 0; i < CV_AUDIO_FRAME; i++) {
            double t = (double)(f * CV_AUDIO_FRAME + i) / CV_AUDIO_RATE;
            pcm[i] = (int16_t)(freq > 0 ? 8192 * sin(2 * M_PI * freq * t) : 0);
        }
        out[f].len = cv_opus_enc_encode(e, pcm, out[f].data, sizeof(out[f].data));
        if (out[f].len <= 0)
            rc = -1;
    }
    cv_opus_enc_destroy(e);
    return rc;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The samples of a WAV file's first channel (RIFF, PCM, 16 bits): *pcm
 * (malloc'd), *n of them, at *rate. 0 or -1. */
static int read_wav(const char *path, int16_t **pcm, size_t *n, int *rate)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    static uint8_t buf[16 << 20];
    size_t len = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    if (len < 12 || memcmp(buf, "RIFF", 4) != 0 || memcmp(buf + 8, "WAVE", 4) != 0)
        return -1;
    int channels = 0, bits = 0;
    for (size_t off = 12; off + 8 <= len;) {
        uint32_t sz = le32(buf + off + 4);
        const uint8_t *body = buf + off + 8;
        if (sz > len - off - 8)
            sz = (uint32_t)(len - off - 8); /* a streamed file: the rest */
        if (memcmp(buf + off, "fmt ", 4) == 0 && sz >= 16) {
            channels = body[2] | body[3] << 8;
            *rate = (int)le32(body + 4);
            bits = body[14] | body[15] << 8;
            if ((body[0] | body[1] << 8) != 1)
                return -1; /* not PCM */
        } else if (memcmp(buf + off, "data", 4) == 0) {
            if (channels < 1 || bits != 16 || *rate < 8000 || *rate > 192000)
                return -1;
            *n = sz / (size_t)(2 * channels);
            *pcm = malloc(*n * sizeof(**pcm) + 1);
            if (!*pcm)
                return -1;
            for (size_t i = 0; i < *n; i++) {
                const uint8_t *s = body + i * (size_t)(2 * channels);
                (*pcm)[i] = (int16_t)(s[0] | s[1] << 8);
            }
            return *n > 0 ? 0 : -1;
        }
        off += 8 + sz + (sz & 1);
    }
    return -1;
}

int lg_opus_encode_wav(const char *path, lg_opus_t **out, int *n)
{
    int16_t *in = NULL;
    size_t n_in = 0;
    int rate = 0;
    if (read_wav(path, &in, &n_in, &rate) < 0) {
        fprintf(stderr, "loadgen: %s: not a readable 16-bit PCM WAV file\n", path);
        free(in);
        return -1;
    }
    size_t n48 = (size_t)((double)n_in * CV_AUDIO_RATE / rate);
    int frames = (int)(n48 / CV_AUDIO_FRAME);
    cv_opus_enc_t *e = frames > 0 ? cv_opus_enc_create(1, 32000, 1, 0) : NULL;
    *out = frames > 0 ? calloc((size_t)frames, sizeof(**out)) : NULL;
    int rc = e && *out ? 0 : -1;
    if (e)
        cv_opus_enc_set_loss(e, 10);
    int16_t pcm[CV_AUDIO_FRAME];
    for (int f = 0; f < frames && rc == 0; f++) {
        for (int i = 0; i < CV_AUDIO_FRAME; i++) { /* linear interpolation */
            double t = (double)((size_t)f * CV_AUDIO_FRAME + (size_t)i) * rate / CV_AUDIO_RATE;
            size_t k = (size_t)t;
            double a = in[k < n_in ? k : n_in - 1], b = in[k + 1 < n_in ? k + 1 : n_in - 1];
            pcm[i] = (int16_t)(a + (b - a) * (t - (double)k));
        }
        (*out)[f].len = cv_opus_enc_encode(e, pcm, (*out)[f].data, sizeof((*out)[f].data));
        if ((*out)[f].len <= 0)
            rc = -1;
    }
    cv_opus_enc_destroy(e);
    free(in);
    if (rc < 0) {
        fprintf(stderr, "loadgen: %s: could not encode its speech\n", path);
        free(*out);
        *out = NULL;
        return -1;
    }
    *n = frames;
    return 0;
}

void lg_cell_luma(const uint8_t *y, int stride, int w, int h, double *out)
{
    for (int cy = 0; cy < LG_CELLS_Y; cy++)
        for (int cx = 0; cx < LG_CELLS_X; cx++) {
            int x0 = w * cx / LG_CELLS_X, x1 = w * (cx + 1) / LG_CELLS_X;
            int y0 = h * cy / LG_CELLS_Y, y1 = h * (cy + 1) / LG_CELLS_Y;
            uint64_t sum = 0, n = 0;
            for (int r = y0 + 1; r < y1; r += 4)
                for (int c = x0 + 1; c < x1; c += 4) {
                    sum += y[(size_t)r * (size_t)stride + (size_t)c];
                    n++;
                }
            out[cy * LG_CELLS_X + cx] = n ? (double)sum / (double)n : 0;
        }
}
