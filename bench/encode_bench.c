/*
 * encode_bench.c - what an output tier costs the mixer to encode, by codec:
 * the same moving synthetic picture (a gradient, a texture scrolling 2 pixels
 * a frame, a square crossing it) through the tier encoders the room makes
 * (mixer/outtiers.c): VP8 (libvpx realtime, cpu_used -8, one thread) and H.264
 * (mixer/h264_codec.c: libx264 constrained baseline, ultrafast, zerolatency,
 * one thread), one key frame asked for every 2 s as receivers' PLIs would.
 * The first two frames are decoded afterwards, to check they are pictures of
 * the tier's size. Prints
 * the CPU time per output frame and the share of one core that tier takes in
 * real time.
 *
 * usage: encode_bench [seconds=10] [width=1280] [height=720] [kbps=1500] [fps=30]
 * Exits 1 when an encoder cannot be made or a frame does not decode.
 */
#include "err.h"
#include "h264_codec.h"
#include "image.h"
#include "video_codec.h"

#include <libavutil/log.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

/* Frame t of the picture. */
static void paint(cv_image_t *im, int t)
{
    int w = im->w, h = im->h;
    for (int r = 0; r < h; r++)
        for (int c = 0; c < w; c++) {
            unsigned x = (unsigned)(c + 2 * t), n = x * 2654435761u ^ (unsigned)r * 40503u;
            im->y[r * im->stride_y + c] = (uint8_t)(40 + (c + r) / 12 + ((n >> 13) & 31));
        }
    for (int r = 0; r < h / 2; r++)
        for (int c = 0; c < w / 2; c++) {
            im->u[r * im->stride_u + c] = (uint8_t)(100 + c / 20);
            im->v[r * im->stride_v + c] = (uint8_t)(150 - r / 10);
        }
    int sq = h / 4, x0 = (t * 8) % (w - sq), y0 = (h - sq) / 2;
    for (int r = y0; r < y0 + sq; r++)
        memset(im->y + r * im->stride_y + x0, 230, (size_t)sq);
}

typedef struct {
    uint8_t *data[2];
    size_t len[2];
    int key[2];
} kept_t;

/* Encodes n frames with one codec (h264 0: VP8); keeps the first two for the
 * decode check. Returns the CPU seconds, or -1. */
static double run(int h264, const cv_image_t *pics, int npics, int n, int fps, int kbps,
                  size_t *bytes, int *frames, kept_t *kept)
{
    cv_vp8_enc_cfg_t vc = {.width = pics[0].w,
                           .height = pics[0].h,
                           .fps = fps,
                           .bitrate_kbps = kbps,
                           .threads = 1,
                           .cpu_used = -8,
                           .keyframe_max_dist = 3000};
    cv_h264_enc_cfg_t hc = {
        .width = pics[0].w, .height = pics[0].h, .fps = fps, .bitrate_kbps = kbps};
    cv_vp8_enc_t *ve = h264 ? NULL : cv_vp8_enc_create(&vc);
    cv_h264_enc_t *he = h264 ? cv_h264_enc_create(&hc) : NULL;
    if (!ve && !he)
        return -1;
    size_t cap = (size_t)pics[0].w * (size_t)pics[0].h * 3 / 2 + 4096;
    uint8_t *buf = malloc(cap);
    *bytes = 0;
    *frames = 0;
    double t0 = cpu_s();
    for (int i = 0; i < n; i++) {
        int key = 0, want = i > 0 && i % (2 * fps) == 0;
        int64_t pts = (int64_t)i * 90000 / fps;
        const cv_image_t *im = &pics[i % npics];
        int len;
        if (h264) {
            if (want)
                cv_h264_enc_request_keyframe(he);
            len = cv_h264_enc_encode(he, im, pts, buf, cap, &key);
        } else {
            if (want)
                cv_vp8_enc_request_keyframe(ve);
            len = cv_vp8_enc_encode(ve, im, pts, buf, cap, &key);
        }
        if (len < 0)
            break;
        if (len == 0)
            continue;
        *bytes += (size_t)len;
        int slot = *frames < 2 ? *frames : -1;
        (*frames)++;
        if (slot >= 0) {
            kept->data[slot] = malloc((size_t)len);
            memcpy(kept->data[slot], buf, (size_t)len);
            kept->len[slot] = (size_t)len;
            kept->key[slot] = key;
        }
    }
    double used = cpu_s() - t0;
    free(buf);
    cv_vp8_enc_destroy(ve);
    cv_h264_enc_destroy(he);
    return used;
}

/* The first two frames kept decode to pictures of the tier's size. */
static int decodes(int h264, const kept_t *k, int w, int h)
{
    cv_vp8_dec_t *vd = h264 ? NULL : cv_vp8_dec_create();
    cv_h264_dec_t *hd = h264 ? cv_h264_dec_create() : NULL;
    int ok = k->key[0] && (vd || hd);
    for (int i = 0; i < 2 && ok; i++) {
        cv_image_t out;
        int rc = h264 ? cv_h264_dec_decode(hd, k->data[i], k->len[i], k->key[i], &out)
                      : cv_vp8_dec_decode(vd, k->data[i], k->len[i], &out);
        ok = rc == 1 && out.w == w && out.h == h;
    }
    cv_vp8_dec_destroy(vd);
    cv_h264_dec_destroy(hd);
    return ok;
}

int main(int argc, char **argv)
{
    int seconds = argc > 1 ? atoi(argv[1]) : 10;
    int w = argc > 2 ? atoi(argv[2]) : 1280, h = argc > 3 ? atoi(argv[3]) : 720;
    int kbps = argc > 4 ? atoi(argv[4]) : 1500, fps = argc > 5 ? atoi(argv[5]) : 30;
    if (seconds < 1 || seconds > 600 || w < 64 || h < 64 || w > 1920 || h > 1080 || (w | h) & 1 ||
        kbps < 10 || kbps > 50000 || fps < 1 || fps > 60) {
        fprintf(stderr, "usage: encode_bench [seconds] [width] [height] [kbps] [fps]\n");
        return 2;
    }
    av_log_set_level(AV_LOG_QUIET);
    enum { NPICS = 60 }; /* painted once: the bench times the encoders alone */
    cv_image_t *pics = calloc(NPICS, sizeof(*pics));
    for (int i = 0; i < NPICS; i++) {
        cv_image_alloc(&pics[i], w, h);
        paint(&pics[i], i);
    }
    int n = seconds * fps, rc = 0;
    static const char *const names[2] = {"VP8 (libvpx realtime)", "H.264 (libx264 baseline)"};
    for (int c = 0; c < 2; c++) {
        kept_t k = {0};
        size_t bytes;
        int frames;
        double s = run(c, pics, NPICS, n, fps, kbps, &bytes, &frames, &k);
        int ok = s >= 0 && frames > 0 && decodes(c, &k, w, h);
        if (!ok) {
            printf("%s: %s\n", names[c], s < 0 ? "no encoder" : "a frame did not decode");
            rc = 1;
        } else {
            double ms = s * 1000 / frames;
            printf("%-26s %dx%d@%d %d kbit/s: %.2f ms CPU an output frame, %.1f %% of a core; "
                   "%d frames, %.0f kbit/s made\n",
                   names[c], w, h, fps, kbps, ms, ms * fps / 10, frames,
                   (double)bytes * 8 / 1000 / seconds);
        }
        for (int i = 0; i < 2; i++)
            free(k.data[i]);
    }
    for (int i = 0; i < NPICS; i++)
        cv_image_free(&pics[i]);
    free(pics);
    return rc;
}
