/*
 * test_peer.c - a client peer (ICE controlling, DTLS client) against a server
 * peer (ICE controlled, DTLS server) over 127.0.0.1 on one GMainContext: both
 * connect, SRTP keys match in both directions (an RTP and an RTCP packet each
 * way arrive decrypted and unchanged), and a client that expects another
 * fingerprint fails instead of connecting; junk does not count as a sign of
 * life (cv_peer_last_rx_us), a protected packet does. Then each role against a bare
 * ICE + DTLS end that drops the first DTLS datagram it receives and never
 * retransmits itself: the peer must resend its flight on its own timer and
 * still connect (a lost ClientHello or server flight must not stall set-up).
 * Sends in a batch (cv_ice_batch_begin/end) arrive whole and in order, runs
 * of equal sizes and all, in fewer system calls than datagrams.
 */
#include "check.h"

#include "clock.h"
#include "err.h"
#include "peer.h"
#include "stats.h"

#include <string.h>

typedef struct {
    int state;
    char why[128];
    uint8_t last_rtp[256], last_rtcp[256];
    size_t rtp_len, rtcp_len;
    int n_log; /* RTP received: sequence numbers and lengths */
    uint16_t log_seq[64];
    size_t log_len[64];
} side_t;

static void on_rtp(void *ud, uint8_t *pkt, size_t len)
{
    side_t *s = ud;
    if (s->n_log < 64 && len >= 4) {
        s->log_seq[s->n_log] = (uint16_t)(pkt[2] << 8 | pkt[3]);
        s->log_len[s->n_log++] = len;
    }
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

static void spin_ms(GMainContext *ctx, int ms)
{
    int64_t end = cv_now_us() + (int64_t)ms * 1000;
    while (cv_now_us() < end)
        if (!g_main_context_iteration(ctx, FALSE))
            g_usleep(1000);
}

/* Only what authenticates shows the peer is there: junk that looks like RTP
 * does not move cv_peer_last_rx_us, a protected packet does. */
static void check_liveness(GMainContext *ctx, cv_peer_t *cp, cv_peer_t *sp, side_t *ss)
{
    int64_t before = cv_peer_last_rx_us(sp);
    CHECK(before > 0);
    spin_ms(ctx, 30);
    uint8_t junk[80];
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (uint8_t)(i * 37 + 11);
    junk[0] = 0x80;
    junk[1] = 96;
    for (int i = 0; i < 5; i++)
        CHECK(cv_ice_send(cv_peer_ice(cp), junk, sizeof(junk)) > 0);
    spin_ms(ctx, 50);
    CHECK(cv_peer_stats(sp)->drop_srtp >= 5); /* they arrived, and were refused */
    CHECK_EQ(cv_peer_last_rx_us(sp), before);
    _Alignas(4) uint8_t buf[256];
    size_t n = make_rtp(buf, 4242);
    ss->rtp_len = 0;
    CHECK(cv_peer_send_rtp(cp, buf, n, sizeof(buf)) > 0);
    int64_t end = cv_now_us() + 2000000;
    while (!ss->rtp_len && cv_now_us() < end)
        if (!g_main_context_iteration(ctx, FALSE))
            g_usleep(1000);
    CHECK(ss->rtp_len > 0);
    CHECK(cv_peer_last_rx_us(sp) > before);
}

/* A batch of 20 packets, sizes as a video frame's and audio's come: runs of
 * one size (one GSO message each), a shorter one ending a run, then small
 * ones; every packet arrives, in order, unchanged in length. */
static void check_batch(GMainContext *ctx, cv_peer_t *cp, side_t *ss)
{
    static const size_t size[20] = {1100, 1100, 1100, 1100, 1100, 1100, 1100, 1100, 1100, 600,
                                    1100, 1100, 1100, 1100, 1100, 90,   90,   90,   1200, 90};
    ss->n_log = 0;
    uint64_t calls = cv_stats_get(CV_STAT_SEND_CALLS);
    cv_ice_batch_begin();
    for (int i = 0; i < 20; i++) {
        _Alignas(4) uint8_t buf[1500];
        make_rtp(buf, (uint16_t)(5000 + i)); /* after the 4242 of check_liveness */
        memset(buf + 52, i, size[i] - 52);
        CHECK(cv_peer_send_rtp(cp, buf, size[i], sizeof(buf)) > (int)size[i]);
    }
    CHECK_EQ(cv_stats_get(CV_STAT_SEND_CALLS), calls); /* nothing left yet */
    cv_ice_batch_end();
    uint64_t used = cv_stats_get(CV_STAT_SEND_CALLS) - calls;
    CHECK(used >= 1 && used < 20);
    int64_t end = cv_now_us() + 2000000;
    while (ss->n_log < 20 && cv_now_us() < end)
        if (!g_main_context_iteration(ctx, FALSE))
            g_usleep(1000);
    CHECK_EQ(ss->n_log, 20);
    for (int i = 0; i < ss->n_log && i < 20; i++) {
        CHECK_EQ(ss->log_seq[i], 5000 + i);
        CHECK_EQ(ss->log_len[i], size[i]);
    }
    printf("  batch: 20 packets in %llu system call(s)\n", (unsigned long long)used);
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
            if (cs.state == CV_PEER_CONNECTED && ss.state == CV_PEER_CONNECTED) {
                exchange_media(ctx, cp, sp, &cs, &ss);
                check_liveness(ctx, cp, sp, &ss);
                check_batch(ctx, cp, &ss);
            }
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

/* --- a bare end that loses the first DTLS datagram ----------------------- */

typedef struct {
    cv_ice_t *ice;
    cv_dtls_t *dtls;
    int client;
    int to_drop; /* DTLS datagrams still to lose on arrival */
    int dropped, received;
} bare_t;

static void bare_pump(bare_t *b)
{
    uint8_t out[2048];
    int n;
    while ((n = cv_dtls_pop_output(b->dtls, out, sizeof(out))) > 0)
        cv_ice_send(b->ice, out, (size_t)n);
}

static void bare_recv(void *ud, uint8_t *data, size_t len)
{
    bare_t *b = ud;
    if (len == 0 || data[0] < 20 || data[0] > 63)
        return; /* only DTLS here */
    if (b->to_drop > 0) {
        b->to_drop--;
        b->dropped++;
        return;
    }
    b->received++;
    cv_dtls_input(b->dtls, data, len, cv_now_us());
    bare_pump(b);
}

static void bare_state(void *ud, int state)
{
    bare_t *b = ud;
    if (state == CV_ICE_CONNECTED && b->client && cv_dtls_start(b->dtls, cv_now_us()) >= 0)
        bare_pump(b);
}

static const bare_t *bare_seen;

static int peer_and_bare_done(side_t *a, side_t *unused)
{
    (void)unused;
    return a->state != CV_PEER_CONNECTING && cv_dtls_state(bare_seen->dtls) != CV_DTLS_CONNECTING;
}

/* The peer under test in role peer_role, the bare end in the other. */
static void run_lossy(int peer_role)
{
    GMainContext *ctx = g_main_context_new();
    const char *addrs[] = {"127.0.0.1"};
    cv_ice_cfg_t pcfg = {.addresses = addrs, .n_addresses = 1};
    cv_ice_cfg_t bcfg = pcfg;
    int peer_client = peer_role == CV_DTLS_CLIENT;
    pcfg.controlling = peer_client;
    bcfg.controlling = !peer_client;
    cv_dtls_cert_t *pcert = cv_dtls_cert_create(), *bcert = cv_dtls_cert_create();
    CHECK(pcert && bcert);
    side_t ps = {0};
    cv_peer_cb_t cb = {.on_rtp = on_rtp, .on_rtcp = on_rtcp, .on_state = on_state};
    cv_peer_t *pp =
        cv_peer_create_role(ctx, &pcfg, pcert, peer_role, cv_dtls_cert_fingerprint(bcert),
                            CV_DTLS_FP_LEN, 10000000, &cb, &ps);
    bare_t b = {.client = !peer_client, .to_drop = 1};
    cv_ice_cb_t icb = {.on_recv = bare_recv, .on_state = bare_state};
    b.ice = cv_ice_create(ctx, &bcfg, &icb, &b);
    b.dtls = cv_dtls_create(bcert, peer_client ? CV_DTLS_SERVER : CV_DTLS_CLIENT,
                            cv_dtls_cert_fingerprint(pcert), CV_DTLS_FP_LEN);
    CHECK(pp && b.ice && b.dtls);
    if (pp && b.ice && b.dtls) {
        cv_ice_t *pi = cv_peer_ice(pp);
        CHECK_EQ(cv_ice_set_remote(b.ice, cv_ice_ufrag(pi), cv_ice_pwd(pi)), 0);
        CHECK_EQ(cv_ice_set_remote(pi, cv_ice_ufrag(b.ice), cv_ice_pwd(b.ice)), 0);
        const cv_ice_cand_t *c;
        int n = cv_ice_local_candidates(b.ice, &c);
        for (int i = 0; i < n; i++)
            cv_ice_add_remote_candidate(pi, c[i].addr, c[i].port, c[i].priority, c[i].foundation);
        n = cv_ice_local_candidates(pi, &c);
        for (int i = 0; i < n; i++)
            cv_ice_add_remote_candidate(b.ice, c[i].addr, c[i].port, c[i].priority,
                                        c[i].foundation);
        bare_seen = &b;
        spin(ctx, peer_and_bare_done, &ps, &ps, 8000);
        CHECK_EQ(b.dropped, 1);
        CHECK(b.received >= 1); /* the flight came again */
        CHECK_EQ(ps.state, CV_PEER_CONNECTED);
        CHECK_EQ(cv_dtls_state(b.dtls), CV_DTLS_CONNECTED);
    }
    cv_peer_destroy(pp);
    cv_dtls_destroy(b.dtls);
    cv_ice_destroy(b.ice);
    cv_dtls_cert_destroy(bcert);
    cv_dtls_cert_destroy(pcert);
    while (g_main_context_iteration(ctx, FALSE))
        ;
    g_main_context_unref(ctx);
}

int main(void)
{
    run_pair(0);
    run_pair(1);
    run_lossy(CV_DTLS_CLIENT); /* its ClientHello is lost */
    run_lossy(CV_DTLS_SERVER); /* its first flight is lost */
    return CHECK_DONE("test_peer");
}
