/*
 * test_peer.c - a client peer (ICE controlling, DTLS client) against a server
 * peer (ICE controlled, DTLS server) over 127.0.0.1 on one GMainContext: both
 * connect, SRTP keys match in both directions (an RTP and an RTCP packet each
 * way arrive decrypted and unchanged), and a client that expects another
 * fingerprint fails instead of connecting.
 */
#include "check.h"

#include "clock.h"
#include "err.h"
#include "peer.h"

#include <string.h>

typedef struct {
    int state;
    char why[128];
    uint8_t last_rtp[256], last_rtcp[256];
    size_t rtp_len, rtcp_len;
} side_t;

static void on_rtp(void *ud, uint8_t *pkt, size_t len)
{
    side_t *s = ud;
    s->rtp_len = len < sizeof(s->last_rtp) ? len : sizeof(s->last_rtp);
    memcpy(s->last_rtp, pkt, s->rtp_len);
}

static void on_rtcp(void *ud, uint8_t *pkt, size_t len)
{
    side_t *s = ud;
    s->rtcp_len = len < sizeof(s->last_rtcp) ? len : sizeof(s->last_rtcp);
    memcpy(s->last_rtcp, pkt, s->rtcp_len);
}

static void on_state(void *ud, int state, const char *why)
{
    side_t *s = ud;
    s->state = state;
    snprintf(s->why, sizeof(s->why), "%s", why);
}

/* Iterates ctx until done() or timeout_ms passed. */
static void spin(GMainContext *ctx, int (*done)(side_t *, side_t *), side_t *a, side_t *b,
                 int timeout_ms)
{
    int64_t end = cv_now_us() + (int64_t)timeout_ms * 1000;
    while (!done(a, b) && cv_now_us() < end)
        if (!g_main_context_iteration(ctx, FALSE))
            g_usleep(1000);
}

static int both_settled(side_t *a, side_t *b)
{
    return a->state != CV_PEER_CONNECTING && b->state != CV_PEER_CONNECTING;
}

static int client_settled(side_t *a, side_t *b)
{
    (void)b;
    return a->state != CV_PEER_CONNECTING;
}

static int got_media(side_t *a, side_t *b)
{
    return a->rtp_len && a->rtcp_len && b->rtp_len && b->rtcp_len;
}

/* Tells each ICE agent the other's credentials and candidates. */
static void introduce(cv_peer_t *from, cv_peer_t *to)
{
    cv_ice_t *f = cv_peer_ice(from), *t = cv_peer_ice(to);
    CHECK_EQ(cv_ice_set_remote(t, cv_ice_ufrag(f), cv_ice_pwd(f)), 0);
    const cv_ice_cand_t *c;
    int n = cv_ice_local_candidates(f, &c);
    CHECK(n > 0);
    for (int i = 0; i < n; i++)
        CHECK_EQ(
            cv_ice_add_remote_candidate(t, c[i].addr, c[i].port, c[i].priority, c[i].foundation),
            0);
}

static size_t make_rtp(uint8_t *buf, uint16_t seq)
{
    static const uint8_t hdr[12] = {0x80, 96, 0, 0, 0, 0, 0, 1, 0x11, 0x22, 0x33, 0x44};
    memcpy(buf, hdr, 12);
    buf[2] = (uint8_t)(seq >> 8);
    buf[3] = (uint8_t)seq;
    for (int i = 0; i < 40; i++)
        buf[12 + i] = (uint8_t)(i * 7 + seq);
    return 52;
}

static size_t make_rtcp_rr(uint8_t *buf)
{
    static const uint8_t rr[8] = {0x80, 201, 0, 1, 0x55, 0x66, 0x77, 0x88}; /* empty RR */
    memcpy(buf, rr, 8);
    return 8;
}

static void exchange_media(GMainContext *ctx, cv_peer_t *cp, cv_peer_t *sp, side_t *cs, side_t *ss)
{
    _Alignas(4) uint8_t buf[512], want[64];
    for (int dir = 0; dir < 2; dir++) {
        cv_peer_t *p = dir ? sp : cp;
        size_t n = make_rtp(buf, (uint16_t)(100 + dir));
        CHECK(cv_peer_send_rtp(p, buf, n, sizeof(buf)) > (int)n); /* a tag was added */
        n = make_rtcp_rr(buf);
        CHECK(cv_peer_send_rtcp(p, buf, n, sizeof(buf)) > (int)n);
    }
    spin(ctx, got_media, cs, ss, 5000);
    for (int dir = 0; dir < 2; dir++) {
        side_t *rx = dir ? cs : ss; /* what the other side sent */
        size_t n = make_rtp(want, (uint16_t)(100 + dir));
        CHECK_EQ(rx->rtp_len, n);
        CHECK_MEM(rx->last_rtp, want, n);
        n = make_rtcp_rr(want);
        CHECK_EQ(rx->rtcp_len, n);
        CHECK_MEM(rx->last_rtcp, want, n);
    }
}

static void run_pair(int wrong_fp)
{
    GMainContext *ctx = g_main_context_new();
    const char *addrs[] = {"127.0.0.1"};
    cv_ice_cfg_t scfg = {.addresses = addrs, .n_addresses = 1};
    cv_ice_cfg_t ccfg = scfg;
    ccfg.controlling = 1;
    cv_dtls_cert_t *scert = cv_dtls_cert_create(), *ccert = cv_dtls_cert_create();
    CHECK(scert && ccert);
    uint8_t sfp[CV_DTLS_FP_LEN];
    memcpy(sfp, cv_dtls_cert_fingerprint(scert), sizeof(sfp));
    if (wrong_fp)
        sfp[5] ^= 0x40;
    side_t cs = {0}, ss = {0};
    cv_peer_cb_t cb = {.on_rtp = on_rtp, .on_rtcp = on_rtcp, .on_state = on_state};
    cv_peer_t *sp = cv_peer_create(ctx, &scfg, scert, cv_dtls_cert_fingerprint(ccert),
                                   CV_DTLS_FP_LEN, 10000000, &cb, &ss);
    /* the client learns the server's fingerprint from the answer, after creation */
    uint8_t unknown[CV_DTLS_FP_LEN] = {0};
    cv_peer_t *cp = cv_peer_create_role(ctx, &ccfg, ccert, CV_DTLS_CLIENT, unknown, sizeof(unknown),
                                        10000000, &cb, &cs);
    CHECK(sp && cp);
    if (cp) {
        CHECK_EQ(cv_peer_set_remote_fingerprint(cp, sfp, 20), CV_E_INVAL);
        CHECK_EQ(cv_peer_set_remote_fingerprint(cp, sfp, sizeof(sfp)), 0);
    }
    if (sp && cp) {
        introduce(cp, sp);
        introduce(sp, cp);
        if (!wrong_fp) {
            spin(ctx, both_settled, &cs, &ss, 10000);
            CHECK_EQ(cs.state, CV_PEER_CONNECTED);
            CHECK_EQ(ss.state, CV_PEER_CONNECTED);
            if (cs.state == CV_PEER_CONNECTED && ss.state == CV_PEER_CONNECTED)
                exchange_media(ctx, cp, sp, &cs, &ss);
        } else {
            spin(ctx, client_settled, &cs, &ss, 10000);
            CHECK_EQ(cs.state, CV_PEER_FAILED);
            CHECK(strstr(cs.why, "fingerprint") != NULL);
        }
    }
    cv_peer_destroy(cp);
    cv_peer_destroy(sp);
    cv_dtls_cert_destroy(ccert);
    cv_dtls_cert_destroy(scert);
    while (g_main_context_iteration(ctx, FALSE))
        ;
    g_main_context_unref(ctx);
}

int main(void)
{
    run_pair(0);
    run_pair(1);
    return CHECK_DONE("test_peer");
}
