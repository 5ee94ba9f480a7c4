/*
 * link.c - the shell of a media session (link.h): the transport, one timer
 * and the mixer's participant around a pure core. Reads the clock, owns GLib
 * sources; every core call happens on the loop thread.
 */
#include "link.h"

#include "clock.h"
#include "err.h"
#include "ice.h"
#include "log.h"
#include "mem.h"
#include "peer.h"
#include "stats.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

struct cv_link {
    atomic_int refs;
    cv_link_env_t env;
    cv_core_t *core;
    cv_peer_t *peer;
    cv_part_t *part;
    cv_loop_timer_t *timer; /* fires at the core's deadline */
    int ready;              /* started on the loop: peer and part may be used */
    int closed;
    int failed;               /* the owner was told */
    int v_pt, rtx_pt;         /* the participant's video: what the room's view applies to */
    atomic_int flush_pending; /* on the loop's pending list (work), holding a reference */
    cv_loop_work_t work;
};

static cv_link_t *link_ref(cv_link_t *l)
{
    atomic_fetch_add(&l->refs, 1);
    return l;
}

void cv_link_unref(cv_link_t *l)
{
    if (!l || atomic_fetch_sub(&l->refs, 1) != 1)
        return;
    cv_core_free(l->core);
    free(l);
}

/* ---- carrying out the core's output (loop thread) ---- */

static gboolean failed_cb(gpointer arg)
{
    cv_link_t *l = arg;
    if (!l->closed && l->env.on_failed)
        l->env.on_failed(l->env.ud);
    cv_link_unref(l);
    return G_SOURCE_REMOVE;
}

/* Tells the owner once, from a callback of its own (never from inside the
 * peer's or the core's). */
static void report_failure(cv_link_t *l)
{
    if (l->failed)
        return;
    l->failed = 1;
    cv_loop_invoke(l->env.loop, failed_cb, link_ref(l));
}

static void on_event(cv_link_t *l, const cv_core_out_t *o)
{
    switch (o->event) {
    case CV_CORE_EV_KEYFRAME: cv_part_request_keyframe(l->part); break;
    case CV_CORE_EV_TIER: {
        const cv_tier_ctl_t *t = cv_core_tier_ctl(l->core);
        CV_DEBUG("session: output tier %d (%s: REMB %lld kbit/s, loss %d/256, mean %d/256, "
                 "delivered at the last queue %lld kbit/s)",
                 o->value, o->why, (long long)(t->remb_bps / 1000), t->last_loss, t->avg_loss,
                 (long long)(t->ceiling_bps / 1000));
        cv_part_set_tier(l->part, o->value);
        break;
    }
    case CV_CORE_EV_PAUSED:
        if (l->env.on_video_paused)
            l->env.on_video_paused(l->env.ud, o->value);
        break;
    case CV_CORE_EV_RECEIVE_LOSS: cv_part_set_receive_loss(l->part, o->value); break;
    case CV_CORE_EV_HIDDEN_DROP: cv_part_count_hidden_drop(l->part); break;
    case CV_CORE_EV_DEAD: cv_peer_fail(l->peer, o->why); break;
    }
}

/* Everything the core has to say, then its timer set to its next deadline. */
static void pump(cv_link_t *l)
{
    cv_core_out_t o;
    int64_t now = cv_now_us();
    cv_ice_batch_begin(); /* what the core has to send leaves together */
    while (cv_core_poll(l->core, &o) != CV_CORE_NONE) {
        switch (o.kind) {
        case CV_CORE_RTP: cv_peer_send_rtp(l->peer, o.pkt, o.len, o.cap); break;
        case CV_CORE_RTCP: cv_peer_send_rtcp(l->peer, o.pkt, o.len, o.cap); break;
        case CV_CORE_FRAME: {
            int video = o.frame->kind == CV_FRAME_VIDEO;
            if (cv_part_push(l->part, o.frame) < 0) {
                cv_stats_add(CV_STAT_DROP_QUEUE_FULL, 1);
                if (video)
                    cv_core_frame_lost(l->core, now);
            }
            break;
        }
        case CV_CORE_EVENT: on_event(l, &o); break;
        }
    }
    cv_ice_batch_end();
    cv_loop_timer_set(l->timer, cv_core_deadline(l->core));
}

/* What the room wants of this sender now, for the core's next step. */
static void refresh_view(cv_link_t *l, int64_t now)
{
    cv_core_set_view(l->core, cv_part_video_wanted(l->part), cv_part_send_cap_kbps(l->part), now);
    if (cv_part_take_decoder_error(l->part) | cv_part_take_keyframe_needed(l->part))
        cv_core_request_keyframe(l->core, now);
}

/* ---- inputs (loop thread) ---- */

static void on_rtp(void *ud, uint8_t *pkt, size_t len)
{
    cv_link_t *l = ud;
    int64_t now = cv_now_us();
    int pt = len > 1 ? pkt[1] & 0x7f : -1;
    if (pt >= 0 && (pt == l->v_pt || pt == l->rtx_pt)) /* the timer refreshes it too */
        refresh_view(l, now);
    cv_core_on_rtp(l->core, pkt, len, now);
    pump(l);
}

static void on_rtcp(void *ud, uint8_t *pkt, size_t len)
{
    cv_link_t *l = ud;
    cv_core_on_rtcp(l->core, pkt, len, cv_now_us());
    pump(l);
}

static void on_peer_state(void *ud, int state, const char *why)
{
    cv_link_t *l = ud;
    if (state == CV_PEER_CONNECTED) {
        CV_INFO("session connected");
        cv_core_on_connected(l->core, cv_now_us());
        pump(l);
    } else if (state == CV_PEER_FAILED) {
        CV_INFO("session failed: %s", why);
        report_failure(l);
    }
}

static void on_timer(void *ud)
{
    cv_link_t *l = ud;
    if (!l->ready || l->closed)
        return;
    int64_t now = cv_now_us();
    refresh_view(l, now);
    cv_core_on_timeout(l->core, now);
    pump(l);
}

/* Posted work: the loop takes every link with output in one dispatch. */
static void flush_work(cv_loop_work_t *w)
{
    cv_link_t *l = (cv_link_t *)((char *)w - offsetof(cv_link_t, work));
    atomic_store(&l->flush_pending, 0); /* output from here on posts the link again */
    /* The room may have output before the link started on this thread (the
     * join comes first): such frames wait, and the core drops them until the
     * transport is connected. */
    if (l->ready && !l->closed) {
        cv_frame_t *f;
        while ((f = cv_part_pop(l->part))) {
            cv_core_on_frame(l->core, f, cv_now_us());
            cv_frame_unref(f);
            pump(l);
        }
    }
    cv_link_unref(l);
}

void cv_link_on_output(void *ud)
{
    cv_link_t *l = ud;
    if (atomic_exchange(&l->flush_pending, 1))
        return;
    cv_loop_post(l->env.loop, &link_ref(l)->work);
}

/* ---- life ---- */

cv_link_t *cv_link_new(const cv_link_env_t *env, const cv_core_params_t *params)
{
    cv_link_t *l = cv_xcalloc(1, sizeof(*l));
    atomic_init(&l->refs, 1);
    l->work.fn = flush_work;
    l->env = *env;
    l->core = cv_core_new(params);
    l->v_pt = params->v_pt;
    l->rtx_pt = params->rtx_pt;
    return l;
}

struct start {
    cv_link_t *l;
    const cv_link_remote_t *remote;
    char *ufrag, *pwd;
    cv_ice_cand_t *local;
    int rc;
};

static void start_on_loop(void *arg)
{
    struct start *st = arg;
    cv_link_t *l = st->l;
    const cv_link_remote_t *r = st->remote;
    cv_peer_cb_t cb = {.on_rtp = on_rtp, .on_rtcp = on_rtcp, .on_state = on_peer_state};
    l->peer = cv_peer_create(cv_loop_context(l->env.loop), &l->env.ice, l->env.cert, r->fingerprint,
                             r->fingerprint_len, l->env.connect_timeout_us, &cb, l);
    if (!l->peer) {
        st->rc = CV_E_NOSPACE;
        return;
    }
    cv_ice_t *ice = cv_peer_ice(l->peer);
    cv_ice_set_remote(ice, r->ufrag, r->pwd);
    for (int i = 0; i < r->n_cand; i++)
        cv_ice_add_remote_candidate(ice, r->cand[i].addr, r->cand[i].port, r->cand[i].priority,
                                    r->cand[i].foundation);
    snprintf(st->ufrag, CV_LINK_CRED_MAX, "%s", cv_ice_ufrag(ice));
    snprintf(st->pwd, CV_LINK_CRED_MAX, "%s", cv_ice_pwd(ice));
    const cv_ice_cand_t *lc;
    int n = cv_ice_local_candidates(ice, &lc);
    for (int i = 0; i < n && i < CV_ICE_MAX_LOCAL; i++)
        st->local[i] = lc[i];
    l->timer = cv_loop_timer_new(l->env.loop, on_timer, l);
    l->ready = 1;
    st->rc = n < CV_ICE_MAX_LOCAL ? n : CV_ICE_MAX_LOCAL;
}

int cv_link_start(cv_link_t *l, cv_part_t *part, const cv_link_remote_t *remote, char *ufrag,
                  char *pwd, cv_ice_cand_t *local)
{
    l->part = part;
    struct start st = {.l = l, .remote = remote, .ufrag = ufrag, .pwd = pwd, .local = local};
    cv_loop_call_sync(l->env.loop, start_on_loop, &st);
    return st.rc;
}

void cv_link_stop_on_loop(cv_link_t *l)
{
    l->closed = 1;
    cv_loop_timer_free(l->timer);
    l->timer = NULL;
    cv_peer_destroy(l->peer);
    l->peer = NULL;
    l->ready = 0;
}

static void stop_cb(void *arg)
{
    cv_link_stop_on_loop(arg);
}

void cv_link_stop(cv_link_t *l)
{
    cv_loop_call_sync(l->env.loop, stop_cb, l);
}
