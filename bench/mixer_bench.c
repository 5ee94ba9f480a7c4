/*
 * mixer_bench.c - offline benchmark of one room's mixer work: N participants
 * send pre-encoded VP8 (moving synthetic pictures, 30 fps) and Opus (a tone
 * each, 20 ms); the room's video and audio ticks run on one thread, as fast
 * as they can, for a given span of simulated time. Prints the CPU cost per
 * tick and what that is as a share of one core at real-time rate.
 *
 * usage: mixer_bench [--peer DIR] [participants=4] [seconds=10] [width=1280] [height=720]
 *                    [input_width=640] [input_height=480] [layout=grid] [speakers=0]
 *                    [tiers=1]
 *
 * layout grid | speaker | lecture (participant 0 the lecturer). speakers 0:
 * everyone sends a tone without an RFC 6464 level (each voice is decoded to
 * measure it); speakers s > 0: every packet carries its level, and only s
 * participants speak (in lecture: the lecturer and s students), the others
 * send silence; the loudest of them changes every 2 s. As the network thread does, video of a
 * participant the layout does not show is dropped before the room (counted), and a sender asked for
 * a key frame starts its input again from one. Participants beyond the 9th
 * reuse the first 9 inputs (the cost is the same, the set-up much shorter).
 *
 * --peer DIR: the video job as another mixer can repeat it, for
 * bench/peer_gstreamer.sh. The room draws no active-speaker border (it runs
 * in its self_monitor mode; the border is the one picture difference a plain
 * compositor pipeline would not draw), and after the run the bench writes
 * what the room was fed and how it laid it out: DIR/in<k>.ivf, participant
 * k's VP8 stream exactly as pushed (one frame per video tick, looped input),
 * and DIR/layout.txt, the grid tiles and the fitted picture rects inside them.
 * tiers 1..3: the receivers are spread over that many output tiers (the
 * composite, half its size at 500 kbit/s, a quarter at 15 fps and 150 kbit/s);
 * the room composes once and scales down for the smaller tiers.
 */
#include "audio_codec.h"
#include "compositor.h"
#include "frame.h"
#include "image.h"
#include "layout.h"
#include "room.h"
#include "video_codec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define FPS 30
#define MAX_IN_FRAMES 600 /* 20 s of input at 30 fps, looped */
#define MAX_INPUTS 9      /* distinct inputs; more participants share them */

typedef struct {
    cv_frame_t *video[MAX_IN_FRAMES];
    int n_video;
    cv_frame_t *audio[1000];
    int n_audio;
    cv_frame_t *silence; /* 20 ms of digital silence */
} input_t;

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

/* A picture of participant k at frame t: a coloured background with a
 * gradient and a square moving across it. */
static void paint(cv_image_t *im, int k, int t)
{
    uint8_t by = (uint8_t)(60 + 40 * k), bu = (uint8_t)(90 + 30 * k), bv = (uint8_t)(200 - 35 * k);
    for (int y = 0; y < im->h; y++)
        for (int x = 0; x < im->w; x++)
            im->y[y * im->stride_y + x] = (uint8_t)(by + (x + y) / 16);
    for (int y = 0; y < im->h / 2; y++)
        for (int x = 0; x < im->w / 2; x++) {
            im->u[y * im->stride_u + x] = bu;
            im->v[y * im->stride_v + x] = bv;
        }
    int sq = im->h / 4 & ~1, sx = ((t * 8) % (im->w - sq)) & ~1, sy = (im->h - sq) / 2 & ~1;
    cv_image_fill_rect(im, sx, sy, sq, sq, 235, 128, 128);
}

static int make_input(input_t *in, int k, int w, int h, int frames)
{
    cv_vp8_enc_cfg_t cfg = {.width = w,
                            .height = h,
                            .fps = FPS,
                            .bitrate_kbps = 800,
                            .threads = 1,
                            .cpu_used = -8,
                            .keyframe_max_dist = 3000};
    cv_vp8_enc_t *enc = cv_vp8_enc_create(&cfg);
    cv_image_t im;
    if (!enc || cv_image_alloc(&im, w, h) < 0)
        return -1;
    size_t cap = (size_t)w * h * 2;
    uint8_t *buf = malloc(cap);
    for (int t = 0; t < frames; t++) {
        paint(&im, k, t);
        int key = 0;
        int n = cv_vp8_enc_encode(enc, &im, (int64_t)t * 3000, buf, cap, &key);
        if (n <= 0)
            continue;
        cv_frame_t *f = cv_frame_new(CV_FRAME_VIDEO, (size_t)n);
        memcpy(f->data, buf, (size_t)n);
        f->keyframe = key;
        in->video[in->n_video++] = f;
    }
    free(buf);
    cv_image_free(&im);
    cv_vp8_enc_destroy(enc);
    cv_opus_enc_t *aenc = cv_opus_enc_create(1, 32000, 1, 1);
    int16_t pcm[CV_AUDIO_FRAME];
    uint8_t pkt[1500];
    double f0 = 300.0 + 170.0 * k;
    for (int i = 0; i < 1000; i++) {
        for (int j = 0; j < CV_AUDIO_FRAME; j++)
            pcm[j] = (int16_t)(8000 * sin(2 * M_PI * f0 * (i * CV_AUDIO_FRAME + j) / 48000.0));
        int n = cv_opus_enc_encode(aenc, pcm, pkt, sizeof(pkt));
        cv_frame_t *f = cv_frame_new(CV_FRAME_AUDIO, n > 0 ? (size_t)n : 0);
        if (n > 0)
            memcpy(f->data, pkt, (size_t)n);
        in->audio[in->n_audio++] = f;
    }
    memset(pcm, 0, sizeof(pcm));
    int ns = cv_opus_enc_encode(aenc, pcm, pkt, sizeof(pkt));
    in->silence = cv_frame_new(CV_FRAME_AUDIO, ns > 0 ? (size_t)ns : 0);
    if (ns > 0)
        memcpy(in->silence->data, pkt, (size_t)ns);
    cv_opus_enc_destroy(aenc);
    return 0;
}

static void put_le(FILE *f, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        fputc((int)((v >> (8 * i)) & 0xff), f);
}

/* Writes participant k's stream as pushed in the first `ticks` video ticks
 * to dir/in<k>.ivf (IVF: 32-byte file header, then per frame a 12-byte header
 * of size and timestamp, in units of 1/FPS s). Returns 0 or -1. */
static int dump_ivf(const char *dir, int k, const input_t *in, uint64_t ticks, int w, int h)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/in%d.ivf", dir, k);
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    fputs("DKIF", f);
    put_le(f, 0, 2);  /* version */
    put_le(f, 32, 2); /* header size */
    fputs("VP80", f);
    put_le(f, (uint64_t)w, 2);
    put_le(f, (uint64_t)h, 2);
    put_le(f, FPS, 4); /* time base: 1 / FPS */
    put_le(f, 1, 4);
    put_le(f, ticks, 4);
    put_le(f, 0, 4);
    for (uint64_t t = 0; t < ticks; t++) {
        const cv_frame_t *fr = in->video[t % (uint64_t)in->n_video];
        put_le(f, fr->len, 4);
        put_le(f, t, 8);
        fwrite(fr->data, 1, fr->len, f);
    }
    int bad = ferror(f);
    return fclose(f) == 0 && !bad ? 0 : -1;
}

/* Writes dir/layout.txt: "canvas W H fps FPS kbps K", then per tile
 * "tile i x y w h fit x y w h" (the grid rect of cv_layout_grid and the
 * aspect-kept picture rect inside it that cv_image_blit_fit fills). */
static int dump_layout(const char *dir, int n, int W, int H, int iw, int ih, int kbps)
{
    cv_rect_t r[CV_LAYOUT_MAX];
    char path[4096];
    snprintf(path, sizeof(path), "%s/layout.txt", dir);
    FILE *f = fopen(path, "w");
    if (!f || cv_layout_grid(n, W, H, r) != n) {
        if (f)
            fclose(f);
        return -1;
    }
    fprintf(f, "canvas %d %d fps %d kbps %d\n", W, H, FPS, kbps);
    for (int i = 0; i < n; i++) {
        int fx, fy, fw, fh;
        if (cv_image_fit_rect(r[i].x, r[i].y, r[i].w, r[i].h, iw, ih, &fx, &fy, &fw, &fh) < 0) {
            fclose(f);
            return -1;
        }
        fprintf(f, "tile %d %d %d %d %d fit %d %d %d %d\n", i, r[i].x, r[i].y, r[i].w, r[i].h, fx,
                fy, fw, fh);
    }
    return fclose(f) == 0 ? 0 : -1;
}

/* What a smaller tier costs made either way: the composite scaled down
 * (what the room does) against composing the n tiles again at that size. */
static void scale_vs_compose(int n, int W, int H, int iw, int ih)
{
    enum { REPS = 200 };
    cv_image_t pic, big, small;
    cv_image_alloc(&pic, iw, ih);
    paint(&pic, 1, 0);
    cv_image_alloc(&big, W, H);
    cv_tile_t tiles[CV_ROOM_MAX_PARTICIPANTS];
    for (int i = 0; i < n; i++)
        tiles[i] = (cv_tile_t){.pic = &pic, .name = "bench", .speaking = i == 0};
    cv_compose_grid(&big, tiles, n);
    for (int d = 2; d <= 4; d += 2) {
        int w = (W / d) & ~1, h = (H / d) & ~1;
        cv_image_alloc(&small, w, h);
        double c0 = cpu_s();
        for (int k = 0; k < REPS; k++)
            cv_image_blit_fit(&small, 0, 0, w, h, big.y, big.stride_y, big.u, big.stride_u, big.v,
                              big.stride_v, big.w, big.h);
        double c1 = cpu_s();
        for (int k = 0; k < REPS; k++)
            cv_compose_grid(&small, tiles, n);
        double c2 = cpu_s();
        printf("  a %dx%d tier: scaling the composite down %.3f ms, composing %d tiles again "
               "%.3f ms\n",
               w, h, 1000.0 * (c1 - c0) / REPS, n, 1000.0 * (c2 - c1) / REPS);
        cv_image_free(&small);
    }
    cv_image_free(&big);
    cv_image_free(&pic);
}

static void count_out(void *ud)
{
    (void)ud;
}

int main(int argc, char **argv)
{
    const char *dump_dir = NULL;
    if (argc > 2 && strcmp(argv[1], "--peer") == 0) {
        dump_dir = argv[2];
        argv += 2;
        argc -= 2;
    }
    int n = argc > 1 ? atoi(argv[1]) : 4;
    int secs = argc > 2 ? atoi(argv[2]) : 10;
    int W = argc > 3 ? atoi(argv[3]) : 1280, H = argc > 4 ? atoi(argv[4]) : 720;
    int iw = argc > 5 ? atoi(argv[5]) : 640, ih = argc > 6 ? atoi(argv[6]) : 480;
    if (n < 1 || n > CV_ROOM_MAX_PARTICIPANTS || secs < 1) {
        fprintf(stderr, "usage: mixer_bench [--peer DIR] [participants] [seconds] [w] [h] "
                        "[in_w] [in_h]\n");
        return 2;
    }
    const char *layout = argc > 7 ? argv[7] : "grid";
    int speakers = argc > 8 ? atoi(argv[8]) : 0;
    int n_tiers = argc > 9 ? atoi(argv[9]) : 1;
    int mode = strcmp(layout, "speaker") == 0   ? CV_LAYOUT_MODE_SPEAKER
               : strcmp(layout, "lecture") == 0 ? CV_LAYOUT_MODE_LECTURE
               : strcmp(layout, "grid") == 0    ? CV_LAYOUT_MODE_GRID
                                                : -1;
    if (mode < 0 || speakers < 0 || speakers > n || n_tiers < 1 || n_tiers > 3) {
        fprintf(stderr, "mixer_bench: layout grid, speaker or lecture; speakers 0..n\n");
        return 2;
    }
    int n_in = n < MAX_INPUTS ? n : MAX_INPUTS;
    input_t *in = calloc((size_t)n_in, sizeof(*in));
    for (int k = 0; k < n_in; k++)
        if (make_input(&in[k], k, iw, ih, 300) < 0)
            return 1;
    uint64_t *vpos = calloc((size_t)n, sizeof(*vpos)); /* each sender's place in its input */
    cv_room_cfg_t cfg = {.width = W,
                         .height = H,
                         .fps = FPS,
                         .video_kbps = 1500,
                         .audio_bps = 32000,
                         .max_participants = n,
                         .self_monitor = dump_dir != NULL,
                         .max_speakers = 0,
                         .hidden_kbps = 0,
                         .n_tiers = 3,
                         .tiers = {{W, H, FPS, 1500},
                                   {(W / 2) & ~1, (H / 2) & ~1, FPS, 500},
                                   {(W / 4) & ~1, (H / 4) & ~1, FPS / 2, 150}}};
    cv_room_t *room = cv_room_create(&cfg, 0);
    cv_part_t **parts = calloc((size_t)n, sizeof(*parts));
    for (int k = 0; k < n; k++) {
        parts[k] = cv_room_join(room, "bench", count_out, NULL);
        cv_part_set_tier(parts[k], k % n_tiers);
    }
    cv_room_set_layout(room, mode);
    if (mode == CV_LAYOUT_MODE_LECTURE)
        cv_part_set_lecturer(parts[0], 1);
    /* who speaks: everyone without levels, or the first `speakers` (in a
     * lecture the lecturer and `speakers` students) */
    int loud_to = speakers == 0 ? n : mode == CV_LAYOUT_MODE_LECTURE ? speakers + 1 : speakers;

    double video_cpu = 0, audio_cpu = 0;
    uint64_t out_frames = 0, out_bytes = 0;
    int64_t video_period = 1000000 / FPS, next_video = 0, next_audio = 0;
    uint64_t vseq = 0, aseq = 0;
    for (int64_t now = 0; now < (int64_t)secs * 1000000;) {
        if (next_audio <= next_video) {
            now = next_audio;
            for (int k = 0; k < n; k++) {
                int loud = k < loud_to;
                cv_frame_t *f = loud ? in[k % n_in].audio[aseq % 1000] : in[k % n_in].silence;
                /* frames are shared and immutable; give each push its own copy of seq */
                cv_frame_t *c = cv_frame_new(CV_FRAME_AUDIO, f->len);
                memcpy(c->data, f->data, f->len);
                c->seq = (1 << 16) + aseq;
                /* the loudest of the speakers changes every 2 s */
                int turn = (int)(now / 2000000),
                    lv = 20 + 3 * ((k + turn) % (loud_to ? loud_to : 1));
                c->level = speakers == 0 ? -1 : loud ? lv : 127;
                cv_part_push(parts[k], c);
            }
            aseq++;
            double c0 = cpu_s();
            cv_room_audio_tick(room, now);
            audio_cpu += cpu_s() - c0;
            next_audio += 20000;
        } else {
            now = next_video;
            for (int k = 0; k < n; k++) {
                /* what the network thread does for a sender not shown */
                if (cv_part_take_keyframe_needed(parts[k]))
                    vpos[k] = 0; /* the sender answers the PLI: its input restarts on a key frame */
                const input_t *ik = &in[k % n_in];
                cv_frame_t *f = ik->video[vpos[k]++ % (uint64_t)ik->n_video];
                if (cv_part_video_wanted(parts[k]))
                    cv_part_push(parts[k], cv_frame_ref(f));
                else
                    cv_part_count_hidden_drop(parts[k]);
            }
            vseq++;
            double c0 = cpu_s();
            cv_room_video_tick(room, now);
            video_cpu += cpu_s() - c0;
            next_video += video_period;
        }
        for (int k = 0; k < n; k++) {
            cv_frame_t *f;
            while ((f = cv_part_pop(parts[k]))) {
                if (k == 0 && f->kind == CV_FRAME_VIDEO) {
                    out_frames++;
                    out_bytes += f->len;
                }
                cv_frame_unref(f);
            }
        }
    }
    cv_room_stats_t st;
    cv_room_get_stats(room, &st);
    double total = video_cpu + audio_cpu;
    int shown[CV_ROOM_MAX_PARTICIPANTS];
    int n_shown = cv_room_shown(room, shown, CV_ROOM_MAX_PARTICIPANTS);
    printf("mixer_bench: %d participants, %dx%d inputs -> %dx%d composite @ %d fps, %d s "
           "simulated, layout %s, %s\n",
           n, iw, ih, W, H, FPS, secs, layout,
           speakers ? "audio levels sent" : "no audio levels (every voice decoded)");
    printf("  video ticks %llu: %.2f ms CPU each (decode the %d shown inputs + composite + one "
           "encode per tier)\n",
           (unsigned long long)st.video_ticks, 1000.0 * video_cpu / (double)st.video_ticks,
           n_shown);
    printf("  audio ticks %llu: %.3f ms CPU each (decode the speakers + mix-minus + encodes)\n",
           (unsigned long long)st.audio_ticks, 1000.0 * audio_cpu / (double)st.audio_ticks);
    printf("  decoded: %llu pictures, %llu Opus packets; dropped undecoded: %llu video frames "
           "(not shown), %llu Opus packets (not among the speakers)\n",
           (unsigned long long)st.decoded, (unsigned long long)st.audio_decoded,
           (unsigned long long)st.hidden_dropped, (unsigned long long)st.voices_dropped);
    printf("  frames encoded per tier: %llu %llu %llu (%d tier%s received)\n",
           (unsigned long long)st.tier_frames[0], (unsigned long long)st.tier_frames[1],
           (unsigned long long)st.tier_frames[2], n_tiers, n_tiers > 1 ? "s" : "");
    printf("  output: %llu frames, %.0f kbit/s, decode errors %llu\n",
           (unsigned long long)out_frames, out_bytes * 8.0 / secs / 1000.0,
           (unsigned long long)st.decode_errors);
    printf("  real-time CPU share: %.1f %% of one core (video %.1f %%, audio %.1f %%)\n",
           100.0 * total / secs, 100.0 * video_cpu / secs, 100.0 * audio_cpu / secs);
    if (dump_dir) {
        for (int k = 0; k < n; k++)
            if (dump_ivf(dump_dir, k, &in[k % n_in], vseq, iw, ih) < 0) {
                fprintf(stderr, "mixer_bench: cannot write %s/in%d.ivf\n", dump_dir, k);
                return 1;
            }
        if (dump_layout(dump_dir, n, W, H, iw, ih, cfg.video_kbps) < 0) {
            fprintf(stderr, "mixer_bench: cannot write %s/layout.txt\n", dump_dir);
            return 1;
        }
    }
    if (n_tiers > 1)
        scale_vs_compose(n, W, H, iw, ih);
    for (int k = 0; k < n; k++)
        cv_room_leave(room, parts[k]);
    cv_room_destroy(room);
    for (int k = 0; k < n_in; k++) {
        for (int i = 0; i < in[k].n_video; i++)
            cv_frame_unref(in[k].video[i]);
        for (int i = 0; i < in[k].n_audio; i++)
            cv_frame_unref(in[k].audio[i]);
        cv_frame_unref(in[k].silence);
    }
    free(parts);
    free(vpos);
    free(in);
    return st.decode_errors ? 1 : 0;
}
