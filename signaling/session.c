/*
 * session.c - a participant's session as signaling sees it: ids, what the
 * roster shows, the offer's fit to the role, admission to the mixer, the SDP
 * answer. The media path is the link's (media/link.h) and its core's.
 */
#include "session.h"

#include "candfilter.h"
#include "clock.h"
#include "err.h"
#include "link.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>
#include <sys/random.h>

struct cv_session {
    char id[CV_SESSION_ID_LEN + 1];
    char room[65]; /* "" for the echo check */
    cv_session_info_t info;
    cv_session_env_t env;
    cv_loop_t *loop; /* its network loop, held (cv_loop_pick) */
    cv_link_t *link;
    cv_mixer_room_t *mroom;
    cv_part_t *part;
};

static uint32_t rand32(void)
{
    uint32_t v = 0;
    if (getrandom(&v, sizeof(v), 0) != sizeof(v))
        abort();
    return v;
}

void cv_random_hex(char *out, size_t digits)
{
    uint8_t b[32];
    if (digits / 2 > sizeof(b) || RAND_bytes(b, (int)(digits / 2)) != 1)
        abort();
    for (size_t i = 0; i < digits / 2; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
    out[digits] = 0;
}

/* ---- the link's callbacks (its loop thread) ---- */

static void on_link_failed(void *ud)
{
    cv_session_t *s = ud;
    if (s->env.on_failed)
        s->env.on_failed(s->env.ud, s);
}

static void on_video_paused(void *ud, int paused)
{
    cv_session_t *s = ud;
    if (s->env.on_video_paused)
        s->env.on_video_paused(s->env.ud, s, paused);
}

/* ---- set-up ---- */

static const cv_sdp_media_t *find_media(const cv_sdp_offer_t *o, int kind)
{
    for (int i = 0; i < o->n_media; i++)
        if (o->media[i].kind == kind && o->media[i].accepted)
            return &o->media[i];
    return NULL;
}

/* The index of the first accepted section: the BUNDLE transport's. */
static int bundle_index(const cv_sdp_offer_t *o)
{
    for (int i = 0; i < o->n_media; i++)
        if (o->media[i].accepted)
            return i;
    return -1;
}

static int sends(const cv_sdp_media_t *m)
{
    return m && (m->direction == CV_SDP_SENDRECV || m->direction == CV_SDP_SENDONLY);
}

static int wants(const cv_sdp_media_t *m)
{
    return m && (m->direction == CV_SDP_SENDRECV || m->direction == CV_SDP_RECVONLY);
}

/* Settles the role from what the offer sends and wants (RFC 9725: a WHIP
 * publisher may only send, a WHEP viewer only receives), and which of its
 * sections we take media from. Returns NULL or why the offer does not fit. */
static const char *check_offer(int *role, const cv_sdp_media_t **am, const cv_sdp_media_t **vm)
{
    switch (*role) {
    case CV_ROLE_SCREEN:
        if (!sends(*vm))
            return "a screen share needs a video track to send";
        *am = NULL; /* a screen's sound is not mixed */
        return NULL;
    case CV_ROLE_VIEWER:
        if (!wants(*am) || !wants(*vm))
            return "a viewer must receive audio and video";
        return NULL;
    default:
        if (!wants(*am) && !wants(*vm)) { /* send-only: a publisher (OBS, GStreamer) */
            if (!sends(*am) && !sends(*vm))
                return "a publisher must send audio or video";
            *role = CV_ROLE_PUBLISHER;
            return NULL;
        }
        if (!*am || !*vm || (*am)->direction != CV_SDP_SENDRECV ||
            (*vm)->direction != CV_SDP_SENDRECV)
            return "a participant needs sendrecv audio and video";
        return NULL;
    }
}

/* The transport-wide sequence number's extension id both sections agree on
 * (one numbering over the bundle), or 0. */
static int twcc_id(const cv_sdp_media_t *am, const cv_sdp_media_t *vm)
{
    int a = am ? am->twcc_id : 0, v = vm ? vm->twcc_id : 0;
    return a && v && a != v ? 0 : a ? a : v;
}

/* What the offer negotiated, and our streams' random SSRCs and starts, for the core. */
static void core_params(cv_core_params_t *p, const cv_session_env_t *env, int role,
                        const cv_sdp_media_t *am, const cv_sdp_media_t *vm)
{
    *p = (cv_core_params_t){.a_pt = am ? am->pt : -1,
                            .v_pt = vm ? vm->pt : -1,
                            .rtx_pt = vm ? vm->rtx_pt : -1,
                            .red_pt = am ? am->red_pt : -1,
                            .twcc_id = twcc_id(am, vm),
                            .level_id = am ? am->audio_level_id : 0,
                            .sends = role == CV_ROLE_PARTICIPANT || role == CV_ROLE_VIEWER,
                            .takes = role != CV_ROLE_VIEWER,
                            .a_ssrc = rand32() | 1,
                            .v_ssrc = rand32() & ~1u,
                            .rtx_ssrc = rand32() & ~1u,
                            .a_seq0 = (uint16_t)rand32(),
                            .v_seq0 = (uint16_t)rand32(),
                            .rtx_seq0 = (uint16_t)rand32(),
                            .picture_id0 = (uint16_t)rand32(),
                            .a_ts0 = rand32(),
                            .v_ts0 = rand32(),
                            .tiers = env->tiers,
                            .wall_offset_us = cv_wall_us() - cv_now_us()};
    cv_random_hex(p->cname, 16);
    if (vm && vm->codec == CV_SDP_H264) {
        _Static_assert(sizeof(p->h264_sprop) >= sizeof(vm->sprop), "sprop sizes");
        p->v_h264 = 1;
        memcpy(p->h264_sprop, vm->sprop, sizeof(vm->sprop));
    }
}

/* The offer's candidates we check: only the BUNDLE transport's, only IP
 * literals (an mDNS .local name cannot be resolved here: the browser's checks
 * reach us anyway and become peer-reflexive candidates, RFC 8445 §7.3.1.3),
 * and only addresses a browser can be at (candfilter.h). */
static int remote_candidates(const cv_session_env_t *env, const cv_sdp_offer_t *o,
                             cv_ice_cand_t *out)
{
    cv_candfilter_t f;
    cv_candfilter_init(&f, env->private_candidates, env->ice.addresses, env->ice.n_addresses);
    int bi = bundle_index(o), n = 0;
    for (int i = 0; i < o->n_cand; i++) {
        const cv_sdp_cand_t *c = &o->cand[i];
        if ((c->mline != -1 && c->mline != bi) || !cv_candfilter_allows(&f, c->addr, c->port))
            continue;
        cv_ice_cand_t *r = &out[n++];
        snprintf(r->addr, sizeof(r->addr), "%s", c->addr);
        r->port = c->port;
        r->priority = c->priority;
        snprintf(r->foundation, sizeof(r->foundation), "%s", c->foundation);
    }
    return n;
}

/* Starts the link and writes the answer. Returns 201 or an HTTP status with *reason. */
static int start_media(cv_session_t *s, const cv_sdp_offer_t *o, const cv_core_params_t *p,
                       char *answer, size_t cap, const char **reason)
{
    cv_ice_cand_t remote[CV_SDP_MAX_CAND], local[CV_ICE_MAX_LOCAL];
    cv_link_remote_t r = {.ufrag = o->ice_ufrag,
                          .pwd = o->ice_pwd,
                          .cand = remote,
                          .n_cand = remote_candidates(&s->env, o, remote),
                          .fingerprint = o->fingerprint,
                          .fingerprint_len = o->fingerprint_len};
    char ufrag[CV_LINK_CRED_MAX], pwd[CV_LINK_CRED_MAX];
    int n = cv_link_start(s->link, s->part, &r, ufrag, pwd, local);
    if (n < 0) {
        *reason = "no media port available";
        return 503;
    }
    cv_sdp_local_cand_t cand[CV_ICE_MAX_LOCAL];
    for (int i = 0; i < n; i++) {
        _Static_assert(sizeof(cand[i].addr) == sizeof(local[i].addr), "address sizes");
        _Static_assert(sizeof(cand[i].foundation) == sizeof(local[i].foundation), "sizes");
        memcpy(cand[i].addr, local[i].addr, sizeof(cand[i].addr));
        cand[i].port = local[i].port;
        cand[i].priority = local[i].priority;
        memcpy(cand[i].foundation, local[i].foundation, sizeof(cand[i].foundation));
        cand[i].tcp = local[i].tcp;
    }
    cv_sdp_answer_params_t ap = {.ice_ufrag = ufrag,
                                 .ice_pwd = pwd,
                                 .fingerprint = cv_dtls_cert_fingerprint(s->env.cert),
                                 .fingerprint_len = 32,
                                 .cand = cand,
                                 .n_cand = n,
                                 .audio_ssrc = p->a_ssrc,
                                 .video_ssrc = p->v_ssrc,
                                 .cname = p->cname,
                                 .session_id = ((uint64_t)rand32() << 20) ^ rand32(),
                                 .send_audio = p->sends,
                                 .send_video = p->sends,
                                 .offer_fb_remb = 1,
                                 .use_rtx = p->rtx_pt >= 0,
                                 .use_red = p->red_pt >= 0,
                                 .twcc_id = p->twcc_id,
                                 .video_rtx_ssrc = p->rtx_ssrc};
    int rc = cv_sdp_build_answer(o, &ap, answer, cap);
    if (rc < 0) {
        *reason = rc == CV_E_NOSPACE ? "answer too large" : "could not build the answer";
        return 500;
    }
    return 201;
}

/* Leaves the room and frees; the link is stopped. */
static void finish(cv_session_t *s)
{
    if (s->part) /* after this no worker calls the link's cv_link_on_output */
        cv_mixer_leave(s->env.mixer, s->mroom, s->part);
    cv_link_unref(s->link);
    cv_loop_release(s->loop);
    free(s);
}

static int join_status(int err, const char **reason)
{
    *reason = err == CV_E_NOTFOUND ? "no such room"
              : err == CV_E_FULL   ? "room or server full"
                                   : "codec set-up failed";
    return err == CV_E_NOTFOUND ? 404 : err == CV_E_FULL ? 503 : 500;
}

cv_session_t *cv_session_create(const cv_session_env_t *env, const cv_sdp_offer_t *offer,
                                const char *room, const char *name, int role, const char *owner,
                                char *answer, size_t answer_cap, int *status, const char **reason)
{
    const cv_sdp_media_t *am = find_media(offer, CV_SDP_AUDIO);
    const cv_sdp_media_t *vm = find_media(offer, CV_SDP_VIDEO);
    const char *why = check_offer(&role, &am, &vm);
    if (why) {
        *status = 400;
        *reason = why;
        return NULL;
    }
    cv_session_t *s = cv_xcalloc(1, sizeof(*s));
    s->env = *env;
    cv_random_hex(s->id, CV_SESSION_ID_LEN);
    snprintf(s->room, sizeof(s->room), "%s", room ? room : "");
    cv_random_hex(s->info.public_id, 16);
    snprintf(s->info.name, sizeof(s->info.name), "%s", name ? name : "");
    s->info.role = role;
    snprintf(s->info.owner, sizeof(s->info.owner), "%s", owner ? owner : "");
    s->info.camera = 1;
    cv_core_params_t p;
    core_params(&p, env, role, am, vm);
    if (env->pin) {
        s->loop = env->pin;
        cv_loop_hold(s->loop);
    } else {
        s->loop = env->n_loops > 0 ? cv_loop_pick(env->loops, env->n_loops) : env->loop;
        if (env->n_loops <= 0)
            cv_loop_hold(s->loop);
    }
    cv_link_env_t le = {.loop = s->loop,
                        .cert = env->cert,
                        .ice = env->ice,
                        .connect_timeout_us = env->connect_timeout_us,
                        .on_failed = on_link_failed,
                        .on_video_paused = on_video_paused,
                        .ud = s};
    s->link = cv_link_new(&le, &p);
    int err = 0;
    s->part =
        cv_mixer_join(env->mixer, room, name, role, cv_link_on_output, s->link, &s->mroom, &err);
    if (s->part && p.v_h264) /* no VP8 offered: its composite is encoded as H.264 */
        cv_part_set_video_codec(s->part, CV_FRAME_H264);
    *status =
        s->part ? start_media(s, offer, &p, answer, answer_cap, reason) : join_status(err, reason);
    if (*status != 201) {
        cv_link_stop(s->link);
        finish(s);
        return NULL;
    }
    return s;
}

const char *cv_session_id(const cv_session_t *s)
{
    return s->id;
}

const char *cv_session_room(const cv_session_t *s)
{
    return s->room[0] ? s->room : NULL;
}

cv_session_info_t *cv_session_info(cv_session_t *s)
{
    return &s->info;
}

cv_part_t *cv_session_part(cv_session_t *s)
{
    return s->part;
}

cv_mixer_room_t *cv_session_mixer_room(cv_session_t *s)
{
    return s->mroom;
}

void cv_session_close(cv_session_t *s)
{
    if (!s)
        return;
    cv_link_stop(s->link);
    finish(s);
}

void cv_session_close_on_loop(cv_session_t *s)
{
    if (!s)
        return;
    cv_link_stop_on_loop(s->link);
    finish(s);
}

cv_loop_t *cv_session_loop(const cv_session_t *s)
{
    return s->loop;
}

static gboolean close_cb(gpointer arg)
{
    cv_session_close_on_loop(arg);
    return G_SOURCE_REMOVE;
}

void cv_session_close_from_loop(cv_session_t *s)
{
    if (!s)
        return;
    if (cv_loop_current() == s->loop)
        cv_session_close_on_loop(s);
    else /* never waited for: two loops waiting on each other would never return */
        cv_loop_invoke(s->loop, close_cb, s);
}
