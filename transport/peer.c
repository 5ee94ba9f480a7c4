/*
 * peer.c - ICE + DTLS + SRTP glue for one participant (shell: reads the clock,
 * owns GLib timers). Owned by one network thread.
 * RFC 7983 demultiplexing, RFC 5764 DTLS-SRTP, RFC 5761 rtcp-mux.
 */
#include "peer.h"

#include "clock.h"
#include "demux.h"
#include "err.h"
#include "log.h"
#include "mem.h"
#include "srtp.h"
#include "stats.h"

#include <stdlib.h>

struct cv_peer {
    GMainContext *ctx;
    cv_ice_t *ice;
    cv_dtls_t *dtls;
    cv_srtp_t *srtp;
    cv_peer_cb_t cb;
    void *ud;
    int state;
    int client;       /* DTLS client: sends the ClientHello once ICE connects */
    int dtls_started; /* it did */
    GSource *dtls_timer;
    GSource *connect_timer;
    GSource *check_timer; /* the peer's first ICE check is due */
    cv_peer_stats_t stats;
    int64_t last_rx_us;
};

static void fail(cv_peer_t *p, const char *why)
{
    if (p->state == CV_PEER_FAILED)
        return;
    p->state = CV_PEER_FAILED;
    if (p->cb.on_state)
        p->cb.on_state(p->ud, CV_PEER_FAILED, why);
}

static void stop_timer(GSource **t)
{
    if (*t) {
        g_source_destroy(*t);
        g_source_unref(*t);
        *t = NULL;
    }
}

static void arm_dtls_timer(cv_peer_t *p);
static void pump_dtls(cv_peer_t *p);

static gboolean dtls_timer_cb(gpointer arg)
{
    cv_peer_t *p = arg;
    g_source_unref(p->dtls_timer);
    p->dtls_timer = NULL;
    /* a retransmitted flight is queued here: send it (and notice a failure) */
    cv_dtls_on_timeout(p->dtls, cv_now_us());
    pump_dtls(p);
    return G_SOURCE_REMOVE;
}

/* Sends what DTLS queued and follows its state. Until ICE has selected a
 * pair the output stays queued (the ClientHello can arrive before the
 * controlled side's own check has succeeded); on_ice_state sends it. */
static void pump_dtls(cv_peer_t *p)
{
    uint8_t out[2048];
    int n;
    while (cv_ice_state(p->ice) == CV_ICE_CONNECTED &&
           (n = cv_dtls_pop_output(p->dtls, out, sizeof(out))) > 0) {
        if (cv_ice_send(p->ice, out, (size_t)n) > 0) {
            cv_stats_add(CV_STAT_TX_PACKETS, 1);
            cv_stats_add(CV_STAT_TX_BYTES, (uint64_t)n);
        }
    }
    int st = cv_dtls_state(p->dtls);
    if (st == CV_DTLS_FAILED) {
        fail(p, cv_dtls_error(p->dtls));
        return;
    }
    if (st == CV_DTLS_CLOSED) { /* close_notify: the browser closed the connection */
        fail(p, "peer closed the connection");
        return;
    }
    if (st == CV_DTLS_CONNECTED && !p->srtp) {
        cv_srtp_keys_t keys;
        if (cv_dtls_get_srtp_keys(p->dtls, &keys) < 0 || !(p->srtp = cv_srtp_create(&keys))) {
            fail(p, "SRTP keys could not be set up");
            return;
        }
        stop_timer(&p->connect_timer);
        stop_timer(&p->check_timer);
        p->last_rx_us = cv_now_us(); /* the handshake just ended: the peer is there */
        p->state = CV_PEER_CONNECTED;
        if (p->cb.on_state)
            p->cb.on_state(p->ud, CV_PEER_CONNECTED, "connected");
    }
    arm_dtls_timer(p);
}

static void arm_dtls_timer(cv_peer_t *p)
{
    stop_timer(&p->dtls_timer);
    if (p->state == CV_PEER_FAILED)
        return;
    int64_t now = cv_now_us();
    int64_t at = cv_dtls_next_timeout(p->dtls, now);
    if (at < 0)
        return;
    int64_t ms = at > now ? (at - now + 999) / 1000 : 0;
    p->dtls_timer = g_timeout_source_new((guint)ms);
    g_source_set_callback(p->dtls_timer, dtls_timer_cb, p, NULL);
    g_source_attach(p->dtls_timer, p->ctx);
}

static void on_dtls(cv_peer_t *p, uint8_t *data, size_t len)
{
    if (cv_dtls_input(p->dtls, data, len, cv_now_us()) < 0) {
        p->stats.drop_dtls++;
        cv_stats_add(CV_STAT_DROP_DTLS, 1);
    }
    pump_dtls(p);
}

static void on_srtp(cv_peer_t *p, uint8_t *data, size_t len, int rtcp)
{
    if (!p->srtp) {
        p->stats.drop_early++;
        cv_stats_add(CV_STAT_DROP_NO_KEYS, 1);
        return;
    }
    int n = rtcp ? cv_srtp_unprotect_rtcp(p->srtp, data, len)
                 : cv_srtp_unprotect_rtp(p->srtp, data, len);
    if (n < 0) {
        if (n == CV_E_REPLAY)
            p->stats.drop_replay++;
        else
            p->stats.drop_srtp++;
        cv_stats_add(n == CV_E_REPLAY ? CV_STAT_DROP_SRTP_REPLAY : CV_STAT_DROP_SRTP_AUTH, 1);
        return;
    }
    p->last_rx_us = cv_now_us(); /* the peer is there: only it has the keys */
    if (rtcp && p->cb.on_rtcp)
        p->cb.on_rtcp(p->ud, data, (size_t)n);
    else if (!rtcp && p->cb.on_rtp)
        p->cb.on_rtp(p->ud, data, (size_t)n);
}

static void on_ice_recv(void *ud, uint8_t *data, size_t len)
{
    cv_peer_t *p = ud;
    p->stats.rx_packets++;
    p->stats.rx_bytes += len;
    cv_stats_add(CV_STAT_RX_PACKETS, 1);
    cv_stats_add(CV_STAT_RX_BYTES, len);
    switch (cv_demux(data, len)) {
    case CV_DEMUX_DTLS: on_dtls(p, data, len); break;
    case CV_DEMUX_RTP: on_srtp(p, data, len, 0); break;
    case CV_DEMUX_RTCP: on_srtp(p, data, len, 1); break;
    default:
        p->stats.drop_unknown++;
        cv_stats_add(CV_STAT_DROP_DEMUX, 1);
        break;
    }
}

static void on_ice_state(void *ud, int state)
{
    cv_peer_t *p = ud;
    if (state == CV_ICE_FAILED)
        fail(p, "ICE failed");
    else if (state == CV_ICE_CONNECTED) {
        /* the server side waits for the ClientHello; a client sends it now */
        if (p->client && !p->dtls_started) {
            p->dtls_started = 1;
            if (cv_dtls_start(p->dtls, cv_now_us()) < 0) {
                fail(p, "DTLS could not start");
                return;
            }
        }
        pump_dtls(p);
    }
}

/* A peer that never sent a connectivity check is not trying to connect (or
 * cannot reach us): it need not hold its resources for the whole set-up time. */
static gboolean check_timeout_cb(gpointer arg)
{
    cv_peer_t *p = arg;
    g_source_unref(p->check_timer);
    p->check_timer = NULL;
    if (p->state == CV_PEER_CONNECTING && !cv_ice_checked(p->ice) &&
        cv_ice_state(p->ice) != CV_ICE_CONNECTED)
        fail(p, "no ICE connectivity check from the peer");
    return G_SOURCE_REMOVE;
}

static gboolean connect_timeout_cb(gpointer arg)
{
    cv_peer_t *p = arg;
    g_source_unref(p->connect_timer);
    p->connect_timer = NULL;
    if (p->state == CV_PEER_CONNECTING)
        fail(p, "connection set-up timed out");
    return G_SOURCE_REMOVE;
}

cv_peer_t *cv_peer_create(GMainContext *ctx, const cv_ice_cfg_t *ice_cfg,
                          const cv_dtls_cert_t *cert, const uint8_t *remote_fp, size_t fp_len,
                          int64_t connect_timeout_us, const cv_peer_cb_t *cb, void *ud)
{
    return cv_peer_create_role(ctx, ice_cfg, cert, CV_DTLS_SERVER, remote_fp, fp_len,
                               connect_timeout_us, cb, ud);
}

cv_peer_t *cv_peer_create_role(GMainContext *ctx, const cv_ice_cfg_t *ice_cfg,
                               const cv_dtls_cert_t *cert, int dtls_role, const uint8_t *remote_fp,
                               size_t fp_len, int64_t connect_timeout_us, const cv_peer_cb_t *cb,
                               void *ud)
{
    cv_peer_t *p = cv_xcalloc(1, sizeof(*p));
    p->ctx = ctx;
    p->cb = *cb;
    p->ud = ud;
    p->state = CV_PEER_CONNECTING;
    cv_ice_cb_t icb = {.on_recv = on_ice_recv, .on_state = on_ice_state};
    p->ice = cv_ice_create(ctx, ice_cfg, &icb, p);
    if (!p->ice)
        goto fail;
    p->client = dtls_role == CV_DTLS_CLIENT;
    p->dtls = cv_dtls_create(cert, dtls_role, remote_fp, fp_len);
    if (!p->dtls)
        goto fail;
    p->connect_timer = g_timeout_source_new((guint)(connect_timeout_us / 1000));
    g_source_set_callback(p->connect_timer, connect_timeout_cb, p, NULL);
    g_source_attach(p->connect_timer, ctx);
    if (ice_cfg->check_timeout_us > 0 && ice_cfg->check_timeout_us < connect_timeout_us) {
        p->check_timer = g_timeout_source_new((guint)(ice_cfg->check_timeout_us / 1000));
        g_source_set_callback(p->check_timer, check_timeout_cb, p, NULL);
        g_source_attach(p->check_timer, ctx);
    }
    return p;
fail:
    cv_peer_destroy(p);
    return NULL;
}

void cv_peer_destroy(cv_peer_t *p)
{
    if (!p)
        return;
    stop_timer(&p->dtls_timer);
    stop_timer(&p->connect_timer);
    stop_timer(&p->check_timer);
    cv_ice_destroy(p->ice);
    cv_srtp_destroy(p->srtp);
    cv_dtls_destroy(p->dtls);
    free(p);
}

cv_ice_t *cv_peer_ice(cv_peer_t *p)
{
    return p->ice;
}

int cv_peer_set_remote_fingerprint(cv_peer_t *p, const uint8_t *fp, size_t fp_len)
{
    return cv_dtls_set_peer_fingerprint(p->dtls, fp, fp_len);
}

int cv_peer_state(const cv_peer_t *p)
{
    return p->state;
}

int64_t cv_peer_last_rx_us(const cv_peer_t *p)
{
    return p->last_rx_us;
}

void cv_peer_fail(cv_peer_t *p, const char *why)
{
    fail(p, why);
}

const cv_peer_stats_t *cv_peer_stats(const cv_peer_t *p)
{
    return &p->stats;
}

static int send_protected(cv_peer_t *p, uint8_t *buf, size_t len, size_t cap, int rtcp)
{
    if (p->state != CV_PEER_CONNECTED)
        return CV_E_STATE;
    int n = rtcp ? cv_srtp_protect_rtcp(p->srtp, buf, len, cap)
                 : cv_srtp_protect_rtp(p->srtp, buf, len, cap);
    if (n < 0)
        return n;
    int rc = cv_ice_send(p->ice, buf, (size_t)n);
    if (rc > 0) {
        p->stats.tx_packets++;
        p->stats.tx_bytes += (uint64_t)rc;
        cv_stats_add(CV_STAT_TX_PACKETS, 1);
        cv_stats_add(CV_STAT_TX_BYTES, (uint64_t)rc);
    }
    return rc;
}

int cv_peer_send_rtp(cv_peer_t *p, uint8_t *buf, size_t len, size_t cap)
{
    return send_protected(p, buf, len, cap, 0);
}

int cv_peer_send_rtcp(cv_peer_t *p, uint8_t *buf, size_t len, size_t cap)
{
    return send_protected(p, buf, len, cap, 1);
}
