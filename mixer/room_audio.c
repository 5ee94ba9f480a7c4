/*
 * room_audio.c - the audio tick of a room: measuring every voice (RFC 6464
 * levels or decoding), choosing the speakers, mixing them and encoding the
 * shared mix once plus a mix-minus for each listener who is heard. Run by a
 * mixer worker, time as an argument.
 * Mix-minus: docs/ARCHITECTURE.md, Output tiers.
 */
#include "room_int.h"

#include "audio_mix.h"
#include "stats.h"

#include <string.h>

#define SPEECH_DBFS -50.0       /* louder than this is speech (or at least sound) */
#define HANGOVER_US 400000      /* keep mixing a voice this long after it went quiet */
#define SPEAKER_HOLD_US 1000000 /* the active speaker border moves at most once a second */
#define DTX_SENT 3              /* DTX packets sent at the start of a DTX period */
#define OWN_MIX_HOLD_US 400000  /* a listener keeps its own encoder this long after it was heard */
#define LEVEL_KEEP_US 60000     /* a header level stands this long without a newer packet */
#define SPEAKER_MARGIN_DB 3.0   /* a voice must be this much louder to take a speaker's place */

/* Moves the arrived packets into the playout buffer and notes the newest
 * RFC 6464 level (RFC 6464 §3: 0 loudest .. 127 silence, in -dBov). */
static void ingest(cv_part_t *p, int64_t now)
{
    cv_frame_t *f;
    while ((f = cv_queue_pop(&p->ain))) {
        p->level_ext = f->level >= 0 && f->level <= 127;
        if (p->level_ext) {
            double db = -(double)f->level;
            /* the loudest of the packets that came in this period */
            if (p->hdr_us != now || db > p->hdr_db)
                p->hdr_db = db;
            p->hdr_us = now;
        }
        cv_playout_push(&p->playout, f);
    }
}

/* Fills the FIFO with at least one 20 ms frame if the input has one. */
static void pull_audio(cv_room_stats_t *st, cv_part_t *p)
{
    cv_frame_t *f;
    int room_left = (int)(sizeof(p->fifo) / sizeof(p->fifo[0])) - p->fifo_len;
    while (p->fifo_len < CV_AUDIO_FRAME) {
        const cv_frame_t *fec;
        int what = cv_playout_pop(&p->playout, &f, &fec);
        int got = 0;
        if (what == CV_PLAYOUT_SILENT)
            break;
        if (what == CV_PLAYOUT_FRAME) {
            got = cv_opus_dec_decode(p->adec, f->data, f->len, p->fifo + p->fifo_len,
                                     room_left - CV_AUDIO_FRAME >= CV_AUDIO_MAX_FRAME
                                         ? CV_AUDIO_MAX_FRAME
                                         : CV_AUDIO_FRAME,
                                     0);
            cv_frame_unref(f);
        } else {
            got = cv_opus_dec_decode(p->adec, fec ? fec->data : NULL, fec ? fec->len : 0,
                                     p->fifo + p->fifo_len, CV_AUDIO_FRAME, fec ? 1 : 0);
            st->concealed++;
        }
        atomic_fetch_add(&p->n_adecoded, 1);
        if (got <= 0)
            got = 0;
        p->fifo_len += got;
        room_left -= got;
        if (got == 0)
            break;
    }
}

/* A voice not heard this period: its next 20 ms leave the playout buffer
 * undecoded (counted), so it stays in time for when it is heard again. */
static void skip_frame(cv_part_t *p)
{
    cv_frame_t *f;
    const cv_frame_t *fec;
    if (cv_playout_pop(&p->playout, &f, &fec) == CV_PLAYOUT_FRAME) {
        cv_frame_unref(f);
        atomic_fetch_add(&p->n_vdropped, 1);
    }
    p->fifo_len = 0;
    p->has_cur = 0;
    p->skipped = 1;
}

/* Takes this tick's 20 ms of an input into p->cur (decoding it); returns
 * its PCM level in dBFS. A voice that was skipped starts clean. */
static double take_frame(cv_room_stats_t *st, cv_part_t *p)
{
    if (p->skipped) {
        cv_opus_dec_reset(p->adec);
        p->fifo_len = 0;
        p->skipped = 0;
    }
    pull_audio(st, p);
    p->has_cur = p->fifo_len >= CV_AUDIO_FRAME;
    if (!p->has_cur)
        return -180.0;
    memcpy(p->cur, p->fifo, sizeof(p->cur));
    p->fifo_len -= CV_AUDIO_FRAME;
    memmove(p->fifo, p->fifo + CV_AUDIO_FRAME, (size_t)p->fifo_len * sizeof(int16_t));
    st->audio_frames++;
    return cv_mix_level_dbfs(p->cur, CV_AUDIO_FRAME);
}

/* Level of this period: sound keeps a voice a candidate for HANGOVER_US. */
static void measure(cv_part_t *p, double db, int64_t now)
{
    p->level_db = db;
    if (db > SPEECH_DBFS)
        p->loud_until_us = now + HANGOVER_US;
    p->ema_db = 0.8 * p->ema_db + 0.2 * (db < -100 ? -100 : db);
}

/* A voice that may be mixed: not a viewer's, not muted, sound lately. */
static int candidate(const cv_part_t *p, int64_t now)
{
    return p->role != CV_ROLE_VIEWER && !atomic_load(&cv_part_mut(p)->muted) &&
           p->loud_until_us > now;
}

/* Measures every input: from the RFC 6464 level in the packets when the
 * sender sends it (nothing decoded yet), else by decoding it. */
static void measure_all(cv_room_stats_t *st, cv_part_t **parts, int n, int64_t now)
{
    for (int i = 0; i < n; i++) {
        cv_part_t *p = parts[i];
        ingest(p, now);
        if (p->role == CV_ROLE_VIEWER || atomic_load(&p->muted)) {
            skip_frame(p);
            p->loud_until_us = 0;
            measure(p, -180.0, now);
        } else if (p->level_ext) {
            p->has_cur = 0;
            measure(p, now - p->hdr_us <= LEVEL_KEEP_US ? p->hdr_db : -127.0, now);
        } else {
            measure(p, take_frame(st, p), now);
        }
    }
}

/* The speakers: the loudest max_speakers candidates, a speaker keeping its
 * place unless another is SPEAKER_MARGIN_DB louder. */
static void select_speakers(cv_room_t *r, cv_part_t **parts, int n, int64_t now)
{
    double *db = r->as.db;
    int *cand = r->as.cand, *was = r->as.was, *sel = r->as.sel;
    for (int i = 0; i < n; i++) {
        db[i] = parts[i]->ema_db;
        cand[i] = candidate(parts[i], now);
        was[i] = parts[i]->selected;
    }
    cv_mix_pick(db, cand, was, n, r->cfg.max_speakers, SPEAKER_MARGIN_DB, sel);
    for (int i = 0; i < n; i++) {
        parts[i]->selected = sel[i];
        atomic_store(&parts[i]->speaking, sel[i]);
    }
}

/* Decodes the speakers who send levels; the other voices' packets are dropped. */
static void decode_speakers(cv_room_stats_t *st, cv_part_t **parts, int n)
{
    for (int i = 0; i < n; i++) {
        cv_part_t *p = parts[i];
        if (p->role == CV_ROLE_VIEWER || atomic_load(&p->muted) || !p->level_ext)
            continue; /* dropped or decoded already */
        if (p->selected)
            take_frame(st, p);
        else
            skip_frame(p);
    }
}

/* A voice in the mix: one of the speakers, with sound this period. */
static int heard(const cv_part_t *p, int64_t now)
{
    (void)now;
    return p->selected && p->has_cur;
}

/* The active speaker: the loudest voice being heard, held for a second. */
static void pick_speaker(cv_room_t *r, cv_part_t **parts, int n, int64_t now)
{
    int cur = atomic_load(&r->active_index);
    cv_part_t *best = NULL, *current = NULL;
    for (int i = 0; i < n; i++) {
        if (parts[i]->index == cur)
            current = parts[i];
        if (heard(parts[i], now) && (!best || parts[i]->ema_db > best->ema_db))
            best = parts[i];
    }
    if (!best || best == current)
        return;
    if (current && heard(current, now) && now - r->active_since_us < SPEAKER_HOLD_US)
        return;
    atomic_store(&r->active_index, best->index);
    r->active_since_us = now;
}

/* Sends a listener this tick's packet. The first DTX_SENT DTX packets
 * (1-2 bytes) of a DTX period go out, so the receiver knows the silence is
 * meant and plays comfort noise instead of concealing a loss (sent more than
 * once: one lost would leave up to 400 ms concealed); the following ones are
 * left out (the RTP clock runs on across the gap). */
static void send_audio(cv_part_t *p, cv_frame_t *f)
{
    if (f->len > CV_OPUS_DTX_MAX_BYTES)
        p->sent_dtx = 0;
    else if (p->sent_dtx >= DTX_SENT)
        return;
    else
        p->sent_dtx++;
    cv_part_deliver(p, f);
    cv_part_notify(p);
}

static cv_frame_t *encode_audio(const cv_room_t *r, cv_opus_enc_t *enc, const int16_t *pcm,
                                uint32_t ts, int64_t now)
{
    uint8_t pkt[1500];
    int64_t t0 = cv_room_clk(r);
    /* DTX only while the mix is quiet: Opus's voice detector takes a steady
     * sound (a held note, a tone) for background and would drop it */
    cv_opus_enc_set_dtx(enc, cv_mix_level_dbfs(pcm, CV_AUDIO_FRAME) <= SPEECH_DBFS);
    int n = cv_opus_enc_encode(enc, pcm, pkt, sizeof(pkt));
    cv_stats_add(CV_STAT_AUDIO_ENCODE_US, (uint64_t)(cv_room_clk(r) - t0));
    cv_stats_add(CV_STAT_AUDIO_ENCODED, 1);
    if (n <= 0)
        return NULL; /* an error: nothing to send this period */
    cv_frame_t *f = cv_frame_new(CV_FRAME_AUDIO, (size_t)n);
    memcpy(f->data, pkt, (size_t)n);
    f->rtp_ts = ts;
    f->t_us = now;
    return f;
}

/* Sizes an encoder's in-band FEC for the worst receiver report of those who
 * may hear it (RFC 6716 §2.1.7; fraction lost x 256 -> %). */
static void set_expected_loss(cv_opus_enc_t *enc, cv_part_t **listeners, int n)
{
    int worst = 0;
    for (int i = 0; i < n; i++)
        if (cv_part_receives(listeners[i]) && atomic_load(&listeners[i]->receive_loss) > worst)
            worst = atomic_load(&listeners[i]->receive_loss);
    cv_opus_enc_set_loss(enc, (worst * 100 + 255) / 256);
}

/* Whether a listener's mix is its own encode (mix-minus): while it is heard,
 * and for OWN_MIX_HOLD_US after, so that a voice flickering in and out of
 * the mix (jittery arrival) does not flip its listener between two encoders
 * whose states have nothing in common. Updates the hold. */
static int own_mix(const cv_room_t *r, cv_part_t *p, int is_heard, int64_t now)
{
    if (r->cfg.self_monitor || p->role != CV_ROLE_PARTICIPANT)
        return 0;
    if (is_heard)
        p->own_until_us = now + OWN_MIX_HOLD_US;
    return is_heard || now < p->own_until_us;
}

void cv_room_audio_tick(cv_room_t *r, int64_t now_us)
{
    int n = cv_room_snapshot(r, &r->as);
    if (n == 0)
        return;
    cv_part_t **parts = r->as.parts;
    /* the voices heard: at most max_speakers, wherever they are in the list */
    cv_mix_in_t in[CV_ROOM_MAX_SPEAKERS];
    int n_in = 0;
    cv_room_stats_t st = {0};
    int64_t t0 = cv_room_clk(r);
    measure_all(&st, parts, n, now_us);
    select_speakers(r, parts, n, now_us);
    decode_speakers(&st, parts, n);
    cv_stats_add(CV_STAT_AUDIO_DECODE_US, (uint64_t)(cv_room_clk(r) - t0));
    cv_stats_add(CV_STAT_AUDIO_DECODED, st.audio_frames + st.concealed);
    for (int i = 0; i < n && n_in < CV_ROOM_MAX_SPEAKERS; i++)
        if (heard(parts[i], now_us))
            in[n_in++].pcm = parts[i]->cur;
    pick_speaker(r, parts, n, now_us);
    int32_t total[CV_AUDIO_FRAME];
    int16_t mix[CV_AUDIO_FRAME];
    cv_mix_sum(in, n_in, total);
    /* one RTP clock for all: 960 per elapsed 20 ms */
    uint32_t ts = (uint32_t)((now_us - r->start_us) / 20000) * CV_AUDIO_FRAME;
    /* the shared mix (everyone heard) goes to every receiver who is not heard */
    int need_shared = r->cfg.self_monitor;
    for (int i = 0; i < n; i++)
        if (cv_part_receives(parts[i]) && !own_mix(r, parts[i], heard(parts[i], now_us), now_us))
            need_shared = 1;
    cv_frame_t *shared = NULL;
    if (need_shared) {
        set_expected_loss(r->aenc_shared, parts, n);
        cv_mix_minus(total, NULL, mix);
        shared = encode_audio(r, r->aenc_shared, mix, ts, now_us);
    }
    for (int i = 0; i < n; i++) {
        cv_part_t *p = parts[i];
        cv_frame_t *f = NULL;
        if (!cv_part_receives(p))
            continue;
        int is_heard = heard(p, now_us);
        if (own_mix(r, p, is_heard, now_us)) {
            if (!p->aenc)
                p->aenc = cv_opus_enc_create(1, r->cfg.audio_bps, 1, 1);
            if (p->aenc) {
                set_expected_loss(p->aenc, &p, 1);
                cv_mix_minus(total, is_heard ? p->cur : NULL, mix); /* everyone but themselves */
                f = encode_audio(r, p->aenc, mix, ts, now_us);
            }
        } else if (shared) {
            f = cv_frame_ref(shared);
        }
        if (f) {
            send_audio(p, f);
            cv_frame_unref(f);
        }
    }
    cv_frame_unref(shared);
    pthread_mutex_lock(&r->lock);
    r->stats.concealed += st.concealed;
    r->stats.audio_frames += st.audio_frames;
    r->stats.audio_ticks++;
    pthread_mutex_unlock(&r->lock);
    cv_room_release(parts, n);
}
